package mysql

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"database/sql"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"net"
	"os"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	driver "github.com/go-sql-driver/mysql"

	"github.com/roomhook/roomhook/pkg/callback"
	"github.com/roomhook/roomhook/pkg/store/storetest"
	"github.com/roomhook/roomhook/pkg/store/storetest/v1store"
)

// The tests run against a real server named by ROOMHOOK_TEST_MYSQL, a store URL whose user may
// create and drop databases (and, for TestLeastPrivileges, users). Each test gets a database of
// its own, dropped when it ends. Without the variable the tests that need a server are skipped.
const envURL = "ROOMHOOK_TEST_MYSQL"

func serverURL(t *testing.T) string {
	t.Helper()
	u := os.Getenv(envURL)
	if u == "" {
		t.Skipf("set %s to a server URL whose user may create databases to run this test, e.g. "+
			"%s='mysql://root@127.0.0.1:3306/test' go test ./pkg/store/mysql/", envURL, envURL)
	}
	return u
}

// adminDB connects to the server of ROOMHOOK_TEST_MYSQL with no default database, or with
// dbName when it is not empty.
func adminDB(t *testing.T, dbName string) *sql.DB {
	t.Helper()
	cfg, err := parseURL(serverURL(t), DefaultTimeout)
	if err != nil {
		t.Fatalf("%s: %v", envURL, err)
	}
	c := cfg.driver.Clone()
	c.DBName = dbName
	c.MultiStatements = false
	conn, err := driver.NewConnector(c)
	if err != nil {
		t.Fatal(err)
	}
	db := sql.OpenDB(conn)
	t.Cleanup(func() { db.Close() })
	return db
}

func randomHex(n int) string {
	b := make([]byte, n)
	rand.Read(b)
	return hex.EncodeToString(b)
}

// newDatabase creates an empty database, dropped when the test ends, and returns the store URL
// naming it and its name.
func newDatabase(t *testing.T) (storeURL, name string) {
	t.Helper()
	name = "roomhook_test_" + randomHex(6)
	admin := adminDB(t, "")
	if _, err := admin.ExecContext(t.Context(), "CREATE DATABASE "+name+" CHARACTER SET utf8mb4"); err != nil {
		t.Fatalf("create test database: %v", err)
	}
	t.Cleanup(func() {
		if _, err := admin.ExecContext(context.Background(), "DROP DATABASE IF EXISTS "+name); err != nil {
			t.Errorf("drop test database %s: %v", name, err)
		}
	})
	return withDatabase(t, serverURL(t), name), name
}

// withDatabase returns rawURL naming database name instead of its own.
func withDatabase(t *testing.T, rawURL, name string) string {
	t.Helper()
	at := strings.LastIndexByte(rawURL, '@')
	slash := strings.IndexByte(rawURL[at+1:], '/')
	if at < 0 || slash < 0 {
		t.Fatalf("%s must have the form mysql://USER@HOST:PORT/DATABASE", envURL)
	}
	head := rawURL[:at+1+slash+1]
	_, query, hasQuery := strings.Cut(rawURL[len(head):], "?")
	if hasQuery {
		return head + name + "?" + query
	}
	return head + name
}

// withParam adds one parameter to rawURL.
func withParam(rawURL, param string) string {
	if strings.Contains(rawURL[strings.LastIndexByte(rawURL, '@'):], "?") {
		return rawURL + "&" + param
	}
	return rawURL + "?" + param
}

// openURL opens a store and closes it when the test ends.
func openURL(t *testing.T, storeURL string) *Store {
	t.Helper()
	s, err := Open(t.Context(), storeURL, Options{})
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	t.Cleanup(func() {
		if err := s.Close(); err != nil {
			t.Errorf("Close: %v", err)
		}
	})
	return s
}

// open opens a store on a new, empty database.
func open(t *testing.T) (*Store, string) {
	t.Helper()
	u, name := newDatabase(t)
	return openURL(t, u), name
}

func TestConformance(t *testing.T) {
	serverURL(t)
	storetest.Run(t, func(t *testing.T) storetest.Backend {
		s, _ := open(t)
		return s
	})
}

func TestSchemaVersion(t *testing.T) {
	_, name := open(t)
	db := adminDB(t, name)

	if versions := schemaVersions(t, db); !slices.Equal(versions, []int64{schemaVersion}) {
		t.Errorf("roomhook_schema holds %v, want [%d]", versions, schemaVersion)
	}

	rows, err := db.QueryContext(t.Context(), `SELECT TABLE_NAME, ENGINE, TABLE_COLLATION, ROW_FORMAT
		FROM information_schema.TABLES WHERE TABLE_SCHEMA = ?`, name)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	var tables []string
	for rows.Next() {
		var table, engine, collation, rowFormat string
		if err := rows.Scan(&table, &engine, &collation, &rowFormat); err != nil {
			t.Fatal(err)
		}
		tables = append(tables, table)
		if engine != "InnoDB" {
			t.Errorf("%s: engine %s, want InnoDB", table, engine)
		}
		if table != "roomhook_schema" && !slices.Contains(keyCollations, collation) {
			t.Errorf("%s: collation %s, want one of %v", table, collation, keyCollations)
		}
		if table != "roomhook_schema" && !strings.EqualFold(rowFormat, "Dynamic") {
			t.Errorf("%s: row format %s, want Dynamic", table, rowFormat)
		}
	}
	slices.Sort(tables)
	want := []string{"battles", "callback_events", "gifts", "room_admins", "room_members", "room_metadata", "room_seats",
		"roomhook_member_locks", "roomhook_room_locks", "roomhook_schema", "rooms"}
	if !slices.Equal(tables, want) {
		t.Errorf("tables %v, want %v", tables, want)
	}
}

// TestColumns pins the table and column names (a contract users query directly, the same as
// the other SQL stores'), the types chosen for them and the keys. The projection's tables are
// checked against callback's descriptors: every column, in order, with its nullability.
func TestColumns(t *testing.T) {
	_, name := open(t)
	db := adminDB(t, name)

	// Each column as name:type:NULL or name:type:NOT NULL.
	want := map[string][]string{
		"callback_events": {"id:bigint:NOT NULL", "sdk_app_id:bigint:NOT NULL", "callback_command:varchar(128):NOT NULL",
			"room_id:varchar(255):NOT NULL", "event_time:bigint:NULL", "client_ip:text:NOT NULL", "opt_platform:text:NOT NULL",
			"request_id:text:NOT NULL", "received_at:bigint:NOT NULL", "raw_body:longblob:NOT NULL", "body_sha256:char(64):NOT NULL"},
		"roomhook_schema": {"version:int:NOT NULL"},
	}
	for _, table := range append(slices.Clone(callback.Tables), locksTable, memberLocksTable) {
		for i, c := range table.Columns {
			typ := map[callback.ColumnKind]string{callback.KindInt: "bigint", callback.KindBool: "tinyint(1)",
				callback.KindText: "mediumtext", callback.KindList: "mediumtext", callback.KindInts: "mediumtext"}[c.Kind]
			switch {
			case c.Kind == callback.KindText && i < table.Key:
				typ = "varchar(255)"
			case table == callback.RoomsTable && c.Name == "callback_command":
				typ = "varchar(128)" // version 1's choice
			}
			null := "NOT NULL"
			if c.Nullable {
				null = "NULL"
			}
			want[table.Name] = append(want[table.Name], c.Name+":"+typ+":"+null)
		}
	}
	for table, cols := range want {
		rows, err := db.QueryContext(t.Context(), `SELECT COLUMN_NAME, COLUMN_TYPE, IS_NULLABLE FROM information_schema.COLUMNS
			WHERE TABLE_SCHEMA = ? AND TABLE_NAME = ? ORDER BY ORDINAL_POSITION`, name, table)
		if err != nil {
			t.Fatal(err)
		}
		var got []string
		for rows.Next() {
			var col, typ, nullable string
			if err := rows.Scan(&col, &typ, &nullable); err != nil {
				t.Fatal(err)
			}
			// MySQL 8 drops the display width of BIGINT and INT, MariaDB shows it.
			typ = strings.TrimSuffix(strings.TrimSuffix(typ, "(20)"), "(11)")
			null := "NOT NULL"
			if nullable == "YES" {
				null = "NULL"
			}
			got = append(got, col+":"+typ+":"+null)
		}
		rows.Close()
		if !slices.Equal(got, cols) {
			t.Errorf("columns of %s:\n got %s\nwant %s", table, strings.Join(got, " "), strings.Join(cols, " "))
		}
	}

	// The keys, as the semantics need them: the archive's (and no other unique key), and each
	// table's primary key from its descriptor.
	keys := map[string]string{
		"callback_events.PRIMARY":          "id",
		"callback_events." + archiveKeyV2:  "sdk_app_id,room_id,callback_command,event_time,body_sha256",
		"roomhook_schema.PRIMARY":          "version",
		locksTable.Name + ".PRIMARY":       "sdk_app_id,room_id",
		memberLocksTable.Name + ".PRIMARY": "sdk_app_id,room_id,member_account",
	}
	for _, table := range callback.Tables {
		keys[table.Name+".PRIMARY"] = strings.Join(table.Names()[:table.Key], ",")
	}
	if keys["rooms.PRIMARY"] != "sdk_app_id,room_id" || keys["battles.PRIMARY"] != "sdk_app_id,from_room_id,battle_id" ||
		keys["gifts.PRIMARY"] != "sdk_app_id,room_id,delivery_id" {
		t.Errorf("the descriptors' keys changed: %v", keys)
	}
	rows, err := db.QueryContext(t.Context(), `SELECT TABLE_NAME, INDEX_NAME, NON_UNIQUE,
		GROUP_CONCAT(COLUMN_NAME ORDER BY SEQ_IN_INDEX) FROM information_schema.STATISTICS
		WHERE TABLE_SCHEMA = ? GROUP BY TABLE_NAME, INDEX_NAME, NON_UNIQUE`, name)
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]string{}
	for rows.Next() {
		var table, index, cols string
		var nonUnique int
		if err := rows.Scan(&table, &index, &nonUnique, &cols); err != nil {
			t.Fatal(err)
		}
		if nonUnique != 0 {
			t.Errorf("index %s.%s is not unique; the store uses none", table, index)
		}
		got[table+"."+index] = cols
	}
	rows.Close()
	if !maps.Equal(got, keys) {
		t.Errorf("keys:\n got %v\nwant %v", got, keys)
	}

	// Text key columns compare byte for byte; body_sha256 is ASCII.
	rows, err = db.QueryContext(t.Context(), `SELECT TABLE_NAME, COLUMN_NAME, CHARACTER_SET_NAME, COLLATION_NAME
		FROM information_schema.COLUMNS WHERE TABLE_SCHEMA = ? AND DATA_TYPE IN ('varchar', 'char')`, name)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	for rows.Next() {
		var table, col, charset, collation string
		if err := rows.Scan(&table, &col, &charset, &collation); err != nil {
			t.Fatal(err)
		}
		switch {
		case col == "body_sha256":
			if charset != "ascii" || collation != "ascii_bin" {
				t.Errorf("%s.%s: %s, %s; want ascii, ascii_bin", table, col, charset, collation)
			}
		case !slices.Contains(keyCollations, collation):
			t.Errorf("%s.%s: collation %s, want one of %v", table, col, collation, keyCollations)
		}
	}
}

