package main

import (
	"bytes"
	"context"
	"encoding/json"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/roomhook/roomhook/functions/samples"
	"github.com/roomhook/roomhook/pkg/callback"
	"github.com/tencentyun/scf-go-lib/functioncontext"
)

// seedQuery is the query string every golden event carries.
var seedQuery = url.Values{
	"SdkAppid":        {"1400123456"},
	"CallbackCommand": {"Room.CallbackAfterCreateRoom"},
	"contenttype":     {"json"},
	"ClientIP":        {"203.0.113.7"},
	"OptPlatform":     {"RESTAPI"},
}

func TestGoldenEventsDecode(t *testing.T) {
	if s := samples.Get("create-room"); seedBody != s.Body || !reflect.DeepEqual(seedQuery, s.Query()) || seedEventTime != s.EventTime {
		t.Fatal("seedBody, seedQuery and seedEventTime are not the samples' create-room callback")
	}
	want := map[string]callback.Request{
		"apigateway-trigger":  {Method: "POST", Query: seedQuery, Body: []byte(seedBody), RequestID: "7d6fb2a4-9c1e-4e55-a0c4-3f7e2b6d1a90"},
		"functionurl-default": {Method: "POST", Query: seedQuery, Body: []byte(seedBody)},
		"apigateway-base64":   {Method: "POST", Query: seedQuery, Body: []byte(seedBody), RequestID: "3b9e1c7a-5d2f-4c1e-9a8b-6f0d2e4c7a15"},
	}
	// A function URL event of each other callback of the samples' story, and of each callback
	// of the Live story.
	for _, s := range append(slices.Clone(samples.Story[1:]), samples.LiveStory...) {
		want["functionurl-"+s.Variant] = callback.Request{Method: "POST", Query: s.Query(), Body: []byte(s.Body)}
	}
	for _, g := range goldenEvents(t) {
		t.Run(g.name, func(t *testing.T) {
			w, ok := want[g.name]
			if !ok {
				t.Fatalf("events/%s.json has no expectation here", g.name)
			}
			got := request(context.Background(), g.data)
			if !reflect.DeepEqual(got, w) {
				t.Errorf("request:\n got %+v\nwant %+v", show(got), show(w))
			}

			// The runtime's request id, when there is one, wins over the gateway's.
			ctx := functioncontext.NewContext(context.Background(), &functioncontext.FunctionContext{RequestID: "scf-req-1"})
			if got := request(ctx, g.data).RequestID; got != "scf-req-1" {
				t.Errorf("RequestID with a function context = %q, want scf-req-1", got)
			}
			// An empty one does not.
			ctx = functioncontext.NewContext(context.Background(), &functioncontext.FunctionContext{})
			if got := request(ctx, g.data).RequestID; got != w.RequestID {
				t.Errorf("RequestID with an empty function context = %q, want %q", got, w.RequestID)
			}
		})
	}
	for name := range want {
		if _, err := os.Stat(filepath.Join("events", name+".json")); err != nil {
			t.Errorf("expected golden event events/%s.json: %v", name, err)
		}
	}
}

// show makes a Request readable in a failure message.
func show(r callback.Request) string {
	return r.Method + " " + r.Query.Encode() + " " + string(r.Body) + " id=" + r.RequestID
}

