package sqlrows

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"sync"

	"github.com/roomhook/roomhook/pkg/callback"
	"github.com/roomhook/roomhook/pkg/store/internal/sqltext"
)

// Conn is what Tx needs of a *sql.Tx (or of a wrapper that prepares statements once).
type Conn interface {
	ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error)
	QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error)
}

// Tx is a callback.Tx on a database/sql transaction, for the backends that speak "?"
// placeholders and store booleans as 0/1 and lists as JSON text (sqlite, mysql). The backend
// begins the transaction and holds the room locked; Tx only reads and writes rows.
type Tx struct {
	Conn Conn
	// Backend is the prefix of error messages ("sqlite", "mysql"); empty, the messages have
	// none, for a caller that wraps them in its own ("sqlite: save: …").
	Backend string
	App     int64
	Room    string
}

var _ callback.BatchTx = (*Tx)(nil)

// ReadAll makes reads: the archive reads as one SELECT (sqltext's ArchiveUnion), the others one
// statement each. On a server that is one round trip for a save's archive reads instead of one
// each.
func (x *Tx) ReadAll(ctx context.Context, reads []*callback.Read) error {
	var archive []*callback.Read
	for _, r := range reads {
		if r.Archive != nil {
			archive = append(archive, r)
			continue
		}
		if err := callback.ReadOne(ctx, x, r); err != nil {
			return err
		}
	}
	if len(archive) == 1 {
		return callback.ReadOne(ctx, x, archive[0])
	}
	if len(archive) == 0 {
		return nil
	}
	qs := make([]callback.ArchiveQuery, len(archive))
	for i, r := range archive {
		qs[i] = *r.Archive
		r.Archived = nil
	}
	query, args := sqltext.Question.ArchiveUnion(x.App, x.Room, qs)
	rows, err := x.Conn.QueryContext(ctx, query, args...)
	if err != nil {
		return x.errorf("read the archive: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var (
			i int
			a callback.Archived
		)
		if err := rows.Scan(&i, &a.Command, &a.EventTime, &a.Digest, &a.Raw); err != nil {
			return x.errorf("read the archive: %w", err)
		}
		if i < 0 || i >= len(archive) {
			return x.errorf("read the archive: a row of query %d of %d", i, len(archive))
		}
		archive[i].Archived = append(archive[i].Archived, a)
	}
	if err := rows.Err(); err != nil {
		return x.errorf("read the archive: %w", err)
	}
	return nil
}

// Get returns the row of t with key, or nil.
func (x *Tx) Get(ctx context.Context, t *callback.Table, key callback.Row) (callback.Row, error) {
	rows, err := x.query(ctx, t, statementsOf(t).Get, valuesOf(t, key)...)
	if err != nil || len(rows) == 0 {
		return nil, err
	}
	return rows[0], nil
}

// RoomRows returns every row of t of the room.
func (x *Tx) RoomRows(ctx context.Context, t *callback.Table) ([]callback.Row, error) {
	return x.query(ctx, t, statementsOf(t).Room, x.App, x.Room)
}

// Put inserts row (old == nil) or replaces the stored row old.
func (x *Tx) Put(ctx context.Context, t *callback.Table, old, row callback.Row) error {
	st := statementsOf(t)
	args := valuesOf(t, row)
	q := st.Insert
	if old != nil {
		q = st.Update
		args = append(args[t.Key:], args[:t.Key]...) // SET the columns, WHERE the key
	}
	if _, err := x.Conn.ExecContext(ctx, q, args...); err != nil {
		return x.errorf("write %s: %w", t.Name, err)
	}
	return nil
}

// Archived returns the room's archived events that match q.
func (x *Tx) Archived(ctx context.Context, q callback.ArchiveQuery) ([]callback.Archived, error) {
	query, args := ArchiveQuery(x.App, x.Room, q)
	rows, err := x.Conn.QueryContext(ctx, query, args...)
	if err != nil {
		return nil, x.errorf("read the archive: %w", err)
	}
	defer rows.Close()
	var out []callback.Archived
	for rows.Next() {
		var a callback.Archived
		if err := rows.Scan(&a.Command, &a.EventTime, &a.Digest, &a.Raw); err != nil {
			return nil, x.errorf("read the archive: %w", err)
		}
		out = append(out, a)
	}
	if err := rows.Err(); err != nil {
		return nil, x.errorf("read the archive: %w", err)
	}
	return out, nil
}

// ArchiveQuery returns the SELECT of the room's archived events that match q, with "?"
// placeholders, and its arguments (sqltext.Question).
func ArchiveQuery(app int64, room string, q callback.ArchiveQuery) (string, []any) {
	return sqltext.Question.Archive(app, room, q)
}

// Rows reads the rows of t of one room through db (the Reader's Rows).
func Rows(ctx context.Context, db Queryer, backend string, t *callback.Table, app int64, room string) ([]callback.Row, error) {
	x := &Tx{Conn: queryOnly{db}, Backend: backend, App: app, Room: room}
	return x.RoomRows(ctx, t)
}

// queryOnly lets a Queryer serve as a Conn for reads.
type queryOnly struct{ Queryer }

func (queryOnly) ExecContext(context.Context, string, ...any) (sql.Result, error) {
	panic("sqlrows: a reader does not write")
}