// TestStoredForm checks how values sit in the tables, for users who query them with SQL.
func TestStoredForm(t *testing.T) {
	s, name := open(t)
	saved := []*callback.Event{
		event(t, callback.CommandCreateRoom, `{"CallbackCommand":"Room.CallbackAfterCreateRoom","RoomInfo":{"RoomId":"stored-form",`+
			`"IsVideoDisabled":true,"IsAudioDisabled":false},"ScheduleInviteeList_Account":["user2","<user&3>"],"EventTime":1703589922780}`),
		event(t, callback.CommandMemberEnter, `{"CallbackCommand":"Room.CallbackAfterMemberEnter","RoomId":"stored-form",`+
			`"MemberCount":1,"Type":"Enter","MemberList_Account":["user2"],"EventTime":1703589923000}`),
		event(t, callback.CommandSeatChanged, `{"CallbackCommand":"Mic.CallbackAfterSeatInfoChanged","RoomId":"stored-form",`+
			`"SeatList":[{"Index":2,"Member_Account":"user2","IsTakenDisabled":false,"IsVideoDisabled":true}],"EventTime":1703589924000}`),
	}
	for _, ev := range saved {
		if o, err := s.Save(t.Context(), ev); err != nil || o != callback.OutcomeStored {
			t.Fatalf("Save(%s) = %v, %v; want stored", ev.Command, o, err)
		}
	}
	unknown := &callback.Event{SdkAppID: storetest.SeedSdkAppID, Command: "Group.CallbackAfterSendMsg", ReceivedAt: testReceivedAt, Raw: nil}
	if o, err := s.Save(t.Context(), unknown); err != nil || o != callback.OutcomeIgnored {
		t.Fatalf("Save of an empty body = %v, %v", o, err)
	}

	db := adminDB(t, name)
	now := testReceivedAt.UnixMilli()
	var (
		invitees                      string
		video, audio, eventTime       int64
		updated, count, countAt       int64
		destroyedAt                   sql.NullInt64
		nullTimes, emptyBodies, saves int
		state                         string
		enteredAt, memberTime         int64
		leftAt                        sql.NullInt64
		seatAccount                   string
		taken, seatVideo              int64
		seatAudio                     sql.NullInt64
	)
	err := db.QueryRowContext(t.Context(), `SELECT schedule_invitee_list_account, is_video_disabled, is_audio_disabled,
		event_time, updated_at, member_count, member_count_at, destroyed_at FROM rooms`).
		Scan(&invitees, &video, &audio, &eventTime, &updated, &count, &countAt, &destroyedAt)
	if err != nil {
		t.Fatal(err)
	}
	if invitees != `["user2","<user&3>"]` {
		t.Errorf("schedule_invitee_list_account = %s, want a plain JSON array", invitees)
	}
	if video != 1 || audio != 0 || eventTime != 1703589922780 || updated != now {
		t.Errorf("is_video_disabled, is_audio_disabled, event_time, updated_at = %d, %d, %d, %d", video, audio, eventTime, updated)
	}
	if count != 1 || countAt != 1703589923000 || destroyedAt.Valid {
		t.Errorf("member_count, member_count_at, destroyed_at = %d, %d, %v", count, countAt, destroyedAt)
	}
	err = db.QueryRowContext(t.Context(), `SELECT state, entered_at, left_at, event_time FROM room_members
		WHERE sdk_app_id = ? AND room_id = 'stored-form' AND member_account = 'user2'`, storetest.SeedSdkAppID).
		Scan(&state, &enteredAt, &leftAt, &memberTime)
	if err != nil {
		t.Fatal(err)
	}
	if state != "in" || enteredAt != 1703589923000 || leftAt.Valid || memberTime != 1703589923000 {
		t.Errorf("member state, entered_at, left_at, event_time = %s, %d, %v, %d", state, enteredAt, leftAt, memberTime)
	}
	err = db.QueryRowContext(t.Context(), `SELECT member_account, is_taken_disabled, is_video_disabled, is_audio_disabled
		FROM room_seats WHERE seat_index = 2`).Scan(&seatAccount, &taken, &seatVideo, &seatAudio)
	if err != nil {
		t.Fatal(err)
	}
	if seatAccount != "user2" || taken != 0 || seatVideo != 1 || seatAudio.Valid {
		t.Errorf("seat = %s, %d, %d, %v; want user2, 0, 1, NULL", seatAccount, taken, seatVideo, seatAudio)
	}
	if err := db.QueryRowContext(t.Context(), `SELECT saves FROM roomhook_room_locks WHERE room_id = 'stored-form'`).Scan(&saves); err != nil || saves != 3 {
		t.Errorf("roomhook_room_locks.saves = %d (%v), want 3", saves, err)
	}

	rows, err := db.QueryContext(t.Context(), `SELECT raw_body, body_sha256, received_at FROM callback_events ORDER BY id`)
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	for rows.Next() {
		var raw []byte
		var digest string
		var receivedAt int64
		if err := rows.Scan(&raw, &digest, &receivedAt); err != nil {
			t.Fatal(err)
		}
		if digest != sha256Hex(raw) {
			t.Errorf("row %d: body_sha256 = %s, want the SHA-256 of raw_body, %s", n, digest, sha256Hex(raw))
		}
		if receivedAt != now {
			t.Errorf("row %d: received_at = %d, want %d (Unix ms)", n, receivedAt, now)
		}
		n++
	}
	rows.Close()
	if n != 4 {
		t.Errorf("%d archive rows, want 4", n)
	}
	if err := db.QueryRowContext(t.Context(), `SELECT count(*) FROM callback_events WHERE event_time IS NULL AND room_id = ''`).Scan(&nullTimes); err != nil {
		t.Fatal(err)
	}
	if nullTimes != 1 {
		t.Errorf("%d archive rows with NULL event_time and empty room_id, want 1", nullTimes)
	}
	if err := db.QueryRowContext(t.Context(), `SELECT count(*) FROM callback_events WHERE raw_body IS NOT NULL AND LENGTH(raw_body) = 0`).Scan(&emptyBodies); err != nil {
		t.Fatal(err)
	}
	if emptyBodies != 1 {
		t.Errorf("%d archive rows with an empty (not NULL) raw_body, want 1", emptyBodies)
	}
	evs, err := s.Events(t.Context(), storetest.SeedSdkAppID)
	if err != nil || len(evs) != 4 || evs[3].Raw == nil || len(evs[3].Raw) != 0 {
		t.Errorf("Events = %d rows, %v; want the fourth with an empty, non-nil Raw", len(evs), err)
	}

	// The CHECK constraints hold for writers other than roomhook.
	for _, stmt := range []string{
		`INSERT INTO room_members (sdk_app_id, room_id, member_account, state, event_time, updated_at) VALUES (1, 'r', 'm', 'IN', 1, 1)`,
		`INSERT INTO room_seats (sdk_app_id, room_id, seat_index, is_taken_disabled, event_time, updated_at) VALUES (1, 'r', 0, 2, 1, 1)`,
	} {
		if _, err := db.ExecContext(t.Context(), stmt); err == nil {
			t.Errorf("%s succeeded, want a CHECK violation", stmt)
		}
	}
}

