package callback

import (
	"net/url"
	"strings"
	"unicode/utf8"
)

// The query parameters Tencent puts on the callback URL, in the order of paramNames.
const (
	pSdkAppID = iota
	pCallbackCommand
	pContentType
	pClientIP
	pOptPlatform
	pSign
	pRequestTime
	numParams
)

var paramNames = [numParams]string{"SdkAppid", "CallbackCommand", "contenttype", "ClientIP", "OptPlatform", "Sign", "RequestTime"}

// query holds Tencent's parameters of one request.
type query struct {
	values [numParams]string
	seen   [numParams]bool
}

func (q *query) get(p int) string { return q.values[p] }
func (q *query) has(p int) bool   { return q.seen[p] }

// readQuery picks Tencent's parameters out of q. Names match without regard to case, because
// Tencent's documents spell them several ways (SdkAppid, SDKAppID); a parameter given twice,
// in any spelling, is refused: two values for one name leave the receiver guessing which one
// the signature or the app check should see. A name with no value at all (an adapter's way of
// saying the platform sent something no query string can hold), and a value that is not UTF-8
// or holds NUL (%FF, %00: no store can keep it as text), are refused too. Other parameters are
// ignored.
func readQuery(q url.Values) (query, *Error) {
	var out query
	for name, values := range q {
		for p, want := range paramNames {
			if !strings.EqualFold(name, want) {
				continue
			}
			if len(values) == 0 || !storable(values[0]) {
				return out, errParamValue
			}
			if len(values) > 1 || out.seen[p] {
				return out, errRepeatedParam
			}
			out.values[p], out.seen[p] = values[0], true
			break
		}
	}
	return out, nil
}

// storable reports whether v can be kept in every backend's text column: valid UTF-8 without
// NUL.
func storable(v string) bool {
	return utf8.ValidString(v) && strings.IndexByte(v, 0) < 0
}