func TestQueryStringUnion(t *testing.T) {
	tests := []struct {
		name   string
		json   string   // the value of parameter "p"
		want   []string // Query["p"]
		absent bool     // p not in Query at all
	}{
		{name: "string", json: `"x"`, want: []string{"x"}},
		{name: "empty string", json: `""`, want: []string{""}},
		{name: "escaped string", json: `"a\u0026b \"c\" \u00e9"`, want: []string{`a&b "c" é`}},
		{name: "percent kept", json: `"a%20b+c"`, want: []string{"a%20b+c"}},
		{name: "array", json: `["x","y","x"]`, want: []string{"x", "y", "x"}},
		{name: "array of one", json: `["x"]`, want: []string{"x"}},
		{name: "true", json: `true`, want: []string{""}},
		{name: "empty array", json: `[]`, want: []string{}},
		{name: "false", json: `false`, want: nil},
		{name: "null", json: `null`, want: nil},
		{name: "number", json: `1400123456`, want: nil},
		{name: "object", json: `{"a":"b"}`, want: nil},
		{name: "array with a number", json: `["x",1]`, want: nil},
		{name: "array with null", json: `["x",null]`, want: nil},
		{name: "nested array", json: `[["x"]]`, want: nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ev := []byte(`{"httpMethod":"POST","queryString":{"a":"1","p":` + tt.json + `,"z":["2","3"]},"body":"{}"}`)
			got := request(context.Background(), ev)
			vs, ok := got.Query["p"]
			if !ok {
				t.Fatalf("p missing from %v", got.Query)
			}
			if !reflect.DeepEqual(vs, tt.want) || (vs == nil) != (tt.want == nil) {
				t.Errorf("p = %#v, want %#v", vs, tt.want)
			}
			// The rest of the event is decoded whatever p held.
			if got.Query.Get("a") != "1" || !reflect.DeepEqual(got.Query["z"], []string{"2", "3"}) || got.Method != "POST" || string(got.Body) != "{}" {
				t.Errorf("rest of the event lost: %s", show(got))
			}
		})
	}
}

// TestQueryStringUnionAnswers runs Tencent's own parameters through the core with values the
// union cannot hold: each is answered with a FAIL packet, never a panic, never OK.
func TestQueryStringUnionAnswers(t *testing.T) {
	tests := []struct {
		name       string
		mutate     func(q map[string]any)
		wantStatus int
	}{
		{"SdkAppid as a number", func(q map[string]any) { q["SdkAppid"] = 1400123456 }, 400},
		{"SdkAppid as an object", func(q map[string]any) { q["SdkAppid"] = map[string]any{"v": "1400123456"} }, 400},
		{"SdkAppid null", func(q map[string]any) { q["SdkAppid"] = nil }, 400},
		{"SdkAppid repeated", func(q map[string]any) { q["SdkAppid"] = []any{"1400123456", "1400123456"} }, 400},
		{"SdkAppid array with a number", func(q map[string]any) { q["SdkAppid"] = []any{"1400123456", 1} }, 400},
		{"SdkAppid empty array", func(q map[string]any) { q["SdkAppid"] = []any{} }, 400},
		{"SdkAppid true", func(q map[string]any) { q["SdkAppid"] = true }, 403},
		{"CallbackCommand as a number", func(q map[string]any) { q["CallbackCommand"] = 7 }, 400},
		{"contenttype true", func(q map[string]any) { q["contenttype"] = true }, 400},
		{"contenttype false", func(q map[string]any) { q["contenttype"] = false }, 400},
	}
	f := newFunction(t, nopStore{})
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ev := edit(t, loadGolden(t, "apigateway-trigger"), func(ev map[string]any) { tt.mutate(queryOf(ev)) })
			out, err := f.Invoke(context.Background(), ev)
			if err != nil {
				t.Fatalf("Invoke returned an error: %v", err)
			}
			checkFail(t, out, tt.wantStatus)
		})
	}

	// A parameter the core does not read may hold anything: it is ignored.
	t.Run("other parameter as a number", func(t *testing.T) {
		ev := edit(t, loadGolden(t, "apigateway-trigger"), func(ev map[string]any) { queryOf(ev)["extra"] = 5 })
		out, err := f.Invoke(context.Background(), ev)
		if err != nil {
			t.Fatal(err)
		}
		checkOK(t, out)
	})
}

