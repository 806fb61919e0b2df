package localinvoke

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"regexp"
	"strconv"
	"strings"
	"sync/atomic"
	"time"
)

const (
	// lambdaDefaultTimeout is Lambda's default function timeout, in seconds,
	// used when Options.Env has no AWS_LAMBDA_FUNCTION_TIMEOUT. The emulator
	// itself would default to 300.
	lambdaDefaultTimeout = 3
	// invokePath is the emulator's endpoint, the Lambda Invoke API's path
	// for the one function it runs.
	invokePath = "/2015-03-31/functions/function/invocations"
	// reasonWait bounds the wait for the emulator's log line that explains
	// a failure: it travels through a pipe, the answer through a socket.
	reasonWait = 300 * time.Millisecond
	// maxResponse bounds a response body (Lambda's limit is 6 MB).
	maxResponse = 16 << 20
)

// StartLambda starts the AWS Lambda Runtime Interface Emulator riePath on
// two free loopback ports, running bootstrapPath:
//
//	aws-lambda-rie --runtime-interface-emulator-address 127.0.0.1:P1 --runtime-api-address 127.0.0.1:P2 bootstrapPath
//
// and returns once the emulator accepts connections. ctx bounds the start
// only, not the life of the Runtime.
//
// The emulator starts the function lazily, on the first invocation, so a
// function that fails during init (bad configuration, a crash) is reported
// by the first Invoke, as a *FunctionError wrapping ErrExited, with the
// function's last output lines. The function's working directory is the
// caller's.
func StartLambda(ctx context.Context, riePath, bootstrapPath string, opts Options) (Runtime, error) {
	rie, err := executable("aws-lambda-rie", riePath)
	if err != nil {
		return nil, err
	}
	bootstrap, err := executable("bootstrap", bootstrapPath)
	if err != nil {
		return nil, err
	}
	env := append([]string{}, opts.Env...)
	timeout := lambdaDefaultTimeout
	if v, ok := lookupEnv(env, "AWS_LAMBDA_FUNCTION_TIMEOUT"); ok {
		// The emulator panics on a value that is not whole seconds.
		if timeout, err = strconv.Atoi(v); err != nil || timeout <= 0 {
			return nil, fmt.Errorf("localinvoke: AWS_LAMBDA_FUNCTION_TIMEOUT=%q is not a whole number of seconds", v)
		}
	} else {
		env = append(env, "AWS_LAMBDA_FUNCTION_TIMEOUT="+strconv.Itoa(timeout))
	}
	stderr := opts.Stderr
	if stderr == nil {
		stderr = os.Stderr
	}

	for try := 1; ; try++ {
		ports, err := freeLoopbackPorts(2)
		if err != nil {
			return nil, err
		}
		invokePort, invokeAddr, runtimeAPIAddr := ports[0], loopbackAddr(ports[0]), loopbackAddr(ports[1])
		out := newOutputLog(stderr, classifyRIELine)
		proc, err := startProcess("aws-lambda-rie", rie, []string{
			"--runtime-interface-emulator-address", invokeAddr,
			"--runtime-api-address", runtimeAPIAddr,
			bootstrap, // one argument after the flags: the command, and no handler name
		}, env, out)
		if err != nil {
			return nil, err
		}
		conn, err := proc.waitListening(ctx, invokePort)
		if err != nil {
			_ = proc.stop()
			if try < startTries && proc.portTaken() {
				continue
			}
			return nil, err
		}
		_ = conn.Close()
		closing, cancel := context.WithCancel(context.Background())
		return &lambdaRuntime{
			slot:    newSlot(),
			closing: closing,
			cancel:  cancel,
			proc:    proc,
			out:     out,
			url:     "http://" + invokeAddr + invokePath,
			timeout: time.Duration(timeout) * time.Second,
			client: &http.Client{Transport: &http.Transport{
				Proxy:             nil, // loopback only, whatever HTTP_PROXY says
				DisableKeepAlives: true,
			}},
		}, nil
	}
}

type lambdaRuntime struct {
	proc    *process
	out     *outputLog
	url     string
	timeout time.Duration
	client  *http.Client

	slot    slot // one invocation at a time, like one execution environment
	closed  atomic.Bool
	closing context.Context // ends when Close is called
	cancel  context.CancelFunc
}

func (r *lambdaRuntime) Invoke(ctx context.Context, event []byte) ([]byte, error) {
	return r.slot.run(ctx, "lambda", func() ([]byte, error) { return r.invoke(event) })
}

