package faultproxy

import (
	"bytes"
	"errors"
	"io"
	"net"
	"sync"
	"syscall"
	"testing"
	"time"
)

// echoServer is the proxy's target in these tests: it echoes what each connection sends and
// remembers what it received and how the connection ended.
type echoServer struct {
	ln net.Listener
	wg sync.WaitGroup

	mu    sync.Mutex
	raw   []net.Conn
	ready chan *echoConn
}

type echoConn struct {
	mu       sync.Mutex
	received []byte
	end      error // io.EOF for an orderly end, else the read error
	done     chan struct{}
}

func (c *echoConn) got() []byte {
	c.mu.Lock()
	defer c.mu.Unlock()
	return bytes.Clone(c.received)
}

// ended waits for the connection to end and returns how.
func (c *echoConn) ended(t *testing.T) error {
	t.Helper()
	select {
	case <-c.done:
	case <-time.After(5 * time.Second):
		t.Fatal("the server's connection did not end")
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.end
}

func newEchoServer(t *testing.T) *echoServer {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	s := &echoServer{ln: ln, ready: make(chan *echoConn, 64)}
	s.wg.Add(1)
	go func() {
		defer s.wg.Done()
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			ec := &echoConn{done: make(chan struct{})}
			s.mu.Lock()
			s.raw = append(s.raw, c)
			s.mu.Unlock()
			s.ready <- ec
			s.wg.Add(1)
			go func() {
				defer s.wg.Done()
				defer c.Close()
				buf := make([]byte, 4096)
				for {
					n, err := c.Read(buf)
					if n > 0 {
						ec.mu.Lock()
						ec.received = append(ec.received, buf[:n]...)
						ec.mu.Unlock()
						if _, werr := c.Write(buf[:n]); werr != nil {
							err = werr
						}
					}
					if err != nil {
						ec.mu.Lock()
						ec.end = err
						ec.mu.Unlock()
						close(ec.done)
						return
					}
				}
			}()
		}
	}()
	t.Cleanup(func() {
		ln.Close()
		s.mu.Lock()
		for _, c := range s.raw {
			c.Close()
		}
		s.mu.Unlock()
		s.wg.Wait()
	})
	return s
}

// next returns the server side of the next connection that reached the server.
func (s *echoServer) next(t *testing.T) *echoConn {
	t.Helper()
	select {
	case c := <-s.ready:
		return c
	case <-time.After(5 * time.Second):
		t.Fatal("no connection reached the server")
		return nil
	}
}

// none checks that no connection reached the server within d.
func (s *echoServer) none(t *testing.T, d time.Duration) {
	t.Helper()
	select {
	case <-s.ready:
		t.Fatal("a connection reached the server")
	case <-time.After(d):
	}
}

func newProxy(t *testing.T, target string) *Proxy {
	t.Helper()
	p, err := New(target)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { p.Close() })
	return p
}

func set(t *testing.T, p *Proxy, f Fault) {
	t.Helper()
	if err := p.Set(f); err != nil {
		t.Fatalf("set %v: %v", f, err)
	}
}

func dial(t *testing.T, addr string) net.Conn {
	t.Helper()
	c, err := net.DialTimeout("tcp", addr, 5*time.Second)
	if err != nil {
		t.Fatalf("dial %s: %v", addr, err)
	}
	t.Cleanup(func() { c.Close() })
	return c
}

func send(t *testing.T, c net.Conn, s string) {
	t.Helper()
	if _, err := c.Write([]byte(s)); err != nil {
		t.Fatalf("write %q: %v", s, err)
	}
}

// roundTrip sends s and reads it back.
func roundTrip(t *testing.T, c net.Conn, s string) {
	t.Helper()
	send(t, c, s)
	c.SetReadDeadline(time.Now().Add(5 * time.Second))
	got := make([]byte, len(s))
	if _, err := io.ReadFull(c, got); err != nil {
		t.Fatalf("read back %q: %v", s, err)
	}
	if string(got) != s {
		t.Fatalf("read back %q, want %q", got, s)
	}
}

