package main

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"io"
	"net"
	"net/http"
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
	"github.com/roomhook/roomhook/pkg/coldstart"
	"github.com/roomhook/roomhook/pkg/store/sqlite"
)

const (
	testAppID  = "1400123456"
	okPacket   = `{"ActionStatus":"OK","ErrorInfo":"","ErrorCode":0}`
	seedRoomID = "tandy-test-rest"
	seedQuery  = "SdkAppid=1400123456&CallbackCommand=Room.CallbackAfterCreateRoom&contenttype=json&ClientIP=203.0.113.7&OptPlatform=RESTAPI"
)

// seedBody is the bundled sample, the raw create-room callback.
var seedBody = func() []byte {
	b, err := os.ReadFile("events/callback-create-room.json")
	if err != nil {
		panic(err)
	}
	return b
}()

// withRoom returns the seed body for another room, a distinct event.
func withRoom(roomID string) []byte {
	return bytes.ReplaceAll(seedBody, []byte(strconv.Quote(seedRoomID)), []byte(strconv.Quote(roomID)))
}

// syncBuffer collects log output written from other goroutines.
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

// waitFor waits until s contains want.
func waitFor(t *testing.T, what string, s interface{ String() string }, want string) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for !strings.Contains(s.String(), want) {
		if time.Now().After(deadline) {
			t.Fatalf("no %s (%q) in the log:\n%s", what, want, s.String())
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// serve runs the adapter in-process on a loopback port with a SQLite store in a temp dir and
// the given extra environment, and returns its base URL and log.
func serve(t *testing.T, lim limits, env ...string) (string, *syncBuffer) {
	t.Helper()
	vars := map[string]string{
		"ROOMHOOK_SDKAPPID":  testAppID,
		"ROOMHOOK_STORE":     "sqlite://" + filepath.Join(t.TempDir(), "web.db"),
		"ROOMHOOK_LOG_LEVEL": "debug",
	}
	for _, kv := range env {
		k, v, _ := strings.Cut(kv, "=")
		vars[k] = v
	}
	var log syncBuffer
	inst, err := coldstart.Build(context.Background(), func(k string) string { return vars[k] }, &log)
	if err != nil {
		t.Fatal(err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	srv := newServer(inst.Handler, inst.Logger, lim)
	go func() { _ = srv.Serve(ln) }()
	t.Cleanup(func() {
		_ = srv.Close()
		_ = inst.Store.Close()
	})
	return "http://" + ln.Addr().String(), &log
}

func post(t *testing.T, method, url string, body []byte, header ...string) (*http.Response, []byte) {
	t.Helper()
	req, err := http.NewRequest(method, url, bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/json")
	for i := 0; i+1 < len(header); i += 2 {
		req.Header.Set(header[i], header[i+1])
	}
	resp, err := (&http.Client{Timeout: 10 * time.Second}).Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return resp, b
}

func TestStatusTable(t *testing.T) {
	base, log := serve(t, defaultLimits)
	signedBase, _ := serve(t, defaultLimits, "ROOMHOOK_CALLBACK_TOKEN=secret")
	now := strconv.FormatInt(time.Now().Unix(), 10)
	tests := []struct {
		name       string
		method     string
		url        string
		body       []byte
		wantStatus int
		wantCode   int // ErrorCode; 0 with the exact OK packet
		wantAllow  bool
	}{
		{"seed on any path", "POST", base + "/any/path?" + seedQuery, seedBody, 200, 0, false},
		{"duplicate", "POST", base + "/?" + seedQuery, seedBody, 200, 0, false},
		{"GET", "GET", base + "/?" + seedQuery, nil, 405, 40501, true},
		{"PUT", "PUT", base + "/?" + seedQuery, withRoom("web-put"), 405, 40501, true},
		{"other app", "POST", base + "/?" + strings.Replace(seedQuery, testAppID, "1400999999", 1), withRoom("web-403"), 403, 40302, false},
		{"repeated SdkAppid", "POST", base + "/?" + seedQuery + "&SdkAppid=" + testAppID, withRoom("web-400"), 400, 40006, false},
		{"body over 1 MiB", "POST", base + "/?" + seedQuery, bytes.Repeat([]byte(" "), callback.MaxBodyBytes+1), 413, 41301, false},
		{"body of exactly 1 MiB is read", "POST", base + "/?" + seedQuery, append(withRoom("web-1mib"), bytes.Repeat([]byte(" "), callback.MaxBodyBytes-len(withRoom("web-1mib")))...), 200, 0, false},
		{"unsigned with a token", "POST", signedBase + "/?" + seedQuery, seedBody, 401, 40101, false},
		{"wrong token", "POST", signedBase + "/?" + seedQuery + "&Sign=" + callback.Sign("wrong", now) + "&RequestTime=" + now, seedBody, 401, 40103, false},
		{"right token", "POST", signedBase + "/?" + seedQuery + "&Sign=" + callback.Sign("secret", now) + "&RequestTime=" + now, seedBody, 200, 0, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			resp, body := post(t, tt.method, tt.url, tt.body)
			if resp.StatusCode != tt.wantStatus {
				t.Errorf("status %d, want %d: %s", resp.StatusCode, tt.wantStatus, body)
			}
			if ct := resp.Header.Get("Content-Type"); ct != "application/json" {
				t.Errorf("Content-Type %q", ct)
			}
			if got := resp.Header.Get("Allow"); (got == "POST") != tt.wantAllow {
				t.Errorf("Allow %q, want it only on 405", got)
			}
			if tt.wantCode == 0 {
				if string(body) != okPacket {
					t.Errorf("body %s, want exactly %s", body, okPacket)
				}
			} else if !strings.Contains(string(body), `"ActionStatus":"FAIL"`) || !strings.Contains(string(body), `"ErrorCode":`+strconv.Itoa(tt.wantCode)) {
				t.Errorf("body %s, want FAIL with ErrorCode %d", body, tt.wantCode)
			}
		})
	}
	if !strings.Contains(log.String(), `"outcome":"stored"`) || !strings.Contains(log.String(), `"outcome":"duplicate"`) {
		t.Errorf("the core's log lines are missing:\n%s", log.String())
	}
}

// TestSamples POSTs every sample of events/ (the samples' stories: the Room story, one callback
// of each projected Room command, and the Live story, one of each Live command) with the query
// string Tencent sends it with: each is answered 200 with the OK packet, each alone leaves its
// rows, and each whole story, newest first and then again, leaves its rows; both stories into
// one store leave both. Every delivery of the gift is kept: sent twice, it is two archive rows
// and two ledger rows.
func TestSamples(t *testing.T) {
	files, err := filepath.Glob(filepath.Join("events", "*.json"))
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, f := range files {
		names = append(names, strings.TrimSuffix(filepath.Base(f), ".json"))
	}
	all := append(slices.Clone(samples.Story), samples.LiveStory...)
	var want []string
	for _, s := range all {
		want = append(want, "callback-"+s.Variant)
	}
	slices.Sort(names)
	slices.Sort(want)
	if !slices.Equal(names, want) {
		t.Fatalf("events/ holds %v, want one callback-<variant>.json per callback of the samples' stories: %v", names, want)
	}
	send := func(t *testing.T, base string, s samples.Sample) {
		t.Helper()
		body, err := os.ReadFile(filepath.Join("events", "callback-"+s.Variant+".json"))
		if err != nil {
			t.Fatal(err)
		}
		if string(body) != s.Body {
			t.Fatalf("events/callback-%s.json is not the %s callback of functions/samples", s.Variant, s.Variant)
		}
		resp, answer := post(t, "POST", base+"/?"+s.RawQuery(), body)
		if resp.StatusCode != 200 || string(answer) != okPacket {
			t.Fatalf("%s: %d %s, want 200 %s", s.Variant, resp.StatusCode, answer, okPacket)
		}
	}
	for _, s := range all {
		t.Run(s.Variant, func(t *testing.T) {
			dir := t.TempDir()
			base, _ := serve(t, defaultLimits, "ROOMHOOK_STORE=sqlite://"+filepath.Join(dir, "web.db"))
			send(t, base, s)
			send(t, base, s) // a duplicate, but of the gift
			st := openSQLite(t, filepath.Join(dir, "web.db"))
			got, err := samples.Read(t.Context(), st, samples.AppID, s.Room())
			if err != nil {
				t.Fatal(err)
			}
			want, events := s.Counts, 1
			if s.EveryDelivery() {
				want.Gifts, events = 2*want.Gifts, 2
			}
			if c := got.Count(); c != want {
				t.Errorf("rows %+v, want %+v", c, want)
			}
			evs, err := st.Events(t.Context(), samples.AppID)
			if err != nil || len(evs) != events {
				t.Fatalf("archive: %v, %d rows, want %d", err, len(evs), events)
			}
			for _, ev := range evs {
				if string(ev.Raw) != s.Body || ev.Command != s.Command || ev.RoomID != s.Room() || ev.EventTime != s.EventTime {
					t.Errorf("archive row %+v", ev)
				}
			}
		})
	}
	stories := []struct {
		name  string
		story []samples.Sample
		want  map[string]samples.Rows // by room
	}{
		// Each story is sent twice: its gift is two ledger rows.
		{"the story", samples.Story, map[string]samples.Rows{samples.RoomID: samples.Want(samples.AppID)}},
		{"the Live story", samples.LiveStory, map[string]samples.Rows{samples.LiveRoomID: samples.LiveWant(samples.AppID).Deliveries(2)}},
		{"both stories", all, map[string]samples.Rows{samples.RoomID: samples.Want(samples.AppID), samples.LiveRoomID: samples.LiveWant(samples.AppID).Deliveries(2)}},
	}
	for _, c := range stories {
		t.Run(c.name, func(t *testing.T) {
			dir := t.TempDir()
			base, _ := serve(t, defaultLimits, "ROOMHOOK_STORE=sqlite://"+filepath.Join(dir, "web.db"))
			for i := range c.story {
				send(t, base, c.story[len(c.story)-1-i])
			}
			for _, s := range c.story {
				send(t, base, s)
			}
			st := openSQLite(t, filepath.Join(dir, "web.db"))
			for room, want := range c.want {
				got, err := samples.Read(t.Context(), st, samples.AppID, room)
				if err != nil {
					t.Fatal(err)
				}
				if d := samples.Diff(got, want); d != "" {
					t.Errorf("room %s:\n%s", room, d)
				}
			}
			want := len(c.story)
			for _, s := range c.story {
				if s.EveryDelivery() {
					want++ // its second delivery
				}
			}
			if evs, err := st.Events(t.Context(), samples.AppID); err != nil || len(evs) != want {
				t.Errorf("archive: %v, %d rows, want one per callback, two of the gift (%d)", err, len(evs), want)
			}
		})
	}
}

// openSQLite opens the SQLite store a server writes, for reading.
func openSQLite(t *testing.T, path string) *sqlite.Store {
	t.Helper()
	st, err := sqlite.Open(t.Context(), path, sqlite.Options{Timeout: time.Minute})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	return st
}

func TestRequestID(t *testing.T) {
	base, log := serve(t, defaultLimits)
	post(t, "POST", base+"/?"+seedQuery, withRoom("web-id-1"), "X-Scf-Request-Id", "scf-req-1", "X-Request-Id", "other")
	post(t, "POST", base+"/?"+seedQuery, withRoom("web-id-2"), "X-Request-Id", "proxy-req-2")
	post(t, "POST", base+"/?"+seedQuery, withRoom("web-id-3"), "X-Request-Id", "has space")
	for _, want := range []string{`"request_id":"scf-req-1"`, `"request_id":"proxy-req-2"`} {
		if !strings.Contains(log.String(), want) {
			t.Errorf("log lacks %s:\n%s", want, log.String())
		}
	}
	if strings.Contains(log.String(), "has space") {
		t.Error("an implausible request id was used")
	}

	h := http.Header{}
	a, b := requestID(h), requestID(h)
	if len(a) != 36 || a == b || a[14] != '4' {
		t.Errorf("generated ids %q, %q", a, b)
	}
	h.Set("X-Request-Id", strings.Repeat("x", maxRequestID+1))
	if got := requestID(h); len(got) != 36 {
		t.Errorf("an overlong id was kept: %q", got)
	}
}

func TestListenAddr(t *testing.T) {
	tests := []struct {
		env     map[string]string
		want    string
		wantErr bool
	}{
		{map[string]string{}, "0.0.0.0:9000", false},
		{map[string]string{"PORT": "8080"}, "0.0.0.0:8080", false},
		{map[string]string{"ROOMHOOK_LISTEN_HOST": "127.0.0.1", "PORT": " 9001 "}, "127.0.0.1:9001", false},
		{map[string]string{"ROOMHOOK_LISTEN_HOST": "::1"}, "[::1]:9000", false},
		{map[string]string{"PORT": "http"}, "", true},
		{map[string]string{"PORT": "0"}, "", true},
		{map[string]string{"PORT": "65536"}, "", true},
	}
	for _, tt := range tests {
		got, err := listenAddr(func(k string) string { return tt.env[k] })
		if got != tt.want || (err != nil) != tt.wantErr {
			t.Errorf("listenAddr(%v) = %q, %v; want %q, error %v", tt.env, got, err, tt.want, tt.wantErr)
		}
	}
}

// TestSlowClients: a client that trickles its headers, or its body, is cut off by the server's
// timeouts and holds nothing.
func TestSlowClients(t *testing.T) {
	lim := defaultLimits
	lim.readHeader, lim.read = 200*time.Millisecond, 500*time.Millisecond
	base, log := serve(t, lim)
	addr := strings.TrimPrefix(base, "http://")

	closedWithin := func(t *testing.T, conn net.Conn, d time.Duration) string {
		t.Helper()
		_ = conn.SetReadDeadline(time.Now().Add(d))
		got, err := io.ReadAll(conn)
		var ne net.Error
		if errors.As(err, &ne) && ne.Timeout() {
			t.Fatalf("the server still holds the connection after %s", d)
		}
		return string(got)
	}

	t.Run("headers", func(t *testing.T) {
		conn, err := net.Dial("tcp", addr)
		if err != nil {
			t.Fatal(err)
		}
		defer conn.Close()
		_, _ = io.WriteString(conn, "POST /?"+seedQuery+" HTTP/1.1\r\nHost: x\r\n")
		closedWithin(t, conn, 3*time.Second)
	})
	t.Run("body", func(t *testing.T) {
		conn, err := net.Dial("tcp", addr)
		if err != nil {
			t.Fatal(err)
		}
		defer conn.Close()
		_, _ = io.WriteString(conn, "POST /?"+seedQuery+" HTTP/1.1\r\nHost: x\r\nX-Request-Id: slow-body\r\nContent-Length: "+
			strconv.Itoa(len(seedBody))+"\r\n\r\n"+string(seedBody[:10]))
		if got := closedWithin(t, conn, 3*time.Second); got != "" {
			t.Errorf("the server answered a request it could not read: %q", got)
		}
		waitFor(t, "the dropped request", log, `"request_id":"slow-body"`)
		if strings.Contains(log.String(), `"msg":"callback","request_id":"slow-body"`) {
			t.Error("a request whose body never arrived reached the core")
		}
	})
	t.Run("oversized body closes the connection", func(t *testing.T) {
		conn, err := net.Dial("tcp", addr)
		if err != nil {
			t.Fatal(err)
		}
		defer conn.Close()
		// Announce 4 MiB, send just over 1 MiB: the answer (413) comes without the rest.
		_, _ = io.WriteString(conn, "POST /?"+seedQuery+" HTTP/1.1\r\nHost: x\r\nContent-Length: "+strconv.Itoa(4<<20)+"\r\n\r\n")
		_, _ = conn.Write(bytes.Repeat([]byte(" "), callback.MaxBodyBytes+1))
		_ = conn.SetReadDeadline(time.Now().Add(3 * time.Second))
		resp, err := http.ReadResponse(bufio.NewReader(conn), nil)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != 413 || !resp.Close {
			t.Errorf("status %d, close %v; want 413 and the connection closed", resp.StatusCode, resp.Close)
		}
	})
}
