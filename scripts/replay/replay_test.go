package main

import (
	"bytes"
	"compress/gzip"
	"context"
	"crypto/rand"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"maps"
	"math/big"
	"net/url"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/lambdacontext"

	"github.com/roomhook/roomhook/functions/samples"
	"github.com/roomhook/roomhook/pkg/callback"
	"github.com/roomhook/roomhook/pkg/store"
)

const token = "replay-test-token"

// eventTime is the EventTime the test's events start from (ms).
const eventTime int64 = 1764093600000

// arrival is when the first delivery arrives: not UTC and with sub-millisecond digits, as a
// live clock would give it; the archive keeps milliseconds.
var arrival = time.Date(2026, 11, 26, 2, 0, 0, 123_456_789, time.FixedZone("CST", 8*3600))

func createBody(roomID, name string, at int64) string {
	return fmt.Sprintf(`{"CallbackCommand":"Room.CallbackAfterCreateRoom","Operator_Account":"admin","RoomInfo":{"RoomId":%q,"RoomName":%q,"RoomType":"Meeting","Owner_Account":"user3","MaxMemberCount":300,"IsVideoDisabled":"false","CreateTime":1764093600},"ScheduleInviteeList_Account":["user2","user3","user3"],"EventTime":%d}`,
		roomID, name, at)
}

// delivery is one callback sent to the function, and whether the store was down then.
type delivery struct {
	requestID string
	command   string
	body      string
	down      bool
	unsigned  bool
}

// outage is the test's story: a store outage in the middle of a stream of deliveries, with a
// retried event, an older one, a destroy, a command roomhook does not project (without
// EventTime), an event whose body is hard to carry through a log line, and a forged request.
func outage() []delivery {
	create := callback.CommandCreateRoom
	hard := strings.Replace(createBody("周会-🚀 room\tc", "line\nbreak \"quoted\" <b>&amp; \u2028 \\ end", eventTime+2500), `"admin"`,
		`"`+strings.Repeat("x", 4096)+`"`, 1)
	return []delivery{
		{"req-01", create, createBody("room-a", "a-v1", eventTime+1000), false, false},
		{"req-02", create, createBody("room-b", "b-v1", eventTime+2000), true, false},
		{"req-03", create, createBody("room-a", "a-v3", eventTime+3000), true, false},
		{"req-04", create, createBody("room-a", "a-v3", eventTime+3000), true, false}, // Tencent's retry
		{"req-05", create, createBody("room-a", "a-old", eventTime+500), true, false},
		{"req-06", callback.CommandDestroyRoom, `{"CallbackCommand":"Room.CallbackAfterDestroyRoom","Operator_Account":"admin","RoomId":"room-a","EventTime":` + strconv.FormatInt(eventTime+4000, 10) + `}`, true, false},
		{"req-07", "Group.CallbackAfterCreateGroup", `{"CallbackCommand":"Group.CallbackAfterCreateGroup","GroupId":"g1"}`, true, false},
		{"req-08", create, createBody("forged", "forged", eventTime+5000), true, true},
		{"req-09", create, hard, true, false},
		{"req-10", create, createBody("room-d", "d-v1", eventTime+6000), false, false},
	}
}

// The outcomes the replay of outage's failed deliveries must report, in order.
var wantOutcomes = []string{"stored", "stored", "duplicate", "stale", "stored", "ignored", "stored"}

// switchStore is the live function's store: working, or down (a closed store of the same
// backend, which fails every Save with that backend's real error).
type switchStore struct {
	live, dead callback.Store
	down       bool
}

func (s *switchStore) Save(ctx context.Context, ev *callback.Event) (callback.Outcome, error) {
	if s.down {
		return s.dead.Save(ctx, ev)
	}
	return s.live.Save(ctx, ev)
}

func (s *switchStore) Close() error { return nil }

