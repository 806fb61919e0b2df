package main

import (
	"bytes"
	"context"
	"errors"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/roomhook/roomhook/functions/samples"
	"github.com/roomhook/roomhook/pkg/callback"
	"github.com/roomhook/roomhook/pkg/store/sqlite"
	"github.com/roomhook/roomhook/scripts/localinvoke"
)

// The end-to-end tests build this function's binary and drive it as SCF does, over
// scf-go-lib's net/rpc protocol, through one warm process per configuration; then they read
// the SQLite file the process wrote.

// scfPackage is this package, as the go command names it from anywhere in the module.
const scfPackage = "github.com/roomhook/roomhook/functions/scf"

// invocation is one event sent to the running function and the answer expected.
type invocation struct {
	name       string
	event      []byte
	wantStatus int
}

// archived is the key of one callback_events row.
type archived struct {
	roomID    string
	eventTime int64
}

func TestEndToEnd(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and runs the function binary")
	}
	bin := filepath.Join(t.TempDir(), "main")
	if err := localinvoke.BuildFunction(t.Context(), scfPackage, bin); err != nil {
		t.Fatalf("build: %v", err)
	}

	t.Run("unsigned", func(t *testing.T) {
		trigger, plain, b64 := loadGolden(t, "apigateway-trigger"), loadGolden(t, "functionurl-default"), loadGolden(t, "apigateway-base64")
		var calls []invocation
		for _, g := range goldenEvents(t) {
			calls = append(calls, invocation{g.name, g.data, 200})
		}
		calls = append(calls,
			invocation{"retry of the trigger event", trigger, 200},
			invocation{"another room", edit(t, plain, func(ev map[string]any) { setBody(ev, payloadWith("e2e-room-2", seedEventTime)) }), 200},
			invocation{"a later event", edit(t, b64, func(ev map[string]any) { setBody(ev, payloadWith(seedRoomID, seedEventTime+1000)) }), 200},
			invocation{"an earlier event", edit(t, trigger, func(ev map[string]any) { setBody(ev, payloadWith(seedRoomID, seedEventTime-1000)) }), 200},
			invocation{"GET", edit(t, trigger, func(ev map[string]any) {
				ev["httpMethod"] = "GET"
				setBody(ev, payloadWith("e2e-rejected-405", seedEventTime))
			}), 405},
			invocation{"other SdkAppid", edit(t, plain, func(ev map[string]any) {
				queryOf(ev)["SdkAppid"] = "1400999999"
				setBody(ev, payloadWith("e2e-rejected-403", seedEventTime))
			}), 403},
			invocation{"bad base64", edit(t, b64, func(ev map[string]any) { ev["body"] = "not base64: " + payloadWith("e2e-rejected-b64", seedEventTime) }), 400},
			invocation{"repeated query key", edit(t, trigger, func(ev map[string]any) {
				queryOf(ev)["SdkAppid"] = []any{"1400123456", "1400123456"}
				setBody(ev, payloadWith("e2e-rejected-400", seedEventTime))
			}), 400},
			invocation{"not JSON", []byte("roomhook"), 405},
			invocation{"Sign ignored without a token", edit(t, plain, func(ev map[string]any) {
				sign(ev, "whatever", time.Now())
				setBody(ev, payloadWith("e2e-room-2", seedEventTime)) // a duplicate
			}), 200},
		)
		dbPath := filepath.Join(t.TempDir(), "e2e.db")
		runWarm(t, bin, dbPath, nil, calls)
		checkStore(t, dbPath,
			[]string{seedRoomID, samples.LiveRoomID, "e2e-room-2"},
			append(storyArchive(), archived{"e2e-room-2", seedEventTime}, archived{seedRoomID, seedEventTime + 1000}, archived{seedRoomID, seedEventTime - 1000}),
			[]string{"e2e-rejected-405", "e2e-rejected-403", "e2e-rejected-b64", "e2e-rejected-400"})
		// The seed room lived the samples' story; the later create (a second before its first
		// update) started the same life again, the earlier one came last and changed nothing:
		// the rows are the story's. The Live room lived the Live story, its gift delivered once.
		st := reopen(t, dbPath)
		for room, want := range map[string]samples.Rows{seedRoomID: samples.Want(testAppID), samples.LiveRoomID: samples.LiveWant(testAppID)} {
			got, err := samples.Read(t.Context(), st, testAppID, room)
			if err != nil {
				t.Fatal(err)
			}
			if d := samples.Diff(got, want); d != "" {
				t.Errorf("room %s:\n%s", room, d)
			}
		}
	})

	t.Run("signed", func(t *testing.T) {
		const token = "e2e-token"
		now := time.Now()
		plain := loadGolden(t, "functionurl-default")
		var calls []invocation
		for _, g := range goldenEvents(t) {
			calls = append(calls, invocation{"signed " + g.name, edit(t, g.data, func(ev map[string]any) { sign(ev, token, now) }), 200})
		}
		calls = append(calls,
			invocation{"signed, another room", edit(t, plain, func(ev map[string]any) {
				sign(ev, token, now)
				setBody(ev, payloadWith("e2e-signed-2", seedEventTime))
			}), 200},
			invocation{"unsigned", edit(t, plain, func(ev map[string]any) { setBody(ev, payloadWith("e2e-rejected-unsigned", seedEventTime)) }), 401},
			invocation{"wrong Sign", edit(t, plain, func(ev map[string]any) {
				sign(ev, "not-"+token, now)
				setBody(ev, payloadWith("e2e-rejected-sign", seedEventTime))
			}), 401},
			invocation{"Sign too old", edit(t, plain, func(ev map[string]any) {
				sign(ev, token, now.Add(-time.Hour))
				setBody(ev, payloadWith("e2e-rejected-old", seedEventTime))
			}), 401},
			invocation{"GET, signed", edit(t, plain, func(ev map[string]any) {
				sign(ev, token, now)
				ev["httpMethod"] = "GET"
				setBody(ev, payloadWith("e2e-rejected-get", seedEventTime))
			}), 405},
		)
		dbPath := filepath.Join(t.TempDir(), "e2e.db")
		runWarm(t, bin, dbPath, []string{"ROOMHOOK_CALLBACK_TOKEN=" + token}, calls)
		checkStore(t, dbPath,
			[]string{seedRoomID, samples.LiveRoomID, "e2e-signed-2"},
			append(storyArchive(), archived{"e2e-signed-2", seedEventTime}),
			[]string{"e2e-rejected-unsigned", "e2e-rejected-sign", "e2e-rejected-old", "e2e-rejected-get"})
	})

	t.Run("refuses to start without ROOMHOOK_SDKAPPID", func(t *testing.T) {
		var stderr lockedBuffer
		ctx, cancel := context.WithTimeout(t.Context(), time.Minute)
		defer cancel()
		rt, err := localinvoke.StartSCF(ctx, bin, localinvoke.Options{
			Env:    append(baseEnv(), "ROOMHOOK_STORE=sqlite://"+filepath.Join(t.TempDir(), "e2e.db")),
			Stderr: &stderr,
		})
		if err == nil {
			rt.Close()
			t.Fatal("the function started without ROOMHOOK_SDKAPPID")
		}
		if !errors.Is(err, localinvoke.ErrExited) || !strings.Contains(err.Error(), "exit") {
			t.Errorf("StartSCF error %q does not mention the process exit", err)
		}
		if !strings.Contains(stderr.String(), "ROOMHOOK_SDKAPPID") {
			t.Errorf("stderr does not name ROOMHOOK_SDKAPPID:\n%s", stderr.String())
		}
	})

	// The store opens in the background while the process starts listening: a store that
	// cannot be opened still stops the process, either before it listens or while the first
	// event waits, and that event is not acknowledged.
	t.Run("stops when the store cannot be opened", func(t *testing.T) {
		var stderr lockedBuffer
		ctx, cancel := context.WithTimeout(t.Context(), time.Minute)
		defer cancel()
		rt, err := localinvoke.StartSCF(ctx, bin, localinvoke.Options{
			Env: append(baseEnv(), "ROOMHOOK_SDKAPPID=1400123456",
				"ROOMHOOK_STORE=postgres://u:pw-e2e-s3cret@127.0.0.1:1/db?connect_timeout=5"),
			Stderr: &stderr,
		})
		if err == nil {
			out, ierr := rt.Invoke(ctx, loadGolden(t, "apigateway-trigger"))
			rt.Close()
			if ierr == nil {
				t.Fatalf("answered %s without a store", out)
			}
			err = ierr
		}
		if !strings.Contains(stderr.String(), "ROOMHOOK_STORE") {
			t.Errorf("stderr does not name ROOMHOOK_STORE (error %v):\n%s", err, stderr.String())
		}
		if strings.Contains(stderr.String()+err.Error(), "s3cret") {
			t.Errorf("the password leaked:\n%s\n%v", stderr.String(), err)
		}
	})
}

