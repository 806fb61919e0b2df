package main

import (
	"context"
	"database/sql"
	"encoding/json"
	"net/url"
	"path/filepath"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/aws/aws-lambda-go/lambdacontext"

	"github.com/roomhook/roomhook/functions/samples"
	"github.com/roomhook/roomhook/pkg/callback"
	"github.com/roomhook/roomhook/pkg/store/sqlite"
)

func lambdaCtx(id string) context.Context {
	return lambdacontext.NewContext(context.Background(), &lambdacontext.LambdaContext{AwsRequestID: id})
}

// TestTranslateGolden checks what each golden event becomes: its source, and the request the
// core sees (method, decoded query, body with base64 undone, the event's request id).
func TestTranslateGolden(t *testing.T) {
	if s := samples.Get("create-room"); seedBody != s.Body || seedQuery != s.RawQuery() {
		t.Fatal("seedBody and seedQuery are not the samples' create-room callback")
	}
	for _, g := range loadGoldens(t) {
		t.Run(g.name, func(t *testing.T) {
			wantQuery := g.sample().Query()
			tr := translate(g.payload)
			if tr.decodeErr != nil || tr.badBase64 {
				t.Fatalf("decodeErr=%v badBase64=%v", tr.decodeErr, tr.badBase64)
			}
			if tr.source != g.source {
				t.Errorf("source = %v, want %v", tr.source, g.source)
			}
			if !strings.HasPrefix(g.name, tr.source.String()) && tr.source != sourceHTTPv1 {
				t.Errorf("file %s is not named after its source %s", g.name, tr.source)
			}
			if g.variant != "create-room" && g.name != tr.source.String()+"-"+g.variant {
				t.Errorf("file %s is not named <source>-<variant>: %s-%s", g.name, tr.source, g.variant)
			}
			if tr.multi != g.multi {
				t.Errorf("multi = %v, want %v", tr.multi, g.multi)
			}
			r := tr.req
			if r.Method != "POST" {
				t.Errorf("Method = %q, want POST", r.Method)
			}
			if !reflect.DeepEqual(r.Query, wantQuery) {
				t.Errorf("Query = %v, want %v", r.Query, wantQuery)
			}
			if string(r.Body) != g.sample().Body {
				t.Errorf("Body = %q, want the %s sample", r.Body, g.variant)
			}
			if r.RequestID != g.requestID {
				t.Errorf("RequestID = %q, want %q", r.RequestID, g.requestID)
			}
		})
	}
}

// TestRequestID checks that the Lambda invocation id wins over the event's request id, and
// that the event's id is used when there is no Lambda context.
func TestRequestID(t *testing.T) {
	for _, g := range loadGoldens(t) {
		t.Run(g.name, func(t *testing.T) {
			st := &memStore{}
			a := newAdapter(t, st)
			if _, err := a.Invoke(lambdaCtx(lambdaReqID), g.payload); err != nil {
				t.Fatal(err)
			}
			if _, err := a.Invoke(context.Background(), g.payload); err != nil {
				t.Fatal(err)
			}
			if len(st.events) != 2 {
				t.Fatalf("%d events saved, want 2", len(st.events))
			}
			if got := st.events[0].RequestID; got != lambdaReqID {
				t.Errorf("with a Lambda context RequestID = %q, want %q", got, lambdaReqID)
			}
			if got := st.events[1].RequestID; got != g.requestID {
				t.Errorf("without a Lambda context RequestID = %q, want %q", got, g.requestID)
			}
		})
	}
}

