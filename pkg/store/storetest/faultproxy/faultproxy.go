// Package faultproxy is a TCP proxy for tests that puts the faults a store's network can have
// between a client and a real server: the server gone, a server that hangs, a slow one, and a
// connection that drops in the middle of a write. It listens on 127.0.0.1 only and forwards to
// one target address; the fault is switched at run time, for the connections already open and
// for the new ones alike:
//
//	p, err := faultproxy.New("127.0.0.1:5432")
//	…
//	defer p.Close()
//	url := "postgres://user@" + p.Addr() + "/db" // the client talks to the proxy
//	p.Set(faultproxy.Refuse())                   // the server is gone
//	p.Set(faultproxy.Pass())                     // and back
//
// It uses the standard library only.
package faultproxy

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"net"
	"strconv"
	"sync"
	"syscall"
	"time"
)

// kind is what a Fault does.
type kind int

const (
	kindPass kind = iota
	kindRefuse
	kindBlackhole
	kindDelay
	kindCut
)

// Fault is one behaviour of the proxy; build it with Pass, Refuse, Blackhole, Delay, CutAfter,
// CutBefore or CutHTTPRequest.
type Fault struct {
	kind  kind
	delay time.Duration
	n     int64
	token []byte
	http  bool // token is looked for in whole HTTP requests
}

// Pass forwards everything as it comes, in both directions.
func Pass() Fault { return Fault{kind: kindPass} }

// Refuse is a server that is gone: the proxy stops listening, so a new connection is refused
// (ECONNREFUSED, as from a host whose server process died), and every open connection is reset
// on both sides. Leaving Refuse listens again on the same address.
func Refuse() Fault { return Fault{kind: kindRefuse} }

// Blackhole is a server that hangs: new connections are accepted and what the client sends is
// read, but nothing reaches the server and nothing ever comes back; open connections go silent
// the same way, in both directions. A connection that lost bytes this way can no longer be
// trusted, so leaving Blackhole resets it; connections that lost nothing go on.
func Blackhole() Fault { return Fault{kind: kindBlackhole} }

// Delay is a slow server: every chunk read from either side is forwarded d after it was read.
// Chunks of one direction stay in order, so a conversation of k round trips takes about 2·k·d.
func Delay(d time.Duration) Fault { return Fault{kind: kindDelay, delay: d} }

// CutAfter fails every connection in the middle of a write: each connection forwards the next
// n bytes the client sends, counted from the moment the fault is set (or from its start for a
// connection opened later), and is then reset on both sides, so the server sees the
// connection drop with the client's message unfinished. CutAfter(0) cuts each connection on
// the client's next write, forwarding none of it. Bytes from the server pass until the cut.
func CutAfter(n int64) Fault {
	if n < 0 {
		n = 0
	}
	return Fault{kind: kindCut, n: n}
}

// CutBefore fails every connection just before the client sends token: the bytes before it are
// forwarded, then the connection is reset on both sides and the token never reaches the
// server. It is how a test lands the cut at a given point of a protocol, for instance between
// the statements of a transaction and its COMMIT. A token split over several reads is still
// found (the part of it already forwarded stays forwarded). An empty token is CutAfter(0).
func CutBefore(token []byte) Fault {
	if len(token) == 0 {
		return CutAfter(0)
	}
	return Fault{kind: kindCut, token: bytes.Clone(token)}
}

// CutHTTPRequest fails every connection on the HTTP/1.x request that holds token: each
// request the client sends (request line and headers up to the blank line, then
// Content-Length bytes of body) is forwarded only once it is complete, and one holding token
// is not forwarded at all: the connection is reset instead. The server sees the connection
// drop between two requests, never inside one, which is how a test cuts exactly one kind of
// request (HTTP clients write a request's headers and body separately, so no single read
// holds it whole) without handing a server half a request, which some servers (dynalite) do
// not survive. A request with a chunked body cannot be framed: what has arrived of it is
// checked and forwarded as it comes. An empty token is CutAfter(0).
func CutHTTPRequest(token []byte) Fault {
	if len(token) == 0 {
		return CutAfter(0)
	}
	return Fault{kind: kindCut, token: bytes.Clone(token), http: true}
}

