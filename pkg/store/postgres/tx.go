package postgres

import (
	"context"
	"encoding/json"
	"fmt"
	"strconv"
	"sync"

	"github.com/jackc/pgx/v5/pgconn"

	"github.com/roomhook/roomhook/pkg/callback"
	"github.com/roomhook/roomhook/pkg/store/internal/sqlrows"
	"github.com/roomhook/roomhook/pkg/store/internal/sqltext"
)

// roomTx is the projection's callback.Tx on a connection inside Save's transaction, for one
// room. Save holds the room's advisory lock for the whole transaction; roomTx only reads and
// writes rows. Its errors are *stepError, masked by Save.
type roomTx struct {
	conn *pgconn.PgConn
	app  int64
	room string
	// writes, when set, holds Put's statements until commit sends them with the COMMIT, in one
	// round trip; nil, Put writes at once. The projection reads nothing after it puts.
	writes *batch
}

var _ callback.BatchTx = (*roomTx)(nil)

// commit sends the queued writes and COMMIT in one round trip. Every check of a write is the
// server's (a failed INSERT, updateGuarded's guard), so a failed write makes the server skip the
// COMMIT, and the caller's rollback ends the transaction.
func (x *roomTx) commit(ctx context.Context) error {
	if x.writes == nil || x.writes.len() == 0 {
		if err := commit(ctx, x.conn); err != nil {
			return &stepError{": commit", err}
		}
		return nil
	}
	x.writes.add(": commit", "commit", nil, nil, nil, func(tag pgconn.CommandTag) error {
		if tag.String() == "ROLLBACK" {
			return errTxRolledBack
		}
		return nil
	})
	return x.writes.run(ctx, x.conn)
}

// updateGuarded wraps an UPDATE of one row by its key so that it fails on the server, with a
// division by zero (run maps it back to "0 rows written"), when it updates no row.
func updateGuarded(update string) string {
	return `WITH w AS (` + update + ` RETURNING 1) SELECT 1 / count(*) FROM w`
}

// ReadAll makes reads in one round trip.
func (x *roomTx) ReadAll(ctx context.Context, reads []*callback.Read) error {
	b := &batch{}
	for _, r := range reads {
		switch {
		case r.Archive != nil:
			sql, p := archiveQuery(x.app, x.room, *r.Archive)
			r.Archived = nil
			b.add(": read the archive", sql, p, archivedResultFormats, func(w *row) error {
				r.Archived = append(r.Archived, scanArchived(w))
				return nil
			}, nil)
		case r.Key != nil:
			p, err := keyParams(r.Table, r.Key)
			if err != nil {
				return err
			}
			r.Row = nil
			b.add(": read "+r.Table.Name, statementsOf(r.Table).Get, p, nil, func(w *row) error {
				r.Row = scanRow(r.Table, w)
				return nil
			}, nil)
		default:
			r.Rows = nil
			b.add(": read "+r.Table.Name, statementsOf(r.Table).Room, roomParams(x.app, x.room), nil, func(w *row) error {
				r.Rows = append(r.Rows, scanRow(r.Table, w))
				return nil
			}, nil)
		}
	}
	return b.run(ctx, x.conn)
}

// keyParams are the parameters of t's Get for key.
func keyParams(t *callback.Table, key callback.Row) (*params, error) {
	if len(key) != t.Key {
		return nil, &stepError{": read " + t.Name, fmt.Errorf("a key of %d values, want %d", len(key), t.Key)}
	}
	if err := checkRowText(t, key); err != nil { // the key's columns come first
		return nil, &stepError{": read " + t.Name, err}
	}
	p := &params{}
	for i, v := range key {
		if err := p.value(t, t.Columns[i], v); err != nil {
			return nil, &stepError{": read " + t.Name, err}
		}
	}
	return p, nil
}

// Get returns the row of t with key, or nil.
func (x *roomTx) Get(ctx context.Context, t *callback.Table, key callback.Row) (callback.Row, error) {
	p, err := keyParams(t, key)
	if err != nil {
		return nil, err
	}
	rows, err := readRows(ctx, x.conn, t, statementsOf(t).Get, p)
	if err != nil || len(rows) == 0 {
		return nil, err
	}
	return rows[0], nil
}

