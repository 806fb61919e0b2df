package localinvoke

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"
)

const (
	startTimeout  = 10 * time.Second       // longest wait for a process to listen
	pollInterval  = 20 * time.Millisecond  // between readiness checks
	termGrace     = 3 * time.Second        // after SIGTERM, before SIGKILL
	drainWait     = 2 * time.Second        // for the output pipe to reach EOF after stop
	trackInterval = 100 * time.Millisecond // between looks for the emulator's children
	startTries    = 5                      // port picked but taken meanwhile: try again
	loopback      = "127.0.0.1"
)

// process is one started child: the emulator or the SCF function. It runs in
// its own process group, so Close can signal it and whatever it runs there.
type process struct {
	name    string
	cmd     *exec.Cmd
	out     *outputLog
	output  *os.File      // read end of the child's stdout+stderr pipe
	done    chan struct{} // closed once the process has exited (and is reaped)
	drained chan struct{} // closed once its output pipe is at EOF: every writer, orphans too, is gone

	waitErr error // valid once done is closed

	trackMu sync.Mutex
	tracked []procRef // descendants seen so far, see track

	stopOnce sync.Once
	stopErr  error
}

// startProcess starts path; name says what it is in messages.
func startProcess(name, path string, args, env []string, out *outputLog) (*process, error) {
	cmd := exec.Command(path, args...)
	if env == nil {
		env = []string{} // nil would mean "inherit ours"
	}
	cmd.Env = env
	// One pipe for stdout and stderr keeps lines in order. It is ours, not
	// os/exec's: Wait must report the exit at once, even while a process the
	// child started (the emulator's function) still holds the pipe.
	r, w, err := os.Pipe()
	if err != nil {
		return nil, fmt.Errorf("localinvoke: start %s: %w", path, err)
	}
	cmd.Stdout = w
	cmd.Stderr = w
	cmd.SysProcAttr = sysProcAttr()
	err = cmd.Start()
	w.Close()
	if err != nil {
		r.Close()
		return nil, fmt.Errorf("localinvoke: start %s: %w", path, err)
	}
	p := &process{name: name, cmd: cmd, out: out, output: r, done: make(chan struct{}), drained: make(chan struct{})}
	go func() {
		_, _ = io.Copy(out, r)
		out.flush()
		close(p.drained)
	}()
	go func() {
		p.waitErr = cmd.Wait()
		close(p.done)
	}()
	return p, nil
}

// settle gives the output of a process that just exited a moment to
// arrive, so an error message can quote it.
func (p *process) settle() {
	t := time.NewTimer(reasonWait)
	defer t.Stop()
	select {
	case <-p.drained:
	case <-t.C:
	}
}

// track records the processes below this one. The emulator runs the
// function in a process group of its own, and if the emulator dies (it
// panics on some misuse) the function is orphaned where no process group
// signal reaches it; stop kills what track has seen, if still the same
// processes.
func (p *process) track() {
	if p.exited() {
		return
	}
	kids := descendants(p.pid())
	p.trackMu.Lock()
	defer p.trackMu.Unlock()
	for _, k := range kids {
		if !slices.Contains(p.tracked, k) {
			p.tracked = append(p.tracked, k)
		}
	}
}

// trackWhile calls track now, every trackInterval until done is closed,
// and once more then.
func (p *process) trackWhile(done <-chan struct{}) {
	t := time.NewTicker(trackInterval)
	defer t.Stop()
	for {
		p.track()
		select {
		case <-t.C:
		case <-done:
			p.track()
			return
		}
	}
}

func (p *process) pid() int { return p.cmd.Process.Pid }

func (p *process) exited() bool {
	select {
	case <-p.done:
		return true
	default:
		return false
	}
}

// exitStatus describes how the process ended, like "exit status 3"; call
// it only after done is closed.
func (p *process) exitStatus() string {
	if p.waitErr == nil {
		return "exit status 0"
	}
	return p.waitErr.Error()
}

// waitExit waits up to d for the process to exit.
func (p *process) waitExit(d time.Duration) bool {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-p.done:
		return true
	case <-t.C:
		return false
	}
}

// stop ends the process group: SIGTERM (the emulator then kills the
// function it runs), SIGKILL after a grace period, and waits. Processes the
// child started in process groups of their own — the emulator runs the
// function that way — are found before and killed after, if still there.
func (p *process) stop() error {
	p.stopOnce.Do(func() {
		// If the group leader is gone and reaped its pgid may be reused:
		// signal the group only while it runs.
		if !p.exited() {
			p.track()
			pgid := p.pid()
			_ = syscall.Kill(-pgid, syscall.SIGTERM)
			if !p.waitExit(termGrace) {
				_ = syscall.Kill(-pgid, syscall.SIGKILL)
				if !p.waitExit(termGrace) {
					p.stopErr = fmt.Errorf("localinvoke: %s (pid %d) did not exit after SIGKILL", p.name, pgid)
				}
			}
		}
		p.trackMu.Lock()
		kids := slices.Clone(p.tracked)
		p.trackMu.Unlock()
		for _, k := range kids {
			k.kill()
		}
		deadline := time.Now().Add(termGrace)
		for _, k := range kids {
			for k.alive() && time.Now().Before(deadline) {
				time.Sleep(pollInterval)
			}
			if k.alive() && p.stopErr == nil {
				p.stopErr = fmt.Errorf("localinvoke: process %d started by %s is still running", k.pid, p.name)
			}
		}
		// All output is written before stop returns, unless something we do
		// not know of still holds the pipe.
		t := time.NewTimer(drainWait)
		defer t.Stop()
		select {
		case <-p.drained:
		case <-t.C:
			p.output.Close()
			<-p.drained
		}
	})
	return p.stopErr
}

