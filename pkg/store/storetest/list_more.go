package storetest

import (
	"cmp"
	"context"
	"errors"
	"slices"
	"strings"
	"testing"

	"github.com/roomhook/roomhook/pkg/callback"
)

// The Lister's order where a SQL column's collation would decide it otherwise, and its errors:
// each SQL backend's test sets a collation of its own on the ledger and calls GiftsByteOrder.

// giftOrderIDs are delivery ids whose byte order (Go's, the order Lister promises) is not a
// collation's: capitals before small letters, digits compared one by one, accented letters
// after every ASCII one. Each differs from the others in a case- and accent-insensitive
// collation too. Real ids are hex digits; a collation must still never decide the order.
var giftOrderIDs = []string{"apple", "Banana", "Zulu", "éclair", "mañana", "9", "10", "zebra"}

// GiftsByteOrder checks that s lists gifts of one millisecond by delivery_id byte by byte even
// where the column's collation orders them otherwise (an ORDER BY uses the column's), also where
// a LIMIT cuts between them; that a room in a query is a bound value, never statement text; and
// that a list whose context has ended says so, naming backend and the list.
//
// The backend's test has given the gifts table's delivery_id such a collation. insert writes one
// ledger row (sender "sender") straight into the table; byCollation, called once the rows are
// in, returns the ids as the column's collation orders them (ORDER BY delivery_id), which must
// not be their byte order, or the test proves nothing.
func GiftsByteOrder(t *testing.T, s Backend, backend string,
	insert func(app int64, room, deliveryID string, receivedAt int64) error, byCollation func() ([]string, error)) {
	const app, room = SeedSdkAppID, "gift-room"
	for i, id := range giftOrderIDs {
		if err := insert(app, room, id, 1764892800000+int64(i%2)); err != nil {
			t.Fatal(err)
		}
	}
	collated, err := byCollation()
	if err != nil {
		t.Fatal(err)
	}
	if len(collated) != len(giftOrderIDs) {
		t.Fatalf("the table holds %d ledger rows (%q), want the %d inserted", len(collated), collated, len(giftOrderIDs))
	}
	if slices.IsSorted(collated) {
		t.Fatalf("the column's collation orders the ids as their bytes do (%q): the test proves nothing", collated)
	}
	all, err := s.Rows(t.Context(), callback.GiftsTable, app, room)
	if err != nil {
		t.Fatal(err)
	}
	checkGiftOrder(t, s, app, all)

	// A value is bound, never written into the statement.
	evil := "x' OR '1'='1"
	if rows, err := s.Gifts(t.Context(), callback.ListQuery{SdkAppID: app, Room: &evil}); err != nil || len(rows) != 0 {
		t.Errorf("Gifts(room %q) = %d rows, %v; want none", evil, len(rows), err)
	}
	checkListErrors(t, s, backend)
}

// checkGiftOrder compares Gifts, whole and cut by a LIMIT, with the app's ledger rows all (the
// rows of one room) sorted as Lister says: received_at descending, then delivery_id descending
// as Go compares strings.
func checkGiftOrder(t *testing.T, s Backend, app int64, all []callback.Row) {
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
func checkListErrors(t *testing.T, s Backend, backend string) {
	t.Helper()
	ctx, cancel := context.WithCancel(t.Context())
	cancel()
	q := callback.ListQuery{SdkAppID: SeedSdkAppID}
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