func (f Fault) String() string {
	switch f.kind {
	case kindPass:
		return "pass"
	case kindRefuse:
		return "refuse"
	case kindBlackhole:
		return "blackhole"
	case kindDelay:
		return fmt.Sprintf("delay %v", f.delay)
	case kindCut:
		if f.http {
			return fmt.Sprintf("cut on the HTTP request holding %q", f.token)
		}
		if f.token != nil {
			return fmt.Sprintf("cut before %q", f.token)
		}
		return fmt.Sprintf("cut after %d bytes", f.n)
	}
	return "unknown"
}

// Cut records one connection the proxy cut.
type Cut struct {
	// Fault is the fault that cut it.
	Fault Fault
	// Forwarded is what the client sent on the connection, from the moment the fault was set
	// (or from the connection's start), that reached the server before the cut: at most the
	// last 64 KiB.
	Forwarded []byte
}

// recordLimit bounds Cut.Forwarded.
const recordLimit = 64 << 10

// dialTimeout bounds connecting to the target.
const dialTimeout = 5 * time.Second

// Proxy is a running fault-injecting proxy. Its methods are safe for concurrent use.
type Proxy struct {
	target string
	addr   string // the address it listens on, kept across Refuse

	mu       sync.Mutex
	fault    Fault
	epoch    int           // bumped by every Set: the "next n bytes" of CutAfter count from it
	changed  chan struct{} // closed and replaced by every Set
	ln       net.Listener  // nil while refusing
	links    map[*link]struct{}
	cuts     []Cut
	accepted int
	closed   bool
	wg       sync.WaitGroup
	ctx      context.Context // ends with Close, and with it every dial to the target
	stop     context.CancelFunc
}

// New starts a proxy on 127.0.0.1 (a free port) that forwards to target, in Pass mode.
func New(target string) (*Proxy, error) {
	if target == "" {
		return nil, errors.New("faultproxy: no target address")
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, fmt.Errorf("faultproxy: listen: %w", err)
	}
	ctx, stop := context.WithCancel(context.Background())
	p := &Proxy{
		ctx:     ctx,
		stop:    stop,
		target:  target,
		addr:    ln.Addr().String(),
		ln:      ln,
		changed: make(chan struct{}),
		links:   map[*link]struct{}{},
	}
	p.wg.Add(1)
	go p.accept(ln)
	return p, nil
}

// Addr is the proxy's address, host:port, for the client to connect to. It stays the same
// for the proxy's whole life.
func (p *Proxy) Addr() string { return p.addr }

// Target is the address the proxy forwards to.
func (p *Proxy) Target() string { return p.target }

// Fault returns the fault in force.
func (p *Proxy) Fault() Fault {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.fault
}

// Accepted returns how many connections the proxy has accepted so far.
func (p *Proxy) Accepted() int {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.accepted
}

// Open returns how many connections are open through the proxy right now.
func (p *Proxy) Open() int {
	p.mu.Lock()
	defer p.mu.Unlock()
	return len(p.links)
}

// Cuts returns the connections a CutAfter, CutBefore or CutHTTPRequest fault has cut so far,
// oldest first.
func (p *Proxy) Cuts() []Cut {
	p.mu.Lock()
	defer p.mu.Unlock()
	out := make([]Cut, len(p.cuts))
	copy(out, p.cuts)
	return out
}

// Set switches the proxy to f, for open connections and new ones alike. It fails only when
// leaving Refuse cannot listen on the proxy's address again (another process took the port),
// or after Close.
func (p *Proxy) Set(f Fault) error {
	p.mu.Lock()
	if p.closed {
		p.mu.Unlock()
		return errors.New("faultproxy: closed")
	}
	prev := p.fault
	var reset []*link
	if f.kind == kindRefuse && p.ln != nil {
		p.ln.Close() // the accept loop ends
		p.ln = nil
	}
	if f.kind != kindRefuse && p.ln == nil {
		ln, err := relisten(p.addr)
		if err != nil {
			p.mu.Unlock()
			return err
		}
		p.ln = ln
		p.wg.Add(1)
		go p.accept(ln)
	}
	for l := range p.links {
		switch {
		case f.kind == kindRefuse:
			reset = append(reset, l)
		case prev.kind == kindBlackhole && f.kind != kindBlackhole && l.lost():
			reset = append(reset, l)
		}
	}
	p.fault = f
	p.epoch++
	close(p.changed)
	p.changed = make(chan struct{})
	p.mu.Unlock()
	for _, l := range reset {
		l.reset()
	}
	return nil
}

