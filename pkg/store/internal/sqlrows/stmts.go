package sqlrows

import (
	"context"
	"database/sql"
	"sync"
)

// maxPrepared bounds how many statements a store keeps prepared: the texts Save uses are a few
// dozen at most (the archive reads vary in shape only: how many commands, which bounds).
const maxPrepared = 64

// Statements are a store's prepared statements, by SQL text. A store may prepare some at Open
// (Prepare); every other text (the projection's row statements and archive reads, which vary
// with what it asks for) is remembered when it runs unprepared and prepared before the next
// save (PreparePending), so a warm store sends each shape once to be parsed, while a cold start
// that answers one callback does not prepare statements it may never run. On a server, a
// prepared statement is then one round trip where an unprepared one with parameters is two
// (prepare and execute), on each pooled connection after the first use there.
type Statements struct {
	mu      sync.Mutex
	byText  map[string]*sql.Stmt // nil: preparing it failed maxPrepareTries times, it runs unprepared
	pending map[string]struct{}  // run unprepared, to prepare before the next save
	// preparing are texts a PreparePending is preparing now: get does not queue them again, so
	// two saves never prepare one text twice (the second statement would leak on the server).
	preparing map[string]struct{}
	failures  map[string]int // failed prepares of a text (a dropped connection, …), to retry
}

// maxPrepareTries bounds the prepares of one text that fail other than by the context ending;
// after them it runs unprepared for good (a text the server refuses to prepare).
const maxPrepareTries = 3

// Prepare prepares texts now.
func (p *Statements) Prepare(ctx context.Context, db *sql.DB, texts []string) error {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.init()
	for _, q := range texts {
		st, err := db.PrepareContext(ctx, q)
		if err != nil {
			return err
		}
		p.byText[q] = st
	}
	return nil
}

// init makes the maps of the zero Statements.
func (p *Statements) init() {
	if p.byText == nil {
		p.byText = make(map[string]*sql.Stmt)
		p.pending = make(map[string]struct{})
		p.preparing = make(map[string]struct{})
		p.failures = make(map[string]int)
	}
}

// Len returns how many statements are prepared.
func (p *Statements) Len() int {
	p.mu.Lock()
	defer p.mu.Unlock()
	n := 0
	for _, st := range p.byText {
		if st != nil {
			n++
		}
	}
	return n
}

// get returns the statement prepared for text, or nil, and then remembers text for
// PreparePending.
func (p *Statements) get(text string) *sql.Stmt {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.init()
	st, ok := p.byText[text]
	if _, busy := p.preparing[text]; !ok && !busy && len(p.byText)+len(p.pending)+len(p.preparing) < maxPrepared {
		p.pending[text] = struct{}{}
	}
	return st
}

// PreparePending prepares the texts get was asked for and did not have; a store calls it before
// it begins a save's transaction. It is best effort: a
// text that fails to prepare runs unprepared from then on, or is tried again when ctx ended.
func (p *Statements) PreparePending(ctx context.Context, db *sql.DB) {
	p.mu.Lock()
	if len(p.pending) == 0 {
		p.mu.Unlock()
		return
	}
	texts := make([]string, 0, len(p.pending))
	for q := range p.pending {
		texts = append(texts, q)
		p.preparing[q] = struct{}{}
	}
	clear(p.pending)
	p.mu.Unlock()

	for _, q := range texts {
		st, err := db.PrepareContext(ctx, q)
		p.mu.Lock()
		delete(p.preparing, q)
		switch {
		case err == nil:
			p.byText[q] = st
		case ctx.Err() != nil:
			p.pending[q] = struct{}{}
		default:
			if p.failures[q]++; p.failures[q] < maxPrepareTries {
				p.pending[q] = struct{}{}
			} else {
				p.byText[q] = nil
			}
		}
		p.mu.Unlock()
	}
}

// StmtConn is a Conn on Tx that runs each text on the store's prepared statement when there is
// one, by the text otherwise.
type StmtConn struct {
	Tx    *sql.Tx
	Stmts *Statements
}

func (c StmtConn) ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error) {
	if st := c.Stmts.get(query); st != nil {
		return c.Tx.StmtContext(ctx, st).ExecContext(ctx, args...)
	}
	return c.Tx.ExecContext(ctx, query, args...)
}

func (c StmtConn) QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error) {
	if st := c.Stmts.get(query); st != nil {
		return c.Tx.StmtContext(ctx, st).QueryContext(ctx, args...)
	}
	return c.Tx.QueryContext(ctx, query, args...)
}
