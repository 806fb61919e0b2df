package postgres

import (
	"context"
	"errors"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// fakeConn stands in for a *pgconn.PgConn: the pool's tests need no server.
type fakeConn struct {
	id int

	mu       sync.Mutex
	closed   bool
	busy     bool
	txStatus byte          // 'I' idle, 'T' in a transaction
	pingErr  error         // what Ping returns
	pingHang bool          // Ping waits for its context to end
	pings    int           // Ping calls
	closedAt chan struct{} // closed by Close
}

func (c *fakeConn) IsClosed() bool { c.mu.Lock(); defer c.mu.Unlock(); return c.closed }
func (c *fakeConn) IsBusy() bool   { c.mu.Lock(); defer c.mu.Unlock(); return c.busy }
func (c *fakeConn) TxStatus() byte { c.mu.Lock(); defer c.mu.Unlock(); return c.txStatus }

func (c *fakeConn) Ping(ctx context.Context) error {
	c.mu.Lock()
	c.pings++
	hang, err := c.pingHang, c.pingErr
	c.mu.Unlock()
	if hang {
		<-ctx.Done()
		c.Close(ctx) // as pgconn closes a connection whose read was interrupted
		return ctx.Err()
	}
	if err != nil {
		c.Close(ctx)
	}
	return err
}

func (c *fakeConn) Close(context.Context) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	if !c.closed {
		c.closed = true
		close(c.closedAt)
	}
	return nil
}

func (c *fakeConn) pingCount() int { c.mu.Lock(); defer c.mu.Unlock(); return c.pings }

// set changes the connection's state under its lock.
func (c *fakeConn) set(f func(c *fakeConn)) { c.mu.Lock(); defer c.mu.Unlock(); f(c) }

// dialer hands out fake connections and counts what is open.
type dialer struct {
	mu      sync.Mutex
	conns   []*fakeConn
	err     error         // what the next dials return, if set
	block   chan struct{} // dials wait for it, if set
	maxOpen int           // most connections open at once, seen at each dial
}

func (d *dialer) connect(ctx context.Context) (*fakeConn, error) {
	d.mu.Lock()
	block, err := d.block, d.err
	d.mu.Unlock()
	if block != nil {
		select {
		case <-block:
		case <-ctx.Done():
			return nil, ctx.Err()
		}
	}
	if err != nil {
		return nil, err
	}
	d.mu.Lock()
	defer d.mu.Unlock()
	c := &fakeConn{id: len(d.conns) + 1, txStatus: 'I', closedAt: make(chan struct{})}
	d.conns = append(d.conns, c)
	d.maxOpen = max(d.maxOpen, d.openLocked())
	return c, nil
}

func (d *dialer) openLocked() int {
	n := 0
	for _, c := range d.conns {
		if !c.IsClosed() {
			n++
		}
	}
	return n
}

func (d *dialer) open() int      { d.mu.Lock(); defer d.mu.Unlock(); return d.openLocked() }
func (d *dialer) dialled() int   { d.mu.Lock(); defer d.mu.Unlock(); return len(d.conns) }
func (d *dialer) mostOpen() int  { d.mu.Lock(); defer d.mu.Unlock(); return d.maxOpen }
func (d *dialer) fail(err error) { d.mu.Lock(); defer d.mu.Unlock(); d.err = err }

// testPool returns a pool of fake connections, closed when the test ends. Idle connections
// live a minute and are pinged after a second, and close waits 10ms for connections in use,
// unless cfg says otherwise.
func testPool(t *testing.T, cfg poolConfig) (*pool[*fakeConn], *dialer) {
	t.Helper()
	if cfg.maxIdleTime == 0 {
		cfg.maxIdleTime = time.Minute
	}
	if cfg.pingAfter == 0 {
		cfg.pingAfter = time.Second
	}
	if cfg.closeGrace == 0 {
		cfg.closeGrace = 10 * time.Millisecond // tests end with connections out
	}
	d := &dialer{}
	p := newPool(cfg, d.connect)
	t.Cleanup(p.close)
	return p, d
}