// broken checks that c fails: reading gives an error other than a timeout within 5 s (bytes
// still on their way back are read and ignored).
func broken(t *testing.T, c net.Conn) {
	t.Helper()
	c.SetReadDeadline(time.Now().Add(5 * time.Second))
	buf := make([]byte, 4096)
	for {
		_, err := c.Read(buf)
		if err == nil {
			continue
		}
		var ne net.Error
		if errors.As(err, &ne) && ne.Timeout() {
			t.Fatal("the connection still stands")
		}
		return
	}
}

// silent checks that nothing comes back on c within d and that c stays open.
func silent(t *testing.T, c net.Conn, d time.Duration) {
	t.Helper()
	c.SetReadDeadline(time.Now().Add(d))
	n, err := c.Read(make([]byte, 1))
	var ne net.Error
	if n != 0 || !errors.As(err, &ne) || !ne.Timeout() {
		t.Fatalf("read %d bytes, %v; want a timeout", n, err)
	}
}

func wantEqual(t *testing.T, what string, got []byte, want string) {
	t.Helper()
	if string(got) != want {
		t.Fatalf("%s: %q, want %q", what, got, want)
	}
}

// wantReceived waits until the server side has received want, and checks it received
// exactly that.
func wantReceived(t *testing.T, c *echoConn, want string) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for string(c.got()) != want && time.Now().Before(deadline) && !isDone(c) {
		time.Sleep(5 * time.Millisecond)
	}
	wantEqual(t, "server received", c.got(), want)
}

func isDone(c *echoConn) bool {
	select {
	case <-c.done:
		return true
	default:
		return false
	}
}

func TestPassForwardsBothWaysAndHalfClose(t *testing.T) {
	srv := newEchoServer(t)
	p := newProxy(t, srv.ln.Addr().String())
	if host, _, _ := net.SplitHostPort(p.Addr()); host != "127.0.0.1" {
		t.Fatalf("listens on %s, want loopback", p.Addr())
	}
	a := dial(t, p.Addr())
	roundTrip(t, a, "hello")
	sa := srv.next(t)
	b := dial(t, p.Addr())
	roundTrip(t, b, "world")
	srv.next(t)
	roundTrip(t, a, string(bytes.Repeat([]byte("x"), 200<<10)))
	// An orderly end of the client passes on as one.
	a.(*net.TCPConn).CloseWrite()
	if err := sa.ended(t); err != io.EOF {
		t.Fatalf("server saw %v, want EOF", err)
	}
	a.SetReadDeadline(time.Now().Add(5 * time.Second))
	if _, err := a.Read(make([]byte, 1)); err != io.EOF {
		t.Fatalf("client read %v after the server closed, want EOF", err)
	}
	if n := p.Accepted(); n != 2 {
		t.Fatalf("accepted %d, want 2", n)
	}
}

func TestRefuseIsAServerGone(t *testing.T) {
	srv := newEchoServer(t)
	p := newProxy(t, srv.ln.Addr().String())
	open := dial(t, p.Addr())
	roundTrip(t, open, "before")
	sc := srv.next(t)

	set(t, p, Refuse())
	broken(t, open)
	if err := sc.ended(t); err == io.EOF || err == nil {
		t.Fatalf("the server saw %v, want a reset", err)
	}
	_, err := net.DialTimeout("tcp", p.Addr(), 2*time.Second)
	if !errors.Is(err, syscall.ECONNREFUSED) {
		t.Fatalf("dial while refusing: %v, want connection refused", err)
	}

	addr := p.Addr()
	set(t, p, Pass())
	if p.Addr() != addr {
		t.Fatalf("address changed from %s to %s", addr, p.Addr())
	}
	roundTrip(t, dial(t, p.Addr()), "after")
}

