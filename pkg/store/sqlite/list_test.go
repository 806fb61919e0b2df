package sqlite_test

import (
	"cmp"
	"context"
	"database/sql"
	"errors"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/roomhook/roomhook/pkg/callback"
	"github.com/roomhook/roomhook/pkg/store/storetest"
)

// giftOrderIDs are delivery ids whose byte order (Go's, the order Lister promises) is not
// NOCASE's: capitals before small letters. Each differs from the others in NOCASE too. Real ids
// are hex digits; a collation must still never decide the order.
var giftOrderIDs = []string{"apple", "Banana", "Zulu", "éclair", "mañana", "9", "10", "zebra"}

// TestGiftsByteOrder: gifts of one millisecond are listed by delivery_id byte by byte even when
// the column is declared with another collation (an ORDER BY uses the column's), also where a
// LIMIT cuts between them.
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
	const app, room = storetest.SeedSdkAppID, "gift-room"
	for i, id := range giftOrderIDs {
		if _, err := db.ExecContext(t.Context(), `INSERT INTO gifts (sdk_app_id, room_id, delivery_id, from_account, received_at)
			VALUES (?, ?, ?, 'sender', ?)`, app, room, id, 1764892800000+int64(i%2)); err != nil {
			t.Fatal(err)
		}
	}
	var byCollation []string
	rows, err := db.QueryContext(t.Context(), `SELECT delivery_id FROM gifts ORDER BY delivery_id`)
	if err != nil {
		t.Fatal(err)
	}
	for rows.Next() {
		var id string
		if err := rows.Scan(&id); err != nil {
			t.Fatal(err)
		}
		byCollation = append(byCollation, id)
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	if slices.IsSorted(byCollation) {
		t.Fatalf("NOCASE orders the ids as their bytes do (%q): the test proves nothing", byCollation)
	}
	want, err := s.Rows(t.Context(), callback.GiftsTable, app, room)
	if err != nil {
		t.Fatal(err)
	}
	checkGiftOrder(t, s, app, want)

	// A value is bound, never written into the statement.
	evil := "x' OR '1'='1"
	if rows, err := s.Gifts(t.Context(), callback.ListQuery{SdkAppID: app, Room: &evil}); err != nil || len(rows) != 0 {
		t.Errorf("Gifts(room %q) = %d rows, %v; want none", evil, len(rows), err)
	}
	checkListErrors(t, s, "sqlite")
}

// checkGiftOrder compares Gifts, whole and cut by a LIMIT, with the app's ledger rows all (the
// rows of one room) sorted as Lister says: received_at descending, then delivery_id descending
// as Go compares strings.
func checkGiftOrder(t *testing.T, s storetest.Backend, app int64, all []callback.Row) {
	t.Helper()
	received, delivery := callback.GiftsTable.Index("received_at"), callback.GiftsTable.Index("delivery_id")
	slices.SortFunc(all, func(a, b callback.Row) int {
		return cmp.Or(cmp.Compare(b[received].(int64), a[received].(int64)), strings.Compare(b[delivery].(string), a[delivery].(string)))
	})
	ids := func(rows []callback.Row) []string {
		out := make([]string, len(rows))
		for i, r := range rows {
			out[i] = r[delivery].(string)
		}
		return out
	}
	for _, limit := range []int{0, 3} {
		got, err := s.Gifts(t.Context(), callback.ListQuery{SdkAppID: app, Limit: limit})
		if err != nil {
			t.Fatalf("Gifts(limit %d): %v", limit, err)
		}
		want := all
		if limit > 0 {
			want = all[:limit]
		}
		if !slices.Equal(ids(got), ids(want)) {
			t.Errorf("Gifts(limit %d) delivery ids = %q, want %q", limit, ids(got), ids(want))
		}
	}
}

// checkListErrors: a Lister whose context has ended says so, naming the backend and the list.
func checkListErrors(t *testing.T, s storetest.Backend, backend string) {
	t.Helper()
	ctx, cancel := context.WithCancel(t.Context())
	cancel()
	q := callback.ListQuery{SdkAppID: storetest.SeedSdkAppID}
	_, rooms := s.AppRooms(ctx, q.SdkAppID)
	_, gifts := s.Gifts(ctx, q)
	_, events := s.Archive(ctx, q)
	for _, c := range []struct {
		err  error
		want string
	}{{rooms, backend + ": list rooms: "}, {gifts, backend + ": list gifts: "}, {events, backend + ": list events: "}} {
		if !errors.Is(c.err, context.Canceled) || !strings.HasPrefix(c.err.Error(), c.want) {
			t.Errorf("a list with an ended context: %v; want %q…, context.Canceled", c.err, c.want)
		}
	}
}