// TestUnknownShapes feeds what is not an SCF HTTP event, nor a timer's: the core answers (405,
// since no method was found, or what the fields found warrant), Invoke never fails or panics.
func TestUnknownShapes(t *testing.T) {
	tests := []struct {
		name       string
		payload    string
		wantStatus int
	}{
		{"empty", ``, 405},
		{"not JSON", `roomhook`, 405},
		{"truncated", `{"httpMethod":"POST","body":"{}"`, 405},
		{"null", `null`, 405},
		{"array", `[1,2]`, 405},
		{"string", `"POST"`, 405},
		{"empty object", `{}`, 405},
		// A timer event runs the purge (timer_test.go); with an httpMethod it is an HTTP event.
		{"timer trigger with a method", `{"Type":"Timer","TriggerName":"t","Time":"2023-12-26T11:25:22Z","Message":"","httpMethod":"GET"}`, 405},
		{"other type", `{"Type":"Cos","TriggerName":"t"}`, 405},
		{"method of the wrong type", `{"httpMethod":1,"queryString":{"SdkAppid":"1400123456"},"body":"{}"}`, 405},
		{"queryString not an object", `{"httpMethod":"POST","queryString":"SdkAppid=1400123456","body":"{}"}`, 403},
		{"queryString null", `{"httpMethod":"POST","queryString":null,"body":"{}"}`, 403},
		{"body of the wrong type", `{"httpMethod":"POST","queryString":{"SdkAppid":"1400123456","CallbackCommand":"Room.CallbackAfterCreateRoom"},"body":{"RoomInfo":{}}}`, 400},
		{"no body", `{"httpMethod":"POST","queryString":{"SdkAppid":"1400123456","CallbackCommand":"Room.CallbackAfterCreateRoom"}}`, 400},
		{"isBase64Encoded of the wrong type", `{"httpMethod":"POST","queryString":{"SdkAppid":"1400123456","CallbackCommand":"Room.CallbackAfterCreateRoom"},"body":"e30=","isBase64Encoded":"yes"}`, 400},
	}
	f := newFunction(t, nopStore{})
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			out, err := f.Invoke(context.Background(), []byte(tt.payload))
			if err != nil {
				t.Fatalf("Invoke returned an error: %v", err)
			}
			a := checkFail(t, out, tt.wantStatus)
			if tt.wantStatus == 405 && a.Headers["Allow"] != "POST" {
				t.Errorf("Allow = %q, want POST", a.Headers["Allow"])
			}
		})
	}
}

// TestRoundTrip sends each golden event through a real handler into a real SQLite store: one
// archive row, and the rows its callback projects into; then every golden event into one
// store, which leaves the rows of the samples' stories (the Room room's and the Live room's).
func TestRoundTrip(t *testing.T) {
	for _, g := range goldenEvents(t) {
		t.Run(g.name, func(t *testing.T) {
			st, path := openStore(t)
			f := newFunction(t, st)
			ctx := functioncontext.NewContext(context.Background(), &functioncontext.FunctionContext{RequestID: "req-" + g.name})
			out, err := f.Invoke(ctx, g.data)
			if err != nil {
				t.Fatal(err)
			}
			checkOK(t, out)

			s := g.sample()
			if got, want := counts(t, path), alone(s); got != want {
				t.Errorf("rows %+v, want %+v", got, want)
			}
			if s.Command == callback.CommandCreateRoom {
				room, err := callback.ReadRoom(ctx, st, testAppID, seedRoomID)
				if err != nil {
					t.Fatal(err)
				}
				if room.EventTime != seedEventTime || deref(room.Info.OwnerAccount) != "user3" ||
					!reflect.DeepEqual(room.ScheduleInviteeList, []string{"user2", "user3"}) {
					t.Errorf("room = %+v", room)
				}
			}
			evs, err := st.Events(ctx, testAppID)
			if err != nil {
				t.Fatal(err)
			}
			if len(evs) != 1 {
				t.Fatalf("events = %d, want 1", len(evs))
			}
			e := evs[0]
			if string(e.Raw) != s.Body || e.RequestID != "req-"+g.name || e.ClientIP != "203.0.113.7" ||
				e.OptPlatform != "RESTAPI" || e.Command != s.Command || e.RoomID != s.Room() || e.EventTime != s.EventTime {
				t.Errorf("archived event = %+v (raw %s)", e, e.Raw)
			}
		})
	}

	t.Run("every golden event into one store", func(t *testing.T) {
		st, path := openStore(t)
		f := newFunction(t, st)
		for _, g := range goldenEvents(t) {
			out, err := f.Invoke(context.Background(), g.data)
			if err != nil {
				t.Fatal(err)
			}
			checkOK(t, out) // a duplicate is answered OK too
		}
		// The seed three times is one event; the stories' events are one each.
		if e, want := countRows(t, path, "callback_events"), len(samples.Story)+len(samples.LiveStory); e != want {
			t.Errorf("callback_events rows %d, want %d (one per callback of the stories)", e, want)
		}
		for room, want := range map[string]samples.Rows{seedRoomID: samples.Want(testAppID), samples.LiveRoomID: samples.LiveWant(testAppID)} {
			got, err := samples.Read(context.Background(), st, testAppID, room)
			if err != nil {
				t.Fatal(err)
			}
			if d := samples.Diff(got, want); d != "" {
				t.Errorf("room %s:\n%s", room, d)
			}
		}
	})
}

