package main

import (
	"context"
	"encoding/json"
	"reflect"
	"strings"
	"testing"

	"github.com/roomhook/roomhook/pkg/jsonobject"
)

// decodeCases are events at the edges of encoding/json's rules for a struct and a map; fast
// says whether read settles them itself (false: it hands them to json.Unmarshal).
var decodeCases = []struct {
	name, payload string
	fast          bool
}{
	{"repeated string takes the last", `{"httpMethod":"GET","httpMethod":"POST"}`, true},
	{"null keeps a string and a bool", `{"httpMethod":"POST","httpMethod":null,"isBase64Encoded":true,"isBase64Encoded":null,"body":"e30="}`, true},
	{"repeated requestContext adds up", `{"requestContext":{"requestId":"a"},"requestContext":{"stage":"x"},"requestContext":null}`, true},
	{"repeated queryString adds up", `{"queryString":{"a":"1","b":"2"},"queryString":{"b":["3","4"],"c":true}}`, true},
	{"null queryString empties it", `{"queryString":{"a":"1"},"queryString":null}`, true},
	{"empty queryString", `{"queryString":{}}`, true},
	{"repeated parameter takes the last", `{"queryString":{"a":"1","a":["2"],"b":"x","b":false}}`, true},
	{"impossible parameter values", `{"queryString":{"a":1,"b":false,"c":null,"d":{},"e":[],"f":["x",1],"g":[null]}}`, true},
	{"escaped and invalid UTF-8 parameter names", "{\"queryString\":{\"S\\u0064kAppid\":\"1\",\"\\uD800\":\"2\",\"\xff\":\"3\",\"\":\"4\"}}", true},
	{"escapes and invalid UTF-8 in strings", "{\"httpMethod\":\"P\\u004fST\",\"body\":\"\\uD83D\\uDE00\\uD800 \xff\",\"requestContext\":{\"requestId\":\"\\\"\"}}", true},
	{"unknown members of every kind", `{"headers":{"Body":"x"},"queryStringParameters":[1,{"a":null}],"x":-0.5e-3,"path":"/","httpMethod":"POST"}`, true},
	{"space everywhere", " \t\r\n{ \"httpMethod\" :\n\"POST\" , \"queryString\" : { \"a\" : \"1\" } }\n", true},
	{"a timer event", `{"Type":"Timer","TriggerName":"daily","Time":"2019-02-21T11:49:00Z","Message":""}`, true},

	// Left to encoding/json.
	{"key in another case", `{"httpMethod":"POST","Body":"x"}`, false},
	{"key in another case in requestContext", `{"httpMethod":"POST","requestContext":{"RequestId":"a"}}`, false},
	{"escaped key", `{"httpMethod":"POST","b\u006fdy":"x"}`, false},
	{"key in another case, null", `{"httpMethod":"POST","queryStrinG":null}`, false},
	{"Type in another case", `{"type":"Timer"}`, false},
	{"Type of the wrong type", `{"Type":["Timer"]}`, false},
	{"long s for s", `{"httpMethod":"POST","iſBase64Encoded":true,"body":"e30="}`, false},
	{"number for a string", `{"httpMethod":1,"queryString":{"SdkAppid":"1400123456"},"body":"{}"}`, false},
	{"string for a bool", `{"httpMethod":"POST","isBase64Encoded":"yes","body":"e30="}`, false},
	{"string for queryString", `{"httpMethod":"POST","queryString":"SdkAppid=1400123456","body":"{}"}`, false},
	{"array for queryString", `{"httpMethod":"POST","queryString":[],"body":"{}"}`, false},
	{"object for a string", `{"httpMethod":"POST","body":{"RoomInfo":{}}}`, false},
	{"array for requestContext", `{"httpMethod":"POST","requestContext":[]}`, false},
	{"wrong type, then right", `{"httpMethod":1,"httpMethod":"POST"}`, false},
	{"not an object", `[1,2]`, false},
	{"null event", `null`, false},
	{"trailing garbage", `{"httpMethod":"POST"} x`, false},
	{"broken parameter value", `{"httpMethod":"POST","queryString":{"a":01}}`, false},
	{"cut short", `{"httpMethod":"POST","body":"{}"`, false},
	{"too deep", `{"httpMethod":"POST","x":` + strings.Repeat("[", 10000) + strings.Repeat("]", 10000) + `}`, false},
}

// TestDecode checks decode against json.Unmarshal (error dropped) on decodeCases and on every
// golden event, as the file holds it and as the benchmark sends it (signed, compact): the same
// event and the same request; and whether read settled it itself.
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
	for _, g := range goldenEvents(t) {
		cases = append(cases, tcase{g.name, g.data, true})
		signed := edit(t, g.data, func(ev map[string]any) { sign(ev, testToken, fixedNow) })
		cases = append(cases, tcase{g.name + " signed", signed, true})
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

// checkDecode fails t when decode and request differ from json.Unmarshal on payload, the
// decode they replaced.
func checkDecode(t *testing.T, payload []byte) {
	t.Helper()
	var got, want event
	got.decode(payload)
	_ = json.Unmarshal(payload, &want)
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("decode\n%#v\njson.Unmarshal\n%#v", got, want)
	}
	ctx := context.Background()
	if req, ref := request(ctx, payload), want.request(ctx); !reflect.DeepEqual(req, ref) {
		t.Fatalf("request\n%#v\nbefore\n%#v", req, ref)
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
	if got, want := eventNames, tags(ev); !reflect.DeepEqual(got, want) {
		t.Errorf("names %v, struct tags %v", got, want)
	}
	if got, want := requestContextNames, tags(ev.RequestContext); !reflect.DeepEqual(got, want) {
		t.Errorf("names %v, struct tags %v", got, want)
	}
}

// FuzzDecode is the differential check of decode: on any payload, seeded with every golden
// event (as filed, and signed and compact as the benchmark sends it), the events of
// decodeCases and the unknown shapes, decode fills the same event as json.Unmarshal with its
// error dropped (the decode it replaced), and request makes the same request.
func FuzzDecode(f *testing.F) {
	for _, g := range goldenEvents(f) {
		f.Add(g.data)
		f.Add(edit(f, g.data, func(ev map[string]any) { sign(ev, testToken, fixedNow) }))
	}
	for _, c := range decodeCases {
		if len(c.payload) < 1000 {
			f.Add([]byte(c.payload))
		}
	}
	f.Fuzz(func(t *testing.T, payload []byte) {
		checkDecode(t, payload)
	})
}