// invoke does one invocation, to the end: the emulator answers by the
// function timeout.
func (r *lambdaRuntime) invoke(event []byte) ([]byte, error) {
	if r.closed.Load() {
		return nil, errClosed
	}
	if r.proc.exited() {
		return nil, fmt.Errorf("localinvoke: lambda: aws-lambda-rie: %w earlier (%s)", ErrExited, r.proc.exitStatus())
	}
	// The bound only guards against the emulator itself hanging; Close ends
	// the request at once.
	ctx, cancel := context.WithTimeout(r.closing, r.timeout+10*time.Second)
	defer cancel()
	// The emulator starts the function during an invocation; note its pid
	// so it can be killed even if the emulator dies.
	tracking := make(chan struct{})
	trackDone := make(chan struct{})
	go func() {
		defer close(trackDone)
		r.proc.trackWhile(tracking)
	}()
	defer func() {
		close(tracking)
		<-trackDone
	}()
	mark := r.out.mark()
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, r.url, bytes.NewReader(event))
	if err != nil {
		return nil, fmt.Errorf("localinvoke: lambda: %w", err)
	}
	req.Header.Set("Content-Type", "application/json")
	resp, err := r.client.Do(req)
	if err != nil {
		if r.closed.Load() {
			return nil, errClosed
		}
		if r.proc.waitExit(reasonWait) {
			r.proc.settle()
			return nil, fmt.Errorf("localinvoke: lambda: aws-lambda-rie: %w during the invocation (%s)%s",
				ErrExited, r.proc.exitStatus(), quoteLines(r.out.allSince(mark)))
		}
		return nil, fmt.Errorf("localinvoke: lambda: invoke: %w", err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, maxResponse))
	if err != nil {
		return nil, fmt.Errorf("localinvoke: lambda: read response: %w", err)
	}
	return r.interpret(resp.StatusCode, body, mark)
}

// interpret turns the emulator's answer into a payload or an error. The
// emulator drops the X-Amz-Function-Error header real Lambda sets on
// function errors, so they are recognised by their shape:
//   - 200 with {"errorMessage", "errorType"} and no statusCode: the handler
//     returned an error;
//   - 200 with "Task timed out after N.00 seconds" (not JSON): timeout;
//   - 502 with {"errorMessage", "errorType", …}: the handler panicked or the
//     process exited during the invocation (errorType Runtime.ExitError);
//   - 502 with an empty body: the function failed during init (it exited or
//     reported an init error); the reason is only in the emulator's log;
//   - 502 with any other JSON body, the emulator having logged the runtime's
//     exit: the function answered and its process exited right after, before
//     the emulator had finished the invocation, which it then fails with the
//     exit, passing the answer along (an exit some milliseconds later leaves
//     the invocation answered).
func (r *lambdaRuntime) interpret(status int, body []byte, mark int) ([]byte, error) {
	trimmed := bytes.TrimSpace(body)
	if status == http.StatusOK && bytes.HasPrefix(trimmed, []byte("Task timed out")) {
		return nil, &FunctionError{Platform: "lambda", Type: "Sandbox.Timedout", Message: string(trimmed),
			Output: r.out.functionSince(mark)}
	}
	if fe, ok := lambdaErrorBody(trimmed); ok {
		fe.Exited = status != http.StatusOK // a panic ends the process too (aws-lambda-go exits after reporting it)
		fe.Output = r.functionOutput(mark, fe.Exited)
		return nil, fe
	}
	if status == http.StatusOK {
		if !json.Valid(trimmed) {
			return nil, fmt.Errorf("localinvoke: lambda: the emulator answered 200 with a body that is not JSON: %q", abbreviate(trimmed))
		}
		return body, nil
	}
	if status == http.StatusBadGateway && len(trimmed) == 0 {
		reason := r.failureReason(mark)
		typ := "Runtime.Unknown"
		if strings.Contains(reason, "Runtime exited") {
			typ = "Runtime.ExitError"
		}
		return nil, &FunctionError{Platform: "lambda", Type: typ, Message: reason, Exited: true,
			Output: r.functionOutput(mark, true)}
	}
	if status == http.StatusBadGateway && json.Valid(trimmed) {
		if reason := r.failureReason(mark); strings.Contains(reason, "Runtime exited") {
			return nil, &FunctionError{Platform: "lambda", Type: "Runtime.ExitError", Exited: true,
				Message: fmt.Sprintf("%s (the function's answer, which the emulator returned with its 502: %q)", reason, abbreviate(trimmed)),
				Output:  r.functionOutput(mark, true)}
		}
	}
	return nil, fmt.Errorf("localinvoke: lambda: the emulator answered %d %s: %q%s",
		status, http.StatusText(status), abbreviate(trimmed), quoteLines(r.out.failuresSince(mark)))
}

