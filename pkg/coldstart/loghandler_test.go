package coldstart

import (
	"bytes"
	"context"
	"log/slog"
	"net/url"
	"path/filepath"
	"strings"
	"testing"

	"github.com/roomhook/roomhook/pkg/callback"
)

// TestBuildWithLogHandler builds an instance that logs through a handler of the caller's, as
// the Lambda function does with lambdacontext's: the handler receives ROOMHOOK_LOG_LEVEL, and
// that level holds even though the handler itself would let debug lines through.
func TestBuildWithLogHandler(t *testing.T) {
	logs := &bytes.Buffer{}
	var got slog.Leveler
	inst, err := BuildWith(context.Background(), mapEnv(map[string]string{
		"ROOMHOOK_SDKAPPID":  "1400123456",
		"ROOMHOOK_STORE":     "sqlite://" + filepath.Join(t.TempDir(), "h.db"),
		"ROOMHOOK_LOG_LEVEL": "warn",
	}), Options{
		LogOut: &bytes.Buffer{}, // not used when LogHandler gives a handler
		LogHandler: func(level slog.Leveler) slog.Handler {
			got = level
			return slog.NewJSONHandler(logs, &slog.HandlerOptions{Level: slog.LevelDebug})
		},
	})
	if err != nil {
		t.Fatal(err)
	}
	if got == nil || got.Level() != slog.LevelWarn {
		t.Fatalf("the handler was built for level %v, want WARN", got)
	}
	q := url.Values{"SdkAppid": {"1400123456"}, "CallbackCommand": {"X.Unknown"}}
	req := callback.Request{Method: "POST", Query: q, Body: []byte(`{"CallbackCommand":"X.Unknown"}`)}
	if r := inst.Handler.Handle(context.Background(), req); r.StatusCode != 200 {
		t.Fatalf("%d %s", r.StatusCode, r.Body)
	}
	inst.Store.Close()
	if r := inst.Handler.Handle(context.Background(), req); r.StatusCode != 503 {
		t.Fatalf("%d %s", r.StatusCode, r.Body)
	}
	lines := strings.Split(strings.TrimSpace(logs.String()), "\n")
	if len(lines) != 2 || !strings.Contains(lines[0], "signatures are not checked") || !strings.Contains(lines[1], `"outcome":"rejected:store"`) {
		t.Fatalf("want the cold start warning and the store failure only (info lines are below WARN):\n%s", logs)
	}
}

// TestBuildWithDefaultsToJSONOnLogOut: without a LogHandler (or when it gives none) the lines
// are JSON on LogOut, as Build writes them.
func TestBuildWithDefaultsToJSONOnLogOut(t *testing.T) {
	for name, h := range map[string]func(slog.Leveler) slog.Handler{
		"no LogHandler":        nil,
		"LogHandler gives nil": func(slog.Leveler) slog.Handler { return nil },
	} {
		t.Run(name, func(t *testing.T) {
			out := &bytes.Buffer{}
			inst, err := BuildWith(context.Background(), mapEnv(map[string]string{
				"ROOMHOOK_SDKAPPID": "1400123456",
				"ROOMHOOK_STORE":    "sqlite://" + filepath.Join(t.TempDir(), "d.db"),
			}), Options{LogOut: out, LogHandler: h})
			if err != nil {
				t.Fatal(err)
			}
			defer inst.Store.Close()
			if !strings.HasPrefix(out.String(), `{"time":`) || !strings.Contains(out.String(), `"msg":"callback signatures are not checked`) {
				t.Fatalf("not slog's JSON on LogOut: %s", out)
			}
		})
	}
}
