package main

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/roomhook/roomhook/scripts/localinvoke"
)

var bins struct{ rie, lambda, scf, web string }

func TestMain(m *testing.M) {
	os.Exit(func() int {
		dir, err := os.MkdirTemp("", "invoke-test-")
		if err != nil {
			fmt.Fprintln(os.Stderr, err)
			return 2
		}
		defer os.RemoveAll(dir)
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
		defer cancel()
		if bins.rie, err = localinvoke.BuildRIE(ctx, dir); err != nil {
			fmt.Fprintln(os.Stderr, err)
			return 2
		}
		bins.lambda, bins.scf, bins.web = filepath.Join(dir, "bootstrap"), filepath.Join(dir, "main"), filepath.Join(dir, "web")
		for pkg, out := range map[string]string{
			"./scripts/localinvoke/testdata/echo-lambda": bins.lambda,
			"./scripts/localinvoke/testdata/echo-scf":    bins.scf,
			"./functions/web":                            bins.web,
		} {
			if err := localinvoke.BuildFunction(ctx, pkg, out); err != nil {
				fmt.Fprintln(os.Stderr, err)
				return 2
			}
		}
		return m.Run()
	}())
}

// seedBody is the bundled web sample, the raw create-room callback.
var seedBody = func() string {
	b, err := os.ReadFile("../../functions/web/events/callback-create-room.json")
	if err != nil {
		panic(err)
	}
	return string(b)
}()

// events writes the given event documents to files and returns their paths.
func events(t *testing.T, docs ...string) []string {
	t.Helper()
	dir := t.TempDir()
	var paths []string
	for i, d := range docs {
		p := filepath.Join(dir, fmt.Sprintf("event-%d.json", i))
		if err := os.WriteFile(p, []byte(d), 0o644); err != nil {
			t.Fatal(err)
		}
		paths = append(paths, p)
	}
	return paths
}

func TestRun(t *testing.T) {
	environ := []string{"PATH=" + os.Getenv("PATH"), "ECHO_VAR=leaked", "ROOMHOOK_SDKAPPID=1400123456"}
	tests := []struct {
		name      string
		args      []string
		wantCode  int
		wantLines int
		wantOut   string // in stdout
		wantErr   string // in stderr
	}{
		{"lambda two events", append([]string{"-platform", "lambda", "-bin", bins.lambda, "-rie", bins.rie}, events(t, `{}`, `{"status":200}`)...),
			0, 2, `\"invocation\":2`, "START RequestId"},
		{"scf two events", append([]string{"-platform", "scf", "-bin", bins.scf}, events(t, `{}`, `{}`)...),
			0, 2, `\"invocation\":2`, "echo-scf: invocation 2"},
		{"environment filtered", append([]string{"-platform", "scf", "-bin", bins.scf, "-env", "ECHO_VAR=given"}, events(t, `{}`)...),
			0, 1, `\"echoVar\":\"given\"`, ""},
		{"environment without extra", append([]string{"-platform", "scf", "-bin", bins.scf}, events(t, `{}`)...),
			0, 1, `\"echoVar\":\"\"`, ""},
		{"status not 200", append([]string{"-platform", "scf", "-bin", bins.scf}, events(t, `{"status":418}`, `{}`)...),
			1, 2, `"statusCode":418`, "status 418"},
		{"function error", append([]string{"-platform", "lambda", "-bin", bins.lambda, "-rie", bins.rie}, events(t, `{"fail":"error"}`, `{}`)...),
			1, 1, `"statusCode":200`, "asked to fail"},
		{"refuses to start", append([]string{"-platform", "scf", "-bin", bins.scf, "-env", "ECHO_MODE=exit"}, events(t, `{}`)...),
			1, 0, "", "exit status 3"},
		{"web seed callback and a rejected one", append([]string{"-platform", "web", "-bin", bins.web, "-env", "ROOMHOOK_STORE=sqlite://" + filepath.Join(t.TempDir(), "web.db")},
			events(t, seedBody, `{"CallbackCommand":"Room.CallbackAfterCreateRoom"}`)...),
			1, 2, `"body":"{\"ActionStatus\":\"OK\",\"ErrorInfo\":\"\",\"ErrorCode\":0}"`, "status 400"},
		{"web refuses to start", append([]string{"-platform", "web", "-bin", bins.web, "-env", "ROOMHOOK_STORE=nope://x"}, events(t, seedBody)...),
			1, 0, "", "ROOMHOOK_STORE"},
		{"no platform", events(t, `{}`), 2, 0, "", "-platform must be lambda, scf or web"},
		{"no events", []string{"-platform", "scf", "-bin", bins.scf}, 2, 0, "", "no EVENT_FILE"},
		{"no bin", append([]string{"-platform", "scf"}, events(t, `{}`)...), 2, 0, "", "-bin is required"},
		{"rie for scf", append([]string{"-platform", "scf", "-bin", bins.scf, "-rie", bins.rie}, events(t, `{}`)...), 2, 0, "", "-rie is for"},
		{"missing event", []string{"-platform", "scf", "-bin", bins.scf, "/nonexistent/event.json"}, 2, 0, "", "no such file"},
		{"event not json", append([]string{"-platform", "scf", "-bin", bins.scf}, events(t, `{`)...), 2, 0, "", "is not JSON"},
		{"missing binary", append([]string{"-platform", "scf", "-bin", "/nonexistent/main"}, events(t, `{}`)...), 2, 0, "", "no such file"},
		{"bad flag", []string{"-nope"}, 2, 0, "", "flag provided but not defined"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			var stdout bytes.Buffer
			var stderr lockedBuffer // the function's output goroutine writes there too
			code := run(context.Background(), tt.args, environ, &stdout, &stderr)
			if code != tt.wantCode {
				t.Errorf("exit %d, want %d\nstderr:\n%s", code, tt.wantCode, stderr.String())
			}
			lines := strings.Split(strings.TrimSuffix(stdout.String(), "\n"), "\n")
			if stdout.Len() == 0 {
				lines = nil
			}
			if len(lines) != tt.wantLines {
				t.Errorf("%d lines on stdout, want %d:\n%s", len(lines), tt.wantLines, stdout.String())
			}
			if !strings.Contains(stdout.String(), tt.wantOut) {
				t.Errorf("stdout lacks %s:\n%s", tt.wantOut, stdout.String())
			}
			if strings.Contains(stdout.String(), "leaked") {
				t.Errorf("the caller's ECHO_VAR reached the function:\n%s", stdout.String())
			}
			if !strings.Contains(stderr.String(), tt.wantErr) {
				t.Errorf("stderr lacks %q:\n%s", tt.wantErr, stderr.String())
			}
		})
	}
}

