package coldstart

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"log/slog"
	"net/url"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/roomhook/roomhook/pkg/callback"
	"github.com/roomhook/roomhook/pkg/config"
	"github.com/roomhook/roomhook/pkg/store/sqlite"
	"github.com/roomhook/roomhook/pkg/store/storetest"
)

const purgeApp int64 = 1400123456

// A room's create and a seat change of it: the create is kept by a purge as long as it is the
// room's newest, the seat change may go (callback.AlwaysExpires).
func createBody(room string, at int64) string {
	return `{"CallbackCommand":"Room.CallbackAfterCreateRoom","RoomInfo":{"RoomId":` + strconv.Quote(room) +
		`,"Owner_Account":"user3"},"EventTime":` + strconv.FormatInt(at, 10) + `}`
}

func seatBody(room string, at int64) string {
	return `{"CallbackCommand":"Mic.CallbackAfterSeatInfoChanged","RoomId":` + strconv.Quote(room) +
		`,"SeatList":[{"Index":0,"Member_Account":"user2"}],"EventTime":` + strconv.FormatInt(at, 10) + `}`
}

// deliver sends callbacks to st through the core as if they had been received at at.
func deliver(t *testing.T, st callback.Store, at time.Time, bodies ...string) {
	t.Helper()
	h, err := callback.NewHandler(callback.Options{SdkAppIDs: []int64{purgeApp}, Store: st, StoreTimeout: 10 * time.Second,
		SignTolerance: time.Minute, Now: func() time.Time { return at }})
	if err != nil {
		t.Fatal(err)
	}
	for _, body := range bodies {
		var cmd struct{ CallbackCommand string }
		if err := json.Unmarshal([]byte(body), &cmd); err != nil {
			t.Fatal(err)
		}
		q := url.Values{"SdkAppid": {strconv.FormatInt(purgeApp, 10)}, "CallbackCommand": {cmd.CallbackCommand}}
		if r := h.Handle(t.Context(), callback.Request{Method: "POST", Query: q, Body: []byte(body)}); r.StatusCode != 200 {
			t.Fatalf("%s: %d %s", cmd.CallbackCommand, r.StatusCode, r.Body)
		}
	}
}

// logLines decodes the JSON lines logged.
func logLines(t *testing.T, logs *bytes.Buffer) []map[string]any {
	t.Helper()
	var out []map[string]any
	for _, line := range strings.Split(strings.TrimSpace(logs.String()), "\n") {
		if line == "" {
			continue
		}
		var m map[string]any
		if err := json.Unmarshal([]byte(line), &m); err != nil {
			t.Fatalf("log line %q: %v", line, err)
		}
		out = append(out, m)
	}
	return out
}

// purgeLines are the lines a pass wrote for its apps.
func purgeLines(t *testing.T, logs *bytes.Buffer) []map[string]any {
	t.Helper()
	var out []map[string]any
	for _, l := range logLines(t, logs) {
		if l["msg"] == PurgeLine {
			out = append(out, l)
		}
	}
	return out
}

// archiveKeys lists an app's archive as command@EventTime, in archive order.
func archiveKeys(t *testing.T, r callback.Reader, app int64) []string {
	t.Helper()
	evs, err := r.Events(t.Context(), app)
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, ev := range evs {
		out = append(out, ev.Command+"@"+strconv.FormatInt(ev.EventTime, 10))
	}
	return out
}

// TestPurgePass: one pass over each app of the configuration: what the retention lets go is
// deleted, what the fold reads and what is younger than the retention is kept, one line per
// app (an app with no archive too), and the result says so.
func TestPurgePass(t *testing.T) {
	st := storetest.NewMemory()
	now := time.Date(2025, 6, 1, 12, 0, 0, 0, time.UTC)
	deliver(t, st, now.Add(-72*time.Hour), createBody("r1", 1000), seatBody("r1", 2000), seatBody("r1", 3000))
	deliver(t, st, now.Add(-time.Hour), seatBody("r1", 4000))
	var logs bytes.Buffer
	cfg := config.Config{SdkAppIDs: []int64{purgeApp, 1400000001}, ArchiveRetention: 48 * time.Hour}
	res, err := purgePass(t.Context(), st, cfg, slog.New(slog.NewJSONHandler(&logs, nil)), now)
	if err != nil {
		t.Fatal(err)
	}
	if res.Retention != "48h0m0s" || res.Cutoff != "2025-05-30T12:00:00.000Z" || !res.Complete || len(res.Apps) != 2 {
		t.Fatalf("result %+v", res)
	}
	if a := res.Apps[0]; a.App != purgeApp || a.Examined != 3 || a.Deleted != 2 || a.Kept != 1 || !a.Complete {
		t.Errorf("app %d: %+v, want 3 examined, the 2 old seat changes deleted, the create kept", purgeApp, a)
	}
	if a := res.Apps[1]; a.App != 1400000001 || a.Examined != 0 || !a.Complete {
		t.Errorf("the app with no archive: %+v", a)
	}
	want := []string{callback.CommandCreateRoom + "@1000", callback.CommandSeatChanged + "@4000"}
	if got := archiveKeys(t, st, purgeApp); !slices.Equal(got, want) {
		t.Errorf("archive after the pass %v, want %v", got, want)
	}
	lines := purgeLines(t, &logs)
	if len(lines) != 2 {
		t.Fatalf("%d %q lines, want one per app:\n%s", len(lines), PurgeLine, logs.String())
	}
	for i, l := range lines {
		a := res.Apps[i]
		if l["level"] != "INFO" || l["app"] != float64(a.App) || l["examined"] != float64(a.Examined) || l["deleted"] != float64(a.Deleted) ||
			l["kept"] != float64(a.Kept) || l["complete"] != true || l["cutoff"] != res.Cutoff {
			t.Errorf("line %v, want the result's %+v", l, a)
		}
		if d, ok := l["duration_ms"].(float64); !ok || d < 0 {
			t.Errorf("line %v: duration_ms", l)
		}
	}

	// A second pass finds the create alone and deletes nothing.
	res, err = purgePass(t.Context(), st, cfg, slog.New(slog.DiscardHandler), now)
	if err != nil || res.Apps[0].Examined != 1 || res.Apps[0].Deleted != 0 {
		t.Errorf("second pass %+v, %v; want the create examined and kept", res, err)
	}
}

