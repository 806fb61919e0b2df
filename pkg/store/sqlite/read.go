package sqlite

import (
	"context"

	"github.com/roomhook/roomhook/pkg/callback"
	"github.com/roomhook/roomhook/pkg/store/internal/sqlrows"
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
