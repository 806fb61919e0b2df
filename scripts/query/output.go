package main

import (
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"
	"unicode/utf8"

	"github.com/roomhook/roomhook/pkg/callback"
)

// writer prints what a command found: tables for people, or JSON lines.
type writer interface {
	view(v view) error
	// record prints the rooms row of one room (rows holds it, or nothing).
	record(t *callback.Table, rows []callback.Row, room string) error
	events(evs []callback.Event) error
}

// jsonWriter prints one JSON object per row: "table", then every column of the row's table by
// its name, in the table's order, with its stored value (times in Unix milliseconds or seconds
// as stored, lists as arrays, NULL as null).
type jsonWriter struct{ w *bufio.Writer }

func (j *jsonWriter) view(v view) error {
	for _, r := range v.rows {
		if err := j.line(v.table.Name, v.table.Names(), r); err != nil {
			return err
		}
	}
	return nil
}

func (j *jsonWriter) record(t *callback.Table, rows []callback.Row, _ string) error {
	return j.view(view{table: t, rows: rows})
}

func (j *jsonWriter) events(evs []callback.Event) error {
	for _, ev := range evs {
		if err := j.line("callback_events", archiveColumns, archiveRecord(ev)); err != nil {
			return err
		}
	}
	return nil
}

func (j *jsonWriter) line(table string, names []string, values []any) error {
	b := []byte(`{"table":`)
	b = strconv.AppendQuote(b, table)
	for i, name := range names {
		// A body that is JSON is written byte for byte (json.Marshal would compact it and
		// escape <, > and &): it is what was stored, and hashes to body_sha256.
		// One that spans lines is compacted, to keep one object per line.
		v, ok := values[i].(json.RawMessage)
		if ok && bytes.ContainsAny(v, "\r\n") {
			var c bytes.Buffer
			if err := json.Compact(&c, v); err != nil {
				return fmt.Errorf("%s.%s: %w", table, name, err)
			}
			v = c.Bytes()
		}
		if !ok {
			var err error
			if v, err = json.Marshal(values[i]); err != nil {
				return fmt.Errorf("%s.%s: %w", table, name, err)
			}
		}
		b = append(b, ',')
		b = strconv.AppendQuote(b, name)
		b = append(b, ':')
		b = append(b, v...)
	}
	b = append(b, "}\n"...)
	_, err := j.w.Write(b)
	return err
}

// tableWriter prints aligned tables: times in UTC, NULL as "-", booleans as yes/no.
type tableWriter struct {
	w       *bufio.Writer
	started bool
}

// section separates what it prints next from what came before.
func (tw *tableWriter) section() {
	if tw.started {
		tw.w.WriteByte('\n')
	}
	tw.started = true
}

func (tw *tableWriter) view(v view) error {
	tw.section()
	if v.title != "" {
		fmt.Fprintf(tw.w, "%s: %d\n", v.title, len(v.rows))
		if len(v.rows) == 0 {
			return nil
		}
	}
	cells := make([][]string, len(v.rows))
	for i, r := range v.rows {
		cells[i] = make([]string, len(v.cols))
		for k, c := range v.cols {
			cells[i][k] = cell(v.table, r, c)
		}
	}
	return tw.grid(v.cols, cells)
}

