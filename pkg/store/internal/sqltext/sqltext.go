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
	// Bytewise is the expression that orders a text column byte by byte, as Go's strings
	// compare (Lister's order of the gifts of one millisecond), whatever the column's collation.
	Bytewise func(column string) string
}

// Question is the dialect of SQLite and MySQL: "?" placeholders, columns read as they are.
// Its Bytewise is SQLite's: the BINARY collation, which roomhook's SQLite columns have already;
// naming it states the order in the statement rather than leaning on how a column was declared
// (an ORDER BY uses the column's collation), and costs nothing where it is used: an ORDER BY no
// index serves anyway. MySQL has no BINARY collation for utf8mb4 text, hence the MySQL dialect.
var Question = Dialect{
	Placeholder: question,
	Bytewise:    func(column string) string { return column + " COLLATE BINARY" },
}

// MySQL is Question for MySQL and MariaDB where an order must be byte order: Bytewise compares
// the column's bytes (CAST … AS BINARY). roomhook's tables use a byte-exact utf8mb4 collation,
// which orders valid UTF-8 as its bytes do; the cast, as Question's COLLATE BINARY, states the
// order in the statement.
var MySQL = Dialect{
	Placeholder: question,
	Bytewise:    func(column string) string { return "CAST(" + column + " AS BINARY)" },
}

func question(int) string { return "?" }

// Dollar is PostgreSQL's: "$n" placeholders, lists (JSONB) read as text, text ordered byte by
// byte in the "C" collation (the database's default is usually a language's).
var Dollar = Dialect{
	Placeholder: func(n int) string { return "$" + strconv.Itoa(n) },
	Numbered:    true,
	Read: func(c callback.Column) string {
		if c.Kind == callback.KindList || c.Kind == callback.KindInts {
			return c.Name + "::text"
		}
		return c.Name
	},
	Bytewise: func(column string) string { return column + ` COLLATE "C"` },
}

// Statements are the texts of one table's rows. Get and Room take the key's values (Room:
// sdk_app_id and room_id); App takes sdk_app_id alone (every row of one app, a range of the
// primary key's prefix); Insert every column's in table order; Update the non-key columns'
// in table order, then the key's.
type Statements struct {
	Get, Room, App, Insert, Update string
}

// Statements returns t's texts in d.
func (d Dialect) Statements(t *callback.Table) Statements {
	names := t.Names()
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
	selectFrom := d.selectFrom(t)
	return Statements{
		Get:    selectFrom + where(1, t.Key),
		Room:   selectFrom + where(1, 2),
		App:    selectFrom + where(1, 1),
		Insert: `INSERT INTO ` + t.Name + ` (` + strings.Join(names, ", ") + `) VALUES (` + strings.Join(values, ", ") + `)`,
		Update: `UPDATE ` + t.Name + ` SET ` + strings.Join(set, ", ") + ` WHERE ` + where(len(set)+1, t.Key),
	}
}

// selectFrom is "SELECT every column of t, in order, as d reads it, FROM t WHERE ".
func (d Dialect) selectFrom(t *callback.Table) string {
	read := make([]string, len(t.Columns))
	for i, c := range t.Columns {
		read[i] = c.Name
		if d.Read != nil {
			read[i] = d.Read(c)
		}
	}
	return `SELECT ` + strings.Join(read, ", ") + ` FROM ` + t.Name + ` WHERE `
}

// Archive returns the SELECT of the room's archived events q selects, and its parameters
// (int64 and string values). It reads callback_command, event_time, body_sha256 and raw_body.
//
// It is one branch per command, joined by UNION ALL, each with the archive key's prefix
// (sdk_app_id, room_id, callback_command) as equalities: every branch is a range of the key's
// index whatever the planner knows. (With callback_command IN (…), PostgreSQL without table
// statistics used the index for the room alone and filtered the commands row by row: a save of
// a room with 10,000 archived member states read all of them to find its destroys.)
func (d Dialect) Archive(app int64, room string, q callback.ArchiveQuery) (string, []any) {
	return d.archive(nil, app, room, q, "")
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
		one, args = d.archive(args, app, room, q, strconv.Itoa(i)+" AS q, ")
		text.WriteString(one)
	}
	return text.String(), args
}

// archiveColumns are what an archive read returns of each event.
const archiveColumns = `callback_command, event_time, body_sha256, raw_body`

// archive is Archive's SELECT, its parameters appended to args (placeholders numbered after
// them); tag, when not empty, is the first column of every branch ("0 AS q, ").
func (d Dialect) archive(args []any, app int64, room string, q callback.ArchiveQuery, tag string) (string, []any) {
	// ref is the placeholder of a parameter: a numbered dialect names each value once (named
	// by key) and refers to it again; "?" takes it again each time.
	refs := map[string]string{}
	ref := func(key string, v any) string {
		if r, ok := refs[key]; ok && d.Numbered {
			return r
		}
		args = append(args, v)
		refs[key] = d.Placeholder(len(args))
		return refs[key]
	}
	cond := func(command string) string {
		c := `sdk_app_id = ` + ref("app", app) + ` AND room_id = ` + ref("room", room) +
			` AND callback_command = ` + ref("command "+command, command) + ` AND event_time IS NOT NULL`
		if q.From != 0 {
			c += ` AND event_time >= ` + ref("from", q.From)
		}
		if q.To != 0 {
			c += ` AND event_time <= ` + ref("to", q.To)
		}
		return c
	}
	if len(q.Commands) == 0 {
		return `SELECT ` + tag + archiveColumns + ` FROM callback_events WHERE 1 = 0`, args
	}
	// newest is the greatest EventTime of the selected events: the greatest of each command's,
	// each found at the end of its range of the index.
	newest := func() string {
		maxes := make([]string, len(q.Commands))
		for i, c := range q.Commands {
			maxes[i] = `SELECT MAX(event_time) AS t FROM callback_events WHERE ` + cond(c)
		}
		return `(SELECT MAX(t) FROM (` + strings.Join(maxes, ` UNION ALL `) + `) newest)`
	}
	branches := make([]string, len(q.Commands))
	for i, c := range q.Commands {
		b := `SELECT ` + tag + archiveColumns + ` FROM callback_events WHERE ` + cond(c)
		if q.Newest {
			b += ` AND event_time = ` + newest()
		}
		branches[i] = b
	}
	return strings.Join(branches, ` UNION ALL `), args
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
