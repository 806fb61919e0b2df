package sqlite_test

import (
	"context"
	"crypto/sha256"
	"database/sql"
	"encoding/hex"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/roomhook/roomhook/pkg/callback"
	"github.com/roomhook/roomhook/pkg/store/sqlite"
	"github.com/roomhook/roomhook/pkg/store/storetest"
)

func TestConformance(t *testing.T) {
	storetest.Run(t, func(t *testing.T) storetest.Backend {
		return open(t, filepath.Join(t.TempDir(), "roomhook.db"))
	})
}

// open opens a store and closes it when the test ends.
func open(t *testing.T, path string) *sqlite.Store {
	t.Helper()
	s, err := sqlite.Open(t.Context(), path, sqlite.Options{})
	if err != nil {
		t.Fatalf("Open(%q): %v", path, err)
	}
	t.Cleanup(func() {
		if err := s.Close(); err != nil {
			t.Errorf("Close: %v", err)
		}
	})
	return s
}

// seedEventIn returns the seed event (a create) of room at eventTime, its body rewritten to
// say so and parsed again.
func seedEventIn(room string, eventTime int64) (*callback.Event, error) {
	ev := storetest.SeedEvent()
	raw := strings.Replace(string(ev.Raw), `"RoomId":"`+ev.RoomID+`"`, `"RoomId":"`+room+`"`, 1)
	raw = strings.Replace(raw, fmt.Sprintf(`"EventTime":%d`, ev.EventTime), fmt.Sprintf(`"EventTime":%d`, eventTime), 1)
	return withBody(ev, raw)
}

// withBody returns ev with the body raw, parsed as ev.Command's: payload and archive key.
func withBody(ev *callback.Event, raw string) (*callback.Event, error) {
	ev.Raw = []byte(raw)
	p, err := callback.ParsePayload(ev.Command, ev.Raw)
	if err != nil {
		return nil, err
	}
	ev.Payload = p
	if p != nil {
		ev.RoomID, ev.EventTime = p.Key()
	}
	return ev, nil
}

func seedIn(t testing.TB, room string, eventTime int64) *callback.Event {
	t.Helper()
	ev, err := seedEventIn(room, eventTime)
	if err != nil {
		t.Fatal(err)
	}
	return ev
}

// sha256Hex is the body_sha256 of body.
func sha256Hex(body string) string {
	sum := sha256.Sum256([]byte(body))
	return hex.EncodeToString(sum[:])
}

// rawDB opens the file the way another process would: its own connection pool, no roomhook code.
func rawDB(t *testing.T, path string) *sql.DB {
	t.Helper()
	db, err := sql.Open("sqlite", "file:"+path+"?_busy_timeout=5000")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	return db
}

func TestSchemaVersion(t *testing.T) {
	path := filepath.Join(t.TempDir(), "r.db")
	open(t, path)

	db := rawDB(t, path)
	var versions []int64
	rows, err := db.Query(`SELECT version FROM roomhook_schema`)
	if err != nil {
		t.Fatal(err)
	}
	for rows.Next() {
		var v int64
		if err := rows.Scan(&v); err != nil {
			t.Fatal(err)
		}
		versions = append(versions, v)
	}
	if err := rows.Close(); err != nil {
		t.Fatal(err)
	}
	if len(versions) != 1 || versions[0] != sqlite.SchemaVersion {
		t.Errorf("roomhook_schema holds %v, want [%d]", versions, sqlite.SchemaVersion)
	}

	var mode string
	if err := db.QueryRow(`PRAGMA journal_mode`).Scan(&mode); err != nil {
		t.Fatal(err)
	}
	if mode != "wal" {
		t.Errorf("journal_mode = %q, want wal", mode)
	}
}

// archiveColumns are callback_events' columns in version 2, in order.
const archiveColumns = "id sdk_app_id callback_command room_id event_time client_ip opt_platform request_id received_at raw_body body_sha256"

// tableInfo is one row of PRAGMA table_info.
type tableInfo struct {
	name, typ   string
	notNull, pk int
}

