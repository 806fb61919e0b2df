package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/roomhook/roomhook/functions/samples"
	"github.com/roomhook/roomhook/pkg/store/sqlite"
	"github.com/roomhook/roomhook/scripts/localinvoke"
	"github.com/roomhook/roomhook/scripts/tencentcallback"
)

// The web function the sender is tested against, built once: one instance without a token and
// one with.
var servers struct{ unsigned, signed, unsignedDB string }

const (
	token     = "sender-test-token"
	seedFile  = "../../functions/web/events/callback-create-room.json"
	okPacket  = tencentcallback.OKPacket
	testAppID = "1400123456"
)

func TestMain(m *testing.M) {
	os.Exit(func() int {
		flag.Parse()
		if testing.Short() {
			return m.Run() // the tests that need the server skip
		}
		dir, err := os.MkdirTemp("", "sendcallback-test-")
		if err != nil {
			fmt.Fprintln(os.Stderr, err)
			return 2
		}
		defer os.RemoveAll(dir)
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
		defer cancel()
		bin := filepath.Join(dir, "main")
		if err := localinvoke.BuildFunction(ctx, "./functions/web", bin); err != nil {
			fmt.Fprintln(os.Stderr, err)
			return 2
		}
		var log bytes.Buffer
		var mu sync.Mutex
		start := func(name string, env ...string) (*localinvoke.WebServer, error) {
			env = append(env, "ROOMHOOK_SDKAPPID="+testAppID, "ROOMHOOK_STORE=sqlite://"+filepath.Join(dir, name+".db"))
			return localinvoke.StartWeb(ctx, bin, localinvoke.Options{Env: env, Stderr: writerFunc(func(p []byte) (int, error) {
				mu.Lock()
				defer mu.Unlock()
				return log.Write(p)
			})})
		}
		unsigned, err := start("unsigned")
		if err != nil {
			fmt.Fprintln(os.Stderr, err)
			return 2
		}
		defer unsigned.Close()
		signed, err := start("signed", "ROOMHOOK_CALLBACK_TOKEN="+token)
		if err != nil {
			fmt.Fprintln(os.Stderr, err)
			return 2
		}
		defer signed.Close()
		servers.unsigned, servers.signed = unsigned.URL(), signed.URL()
		servers.unsignedDB = filepath.Join(dir, "unsigned.db")
		code := m.Run()
		if code != 0 {
			mu.Lock()
			fmt.Fprintf(os.Stderr, "web function output:\n%s\n", log.String())
			mu.Unlock()
		}
		return code
	}())
}

type writerFunc func([]byte) (int, error)

func (f writerFunc) Write(p []byte) (int, error) { return f(p) }

func needServers(t *testing.T) {
	t.Helper()
	if testing.Short() {
		t.Skip("runs the web function; skipped with -short")
	}
}

// closedPort returns a loopback URL nothing listens on.
func closedPort(t *testing.T) string {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	url := "http://" + ln.Addr().String() + "/"
	ln.Close()
	return url
}

