package localinvoke

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

// Binaries built once for all tests by TestMain.
var bins struct {
	rie, echoLambda, echoSCF string
}

func TestMain(m *testing.M) {
	os.Exit(func() int {
		dir, err := os.MkdirTemp("", "localinvoke-test-")
		if err != nil {
			fmt.Fprintln(os.Stderr, err)
			return 2
		}
		defer os.RemoveAll(dir)
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
		defer cancel()
		if bins.rie, err = BuildRIE(ctx, filepath.Join(dir, "rie")); err != nil {
			fmt.Fprintln(os.Stderr, err)
			return 2
		}
		bins.echoLambda = filepath.Join(dir, "lambda", "bootstrap")
		bins.echoSCF = filepath.Join(dir, "scf", "main")
		for pkg, out := range map[string]string{
			"./scripts/localinvoke/testdata/echo-lambda": bins.echoLambda,
			"./scripts/localinvoke/testdata/echo-scf":    bins.echoSCF,
		} {
			if err := BuildFunction(ctx, pkg, out); err != nil {
				fmt.Fprintln(os.Stderr, err)
				return 2
			}
		}
		return m.Run()
	}())
}

// lockedBuffer collects a runtime's stderr; the process's output goroutine
// writes while the test reads.
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

type platform struct {
	name  string
	start func(ctx context.Context, opts Options) (Runtime, error)
}

var platforms = []platform{
	{"lambda", func(ctx context.Context, opts Options) (Runtime, error) {
		return StartLambda(ctx, bins.rie, bins.echoLambda, opts)
	}},
	{"scf", func(ctx context.Context, opts Options) (Runtime, error) {
		return StartSCF(ctx, bins.echoSCF, opts)
	}},
}

// start starts the echo function of p and closes it when the test ends.
func start(t *testing.T, p platform, env ...string) (Runtime, *lockedBuffer) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	var stderr lockedBuffer
	rt, err := p.start(ctx, Options{Env: env, Stderr: &stderr})
	if err != nil {
		t.Fatalf("start: %v\nstderr:\n%s", err, stderr.String())
	}
	t.Cleanup(func() {
		if err := rt.Close(); err != nil {
			t.Errorf("Close: %v", err)
		}
		if t.Failed() {
			t.Logf("function stderr:\n%s", stderr.String())
		}
	})
	return rt, &stderr
}

// echoBody is the body the echo functions answer with.
type echoBody struct {
	Invocation   int    `json:"invocation"`
	PID          int    `json:"pid"`
	FunctionName string `json:"functionName"`
	RequestID    string `json:"requestId"`
	EchoVar      string `json:"echoVar"`
	HasDeadline  bool   `json:"hasDeadline"`
}

// invoke sends event and decodes the echo answer.
func invoke(t *testing.T, rt Runtime, event string) (status int, body echoBody) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	resp, err := rt.Invoke(ctx, []byte(event))
	if err != nil {
		t.Fatalf("Invoke(%s): %v", event, err)
	}
	status, err = StatusCode(resp)
	if err != nil {
		t.Fatalf("StatusCode(%s): %v", resp, err)
	}
	var r struct {
		Body string `json:"body"`
	}
	if err := json.Unmarshal(resp, &r); err != nil {
		t.Fatalf("response %s: %v", resp, err)
	}
	if err := json.Unmarshal([]byte(r.Body), &body); err != nil {
		t.Fatalf("response body %q: %v", r.Body, err)
	}
	return status, body
}

// invokeErr sends event and returns the *FunctionError Invoke must fail with.
func invokeErr(t *testing.T, rt Runtime, event string) *FunctionError {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	resp, err := rt.Invoke(ctx, []byte(event))
	var fe *FunctionError
	if !errors.As(err, &fe) {
		t.Fatalf("Invoke(%s) = %s, %v; want a *FunctionError", event, resp, err)
	}
	return fe
}

// gone reports whether pid has exited (a zombie nobody reaped yet counts).
func gone(pid int) bool {
	if err := syscall.Kill(pid, 0); errors.Is(err, syscall.ESRCH) {
		return true
	}
	return zombie(pid)
}