// TestSessionSettings checks what every connection sets for itself.
func TestSessionSettings(t *testing.T) {
	s, _ := open(t)
	var sqlMode, client, conn, results string
	var lockWait int
	err := s.db.QueryRowContext(t.Context(), `SELECT @@SESSION.sql_mode, @@SESSION.innodb_lock_wait_timeout,
		@@SESSION.character_set_client, @@SESSION.character_set_connection, @@SESSION.character_set_results`).
		Scan(&sqlMode, &lockWait, &client, &conn, &results)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(sqlMode, "STRICT_ALL_TABLES") || !strings.Contains(sqlMode, "NO_ENGINE_SUBSTITUTION") {
		t.Errorf("sql_mode = %q, want strict", sqlMode)
	}
	if lockWait != lockWaitTimeoutSeconds {
		t.Errorf("innodb_lock_wait_timeout = %d, want %d", lockWait, lockWaitTimeoutSeconds)
	}
	if client != "utf8mb4" || conn != "utf8mb4" || results != "utf8mb4" {
		t.Errorf("character sets = %s, %s, %s; want utf8mb4", client, conn, results)
	}
	// Saves rely on READ COMMITTED, set per connection rather than per BEGIN. MySQL 8 and
	// MariaDB 11.1 name the variable transaction_isolation; MariaDB before 11.1 tx_isolation.
	var isolation string
	for _, v := range []string{"transaction_isolation", "tx_isolation"} {
		if err = s.db.QueryRowContext(t.Context(), `SELECT @@SESSION.`+v).Scan(&isolation); err == nil {
			break
		}
	}
	if err != nil || isolation != "READ-COMMITTED" {
		t.Errorf("isolation = %q, %v; want READ-COMMITTED", isolation, err)
	}
}

// TestKeysAreByteExact saves rooms whose ids differ only in what a case-insensitive or padding
// collation would ignore: each is a room of its own, with its own members.
func TestKeysAreByteExact(t *testing.T) {
	s, _ := open(t)
	ids := []string{"room", "Room", "room ", "röom", "ro\u0308om", "room\t", "房间🚀", "房间🚀 "}
	for i, id := range ids {
		if o, err := s.Save(t.Context(), createEvent(t, id, id, 1703589922780)); err != nil || o != callback.OutcomeStored {
			t.Errorf("Save(room %q) = %v, %v; want stored", id, o, err)
		}
		enter := event(t, callback.CommandMemberEnter, jsonBody(t, map[string]any{
			"CallbackCommand": callback.CommandMemberEnter, "RoomId": "room", "MemberCount": i + 1,
			"MemberList_Account": []string{id}, "EventTime": 1703589923000 + i}))
		if o, err := s.Save(t.Context(), enter); err != nil || o != callback.OutcomeStored {
			t.Errorf("Save(member %q) = %v, %v; want stored", id, o, err)
		}
	}
	for _, id := range ids {
		r := readRoom(t, s, id)
		if r.Info.RoomName == nil || *r.Info.RoomName != id {
			t.Errorf("room %q holds the name of another room", id)
		}
	}
	members, err := callback.ReadMembers(t.Context(), s, storetest.SeedSdkAppID, "room")
	if err != nil || len(members) != len(ids) {
		t.Errorf("ReadMembers = %d rows, %v; want %d", len(members), err, len(ids))
	}
	evs, err := s.Events(t.Context(), storetest.SeedSdkAppID)
	if err != nil || len(evs) != 2*len(ids) {
		t.Errorf("Events = %d rows, %v; want %d", len(evs), err, 2*len(ids))
	}
	if _, err := callback.ReadRoom(t.Context(), s, storetest.SeedSdkAppID, "ROOM"); !errors.Is(err, callback.ErrNotFound) {
		t.Errorf("ReadRoom(ROOM) = %v, want ErrNotFound", err)
	}
}

func TestUnicodeRoundTrip(t *testing.T) {
	s, name := open(t)
	const roomID = "会议-🚀-Zoë-𝄞"
	roomName := "周会 🎉👩‍👩‍👧‍👦 Zoë's «room» — 会议室 𝄞"
	invitees := []string{"ユーザー🎉", "😀"}
	ev := event(t, callback.CommandCreateRoom, jsonBody(t, map[string]any{
		"CallbackCommand": callback.CommandCreateRoom, "EventTime": 1703589922780,
		"RoomInfo": map[string]any{"RoomId": roomID, "RoomName": roomName}, "ScheduleInviteeList_Account": invitees}))
	ev.ClientIP, ev.OptPlatform, ev.RequestID = "🙂", "平台", "请求-1"
	if _, err := s.Save(t.Context(), ev); err != nil {
		t.Fatal(err)
	}
	r := readRoom(t, s, roomID)
	if *r.Info.RoomName != roomName || !slices.Equal(r.ScheduleInviteeList, invitees) {
		t.Errorf("room = %q, %q", *r.Info.RoomName, r.ScheduleInviteeList)
	}
	evs, err := s.Events(t.Context(), ev.SdkAppID)
	if err != nil || len(evs) != 1 || evs[0].RoomID != ev.RoomID || evs[0].ClientIP != "🙂" || evs[0].OptPlatform != "平台" {
		t.Errorf("Events = %+v, %v", evs, err)
	}
	// The bytes in the table are UTF-8, as another client reads them.
	var stored []byte
	if err := adminDB(t, name).QueryRowContext(t.Context(), `SELECT CAST(room_name AS BINARY) FROM rooms`).Scan(&stored); err != nil {
		t.Fatal(err)
	}
	if string(stored) != roomName {
		t.Errorf("room_name bytes = %q, want %q", stored, roomName)
	}
}

func TestReopenKeepsData(t *testing.T) {
	u, name := newDatabase(t)
	s, err := Open(t.Context(), u, Options{})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.Save(t.Context(), storetest.SeedEvent()); err != nil {
		t.Fatal(err)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}

	s = openURL(t, u)
	if o, err := s.Save(t.Context(), storetest.SeedEvent()); err != nil || o != callback.OutcomeDuplicate {
		t.Errorf("Save after reopen = %v, %v; want duplicate", o, err)
	}
	readRoom(t, s, storetest.SeedEvent().RoomID)
	if versions := schemaVersions(t, adminDB(t, name)); !slices.Equal(versions, []int64{schemaVersion}) {
		t.Errorf("roomhook_schema holds %v after reopen, want [%d]", versions, schemaVersion)
	}
}

// TestConcurrentColdStarts opens many stores on one new database at once, as a burst of cold
// starts would: all succeed and the schema is created once.
func TestConcurrentColdStarts(t *testing.T) {
	serverURL(t)
	for round := range 3 {
		t.Run(fmt.Sprint("round ", round), func(t *testing.T) {
			u, name := newDatabase(t)
			stores, _ := storetest.OpenTogether(t, 12, func() (*Store, error) {
				return Open(t.Context(), u, Options{Timeout: 20 * time.Second})
			})
			if versions := schemaVersions(t, adminDB(t, name)); !slices.Equal(versions, []int64{schemaVersion}) {
				t.Errorf("roomhook_schema holds %v, want [%d]", versions, schemaVersion)
			}
			if stores[0] != nil {
				if o, err := stores[0].Save(t.Context(), storetest.SeedEvent()); err != nil || o != callback.OutcomeStored {
					t.Errorf("Save after racing cold starts = %v, %v", o, err)
				}
			}
		})
	}
}