// deliver sends ds through a Handler as the function runs it (a token configured, signed
// requests, the JSON log handler) over st, at one second intervals from arrival, and returns
// the log text. Every other line is written the way Lambda's JSON log format (aws-lambda-go's
// lambdacontext handler) writes it. A nil dead store means the store never fails.
func deliver(t *testing.T, app int64, live, dead callback.Store, ds []delivery) string {
	t.Helper()
	logs := &bytes.Buffer{}
	st := &switchStore{live: live, dead: dead}
	var now time.Time
	handler := func(h slog.Handler) *callback.Handler {
		h2, err := callback.NewHandler(callback.Options{
			SdkAppIDs: []int64{app}, Tokens: []string{token}, SignTolerance: time.Minute,
			Store: st, StoreTimeout: 10 * time.Second, Logger: slog.New(h),
			Now: func() time.Time { return now },
		})
		if err != nil {
			t.Fatal(err)
		}
		return h2
	}
	plain := handler(slog.NewJSONHandler(logs, nil))
	lambdaJSON := handler(slog.NewJSONHandler(logs, &slog.HandlerOptions{ReplaceAttr: lambdacontext.ReplaceAttr}))
	for i, d := range ds {
		now = arrival.Add(time.Duration(i) * time.Second)
		st.down = d.down && dead != nil
		q := url.Values{"SdkAppid": {strconv.FormatInt(app, 10)}, "CallbackCommand": {d.command}, "contenttype": {"json"},
			"ClientIP": {"203.0.113.7"}, "OptPlatform": {"Web"}}
		if !d.unsigned {
			rt := strconv.FormatInt(now.Unix(), 10)
			q.Set("RequestTime", rt)
			q.Set("Sign", callback.Sign(token, rt))
		}
		h := plain
		if i%2 == 1 {
			h = lambdaJSON
		}
		resp := h.Handle(context.Background(), callback.Request{Method: "POST", Query: q, Body: []byte(d.body), RequestID: d.requestID})
		want := 200
		switch {
		case d.unsigned:
			want = 401
		case st.down:
			want = 503
		}
		if resp.StatusCode != want {
			t.Fatalf("%s: HTTP %d, want %d: %s", d.requestID, resp.StatusCode, want, resp.Body)
		}
	}
	return logs.String()
}

// asExported dresses the function's log lines as the log services export them, with lines of
// other programs in between: CloudWatch's "TIMESTAMP\tREQUEST_ID\tLEVEL\t" prefix, the plain
// line, and Tencent CLS's JSON with the line in __CONTENT__.
func asExported(t *testing.T, logText string) string {
	t.Helper()
	var b strings.Builder
	b.WriteString("START RequestId: 5b1c Version: $LATEST\n\n{not json at all\n")
	b.WriteString(`{"level":"INFO","msg":"unrelated","outcome":"rejected:store"}` + "\n")
	for i, line := range strings.Split(strings.TrimSuffix(logText, "\n"), "\n") {
		switch i % 3 {
		case 0:
			fmt.Fprintf(&b, "2026-11-25T18:00:00.000Z\t5b1c-%d\tERROR\t%s\n", i, line)
		case 1:
			b.WriteString(line + "\n")
		case 2:
			wrapped, err := json.Marshal(map[string]string{"__TIMESTAMP__": "1764093600000", "__CONTENT__": line, "__SOURCE__": "10.0.0.1"})
			if err != nil {
				t.Fatal(err)
			}
			b.Write(wrapped)
			b.WriteString("\n")
		}
		b.WriteString("REPORT RequestId: 5b1c Duration: 2.15 ms\n")
	}
	return b.String()
}

// backend is a store the test writes to.
type backend struct{ name, url string }

func backends(t *testing.T) []backend {
	bs := []backend{{"sqlite", "sqlite://" + filepath.Join(t.TempDir(), "replay.db")}}
	for _, b := range []struct{ name, env, hint string }{
		{"postgres", "ROOMHOOK_TEST_POSTGRES", "postgres://postgres@127.0.0.1:5432/test?sslmode=disable"},
		{"mysql", "ROOMHOOK_TEST_MYSQL", "mysql://root@127.0.0.1:3306/test"},
	} {
		if u := os.Getenv(b.env); u != "" {
			bs = append(bs, backend{b.name, u})
		} else {
			t.Logf("%s not set: replay into %s is not tested; set it to a server URL, e.g. %s='%s'", b.env, b.name, b.env, b.hint)
		}
	}
	return bs
}

// freshApp returns an SdkAppID no earlier run used, so runs against shared servers never see
// each other's rows.
func freshApp(t *testing.T) int64 {
	n, err := rand.Int(rand.Reader, big.NewInt(1<<40))
	if err != nil {
		t.Fatal(err)
	}
	return 1<<42 + n.Int64()
}

