package callback_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"log/slog"
	"net/http"
	"net/url"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/roomhook/roomhook/pkg/callback"
	"github.com/roomhook/roomhook/pkg/store/sqlite"
)

const (
	app       = 1400123456
	token     = "tok-en_1"
	seedBody  = `{"CallbackCommand":"Room.CallbackAfterCreateRoom","Operator_Account":"admin","RoomInfo":{"RoomId":"tandy-test-rest","RoomName":"tandy-test-rest","RoomType":"Meeting","Owner_Account":"user3","MaxMemberCount":300,"MaxSeatCount":16,"IsVideoDisabled":true,"IsAudioDisabled":true,"IsMessageDisabled":true,"IsScreenSharingDisabled":true,"IsCloudRecordingDisabled":true,"CustomInfo":"custom123","ScheduleStartTime":1703589922,"ScheduleEndTime":1703593522,"RoomStatus":"Running","IsSeatEnabled":true,"TakeSeatMode":"ApplyToTake","CreateTime":1703589922},"ScheduleInviteeList_Account":["user2","user3","user3"],"EventTime":1703589922780}`
	okPacket  = `{"ActionStatus":"OK","ErrorInfo":"","ErrorCode":0}`
	createCmd = callback.CommandCreateRoom
)

var now = time.Unix(1703589923, 0)

// seedRequest is the request Tencent sends for the seed's room, signed when signed is true.
func seedRequest(signed bool) callback.Request {
	q := url.Values{
		"SdkAppid":        {strconv.Itoa(app)},
		"CallbackCommand": {createCmd},
		"contenttype":     {"json"},
		"ClientIP":        {"203.0.113.7"},
		"OptPlatform":     {"RESTAPI"},
	}
	if signed {
		rt := strconv.FormatInt(now.Unix(), 10)
		q.Set("RequestTime", rt)
		q.Set("Sign", callback.Sign(token, rt))
	}
	return callback.Request{Method: "POST", Query: q, Body: []byte(seedBody), RequestID: "req-1"}
}

type fixture struct {
	h     *callback.Handler
	store *sqlite.Store
	logs  *bytes.Buffer
}