// RoomRows returns every row of t of the room.
func (x *roomTx) RoomRows(ctx context.Context, t *callback.Table) ([]callback.Row, error) {
	return readRows(ctx, x.conn, t, statementsOf(t).Room, roomParams(x.app, x.room))
}

// Put inserts row (old == nil) or replaces every column of the stored row old, found by key.
func (x *roomTx) Put(ctx context.Context, t *callback.Table, old, row callback.Row) error {
	fail := func(err error) error { return &stepError{": write " + t.Name, err} }
	if len(row) != len(t.Columns) {
		return fail(fmt.Errorf("a row of %d values, want %d", len(row), len(t.Columns)))
	}
	if err := checkRowText(t, row); err != nil {
		return fail(err)
	}
	st := statementsOf(t)
	sql, first := st.Insert, 0
	if old != nil {
		// SET the columns after the key ($1 …), WHERE the key (the last parameters).
		sql, first = st.Update, t.Key
	}
	p := &params{}
	for k := range row {
		i := (first + k) % len(row)
		if err := p.value(t, t.Columns[i], row[i]); err != nil {
			return fail(err)
		}
	}
	check := func(tag pgconn.CommandTag) error {
		if tag.RowsAffected() != 1 {
			return fmt.Errorf("%d rows written, want 1", tag.RowsAffected())
		}
		return nil
	}
	if x.writes != nil {
		// Sent with the COMMIT, the write must fail on the server when it changes no row, or
		// the COMMIT would run: an UPDATE is guarded (an INSERT writes its row or fails).
		if old != nil {
			x.writes.add(": write "+t.Name, updateGuarded(sql), p, nil, nil, nil)
		} else {
			x.writes.add(": write "+t.Name, sql, p, nil, nil, check)
		}
		return nil
	}
	tag, err := exec(ctx, x.conn, sql, p)
	if err == nil {
		err = check(tag)
	}
	if err != nil {
		return fail(err)
	}
	return nil
}

// Archived returns the room's archived events that match q.
func (x *roomTx) Archived(ctx context.Context, q callback.ArchiveQuery) ([]callback.Archived, error) {
	sql, p := archiveQuery(x.app, x.room, q)
	var out []callback.Archived
	err := query(ctx, x.conn, sql, p, archivedResultFormats, func(r *row) error {
		out = append(out, scanArchived(r))
		return nil
	})
	if err != nil {
		return nil, &stepError{": read the archive", err}
	}
	return out, nil
}

// scanArchived reads an archived event (archiveQuery's columns).
func scanArchived(r *row) callback.Archived {
	return callback.Archived{Command: r.text(), EventTime: r.int8(), Digest: r.text(), Raw: r.bytes()}
}

// archivedResultFormats reads raw_body in binary, the rest as text.
var archivedResultFormats = []int16{formatText, formatText, formatText, formatBinary}

// archiveQuery returns the SELECT of the room's archived events that match q
// (sqltext.Dollar), and its parameters.
func archiveQuery(app int64, room string, q callback.ArchiveQuery) (string, *params) {
	text, args := sqltext.Dollar.Archive(app, room, q)
	p := &params{}
	for _, v := range args {
		switch v := v.(type) {
		case int64:
			p.int8(v)
		case string:
			p.text(v)
		}
	}
	return text, p
}

// roomParams are the parameters $1, $2 of a statement on one room.
func roomParams(app int64, room string) *params {
	p := &params{}
	p.int8(app)
	p.text(room)
	return p
}

// readRows runs a SELECT of t's columns (statements' get or room) and decodes its rows.
func readRows(ctx context.Context, conn *pgconn.PgConn, t *callback.Table, sql string, p *params) ([]callback.Row, error) {
	var out []callback.Row
	err := query(ctx, conn, sql, p, nil, func(r *row) error {
		out = append(out, scanRow(t, r))
		return nil
	})
	if err != nil {
		return nil, &stepError{": read " + t.Name, err}
	}
	return out, nil
}

