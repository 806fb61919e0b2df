package main

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/roomhook/roomhook/functions/samples"
	"github.com/roomhook/roomhook/pkg/callback"
	"github.com/roomhook/roomhook/pkg/coldstart"
	"github.com/roomhook/roomhook/pkg/store/sqlite"
	"github.com/roomhook/roomhook/scripts/localinvoke"
)

// TestEndToEndPurge drives the function binary over scf-go-lib's net/rpc protocol, as SCF does,
// on a SQLite store whose archive (both sample stories and an open room's create) was received
// ten days ago, with ROOMHOOK_ARCHIVE_RETENTION=7d: the timer event of events/ (what
// serverless.purge.yml's timer trigger sends) is the cold start's first invocation and purges
// what the retention lets go, keeping what a fold still reads; callbacks are answered after it;
// a second pass, after callbacks received now, deletes nothing; the rooms' rows are untouched.
// A store that fails makes the timer invocation a function error.
func TestEndToEndPurge(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and runs the function binary")
	}
	bin := filepath.Join(t.TempDir(), "main")
	if err := localinvoke.BuildFunction(t.Context(), scfPackage, bin); err != nil {
		t.Fatalf("build: %v", err)
	}
	ctx, cancel := context.WithTimeout(t.Context(), 2*time.Minute)
	defer cancel()
	timer := loadGolden(t, timerSample)
	const aliveRoom = "purge-alive"
	const aliveEventTime = seedEventTime + 10_000_000

	path := filepath.Join(t.TempDir(), "purge.db")
	st, err := sqlite.Open(ctx, path, sqlite.Options{})
	if err != nil {
		t.Fatal(err)
	}
	alive := samples.Sample{Variant: "alive", Command: callback.CommandCreateRoom, Body: payloadWith(aliveRoom, aliveEventTime)}
	stories := append(slices.Clone(samples.Story), samples.LiveStory...)
	if err := samples.Deliver(ctx, st, time.Now().Add(-10*24*time.Hour), append(stories, alive)...); err != nil {
		t.Fatal(err)
	}
	if err := st.Close(); err != nil {
		t.Fatal(err)
	}

	var stderr lockedBuffer
	defer func() {
		if t.Failed() {
			t.Logf("function stderr:\n%s", stderr.String())
		}
	}()
	env := append(baseEnv(), "ROOMHOOK_SDKAPPID=1400123456", "ROOMHOOK_STORE=sqlite://"+path, "ROOMHOOK_ARCHIVE_RETENTION=7d")
	rt, err := localinvoke.StartSCF(ctx, bin, localinvoke.Options{Env: env, Stderr: &stderr})
	if err != nil {
		t.Fatalf("start: %v", err)
	}
	purge := func() coldstart.AppPurge {
		t.Helper()
		out, err := rt.Invoke(ctx, timer)
		if err != nil {
			t.Fatalf("timer event: %v", err)
		}
		var a coldstart.PurgeAnswer
		dec := json.NewDecoder(strings.NewReader(string(out)))
		dec.DisallowUnknownFields()
		if err := dec.Decode(&a); err != nil {
			t.Fatalf("answer %s is not the purge's: %v", out, err)
		}
		if r := a.ArchivePurge; r.Retention != "168h0m0s" || !r.Complete || len(r.Apps) != 1 || r.Apps[0].App != testAppID {
			t.Fatalf("answer %s", out)
		}
		return a.ArchivePurge.Apps[0]
	}
	callback200 := func(rt localinvoke.Runtime, name string, event []byte) {
		t.Helper()
		out, err := rt.Invoke(ctx, event)
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		checkOK(t, out)
	}

	all, kept := len(stories)+1, len(samples.PurgeKept)+1
	if a := purge(); a.Examined != all || a.Kept != kept || a.Deleted != all-kept {
		t.Errorf("first pass %+v, want %d examined, %d kept, %d deleted", a, all, kept, all-kept)
	}
	plain := loadGolden(t, "functionurl-default")
	callback200(rt, "the seed again", plain)
	callback200(rt, "a new room", edit(t, plain, func(ev map[string]any) { setBody(ev, payloadWith("purge-new", aliveEventTime+1)) }))
	callback200(rt, "a purged seat change again", loadGolden(t, "functionurl-seat-changed"))
	if a := purge(); a.Examined != kept || a.Kept != kept || a.Deleted != 0 {
		t.Errorf("second pass %+v, want the %d old rows kept examined again and nothing deleted", a, kept)
	}
	if err := rt.Close(); err != nil {
		t.Errorf("close: %v", err)
	}

	// What stays: the rows PurgeKept names, the open room's create, and the callbacks received
	// now (the seed's create was a duplicate of a kept row; the seat change, purged, is archived
	// again).
	var want []archived
	for _, s := range stories {
		if samples.PurgeKept[s.Variant] {
			want = append(want, archived{s.Room(), s.EventTime})
		}
	}
	seat := samples.Get("seat-changed")
	want = append(want, archived{aliveRoom, aliveEventTime}, archived{"purge-new", aliveEventTime + 1}, archived{seat.Room(), seat.EventTime})
	checkStore(t, path, []string{seedRoomID, samples.LiveRoomID, aliveRoom, "purge-new"}, want, nil)
	st = reopen(t, path)
	for room, rows := range map[string]samples.Rows{seedRoomID: samples.Want(testAppID), samples.LiveRoomID: samples.LiveWant(testAppID)} {
		got, err := samples.Read(ctx, st, testAppID, room)
		if err != nil {
			t.Fatal(err)
		}
		if d := samples.Diff(got, rows); d != "" {
			t.Errorf("room %s, its archive purged:\n%s", room, d)
		}
	}
	if n := strings.Count(stderr.String(), `"msg":"`+coldstart.PurgeLine+`"`); n != 2 {
		t.Errorf("%d %q lines, want one per pass", n, coldstart.PurgeLine)
	}

	t.Run("store failure", func(t *testing.T) {
		// A store the purge cannot read: the archive table is renamed away from under the open
		// store. The timer invocation must fail, so that SCF's retries and alarms see it.
		path := filepath.Join(t.TempDir(), "broken.db")
		var stderr lockedBuffer
		defer func() {
			if t.Failed() {
				t.Logf("function stderr:\n%s", stderr.String())
			}
		}()
		env := append(baseEnv(), "ROOMHOOK_SDKAPPID=1400123456", "ROOMHOOK_STORE=sqlite://"+path, "ROOMHOOK_ARCHIVE_RETENTION=7d")
		rt, err := localinvoke.StartSCF(ctx, bin, localinvoke.Options{Env: env, Stderr: &stderr})
		if err != nil {
			t.Fatalf("start: %v", err)
		}
		defer rt.Close()
		callback200(rt, "a callback, so that the store is open", plain)
		db, err := sql.Open("sqlite", path)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := db.Exec("ALTER TABLE callback_events RENAME TO callback_events_away"); err != nil {
			t.Fatal(err)
		}
		db.Close()
		_, err = rt.Invoke(ctx, timer)
		var fe *localinvoke.FunctionError
		if !errors.As(err, &fe) || fe.Exited || !strings.Contains(fe.Message, coldstart.PurgeLine) || !strings.Contains(fe.Message, "sqlite") {
			t.Errorf("timer event on a broken store: %v, want a function error naming the purge and the backend", err)
		}
		// The process lives on: the next timer event runs (and fails) again.
		if _, err := rt.Invoke(ctx, timer); !errors.As(err, &fe) || fe.Exited {
			t.Errorf("a second timer event on the broken store: %v, want a function error again", err)
		}
		if err := rt.Close(); err != nil { // then all of the output has arrived
			t.Errorf("close: %v", err)
		}
		if n := strings.Count(stderr.String(), `"level":"ERROR","msg":"`+coldstart.PurgeLine+`"`); n != 2 {
			t.Errorf("%d error lines of the purge, want one per timer event", n)
		}
	})
}