func open(t *testing.T, rawURL string) callback.Store {
	t.Helper()
	s, err := store.Open(context.Background(), rawURL, store.Options{Timeout: 30 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// closedStore returns a store of rawURL's backend that is already closed.
func closedStore(t *testing.T, rawURL string) callback.Store {
	t.Helper()
	if strings.HasPrefix(rawURL, "sqlite://") {
		rawURL = "sqlite://" + filepath.Join(t.TempDir(), "closed.db")
	}
	s := open(t, rawURL)
	s.Close()
	return s
}

// state is what a store holds for one app, the app id left out so stores of different apps
// compare: the archive sorted by key (replay archives in another order than the live
// deliveries), and the rows of every room it names, updated_at included (replay pins the
// clock to the original arrival).
type state struct {
	Events []callback.Event
	Rooms  map[string]roomRows
}

// roomRows is one room's rows of each table, as row values; members and seats by key.
type roomRows struct {
	Room, Members, Seats []callback.Row
}

// readRoom reads one room's rows, the app left out.
func readRoom(t *testing.T, r callback.Reader, app int64, roomID string) roomRows {
	t.Helper()
	ctx := context.Background()
	var rr roomRows
	room, err := callback.ReadRoom(ctx, r, app, roomID)
	switch {
	case err == nil:
		room.SdkAppID = 0
		rr.Room = append(rr.Room, room.Row())
	case !errors.Is(err, callback.ErrNotFound):
		t.Fatal(err)
	}
	members, err := callback.ReadMembers(ctx, r, app, roomID)
	if err != nil {
		t.Fatal(err)
	}
	for _, m := range members {
		m.SdkAppID = 0
		rr.Members = append(rr.Members, m.Row())
	}
	seats, err := callback.ReadSeats(ctx, r, app, roomID)
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range seats {
		s.SdkAppID = 0
		rr.Seats = append(rr.Seats, s.Row())
	}
	return rr
}

func readState(t *testing.T, rawURL string, app int64, sorted bool) state {
	t.Helper()
	s := open(t, rawURL)
	defer s.Close()
	r := s.(callback.Reader)
	evs, err := r.Events(context.Background(), app)
	if err != nil {
		t.Fatal(err)
	}
	st := state{Rooms: map[string]roomRows{}}
	for _, ev := range evs {
		ev.SdkAppID = 0
		st.Events = append(st.Events, ev)
		if _, done := st.Rooms[ev.RoomID]; done || ev.RoomID == "" {
			continue
		}
		st.Rooms[ev.RoomID] = readRoom(t, r, app, ev.RoomID)
	}
	if sorted {
		slices.SortFunc(st.Events, func(a, b callback.Event) int {
			return strings.Compare(a.Command+"\x00"+a.RoomID+"\x00"+a.RequestID, b.Command+"\x00"+b.RoomID+"\x00"+b.RequestID)
		})
	}
	return st
}

func (s state) String() string {
	var b strings.Builder
	for _, ev := range s.Events {
		fmt.Fprintf(&b, "  event %s %q t=%d req=%s at=%s ip=%s os=%s raw=%d bytes\n", ev.Command, ev.RoomID, ev.EventTime, ev.RequestID,
			ev.ReceivedAt.Format(time.RFC3339Nano), ev.ClientIP, ev.OptPlatform, len(ev.Raw))
	}
	ids := slices.Sorted(maps.Keys(s.Rooms))
	for _, id := range ids {
		r := s.Rooms[id]
		for _, rows := range [][]callback.Row{r.Room, r.Members, r.Seats} {
			for _, row := range rows {
				fmt.Fprintf(&b, "  room %q: %v\n", id, row)
			}
		}
	}
	return b.String()
}

// runReplay runs the command in-process with ROOMHOOK_STORE=storeURL.
func runReplay(t *testing.T, storeURL, stdin string, args ...string) (code int, stdout, stderr string) {
	t.Helper()
	env := map[string]string{"ROOMHOOK_STORE": storeURL, "ROOMHOOK_STORE_TIMEOUT": "10s"}
	var out, errOut bytes.Buffer
	code = run(context.Background(), args, func(k string) string { return env[k] }, strings.NewReader(stdin), &out, &errOut)
	return code, out.String(), errOut.String()
}

// outcomes returns the first word of every event line, and the summary line.
func outcomes(t *testing.T, stdout string) (words []string, summary string) {
	t.Helper()
	lines := strings.Split(strings.TrimSuffix(stdout, "\n"), "\n")
	for _, l := range lines[:len(lines)-1] {
		words = append(words, strings.Fields(l)[0])
	}
	return words, lines[len(lines)-1]
}

// TestReplayAfterOutage produces the log of a store outage with the real handler and logger,
// replays it from log text as the services export it, and requires the store to hold exactly
// what it would hold had the store never failed — arrival times, request ids and raw bodies
// included; then replays again (all duplicates), and checks -dry-run and a cut line.
func TestReplayAfterOutage(t *testing.T) {
	for _, b := range backends(t) {
		t.Run(b.name, func(t *testing.T) {
			app, refApp := freshApp(t), freshApp(t)
			refURL := b.url
			if b.name == "sqlite" {
				refURL = "sqlite://" + filepath.Join(t.TempDir(), "reference.db")
			}
			// The reference: the same deliveries, at the same moments, to a store that works.
			ref := open(t, refURL)
			deliver(t, refApp, ref, nil, outage())
			ref.Close()
			want := readState(t, refURL, refApp, true)
			if len(want.Events) != 8 || len(want.Rooms) != 4 || len(want.Rooms["room-a"].Room) != 1 {
				t.Fatalf("reference holds %d events and %d rooms, want 8 and 4:\n%s", len(want.Events), len(want.Rooms), want)
			}

			// The outage.
			live := open(t, b.url)
			logText := deliver(t, app, live, closedStore(t, b.url), outage())
			live.Close()
			if n := strings.Count(logText, `"outcome":"rejected:store"`); n != 7 {
				t.Fatalf("%d store failures logged, want 7:\n%s", n, logText)
			}
			before := readState(t, b.url, app, true)
			if len(before.Events) != 2 {
				t.Fatalf("the live store holds %d events, want the 2 delivered while it worked", len(before.Events))
			}
			exported := asExported(t, logText)

			// -dry-run lists the 7 events and writes nothing.
			code, stdout, stderr := runReplay(t, b.url, exported, "-dry-run")
			words, summary := outcomes(t, stdout)
			if code != exitOK || len(words) != 7 || summary != "dry run: 7 events would be replayed" {
				t.Fatalf("dry run: exit %d\n%s%s", code, stdout, stderr)
			}
			for _, w := range words {
				if w != "would-replay" {
					t.Fatalf("dry run line %q\n%s", w, stdout)
				}
			}
			if got := readState(t, b.url, app, true); !reflect.DeepEqual(got, before) {
				t.Fatalf("the dry run changed the store:\n%s", got)
			}

			// The replay.
			code, stdout, stderr = runReplay(t, b.url, exported)
			words, summary = outcomes(t, stdout)
			if code != exitOK || !slices.Equal(words, wantOutcomes) || summary != "replayed 7 events: stored=4 duplicate=1 stale=1 ignored=1 failed=0" {
				t.Fatalf("replay: exit %d, outcomes %v, want %v\n%s%s", code, words, wantOutcomes, stdout, stderr)
			}
			if !strings.Contains(stderr, "7 picked") {
				t.Errorf("stderr does not count the picked lines: %s", stderr)
			}
			got := readState(t, b.url, app, true)
			if !reflect.DeepEqual(got, want) {
				t.Fatalf("after the replay the store holds\n%swant (as if the store had never failed)\n%s", got, want)
			}
			room, err := callback.RoomRowOf(got.Rooms["room-a"].Room[0])
			if err != nil {
				t.Fatal(err)
			}
			if at := room.UpdatedAt; at != arrival.Add(5*time.Second).UnixMilli() {
				t.Errorf("room-a updated_at %d, want the arrival of req-06, its destroy (%d)", at, arrival.Add(5*time.Second).UnixMilli())
			}
			if room.DestroyedAt == nil || *room.DestroyedAt != eventTime+4000 || deref(room.Info.RoomName) != "a-v3" {
				t.Errorf("room-a: %v, want a-v3 destroyed at %d", got.Rooms["room-a"].Room[0], eventTime+4000)
			}

			// A second replay changes nothing: every event is a duplicate, the one without
			// EventTime included.
			code, stdout, stderr = runReplay(t, b.url, exported)
			if _, summary = outcomes(t, stdout); code != exitOK || summary != "replayed 7 events: stored=0 duplicate=7 stale=0 ignored=0 failed=0" {
				t.Fatalf("second replay: exit %d\n%s%s", code, stdout, stderr)
			}
			if again := readState(t, b.url, app, true); !reflect.DeepEqual(again, want) {
				t.Fatalf("the second replay changed the store:\n%s", again)
			}

			// A picked line cut short (a log service's size limit) fails the run instead of
			// being skipped; the rest still replays.
			lines := strings.Split(logText, "\n")
			cut := lines[1][:len(lines[1])/2]
			code, stdout, stderr = runReplay(t, b.url, cut+"\n"+logText)
			words, summary = outcomes(t, stdout)
			if code != exitFailed || words[0] != "failed" || summary != "replayed 8 events: stored=0 duplicate=7 stale=0 ignored=0 failed=1" ||
				!strings.Contains(stdout, "from=stdin:1 error=") {
				t.Fatalf("cut line: exit %d\n%s%s", code, stdout, stderr)
			}
		})
	}
}

// TestReplayFromStore copies an archive from one store into others and requires the copy to
// equal the original, arrival times and request ids included; a second copy is all duplicates.
func TestReplayFromStore(t *testing.T) {
	app := freshApp(t)
	srcURL := "sqlite://" + filepath.Join(t.TempDir(), "source.db")
	src := open(t, srcURL)
	deliver(t, app, src, nil, outage())
	src.Close()
	want := readState(t, srcURL, app, false)

	dests := []backend{{"sqlite", "sqlite://" + filepath.Join(t.TempDir(), "copy.db")}}
	for _, b := range backends(t)[1:] {
		dests = append(dests, b)
	}
	for _, d := range dests {
		t.Run(d.name, func(t *testing.T) {
			args := []string{"-from-store", srcURL, "-app", strconv.FormatInt(app, 10)}
			code, stdout, stderr := runReplay(t, d.url, "", append([]string{"-dry-run"}, args...)...)
			if _, summary := outcomes(t, stdout); code != exitOK || summary != "dry run: 8 events would be replayed" {
				t.Fatalf("dry run: exit %d\n%s%s", code, stdout, stderr)
			}
			code, stdout, stderr = runReplay(t, d.url, "", args...)
			if _, summary := outcomes(t, stdout); code != exitOK || summary != "replayed 8 events: stored=6 duplicate=0 stale=1 ignored=1 failed=0" {
				t.Fatalf("copy: exit %d\n%s%s", code, stdout, stderr)
			}
			if got := readState(t, d.url, app, false); !reflect.DeepEqual(got, want) {
				t.Fatalf("the copy holds\n%swant\n%s", got, want)
			}
			code, stdout, stderr = runReplay(t, d.url, "", args...)
			if _, summary := outcomes(t, stdout); code != exitOK || summary != "replayed 8 events: stored=0 duplicate=8 stale=0 ignored=0 failed=0" {
				t.Fatalf("second copy: exit %d\n%s%s", code, stdout, stderr)
			}
			if got := readState(t, d.url, app, false); !reflect.DeepEqual(got, want) {
				t.Fatalf("the second copy changed the store:\n%s", got)
			}
		})
	}
}

// TestReplayGzipFileAndStoreFailure reads a gzip-compressed export from a file, and reports a
// store that fails during the replay as failed events (exit 1), with the store's error.
func TestReplayGzipFileAndStoreFailure(t *testing.T) {
	dir := t.TempDir()
	app := freshApp(t)
	live := open(t, "sqlite://"+filepath.Join(dir, "live.db"))
	logText := deliver(t, app, live, closedStore(t, "sqlite://x"), outage())
	live.Close()
	var gz bytes.Buffer
	zw := gzip.NewWriter(&gz)
	zw.Write([]byte(asExported(t, logText)))
	zw.Close()
	file := filepath.Join(dir, "export.log.gz")
	if err := os.WriteFile(file, gz.Bytes(), 0o600); err != nil {
		t.Fatal(err)
	}
	code, stdout, stderr := runReplay(t, "sqlite://"+filepath.Join(dir, "live.db"), "", file)
	if _, summary := outcomes(t, stdout); code != exitOK || summary != "replayed 7 events: stored=4 duplicate=1 stale=1 ignored=1 failed=0" {
		t.Fatalf("gzip file: exit %d\n%s%s", code, stdout, stderr)
	}

	// A destination that fails every write: each event is reported failed, with the store's
	// error, and nothing is lost from the input (it can be replayed again).
	var out bytes.Buffer
	r := newReplayer(closedStore(t, "sqlite://x"), time.Second, &out, false)
	var stats lineStats
	failed := 0
	if err := readInput(file, nil, selection{outcomes: map[string]bool{storeFailure: true}}, &stats, func(e entry) {
		if !r.replay(context.Background(), e) {
			failed++
		}
	}); err != nil {
		t.Fatal(err)
	}
	if failed != 7 || r.summary() != "replayed 7 events: stored=0 duplicate=0 stale=0 ignored=0 failed=7" ||
		strings.Count(out.String(), `error="rejected:store: `) != 6 {
		t.Fatalf("failing store: %d failed\n%s%s", failed, out.String(), r.summary())
	}
}

func deref(p *string) string {
	if p == nil {
		return "<nil>"
	}
	return *p
}

// TestReplayEveryCommand replays one event of each projected command (the samples' story,
// functions/samples), all delivered while the store was down but the create, and requires the
// rows — rooms, room_members, room_seats — to be the story's and those of a store that never
// failed; then copies the archive into a new SQLite store (-from-store), which holds the same.
func TestReplayEveryCommand(t *testing.T) {
	var ds []delivery
	for i, s := range samples.Story {
		ds = append(ds, delivery{fmt.Sprintf("story-%02d", i), s.Command, s.Body, i > 0, false})
	}
	for _, b := range backends(t) {
		t.Run(b.name, func(t *testing.T) {
			app, refApp := freshApp(t), freshApp(t)
			ref := open(t, b.url)
			deliver(t, refApp, ref, nil, ds)
			ref.Close()
			want := readState(t, b.url, refApp, true)

			live := open(t, b.url)
			logText := deliver(t, app, live, closedStore(t, b.url), ds)
			live.Close()
			code, stdout, stderr := runReplay(t, b.url, asExported(t, logText))
			words, summary := outcomes(t, stdout)
			if code != exitOK || summary != "replayed 6 events: stored=6 duplicate=0 stale=0 ignored=0 failed=0" {
				t.Fatalf("replay: exit %d, outcomes %v\n%s%s", code, words, stdout, stderr)
			}
			for i, line := range strings.Split(strings.TrimSpace(stdout), "\n")[:6] {
				if s := samples.Story[i+1]; !strings.Contains(line, "command="+s.Command+" ") {
					t.Errorf("line %d: %s, want the %s event", i, line, s.Command)
				}
			}
			s := open(t, b.url)
			got, err := samples.Read(context.Background(), s.(callback.Reader), app, samples.RoomID)
			s.Close()
			if err != nil {
				t.Fatal(err)
			}
			if d := samples.Diff(got, samples.Want(app)); d != "" {
				t.Fatalf("after the replay:\n%s", d)
			}
			if st := readState(t, b.url, app, true); !reflect.DeepEqual(st, want) {
				t.Fatalf("after the replay the store holds\n%swant (as if the store had never failed)\n%s", st, want)
			}

			copyURL := "sqlite://" + filepath.Join(t.TempDir(), "copy.db")
			code, stdout, stderr = runReplay(t, copyURL, "", "-from-store", b.url, "-app", strconv.FormatInt(app, 10))
			if _, summary := outcomes(t, stdout); code != exitOK || summary != "replayed 7 events: stored=7 duplicate=0 stale=0 ignored=0 failed=0" {
				t.Fatalf("copy: exit %d\n%s%s", code, stdout, stderr)
			}
			if st := readState(t, copyURL, app, true); !reflect.DeepEqual(st, want) {
				t.Fatalf("the copy holds\n%swant\n%s", st, want)
			}
		})
	}
}

func TestReplayUsage(t *testing.T) {
	for _, tt := range []struct {
		name  string
		store string
		args  []string
		want  string
	}{
		{"no store", "", nil, "ROOMHOOK_STORE is not set"},
		{"from-store without app", "sqlite:///tmp/x.db", []string{"-from-store", "sqlite:///tmp/y.db"}, "needs -app"},
		{"app without from-store", "sqlite:///tmp/x.db", []string{"-app", "1"}, "goes with -from-store"},
		{"bad app", "sqlite:///tmp/x.db", []string{"-from-store", "sqlite:///tmp/y.db", "-app", "x"}, "not an SdkAppid"},
		{"no outcome", "sqlite:///tmp/x.db", []string{"-outcome", ","}, "at least one outcome"},
		{"unknown scheme, password kept out", "ftp://u:s3cret@h/x", nil, "ROOMHOOK_STORE: store: unknown store URL scheme"},
		{"missing file", "sqlite://" + filepath.Join(t.TempDir(), "r.db"), []string{"/nonexistent/roomhook.log"}, "no such file"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			code, stdout, stderr := runReplay(t, tt.store, "", tt.args...)
			if code != exitUsage || !strings.Contains(stderr, tt.want) || strings.Contains(stdout+stderr, "s3cret") {
				t.Fatalf("exit %d, want %d and %q\n%s%s", code, exitUsage, tt.want, stdout, stderr)
			}
		})
	}
}

// TestFindCallbackLine covers the shapes of log text the command reads.
func TestFindCallbackLine(t *testing.T) {
	obj := `{"time":"2026-11-25T18:00:00Z","level":"ERROR","msg":"callback","request_id":"r1","command":"X.Y","sdkappid":1400123456,"room_id":"","outcome":"rejected:store","raw_body":"{\"CallbackCommand\":\"X.Y\",\"n\":{}}","received_at_ms":1764093600123,"client_ip":"","opt_platform":""}`
	nested, _ := json.Marshal(map[string]string{"@message": obj})
	for _, tt := range []struct {
		name, line string
		want       bool
	}{
		{"plain", obj, true},
		{"CloudWatch prefix", "2026-11-25T18:00:00.000Z\tabc\tERROR\t" + obj, true},
		{"trailing fields", "EVENTS\t1764093600123\t" + obj + "\tlogstream\t1764093600123", true},
		{"nested", string(nested), true},
		{"braces before", "{{ weird } " + obj, true},
		{"Lambda JSON format", strings.Replace(obj, `"msg"`, `"message"`, 1), true},
		{"another message", strings.Replace(obj, `"msg":"callback"`, `"msg":"other"`, 1), false},
		{"no outcome", strings.Replace(obj, `"outcome"`, `"result"`, 1), false},
		{"cut", obj[:len(obj)-10], false},
		{"text", "REPORT RequestId: x", false},
	} {
		t.Run(tt.name, func(t *testing.T) {
			c, ok := findCallbackLine([]byte(tt.line), 0)
			if ok != tt.want {
				t.Fatalf("found %v, want %v", ok, tt.want)
			}
			if ok {
				e := c.entry("x")
				if e.problem != "" || e.sdkAppID != 1400123456 || string(e.raw) != `{"CallbackCommand":"X.Y","n":{}}` || e.receivedAt.UnixMilli() != 1764093600123 {
					t.Fatalf("entry %+v", e)
				}
			}
		})
	}
}

// TestReplayOutcomeFlag: -outcome any picks every line carrying a raw body (today only the
// store failures carry one); naming an outcome whose lines carry no event fails those lines,
// saying what is missing.
func TestReplayOutcomeFlag(t *testing.T) {
	dir := t.TempDir()
	app := freshApp(t)
	live := open(t, "sqlite://"+filepath.Join(dir, "live.db"))
	logText := deliver(t, app, live, closedStore(t, "sqlite://x"), outage())
	live.Close()
	storeURL := "sqlite://" + filepath.Join(dir, "live.db")

	code, stdout, stderr := runReplay(t, storeURL, logText, "-dry-run", "-outcome", "any")
	if _, summary := outcomes(t, stdout); code != exitOK || summary != "dry run: 7 events would be replayed" {
		t.Fatalf("-outcome any: exit %d\n%s%s", code, stdout, stderr)
	}
	code, stdout, stderr = runReplay(t, storeURL, logText, "-outcome", "rejected:sign_missing,stored")
	words, summary := outcomes(t, stdout)
	if code != exitFailed || !slices.Equal(words, []string{"failed", "failed", "failed"}) ||
		summary != "replayed 3 events: stored=0 duplicate=0 stale=0 ignored=0 failed=3" ||
		!strings.Contains(stdout, "has no valid received_at_ms, raw_body") {
		t.Fatalf("-outcome of lines without the event: exit %d\n%s%s", code, stdout, stderr)
	}
}

// TestReplayRefusedGifts: the gift the function refused when its store failed (gift_answer
// "refused": Tencent never sent it) is left out unless -refused-gifts asks for it; the gift it
// allowed is replayed into the ledger, once however many times the log is replayed.
func TestReplayRefusedGifts(t *testing.T) {
	storeURL := "sqlite://" + filepath.Join(t.TempDir(), "gifts.db")
	app := freshApp(t)
	line := func(id, answer string) string {
		body := fmt.Sprintf(`{"CallbackCommand":"Live.CallbackBeforeSendGift","RoomId":"live-gift","GiftWater":{"From_Account":"%s","Coins":10}}`, id)
		l, err := json.Marshal(map[string]any{"time": "2026-12-05T03:00:00Z", "level": "ERROR", "msg": "callback",
			"request_id": id, "command": callback.CommandLiveGift, "sdkappid": app, "room_id": "live-gift",
			"outcome": "rejected:store", "client_ip": "203.0.113.9", "opt_platform": "Android",
			"received_at_ms": 1764903600000, "raw_body": body, "error": "store down", callback.GiftAnswerKey: answer})
		if err != nil {
			t.Fatal(err)
		}
		return string(l)
	}
	logText := line("viewer-allowed", callback.GiftAllowed) + "\n" + line("viewer-refused", callback.GiftRefused) + "\n"
	ledger := func() []string {
		st := open(t, storeURL)
		defer st.Close()
		gifts, err := callback.ReadGifts(context.Background(), st.(callback.Reader), app, "live-gift")
		if err != nil {
			t.Fatal(err)
		}
		var from []string
		for _, g := range gifts {
			from = append(from, g.FromAccount)
		}
		slices.Sort(from)
		return from
	}

	code, stdout, stderr := runReplay(t, storeURL, logText)
	if _, summary := outcomes(t, stdout); code != exitOK || summary != "replayed 1 events: stored=1 duplicate=0 stale=0 ignored=0 failed=0" ||
		!strings.Contains(stderr, "1 refused gifts left out") {
		t.Fatalf("replay: exit %d\n%s%s", code, stdout, stderr)
	}
	if got := ledger(); !slices.Equal(got, []string{"viewer-allowed"}) {
		t.Fatalf("ledger %v after the replay, want the allowed gift alone", got)
	}
	code, stdout, stderr = runReplay(t, storeURL, logText, "-refused-gifts")
	if _, summary := outcomes(t, stdout); code != exitOK || summary != "replayed 2 events: stored=1 duplicate=1 stale=0 ignored=0 failed=0" {
		t.Fatalf("replay -refused-gifts: exit %d\n%s%s", code, stdout, stderr)
	}
	if got := ledger(); !slices.Equal(got, []string{"viewer-allowed", "viewer-refused"}) {
		t.Fatalf("ledger %v after -refused-gifts, want both gifts once", got)
	}
}

// TestReplayGiftArchivedWithoutLedger: a gift whose archive item was written but not its ledger
// row (a DynamoDB save failing between the two, the gift allowed) is replayed into the ledger,
// once; a gift line without gift_answer (a panic, an older release) was refused and is left out.
func TestReplayGiftArchivedWithoutLedger(t *testing.T) {
	storeURL := "sqlite://" + filepath.Join(t.TempDir(), "gifts.db")
	app := freshApp(t)
	body := `{"CallbackCommand":"Live.CallbackBeforeSendGift","RoomId":"live-gift","GiftWater":{"From_Account":"viewer-1","Coins":10}}`
	at := time.UnixMilli(1764903600000)
	st := open(t, storeURL)
	// Archived only: the event without its payload, as a save that stopped after the archive.
	if _, err := st.Save(context.Background(), &callback.Event{SdkAppID: app, Command: callback.CommandLiveGift,
		RoomID: "live-gift", ClientIP: "203.0.113.9", OptPlatform: "Android", RequestID: "req-half", ReceivedAt: at,
		Raw: []byte(body)}); err != nil {
		t.Fatal(err)
	}
	st.Close()
	line := func(id string, answer any) string {
		m := map[string]any{"time": "2026-12-05T03:00:00Z", "level": "ERROR", "msg": "callback",
			"request_id": id, "command": callback.CommandLiveGift, "sdkappid": app, "room_id": "live-gift",
			"outcome": "rejected:store", "client_ip": "203.0.113.9", "opt_platform": "Android",
			"received_at_ms": at.UnixMilli(), "raw_body": body, "error": "store down"}
		if answer != nil {
			m[callback.GiftAnswerKey] = answer
		}
		l, err := json.Marshal(m)
		if err != nil {
			t.Fatal(err)
		}
		return string(l) + "\n"
	}
	logText := line("req-half", callback.GiftAllowed) + line("req-old", nil)
	for i, want := range []string{
		"replayed 1 events: stored=1 duplicate=0 stale=0 ignored=0 failed=0",
		"replayed 1 events: stored=0 duplicate=1 stale=0 ignored=0 failed=0",
	} {
		code, stdout, stderr := runReplay(t, storeURL, logText)
		if _, summary := outcomes(t, stdout); code != exitOK || summary != want || !strings.Contains(stderr, "1 refused gifts left out") {
			t.Fatalf("replay %d: exit %d, want %q\n%s%s", i+1, code, want, stdout, stderr)
		}
	}
	st = open(t, storeURL)
	defer st.Close()
	gifts, err := callback.ReadGifts(context.Background(), st.(callback.Reader), app, "live-gift")
	if err != nil || len(gifts) != 1 || gifts[0].DeliveryID != callback.GiftDeliveryID("req-half", at, []byte(body)) {
		t.Fatalf("ledger %+v, %v; want the allowed gift once, under its delivery's id", gifts, err)
	}
}
