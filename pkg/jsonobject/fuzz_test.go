package jsonobject

import (
	"bytes"
	"encoding/json"
	"errors"
	"reflect"
	"testing"
)

// referenceMembers lists the members of the valid JSON object data as a Reader must yield
// them, read with encoding/json's Decoder: keys decoded, values as RawMessage, and, when enter
// is set, objects stepped into as walk(data, true) does.
func referenceMembers(t *testing.T, data []byte, enter bool, path string) []member {
	t.Helper()
	dec := json.NewDecoder(bytes.NewReader(data))
	if tok, err := dec.Token(); err != nil || tok != json.Delim('{') {
		t.Fatalf("reference: %v %v", tok, err)
	}
	var out []member
	for dec.More() {
		tok, err := dec.Token()
		if err != nil {
			t.Fatalf("reference: %v", err)
		}
		key := tok.(string)
		var raw json.RawMessage
		if err := dec.Decode(&raw); err != nil {
			t.Fatalf("reference: %v", err)
		}
		if enter && raw[0] == '{' {
			out = append(out, member{path, key, "{…}"})
			out = append(out, referenceMembers(t, raw, true, path+key+".")...)
			continue
		}
		out = append(out, member{path, key, string(raw)})
	}
	return out
}

// FuzzReader holds the Reader to encoding/json on any input: it never panics; it accepts
// exactly the inputs json.Valid accepts whose value is an object, and says ErrNotObject
// exactly for the other valid ones; on a valid object it yields the members encoding/json's
// Decoder reads, in order, with the same keys (decoded by KeyString, or String on Key) and the
// same value bytes, in whichever way the values are read (skipped, read, stepped into).
func FuzzReader(f *testing.F) {
	for _, s := range []string{
		`{}`, ` { "a" : 1 } `, `{"a":{"b":[1,{"c":null}]},"d":"\u00e9\uD83D\uDE00\uD800"}`,
		`{"a":-0,"b":1e5,"c":01}`, `{"a":1,"a":2}`, `{"a":1}x`, `[]`, `"s"`, `1 2`, ``,
		"{\"\xff\":\"\xfe\"}", `{"a":"\'"}`, `{"B\u006fdy":true,"BODY":false}`,
		`{"a":[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]}`,
	} {
		for mode := range uint8(3) {
			f.Add([]byte(s), mode)
		}
	}
	f.Fuzz(func(t *testing.T, data []byte, mode uint8) {
		var got []member
		var err error
		switch mode % 3 {
		case 0: // every value skipped by Next
			got, err = walk(data, false)
		case 1: // every value read with Value, none stepped into
			r := NewReader(data)
			for r.Next() {
				got = append(got, member{"", r.KeyString(), string(r.Value())})
			}
			err = r.Err()
		case 2: // objects stepped into, other values read
			got, err = walk(data, true)
		}
		valid := json.Valid(data)
		object := valid && bytes.TrimLeft(data, " \t\r\n")[0] == '{'
		var syntax *SyntaxError
		switch {
		case err == nil:
			if !object {
				t.Fatalf("accepted %q (json.Valid %v)", data, valid)
			}
		case errors.Is(err, ErrNotObject):
			if !valid || object {
				t.Fatalf("ErrNotObject for %q (json.Valid %v)", data, valid)
			}
		case errors.As(err, &syntax):
			if valid {
				t.Fatalf("refused valid JSON %q: %v", data, err)
			}
			if syntax.Offset < 0 || syntax.Offset > len(data) {
				t.Fatalf("offset %d outside the input of %d bytes", syntax.Offset, len(data))
			}
		default:
			t.Fatalf("unexpected error %T %v", err, err)
		}
		if err != nil || mode%3 == 0 {
			return
		}
		// The keys as encoding/json reads them (mode 1 has them from KeyString).
		for i := range got {
			if mode%3 == 1 {
				break
			}
			s, ok := String([]byte(`"` + got[i].key + `"`))
			if !ok {
				t.Fatalf("key %q is not a string literal's text", got[i].key)
			}
			got[i].key = s
		}
		want := referenceMembers(t, data, mode%3 == 2, "")
		if len(got) != len(want) {
			t.Fatalf("got %d members %q, want %d %q", len(got), got, len(want), want)
		}
		for i := range got {
			if got[i] != want[i] {
				t.Fatalf("member %d: got %q, want %q", i, got[i], want[i])
			}
		}
	})
}

// FuzzString holds String to encoding/json's decoding into a Go string: ok exactly for a
// valid JSON string literal with nothing around it, and then the same value.
func FuzzString(f *testing.F) {
	for _, s := range []string{
		`""`, `"abc"`, `"\"\\\/\b\f\n\r\t"`, `"\u0041\uD83D\uDE00\uD83D\uD83D\uDE00\uDE00x\uD800"`,
		"\"\xff\xed\xa0\x80\xe4\xb8\"", `"\'"`, `"\u12"`, `"a"b"`, `null`, ` "a"`, "\"\x1f\"",
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, raw []byte) {
		got, ok := String(raw)
		literal := len(raw) >= 2 && raw[0] == '"' && raw[len(raw)-1] == '"' && json.Valid(raw)
		if ok != literal {
			t.Fatalf("String(%q) ok = %v, want %v", raw, ok, literal)
		}
		if !ok {
			return
		}
		var want string
		if err := json.Unmarshal(raw, &want); err != nil {
			t.Fatal(err)
		}
		if got != want {
			t.Fatalf("String(%q) = %q, want %q", raw, got, want)
		}
	})
}

// FuzzStrings holds Strings to encoding/json's decoding into a []string: ok exactly for null
// or an array with nothing around it that encoding/json decodes without error, and then the
// same slice (nil, empty or not).
func FuzzStrings(f *testing.F) {
	for _, s := range []string{
		`null`, `[]`, `[ "a" , null ,"\u0062", "" ]`, "[\"\xff\"]", `[1]`, `["a",]`, ` []`, `[[]]`, `"a"`,
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, raw []byte) {
		got, ok := Strings(raw)
		var want []string
		err := json.Unmarshal(raw, &want)
		shape := string(raw) == "null" || len(raw) > 0 && raw[0] == '[' && raw[len(raw)-1] == ']'
		if ok != (shape && err == nil) {
			t.Fatalf("Strings(%q) ok = %v; json.Unmarshal: %v", raw, ok, err)
		}
		if ok && !reflect.DeepEqual(got, want) {
			t.Fatalf("Strings(%q) = %#v, want %#v", raw, got, want)
		}
	})
}