func newFixture(t *testing.T, tokens ...string) *fixture {
	t.Helper()
	st, err := sqlite.Open(context.Background(), filepath.Join(t.TempDir(), "r.db"), sqlite.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	return newFixtureWith(t, st, st, tokens...)
}

func newFixtureWith(t *testing.T, save callback.Store, st *sqlite.Store, tokens ...string) *fixture {
	t.Helper()
	logs := &bytes.Buffer{}
	h, err := callback.NewHandler(callback.Options{
		SdkAppIDs:     []int64{app, 1400000001},
		Tokens:        tokens,
		SignTolerance: time.Minute,
		Store:         save,
		StoreTimeout:  500 * time.Millisecond,
		Logger:        slog.New(slog.NewJSONHandler(logs, nil)),
		Now:           func() time.Time { return now },
	})
	if err != nil {
		t.Fatal(err)
	}
	return &fixture{h: h, store: st, logs: logs}
}

func (f *fixture) events(t *testing.T) []callback.Event {
	t.Helper()
	evs, err := f.store.Events(context.Background(), app)
	if err != nil {
		t.Fatal(err)
	}
	return evs
}

func code(t *testing.T, r callback.Response) int {
	t.Helper()
	var p struct {
		ActionStatus string
		ErrorInfo    string
		ErrorCode    int
	}
	if err := json.Unmarshal(r.Body, &p); err != nil {
		t.Fatalf("answer is not JSON: %q", r.Body)
	}
	if (p.ActionStatus == "OK") != (p.ErrorCode == 0) || (p.ActionStatus != "OK" && p.ActionStatus != "FAIL") {
		t.Fatalf("inconsistent packet %q", r.Body)
	}
	return p.ErrorCode
}

// TestStatusTable walks every row of DESIGN.md's answer table through a real SQLite store.
func TestStatusTable(t *testing.T) {
	tests := []struct {
		name       string
		signed     bool // handler configured with a token
		mutate     func(r *callback.Request)
		wantStatus int
		wantCode   int
		wantRows   int // archive rows after the request
	}{
		{"stored", false, func(r *callback.Request) {}, 200, 0, 1},
		{"stored, signed", true, func(r *callback.Request) {}, 200, 0, 1},
		{"unknown command archived", false, func(r *callback.Request) {
			r.Query.Set("CallbackCommand", "Group.CallbackAfterCreateGroup")
			r.Body = []byte(`{"CallbackCommand":"Group.CallbackAfterCreateGroup","GroupId":"g1","EventTime":5}`)
		}, 200, 0, 1},
		{"unknown command without contenttype", false, func(r *callback.Request) {
			r.Query.Del("contenttype")
		}, 200, 0, 1},
		{"GET", false, func(r *callback.Request) { r.Method = "GET" }, 405, 40501, 0},
		{"lowercase post", false, func(r *callback.Request) { r.Method = "post" }, 405, 40501, 0},
		{"body 1 MiB + 1", false, func(r *callback.Request) { r.Body = bytes.Repeat([]byte(" "), callback.MaxBodyBytes+1) }, 413, 41301, 0},
		{"contenttype xml", false, func(r *callback.Request) { r.Query.Set("contenttype", "xml") }, 400, 40001, 0},
		{"contenttype JSON upper case", false, func(r *callback.Request) { r.Query.Set("contenttype", "JSON") }, 200, 0, 1},
		{"body an array", false, func(r *callback.Request) { r.Body = []byte(`[]`) }, 400, 40002, 0},
		{"body empty", false, func(r *callback.Request) { r.Body = nil }, 400, 40002, 0},
		{"RoomId missing", false, func(r *callback.Request) {
			r.Body = []byte(`{"CallbackCommand":"Room.CallbackAfterCreateRoom","RoomInfo":{},"EventTime":1}`)
		}, 400, 40003, 0},
		{"MaxMemberCount overflows", false, func(r *callback.Request) {
			r.Body = bytes.Replace(r.Body, []byte(`300`), []byte(`9223372036854775808`), 1)
		}, 400, 40003, 0},
		{"RoomId of 256 bytes", false, func(r *callback.Request) {
			r.Body = bytes.Replace(r.Body, []byte(`"RoomId":"tandy-test-rest"`), []byte(`"RoomId":"`+strings.Repeat("r", 256)+`"`), 1)
		}, 400, 40003, 0},
		{"RoomId of 255 bytes", false, func(r *callback.Request) {
			r.Body = bytes.Replace(r.Body, []byte(`"RoomId":"tandy-test-rest"`), []byte(`"RoomId":"`+strings.Repeat("r", 255)+`"`), 1)
		}, 200, 0, 1},
		{"unknown command of 129 bytes", false, func(r *callback.Request) {
			cmd := "X." + strings.Repeat("c", 127)
			r.Query.Set("CallbackCommand", cmd)
			r.Body = []byte(`{"CallbackCommand":"` + cmd + `"}`)
		}, 400, 40003, 0},
		{"command missing from query", false, func(r *callback.Request) { r.Query.Del("CallbackCommand") }, 400, 40004, 0},
		{"commands differ", false, func(r *callback.Request) {
			r.Body = bytes.Replace(r.Body, []byte(`"Room.CallbackAfterCreateRoom"`), []byte(`"Room.CallbackAfterDestroyRoom"`), 1)
		}, 400, 40005, 0},
		{"command missing from body", false, func(r *callback.Request) {
			r.Body = bytes.Replace(r.Body, []byte(`"CallbackCommand":"Room.CallbackAfterCreateRoom",`), nil, 1)
		}, 400, 40005, 0},
		{"repeated SdkAppid", false, func(r *callback.Request) { r.Query["SdkAppid"] = []string{"1400123456", "1400123456"} }, 400, 40006, 0},
		{"SdkAppid with no value at all", false, func(r *callback.Request) { r.Query["SdkAppid"] = []string{} }, 400, 40007, 0},
		{"ClientIP with NUL", false, func(r *callback.Request) { r.Query.Set("ClientIP", "1.2.3.4\x00") }, 400, 40007, 0},
		{"OptPlatform not UTF-8", false, func(r *callback.Request) { r.Query.Set("OptPlatform", "Web\xff") }, 400, 40007, 0},
		{"RoomName with NUL", false, func(r *callback.Request) {
			r.Body = bytes.Replace(r.Body, []byte(`"RoomName":"tandy-test-rest"`), []byte(`"RoomName":"a\u0000b"`), 1)
		}, 400, 40003, 0},
		{"RoomId with NUL", false, func(r *callback.Request) {
			r.Body = bytes.Replace(r.Body, []byte(`"RoomId":"tandy-test-rest"`), []byte(`"RoomId":"a\u0000"`), 1)
		}, 400, 40003, 0},
		{"SdkAppid in two spellings", false, func(r *callback.Request) { r.Query.Set("SDKAppID", "1400000001") }, 400, 40006, 0},
		{"query names in other case", false, func(r *callback.Request) {
			r.Query = url.Values{"sdkappid": {"1400123456"}, "callbackcommand": {createCmd}, "ContentType": {"json"}}
		}, 200, 0, 1},
		{"sign missing", true, func(r *callback.Request) { r.Query.Del("Sign") }, 401, 40101, 0},
		{"request time missing", true, func(r *callback.Request) { r.Query.Del("RequestTime") }, 401, 40101, 0},
		{"sign wrong", true, func(r *callback.Request) { r.Query.Set("Sign", callback.Sign("guess", r.Query.Get("RequestTime"))) }, 401, 40103, 0},
		{"request time expired", true, func(r *callback.Request) {
			rt := strconv.FormatInt(now.Add(-2*time.Minute).Unix(), 10)
			r.Query.Set("RequestTime", rt)
			r.Query.Set("Sign", callback.Sign(token, rt))
		}, 401, 40102, 0},
		{"request time in the future", true, func(r *callback.Request) {
			rt := strconv.FormatInt(now.Add(2*time.Minute).Unix(), 10)
			r.Query.Set("RequestTime", rt)
			r.Query.Set("Sign", callback.Sign(token, rt))
		}, 401, 40102, 0},
		{"SdkAppid missing", false, func(r *callback.Request) { r.Query.Del("SdkAppid") }, 403, 40301, 0},
		{"SdkAppid of another app", false, func(r *callback.Request) { r.Query.Set("SdkAppid", "1400999999") }, 403, 40302, 0},
		{"SdkAppid with a leading zero", false, func(r *callback.Request) { r.Query.Set("SdkAppid", "01400123456") }, 403, 40302, 0},
		{"SdkAppid with spaces", false, func(r *callback.Request) { r.Query.Set("SdkAppid", " 1400123456") }, 403, 40302, 0},
		{"unauthenticated and forbidden: forbidden first", true, func(r *callback.Request) {
			r.Query.Set("SdkAppid", "1")
			r.Query.Del("Sign")
		}, 403, 40302, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var f *fixture
			if tt.signed {
				f = newFixture(t, "old-token", token)
			} else {
				f = newFixture(t)
			}
			req := seedRequest(tt.signed)
			tt.mutate(&req)
			resp := f.h.Handle(context.Background(), req)
			if resp.StatusCode != tt.wantStatus {
				t.Fatalf("status = %d, want %d (body %s)", resp.StatusCode, tt.wantStatus, resp.Body)
			}
			if got := code(t, resp); got != tt.wantCode {
				t.Fatalf("ErrorCode = %d, want %d", got, tt.wantCode)
			}
			if resp.Header["Content-Type"] != "application/json" {
				t.Fatalf("Content-Type = %q", resp.Header["Content-Type"])
			}
			if tt.wantStatus == 200 && string(resp.Body) != okPacket {
				t.Fatalf("body = %s, want exactly %s", resp.Body, okPacket)
			}
			if tt.wantStatus == 405 && resp.Header["Allow"] != "POST" {
				t.Fatalf("Allow = %q", resp.Header["Allow"])
			}
			if got := len(f.events(t)); got != tt.wantRows {
				t.Fatalf("archive rows = %d, want %d", got, tt.wantRows)
			}
			if tt.wantRows == 0 {
				if _, err := f.store.Room(context.Background(), app, "tandy-test-rest"); !errors.Is(err, callback.ErrNotFound) {
					t.Fatalf("a rejected request left a room: %v", err)
				}
			}
			if strings.Contains(f.logs.String(), token) {
				t.Fatal("the token reached a log line")
			}
		})
	}
}