// openStore opens a real SQLite store in a temp dir and returns it with its file path.
func openStore(t *testing.T) (*sqlite.Store, string) {
	t.Helper()
	path := filepath.Join(t.TempDir(), "roomhook.db")
	st, err := sqlite.Open(context.Background(), path, sqlite.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	return st, path
}

// rowCounts counts the rows of the tables docs/tables.md names, straight from the file: the
// archive and every table of the projection.
type rowCounts struct {
	events int
	samples.Counts
}

func countRows(t *testing.T, path string) rowCounts {
	t.Helper()
	db, err := sql.Open("sqlite", path)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	var n rowCounts
	for table, dst := range map[string]*int{"callback_events": &n.events, callback.RoomsTable.Name: &n.Rooms,
		callback.MembersTable.Name: &n.Members, callback.SeatsTable.Name: &n.Seats, callback.AdminsTable.Name: &n.Admins,
		callback.MetadataTable.Name: &n.Metadata, callback.BattlesTable.Name: &n.Battles, callback.GiftsTable.Name: &n.Gifts} {
		if err := db.QueryRow(`SELECT count(*) FROM ` + table).Scan(dst); err != nil {
			t.Fatal(err)
		}
	}
	return n
}

// alone is what one accepted delivery of g's callback leaves in an empty store.
func alone(g golden) rowCounts {
	return rowCounts{events: 1, Counts: g.sample().Counts}
}

// TestRoundTrip sends every golden event through the adapter and a real handler on a real
// SQLite store, twice (the second is a duplicate delivery, but of the gift, which has no
// EventTime: each delivery of it is kept): both are answered 200 with the exact success packet
// in the caller's response shape, one archive row remains, and the rows the callback projects
// into. Then the whole story, every golden into one store in reverse, leaves the stories' rows:
// the Room room's and the Live room's.
func TestRoundTrip(t *testing.T) {
	files := loadGoldens(t)
	for _, g := range files {
		t.Run(g.name, func(t *testing.T) {
			st, path := openStore(t)
			a := newAdapter(t, st)
			for i := range 2 {
				out, err := a.Invoke(lambdaCtx(lambdaReqID+strconv.Itoa(i)), g.payload)
				if err != nil {
					t.Fatal(err)
				}
				r := parseResponse(t, out, g.source, g.multi)
				if r.StatusCode != 200 || *r.Body != okPacket {
					t.Fatalf("delivery %d: status %d body %q, want 200 %s", i+1, r.StatusCode, *r.Body, okPacket)
				}
				if ct := r.header("Content-Type"); ct != "application/json" {
					t.Errorf("Content-Type = %q", ct)
				}
			}
			ctx := context.Background()
			s := g.sample()
			if s.Command == callback.CommandCreateRoom {
				room, err := callback.ReadRoom(ctx, st, testAppID, seedRoomID)
				if err != nil {
					t.Fatal(err)
				}
				if room.EventTime != 1703589922780 || room.Info.OwnerAccount == nil || *room.Info.OwnerAccount != "user3" {
					t.Errorf("room row = %+v", room)
				}
			}
			evs, err := st.Events(ctx, testAppID)
			if err != nil {
				t.Fatal(err)
			}
			want := alone(g.golden)
			if s.EveryDelivery() { // the gift: two deliveries, two archive rows, two ledger rows
				want.events, want.Gifts = 2, 2*want.Gifts
			}
			if len(evs) != want.events {
				t.Fatalf("%d archive rows, want %d", len(evs), want.events)
			}
			for i, ev := range evs {
				if ev.RequestID != lambdaReqID+strconv.Itoa(i) || ev.ClientIP != "203.0.113.7" || ev.OptPlatform != "RESTAPI" ||
					ev.Command != s.Command || string(ev.Raw) != s.Body || ev.EventTime != s.EventTime || ev.RoomID != s.Room() {
					t.Errorf("archive row = %+v", ev)
				}
			}
			if got := countRows(t, path); got != want {
				t.Errorf("rows %+v, want %+v", got, want)
			}
		})
	}
	t.Run("the story in one store", func(t *testing.T) {
		st, path := openStore(t)
		a := newAdapter(t, st)
		for i := range files {
			g := files[len(files)-1-i]
			out, err := a.Invoke(lambdaCtx(lambdaReqID), g.payload)
			if err != nil {
				t.Fatal(err)
			}
			if r := parseResponse(t, out, g.source, g.multi); r.StatusCode != 200 || *r.Body != okPacket {
				t.Fatalf("%s: status %d body %q", g.name, r.StatusCode, *r.Body)
			}
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
		if n, want := countRows(t, path), len(samples.Story)+len(samples.LiveStory); n.events != want {
			t.Errorf("%d archive rows, want one per callback of the stories (%d)", n.events, want)
		}
	})
}

// mutation changes a golden event carrying sample s; it returns false when the shape cannot
// carry the change.
type mutation func(m mutable, s samples.Sample) bool

func withQuery(ps []pair) mutation {
	return func(m mutable, _ samples.Sample) bool { return m.setQuery(ps) }
}

// withOwnQuery sets the sample's own query string changed by f.
func withOwnQuery(f func(ps []pair) []pair) mutation {
	return func(m mutable, s samples.Sample) bool { return m.setQuery(f(queryPairs(s.RawQuery()))) }
}

func withExtra(ps ...pair) mutation {
	return withOwnQuery(func(own []pair) []pair { return append(own, ps...) })
}

func withSeedParam(name, value string) mutation {
	return withOwnQuery(func(own []pair) []pair {
		for i := range own {
			if own[i].name == name {
				own[i].value = value
			}
		}
		return own
	})
}

func withoutParam(name string) mutation {
	return withOwnQuery(func(own []pair) []pair {
		return slices.DeleteFunc(own, func(p pair) bool { return p.name == name })
	})
}

func withSigned(token string) mutation {
	return withOwnQuery(func(own []pair) []pair {
		rt := strconv.FormatInt(fixedNow.Unix(), 10)
		return append(own, pair{"Sign", callback.Sign(token, rt)}, pair{"RequestTime", rt})
	})
}

func withBody(f func(body string) string) mutation {
	return func(m mutable, s samples.Sample) bool { m.setBody([]byte(f(s.Body))); return true }
}

// withRoomIDTwice is s's body with extra, another spelling of RoomId, right after its RoomId;
// false when the body has no RoomId of its room (the threshold has none, a battle's create
// names its room FromRoomId).
func withRoomIDTwice(s samples.Sample, extra string) (string, bool) {
	id := `"RoomId":` + strconv.Quote(s.Room())
	if s.Room() == "" || !strings.Contains(s.Body, id) {
		return "", false
	}
	return mustReplace(s.Body, id, id+","+extra), true
}

// mustReplace replaces the first old in s, and panics when s has none: a mutation that changes
// nothing would test nothing.
func mustReplace(s, old, new string) string {
	if !strings.Contains(s, old) {
		panic("no " + old + " in " + s)
	}
	return strings.Replace(s, old, new, 1)
}

// TestMutations runs changed golden events of every shape through a real handler and store.
// Rejected requests are answered in the caller's shape with the core's status and a FAIL
// packet, and leave no row.
func TestMutations(t *testing.T) {
	cases := []struct {
		name       string
		tokens     []string
		mutate     mutation
		wantStatus int
		wantCode   int // the packet's ErrorCode, when the case pins it
		wantHeader map[string]string
		check      func(t *testing.T, ev callback.Event) // for accepted events
	}{
		{name: "method GET", mutate: func(m mutable, _ samples.Sample) bool { m.setMethod("GET"); return true },
			wantStatus: 405, wantHeader: map[string]string{"Allow": "POST"}},
		{name: "method lowercase post", mutate: func(m mutable, _ samples.Sample) bool { m.setMethod("post"); return true },
			wantStatus: 405},
		{name: "unknown SdkAppid", mutate: withSeedParam("SdkAppid", "1400999999"), wantStatus: 403},
		{name: "no SdkAppid", mutate: withoutParam("SdkAppid"), wantStatus: 403},
		{name: "no query at all", mutate: withQuery(nil), wantStatus: 403},
		{name: "repeated SdkAppid", mutate: withExtra(pair{"SdkAppid", "1400123456"}), wantStatus: 400},
		{name: "repeated CallbackCommand", mutate: withExtra(pair{"CallbackCommand", "Room.CallbackAfterDestroyRoom"}), wantStatus: 400},
		{name: "contenttype xml", mutate: withSeedParam("contenttype", "xml"), wantStatus: 400},
		{name: "body not JSON", mutate: withBody(func(string) string { return "RoomId=tandy-test-rest" }), wantStatus: 400},
		{name: "empty body", mutate: withBody(func(string) string { return "" }), wantStatus: 400},
		{name: "bad base64", mutate: func(m mutable, _ samples.Sample) bool {
			m["isBase64Encoded"], m["body"] = true, "eyJDYWxsYmFja0NvbW1hbmQi*not*base64"
			return true
		}, wantStatus: 400},
		{name: "JSON body flagged base64", mutate: func(m mutable, s samples.Sample) bool {
			m["isBase64Encoded"], m["body"] = true, s.Body
			return true
		}, wantStatus: 400},
		{name: "base64 body", mutate: func(m mutable, s samples.Sample) bool {
			m["isBase64Encoded"] = true
			m.setBody([]byte(s.Body))
			return true
		}, wantStatus: 200},
		{name: "values that need encoding", mutate: func(m mutable, s samples.Sample) bool {
			return m.setQuery([]pair{{"SdkAppid", "1400123456"}, {"CallbackCommand", s.Command},
				{"contenttype", "json"}, {"ClientIP", "2001:db8::7"}, {"OptPlatform", "Web & Mac/中文+1"}})
		}, wantStatus: 200, check: func(t *testing.T, ev callback.Event) {
			if ev.ClientIP != "2001:db8::7" || ev.OptPlatform != "Web & Mac/中文+1" {
				t.Errorf("stored ClientIP %q OptPlatform %q, want them decoded", ev.ClientIP, ev.OptPlatform)
			}
		}},
		{name: "base64 body that is not UTF-8", mutate: func(m mutable, s samples.Sample) bool {
			m["isBase64Encoded"] = true
			// In the RoomId, or in the CallbackCommand of a body without one (the threshold, a
			// battle's create); Live's member states and seat change have no Operator_Account.
			field := `"RoomId":"`
			if !strings.Contains(s.Body, field) {
				field = `"CallbackCommand":"`
			}
			m.setBody([]byte(mustReplace(s.Body, field, field+"\xff")))
			return true
		}, wantStatus: 400, wantCode: 40002},
		{name: "base64 body of an array", mutate: func(m mutable, s samples.Sample) bool {
			m["isBase64Encoded"] = true
			m.setBody([]byte(`[` + s.Body + `]`))
			return true
		}, wantStatus: 400, wantCode: 40002},
		{name: "RoomId twice in the body", mutate: func(m mutable, s samples.Sample) bool {
			body, ok := withRoomIDTwice(s, `"roomid":"other"`)
			m.setBody([]byte(body))
			return ok
		}, wantStatus: 400, wantCode: 40008},
		{name: "RoomId twice in a base64 body", mutate: func(m mutable, s samples.Sample) bool {
			body, ok := withRoomIDTwice(s, `"Room\u0049d":"other"`)
			m["isBase64Encoded"] = true
			m.setBody([]byte(body))
			return ok
		}, wantStatus: 400, wantCode: 40008},
		{name: "the query names another command than the body", mutate: func(m mutable, s samples.Sample) bool {
			other := callback.CommandDestroyRoom
			if s.Command == other {
				other = callback.CommandCreateRoom
			}
			return withSeedParam("CallbackCommand", other)(m, s)
		}, wantStatus: 400},
		{name: "header names in other cases are not read", mutate: func(m mutable, _ samples.Sample) bool {
			if _, ok := m["multiValueHeaders"]; ok {
				m["multiValueHeaders"] = map[string]any{"CONTENT-TYPE": []any{"text/xml"}, "content-type": []any{"text/plain"}}
			}
			m["headers"] = map[string]any{"CONTENT-TYPE": "text/xml", "Content-type": "text/plain", "X-SDKAPPID": "1"}
			return true
		}, wantStatus: 200},
		{name: "signed", tokens: []string{testToken}, mutate: withSigned(testToken), wantStatus: 200},
		{name: "signed with the second token", tokens: []string{"old-token", testToken}, mutate: withSigned(testToken), wantStatus: 200},
		{name: "wrong Sign", tokens: []string{testToken}, mutate: withSigned("another-token"), wantStatus: 401},
		{name: "unsigned with a token configured", tokens: []string{testToken}, mutate: func(mutable, samples.Sample) bool { return true }, wantStatus: 401},
	}
	for _, g := range loadGoldens(t) {
		for _, c := range cases {
			t.Run(g.name+"/"+c.name, func(t *testing.T) {
				m := parseMutable(t, g.payload)
				if !c.mutate(m, g.sample()) {
					t.Skip("this shape cannot carry the change")
				}
				st, path := openStore(t)
				a := newAdapter(t, st, c.tokens...)
				out, err := a.Invoke(lambdaCtx(lambdaReqID), m.bytes(t))
				if err != nil {
					t.Fatalf("Invoke returned an error: %v", err)
				}
				r := parseResponse(t, out, g.source, g.multi)
				if r.StatusCode != c.wantStatus {
					t.Fatalf("status %d, want %d; response %s", r.StatusCode, c.wantStatus, out)
				}
				for k, v := range c.wantHeader {
					if got := r.header(k); got != v {
						t.Errorf("header %s = %q, want %q", k, got, v)
					}
				}
				n := countRows(t, path)
				if c.wantStatus != 200 {
					if status, code := r.packet(t); status != "FAIL" || code == 0 || (c.wantCode != 0 && code != c.wantCode) {
						t.Errorf("packet %s/%d, want FAIL with code %d", status, code, c.wantCode)
					}
					if n != (rowCounts{}) {
						t.Errorf("a rejected request left rows: %+v", n)
					}
					return
				}
				if *r.Body != okPacket {
					t.Errorf("body %q, want %s", *r.Body, okPacket)
				}
				if want := alone(g.golden); n != want {
					t.Errorf("rows %+v, want %+v", n, want)
				}
				if c.check != nil {
					evs, err := st.Events(context.Background(), testAppID)
					if err != nil || len(evs) != 1 {
						t.Fatalf("Events: %v, %d rows", err, len(evs))
					}
					c.check(t, evs[0])
				}
			})
		}
	}
}

// TestALBQueryDecoding checks that ALB's still-encoded query names and values reach the core
// decoded, and that a component that is not a valid encoding is kept as sent.
func TestALBQueryDecoding(t *testing.T) {
	sent := map[string]string{
		"Sdk%41ppid":      "1400123456",
		"CallbackCommand": "Room%2ECallbackAfterCreateRoom",
		"contenttype":     "json",
		"ClientIP":        "2001%3adb8%3A%3A7",
		"OptPlatform":     "Web%zz",
		"note":            "a+b%20c",
	}
	want := url.Values{
		"SdkAppid":        {"1400123456"},
		"CallbackCommand": {"Room.CallbackAfterCreateRoom"},
		"contenttype":     {"json"},
		"ClientIP":        {"2001:db8::7"},
		"OptPlatform":     {"Web%zz"},
		"note":            {"a b c"},
	}
	for _, g := range loadGoldens(t) {
		if g.source != sourceALB {
			continue
		}
		t.Run(g.name, func(t *testing.T) {
			m := parseMutable(t, g.payload)
			if g.multi {
				mv := map[string]any{}
				for k, v := range sent {
					mv[k] = []any{v}
				}
				m["multiValueQueryStringParameters"] = mv
			} else {
				sv := map[string]any{}
				for k, v := range sent {
					sv[k] = v
				}
				m["queryStringParameters"] = sv
			}
			payload := m.bytes(t)
			if got := translate(payload).req.Query; !reflect.DeepEqual(got, want) {
				t.Errorf("Query = %v, want %v", got, want)
			}
			st, _ := openStore(t)
			out, err := newAdapter(t, st).Invoke(context.Background(), payload)
			if err != nil {
				t.Fatal(err)
			}
			if r := parseResponse(t, out, g.source, g.multi); r.StatusCode != 200 {
				t.Fatalf("status %d: %s", r.StatusCode, out)
			}
			evs, err := st.Events(context.Background(), testAppID)
			if err != nil || len(evs) != 1 {
				t.Fatalf("Events: %v, %d rows", err, len(evs))
			}
			if evs[0].ClientIP != "2001:db8::7" || evs[0].OptPlatform != "Web%zz" {
				t.Errorf("stored ClientIP %q OptPlatform %q", evs[0].ClientIP, evs[0].OptPlatform)
			}
		})
	}
}

// TestV2Query checks the 2.0 shape's query sources: rawQueryString keeps repeated names
// apart (queryStringParameters would join them with a comma), and queryStringParameters is
// only read when there is no rawQueryString.
func TestV2Query(t *testing.T) {
	tr := translate([]byte(`{"version":"2.0","rawQueryString":"SdkAppid=1&SdkAppid=2&x=a%2Cb",
		"queryStringParameters":{"SdkAppid":"1,2","x":"a,b"},"requestContext":{"http":{"method":"POST"}}}`))
	if want := (url.Values{"SdkAppid": {"1", "2"}, "x": {"a,b"}}); !reflect.DeepEqual(tr.req.Query, want) {
		t.Errorf("with rawQueryString: Query = %v, want %v", tr.req.Query, want)
	}
	tr = translate([]byte(`{"version":"2.0","queryStringParameters":{"SdkAppid":"1"},"requestContext":{"http":{"method":"POST"}}}`))
	if want := (url.Values{"SdkAppid": {"1"}}); !reflect.DeepEqual(tr.req.Query, want) {
		t.Errorf("without rawQueryString: Query = %v, want %v", tr.req.Query, want)
	}
	// A pair that does not parse is left out; the others stay.
	tr = translate([]byte(`{"version":"2.0","rawQueryString":"Sign=%zz&SdkAppid=1","requestContext":{"http":{"method":"POST"}}}`))
	if want := (url.Values{"SdkAppid": {"1"}}); !reflect.DeepEqual(tr.req.Query, want) {
		t.Errorf("bad escape: Query = %v, want %v", tr.req.Query, want)
	}
}

// TestV1Query checks that the REST shape prefers the multi-value parameters and falls back
// on the single-value ones.
func TestV1Query(t *testing.T) {
	tr := translate([]byte(`{"httpMethod":"POST","queryStringParameters":{"a":"2"},"multiValueQueryStringParameters":{"a":["1","2"]}}`))
	if want := (url.Values{"a": {"1", "2"}}); !reflect.DeepEqual(tr.req.Query, want) {
		t.Errorf("Query = %v, want %v", tr.req.Query, want)
	}
	tr = translate([]byte(`{"httpMethod":"POST","queryStringParameters":{"a":"2"},"multiValueQueryStringParameters":null}`))
	if want := (url.Values{"a": {"2"}}); !reflect.DeepEqual(tr.req.Query, want) {
		t.Errorf("Query = %v, want %v", tr.req.Query, want)
	}
}

// TestDetect pins how shapes are told apart, including minimal hand-written events.
func TestDetect(t *testing.T) {
	cases := []struct {
		event string
		want  source
	}{
		{`{"httpMethod":"POST"}`, sourceREST},
		{`{"version":"1.0","httpMethod":"POST"}`, sourceHTTPv1},
		{`{"version":"2.0","requestContext":{"http":{"method":"POST"}}}`, sourceHTTP},
		{`{"requestContext":{"http":{"method":"POST"}}}`, sourceHTTP},
		{`{"version":"2.0","requestContext":{"domainName":"abc.lambda-url.us-east-1.on.aws","http":{"method":"POST"}}}`, sourceFunctionURL},
		{`{"httpMethod":"POST","requestContext":{"elb":{"targetGroupArn":"arn:aws:elasticloadbalancing:x"}}}`, sourceALB},
		{`{"httpMethod":"POST","multiValueHeaders":null,"requestContext":{"elb":{"targetGroupArn":"arn"}}}`, sourceALB},
		{`{}`, sourceUnknown},
		{`{"Records":[{"eventSource":"aws:sqs"}]}`, sourceUnknown},
		{`{"requestContext":{"elb":{}}}`, sourceUnknown},
	}
	for _, c := range cases {
		if got := translate([]byte(c.event)).source; got != c.want {
			t.Errorf("%s: source %v, want %v", c.event, got, c.want)
		}
	}
	// ALB: multi-value mode is told by either multi-value field, never by null.
	for event, want := range map[string]bool{
		`{"httpMethod":"POST","requestContext":{"elb":{"targetGroupArn":"a"}},"multiValueHeaders":{}}`:               true,
		`{"httpMethod":"POST","requestContext":{"elb":{"targetGroupArn":"a"}},"multiValueQueryStringParameters":{}}`: true,
		`{"httpMethod":"POST","requestContext":{"elb":{"targetGroupArn":"a"}},"multiValueHeaders":null}`:             false,
		`{"httpMethod":"POST","requestContext":{"elb":{"targetGroupArn":"a"}},"headers":{}}`:                         false,
	} {
		if got := translate([]byte(event)).multi; got != want {
			t.Errorf("%s: multi %v, want %v", event, got, want)
		}
	}
}

// unknownEvents are payloads of no shape the adapter knows.
var unknownEvents = []string{
	``,
	`not json`,
	`{"httpMethod":"POST"`,
	`null`,
	`[]`,
	`"POST"`,
	`42`,
	`{}`,
	`{"httpMethod":5}`,
	`{"body":{"CallbackCommand":"Room.CallbackAfterCreateRoom"}}`,
	`{"Records":[{"eventSource":"aws:sqs","body":"{}"}]}`,
}

// TestUnknownShape checks that an event of no known shape gets the core's refusal (no
// method: 405 with a FAIL packet) in the 2.0 response shape: no error, no panic, no row.
func TestUnknownShape(t *testing.T) {
	for _, e := range unknownEvents {
		t.Run(strconv.Quote(e), func(t *testing.T) {
			st := &memStore{}
			out, err := newAdapter(t, st).Invoke(context.Background(), []byte(e))
			if err != nil {
				t.Fatalf("Invoke returned an error: %v", err)
			}
			r := parseResponse(t, out, sourceUnknown, false)
			if r.StatusCode != 405 || r.header("Allow") != "POST" {
				t.Errorf("status %d Allow %q, want 405 POST: %s", r.StatusCode, r.header("Allow"), out)
			}
			if status, _ := r.packet(t); status != "FAIL" {
				t.Errorf("packet %s, want FAIL", status)
			}
			if len(st.events) != 0 {
				t.Errorf("an unknown event was stored")
			}
		})
	}
}

// TestRenderBody checks that any body the core may answer survives rendering byte for byte.
func TestRenderBody(t *testing.T) {
	bodies := []string{okPacket, "", "line\nbreak\ttab \"quote\" back\\slash \x00\x1f\x7f", "中文 \u2028 \u2029 😀", "<>&"}
	for _, src := range []source{sourceREST, sourceHTTP, sourceALB} {
		for _, multi := range []bool{false, true} {
			if multi && src != sourceALB {
				continue
			}
			for _, b := range bodies {
				tr := &translation{source: src, multi: multi}
				out := render(tr, callback.Response{StatusCode: 201, Header: map[string]string{"Content-Type": "application/json", "Allow": "POST", "X-Q": "\"a\"\n"}, Body: []byte(b)})
				if !json.Valid(out) {
					t.Fatalf("invalid JSON: %s", out)
				}
				var r response
				if err := json.Unmarshal(out, &r); err != nil {
					t.Fatal(err)
				}
				if r.StatusCode != 201 || *r.Body != b || r.header("X-Q") != "\"a\"\n" || r.header("Allow") != "POST" {
					t.Errorf("%v multi=%v: got %s", src, multi, out)
				}
			}
		}
	}
}
