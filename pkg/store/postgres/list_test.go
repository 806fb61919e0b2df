package postgres_test

import (
	"testing"

	"github.com/jackc/pgx/v5"

	"github.com/roomhook/roomhook/pkg/store/storetest"
)

// languageCollation orders text as English readers do; the test database's own is C.
const languageCollation = "en-US-x-icu"

// TestGiftsByteOrder: gifts of one millisecond are listed by delivery_id byte by byte even when
// the column's collation is a language's (as in a database created with one as its default),
// as storetest's GiftsByteOrder checks.
func TestGiftsByteOrder(t *testing.T) {
	schema, u := freshSchema(t)
	s := open(t, u)
	db := admin(t)
	var found bool
	if err := db.QueryRow(t.Context(), `SELECT EXISTS (SELECT FROM pg_collation WHERE collname = $1)`, languageCollation).Scan(&found); err != nil {
		t.Fatal(err)
	}
	if !found {
		t.Skipf("the server has no collation %s (PostgreSQL without ICU)", languageCollation)
	}
	if _, err := db.Exec(t.Context(), `ALTER TABLE `+schema+`.gifts ALTER COLUMN delivery_id TYPE TEXT COLLATE "`+languageCollation+`"`); err != nil {
		t.Fatal(err)
	}
	var differs bool
	if err := db.QueryRow(t.Context(), `SELECT $1::text < ($2::text COLLATE "`+languageCollation+`")`, "apple", "Banana").Scan(&differs); err != nil || !differs {
		t.Fatalf("%s orders apple before Banana: %v, %v; want true, or the test proves nothing", languageCollation, differs, err)
	}
	storetest.GiftsByteOrder(t, s, "postgres",
		func(app int64, room, id string, receivedAt int64) error {
			_, err := db.Exec(t.Context(), `INSERT INTO `+schema+`.gifts (sdk_app_id, room_id, delivery_id, from_account, received_at)
				VALUES ($1, $2, $3, 'sender', $4)`, app, room, id, receivedAt)
			return err
		},
		func() ([]string, error) {
			rows, err := db.Query(t.Context(), `SELECT delivery_id FROM `+schema+`.gifts ORDER BY delivery_id`)
			if err != nil {
				return nil, err
			}
			return pgx.CollectRows(rows, pgx.RowTo[string])
		})
}
