package postgres

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"

	"github.com/jackc/pgx/v5/pgconn"
)

// Statements run on pgconn directly, without pgx's type system: every statement is sent with
// the extended protocol as the unnamed statement (Parse, Bind, Describe, Execute, Sync in one
// round trip), parameters in PostgreSQL's text form with their type OIDs (bytea in binary), and
// results read as text (bytea in binary). Nothing is prepared by name, so the statements work
// the same behind a transaction-mode pooler that does not support prepared statements.

// OIDs of the parameter types roomhook sends, so that the server does not infer them.
const (
	oidBool  = 16
	oidBytea = 17
	oidInt8  = 20
	oidInt4  = 23
	oidText  = 25
	oidJSONB = 3802
)

// Wire formats of a value.
const (
	formatText   int16 = 0
	formatBinary int16 = 1
)

// params are a statement's parameters, in order. A nil value is NULL.
type params struct {
	values  [][]byte
	oids    []uint32
	formats []int16
}

func (p *params) add(v []byte, oid uint32, format int16) {
	p.values = append(p.values, v)
	p.oids = append(p.oids, oid)
	p.formats = append(p.formats, format)
}

func (p *params) int8(v int64) { p.add(strconv.AppendInt(nil, v, 10), oidInt8, formatText) }

func (p *params) int4(v int32) { p.add(strconv.AppendInt(nil, int64(v), 10), oidInt4, formatText) }

// int8Ptr is v, or NULL when v is nil.
func (p *params) int8Ptr(v *int64) {
	if v == nil {
		p.add(nil, oidInt8, formatText)
		return
	}
	p.int8(*v)
}

func (p *params) text(s string) { p.add(append([]byte{}, s...), oidText, formatText) }

// textPtr is s, or NULL when s is nil.
func (p *params) textPtr(s *string) {
	if s == nil {
		p.add(nil, oidText, formatText)
		return
	}
	p.text(*s)
}

// boolPtr is b, or NULL when b is nil.
func (p *params) boolPtr(b *bool) {
	switch {
	case b == nil:
		p.add(nil, oidBool, formatText)
	case *b:
		p.add([]byte("t"), oidBool, formatText)
	default:
		p.add([]byte("f"), oidBool, formatText)
	}
}

// bytea is b verbatim, in binary format; a nil b is empty, not NULL.
func (p *params) bytea(b []byte) {
	if b == nil {
		b = []byte{}
	}
	p.add(b, oidBytea, formatBinary)
}

// jsonbPtr is the JSON text s, or NULL when s is nil.
func (p *params) jsonbPtr(s *string) {
	if s == nil {
		p.add(nil, oidJSONB, formatText)
		return
	}
	p.add(append([]byte{}, *s...), oidJSONB, formatText)
}

// exec runs one statement and returns its command tag.
func exec(ctx context.Context, conn *pgconn.PgConn, sql string, p *params) (pgconn.CommandTag, error) {
	if p == nil {
		p = &params{}
	}
	return conn.ExecParams(ctx, sql, p.values, p.oids, p.formats, nil).Close()
}

// query runs one statement and calls scan with each row of its result, in order. The row's
// values are valid only during the call. resultFormats is as for pgconn's ExecParams (nil:
// every column as text). The statement's error comes first, then scan's.
func query(ctx context.Context, conn *pgconn.PgConn, sql string, p *params, resultFormats []int16, scan func(r *row) error) error {
	if p == nil {
		p = &params{}
	}
	_, err := readResult(conn.ExecParams(ctx, sql, p.values, p.oids, p.formats, resultFormats), scan)
	return err
}

// readResult reads rr to its end, calling scan (when not nil) with each row, and returns the
// command tag. The statement's error comes first, then scan's.
func readResult(rr *pgconn.ResultReader, scan func(r *row) error) (pgconn.CommandTag, error) {
	var scanErr error
	for rr.NextRow() {
		if scanErr == nil && scan != nil {
			r := &row{values: rr.Values()}
			if scanErr = scan(r); scanErr == nil {
				scanErr = r.done()
			}
		}
	}
	tag, err := rr.Close()
	if err != nil {
		return tag, err
	}
	return tag, scanErr
}

// batch is statements sent in one round trip: pgconn's ExecBatch writes every statement's
// extended-protocol messages and one Sync, and the server runs them in order; after an error
// it skips the rest up to the Sync. Inside a transaction (a batch may begin one) an error
// leaves the transaction aborted, for the caller's rollback.
type batch struct {
	b     pgconn.Batch
	steps []batchStep
}

type batchStep struct {
	name  string             // the step an error is reported as (stepError.step)
	scan  func(r *row) error // nil: the statement's rows, if any, are not read
	check func(tag pgconn.CommandTag) error
}

// add queues a statement; scan reads its rows and check its command tag, either may be nil.
func (b *batch) add(step, sql string, p *params, resultFormats []int16, scan func(r *row) error, check func(pgconn.CommandTag) error) {
	if p == nil {
		p = &params{}
	}
	b.b.ExecParams(sql, p.values, p.oids, p.formats, resultFormats)
	b.steps = append(b.steps, batchStep{step, scan, check})
}

// len is the number of statements queued.
func (b *batch) len() int { return len(b.steps) }

