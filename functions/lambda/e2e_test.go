package main

import (
	"bytes"
	"context"
	"errors"
	"os"
	"path/filepath"
	"slices"
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

// syncBuffer collects the function's and the emulator's output, written from other goroutines.
type syncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// e2eCase is one invocation of the warm function and what must come back.
type e2eCase struct {
	name       string
	event      []byte
	wantStatus int
	wantAllow  bool
}

// withRoom returns the seed body with another RoomId (and RoomName) and EventTime, a distinct
// event for the archive.
func withRoom(roomID string, eventTime int64) []byte {
	b := strings.ReplaceAll(seedBody, `"tandy-test-rest"`, strconv.Quote(roomID))
	return []byte(strings.Replace(b, `"EventTime":1703589922780`, `"EventTime":`+strconv.FormatInt(eventTime, 10), 1))
}

func signedPairsAt(token string, at time.Time) []pair {
	rt := strconv.FormatInt(at.Unix(), 10)
	return append(seedPairs(), pair{"Sign", callback.Sign(token, rt)}, pair{"RequestTime", rt})
}

// TestEndToEnd builds bootstrap as it is deployed (CGO_ENABLED=0, -tags lambda.norpc) and runs
// it under the real AWS Lambda Runtime Interface Emulator: every golden event (the seed in every
// shape, the samples' story, one event of each projected command, and the Live story, one event
// of each Live command) and a set of rejected ones go through one warm process, then the SQLite
// file it wrote is checked row by row, the Live room's against samples.LiveWant. Signature
// checks are exercised in a second instance with a token configured.
func TestEndToEnd(t *testing.T) {
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
	files := loadGoldens(t)
	golden := func(name string) goldenFile {
		for _, g := range files {
			if g.name == name {
				return g
			}
		}
		t.Fatalf("no golden event %s", name)
		return goldenFile{}
	}
	mutate := func(name string, f func(m mutable)) []byte {
		m := parseMutable(t, golden(name).payload)
		f(m)
		return m.bytes(t)
	}

	t.Run("unsigned", func(t *testing.T) {
		var cases []e2eCase
		for _, g := range files {
			cases = append(cases, e2eCase{name: g.name, event: g.payload, wantStatus: 200})
		}
		newer := withRoom(seedRoomID, 1703589999000)
		second := withRoom("tandy-test-e2e-2", 1703589922780)
		cases = append(cases,
			// Distinct events: a newer state of the seed room, and a second room.
			e2eCase{"newer event", mutate("apigateway-http", func(m mutable) { m.setBody(newer) }), 200, false},
			e2eCase{"second room", mutate("alb-multivalue", func(m mutable) { m.setBody(second) }), 200, false},
			e2eCase{"second room again", mutate("apigateway-http-base64", func(m mutable) { m.setBody(second) }), 200, false},
			// Rejected events, each with a body that would be a new row if it were stored.
			e2eCase{"GET", mutate("apigateway-rest", func(m mutable) {
				m.setMethod("GET")
				m.setBody(withRoom("rejected-get", 1))
			}), 405, true},
			e2eCase{"unknown SdkAppid", mutate("functionurl-default", func(m mutable) {
				m.setQuery(append(seedPairs()[1:], pair{"SdkAppid", "1400999999"}))
				m.setBody(withRoom("rejected-app", 2))
			}), 403, false},
			e2eCase{"repeated SdkAppid", mutate("apigateway-http", func(m mutable) {
				m.setQuery(append(seedPairs(), pair{"SdkAppid", "1400123456"}))
				m.setBody(withRoom("rejected-repeat", 3))
			}), 400, false},
			e2eCase{"bad base64", mutate("apigateway-http-base64", func(m mutable) {
				m["body"] = "eyJDYWxsYmFja0NvbW1hbmQi*not*base64"
			}), 400, false},
			e2eCase{"body not JSON", mutate("alb-default", func(m mutable) { m.setBody([]byte("RoomId=rejected-form")) }), 400, false},
			e2eCase{"event of unknown shape", []byte(`{"Records":[{"eventSource":"aws:sqs","body":"{}"}]}`), 405, true},
			e2eCase{"event not JSON", []byte(`RoomId=rejected`), 405, true},
		)
		path := runWarm(ctx, t, rie, bootstrap, nil, cases)

		// The seed room lived the samples' whole story (create to destroy), then was created
		// again by the newer event; the Live room lived the Live story (its gift delivered once:
		// one ledger row); the second room is one create.
		n := countRows(t, path)
		live := samples.LiveWant(testAppID)
		wantRows := rowCounts{events: len(samples.Story) + len(samples.LiveStory) + 2, Counts: live.Count()}
		wantRows.Rooms, wantRows.Members, wantRows.Seats = 3, wantRows.Members+2, wantRows.Seats+3
		if n != wantRows {
			t.Errorf("rows %+v, want %+v (duplicates and rejections leave none)", n, wantRows)
		}
		st, err := sqlite.Open(ctx, path, sqlite.Options{})
		if err != nil {
			t.Fatal(err)
		}
		defer st.Close()
		evs, err := st.Events(ctx, testAppID)
		if err != nil {
			t.Fatal(err)
		}
		var keys, want []string
		for _, ev := range evs {
			keys = append(keys, ev.RoomID+"@"+strconv.FormatInt(ev.EventTime, 10))
			if ev.RequestID == "" || ev.ClientIP != "203.0.113.7" || ev.OptPlatform != "RESTAPI" {
				t.Errorf("archive row %+v", ev)
			}
		}
		for _, g := range files {
			if k := g.sample().Room() + "@" + strconv.FormatInt(g.sample().EventTime, 10); !slices.Contains(want, k) {
				want = append(want, k)
			}
		}
		want = append(want, "tandy-test-rest@1703589999000", "tandy-test-e2e-2@1703589922780")
		if !slices.Equal(keys, want) {
			t.Errorf("archive rows %v, want %v", keys, want)
		}
		got, err := samples.Read(ctx, st, testAppID, seedRoomID)
		if err != nil {
			t.Fatal(err)
		}
		story := samples.Want(testAppID)
		if d := samples.Diff(samples.Rows{Members: got.Members, Seats: got.Seats}, samples.Rows{Members: story.Members, Seats: story.Seats}); d != "" {
			t.Errorf("the story's members and seats:\n%s", d)
		}
		if r := got.Room; r == nil || r.EventTime != 1703589999000 || r.DestroyedAt != nil || r.CallbackCommand != callback.CommandCreateRoom ||
			r.MemberCount == nil || *r.MemberCount != 1 {
			t.Errorf("room %s: %+v, want the newer create's life (EventTime 1703589999000, not destroyed, the story's member count 1)", seedRoomID, r)
		}
		if _, err := callback.ReadRoom(ctx, st, testAppID, "tandy-test-e2e-2"); err != nil {
			t.Errorf("second room: %v", err)
		}
		gotLive, err := samples.Read(ctx, st, testAppID, samples.LiveRoomID)
		if err != nil {
			t.Fatal(err)
		}
		if d := samples.Diff(gotLive, live); d != "" {
			t.Errorf("the Live story's rows:\n%s", d)
		}
	})

	t.Run("signed", func(t *testing.T) {
		const token = "e2e-callback-token"
		now := time.Now()
		var cases []e2eCase
		for i, g := range files {
			// Each golden gets its own event, so every accepted one is a row.
			body := withRoom("signed-"+g.name, 1703589922780+int64(i))
			cases = append(cases, e2eCase{g.name, mutate(g.name, func(m mutable) {
				m.setQuery(signedPairsAt(token, now))
				m.setBody(body)
			}), 200, false})
		}
		cases = append(cases,
			e2eCase{"wrong Sign", mutate("apigateway-http", func(m mutable) {
				m.setQuery(signedPairsAt("not-the-token", now))
				m.setBody(withRoom("rejected-sign", 4))
			}), 401, false},
			e2eCase{"unsigned", mutate("apigateway-rest", func(m mutable) { m.setBody(withRoom("rejected-unsigned", 5)) }), 401, false},
			e2eCase{"RequestTime an hour old", mutate("alb-default", func(m mutable) {
				m.setQuery(signedPairsAt(token, now.Add(-time.Hour)))
				m.setBody(withRoom("rejected-old", 6))
			}), 401, false},
		)
		path := runWarm(ctx, t, rie, bootstrap, []string{"ROOMHOOK_CALLBACK_TOKEN=" + token}, cases)

		if n := countRows(t, path); n != (rowCounts{events: len(files), Counts: samples.Counts{Rooms: len(files)}}) {
			t.Errorf("rows %+v, want %d rooms and archive rows", n, len(files))
		}
		st, err := sqlite.Open(ctx, path, sqlite.Options{})
		if err != nil {
			t.Fatal(err)
		}
		defer st.Close()
		evs, err := st.Events(ctx, testAppID)
		if err != nil {
			t.Fatal(err)
		}
		for _, ev := range evs {
			if !strings.HasPrefix(ev.RoomID, "signed-") {
				t.Errorf("unexpected archive row for room %q", ev.RoomID)
			}
		}
	})

	t.Run("refuses to start without an SdkAppID", func(t *testing.T) {
		var out syncBuffer
		rt, err := localinvoke.StartLambda(ctx, rie, bootstrap, localinvoke.Options{
			Env:    []string{"PATH=" + os.Getenv("PATH"), "HOME=" + os.Getenv("HOME")},
			Stderr: &out,
		})
		if err == nil {
			defer rt.Close()
			_, err = rt.Invoke(ctx, golden("apigateway-http").payload)
		}
		var fe *localinvoke.FunctionError
		if !errors.As(err, &fe) || !fe.Exited {
			t.Fatalf("got %v, want a function error for an exited process", err)
		}
		if !strings.Contains(out.String(), "ROOMHOOK_SDKAPPID") {
			t.Errorf("the output does not name ROOMHOOK_SDKAPPID:\n%s", out.String())
		}
	})
}

// runWarm starts one function instance with a fresh SQLite store, sends every case through it
// in order, checks each answer, stops it and returns the store's path.
func runWarm(ctx context.Context, t *testing.T, rie, bootstrap string, env []string, cases []e2eCase) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "e2e.db")
	var out syncBuffer
	rt, err := localinvoke.StartLambda(ctx, rie, bootstrap, localinvoke.Options{
		Env: append([]string{
			"PATH=" + os.Getenv("PATH"),
			"HOME=" + os.Getenv("HOME"),
			"ROOMHOOK_SDKAPPID=1400123456",
			"ROOMHOOK_STORE=sqlite://" + path,
		}, env...),
		Stderr: &out,
	})
	if err != nil {
		t.Fatal(err)
	}
	defer func() {
		if t.Failed() {
			t.Logf("function output:\n%s", out.String())
		}
	}()
	for _, c := range cases {
		resp, err := rt.Invoke(ctx, c.event)
		if err != nil {
			t.Errorf("%s: %v", c.name, err)
			continue
		}
		status, err := localinvoke.StatusCode(resp)
		if err != nil || status != c.wantStatus {
			t.Errorf("%s: status %d (%v), want %d: %s", c.name, status, err, c.wantStatus, resp)
			continue
		}
		src := translate(c.event)
		r := parseResponse(t, resp, src.source, src.multi)
		if r.header("Content-Type") != "application/json" {
			t.Errorf("%s: Content-Type %q", c.name, r.header("Content-Type"))
		}
		if c.wantAllow && r.header("Allow") != "POST" {
			t.Errorf("%s: no Allow: POST in %s", c.name, resp)
		}
		if status == 200 {
			if *r.Body != okPacket {
				t.Errorf("%s: body %s, want %s", c.name, *r.Body, okPacket)
			}
		} else if p, code := r.packet(t); p != "FAIL" || code == 0 {
			t.Errorf("%s: packet %s/%d, want FAIL", c.name, p, code)
		}
	}
	if err := rt.Close(); err != nil {
		t.Errorf("Close: %v", err)
	}
	return path
}