func waitGone(t *testing.T, what string, pid int) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for !gone(pid) {
		if time.Now().After(deadline) {
			t.Fatalf("%s (pid %d) still running after Close", what, pid)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func TestWarmInvocations(t *testing.T) {
	for _, p := range platforms {
		t.Run(p.name, func(t *testing.T) {
			t.Parallel()
			rt, stderr := start(t, p, "ECHO_VAR=hello")

			status, first := invoke(t, rt, `{}`)
			if status != 200 {
				t.Errorf("first status = %d, want 200", status)
			}
			status, second := invoke(t, rt, `{"status":418}`)
			if status != 418 {
				t.Errorf("second status = %d, want 418", status)
			}
			if first.Invocation != 1 || second.Invocation != 2 || first.PID != second.PID {
				t.Errorf("not one warm process: first %+v, second %+v", first, second)
			}
			if first.EchoVar != "hello" {
				t.Errorf("ECHO_VAR in the function = %q, want hello", first.EchoVar)
			}
			if !first.HasDeadline {
				t.Error("the handler's context has no deadline")
			}
			switch p.name {
			case "lambda":
				if first.FunctionName != "test_function" {
					t.Errorf("AWS_LAMBDA_FUNCTION_NAME = %q, want the emulator's test_function", first.FunctionName)
				}
			case "scf":
				if first.FunctionName != scfFunctionName {
					t.Errorf("function name = %q, want %q", first.FunctionName, scfFunctionName)
				}
				if first.RequestID == "" || first.RequestID == second.RequestID {
					t.Errorf("request ids %q, %q: want fresh ones", first.RequestID, second.RequestID)
				}
			}
			// Output may lag behind Invoke; Close waits for all of it.
			if err := rt.Close(); err != nil {
				t.Fatalf("Close: %v", err)
			}
			if !strings.Contains(stderr.String(), "echo-"+p.name+": invocation 2") {
				t.Errorf("the function's stdout did not reach Options.Stderr:\n%s", stderr.String())
			}
			if p.name == "lambda" && !strings.Contains(stderr.String(), "START RequestId:") {
				t.Error("the emulator's log did not reach Options.Stderr")
			}
		})
	}
}

func TestCloseLeavesNoProcess(t *testing.T) {
	for _, p := range platforms {
		t.Run(p.name, func(t *testing.T) {
			t.Parallel()
			var stderr lockedBuffer
			rt, err := p.start(context.Background(), Options{Stderr: &stderr})
			if err != nil {
				t.Fatal(err)
			}
			_, body := invoke(t, rt, `{}`)
			var top int
			switch r := rt.(type) {
			case *lambdaRuntime:
				top = r.proc.pid()
			case *scfRuntime:
				top = r.proc.pid()
			}
			if err := rt.Close(); err != nil {
				t.Fatalf("Close: %v", err)
			}
			waitGone(t, "function", body.PID)
			waitGone(t, "started process", top)
			if err := rt.Close(); err != nil {
				t.Errorf("second Close: %v", err)
			}
			if _, err := rt.Invoke(context.Background(), []byte(`{}`)); err == nil {
				t.Error("Invoke after Close succeeded")
			}
		})
	}
}

func TestEmptyEnvironment(t *testing.T) {
	t.Setenv("ECHO_VAR", "leaked")
	for _, p := range platforms {
		t.Run(p.name, func(t *testing.T) {
			rt, _ := start(t, p) // Env nil
			if _, body := invoke(t, rt, `{}`); body.EchoVar != "" {
				t.Errorf("ECHO_VAR = %q leaked from the test's environment", body.EchoVar)
			}
		})
	}
}

func TestExitAtStart(t *testing.T) {
	t.Run("lambda", func(t *testing.T) {
		t.Parallel()
		// The emulator starts the function on the first invocation, so the
		// failure surfaces there.
		rt, _ := start(t, platforms[0], "ECHO_MODE=exit")
		began := time.Now()
		fe := invokeErr(t, rt, `{}`)
		if d := time.Since(began); d > 5*time.Second {
			t.Errorf("the failure took %s to surface", d)
		}
		if fe.Type != "Runtime.ExitError" || !fe.Exited || !errors.Is(fe, ErrExited) {
			t.Errorf("error %+v: want Runtime.ExitError, Exited", fe)
		}
		msg := fe.Error()
		for _, want := range []string{"during init", "exit status 3", "refusing to start"} {
			if !strings.Contains(msg, want) {
				t.Errorf("error %q does not say %q", msg, want)
			}
		}
		t.Log(msg)
	})
	t.Run("scf", func(t *testing.T) {
		t.Parallel()
		began := time.Now()
		var stderr lockedBuffer
		rt, err := StartSCF(context.Background(), bins.echoSCF, Options{Env: []string{"ECHO_MODE=exit"}, Stderr: &stderr})
		if err == nil {
			rt.Close()
			t.Fatal("StartSCF succeeded for a function that exits at start")
		}
		if d := time.Since(began); d > 5*time.Second {
			t.Errorf("the failure took %s to surface", d)
		}
		if !errors.Is(err, ErrExited) {
			t.Errorf("error %v does not wrap ErrExited", err)
		}
		for _, want := range []string{"exit status 3", "refusing to start"} {
			if !strings.Contains(err.Error(), want) {
				t.Errorf("error %q does not say %q", err, want)
			}
		}
		t.Log(err)
	})
}

func TestStartSCFHangingFunctionIsBounded(t *testing.T) {
	t.Parallel()
	ctx, cancel := context.WithTimeout(context.Background(), 500*time.Millisecond)
	defer cancel()
	began := time.Now()
	rt, err := StartSCF(ctx, bins.echoSCF, Options{Env: []string{"ECHO_MODE=hang"}, Stderr: &lockedBuffer{}})
	if err == nil {
		rt.Close()
		t.Fatal("StartSCF succeeded for a function that never listens")
	}
	if d := time.Since(began); d > 5*time.Second {
		t.Errorf("StartSCF took %s with a 500ms context", d)
	}
}

func TestHandlerError(t *testing.T) {
	for _, p := range platforms {
		t.Run(p.name, func(t *testing.T) {
			t.Parallel()
			rt, _ := start(t, p)
			_, before := invoke(t, rt, `{}`)
			fe := invokeErr(t, rt, `{"fail":"error"}`)
			if fe.Platform != p.name || fe.Type != "errorString" || fe.Message != "echo-"+p.name+": asked to fail" || fe.Exited {
				t.Errorf("error %+v", fe)
			}
			if errors.Is(fe, ErrExited) {
				t.Error("a handler error reports ErrExited")
			}
			if _, after := invoke(t, rt, `{}`); after.PID != before.PID {
				t.Errorf("the process changed after a handler error: %d, then %d", before.PID, after.PID)
			}
		})
	}
}

func TestPanic(t *testing.T) {
	for _, p := range platforms {
		t.Run(p.name, func(t *testing.T) {
			t.Parallel()
			rt, _ := start(t, p)
			fe := invokeErr(t, rt, `{"fail":"panic"}`)
			if !strings.Contains(fe.Message, "asked to panic") {
				t.Errorf("error %+v", fe)
			}
			if p.name == "lambda" {
				// aws-lambda-go exits after reporting a panic; the emulator
				// starts a new process on the next invocation.
				if !fe.Exited {
					t.Errorf("error %+v: want Exited", fe)
				}
				if status, body := invoke(t, rt, `{}`); status != 200 || body.Invocation != 1 {
					t.Errorf("after the panic: status %d, %+v; want a fresh process", status, body)
				}
			}
		})
	}
}

func TestExitDuringInvocation(t *testing.T) {
	for _, p := range platforms {
		t.Run(p.name, func(t *testing.T) {
			t.Parallel()
			rt, _ := start(t, p)
			fe := invokeErr(t, rt, `{"fail":"exit"}`)
			if fe.Type != "Runtime.ExitError" || !errors.Is(fe, ErrExited) || !strings.Contains(fe.Error(), "exit status 4") {
				t.Errorf("error %v (%+v)", fe, fe)
			}
			switch p.name {
			case "lambda":
				if status, _ := invoke(t, rt, `{}`); status != 200 {
					t.Errorf("after the exit: status %d", status)
				}
			case "scf":
				if !strings.Contains(fe.Error(), "exiting mid-invocation") {
					t.Errorf("error %q lacks the function's last output", fe)
				}
				_, err := rt.Invoke(context.Background(), []byte(`{}`))
				if !errors.Is(err, ErrExited) {
					t.Errorf("Invoke after the process exited = %v; want ErrExited", err)
				}
			}
		})
	}
}

// TestAnswerThenExit: a Lambda function that answers and exits at once (as roomhook does when
// its store fails to open after it took the first event) is reported as a runtime exit whether
// the exit beat the answer or the answer beat the exit, the emulator then failing the
// invocation with a 502 that carries the answer; never as an unexplained emulator error.
func TestAnswerThenExit(t *testing.T) {
	t.Parallel()
	for range 6 {
		rt, _ := start(t, platforms[0])
		ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
		resp, err := rt.Invoke(ctx, []byte(`{"fail":"answer-exit"}`))
		cancel()
		var fe *FunctionError
		switch {
		case err == nil:
			// The emulator finished the invocation before the exit: the answer stands.
			if status, serr := StatusCode(resp); serr != nil || status != 200 {
				t.Errorf("answer %s: %d, %v", resp, status, serr)
			}
		case errors.As(err, &fe):
			if fe.Type != "Runtime.ExitError" || !fe.Exited || !errors.Is(fe, ErrExited) || !strings.Contains(fe.Error(), "exit status 5") {
				t.Errorf("error %v (%+v)", fe, fe)
			}
		default:
			t.Errorf("Invoke = %s, %v; want the answer or a runtime exit", resp, err)
		}
	}
}

func TestTimeout(t *testing.T) {
	t.Run("lambda", func(t *testing.T) {
		t.Parallel()
		rt, _ := start(t, platforms[0], "AWS_LAMBDA_FUNCTION_TIMEOUT=1")
		began := time.Now()
		fe := invokeErr(t, rt, `{"fail":"hang"}`)
		if fe.Type != "Sandbox.Timedout" || !strings.Contains(fe.Message, "Task timed out after 1.00 seconds") {
			t.Errorf("error %+v", fe)
		}
		if d := time.Since(began); d > 5*time.Second {
			t.Errorf("the timeout took %s", d)
		}
	})
	t.Run("scf", func(t *testing.T) {
		t.Parallel()
		rt, _ := start(t, platforms[1])
		began := time.Now()
		fe := invokeErr(t, rt, `{"fail":"hang"}`)
		if fe.Type != "Timeout" {
			t.Errorf("error %+v", fe)
		}
		if d := time.Since(began); d < scfTimeout || d > scfTimeout+scfGrace+2*time.Second {
			t.Errorf("the timeout took %s", d)
		}
	})
	t.Run("context", func(t *testing.T) {
		// The caller stops waiting; the invocation goes on until the
		// function times out, and the next one waits for that.
		t.Parallel()
		for _, p := range platforms {
			rt, _ := start(t, p, "AWS_LAMBDA_FUNCTION_TIMEOUT=1")
			ctx, cancel := context.WithTimeout(context.Background(), 200*time.Millisecond)
			began := time.Now()
			_, err := rt.Invoke(ctx, []byte(`{"fail":"hang"}`))
			cancel()
			if !errors.Is(err, context.DeadlineExceeded) || time.Since(began) > time.Second {
				t.Errorf("%s: Invoke with an expiring context = %v after %s", p.name, err, time.Since(began))
			}
			if status, _ := invoke(t, rt, `{}`); status != 200 {
				t.Errorf("%s: the next invocation: status %d", p.name, status)
			}
		}
	})
}

func TestConcurrentInvokesAreSerialised(t *testing.T) {
	for _, p := range platforms {
		t.Run(p.name, func(t *testing.T) {
			t.Parallel()
			rt, _ := start(t, p)
			var wg sync.WaitGroup
			errs := make(chan error, 8)
			for range 8 {
				wg.Go(func() {
					resp, err := rt.Invoke(context.Background(), []byte(`{}`))
					if err == nil {
						_, err = StatusCode(resp)
					}
					errs <- err
				})
			}
			wg.Wait()
			close(errs)
			for err := range errs {
				if err != nil {
					t.Error(err)
				}
			}
		})
	}
}

func TestStartErrors(t *testing.T) {
	ctx := context.Background()
	if _, err := StartLambda(ctx, bins.rie, filepath.Join(t.TempDir(), "missing"), Options{}); err == nil {
		t.Error("StartLambda with a missing bootstrap succeeded")
	}
	if _, err := StartLambda(ctx, "", bins.echoLambda, Options{}); err == nil {
		t.Error("StartLambda without aws-lambda-rie succeeded")
	}
	if _, err := StartLambda(ctx, bins.rie, bins.echoLambda, Options{Env: []string{"AWS_LAMBDA_FUNCTION_TIMEOUT=1.5"}}); err == nil {
		t.Error("StartLambda with AWS_LAMBDA_FUNCTION_TIMEOUT=1.5 succeeded")
	}
	if _, err := StartSCF(ctx, t.TempDir(), Options{}); err == nil {
		t.Error("StartSCF with a directory succeeded")
	}
}

func TestBuildFunctionError(t *testing.T) {
	err := BuildFunction(context.Background(), "./scripts/localinvoke/testdata/no-such-package", filepath.Join(t.TempDir(), "x"))
	if err == nil || !strings.Contains(err.Error(), "no-such-package") {
		t.Errorf("BuildFunction of a missing package = %v", err)
	}
}

func TestStatusCode(t *testing.T) {
	tests := []struct {
		name    string
		in      string
		want    int
		wantErr bool
	}{
		{"api gateway", `{"isBase64Encoded":false,"statusCode":200,"headers":{},"body":"{}"}`, 200, false},
		{"error status", `{"statusCode":503}`, 503, false},
		{"missing", `{"body":"x"}`, 0, true},
		{"null", `{"statusCode":null}`, 0, true},
		{"string", `{"statusCode":"200"}`, 0, true},
		{"fraction", `{"statusCode":200.5}`, 0, true},
		{"out of range", `{"statusCode":42}`, 0, true},
		{"not an object", `[1]`, 0, true},
		{"not json", `Task timed out after 3.00 seconds`, 0, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := StatusCode([]byte(tt.in))
			if (err != nil) != tt.wantErr || got != tt.want {
				t.Errorf("StatusCode(%s) = %d, %v; want %d, error %v", tt.in, got, err, tt.want, tt.wantErr)
			}
		})
	}
}

func TestRIELines(t *testing.T) {
	tests := []struct {
		line string
		kind lineKind
		why  string
	}{
		{"25 Nov 2026 18:14:06,423 [ERROR] (rapid) Init failed error=Runtime exited with error: exit status 3 InvokeID=",
			failureLine, "the function failed during init: Runtime exited with error: exit status 3"},
		{"25 Nov 2026 18:14:17,836 [ERROR] (rapid) Invoke failed InvokeID=1790c0eb error=Runtime exited with error: exit status 2",
			failureLine, "the invocation failed: Runtime exited with error: exit status 2"},
		{"25 Nov 2026 18:14:24,402 [ERROR] (rapid) Init failed error=errResetReceived InvokeID=",
			failureLine, "the function failed during init: init did not finish within the function timeout"},
		{"25 Nov 2026 18:14:00,203 [INFO] (rapid) INIT START(type: on-demand, phase: init)", runtimeLine, ""},
		{"REPORT RequestId: 8c6da2b6\tInit Duration: 0.16 ms", runtimeLine, ""},
		{"START RequestId: 8c6da2b6 Version: $LATEST", runtimeLine, ""},
		{`{"level":"ERROR","msg":"ROOMHOOK_SDKAPPID is required"}`, functionLine, ""},
	}
	for _, tt := range tests {
		if got := classifyRIELine(tt.line); got != tt.kind {
			t.Errorf("classifyRIELine(%q) = %d, want %d", tt.line, got, tt.kind)
		}
		if tt.why != "" {
			if got := explainRIEFailure(tt.line); got != tt.why {
				t.Errorf("explainRIEFailure(%q) = %q, want %q", tt.line, got, tt.why)
			}
		}
	}
}

func TestNewRequestID(t *testing.T) {
	a, b := newRequestID(), newRequestID()
	if len(a) != 36 || a == b || a[14] != '4' {
		t.Errorf("request ids %q, %q", a, b)
	}
}

func TestCloseDuringInvocation(t *testing.T) {
	for _, p := range platforms {
		t.Run(p.name, func(t *testing.T) {
			t.Parallel()
			var stderr lockedBuffer
			rt, err := p.start(context.Background(), Options{Env: []string{"AWS_LAMBDA_FUNCTION_TIMEOUT=30"}, Stderr: &stderr})
			if err != nil {
				t.Fatal(err)
			}
			var top int
			switch r := rt.(type) {
			case *lambdaRuntime:
				top = r.proc.pid()
			case *scfRuntime:
				top = r.proc.pid()
			}
			invoked := make(chan error, 1)
			go func() {
				_, err := rt.Invoke(context.Background(), []byte(`{"fail":"hang"}`))
				invoked <- err
			}()
			// Wait until the function is running the handler.
			deadline := time.Now().Add(5 * time.Second)
			for !strings.Contains(stderr.String(), "INVOKE START") && p.name == "lambda" && time.Now().Before(deadline) {
				time.Sleep(10 * time.Millisecond)
			}
			time.Sleep(100 * time.Millisecond)
			var pids []int
			for _, k := range descendants(top) {
				pids = append(pids, k.pid)
			}
			pids = append(pids, top)
			began := time.Now()
			if err := rt.Close(); err != nil {
				t.Errorf("Close: %v", err)
			}
			if d := time.Since(began); d > 5*time.Second {
				t.Errorf("Close took %s", d)
			}
			select {
			case err := <-invoked:
				if err == nil {
					t.Error("the interrupted invocation succeeded")
				}
			case <-time.After(5 * time.Second):
				t.Error("Invoke still blocked after Close")
			}
			for _, pid := range pids {
				waitGone(t, "process", pid)
			}
			if t.Failed() {
				t.Logf("stderr:\n%s", stderr.String())
			}
		})
	}
}

// The emulator runs the function in a process group of its own; if the
// emulator dies (it panics on a second concurrent request, for one), Close
// must still end the function.
func TestEmulatorDiesMidInvocation(t *testing.T) {
	t.Parallel()
	rt, _ := start(t, platforms[0], "AWS_LAMBDA_FUNCTION_TIMEOUT=30")
	r := rt.(*lambdaRuntime)
	invoked := make(chan error, 1)
	go func() {
		_, err := rt.Invoke(context.Background(), []byte(`{"fail":"hang"}`))
		invoked <- err
	}()
	var fn []procRef
	deadline := time.Now().Add(5 * time.Second)
	for len(fn) == 0 && time.Now().Before(deadline) {
		time.Sleep(20 * time.Millisecond)
		fn = descendants(r.proc.pid())
	}
	if len(fn) == 0 {
		t.Fatal("the emulator started no function")
	}
	time.Sleep(3 * trackInterval)
	if err := syscall.Kill(r.proc.pid(), syscall.SIGKILL); err != nil { // the emulator alone
		t.Fatal(err)
	}
	select {
	case err := <-invoked:
		if !errors.Is(err, ErrExited) {
			t.Errorf("Invoke = %v, want ErrExited", err)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("Invoke still blocked after the emulator died")
	}
	if !fn[0].alive() {
		t.Fatal("the function died with the emulator; this test proves nothing")
	}
	if err := rt.Close(); err != nil {
		t.Errorf("Close: %v", err)
	}
	for _, k := range fn {
		waitGone(t, "function", k.pid)
	}
}
