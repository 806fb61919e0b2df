package sqlrows

import (
	"context"
	"database/sql"
	"fmt"
	"time"

	"github.com/roomhook/roomhook/pkg/callback"
	"github.com/roomhook/roomhook/pkg/store/internal/sqltext"
)

// The archive retention's reads (callback.Purger's Expired and RoomArchived) for the
// database/sql backends, through the pool, outside any transaction: they take no lock, and a
// save beside them neither waits for them nor they for it (SQLite's one connection aside, which
// they hold for one SELECT). Each backend's Delete is its own: how it writes differs.

// Expired reads up to n archived events of app received before cutoff, after the position
// after, in archive order (p's Expired: sqltext.SQLitePurge or sqltext.MySQLPurge; it says
// what it costs), decoded as Events decodes them, each with its ArchiveID; next is the
// position the following call starts after, "" when there are no more.
func Expired(ctx context.Context, db Queryer, backend string, p sqltext.Purge, app int64, cutoff time.Time, after string, n int) ([]callback.Event, string, error) {
	text, args, err := p.Expired(app, cutoff, after, n)
	if err != nil {
		return nil, "", fmt.Errorf("%s: purge: %w", backend, err)
	}
	events, err := queryExpired(ctx, db, text, args...)
	if err != nil {
		return nil, "", fmt.Errorf("%s: purge: read expired events: %w", backend, err)
	}
	events, next := sqltext.ExpiredPage(events, n)
	return events, next, nil
}

// queryExpired runs q, a SELECT of sqltext.EventColumns and id, and decodes its rows in order
// as queryEvents does (a NULL event_time is 0, received_at a UTC time, raw_body never nil), the
// id as the event's ArchiveID.
func queryExpired(ctx context.Context, db Queryer, q string, args ...any) ([]callback.Event, error) {
	rows, err := db.QueryContext(ctx, q, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()

	var events []callback.Event
	for rows.Next() {
		var (
			ev         callback.Event
			eventTime  sql.NullInt64
			receivedAt int64
			id         int64
		)
		if err := rows.Scan(&ev.SdkAppID, &ev.Command, &ev.RoomID, &eventTime, &ev.ClientIP,
			&ev.OptPlatform, &ev.RequestID, &receivedAt, &ev.Raw, &id); err != nil {
			return nil, err
		}
		ev.EventTime = eventTime.Int64 // 0 when NULL, as in Event
		ev.ReceivedAt = time.UnixMilli(receivedAt).UTC()
		if ev.Raw == nil {
			ev.Raw = []byte{}
		}
		ev.ArchiveID = sqltext.ArchiveID(id)
		events = append(events, ev)
	}
	if err := rows.Err(); err != nil {
		return nil, err
	}
	return events, nil
}

// RoomArchived reads the archived events of one room that q selects through db: the SELECT a
// save's Tx.Archived runs (ArchiveQuery), on the pool, in no transaction, so it takes no lock
// (a room's lock is a row of its own, or SQLite's write lock, neither of which a SELECT takes).
func RoomArchived(ctx context.Context, db Queryer, backend string, app int64, room string, q callback.ArchiveQuery) ([]callback.Archived, error) {
	x := &Tx{Conn: queryOnly{db}, App: app, Room: room}
	out, err := x.Archived(ctx, q)
	if err != nil {
		return nil, fmt.Errorf("%s: purge: %w", backend, err) // x's own: "read the archive: …"
	}
	return out, nil
}
