package localinvoke

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"sync"
	"time"
)

// The variables StartWeb sets for a web function: the port an SCF web function listens on
// (SCF itself uses 9000), and the host roomhook's functions/web binds, here loopback.
const (
	webPortVar = "PORT"
	webHostVar = "ROOMHOOK_LISTEN_HOST"
)

// WebServer is a web function — a plain HTTP server, as an SCF web function or a container
// runs it — started on loopback by StartWeb. Unlike a Runtime it has no invocation protocol:
// callers send it HTTP requests at URL.
type WebServer struct {
	proc *process
	url  string

	closeOnce sync.Once
	closeErr  error
}

// StartWeb starts the web function binPath the way an SCF web function's scf_bootstrap does,
// but on loopback: with PORT set to a free port and ROOMHOOK_LISTEN_HOST=127.0.0.1 added to
// Options.Env (a server that ignores the host and listens on every address is still reached
// through 127.0.0.1). It returns once the process accepts connections on that port. A function
// that exits instead (for example refusing to start for bad configuration) makes StartWeb fail
// with an error wrapping ErrExited that gives its exit status and last output lines. ctx bounds
// the start only, not the life of the server. The function's working directory is the
// caller's.
func StartWeb(ctx context.Context, binPath string, opts Options) (*WebServer, error) {
	bin, err := executable("web function", binPath)
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
		env := setEnv(setEnv(opts.Env, webPortVar, strconv.Itoa(ports[0])), webHostVar, loopback)
		proc, err := startProcess("web function "+filepath.Base(bin), bin, nil, env, newOutputLog(stderr, nil))
		if err != nil {
			return nil, err
		}
		conn, err := proc.waitListening(ctx, ports[0])
		if err != nil {
			_ = proc.stop()
			if try < startTries && proc.portTaken() {
				continue
			}
			return nil, err
		}
		_ = conn.Close()
		return &WebServer{proc: proc, url: "http://" + loopbackAddr(ports[0]) + "/"}, nil
	}
}

// URL returns the server's base URL, http://127.0.0.1:PORT/. The server answers on any path.
func (s *WebServer) URL() string { return s.url }

// PID returns the server's process id, for a caller that signals it (a test of graceful
// shutdown sends SIGTERM itself, then Wait).
func (s *WebServer) PID() int { return s.proc.pid() }

// Wait waits up to d for the process to exit on its own and returns its exit code (-1 when a
// signal ended it); exited is false when it is still running.
func (s *WebServer) Wait(d time.Duration) (code int, exited bool) {
	if !s.proc.waitExit(d) {
		return 0, false
	}
	return s.proc.cmd.ProcessState.ExitCode(), true
}

// Close stops the server as a platform does — SIGTERM, SIGKILL if it is still running 3 s
// later — waits for it, and returns once all its output has been written. The error is nil only
// when the server exited with status 0, a graceful shutdown (also one a caller started with its
// own SIGTERM). A server that had already exited with another status before Close (a crash) is
// reported with an error wrapping ErrExited. Close may be called more than once.
func (s *WebServer) Close() error {
	s.closeOnce.Do(func() {
		before := s.proc.exited()
		if err := s.proc.stop(); err != nil {
			s.closeErr = err
			return
		}
		switch code := s.proc.cmd.ProcessState.ExitCode(); {
		case code == 0:
		case before:
			s.closeErr = fmt.Errorf("localinvoke: %s: %w before Close (%s)%s",
				s.proc.name, ErrExited, s.proc.exitStatus(), quoteLines(s.proc.out.allSince(0)))
		default:
			s.closeErr = fmt.Errorf("localinvoke: %s did not shut down cleanly on SIGTERM (%s)%s",
				s.proc.name, s.proc.exitStatus(), quoteLines(s.proc.out.allSince(0)))
		}
	})
	return s.closeErr
}
