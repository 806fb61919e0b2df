package storetest

import (
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/roomhook/roomhook/pkg/callback"
)

// Contents is everything s reads of app: each of rooms' rows of every table, the archive in
// order, and what Lister lists (the app's rooms sorted, the archive and the gift ledger newest
// first). A read-only store must read the same as the store that wrote them; a refused write
// must leave it as it was.
func Contents(t *testing.T, s Backend, app int64, rooms []string) string {
	t.Helper()
	ctx := t.Context()
	var b strings.Builder
	for _, room := range rooms {
		for _, table := range callback.Tables {
			rows, err := s.Rows(ctx, table, app, room)
			if err != nil {
				t.Fatalf("Rows(%s, %q): %v", table.Name, room, err)
			}
			fmt.Fprintf(&b, "%s %q: %#v\n", table.Name, room, rows)
		}
	}
	evs, err := s.Events(ctx, app)
	if err != nil {
		t.Fatalf("Events: %v", err)
	}
	fmt.Fprintf(&b, "events: %#v\n", evs)
	appRooms, err := s.AppRooms(ctx, app)
	if err != nil {
		t.Fatalf("AppRooms: %v", err)
	}
	listed := make([]string, len(appRooms))
	for i, r := range appRooms {
		listed[i] = fmt.Sprintf("%#v", r)
	}
	slices.Sort(listed)
	fmt.Fprintf(&b, "app rooms: %s\n", strings.Join(listed, "\n"))
	archive, err := s.Archive(ctx, callback.ListQuery{SdkAppID: app})
	if err != nil {
		t.Fatalf("Archive: %v", err)
	}
	fmt.Fprintf(&b, "archive: %#v\n", archive)
	gifts, err := s.Gifts(ctx, callback.ListQuery{SdkAppID: app})
	if err != nil {
		t.Fatalf("Gifts: %v", err)
	}
	fmt.Fprintf(&b, "gifts: %#v\n", gifts)
	return b.String()
}

// SaveLifecycle saves to w, one after another, seed 7's story of Lifecycle in app (every kind
// of row: rooms, members, seats, admins, metadata, battles, gifts) and returns its rooms and
// deliveries: a store for a read-only one to read.
func SaveLifecycle(t *testing.T, w Backend, app int64) (rooms []string, deliveries []*callback.Event) {
	t.Helper()
	rooms, deliveries = Lifecycle(7, app)
	for i, ev := range deliveries {
		if _, err := w.Save(t.Context(), ev); err != nil {
			t.Fatalf("delivery %d (%s): %v", i, ev.Command, err)
		}
	}
	return rooms, deliveries
}
