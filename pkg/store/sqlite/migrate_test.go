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

// checkMigrated checks a store migrated from the version-1 store before: version 2, the same
// tables and schema as a new store's, every version-1 row still there with its id and values,
// body_sha256 the hash of each raw body, the room rows' new columns NULL.
func checkMigrated(t *testing.T, db *sql.DB, before v1Snapshot) {
	t.Helper()
	if v := version(t, db); v != 2 {
		t.Errorf("schema version %d after the migration, want 2", v)
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
	if !reflect.DeepEqual(after.rooms, before.rooms) {
		t.Errorf("room rows changed:\n got %v\nwant %v", after.rooms, before.rooms)
	}
	if !reflect.DeepEqual(after.sequence, before.sequence) {
		t.Errorf("sqlite_sequence %v, want %v as version 1 left it", after.sequence, before.sequence)
	}
	for _, r := range selectAll(t, db, `SELECT id, raw_body, body_sha256 FROM callback_events ORDER BY id`) {
		if want := sha256Hex(string(r[1].([]byte))); r[2] != want {
			t.Errorf("archive row %v: body_sha256 %v, want %s", r[0], r[2], want)
		}
	}
	for _, r := range selectAll(t, db, `SELECT room_id, member_count, member_count_at, destroyed_at, destroy_operator_account FROM rooms`) {
		if r[1] != nil || r[2] != nil || r[3] != nil || r[4] != nil {
			t.Errorf("room %v: new columns %v after the migration, want NULL", r[0], r[1:])
		}
	}
	for _, table := range []string{"room_members", "room_seats"} {
		if err := db.QueryRow(`SELECT count(*) FROM ` + table).Scan(&n); err != nil || n != 0 {
			t.Errorf("%s has %d rows, %v after the migration; want none", table, n, err)
		}
	}
	var check string
	if err := db.QueryRow(`PRAGMA integrity_check`).Scan(&check); err != nil || check != "ok" {
		t.Errorf("integrity_check = %q, %v", check, err)
	}
}

// TestMigrateFromV1 opens a store the version-1 code wrote with several stores at once, as
// instances starting together after an upgrade: one migrates it, every one opens it, nothing
// the version-1 code wrote is lost or changed, its events are still duplicates when delivered
// again, and new events are projected with the archived ones.
func TestMigrateFromV1(t *testing.T) {
	path := filepath.Join(t.TempDir(), "v1.db")
	db := writeV1(t, path)
	before := snapshotV1(t, db)
	if len(before.events) != len(v1store.Callbacks()) {
		t.Fatalf("the version-1 store holds %d events, want %d", len(before.events), len(v1store.Callbacks()))
	}

	const n = 6
	var migrated atomic.Int32
	sqlite.OnMigrationStatement(t, func(stmt string) {
		if strings.HasPrefix(stmt, "UPDATE roomhook_schema") {
			migrated.Add(1)
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
	checkMigrated(t, db, before)

	// Every version-1 event delivered again: a duplicate, or archived again when it has no
	// EventTime (no key); never projected.
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

	// New events: projected with the archived version-1 events they fold with, ids after the
	// version-1 ones.
	const t0 = 1703589922780
	s := stores[n-1]
	for _, c := range []struct {
		command, body string
		want          callback.Outcome
	}{
		// At a version-1 member event's key, another event: version 1 would have called it a
		// duplicate.
		{callback.CommandMemberEnter, fmt.Sprintf(`{"RoomId":"v1-room-a","MemberCount":4,"MemberList_Account":["u9"],"EventTime":%d}`, t0+2_000), callback.OutcomeStored},
		{callback.CommandUpdateRoom, fmt.Sprintf(`{"RoomInfo":{"RoomId":"v1-room-a","MaxSeatCount":20},"EventTime":%d}`, t0+6_000), callback.OutcomeStored},
		{callback.CommandSeatChanged, fmt.Sprintf(`{"RoomId":"v1-room-a","SeatList":[{"Index":3,"Member_Account":"u9"}],"EventTime":%d}`, t0+7_000), callback.OutcomeStored},
	} {
		ev := event(t, c.command, c.body)
		ev.SdkAppID = v1App
		if o, err := s.Save(t.Context(), ev); err != nil || o != c.want {
			t.Errorf("new %s: Save = %v, %v; want %v", c.command, o, err, c.want)
		}
	}
	room, err := callback.ReadRoom(t.Context(), s, v1App, "v1-room-a")
	if err != nil {
		t.Fatal(err)
	}
	// The create, the two updates version 1 archived raw, and the new one, folded in order;
	// the count of the newest member event, version 1's leave.
	if got := fmt.Sprintf("%v %v %v %v %v %v", deref(room.Info.RoomName), deref(room.Info.CustomInfo),
		deref(room.Info.IsVideoDisabled), deref(room.Info.MaxSeatCount), deref(room.MemberCount), deref(room.MemberCountAt)); got !=
		fmt.Sprintf("renamed in v1 custom via the other spelling false 20 2 %d", t0+3_000) {
		t.Errorf("room after the new update: %s", got)
	}
	members, err := callback.ReadMembers(t.Context(), s, v1App, "v1-room-a")
	if err != nil || len(members) != 1 || members[0].MemberAccount != "u9" || members[0].State != callback.MemberIn {
		t.Errorf("members after a new enter: %+v, %v; want u9 in", members, err)
	}
	seats, err := callback.ReadSeats(t.Context(), s, v1App, "v1-room-a")
	if err != nil || len(seats) != 1 || seats[0].SeatIndex != 3 {
		t.Errorf("seats after a new seat change: %+v, %v; want seat 3", seats, err)
	}
	var minNew int64
	if err := db.QueryRow(`SELECT min(id) FROM callback_events WHERE received_at = ?`, receivedAt.UnixMilli()).Scan(&minNew); err != nil {
		t.Fatal(err)
	}
	if last := before.events[len(before.events)-1][0].(int64); minNew <= last {
		t.Errorf("a new event got id %d, not after version 1's last, %d", minNew, last)
	}
}

func deref[T any](p *T) any {
	if p == nil {
		return nil
	}
	return *p
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
	checkMigrated(t, db, before)
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
			} else if !strings.Contains(err.Error(), "schema version 2") {
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
			open(t, path)
			checkMigrated(t, db, before)
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
