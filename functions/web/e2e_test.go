package main

import (
	"bufio"
	"bytes"
	"context"
	"io"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/roomhook/roomhook/functions/samples"
	"github.com/roomhook/roomhook/pkg/callback"
	"github.com/roomhook/roomhook/pkg/store/sqlite"
	"github.com/roomhook/roomhook/scripts/localinvoke"
	"github.com/roomhook/roomhook/scripts/tencentcallback"
)

// webPackage is this package, as the go command names it from anywhere in the module.
const webPackage = "github.com/roomhook/roomhook/functions/web"

// TestEndToEnd builds the binary as it is deployed and runs it as an SCF web function runs it,
// but on 127.0.0.1 and a free port: callbacks sent the way Tencent sends them, rejections,
// a graceful shutdown on SIGTERM with a request in flight, then the rows it wrote.
func TestEndToEnd(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and runs the function binary")
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	bin := filepath.Join(t.TempDir(), "main")
	if err := localinvoke.BuildFunction(ctx, webPackage, bin); err != nil {
		t.Fatalf("build: %v", err)
	}
	dbPath := filepath.Join(t.TempDir(), "e2e.db")
	env := []string{
		"PATH=" + os.Getenv("PATH"),
		"ROOMHOOK_SDKAPPID=" + testAppID,
		"ROOMHOOK_STORE=sqlite://" + dbPath,
		"ROOMHOOK_LOG_LEVEL=debug",
	}
	client := tencentcallback.NewClient(5 * time.Second)

	t.Run("unsigned", func(t *testing.T) {
		var log syncBuffer
		srv, err := localinvoke.StartWeb(ctx, bin, localinvoke.Options{Env: env, Stderr: &log})
		if err != nil {
			t.Fatal(err)
		}
		defer srv.Close()
		if !strings.Contains(log.String(), `"addr":"127.0.0.1:`) {
			t.Errorf("not listening on loopback only:\n%s", log.String())
		}

		ans, err := tencentcallback.Send(ctx, client, srv.URL()+"callback", tencentcallback.Callback{Body: seedBody})
		if err != nil {
			t.Fatal(err)
		}
		if !ans.OK() || ans.Header.Get("Content-Type") != "application/json" {
			t.Errorf("seed: %d %s %v; want 200 and exactly %s", ans.StatusCode, ans.Body, ans.Header, okPacket)
		}
		// The rest of the samples' story, one callback of every other projected command, then
		// the Live story, one callback of every Live command (its gift once: one ledger row).
		for _, s := range append(slices.Clone(samples.Story[1:]), samples.LiveStory...) {
			body, err := os.ReadFile(filepath.Join("events", "callback-"+s.Variant+".json"))
			if err != nil {
				t.Fatal(err)
			}
			ans, err := tencentcallback.Send(ctx, client, srv.URL()+"callback", tencentcallback.Callback{Body: body})
			if err != nil {
				t.Fatal(err)
			}
			if !ans.OK() {
				t.Errorf("%s: %d %s; want 200 and exactly %s", s.Variant, ans.StatusCode, ans.Body, okPacket)
			}
		}

		rejected := []struct {
			name       string
			method     string
			query      string
			body       []byte
			wantStatus int
		}{
			{"GET", "GET", seedQuery, withRoom("e2e-get"), 405},
			{"other app", "POST", strings.Replace(seedQuery, testAppID, "1400999999", 1), withRoom("e2e-403"), 403},
			{"body over 1 MiB", "POST", seedQuery, append(withRoom("e2e-413"), bytes.Repeat([]byte(" "), callback.MaxBodyBytes)...), 413},
		}
		for _, r := range rejected {
			resp, body := post(t, r.method, srv.URL()+"?"+r.query, r.body)
			if resp.StatusCode != r.wantStatus || !strings.Contains(string(body), `"ActionStatus":"FAIL"`) {
				t.Errorf("%s: %d %s; want %d and a FAIL packet", r.name, resp.StatusCode, body, r.wantStatus)
			}
			if allow := resp.Header.Get("Allow"); (r.wantStatus == 405) != (allow == "POST") {
				t.Errorf("%s: Allow %q", r.name, allow)
			}
		}

		// A request in flight when SIGTERM arrives: headers and half of the body now, the rest
		// after the server has started shutting down.
		inflight := withRoom("e2e-inflight")
		conn, err := net.Dial("tcp", strings.TrimSuffix(strings.TrimPrefix(srv.URL(), "http://"), "/"))
		if err != nil {
			t.Fatal(err)
		}
		defer conn.Close()
		head := "POST /callback?" + seedQuery + " HTTP/1.1\r\nHost: roomhook\r\nContent-Type: application/json\r\n" +
			"X-Scf-Request-Id: e2e-inflight-1\r\nContent-Length: " + strconv.Itoa(len(inflight)) + "\r\n\r\n"
		if _, err := io.WriteString(conn, head+string(inflight[:len(inflight)/2])); err != nil {
			t.Fatal(err)
		}
		waitFor(t, "the in-flight request", &log, `"request_id":"e2e-inflight-1"`)
		if err := syscall.Kill(srv.PID(), syscall.SIGTERM); err != nil {
			t.Fatal(err)
		}
		waitFor(t, "the shutdown", &log, "shutting down")
		if c, err := net.DialTimeout("tcp", strings.TrimSuffix(strings.TrimPrefix(srv.URL(), "http://"), "/"), time.Second); err == nil {
			c.Close()
			t.Error("the server still accepts connections after SIGTERM")
		}
		time.Sleep(200 * time.Millisecond) // the request stays in flight a moment longer
		if _, err := conn.Write(inflight[len(inflight)/2:]); err != nil {
			t.Fatal(err)
		}
		_ = conn.SetReadDeadline(time.Now().Add(10 * time.Second))
		resp, err := http.ReadResponse(bufio.NewReader(conn), nil)
		if err != nil {
			t.Fatalf("the in-flight request got no answer: %v\n%s", err, log.String())
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != 200 || string(body) != okPacket {
			t.Errorf("in-flight request: %d %s; want 200 %s", resp.StatusCode, body, okPacket)
		}
		code, exited := srv.Wait(10 * time.Second)
		if !exited || code != 0 {
			t.Fatalf("after SIGTERM: exited %v, code %d; want a clean exit 0\n%s", exited, code, log.String())
		}
		if err := srv.Close(); err != nil {
			t.Error(err)
		}
		if !strings.Contains(log.String(), `"msg":"stopped"`) {
			t.Errorf("no clean stop in the log:\n%s", log.String())
		}
	})

	t.Run("signed", func(t *testing.T) {
		var log syncBuffer
		srv, err := localinvoke.StartWeb(ctx, bin, localinvoke.Options{Env: append(env, "ROOMHOOK_CALLBACK_TOKEN=e2e-token,old-token"), Stderr: &log})
		if err != nil {
			t.Fatal(err)
		}
		defer func() {
			if err := srv.Close(); err != nil {
				t.Error(err)
			}
		}()
		for _, c := range []struct {
			token      string
			body       []byte
			wantStatus int
		}{
			{"", withRoom("e2e-unsigned"), 401},
			{"wrong-token", withRoom("e2e-wrong"), 401},
			{"e2e-token", withRoom("e2e-signed"), 200},
			{"old-token", seedBody, 200}, // a duplicate of the first run's seed
		} {
			ans, err := tencentcallback.Send(ctx, client, srv.URL(), tencentcallback.Callback{Body: c.body, Token: c.token})
			if err != nil {
				t.Fatal(err)
			}
			if ans.StatusCode != c.wantStatus || (c.wantStatus == 200) != ans.OK() {
				t.Errorf("token %q: %d %s; want %d", c.token, ans.StatusCode, ans.Body, c.wantStatus)
			}
		}
	})

	t.Run("refuses to start without an SdkAppID", func(t *testing.T) {
		var log syncBuffer
		srv, err := localinvoke.StartWeb(ctx, bin, localinvoke.Options{Env: []string{"PATH=" + os.Getenv("PATH")}, Stderr: &log})
		if err == nil {
			srv.Close()
			t.Fatal("the server started without ROOMHOOK_SDKAPPID")
		}
		if !strings.Contains(err.Error(), "ROOMHOOK_SDKAPPID is required") {
			t.Errorf("error %v does not name the variable", err)
		}
	})

	// What the two instances stored, read back from the file.
	st, err := sqlite.Open(ctx, dbPath, sqlite.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	evs, err := st.Events(ctx, 1400123456)
	if err != nil {
		t.Fatal(err)
	}
	var rooms []string
	for _, ev := range evs {
		rooms = append(rooms, ev.RoomID)
		if ev.ClientIP != tencentcallback.DefaultClientIP && ev.ClientIP != "203.0.113.7" {
			t.Errorf("%s: ClientIP %q", ev.RoomID, ev.ClientIP)
		}
		if ev.RequestID == "" || ev.OptPlatform != "RESTAPI" || (ev.RoomID != seedRoomID && ev.RoomID != samples.LiveRoomID &&
			ev.Command != callback.CommandCreateRoom && ev.Command != callback.CommandLiveThreshold) {
			t.Errorf("archive row %+v", ev)
		}
		if ev.RoomID == "e2e-inflight" && ev.RequestID != "e2e-inflight-1" {
			t.Errorf("in-flight request archived with request id %q, want the X-Scf-Request-Id header's", ev.RequestID)
		}
		if ev.Command == callback.CommandCreateRoom && ev.RoomID == seedRoomID && !bytes.Equal(ev.Raw, seedBody) {
			t.Errorf("seed archived as %q, want the body verbatim", ev.Raw)
		}
	}
	var want []string
	for _, s := range append(slices.Clone(samples.Story), samples.LiveStory...) {
		want = append(want, s.Room()) // "" for the app-wide threshold
	}
	want = append(want, "e2e-inflight", "e2e-signed")
	if !slices.Equal(rooms, want) {
		t.Errorf("archived rooms %v, want %v (rejections and duplicates leave no row)", rooms, want)
	}
	for _, id := range want {
		if id == "" {
			continue
		}
		if _, err := callback.ReadRoom(ctx, st, 1400123456, id); err != nil {
			t.Errorf("room %s: %v", id, err)
		}
	}
	got, err := samples.Read(ctx, st, 1400123456, seedRoomID)
	if err != nil {
		t.Fatal(err)
	}
	if d := samples.Diff(got, samples.Want(1400123456)); d != "" {
		t.Errorf("the samples' story:\n%s", d)
	}
	got, err = samples.Read(ctx, st, 1400123456, samples.LiveRoomID)
	if err != nil {
		t.Fatal(err)
	}
	if d := samples.Diff(got, samples.LiveWant(1400123456)); d != "" {
		t.Errorf("the samples' Live story:\n%s", d)
	}
}
