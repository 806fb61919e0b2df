package mysql

import (
	"context"

	"github.com/roomhook/roomhook/pkg/callback"
	"github.com/roomhook/roomhook/pkg/store/internal/sqlrows"
	"github.com/roomhook/roomhook/pkg/store/internal/sqltext"
)

// Rows returns the rows of t of one room, in any order; none is not an error.
func (s *Store) Rows(ctx context.Context, t *callback.Table, sdkAppID int64, roomID string) ([]callback.Row, error) {
	return sqlrows.Rows(ctx, s.db, "mysql", t, sdkAppID, roomID)
}

// Events returns the archive rows of one app in the order they were archived. An app with no
// rows yields an empty result, not an error.
func (s *Store) Events(ctx context.Context, sdkAppID int64) ([]callback.Event, error) {
	return sqlrows.Events(ctx, s.db, "mysql", sdkAppID)
}

var _ callback.Lister = (*Store)(nil)

// AppRooms returns every rooms row of one app, in any order (callback.Lister): a range of the
// rooms table's primary key. An app without rooms yields an empty result, not an error.
func (s *Store) AppRooms(ctx context.Context, sdkAppID int64) ([]callback.Row, error) {
	return sqlrows.AppRooms(ctx, s.db, "mysql", sdkAppID)
}

// Gifts returns the gift ledger rows q selects, newest first (callback.Lister), delivery_id
// compared as binary (sqltext.MySQL). It reads the app's (or the room's) range of the ledger's
// primary key, filters it by q.Since and sorts what is left (a filesort).
func (s *Store) Gifts(ctx context.Context, q callback.ListQuery) ([]callback.Row, error) {
	return sqlrows.Gifts(ctx, s.db, "mysql", sqltext.MySQL, q)
}

// Archive returns the archived events q selects, newest first (callback.Lister): one SELECT
// (sqltext's ListArchive says what it costs). InnoDB reads it from a consistent snapshot, so
// saves go on beside it.
func (s *Store) Archive(ctx context.Context, q callback.ListQuery) ([]callback.Event, error) {
	return sqlrows.Archive(ctx, s.db, "mysql", q)
}