// TestPurgeWithoutRetention: no ROOMHOOK_ARCHIVE_RETENTION, no purge: a warning naming it, a
// successful answer, and the store is not touched.
func TestPurgeWithoutRetention(t *testing.T) {
	var logs bytes.Buffer
	cfg := config.Config{SdkAppIDs: []int64{purgeApp}}
	res, err := purgePass(t.Context(), failingPurger{t: t}, cfg, slog.New(slog.NewJSONHandler(&logs, nil)), time.Now())
	if err != nil || !res.Complete || len(res.Apps) != 0 || res.Retention != "" || res.Cutoff != "" {
		t.Fatalf("result %+v, %v; want a complete pass of no app", res, err)
	}
	lines := logLines(t, &logs)
	if len(lines) != 1 || lines[0]["level"] != "WARN" || !strings.Contains(lines[0]["msg"].(string), config.EnvArchiveRetention+" is not set") {
		t.Errorf("logs %v, want one warning naming %s", lines, config.EnvArchiveRetention)
	}
	b, err := json.Marshal(PurgeAnswer{ArchivePurge: res})
	if err != nil || string(b) != `{"archive_purge":{"retention":"","complete":true,"apps":[]}}` {
		t.Errorf("answer %s, %v", b, err)
	}
}

// failingPurger fails every call, and the test when it is called at all.
type failingPurger struct {
	t    *testing.T
	fail map[int64]bool // apps whose calls fail without failing the test; nil: every call fails the test
	*storetest.Memory
}

var errStoreDown = errors.New("mysql: the server went away")

func (f failingPurger) Save(context.Context, *callback.Event) (callback.Outcome, error) {
	f.t.Error("Save called")
	return 0, errStoreDown
}

func (f failingPurger) Close() error { return nil }

func (f failingPurger) Expired(ctx context.Context, app int64, cutoff time.Time, after string, n int) ([]callback.Event, string, error) {
	if f.fail[app] {
		return nil, "", errStoreDown
	}
	if f.Memory == nil {
		f.t.Errorf("Expired(%d) called", app)
		return nil, "", errStoreDown
	}
	return f.Memory.Expired(ctx, app, cutoff, after, n)
}

func (f failingPurger) RoomArchived(ctx context.Context, app int64, room string, q callback.ArchiveQuery) ([]callback.Archived, error) {
	if f.Memory == nil {
		f.t.Errorf("RoomArchived(%d) called", app)
		return nil, errStoreDown
	}
	return f.Memory.RoomArchived(ctx, app, room, q)
}

func (f failingPurger) Delete(ctx context.Context, app int64, ids []string) (int, error) {
	if f.Memory == nil {
		f.t.Errorf("Delete(%d) called", app)
		return 0, errStoreDown
	}
	return f.Memory.Delete(ctx, app, ids)
}

// TestPurgeStoreFailure: a store error fails the pass, with an error line for its app; the
// other apps are purged all the same.
func TestPurgeStoreFailure(t *testing.T) {
	mem := storetest.NewMemory()
	now := time.Now()
	deliver(t, mem, now.Add(-72*time.Hour), seatBody("r1", 1000))
	const broken int64 = 1400000001
	var logs bytes.Buffer
	cfg := config.Config{SdkAppIDs: []int64{broken, purgeApp}, ArchiveRetention: 24 * time.Hour}
	st := failingPurger{t: t, fail: map[int64]bool{broken: true}, Memory: mem}
	res, err := purgePass(t.Context(), st, cfg, slog.New(slog.NewJSONHandler(&logs, nil)), now)
	if !errors.Is(err, errStoreDown) || !strings.Contains(err.Error(), "app 1400000001") {
		t.Fatalf("error %v, want the store's, naming the app", err)
	}
	if res.Complete || len(res.Apps) != 2 || res.Apps[0].Complete || !res.Apps[1].Complete || res.Apps[1].Deleted != 1 {
		t.Errorf("result %+v, want app %d failed and app %d purged", res, broken, purgeApp)
	}
	lines := purgeLines(t, &logs)
	if len(lines) != 2 || lines[0]["level"] != "ERROR" || lines[0]["error"] != errStoreDown.Error() || lines[0]["complete"] != false ||
		lines[1]["level"] != "INFO" {
		t.Errorf("lines %v, want an error line for app %d, then an info line", lines, broken)
	}
}