// run sends the batch and reads every result. The error is a *stepError naming the step of the
// statement that failed.
func (b *batch) run(ctx context.Context, conn *pgconn.PgConn) error {
	mrr := conn.ExecBatch(ctx, &b.b)
	i := 0
	var first error
	// A statement the server refused, or whose result did not read or check, is the step of the
	// error. Any other error (the context ended, the connection broke) may have come while the
	// server was on any statement not yet answered (it answers when it flushes: a statement
	// waiting for a lock has not flushed the answers before it), so it names them all.
	fail := func(err error, statement bool) {
		if first != nil {
			return
		}
		var pgErr *pgconn.PgError
		if (statement || errors.As(err, &pgErr)) && i < len(b.steps) && ctx.Err() == nil && !conn.IsClosed() {
			if errors.As(err, &pgErr) && pgErr.Code == sqlstateDivisionByZero && strings.HasPrefix(b.steps[i].name, ": write ") {
				err = fmt.Errorf("0 rows written, want 1: %w", err) // updateGuarded's guard
			}
			first = &stepError{b.steps[i].name, err}
			return
		}
		var names []string
		for _, st := range b.steps[min(i, len(b.steps)):] {
			if n := strings.TrimPrefix(st.name, ": "); n != "" && !slices.Contains(names, n) {
				names = append(names, n)
			}
		}
		step := ""
		if len(names) > 0 {
			step = ": " + strings.Join(names, ", ")
		}
		first = &stepError{step, err}
	}
	for mrr.NextResult() {
		if i >= len(b.steps) {
			_, _ = readResult(mrr.ResultReader(), nil)
			fail(fmt.Errorf("%d results for %d statements", i+1, len(b.steps)), false)
			continue
		}
		st := b.steps[i]
		tag, err := readResult(mrr.ResultReader(), st.scan)
		if err == nil && st.check != nil {
			err = st.check(tag)
		}
		if err != nil {
			fail(err, true)
		}
		i++
	}
	if err := mrr.Close(); err != nil {
		fail(err, false)
	}
	if first == nil && i != len(b.steps) {
		fail(fmt.Errorf("%d results for %d statements", i, len(b.steps)), false)
	}
	return first
}

// row reads the values of one result row in column order, text format unless said otherwise.
// The first problem (a missing column, a NULL where none may be, a value that does not
// parse) is kept, reported by done, and makes later reads return zero values.
type row struct {
	values [][]byte
	next   int
	err    error
}

// value returns the next column's raw value, nil for NULL; ok is false after a problem.
func (r *row) value() (v []byte, ok bool) {
	if r.err != nil {
		return nil, false
	}
	if r.next >= len(r.values) {
		r.err = fmt.Errorf("the result has %d columns, fewer than expected", len(r.values))
		return nil, false
	}
	r.next++
	return r.values[r.next-1], true
}

func (r *row) fail(what string) {
	if r.err == nil {
		r.err = fmt.Errorf("column %d: %s", r.next, what)
	}
}

// notNull returns the next column's value, failing on NULL.
func (r *row) notNull() ([]byte, bool) {
	v, ok := r.value()
	if ok && v == nil {
		r.fail("unexpected NULL")
		return nil, false
	}
	return v, ok
}

func (r *row) text() string {
	v, _ := r.notNull()
	return string(v)
}

func (r *row) textPtr() *string {
	v, ok := r.value()
	if !ok || v == nil {
		return nil
	}
	s := string(v)
	return &s
}

func (r *row) int8() int64 {
	v, ok := r.notNull()
	if !ok {
		return 0
	}
	return r.parseInt(v)
}

func (r *row) int8Ptr() *int64 {
	v, ok := r.value()
	if !ok || v == nil {
		return nil
	}
	n := r.parseInt(v)
	return &n
}

func (r *row) parseInt(v []byte) int64 {
	n, err := strconv.ParseInt(string(v), 10, 64)
	if err != nil {
		r.fail("not an integer")
	}
	return n
}

func (r *row) bool() bool {
	v, ok := r.notNull()
	if !ok {
		return false
	}
	return r.parseBool(v)
}

func (r *row) boolPtr() *bool {
	v, ok := r.value()
	if !ok || v == nil {
		return nil
	}
	b := r.parseBool(v)
	return &b
}

func (r *row) parseBool(v []byte) bool {
	switch string(v) {
	case "t":
		return true
	case "f":
		return false
	}
	r.fail("not a boolean")
	return false
}

// bytes returns a copy of a NOT NULL column read in any format, never nil.
func (r *row) bytes() []byte {
	v, _ := r.notNull()
	return append([]byte{}, v...)
}

// done reports the first problem, or that columns were left unread.
func (r *row) done() error {
	if r.err == nil && r.next != len(r.values) {
		r.err = fmt.Errorf("the result has %d columns, more than expected", len(r.values))
	}
	return r.err
}

// sqlstateDivisionByZero is the error updateGuarded's guard raises.
const sqlstateDivisionByZero = "22012"

// errTxRolledBack is returned when COMMIT ended a transaction the server had already aborted.
var errTxRolledBack = errors.New("commit unexpectedly resulted in rollback")

// Transaction control outside a save's batches runs as simple queries, spelt as pgx spelt them
// ("begin", "commit", "rollback"); a save sends "begin" and "commit" inside its batches (the
// end-to-end fault tests cut a connection just before "commit" either way). A transaction that does not commit ends in rollback; when even that fails, or
// ctx has ended, the connection is left inside the transaction and the pool closes it on
// release, which makes the server roll it back.

func begin(ctx context.Context, conn *pgconn.PgConn) error {
	_, err := conn.Exec(ctx, "begin").ReadAll()
	return err
}

func commit(ctx context.Context, conn *pgconn.PgConn) error {
	results, err := conn.Exec(ctx, "commit").ReadAll()
	if err != nil {
		return err
	}
	if len(results) == 1 && results[0].CommandTag.String() == "ROLLBACK" {
		return errTxRolledBack
	}
	return nil
}

// rollback ends the transaction on conn, if one is open; see above.
func rollback(ctx context.Context, conn *pgconn.PgConn) {
	if conn.IsClosed() || conn.TxStatus() == 'I' || ctx.Err() != nil {
		return
	}
	conn.Exec(ctx, "rollback").ReadAll()
}
