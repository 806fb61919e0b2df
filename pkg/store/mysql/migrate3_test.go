package mysql

import (
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/roomhook/roomhook/pkg/callback"
	"github.com/roomhook/roomhook/pkg/store/internal/sqlrows"
	"github.com/roomhook/roomhook/pkg/store/storetest"
	"github.com/roomhook/roomhook/pkg/store/storetest/v1store"
)

// v3Callbacks are the callbacks of the version-3 migration tests: the Room family's of
// v1store, every body of pkg/callback/testdata/live, and a few more: the gift delivered again
// and once to another room, a gift body that is no gift (refused by version 3, archived raw by
// version 2), a battle and an admin change of rooms that have no other event.
func v3Callbacks(t *testing.T) []v1store.Callback {
	t.Helper()
	callbacks := v1store.Callbacks()
	files, err := filepath.Glob(filepath.Join("..", "..", "callback", "testdata", "live", "*.json"))
	if err != nil || len(files) == 0 {
		t.Fatalf("no live bodies (%v)", err)
	}
	bodies := map[string]string{}
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		var env struct{ CallbackCommand string }
		if err := json.Unmarshal(b, &env); err != nil {
			t.Fatalf("%s: %v", f, err)
		}
		bodies[filepath.Base(f)] = string(b)
		callbacks = append(callbacks, v1store.Callback{Command: env.CallbackCommand, Body: string(b),
			ClientIP: "203.0.113.20", OptPlatform: "RESTAPI"})
	}
	gift := bodies["live-send-gift.json"]
	return append(callbacks,
		v1store.Callback{Command: callback.CommandLiveGift, Body: gift},
		v1store.Callback{Command: callback.CommandLiveGift, Body: strings.ReplaceAll(gift, "live-room-5c2e", "live-room-gifts")},
		v1store.Callback{Command: callback.CommandLiveGift, Body: `{"CallbackCommand":"Live.CallbackBeforeSendGift",` +
			`"RoomId":"live-room-5c2e","GiftWater":{}}`},
		v1store.Callback{Command: callback.CommandLiveCreateBattle, Body: strings.NewReplacer("live-room-5c2e", "live-battle-only",
			"4siHsNsWN", "other-battle").Replace(bodies["live-create-battle.json"])},
		v1store.Callback{Command: callback.CommandLiveModifyAdmin,
			Body: strings.ReplaceAll(bodies["live-modify-admin.json"], "live-room-5c2e", "live-admins-only")},
	)
}

// v3Events are the events of callbacks as this version builds them (nil for a body it
// refuses) and as version 2 archived them, each received one millisecond after the one before.
func v3Events(t *testing.T, callbacks []v1store.Callback) (now, v2 []*callback.Event) {
	t.Helper()
	for i, c := range callbacks {
		at := testReceivedAt.Add(time.Duration(i) * time.Millisecond)
		ev, err := c.Event(v1App, at)
		if err != nil {
			ev = nil
		} else {
			ev.RequestID = fmt.Sprintf("req-%d", i)
		}
		now = append(now, ev)

		old := &callback.Event{SdkAppID: v1App, Command: c.Command, ClientIP: c.ClientIP, OptPlatform: c.OptPlatform,
			RequestID: fmt.Sprintf("req-%d", i), ReceivedAt: at, Raw: []byte(c.Body)}
		if slices.Contains(storetest.V2Projected, c.Command) {
			if ev == nil {
				t.Fatalf("callback %d (%s) does not parse", i, c.Command)
			}
			old.Payload = ev.Payload
			old.RoomID, old.EventTime = ev.RoomID, ev.EventTime
		}
		old, err = storetest.AsVersion2(old)
		if err != nil {
			t.Fatalf("callback %d (%s): %v", i, c.Command, err)
		}
		v2 = append(v2, old)
	}
	return now, v2
}

