package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/roomhook/roomhook/pkg/store/sqlite"
)

// envMainProcess tells the test binary, started again as a child, to run main().
const envMainProcess = "ROOMHOOK_TEST_LAMBDA_MAIN"

// TestMainProcess is main() in a child process of TestRuntimeAPIConcurrency; on its own it
// does nothing.
func TestMainProcess(t *testing.T) {
	if os.Getenv(envMainProcess) != "1" {
		t.Skip("the child process of TestRuntimeAPIConcurrency")
	}
	main()
}

// fakeRuntimeAPI serves the Lambda Runtime API to one function process, as an execution
// environment does: queued events go out on /next, answers come back on /response or /error.
type fakeRuntimeAPI struct {
	events  chan [2]string // request id, payload
	closing chan struct{}

	mu          sync.Mutex
	inFlight    int
	maxInFlight int
	answers     map[string]string
	failures    []string
	answered    chan struct{} // one value per answer
}

func (f *fakeRuntimeAPI) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	const prefix = "/2018-06-01/runtime/"
	path, ok := strings.CutPrefix(r.URL.Path, prefix)
	if !ok {
		http.NotFound(w, r)
		return
	}
	body, _ := io.ReadAll(r.Body)
	switch {
	case r.Method == http.MethodGet && path == "invocation/next":
		select {
		case ev := <-f.events:
			f.mu.Lock()
			f.inFlight++
			f.maxInFlight = max(f.maxInFlight, f.inFlight)
			f.mu.Unlock()
			w.Header().Set("Lambda-Runtime-Aws-Request-Id", ev[0])
			w.Header().Set("Lambda-Runtime-Deadline-Ms", strconv.FormatInt(time.Now().Add(time.Minute).UnixMilli(), 10))
			w.Header().Set("Lambda-Runtime-Invoked-Function-Arn", "arn:aws:lambda:us-east-1:123456789012:function:roomhook")
			w.Header().Set("Content-Type", "application/json")
			io.WriteString(w, ev[1])
		case <-f.closing:
			http.Error(w, "shutting down", http.StatusGone)
		case <-r.Context().Done():
		}
	case r.Method == http.MethodPost && strings.HasPrefix(path, "invocation/"):
		id, kind, _ := strings.Cut(strings.TrimPrefix(path, "invocation/"), "/")
		f.mu.Lock()
		f.inFlight--
		if kind == "response" {
			f.answers[id] = string(body)
		} else {
			f.failures = append(f.failures, id+": "+string(body))
		}
		f.mu.Unlock()
		w.WriteHeader(http.StatusAccepted)
		f.answered <- struct{}{}
	default:
		f.mu.Lock()
		f.failures = append(f.failures, r.Method+" "+r.URL.Path+": "+string(body))
		f.mu.Unlock()
		w.WriteHeader(http.StatusAccepted)
	}
}

