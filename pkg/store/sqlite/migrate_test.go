package sqlite_test

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"io/fs"
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

// v1App is the SDKAppID the version-1 stores of these tests are written for.
const v1App int64 = 1400000777

// writeV1 has the version-1 code write v1store.Callbacks() to a new store at path, checks that
// it is a version-1 store and returns a connection of another process to it.
func writeV1(t *testing.T, path string) *sql.DB {
	t.Helper()
	v1store.Write(t, "sqlite://"+path, v1App, v1store.Callbacks())
	db := rawDB(t, path)
	if v := version(t, db); v != 1 {
		t.Fatalf("the version-1 code wrote schema version %d", v)
	}
	if got := namesOf(columnsOf(t, db, "callback_events")); got != v1ArchiveColumns {
		t.Fatalf("the version-1 archive has columns %s", got)
	}
	return db
}

// v1ArchiveColumns and v1RoomColumns are the columns version 1 created.
const v1ArchiveColumns = "id sdk_app_id callback_command room_id event_time client_ip opt_platform request_id received_at raw_body"

var v1RoomColumns = strings.Join(callback.RoomsTable.Names()[:24], ", ")

func version(t *testing.T, db *sql.DB) int64 {
	t.Helper()
	var v int64
	if err := db.QueryRow(`SELECT max(version) FROM roomhook_schema`).Scan(&v); err != nil {
		t.Fatal(err)
	}
	return v
}