func mustAcquire(t *testing.T, p *pool[*fakeConn]) *pooled[*fakeConn] {
	t.Helper()
	ctx, cancel := context.WithTimeout(t.Context(), 5*time.Second)
	defer cancel()
	pc, err := p.acquire(ctx)
	if err != nil {
		t.Fatalf("acquire: %v", err)
	}
	return pc
}

// TestPoolReuses: a released connection is handed out again, most recently used first,
// without dialling.
func TestPoolReuses(t *testing.T) {
	p, d := testPool(t, poolConfig{maxConns: 2})
	a, b := mustAcquire(t, p), mustAcquire(t, p)
	p.release(a)
	p.release(b)
	if got := mustAcquire(t, p); got.conn != b.conn {
		t.Errorf("acquire returned connection %d, want %d (the most recently used)", got.conn.id, b.conn.id)
	}
	if d.dialled() != 2 {
		t.Errorf("dialled %d connections, want 2", d.dialled())
	}
}

// TestPoolLimit: no more than maxConns connections are out at once; an acquire beyond waits
// for a release, and fails with its context's error when that ends first.
func TestPoolLimit(t *testing.T) {
	p, d := testPool(t, poolConfig{maxConns: 2})
	a, _ := mustAcquire(t, p), mustAcquire(t, p)

	ctx, cancel := context.WithTimeout(t.Context(), 50*time.Millisecond)
	defer cancel()
	if pc, err := p.acquire(ctx); !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("third acquire = %v, %v; want context.DeadlineExceeded", pc, err)
	}

	got := make(chan *pooled[*fakeConn])
	go func() {
		pc, err := p.acquire(t.Context())
		if err != nil {
			t.Errorf("acquire: %v", err)
		}
		got <- pc
	}()
	select {
	case pc := <-got:
		t.Fatalf("acquire returned connection %d while both were out", pc.conn.id)
	case <-time.After(50 * time.Millisecond):
	}
	p.release(a)
	select {
	case pc := <-got:
		if pc.conn != a.conn {
			t.Errorf("the waiting acquire got connection %d, want the released %d", pc.conn.id, a.conn.id)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("the waiting acquire did not get the released connection")
	}
	if d.dialled() != 2 {
		t.Errorf("dialled %d connections, want 2", d.dialled())
	}
}

// TestPoolAcquireCancelled: an acquire waiting for a connection returns as soon as its
// context is cancelled.
func TestPoolAcquireCancelled(t *testing.T) {
	p, _ := testPool(t, poolConfig{maxConns: 1})
	mustAcquire(t, p)
	ctx, cancel := context.WithCancel(t.Context())
	errc := make(chan error)
	go func() {
		_, err := p.acquire(ctx)
		errc <- err
	}()
	time.Sleep(20 * time.Millisecond)
	cancel()
	select {
	case err := <-errc:
		if !errors.Is(err, context.Canceled) {
			t.Errorf("err = %v, want context.Canceled", err)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("acquire did not return after its context was cancelled")
	}
}

// TestPoolConnectCancelled: a connection attempt ends with the acquire's context, and its
// slot is free again.
func TestPoolConnectCancelled(t *testing.T) {
	p, d := testPool(t, poolConfig{maxConns: 1})
	d.block = make(chan struct{})
	ctx, cancel := context.WithTimeout(t.Context(), 30*time.Millisecond)
	defer cancel()
	if _, err := p.acquire(ctx); !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("err = %v, want context.DeadlineExceeded", err)
	}
	close(d.block)
	p.release(mustAcquire(t, p))
}

// TestPoolConnectError: a failed dial is returned and frees its slot.
func TestPoolConnectError(t *testing.T) {
	p, d := testPool(t, poolConfig{maxConns: 1})
	refused := errors.New("connection refused")
	d.fail(refused)
	for range 3 {
		if _, err := p.acquire(t.Context()); !errors.Is(err, refused) {
			t.Fatalf("err = %v, want the dial error", err)
		}
	}
	d.fail(nil)
	p.release(mustAcquire(t, p))
}

