package sqlrows

import (
	"context"
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
	events, err := scanEvents(ctx, db, true, text, args...)
	if err != nil {
		return nil, "", fmt.Errorf("%s: purge: read expired events: %w", backend, err)
	}
	events, next := sqltext.ExpiredPage(events, n)
	return events, next, nil
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
