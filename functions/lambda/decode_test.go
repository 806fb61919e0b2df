package main

import (
	"encoding/json"
	"reflect"
	"strings"
	"testing"

	"github.com/roomhook/roomhook/pkg/jsonobject"
)

// referenceTranslate is translate as it was before decode.go, and the reference decode keeps
// to: json.Unmarshal of the whole payload into event.
func referenceTranslate(payload []byte) translation {
	var ev event
	if err := json.Unmarshal(payload, &ev); err != nil {
		return translation{decodeErr: err}
	}
	return ev.translation()
}

// decodeCases are events at the edges of encoding/json's rules for a struct; fast says
// whether read settles them itself (false: it hands them to json.Unmarshal).
var decodeCases = []struct {
	name, payload string
	fast          bool
}{
	{"repeated string takes the last", `{"httpMethod":"GET","httpMethod":"POST"}`, true},
	{"null keeps a string", `{"httpMethod":"POST","httpMethod":null,"body":null}`, true},
	{"null keeps a bool", `{"httpMethod":"POST","isBase64Encoded":true,"isBase64Encoded":null,"body":"e30="}`, true},
	{"repeated requestContext adds up", `{"httpMethod":"POST","requestContext":{"elb":{"targetGroupArn":"a"}},"requestContext":{"requestId":"r","elb":null}}`, true},
	{"repeated http adds up", `{"requestContext":{"http":{"method":"POST"},"http":{},"http":null,"domainName":"x.lambda-url.y"}}`, true},
	{"null requestContext", `{"httpMethod":"POST","requestContext":null}`, true},
	{"repeated multi-value map adds up", `{"httpMethod":"POST","multiValueQueryStringParameters":{"a":["1"],"b":["2"]},"multiValueQueryStringParameters":{"b":["3"],"c":[]}}`, true},
	{"null multi-value map empties it", `{"httpMethod":"POST","multiValueQueryStringParameters":{"a":["1"]},"multiValueQueryStringParameters":null,"queryStringParameters":{"b":"2"}}`, true},
	{"null and empty multi values", `{"httpMethod":"POST","multiValueQueryStringParameters":{"a":[null,"x"],"b":[],"c":null,"a":["y"]}}`, true},
	{"ALB multi-value map as the mode", `{"httpMethod":"POST","requestContext":{"elb":{"targetGroupArn":"a"}},"multiValueQueryStringParameters":{}}`, true},
	{"repeated single-value map takes the last", `{"httpMethod":"POST","queryStringParameters":{"a":"1"},"queryStringParameters":{"b":"2"}}`, true},
	{"null single-value map", `{"httpMethod":"POST","queryStringParameters":{"a":"1"},"queryStringParameters":null}`, true},
	{"single-value map of the wrong type", `{"httpMethod":"POST","queryStringParameters":[1,2]}`, true},
	{"multiValueHeaders of any kind", `{"httpMethod":"POST","requestContext":{"elb":{"targetGroupArn":"a"}},"multiValueHeaders":{},"multiValueHeaders":[1]}`, true},
	{"escapes and invalid UTF-8 in strings", "{\"httpMethod\":\"P\\u004fST\",\"body\":\"\\uD83D\\uDE00\\uD800 \xff\",\"requestContext\":{\"requestId\":\"\\\"\"}}", true},
	{"unknown members of every kind", `{"headers":{"Body":"x","body":[1,{"a":null}]},"x":-0.5e-3,"y":[true,false],"Body2":1,"httpMethod":"POST"}`, true},
	{"space everywhere", " \t\r\n{ \"httpMethod\" :\n\"POST\" , \"body\" : \"{}\" }\n", true},
	{"an object of no known shape", `{}`, true},
	{"a scheduled event", `{"version":"0","id":"x","detail-type":"Scheduled Event","source":"aws.events","resources":["arn"],"detail":{}}`, true},
	{"scheduled event names of the wrong type", `{"source":1,"detail-type":"Scheduled Event"}`, false},

	// Left to encoding/json.
	{"key in another case", `{"httpMethod":"POST","Body":"x"}`, false},
	{"exact key then another case", `{"httpMethod":"POST","body":"x","BODY":"y"}`, false},
	{"key in another case in requestContext", `{"httpMethod":"POST","requestContext":{"ELB":{"targetGroupArn":"a"}}}`, false},
	{"key in another case in elb", `{"httpMethod":"POST","requestContext":{"elb":{"TargetGroupARN":"a"}}}`, false},
	{"key in another case in http", `{"requestContext":{"http":{"METHOD":"POST"}}}`, false},
	{"escaped key", `{"httpMethod":"POST","b\u006fdy":"x"}`, false},
	{"scheduled event names in another case", `{"Source":"aws.events","Detail-Type":"Scheduled Event"}`, false},
	{"long s for s", `{"verſion":"2.0","requestContext":{"http":{"method":"POST"}}}`, false},
	{"long s in requestContext", `{"httpMethod":"POST","requeſtContext":{"requeſtId":"x"}}`, false},
	{"non-ASCII key that matches nothing", `{"httpMethod":"POST","ünknown":1}`, false},
	{"number for a string", `{"httpMethod":"POST","version":2.0}`, false},
	{"string for a bool", `{"httpMethod":"POST","isBase64Encoded":"true"}`, false},
	{"array for a struct", `{"httpMethod":"POST","requestContext":[]}`, false},
	{"string for a struct", `{"requestContext":{"http":"POST"}}`, false},
	{"object for a string", `{"body":{"CallbackCommand":"x"},"httpMethod":"POST"}`, false},
	{"wrong type, then right", `{"httpMethod":1,"httpMethod":"POST"}`, false},
	{"number in a multi-value list", `{"httpMethod":"POST","multiValueQueryStringParameters":{"a":[1]}}`, false},
	{"string for a multi-value list", `{"httpMethod":"POST","multiValueQueryStringParameters":{"a":"1"}}`, false},
	{"not an object", `[{"httpMethod":"POST"}]`, false},
	{"null event", `null`, false},
	{"trailing garbage", `{"httpMethod":"POST"} x`, false},
	{"broken value in a skipped member", `{"httpMethod":"POST","headers":{"a":01}}`, false},
	{"cut short", `{"httpMethod":"POST","body":"abc`, false},
	{"too deep", `{"httpMethod":"POST","x":` + strings.Repeat("[", 10000) + strings.Repeat("]", 10000) + `}`, false},
}