func columnsOf(t *testing.T, db *sql.DB, table string) []tableInfo {
	t.Helper()
	rows, err := db.Query(`SELECT name, type, "notnull", pk FROM pragma_table_info(?) ORDER BY cid`, table)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	var out []tableInfo
	for rows.Next() {
		var c tableInfo
		if err := rows.Scan(&c.name, &c.typ, &c.notNull, &c.pk); err != nil {
			t.Fatal(err)
		}
		out = append(out, c)
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	return out
}

func namesOf(cols []tableInfo) string {
	names := make([]string, len(cols))
	for i, c := range cols {
		names[i] = c.name
	}
	return strings.Join(names, " ")
}

// uniqueKeys lists the columns of each unique index of table (UNIQUE constraints included),
// the primary key's left out.
func uniqueKeys(t *testing.T, db *sql.DB, table string) []string {
	t.Helper()
	rows, err := db.Query(`SELECT (SELECT group_concat(name, ' ') FROM (SELECT name FROM pragma_index_info(l.name) ORDER BY seqno))
		FROM pragma_index_list(?) l WHERE l."unique" AND l.origin != 'pk' ORDER BY l.name`, table)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	var keys []string
	for rows.Next() {
		var k string
		if err := rows.Scan(&k); err != nil {
			t.Fatal(err)
		}
		keys = append(keys, k)
	}
	return keys
}

// checkTables checks the file's tables against the contract: callback_events with version 2's
// columns and archive key, roomhook_schema, and every table of the projection as its callback
// descriptor says (columns in order, type, NULL or NOT NULL, primary key).
func checkTables(t *testing.T, db *sql.DB) {
	t.Helper()
	if got := namesOf(columnsOf(t, db, "callback_events")); got != archiveColumns {
		t.Errorf("columns of callback_events:\n got %s\nwant %s", got, archiveColumns)
	}
	if got, want := uniqueKeys(t, db, "callback_events"), []string{"sdk_app_id room_id callback_command event_time body_sha256"}; !slices.Equal(got, want) {
		t.Errorf("unique keys of callback_events = %q, want %q", got, want)
	}
	if got := namesOf(columnsOf(t, db, "roomhook_schema")); got != "version" {
		t.Errorf("columns of roomhook_schema: %s, want version", got)
	}
	for _, table := range callback.Tables {
		cols := columnsOf(t, db, table.Name)
		if got, want := namesOf(cols), strings.Join(table.Names(), " "); got != want {
			t.Errorf("columns of %s:\n got %s\nwant %s", table.Name, got, want)
			continue
		}
		for i, c := range table.Columns {
			typ := "TEXT"
			if c.Kind == callback.KindInt || c.Kind == callback.KindBool {
				typ = "INTEGER"
			}
			pk := 0
			if i < table.Key {
				pk = i + 1
			}
			notNull := 1
			if c.Nullable {
				notNull = 0
			}
			if got, want := cols[i], (tableInfo{c.Name, typ, notNull, pk}); got != want {
				t.Errorf("%s.%s is %+v, want %+v", table.Name, c.Name, got, want)
			}
		}
		if keys := uniqueKeys(t, db, table.Name); len(keys) > 0 {
			t.Errorf("%s has unique keys %q besides its primary key", table.Name, keys)
		}
	}
	var tables []string
	rows, err := db.Query(`SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' ORDER BY name`)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	for rows.Next() {
		var name string
		if err := rows.Scan(&name); err != nil {
			t.Fatal(err)
		}
		tables = append(tables, name)
	}
	want := []string{"callback_events", "roomhook_schema"}
	for _, table := range callback.Tables {
		want = append(want, table.Name)
	}
	slices.Sort(want)
	if !slices.Equal(tables, want) {
		t.Errorf("tables %q, want %q", tables, want)
	}
}

// TestColumns pins the table and column names: they are a contract users query directly.
func TestColumns(t *testing.T) {
	path := filepath.Join(t.TempDir(), "r.db")
	open(t, path)
	checkTables(t, rawDB(t, path))
	// The same through SQL statements, without the new-file image.
	path = filepath.Join(t.TempDir(), "sql.db")
	sqlite.WithSQL(func() { open(t, path) })
	checkTables(t, rawDB(t, path))
}

// event builds the event the core would for a callback of app with body.
func event(t *testing.T, command, body string) *callback.Event {
	t.Helper()
	ev := &callback.Event{SdkAppID: storetest.SeedSdkAppID, Command: command, ClientIP: "203.0.113.7",
		OptPlatform: "RESTAPI", RequestID: "req-" + command, ReceivedAt: storetest.SeedEvent().ReceivedAt}
	ev, err := withBody(ev, body)
	if err != nil {
		t.Fatalf("%s: %v", command, err)
	}
	if ev.Payload == nil {
		env, err := callback.ParseEnvelope(ev.Raw)
		if err != nil {
			t.Fatal(err)
		}
		ev.RoomID, ev.EventTime = env.RoomID, env.EventTime
	}
	return ev
}

// TestStoredForm checks how values sit in the file, for users who query it with SQL.
func TestStoredForm(t *testing.T) {
	path := filepath.Join(t.TempDir(), "r.db")
	s := open(t, path)
	ev, err := withBody(storetest.SeedEvent(), strings.Replace(string(storetest.SeedEvent().Raw),
		`["user2","user3","user3"]`, `["user2","<user&3>"]`, 1))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.Save(t.Context(), ev); err != nil {
		t.Fatal(err)
	}
	unknown := &callback.Event{SdkAppID: ev.SdkAppID, Command: "Group.CallbackAfterSendMsg", ReceivedAt: ev.ReceivedAt, Raw: []byte("{}")}
	if _, err := s.Save(t.Context(), unknown); err != nil {
		t.Fatal(err)
	}

	db := rawDB(t, path)
	var (
		invitees                  string
		video, eventTime, updated int64
		receivedAt                int64
		nullTimes                 int
	)
	err = db.QueryRow(`SELECT schedule_invitee_list_account, is_video_disabled, event_time, updated_at FROM rooms`).
		Scan(&invitees, &video, &eventTime, &updated)
	if err != nil {
		t.Fatal(err)
	}
	if invitees != `["user2","<user&3>"]` {
		t.Errorf("schedule_invitee_list_account = %s, want a plain JSON array", invitees)
	}
	if video != 1 || eventTime != 1703589922780 || updated != ev.ReceivedAt.UnixMilli() {
		t.Errorf("is_video_disabled, event_time, updated_at = %d, %d, %d", video, eventTime, updated)
	}
	if err := db.QueryRow(`SELECT received_at FROM callback_events ORDER BY id LIMIT 1`).Scan(&receivedAt); err != nil {
		t.Fatal(err)
	}
	if receivedAt != ev.ReceivedAt.UnixMilli() {
		t.Errorf("received_at = %d, want %d (Unix ms)", receivedAt, ev.ReceivedAt.UnixMilli())
	}
	if err := db.QueryRow(`SELECT count(*) FROM callback_events WHERE event_time IS NULL AND room_id = ''`).Scan(&nullTimes); err != nil {
		t.Fatal(err)
	}
	if nullTimes != 1 {
		t.Errorf("%d archive rows with NULL event_time and empty room_id, want 1", nullTimes)
	}
	rows, err := db.Query(`SELECT raw_body, body_sha256 FROM callback_events ORDER BY id`)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	for rows.Next() {
		var raw []byte
		var digest string
		if err := rows.Scan(&raw, &digest); err != nil {
			t.Fatal(err)
		}
		if digest != sha256Hex(string(raw)) {
			t.Errorf("body_sha256 %s of %q, want its SHA-256 in lowercase hex", digest, raw)
		}
	}
}

// TestStoredFormLifecycle checks how the version 2 columns and tables sit in the file: member
// and seat rows, the member count and the end of a life.
func TestStoredFormLifecycle(t *testing.T) {
	path := filepath.Join(t.TempDir(), "r.db")
	s := open(t, path)
	const t0 = 1703589922780
	for _, c := range []struct{ command, body string }{
		{callback.CommandCreateRoom, `{"RoomInfo":{"RoomId":"r1"},"EventTime":1703589922780}`},
		{callback.CommandMemberEnter, `{"RoomId":"r1","MemberCount":2,"MemberList_Account":["u1","u2"],"EventTime":1703589923000}`},
		{callback.CommandMemberLeave, `{"RoomId":"r1","MemberCount":1,"Type":"Kicked","Reason":"spam","MemberList_Account":["u2"],"EventTime":1703589924000}`},
		{callback.CommandSeatChanged, `{"RoomId":"r1","SeatList":[{"Index":0,"Member_Account":"u1","IsTakenDisabled":false,"IsVideoDisabled":true},{"Index":1,"Member_Account":""}],"EventTime":1703589925000}`},
		{callback.CommandDestroyRoom, `{"Operator_Account":"admin","RoomId":"r1","EventTime":1703589926000}`},
	} {
		if o, err := s.Save(t.Context(), event(t, c.command, c.body)); err != nil || o != callback.OutcomeStored {
			t.Fatalf("%s: Save = %v, %v", c.command, o, err)
		}
	}
	db := rawDB(t, path)
	dump := func(query string) string {
		t.Helper()
		rows, err := db.Query(query)
		if err != nil {
			t.Fatal(err)
		}
		defer rows.Close()
		cols, _ := rows.Columns()
		var lines []string
		for rows.Next() {
			vals := make([]any, len(cols))
			ptrs := make([]any, len(cols))
			for i := range vals {
				ptrs[i] = &vals[i]
			}
			if err := rows.Scan(ptrs...); err != nil {
				t.Fatal(err)
			}
			var fields []string
			for _, v := range vals {
				switch v := v.(type) {
				case nil:
					fields = append(fields, "NULL")
				case string:
					fields = append(fields, "'"+v+"'")
				default:
					fields = append(fields, fmt.Sprint(v))
				}
			}
			lines = append(lines, strings.Join(fields, " "))
		}
		return strings.Join(lines, "\n")
	}
	updated := storetest.SeedEvent().ReceivedAt.UnixMilli()
	for _, c := range []struct{ query, want string }{
		{`SELECT member_count, member_count_at, destroyed_at, destroy_operator_account, callback_command, event_time FROM rooms`,
			fmt.Sprintf("1 %d %d 'admin' '%s' %d", t0+1220, t0+3220, callback.CommandDestroyRoom, t0+3220)},
		{`SELECT * FROM room_members ORDER BY member_account`, fmt.Sprintf(
			"%d 'r1' 'u1' 'left' %d %d 'Destroyed' NULL %d %d\n%d 'r1' 'u2' 'left' %d %d 'Kicked' 'spam' %d %d",
			storetest.SeedSdkAppID, t0+220, t0+3220, t0+3220, updated,
			storetest.SeedSdkAppID, t0+220, t0+1220, t0+1220, updated)},
		{`SELECT * FROM room_seats ORDER BY seat_index`, fmt.Sprintf(
			"%d 'r1' 0 'u1' 0 1 NULL %d %d\n%d 'r1' 1 NULL NULL NULL NULL %d %d",
			storetest.SeedSdkAppID, t0+2220, updated, storetest.SeedSdkAppID, t0+2220, updated)},
		{`SELECT typeof(state), typeof(is_taken_disabled) FROM room_members, room_seats LIMIT 1`, "'text' 'integer'"},
	} {
		if got := dump(c.query); got != c.want {
			t.Errorf("%s:\n got %s\nwant %s", c.query, got, c.want)
		}
	}
	// The checks users' own writes meet, as roomhook's.
	for _, stmt := range []string{
		`UPDATE room_members SET state = 'gone'`,
		`UPDATE room_seats SET is_video_disabled = 2`,
		`UPDATE rooms SET member_count = NULL, destroyed_at = NULL`, // nullable: allowed
		`UPDATE callback_events SET body_sha256 = upper(body_sha256)`,
		`UPDATE callback_events SET body_sha256 = 'abc'`,
	} {
		_, err := db.Exec(stmt)
		if allowed := strings.Contains(stmt, "NULL"); (err == nil) != allowed {
			t.Errorf("%s: %v", stmt, err)
		}
	}
}

func TestReopenKeepsData(t *testing.T) {
	path := filepath.Join(t.TempDir(), "r.db")
	s, err := sqlite.Open(t.Context(), path, sqlite.Options{})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.Save(t.Context(), storetest.SeedEvent()); err != nil {
		t.Fatal(err)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}

	s = open(t, path)
	if o, err := s.Save(t.Context(), storetest.SeedEvent()); err != nil || o != callback.OutcomeDuplicate {
		t.Errorf("Save after reopen = %v, %v; want duplicate", o, err)
	}
	if _, err := callback.ReadRoom(t.Context(), s, storetest.SeedSdkAppID, "tandy-test-rest"); err != nil {
		t.Errorf("ReadRoom after reopen: %v", err)
	}
	var n int
	if err := rawDB(t, path).QueryRow(`SELECT count(*) FROM roomhook_schema`).Scan(&n); err != nil || n != 1 {
		t.Errorf("roomhook_schema has %d rows (%v) after reopen, want 1", n, err)
	}
}

func TestNewerSchemaRefused(t *testing.T) {
	path := filepath.Join(t.TempDir(), "r.db")
	s, err := sqlite.Open(t.Context(), path, sqlite.Options{})
	if err != nil {
		t.Fatal(err)
	}
	s.Close()
	db := rawDB(t, path)
	if _, err := db.Exec(`UPDATE roomhook_schema SET version = 4`); err != nil {
		t.Fatal(err)
	}

	s, err = sqlite.Open(t.Context(), path, sqlite.Options{})
	if err == nil {
		s.Close()
		t.Fatal("Open of a version 4 file succeeded, want an error")
	}
	if !errors.Is(err, sqlite.ErrSchemaTooNew) {
		t.Errorf("err = %v, want ErrSchemaTooNew", err)
	}
	if !strings.Contains(err.Error(), "version 4") {
		t.Errorf("err = %q, want it to name the version found", err)
	}
}

func TestForeignFileRefused(t *testing.T) {
	path := filepath.Join(t.TempDir(), "r.db")
	db := rawDB(t, path)
	if _, err := db.Exec(`CREATE TABLE rooms (id INTEGER)`); err != nil {
		t.Fatal(err)
	}
	if s, err := sqlite.Open(t.Context(), path, sqlite.Options{}); err == nil {
		s.Close()
		t.Fatal("Open of a file with someone else's rooms table succeeded, want an error")
	}

	garbage := filepath.Join(t.TempDir(), "garbage.db")
	if err := os.WriteFile(garbage, []byte(strings.Repeat("not a database ", 100)), 0o600); err != nil {
		t.Fatal(err)
	}
	if s, err := sqlite.Open(t.Context(), garbage, sqlite.Options{}); err == nil {
		s.Close()
		t.Fatal("Open of a file that is not SQLite succeeded, want an error")
	}
}

func TestOpenErrors(t *testing.T) {
	dir := t.TempDir()
	file := filepath.Join(dir, "plain-file")
	if err := os.WriteFile(file, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name    string
		path    string
		wantMsg string
	}{
		{"empty path", "", "empty database path"},
		{"missing parent directory", filepath.Join(dir, "no", "such", "dir", "r.db"), "does not exist"},
		{"parent is a file", filepath.Join(file, "r.db"), "not a directory"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			s, err := sqlite.Open(t.Context(), tc.path, sqlite.Options{})
			if err == nil {
				s.Close()
				t.Fatalf("Open(%q) succeeded, want an error", tc.path)
			}
			if !strings.Contains(err.Error(), tc.wantMsg) {
				t.Errorf("Open(%q) = %q, want it to contain %q", tc.path, err, tc.wantMsg)
			}
		})
	}
	if _, err := os.Stat(filepath.Join(dir, "no")); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("Open created the missing directory (stat: %v)", err)
	}
}