// TestPoolDropsBrokenConns: a connection returned closed, busy or inside a transaction is
// closed, not reused, and the next acquire dials a new one.
func TestPoolDropsBrokenConns(t *testing.T) {
	for name, breakIt := range map[string]func(c *fakeConn){
		"closed":         func(c *fakeConn) { c.closed = true; close(c.closedAt) },
		"busy":           func(c *fakeConn) { c.busy = true },
		"in transaction": func(c *fakeConn) { c.txStatus = 'T' },
		"failed tx":      func(c *fakeConn) { c.txStatus = 'E' },
	} {
		t.Run(name, func(t *testing.T) {
			p, d := testPool(t, poolConfig{maxConns: 1})
			a := mustAcquire(t, p)
			a.conn.set(breakIt)
			p.release(a)
			if !a.conn.IsClosed() {
				t.Error("the broken connection was not closed on release")
			}
			if b := mustAcquire(t, p); b.conn == a.conn {
				t.Error("the broken connection was handed out again")
			}
			if d.dialled() != 2 {
				t.Errorf("dialled %d connections, want 2", d.dialled())
			}
		})
	}
}

// TestPoolPingsIdleConn: a connection idle past pingAfter is pinged before use and replaced
// when the ping fails; one used more recently is not pinged.
func TestPoolPingsIdleConn(t *testing.T) {
	p, d := testPool(t, poolConfig{maxConns: 1, pingAfter: 20 * time.Millisecond})
	a := mustAcquire(t, p)
	p.release(a)
	b := mustAcquire(t, p)
	if b.conn != a.conn || a.conn.pingCount() != 0 {
		t.Fatalf("a connection used a moment ago: pinged %d times or replaced; want reused without a ping", a.conn.pingCount())
	}
	p.release(b)

	time.Sleep(40 * time.Millisecond)
	b = mustAcquire(t, p)
	if b.conn != a.conn || a.conn.pingCount() != 1 {
		t.Fatalf("an idle, live connection: pinged %d times or replaced; want reused after one ping", a.conn.pingCount())
	}
	p.release(b)

	time.Sleep(40 * time.Millisecond)
	a.conn.set(func(c *fakeConn) { c.pingErr = errors.New("connection reset by peer") })
	b = mustAcquire(t, p)
	if b.conn == a.conn || !a.conn.IsClosed() {
		t.Error("a connection whose ping failed was handed out, or not closed")
	}
	if d.dialled() != 2 {
		t.Errorf("dialled %d connections, want 2", d.dialled())
	}
}