// waitListening polls until the process listens on 127.0.0.1:port and
// returns a connection to it, failing early if the process exits, and at the
// latest after startTimeout or when ctx ends. On Linux it first checks that
// the listening socket is the process's own: a port picked free may have
// been taken by another process meanwhile (ours then exits with "address
// already in use" and the caller tries other ports).
func (p *process) waitListening(ctx context.Context, port int) (net.Conn, error) {
	addr := loopbackAddr(port)
	deadline := time.Now().Add(startTimeout)
	if d, ok := ctx.Deadline(); ok && d.Before(deadline) {
		deadline = d
	}
	for {
		if p.exited() {
			p.settle()
			return nil, fmt.Errorf("localinvoke: %s: %w before listening on %s (%s)%s",
				p.name, ErrExited, addr, p.exitStatus(), quoteLines(p.out.allSince(0)))
		}
		if owned, known := listensOn(p.pid(), port); owned || !known {
			var d net.Dialer
			dctx, cancel := context.WithTimeout(ctx, 250*time.Millisecond)
			conn, err := d.DialContext(dctx, "tcp", addr)
			cancel()
			if err == nil {
				return conn, nil
			}
		}
		if ctx.Err() != nil {
			return nil, fmt.Errorf("localinvoke: waiting for %s to listen on %s: %w", p.name, addr, ctx.Err())
		}
		if time.Now().After(deadline) {
			return nil, fmt.Errorf("localinvoke: %s did not listen on %s within %s%s",
				p.name, addr, startTimeout, quoteLines(p.out.allSince(0)))
		}
		t := time.NewTimer(pollInterval)
		select {
		case <-t.C:
		case <-p.done:
		case <-ctx.Done():
		}
		t.Stop()
	}
}

// portTaken tells whether the process failed because a port we picked was
// taken in the meantime by someone else.
func (p *process) portTaken() bool {
	return p.out.contains("address already in use")
}

// freeLoopbackPorts returns n distinct TCP ports free on 127.0.0.1 right
// now, none handed out by an earlier call in the last portQuarantine (runtimes
// started side by side would otherwise be given one port twice: it is free
// again until the first function binds it). Another process may still take
// one before ours binds it; callers retry.
func freeLoopbackPorts(n int) ([]int, error) {
	ports := make([]int, 0, n)
	picked.Lock()
	defer picked.Unlock()
	now := time.Now()
	for p, at := range picked.at {
		if now.Sub(at) > portQuarantine {
			delete(picked.at, p)
		}
	}
	for tries := 0; len(ports) < n; tries++ {
		l, err := net.Listen("tcp", net.JoinHostPort(loopback, "0"))
		if err != nil {
			return nil, fmt.Errorf("localinvoke: pick a free port: %w", err)
		}
		defer l.Close() // keep it until all are picked, so they differ
		p := l.Addr().(*net.TCPAddr).Port
		if _, recent := picked.at[p]; recent && tries < 100 {
			continue
		}
		picked.at[p] = now
		ports = append(ports, p)
	}
	return ports, nil
}

// portQuarantine is how long a port freeLoopbackPorts handed out is not handed
// out again.
const portQuarantine = 30 * time.Second

var picked = struct {
	sync.Mutex
	at map[int]time.Time
}{at: map[int]time.Time{}}

func loopbackAddr(port int) string {
	return net.JoinHostPort(loopback, strconv.Itoa(port))
}

// executable resolves path to an absolute path of an executable file.
func executable(what, path string) (string, error) {
	if path == "" {
		return "", fmt.Errorf("localinvoke: no %s path given", what)
	}
	abs, err := filepath.Abs(path)
	if err != nil {
		return "", fmt.Errorf("localinvoke: %s: %w", what, err)
	}
	fi, err := os.Stat(abs)
	if err != nil {
		return "", fmt.Errorf("localinvoke: %s: %w", what, err)
	}
	if fi.IsDir() || fi.Mode().Perm()&0o111 == 0 {
		return "", fmt.Errorf("localinvoke: %s %s is not an executable file", what, abs)
	}
	return abs, nil
}

// setEnv returns env with key set to value, replacing any earlier entry.
func setEnv(env []string, key, value string) []string {
	out := make([]string, 0, len(env)+1)
	for _, kv := range env {
		if k, _, _ := strings.Cut(kv, "="); k != key {
			out = append(out, kv)
		}
	}
	return append(out, key+"="+value)
}

// lookupEnv finds key in env (the last entry wins, as for exec).
func lookupEnv(env []string, key string) (string, bool) {
	var v string
	var found bool
	for _, kv := range env {
		if k, val, ok := strings.Cut(kv, "="); ok && k == key {
			v, found = val, true
		}
	}
	return v, found
}

var errClosed = errors.New("localinvoke: runtime is closed")

// Running reports whether process pid still runs: it exists and has not exited (a zombie its
// parent has not reaped yet has).
func Running(pid int) bool {
	return syscall.Kill(pid, 0) == nil && !zombie(pid)
}