func (tw *tableWriter) grid(header []string, rows [][]string) error {
	t := tabwriter.NewWriter(tw.w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(t, strings.Join(header, "\t"))
	for _, r := range rows {
		fmt.Fprintln(t, strings.Join(r, "\t"))
	}
	if len(rows) == 0 {
		fmt.Fprintln(t, "(none)")
	}
	return t.Flush()
}

func (tw *tableWriter) record(t *callback.Table, rows []callback.Row, room string) error {
	tw.section()
	if len(rows) == 0 {
		fmt.Fprintf(tw.w, "room %s: no rooms row (no create, update or destroy of it was stored)\n", room)
		return nil
	}
	r := rows[0]
	state := cell(t, r, "state")
	if state == "destroyed" {
		state += " at " + cell(t, r, "destroyed_at")
	}
	fmt.Fprintf(tw.w, "room %s: %s\n", room, state)
	out := tabwriter.NewWriter(tw.w, 0, 0, 2, ' ', 0)
	for i, c := range t.Columns {
		if i < t.Key || r[i] == nil {
			continue // the key is in the heading; absent fields are left out
		}
		fmt.Fprintf(out, "  %s\t%s\n", c.Name, cell(t, r, c.Name))
	}
	return out.Flush()
}

func (tw *tableWriter) events(evs []callback.Event) error {
	tw.section()
	rows := make([][]string, len(evs))
	for i, ev := range evs {
		eventTime := "-"
		if ev.EventTime != 0 {
			eventTime = millis(ev.EventTime)
		}
		rows[i] = []string{millis(ev.ReceivedAt.UnixMilli()), ev.Command, text(ev.RoomID), eventTime, text(ev.RequestID), preview(ev.Raw)}
	}
	return tw.grid([]string{"received_at", "callback_command", "room_id", "event_time", "request_id", "raw_body"}, rows)
}

// msColumns hold Unix milliseconds; secondColumns Unix seconds as Tencent sends them.
var (
	msColumns = map[string]bool{"event_time": true, "updated_at": true, "member_count_at": true,
		"destroyed_at": true, "entered_at": true, "left_at": true, "received_at": true}
	secondColumns = map[string]bool{"create_time": true, "schedule_start_time": true, "schedule_end_time": true,
		"gift_time": true, "start_time": true, "end_time": true}
)

// cell formats column name of row r of t for people; "state" of a room and "stage" of a battle
// are worked out from the row.
func cell(t *callback.Table, r callback.Row, name string) string {
	switch {
	case t == callback.RoomsTable && name == "state":
		if r[t.Index("destroyed_at")] == nil {
			return "live"
		}
		return "destroyed"
	case t == callback.BattlesTable && name == "stage":
		c, _ := r[t.Index("callback_command")].(string)
		switch {
		case strings.HasSuffix(c, "CreateBattle"):
			return "created"
		case strings.HasSuffix(c, "StartBattle"):
			return "started"
		case strings.HasSuffix(c, "EndBattle"):
			return "ended"
		}
		return text(c)
	}
	i := t.Index(name)
	if i < 0 {
		return "?"
	}
	switch v := r[i].(type) {
	case nil:
		return "-"
	case bool:
		if v {
			return "yes"
		}
		return "no"
	case int64:
		switch {
		case msColumns[name]:
			return millis(v)
		case secondColumns[name]:
			return time.Unix(v, 0).UTC().Format("2006-01-02 15:04:05")
		}
		return strconv.FormatInt(v, 10)
	case string:
		return text(v)
	case []string:
		parts := make([]string, len(v))
		for k, s := range v {
			parts[k] = text(s)
		}
		return "[" + strings.Join(parts, ",") + "]"
	case []int64:
		parts := make([]string, len(v))
		for k, n := range v {
			parts[k] = strconv.FormatInt(n, 10)
		}
		return "[" + strings.Join(parts, ",") + "]"
	}
	return fmt.Sprint(r[i])
}

func millis(ms int64) string { return time.UnixMilli(ms).UTC().Format("2006-01-02 15:04:05.000") }

// text shows a string in a table cell: quoted when it is empty or holds what would break the
// table's lines or columns (tabs, newlines, other control characters, leading or trailing
// spaces).
func text(s string) string {
	if s == "" || strings.TrimSpace(s) != s || strings.ContainsFunc(s, func(r rune) bool { return r < ' ' || r == 0x7f }) {
		return strconv.Quote(s)
	}
	return s
}

// preview is the start of a body on one line.
func preview(raw []byte) string {
	const max = 60
	s := strings.Join(strings.Fields(string(raw)), " ")
	if utf8.RuneCountInString(s) <= max {
		return text(s)
	}
	return text(string([]rune(s)[:max])) + "…"
}
