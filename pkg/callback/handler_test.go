package callback_test

import (
	"bytes"
	"context"
	"encoding/json"
	"log/slog"
	"net/http"
	"net/url"
	"path/filepath"
	"strconv"
	"strings"
	"sync/atomic"
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
	path  string         // the SQLite file, when newFixture opened it
	saves *countingStore // the Store the handler was given, when newFixture opened it
	logs  *bytes.Buffer
}

func newFixture(t *testing.T, tokens ...string) *fixture {
	t.Helper()
	path := filepath.Join(t.TempDir(), "r.db")
	st, err := sqlite.Open(context.Background(), path, sqlite.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	saves := &countingStore{Store: st}
	f := newFixtureWith(t, saves, st, tokens...)
	f.path, f.saves = path, saves
	return f
}

// countingStore counts the calls of Save: a refused request must not reach the store at all.
type countingStore struct {
	callback.Store
	calls atomic.Int64
}

func (c *countingStore) Save(ctx context.Context, ev *callback.Event) (callback.Outcome, error) {
	c.calls.Add(1)
	return c.Store.Save(ctx, ev)
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
	room, err := callback.ReadRoom(ctx, f.store, app, "tandy-test-rest")
	if err != nil {
		t.Fatal(err)
	}
	if *room.Info.RoomName != "tandy-test-rest" || room.EventTime != 1703589922780 {
		t.Fatalf("the older event moved the room backwards: %+v", room)
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
	room, err := callback.ReadRoom(context.Background(), f.store, app, "tandy-test-rest")
	if err != nil {
		t.Fatal(err)
	}
	if got := room.ScheduleInviteeList; len(got) != 2 || got[0] != "user2" || got[1] != "user3" {
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
	// A bug must not lose the callback: the raw event is in the error line, as for a store
	// failure, ready to be replayed.
	var line map[string]any
	if err := json.Unmarshal(bytes.TrimSpace(f.logs.Bytes()), &line); err != nil {
		t.Fatalf("one JSON line expected: %v\n%s", err, f.logs)
	}
	if line["raw_body"] != seedBody || line["outcome"] != "rejected:panic" || line["room_id"] != "tandy-test-rest" {
		t.Fatalf("panic line lacks the raw event: %v", line)
	}
}

// panicOn is a log handler that panics on the line whose message is msg, as a bug after the save
// would (the threshold line is written after the callback line).
type panicOn struct {
	slog.Handler
	msg string
}

func (p panicOn) Handle(ctx context.Context, r slog.Record) error {
	if r.Message == p.msg {
		panic("boom after the save")
	}
	return p.Handler.Handle(ctx, r)
}

// TestPanicAfterStore: a panic after the event is stored and its callback line written is
// answered OK (the event is kept) and logged on a line of its own, not a second callback line
// (which would count the request twice, and offer a stored event for replay).
func TestPanicAfterStore(t *testing.T) {
	logs := &bytes.Buffer{}
	h, err := callback.NewHandler(callback.Options{
		SdkAppIDs: []int64{app}, Store: okStore{}, StoreTimeout: time.Second, Now: func() time.Time { return now },
		Logger: slog.New(panicOn{slog.NewJSONHandler(logs, nil), callback.ThresholdMessage}),
	})
	if err != nil {
		t.Fatal(err)
	}
	q := url.Values{"SdkAppid": {"1400123456"}, "CallbackCommand": {callback.CommandLiveThreshold}, "contenttype": {"json"}}
	body := `{"CallbackCommand":"Live.CallbackAfterCreateRoomReachingThreshold","CurRoomCount":900,"MaxRoomCount":1000,"EventTime":1703590100500}`
	r := h.Handle(context.Background(), callback.Request{Method: "POST", Query: q, Body: []byte(body), RequestID: "req-p"})
	if r.StatusCode != http.StatusOK {
		t.Fatalf("%d %s, want the stored event answered OK", r.StatusCode, r.Body)
	}
	var callbacks, panics int
	for _, l := range bytes.Split(bytes.TrimSpace(logs.Bytes()), []byte("\n")) {
		var line map[string]any
		if err := json.Unmarshal(l, &line); err != nil {
			t.Fatalf("%v: %s", err, l)
		}
		switch line["msg"] {
		case callback.LineMessage:
			callbacks++
			if line["outcome"] != "stored" {
				t.Errorf("callback line %v", line)
			}
		case callback.PanicAfterStoreMessage:
			panics++
			if line["panic"] != "boom after the save" || line["raw_body"] != nil {
				t.Errorf("panic line %v", line)
			}
		}
	}
	if callbacks != 1 || panics != 1 {
		t.Errorf("%d callback lines and %d panic lines, want 1 and 1:\n%s", callbacks, panics, logs)
	}
}

// okStore stores everything.
type okStore struct{ callback.Store }

func (okStore) Save(context.Context, *callback.Event) (callback.Outcome, error) {
	return callback.OutcomeStored, nil
}

func TestUnverified(t *testing.T) {
	for outcome, want := range map[string]bool{"stored": false, "rejected:sign_mismatch": true, "rejected:sdkappid_unknown": true,
		"rejected:method": true, "rejected:store": false, "rejected:field": false, "rejected:panic": false, "rejected:contenttype": false} {
		if got := callback.Unverified(outcome); got != want {
			t.Errorf("Unverified(%q) = %v", outcome, got)
		}
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

// TestThresholdWarning: a stored Live.CallbackAfterCreateRoomReachingThreshold gives one
// warning line with the counts, beside its callback line; a duplicate delivery gives none; a
// body whose counts do not parse still gives the line, without them.
func TestThresholdWarning(t *testing.T) {
	f := newFixture(t)
	send := func(body string) {
		t.Helper()
		q := url.Values{"SdkAppid": {"1400123456"}, "CallbackCommand": {callback.CommandLiveThreshold}, "contenttype": {"json"}}
		r := f.h.Handle(context.Background(), callback.Request{Method: "POST", Query: q, Body: []byte(body), RequestID: "req-t"})
		if r.StatusCode != http.StatusOK {
			t.Fatalf("%d %s", r.StatusCode, r.Body)
		}
	}
	warnings := func() []map[string]any {
		var out []map[string]any
		for _, l := range bytes.Split(bytes.TrimSpace(f.logs.Bytes()), []byte("\n")) {
			var line map[string]any
			if err := json.Unmarshal(l, &line); err != nil {
				t.Fatal(err)
			}
			if line["msg"] == callback.ThresholdMessage {
				out = append(out, line)
			}
		}
		return out
	}
	body := `{"CallbackCommand":"Live.CallbackAfterCreateRoomReachingThreshold","Operator_Account":"op","CurRoomCount":950,"MaxRoomCount":1000,"EventTime":1703589999000}`
	send(body)
	w := warnings()
	if len(w) != 1 || w[0]["level"] != "WARN" || w[0]["cur_room_count"] != 950.0 || w[0]["max_room_count"] != 1000.0 ||
		w[0]["sdkappid"] != 1400123456.0 || w[0]["event_time"] != 1703589999000.0 {
		t.Fatalf("warning lines %v", w)
	}
	send(body) // a duplicate: archived once, warned once
	if w := warnings(); len(w) != 1 {
		t.Fatalf("%d warning lines after a duplicate, want 1", len(w))
	}
	send(`{"CallbackCommand":"Live.CallbackAfterCreateRoomReachingThreshold","CurRoomCount":{"n":1},"EventTime":1703589999001}`)
	w = warnings()
	if len(w) != 2 || w[1]["cur_room_count"] != nil || w[1]["event_time"] != 1703589999001.0 {
		t.Fatalf("warning lines %v", w)
	}
}

// giftRequest is a Live.CallbackBeforeSendGift delivery with request id id.
func giftRequest(id string) callback.Request {
	q := url.Values{"SdkAppid": {"1400123456"}, "CallbackCommand": {callback.CommandLiveGift}, "contenttype": {"json"}}
	body := `{"CallbackCommand":"Live.CallbackBeforeSendGift","Operator_Account":"viewer-1","RoomId":"live-gift","GiftWater":{"From_Account":"viewer-1","To_Account":["host"],"Time":1703590000,"GiftId":"rose","Count":3,"Coins":30}}`
	return callback.Request{Method: "POST", Query: q, Body: []byte(body), RequestID: id}
}

// TestGiftAnsweredOnceStored: a gift is allowed (ErrorCode 0) once its ledger row is stored;
// every delivery is a row, but one delivery replayed (the same request id at the same moment)
// is not a second.
func TestGiftAnsweredOnceStored(t *testing.T) {
	f := newFixture(t)
	for _, id := range []string{"req-g1", "req-g2", "req-g1"} {
		r := f.h.Handle(context.Background(), giftRequest(id))
		if r.StatusCode != http.StatusOK || string(r.Body) != okPacket {
			t.Fatalf("%s: %d %s", id, r.StatusCode, r.Body)
		}
	}
	gifts, err := callback.ReadGifts(context.Background(), f.store, app, "live-gift")
	if err != nil {
		t.Fatal(err)
	}
	if len(gifts) != 2 || gifts[0].DeliveryID == gifts[1].DeliveryID || gifts[0].FromAccount != "viewer-1" ||
		*gifts[0].Coins != 30 || *gifts[0].GiftCount != 3 || gifts[0].ReceivedAt != now.UnixMilli() {
		t.Fatalf("ledger %+v, want two rows of the gift", gifts)
	}
}

// TestGiftStoreFailure: when the store fails, a gift is refused (503, as any store failure) by
// default and allowed (OK) with AllowGiftOnStoreFailure; either way the error line carries the
// raw event and says how the gift was answered, for scripts/replay.
func TestGiftStoreFailure(t *testing.T) {
	for _, allow := range []bool{false, true} {
		st, err := sqlite.Open(context.Background(), filepath.Join(t.TempDir(), "r.db"), sqlite.Options{})
		if err != nil {
			t.Fatal(err)
		}
		st.Close()
		logs := &bytes.Buffer{}
		h, err := callback.NewHandler(callback.Options{SdkAppIDs: []int64{app}, Store: st, StoreTimeout: time.Second,
			AllowGiftOnStoreFailure: allow, Logger: slog.New(slog.NewJSONHandler(logs, nil)), Now: func() time.Time { return now }})
		if err != nil {
			t.Fatal(err)
		}
		req := giftRequest("req-g")
		r := h.Handle(context.Background(), req)
		var line map[string]any
		if err := json.Unmarshal(bytes.TrimSpace(logs.Bytes()), &line); err != nil {
			t.Fatalf("one JSON line expected: %v\n%s", err, logs)
		}
		wantAnswer, wantStatus, wantCode := callback.GiftRefused, http.StatusServiceUnavailable, 50301
		if allow {
			wantAnswer, wantStatus, wantCode = callback.GiftAllowed, http.StatusOK, 0
		}
		if r.StatusCode != wantStatus || code(t, r) != wantCode {
			t.Errorf("allow=%v: answered %d %s", allow, r.StatusCode, r.Body)
		}
		if line["outcome"] != "rejected:store" || line["raw_body"] != string(req.Body) || line[callback.GiftAnswerKey] != wantAnswer ||
			line["level"] != "ERROR" {
			t.Errorf("allow=%v: log line %v", allow, line)
		}
	}
}
