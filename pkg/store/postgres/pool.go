package postgres

import (
	"context"
	"errors"
	"sync"
	"time"
)

// errPoolClosed is returned by acquire once the store is closed.
var errPoolClosed = errors.New("the store is closed")

const (
	// pingAfterIdle: a connection unused for longer than this is pinged before it is handed
	// out (the rule pgxpool had, kept). One used more recently is trusted; if the
	// server dropped it meanwhile, Save finds out when it writes and runs its transaction again.
	pingAfterIdle = time.Second

	// closeTimeout bounds closing one connection: sending the Terminate message, which only
	// blocks if the socket does.
	closeTimeout = time.Second

	// closeGrace bounds how long Store.Close waits for connections in use to come back.
	closeGrace = 5 * time.Second

	// defaultMaxConnLifetime closes a connection this old when it is next released or found
	// idle, unless the URL sets pool_max_conn_lifetime: pgxpool's default, kept.
	defaultMaxConnLifetime = time.Hour
)

// poolable is what the pool needs of a connection. *pgconn.PgConn has it; the pool's tests
// use a fake.
type poolable interface {
	IsClosed() bool
	IsBusy() bool
	TxStatus() byte
	Ping(ctx context.Context) error
	Close(ctx context.Context) error
}

// poolConfig sizes and times the pool.
type poolConfig struct {
	maxConns    int           // connections open or being dialled, at most; 1 or more
	maxIdleTime time.Duration // close a connection unused this long; 0 = never
	maxLifetime time.Duration // close a connection this old once it is not in use; 0 = never
	pingTimeout time.Duration // bound on the ping of a connection that sat idle; 0 = ctx only
	pingAfter   time.Duration // ping a connection unused longer than this before handing it out
	closeGrace  time.Duration // how long close waits for connections in use
}

// pool is a small connection pool: at most maxConns connections, open or being dialled; idle
// ones kept most recently used first and closed after maxIdleTime (by a timer, and on acquire
// for an instance that was frozen while the timer should have fired); a connection that sat
// idle pinged before use and replaced if dead; a connection returned closed, busy or inside a
// transaction closed instead of reused. It is safe for concurrent use.
//
// Every connection handed out holds one token of slots, taken before a connection is taken
// from idle or dialled and given back after it is returned (or closed). Idle connections hold
// none; a token holder that finds idle empty dials. Hence idle ≤ free tokens + holders that
// have not yet looked, and open connections ≤ maxConns.
type pool[C poolable] struct {
	cfg     poolConfig
	connect func(ctx context.Context) (C, error)

	slots chan struct{} // one token per connection in use or being dialled (or per acquire looking)
	done  chan struct{} // closed by close

	mu     sync.Mutex
	idle   []*pooled[C] // least recently used first
	reaper *time.Timer  // pending reap of idle connections, or nil
	closed bool
}

// pooled is a connection the pool holds, with its times.
type pooled[C poolable] struct {
	conn     C
	created  time.Time
	lastUsed time.Time
}

func newPool[C poolable](cfg poolConfig, connect func(ctx context.Context) (C, error)) *pool[C] {
	if cfg.maxConns < 1 {
		cfg.maxConns = 1
	}
	return &pool[C]{
		cfg:     cfg,
		connect: connect,
		slots:   make(chan struct{}, cfg.maxConns),
		done:    make(chan struct{}),
	}
}

// acquire returns a connection for the caller's exclusive use until release: an idle one
// (pinged first if it sat idle), or a new one. It waits for a free connection while ctx
// allows, and fails with ctx's error, errPoolClosed or the connect error.
func (p *pool[C]) acquire(ctx context.Context) (*pooled[C], error) {
	select {
	case <-p.done:
		return nil, errPoolClosed
	case <-ctx.Done():
		return nil, ctx.Err()
	case p.slots <- struct{}{}:
	}
	pc, err := p.take(ctx)
	if err != nil {
		<-p.slots
		return nil, err
	}
	return pc, nil
}

// take returns a live connection for the token the caller holds.
func (p *pool[C]) take(ctx context.Context) (*pooled[C], error) {
	for {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		now := time.Now()
		p.mu.Lock()
		if p.closed {
			p.mu.Unlock()
			return nil, errPoolClosed
		}
		expired := p.takeExpiredLocked(now)
		var pc *pooled[C]
		if n := len(p.idle); n > 0 {
			pc, p.idle[n-1] = p.idle[n-1], nil
			p.idle = p.idle[:n-1]
		}
		p.mu.Unlock()
		closeConns(expired)

		if pc == nil {
			conn, err := p.connect(ctx)
			if err != nil {
				return nil, err
			}
			now = time.Now()
			return &pooled[C]{conn: conn, created: now, lastUsed: now}, nil
		}
		if now.Sub(pc.lastUsed) <= p.cfg.pingAfter || p.ping(ctx, pc.conn) == nil {
			return pc, nil
		}
		// Dead (the server dropped it while it sat idle), or ctx ended during the ping:
		// drop it and look again.
		closeConn(pc.conn)
	}
}