// TestOddFileNames checks that characters meaningful in a DSN stay part of the file name.
func TestOddFileNames(t *testing.T) {
	for _, name := range []string{"r?mode=ro.db", "r#1.db", "r%20x.db", "r 1 ☃.db", "file:r.db"} {
		t.Run(name, func(t *testing.T) {
			dir := t.TempDir()
			s := open(t, filepath.Join(dir, name))
			if _, err := s.Save(t.Context(), storetest.SeedEvent()); err != nil {
				t.Fatal(err)
			}
			entries, err := os.ReadDir(dir)
			if err != nil {
				t.Fatal(err)
			}
			var names []string
			for _, e := range entries {
				names = append(names, e.Name())
			}
			if len(names) == 0 || names[0] != name {
				t.Errorf("directory holds %q, want the database named %q first", names, name)
			}
		})
	}
}

func TestRelativePath(t *testing.T) {
	t.Chdir(t.TempDir())
	open(t, "r.db")
	if _, err := os.Stat("r.db"); err != nil {
		t.Errorf("relative path: %v", err)
	}
}

func TestOpenHonoursContext(t *testing.T) {
	ctx, cancel := context.WithCancel(t.Context())
	cancel()
	s, err := sqlite.Open(ctx, filepath.Join(t.TempDir(), "r.db"), sqlite.Options{})
	if err == nil {
		s.Close()
		t.Fatal("Open with a cancelled context succeeded, want an error")
	}
}

