package sqltext

import (
	"strings"

	"github.com/roomhook/roomhook/pkg/callback"
)

// EventColumns are what a read of the archive back (callback.Reader's Events, callback.Lister's
// Archive) returns of each event, in this order.
const EventColumns = `sdk_app_id, callback_command, room_id, event_time, client_ip, opt_platform, ` +
	`request_id, received_at, raw_body`

// Events returns the SELECT of one app's archive in the order it was archived (id); its one
// parameter is the app. Its cost: the rows of the app, read through the archive key's index
// (sdk_app_id leads it) or a scan of the table in id order, as the planner judges; then sorted
// by id when read through the index.
func (d Dialect) Events() string {
	return `SELECT ` + EventColumns + ` FROM callback_events WHERE sdk_app_id = ` + d.Placeholder(1) + ` ORDER BY id`
}

// ListArchive returns the SELECT of the archived events q selects, newest first (id
// descending: the reverse of Events' order), reading EventColumns, and its parameters (int64
// and string values, bound, never written into the text). Every part of q is a condition of
// the SELECT, and q.Limit its LIMIT, so the database returns only the events asked for.
//
// Its cost (the plans of SQLite 3.54, PostgreSQL 15 and MariaDB 10.11 on an archive of 200,000
// events of 10 apps): with q.Room set, the room's range of the archive key's index (sdk_app_id,
// room_id, callback_command, …; with q.Commands, the range of each command), then a sort of
// those events by id. Without a room, PostgreSQL and MariaDB walk the primary key (id)
// backwards, keep the app's events and stop after q.Limit of them (MariaDB walks it even
// without q.Limit: the whole table); SQLite, which keeps no statistics, reads the app's range of
// the key's index and sorts it by id (keeping q.Limit rows). received_at has no index: q.Since
// drops rows as they are read and ends no walk (an event archived later may have been received
// earlier), so without q.Limit every event of the app (or room) is read.
func (d Dialect) ListArchive(q callback.ListQuery) (string, []any) {
	w := d.listWhere(q, true)
	text := `SELECT ` + EventColumns + ` FROM callback_events WHERE ` + w.text + ` ORDER BY id DESC` + w.limit(q)
	return text, w.args // after limit, which may add a parameter
}

// ListGifts returns the SELECT of the gift ledger rows q selects, newest first (received_at
// descending, then delivery_id descending byte by byte: d.Bytewise), reading every column of
// callback.GiftsTable as Statements' do, and its parameters. q.Commands is not used: the
// ledger has no command.
//
// Its cost: the rows of the app (or of q.Room) are a range of the ledger's primary key
// (sdk_app_id, room_id, delivery_id); received_at has no index, so every row of that range is
// read, dropped when older than q.Since, and those left are sorted (keeping q.Limit rows).
func (d Dialect) ListGifts(q callback.ListQuery) (string, []any) {
	w := d.listWhere(q, false)
	text := d.selectFrom(callback.GiftsTable) + w.text +
		` ORDER BY received_at DESC, ` + d.Bytewise("delivery_id") + ` DESC` + w.limit(q)
	return text, w.args // after limit, which may add a parameter
}

// listSelection is the WHERE of a Lister's SELECT and its parameters, as they are built.
type listSelection struct {
	d    Dialect
	text string
	args []any
}

// param adds a parameter and returns its placeholder.
func (w *listSelection) param(v any) string {
	w.args = append(w.args, v)
	return w.d.Placeholder(len(w.args))
}

// listWhere is q's selection as callback.ListQuery.Match states it: sdk_app_id first (it leads
// every index), then room_id, received_at from q.Since's millisecond, and, when commands,
// callback_command.
func (d Dialect) listWhere(q callback.ListQuery, commands bool) *listSelection {
	w := &listSelection{d: d}
	w.text = `sdk_app_id = ` + w.param(q.SdkAppID)
	if q.Room != nil {
		w.text += ` AND room_id = ` + w.param(*q.Room)
	}
	if !q.Since.IsZero() {
		w.text += ` AND received_at >= ` + w.param(q.Since.UnixMilli())
	}
	if commands && len(q.Commands) > 0 {
		in := make([]string, len(q.Commands))
		for i, c := range q.Commands {
			in[i] = w.param(c)
		}
		w.text += ` AND callback_command IN (` + strings.Join(in, ", ") + `)`
	}
	return w
}

// limit is the LIMIT clause of q, with its parameter, or "" when q keeps every row.
func (w *listSelection) limit(q callback.ListQuery) string {
	if q.Limit <= 0 {
		return ""
	}
	return ` LIMIT ` + w.param(int64(q.Limit))
}