func TestDuplicateAndStale(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	newer := seedRequest(false)
	older := seedRequest(false)
	older.Body = bytes.Replace(older.Body, []byte(`1703589922780`), []byte(`1703589922000`), 1)
	older.Body = bytes.Replace(older.Body, []byte(`"RoomName":"tandy-test-rest"`), []byte(`"RoomName":"old name"`), 1)

	for i, req := range []callback.Request{newer, newer, older} {
		if r := f.h.Handle(ctx, req); r.StatusCode != 200 || string(r.Body) != okPacket {
			t.Fatalf("request %d: %d %s", i, r.StatusCode, r.Body)
		}
	}
	if n := len(f.events(t)); n != 2 {
		t.Fatalf("archive rows = %d, want 2 (the duplicate is not archived, the older one is)", n)
	}
	room, err := f.store.Room(ctx, app, "tandy-test-rest")
	if err != nil {
		t.Fatal(err)
	}
	if *room.Room.RoomInfo.RoomName != "tandy-test-rest" || room.Room.EventTime != 1703589922780 {
		t.Fatalf("the older event moved the room backwards: %+v", room.Room)
	}
	for _, want := range []string{`"outcome":"stored"`, `"outcome":"duplicate"`, `"outcome":"stale"`} {
		if !strings.Contains(f.logs.String(), want) {
			t.Fatalf("log lacks %s:\n%s", want, f.logs)
		}
	}
}