// selectAll returns every row query yields, as the driver hands the values.
func selectAll(t *testing.T, db *sql.DB, query string) [][]any {
	t.Helper()
	rows, err := db.Query(query)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	cols, err := rows.Columns()
	if err != nil {
		t.Fatal(err)
	}
	var out [][]any
	for rows.Next() {
		vals := make([]any, len(cols))
		ptrs := make([]any, len(cols))
		for i := range vals {
			ptrs[i] = &vals[i]
		}
		if err := rows.Scan(ptrs...); err != nil {
			t.Fatal(err)
		}
		out = append(out, vals)
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	return out
}

// v1Snapshot is what a version-1 store holds: every archive and room row, the archive's
// AUTOINCREMENT counter and the schema.
type v1Snapshot struct {
	events, rooms, sequence, schema [][]any
}

func snapshotV1(t *testing.T, db *sql.DB) v1Snapshot {
	t.Helper()
	return v1Snapshot{
		events:   selectAll(t, db, `SELECT `+strings.ReplaceAll(v1ArchiveColumns, " ", ", ")+` FROM callback_events ORDER BY id`),
		rooms:    selectAll(t, db, `SELECT `+v1RoomColumns+` FROM rooms ORDER BY sdk_app_id, room_id`),
		sequence: selectAll(t, db, `SELECT name, seq FROM sqlite_sequence ORDER BY name`),
		schema:   schemaOf(t, db),
	}
}

// schemaOf lists every object of the file's schema: type, name, table and SQL.
func schemaOf(t *testing.T, db *sql.DB) [][]any {
	t.Helper()
	return selectAll(t, db, `SELECT type, name, tbl_name, sql FROM sqlite_master ORDER BY type, name`)
}

// checkMigrated checks a store migrated from the version-1 store before: the current version,
// the same tables and schema as a new store's, every version-1 archive row still there with its
// id and values, body_sha256 the hash of each raw body, and the projection's rows (rooms,
// members, seats) the fold of every event version 1 archived: what a new store holds once it
// saved the same callbacks (v1Fold), updated_at aside. r is a store open on the file.
func checkMigrated(t *testing.T, db *sql.DB, r callback.Reader, before v1Snapshot) {
	t.Helper()
	if v := version(t, db); v != sqlite.SchemaVersion {
		t.Errorf("schema version %d after the migration, want %d", v, sqlite.SchemaVersion)
	}
	var n int
	if err := db.QueryRow(`SELECT count(*) FROM roomhook_schema`).Scan(&n); err != nil || n != 1 {
		t.Errorf("roomhook_schema has %d rows, %v; want 1", n, err)
	}
	checkTables(t, db)
	fresh := filepath.Join(t.TempDir(), "fresh.db")
	sqlite.WithSQL(func() { open(t, fresh) })
	if got, want := schemaOf(t, db), schemaOf(t, rawDB(t, fresh)); !reflect.DeepEqual(got, want) {
		t.Errorf("the migrated schema differs from a new store's:\n got %q\nwant %q", got, want)
	}

	after := snapshotV1(t, db)
	if !reflect.DeepEqual(after.events, before.events) {
		t.Errorf("archive rows changed:\n got %v\nwant %v", after.events, before.events)
	}
	if !reflect.DeepEqual(after.sequence, before.sequence) {
		t.Errorf("sqlite_sequence %v, want %v as version 1 left it", after.sequence, before.sequence)
	}
	for _, r := range selectAll(t, db, `SELECT id, raw_body, body_sha256 FROM callback_events ORDER BY id`) {
		if want := sha256Hex(string(r[1].([]byte))); r[2] != want {
			t.Errorf("archive row %v: body_sha256 %v, want %s", r[0], r[2], want)
		}
	}
	if got, want := v1store.Rows(t, r, v1App), v1Fold(t); !slices.Equal(got, want) {
		t.Errorf("rows after the migration:\n%s\nwant the fold of the version-1 events (a new store fed them):\n%s",
			strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	var check string
	if err := db.QueryRow(`PRAGMA integrity_check`).Scan(&check); err != nil || check != "ok" {
		t.Errorf("integrity_check = %q, %v", check, err)
	}
}

// v1Fold returns v1store.Fold of a new store: the rows the fold of every version-1 event gives.
func v1Fold(t *testing.T) []string {
	t.Helper()
	s := open(t, filepath.Join(t.TempDir(), "fold.db"))
	return v1store.Fold(t, s, v1App)
}

// TestMigrateFromV1 opens a store the version-1 code wrote with several stores at once, as
// instances starting together after an upgrade: one migrates it, to the current version in one
// transaction (each room refolded once, only the last version recorded), every one opens it,
// nothing the version-1 code archived is lost or changed, the rows become the fold of every
// archived event (those version 1 archived without projecting them included), its events are
// still duplicates when delivered again, and new events fold in on top.
func TestMigrateFromV1(t *testing.T) {
	path := filepath.Join(t.TempDir(), "v1.db")
	db := writeV1(t, path)
	before := snapshotV1(t, db)
	if len(before.events) != len(v1store.Callbacks()) {
		t.Fatalf("the version-1 store holds %d events, want %d", len(before.events), len(v1store.Callbacks()))
	}

	const n = 6
	var migrated atomic.Int32
	refolds := map[string]int{} // the migration runs under the file's write lock: one at a time
	sqlite.OnMigrationStatement(t, func(stmt string) {
		if strings.HasPrefix(stmt, "UPDATE roomhook_schema") {
			migrated.Add(1)
			if want := fmt.Sprintf("UPDATE roomhook_schema SET version = %d", sqlite.SchemaVersion); stmt != want {
				t.Errorf("the migration recorded %q, want only %q", stmt, want)
			}
		}
		if room, ok := strings.CutPrefix(stmt, "refold "); ok {
			refolds[room]++
		}
	})
	stores, ok := storetest.OpenTogether(t, n, func() (*sqlite.Store, error) {
		return sqlite.Open(t.Context(), path, sqlite.Options{})
	})
	if !ok {
		return
	}
	if m := migrated.Load(); m != 1 {
		t.Errorf("%d of %d cold starts migrated the file, want 1", m, n)
	}
	// Version 1 to the current version in one step: each room refolded once, after the last
	// step's tables exist.
	if want := map[string]int{v1store.Rooms[0]: 1, v1store.Rooms[1]: 1}; !reflect.DeepEqual(refolds, want) {
		t.Errorf("rooms refolded %v, want %v", refolds, want)
	}
	checkMigrated(t, db, stores[0], before)
	if got := v1store.Describe(t, stores[0], v1App); !slices.Equal(got, v1store.Story) {
		t.Errorf("rows after the migration:\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(v1store.Story, "\n"))
	}
	folded := v1store.Rows(t, stores[0], v1App)

	// Every version-1 event delivered again: a duplicate, or archived again when it has no
	// EventTime (no key); the rows stay the fold.
	receivedAt := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	for i, c := range v1store.Callbacks() {
		ev, err := c.Event(v1App, receivedAt)
		if err != nil {
			t.Fatalf("callback %d: %v", i, err)
		}
		want := callback.OutcomeDuplicate
		if ev.EventTime == 0 {
			want = callback.OutcomeIgnored
		}
		if o, err := stores[i%n].Save(t.Context(), ev); err != nil || o != want {
			t.Errorf("callback %d (%s) again: Save = %v, %v; want %v", i, c.Command, o, err, want)
		}
	}
	var withoutTime int
	for _, c := range v1store.Callbacks() {
		if ev, _ := c.Event(v1App, receivedAt); ev != nil && ev.EventTime == 0 {
			withoutTime++
		}
	}
	if withoutTime == 0 {
		t.Error("no version-1 callback without EventTime: the test lost a case")
	}
	evs, err := stores[0].Events(t.Context(), v1App)
	if err != nil || len(evs) != len(before.events)+withoutTime {
		t.Errorf("Events = %d rows, %v; want %d", len(evs), err, len(before.events)+withoutTime)
	}
	if got := v1store.Rows(t, stores[0], v1App); !slices.Equal(got, folded) {
		t.Errorf("rows after the version-1 events again:\n%s\nwant them unchanged:\n%s", strings.Join(got, "\n"), strings.Join(folded, "\n"))
	}

	// New events: folded in with the archived version-1 events, ids after the version-1 ones.
	s := stores[n-1]
	for _, c := range []struct {
		command, body string
		want          callback.Outcome
	}{
		// At a version-1 member event's key, another event: version 1 would have called it a
		// duplicate.
		{callback.CommandMemberEnter, fmt.Sprintf(`{"RoomId":"v1-room-a","MemberCount":4,"MemberList_Account":["u9"],"EventTime":%d}`, v1store.T0+2_000), callback.OutcomeStored},
		{callback.CommandUpdateRoom, fmt.Sprintf(`{"RoomInfo":{"RoomId":"v1-room-a","MaxSeatCount":20},"EventTime":%d}`, v1store.T0+6_000), callback.OutcomeStored},
		{callback.CommandSeatChanged, fmt.Sprintf(`{"RoomId":"v1-room-a","SeatList":[{"Index":3,"Member_Account":"u9"}],"EventTime":%d}`, v1store.T0+7_000), callback.OutcomeStored},
		// The destroy ends every member version 1 saw enter and the new one.
		{callback.CommandDestroyRoom, fmt.Sprintf(`{"RoomId":"v1-room-a","Operator_Account":"v2-admin","EventTime":%d}`, v1store.T0+8_000), callback.OutcomeStored},
	} {
		ev := event(t, c.command, c.body)
		ev.SdkAppID = v1App
		if o, err := s.Save(t.Context(), ev); err != nil || o != c.want {
			t.Errorf("new %s: Save = %v, %v; want %v", c.command, o, err, c.want)
		}
	}
	if got := v1store.Describe(t, s, v1App); !slices.Equal(got, v1StoryGoesOn) {
		t.Errorf("rows after new events:\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(v1StoryGoesOn, "\n"))
	}
	var minNew int64
	if err := db.QueryRow(`SELECT min(id) FROM callback_events WHERE received_at = ?`, receivedAt.UnixMilli()).Scan(&minNew); err != nil {
		t.Fatal(err)
	}
	if last := before.events[len(before.events)-1][0].(int64); minNew <= last {
		t.Errorf("a new event got id %d, not after version 1's last, %d", minNew, last)
	}
}

// v1StoryGoesOn is v1store.Story after TestMigrateFromV1's new events: u9 entered (at the time of a
// version-1 enter), an update, u9 seated, and the destroy that ends every member in.
var v1StoryGoesOn = []string{
	"v1-room-a: name renamed in v1, custom custom via the other spelling, video disabled false, seats 20, operator v1-admin, " +
		"by Room.CallbackAfterDestroyRoom at t0+8000, members 2 at t0+3000, destroyed at t0+8000 by v2-admin",
	"v1-room-a member 144115233775727695: left, entered t0+2000, left t0+8000 Destroyed -",
	"v1-room-a member u2: left, entered t0+2000, left t0+8000 Destroyed -",
	"v1-room-a member u3: left, entered t0+2001, left t0+3000 Kicked spam",
	"v1-room-a member u9: left, entered t0+2000, left t0+8000 Destroyed -",
	"v1-room-a seat 0: u2, taken disabled false, video disabled true, audio disabled false, at t0+2500",
	"v1-room-a seat 1: -, taken disabled <nil>, video disabled <nil>, audio disabled <nil>, at t0+2500",
	"v1-room-a seat 3: u9, taken disabled <nil>, video disabled <nil>, audio disabled <nil>, at t0+7000",
	v1store.Story[len(v1store.Story)-1],
}

// TestMigrateKeepsIDsIncreasing: the rebuilt archive carries its AUTOINCREMENT counter over,
// so an id version 1 gave and a user's pruning freed is never given again.
func TestMigrateKeepsIDsIncreasing(t *testing.T) {
	path := filepath.Join(t.TempDir(), "v1.db")
	db := writeV1(t, path)
	var last int64
	if err := db.QueryRow(`SELECT max(id) FROM callback_events`).Scan(&last); err != nil {
		t.Fatal(err)
	}
	if _, err := db.Exec(`DELETE FROM callback_events WHERE id = ?`, last); err != nil {
		t.Fatal(err)
	}
	before := snapshotV1(t, db)
	s := open(t, path)
	checkMigrated(t, db, s, before)
	ev := seedIn(t, "after-pruning", storetest.SeedEvent().EventTime)
	if o, err := s.Save(t.Context(), ev); err != nil || o != callback.OutcomeStored {
		t.Fatalf("Save = %v, %v", o, err)
	}
	var id int64
	if err := db.QueryRow(`SELECT id FROM callback_events WHERE room_id = 'after-pruning'`).Scan(&id); err != nil {
		t.Fatal(err)
	}
	if id != last+1 {
		t.Errorf("the first event after the migration got id %d, want %d (the pruned %d not given again)", id, last+1, last)
	}
}

// TestMigrationFailureLeavesV1 makes the migration fail by the end of Open's context after each
// of its statements in turn (half-way: the old archive dropped, the new one not renamed yet;
// and after the last, before the commit): every time the file must still be the version-1
// store it was, and the next cold start migrates it.
func TestMigrationFailureLeavesV1(t *testing.T) {
	v1 := filepath.Join(t.TempDir(), "v1.db")
	writeV1(t, v1)
	var stmts []string
	sqlite.OnMigrationStatement(t, func(stmt string) { stmts = append(stmts, stmt) })
	open(t, copyStore(t, v1))
	if len(stmts) < 5 {
		t.Fatalf("the migration ran %d statements", len(stmts))
	}
	for k, last := range stmts {
		t.Run(fmt.Sprintf("after %d %.40s", k+1, strings.Join(strings.Fields(last), " ")), func(t *testing.T) {
			path := copyStore(t, v1)
			db := rawDB(t, path)
			before := snapshotV1(t, db)
			ctx, cancel := context.WithCancel(t.Context())
			defer cancel()
			steps := 0
			sqlite.OnMigrationStatement(t, func(string) {
				if steps++; steps == k+1 {
					cancel()
				}
			})
			if s, err := sqlite.Open(ctx, path, sqlite.Options{}); err == nil {
				s.Close()
				t.Fatal("Open succeeded although its context ended during the migration")
			} else if !strings.Contains(err.Error(), fmt.Sprintf("schema version %d", sqlite.SchemaVersion)) {
				t.Errorf("Open = %v, want an error saying the migration failed", err)
			}
			if v := version(t, db); v != 1 {
				t.Errorf("schema version %d after a failed migration, want 1", v)
			}
			if after := snapshotV1(t, db); !reflect.DeepEqual(after, before) {
				t.Errorf("a failed migration changed the file:\n got %v\nwant %v", after, before)
			}
			var check string
			if err := db.QueryRow(`PRAGMA integrity_check`).Scan(&check); err != nil || check != "ok" {
				t.Errorf("integrity_check = %q, %v", check, err)
			}

			sqlite.OnMigrationStatement(t, nil)
			checkMigrated(t, db, open(t, path), before)
		})
	}
}

// copyStore copies the closed store at path (database and WAL) to a new directory.
func copyStore(t *testing.T, path string) string {
	t.Helper()
	dst := filepath.Join(t.TempDir(), filepath.Base(path))
	for _, suffix := range []string{"", "-wal"} {
		b, err := os.ReadFile(path + suffix)
		if errors.Is(err, fs.ErrNotExist) && suffix != "" {
			continue
		}
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(dst+suffix, b, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return dst
}

// TestMigrationKeepsUserObjects: views, indexes and triggers a user made on the version-1
// archive still work after the archive is rebuilt.
func TestMigrationKeepsUserObjects(t *testing.T) {
	path := filepath.Join(t.TempDir(), "v1.db")
	db := writeV1(t, path)
	for _, stmt := range []string{
		`CREATE VIEW creates AS SELECT id, room_id FROM callback_events WHERE callback_command = 'Room.CallbackAfterCreateRoom'`,
		`CREATE INDEX events_by_time ON callback_events (received_at)`,
		`CREATE TABLE audit (event_id INTEGER)`,
		`CREATE TRIGGER audit_events AFTER INSERT ON callback_events BEGIN INSERT INTO audit VALUES (NEW.id); END`,
	} {
		if _, err := db.Exec(stmt); err != nil {
			t.Fatal(err)
		}
	}
	before := snapshotV1(t, db)
	s := open(t, path)
	if got := schemaOf(t, db); !reflect.DeepEqual(pick(got, "creates", "events_by_time", "audit_events"), pick(before.schema, "creates", "events_by_time", "audit_events")) {
		t.Errorf("user objects after the migration:\n got %q\nwant %q", pick(got, "creates", "events_by_time", "audit_events"),
			pick(before.schema, "creates", "events_by_time", "audit_events"))
	}
	var creates int
	if err := db.QueryRow(`SELECT count(*) FROM creates`).Scan(&creates); err != nil || creates != 4 {
		t.Errorf("the view counts %d creates, %v; want 4", creates, err)
	}
	if o, err := s.Save(t.Context(), storetest.SeedEvent()); err != nil || o != callback.OutcomeStored {
		t.Fatalf("Save = %v, %v", o, err)
	}
	var audited int
	if err := db.QueryRow(`SELECT count(*) FROM audit`).Scan(&audited); err != nil || audited != 1 {
		t.Errorf("the trigger recorded %d inserts, %v; want 1", audited, err)
	}
}

// pick returns the schema rows of the objects named.
func pick(schema [][]any, names ...string) [][]any {
	var out [][]any
	for _, r := range schema {
		for _, n := range names {
			if r[1] == n {
				out = append(out, r)
			}
		}
	}
	return out
}
