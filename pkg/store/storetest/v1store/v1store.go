// Package v1store writes a store with roomhook's version-1 code, so that the migration to the
// current schema is tested against what the released version really wrote, not against a store
// made up in the test. It builds the web function of Commit from the repository's own history
// (git archive, go build), runs it on loopback with ROOMHOOK_STORE set to the store under test,
// and delivers callbacks to it over HTTP as Tencent would.
//
// It needs git, the repository's history down to Commit (a clean clone has it; a shallow one
// does not, and the test says so) and the Go toolchain; the binary is built once per machine
// and kept in the temp directory. It runs on Linux (the build lock is flock).
package v1store

import (
	"archive/tar"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/roomhook/roomhook/pkg/callback"
)

// Commit is the last commit of schema version 1: the release the migration starts from.
const Commit = "9ba8d58dcb8cd728ce1d7229e9dbe7df5436c730"

// Callback is one callback delivered to the version-1 function.
type Callback struct {
	Command     string
	Body        string
	ClientIP    string
	OptPlatform string
}

// Event returns c as the current code builds it for a store: the payload parsed when the
// command is projected, the archive key from it or from the envelope otherwise.
func (c Callback) Event(app int64, receivedAt time.Time) (*callback.Event, error) {
	ev := &callback.Event{SdkAppID: app, Command: c.Command, ClientIP: c.ClientIP, OptPlatform: c.OptPlatform,
		RequestID: "req-redelivery", ReceivedAt: receivedAt, Raw: []byte(c.Body)}
	p, err := callback.ParsePayload(c.Command, ev.Raw)
	if err != nil {
		return nil, err
	}
	if p != nil {
		ev.Payload = p
		ev.RoomID, ev.EventTime = p.Key()
		return ev, nil
	}
	env, err := callback.ParseEnvelope(ev.Raw)
	if err != nil {
		return nil, err
	}
	ev.RoomID, ev.EventTime = env.RoomID, env.EventTime
	return ev, nil
}

// Callbacks returns the callbacks a migration test writes with version 1: creates (one full,
// one bare, an older create that version 1 kept as stale, a newer create that replaced a room),
// and the commands version 1 archived raw: updates in both spellings, member enters and a
// leave, a seat change, a destroy, an unknown command and one without EventTime. No two share
// version 1's archive key (SdkAppid, command, RoomId, EventTime), so version 1 kept every one.
func Callbacks() []Callback {
	const t0 = 1703589922780
	at := func(d int64) string { return strconv.FormatInt(t0+d, 10) }
	return []Callback{
		{callback.CommandCreateRoom, `{"CallbackCommand":"Room.CallbackAfterCreateRoom","Operator_Account":"v1-admin",` +
			`"RoomInfo":{"RoomId":"v1-room-a","RoomName":"v1 room A","RoomType":"Meeting","Owner_Account":"v1-owner",` +
			`"MaxMemberCount":300,"MaxSeatCount":16,"IsVideoDisabled":true,"IsAudioDisabled":false,"IsMessageDisabled":"true",` +
			`"IsScreenSharingDisabled":false,"IsCloudRecordingDisabled":"false","CustomInfo":"v1-custom",` +
			`"ScheduleStartTime":1703589000,"ScheduleEndTime":1703593522,"RoomStatus":"Running","IsSeatEnabled":true,` +
			`"TakeSeatMode":"ApplyToTake","CreateTime":1703589922},"ScheduleInviteeList_Account":["u2","u3","u3"],` +
			`"EventTime":` + at(0) + `}`, "203.0.113.7", "RESTAPI"},
		{callback.CommandCreateRoom, `{"CallbackCommand":"Room.CallbackAfterCreateRoom","RoomInfo":{"RoomId":"v1-room-b"},"EventTime":` + at(10) + `}`, "", ""},
		{callback.CommandCreateRoom, `{"CallbackCommand":"Room.CallbackAfterCreateRoom","RoomInfo":{"RoomId":"v1-room-a","RoomName":"older"},"EventTime":` + at(-60_000) + `}`, "198.51.100.1", "Web"},
		{callback.CommandCreateRoom, `{"CallbackCommand":"Room.CallbackAfterCreateRoom","Operator_Account":144115233775727695,"RoomInfo":{"RoomId":"v1-room-b","RoomName":"B again","MaxSeatCount":"8"},"EventTime":` + at(20) + `}`, "198.51.100.2", "Android"},
		{callback.CommandUpdateRoom, `{"CallbackCommand":"Room.CallbackAfterUpdateRoomInfo","Operator_Account":"v1-owner","RoomInfo":{"RoomId":"v1-room-a","RoomName":"renamed in v1","IsVideoDisabled":false},"EventTime":` + at(1_000) + `}`, "203.0.113.7", "iOS"},
		{callback.CommandUpdateRoomAlt, `{"CallbackCommand":"Room.CallbackUpdateRoomInfo","RoomInfo":{"RoomId":"v1-room-a","CustomInfo":"custom via the other spelling"},"EventTime":` + at(1_500) + `}`, "203.0.113.7", "Mac"},
		{callback.CommandMemberEnter, `{"CallbackCommand":"Room.CallbackAfterMemberEnter","Operator_Account":"u2","RoomId":"v1-room-a","MemberCount":2,"Type":"Enter","MemberList_Account":["u2",144115233775727695],"EventTime":` + at(2_000) + `}`, "203.0.113.8", "Android"},
		{callback.CommandMemberEnter, `{"CallbackCommand":"Room.CallbackAfterMemberEnter","Operator_Account":"u3","RoomId":"v1-room-a","MemberCount":3,"Type":"Enter","MemberList_Account":["u3"],"EventTime":` + at(2_001) + `}`, "203.0.113.9", "iOS"},
		{callback.CommandSeatChanged, `{"CallbackCommand":"Mic.CallbackAfterSeatInfoChanged","Operator_Account":"v1-owner","RoomId":"v1-room-a","SeatList":[{"Index":0,"Member_Account":"u2","IsTakenDisabled":false,"IsVideoDisabled":true,"IsAudioDisabled":false},{"Index":1,"Member_Account":""}],"EventTime":` + at(2_500) + `}`, "203.0.113.7", "RESTAPI"},
		{callback.CommandMemberLeave, `{"CallbackCommand":"Room.CallbackAfterMemberLeave","Operator_Account":"v1-owner","RoomId":"v1-room-a","MemberCount":2,"Type":"Kicked","Reason":"spam","MemberList_Account":["u3"],"EventTime":` + at(3_000) + `}`, "203.0.113.7", "RESTAPI"},
		{callback.CommandDestroyRoom, `{"CallbackCommand":"Room.CallbackAfterDestroyRoom","Operator_Account":"v1-admin","RoomId":"v1-room-b","EventTime":` + at(4_000) + `}`, "203.0.113.7", "RESTAPI"},
		{"Group.CallbackAfterSendMsg", `{"CallbackCommand":"Group.CallbackAfterSendMsg","GroupId":"g1","EventTime":` + at(5_000) + `}`, "203.0.113.10", "Web"},
		{"Room.CallbackAfterSomethingNew", `{"CallbackCommand":"Room.CallbackAfterSomethingNew","RoomId":"v1-room-a"}`, "203.0.113.11", "Windows"},
	}
}