// baseEnv is the environment every run gets: no ROOMHOOK_* from the caller's shell.
func baseEnv() []string {
	return []string{"PATH=" + os.Getenv("PATH"), "HOME=" + os.Getenv("HOME")}
}

// runWarm starts the function once with a SQLite store at dbPath, sends every call through the
// same process, checks each answer, and stops the process.
func runWarm(t *testing.T, bin, dbPath string, extraEnv []string, calls []invocation) {
	t.Helper()
	var stderr lockedBuffer
	defer func() {
		if t.Failed() {
			t.Logf("function stderr:\n%s", stderr.String())
		}
	}()
	ctx, cancel := context.WithTimeout(t.Context(), 2*time.Minute)
	defer cancel()
	env := append(baseEnv(), "ROOMHOOK_SDKAPPID=1400123456", "ROOMHOOK_STORE=sqlite://"+dbPath)
	rt, err := localinvoke.StartSCF(ctx, bin, localinvoke.Options{Env: append(env, extraEnv...), Stderr: &stderr})
	if err != nil {
		t.Fatalf("start: %v", err)
	}
	for _, c := range calls {
		out, err := rt.Invoke(ctx, c.event)
		if err != nil {
			t.Errorf("%s: invoke: %v", c.name, err)
			continue
		}
		status, err := localinvoke.StatusCode(out)
		if err != nil || status != c.wantStatus {
			t.Errorf("%s: status %d (%v), want %d: %s", c.name, status, err, c.wantStatus, out)
			continue
		}
		if c.wantStatus == 200 {
			checkOK(t, out)
		} else {
			checkFail(t, out, c.wantStatus)
		}
	}
	if err := rt.Close(); err != nil {
		t.Errorf("close: %v", err)
	}
}

