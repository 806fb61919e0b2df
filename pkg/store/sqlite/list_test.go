package sqlite_test

import (
	"database/sql"
	"fmt"
	"path/filepath"
	"regexp"
	"testing"

	"github.com/roomhook/roomhook/pkg/store/storetest"
)

// TestGiftsByteOrder: gifts of one millisecond are listed by delivery_id byte by byte even when
// the column is declared COLLATE NOCASE (capitals among small letters), as storetest's
// GiftsByteOrder checks.
func TestGiftsByteOrder(t *testing.T) {
	path := filepath.Join(t.TempDir(), "roomhook.db")
	s := open(t, path)
	db, err := sql.Open("sqlite", path)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	var ddl string
	if err := db.QueryRowContext(t.Context(), `SELECT sql FROM sqlite_master WHERE name = 'gifts'`).Scan(&ddl); err != nil {
		t.Fatal(err)
	}
	nocase := regexp.MustCompile(`(delivery_id\s+TEXT\s+NOT NULL)`).ReplaceAllString(ddl, "$1 COLLATE NOCASE")
	if nocase == ddl {
		t.Fatalf("no delivery_id TEXT NOT NULL in %s", ddl)
	}
	for _, stmt := range []string{`DROP TABLE gifts`, nocase} {
		if _, err := db.ExecContext(t.Context(), stmt); err != nil {
			t.Fatalf("%s: %v", stmt, err)
		}
	}
	storetest.GiftsByteOrder(t, s, "sqlite",
		func(app int64, room, id string, receivedAt int64) error {
			_, err := db.ExecContext(t.Context(), `INSERT INTO gifts (sdk_app_id, room_id, delivery_id, from_account, received_at)
				VALUES (?, ?, ?, 'sender', ?)`, app, room, id, receivedAt)
			return err
		},
		func() ([]string, error) {
			var ids []string
			for _, row := range selectAll(t, db, `SELECT delivery_id FROM gifts ORDER BY delivery_id`) {
				ids = append(ids, fmt.Sprint(row[0]))
			}
			return ids, nil
		})
}