func deref(s *string) string {
	if s == nil {
		return "<nil>"
	}
	return *s
}

// TestMutations changes one thing in a golden event and checks the core's answer arrives, and
// that nothing refused reaches the store.
func TestMutations(t *testing.T) {
	tests := []struct {
		name       string
		event      string
		tokens     []string
		mutate     func(ev map[string]any)
		wantStatus int
		wantCode   int // the packet's ErrorCode, when the case pins it
	}{
		{name: "GET", event: "apigateway-trigger", mutate: func(ev map[string]any) { ev["httpMethod"] = "GET" }, wantStatus: 405},
		{name: "GET on a function URL", event: "functionurl-default", mutate: func(ev map[string]any) { ev["httpMethod"] = "GET" }, wantStatus: 405},
		{name: "other SdkAppid", event: "apigateway-trigger", mutate: func(ev map[string]any) { queryOf(ev)["SdkAppid"] = "1400999999" }, wantStatus: 403},
		{name: "no SdkAppid", event: "functionurl-default", mutate: func(ev map[string]any) { delete(queryOf(ev), "SdkAppid") }, wantStatus: 403},
		{name: "bad base64", event: "apigateway-base64", mutate: func(ev map[string]any) { ev["body"] = "eyJDYWxsYmFja0NvbW1hbmQi!!" }, wantStatus: 400},
		{name: "base64 flag on a plain JSON body", event: "functionurl-default", mutate: func(ev map[string]any) { ev["isBase64Encoded"] = true }, wantStatus: 400},
		{name: "base64 of a non-object", event: "apigateway-base64", mutate: func(ev map[string]any) { setBody(ev, `["x"]`) }, wantStatus: 400},
		{name: "repeated query key via array", event: "apigateway-trigger", mutate: func(ev map[string]any) {
			queryOf(ev)["SdkAppid"] = []any{"1400123456", "1400123456"}
		}, wantStatus: 400},
		{name: "repeated command via array", event: "functionurl-default", mutate: func(ev map[string]any) {
			queryOf(ev)["CallbackCommand"] = []any{"Room.CallbackAfterCreateRoom", "Room.CallbackAfterCreateRoom"}
		}, wantStatus: 400},
		{name: "contenttype xml", event: "apigateway-trigger", mutate: func(ev map[string]any) { queryOf(ev)["contenttype"] = "xml" }, wantStatus: 400},
		{name: "body not an object", event: "apigateway-trigger", mutate: func(ev map[string]any) { setBody(ev, "roomhook") }, wantStatus: 400},
		{name: "base64 body that is not UTF-8", event: "apigateway-base64", mutate: func(ev map[string]any) {
			setBody(ev, strings.Replace(seedBody, `"admin"`, "\"adm\xffin\"", 1))
		}, wantStatus: 400, wantCode: 40002},
		{name: "RoomId twice in the body", event: "apigateway-trigger", mutate: func(ev map[string]any) {
			setBody(ev, strings.Replace(seedBody, `"RoomId":"tandy-test-rest"`, `"RoomId":"tandy-test-rest","roomid":"other"`, 1))
		}, wantStatus: 400, wantCode: 40008},
		{name: "RoomId twice in a base64 body", event: "apigateway-base64", mutate: func(ev map[string]any) {
			setBody(ev, strings.Replace(seedBody, `"RoomId":"tandy-test-rest"`, `"RoomId":"tandy-test-rest","Room\u0049d":"other"`, 1))
		}, wantStatus: 400, wantCode: 40008},
		{name: "header names in other cases are not read", event: "apigateway-trigger", mutate: func(ev map[string]any) {
			ev["headers"] = map[string]any{"CONTENT-TYPE": "text/xml", "Content-type": "text/plain", "X-SDKAPPID": "1"}
		}, wantStatus: 200},
		{name: "header names in other cases on a function URL", event: "functionurl-default", mutate: func(ev map[string]any) {
			ev["headers"] = map[string]any{"CONTENT-TYPE": "text/xml"}
		}, wantStatus: 200},
		{name: "query names in other cases", event: "functionurl-default", mutate: func(ev map[string]any) {
			ev["queryString"] = map[string]any{"sdkappid": "1400123456", "CALLBACKCOMMAND": "Room.CallbackAfterCreateRoom", "ContentType": "json"}
		}, wantStatus: 200},
		{name: "SdkAppid in two spellings", event: "apigateway-trigger", mutate: func(ev map[string]any) { queryOf(ev)["sdkappid"] = "1400123456" },
			wantStatus: 400, wantCode: 40006},
		{name: "signed", event: "apigateway-trigger", tokens: []string{testToken}, mutate: func(ev map[string]any) { sign(ev, testToken, fixedNow) }, wantStatus: 200},
		{name: "signed, base64 body", event: "apigateway-base64", tokens: []string{"old", testToken}, mutate: func(ev map[string]any) { sign(ev, testToken, fixedNow) }, wantStatus: 200},
		{name: "signed as a one-value array", event: "functionurl-default", tokens: []string{testToken}, mutate: func(ev map[string]any) {
			sign(ev, testToken, fixedNow)
			q := queryOf(ev)
			q["Sign"] = []any{q["Sign"]}
		}, wantStatus: 200},
		{name: "wrong Sign", event: "apigateway-trigger", tokens: []string{testToken}, mutate: func(ev map[string]any) { sign(ev, "not-the-token", fixedNow) }, wantStatus: 401},
		{name: "Sign too old", event: "functionurl-default", tokens: []string{testToken}, mutate: func(ev map[string]any) { sign(ev, testToken, fixedNow.Add(-time.Hour)) }, wantStatus: 401},
		{name: "unsigned with a token configured", event: "functionurl-default", tokens: []string{testToken}, mutate: func(ev map[string]any) {}, wantStatus: 401},
		{name: "Sign as true", event: "functionurl-default", tokens: []string{testToken}, mutate: func(ev map[string]any) {
			sign(ev, testToken, fixedNow)
			queryOf(ev)["Sign"] = true
		}, wantStatus: 401},
		{name: "member leave, signed", event: "functionurl-member-leave", tokens: []string{testToken}, mutate: func(ev map[string]any) { sign(ev, testToken, fixedNow) }, wantStatus: 200},
		{name: "seat change, base64", event: "functionurl-seat-changed", mutate: func(ev map[string]any) {
			ev["isBase64Encoded"] = true
			setBody(ev, samples.Get("seat-changed").Body)
		}, wantStatus: 200},
		{name: "update in the other spelling, query names in other cases", event: "functionurl-update-room-alt", mutate: func(ev map[string]any) {
			ev["queryString"] = map[string]any{"sdkappid": "1400123456", "CALLBACKCOMMAND": callback.CommandUpdateRoomAlt}
		}, wantStatus: 200},
		{name: "member enter named a leave by the query", event: "functionurl-member-enter", mutate: func(ev map[string]any) {
			queryOf(ev)["CallbackCommand"] = callback.CommandMemberLeave
		}, wantStatus: 400},
		{name: "RoomId twice in a destroy", event: "functionurl-destroy-room", mutate: func(ev map[string]any) {
			setBody(ev, strings.Replace(samples.Get("destroy-room").Body, `"RoomId":"tandy-test-rest"`, `"RoomId":"tandy-test-rest","ROOMID":"other"`, 1))
		}, wantStatus: 400, wantCode: 40008},
		{name: "member account too long", event: "functionurl-member-enter", mutate: func(ev map[string]any) {
			setBody(ev, strings.Replace(samples.Get("member-enter").Body, `["user2",`, `["`+strings.Repeat("u", callback.MaxAccountBytes+1)+`",`, 1))
		}, wantStatus: 400},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			st, path := openStore(t)
			f := newFunction(t, st, tt.tokens...)
			out, err := f.Invoke(context.Background(), edit(t, loadGolden(t, tt.event), tt.mutate))
			if err != nil {
				t.Fatalf("Invoke returned an error: %v", err)
			}
			var wantRows rowCounts
			if tt.wantStatus == http.StatusOK {
				checkOK(t, out)
				wantRows = alone(sampleOf(tt.event))
			} else {
				a := checkFail(t, out, tt.wantStatus)
				if allow := a.Headers["Allow"]; (tt.wantStatus == 405) != (allow == "POST") {
					t.Errorf("Allow = %q with status %d", allow, tt.wantStatus)
				}
				if _, p := decodeAnswer(t, out); tt.wantCode != 0 && p.ErrorCode != tt.wantCode {
					t.Errorf("ErrorCode %d, want %d", p.ErrorCode, tt.wantCode)
				}
			}
			if got := counts(t, path); got != wantRows {
				t.Errorf("rows %+v, want %+v", got, wantRows)
			}
		})
	}
}

