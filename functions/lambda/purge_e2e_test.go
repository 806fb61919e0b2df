package main

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/roomhook/roomhook/functions/samples"
	"github.com/roomhook/roomhook/pkg/callback"
	"github.com/roomhook/roomhook/pkg/coldstart"
	"github.com/roomhook/roomhook/pkg/store/sqlite"
	"github.com/roomhook/roomhook/scripts/localinvoke"
)

// aliveRoom is a room created long ago and never destroyed: its create outlives every purge.
const (
	aliveRoom      = "purge-alive"
	aliveEventTime = 1703600000000
)

// seedOldArchive writes a SQLite store at path holding both sample stories and aliveRoom's
// create, received ten days ago: an archive older than any retention the tests set.
func seedOldArchive(ctx context.Context, t *testing.T, path string) {
	t.Helper()
	st, err := sqlite.Open(ctx, path, sqlite.Options{})
	if err != nil {
		t.Fatal(err)
	}
	alive := samples.Sample{Variant: "alive", Command: callback.CommandCreateRoom, Body: string(withRoom(aliveRoom, aliveEventTime))}
	ss := append(append(slices.Clone(samples.Story), samples.LiveStory...), alive)
	if err := samples.Deliver(ctx, st, time.Now().Add(-10*24*time.Hour), ss...); err != nil {
		t.Fatal(err)
	}
	if err := st.Close(); err != nil {
		t.Fatal(err)
	}
}

// archiveOf lists an app's archive in a SQLite file as command@room@EventTime, sorted.
func archiveOf(ctx context.Context, t *testing.T, path string) []string {
	t.Helper()
	st, err := sqlite.Open(ctx, path, sqlite.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	evs, err := st.Events(ctx, testAppID)
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, ev := range evs {
		out = append(out, archiveKey(ev.Command, ev.RoomID, ev.EventTime))
	}
	slices.Sort(out)
	return out
}

func archiveKey(command, room string, eventTime int64) string {
	return command + "@" + room + "@" + strconv.FormatInt(eventTime, 10)
}

// decodePurge reads a scheduled invocation's answer strictly.
func decodePurge(t *testing.T, out []byte) coldstart.PurgeResult {
	t.Helper()
	var a coldstart.PurgeAnswer
	dec := json.NewDecoder(strings.NewReader(string(out)))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&a); err != nil {
		t.Fatalf("answer %s is not the purge's: %v", out, err)
	}
	return a.ArchivePurge
}