// TestReaderWhileWriting plays another process: its own pool on the same file reads while this
// store holds the write lock, and sees only committed rows.
func TestReaderWhileWriting(t *testing.T) {
	path := filepath.Join(t.TempDir(), "r.db")
	s := open(t, path)
	if _, err := s.Save(t.Context(), storetest.SeedEvent()); err != nil {
		t.Fatal(err)
	}

	// A writer in "another process" holds the write lock with an uncommitted row.
	writer := rawDB(t, path)
	conn, err := writer.Conn(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	if _, err := conn.ExecContext(t.Context(), `BEGIN IMMEDIATE`); err != nil {
		t.Fatal(err)
	}
	if _, err := conn.ExecContext(t.Context(),
		`INSERT INTO callback_events (sdk_app_id, callback_command, client_ip, opt_platform, request_id, received_at, raw_body, body_sha256)
		 VALUES (?, 'Other.Command', '', '', 'other-process', 0, x'7b7d', ?)`, storetest.SeedSdkAppID, sha256Hex("{}")); err != nil {
		t.Fatal(err)
	}

	// Readers are not blocked by the writer and do not see its uncommitted row.
	evs, err := s.Events(t.Context(), storetest.SeedSdkAppID)
	if err != nil {
		t.Fatalf("Events while another process writes: %v", err)
	}
	if len(evs) != 1 {
		t.Errorf("Events while another process writes: %d rows, want 1", len(evs))
	}
	if _, err := callback.ReadRoom(t.Context(), s, storetest.SeedSdkAppID, "tandy-test-rest"); err != nil {
		t.Errorf("ReadRoom while another process writes: %v", err)
	}

	// A Save waits for the lock and gives up when its context ends; nothing is written.
	ctx, cancel := context.WithTimeout(t.Context(), 200*time.Millisecond)
	ev := storetest.SeedEvent()
	ev.Command = "Other.Blocked"
	ev.Payload = nil
	if o, err := s.Save(ctx, ev); err == nil {
		t.Errorf("Save while another process holds the write lock = %v, nil; want an error", o)
	}
	cancel()

	if _, err := conn.ExecContext(t.Context(), `COMMIT`); err != nil {
		t.Fatal(err)
	}
	evs, err = s.Events(t.Context(), storetest.SeedSdkAppID)
	if err != nil {
		t.Fatal(err)
	}
	if len(evs) != 2 || evs[1].RequestID != "other-process" {
		t.Errorf("after the other commit: %d rows, want 2 ending with the other process's", len(evs))
	}
	// Once the lock is free the store writes again.
	if o, err := s.Save(t.Context(), ev); err != nil || o != callback.OutcomeIgnored {
		t.Errorf("Save after the lock is released = %v, %v; want ignored", o, err)
	}
}

// TestTwoHandlesOneFile delivers the same event through two stores on one file at once, as two
// function instances sharing a disk would: exactly one stores it.
func TestTwoHandlesOneFile(t *testing.T) {
	path := filepath.Join(t.TempDir(), "r.db")
	stores := []*sqlite.Store{open(t, path), open(t, path)}

	const perStore = 8
	counts := storetest.SaveTogether(t, len(stores)*perStore, func(k int) (callback.Outcome, error) {
		i, j := k/perStore, k%perStore
		ev := storetest.SeedEvent()
		ev.RequestID = fmt.Sprintf("store-%d-%d", i, j)
		return stores[i].Save(t.Context(), ev)
	})
	if counts[callback.OutcomeStored] != 1 || counts[callback.OutcomeDuplicate] != 2*perStore-1 {
		t.Errorf("outcomes = %v, want 1 stored, %d duplicate", counts, 2*perStore-1)
	}
	evs, err := stores[1].Events(t.Context(), storetest.SeedSdkAppID)
	if err != nil || len(evs) != 1 {
		t.Errorf("Events = %d rows, %v; want 1", len(evs), err)
	}
}

func TestSaveRejectsInconsistentEvent(t *testing.T) {
	s := open(t, filepath.Join(t.TempDir(), "r.db"))
	for name, mutate := range map[string]func(*callback.Event){
		"room id":    func(ev *callback.Event) { ev.RoomID = "other" },
		"event time": func(ev *callback.Event) { ev.EventTime++ },
	} {
		ev := storetest.SeedEvent()
		mutate(ev)
		if o, err := s.Save(t.Context(), ev); err == nil {
			t.Errorf("%s mismatch: Save = %v, nil; want an error", name, o)
		}
	}
	if _, err := s.Save(t.Context(), nil); err == nil {
		t.Error("Save(nil) succeeded, want an error")
	}
	evs, err := s.Events(t.Context(), storetest.SeedSdkAppID)
	if err != nil || len(evs) != 0 {
		t.Errorf("Events after rejected saves = %d rows, %v; want none", len(evs), err)
	}
}

// TestFileGoneWhileOpen: SQLite keeps writing to the file it has open even once nothing can
// reach it, so a Save whose file was removed, moved away or replaced must fail and write
// nothing, rather than acknowledge an event that is lost with the process.
func TestFileGoneWhileOpen(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "store")
	if err := os.Mkdir(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(dir, "r.db")
	s := open(t, path)
	seed := storetest.SeedEvent()
	if _, err := s.Save(t.Context(), seed); err != nil {
		t.Fatal(err)
	}
	next := seedIn(t, seed.RoomID, seed.EventTime+1)

	away := dir + ".away"
	if err := os.Rename(dir, away); err != nil {
		t.Fatal(err)
	}
	for name, ev := range map[string]*callback.Event{"new event": next, "duplicate": storetest.SeedEvent()} {
		if o, err := s.Save(t.Context(), ev); err == nil || !strings.Contains(err.Error(), "is gone") {
			t.Errorf("%s with the directory moved away: Save = %v, %v; want an error saying the file is gone", name, o, err)
		}
	}
	if err := os.Rename(away, dir); err != nil {
		t.Fatal(err)
	}
	if o, err := s.Save(t.Context(), next); err != nil || o != callback.OutcomeStored {
		t.Fatalf("with the directory back: Save = %v, %v; want stored (the failed attempt wrote nothing)", o, err)
	}

	// Replaced by a copy: the store's file is not the one at the path any more.
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.Rename(path, path+".old"); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, b, 0o644); err != nil {
		t.Fatal(err)
	}
	third := seedIn(t, seed.RoomID, seed.EventTime+2)
	if o, err := s.Save(t.Context(), third); err == nil || !strings.Contains(err.Error(), "replaced") {
		t.Errorf("with the file replaced: Save = %v, %v; want an error saying it was replaced", o, err)
	}
}