func TestAgainstWebFunction(t *testing.T) {
	needServers(t)
	tests := []struct {
		name     string
		args     []string
		env      map[string]string
		stdin    string
		wantCode int
		wantOut  string // stdout starts with it
		wantErr  string // in stderr
	}{
		{"seed, unsigned", []string{servers.unsigned, seedFile}, nil, "",
			0, "200 OK\n" + okPacket + "\n", "unsigned"},
		{"default body, on a path with a query", []string{"-default-body", seedFile, servers.unsigned + "release/callback?stage=1"}, nil, "",
			0, "200 OK\n", "/release/callback?stage=1&SdkAppid=1400123456&CallbackCommand=Room.CallbackAfterCreateRoom&contenttype=json&ClientIP=127.0.0.1&OptPlatform=RESTAPI"},
		{"body from stdin, JSON answer", []string{"-json", servers.unsigned, "-"}, nil, readSeed(t),
			0, `{"statusCode":200,"headers":{`, "OK after"},
		{"ClientIP and OptPlatform given", []string{"-client-ip", "203.0.113.7", "-opt-platform", "Web", servers.unsigned, seedFile}, nil, "",
			0, "200 OK\n", "ClientIP=203.0.113.7&OptPlatform=Web"},
		{"signed, first of two tokens", []string{servers.signed, seedFile}, map[string]string{"ROOMHOOK_CALLBACK_TOKEN": token + ",old-token"}, "",
			0, "200 OK\n", "signed with the first token"},
		{"unsigned to a server with a token", []string{servers.signed, seedFile}, nil, "",
			1, "401 Unauthorized\n", "not the answer Tencent counts as a success"},
		{"wrong token", []string{servers.signed, seedFile}, map[string]string{"ROOMHOOK_CALLBACK_TOKEN": "wrong-token"}, "",
			1, "401 Unauthorized\n", "Sign=…"},
		{"old token first", []string{servers.signed, seedFile}, map[string]string{"ROOMHOOK_CALLBACK_TOKEN": "old-token," + token}, "",
			1, "401 Unauthorized\n", ""},
		{"other app", []string{"-sdkappid", "1400999999", servers.unsigned, seedFile}, nil, "",
			1, "403 Forbidden\n", "SdkAppid=1400999999"},
		{"app from the environment", []string{servers.unsigned, seedFile}, map[string]string{"ROOMHOOK_SDKAPPID": "1400999999,1400123456"}, "",
			1, "403 Forbidden\n", "SdkAppid=1400999999"},
		{"command that differs from the body's", []string{"-command", "Room.Other", servers.unsigned, seedFile}, nil, "",
			1, "400 Bad Request\n", ""},
		{"nothing listening", []string{closedPort(t), seedFile}, nil, "",
			1, "", "no answer"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var stdout, stderr bytes.Buffer
			getenv := func(k string) string { return tt.env[k] }
			code := run(context.Background(), tt.args, getenv, strings.NewReader(tt.stdin), &stdout, &stderr)
			if code != tt.wantCode {
				t.Errorf("exit %d, want %d\nstdout: %s\nstderr: %s", code, tt.wantCode, stdout.String(), stderr.String())
			}
			if !strings.HasPrefix(stdout.String(), tt.wantOut) {
				t.Errorf("stdout %q, want it to start with %q", stdout.String(), tt.wantOut)
			}
			if !strings.Contains(stderr.String(), tt.wantErr) {
				t.Errorf("stderr %q lacks %q", stderr.String(), tt.wantErr)
			}
			for _, secret := range []string{token, "wrong-token", "old-token"} {
				if strings.Contains(stdout.String()+stderr.String(), secret) {
					t.Errorf("the output shows the token %q:\n%s%s", secret, stdout.String(), stderr.String())
				}
			}
			if strings.Contains(stderr.String(), "&Sign=") && !strings.Contains(stderr.String(), "&Sign=…&") {
				t.Errorf("the output shows the Sign: %s", stderr.String())
			}
			if strings.HasPrefix(tt.wantOut, "{") {
				var doc struct {
					StatusCode int               `json:"statusCode"`
					Headers    map[string]string `json:"headers"`
					Body       string            `json:"body"`
				}
				if err := json.Unmarshal(stdout.Bytes(), &doc); err != nil || doc.Body != okPacket || doc.Headers["Content-Type"] != "application/json" {
					t.Errorf("JSON answer %s: %+v, %v", stdout.String(), doc, err)
				}
			}
		})
	}
}

func TestUsage(t *testing.T) {
	dir := t.TempDir()
	noCommand := filepath.Join(dir, "no-command.json")
	if err := os.WriteFile(noCommand, []byte(`{"RoomInfo":{"RoomId":"r"}}`), 0o644); err != nil {
		t.Fatal(err)
	}
	url := "http://127.0.0.1:9/"
	for _, tt := range []struct {
		args    []string
		wantErr string
	}{
		{nil, "want URL"},
		{[]string{url}, "no BODY_FILE"},
		{[]string{url, seedFile, "extra"}, "want URL"},
		{[]string{url, filepath.Join(dir, "missing.json")}, "no such file"},
		{[]string{url, noCommand}, "no CallbackCommand"},
		{[]string{"example.com/callback", seedFile}, "want http://HOST"},
		{[]string{"-timeout", "0s", url, seedFile}, "-timeout must be positive"},
		{[]string{"-nope", url, seedFile}, "flag provided but not defined"},
	} {
		var stdout, stderr bytes.Buffer
		code := run(context.Background(), tt.args, func(string) string { return "" }, strings.NewReader(""), &stdout, &stderr)
		if code != exitUsage || !strings.Contains(stderr.String(), tt.wantErr) || stdout.Len() != 0 {
			t.Errorf("run(%q) = %d, stdout %q, stderr %q; want 2 and %q", tt.args, code, stdout.String(), stderr.String(), tt.wantErr)
		}
	}
}

