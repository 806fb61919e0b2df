package dynamodb

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/roomhook/roomhook/pkg/callback"
	"github.com/roomhook/roomhook/pkg/store/storetest"
)

// The second app of the version 4 migration tests: its rooms and gifts must list under it alone.
const v4OtherApp int64 = 1400777777

// checkDirectory checks that every room item of table has its directory item (version 4), with
// the room's sdk_app_id and room_id, and every directory item its room item.
func checkDirectory(t *testing.T, table string) {
	t.Helper()
	rooms, dirs := map[string]bool{}, map[string]bool{}
	for _, item := range scanAll(t, table) {
		pk, sk := str(item, attrPK), str(item, attrSK)
		switch {
		case strings.HasPrefix(pk, roomPrefix) && sk == roomSK:
			rooms[pk] = true
		case strings.HasPrefix(pk, directoryPrefix):
			app := strings.TrimPrefix(pk, directoryPrefix)
			if num(item, attrSdkAppID) != app || str(item, attrRoomID) != sk {
				t.Errorf("directory item %s: sdk_app_id %s, room_id %q; want %s, %q", itemKey(item),
					num(item, attrSdkAppID), str(item, attrRoomID), app, sk)
			}
			checkLayout(t, "directory item "+itemKey(item), item, "pk:S sk:S sdk_app_id:N room_id:S")
			dirs[roomPrefix+app+"#"+sk] = true
		}
	}
	for pk := range rooms {
		if !dirs[pk] {
			t.Errorf("room item %s has no directory item", pk)
		}
	}
	for pk := range dirs {
		if !rooms[pk] {
			t.Errorf("directory item of %s has no room item", pk)
		}
	}
	if len(rooms) == 0 {
		t.Error("checkDirectory: the table holds no room item")
	}
}

// checkLedgerIndex checks that every ledger item of table lists in the index under its app by
// received_at and delivery_id, and returns how many there are.
func checkLedgerIndex(t *testing.T, table string) int {
	t.Helper()
	n := 0
	for _, item := range scanAll(t, table) {
		if !strings.HasPrefix(str(item, attrPK), giftsPrefix) {
			continue
		}
		n++
		wantPK := giftsPrefix + num(item, attrSdkAppID)
		receivedAt, err := strconv.ParseInt(num(item, attrReceivedAt), 10, 64)
		if err != nil {
			t.Fatalf("ledger item %s: received_at: %v", itemKey(item), err)
		}
		wantSK := fmt.Sprintf("%013d#%s", receivedAt, str(item, attrDeliveryID))
		if str(item, attrGSI1PK) != wantPK || str(item, attrGSI1SK) != wantSK {
			t.Errorf("ledger item %s: gsi1pk %q, gsi1sk %q; want %q, %q", itemKey(item),
				str(item, attrGSI1PK), str(item, attrGSI1SK), wantPK, wantSK)
		}
	}
	return n
}

// listed returns what the Lister lists of app, in a form to compare between stores: its rooms
// (sorted, without updated_at: the time a save wrote the row), its gifts and its archive, each
// newest first, the gifts without delivery_id when noDelivery (a migration names the gifts it
// put in the ledger after their archive items, a new store after their deliveries).
func listed(t *testing.T, s *Store, app int64, noDelivery bool) (rooms, gifts, archive []string) {
	t.Helper()
	rows, err := s.AppRooms(t.Context(), app)
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range rows {
		r[callback.RoomsTable.Index("updated_at")] = nil
		rooms = append(rooms, fmt.Sprintf("%#v", r))
	}
	slices.Sort(rooms)
	rows, err = s.Gifts(t.Context(), callback.ListQuery{SdkAppID: app})
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range rows {
		if noDelivery {
			r[callback.GiftsTable.Index("delivery_id")] = nil
		}
		gifts = append(gifts, fmt.Sprintf("%#v", r))
	}
	evs, err := s.Archive(t.Context(), callback.ListQuery{SdkAppID: app})
	if err != nil {
		t.Fatal(err)
	}
	for _, ev := range evs {
		archive = append(archive, fmt.Sprintf("%s %q @%d %s %d %x", ev.Command, ev.RoomID, ev.EventTime, ev.RequestID,
			ev.ReceivedAt.UnixMilli(), ev.Raw))
	}
	return rooms, gifts, archive
}