// endlessPurger lists one expired event after another, forever, each call taking a while: a
// pass over it ends only when its time runs out.
type endlessPurger struct{ failingPurger }

func (endlessPurger) Expired(ctx context.Context, app int64, cutoff time.Time, after string, n int) ([]callback.Event, string, error) {
	select {
	case <-ctx.Done():
		return nil, "", ctx.Err()
	case <-time.After(5 * time.Millisecond):
	}
	ev := callback.Event{SdkAppID: app, Command: callback.CommandSeatChanged, EventTime: 1, RoomID: "r",
		ReceivedAt: cutoff.Add(-time.Hour), ArchiveID: after + "x"}
	return []callback.Event{ev}, after + "x", nil
}

func (endlessPurger) Delete(ctx context.Context, _ int64, ids []string) (int, error) {
	return len(ids), ctx.Err()
}

// TestPurgeCutShort: a pass ends a margin before the invocation's deadline, and a pass cut
// short is a success that says it is not complete.
func TestPurgeCutShort(t *testing.T) {
	ctx, cancel := context.WithTimeout(t.Context(), time.Second)
	defer cancel()
	deadline, _ := ctx.Deadline()
	var logs bytes.Buffer
	cfg := config.Config{SdkAppIDs: []int64{purgeApp, 1400000001}, ArchiveRetention: 24 * time.Hour}
	res, err := purgePass(ctx, endlessPurger{failingPurger{t: t}}, cfg, slog.New(slog.NewJSONHandler(&logs, nil)), time.Now())
	if err != nil {
		t.Fatalf("a pass cut short failed: %v", err)
	}
	// A tenth of the second is left: the pass must have ended well before the deadline.
	if left := time.Until(deadline); left < 50*time.Millisecond {
		t.Errorf("the pass returned %s before the deadline, want about 100ms", left)
	}
	if res.Complete || len(res.Apps) != 2 || res.Apps[0].Complete || res.Apps[0].Examined == 0 ||
		res.Apps[0].Deleted != res.Apps[0].Examined || res.Apps[1].Complete || res.Apps[1].Examined != 0 {
		t.Errorf("result %+v, want the first app cut short after some deletes, the second not begun", res)
	}
	for _, l := range purgeLines(t, &logs) {
		if l["level"] != "INFO" || l["complete"] != false {
			t.Errorf("line %v, want an info line, complete false", l)
		}
	}
}

// TestInstancePurge: Purge on a cold start that opens its SQLite store in the background waits
// for the open and purges the file the configuration names.
func TestInstancePurge(t *testing.T) {
	path := filepath.Join(t.TempDir(), "purge.db")
	st, err := sqlite.Open(t.Context(), path, sqlite.Options{})
	if err != nil {
		t.Fatal(err)
	}
	deliver(t, st, time.Now().Add(-10*24*time.Hour), createBody("r1", 1000), seatBody("r1", 2000))
	if err := st.Close(); err != nil {
		t.Fatal(err)
	}
	inst, logs, err := background(t, map[string]string{
		"ROOMHOOK_SDKAPPID":          strconv.FormatInt(purgeApp, 10),
		"ROOMHOOK_STORE":             "sqlite://" + path,
		"ROOMHOOK_ARCHIVE_RETENTION": "7d",
	})
	if err != nil {
		t.Fatal(err)
	}
	out, err := inst.Purge(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	var ans PurgeAnswer
	if err := json.Unmarshal(out, &ans); err != nil {
		t.Fatalf("answer %s: %v", out, err)
	}
	r := ans.ArchivePurge
	if r.Retention != "168h0m0s" || !r.Complete || len(r.Apps) != 1 || r.Apps[0].Examined != 2 || r.Apps[0].Deleted != 1 || r.Apps[0].Kept != 1 {
		t.Errorf("answer %s, want the seat change deleted and the create kept", out)
	}
	if got, want := archiveKeys(t, inst.opening.st.(callback.Reader), purgeApp), []string{callback.CommandCreateRoom + "@1000"}; !slices.Equal(got, want) {
		t.Errorf("archive %v, want %v", got, want)
	}
	if len(purgeLines(t, logs)) != 1 {
		t.Errorf("logs: %s", logs)
	}
}