// Write delivers callbacks, in order, to the version-1 web function with ROOMHOOK_STORE set to
// storeURL and ROOMHOOK_SDKAPPID to app, and fails t unless each is answered 200. The process
// inherits the test's environment (AWS variables for a DynamoDB endpoint, say), and is stopped
// before Write returns, so everything it wrote is committed.
func Write(t testing.TB, storeURL string, app int64, callbacks []Callback) {
	t.Helper()
	bin := build(t)
	port := freePort(t)
	cmd := exec.Command(bin)
	cmd.Env = append(os.Environ(),
		"ROOMHOOK_SDKAPPID="+strconv.FormatInt(app, 10),
		"ROOMHOOK_STORE="+storeURL,
		"ROOMHOOK_CALLBACK_TOKEN=",
		"ROOMHOOK_LOG_LEVEL=error",
		"ROOMHOOK_LISTEN_HOST=127.0.0.1",
		"PORT="+strconv.Itoa(port),
	)
	var logs bytes.Buffer
	cmd.Stdout, cmd.Stderr = &logs, &logs
	if err := cmd.Start(); err != nil {
		t.Fatalf("v1store: start the version-1 function: %v", err)
	}
	stopped := false
	stop := func() {
		if stopped {
			return
		}
		stopped = true
		_ = cmd.Process.Signal(os.Interrupt)
		done := make(chan error, 1)
		go func() { done <- cmd.Wait() }()
		select {
		case <-done:
		case <-time.After(10 * time.Second):
			_ = cmd.Process.Kill()
			<-done
		}
	}
	defer stop()

	base := "http://127.0.0.1:" + strconv.Itoa(port) + "/"
	if err := waitListening(port, 30*time.Second); err != nil {
		stop()
		t.Fatalf("v1store: the version-1 function did not start: %v\n%s", err, logs.String())
	}
	client := &http.Client{Timeout: 10 * time.Second}
	for i, c := range callbacks {
		q := url.Values{}
		q.Set("SdkAppid", strconv.FormatInt(app, 10))
		q.Set("CallbackCommand", c.Command)
		q.Set("contenttype", "json")
		q.Set("ClientIP", c.ClientIP)
		q.Set("OptPlatform", c.OptPlatform)
		resp, err := client.Post(base+"?"+q.Encode(), "application/json", strings.NewReader(c.Body))
		if err != nil {
			t.Fatalf("v1store: callback %d (%s): %v\n%s", i, c.Command, err, logs.String())
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != http.StatusOK {
			t.Fatalf("v1store: callback %d (%s) answered %d %s\n%s", i, c.Command, resp.StatusCode, body, logs.String())
		}
	}
	stop()
}

// build returns the version-1 web function's binary, building it on first use.
func build(t testing.TB) string {
	t.Helper()
	dir := filepath.Join(os.TempDir(), "roomhook-v1-"+Commit[:12])
	bin := filepath.Join(dir, "web")
	if _, err := os.Stat(bin); err == nil {
		return bin
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatalf("v1store: %v", err)
	}
	// Test processes of several packages start at once (go test ./...): one builds, the others
	// wait for it instead of building the same binary beside it.
	lock, err := os.OpenFile(filepath.Join(dir, "build.lock"), os.O_CREATE|os.O_RDWR, 0o644)
	if err != nil {
		t.Fatalf("v1store: %v", err)
	}
	defer lock.Close()
	if err := syscall.Flock(int(lock.Fd()), syscall.LOCK_EX); err != nil {
		t.Fatalf("v1store: lock the build: %v", err)
	}
	defer syscall.Flock(int(lock.Fd()), syscall.LOCK_UN)
	if _, err := os.Stat(bin); err == nil {
		return bin
	}
	src, err := os.MkdirTemp(dir, "src-")
	if err != nil {
		t.Fatalf("v1store: %v", err)
	}
	defer os.RemoveAll(src)

	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	archive := exec.CommandContext(ctx, "git", "archive", "--format=tar", Commit)
	archive.Dir = repoDir(t)
	var stderr bytes.Buffer
	archive.Stderr = &stderr
	out, err := archive.Output()
	if err != nil {
		t.Fatalf("v1store: git archive %s (the repository's history must reach the version-1 release): %v\n%s",
			Commit, err, stderr.String())
	}
	if err := untar(out, src); err != nil {
		t.Fatalf("v1store: unpack %s: %v", Commit, err)
	}
	tmp := bin + ".tmp-" + strconv.Itoa(os.Getpid())
	gobuild := exec.CommandContext(ctx, "go", "build", "-o", tmp, "./functions/web")
	gobuild.Dir = src
	gobuild.Env = append(os.Environ(), "CGO_ENABLED=0", "GOFLAGS=-mod=readonly", "GOWORK=off")
	if out, err := gobuild.CombinedOutput(); err != nil {
		t.Fatalf("v1store: build the version-1 web function: %v\n%s", err, out)
	}
	if err := os.Rename(tmp, bin); err != nil {
		t.Fatalf("v1store: %v", err)
	}
	return bin
}

// repoDir returns the top of the repository the test runs in.
func repoDir(t testing.TB) string {
	out, err := exec.Command("git", "rev-parse", "--show-toplevel").Output()
	if err != nil {
		t.Fatalf("v1store: find the repository (git rev-parse): %v", err)
	}
	return strings.TrimSpace(string(out))
}

func untar(data []byte, dir string) error {
	tr := tar.NewReader(bytes.NewReader(data))
	for {
		h, err := tr.Next()
		if errors.Is(err, io.EOF) {
			return nil
		}
		if err != nil {
			return err
		}
		name := filepath.Join(dir, filepath.FromSlash(h.Name))
		if !strings.HasPrefix(name, filepath.Clean(dir)+string(filepath.Separator)) {
			return fmt.Errorf("entry %q leaves the directory", h.Name)
		}
		switch h.Typeflag {
		case tar.TypeDir:
			if err := os.MkdirAll(name, 0o755); err != nil {
				return err
			}
		case tar.TypeReg:
			if err := os.MkdirAll(filepath.Dir(name), 0o755); err != nil {
				return err
			}
			f, err := os.OpenFile(name, os.O_CREATE|os.O_WRONLY|os.O_TRUNC, os.FileMode(h.Mode)&0o777)
			if err != nil {
				return err
			}
			_, err = io.Copy(f, tr)
			if cerr := f.Close(); err == nil {
				err = cerr
			}
			if err != nil {
				return err
			}
		}
	}
}

func freePort(t testing.TB) int {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatalf("v1store: %v", err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port
}

func waitListening(port int, within time.Duration) error {
	deadline := time.Now().Add(within)
	for {
		c, err := net.DialTimeout("tcp", "127.0.0.1:"+strconv.Itoa(port), 200*time.Millisecond)
		if err == nil {
			c.Close()
			return nil
		}
		if time.Now().After(deadline) {
			return err
		}
		time.Sleep(20 * time.Millisecond)
	}
}
