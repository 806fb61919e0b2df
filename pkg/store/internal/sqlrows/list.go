package sqlrows

import (
	"context"
	"fmt"

	"github.com/roomhook/roomhook/pkg/callback"
	"github.com/roomhook/roomhook/pkg/store/internal/sqltext"
)

// The Lister's reads (callback.Lister) for the database/sql backends: each one SELECT whose
// WHERE, ORDER BY and LIMIT are the whole selection (sqltext's ListArchive, ListGifts), decoded
// as Rows and Events decode theirs. What each costs is said with its SQL in sqltext.

// AppRooms reads every rooms row of one app through db, in any order: a range of the rooms
// table's primary key (sdk_app_id, room_id). An app without rooms yields an empty result.
func AppRooms(ctx context.Context, db Queryer, backend string, sdkAppID int64) ([]callback.Row, error) {
	rows, err := queryRows(ctx, db, callback.RoomsTable, statementsOf(callback.RoomsTable).App, sdkAppID)
	if err != nil {
		return nil, fmt.Errorf(backend+": list rooms: %w", err)
	}
	return rows, nil
}

// Gifts reads the gift ledger rows q selects through db, newest first, in d (sqltext.Question
// for SQLite, sqltext.MySQL for MySQL and MariaDB: the two differ in how delivery_id is ordered
// byte by byte).
func Gifts(ctx context.Context, db Queryer, backend string, d sqltext.Dialect, q callback.ListQuery) ([]callback.Row, error) {
	text, args := d.ListGifts(q)
	rows, err := queryRows(ctx, db, callback.GiftsTable, text, args...)
	if err != nil {
		return nil, fmt.Errorf(backend+": list gifts: %w", err)
	}
	return rows, nil
}

// Archive reads the archived events q selects through db, newest first, decoded as Events
// decodes them.
func Archive(ctx context.Context, db Queryer, backend string, q callback.ListQuery) ([]callback.Event, error) {
	text, args := sqltext.Question.ListArchive(q)
	events, err := queryEvents(ctx, db, text, args...)
	if err != nil {
		return nil, fmt.Errorf(backend+": list events: %w", err)
	}
	return events, nil
}