// TestPoolPingTimeout: the ping of a connection that does not answer gives up after
// pingTimeout, well before the caller's deadline, and a new connection is dialled.
func TestPoolPingTimeout(t *testing.T) {
	p, _ := testPool(t, poolConfig{maxConns: 1, pingAfter: time.Millisecond, pingTimeout: 30 * time.Millisecond})
	a := mustAcquire(t, p)
	a.conn.set(func(c *fakeConn) { c.pingHang = true })
	p.release(a)
	time.Sleep(5 * time.Millisecond)

	ctx, cancel := context.WithTimeout(t.Context(), 5*time.Second)
	defer cancel()
	start := time.Now()
	b, err := p.acquire(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if took := time.Since(start); took > 2*time.Second {
		t.Errorf("acquire took %v, want about the 30ms ping timeout", took)
	}
	if b.conn == a.conn {
		t.Error("the silent connection was handed out")
	}
}

// TestPoolReapsIdle: a connection idle for maxIdleTime is closed by the pool's timer, without
// an acquire; the next acquire dials afresh.
func TestPoolReapsIdle(t *testing.T) {
	p, d := testPool(t, poolConfig{maxConns: 2, maxIdleTime: 50 * time.Millisecond})
	a, b := mustAcquire(t, p), mustAcquire(t, p)
	p.release(a)
	time.Sleep(30 * time.Millisecond)
	p.release(b) // b expires 30ms after a
	for _, c := range []*fakeConn{a.conn, b.conn} {
		select {
		case <-c.closedAt:
		case <-time.After(5 * time.Second):
			t.Fatalf("idle connection %d not closed after the idle time", c.id)
		}
	}
	if d.open() != 0 {
		t.Errorf("%d connections open, want 0", d.open())
	}
	if c := mustAcquire(t, p); c.conn == a.conn || c.conn == b.conn {
		t.Error("a reaped connection was handed out")
	}
}

// TestPoolExpiresOnAcquire: an idle connection past its idle time is not handed out even
// when the timer has not run (an instance thawed after a freeze).
func TestPoolExpiresOnAcquire(t *testing.T) {
	p, _ := testPool(t, poolConfig{maxConns: 1, maxIdleTime: time.Hour})
	a := mustAcquire(t, p)
	p.release(a)
	p.mu.Lock()
	p.idle[0].lastUsed = time.Now().Add(-2 * time.Hour) // as if frozen for two hours
	p.mu.Unlock()
	if b := mustAcquire(t, p); b.conn == a.conn || !a.conn.IsClosed() {
		t.Error("an expired idle connection was handed out, or not closed")
	}
}

// TestPoolLifetime: a connection older than maxLifetime is closed when released.
func TestPoolLifetime(t *testing.T) {
	p, _ := testPool(t, poolConfig{maxConns: 1, maxLifetime: 20 * time.Millisecond})
	a := mustAcquire(t, p)
	time.Sleep(30 * time.Millisecond)
	p.release(a)
	if !a.conn.IsClosed() {
		t.Error("a connection past its lifetime was kept")
	}
}

// TestPoolClose: close closes the idle connections, fails waiting and later acquires, and a
// connection still out is closed when released.
func TestPoolClose(t *testing.T) {
	p, _ := testPool(t, poolConfig{maxConns: 2, closeGrace: 50 * time.Millisecond})
	a, b := mustAcquire(t, p), mustAcquire(t, p)
	p.release(a)
	b2 := mustAcquire(t, p) // a again; both out now
	errc := make(chan error)
	go func() {
		_, err := p.acquire(t.Context())
		errc <- err
	}()
	time.Sleep(20 * time.Millisecond)

	start := time.Now()
	p.close()
	if took := time.Since(start); took > 2*time.Second {
		t.Errorf("close took %v with connections out, want about the 50ms grace", took)
	}
	select {
	case err := <-errc:
		if !errors.Is(err, errPoolClosed) {
			t.Errorf("waiting acquire: err = %v, want errPoolClosed", err)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("a waiting acquire did not return on close")
	}
	if _, err := p.acquire(t.Context()); !errors.Is(err, errPoolClosed) {
		t.Errorf("acquire after close: err = %v, want errPoolClosed", err)
	}
	p.release(b)
	p.release(b2)
	if !b.conn.IsClosed() || !b2.conn.IsClosed() {
		t.Error("a connection released after close was not closed")
	}
	p.close() // twice is fine
}

// TestPoolCloseWaitsForInUse: close waits for a connection in use to come back, and closes it.
func TestPoolCloseWaitsForInUse(t *testing.T) {
	p, _ := testPool(t, poolConfig{maxConns: 1, closeGrace: 5 * time.Second})
	a := mustAcquire(t, p)
	go func() {
		time.Sleep(30 * time.Millisecond)
		p.release(a)
	}()
	p.close()
	if !a.conn.IsClosed() {
		t.Error("close returned before the connection in use came back and was closed")
	}
}

// TestPoolConcurrent: many goroutines share a small pool; no more than maxConns connections
// are ever open, and all of them are closed at the end.
func TestPoolConcurrent(t *testing.T) {
	p, d := testPool(t, poolConfig{maxConns: 3, maxIdleTime: 5 * time.Millisecond, pingAfter: time.Millisecond})
	var (
		wg    sync.WaitGroup
		inUse atomic.Int32
	)
	for i := range 32 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for j := range 50 {
				pc, err := p.acquire(t.Context())
				if err != nil {
					t.Errorf("acquire: %v", err)
					return
				}
				if n := inUse.Add(1); n > 3 {
					t.Errorf("%d connections in use at once, want at most 3", n)
				}
				if (i+j)%7 == 0 {
					pc.conn.set(func(c *fakeConn) { c.txStatus = 'E' }) // broken: dropped on release
				}
				time.Sleep(time.Duration(j%3) * time.Millisecond)
				inUse.Add(-1)
				p.release(pc)
			}
		}()
	}
	wg.Wait()
	if d.mostOpen() > 3 {
		t.Errorf("%d connections open at once, want at most 3", d.mostOpen())
	}
	p.close()
	if d.open() != 0 {
		t.Errorf("%d connections open after close, want 0", d.open())
	}
}
