package callback

import (
	"bytes"
	"encoding/json"
	"errors"
	"reflect"
	"strconv"
	"strings"
)

// The lenient types accept what Tencent's own samples and SDKs are known to send besides the
// documented type, and nothing that cannot be meant. Each keeps JSON null as "absent" by leaving
// the pointer that holds it nil (encoding/json does that for pointers before calling us).

// outOfRange marks a number that does not fit, so the error can say so.
const outOfRange = "out of range"

// typeError builds the error encoding/json knows how to decorate with the field's path.
func typeError(what string, t reflect.Type) error {
	return &json.UnmarshalTypeError{Value: what, Type: t}
}

var (
	stringType = reflect.TypeFor[string]()
	intType    = reflect.TypeFor[int64]()
	boolType   = reflect.TypeFor[bool]()
	listType   = reflect.TypeFor[[]string]()
)

// lenientString is a string that may arrive as a JSON number (accounts such as
// "Member_Account": 123 in Tencent's samples); the number's literal text is kept, so 123 and
// "123" store the same. A NUL character (\u0000) is refused: no Tencent name or account holds
// one, and PostgreSQL's text columns cannot store it, so accepting it would turn a bad request
// into a store failure on one backend only.
type lenientString string

func (s *lenientString) UnmarshalJSON(b []byte) error {
	switch {
	case len(b) > 0 && b[0] == '"':
		v, err := decodeString(b)
		if err != nil {
			return err
		}
		if strings.IndexByte(v, 0) >= 0 {
			return typeError("string holding NUL", stringType)
		}
		*s = lenientString(v)
	case isJSONNumber(b):
		*s = lenientString(b)
	default:
		return typeError("value", stringType)
	}
	return nil
}

// lenientInt is an integer that must fit int64; it may arrive as a numeric string. Fractions
// and exponents are refused: no Tencent integer field can hold them, and rounding would store a
// value nobody sent.
type lenientInt int64

func (n *lenientInt) UnmarshalJSON(b []byte) error {
	if len(b) > 0 && b[0] == '"' {
		v, err := decodeString(b)
		if err != nil {
			return err
		}
		b = []byte(v)
	}
	v, err := strconv.ParseInt(string(b), 10, 64)
	if err != nil {
		if errors.Is(err, strconv.ErrRange) {
			return typeError(outOfRange, intType)
		}
		return typeError("value", intType)
	}
	*n = lenientInt(v)
	return nil
}

// lenientBool is a boolean that may arrive as "true"/"false" (IsCloudRecordingDisabled in a
// Tencent sample) or as 0/1.
type lenientBool bool

func (v *lenientBool) UnmarshalJSON(b []byte) error {
	switch string(b) {
	case "true", `"true"`, "1", `"1"`:
		*v = true
	case "false", `"false"`, "0", `"0"`:
		*v = false
	default:
		return typeError("value", boolType)
	}
	return nil
}

// lenientAccounts is a list of accounts (strings or numbers), de-duplicated with the first
// occurrence's order kept: Tencent's sample lists "user3" twice.
type lenientAccounts []string

func (l *lenientAccounts) UnmarshalJSON(b []byte) error {
	var raw []lenientString
	if err := json.Unmarshal(b, &raw); err != nil {
		return typeError("value", listType)
	}
	out := make([]string, 0, len(raw))
	seen := make(map[lenientString]struct{}, len(raw))
	for _, a := range raw {
		if _, dup := seen[a]; dup {
			continue
		}
		seen[a] = struct{}{}
		out = append(out, string(a))
	}
	*l = out
	return nil
}

// isJSONNumber reports whether b is a JSON number literal (encoding/json has already checked
// the syntax of the whole document, so the first byte decides).
func isJSONNumber(b []byte) bool {
	return len(b) > 0 && (b[0] == '-' || (b[0] >= '0' && b[0] <= '9'))
}

// decodeString returns the value of the JSON string literal b. The parser only sees literals
// encoding/json has already checked (the whole body is validated before any field is decoded,
// and it is valid UTF-8), so a literal without escapes is its own value: the bytes between the
// quotes, with no decoder to allocate. Escapes take the full path.
func decodeString(b []byte) (string, error) {
	if len(b) >= 2 && b[len(b)-1] == '"' {
		if inner := b[1 : len(b)-1]; bytes.IndexByte(inner, '\\') < 0 {
			return string(inner), nil
		}
	}
	var v string
	err := json.Unmarshal(b, &v)
	return v, err
}