// TestRuntimeAPIConcurrency runs the real main() — coldstart, aws-lambda-go's runtime loop,
// the adapter — in a child process with AWS_LAMBDA_MAX_CONCURRENCY=8, which makes
// aws-lambda-go v1.55 run 8 invocation loops in one process, and Lambda's JSON log format, so
// the lines go through lambdacontext's handler. A fake Runtime API hands out events of every
// shape, each twice. Every answer must be 200, more than one invocation must have been in
// flight at once, every callback line must carry its own invocation's id (lambdacontext's
// requestId and the core's request_id), and the store must keep each event once. With -race,
// the child runs under the race detector too.
func TestRuntimeAPIConcurrency(t *testing.T) {
	if testing.Short() {
		t.Skip("runs the function in a child process; skipped with -short")
	}
	const n = 160
	api := &fakeRuntimeAPI{events: make(chan [2]string, n), closing: make(chan struct{}),
		answers: map[string]string{}, answered: make(chan struct{}, n)}
	srv := httptest.NewServer(api)
	defer srv.Close()
	defer close(api.closing)

	files := loadGoldens(t)
	rooms := map[string]string{} // request id → room
	for i := range n {
		g := files[i%len(files)]
		m := parseMutable(t, g.payload)
		room := fmt.Sprintf("rt-%03d", i/2)
		m.setQuery(signedPairsAt(testToken, time.Now()))
		m.setBody(withRoom(room, 1703589922780+int64(i/2)))
		id := fmt.Sprintf("0000-rt-%04d", i)
		rooms[id] = room
		api.events <- [2]string{id, string(m.bytes(t))}
	}

	dbPath := filepath.Join(t.TempDir(), "rt.db")
	_, port, _ := net.SplitHostPort(srv.Listener.Addr().String())
	out := &syncBuffer{}
	cmd := exec.Command(os.Args[0], "-test.run=^TestMainProcess$", "-test.v")
	cmd.Env = []string{"PATH=" + os.Getenv("PATH"), "HOME=" + os.Getenv("HOME"), "TMPDIR=" + os.TempDir(),
		envMainProcess + "=1",
		"AWS_LAMBDA_RUNTIME_API=127.0.0.1:" + port,
		"AWS_LAMBDA_MAX_CONCURRENCY=8",
		"AWS_LAMBDA_LOG_FORMAT=JSON",
		"AWS_LAMBDA_FUNCTION_NAME=roomhook",
		"ROOMHOOK_SDKAPPID=" + strconv.Itoa(testAppID),
		"ROOMHOOK_CALLBACK_TOKEN=" + testToken,
		"ROOMHOOK_STORE=sqlite://" + dbPath,
		"ROOMHOOK_STORE_TIMEOUT=30s",
	}
	cmd.Stdout, cmd.Stderr = out, out
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	exited := make(chan error, 1)
	go func() { exited <- cmd.Wait() }()
	stopped := false
	stop := func() {
		if !stopped {
			stopped = true
			cmd.Process.Kill()
			<-exited
		}
	}
	defer stop()

	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	for range n {
		select {
		case <-api.answered:
		case err := <-exited:
			stopped = true
			t.Fatalf("the function exited (%v):\n%s", err, out)
		case <-ctx.Done():
			t.Fatalf("not all invocations answered:\n%s", out)
		}
	}
	stop()

	api.mu.Lock()
	defer api.mu.Unlock()
	if len(api.failures) > 0 {
		t.Fatalf("function errors: %v\n%s", api.failures, out)
	}
	for id, answer := range api.answers {
		var resp struct{ StatusCode int }
		if err := json.Unmarshal([]byte(answer), &resp); err != nil || resp.StatusCode != 200 {
			t.Fatalf("%s: %s", id, answer)
		}
	}
	if api.maxInFlight < 2 {
		t.Errorf("at most %d invocation in flight: the runtime loop did not run concurrently", api.maxInFlight)
	}
	t.Logf("%d invocations, up to %d in flight at once", n, api.maxInFlight)

	logs := out.String()
	if strings.Contains(logs, "DATA RACE") {
		t.Fatalf("the race detector found a race in the function:\n%s", logs)
	}
	outcomes := map[string]int{}
	lines, colds := 0, 0
	for _, line := range strings.Split(logs, "\n") {
		var l struct {
			Message   string `json:"message"`
			Level     string `json:"level"`
			Timestamp string `json:"timestamp"`
			RequestID string `json:"request_id"`
			LambdaID  string `json:"requestId"`
			RoomID    string `json:"room_id"`
			Outcome   string `json:"outcome"`
			// The metrics (package emf), on by default.
			AWS *struct {
				CloudWatchMetrics []struct {
					Namespace string
					Metrics   []struct{ Name string }
				}
			} `json:"_aws"`
			Callbacks    int    `json:"Callbacks"`
			ColdStart    int    `json:"ColdStart"`
			FunctionName string `json:"function_name"`
			Service      string `json:"service"`
			MetricOut    string `json:"callback_outcome"`
		}
		if !strings.HasPrefix(line, "{") || json.Unmarshal([]byte(line), &l) != nil || l.Message != "callback" {
			continue
		}
		lines++
		if l.LambdaID != l.RequestID || rooms[l.RequestID] != l.RoomID || l.Timestamp == "" || l.Level != "INFO" {
			t.Errorf("callback line of another invocation, or not in Lambda's JSON format: %s", line)
		}
		outcomes[l.Outcome]++
		if l.AWS == nil || len(l.AWS.CloudWatchMetrics) == 0 || l.AWS.CloudWatchMetrics[0].Namespace != "roomhook" ||
			l.Callbacks != 1 || l.Service != "roomhook" || l.MetricOut != l.Outcome {
			t.Errorf("callback line without its metrics (namespace roomhook, service roomhook, Callbacks 1): %s", line)
		}
		if l.ColdStart == 1 {
			colds++
			if l.FunctionName != "roomhook" {
				t.Errorf("the ColdStart line's function_name %q, want AWS_LAMBDA_FUNCTION_NAME's", l.FunctionName)
			}
		}
	}
	if lines != n || outcomes["stored"] != n/2 || outcomes["duplicate"] != n/2 {
		t.Errorf("%d callback lines with outcomes %v, want %d: %d stored, %d duplicate\n%s", lines, outcomes, n, n/2, n/2, logs)
	}
	if colds != 1 {
		t.Errorf("%d lines with ColdStart, want the instance's one", colds)
	}

	st, err := sqlite.Open(context.Background(), dbPath, sqlite.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	rows, err := st.Events(context.Background(), testAppID)
	if err != nil {
		t.Fatal(err)
	}
	if len(rows) != n/2 {
		t.Errorf("%d archive rows, want %d", len(rows), n/2)
	}
	for _, row := range rows {
		if rooms[row.RequestID] != row.RoomID {
			t.Errorf("room %s archived with request id %s, another invocation's", row.RoomID, row.RequestID)
		}
	}
}

// TestLogOptions: lambdacontext's handler only with Lambda's JSON log format, where it writes
// JSON; with the Text format (the default) it would write text, so roomhook keeps its own JSON
// lines on stderr.
// TestMetricsOptions: with Lambda's JSON log format Lambda drops lines below the application log
// level, so a line of metrics alone is written at it when it is above INFO.
func TestMetricsOptions(t *testing.T) {
	for _, c := range []struct{ format, level, want string }{
		{"JSON", "WARN", "WARN"}, {"JSON", "error", "ERROR"}, {"JSON", "FATAL", "FATAL"}, {"JSON", "DEBUG", ""},
		{"JSON", "", ""}, {"Text", "WARN", ""},
	} {
		m := metricsOptions(func(k string) string {
			return map[string]string{"AWS_LAMBDA_LOG_FORMAT": c.format, "AWS_LAMBDA_LOG_LEVEL": c.level}[k]
		})
		if m == nil || m.AloneLevel != c.want || m.Out != os.Stdout {
			t.Errorf("format %s level %s: %+v, want AloneLevel %q on stdout", c.format, c.level, m, c.want)
		}
	}
}

func TestLogOptions(t *testing.T) {
	// The metrics are on unless POWERTOOLS_METRICS_DISABLED is true.
	for disabled, want := range map[string]bool{"": true, "false": true, "true": false, "TRUE": false} {
		opts := logOptions(func(k string) string {
			if k == "POWERTOOLS_METRICS_DISABLED" {
				return disabled
			}
			return ""
		})
		if (opts.WrapHandler != nil) != want {
			t.Errorf("POWERTOOLS_METRICS_DISABLED=%q: metrics %v, want %v", disabled, opts.WrapHandler != nil, want)
		}
	}
	for format, want := range map[string]bool{"JSON": true, "Text": false, "": false, "json": false} {
		opts := logOptions(func(k string) string {
			if k == "AWS_LAMBDA_LOG_FORMAT" {
				return format
			}
			return ""
		})
		if (opts.LogHandler != nil) != want || opts.LogOut != os.Stderr {
			t.Errorf("AWS_LAMBDA_LOG_FORMAT=%q: LogHandler set %v, want %v (LogOut %v)", format, opts.LogHandler != nil, want, opts.LogOut)
		}
	}
}