// checkSameLists checks that s lists for app what want lists; the archive only when archive is
// set (a migrated version 2 table archived an event version 3 refuses).
func checkSameLists(t *testing.T, s, want *Store, app int64, noDelivery, archive bool, when string) {
	t.Helper()
	gotRooms, gotGifts, gotArchive := listed(t, s, app, noDelivery)
	wantRooms, wantGifts, wantArchive := listed(t, want, app, noDelivery)
	if len(wantRooms) == 0 || len(wantGifts) == 0 || len(wantArchive) == 0 {
		t.Fatalf("the new store lists %d rooms, %d gifts, %d events of app %d; want some of each",
			len(wantRooms), len(wantGifts), len(wantArchive), app)
	}
	if !slices.Equal(gotRooms, wantRooms) {
		t.Errorf("AppRooms(%d) %s:\n got  %v\n want (a new store that saved the same deliveries) %v", app, when, gotRooms, wantRooms)
	}
	if !slices.Equal(gotGifts, wantGifts) {
		t.Errorf("Gifts(%d) %s:\n got  %v\n want (a new store that saved the same deliveries) %v", app, when, gotGifts, wantGifts)
	}
	if archive && !slices.Equal(gotArchive, wantArchive) {
		t.Errorf("Archive(%d) %s:\n got  %v\n want (a new store that saved the same deliveries) %v", app, when, gotArchive, wantArchive)
	}
}

// saveAll saves each delivery the core accepts to s, for app.
func saveAll(t *testing.T, s *Store, app int64, deliveries []delivery) {
	t.Helper()
	for _, d := range deliveries {
		ev, err := coreEvent(app, d)
		if err != nil {
			continue
		}
		if _, err := s.Save(t.Context(), ev); err != nil {
			t.Fatalf("Save(%s): %v", ev.Command, err)
		}
	}
}

// v4Apps are the apps of the version 4 migration tests, each with the deliveries it gets: every
// command of both families to the first; the Live rooms, gifts among them, to the second, at
// other times.
func v4Apps(t *testing.T) map[int64][]delivery {
	t.Helper()
	all := v3Deliveries(t)
	var other []delivery
	for _, d := range all {
		if strings.HasPrefix(d.command, "Live.") {
			d.at = d.at.Add(time.Hour)
			d.request += "-other"
			other = append(other, d)
		}
	}
	return map[int64][]delivery{storetest.SeedSdkAppID: all, v4OtherApp: other}
}

// makeV3 makes a table of version 3 at u with the code's own steps (a store at item layout
// version 3 writes no directory item and no ledger index keys) and saves apps' deliveries to it.
func makeV3(t *testing.T, u, table string, apps map[int64][]delivery) {
	t.Helper()
	v3 := openAtVersionT(t, u, 3)
	for app, deliveries := range apps {
		saveAll(t, v3, app, deliveries)
	}
	checkVersionItem(t, table, "3")
	ledger := 0
	for _, item := range scanAll(t, table) {
		pk := str(item, attrPK)
		switch {
		case strings.HasPrefix(pk, directoryPrefix):
			t.Fatalf("the version 3 store wrote directory item %s", itemKey(item))
		case strings.HasPrefix(pk, giftsPrefix):
			ledger++
			if _, ok := item[attrGSI1PK]; ok {
				t.Fatalf("the version 3 store wrote ledger item %s with index keys", itemKey(item))
			}
		}
	}
	if ledger == 0 {
		t.Fatal("the version 3 table holds no ledger item")
	}
}

