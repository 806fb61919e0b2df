package localinvoke

import (
	"context"
	"crypto/rand"
	"encoding/json"
	"errors"
	"fmt"
	"net/rpc"
	"os"
	"path/filepath"
	"strconv"
	"sync/atomic"
	"time"

	"github.com/tencentyun/scf-go-lib/cloudfunction/messages"
)

const (
	// scfTimeout is the function timeout an invocation gets (SCF's default
	// is 3 s): the Deadline the function sees, and how long Invoke waits.
	scfTimeout = 3 * time.Second
	// scfGrace is how long past the deadline Invoke still waits for the
	// answer, for the round trip.
	scfGrace = time.Second
	// scfFunctionName, scfMemoryMB: the function context's values.
	scfFunctionName = "roomhook-local"
	scfMemoryMB     = 128
)

// StartSCF starts the SCF event function mainPath the way the SCF Go runtime
// does: with _LAMBDA_SERVER_PORT set to a free port (added to Options.Env).
// scf-go-lib's cloudfunction.Start then serves Go net/rpc on
// 0.0.0.0:$_LAMBDA_SERVER_PORT (the library's choice; this package dials
// 127.0.0.1 only). StartSCF dials it until it answers, calls Function.Ping
// once, and returns. A function that exits instead (for example refusing to
// start for bad configuration) makes StartSCF fail early with an error
// wrapping ErrExited that gives the exit status and its last output lines.
// ctx bounds the start only, not the life of the Runtime. The function's
// working directory is the caller's.
func StartSCF(ctx context.Context, mainPath string, opts Options) (Runtime, error) {
	main, err := executable("SCF function", mainPath)
	if err != nil {
		return nil, err
	}
	stderr := opts.Stderr
	if stderr == nil {
		stderr = os.Stderr
	}
	for try := 1; ; try++ {
		ports, err := freeLoopbackPorts(1)
		if err != nil {
			return nil, err
		}
		out := newOutputLog(stderr, nil)
		proc, err := startProcess("SCF function "+filepath.Base(main), main, nil, setEnv(opts.Env, "_LAMBDA_SERVER_PORT", strconv.Itoa(ports[0])), out)
		if err != nil {
			return nil, err
		}
		rt, err := connectSCF(ctx, proc, ports[0])
		if err != nil {
			_ = proc.stop()
			if try < startTries && proc.portTaken() {
				continue
			}
			return nil, err
		}
		return rt, nil
	}
}

func connectSCF(ctx context.Context, proc *process, port int) (*scfRuntime, error) {
	conn, err := proc.waitListening(ctx, port)
	if err != nil {
		return nil, err
	}
	client := rpc.NewClient(conn)
	var pong messages.PingResponse
	if err := call(ctx, client, "Function.Ping", &messages.PingRequest{}, &pong, startTimeout); err != nil {
		_ = client.Close()
		if proc.waitExit(reasonWait) {
			proc.settle()
			return nil, fmt.Errorf("localinvoke: %s: %w after accepting a connection (%s)%s",
				proc.name, ErrExited, proc.exitStatus(), quoteLines(proc.out.allSince(0)))
		}
		return nil, fmt.Errorf("localinvoke: scf: Function.Ping: %w", err)
	}
	return &scfRuntime{proc: proc, out: proc.out, client: client, slot: newSlot()}, nil
}

type scfRuntime struct {
	proc   *process
	out    *outputLog
	client *rpc.Client

	slot   slot // one invocation at a time, like one SCF instance
	closed atomic.Bool
}

var errCallTimeout = errors.New("no answer in time")

// call makes one net/rpc call, bounded by ctx and limit.
func call(ctx context.Context, client *rpc.Client, method string, args, reply any, limit time.Duration) error {
	c := client.Go(method, args, reply, make(chan *rpc.Call, 1))
	t := time.NewTimer(limit)
	defer t.Stop()
	select {
	case <-c.Done:
		return c.Error
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return errCallTimeout
	}
}

func (r *scfRuntime) Invoke(ctx context.Context, event []byte) ([]byte, error) {
	return r.slot.run(ctx, "scf", func() ([]byte, error) { return r.invoke(event) })
}

// invoke does one invocation, to the end: an answer, or the function
// timeout plus a grace period.
func (r *scfRuntime) invoke(event []byte) ([]byte, error) {
	if r.closed.Load() {
		return nil, errClosed
	}
	if r.proc.exited() {
		return nil, fmt.Errorf("localinvoke: %s: %w earlier (%s); start a new Runtime",
			r.proc.name, ErrExited, r.proc.exitStatus())
	}
	deadline := time.Now().Add(scfTimeout)
	req := &messages.InvokeRequest{
		Payload:         event,
		RequestId:       newRequestID(),
		Deadline:        messages.InvokeRequest_Timestamp{Seconds: deadline.Unix(), Nanos: int64(deadline.Nanosecond())},
		FunctionName:    scfFunctionName,
		FunctionVersion: "$LATEST",
		Namespace:       "default",
		MemoryLimitInMb: scfMemoryMB,
		TimeLimitInMs:   int32(scfTimeout / time.Millisecond),
	}
	mark := r.out.mark()
	var resp messages.InvokeResponse
	err := call(context.Background(), r.client, "Function.Invoke", req, &resp, scfTimeout+scfGrace)
	switch {
	case err == nil:
	case r.closed.Load():
		return nil, errClosed
	case errors.Is(err, errCallTimeout):
		return nil, &FunctionError{Platform: "scf", Type: "Timeout",
			Message: fmt.Sprintf("request %s: no answer within the %s function timeout", req.RequestId, scfTimeout),
			Output:  r.out.functionSince(mark)}
	default:
		if r.proc.waitExit(reasonWait) {
			r.proc.settle()
			return nil, &FunctionError{Platform: "scf", Type: "Runtime.ExitError", Exited: true,
				Message: fmt.Sprintf("request %s: the function process exited during the invocation (%s)", req.RequestId, r.proc.exitStatus()),
				Output:  r.out.functionSince(mark)}
		}
		return nil, fmt.Errorf("localinvoke: scf: Function.Invoke: %w", err)
	}
	if e := resp.Error; e != nil {
		msg := e.Message
		if e.ShouldExit {
			msg += " (the handler panicked; SCF would end this instance)"
		}
		return nil, &FunctionError{Platform: "scf", Type: e.Type, Message: msg, Output: r.out.functionSince(mark)}
	}
	if !json.Valid(resp.Payload) {
		return nil, fmt.Errorf("localinvoke: scf: the function answered with a payload that is not JSON: %q", abbreviate(resp.Payload))
	}
	return resp.Payload, nil
}

func (r *scfRuntime) Close() error {
	r.closed.Store(true)
	_ = r.client.Close()
	return r.proc.stop()
}

// newRequestID returns a random UUID (version 4), the form of SCF's request
// ids.
func newRequestID() string {
	var b [16]byte
	_, _ = rand.Read(b[:]) // never fails (crypto/rand panics instead)
	b[6] = b[6]&0x0f | 0x40
	b[8] = b[8]&0x3f | 0x80
	return fmt.Sprintf("%x-%x-%x-%x-%x", b[0:4], b[4:6], b[6:8], b[8:10], b[10:16])
}