func TestOptionsTimeout(t *testing.T) {
	// Creating the schema waits for another process's write lock no longer than
	// Options.Timeout: a new WAL file without roomhook's tables, which another process is
	// writing to.
	path := filepath.Join(t.TempDir(), "r.db")
	db, err := sql.Open("sqlite", "file:"+path+"?_journal_mode=WAL")
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	conn, err := db.Conn(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	if _, err := conn.ExecContext(t.Context(), `CREATE TABLE other (x)`); err != nil {
		t.Fatal(err)
	}
	if _, err := conn.ExecContext(t.Context(), `BEGIN IMMEDIATE`); err != nil {
		t.Fatal(err)
	}
	defer conn.ExecContext(context.Background(), `ROLLBACK`)

	s, err := sqlite.Open(t.Context(), path, sqlite.Options{Timeout: 100 * time.Millisecond})
	if err == nil {
		s.Close()
		t.Fatal("Open of a new file while another process holds an exclusive lock succeeded, want an error")
	}
}

func TestOpenExistingDoesNotWaitForWriters(t *testing.T) {
	// An existing store is only read at Open (WAL readers do not wait for a writer), so a cold
	// start does not queue behind another instance's Save; its own Saves wait for the lock.
	path := filepath.Join(t.TempDir(), "r.db")
	open(t, path)
	conn, err := rawDB(t, path).Conn(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	if _, err := conn.ExecContext(t.Context(), `BEGIN IMMEDIATE`); err != nil {
		t.Fatal(err)
	}
	released := false
	defer func() {
		if !released {
			conn.ExecContext(context.Background(), `ROLLBACK`)
		}
	}()

	s, err := sqlite.Open(t.Context(), path, sqlite.Options{Timeout: 100 * time.Millisecond})
	if err != nil {
		t.Fatalf("Open of an existing store while another process writes: %v", err)
	}
	defer s.Close()
	ctx, cancel := context.WithTimeout(t.Context(), 100*time.Millisecond)
	defer cancel()
	if o, err := s.Save(ctx, storetest.SeedEvent()); err == nil {
		t.Fatalf("Save while another process holds the write lock = %v, want an error at the deadline", o)
	}
	if _, err := conn.ExecContext(t.Context(), `ROLLBACK`); err != nil {
		t.Fatal(err)
	}
	released = true
	if o, err := s.Save(t.Context(), storetest.SeedEvent()); err != nil || o != callback.OutcomeStored {
		t.Fatalf("Save after the lock is released = %v, %v; want stored", o, err)
	}
}

func TestWALCheckpointBounded(t *testing.T) {
	// The WAL a killed instance leaves behind is bounded by wal_autocheckpoint.
	path := filepath.Join(t.TempDir(), "r.db")
	s := open(t, path)
	for i := range 300 {
		ev := seedIn(t, fmt.Sprintf("room-%d", i), storetest.SeedEvent().EventTime)
		if _, err := s.Save(t.Context(), ev); err != nil {
			t.Fatal(err)
		}
	}
	fi, err := os.Stat(path + "-wal")
	if err != nil {
		t.Fatal(err)
	}
	// A checkpoint resets the WAL to be rewritten from its start, so its size stays near
	// the threshold (plus the last transaction) instead of growing with every save.
	const pageSize = 4096
	if max := int64(2*200) * (pageSize + 24); fi.Size() > max {
		t.Errorf("WAL after 300 saves is %d bytes, want at most %d (wal_autocheckpoint 200 pages)", fi.Size(), max)
	}
}

// TestStatementsPrepared: Open prepares the archive insert; a statement the projection runs is
// prepared before the next save, once.
func TestStatementsPrepared(t *testing.T) {
	s := open(t, filepath.Join(t.TempDir(), "r.db"))
	atOpen := sqlite.Prepared(s)
	if atOpen != 1 {
		t.Fatalf("%d statements prepared at Open, want 1: the archive insert", atOpen)
	}
	var counts []int
	for i := range 4 {
		if o, err := s.Save(t.Context(), seedIn(t, fmt.Sprint("room-", i), storetest.SeedEvent().EventTime)); err != nil || o != callback.OutcomeStored {
			t.Fatalf("Save = %v, %v", o, err)
		}
		counts = append(counts, sqlite.Prepared(s)-atOpen)
	}
	// A create reads the room's life events and its newest member event (two archive reads in
	// one SELECT), reads the room's row and inserts it: three statements, prepared after the
	// first save.
	if want := []int{0, 3, 3, 3}; !slices.Equal(counts, want) {
		t.Errorf("statements prepared after each save: %v, want %v", counts, want)
	}
}

// BenchmarkSave is one new create per iteration (archive row, the projection's two archive
// reads, the room's row read and inserted, fsync'd commit) on a file in the test's temporary
// directory.
func BenchmarkSave(b *testing.B) {
	s, err := sqlite.Open(b.Context(), filepath.Join(b.TempDir(), "r.db"), sqlite.Options{})
	if err != nil {
		b.Fatal(err)
	}
	defer s.Close()
	seed := storetest.SeedEvent()
	b.ReportAllocs()
	i := 0
	for b.Loop() {
		i++
		// A new room each time; the body still names the seed's room, which only the event's
		// own projection would read, and it reads the payload.
		ev, pl := *seed, *seed.Payload.(*callback.RoomCreated)
		pl.RoomInfo.RoomID = fmt.Sprintf("room-%d", i)
		ev.RoomID, ev.Payload = pl.RoomInfo.RoomID, &pl
		if o, err := s.Save(b.Context(), &ev); err != nil || o != callback.OutcomeStored {
			b.Fatal(o, err)
		}
	}
}

// killedInstanceEnv names the store file a re-executed test binary saves one event to before
// it exits without closing the store: a function instance that is killed, never closed.
const killedInstanceEnv = "ROOMHOOK_SQLITE_TEST_KILLED_INSTANCE"

// TestMain lets the test binary play a killed function instance (see killedInstance).
func TestMain(m *testing.M) {
	if spec := os.Getenv(killedInstanceEnv); spec != "" {
		os.Exit(killedInstance(spec))
	}
	os.Exit(m.Run())
}

// killedInstance opens the store at the path in spec ("PATH|ROOM|EPHEMERAL"), saves one event
// for ROOM and exits without Close, so SQLite neither checkpoints nor removes its WAL: what a
// cold start finds after a function instance was killed. EPHEMERAL "true" opens the store as
// in a function's /tmp, without fsyncs.
func killedInstance(spec string) int {
	path, rest, _ := strings.Cut(spec, "|")
	room, eph, _ := strings.Cut(rest, "|")
	s, err := sqlite.Open(context.Background(), path, sqlite.Options{Ephemeral: eph == "true"})
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	ev, err := seedEventIn(room, storetest.SeedEvent().EventTime)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	if o, err := s.Save(context.Background(), ev); err != nil || o != callback.OutcomeStored {
		fmt.Fprintln(os.Stderr, o, err)
		return 1
	}
	return 0
}

// runKilledInstance runs one killed instance in a child process.
func runKilledInstance(t *testing.T, path, room string, ephemeral bool) {
	t.Helper()
	cmd := exec.CommandContext(t.Context(), os.Args[0], "-test.run=^$")
	// Under -race the child would sleep a second at exit (the race runtime's atexit_sleep_ms).
	cmd.Env = append(os.Environ(), fmt.Sprintf("%s=%s|%s|%v", killedInstanceEnv, path, room, ephemeral),
		"GORACE=atexit_sleep_ms=0")
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("instance saving %s: %v\n%s", room, err, out)
	}
}

func TestWALBoundedAcrossKilledInstances(t *testing.T) {
	// Every instance saves once and is killed. SQLite's automatic checkpoint alone cannot
	// rewind the WAL in that pattern (only a later write of the same process could), so the
	// WAL grew by every instance's frames and each cold start read all of it back; Open now
	// truncates it once it passes a few instances' worth. Every other instance opens the file
	// Ephemeral (no fsync): what it saved is there for the next ones all the same.
	path := filepath.Join(t.TempDir(), "r.db")
	const instances = 60 // ~6 frames each: 360 frames, ~1.5 MB, without the trim
	// The WAL header, the trim threshold, and as much again for the saves since the last trim.
	const bound = 32 + 2*sqlite.WALTrimBytes
	var largest int64
	for i := range instances {
		runKilledInstance(t, path, fmt.Sprintf("killed-%d", i), i%2 == 1)
		fi, err := os.Stat(path + "-wal")
		if err != nil {
			t.Fatal(err)
		}
		largest = max(largest, fi.Size())
	}
	if largest > bound {
		t.Errorf("WAL reached %d bytes over %d killed instances, want at most %d", largest, instances, bound)
	}
	// Nothing the instances acknowledged was lost to the truncations.
	s := open(t, path)
	for i := range instances {
		room := fmt.Sprintf("killed-%d", i)
		if _, err := callback.ReadRoom(t.Context(), s, storetest.SeedSdkAppID, room); err != nil {
			t.Errorf("room %s saved by a killed instance: %v", room, err)
		}
	}
}

func TestWALTrimWaitsForNoReader(t *testing.T) {
	// Trimming is housekeeping: while another process reads a snapshot in the WAL, the WAL
	// cannot be truncated, and Open goes on without it instead of failing or waiting for the
	// reader. (Another process's writes, with its automatic checkpoint off, grow the WAL.)
	path := filepath.Join(t.TempDir(), "r.db")
	open(t, path)
	other, err := sql.Open("sqlite", "file:"+path+"?_busy_timeout=5000&_pragma=wal_autocheckpoint(0)")
	if err != nil {
		t.Fatal(err)
	}
	defer other.Close()
	other.SetMaxOpenConns(2)
	for i := range 64 {
		if _, err := other.ExecContext(t.Context(), `INSERT INTO callback_events
			(sdk_app_id, callback_command, room_id, event_time, client_ip, opt_platform, request_id, received_at, raw_body, body_sha256)
			VALUES (1400000001, 'Room.CallbackAfterCreateRoom', ?, 1, '', '', '', 0, x'7b7d', ?)`, fmt.Sprint("r", i), sha256Hex("{}")); err != nil {
			t.Fatal(err)
		}
	}
	reader, err := other.Conn(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	defer reader.Close()
	if _, err := reader.ExecContext(t.Context(), `BEGIN`); err != nil {
		t.Fatal(err)
	}
	defer reader.ExecContext(context.Background(), `ROLLBACK`)
	var n int
	if err := reader.QueryRowContext(t.Context(), `SELECT count(*) FROM callback_events`).Scan(&n); err != nil || n != 64 {
		t.Fatalf("reader sees %d rows, %v; want 64", n, err)
	}
	before, err := os.Stat(path + "-wal")
	if err != nil {
		t.Fatal(err)
	}
	if before.Size() <= sqlite.WALTrimBytes {
		t.Fatalf("setup: WAL is %d bytes, want more than the trim threshold", before.Size())
	}
	s := open(t, path)
	if o, err := s.Save(t.Context(), storetest.SeedEvent()); err != nil || o != callback.OutcomeStored {
		t.Fatalf("Save with a reader holding a snapshot = %v, %v; want stored", o, err)
	}
	after, err := os.Stat(path + "-wal")
	if err != nil {
		t.Fatal(err)
	}
	if after.Size() < before.Size() {
		t.Errorf("WAL went from %d to %d bytes while a reader held a snapshot in it", before.Size(), after.Size())
	}
	// Once the reader is gone, the next cold start trims it.
	if _, err := reader.ExecContext(t.Context(), `ROLLBACK`); err != nil {
		t.Fatal(err)
	}
	open(t, path)
	if fi, err := os.Stat(path + "-wal"); err != nil || fi.Size() != 0 {
		t.Errorf("WAL after a cold start with no reader: %v, %v; want 0 bytes", fi.Size(), err)
	}
}

// TestEphemeralSkipsFsync checks the one thing Options.Ephemeral changes: commits are not
// fsynced (synchronous OFF) on an ephemeral file, and are (FULL) otherwise.
func TestEphemeralSkipsFsync(t *testing.T) {
	for _, tc := range []struct {
		ephemeral bool
		want      int
	}{{false, 2}, {true, 0}} {
		s, err := sqlite.Open(t.Context(), filepath.Join(t.TempDir(), "r.db"), sqlite.Options{Ephemeral: tc.ephemeral})
		if err != nil {
			t.Fatal(err)
		}
		if got, err := s.Synchronous(t.Context()); err != nil || got != tc.want {
			t.Errorf("Ephemeral %v: synchronous = %d, %v; want %d", tc.ephemeral, got, err, tc.want)
		}
		if o, err := s.Save(t.Context(), storetest.SeedEvent()); err != nil || o != callback.OutcomeStored {
			t.Errorf("Ephemeral %v: Save = %v, %v", tc.ephemeral, o, err)
		}
		s.Close()
	}
}