// TestMigrationFromV3 opens a table version 3 left (made with the code's own steps, rooms and
// gifts of two apps) with several cold starts at once: they agree on version 4; every room item
// has its directory item and every ledger item its index keys; the Lister lists for each app
// what a new store that saved the same deliveries lists (rooms, gifts, archive, and the
// selections of a few queries); a second open and the migration's work done again change
// nothing; rows are untouched.
func TestMigrationFromV3(t *testing.T) {
	isolateAWS(t)
	table := tableName()
	dropTable(t, table)
	u := storeURL(t, table)
	apps := v4Apps(t)
	makeV3(t, u, table, apps)
	fresh := open(t)
	for app, deliveries := range apps {
		saveAll(t, fresh, app, deliveries)
	}
	rowsBefore := map[string][]string{}
	v3 := openAtVersionT(t, u, 3)
	for app := range apps {
		for _, room := range v3Rooms {
			for _, tb := range callback.Tables {
				rowsBefore[fmt.Sprint(app, room, tb.Name)] = fullRowsOf(t, v3, tb, app, room)
			}
		}
	}

	stores, ok := storetest.OpenTogether(t, 4, func() (*Store, error) { return Open(t.Context(), u, Options{}) })
	if !ok {
		t.FailNow()
	}
	s := stores[0]
	checkVersionItem(t, table, "4")
	checkDirectory(t, table)
	if n := checkLedgerIndex(t, table); n != 6 {
		t.Errorf("%d ledger items, want 6 (3 gifts in each app)", n)
	}
	for app := range apps {
		for _, room := range v3Rooms {
			for _, tb := range callback.Tables {
				if got := fullRowsOf(t, s, tb, app, room); !slices.Equal(got, rowsBefore[fmt.Sprint(app, room, tb.Name)]) {
					t.Errorf("%s of %q in app %d changed by the migration:\n got  %v\n want %v", tb.Name, room, app, got,
						rowsBefore[fmt.Sprint(app, room, tb.Name)])
				}
			}
		}
		checkSameLists(t, s, fresh, app, false, true, "after the migration")
		at := apps[app][len(apps[app])/2].at
		for _, q := range []callback.ListQuery{
			{Limit: 2}, {Since: at}, {Since: at, Limit: 1}, {Room: ptr(v3Live)}, {Room: ptr(v3Live), Limit: 1},
			{Commands: []string{callback.CommandLiveGift, callback.CommandLiveModifyAdmin}},
		} {
			q.SdkAppID = app
			got, err := s.Gifts(t.Context(), q)
			want, err2 := fresh.Gifts(t.Context(), q)
			if err != nil || err2 != nil || fmt.Sprint(got) != fmt.Sprint(want) {
				t.Errorf("Gifts(%+v) = %v, %v; want %v, %v", q, got, err, want, err2)
			}
			gotEvs, err := s.Archive(t.Context(), q)
			wantEvs, err2 := fresh.Archive(t.Context(), q)
			if len(wantEvs) == 0 {
				t.Errorf("test setup: Archive(%+v) of the new store lists nothing", q)
			}
			if err != nil || err2 != nil || fmt.Sprint(eventLines(gotEvs)) != fmt.Sprint(eventLines(wantEvs)) {
				t.Errorf("Archive(%+v) = %v, %v; want %v, %v", q, eventLines(gotEvs), err, eventLines(wantEvs), err2)
			}
		}
	}

	// A second open, and the migration's work done again beside saves of this version (an
	// instance still migrating), change nothing.
	after := snapshot(t, table)
	openURL(t, u)
	if again := snapshot(t, table); !mapsEqual(again, after) {
		t.Error("a second open changed the table")
	}
	if _, err := s.migrateArchive(t.Context(), 3, 4); err != nil {
		t.Fatal(err)
	}
	if again := snapshot(t, table); !mapsEqual(again, after) {
		t.Error("the migration's work done again changed the table")
	}

	// A new room and a gift saved now list at once.
	mustSave(t, s, liveEvent(t, callback.CommandLiveCreateRoom, liveBody(t, "live-create-room", v3Live, "after-v4"),
		"req-new", time.Now()), callback.OutcomeStored)
	mustSave(t, s, liveEvent(t, callback.CommandLiveGift, liveBody(t, "live-send-gift", v3Live, "after-v4"),
		"req-new-gift", time.Now()), callback.OutcomeStored)
	rooms, gifts, _ := listed(t, s, storetest.SeedSdkAppID, false)
	freshRooms, freshGifts, _ := listed(t, fresh, storetest.SeedSdkAppID, false)
	if len(rooms) != len(freshRooms)+1 || len(gifts) != len(freshGifts)+1 || !strings.Contains(gifts[0], `"after-v4"`) {
		t.Errorf("after a new room and gift: %d rooms, %d gifts (newest %s); want %d and %d, the new gift first",
			len(rooms), len(gifts), gifts[0], len(freshRooms)+1, len(freshGifts)+1)
	}
	checkDirectory(t, table)
}