// TestDecode checks decode against json.Unmarshal on decodeCases and on every golden event,
// as the file holds it and as the benchmark sends it (signed, compact): the same event, the
// same error, the same translation; and whether read settled it itself.
func TestDecode(t *testing.T) {
	type tcase struct {
		name    string
		payload []byte
		fast    bool
	}
	var cases []tcase
	for _, c := range decodeCases {
		cases = append(cases, tcase{c.name, []byte(c.payload), c.fast})
	}
	for _, g := range loadGoldens(t) {
		cases = append(cases, tcase{g.name, g.payload, true})
		m := parseMutable(t, g.payload)
		m.setQuery(g.signedPairs(testToken))
		cases = append(cases, tcase{g.name + " signed", m.bytes(t), true})
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			var fast event
			if got := fast.read(c.payload); got != c.fast {
				t.Errorf("read settled it: %v, want %v", got, c.fast)
			}
			checkDecode(t, c.payload)
		})
	}
}

// checkDecode fails t when decode and translate differ from json.Unmarshal on payload.
func checkDecode(t *testing.T, payload []byte) {
	t.Helper()
	var got, want event
	gotErr, wantErr := got.decode(payload), json.Unmarshal(payload, &want)
	if (gotErr == nil) != (wantErr == nil) || gotErr != nil && gotErr.Error() != wantErr.Error() {
		t.Fatalf("decode error %v, json.Unmarshal %v", gotErr, wantErr)
	}
	if gotErr == nil && !reflect.DeepEqual(got, want) {
		t.Fatalf("decode\n%#v\njson.Unmarshal\n%#v", got, want)
	}
	if tr, ref := translate(payload), referenceTranslate(payload); !reflect.DeepEqual(tr, ref) {
		t.Fatalf("translate\n%#v\nbefore\n%#v", tr, ref)
	}
}

// TestEventNames keeps decode.go's name lists equal to event's struct tags.
func TestEventNames(t *testing.T) {
	tags := func(v any) jsonobject.Names {
		var names jsonobject.Names
		typ := reflect.TypeOf(v)
		for i := range typ.NumField() {
			names = append(names, typ.Field(i).Tag.Get("json"))
		}
		return names
	}
	var ev event
	for _, c := range []struct {
		names jsonobject.Names
		of    any
	}{
		{eventNames, ev},
		{requestContextNames, ev.RequestContext},
		{httpNames, ev.RequestContext.HTTP},
		{elbNames, ev.RequestContext.ELB},
	} {
		if want := tags(c.of); !reflect.DeepEqual(c.names, want) {
			t.Errorf("names %v, struct tags %v", c.names, want)
		}
	}
}

// FuzzDecode is the differential check of decode: on any payload, seeded with every golden
// event (as filed, and signed and compact as the benchmark sends it), the events of
// decodeCases and the unknown shapes, decode fills the same event as json.Unmarshal (the
// decode it replaced), fails exactly when it fails, with the same error, and translate makes
// the same request, source and answer shape as it did before.
func FuzzDecode(f *testing.F) {
	for _, g := range loadGoldens(f) {
		f.Add(g.payload)
		m := parseMutable(f, g.payload)
		m.setQuery(g.signedPairs(testToken))
		f.Add(m.bytes(f))
	}
	for _, c := range decodeCases {
		if len(c.payload) < 1000 {
			f.Add([]byte(c.payload))
		}
	}
	for _, e := range unknownEvents {
		f.Add([]byte(e))
	}
	f.Fuzz(func(t *testing.T, payload []byte) {
		checkDecode(t, payload)
	})
}
