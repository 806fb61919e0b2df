package sqlite

import (
	"context"

	"github.com/roomhook/roomhook/pkg/callback"
	"github.com/roomhook/roomhook/pkg/store/internal/sqlrows"
	"github.com/roomhook/roomhook/pkg/store/internal/sqltext"
)

// Rows returns the rows of t of one room, for every table of callback.Tables: those whose
// sdk_app_id and second key column (room_id; a battle's from_room_id) are the room's
// (callback.ReadRoom, ReadMembers, ReadSeats, ReadAdmins, ReadMetadata, ReadBattles and
// ReadGifts decode them); a room without rows yields an empty result, not an error.
func (s *Store) Rows(ctx context.Context, t *callback.Table, sdkAppID int64, roomID string) ([]callback.Row, error) {
	return sqlrows.Rows(ctx, s.db, "sqlite", t, sdkAppID, roomID)
}

// Events returns the archive rows of one app in the order they were archived. An app with no
// rows yields an empty result, not an error.
func (s *Store) Events(ctx context.Context, sdkAppID int64) ([]callback.Event, error) {
	return sqlrows.Events(ctx, s.db, "sqlite", sdkAppID)
}

var _ callback.Lister = (*Store)(nil)

// AppRooms returns every rooms row of one app, in any order (callback.Lister): a range of the
// rooms table's primary key. An app without rooms yields an empty result, not an error.
func (s *Store) AppRooms(ctx context.Context, sdkAppID int64) ([]callback.Row, error) {
	return sqlrows.AppRooms(ctx, s.db, "sqlite", sdkAppID)
}

// Gifts returns the gift ledger rows q selects, newest first (callback.Lister), delivery_id in
// the BINARY collation, byte by byte (sqltext.Question). It reads the app's (or the room's)
// range of the ledger's primary key, filters it by q.Since and sorts what is left.
func (s *Store) Gifts(ctx context.Context, q callback.ListQuery) ([]callback.Row, error) {
	return sqlrows.Gifts(ctx, s.db, "sqlite", sqltext.Question, q)
}

// Archive returns the archived events q selects, newest first (callback.Lister): one SELECT
// (sqltext's ListArchive says what it costs) on the store's one connection, so a long listing
// delays the saves of this process, not those of other processes, which WAL lets write beside
// a reader.
func (s *Store) Archive(ctx context.Context, q callback.ListQuery) ([]callback.Event, error) {
	return sqlrows.Archive(ctx, s.db, "sqlite", q)
}