func TestNewerSchemaRefused(t *testing.T) {
	u, name := newDatabase(t)
	s, err := Open(t.Context(), u, Options{})
	if err != nil {
		t.Fatal(err)
	}
	s.Close()
	if _, err := adminDB(t, name).ExecContext(t.Context(), `INSERT INTO roomhook_schema (version) VALUES (?)`, schemaVersion+1); err != nil {
		t.Fatal(err)
	}

	s, err = Open(t.Context(), u, Options{})
	if err == nil {
		s.Close()
		t.Fatalf("Open of a version %d database succeeded, want an error", schemaVersion+1)
	}
	if !errors.Is(err, ErrSchemaTooNew) {
		t.Errorf("err = %v, want ErrSchemaTooNew", err)
	}
	if !strings.Contains(err.Error(), fmt.Sprintf("version %d", schemaVersion+1)) {
		t.Errorf("err = %q, want it to name the version found", err)
	}
}

// TestForeignTablesRefused: a database holding a table of one of roomhook's names that
// roomhook did not create is refused before anything is changed.
func TestForeignTablesRefused(t *testing.T) {
	for table, ddl := range map[string]string{
		"rooms":        `CREATE TABLE rooms (id INT)`,
		"room_members": `CREATE TABLE room_members (sdk_app_id BIGINT, room_id VARCHAR(255), member VARCHAR(255))`,
		"callback_events": `CREATE TABLE callback_events (id BIGINT, sdk_app_id BIGINT, callback_command VARCHAR(128),
			room_id VARCHAR(255), event_time BIGINT, client_ip TEXT, opt_platform TEXT, request_id TEXT, received_at BIGINT,
			raw_body LONGBLOB, note TEXT)`,
	} {
		t.Run(table, func(t *testing.T) {
			u, name := newDatabase(t)
			db := adminDB(t, name)
			if _, err := db.ExecContext(t.Context(), ddl); err != nil {
				t.Fatal(err)
			}
			before := shape(t, db, name)
			s, err := Open(t.Context(), u, Options{})
			if err == nil {
				s.Close()
				t.Fatalf("Open of a database with someone else's %s table succeeded, want an error", table)
			}
			if !strings.Contains(err.Error(), "table "+table+" ") {
				t.Errorf("err = %q, want it to name the table", err)
			}
			var n int
			if err := db.QueryRowContext(t.Context(), `SELECT count(*) FROM information_schema.TABLES
				WHERE TABLE_SCHEMA = ? AND TABLE_NAME = 'roomhook_schema'`, name).Scan(&n); err != nil || n != 0 {
				t.Errorf("roomhook_schema exists after a refused open (%d, %v)", n, err)
			}
			// Only version 1's CREATE TABLE IF NOT EXISTS ran: the foreign table is unchanged.
			after := shape(t, db, name)
			if got, want := tableShape(after, table), tableShape(before, table); got != want {
				t.Errorf("the foreign table changed:\n%s\nwas\n%s", got, want)
			}
		})
	}
}

// TestInterruptedFirstStart plays a first start that died after creating the tables but before
// writing the version: the next start completes the schema.
func TestInterruptedFirstStart(t *testing.T) {
	u, name := newDatabase(t)
	openURL(t, u).Close()
	db := adminDB(t, name)
	if _, err := db.ExecContext(t.Context(), `DELETE FROM roomhook_schema`); err != nil {
		t.Fatal(err)
	}
	s := openURL(t, u)
	if _, err := s.Save(t.Context(), storetest.SeedEvent()); err != nil {
		t.Fatal(err)
	}
	if _, err := db.ExecContext(t.Context(), `DROP TABLE roomhook_schema`); err != nil {
		t.Fatal(err)
	}
	s = openURL(t, u)
	if o, err := s.Save(t.Context(), storetest.SeedEvent()); err != nil || o != callback.OutcomeDuplicate {
		t.Errorf("Save after completing the schema = %v, %v; want duplicate (the data was kept)", o, err)
	}
	if versions := schemaVersions(t, db); !slices.Equal(versions, []int64{schemaVersion}) {
		t.Errorf("roomhook_schema holds %v, want [%d]", versions, schemaVersion)
	}
}

func TestMissingDatabase(t *testing.T) {
	u := withDatabase(t, serverURL(t), "roomhook_test_missing_"+randomHex(4))
	s, err := Open(t.Context(), u, Options{})
	if err == nil {
		s.Close()
		t.Fatal("Open of a missing database succeeded")
	}
	if !strings.Contains(err.Error(), "does not exist") {
		t.Errorf("err = %q, want it to say the database does not exist", err)
	}
}

// TestServerGone checks that an unreachable server is a clear error well within the timeout,
// and that a closed store refuses to save.
func TestServerGone(t *testing.T) {
	const password = "pw-Gone-7c1e"
	start := time.Now()
	s, err := Open(t.Context(), "mysql://roomhook:"+password+"@127.0.0.1:1/roomhook", Options{Timeout: 3 * time.Second})
	if err == nil {
		s.Close()
		t.Fatal("Open of 127.0.0.1:1 succeeded")
	}
	if took := time.Since(start); took > 2*time.Second {
		t.Errorf("Open of a closed port took %v, want a quick refusal", took)
	}
	if !strings.Contains(err.Error(), "127.0.0.1:1, database \"roomhook\": cannot connect") || strings.Contains(err.Error(), password) {
		t.Errorf("err = %q, want a clear connection error without the password", err)
	}

	// A server that accepts the connection and never speaks: the timeout ends the wait.
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			defer c.Close() // held open, silent, until the test ends
		}
	}()
	start = time.Now()
	s, err = Open(t.Context(), "mysql://roomhook:"+password+"@"+ln.Addr().String()+"/roomhook", Options{Timeout: 300 * time.Millisecond})
	if err == nil {
		s.Close()
		t.Fatal("Open of a silent server succeeded")
	}
	if took := time.Since(start); took > 2*time.Second {
		t.Errorf("Open of a silent server took %v with a 300ms timeout", took)
	}
	// Whichever ends the wait first, the driver's read timeout or Open's deadline, says so.
	if !strings.Contains(err.Error(), "cannot connect within 300ms") && !strings.Contains(err.Error(), "timed out before the login finished") ||
		strings.Contains(err.Error(), password) {
		t.Errorf("err = %q, want it to say the server did not answer, and not the password", err)
	}
	t.Logf("silent server: %v", err)

	if os.Getenv(envURL) == "" {
		return
	}
	st, _ := open(t)
	if err := st.Close(); err != nil {
		t.Fatal(err)
	}
	if o, err := st.Save(t.Context(), storetest.SeedEvent()); err == nil {
		t.Errorf("Save on a closed store = %v, nil; want an error", o)
	}
	if _, err := st.Events(t.Context(), storetest.SeedSdkAppID); err == nil {
		t.Error("Events on a closed store succeeded, want an error")
	}
}

// TestPasswordNeverInErrors tries every way Open can fail with a password in the URL.
func TestPasswordNeverInErrors(t *testing.T) {
	const password = "S3cr3t-pw_91f4"
	bad := []string{
		"mysql://u:" + password + "@127.0.0.1:1/db",
		"mysql://u:" + password + "@127.0.0.1:99999/db",
		"mysql://u:" + password + "@127.0.0.1:x/db",
		"mysql://u:" + password + "@127.0.0.1:3306",
		"mysql://u:" + password + "@127.0.0.1:3306/",
		"mysql://u:" + password + "@127.0.0.1:3306/db/extra",
		"mysql://u:" + password + "@127.0.0.1:3306/db?tls=bogus",
		"mysql://u:" + password + "@127.0.0.1:3306/db?unknown=1",
		"mysql://u:" + password + "@127.0.0.1:3306/db?parseTime=true",
		"mysql://u:" + password + "@127.0.0.1:3306/db?timeout=never",
		"mysql://u:" + password + "@127.0.0.1:3306/db?max_open_conns=0",
		"mysql://u:" + password + "@127.0.0.1:3306/db?a=1;b=2",
		"mysql://u:" + password + "@127.0.0.1:3306/db#frag",
		"mysql://u:" + password + "@[::1/db",
		"mysql://u:" + password + "@ho st/db",
		"mysql://u:" + password + "%zz@127.0.0.1/db", // a malformed escape inside the password
		"mysql://u:" + password + "%4@127.0.0.1/db",
		"mysql://:" + password + "@127.0.0.1/db",
		"mysql://u:" + password + "/db",    // the '@' forgotten
		"mysql:u:" + password + "@host/db", // the "//" forgotten
		"postgres://u:" + password + "@127.0.0.1/db",
		"mysql://u:" + password + "@/db",
	}
	if u := os.Getenv(envURL); u != "" {
		// A real server refusing the login: MariaDB and MySQL answer "Access denied for user".
		at := strings.LastIndexByte(u, '@')
		bad = append(bad, "mysql://roomhook_nouser_"+randomHex(4)+":"+password+"@"+u[at+1:])
	}
	for _, u := range bad {
		s, err := Open(t.Context(), u, Options{Timeout: 2 * time.Second})
		if err == nil {
			s.Close()
			t.Errorf("Open(%q) succeeded, want an error", u)
			continue
		}
		msg := err.Error()
		for _, secret := range []string{password, "S3cr3t", "pw_91f4", "%zz"} {
			if strings.Contains(msg, secret) {
				t.Errorf("Open(%q) error holds %q: %s", u, secret, msg)
			}
		}
		t.Logf("%s\n\t-> %s", u, msg)
	}
}

