package main

import (
	"fmt"
	"net"
	"net/rpc"
	"os/exec"
	"strconv"
	"syscall"
	"time"

	"github.com/tencentyun/scf-go-lib/cloudfunction/messages"
)

// firstAnswerSCF is the SCF cold start measured without localinvoke's 20 ms readiness poll:
// start the process with _LAMBDA_SERVER_PORT, dial every 0.5 ms until it accepts (scf-go-lib
// listens only once main has done its init), then Function.Invoke over net/rpc. It returns
// process start to the first answer, and to the accepted connection: the init, to within the
// dial interval. The process also gets scfPlatformEnv, as under SCF (the emulator does the same
// for Lambda).
func firstAnswerSCF(bin string, env []string, event []byte) (answer, init time.Duration, err error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, 0, err
	}
	port := l.Addr().(*net.TCPAddr).Port
	l.Close()
	cmd := exec.Command(bin)
	cmd.Env = append(append(append([]string(nil), env...), scfPlatformEnv...), "_LAMBDA_SERVER_PORT="+strconv.Itoa(port))
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	t0 := time.Now()
	if err := cmd.Start(); err != nil {
		return 0, 0, err
	}
	exited := make(chan error, 1)
	go func() { exited <- cmd.Wait() }()
	defer func() {
		_ = syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL)
		<-exited
	}()
	addr := "127.0.0.1:" + strconv.Itoa(port)
	var conn net.Conn
	for {
		conn, err = net.DialTimeout("tcp", addr, 100*time.Millisecond)
		if err == nil {
			break
		}
		select {
		case err := <-exited:
			exited <- err
			return 0, 0, fmt.Errorf("%s exited before listening: %v", bin, err)
		case <-time.After(500 * time.Microsecond):
		}
		if time.Since(t0) > 10*time.Second {
			return 0, 0, fmt.Errorf("%s did not listen within 10s", bin)
		}
	}
	init = time.Since(t0)
	client := rpc.NewClient(conn)
	defer client.Close()
	deadline := time.Now().Add(3 * time.Second)
	req := &messages.InvokeRequest{
		Payload: event, RequestId: "bench-" + strconv.FormatInt(time.Now().UnixNano(), 36),
		Deadline:     messages.InvokeRequest_Timestamp{Seconds: deadline.Unix(), Nanos: int64(deadline.Nanosecond())},
		FunctionName: "roomhook-bench", FunctionVersion: "$LATEST", Namespace: "default",
		MemoryLimitInMb: 128, TimeLimitInMs: 3000,
	}
	var resp messages.InvokeResponse
	call := client.Go("Function.Invoke", req, &resp, nil)
	select {
	case <-call.Done:
	case <-time.After(5 * time.Second):
		return 0, 0, fmt.Errorf("%s: no answer within 5s", bin)
	}
	d := time.Since(t0)
	if call.Error != nil {
		return 0, 0, call.Error
	}
	if resp.Error != nil {
		return 0, 0, fmt.Errorf("%s: function error: %s", bin, resp.Error.Message)
	}
	if !isOK(resp.Payload) {
		return 0, 0, fmt.Errorf("%s: first answer not OK: %s", bin, resp.Payload)
	}
	return d, init, nil
}

// scfPlatformEnv is what SCF's runtime sets that roomhook reads to know it runs on SCF
// (pkg/config: SCF_FUNCTIONNAME), plus TENCENTCLOUD_RUNENV, so that the function under the
// bench behaves as in production: with a SQLite store in /tmp it warns and skips fsyncs (the
// file dies with the instance), as under the Lambda emulator, which sets
// AWS_LAMBDA_FUNCTION_NAME.
var scfPlatformEnv = []string{"SCF_FUNCTIONNAME=roomhook-bench", "TENCENTCLOUD_RUNENV=SCF"}