// TestRender pins the integration response byte for byte.
func TestRender(t *testing.T) {
	out, err := render(callback.Response{StatusCode: 405, Header: map[string]string{"Content-Type": "application/json", "Allow": "POST"}, Body: []byte(`{"ActionStatus":"FAIL","ErrorInfo":"x","ErrorCode":40501}`)})
	if err != nil {
		t.Fatal(err)
	}
	want := `{"isBase64Encoded":false,"statusCode":405,"headers":{"Allow":"POST","Content-Type":"application/json"},"body":"{\"ActionStatus\":\"FAIL\",\"ErrorInfo\":\"x\",\"ErrorCode\":40501}"}`
	if string(out) != want {
		t.Errorf("render:\n got %s\nwant %s", out, want)
	}
	out, err = render(callback.Response{StatusCode: 200})
	if err != nil {
		t.Fatal(err)
	}
	if want := `{"isBase64Encoded":false,"statusCode":200,"headers":{},"body":""}`; string(out) != want {
		t.Errorf("render without headers: got %s, want %s", out, want)
	}
}

// TestGoldenEventsAreTencentShaped checks the samples themselves: the shape each source sends,
// and the callback of the samples' story the name says as the body.
func TestGoldenEventsAreTencentShaped(t *testing.T) {
	for _, g := range goldenEvents(t) {
		t.Run(g.name, func(t *testing.T) {
			var ev map[string]json.RawMessage
			if err := json.Unmarshal(g.data, &ev); err != nil {
				t.Fatal(err)
			}
			need := []string{"body", "headers", "httpMethod", "path", "queryString"}
			_, hasContext := ev["requestContext"]
			switch source, _, _ := strings.Cut(g.name, "-"); source {
			case "apigateway":
				need = append(need, "requestContext", "queryStringParameters", "pathParameters", "headerParameters", "stageVariables")
			case "functionurl":
				// The documented function URL event: no requestContext, no isBase64Encoded,
				// header names in lower case, the sender's address in x-scf-remote-addr.
				if hasContext {
					t.Error("a function URL event has no requestContext")
				}
				if _, ok := ev["isBase64Encoded"]; ok {
					t.Error("a function URL event has no isBase64Encoded")
				}
				var headers map[string]string
				if err := json.Unmarshal(ev["headers"], &headers); err != nil {
					t.Fatalf("headers: %v", err)
				}
				for name := range headers {
					if name != strings.ToLower(name) {
						t.Errorf("header %q is not in lower case", name)
					}
				}
				if headers["x-scf-remote-addr"] == "" {
					t.Error("header x-scf-remote-addr missing")
				}
			default:
				t.Errorf("unknown source %q: name samples <source>-<variant>.json", source)
			}
			for _, k := range need {
				if _, ok := ev[k]; !ok {
					t.Errorf("field %s missing", k)
				}
			}
			if got := request(context.Background(), g.data).Body; !bytes.Equal(got, []byte(g.sample().Body)) {
				t.Errorf("body is not the %s callback: %s", g.sample().Variant, got)
			}
			if q, _ := ev["queryString"]; !strings.Contains(string(q), `"CallbackCommand": "`+g.sample().Command+`"`) {
				t.Errorf("queryString does not name %s: %s", g.sample().Command, q)
			}
		})
	}
}