// eventLines writes events for a comparison.
func eventLines(evs []callback.Event) []string {
	var out []string
	for _, ev := range evs {
		out = append(out, fmt.Sprintf("%s %q @%d %s %d", ev.Command, ev.RoomID, ev.EventTime, ev.RequestID, ev.ReceivedAt.UnixMilli()))
	}
	return out
}

func ptr[T any](v T) *T { return &v }

// TestMigrationFromV3Interrupted: a cold start whose context ends after the migration dealt with
// one item leaves version 3, and the next cold start completes it.
func TestMigrationFromV3Interrupted(t *testing.T) {
	isolateAWS(t)
	table := tableName()
	dropTable(t, table)
	u := storeURL(t, table)
	apps := v4Apps(t)
	makeV3(t, u, table, apps)

	ctx, cancel := context.WithCancel(t.Context())
	defer cancel()
	var once sync.Once
	migrateAtOnce, migrateItemHook = 1, func(string) { once.Do(cancel) }
	t.Cleanup(func() { migrateAtOnce, migrateItemHook = 16, nil })
	if s, err := Open(ctx, u, Options{}); err == nil {
		s.Close()
		t.Fatal("Open succeeded though its context ended during the migration")
	} else if !errors.Is(err, context.Canceled) {
		t.Errorf("Open = %v; want the end of its context", err)
	}
	checkVersionItem(t, table, "3")
	migrateItemHook = nil
	s := openURL(t, u)
	checkVersionItem(t, table, "4")
	checkDirectory(t, table)
	checkLedgerIndex(t, table)
	fresh := open(t)
	for app, deliveries := range apps {
		saveAll(t, fresh, app, deliveries)
		checkSameLists(t, s, fresh, app, false, true, "after the migration completed")
	}
}

// TestMigrationToV4FromV2 is TestMigrationFromV2's table brought to version 4 in the same one
// pass: its rooms and gifts list as a new store's (the archive aside: version 2 archived an
// admin change version 3 refuses), every room item has its directory item, every ledger item
// the migration made its index keys.
func TestMigrationToV4FromV2(t *testing.T) {
	isolateAWS(t)
	table := tableName()
	dropTable(t, table)
	u := storeURL(t, table)
	const app = storetest.SeedSdkAppID
	deliveries := v3Deliveries(t)
	writeV2(t, openAtVersionT(t, u, 2), app, deliveries)
	fresh := freshV3(t, app, deliveries)
	s := openURL(t, u)
	checkVersionItem(t, table, "4")
	checkDirectory(t, table)
	if n := checkLedgerIndex(t, table); n != 3 {
		t.Errorf("%d ledger items, want 3", n)
	}
	checkSameLists(t, s, fresh, app, true, false, "after the migration from version 2")
}
