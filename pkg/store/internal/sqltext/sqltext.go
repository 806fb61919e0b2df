// Package sqltext writes the SQL every SQL backend runs for the projection, from the
// callback package's table descriptors: reading and writing a row by its key, a room's rows,
// and the room's archived events an ArchiveQuery selects. The dialects differ only in their
// placeholders and in how a list column is read back; everything else is written once here.
package sqltext

import (
	"strconv"
	"strings"

	"github.com/roomhook/roomhook/pkg/callback"
)

// Dialect is what sets one SQL dialect's text apart.
type Dialect struct {
	// Placeholder is the n-th parameter (from 1): "?" or "$n".
	Placeholder func(n int) string
	// Numbered says a placeholder names its parameter, so one may appear twice ($n); otherwise
	// a parameter used twice is passed twice.
	Numbered bool
	// Read is the expression a SELECT reads column c with (a JSONB list as text, say); nil: its name.
	Read func(c callback.Column) string
}

// Question is the dialect of SQLite and MySQL: "?" placeholders, columns read as they are.
var Question = Dialect{Placeholder: func(int) string { return "?" }}

// Dollar is PostgreSQL's: "$n" placeholders, lists (JSONB) read as text.
var Dollar = Dialect{
	Placeholder: func(n int) string { return "$" + strconv.Itoa(n) },
	Numbered:    true,
	Read: func(c callback.Column) string {
		if c.Kind == callback.KindList || c.Kind == callback.KindInts {
			return c.Name + "::text"
		}
		return c.Name
	},
}

// Statements are the texts of one table's rows. Get and Room take the key's values (Room:
// sdk_app_id and room_id); Insert every column's in table order; Update the non-key columns'
// in table order, then the key's.
type Statements struct {
	Get, Room, Insert, Update string
}

// Statements returns t's texts in d.
func (d Dialect) Statements(t *callback.Table) Statements {
	names := t.Names()
	read := make([]string, len(names))
	for i, c := range t.Columns {
		read[i] = c.Name
		if d.Read != nil {
			read[i] = d.Read(c)
		}
	}
	where := func(first, n int) string {
		conds := make([]string, n)
		for i := range n {
			conds[i] = names[i] + " = " + d.Placeholder(first+i)
		}
		return strings.Join(conds, " AND ")
	}
	values := make([]string, len(names))
	for i := range names {
		values[i] = d.Placeholder(i + 1)
	}
	set := make([]string, 0, len(names)-t.Key)
	for i, n := range names[t.Key:] {
		set = append(set, n+" = "+d.Placeholder(i+1))
	}
	selectFrom := `SELECT ` + strings.Join(read, ", ") + ` FROM ` + t.Name + ` WHERE `
	return Statements{
		Get:    selectFrom + where(1, t.Key),
		Room:   selectFrom + where(1, 2),
		Insert: `INSERT INTO ` + t.Name + ` (` + strings.Join(names, ", ") + `) VALUES (` + strings.Join(values, ", ") + `)`,
		Update: `UPDATE ` + t.Name + ` SET ` + strings.Join(set, ", ") + ` WHERE ` + where(len(set)+1, t.Key),
	}
}

// Archive returns the SELECT of the room's archived events q selects, and its parameters
// (int64 and string values). It reads callback_command, event_time, body_sha256 and raw_body,
// and uses the archive key's index (sdk_app_id, room_id, callback_command, event_time,
// body_sha256).
func (d Dialect) Archive(app int64, room string, q callback.ArchiveQuery) (string, []any) {
	return d.archive(nil, app, room, q)
}

// ArchiveUnion returns one SELECT of the events each of qs selects, as Archive's, with a first
// column telling which query (0, 1, …) selected the row: the reads of one save in one round
// trip.
func (d Dialect) ArchiveUnion(app int64, room string, qs []callback.ArchiveQuery) (string, []any) {
	var (
		text strings.Builder
		args []any
	)
	for i, q := range qs {
		if i > 0 {
			text.WriteString(" UNION ALL ")
		}
		var one string
		one, args = d.archive(args, app, room, q)
		text.WriteString(strings.Replace(one, "SELECT ", "SELECT "+strconv.Itoa(i)+" AS q, ", 1))
	}
	return text.String(), args
}

// archive is Archive's SELECT, its parameters appended to args (placeholders numbered after
// them).
func (d Dialect) archive(args []any, app int64, room string, q callback.ArchiveQuery) (string, []any) {
	first := len(args)
	args = append(args, app, room)
	next := func(v any) string {
		args = append(args, v)
		return d.Placeholder(len(args))
	}
	var where strings.Builder
	where.WriteString(`sdk_app_id = ` + d.Placeholder(first+1) + ` AND room_id = ` + d.Placeholder(first+2) + ` AND callback_command IN (`)
	for i, c := range q.Commands {
		if i > 0 {
			where.WriteString(", ")
		}
		where.WriteString(next(c))
	}
	if len(q.Commands) == 0 {
		where.WriteString("NULL")
	}
	where.WriteString(`) AND event_time IS NOT NULL`)
	if q.From != 0 {
		where.WriteString(` AND event_time >= ` + next(q.From))
	}
	if q.To != 0 {
		where.WriteString(` AND event_time <= ` + next(q.To))
	}
	cond := where.String()
	text := `SELECT callback_command, event_time, body_sha256, raw_body FROM callback_events WHERE ` + cond
	if q.Newest {
		text += ` AND event_time = (SELECT MAX(event_time) FROM callback_events WHERE ` + cond + `)`
		if !d.Numbered {
			args = append(args, args[first:]...)
		}
	}
	return text, args
}

// Constraints is what follows column c's type in its definition: NULL or NOT NULL, then its
// CHECKs — 0 or 1 for a boolean stored as an integer (boolAsInt), the dialect's own check
// (extra, "" for none), the values the domain allows (c.Values).
func Constraints(c callback.Column, boolAsInt bool, extra string) string {
	def := " NOT NULL"
	if c.Nullable {
		def = " NULL"
	}
	if boolAsInt && c.Kind == callback.KindBool {
		def += " CHECK (" + c.Name + " IN (0, 1))"
	}
	if extra != "" {
		def += " CHECK (" + extra + ")"
	}
	if len(c.Values) > 0 {
		quoted := make([]string, len(c.Values))
		for i, v := range c.Values {
			quoted[i] = "'" + strings.ReplaceAll(v, "'", "''") + "'"
		}
		def += " CHECK (" + c.Name + " IN (" + strings.Join(quoted, ", ") + "))"
	}
	return def
}