type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

func TestFunctionEnv(t *testing.T) {
	got := functionEnv([]string{"PATH=/bin", "HOME=/h", "TMPDIR=/t", "GOFLAGS=-x", "AWS_REGION=x", "ROOMHOOK_STORE=sqlite:///a", "ROOMHOOKX=1"},
		[]string{"ROOMHOOK_STORE=sqlite:///b"})
	want := "PATH=/bin HOME=/h TMPDIR=/t AWS_REGION=x ROOMHOOK_STORE=sqlite:///a ROOMHOOK_STORE=sqlite:///b"
	if strings.Join(got, " ") != want {
		t.Errorf("functionEnv = %q, want %q", got, want)
	}
}

// TestJudge: a callback's answer passes with status 200 only; the archive purge's answer to a
// scheduled event passes as it is, complete or not.
func TestJudge(t *testing.T) {
	for resp, want := range map[string]string{
		`{"statusCode":200,"headers":{},"body":"{}"}`:                                                                                                      "",
		`{"statusCode":503,"headers":{},"body":"{}"}`:                                                                                                      "status 503",
		`{"archive_purge":{"retention":"720h0m0s","cutoff":"2025-05-02T03:00:00.000Z","complete":true,"apps":[]}}`:                                         "",
		`{"archive_purge":{"retention":"24h0m0s","complete":false,"apps":[{"app":1,"examined":9,"deleted":9,"kept":0,"duration_ms":1,"complete":false}]}}`: "",
		`{"archive_purge":{"retention":"","complete":true,"apps":[]}}`:                                                                                     "",
		`{"archive_purge":{},"statusCode":500}`:                                                                                                            "status 500",
		`{"archive_purge":"done"}`:                                                                                                                         `response has no "statusCode"`,
		`{}`:                                                                                                                                               `response has no "statusCode"`,
		`[1]`:                                                                                                                                              "not a JSON object",
	} {
		if got := judge([]byte(resp)); want == "" && got != "" || want != "" && !strings.Contains(got, want) {
			t.Errorf("judge(%s) = %q, want %q", resp, got, want)
		}
	}
}