func TestBlackholeHangsAndHealResetsWhatLostBytes(t *testing.T) {
	srv := newEchoServer(t)
	p := newProxy(t, srv.ln.Addr().String())
	talking := dial(t, p.Addr())
	roundTrip(t, talking, "a")
	st := srv.next(t)
	idle := dial(t, p.Addr())
	roundTrip(t, idle, "b")
	si := srv.next(t)

	set(t, p, Blackhole())
	send(t, talking, "lost")
	silent(t, talking, 200*time.Millisecond)
	fresh := dial(t, p.Addr()) // accepted, never answered
	send(t, fresh, "nobody hears this")
	silent(t, fresh, 200*time.Millisecond)
	srv.none(t, 100*time.Millisecond)
	wantEqual(t, "the server got", st.got(), "a")

	set(t, p, Pass())
	broken(t, talking)
	broken(t, fresh)
	if err := st.ended(t); err == io.EOF {
		t.Fatal("the server saw an orderly end of a connection that lost bytes, want a reset")
	}
	// A connection that lost nothing goes on.
	roundTrip(t, idle, "c")
	wantEqual(t, "the idle connection's server got", si.got(), "bc")
	roundTrip(t, dial(t, p.Addr()), "new")
}

func TestDelaySlowsEveryChunk(t *testing.T) {
	srv := newEchoServer(t)
	p := newProxy(t, srv.ln.Addr().String())
	c := dial(t, p.Addr())
	roundTrip(t, c, "warm")
	const d = 150 * time.Millisecond
	set(t, p, Delay(d))
	start := time.Now()
	roundTrip(t, c, "slow")
	// Held once each way; only the lower bound is certain on a busy machine.
	if took := time.Since(start); took < 2*d {
		t.Fatalf("round trip took %v, want at least %v", took, 2*d)
	}
	set(t, p, Pass())
	roundTrip(t, c, "fast again")
}

func TestCutAfterBytesCountsFromTheFault(t *testing.T) {
	srv := newEchoServer(t)
	p := newProxy(t, srv.ln.Addr().String())
	c := dial(t, p.Addr())
	roundTrip(t, c, "abc") // before the fault: not counted
	sc := srv.next(t)

	set(t, p, CutAfter(5))
	roundTrip(t, c, "de") // 2 of 5
	send(t, c, "fghijkl") // 3 more pass, then the cut
	broken(t, c)
	wantReceived(t, sc, "abcdefgh")
	if err := sc.ended(t); err == io.EOF {
		t.Fatal("the server saw an orderly end, want a reset")
	}
	cuts := p.Cuts()
	if len(cuts) != 1 {
		t.Fatalf("%d cuts, want 1", len(cuts))
	}
	wantEqual(t, "forwarded before the cut", cuts[0].Forwarded, "defgh")

	// A connection opened under the fault counts from its start.
	c2 := dial(t, p.Addr())
	send(t, c2, "0123456789")
	broken(t, c2)
	wantReceived(t, srv.next(t), "01234")

	set(t, p, Pass())
	roundTrip(t, dial(t, p.Addr()), "whole")
}

func TestCutAfterZeroCutsOnTheNextWrite(t *testing.T) {
	srv := newEchoServer(t)
	p := newProxy(t, srv.ln.Addr().String())
	c := dial(t, p.Addr())
	roundTrip(t, c, "x")
	sc := srv.next(t)
	set(t, p, CutAfter(0))
	silent(t, c, 50*time.Millisecond) // nothing happens until the client writes
	send(t, c, "never")
	broken(t, c)
	if err := sc.ended(t); err == io.EOF {
		t.Fatal("the server saw an orderly end, want a reset")
	}
	wantEqual(t, "server received", sc.got(), "x")
}

