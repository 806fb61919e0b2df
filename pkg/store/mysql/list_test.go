package mysql

import (
	"testing"

	"github.com/roomhook/roomhook/pkg/store/storetest"
)

// TestGiftsByteOrder: gifts of one millisecond are listed by delivery_id byte by byte even when
// the column's collation is a language's (utf8mb4_unicode_ci: case- and accent-insensitive,
// digits one by one), as storetest's GiftsByteOrder checks.
func TestGiftsByteOrder(t *testing.T) {
	s, name := open(t)
	db := adminDB(t, name)
	if _, err := db.ExecContext(t.Context(), `ALTER TABLE gifts MODIFY delivery_id VARCHAR(255)
		CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci NOT NULL`); err != nil {
		t.Fatal(err)
	}
	storetest.GiftsByteOrder(t, s, "mysql",
		func(app int64, room, id string, receivedAt int64) error {
			_, err := db.ExecContext(t.Context(), `INSERT INTO gifts (sdk_app_id, room_id, delivery_id, from_account, received_at)
				VALUES (?, ?, ?, 'sender', ?)`, app, room, id, receivedAt)
			return err
		},
		func() ([]string, error) {
			return dump(t, db, `SELECT delivery_id FROM gifts ORDER BY delivery_id`), nil
		})
}