// functionOutput returns what the function printed since mark; after a
// crash it first gives the output pipe a moment to catch up.
func (r *lambdaRuntime) functionOutput(mark int, crashed bool) []string {
	if crashed {
		r.waitForLine(mark)
	}
	return r.out.functionSince(mark)
}

// failureReason returns the emulator's explanation of the latest failure,
// like "the function failed during init: Runtime exited with error: exit
// status 3".
func (r *lambdaRuntime) failureReason(mark int) string {
	r.waitForLine(mark)
	lines := r.out.failuresSince(mark)
	if len(lines) == 0 {
		return "the function failed (the emulator answered 502 with an empty body and logged no reason)"
	}
	// The first failure since the mark is the root cause: an init failure is
	// followed by the invocation failing for the same reason.
	return explainRIEFailure(lines[0])
}

// waitForLine waits, briefly, until the emulator has logged a failure since
// mark.
func (r *lambdaRuntime) waitForLine(mark int) {
	deadline := time.Now().Add(reasonWait)
	for len(r.out.failuresSince(mark)) == 0 && time.Now().Before(deadline) && !r.proc.exited() {
		time.Sleep(10 * time.Millisecond)
	}
}

func (r *lambdaRuntime) Close() error {
	r.closed.Store(true)
	r.cancel()
	err := r.proc.stop()
	r.client.CloseIdleConnections()
	return err
}

// lambdaErrorBody recognises the Lambda error document
// {"errorMessage": …, "errorType": …, "stackTrace": …}.
func lambdaErrorBody(body []byte) (*FunctionError, bool) {
	var doc map[string]json.RawMessage
	if json.Unmarshal(body, &doc) != nil {
		return nil, false
	}
	if _, ok := doc["statusCode"]; ok {
		return nil, false
	}
	rawMsg, hasMsg := doc["errorMessage"]
	rawType, hasType := doc["errorType"]
	if !hasMsg && !hasType {
		return nil, false
	}
	fe := &FunctionError{Platform: "lambda"}
	_ = json.Unmarshal(rawMsg, &fe.Message)
	_ = json.Unmarshal(rawType, &fe.Type)
	return fe, true
}

var (
	// rieLogLine matches the emulator's own log lines:
	// "25 Nov 2026 18:14:06,423 [ERROR] (rapid) Init failed error=…".
	rieLogLine = regexp.MustCompile(`^\d{2} [A-Z][a-z]{2} \d{4} \d{2}:\d{2}:\d{2},\d{3} \[[A-Z]+\] \(rapid\) `)
	// rieReportLine matches the lines it prints per invocation.
	rieReportLine = regexp.MustCompile(`^(START|END|REPORT) RequestId: `)
)

func classifyRIELine(line string) lineKind {
	switch {
	case rieLogLine.MatchString(line):
		rest := rieLogLine.ReplaceAllString(line, "")
		if strings.HasPrefix(rest, "Init failed") || strings.HasPrefix(rest, "Invoke failed") {
			return failureLine
		}
		return runtimeLine
	case rieReportLine.MatchString(line):
		return runtimeLine
	default:
		return functionLine
	}
}

// explainRIEFailure turns "… (rapid) Init failed error=Runtime exited with
// error: exit status 3 InvokeID=" into "the function failed during init:
// Runtime exited with error: exit status 3".
func explainRIEFailure(line string) string {
	rest := rieLogLine.ReplaceAllString(line, "")
	phase := "the invocation failed"
	if strings.HasPrefix(rest, "Init failed") {
		phase = "the function failed during init"
	}
	_, reason, ok := strings.Cut(rest, "error=")
	if !ok {
		return phase + ": " + rest
	}
	if i := strings.Index(reason, " InvokeID="); i >= 0 {
		reason = reason[:i]
	}
	if reason == "errResetReceived" {
		reason = "init did not finish within the function timeout"
	}
	return phase + ": " + strings.TrimSpace(reason)
}

func abbreviate(b []byte) string {
	const max = 300
	if len(b) > max {
		return string(b[:max]) + "…"
	}
	return string(b)
}