func TestStoredFieldsAndRaw(t *testing.T) {
	f := newFixture(t)
	req := seedRequest(false)
	if r := f.h.Handle(context.Background(), req); r.StatusCode != 200 {
		t.Fatalf("%d %s", r.StatusCode, r.Body)
	}
	evs := f.events(t)
	if len(evs) != 1 {
		t.Fatalf("events = %d", len(evs))
	}
	ev := evs[0]
	if string(ev.Raw) != seedBody || ev.ClientIP != "203.0.113.7" || ev.OptPlatform != "RESTAPI" ||
		ev.RequestID != "req-1" || ev.EventTime != 1703589922780 || ev.RoomID != "tandy-test-rest" ||
		ev.Command != createCmd || !ev.ReceivedAt.Equal(now) {
		t.Fatalf("archived %+v", ev)
	}
	room, err := f.store.Room(context.Background(), app, "tandy-test-rest")
	if err != nil {
		t.Fatal(err)
	}
	if got := room.Room.ScheduleInviteeList; len(got) != 2 || got[0] != "user2" || got[1] != "user3" {
		t.Fatalf("invitees = %v", got)
	}
}

// TestStoreFailure uses a real store that has gone away (closed): the answer is 503 FAIL, the
// raw event is in one error log line, and nothing secret is.
func TestStoreFailure(t *testing.T) {
	st, err := sqlite.Open(context.Background(), filepath.Join(t.TempDir(), "r.db"), sqlite.Options{})
	if err != nil {
		t.Fatal(err)
	}
	st.Close()
	f := newFixtureWith(t, st, st, token)
	r := f.h.Handle(context.Background(), seedRequest(true))
	if r.StatusCode != http.StatusServiceUnavailable || code(t, r) != 50301 {
		t.Fatalf("%d %s", r.StatusCode, r.Body)
	}
	var line map[string]any
	for _, l := range bytes.Split(bytes.TrimSpace(f.logs.Bytes()), []byte("\n")) {
		if bytes.Contains(l, []byte(`"level":"ERROR"`)) {
			if err := json.Unmarshal(l, &line); err != nil {
				t.Fatal(err)
			}
		}
	}
	if line["raw_body"] != seedBody || line["outcome"] != "rejected:store" {
		t.Fatalf("error line does not carry the raw event: %v", line)
	}
	if strings.Contains(f.logs.String(), token) || strings.Contains(f.logs.String(), seedRequest(true).Query.Get("Sign")) {
		t.Fatal("a secret reached the log")
	}
}

type panickingStore struct{ callback.Store }

func (panickingStore) Save(context.Context, *callback.Event) (callback.Outcome, error) {
	panic("boom")
}

func TestPanicBecomes500(t *testing.T) {
	f := newFixtureWith(t, panickingStore{}, nil)
	r := f.h.Handle(context.Background(), seedRequest(false))
	if r.StatusCode != 500 || code(t, r) != 50001 {
		t.Fatalf("%d %s", r.StatusCode, r.Body)
	}
	if !strings.Contains(f.logs.String(), `"panic":"boom"`) {
		t.Fatalf("panic not logged: %s", f.logs)
	}
}

func TestNewHandlerRefusesBadOptions(t *testing.T) {
	st := panickingStore{}
	for name, o := range map[string]callback.Options{
		"no app":           {Store: st, StoreTimeout: time.Second},
		"no store":         {SdkAppIDs: []int64{1}, StoreTimeout: time.Second},
		"no timeout":       {SdkAppIDs: []int64{1}, Store: st},
		"empty token":      {SdkAppIDs: []int64{1}, Store: st, StoreTimeout: time.Second, Tokens: []string{""}, SignTolerance: time.Second},
		"no tolerance":     {SdkAppIDs: []int64{1}, Store: st, StoreTimeout: time.Second, Tokens: []string{"t"}},
		"app not positive": {SdkAppIDs: []int64{0}, Store: st, StoreTimeout: time.Second},
	} {
		if _, err := callback.NewHandler(o); err == nil {
			t.Errorf("%s: accepted", name)
		}
	}
}