// scanRow reads a row of t (every column, in order).
func scanRow(t *callback.Table, r *row) callback.Row {
	v := make(callback.Row, len(t.Columns))
	for i, c := range t.Columns {
		v[i] = r.column(t, c)
	}
	return v
}

// column reads the next column as a value of c's kind: nil for NULL, a string, an int64, a
// bool, a []string or a []int64 (lists read as JSONB's text, sqltext.Dollar). A NULL in a
// column that is not nullable is a problem.
func (r *row) column(t *callback.Table, c callback.Column) any {
	v, ok := r.value()
	if !ok {
		return nil
	}
	if v == nil {
		if !c.Nullable {
			r.fail(t.Name + "." + c.Name + ": unexpected NULL")
		}
		return nil
	}
	switch c.Kind {
	case callback.KindText:
		return string(v)
	case callback.KindInt:
		return r.parseInt(v)
	case callback.KindBool:
		return r.parseBool(v)
	case callback.KindList:
		var list []string
		if err := json.Unmarshal(v, &list); err != nil {
			r.fail(t.Name + "." + c.Name + " is not a JSON array of strings")
			return nil
		}
		if list == nil {
			list = []string{} // a stored [] is an empty list, not an absent one
		}
		return list
	case callback.KindInts:
		list, err := sqlrows.UnmarshalInts(string(v)) // a stored [] is an empty list, not nil
		if err != nil {
			r.fail(t.Name + "." + c.Name + " is " + err.Error())
			return nil
		}
		return list
	}
	r.fail(t.Name + "." + c.Name + ": unknown kind")
	return nil
}

// value adds v as the parameter of column c of t, typed by c's kind: nil is NULL, a list (of
// strings or of integers) is JSON text typed jsonb.
func (p *params) value(t *callback.Table, c callback.Column, v any) error {
	misfit := func() error {
		return fmt.Errorf("%s.%s: a value of type %T does not fit", t.Name, c.Name, v)
	}
	if v == nil {
		if !c.Nullable {
			return misfit()
		}
		p.add(nil, kindOIDs[c.Kind], formatText)
		return nil
	}
	switch c.Kind {
	case callback.KindText:
		s, ok := v.(string)
		if !ok {
			return misfit()
		}
		p.text(s)
	case callback.KindInt:
		n, ok := v.(int64)
		if !ok {
			return misfit()
		}
		p.int8(n)
	case callback.KindBool:
		b, ok := v.(bool)
		if !ok {
			return misfit()
		}
		p.boolPtr(&b)
	case callback.KindList:
		list, ok := v.([]string)
		if !ok {
			return misfit()
		}
		s, err := sqlrows.MarshalAccounts(list)
		if err != nil {
			return fmt.Errorf("%s.%s: %w", t.Name, c.Name, err)
		}
		p.jsonbPtr(&s)
	case callback.KindInts:
		list, ok := v.([]int64)
		if !ok {
			return misfit()
		}
		s := sqlrows.MarshalInts(list)
		p.jsonbPtr(&s)
	default:
		return misfit()
	}
	return nil
}

// kindOIDs are the parameter types of each kind of value: an array indexed by kind, static
// data, where a map would be built by package init, which runs at every cold start, for every
// backend linked.
var kindOIDs = [...]uint32{
	callback.KindText: oidText,
	callback.KindInt:  oidInt8,
	callback.KindBool: oidBool,
	callback.KindList: oidJSONB,
	callback.KindInts: oidJSONB,
}

// tableStatements holds the statements of callback.Tables, built on first use and only read
// after: not at package init, which runs at every cold start, for every backend linked.
var tableStatements = sync.OnceValue(func() map[*callback.Table]sqltext.Statements {
	m := make(map[*callback.Table]sqltext.Statements, len(callback.Tables))
	for _, t := range callback.Tables {
		m[t] = sqltext.Dollar.Statements(t)
	}
	return m
})

func statementsOf(t *callback.Table) sqltext.Statements {
	if st, ok := tableStatements()[t]; ok {
		return st
	}
	return sqltext.Dollar.Statements(t)
}

// placeholder is the n-th parameter, $n.
func placeholder(n int) string { return "$" + strconv.Itoa(n) }
