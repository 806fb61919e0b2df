package mysql

import (
	"context"

	"github.com/roomhook/roomhook/pkg/callback"
	"github.com/roomhook/roomhook/pkg/store/internal/sqlrows"
)

// Room returns the projection of one room, or an error wrapping callback.ErrNotFound.
func (s *Store) Room(ctx context.Context, sdkAppID int64, roomID string) (*callback.RoomRecord, error) {
	return sqlrows.Room(ctx, s.db, "mysql", sdkAppID, roomID)
}

// Events returns the archive rows of one app in the order they were archived. An app with no
// rows yields an empty result, not an error.
func (s *Store) Events(ctx context.Context, sdkAppID int64) ([]callback.Event, error) {
	return sqlrows.Events(ctx, s.db, "mysql", sdkAppID)
}
