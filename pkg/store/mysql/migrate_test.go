package mysql

import (
	"database/sql"
	"fmt"
	"slices"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/roomhook/roomhook/pkg/callback"
	"github.com/roomhook/roomhook/pkg/store/storetest"
	"github.com/roomhook/roomhook/pkg/store/storetest/v1store"
)

// TestMigrateFromVersion1 writes a store with the released version-1 code, then opens it with
// this code from several cold starts at once: the schema becomes version 2 and looks exactly
// like a new database's, every row is kept unchanged with the SHA-256 of its body, the events
// version 1 archived are duplicates when delivered again, and new events are projected with
// the archive version 1 left.
func TestMigrateFromVersion1(t *testing.T) {
	serverURL(t)
	const app = v1App
	callbacks := v1store.Callbacks()
	u, name := newDatabase(t)
	v1store.Write(t, u, app, callbacks)
	db := adminDB(t, name)
	if versions := schemaVersions(t, db); !slices.Equal(versions, []int64{1}) {
		t.Fatalf("version 1 wrote roomhook_schema %v, want [1]", versions)
	}
	selectV1Events := `SELECT ` + strings.Join(v1Columns()["callback_events"], ", ") + ` FROM callback_events ORDER BY id`
	selectV1Rooms := `SELECT ` + strings.Join(v1Columns()["rooms"], ", ") + ` FROM rooms ORDER BY sdk_app_id, room_id`
	v1Events, v1RoomRows := dump(t, db, selectV1Events), dump(t, db, selectV1Rooms)
	if len(v1Events) != len(callbacks) || len(v1RoomRows) != 2 {
		t.Fatalf("version 1 wrote %d events and %d rooms, want %d and 2", len(v1Events), len(v1RoomRows), len(callbacks))
	}

	stores, ok := storetest.OpenTogether(t, 8, func() (*Store, error) {
		return Open(t.Context(), u, Options{Timeout: 20 * time.Second})
	})
	if !ok {
		t.FailNow()
	}
	s := stores[0]

	if versions := schemaVersions(t, db); !slices.Equal(versions, []int64{1, schemaVersion}) {
		t.Errorf("roomhook_schema holds %v after the migration, want [1 %d]", versions, schemaVersion)
	}
	_, fresh := open(t)
	if got, want := shape(t, db, name), shape(t, adminDB(t, fresh), fresh); got != want {
		t.Errorf("a migrated database differs from a new one:\nmigrated:\n%s\nnew:\n%s", got, want)
	}
	// The rows are the fold of every event version 1 archived, those it did not project
	// included: what a new store holds once it saved the same callbacks.
	checkFold(t, s)
	folded := v1store.Rows(t, s, v1App)
	checkKept := func(when string) {
		t.Helper()
		// The rows version 1 wrote come first; a redelivery may add one after them.
		if got := dump(t, db, selectV1Events+` LIMIT ?`, len(v1Events)); !slices.Equal(got, v1Events) {
			t.Errorf("%s: the archive changed:\n got %q\nwant %q", when, got, v1Events)
		}
		if got := v1store.Rows(t, s, v1App); !slices.Equal(got, folded) {
			t.Errorf("%s: rows changed:\n%s\nwant\n%s", when, strings.Join(got, "\n"), strings.Join(folded, "\n"))
		}
	}
	checkKept("after the migration")
	checkDigests(t, db)

	// Every event version 1 archived is a duplicate now, except the one without EventTime,
	// which has no key and is archived again.
	for i, c := range callbacks {
		ev, err := c.Event(app, time.Now())
		if err != nil {
			t.Fatalf("callback %d: %v", i, err)
		}
		want := callback.OutcomeDuplicate
		if ev.EventTime == 0 {
			want = callback.OutcomeIgnored
		}
		if o, err := s.Save(t.Context(), ev); err != nil || o != want {
			t.Errorf("redelivery of callback %d (%s) = %v, %v; want %v", i, c.Command, o, err, want)
		}
	}
	checkKept("after the redeliveries")
	if evs, err := s.Events(t.Context(), app); err != nil || len(evs) != len(callbacks)+1 {
		t.Errorf("archive has %d rows (%v) after the redeliveries, want %d", len(evs), err, len(callbacks)+1)
	}

	// New events fold in on top of what version 1 archived: updates, a member enter beside
	// version 1's members, and a destroy that ends every member in.
	newEvents := []*callback.Event{
		event(t, callback.CommandUpdateRoom, fmt.Sprintf(`{"CallbackCommand":"Room.CallbackAfterUpdateRoomInfo",`+
			`"RoomInfo":{"RoomId":"v1-room-a","RoomName":"renamed in v2"},"EventTime":%d}`, v1store.T0+6_000)),
		event(t, callback.CommandMemberEnter, fmt.Sprintf(`{"CallbackCommand":"Room.CallbackAfterMemberEnter",`+
			`"RoomId":"v1-room-a","MemberCount":3,"MemberList_Account":["u9"],"EventTime":%d}`, v1store.T0+7_000)),
		event(t, callback.CommandUpdateRoom, fmt.Sprintf(`{"CallbackCommand":"Room.CallbackAfterUpdateRoomInfo",`+
			`"RoomInfo":{"RoomId":"v1-room-b","CustomInfo":"after the destroy"},"EventTime":%d}`, v1store.T0+8_000)),
		event(t, callback.CommandDestroyRoom, fmt.Sprintf(`{"CallbackCommand":"Room.CallbackAfterDestroyRoom",`+
			`"RoomId":"v1-room-a","Operator_Account":"v2-admin","EventTime":%d}`, v1store.T0+9_000)),
	}
	for _, ev := range newEvents {
		if o, err := s.Save(t.Context(), ev); err != nil || o != callback.OutcomeStored {
			t.Errorf("Save(%s of %s) after the migration = %v, %v; want stored", ev.Command, ev.RoomID, o, err)
		}
	}
	checkDigests(t, db)
	want := []string{
		"v1-room-a: name renamed in v2, custom custom via the other spelling, video disabled false, seats 16, operator v1-admin, " +
			"by Room.CallbackAfterDestroyRoom at t0+9000, members 3 at t0+7000, destroyed at t0+9000 by v2-admin",
		"v1-room-a member 144115233775727695: left, entered t0+2000, left t0+9000 Destroyed -",
		"v1-room-a member u2: left, entered t0+2000, left t0+9000 Destroyed -",
		"v1-room-a member u3: left, entered t0+2001, left t0+3000 Kicked spam",
		"v1-room-a member u9: left, entered t0+7000, left t0+9000 Destroyed -",
		"v1-room-a seat 0: u2, taken disabled false, video disabled true, audio disabled false, at t0+2500",
		"v1-room-a seat 1: -, taken disabled <nil>, video disabled <nil>, audio disabled <nil>, at t0+2500",
		// An update after the destroy changes the row of the life that ended.
		"v1-room-b: name B again, custom after the destroy, video disabled <nil>, seats 8, operator 144115233775727695, " +
			"by Room.CallbackAfterUpdateRoomInfo at t0+8000, members <nil> at -, destroyed at t0+4000 by v1-admin",
	}
	if got := v1store.Describe(t, s, v1App); !slices.Equal(got, want) {
		t.Errorf("rows after new events:\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
}

// v1App is the SDKAppID the version-1 stores of these tests are written for.
const v1App = storetest.SeedSdkAppID

// checkFold checks that the rows of r are the fold of every event of v1store.Callbacks: as a
// new store holds them once it saved the same callbacks, updated_at aside, and as the story
// the callbacks tell says (v1store.Story).
func checkFold(t *testing.T, r callback.Reader) {
	t.Helper()
	v1store.Check(t, r, v1App, v1Fold(t))
}

// v1Fold returns v1store.Fold of a new store: the rows the fold of every version-1 event gives.
func v1Fold(t *testing.T) []string {
	t.Helper()
	s, _ := open(t)
	return v1store.Fold(t, s, v1App)
}

// TestMigrationResumes plays a migration that died after each of its steps (and in the middle
// of the backfill, and of the refold): the next cold starts, several at once, complete it, and
// the database ends exactly as a migration run in one go leaves it, but for when the refold
// wrote the rows (updated_at) and how many refolds locked a room (roomhook_room_locks.saves).
func TestMigrationResumes(t *testing.T) {
	serverURL(t)
	src, srcName := newDatabase(t)
	v1store.Write(t, src, v1App, v1store.Callbacks())

	refURL, refName := cloneDatabase(t, srcName)
	checkFold(t, openURL(t, refURL))
	ref := adminDB(t, refName)
	const selectEvents = `SELECT * FROM callback_events ORDER BY id`
	wantEvents, wantRows, wantShape := dump(t, ref, selectEvents), projectionRows(t, ref), shape(t, ref, refName)
	checkDigests(t, ref)

	collation, err := (&Store{db: ref, where: refName}).keyCollation(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	steps := upgradeSteps(collation, 1<<62)
	if steps[len(steps)-2].name != "refold" {
		t.Fatal("the refold is not the step before the last")
	}
	addsRoomsColumn := func(k int) bool { return k >= 0 && k < len(steps) && strings.HasPrefix(steps[k].name, "add rooms.") }
	for k := 0; k <= len(steps); k++ {
		if testing.Short() && addsRoomsColumn(k-1) && addsRoomsColumn(k) {
			continue // -short: one stop inside each run of rooms' ADD COLUMNs is enough
		}
		for _, half := range []bool{false, true} {
			halfBackfill := half && k > 0 && steps[k-1].stmt == addBodySHA256
			halfRefold := half && k < len(steps) && steps[k].name == "refold"
			if half && !halfBackfill && !halfRefold {
				continue
			}
			t.Run(fmt.Sprintf("after %d steps, half a backfill %v, half a refold %v", k, halfBackfill, halfRefold), func(t *testing.T) {
				u, name := cloneDatabase(t, srcName)
				db := adminDB(t, name)
				partial := &Store{db: db, where: name}
				for _, st := range steps[:k] {
					if err := st.take(t.Context(), partial); err != nil {
						t.Fatal(err)
					}
				}
				if halfBackfill {
					if _, err := db.ExecContext(t.Context(), backfill, 0, 7); err != nil {
						t.Fatal(err)
					}
				}
				if halfRefold {
					if err := partial.refoldRoom(t.Context(), v1App, "v1-room-a", time.Now()); err != nil {
						t.Fatal(err)
					}
				}
				stores, ok := storetest.OpenTogether(t, 3, func() (*Store, error) {
					return Open(t.Context(), u, Options{Timeout: 20 * time.Second})
				})
				if !ok {
					t.FailNow()
				}
				if versions := schemaVersions(t, db); !slices.Equal(versions, []int64{1, schemaVersion}) {
					t.Errorf("roomhook_schema holds %v, want [1 %d]", versions, schemaVersion)
				}
				if got := dump(t, db, selectEvents); !slices.Equal(got, wantEvents) {
					t.Errorf("archive:\n got %q\nwant %q", got, wantEvents)
				}
				if got := projectionRows(t, db); !slices.Equal(got, wantRows) {
					t.Errorf("rows:\n got %q\nwant %q", got, wantRows)
				}
				if got := shape(t, db, name); got != wantShape {
					t.Errorf("schema:\n got %s\nwant %s", got, wantShape)
				}
				checkFold(t, stores[0])
				if halfRefold {
					// The room the start that died had refolded is not refolded again.
					var saves int
					if err := db.QueryRowContext(t.Context(), `SELECT saves FROM roomhook_room_locks
						WHERE sdk_app_id = ? AND room_id = 'v1-room-a'`, v1App).Scan(&saves); err != nil || saves != 1 {
						t.Errorf("room a locked %d times (%v) by the refolds, want once", saves, err)
					}
				}
			})
		}
	}
}

// projectionRows dumps the projection's tables and the room locks, without what differs from
// one run of the migration to the next: updated_at (when the refold wrote a row) and saves
// (how many racing starts refolded the room).
func projectionRows(t *testing.T, db *sql.DB) []string {
	t.Helper()
	var out []string
	for _, table := range append(slices.Clone(callback.Tables), locksTable) {
		var cols []string
		for _, c := range table.Names() {
			if c != "updated_at" && c != "saves" {
				cols = append(cols, c)
			}
		}
		for _, row := range dump(t, db, `SELECT `+strings.Join(cols, ", ")+` FROM `+table.Name+
			` ORDER BY `+strings.Join(table.Names()[:table.Key], ", ")) {
			out = append(out, table.Name+" | "+row)
		}
	}
	return out
}

// checkDigests checks that every archive row's body_sha256 is the SHA-256 of its raw_body.
func checkDigests(t *testing.T, db *sql.DB) {
	t.Helper()
	rows, err := db.QueryContext(t.Context(), `SELECT id, raw_body, body_sha256 FROM callback_events ORDER BY id`)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	for rows.Next() {
		var id int64
		var raw []byte
		var digest string
		if err := rows.Scan(&id, &raw, &digest); err != nil {
			t.Fatal(err)
		}
		if want := sha256Hex(raw); digest != want {
			t.Errorf("archive row %d: body_sha256 %q, want %s", id, digest, want)
		}
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
}

// dump returns the rows query selects, each as its values joined by " | ", NULL as <NULL>.
func dump(t *testing.T, db *sql.DB, query string, args ...any) []string {
	t.Helper()
	rows, err := db.QueryContext(t.Context(), query, args...)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	cols, err := rows.Columns()
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for rows.Next() {
		vals := make([]sql.NullString, len(cols))
		dest := make([]any, len(cols))
		for i := range vals {
			dest[i] = &vals[i]
		}
		if err := rows.Scan(dest...); err != nil {
			t.Fatal(err)
		}
		parts := make([]string, len(cols))
		for i, v := range vals {
			parts[i] = "<NULL>"
			if v.Valid {
				parts[i] = v.String
			}
		}
		out = append(out, strings.Join(parts, " | "))
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	return out
}

// shape describes the tables of database name: their options, columns, indexes and CHECK
// constraints, one line each, every line starting with its table's name.
func shape(t *testing.T, db *sql.DB, name string) string {
	t.Helper()
	var lines []string
	lines = append(lines, dump(t, db, `SELECT TABLE_NAME, ENGINE, TABLE_COLLATION, ROW_FORMAT
		FROM information_schema.TABLES WHERE TABLE_SCHEMA = ?`, name)...)
	lines = append(lines, dump(t, db, `SELECT TABLE_NAME, ORDINAL_POSITION, COLUMN_NAME, COLUMN_TYPE, IS_NULLABLE,
		COLUMN_DEFAULT, CHARACTER_SET_NAME, COLLATION_NAME, EXTRA
		FROM information_schema.COLUMNS WHERE TABLE_SCHEMA = ?`, name)...)
	lines = append(lines, dump(t, db, `SELECT TABLE_NAME, INDEX_NAME, NON_UNIQUE, SEQ_IN_INDEX, COLUMN_NAME, SUB_PART
		FROM information_schema.STATISTICS WHERE TABLE_SCHEMA = ?`, name)...)
	// MariaDB names a table's CHECK_CONSTRAINTS rows; MySQL does not, and names constraints
	// per database.
	var checks []string
	if rows, err := db.QueryContext(t.Context(), `SELECT TABLE_NAME FROM information_schema.CHECK_CONSTRAINTS LIMIT 0`); err == nil {
		rows.Close()
		checks = dump(t, db, `SELECT TABLE_NAME, CONSTRAINT_NAME, CHECK_CLAUSE
			FROM information_schema.CHECK_CONSTRAINTS WHERE CONSTRAINT_SCHEMA = ?`, name)
	} else {
		checks = dump(t, db, `SELECT tc.TABLE_NAME, cc.CONSTRAINT_NAME, cc.CHECK_CLAUSE
			FROM information_schema.TABLE_CONSTRAINTS tc JOIN information_schema.CHECK_CONSTRAINTS cc
			ON cc.CONSTRAINT_SCHEMA = tc.TABLE_SCHEMA AND cc.CONSTRAINT_NAME = tc.CONSTRAINT_NAME
			WHERE tc.TABLE_SCHEMA = ? AND tc.CONSTRAINT_TYPE = 'CHECK'`, name)
	}
	for _, c := range checks {
		lines = append(lines, strings.Replace(c, " | ", " | check ", 1))
	}
	sort.Strings(lines)
	return strings.Join(lines, "\n")
}

// tableShape returns the lines of a shape that describe table.
func tableShape(shape, table string) string {
	var out []string
	for _, l := range strings.Split(shape, "\n") {
		if strings.HasPrefix(l, table+" | ") {
			out = append(out, l)
		}
	}
	return strings.Join(out, "\n")
}

// cloneDatabase copies every table of database src, rows and ids included, into a new
// database, dropped when the test ends.
func cloneDatabase(t *testing.T, src string) (storeURL, name string) {
	t.Helper()
	storeURL, name = newDatabase(t)
	admin := adminDB(t, "")
	for _, table := range dump(t, admin, `SELECT TABLE_NAME FROM information_schema.TABLES WHERE TABLE_SCHEMA = ?`, src) {
		for _, stmt := range []string{
			fmt.Sprintf("CREATE TABLE %s.%s LIKE %s.%s", name, table, src, table),
			fmt.Sprintf("INSERT INTO %s.%s SELECT * FROM %s.%s", name, table, src, table),
		} {
			if _, err := admin.ExecContext(t.Context(), stmt); err != nil {
				t.Fatalf("clone %s: %v", src, err)
			}
		}
	}
	return storeURL, name
}

// TestBackfillBatches migrates an archive of more rows than one backfill batch, with a gap in
// its ids: every row gets its digest. (The rows are inserted with SQL in version 1's schema;
// TestMigrateFromVersion1 covers what version 1 really writes.)
func TestBackfillBatches(t *testing.T) {
	u, name := newDatabase(t)
	db := adminDB(t, name)
	collation, err := (&Store{db: db, where: name}).keyCollation(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	for _, stmt := range schemaV1 {
		if _, err := db.ExecContext(t.Context(), fmt.Sprintf(stmt, collation)); err != nil {
			t.Fatal(err)
		}
	}
	for _, stmt := range []string{createVersionTable, `INSERT INTO roomhook_schema (version) VALUES (1)`} {
		if _, err := db.ExecContext(t.Context(), stmt); err != nil {
			t.Fatal(err)
		}
	}
	ids := []int64{}
	for id := int64(1); id <= 2*backfillBatch+3; id++ {
		ids = append(ids, id)
	}
	ids = append(ids, 10*backfillBatch+7)
	tx, err := db.BeginTx(t.Context(), nil)
	if err != nil {
		t.Fatal(err)
	}
	defer tx.Rollback()
	for _, id := range ids {
		if _, err := tx.ExecContext(t.Context(), `INSERT INTO callback_events (id, sdk_app_id, callback_command,
			room_id, event_time, client_ip, opt_platform, request_id, received_at, raw_body)
			VALUES (?, 1, 'Room.CallbackAfterSomethingNew', 'r', ?, '', '', '', 0, ?)`,
			id, id, fmt.Sprintf(`{"n":%d}`, id)); err != nil {
			t.Fatal(err)
		}
	}
	if err := tx.Commit(); err != nil {
		t.Fatal(err)
	}
	openURL(t, u)
	checkDigests(t, db)
	var empty int
	if err := db.QueryRowContext(t.Context(), `SELECT count(*) FROM callback_events WHERE body_sha256 = ''`).Scan(&empty); err != nil || empty != 0 {
		t.Errorf("%d rows (%v) without body_sha256, want none", empty, err)
	}
}