func TestParseURL(t *testing.T) {
	tests := []struct {
		name     string
		url      string
		user     string
		pass     string
		addr     string
		db       string
		tls      string
		maxOpen  int
		timeouts [3]time.Duration // dial, read, write
		wantErr  string
	}{
		{name: "full", url: "mysql://app:pw@db.example.com:3307/roomhook",
			user: "app", pass: "pw", addr: "db.example.com:3307", db: "roomhook"},
		{name: "default port", url: "mysql://app:pw@db.example.com/roomhook",
			user: "app", pass: "pw", addr: "db.example.com:3306", db: "roomhook"},
		{name: "no password", url: "mysql://root@127.0.0.1:3306/test",
			user: "root", addr: "127.0.0.1:3306", db: "test"},
		{name: "upper-case scheme", url: "MySQL://app:pw@h/d", user: "app", pass: "pw", addr: "h:3306", db: "d"},
		{name: "IPv6", url: "mysql://app:pw@[::1]:3310/d", user: "app", pass: "pw", addr: "[::1]:3310", db: "d"},
		{name: "IPv6 default port", url: "mysql://app:pw@[2001:db8::1]/d", user: "app", pass: "pw", addr: "[2001:db8::1]:3306", db: "d"},
		{name: "percent-encoded password", url: "mysql://app:p%40ss%3Aw%2Frd%25%3F%23@h/d",
			user: "app", pass: "p@ss:w/rd%?#", addr: "h:3306", db: "d"},
		{name: "raw special characters in the password", url: "mysql://app:p@ss:w/rd?#x@h/d",
			user: "app", pass: "p@ss:w/rd?#x", addr: "h:3306", db: "d"},
		{name: "plus stays a plus", url: "mysql://app:a+b@h/d", user: "app", pass: "a+b", addr: "h:3306", db: "d"},
		{name: "percent-encoded user and database", url: "mysql://app%40corp:pw@h/room%2Dhook",
			user: "app@corp", pass: "pw", addr: "h:3306", db: "room-hook"},
		{name: "empty password", url: "mysql://app:@h/d", user: "app", addr: "h:3306", db: "d"},
		{name: "tls true", url: "mysql://app:pw@h/d?tls=true", user: "app", pass: "pw", addr: "h:3306", db: "d", tls: "true"},
		{name: "tls skip-verify", url: "mysql://app:pw@h/d?tls=skip-verify", user: "app", pass: "pw", addr: "h:3306", db: "d", tls: "skip-verify"},
		{name: "tls preferred", url: "mysql://app:pw@h/d?tls=PREFERRED", user: "app", pass: "pw", addr: "h:3306", db: "d", tls: "preferred"},
		{name: "tls false", url: "mysql://app:pw@h/d?tls=false", user: "app", pass: "pw", addr: "h:3306", db: "d", tls: "false"},
		{name: "pool and timeouts", url: "mysql://app:pw@h/d?max_open_conns=1&timeout=2s&readTimeout=700ms&writeTimeout=1s",
			user: "app", pass: "pw", addr: "h:3306", db: "d", maxOpen: 1,
			timeouts: [3]time.Duration{2 * time.Second, 700 * time.Millisecond, time.Second}},

		{name: "missing database", url: "mysql://app:pw@h:3306", wantErr: "names no database"},
		{name: "empty database", url: "mysql://app:pw@h:3306/", wantErr: "names no database"},
		{name: "empty database with params", url: "mysql://app:pw@h:3306/?tls=true", wantErr: "names no database"},
		{name: "nested path", url: "mysql://app:pw@h/d/e", wantErr: "/DATABASE"},
		{name: "no user", url: "mysql://h/d", wantErr: "no user"},
		{name: "empty user", url: "mysql://:pw@h/d", wantErr: "no user"},
		{name: "other scheme", url: "postgres://app:pw@h/d", wantErr: "mysql://"},
		{name: "no host", url: "mysql://app:pw@/d", wantErr: "no host"},
		{name: "port zero", url: "mysql://app:pw@h:0/d", wantErr: "port"},
		{name: "port too big", url: "mysql://app:pw@h:65536/d", wantErr: "port"},
		{name: "port not a number", url: "mysql://app:pw@h:ab/d", wantErr: "port"},
		{name: "empty port", url: "mysql://app:pw@h:/d", wantErr: "empty port"},
		{name: "IPv6 without brackets", url: "mysql://app:pw@::1/d", wantErr: "brackets"},
		{name: "unclosed IPv6", url: "mysql://app:pw@[::1/d", wantErr: "']'"},
		{name: "malformed escape in password", url: "mysql://app:p%zz@h/d", wantErr: "password"},
		{name: "fragment", url: "mysql://app:pw@h/d#x", wantErr: "fragment"},
		{name: "custom tls name", url: "mysql://app:pw@h/d?tls=custom", wantErr: "tls must be"},
		{name: "unknown parameter", url: "mysql://app:pw@h/d?sslmode=require", wantErr: "unknown store URL parameter \"sslmode\""},
		{name: "fixed parameter", url: "mysql://app:pw@h/d?interpolateParams=true", wantErr: "roomhook fixes it"},
		{name: "clientFoundRows", url: "mysql://app:pw@h/d?clientFoundRows=true", wantErr: "roomhook fixes it"},
		{name: "repeated parameter", url: "mysql://app:pw@h/d?tls=true&tls=false", wantErr: "given 2 times"},
		{name: "bad duration", url: "mysql://app:pw@h/d?timeout=5", wantErr: "Go duration"},
		{name: "negative duration", url: "mysql://app:pw@h/d?readTimeout=-1s", wantErr: "Go duration"},
		{name: "pool too big", url: "mysql://app:pw@h/d?max_open_conns=1000", wantErr: "max_open_conns"},
		{name: "bad bool", url: "mysql://app:pw@h/d?rejectReadOnly=yes", wantErr: "true or false"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			c, err := parseURL(tc.url, 4*time.Second)
			if tc.wantErr != "" {
				if err == nil {
					t.Fatalf("parseURL succeeded, want an error containing %q", tc.wantErr)
				}
				if !strings.Contains(err.Error(), tc.wantErr) {
					t.Errorf("err = %q, want it to contain %q", err, tc.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			d := c.driver
			if d.User != tc.user || d.Passwd != tc.pass || d.Addr != tc.addr || d.DBName != tc.db || d.Net != "tcp" {
				t.Errorf("user, password, addr, db, net = %q, %q, %q, %q, %q; want %q, %q, %q, %q, tcp",
					d.User, d.Passwd, d.Addr, d.DBName, d.Net, tc.user, tc.pass, tc.addr, tc.db)
			}
			if d.TLSConfig != tc.tls {
				t.Errorf("TLSConfig = %q, want %q", d.TLSConfig, tc.tls)
			}
			wantOpen := tc.maxOpen
			if wantOpen == 0 {
				wantOpen = DefaultMaxOpenConns
			}
			if c.maxOpenConns != wantOpen {
				t.Errorf("maxOpenConns = %d, want %d", c.maxOpenConns, wantOpen)
			}
			want := tc.timeouts
			for i := range want {
				if want[i] == 0 {
					want[i] = 4 * time.Second
				}
			}
			if got := [3]time.Duration{d.Timeout, d.ReadTimeout, d.WriteTimeout}; got != want {
				t.Errorf("timeouts = %v, want %v", got, want)
			}
			if d.ParseTime || d.InterpolateParams || d.ClientFoundRows || d.MultiStatements || d.AllowAllFiles {
				t.Error("a fixed driver setting is on")
			}
			// The configuration is one the driver accepts.
			if _, err := driver.NewConnector(d); err != nil {
				t.Errorf("NewConnector: %v", err)
			}
		})
	}
}

func TestPoolDefaults(t *testing.T) {
	s, name := open(t)
	if got := s.db.Stats().MaxOpenConnections; got != DefaultMaxOpenConns {
		t.Errorf("MaxOpenConnections = %d, want %d", got, DefaultMaxOpenConns)
	}
	one := openURL(t, withParam(withDatabase(t, serverURL(t), name), "max_open_conns=1"))
	if got := one.db.Stats().MaxOpenConnections; got != 1 {
		t.Errorf("max_open_conns=1: MaxOpenConnections = %d, want 1", got)
	}
	// A burst of saves never opens more than the pool allows, and a pool of one serves them
	// all (a save needs one connection).
	var wg sync.WaitGroup
	for i := range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			st := s
			if i%2 == 1 {
				st = one
			}
			if _, err := st.Save(t.Context(), createEvent(t, "pool", fmt.Sprint("name ", i), 1703589922780+int64(i))); err != nil {
				t.Errorf("Save: %v", err)
			}
		}()
	}
	wg.Wait()
	if st := s.db.Stats(); st.OpenConnections > DefaultMaxOpenConns || st.Idle > DefaultMaxOpenConns {
		t.Errorf("pool after a burst: %d open, %d idle; want at most %d", st.OpenConnections, st.Idle, DefaultMaxOpenConns)
	}
}