// writeVersion2 makes a version-2 store of the new database name, as version 2's code leaves
// one that received events: version 2's schema (createAtVersion2), every event archived under
// version 2's key, and the rows of the events version 2 projected, copied from a store that
// saved only those (version 2's tables and columns).
func writeVersion2(t *testing.T, name string, events []*callback.Event) {
	t.Helper()
	db := adminDB(t, name)
	if err := createAtVersion2(t.Context(), db, name); err != nil {
		t.Fatal(err)
	}
	for _, ev := range events {
		if _, err := db.ExecContext(t.Context(), insertEventSQL, ev.SdkAppID, ev.Command, ev.RoomID,
			sqlrows.NullIfZero(ev.EventTime), ev.ClientIP, ev.OptPlatform, ev.RequestID, ev.ReceivedAt.UnixMilli(),
			ev.Raw, ev.Digest()); err != nil {
			t.Fatal(err)
		}
	}
	helper, helperName := open(t)
	for _, ev := range events {
		if ev.Payload != nil {
			if _, err := helper.Save(t.Context(), ev); err != nil {
				t.Fatal(err)
			}
		}
	}
	admin := adminDB(t, "")
	for _, table := range []*callback.Table{callback.RoomsTable, callback.MembersTable, callback.SeatsTable, locksTableV2} {
		cols := table.Names()
		if table == callback.RoomsTable {
			cols = cols[:callback.RoomsV2Columns]
		}
		list := strings.Join(cols, ", ")
		if _, err := admin.ExecContext(t.Context(), fmt.Sprintf("INSERT INTO %s.%s (%s) SELECT %s FROM %s.%s",
			name, table.Name, list, list, helperName, table.Name)); err != nil {
			t.Fatal(err)
		}
	}
}

// roomState describes the rows of one room, as the callback.Read* helpers read them, without
// updated_at; the gift ledger as a multiset of rows without delivery_id.
func roomState(t *testing.T, r callback.Reader, app int64, room string) []string {
	t.Helper()
	ctx := t.Context()
	var out []string
	add := func(kind string, row callback.Row) { out = append(out, kind+" "+fmt.Sprint(row)) }
	check := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatalf("read room %q: %v", room, err)
		}
	}
	rr, err := callback.ReadRoom(ctx, r, app, room)
	switch {
	case err == nil:
		rr.UpdatedAt = 0
		add("room", rr.Row())
	case !errors.Is(err, callback.ErrNotFound):
		check(err)
	}
	members, err := callback.ReadMembers(ctx, r, app, room)
	check(err)
	for _, m := range members {
		m.UpdatedAt = 0
		add("member", m.Row())
	}
	seats, err := callback.ReadSeats(ctx, r, app, room)
	check(err)
	for _, s := range seats {
		s.UpdatedAt = 0
		add("seat", s.Row())
	}
	admins, err := callback.ReadAdmins(ctx, r, app, room)
	check(err)
	for _, a := range admins {
		a.UpdatedAt = 0
		add("admin", a.Row())
	}
	metadata, err := callback.ReadMetadata(ctx, r, app, room)
	check(err)
	for _, m := range metadata {
		m.UpdatedAt = 0
		add("metadata", m.Row())
	}
	battles, err := callback.ReadBattles(ctx, r, app, room)
	check(err)
	for _, b := range battles {
		b.UpdatedAt = 0
		add("battle", b.Row())
	}
	gifts, err := callback.ReadGifts(ctx, r, app, room)
	check(err)
	var ledger []string
	for _, g := range gifts {
		g.DeliveryID = ""
		ledger = append(ledger, "gift "+fmt.Sprint(g.Row()))
	}
	slices.Sort(ledger)
	return append(out, ledger...)
}

// dumpAll dumps every table of db, every column, in key order.
func dumpAll(t *testing.T, db *sql.DB) []string {
	t.Helper()
	out := dump(t, db, `SELECT * FROM callback_events ORDER BY id`)
	for _, table := range append(slices.Clone(callback.Tables), locksTable) {
		for _, row := range dump(t, db, `SELECT * FROM `+table.Name+` ORDER BY `+strings.Join(table.Names()[:table.Key], ", ")) {
			out = append(out, table.Name+" | "+row)
		}
	}
	return append(out, dump(t, db, `SELECT * FROM roomhook_schema ORDER BY version`)...)
}

