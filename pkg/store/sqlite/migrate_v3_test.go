package sqlite_test

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/roomhook/roomhook/pkg/callback"
	"github.com/roomhook/roomhook/pkg/store/sqlite"
	"github.com/roomhook/roomhook/pkg/store/storetest"
	"github.com/roomhook/roomhook/pkg/store/storetest/v1store"
)

// v2App is the SDKAppID the version-2 stores of these tests are written for.
const v2App int64 = 1400000888

// v3Events are the deliveries of the version-3 migration tests, in order: the version-1
// callbacks (the Room family's story, an unknown command and one without EventTime), every body
// of pkg/callback/testdata/live (the Live family's every command, the threshold archived raw),
// the gift delivered twice, and a gift in a Room-family room. Each has its own ReceivedAt.
func v3Events(t *testing.T) []*callback.Event {
	t.Helper()
	received := time.Date(2026, 3, 4, 5, 6, 7, 0, time.UTC)
	var evs []*callback.Event
	add := func(ev *callback.Event) {
		ev.ReceivedAt = received.Add(time.Duration(len(evs)) * time.Second)
		evs = append(evs, ev)
	}
	for i, c := range v1store.Callbacks() {
		ev, err := c.Event(v2App, received)
		if err != nil {
			t.Fatalf("version-1 callback %d: %v", i, err)
		}
		add(ev)
	}
	files, err := filepath.Glob("../../callback/testdata/live/*.json")
	if err != nil || len(files) < 15 {
		t.Fatalf("the Live bodies: %d files, %v", len(files), err)
	}
	var gift []byte
	for _, f := range files {
		body, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		ev := liveEvent(t, body)
		add(ev)
		if ev.Command == callback.CommandLiveGift {
			gift = body
		}
	}
	if gift == nil {
		t.Fatal("no gift among the Live bodies")
	}
	add(liveEvent(t, gift)) // another delivery: another ledger row
	add(liveEvent(t, []byte(strings.Replace(string(gift), `"live-room-5c2e"`, `"v1-room-a"`, 1))))
	return evs
}

// liveEvent is the event the core builds for body, a callback of v2App.
func liveEvent(t *testing.T, body []byte) *callback.Event {
	t.Helper()
	env, err := callback.ParseEnvelope(body)
	if err != nil {
		t.Fatal(err)
	}
	ev := &callback.Event{SdkAppID: v2App, Command: env.CallbackCommand, ClientIP: "203.0.113.20",
		OptPlatform: "RESTAPI", RequestID: "req-live", Raw: body}
	p, err := callback.ParsePayload(ev.Command, body)
	if err != nil {
		t.Fatalf("%s: %v", ev.Command, err)
	}
	ev.Payload = p
	ev.RoomID, ev.EventTime = env.RoomID, env.EventTime
	if p != nil {
		ev.RoomID, ev.EventTime = p.Key()
	}
	return ev
}

// v2Key is the archive key version 2 gave ev: its payload's for a command it projected, the
// envelope's for any other (a battle's stages under an empty room_id: the envelope reads no
// FromRoomId).
func v2Key(t *testing.T, ev *callback.Event) (string, int64) {
	t.Helper()
	v2, err := storetest.AsVersion2(ev)
	if err != nil {
		t.Fatal(err)
	}
	return v2.RoomID, v2.EventTime
}

// v2Store is a version-2 store written for the events of v3Events, and what a store that had
// version 3 from the start holds for them.
type v2Store struct {
	path   string
	events []*callback.Event
	fresh  *sqlite.Store // a new store that saved every event
}