// TestScript runs scripts/send-callback.sh itself: the default body, the exit status passed
// through.
func TestScript(t *testing.T) {
	needServers(t)
	if _, err := exec.LookPath("bash"); err != nil {
		t.Skip("no bash")
	}
	for _, tt := range []struct {
		token    string
		wantCode int
	}{{token, 0}, {"wrong-token", 1}} {
		cmd := exec.Command("bash", "../send-callback.sh", servers.signed)
		cmd.Env = append(os.Environ(), "ROOMHOOK_CALLBACK_TOKEN="+tt.token, "ROOMHOOK_SDKAPPID=")
		var stdout, stderr bytes.Buffer
		cmd.Stdout, cmd.Stderr = &stdout, &stderr
		err := cmd.Run()
		code := 0
		var ee *exec.ExitError
		if errors.As(err, &ee) {
			code = ee.ExitCode()
		} else if err != nil {
			t.Fatal(err)
		}
		if code != tt.wantCode || strings.Contains(stdout.String()+stderr.String(), tt.token) {
			t.Errorf("token %s: exit %d, want %d\nstdout: %s\nstderr: %s", tt.token, code, tt.wantCode, stdout.String(), stderr.String())
		}
		if tt.wantCode == 0 && stdout.String() != "200 OK\n"+okPacket+"\n" {
			t.Errorf("stdout %q", stdout.String())
		}
	}
}

// TestEveryCommand sends the web function's sample of every command of the samples' stories
// (functions/web/events/callback-<variant>.json: every projected Room command, then every Live
// command), the last of each story through the script, each answered OK, and finds the rows
// each story leaves — the Room room's room, members and seats, the Live room's with its admins,
// metadata, battle and gift — in the function's SQLite store.
func TestEveryCommand(t *testing.T) {
	needServers(t)
	for _, story := range [][]samples.Sample{samples.Story, samples.LiveStory} {
		for i, s := range story {
			file := "../../functions/web/events/callback-" + s.Variant + ".json"
			if i == len(story)-1 {
				if _, err := exec.LookPath("bash"); err == nil {
					cmd := exec.Command("bash", "../send-callback.sh", servers.unsigned, file)
					cmd.Env = append(os.Environ(), "ROOMHOOK_CALLBACK_TOKEN=", "ROOMHOOK_SDKAPPID=")
					out, err := cmd.CombinedOutput()
					if err != nil || !strings.Contains(string(out), "CallbackCommand="+s.Command+"&") {
						t.Fatalf("send-callback.sh %s: %v\n%s", file, err, out)
					}
					continue
				}
			}
			var stdout, stderr bytes.Buffer
			code := run(context.Background(), []string{servers.unsigned, file}, func(string) string { return "" }, strings.NewReader(""), &stdout, &stderr)
			if code != exitOK || stdout.String() != "200 OK\n"+okPacket+"\n" || !strings.Contains(stderr.String(), "CallbackCommand="+s.Command+"&") {
				t.Fatalf("%s: exit %d\nstdout: %s\nstderr: %s", s.Variant, code, stdout.String(), stderr.String())
			}
		}
	}
	st, err := sqlite.Open(context.Background(), servers.unsignedDB, sqlite.Options{Timeout: time.Minute})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	for room, want := range map[string]samples.Rows{samples.RoomID: samples.Want(samples.AppID), samples.LiveRoomID: samples.LiveWant(samples.AppID)} {
		got, err := samples.Read(context.Background(), st, samples.AppID, room)
		if err != nil {
			t.Fatal(err)
		}
		if d := samples.Diff(got, want); d != "" {
			t.Errorf("room %s:\n%s", room, d)
		}
	}
}

func readSeed(t *testing.T) string {
	b, err := os.ReadFile(seedFile)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}
