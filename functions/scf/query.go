package main

import (
	"encoding/json"
	"net/url"

	"github.com/roomhook/roomhook/pkg/jsonobject"
)

// queryString is the event's queryString object. Tencent writes each parameter's value as
//
//   - a string: the parameter once (?a=1 → "a": "1");
//   - an array of strings: the parameter repeated, values in order (?a=1&a=2 → "a": ["1","2"]);
//   - true: the name with no value (?a → "a": true).
//
// Anything else (a number, false, null, an object, an array holding a non-string) cannot come
// from a query string. Such a name is kept with no value at all, which no real query string
// produces: the core refuses one of Tencent's parameters in that state as a bad request (a
// parameter must have exactly one value) and ignores any other, as it ignores every parameter
// it does not read. So a malformed value never panics, never aborts the decoding of the rest of
// the event, and is judged by the core, not here.
//
// The values are taken as already URL-decoded and are not unescaped again. scf-go-lib's own
// events.APIGatewayQueryString copies them verbatim into its map[string][]string, and Tencent's
// samples show plain values; unescaping a second time would corrupt a value holding '%' or '+'.
// Tencent's own parameters (digits, command names, an IP address, a platform name, hex, Unix
// seconds) read the same either way, except an IPv6 ClientIP, which a gateway that did not
// decode would hand over as "2001%3Adb8…"; it would be stored as given.
//
// A queryString that is not an object at all (a string, an array) leaves the whole query empty
// (encoding/json reports a type error, which the caller drops); null means no query. The core
// then answers 403, SdkAppid missing.
type queryString map[string]queryValues

// queryValues are the values of one parameter; see queryString.
type queryValues []string

// UnmarshalJSON decodes one value of the union. It never returns an error: an impossible value
// becomes "no value" (see queryString), so the rest of the event is still decoded.
func (v *queryValues) UnmarshalJSON(b []byte) error {
	*v = nil
	if len(b) == 0 {
		return nil
	}
	switch b[0] {
	case '"':
		if s, ok := jsonobject.String(b); ok {
			*v = queryValues{s}
		}
	case '[':
		var items []json.RawMessage
		if json.Unmarshal(b, &items) != nil {
			return nil
		}
		out := make(queryValues, 0, len(items))
		for _, item := range items {
			s, ok := jsonobject.String(item)
			if !ok {
				return nil
			}
			out = append(out, s)
		}
		*v = out
	case 't': // true: the decoder has checked the syntax, so 't' can only start true.
		*v = queryValues{""}
	}
	return nil
}

// values returns the parameters as the core's url.Values; nil when the event had none.
func (q queryString) values() url.Values {
	if q == nil {
		return nil
	}
	out := make(url.Values, len(q))
	for name, vs := range q {
		out[name] = []string(vs)
	}
	return out
}