// writeV2 makes a version-2 store at a new path as the version-2 code left it once it had
// received v3Events: made by the migration path at version 2 (OpenAtVersion), the archive holding
// every event under version 2's key (v2Key) with its body, and the rows of the commands version
// 2 projected (the Room family, the Live life on version 2's columns, Live members and owners),
// as a store fed only those events holds them, on version 2's tables and columns.
func writeV2(t *testing.T) v2Store {
	t.Helper()
	evs := v3Events(t)
	dir := t.TempDir()
	path := filepath.Join(dir, "v2.db")
	s, err := sqlite.OpenAtVersion(t.Context(), path, 2)
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	db := rawDB(t, path)
	if v := version(t, db); v != 2 {
		t.Fatalf("OpenAtVersion(2) made version %d", v)
	}
	if got := namesOf(columnsOf(t, db, "rooms")); got != strings.Join(callback.RoomsTable.Names()[:callback.RoomsV2Columns], " ") {
		t.Fatalf("version 2's rooms has columns %s", got)
	}

	// The rows of what version 2 projected: a current store fed those events alone.
	projected := filepath.Join(dir, "projected.db")
	ps := open(t, projected)
	fresh := open(t, filepath.Join(dir, "fresh.db"))
	for i, ev := range evs {
		if _, err := fresh.Save(t.Context(), ev); err != nil {
			t.Fatalf("event %d (%s): fresh store: %v", i, ev.Command, err)
		}
		if slices.Contains(storetest.V2Projected, ev.Command) {
			if _, err := ps.Save(t.Context(), ev); err != nil {
				t.Fatalf("event %d (%s): %v", i, ev.Command, err)
			}
		}
		room, eventTime := v2Key(t, ev)
		if _, err := db.Exec(`INSERT INTO callback_events (sdk_app_id, callback_command, room_id, event_time,
			client_ip, opt_platform, request_id, received_at, raw_body, body_sha256) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
			ev.SdkAppID, ev.Command, room, sql.NullInt64{Int64: eventTime, Valid: eventTime != 0}, ev.ClientIP,
			ev.OptPlatform, ev.RequestID, ev.ReceivedAt.UnixMilli(), ev.Raw, ev.Digest()); err != nil {
			t.Fatalf("archive event %d: %v", i, err)
		}
	}
	conn, err := db.Conn(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	v2Rooms := strings.Join(callback.RoomsTable.Names()[:callback.RoomsV2Columns], ", ")
	for _, stmt := range []string{
		`ATTACH DATABASE '` + projected + `' AS projected`,
		`INSERT INTO rooms (` + v2Rooms + `) SELECT ` + v2Rooms + ` FROM projected.rooms`,
		`INSERT INTO room_members SELECT * FROM projected.room_members`,
		`INSERT INTO room_seats SELECT * FROM projected.room_seats`,
		`DETACH DATABASE projected`,
	} {
		if _, err := conn.ExecContext(t.Context(), stmt); err != nil {
			t.Fatalf("%s: %v", stmt, err)
		}
	}
	var battles int
	if err := db.QueryRow(`SELECT count(*) FROM callback_events WHERE room_id = '' AND callback_command LIKE 'Live.%Battle'`).Scan(&battles); err != nil || battles < 3 {
		t.Fatalf("the version-2 archive holds %d battle stages under an empty room_id, %v; want them all", battles, err)
	}
	return v2Store{path: path, events: evs, fresh: fresh}
}

// rooms lists every room the events name, in their payload or their envelope.
func (v v2Store) rooms(t *testing.T) []string {
	t.Helper()
	var out []string
	for _, ev := range v.events {
		room, _ := v2Key(t, ev)
		out = append(out, ev.RoomID, room)
	}
	slices.Sort(out)
	return slices.Compact(out)
}

// roomState is what a store holds for one room, read with the callback.Read* helpers and
// written as JSON: every row with updated_at zeroed, and the gift ledger without delivery ids
// (a multiset, sorted).
func roomState(t *testing.T, r callback.Reader, app int64, room string) string {
	t.Helper()
	ctx := t.Context()
	var st struct {
		Room     *callback.RoomRow
		Members  []*callback.MemberRow
		Seats    []*callback.SeatRow
		Admins   []*callback.AdminRow
		Metadata []*callback.MetadataRow
		Battles  []*callback.BattleRow
		Gifts    []string
	}
	var err error
	if st.Room, err = callback.ReadRoom(ctx, r, app, room); errors.Is(err, callback.ErrNotFound) {
		st.Room = nil
	} else if err != nil {
		t.Fatal(err)
	} else {
		st.Room.UpdatedAt = 0
	}
	must := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatalf("room %q: %v", room, err)
		}
	}
	st.Members, err = callback.ReadMembers(ctx, r, app, room)
	must(err)
	st.Seats, err = callback.ReadSeats(ctx, r, app, room)
	must(err)
	st.Admins, err = callback.ReadAdmins(ctx, r, app, room)
	must(err)
	st.Metadata, err = callback.ReadMetadata(ctx, r, app, room)
	must(err)
	st.Battles, err = callback.ReadBattles(ctx, r, app, room)
	must(err)
	gifts, err := callback.ReadGifts(ctx, r, app, room)
	must(err)
	for _, m := range st.Members {
		m.UpdatedAt = 0
	}
	for _, s := range st.Seats {
		s.UpdatedAt = 0
	}
	for _, a := range st.Admins {
		a.UpdatedAt = 0
	}
	for _, m := range st.Metadata {
		m.UpdatedAt = 0
	}
	for _, b := range st.Battles {
		b.UpdatedAt = 0
	}
	for _, g := range gifts {
		g.DeliveryID = ""
		b, err := json.Marshal(g)
		must(err)
		st.Gifts = append(st.Gifts, string(b))
	}
	slices.Sort(st.Gifts)
	b, err := json.MarshalIndent(st, "", " ")
	must(err)
	return string(b)
}

// dumpAll is every row of every table of the file, in a stable order.
func dumpAll(t *testing.T, db *sql.DB) map[string][][]any {
	t.Helper()
	out := map[string][][]any{}
	for _, r := range selectAll(t, db, `SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name`) {
		name := r[0].(string)
		rows := selectAll(t, db, `SELECT * FROM "`+name+`"`)
		slices.SortFunc(rows, func(a, b []any) int { return strings.Compare(fmt.Sprint(a...), fmt.Sprint(b...)) })
		out[name] = rows
	}
	return out
}

// archiveRows are the archive rows of the file, every column, by id.
func archiveRows(t *testing.T, db *sql.DB) [][]any {
	t.Helper()
	return selectAll(t, db, `SELECT * FROM callback_events ORDER BY id`)
}

// show is row i of rows, bodies as text, or "none".
func show(rows [][]any, i int) string {
	if i >= len(rows) {
		return "none"
	}
	vals := make([]string, len(rows[i]))
	for j, v := range rows[i] {
		switch v := v.(type) {
		case []byte:
			vals[j] = fmt.Sprintf("%q", v)
		case string:
			vals[j] = fmt.Sprintf("%q", v)
		default:
			vals[j] = fmt.Sprint(v)
		}
	}
	return "[" + strings.Join(vals, " ") + "]"
}

// roomRows are the rows of rooms in the tables version 2 had, version 2's columns (updated_at
// too).
func roomRows(t *testing.T, db *sql.DB, rooms ...string) [][]any {
	t.Helper()
	var out [][]any
	for _, table := range []*callback.Table{callback.RoomsTable, callback.MembersTable, callback.SeatsTable} {
		cols := table.Names()
		if table == callback.RoomsTable {
			cols = cols[:callback.RoomsV2Columns]
		}
		for _, room := range rooms {
			out = append(out, selectAll(t, db, `SELECT `+strings.Join(cols, ", ")+` FROM `+table.Name+
				` WHERE room_id = '`+room+`' ORDER BY 1, 2, 3`)...)
		}
	}
	return out
}

// checkMigratedV2 checks a store migrated from the version-2 store v: the current version, the
// same schema as a new store's, the archive as a store that had version 3 from the start keeps
// the same events (the battle stages re-keyed under their room, nothing else changed), each
// room's rows those of that store (updated_at and delivery ids aside), the gift ledger one row
// "archive:<id>" per archived gift, and the rooms with no event version 3 projects anew left
// as they were, to the last column.
func checkMigratedV2(t *testing.T, v v2Store, s callback.Reader, before, beforeRooms [][]any) {
	t.Helper()
	db := rawDB(t, v.path)
	if got := version(t, db); got != sqlite.SchemaVersion {
		t.Errorf("schema version %d after the migration, want %d", got, sqlite.SchemaVersion)
	}
	checkTables(t, db)
	fresh := filepath.Join(t.TempDir(), "new.db")
	sqlite.WithSQL(func() { open(t, fresh) })
	if got, want := schemaOf(t, db), schemaOf(t, rawDB(t, fresh)); !reflect.DeepEqual(got, want) {
		t.Errorf("the migrated schema differs from a new store's:\n got %q\nwant %q", got, want)
	}

	// The archive: every row kept with its id and values; only the battle stages' room_id
	// changed, to the key a store that had version 3 from the start gives them.
	freshDB := rawDB(t, filepath.Join(filepath.Dir(v.path), "fresh.db"))
	after := archiveRows(t, db)
	if want := archiveRows(t, freshDB); !reflect.DeepEqual(after, want) {
		for i := range max(len(after), len(want)) {
			if i >= len(after) || i >= len(want) || !reflect.DeepEqual(after[i], want[i]) {
				t.Errorf("the migrated archive differs from a new store's at row %d:\n got %s\nwant %s", i+1, show(after, i), show(want, i))
			}
		}
	}
	if len(after) != len(before) {
		t.Fatalf("%d archive rows after the migration, %d before", len(after), len(before))
	}
	for i, row := range after {
		old := before[i]
		for c := range row {
			if c == 3 && old[2] != nil && strings.HasSuffix(old[2].(string), "Battle") && old[3] == "" {
				continue // room_id of a battle stage: re-keyed
			}
			if !reflect.DeepEqual(row[c], old[c]) {
				t.Errorf("archive row %v, column %d: %s, was %s", row[0], c, show([][]any{row}, 0), show([][]any{old}, 0))
			}
		}
	}

	for _, room := range v.rooms(t) {
		if got, want := roomState(t, s, v2App, room), roomState(t, v.fresh, v2App, room); got != want {
			t.Errorf("room %q after the migration:\n%s\nwant, as a new store that saved the same events:\n%s", room, got, want)
		}
	}

	// The ledger: one row per archived gift, under its archive id.
	var want []string
	for _, r := range selectAll(t, db, `SELECT id FROM callback_events WHERE callback_command = '`+callback.CommandLiveGift+`' ORDER BY id`) {
		want = append(want, fmt.Sprintf("archive:%d", r[0]))
	}
	var got []string
	for _, r := range selectAll(t, db, `SELECT delivery_id FROM gifts ORDER BY delivery_id`) {
		got = append(got, r[0].(string))
	}
	slices.Sort(want)
	if len(want) < 3 || !slices.Equal(got, want) {
		t.Errorf("gift ledger delivery ids %q, want %q (one per archived gift)", got, want)
	}

	// The Room family's rooms hold no event version 3 projects anew: not refolded, not touched.
	if got := roomRows(t, db, v1store.Rooms...); !reflect.DeepEqual(got, beforeRooms) {
		t.Errorf("rows of the Room family's rooms changed:\n got %v\nwant %v", got, beforeRooms)
	}
	var check string
	if err := db.QueryRow(`PRAGMA integrity_check`).Scan(&check); err != nil || check != "ok" {
		t.Errorf("integrity_check = %q, %v", check, err)
	}
}

// TestMigrateFromV2 opens a store the version-2 code left (made by the migration path, filled as
// that code fills it) with several stores at once, as instances starting together after an
// upgrade: one migrates it, in one transaction (one version recorded, each room refolded once),
// every one opens it, and it then holds what a store that had version 3 from the start holds
// for the same events (checkMigratedV2). A second open changes nothing, and every archived
// event delivered again is a duplicate (a gift, which has no key, is a new delivery).
func TestMigrateFromV2(t *testing.T) {
	v := writeV2(t)
	db := rawDB(t, v.path)
	before, beforeRooms := archiveRows(t, db), roomRows(t, db, v1store.Rooms...)
	if len(beforeRooms) < 5 {
		t.Fatalf("the version-2 store holds %d rows of the Room family's rooms", len(beforeRooms))
	}

	const n = 6
	var migrated atomic.Int32
	refolds := map[string]int{}
	var steps []string
	sqlite.OnMigrationStatement(t, func(stmt string) {
		steps = append(steps, stmt) // the migration runs under the file's write lock: one at a time
		if strings.HasPrefix(stmt, "UPDATE roomhook_schema") {
			migrated.Add(1)
		}
		if room, ok := strings.CutPrefix(stmt, "refold "); ok {
			refolds[room]++
		}
	})
	stores, ok := storetest.OpenTogether(t, n, func() (*sqlite.Store, error) {
		return sqlite.Open(t.Context(), v.path, sqlite.Options{})
	})
	if !ok {
		return
	}
	if m := migrated.Load(); m != 1 {
		t.Errorf("%d of %d cold starts migrated the file, want 1", m, n)
	}
	for room, k := range refolds {
		if k != 1 {
			t.Errorf("room %q refolded %d times, want once", room, k)
		}
	}
	for _, room := range []string{"live-room-5c2e", "live-room-6d3f", "live-room-7e40"} {
		if refolds[room] != 1 {
			t.Errorf("room %q was not refolded (refolds %v)", room, refolds)
		}
	}
	for _, room := range v1store.Rooms {
		if refolds[room] != 0 {
			t.Errorf("Room-family room %q refolded", room)
		}
	}
	if !slices.Contains(steps, "rekey 4") {
		t.Errorf("the migration's steps %q: want the 4 battle stages re-keyed", steps)
	}
	checkMigratedV2(t, v, stores[0], before, beforeRooms)

	// A second open: nothing changes, nothing runs.
	migratedOnce := dumpAll(t, db)
	steps = nil
	open(t, v.path)
	if len(steps) > 0 {
		t.Errorf("a second open ran %q", steps)
	}
	if got := dumpAll(t, db); !reflect.DeepEqual(got, migratedOnce) {
		t.Errorf("a second open changed the file:\n got %v\nwant %v", got, migratedOnce)
	}

	// Every event again, each through another of the stores.
	gifts := 0
	for i, ev := range v.events {
		want := callback.OutcomeDuplicate
		switch {
		case ev.Command == callback.CommandLiveGift:
			// No archive key; its ledger row's delivery id is the delivery's own, not the
			// archive:<id> the migration gave the first delivery: one more row.
			want, gifts = callback.OutcomeStored, gifts+1
		case ev.EventTime == 0:
			want = callback.OutcomeIgnored
		}
		if o, err := stores[i%n].Save(t.Context(), ev); err != nil || o != want {
			t.Errorf("event %d (%s) again: Save = %v, %v; want %v", i, ev.Command, o, err, want)
		}
	}
	again := dumpAll(t, db)
	for table, rows := range migratedOnce {
		switch table {
		case "callback_events", "sqlite_sequence", "gifts":
			continue
		}
		if !reflect.DeepEqual(again[table], rows) {
			t.Errorf("%s after every event again:\n got %v\nwant %v", table, again[table], rows)
		}
	}
	if got, want := len(again["gifts"]), len(migratedOnce["gifts"])+gifts; got != want {
		t.Errorf("%d gift ledger rows after every gift again, want %d", got, want)
	}
}

// TestMigrationFailureLeavesV2 makes the migration from version 2 fail by the end of Open's
// context after each of its steps in turn: every time the file must still be the version-2
// store it was, and the next cold start migrates it.
func TestMigrationFailureLeavesV2(t *testing.T) {
	v := writeV2(t)
	var steps []string
	sqlite.OnMigrationStatement(t, func(stmt string) { steps = append(steps, stmt) })
	open(t, copyStore(t, v.path))
	if len(steps) < 20 {
		t.Fatalf("the migration ran %d steps: %q", len(steps), steps)
	}
	for k, last := range steps {
		t.Run(fmt.Sprintf("after %d %.40s", k+1, strings.Join(strings.Fields(last), " ")), func(t *testing.T) {
			path := copyStore(t, v.path)
			db := rawDB(t, path)
			before, schema := dumpAll(t, db), schemaOf(t, db)
			ctx, cancel := context.WithCancel(t.Context())
			defer cancel()
			n := 0
			sqlite.OnMigrationStatement(t, func(string) {
				if n++; n == k+1 {
					cancel()
				}
			})
			if s, err := sqlite.Open(ctx, path, sqlite.Options{}); err == nil {
				s.Close()
				t.Fatal("Open succeeded although its context ended during the migration")
			} else if !strings.Contains(err.Error(), fmt.Sprintf("schema version %d", sqlite.SchemaVersion)) {
				t.Errorf("Open = %v, want an error saying the migration failed", err)
			}
			if got := dumpAll(t, db); !reflect.DeepEqual(got, before) {
				t.Errorf("a failed migration changed the file:\n got %v\nwant %v", got, before)
			}
			if got := schemaOf(t, db); !reflect.DeepEqual(got, schema) {
				t.Errorf("a failed migration changed the schema:\n got %q\nwant %q", got, schema)
			}
			sqlite.OnMigrationStatement(t, nil)
			s := open(t, path)
			if got := version(t, db); got != sqlite.SchemaVersion {
				t.Errorf("version %d after the next open", got)
			}
			for _, room := range v.rooms(t) {
				if got, want := roomState(t, s, v2App, room), roomState(t, v.fresh, v2App, room); got != want {
					t.Errorf("room %q:\n%s\nwant\n%s", room, got, want)
				}
			}
		})
	}
}

// TestMigrateFromV1WithLive: a version-1 store that archived the Live family raw (version 1 knew
// none of it: every Live callback under its envelope's key, a battle's under an empty room, a
// create whose EventTime is inside RoomInfo without one) goes to the current version in one
// migration, each room refolded once, and then holds what a new store that saved the same
// events holds: the archived Live events put under their key, their rooms folded, the gift
// ledger made of the archived gifts.
func TestMigrateFromV1WithLive(t *testing.T) {
	callbacks := v1store.Callbacks()
	for _, ev := range v3Events(t)[len(callbacks):] {
		callbacks = append(callbacks, v1store.Callback{Command: ev.Command, Body: string(ev.Raw),
			ClientIP: ev.ClientIP, OptPlatform: ev.OptPlatform})
	}
	path := filepath.Join(t.TempDir(), "v1.db")
	v1store.Write(t, "sqlite://"+path, v1App, callbacks)
	db := rawDB(t, path)
	if v := version(t, db); v != 1 {
		t.Fatalf("the version-1 code wrote schema version %d", v)
	}
	var archived int
	if err := db.QueryRow(`SELECT count(*) FROM callback_events`).Scan(&archived); err != nil || archived != len(callbacks) {
		t.Fatalf("the version-1 store archived %d of %d callbacks, %v", archived, len(callbacks), err)
	}

	refolds := map[string]int{}
	var rekeyed string
	sqlite.OnMigrationStatement(t, func(stmt string) {
		if room, ok := strings.CutPrefix(stmt, "refold "); ok {
			refolds[room]++
		}
		if n, ok := strings.CutPrefix(stmt, "rekey "); ok {
			rekeyed = n
		}
	})
	s := open(t, path)
	for room, k := range refolds {
		if k != 1 {
			t.Errorf("room %q refolded %d times, want once", room, k)
		}
	}
	if len(refolds) < 5 {
		t.Errorf("rooms refolded: %v; want the Room family's and the Live rooms", refolds)
	}
	// The 4 battle stages, and the 2 creates whose EventTime version 1's envelope did not read.
	if rekeyed != "6" {
		t.Errorf("%s archive rows re-keyed, want 6", rekeyed)
	}
	checkTables(t, db)

	// A new store fed the archived events, as the current code reads them, at the times they
	// were received.
	evs, err := s.Events(t.Context(), v1App)
	if err != nil || len(evs) != len(callbacks) {
		t.Fatalf("Events = %d, %v", len(evs), err)
	}
	fresh := open(t, filepath.Join(t.TempDir(), "fresh.db"))
	rooms := []string{""}
	for i, ev := range evs {
		c := v1store.Callback{Command: ev.Command, Body: string(ev.Raw), ClientIP: ev.ClientIP, OptPlatform: ev.OptPlatform}
		again, err := c.Event(v1App, ev.ReceivedAt)
		if err != nil {
			t.Fatal(err)
		}
		if again.EventTime != ev.EventTime || again.RoomID != ev.RoomID {
			t.Errorf("archive row %d (%s) is under room %q, time %d after the migration; the current code keys it %q, %d",
				i+1, ev.Command, ev.RoomID, ev.EventTime, again.RoomID, again.EventTime)
		}
		if _, err := fresh.Save(t.Context(), again); err != nil {
			t.Fatal(err)
		}
		rooms = append(rooms, again.RoomID)
	}
	slices.Sort(rooms)
	for _, room := range slices.Compact(rooms) {
		if got, want := roomState(t, s, v1App, room), roomState(t, fresh, v1App, room); got != want {
			t.Errorf("room %q after the migration:\n%s\nwant, as a new store that saved the same events:\n%s", room, got, want)
		}
	}
	var gifts, ledger int
	if err := db.QueryRow(`SELECT count(*) FROM callback_events WHERE callback_command = ?`, callback.CommandLiveGift).Scan(&gifts); err != nil {
		t.Fatal(err)
	}
	if err := db.QueryRow(`SELECT count(*) FROM gifts WHERE delivery_id = 'archive:' || (SELECT id FROM callback_events e
		WHERE e.callback_command = ? AND 'archive:' || e.id = gifts.delivery_id)`, callback.CommandLiveGift).Scan(&ledger); err != nil {
		t.Fatal(err)
	}
	if gifts < 3 || ledger != gifts {
		t.Errorf("%d ledger rows of %d archived gifts", ledger, gifts)
	}
}
