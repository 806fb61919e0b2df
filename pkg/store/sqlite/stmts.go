package sqlite

import (
	"context"
	"database/sql"
	"sync"
)

// maxPrepared bounds how many statements a store keeps prepared: the texts Save uses are a few
// dozen at most (the archive reads vary in shape only: how many commands, which bounds).
const maxPrepared = 64

// statements are a store's prepared statements, by SQL text. Open prepares the archive insert;
// every other text (the projection's row statements and archive reads, which vary with what it
// asks for) is remembered when it runs unprepared and prepared before the next save, so a warm
// store parses each shape once, while a cold start that answers one callback does not prepare
// statements it may never run.
type statements struct {
	mu      sync.Mutex
	byText  map[string]*sql.Stmt // nil: preparing it failed, it runs unprepared
	pending map[string]struct{}  // run unprepared, to prepare before the next save
}

// prepare prepares texts now.
func (p *statements) prepare(ctx context.Context, db *sql.DB, texts []string) error {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.byText == nil {
		p.byText = make(map[string]*sql.Stmt, len(texts))
		p.pending = make(map[string]struct{})
	}
	for _, q := range texts {
		st, err := db.PrepareContext(ctx, q)
		if err != nil {
			return err
		}
		p.byText[q] = st
	}
	return nil
}

// get returns the statement prepared for text, or nil, and then remembers text for
// preparePending.
func (p *statements) get(text string) *sql.Stmt {
	p.mu.Lock()
	defer p.mu.Unlock()
	st, ok := p.byText[text]
	if !ok && len(p.byText)+len(p.pending) < maxPrepared {
		p.pending[text] = struct{}{}
	}
	return st
}

// preparePending prepares the texts get was asked for and did not have. It is best effort: a
// text that fails to prepare runs unprepared from then on, or is tried again when ctx ended.
func (p *statements) preparePending(ctx context.Context, db *sql.DB) {
	p.mu.Lock()
	if len(p.pending) == 0 {
		p.mu.Unlock()
		return
	}
	texts := make([]string, 0, len(p.pending))
	for q := range p.pending {
		texts = append(texts, q)
	}
	clear(p.pending)
	p.mu.Unlock()

	for _, q := range texts {
		st, err := db.PrepareContext(ctx, q)
		p.mu.Lock()
		switch {
		case err == nil:
			p.byText[q] = st
		case ctx.Err() != nil:
			p.pending[q] = struct{}{}
		default:
			p.byText[q] = nil
		}
		p.mu.Unlock()
	}
}