// TestConcurrentDuplicatesStress delivers one event 16 times at once, through 16 connections
// of one store and 4 more stores, round after round: exactly one copy is stored each time and
// none fails, whatever deadlocks InnoDB reports on the way.
func TestConcurrentDuplicatesStress(t *testing.T) {
	u, _ := newDatabase(t)
	wide := withParam(u, "max_open_conns=16")
	stores := []*Store{openURL(t, wide), openURL(t, u), openURL(t, u), openURL(t, u), openURL(t, u)}
	const copies, rounds = 16, 15
	for round := range rounds {
		at := int64(1703589922780 + round)
		evs := make([]*callback.Event, copies)
		for i := range evs {
			// A projected command takes the room's lock; an unprojected one leaves it to the
			// archive's key alone.
			ev := createEvent(t, "stress", fmt.Sprint("round ", round), at)
			if round%3 == 2 {
				ev = unknownEvent(t, "stress", at)
			}
			ev.RequestID = fmt.Sprintf("round-%d-copy-%d", round, i)
			evs[i] = ev
		}
		outcomes := storetest.SaveTogether(t, copies, func(i int) (callback.Outcome, error) {
			s := stores[0]
			if i%4 == 0 {
				s = stores[1+i/4]
			}
			ctx, cancel := context.WithTimeout(t.Context(), 1500*time.Millisecond)
			defer cancel()
			o, err := s.Save(ctx, evs[i])
			if err != nil {
				err = fmt.Errorf("round %d: %w", round, err)
			}
			return o, err
		})
		first := callback.OutcomeStored
		if round%3 == 2 {
			first = callback.OutcomeIgnored
		}
		if outcomes[first] != 1 || outcomes[callback.OutcomeDuplicate] != copies-1 || len(outcomes) != 2 {
			t.Errorf("round %d: outcomes %v, want 1 %v and %d duplicate", round, outcomes, first, copies-1)
		}
	}
	var retries int64
	for _, s := range stores {
		retries += s.retries.Load()
	}
	t.Logf("%d rounds of %d copies: %d transactions retried", rounds, copies, retries)
	evs, err := stores[0].Events(t.Context(), storetest.SeedSdkAppID)
	if err != nil || len(evs) != rounds {
		t.Errorf("archive has %d rows (%v), want %d", len(evs), err, rounds)
	}
}

// TestConcurrentEventsForOneRoom delivers 16 different events for one room at once, through
// 16 connections: every one is archived, each save took the room's lock in turn, and the room
// ends at the newest whatever the order they ran in.
func TestConcurrentEventsForOneRoom(t *testing.T) {
	u, name := newDatabase(t)
	s := openURL(t, withParam(u, "max_open_conns=16"))
	const n = 16
	const base = int64(1703589922780)
	evs := make([]*callback.Event, n)
	for i := range evs {
		at := base + int64((i*7)%n) // a permutation
		evs[i] = createEvent(t, "busy", fmt.Sprint("name at ", at), at)
	}
	outcomes := storetest.SaveTogether(t, n, func(i int) (callback.Outcome, error) {
		return s.Save(t.Context(), evs[i])
	})
	if outcomes[callback.OutcomeStored] < 1 || outcomes[callback.OutcomeStored]+outcomes[callback.OutcomeStale] != n {
		t.Errorf("outcomes = %v, want %d stored or stale, at least one stored", outcomes, n)
	}
	r := readRoom(t, s, "busy")
	if want := base + n - 1; r.EventTime != want || *r.Info.RoomName != fmt.Sprint("name at ", want) {
		t.Errorf("room at %d named %q, want the newest, %d", r.EventTime, *r.Info.RoomName, want)
	}
	if evs, err := s.Events(t.Context(), storetest.SeedSdkAppID); err != nil || len(evs) != n {
		t.Errorf("archive has %d rows (%v), want %d", len(evs), err, n)
	}
	var saves int
	if err := adminDB(t, name).QueryRowContext(t.Context(), `SELECT saves FROM roomhook_room_locks
		WHERE sdk_app_id = ? AND room_id = 'busy'`, storetest.SeedSdkAppID).Scan(&saves); err != nil || saves != n {
		t.Errorf("roomhook_room_locks.saves = %d (%v), want %d: one per save", saves, err, n)
	}
}

// TestSaveWaitsForAnotherWriter holds the archive key in another, uncommitted transaction:
// readers are not blocked, a Save of the same event gives up at its deadline having written
// nothing, and once the other commits the Save is a duplicate.
func TestSaveWaitsForAnotherWriter(t *testing.T) {
	s, name := open(t)
	other, err := adminDB(t, name).BeginTx(t.Context(), nil)
	if err != nil {
		t.Fatal(err)
	}
	defer other.Rollback()
	ev := storetest.SeedEvent()
	if _, err := other.ExecContext(t.Context(), insertEventSQL, ev.SdkAppID, ev.Command, ev.RoomID, ev.EventTime,
		"", "", "other-writer", int64(0), ev.Raw, ev.Digest()); err != nil {
		t.Fatal(err)
	}

	if evs, err := s.Events(t.Context(), storetest.SeedSdkAppID); err != nil || len(evs) != 0 {
		t.Errorf("Events while another transaction writes = %d rows, %v; want 0, nil", len(evs), err)
	}
	ctx, cancel := context.WithTimeout(t.Context(), 300*time.Millisecond)
	start := time.Now()
	if o, err := s.Save(ctx, ev); err == nil {
		t.Errorf("Save while another transaction holds the key = %v, nil; want an error", o)
	}
	cancel()
	if took := time.Since(start); took > 2*time.Second {
		t.Errorf("Save gave up after %v, want about its 300ms deadline", took)
	}

	if err := other.Commit(); err != nil {
		t.Fatal(err)
	}
	if o, err := s.Save(t.Context(), ev); err != nil || o != callback.OutcomeDuplicate {
		t.Errorf("Save after the other commit = %v, %v; want duplicate", o, err)
	}
	if _, err := callback.ReadRoom(t.Context(), s, ev.SdkAppID, ev.RoomID); !errors.Is(err, callback.ErrNotFound) {
		t.Errorf("ReadRoom = %v; want ErrNotFound (the other writer archived only)", err)
	}
}

// TestDeadlockIsRetried makes Save the victim of a real InnoDB deadlock: another transaction
// holds the room's row, Save archives its event and waits for the room, then the other
// transaction archives the same key. Save's transaction is rolled back by the server and run
// again, and the caller sees a duplicate, not an error.
func TestDeadlockIsRetried(t *testing.T) {
	s, name := open(t)
	seed := storetest.SeedEvent()
	if _, err := s.Save(t.Context(), seed); err != nil {
		t.Fatal(err)
	}
	admin := adminDB(t, name)
	other, err := admin.BeginTx(t.Context(), nil)
	if err != nil {
		t.Fatal(err)
	}
	defer other.Rollback()
	// Weigh the other transaction down, so that InnoDB picks Save as the victim.
	for i := range 100 {
		if _, err := other.ExecContext(t.Context(), insertEventSQL, int64(1400000002), "Filler", fmt.Sprint("filler-", i),
			int64(i+1), "", "", "", int64(0), []byte("{}"), sha256Hex([]byte("{}"))); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := other.ExecContext(t.Context(), `UPDATE rooms SET room_name = 'held by the other' WHERE sdk_app_id = ? AND room_id = ?`,
		seed.SdkAppID, seed.RoomID); err != nil {
		t.Fatal(err)
	}

	ev := event(t, callback.CommandUpdateRoom, `{"CallbackCommand":"Room.CallbackAfterUpdateRoomInfo",`+
		`"RoomInfo":{"RoomId":"`+seed.RoomID+`","RoomName":"renamed"},"EventTime":1703589923780}`)
	type result struct {
		o   callback.Outcome
		err error
	}
	done := make(chan result, 1)
	go func() {
		ctx, cancel := context.WithTimeout(t.Context(), 10*time.Second)
		defer cancel()
		o, err := s.Save(ctx, ev)
		done <- result{o, err}
	}()

	// Wait until Save is at the room: it holds its archive key and needs the room's row.
	// PROCESSLIST is live, unlike INNODB_TRX, which InnoDB refreshes only now and then.
	deadline := time.Now().Add(5 * time.Second)
	for {
		var waiting int
		if err := admin.QueryRowContext(t.Context(), `SELECT count(*) FROM information_schema.PROCESSLIST
			WHERE DB = ? AND INFO LIKE 'UPDATE rooms SET%'`, name).Scan(&waiting); err != nil {
			t.Fatal(err)
		}
		if waiting > 0 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("Save never reached the room")
		}
		time.Sleep(5 * time.Millisecond)
	}
	// Close the cycle: the other transaction now wants the key Save holds.
	if _, err := other.ExecContext(t.Context(), insertEventSQL, ev.SdkAppID, ev.Command, ev.RoomID, ev.EventTime,
		"", "", "other-writer", int64(0), ev.Raw, ev.Digest()); err != nil {
		t.Fatalf("the other transaction was the deadlock victim (%v); the test wants Save to be", err)
	}
	if err := other.Commit(); err != nil {
		t.Fatal(err)
	}
	r := <-done
	if r.err != nil || r.o != callback.OutcomeDuplicate {
		t.Errorf("Save after a deadlock = %v, %v; want duplicate (the other transaction archived the key)", r.o, r.err)
	}
	if n := s.retries.Load(); n < 1 {
		t.Errorf("%d retries, want at least 1", n)
	}
	t.Logf("retries: %d", s.retries.Load())
}