// errorf is fmt.Errorf with the Backend prefix, when there is one.
func (x *Tx) errorf(format string, args ...any) error {
	err := fmt.Errorf(format, args...)
	if x.Backend != "" {
		err = fmt.Errorf("%s: %w", x.Backend, err)
	}
	return err
}

func (x *Tx) query(ctx context.Context, t *callback.Table, q string, args ...any) ([]callback.Row, error) {
	out, err := queryRows(ctx, x.Conn, t, q, args...)
	if err != nil {
		return nil, x.errorf("read %s: %w", t.Name, err)
	}
	return out, nil
}

// querier is the part of a Conn or a Queryer queryRows needs.
type querier interface {
	QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error)
}

// queryRows runs q, a SELECT of every column of t in order, and decodes its rows (scanRow). Its
// errors say nothing of t or of the backend: the caller says what it was reading.
func queryRows(ctx context.Context, db querier, t *callback.Table, q string, args ...any) ([]callback.Row, error) {
	rows, err := db.QueryContext(ctx, q, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []callback.Row
	for rows.Next() {
		row, err := scanRow(t, rows)
		if err != nil {
			return nil, err
		}
		out = append(out, row)
	}
	if err := rows.Err(); err != nil {
		return nil, err
	}
	return out, nil
}

// scanRow reads one row of t, converting each column by its kind.
func scanRow(t *callback.Table, rows *sql.Rows) (callback.Row, error) {
	dest := make([]any, len(t.Columns))
	texts := make([]sql.NullString, len(t.Columns))
	ints := make([]sql.NullInt64, len(t.Columns))
	for i, c := range t.Columns {
		switch c.Kind {
		case callback.KindText, callback.KindList, callback.KindInts:
			dest[i] = &texts[i]
		default:
			dest[i] = &ints[i]
		}
	}
	if err := rows.Scan(dest...); err != nil {
		return nil, err
	}
	row := make(callback.Row, len(t.Columns))
	for i, c := range t.Columns {
		switch c.Kind {
		case callback.KindText:
			if texts[i].Valid {
				row[i] = texts[i].String
			}
		case callback.KindList:
			if texts[i].Valid {
				var list []string
				if err := json.Unmarshal([]byte(texts[i].String), &list); err != nil {
					return nil, fmt.Errorf("%s is not a JSON array of strings: %w", c.Name, err)
				}
				if list == nil {
					list = []string{} // a stored "[]" is an empty list, not an absent one
				}
				row[i] = list
			}
		case callback.KindInts:
			if texts[i].Valid {
				list, err := UnmarshalInts(texts[i].String)
				if err != nil {
					return nil, fmt.Errorf("%s: %w", c.Name, err)
				}
				row[i] = list
			}
		case callback.KindInt:
			if ints[i].Valid {
				row[i] = ints[i].Int64
			}
		case callback.KindBool:
			if ints[i].Valid {
				row[i] = ints[i].Int64 != 0
			}
		}
	}
	return row, nil
}

// valuesOf returns row's values as the driver binds them: bools as 0/1, lists as JSON text.
func valuesOf(t *callback.Table, row callback.Row) []any {
	args := make([]any, len(row))
	for i, v := range row {
		switch v := v.(type) {
		case bool:
			if v {
				args[i] = int64(1)
			} else {
				args[i] = int64(0)
			}
		case []string:
			s, err := MarshalAccounts(v)
			if err != nil {
				panic(err) // a []string always encodes
			}
			args[i] = s
		case []int64:
			args[i] = MarshalInts(v)
		default:
			args[i] = v
		}
	}
	return args
}

var cache sync.Map // *callback.Table → sqltext.Statements

// statementsOf returns t's statements in the "?" dialect, built once.
func statementsOf(t *callback.Table) sqltext.Statements {
	if st, ok := cache.Load(t); ok {
		return st.(sqltext.Statements)
	}
	st, _ := cache.LoadOrStore(t, sqltext.Question.Statements(t))
	return st.(sqltext.Statements)
}

// Prepared is a Conn on tx that prepares each text once: a migration's refold writes the rows of
// every room with a few shapes of statement, which the driver would otherwise prepare and close
// for every row. Its statements end with tx.
type Prepared struct {
	tx     *sql.Tx
	byText map[string]*sql.Stmt
}

// NewPrepared returns a Prepared on tx.
func NewPrepared(tx *sql.Tx) *Prepared { return &Prepared{tx: tx, byText: map[string]*sql.Stmt{}} }

func (p *Prepared) stmt(ctx context.Context, query string) (*sql.Stmt, error) {
	if st, ok := p.byText[query]; ok {
		return st, nil
	}
	st, err := p.tx.PrepareContext(ctx, query)
	if err != nil {
		return nil, err
	}
	p.byText[query] = st
	return st, nil
}

// ExecContext runs query's prepared statement.
func (p *Prepared) ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error) {
	st, err := p.stmt(ctx, query)
	if err != nil {
		return nil, err
	}
	return st.ExecContext(ctx, args...)
}

// QueryContext runs query's prepared statement.
func (p *Prepared) QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error) {
	st, err := p.stmt(ctx, query)
	if err != nil {
		return nil, err
	}
	return st.QueryContext(ctx, args...)
}