// TestFunctionURLClientIP: the ClientIP archived is the one Tencent's query string carries (the
// address of the app's client), never the sender's address a function URL adds as
// x-scf-remote-addr or x-forwarded-for; an IPv6 address is kept as given.
func TestFunctionURLClientIP(t *testing.T) {
	for _, ip := range []string{"203.0.113.7", "2001:db8::7", ""} {
		t.Run(ip, func(t *testing.T) {
			st, _ := openStore(t)
			f := newFunction(t, st)
			ev := edit(t, loadGolden(t, "functionurl-default"), func(ev map[string]any) {
				headers := ev["headers"].(map[string]any)
				headers["x-scf-remote-addr"] = "198.51.100.99"
				headers["x-forwarded-for"] = "198.51.100.98"
				if ip == "" {
					delete(queryOf(ev), "ClientIP")
				} else {
					queryOf(ev)["ClientIP"] = ip
				}
			})
			out, err := f.Invoke(context.Background(), ev)
			if err != nil {
				t.Fatal(err)
			}
			checkOK(t, out)
			evs, err := st.Events(context.Background(), testAppID)
			if err != nil {
				t.Fatal(err)
			}
			if len(evs) != 1 || evs[0].ClientIP != ip {
				t.Errorf("archived ClientIP = %+v, want %q", evs, ip)
			}
		})
	}
}

func BenchmarkInvoke(b *testing.B) {
	f := newFunction(b, nopStore{})
	ctx := functioncontext.NewContext(context.Background(), &functioncontext.FunctionContext{RequestID: "bench"})
	for _, g := range goldenEvents(b) {
		b.Run(g.name, func(b *testing.B) {
			b.ReportAllocs()
			b.SetBytes(int64(len(g.data)))
			for b.Loop() {
				out, err := f.Invoke(ctx, g.data)
				if err != nil || !strings.Contains(string(out), `"statusCode":200`) {
					b.Fatalf("%s %v", out, err)
				}
			}
		})
	}
}
