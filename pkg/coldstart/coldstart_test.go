package coldstart

import (
	"bytes"
	"context"
	"net/url"
	"path/filepath"
	"strings"
	"testing"

	"github.com/roomhook/roomhook/pkg/callback"
)

func TestBuildServesACallback(t *testing.T) {
	dbPath := filepath.Join(t.TempDir(), "cold.db")
	logs := &bytes.Buffer{}
	inst, err := Build(context.Background(), mapEnv(map[string]string{
		"ROOMHOOK_SDKAPPID": "1400123456",
		"ROOMHOOK_STORE":    "sqlite://" + dbPath,
	}), logs)
	if err != nil {
		t.Fatal(err)
	}
	defer inst.Store.Close()
	if !strings.Contains(logs.String(), "signatures are not checked") {
		t.Fatalf("no warning about unchecked signatures: %s", logs)
	}
	q := url.Values{"SdkAppid": {"1400123456"}, "CallbackCommand": {"X.Unknown"}}
	r := inst.Handler.Handle(context.Background(), callback.Request{Method: "POST", Query: q, Body: []byte(`{"CallbackCommand":"X.Unknown"}`)})
	if r.StatusCode != 200 {
		t.Fatalf("%d %s", r.StatusCode, r.Body)
	}
}

func TestBuildWarnsAboutSQLiteOnACloud(t *testing.T) {
	logs := &bytes.Buffer{}
	inst, err := Build(context.Background(), mapEnv(map[string]string{
		"ROOMHOOK_SDKAPPID":       "1400123456",
		"ROOMHOOK_CALLBACK_TOKEN": "tok",
		"ROOMHOOK_STORE":          "sqlite://" + filepath.Join(t.TempDir(), "c.db"),
		"SCF_FUNCTIONNAME":        "roomhook",
	}), logs)
	if err != nil {
		t.Fatal(err)
	}
	defer inst.Store.Close()
	if !strings.Contains(logs.String(), "lost when the instance is recycled") || strings.Contains(logs.String(), "not checked") {
		t.Fatalf("logs: %s", logs)
	}
}

func TestBuildRefusesToStart(t *testing.T) {
	tests := []struct {
		name string
		env  map[string]string
		want string
	}{
		{"no app", map[string]string{}, "ROOMHOOK_SDKAPPID"},
		{"bad store scheme", map[string]string{"ROOMHOOK_SDKAPPID": "1", "ROOMHOOK_STORE": "ftp://x"}, "ROOMHOOK_STORE"},
		{"store directory missing", map[string]string{"ROOMHOOK_SDKAPPID": "1", "ROOMHOOK_STORE": "sqlite:///nonexistent/dir/r.db"}, "ROOMHOOK_STORE"},
		{"password not echoed", map[string]string{"ROOMHOOK_SDKAPPID": "1", "ROOMHOOK_STORE": "ftp://u:pw-s3cret@h/x", "ROOMHOOK_CALLBACK_TOKEN": "tok-s3cret"}, "ROOMHOOK_STORE"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			logs := &bytes.Buffer{}
			_, err := Build(context.Background(), mapEnv(tt.env), logs)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("err = %v, want it to name %s", err, tt.want)
			}
			if strings.Contains(err.Error()+logs.String(), "s3cret") {
				t.Fatalf("a secret leaked: %v / %s", err, logs)
			}
		})
	}
}

func mapEnv(m map[string]string) func(string) string { return func(k string) string { return m[k] } }

func TestEphemeralSQLite(t *testing.T) {
	for url, want := range map[string]bool{
		"sqlite:///tmp/roomhook.db":         true,
		"SQLite:///tmp/x/r.db":              true,
		"sqlite:///mnt/cfs/roomhook.db":     false,
		"sqlite:///tmpfoo/r.db":             false,
		"postgres://h/db":                   false,
		"sqlite://" + t.TempDir() + "/r.db": true,
	} {
		if got := ephemeralSQLite(url); got != want {
			t.Errorf("ephemeralSQLite(%q) = %v, want %v", url, got, want)
		}
	}
}
