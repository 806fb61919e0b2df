// Command web is roomhook as a plain HTTP server, for Tencent SCF web functions and for any
// container platform: it receives Tencent Cloud Room callbacks on any path and answers them with
// Tencent's acknowledgement packet.
//
// It is a thin adapter over net/http (server.go): each request becomes a neutral
// callback.Request — method, the query string exactly as sent, the body, a request id — and the
// core's Response is written back as it is. Every status decision is the core's.
//
// The configuration, store and handler are built once, at start, by coldstart.Build, before the
// port is opened: a configuration that cannot work stops the process with a message on stderr.
// Besides roomhook's ROOMHOOK_* variables it reads:
//
//	PORT                  the TCP port to listen on (default 9000, what SCF web functions use)
//	ROOMHOOK_LISTEN_HOST  the address to listen on (default 0.0.0.0, every interface, as SCF
//	                      requires); set 127.0.0.1 for local runs and tests
//
// On SIGTERM (or SIGINT) it stops accepting connections, lets the requests in flight finish —
// their events are stored and answered — closes the store and exits 0. A second signal ends it
// at once. On SCF it is started by the executable scf_bootstrap next to it in the upload zip
// (scripts/build.sh web).
package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"os/signal"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/roomhook/roomhook/pkg/coldstart"
)

// The variables this command reads besides roomhook's configuration.
const (
	EnvPort       = "PORT"
	EnvListenHost = "ROOMHOOK_LISTEN_HOST"
)

// Defaults: what an SCF web function must listen on.
const (
	defaultPort = 9000
	defaultHost = "0.0.0.0"
)

func main() {
	os.Exit(run(os.Getenv, os.Stderr, defaultLimits))
}

// run starts the server and returns the exit status once it has shut down: 0 after a graceful
// shutdown, 1 when it cannot start or the shutdown was cut short.
func run(getenv func(string) string, logOut io.Writer, lim limits) int {
	// Signals are caught from the start, so a SIGTERM during the cold start is not lost.
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGTERM, os.Interrupt)
	defer stop()

	addr, err := listenAddr(getenv)
	if err != nil {
		fmt.Fprintln(logOut, "roomhook:", err)
		return 1
	}
	inst, err := coldstart.Build(ctx, getenv, logOut)
	if err != nil {
		fmt.Fprintln(logOut, err)
		return 1
	}
	log := inst.Logger
	closeStore := func() int {
		if err := inst.Store.Close(); err != nil {
			log.Error("closing the store failed", slog.String("error", err.Error()))
			return 1
		}
		return 0
	}
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		fmt.Fprintf(logOut, "roomhook: listen on %s (from %s and %s): %v\n", addr, EnvListenHost, EnvPort, err)
		closeStore()
		return 1
	}
	srv := newServer(inst.Handler, log, lim)
	served := make(chan error, 1)
	go func() { served <- srv.Serve(ln) }()
	log.Info("listening", slog.String("addr", ln.Addr().String()))

	select {
	case err := <-served:
		// Serve returns only on a listener failure here: nothing has called Shutdown yet.
		log.Error("the server stopped", slog.String("error", err.Error()))
		closeStore()
		return 1
	case <-ctx.Done():
	}
	stop() // a second signal now ends the process at once
	log.Info("shutting down: finishing the requests in flight", slog.String("grace", lim.shutdown.String()))
	sctx, cancel := context.WithTimeout(context.Background(), lim.shutdown)
	defer cancel()
	code := 0
	if err := srv.Shutdown(sctx); err != nil {
		log.Error("requests were still in flight at the end of the grace period; closing them",
			slog.String("error", err.Error()))
		_ = srv.Close()
		code = 1
	}
	if err := <-served; err != nil && !errors.Is(err, http.ErrServerClosed) {
		log.Error("the server stopped", slog.String("error", err.Error()))
		code = 1
	}
	if closeStore() != 0 {
		code = 1
	}
	log.Info("stopped")
	return code
}

// listenAddr is host:port from ROOMHOOK_LISTEN_HOST and PORT.
func listenAddr(getenv func(string) string) (string, error) {
	host := strings.TrimSpace(getenv(EnvListenHost))
	if host == "" {
		host = defaultHost
	}
	port := defaultPort
	if v := strings.TrimSpace(getenv(EnvPort)); v != "" {
		p, err := strconv.Atoi(v)
		if err != nil || p < 1 || p > 65535 {
			return "", fmt.Errorf("%s: %q is not a TCP port (1-65535)", EnvPort, v)
		}
		port = p
	}
	return net.JoinHostPort(host, strconv.Itoa(port)), nil
}

// limits bound what one client can hold: the server's timeouts, the header size, and the
// graceful shutdown. Tests shrink them.
type limits struct {
	readHeader time.Duration // request line and headers (slowloris)
	read       time.Duration // the whole request, body included
	write      time.Duration // from the end of the headers to the end of the answer
	idle       time.Duration // a kept-alive connection between requests
	maxHeader  int           // bytes of request line and headers
	shutdown   time.Duration // how long requests in flight may take after SIGTERM
}

// defaultLimits suit a callback: Tencent sends a few KB and gives up after 2 s, so a client
// that takes seconds over its headers is not Tencent. write covers reading the body, the store's
// write budget and the answer.
var defaultLimits = limits{
	readHeader: 5 * time.Second,
	read:       15 * time.Second,
	write:      30 * time.Second,
	idle:       120 * time.Second,
	maxHeader:  64 << 10,
	shutdown:   25 * time.Second,
}