// storyArchive is the archive the samples' stories leave (the Room room's and the Live room's,
// with the app-wide threshold, of no room, and the gift, of no EventTime): one row per callback
// delivered once.
func storyArchive() []archived {
	var out []archived
	for _, s := range append(slices.Clone(samples.Story), samples.LiveStory...) {
		out = append(out, archived{s.Room(), s.EventTime})
	}
	return out
}

// reopen opens the SQLite file a function wrote, after the function stopped.
func reopen(t *testing.T, dbPath string) *sqlite.Store {
	t.Helper()
	st, err := sqlite.Open(t.Context(), dbPath, sqlite.Options{Timeout: time.Minute})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	return st
}

// checkStore checks that the file holds exactly the rooms and archive rows given, and nothing
// about the rooms of rejected requests or of another app.
func checkStore(t *testing.T, dbPath string, rooms []string, events []archived, rejected []string) {
	t.Helper()
	st := reopen(t, dbPath)
	ctx := t.Context()
	if n := countRows(t, dbPath, "rooms"); n != len(rooms) {
		t.Errorf("rooms rows = %d, want %d", n, len(rooms))
	}
	for _, id := range rooms {
		if _, err := callback.ReadRoom(ctx, st, testAppID, id); err != nil {
			t.Errorf("room %s: %v", id, err)
		}
	}
	if n := countRows(t, dbPath, "callback_events"); n != len(events) {
		t.Errorf("callback_events rows = %d, want %d", n, len(events))
	}
	got, err := st.Events(ctx, testAppID)
	if err != nil {
		t.Fatal(err)
	}
	var gotKeys, wantKeys []string
	for _, e := range got {
		gotKeys = append(gotKeys, e.RoomID+"@"+strconv.FormatInt(e.EventTime, 10))
		if !callback.Projected(e.Command) && e.Command != callback.CommandLiveThreshold || e.ClientIP != "203.0.113.7" || e.OptPlatform != "RESTAPI" || e.RequestID == "" {
			t.Errorf("archived event %+v", e)
		}
	}
	for _, e := range events {
		wantKeys = append(wantKeys, e.roomID+"@"+strconv.FormatInt(e.eventTime, 10))
	}
	sort.Strings(gotKeys)
	sort.Strings(wantKeys)
	if strings.Join(gotKeys, " ") != strings.Join(wantKeys, " ") {
		t.Errorf("archive:\n got %v\nwant %v", gotKeys, wantKeys)
	}
	for _, id := range rejected {
		if _, err := callback.ReadRoom(ctx, st, testAppID, id); !errors.Is(err, callback.ErrNotFound) {
			t.Errorf("room %s of a rejected request: %v, want ErrNotFound", id, err)
		}
	}
	if other, err := st.Events(ctx, 1400999999); err != nil || len(other) != 0 {
		t.Errorf("events of another app: %d, %v", len(other), err)
	}
}

// lockedBuffer collects a process's stderr while the test reads it.
type lockedBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *lockedBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *lockedBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}
