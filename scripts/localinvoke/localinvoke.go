package localinvoke

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strings"
)

// Options configures the function process of a Runtime.
type Options struct {
	// Env is the full environment of the function process, as KEY=VALUE
	// entries; the caller builds it. Nil means an empty environment, not the
	// caller's: nothing leaks in from the shell that runs the tests.
	//
	// Under Lambda the emulator runs with Env and passes all of it on to the
	// function, adding what the Lambda runtime sets where Env does not:
	// AWS_LAMBDA_RUNTIME_API, AWS_LAMBDA_FUNCTION_NAME=test_function,
	// AWS_LAMBDA_FUNCTION_VERSION=$LATEST, AWS_LAMBDA_FUNCTION_MEMORY_SIZE=3008,
	// AWS_LAMBDA_LOG_GROUP_NAME, AWS_LAMBDA_LOG_STREAM_NAME,
	// AWS_LAMBDA_METADATA_API, AWS_LAMBDA_METADATA_TOKEN, and empty
	// AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY, AWS_SESSION_TOKEN (no
	// AWS_REGION). The emulator also reads LOG_LEVEL for its own log, and
	// AWS_LAMBDA_FUNCTION_TIMEOUT (whole seconds) as the invocation timeout
	// it enforces; StartLambda sets that to 3, Lambda's default, when Env
	// does not. Under SCF, StartSCF adds only _LAMBDA_SERVER_PORT.
	Env []string
	// Stderr receives everything the function prints on stdout and stderr,
	// and under Lambda the emulator's own log lines. Nil means os.Stderr.
	// Output travels through a pipe and may arrive a moment after Invoke
	// returns; once Close has returned, all of it has been written.
	Stderr io.Writer
}

// Runtime is one running function process that can be invoked many times
// (warm invocations). Invocations are served one at a time, as one Lambda
// execution environment or one SCF instance does; concurrent calls to
// Invoke wait for each other. When ctx ends, Invoke returns ctx's error at
// once, but the invocation goes on until the function answers or times out
// (3 s), and the next one waits for that.
type Runtime interface {
	// Invoke sends one event and returns the function's response payload
	// JSON. When the platform reports that the function failed instead (the
	// handler returned an error or panicked, it timed out, or its process
	// exited, also during init) the error is a *FunctionError.
	Invoke(ctx context.Context, event []byte) ([]byte, error)
	// Close stops the process(es), waits for them and frees the ports.
	// It may be called more than once.
	Close() error
}

// ErrExited is wrapped by errors reporting that the function process, or
// the emulator running it, exited: at start (for example a function refusing
// to start for bad configuration), during an invocation, or before one.
var ErrExited = errors.New("process exited")

// FunctionError reports that the platform answered an invocation with a
// function error instead of a response payload.
type FunctionError struct {
	// Platform is "lambda" or "scf".
	Platform string
	// Type is the error type the platform reports: the Go type name of the
	// handler's error (for example "errorString"), "Runtime.ExitError" when
	// the process exited, "Sandbox.Timedout" / "Timeout" when it did not
	// answer in time.
	Type string
	// Message is the platform's error message.
	Message string
	// Exited tells that the function process exited (a crash, a panic that
	// ends the process, a failed init); errors.Is(err, ErrExited) reports it
	// too. The Lambda emulator starts a new process (a cold start) on the
	// next invocation; the SCF runtime here does not, later invocations fail.
	Exited bool
	// Output holds the last lines the function printed during the failed
	// invocation, oldest first (they also went to Options.Stderr).
	Output []string
}

func (e *FunctionError) Error() string {
	var b strings.Builder
	fmt.Fprintf(&b, "localinvoke: %s function error", e.Platform)
	if e.Type != "" {
		fmt.Fprintf(&b, " (%s)", e.Type)
	}
	fmt.Fprintf(&b, ": %s", e.Message)
	if len(e.Output) > 0 {
		fmt.Fprintf(&b, "; function output: %s", strings.Join(e.Output, " | "))
	}
	return b.String()
}

// Unwrap makes errors.Is(err, ErrExited) true when the process exited.
func (e *FunctionError) Unwrap() error {
	if e.Exited {
		return ErrExited
	}
	return nil
}

// StatusCode reads "statusCode" from a platform response JSON: an API
// gateway, function URL or ALB answer of either platform.
func StatusCode(response []byte) (int, error) {
	var r struct {
		StatusCode json.RawMessage `json:"statusCode"`
	}
	if err := json.Unmarshal(response, &r); err != nil {
		return 0, fmt.Errorf("localinvoke: response is not a JSON object: %w", err)
	}
	if r.StatusCode == nil || string(r.StatusCode) == "null" {
		return 0, errors.New(`localinvoke: response has no "statusCode"`)
	}
	var n int
	if err := json.Unmarshal(r.StatusCode, &n); err != nil || n < 100 || n > 999 {
		return 0, fmt.Errorf(`localinvoke: response "statusCode" %s is not an HTTP status (an integer from 100 to 999)`, r.StatusCode)
	}
	return n, nil
}