func TestCutBeforeToken(t *testing.T) {
	srv := newEchoServer(t)
	p := newProxy(t, srv.ln.Addr().String())
	set(t, p, CutBefore([]byte("COMMIT")))
	c := dial(t, p.Addr())
	roundTrip(t, c, "BEGIN;")
	roundTrip(t, c, "INSERT;")
	send(t, c, "UPDATE;COMMIT;")
	broken(t, c)
	sc := srv.next(t)
	wantReceived(t, sc, "BEGIN;INSERT;UPDATE;")
	if err := sc.ended(t); err == io.EOF {
		t.Fatal("the server saw an orderly end, want a reset")
	}

	// The token split over two writes: its first part was already forwarded.
	c2 := dial(t, p.Addr())
	roundTrip(t, c2, "BEGIN;COM")
	send(t, c2, "MIT;")
	broken(t, c2)
	wantReceived(t, srv.next(t), "BEGIN;COM")

	cuts := p.Cuts()
	if len(cuts) != 2 {
		t.Fatalf("%d cuts, want 2", len(cuts))
	}
	wantEqual(t, "first cut forwarded", cuts[0].Forwarded, "BEGIN;INSERT;UPDATE;")
	wantEqual(t, "second cut forwarded", cuts[1].Forwarded, "BEGIN;COM")
	if cuts[0].Fault.String() != `cut before "COMMIT"` {
		t.Fatalf("fault %q", cuts[0].Fault)
	}

	// Bytes from the server are not watched.
	set(t, p, Pass())
	roundTrip(t, dial(t, p.Addr()), "COMMIT")
}

func TestCutHTTPRequestForwardsWholeRequestsOnly(t *testing.T) {
	srv := newEchoServer(t)
	p := newProxy(t, srv.ln.Addr().String())
	c := dial(t, p.Addr())
	archive := "POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 9\r\n\r\n{archive}"
	roundTrip(t, c, archive)
	sc := srv.next(t)
	set(t, p, CutHTTPRequest([]byte(`":t"`)))

	// Headers and body in separate writes, as HTTP clients send them: the server gets the
	// request only once it is whole.
	other := "POST / HTTP/1.1\r\ncontent-length: 7\r\n\r\n{other}"
	send(t, c, other[:20])
	silent(t, c, 50*time.Millisecond)
	send(t, c, other[20:len(other)-3])
	silent(t, c, 50*time.Millisecond)
	wantEqual(t, "the server got, while the request is incomplete", sc.got(), archive)
	send(t, c, other[len(other)-3:])
	c.SetReadDeadline(time.Now().Add(5 * time.Second))
	if _, err := io.ReadFull(c, make([]byte, len(other))); err != nil {
		t.Fatalf("no echo of the whole request: %v", err)
	}

	// The request holding the token: its headers alone carry nothing to match, and still
	// none of it reaches the server.
	room := "POST / HTTP/1.1\r\nContent-Length: 10\r\n\r\n{\":t\":\"1\"}"
	send(t, c, room[:35])
	silent(t, c, 50*time.Millisecond)
	send(t, c, room[35:])
	broken(t, c)
	if err := sc.ended(t); err == io.EOF {
		t.Fatal("the server saw an orderly end, want a reset")
	}
	wantEqual(t, "server received", sc.got(), archive+other)

	// Requests sent together (pipelined): those before the token's pass whole.
	c2 := dial(t, p.Addr())
	get := "GET /x HTTP/1.1\r\nHost: x\r\n\r\n"
	send(t, c2, get+room+get)
	broken(t, c2)
	wantReceived(t, srv.next(t), get)

	cuts := p.Cuts()
	if len(cuts) != 2 {
		t.Fatalf("%d cuts, want 2", len(cuts))
	}
	wantEqual(t, "forwarded before the first cut", cuts[0].Forwarded, other)
	wantEqual(t, "forwarded before the second cut", cuts[1].Forwarded, get)

	// A request still incomplete when the fault changes goes on under the new one.
	set(t, p, CutHTTPRequest([]byte("never")))
	c3 := dial(t, p.Addr())
	send(t, c3, other[:20])
	sc3 := srv.next(t)
	silent(t, c3, 50*time.Millisecond)
	set(t, p, Pass())
	send(t, c3, other[20:])
	c3.SetReadDeadline(time.Now().Add(5 * time.Second))
	if _, err := io.ReadFull(c3, make([]byte, len(other))); err != nil {
		t.Fatalf("no echo after the fault changed: %v", err)
	}
	wantEqual(t, "server received", sc3.got(), other)
}

