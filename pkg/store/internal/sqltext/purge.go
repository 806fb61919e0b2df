package sqltext

import (
	"fmt"
	"math"
	"strconv"
	"strings"
	"time"

	"github.com/roomhook/roomhook/pkg/callback"
)

// The archive retention's statements (callback.Purger) name archive rows by their id, the
// archive's primary key: an ArchiveID is the id in decimal, and Expired's position is the id of
// the last row it returned. Every SQL backend's id only grows (SQLite's AUTOINCREMENT,
// InnoDB's AUTO_INCREMENT, PostgreSQL's identity) and is never given twice, so paging by it
// meets every row once, and an id Expired returned names that row and no later one.

// Purge writes a backend's archive retention statements: its dialect, and the archive as its
// FROM names it.
type Purge struct {
	Dialect
	// From is the archive in the statements' FROM: the table, with what its planner needs to
	// be told to read it by id (the primary key) rather than by the archive key's index.
	From string
}

// The Purges of the backends.
//
// SQLite keeps no statistics, so its planner takes an equality on sdk_app_id, which leads the
// archive key's index, for a selective one: for every page of Expired it read the app's whole
// range of that index and sorted it by id, and for every DELETE it read that range to find the
// ids ("SEARCH callback_events USING INDEX callback_events_key (sdk_app_id=?)", on an archive
// of 131,072 events of 10 apps), so that a purge of a large app cost the square of its archive.
// NOT INDEXED leaves it the primary key, which it still uses, being the rowid: a range of ids
// from the position for Expired, one look-up per id for a DELETE (sqlite's
// TestPurgeUsesThePrimaryKey holds it to that).
//
// MariaDB 10.11 and PostgreSQL 15 chose the primary key for both on that archive, MariaDB
// always (InnoDB keeps statistics), PostgreSQL once it had statistics (autovacuum gathers them;
// before, it intersected the app's range of the key's index with the ids'). They get the plain
// table: PostgreSQL has no hints, and a condition its planner could not estimate
// (+sdk_app_id = …, which would keep it off that index too) made it scan the whole table.
var (
	SQLitePurge   = Purge{Question, `callback_events NOT INDEXED`}
	MySQLPurge    = Purge{MySQL, `callback_events`}
	PostgresPurge = Purge{Dollar, `callback_events`}
)

// MaxDeleteIDs bounds the ids of one DeleteArchive: one parameter each, well below the fewest
// parameters a statement may have (SQLite's 32,766; MySQL and PostgreSQL allow 65,535), and a
// DELETE of that many rows still holds its locks (SQLite's write lock) only briefly.
const MaxDeleteIDs = 10_000

// ArchiveID is the callback.Event.ArchiveID of the archive row id.
func ArchiveID(id int64) string { return strconv.FormatInt(id, 10) }

// parseID reads an ArchiveID, or a position, back.
func parseID(what, s string) (int64, error) {
	id, err := strconv.ParseInt(s, 10, 64)
	if err != nil {
		return 0, fmt.Errorf("%s %q is not an archive row id (a decimal integer)", what, s)
	}
	return id, nil
}

// Expired returns the SELECT of callback.Purger.Expired and its parameters: EventColumns then
// id, of app's archive rows after the position after ("": from the first), received before
// cutoff (received_at < cutoff's millisecond, as received_at holds it), in id order, at most
// n + 1 of them: the row past the n asked for only tells that there are more (ExpiredPage drops
// it), so the last page says so itself, rather than a further SELECT finding nothing. A bad
// after, or n below 1, is an error.
//
// Its cost: the primary key (id) is walked from after, keeping the app's rows received before
// cutoff, until n + 1 are found (see Purge); received_at has no index, so the walk also reads
// every row of the range that is newer than cutoff, or another app's: the last page of a purge
// reads to the end of the table.
func (d Purge) Expired(app int64, cutoff time.Time, after string, n int) (string, []any, error) {
	if n < 1 {
		return "", nil, fmt.Errorf("a page of %d events; ask for at least 1", n)
	}
	from := int64(math.MinInt64) // every id is above it
	if after != "" {
		var err error
		if from, err = parseID("position", after); err != nil {
			return "", nil, err
		}
	}
	text := `SELECT ` + EventColumns + `, id FROM ` + d.From + ` WHERE sdk_app_id = ` + d.Placeholder(1) +
		` AND id > ` + d.Placeholder(2) + ` AND received_at < ` + d.Placeholder(3) +
		` ORDER BY id LIMIT ` + d.Placeholder(4)
	return text, []any{app, from, cutoff.UnixMilli(), int64(n) + 1}, nil
}

// ExpiredPage returns what Expired's SELECT read (events, each with its ArchiveID) as
// callback.Purger.Expired returns it: the first n, and the position of the next call, the last
// one's ArchiveID, when the SELECT found more; "" when it did not.
func ExpiredPage(events []callback.Event, n int) ([]callback.Event, string) {
	if len(events) <= n {
		return events, ""
	}
	return events[:n], events[n-1].ArchiveID
}

// DeleteArchive returns the DELETE of callback.Purger.Delete and its parameters: app's
// archive rows whose id is one of ids, one bound parameter each (`id IN (…)`), and nothing of
// any other table. Every id must read back (an ArchiveID) and there may be at most
// MaxDeleteIDs, or it is an error, so that nothing is deleted for a list that holds a bad one.
// No ids: the text is "" (nothing to send).
//
// Its cost: one look-up of the primary key per id (the ids are equalities on it; see Purge),
// each row deleted with its entry in the archive key's index. The server locks those rows only
// (InnoDB at READ COMMITTED, the store's isolation, locks no gap either), so saves inserting
// new rows beside it do not wait.
func (d Purge) DeleteArchive(app int64, ids []string) (string, []any, error) {
	if len(ids) > MaxDeleteIDs {
		return "", nil, fmt.Errorf("%d archive ids in one delete; at most %d", len(ids), MaxDeleteIDs)
	}
	if len(ids) == 0 {
		return "", nil, nil
	}
	args := make([]any, 1, 1+len(ids))
	args[0] = app
	in := make([]string, len(ids))
	for i, s := range ids {
		id, err := parseID("archive id", s)
		if err != nil {
			return "", nil, err
		}
		args = append(args, id)
		in[i] = d.Placeholder(i + 2)
	}
	return `DELETE FROM ` + d.From + ` WHERE sdk_app_id = ` + d.Placeholder(1) +
		` AND id IN (` + strings.Join(in, ", ") + `)`, args, nil
}