// relisten listens on addr again after Refuse. The port was ours a moment ago and the
// listener sets SO_REUSEADDR, so this fails only if someone else took it meanwhile.
func relisten(addr string) (net.Listener, error) {
	deadline := time.Now().Add(2 * time.Second)
	for {
		ln, err := net.Listen("tcp", addr)
		if err == nil {
			return ln, nil
		}
		if !errors.Is(err, syscall.EADDRINUSE) || time.Now().After(deadline) {
			return nil, fmt.Errorf("faultproxy: listen again on %s: %w", addr, err)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// Close stops the proxy: it stops listening, resets every open connection and waits until all
// of its goroutines have ended. It may be called more than once.
func (p *Proxy) Close() error {
	p.mu.Lock()
	if p.closed {
		p.mu.Unlock()
		p.wg.Wait()
		return nil
	}
	p.closed = true
	p.stop()
	if p.ln != nil {
		p.ln.Close()
		p.ln = nil
	}
	links := make([]*link, 0, len(p.links))
	for l := range p.links {
		links = append(links, l)
	}
	close(p.changed)
	p.changed = make(chan struct{})
	p.mu.Unlock()
	for _, l := range links {
		l.reset()
	}
	p.wg.Wait()
	return nil
}

// state is what a pump needs to know about the fault in force.
type state struct {
	fault   Fault
	epoch   int
	changed <-chan struct{}
	closed  bool
}

func (p *Proxy) state() state {
	p.mu.Lock()
	defer p.mu.Unlock()
	return state{fault: p.fault, epoch: p.epoch, changed: p.changed, closed: p.closed}
}

func (p *Proxy) accept(ln net.Listener) {
	defer p.wg.Done()
	for {
		c, err := ln.Accept()
		if err != nil {
			var ne net.Error
			if errors.As(err, &ne) && ne.Timeout() {
				continue
			}
			return // closed: by Close, or by Refuse
		}
		p.wg.Add(1)
		go p.serve(c.(*net.TCPConn))
	}
}

// serve connects one accepted client to the target and pumps both ways.
func (p *Proxy) serve(client *net.TCPConn) {
	defer p.wg.Done()
	l := &link{p: p, client: client, done: make(chan struct{})}
	p.mu.Lock()
	if p.closed || p.fault.kind == kindRefuse {
		p.mu.Unlock()
		resetConn(client)
		return
	}
	p.accepted++
	// A connection opened while the server hangs never reaches it: it only swallows bytes,
	// and is reset when the fault changes, like a server that comes back without the half-open
	// connection it never saw.
	l.sink = p.fault.kind == kindBlackhole
	p.links[l] = struct{}{}
	p.mu.Unlock()
	defer p.forget(l)

	if l.sink {
		l.swallow()
		return
	}
	d := net.Dialer{Timeout: dialTimeout}
	sc, err := d.DialContext(p.ctx, "tcp", p.target)
	if err != nil {
		resetConn(client)
		return
	}
	server := sc.(*net.TCPConn)
	l.mu.Lock()
	if l.dead {
		l.mu.Unlock()
		resetConn(server)
		return
	}
	l.server = server
	l.mu.Unlock()

	var wg sync.WaitGroup
	wg.Add(2)
	go func() { defer wg.Done(); l.pump(client, server, true) }()
	go func() { defer wg.Done(); l.pump(server, client, false) }()
	wg.Wait()
	l.close()
}

func (p *Proxy) forget(l *link) {
	p.mu.Lock()
	delete(p.links, l)
	p.mu.Unlock()
}

func (p *Proxy) recordCut(c Cut) {
	p.mu.Lock()
	p.cuts = append(p.cuts, c)
	p.mu.Unlock()
}

// link is one proxied connection: the client's side and the server's.
type link struct {
	p      *Proxy
	client *net.TCPConn

	mu       sync.Mutex
	server   *net.TCPConn // nil until dialled, and for a sink
	sink     bool         // accepted during Blackhole: never connected to the server
	dropped  bool         // bytes were swallowed: the stream is broken
	dead     bool         // reset or closed
	done     chan struct{}
	epoch    int    // the fault epoch sent and record count from
	sent     int64  // client bytes forwarded since epoch
	carry    []byte // the tail of the client stream, to find a token split over reads
	pending  []byte // the start of an HTTP request not yet complete (CutHTTPRequest)
	record   []byte // client bytes forwarded since epoch, the last recordLimit of them
	cutFault Fault
}

// lost reports whether the link swallowed bytes (or never reached the server).
func (l *link) lost() bool {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.dropped || l.sink
}

// swallow reads and discards what the client of a sink link sends until it is reset or the
// client goes away.
func (l *link) swallow() {
	buf := make([]byte, 32<<10)
	for {
		if _, err := l.client.Read(buf); err != nil {
			l.reset()
			return
		}
	}
}

// pump copies src to dst under the fault in force. up is the client-to-server direction.
func (l *link) pump(src, dst *net.TCPConn, up bool) {
	buf := make([]byte, 32<<10)
	for {
		n, err := src.Read(buf)
		if n > 0 {
			if !l.forward(dst, buf[:n], up) {
				return
			}
		}
		if err != nil {
			if l.isDead() {
				return
			}
			// An orderly end passes on as one: half-close, as TCP allows.
			_ = dst.CloseWrite()
			return
		}
	}
}

// forward sends chunk on, as the fault in force says; false means the link is finished.
func (l *link) forward(dst *net.TCPConn, chunk []byte, up bool) bool {
	st := l.p.state()
	if st.closed {
		l.reset()
		return false
	}
	if up && (st.fault.kind != kindCut || !st.fault.http) {
		// An HTTP request held back under CutHTTPRequest goes on under the new fault.
		l.mu.Lock()
		if len(l.pending) > 0 {
			chunk, l.pending = append(l.pending, chunk...), nil
		}
		l.mu.Unlock()
	}
	switch st.fault.kind {
	case kindRefuse:
		l.reset()
		return false
	case kindBlackhole:
		l.mu.Lock()
		l.dropped = true
		l.mu.Unlock()
		return true
	case kindDelay:
		t := time.NewTimer(st.fault.delay)
		select {
		case <-t.C:
		case <-l.done:
			t.Stop()
			return false
		}
	case kindCut:
		if up && st.fault.http {
			return l.forwardHTTP(dst, chunk, st)
		}
		if up {
			return l.forwardUntilCut(dst, chunk, st)
		}
	}
	return l.write(dst, chunk)
}

// forwardHTTP gathers the client's bytes into whole HTTP requests and forwards each, or cuts
// the link on the first one that holds the fault's token.
func (l *link) forwardHTTP(dst *net.TCPConn, chunk []byte, st state) bool {
	l.mu.Lock()
	if l.epoch != st.epoch {
		l.epoch, l.sent, l.carry, l.record = st.epoch, 0, nil, nil
	}
	l.pending = append(l.pending, chunk...)
	var whole [][]byte
	cut := false
	for {
		n := httpRequestLen(l.pending)
		if n == 0 {
			break
		}
		if bytes.Contains(l.pending[:n], st.fault.token) {
			cut = true
			break
		}
		whole = append(whole, bytes.Clone(l.pending[:n]))
		l.pending = l.pending[n:]
	}
	l.mu.Unlock()

	for _, req := range whole {
		if !l.write(dst, req) {
			return false
		}
		l.mu.Lock()
		l.remember(req)
		l.mu.Unlock()
	}
	if !cut {
		return true
	}
	l.mu.Lock()
	c := Cut{Fault: st.fault, Forwarded: bytes.Clone(l.record)}
	l.mu.Unlock()
	l.p.recordCut(c)
	l.reset()
	return false
}

// httpRequestLen returns the length of the HTTP/1.x request at the start of b, or 0 while it
// is incomplete. A request whose body is chunked (or whose Content-Length is not a number)
// counts as all of b: it cannot be framed here.
func httpRequestLen(b []byte) int {
	end := bytes.Index(b, []byte("\r\n\r\n"))
	if end < 0 {
		return 0
	}
	length := 0
	for _, line := range bytes.Split(b[:end], []byte("\r\n"))[1:] {
		name, value, ok := bytes.Cut(line, []byte(":"))
		if !ok {
			continue
		}
		value = bytes.TrimSpace(value)
		switch {
		case bytes.EqualFold(bytes.TrimSpace(name), []byte("Transfer-Encoding")) && !bytes.EqualFold(value, []byte("identity")):
			return len(b)
		case bytes.EqualFold(bytes.TrimSpace(name), []byte("Content-Length")):
			n, err := strconv.Atoi(string(value))
			if err != nil || n < 0 {
				return len(b)
			}
			length = n
		}
	}
	if total := end + 4 + length; len(b) >= total {
		return total
	}
	return 0
}

// forwardUntilCut forwards what the cut fault lets through of a client chunk and cuts the
// link where the fault says.
func (l *link) forwardUntilCut(dst *net.TCPConn, chunk []byte, st state) bool {
	l.mu.Lock()
	if l.epoch != st.epoch {
		l.epoch, l.sent, l.carry, l.record = st.epoch, 0, nil, nil
	}
	pass, cut := len(chunk), false
	f := st.fault
	if f.token != nil {
		// Look for the token in what came before this chunk (at most len(token)-1 bytes,
		// already forwarded) followed by the chunk.
		hay := append(append([]byte{}, l.carry...), chunk...)
		if i := bytes.Index(hay, f.token); i >= 0 {
			pass, cut = max(i-len(l.carry), 0), true
		}
		keep := len(f.token) - 1
		if len(hay) > keep {
			hay = hay[len(hay)-keep:]
		}
		l.carry = hay
	} else {
		if left := f.n - l.sent; int64(pass) >= left {
			pass, cut = int(left), true
		}
	}
	l.sent += int64(pass)
	l.remember(chunk[:pass])
	l.cutFault = f
	l.mu.Unlock()

	if pass > 0 && !l.write(dst, chunk[:pass]) {
		return false
	}
	if !cut {
		return true
	}
	l.mu.Lock()
	c := Cut{Fault: l.cutFault, Forwarded: bytes.Clone(l.record)}
	l.mu.Unlock()
	l.p.recordCut(c)
	l.reset()
	return false
}

// remember adds forwarded client bytes to the record a Cut reports; l.mu is held.
func (l *link) remember(b []byte) {
	l.record = append(l.record, b...)
	if len(l.record) > recordLimit {
		l.record = append([]byte{}, l.record[len(l.record)-recordLimit:]...)
	}
}

func (l *link) write(dst *net.TCPConn, b []byte) bool {
	if _, err := dst.Write(b); err != nil {
		l.reset()
		return false
	}
	return true
}

func (l *link) isDead() bool {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.dead
}

// reset aborts both sides with a TCP reset. It may be called more than once.
func (l *link) reset() { l.end(true) }

// close ends both sides normally, once both directions are done.
func (l *link) close() { l.end(false) }

func (l *link) end(abort bool) {
	l.mu.Lock()
	if l.dead {
		l.mu.Unlock()
		return
	}
	l.dead = true
	close(l.done)
	server := l.server
	l.mu.Unlock()
	for _, c := range []*net.TCPConn{l.client, server} {
		if c == nil {
			continue
		}
		if abort {
			resetConn(c)
		} else {
			c.Close()
		}
	}
}

// resetConn closes c with a TCP reset rather than an orderly FIN.
func resetConn(c *net.TCPConn) {
	_ = c.SetLinger(0)
	_ = c.Close()
}