// ping checks conn within pingTimeout and ctx.
func (p *pool[C]) ping(ctx context.Context, conn C) error {
	if p.cfg.pingTimeout > 0 {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, p.cfg.pingTimeout)
		defer cancel()
	}
	return conn.Ping(ctx)
}

// release gives pc back: kept for reuse when it is healthy, outside any transaction and not
// expired, closed otherwise. pc must not be used afterwards.
func (p *pool[C]) release(pc *pooled[C]) {
	now := time.Now()
	reusable := !pc.conn.IsClosed() && !pc.conn.IsBusy() && pc.conn.TxStatus() == 'I'
	p.mu.Lock()
	keep := reusable && !p.closed && !p.expired(pc, now)
	if keep {
		pc.lastUsed = now
		p.idle = append(p.idle, pc)
		p.armReaperLocked(now)
	}
	p.mu.Unlock()
	if !keep {
		closeConn(pc.conn)
	}
	<-p.slots
}

// expired reports whether pc, not in use, is to be closed.
func (p *pool[C]) expired(pc *pooled[C], now time.Time) bool {
	return (p.cfg.maxIdleTime > 0 && now.Sub(pc.lastUsed) >= p.cfg.maxIdleTime) ||
		(p.cfg.maxLifetime > 0 && now.Sub(pc.created) >= p.cfg.maxLifetime)
}

// takeExpiredLocked removes the expired idle connections and returns them, to be closed
// outside the lock.
func (p *pool[C]) takeExpiredLocked(now time.Time) []C {
	var out []C
	kept := p.idle[:0]
	for _, pc := range p.idle {
		if p.expired(pc, now) {
			out = append(out, pc.conn)
		} else {
			kept = append(kept, pc)
		}
	}
	clear(p.idle[len(kept):])
	p.idle = kept
	return out
}

// armReaperLocked schedules a reap at the earliest expiry of an idle connection, unless one is
// pending.
func (p *pool[C]) armReaperLocked(now time.Time) {
	if p.reaper != nil || len(p.idle) == 0 || (p.cfg.maxIdleTime <= 0 && p.cfg.maxLifetime <= 0) {
		return
	}
	var next time.Time
	for _, pc := range p.idle {
		for _, t := range []time.Time{expiry(pc.lastUsed, p.cfg.maxIdleTime), expiry(pc.created, p.cfg.maxLifetime)} {
			if !t.IsZero() && (next.IsZero() || t.Before(next)) {
				next = t
			}
		}
	}
	p.reaper = time.AfterFunc(max(next.Sub(now), 0), p.reap)
}

// expiry is from + d, or the zero time when d means never.
func expiry(from time.Time, d time.Duration) time.Time {
	if d <= 0 {
		return time.Time{}
	}
	return from.Add(d)
}

// reap closes the idle connections that expired and schedules the next reap.
func (p *pool[C]) reap() {
	now := time.Now()
	p.mu.Lock()
	p.reaper = nil
	if p.closed {
		p.mu.Unlock()
		return
	}
	expired := p.takeExpiredLocked(now)
	p.armReaperLocked(now)
	p.mu.Unlock()
	closeConns(expired)
}

// close closes the idle connections, fails every later or waiting acquire, and waits up to
// closeGrace for the connections in use, which are closed as they are released. It never
// waits longer: a connection still in use then is closed when its holder releases it.
func (p *pool[C]) close() {
	p.mu.Lock()
	if p.closed {
		p.mu.Unlock()
		return
	}
	p.closed = true
	close(p.done)
	if p.reaper != nil {
		p.reaper.Stop()
		p.reaper = nil
	}
	idle := make([]C, len(p.idle))
	for i, pc := range p.idle {
		idle[i] = pc.conn
	}
	p.idle = nil
	p.mu.Unlock()
	closeConns(idle)

	// Holding every token means no connection is in use.
	grace := time.NewTimer(p.cfg.closeGrace)
	defer grace.Stop()
	for range p.cfg.maxConns {
		select {
		case p.slots <- struct{}{}:
		case <-grace.C:
			return
		}
	}
}

// closeConn closes conn, within closeTimeout. A connection pgconn already closed (after a
// network error or an interrupted query) returns at once.
func closeConn[C poolable](conn C) {
	ctx, cancel := context.WithTimeout(context.Background(), closeTimeout)
	defer cancel()
	conn.Close(ctx) // the socket is closed whatever the error
}

func closeConns[C poolable](conns []C) {
	for _, c := range conns {
		closeConn(c)
	}
}