// TestMigrateFromVersion2 writes a version-2 store as version 2 left it (v3Callbacks: every
// command archived, the Room family's and the Live life's rows, no Live rows of version 3),
// then opens it with this code from several cold starts at once, from a clean version 2 and
// after a start that died half-way (in the refold, in the ledger). The store then has every
// table and column of a new one; each room's rows are those of a new store that saved the
// same events (updated_at aside, gifts as a multiset without delivery_id); the gift ledger
// holds one row per archived gift, its delivery_id "archive:<id>"; the battles version 2
// archived under room "" are under their FromRoomId; a second open changes nothing; and every
// archived event with an EventTime is a duplicate when delivered again.
func TestMigrateFromVersion2(t *testing.T) {
	serverURL(t)
	callbacks := v3Callbacks(t)
	events, v2Events := v3Events(t, callbacks)

	ref, _ := open(t)
	var rooms []string
	for _, ev := range events {
		if ev == nil {
			continue
		}
		if _, err := ref.Save(t.Context(), ev); err != nil {
			t.Fatalf("Save(%s of %q) on a new store: %v", ev.Command, ev.RoomID, err)
		}
		if !slices.Contains(rooms, ev.RoomID) {
			rooms = append(rooms, ev.RoomID)
		}
	}
	for _, want := range []string{"v1-room-a", "live-room-5c2e", "live-room-gifts", "live-battle-only", "live-admins-only"} {
		if !slices.Contains(rooms, want) {
			t.Fatalf("no events of room %s", want)
		}
	}
	want := map[string][]string{}
	for _, room := range rooms {
		want[room] = roomState(t, ref, v1App, room)
	}
	if len(want["live-room-5c2e"]) == 0 || !strings.Contains(strings.Join(want["live-room-5c2e"], "\n"), "battle ") {
		t.Fatalf("the new store has no battle rows for live-room-5c2e:\n%s", strings.Join(want["live-room-5c2e"], "\n"))
	}
	_, freshName := open(t)
	wantShape := shape(t, adminDB(t, freshName), freshName)

	for _, variant := range []string{"clean", "half a refold", "half a ledger"} {
		t.Run(variant, func(t *testing.T) {
			u, name := newDatabase(t)
			writeVersion2(t, name, v2Events)
			db := adminDB(t, name)
			var battlesAtNoRoom int
			if err := db.QueryRowContext(t.Context(), `SELECT count(*) FROM callback_events
				WHERE callback_command LIKE 'Live.%Battle' AND room_id = ''`).Scan(&battlesAtNoRoom); err != nil || battlesAtNoRoom == 0 {
				t.Fatalf("version 2 archived %d battles under room '' (%v), want some", battlesAtNoRoom, err)
			}
			before := dump(t, db, `SELECT id, sdk_app_id, callback_command, room_id, event_time, client_ip, opt_platform,
				request_id, received_at, raw_body, body_sha256 FROM callback_events ORDER BY id`)

			if variant != "clean" {
				// A start that died half-way: every step before the refold, then one room
				// refolded, or every step before the ledger and the ledger of the first gift.
				partial := &Store{db: db, where: name}
				collation, err := partial.keyCollation(t.Context())
				if err != nil {
					t.Fatal(err)
				}
				var firstGift int64
				if err := db.QueryRowContext(t.Context(), `SELECT MIN(id) FROM callback_events WHERE callback_command = ?`,
					callback.CommandLiveGift).Scan(&firstGift); err != nil {
					t.Fatal(err)
				}
				stop := "refold"
				if variant == "half a ledger" {
					stop = "ledger"
				}
				for _, st := range upgradeSteps(collation, firstGift) {
					if st.name == stop {
						break
					}
					if err := st.take(t.Context(), partial); err != nil {
						t.Fatal(err)
					}
				}
				if stop == "refold" {
					err = partial.refoldRoom(t.Context(), v1App, "live-room-5c2e", time.Now())
				} else {
					err = partial.ledger(t.Context(), firstGift)
				}
				if err != nil {
					t.Fatal(err)
				}
			}

			stores, ok := storetest.OpenTogether(t, 6, func() (*Store, error) {
				return Open(t.Context(), u, Options{Timeout: 30 * time.Second})
			})
			if !ok {
				t.FailNow()
			}
			s := stores[0]
			if versions := schemaVersions(t, db); !slices.Equal(versions, []int64{2, schemaVersion}) {
				t.Errorf("roomhook_schema holds %v after the migration, want [2 %d]", versions, schemaVersion)
			}
			if got := shape(t, db, name); got != wantShape {
				t.Errorf("a migrated database differs from a new one:\nmigrated:\n%s\nnew:\n%s", got, wantShape)
			}
			checkRooms := func(when string) {
				t.Helper()
				for _, room := range rooms {
					if got := roomState(t, s, v1App, room); !slices.Equal(got, want[room]) {
						t.Errorf("%s: room %q:\n got %s\nwant %s", when, room, strings.Join(got, "\n     "),
							strings.Join(want[room], "\n     "))
					}
				}
			}
			checkRooms("after the migration")

			// The archive is as version 2 left it, but for the battles, now under their room.
			after := dump(t, db, `SELECT id, sdk_app_id, callback_command, room_id, event_time, client_ip, opt_platform,
				request_id, received_at, raw_body, body_sha256 FROM callback_events ORDER BY id`)
			if len(after) != len(before) {
				t.Fatalf("the archive has %d rows, had %d", len(after), len(before))
			}
			for i := range before {
				if after[i] == before[i] {
					continue
				}
				ev := events[i]
				if ev == nil {
					t.Errorf("archive row %d changed:\n got %.200s\nwant %.200s", i+1, after[i], before[i])
					continue
				}
				was, is := strings.Split(before[i], " | "), strings.Split(after[i], " | ")
				was[3], was[4] = ev.RoomID, strconv.FormatInt(ev.EventTime, 10)
				if !strings.HasSuffix(ev.Command, "Battle") || !slices.Equal(was, is) {
					t.Errorf("archive row %d changed:\n got %.200s\nwant %.200s", i+1, after[i], before[i])
				}
			}

			// The ledger: one row per archived gift, named after the archive row.
			var wantIDs []string
			for _, row := range dump(t, db, `SELECT id, room_id, raw_body FROM callback_events WHERE callback_command = ?`,
				callback.CommandLiveGift) {
				f := strings.SplitN(row, " | ", 3)
				if _, ok := callback.GiftRowOfArchive(v1App, f[1], "x", 0, []byte(f[2])); ok {
					wantIDs = append(wantIDs, "archive:"+f[0])
				}
			}
			gotIDs := dump(t, db, `SELECT delivery_id FROM gifts`)
			slices.Sort(gotIDs)
			slices.Sort(wantIDs)
			if len(wantIDs) != 3 || !slices.Equal(gotIDs, wantIDs) {
				t.Errorf("gift ledger delivery ids %v, want %v (3)", gotIDs, wantIDs)
			}
			var unrefolded []string
			for _, room := range []string{"live-room-5c2e", "live-room-6d3f", "live-battle-only", "live-admins-only"} {
				var v sql.NullInt64
				if err := db.QueryRowContext(t.Context(), `SELECT refold_version FROM roomhook_room_locks
					WHERE sdk_app_id = ? AND room_id = ?`, v1App, room).Scan(&v); err != nil || v.Int64 != schemaVersion {
					unrefolded = append(unrefolded, fmt.Sprintf("%s: %v %v", room, v, err))
				}
			}
			if len(unrefolded) > 0 {
				t.Errorf("rooms without refold_version %d: %v", schemaVersion, unrefolded)
			}

			// A second open changes nothing.
			all := dumpAll(t, db)
			openURL(t, u)
			if got := dumpAll(t, db); !slices.Equal(got, all) {
				t.Errorf("a second open changed the database")
			}

			// Every archived event with an EventTime is a duplicate; the rows stay.
			for i, ev := range events {
				if ev == nil || ev.EventTime == 0 {
					continue
				}
				if o, err := s.Save(t.Context(), ev); err != nil || o != callback.OutcomeDuplicate {
					t.Errorf("redelivery of callback %d (%s of %q) = %v, %v; want duplicate", i, ev.Command, ev.RoomID, o, err)
				}
			}
			checkRooms("after the redeliveries")
		})
	}
}

