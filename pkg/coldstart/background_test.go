package coldstart

import (
	"bytes"
	"context"
	"io"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/roomhook/roomhook/pkg/callback"
	"github.com/roomhook/roomhook/pkg/store/sqlite"
	"github.com/roomhook/roomhook/pkg/store/storetest/faultproxy"
)

// background builds an instance that opens its store in the background, logging at debug level
// into the returned buffer. A plain buffer is enough: slog's JSON handler serialises its writes,
// and the tests read it only after WaitStore, which returns once the open's goroutine has written
// its last line (a save that waited for the open is not enough: the warnings come after it).
func background(t *testing.T, env map[string]string) (*Instance, *bytes.Buffer, error) {
	t.Helper()
	logs := &bytes.Buffer{}
	env["ROOMHOOK_LOG_LEVEL"] = "debug"
	inst, err := BuildWith(context.Background(), mapEnv(env), Options{LogOut: logs, OpenInBackground: true})
	if inst != nil {
		t.Cleanup(func() { inst.Store.Close() })
	}
	return inst, logs, err
}

// unknownCommand is a request the core archives raw: it reaches the store without a signature.
func unknownCommand() callback.Request {
	q := url.Values{"SdkAppid": {"1400123456"}, "CallbackCommand": {"X.Unknown"}}
	return callback.Request{Method: "POST", Query: q, Body: []byte(`{"CallbackCommand":"X.Unknown"}`)}
}

// TestOpenInBackgroundServes checks the background open end to end on SQLite: the first
// request waits for the open and is stored, WaitStore reports success, and the debug log says
// how long the open took. (An unknown command is archived raw: outcome "ignored".)
func TestOpenInBackgroundServes(t *testing.T) {
	inst, logs, err := background(t, map[string]string{
		"ROOMHOOK_SDKAPPID": "1400123456",
		"ROOMHOOK_STORE":    "sqlite://" + filepath.Join(t.TempDir(), "bg.db"),
	})
	if err != nil {
		t.Fatal(err)
	}
	if r := inst.Handler.Handle(context.Background(), unknownCommand()); r.StatusCode != 200 {
		t.Fatalf("%d %s", r.StatusCode, r.Body)
	}
	if err := inst.WaitStore(); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(logs.String(), `"msg":"store open"`) || !strings.Contains(logs.String(), `"outcome":"ignored"`) {
		t.Errorf("logs: %s", logs)
	}
}

// TestOpenInBackgroundWarnsAfterTheOpen checks that a background cold start still gives its
// warnings, and gives them after the open (the "store open" line comes first): the first line
// through slog is the slowest an instance writes, and neither the runtime's start on the main
// goroutine nor the open the first event waits for should wait for it. WaitStore returns once
// they are written.
func TestOpenInBackgroundWarnsAfterTheOpen(t *testing.T) {
	inst, logs, err := background(t, map[string]string{
		"ROOMHOOK_SDKAPPID": "1400123456",
		"ROOMHOOK_STORE":    "sqlite://" + filepath.Join(t.TempDir(), "w.db"),
		"SCF_FUNCTIONNAME":  "roomhook",
	})
	if err != nil {
		t.Fatal(err)
	}
	if err := inst.WaitStore(); err != nil {
		t.Fatal(err)
	}
	out := logs.String()
	open := strings.Index(out, `"msg":"store open"`)
	unsigned := strings.Index(out, "signatures are not checked")
	tmp := strings.Index(out, "lost when the instance is recycled")
	if open < 0 || unsigned < open || tmp < open {
		t.Fatalf("want the store open line, then both warnings:\n%s", out)
	}
}

// TestOpenInBackgroundFailsWithoutWarnings: when the open fails, the instance is stopping and
// nothing may delay that, the cold start's warnings included.
func TestOpenInBackgroundFailsWithoutWarnings(t *testing.T) {
	inst, logs, err := background(t, map[string]string{
		"ROOMHOOK_SDKAPPID": "1400123456",
		"ROOMHOOK_STORE":    "sqlite://" + filepath.Join(os.TempDir(), "roomhook-no-such-dir-"+t.Name(), "r.db"),
		"SCF_FUNCTIONNAME":  "roomhook", // with no token: both warnings, had the open worked
	})
	if err != nil {
		t.Fatal(err)
	}
	if err := inst.WaitStore(); err == nil {
		t.Fatal("the open of a store in a missing directory succeeded")
	}
	if out := logs.String(); strings.Contains(out, "not checked") || strings.Contains(out, "recycled") {
		t.Errorf("warnings written while the instance stops:\n%s", out)
	}
}