func TestSaveRejectsInconsistentEvent(t *testing.T) {
	s, _ := open(t)
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

func TestOpenHonoursContext(t *testing.T) {
	u, _ := newDatabase(t)
	ctx, cancel := context.WithCancel(t.Context())
	cancel()
	s, err := Open(ctx, u, Options{})
	if err == nil {
		s.Close()
		t.Fatal("Open with a cancelled context succeeded, want an error")
	}
}

func TestRetryable(t *testing.T) {
	for _, tc := range []struct {
		err  error
		want bool
	}{
		{&driver.MySQLError{Number: erDeadlock, Message: "Deadlock found"}, true},
		{fmt.Errorf("mysql: save: archive event: %w", &driver.MySQLError{Number: erLockWait}), true},
		{fmt.Errorf("mysql: save: commit: %w", &driver.MySQLError{Number: erRollbackDuringCommit}), true},
		{fmt.Errorf("wrapped: %w", driver.ErrInvalidConn), true},
		{&driver.MySQLError{Number: 1406, Message: "Data too long"}, false},
		{&driver.MySQLError{Number: 1062, Message: "Duplicate entry"}, false},
		{context.DeadlineExceeded, false},
		{sql.ErrConnDone, false},
	} {
		if got := retryable(tc.err); got != tc.want {
			t.Errorf("retryable(%v) = %v, want %v", tc.err, got, tc.want)
		}
	}
}

// TestLeastPrivileges checks the grants the documentation asks for: CREATE, ALTER, SELECT,
// INSERT and UPDATE for the first start, then SELECT, INSERT and UPDATE alone.
func TestLeastPrivileges(t *testing.T) {
	u, name := newDatabase(t)
	admin := adminDB(t, "")
	user := "roomhook_t_" + randomHex(4)
	password := "pw-" + randomHex(8)
	host := "%"
	if _, err := admin.ExecContext(t.Context(), fmt.Sprintf("CREATE USER '%s'@'%s' IDENTIFIED BY '%s'", user, host, password)); err != nil {
		t.Skipf("cannot create a test user: %v", err)
	}
	t.Cleanup(func() {
		admin.ExecContext(context.Background(), fmt.Sprintf("DROP USER '%s'@'%s'", user, host))
	})
	grant := func(privs string) {
		t.Helper()
		if _, err := admin.ExecContext(t.Context(), fmt.Sprintf("GRANT %s ON %s.* TO '%s'@'%s'", privs, name, user, host)); err != nil {
			t.Fatal(err)
		}
	}
	revoke := func(privs string) {
		t.Helper()
		if _, err := admin.ExecContext(t.Context(), fmt.Sprintf("REVOKE %s ON %s.* FROM '%s'@'%s'", privs, name, user, host)); err != nil {
			t.Fatal(err)
		}
	}
	at := strings.LastIndexByte(u, '@')
	userURL := "mysql://" + user + ":" + password + "@" + u[at+1:]

	// Without CREATE, or without ALTER, a new database cannot be set up, and the error says
	// what is missing.
	grant("SELECT, INSERT, UPDATE")
	for _, more := range []string{"", "CREATE"} {
		if more != "" {
			grant(more)
		}
		if s, err := Open(t.Context(), userURL, Options{}); err == nil {
			s.Close()
			t.Fatalf("first start with SELECT, INSERT, UPDATE and %q succeeded", more)
		} else if !strings.Contains(err.Error(), "CREATE and ALTER privileges") || strings.Contains(err.Error(), password) {
			t.Errorf("first start with SELECT, INSERT, UPDATE and %q: %v", more, err)
		}
	}

	grant("ALTER")
	s, err := Open(t.Context(), userURL, Options{})
	if err != nil {
		t.Fatalf("first start with CREATE, ALTER, SELECT, INSERT, UPDATE: %v", err)
	}
	s.Close()

	revoke("CREATE, ALTER")
	s = openURL(t, userURL)
	for _, ev := range []*callback.Event{storetest.SeedEvent(), storetest.SeedEvent(), unknownEvent(t, "r", 0)} {
		if _, err := s.Save(t.Context(), ev); err != nil {
			t.Errorf("Save with SELECT, INSERT, UPDATE: %v", err)
		}
	}
	update := event(t, callback.CommandUpdateRoom, `{"CallbackCommand":"Room.CallbackAfterUpdateRoomInfo",`+
		`"RoomInfo":{"RoomId":"tandy-test-rest","RoomName":"renamed"},"EventTime":1703589923780}`)
	enter := event(t, callback.CommandMemberEnter, `{"CallbackCommand":"Room.CallbackAfterMemberEnter",`+
		`"RoomId":"tandy-test-rest","MemberCount":1,"MemberList_Account":["u1"],"EventTime":1703589923790}`)
	seat := event(t, callback.CommandSeatChanged, `{"CallbackCommand":"Mic.CallbackAfterSeatInfoChanged",`+
		`"RoomId":"tandy-test-rest","SeatList":[{"Index":0,"Member_Account":"u1"}],"EventTime":1703589923800}`)
	for _, ev := range []*callback.Event{update, enter, seat} {
		if o, err := s.Save(t.Context(), ev); err != nil || o != callback.OutcomeStored {
			t.Errorf("Save of %s with SELECT, INSERT, UPDATE = %v, %v", ev.Command, o, err)
		}
	}
	if r := readRoom(t, s, "tandy-test-rest"); *r.Info.RoomName != "renamed" {
		t.Errorf("room name %q, want renamed", *r.Info.RoomName)
	}
}

// testReceivedAt is when the tests' events arrive.
var testReceivedAt = time.Date(2024, 1, 2, 3, 4, 5, 6_000_000, time.UTC)

// event builds the event the core builds for a callback of the seed app with body (the payload
// parsed from it, the archive key from the payload or the envelope).
func event(t testing.TB, command, body string) *callback.Event {
	t.Helper()
	ev, err := v1store.Callback{Command: command, Body: body}.Event(storetest.SeedSdkAppID, testReceivedAt)
	if err != nil {
		t.Fatalf("event %s: %v", body, err)
	}
	ev.RequestID = "req-test"
	return ev
}

// jsonBody encodes a callback body.
func jsonBody(t testing.TB, v map[string]any) string {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// createEvent is the create of room at eventTime, named name, with no other field.
func createEvent(t testing.TB, room, name string, eventTime int64) *callback.Event {
	t.Helper()
	return event(t, callback.CommandCreateRoom, jsonBody(t, map[string]any{
		"CallbackCommand": callback.CommandCreateRoom, "EventTime": eventTime,
		"RoomInfo": map[string]any{"RoomId": room, "RoomName": name},
	}))
}

// unknownEvent is a command roomhook does not project, of room at eventTime (0: none).
func unknownEvent(t testing.TB, room string, eventTime int64) *callback.Event {
	t.Helper()
	body := map[string]any{"CallbackCommand": "Room.CallbackAfterSomethingNew", "RoomId": room}
	if eventTime != 0 {
		body["EventTime"] = eventTime
	}
	return event(t, "Room.CallbackAfterSomethingNew", jsonBody(t, body))
}

// readRoom reads the room row of the seed app's room.
func readRoom(t testing.TB, s *Store, room string) *callback.RoomRow {
	t.Helper()
	r, err := callback.ReadRoom(t.Context(), s, storetest.SeedSdkAppID, room)
	if err != nil {
		t.Fatalf("ReadRoom(%q): %v", room, err)
	}
	return r
}

func sha256Hex(b []byte) string {
	sum := sha256.Sum256(b)
	return hex.EncodeToString(sum[:])
}

// schemaVersions returns the rows of roomhook_schema, in order.
func schemaVersions(t *testing.T, db *sql.DB) []int64 {
	t.Helper()
	rows, err := db.QueryContext(t.Context(), `SELECT version FROM roomhook_schema ORDER BY version`)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	var versions []int64
	for rows.Next() {
		var v int64
		if err := rows.Scan(&v); err != nil {
			t.Fatal(err)
		}
		versions = append(versions, v)
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	return versions
}

// TestRoomLockHolds holds a room's lock in another transaction: a projected save of that room
// waits and gives up at its deadline having written nothing, while saves of another room and
// of a command not projected (which takes no lock) go through; once the other transaction
// ends, the save goes through too. Then the next save of a room must wait for the holder of
// its lock to commit, and then read what the holder committed.
func TestRoomLockHolds(t *testing.T) {
	s, name := open(t)
	admin := adminDB(t, name)
	other, err := admin.BeginTx(t.Context(), nil)
	if err != nil {
		t.Fatal(err)
	}
	defer other.Rollback()
	if _, err := other.ExecContext(t.Context(), lockRoomSQL, storetest.SeedSdkAppID, "held"); err != nil {
		t.Fatal(err)
	}

	ctx, cancel := context.WithTimeout(t.Context(), 300*time.Millisecond)
	start := time.Now()
	o, err := s.Save(ctx, createEvent(t, "held", "first", 1703589922780))
	cancel()
	if err == nil {
		t.Errorf("Save while another transaction holds the room's lock = %v, nil; want an error", o)
	}
	if took := time.Since(start); took < 250*time.Millisecond || took > 2*time.Second {
		t.Errorf("Save gave up after %v, want about its 300ms deadline", took)
	}
	if evs, err := s.Events(t.Context(), storetest.SeedSdkAppID); err != nil || len(evs) != 0 {
		t.Errorf("archive after a save that could not lock = %d rows, %v; want none", len(evs), err)
	}
	for _, ev := range []*callback.Event{createEvent(t, "free", "other room", 1703589922780), unknownEvent(t, "held", 1703589922780)} {
		ctx, cancel := context.WithTimeout(t.Context(), time.Second)
		if o, err := s.Save(ctx, ev); err != nil || o == callback.OutcomeDuplicate {
			t.Errorf("Save(%s of %s) while another room is locked = %v, %v", ev.Command, ev.RoomID, o, err)
		}
		cancel()
	}
	if err := other.Rollback(); err != nil {
		t.Fatal(err)
	}
	if o, err := s.Save(t.Context(), createEvent(t, "held", "first", 1703589922780)); err != nil || o != callback.OutcomeStored {
		t.Errorf("Save after the lock was freed = %v, %v; want stored", o, err)
	}

	// A save that holds the lock, archives a newer create of the room and stalls: the next
	// save of the room waits for it, and then reads what it committed.
	stalled, err := admin.BeginTx(t.Context(), &sql.TxOptions{Isolation: sql.LevelReadCommitted})
	if err != nil {
		t.Fatal(err)
	}
	defer stalled.Rollback()
	if _, err := stalled.ExecContext(t.Context(), lockRoomSQL, storetest.SeedSdkAppID, "held"); err != nil {
		t.Fatal(err)
	}
	newer := createEvent(t, "held", "archived by the holder", 1703589923280)
	if _, err := stalled.ExecContext(t.Context(), insertEventSQL, newer.SdkAppID, newer.Command, newer.RoomID, newer.EventTime,
		"", "", "holder", int64(0), newer.Raw, newer.Digest()); err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() {
		ctx, cancel := context.WithTimeout(t.Context(), 5*time.Second)
		defer cancel()
		update := event(t, callback.CommandUpdateRoom, `{"CallbackCommand":"Room.CallbackAfterUpdateRoomInfo",`+
			`"RoomInfo":{"RoomId":"held","CustomInfo":"from the update"},"EventTime":1703589923780}`)
		_, err := s.Save(ctx, update)
		done <- err
	}()
	select {
	case err := <-done:
		t.Fatalf("a save of the room ran while another held its lock (%v)", err)
	case <-time.After(300 * time.Millisecond):
	}
	if err := stalled.Commit(); err != nil {
		t.Fatal(err)
	}
	if err := <-done; err != nil {
		t.Fatalf("Save after the holder committed: %v", err)
	}
	// The update folded the archive as the holder left it: the holder's create, then the update.
	r := readRoom(t, s, "held")
	if *r.Info.RoomName != "archived by the holder" || r.Info.CustomInfo == nil || *r.Info.CustomInfo != "from the update" {
		t.Errorf("room = %q, %v; want the fold of the holder's create and the update", *r.Info.RoomName, r.Info.CustomInfo)
	}
}

func memberStateEvent(t *testing.T, room string, at int64, members ...string) *callback.Event {
	t.Helper()
	list := make([]string, len(members))
	for i, m := range members {
		list[i] = fmt.Sprintf(`{"Member_Account":%q}`, m)
	}
	return event(t, callback.CommandLiveMemberState, fmt.Sprintf(`{"CallbackCommand":"Live.CallbackAfterMemberStateChanged",`+
		`"RoomId":%q,"EventType":"Online","EventCause":"Enter","MemberList":[%s],"EventTime":%d}`, room, strings.Join(list, ","), at))
}

// TestMemberLocks: a Live member state holds its room's lock row shared and its members' lock
// rows: it waits for a member another transaction holds and for a transaction holding the
// room exclusively, but not for a save of another member; a destroy waits for the member
// states, and then ends every member they made.
func TestMemberLocks(t *testing.T) {
	s, name := open(t)
	admin := adminDB(t, name)
	const room, at = "popular", int64(1703589922780)
	hold := func(query string, args ...any) func() {
		t.Helper()
		tx, err := admin.BeginTx(t.Context(), nil)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := tx.ExecContext(t.Context(), query, args...); err != nil {
			t.Fatal(err)
		}
		return func() { tx.Rollback() }
	}
	waits := func(ev *callback.Event) {
		t.Helper()
		ctx, cancel := context.WithTimeout(t.Context(), 300*time.Millisecond)
		defer cancel()
		if o, err := s.Save(ctx, ev); err == nil {
			t.Errorf("Save(%s) = %v; want it to wait past its deadline", ev.Command, o)
		}
	}
	saved := func(ev *callback.Event) {
		t.Helper()
		ctx, cancel := context.WithTimeout(t.Context(), 2*time.Second)
		defer cancel()
		if o, err := s.Save(ctx, ev); err != nil || o != callback.OutcomeStored {
			t.Errorf("Save(%s) = %v, %v; want stored without waiting", ev.Command, o, err)
		}
	}
	saved(memberStateEvent(t, room, at, "viewer-0")) // makes the room's lock row

	release := hold(lockMemberSQL+lockMemberValues+lockMemberUpdate, storetest.SeedSdkAppID, room, "viewer-a")
	waits(memberStateEvent(t, room, at, "viewer-a"))
	saved(memberStateEvent(t, room, at, "viewer-b"))
	saved(memberStateEvent(t, room, at+1, "viewer-c", "viewer-b"))
	release()
	saved(memberStateEvent(t, room, at, "viewer-a"))

	// (The destroy last: InnoDB queues a shared request behind a waiting exclusive one, and the
	// server keeps a request whose client gave up waiting until it times out.)
	release = hold(lockRoomSharedSQL, storetest.SeedSdkAppID, room)
	saved(memberStateEvent(t, room, at+2, "viewer-d"))
	waits(event(t, callback.CommandDestroyRoom, fmt.Sprintf(`{"CallbackCommand":"Room.CallbackAfterDestroyRoom","RoomId":%q,"EventTime":%d}`, room, at+10)))
	release()

	release = hold(lockRoomSQL, storetest.SeedSdkAppID, room)
	waits(memberStateEvent(t, room, at+3, "viewer-e"))
	release()
	saved(event(t, callback.CommandDestroyRoom, fmt.Sprintf(`{"CallbackCommand":"Room.CallbackAfterDestroyRoom","RoomId":%q,"EventTime":%d}`, room, at+10)))
	members, err := callback.ReadMembers(t.Context(), s, storetest.SeedSdkAppID, room)
	if err != nil {
		t.Fatal(err)
	}
	if len(members) != 5 {
		t.Errorf("%d members, want 5", len(members))
	}
	for _, m := range members {
		if m.State != callback.MemberLeft || m.LeaveType == nil || *m.LeaveType != callback.LeaveDestroyed {
			t.Errorf("%s: %s, want left by the destroy", m.MemberAccount, m.State)
		}
	}
}