func TestHTTPRequestLen(t *testing.T) {
	for _, c := range []struct {
		request, more string // a request and what follows it
		complete      bool
	}{
		{"", "", false},
		{"GET / HTTP/1.1\r\nHost: x\r\n", "", false},
		{"GET / HTTP/1.1\r\nHost: x\r\n\r\n", "", true},
		{"GET / HTTP/1.1\r\nHost: x\r\n\r\n", "GET", true},
		{"POST / HTTP/1.1\r\nContent-Length: 3\r\n\r\nab", "", false},
		{"POST / HTTP/1.1\r\nContent-Length: 3\r\n\r\nabc", "", true},
		{"POST / HTTP/1.1\r\nCONTENT-LENGTH:3\r\n\r\nabc", "d", true},
		// Not framed: all of it counts.
		{"POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc", "", true},
		{"POST / HTTP/1.1\r\nContent-Length: x\r\n\r\n", "", true},
	} {
		want := 0
		if c.complete {
			want = len(c.request)
		}
		if got := httpRequestLen([]byte(c.request + c.more)); got != want {
			t.Errorf("httpRequestLen(%q) = %d, want %d", c.request+c.more, got, want)
		}
	}
}

func TestUnreachableTargetResetsTheClient(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	gone := ln.Addr().String()
	p := newProxy(t, gone) // while the port is still taken, so the proxy cannot get it
	ln.Close()
	// The proxy accepts, fails to reach the target and resets the client: the reset may
	// already be there when the dial completes.
	c, err := net.DialTimeout("tcp", p.Addr(), 5*time.Second)
	if err != nil {
		if !errors.Is(err, syscall.ECONNRESET) {
			t.Fatalf("dial: %v, want success or a reset", err)
		}
		return
	}
	defer c.Close()
	broken(t, c)
}

func TestCloseStopsEverything(t *testing.T) {
	srv := newEchoServer(t)
	p, err := New(srv.ln.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	c := dial(t, p.Addr())
	roundTrip(t, c, "hi")
	set(t, p, Blackhole())
	hung := dial(t, p.Addr())
	send(t, hung, "x")
	silent(t, hung, 50*time.Millisecond)

	done := make(chan error, 1)
	go func() { done <- p.Close() }()
	select {
	case err := <-done:
		if err != nil {
			t.Fatal(err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("Close did not return")
	}
	broken(t, c)
	broken(t, hung)
	if _, err := net.DialTimeout("tcp", p.Addr(), time.Second); err == nil {
		t.Fatal("the proxy still accepts after Close")
	}
	if err := p.Set(Pass()); err == nil {
		t.Fatal("Set after Close succeeded")
	}
	if err := p.Close(); err != nil {
		t.Fatalf("second Close: %v", err)
	}
	if n := p.Open(); n != 0 {
		t.Fatalf("%d connections still open", n)
	}
}

func TestFaultStrings(t *testing.T) {
	for f, want := range map[*Fault]string{
		ptr(Pass()):                      "pass",
		ptr(Refuse()):                    "refuse",
		ptr(Blackhole()):                 "blackhole",
		ptr(Delay(time.Second)):          "delay 1s",
		ptr(CutAfter(3)):                 "cut after 3 bytes",
		ptr(CutAfter(-1)):                "cut after 0 bytes",
		ptr(CutBefore(nil)):              "cut after 0 bytes",
		ptr(CutBefore([]byte("stop"))):   `cut before "stop"`,
		ptr(CutHTTPRequest([]byte("x"))): `cut on the HTTP request holding "x"`,
		ptr(CutHTTPRequest(nil)):         "cut after 0 bytes",
	} {
		if got := f.String(); got != want {
			t.Errorf("%q, want %q", got, want)
		}
	}
}

func ptr[T any](v T) *T { return &v }