// TestOpenInBackgroundFails checks that what stops a synchronous cold start stops a background
// one too: a bad scheme before BuildWith returns, a store that cannot be opened through
// WaitStore, with the variable named and no secret repeated. An event that arrives meanwhile
// gets the store-failure answer, never an OK.
func TestOpenInBackgroundFails(t *testing.T) {
	tests := []struct {
		name  string
		store string
		early bool // BuildWith itself fails
	}{
		{"bad store scheme", "ftp://u:pw-s3cret@h/x", true},
		{"no store scheme", "u:pw-s3cret@h/x", true},
		{"store directory missing", "sqlite://" + filepath.Join(t.TempDir(), "missing", "r.db"), false},
		{"postgres unreachable", "postgres://u:pw-s3cret@127.0.0.1:1/db", false},
		{"mysql unreachable", "mysql://u:pw-s3cret@127.0.0.1:1/db?tls=false", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			inst, logs, err := background(t, map[string]string{
				"ROOMHOOK_SDKAPPID":       "1400123456",
				"ROOMHOOK_CALLBACK_TOKEN": "tok-s3cret",
				"ROOMHOOK_STORE":          tt.store,
			})
			if tt.early != (err != nil) {
				t.Fatalf("BuildWith: %v; want an error: %v", err, tt.early)
			}
			if !tt.early {
				err = inst.WaitStore()
				if r := inst.Handler.Handle(context.Background(), unknownCommand()); r.StatusCode == 200 {
					t.Errorf("answered %d %s without a store", r.StatusCode, r.Body)
				}
			}
			if err == nil || !strings.Contains(err.Error(), "ROOMHOOK_STORE") {
				t.Fatalf("err = %v, want it to name ROOMHOOK_STORE", err)
			}
			if strings.Contains(err.Error()+logs.String(), "s3cret") {
				t.Fatalf("a secret leaked: %v / %s", err, logs)
			}
		})
	}
}

// TestOpenInBackgroundSlowStore checks the answer while the store takes long to connect: a
// server that accepts connections and never says a word. The event waits for the store no
// longer than its own budget (ROOMHOOK_STORE_TIMEOUT) and is refused, so Tencent delivers it
// again; the open gives up after its own, longer budget, and WaitStore says so.
func TestOpenInBackgroundSlowStore(t *testing.T) {
	proxy, err := faultproxy.New("127.0.0.1:1") // nothing is forwarded while it is a blackhole
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { proxy.Close() })
	if err := proxy.Set(faultproxy.Blackhole()); err != nil {
		t.Fatal(err)
	}

	inst, _, err := background(t, map[string]string{
		"ROOMHOOK_SDKAPPID":      "1400123456",
		"ROOMHOOK_STORE":         "postgres://u@" + proxy.Addr() + "/db?sslmode=disable",
		"ROOMHOOK_STORE_TIMEOUT": "100ms",
	})
	if err != nil {
		t.Fatal(err)
	}
	r := inst.Handler.Handle(context.Background(), unknownCommand())
	if r.StatusCode != 503 || !bytes.Contains(r.Body, []byte(`"FAIL"`)) {
		t.Fatalf("while the store opens: %d %s, want 503 with a FAIL packet", r.StatusCode, r.Body)
	}
	select {
	case <-inst.opening.done:
		t.Fatal("the open finished before its budget, with a silent server")
	default:
	}
	if err := inst.WaitStore(); err == nil || !strings.Contains(err.Error(), "ROOMHOOK_STORE") {
		t.Fatalf("WaitStore = %v, want the open to fail naming ROOMHOOK_STORE", err)
	}
}

// TestEphemeralOnlyInACloudsTmp checks who skips the fsync: a SQLite store in the temp dir of a
// cloud function instance (gone with the instance), and no other. The background open passes
// the same option as the synchronous one.
func TestEphemeralOnlyInACloudsTmp(t *testing.T) {
	for _, tc := range []struct {
		name       string
		cloud      map[string]string
		background bool
		want       int // PRAGMA synchronous: 0 OFF, 2 FULL
	}{
		{"local", map[string]string{}, false, 2},
		{"local, background", map[string]string{}, true, 2},
		{"scf", map[string]string{"SCF_FUNCTIONNAME": "roomhook"}, false, 0},
		{"lambda, background", map[string]string{"AWS_LAMBDA_FUNCTION_NAME": "roomhook"}, true, 0},
	} {
		t.Run(tc.name, func(t *testing.T) {
			env := map[string]string{
				"ROOMHOOK_SDKAPPID":       "1400123456",
				"ROOMHOOK_CALLBACK_TOKEN": "tok",
				"ROOMHOOK_STORE":          "sqlite://" + filepath.Join(t.TempDir(), "e.db"),
			}
			for k, v := range tc.cloud {
				env[k] = v
			}
			inst, err := BuildWith(context.Background(), mapEnv(env), Options{LogOut: io.Discard, OpenInBackground: tc.background})
			if err != nil {
				t.Fatal(err)
			}
			defer inst.Store.Close()
			if err := inst.WaitStore(); err != nil {
				t.Fatal(err)
			}
			st := inst.Store
			if inst.opening != nil {
				st = inst.opening.st
			}
			s, ok := st.(*sqlite.Store)
			if !ok {
				t.Fatalf("store is a %T", st)
			}
			if got, err := s.Synchronous(context.Background()); err != nil || got != tc.want {
				t.Errorf("synchronous = %d, %v; want %d", got, err, tc.want)
			}
		})
	}
}