// TestEndToEndPurge runs bootstrap under the real Runtime Interface Emulator on a SQLite store
// whose archive is ten days old, with ROOMHOOK_ARCHIVE_RETENTION=24h, and sends it the scheduled
// event of events/ (what an EventBridge schedule, template.yaml's PurgeFunction, delivers)
// between callbacks: the archive rows the retention lets go are deleted, those a fold still
// reads (a room's life from its create on, its newest member count, the battles) and those
// younger than the retention are kept, the rooms' rows are untouched, a second pass deletes
// nothing, and callbacks before and after are answered as ever. A store that fails makes the
// scheduled invocation a function error. Without the retention a scheduled event deletes
// nothing and says why.
func TestEndToEndPurge(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the function and the Runtime Interface Emulator; skipped with -short")
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Minute)
	defer cancel()
	bin := t.TempDir()
	rie, err := localinvoke.BuildRIE(ctx, bin)
	if err != nil {
		t.Fatal(err)
	}
	bootstrap := filepath.Join(bin, "bootstrap")
	if err := localinvoke.BuildFunction(ctx, "./functions/lambda", bootstrap); err != nil {
		t.Fatal(err)
	}
	scheduled := loadPurgeSample(t)
	golden := func(name string) []byte {
		b, err := os.ReadFile(filepath.Join("events", name+".json"))
		if err != nil {
			t.Fatal(err)
		}
		return b
	}
	withBody := func(name string, body []byte) []byte {
		m := parseMutable(t, golden(name))
		m.setBody(body)
		return m.bytes(t)
	}
	start := func(t *testing.T, path string, env ...string) (localinvoke.Runtime, *syncBuffer) {
		out := &syncBuffer{}
		rt, err := localinvoke.StartLambda(ctx, rie, bootstrap, localinvoke.Options{
			Env: append([]string{"PATH=" + os.Getenv("PATH"), "HOME=" + os.Getenv("HOME"),
				"ROOMHOOK_SDKAPPID=1400123456", "ROOMHOOK_STORE=sqlite://" + path}, env...),
			Stderr: out,
		})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() {
			if t.Failed() {
				t.Logf("function output:\n%s", out.String())
			}
		})
		return rt, out
	}
	callback200 := func(t *testing.T, rt localinvoke.Runtime, name string, event []byte) {
		t.Helper()
		out, err := rt.Invoke(ctx, event)
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		if status, err := localinvoke.StatusCode(out); err != nil || status != 200 {
			t.Errorf("%s: status %d (%v), want 200: %s", name, status, err, out)
		}
	}
	purge := func(t *testing.T, rt localinvoke.Runtime) coldstart.PurgeResult {
		t.Helper()
		out, err := rt.Invoke(ctx, scheduled)
		if err != nil {
			t.Fatalf("scheduled event: %v", err)
		}
		return decodePurge(t, out)
	}

	t.Run("retention 24h", func(t *testing.T) {
		path := filepath.Join(t.TempDir(), "purge.db")
		seedOldArchive(ctx, t, path)
		rt, out := start(t, path, "ROOMHOOK_ARCHIVE_RETENTION=24h")

		// A seat change of the open room, received now: younger than the retention.
		seat := strings.ReplaceAll(samples.Get("seat-changed").Body, `"`+seedRoomID+`"`, strconv.Quote(aliveRoom))
		seat = strings.Replace(seat, `"EventTime":1703589970000`, `"EventTime":1703600001000`, 1)
		callback200(t, rt, "a fresh seat change", withBody("functionurl-seat-changed", []byte(seat)))

		all := len(samples.Story) + len(samples.LiveStory) + 1
		kept := len(samples.PurgeKept) + 1 // and the open room's create
		first := purge(t, rt)
		if first.Retention != "24h0m0s" || !first.Complete || len(first.Apps) != 1 {
			t.Fatalf("first pass %+v", first)
		}
		if a := first.Apps[0]; a.App != testAppID || a.Examined != all || a.Kept != kept || a.Deleted != all-kept || !a.Complete {
			t.Errorf("first pass %+v, want %d examined, %d kept, %d deleted", a, all, kept, all-kept)
		}
		if cutoff, err := time.Parse(time.RFC3339Nano, first.Cutoff); err != nil || time.Since(cutoff) < 24*time.Hour || time.Since(cutoff) > 25*time.Hour {
			t.Errorf("cutoff %q (%v), want a day ago", first.Cutoff, err)
		}
		second := purge(t, rt)
		if a := second.Apps[0]; !second.Complete || a.Examined != kept || a.Kept != kept || a.Deleted != 0 {
			t.Errorf("second pass %+v, want the %d kept rows examined again and nothing deleted", a, kept)
		}
		// Callbacks after the purge: the seed's create again (a duplicate of a kept row) and a new room.
		callback200(t, rt, "the seed again", golden("functionurl-default"))
		callback200(t, rt, "a new room", withBody("apigateway-http", withRoom("purge-new", 1703600002000)))
		if err := rt.Close(); err != nil {
			t.Errorf("Close: %v", err)
		}

		var want []string
		for _, s := range append(slices.Clone(samples.Story), samples.LiveStory...) {
			if samples.PurgeKept[s.Variant] {
				want = append(want, archiveKey(s.Command, s.Room(), s.EventTime))
			}
		}
		want = append(want, archiveKey(callback.CommandCreateRoom, aliveRoom, aliveEventTime),
			archiveKey(callback.CommandSeatChanged, aliveRoom, 1703600001000),
			archiveKey(callback.CommandCreateRoom, "purge-new", 1703600002000))
		slices.Sort(want)
		if got := archiveOf(ctx, t, path); !slices.Equal(got, want) {
			t.Errorf("archive after the purges\n got %v\nwant %v", got, want)
		}
		st, err := sqlite.Open(ctx, path, sqlite.Options{})
		if err != nil {
			t.Fatal(err)
		}
		defer st.Close()
		for room, rows := range map[string]samples.Rows{seedRoomID: samples.Want(testAppID), samples.LiveRoomID: samples.LiveWant(testAppID)} {
			got, err := samples.Read(ctx, st, testAppID, room)
			if err != nil {
				t.Fatal(err)
			}
			if d := samples.Diff(got, rows); d != "" {
				t.Errorf("room %s, its archive purged:\n%s", room, d)
			}
		}
		if n := strings.Count(out.String(), `"msg":"`+coldstart.PurgeLine+`"`); n != 2 {
			t.Errorf("%d %q lines, want one per pass", n, coldstart.PurgeLine)
		}
	})

	t.Run("store failure", func(t *testing.T) {
		// A store the purge cannot read: the archive table is renamed away from under the open
		// store. The scheduled invocation must be a function error, which Lambda retries and
		// counts in the function's Errors metric.
		path := filepath.Join(t.TempDir(), "broken.db")
		rt, out := start(t, path, "ROOMHOOK_ARCHIVE_RETENTION=24h")
		callback200(t, rt, "a callback, so that the store is open", golden("functionurl-default"))
		db, err := sql.Open("sqlite", path)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := db.Exec("ALTER TABLE callback_events RENAME TO callback_events_away"); err != nil {
			t.Fatal(err)
		}
		db.Close()
		_, err = rt.Invoke(ctx, scheduled)
		var fe *localinvoke.FunctionError
		if !errors.As(err, &fe) || fe.Exited || !strings.Contains(fe.Message, coldstart.PurgeLine) || !strings.Contains(fe.Message, "sqlite") {
			t.Errorf("scheduled event on a broken store: %v, want a function error naming the purge and the backend", err)
		}
		if err := rt.Close(); err != nil { // then all of the output has arrived
			t.Errorf("Close: %v", err)
		}
		if !strings.Contains(out.String(), `"level":"ERROR","msg":"`+coldstart.PurgeLine+`"`) {
			t.Errorf("no error line of the purge")
		}
	})

	t.Run("no retention", func(t *testing.T) {
		path := filepath.Join(t.TempDir(), "keep.db")
		seedOldArchive(ctx, t, path)
		before := archiveOf(ctx, t, path)
		rt, out := start(t, path)
		res := purge(t, rt)
		if res.Retention != "" || !res.Complete || len(res.Apps) != 0 {
			t.Errorf("answer %+v, want nothing done", res)
		}
		if err := rt.Close(); err != nil {
			t.Errorf("Close: %v", err)
		}
		if !strings.Contains(out.String(), "ROOMHOOK_ARCHIVE_RETENTION is not set") {
			t.Errorf("no warning naming ROOMHOOK_ARCHIVE_RETENTION:\n%s", out.String())
		}
		if after := archiveOf(ctx, t, path); !slices.Equal(after, before) {
			t.Errorf("archive %d rows, want the %d it had", len(after), len(before))
		}
	})
}
