package main

import (
	"errors"
	"fmt"
	"net"
	"net/rpc"
	"os/exec"
	"strconv"
	"syscall"
	"time"

	"github.com/tencentyun/scf-go-lib/cloudfunction/messages"
)

// scfProcess is a function process started as SCF's Go runtime starts it, connected.
type scfProcess struct {
	cmd     *exec.Cmd
	exited  chan error // the process's Wait, once
	out     *lockedBuffer
	conn    net.Conn
	started time.Time
}

// startSCF starts argv with env, _LAMBDA_SERVER_PORT set to a free port, in a process group of
// its own that dies with this one, and dials the port every interval until it accepts (scf-go-lib
// listens only once main has done its init), giving up after limit. The process's output is
// kept for errors.
func startSCF(argv, env []string, interval, limit time.Duration) (*scfProcess, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	port := strconv.Itoa(l.Addr().(*net.TCPAddr).Port)
	l.Close()
	p := &scfProcess{cmd: exec.Command(argv[0], argv[1:]...), exited: make(chan error, 1), out: &lockedBuffer{}}
	p.cmd.Env = append(append([]string(nil), env...), "_LAMBDA_SERVER_PORT="+port)
	p.cmd.Stdout, p.cmd.Stderr = p.out, p.out
	p.cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGKILL}
	p.started = time.Now()
	if err := p.cmd.Start(); err != nil {
		return nil, err
	}
	go func() { p.exited <- p.cmd.Wait() }()
	for {
		if p.conn, err = net.DialTimeout("tcp", "127.0.0.1:"+port, 100*time.Millisecond); err == nil {
			return p, nil
		}
		select {
		case err := <-p.exited:
			p.exited <- err
			return nil, fmt.Errorf("%s exited before listening: %v: %s", argv[0], err, p.out.bytes())
		case <-time.After(interval):
		}
		if time.Since(p.started) > limit {
			p.kill()
			return nil, fmt.Errorf("%s did not listen within %v", argv[0], limit)
		}
	}
}

// invoke calls Function.Invoke once with event and a deadline of timeout, waiting a second
// longer for the answer, which must be the OK one.
func (p *scfProcess) invoke(event []byte, timeout time.Duration) error {
	client := rpc.NewClient(p.conn)
	defer client.Close()
	deadline := time.Now().Add(timeout)
	req := &messages.InvokeRequest{
		Payload: event, RequestId: "bench-" + strconv.FormatInt(time.Now().UnixNano(), 36),
		Deadline:     messages.InvokeRequest_Timestamp{Seconds: deadline.Unix(), Nanos: int64(deadline.Nanosecond())},
		FunctionName: "roomhook-bench", FunctionVersion: "$LATEST", Namespace: "default",
		MemoryLimitInMb: 128, TimeLimitInMs: int32(timeout.Milliseconds()),
	}
	var resp messages.InvokeResponse
	call := client.Go("Function.Invoke", req, &resp, nil)
	select {
	case <-call.Done:
	case <-time.After(timeout + time.Second):
		return errors.New("no answer within the function's timeout")
	}
	switch {
	case call.Error != nil:
		return call.Error
	case resp.Error != nil:
		return fmt.Errorf("function error: %s", resp.Error.Message)
	case !isOK(resp.Payload):
		return fmt.Errorf("first answer not OK: %s\n%s", resp.Payload, p.out.bytes())
	}
	return nil
}

// kill kills the process group and waits for the process.
func (p *scfProcess) kill() {
	_ = syscall.Kill(-p.cmd.Process.Pid, syscall.SIGKILL)
	err := <-p.exited
	p.exited <- err
}

// firstAnswerSCF is the SCF cold start measured without localinvoke's 20 ms readiness poll:
// start the process, dial every 0.5 ms until it accepts, then Function.Invoke over net/rpc. It
// returns process start to the first answer, and to the accepted connection: the init, to within
// the dial interval. The process also gets scfPlatformEnv, as under SCF (the emulator does the
// same for Lambda).
func firstAnswerSCF(bin string, env []string, event []byte) (answer, init time.Duration, err error) {
	p, err := startSCF([]string{bin}, append(append([]string(nil), env...), scfPlatformEnv...), 500*time.Microsecond, 10*time.Second)
	if err != nil {
		return 0, 0, err
	}
	defer p.kill()
	init = time.Since(p.started)
	if err := p.invoke(event, 3*time.Second); err != nil {
		return 0, 0, fmt.Errorf("%s: %w", bin, err)
	}
	return time.Since(p.started), init, nil
}

// scfPlatformEnv is what SCF's runtime sets that roomhook reads to know it runs on SCF
// (pkg/config: SCF_FUNCTIONNAME), plus TENCENTCLOUD_RUNENV, so that the function under the
// bench behaves as in production: with a SQLite store in /tmp it warns and skips fsyncs (the
// file dies with the instance), as under the Lambda emulator, which sets
// AWS_LAMBDA_FUNCTION_NAME.
var scfPlatformEnv = []string{"SCF_FUNCTIONNAME=roomhook-bench", "TENCENTCLOUD_RUNENV=SCF"}