// TestLateStartAddsNoGift plays a cold start that read version 2 and the newest archive row
// (migrate's bound) and then took long to upgrade: meanwhile another start finished the
// migration and an instance of this version saved a gift, with its ledger row. The late
// start's upgrade leaves the ledger as it is: one row per gift.
func TestLateStartAddsNoGift(t *testing.T) {
	serverURL(t)
	gift := v1store.Callback{Command: callback.CommandLiveGift, Body: `{"CallbackCommand":"Live.CallbackBeforeSendGift",` +
		`"RoomId":"late","GiftWater":{"From_Account":"fan","To_Account":["star"],"GiftId":"rose","Count":1,"Coins":10}}`}
	_, v2Events := v3Events(t, []v1store.Callback{gift})
	u, name := newDatabase(t)
	writeVersion2(t, name, v2Events)
	db := adminDB(t, name)
	late := &Store{db: db, where: name}
	var bound int64
	if err := db.QueryRowContext(t.Context(), `SELECT MAX(id) FROM callback_events`).Scan(&bound); err != nil {
		t.Fatal(err)
	}

	s := openURL(t, u)
	ev, err := gift.Event(v1App, testReceivedAt.Add(time.Second))
	if err != nil {
		t.Fatal(err)
	}
	ev.RequestID = "req-after"
	if o, err := s.Save(t.Context(), ev); err != nil || o != callback.OutcomeStored {
		t.Fatalf("Save of a gift after the migration = %v, %v", o, err)
	}
	if err := late.upgrade(t.Context(), bound); err != nil {
		t.Fatal(err)
	}
	gifts, err := callback.ReadGifts(t.Context(), s, v1App, "late")
	var ids []string
	for _, g := range gifts {
		ids = append(ids, g.DeliveryID)
	}
	if err != nil || len(ids) != 2 || ids[0] != "archive:1" || ids[1] == "archive:2" {
		t.Errorf("ledger delivery ids after a late start = %q, %v; want archive:1 and the saved gift's own", ids, err)
	}
}
