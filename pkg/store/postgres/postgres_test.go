package postgres_test

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"net"
	"net/url"
	"os"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"

	"github.com/roomhook/roomhook/pkg/callback"
	"github.com/roomhook/roomhook/pkg/store/postgres"
	"github.com/roomhook/roomhook/pkg/store/storetest"
)

// envURL names the variable holding the test server's URL.
const envURL = "ROOMHOOK_TEST_POSTGRES"

// serverURL returns the test server's URL, or skips the test when none is configured.
func serverURL(t *testing.T) string {
	t.Helper()
	u := os.Getenv(envURL)
	if u == "" {
		t.Skip(envURL + " not set: point it at a PostgreSQL server where the user may create schemas, e.g. " +
			envURL + "='postgres://postgres@127.0.0.1:5432/test?sslmode=disable' go test ./pkg/store/postgres/")
	}
	return u
}

// withParams returns rawURL with the query parameters in kv (name, value, …) set.
func withParams(t *testing.T, rawURL string, kv ...string) string {
	t.Helper()
	u, err := url.Parse(rawURL)
	if err != nil {
		t.Fatalf("%s is not a URL: %v", envURL, err)
	}
	q := u.Query()
	for i := 0; i+1 < len(kv); i += 2 {
		q.Set(kv[i], kv[i+1])
	}
	u.RawQuery = q.Encode()
	return u.String()
}

// admin connects to the test server as the test's own tool, outside roomhook.
func admin(t *testing.T) *pgx.Conn {
	t.Helper()
	conn, err := pgx.Connect(t.Context(), serverURL(t))
	if err != nil {
		t.Fatalf("connect to the test server: %v", err)
	}
	t.Cleanup(func() { conn.Close(context.Background()) })
	return conn
}

// freshSchema creates an empty schema, dropped with everything in it when the test ends, and
// returns its name and the server URL with search_path set to it.
func freshSchema(t *testing.T, kv ...string) (schema, rawURL string) {
	t.Helper()
	b := make([]byte, 6)
	rand.Read(b)
	schema = "roomhook_test_" + hex.EncodeToString(b)
	db := admin(t)
	if _, err := db.Exec(t.Context(), `CREATE SCHEMA `+schema); err != nil {
		t.Fatalf("create schema: %v", err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		if _, err := db.Exec(ctx, `DROP SCHEMA `+schema+` CASCADE`); err != nil {
			t.Errorf("drop schema %s: %v", schema, err)
		}
	})
	return schema, withParams(t, serverURL(t), append([]string{"search_path", schema}, kv...)...)
}

// open opens a store and closes it when the test ends.
func open(t *testing.T, rawURL string) *postgres.Store {
	t.Helper()
	s, err := postgres.Open(t.Context(), rawURL, postgres.Options{})
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

func TestConformance(t *testing.T) {
	serverURL(t)
	storetest.Run(t, func(t *testing.T) storetest.Backend {
		// A pool as wide as the suite's races, so that racing saves run in as many
		// transactions at once and the room lock is what orders them.
		_, u := freshSchema(t, "pool_max_conns", "16")
		return open(t, u)
	})
}

// TestExecModesAccepted: default_query_exec_mode, which pgx needed behind a transaction-mode
// pooler, is still accepted in every one of pgx's spellings and changes nothing: every
// statement runs on the extended protocol's unnamed statement.
func TestExecModesAccepted(t *testing.T) {
	for _, mode := range []string{"cache_statement", "cache_describe", "describe_exec", "exec", "simple_protocol"} {
		t.Run(mode, func(t *testing.T) {
			_, u := freshSchema(t, "default_query_exec_mode", mode)
			s := open(t, u)
			if o, err := s.Save(t.Context(), storetest.SeedEvent()); err != nil || o != callback.OutcomeStored {
				t.Fatalf("Save = %v, %v; want stored", o, err)
			}
			if _, err := callback.ReadRoom(t.Context(), s, storetest.SeedSdkAppID, "tandy-test-rest"); err != nil {
				t.Fatal(err)
			}
			if o, err := s.Save(t.Context(), enterEvent(t, storetest.SeedSdkAppID, "tandy-test-rest", t0+1, 1, "u1")); err != nil || o != callback.OutcomeStored {
				t.Fatalf("Save of a member enter = %v, %v; want stored", o, err)
			}
		})
	}
}

// TestNoNamedStatements: the store leaves no prepared statement on its connections, so a
// transaction-mode pooler may hand each transaction another server connection.
func TestNoNamedStatements(t *testing.T) {
	_, u := freshSchema(t, "pool_max_conns", "1")
	s := open(t, u)
	ev := storetest.SeedEvent()
	for _, ev := range []*callback.Event{ev, enterEvent(t, ev.SdkAppID, ev.RoomID, t0+1, 1, "u1"),
		seatEvent(t, ev.SdkAppID, ev.RoomID, t0+2, 0, "u1"), destroyEvent(t, ev.SdkAppID, ev.RoomID, t0+3)} {
		if _, err := s.Save(t.Context(), ev); err != nil {
			t.Fatal(err)
		}
	}
	dump(t, s, ev.SdkAppID, ev.RoomID)
	if _, err := s.Events(t.Context(), ev.SdkAppID); err != nil {
		t.Fatal(err)
	}
	n := postgres.PreparedStatements(t, s)
	if n != 0 {
		t.Errorf("%d named prepared statements on the store's connection, want 0", n)
	}
}

// TestConcurrentDuplicatesManyConnections delivers one event through two stores at once, each
// with a pool wide enough that every copy runs in its own transaction, as many function
// instances would: exactly one stores it and none fails.
func TestConcurrentDuplicatesManyConnections(t *testing.T) {
	_, u := freshSchema(t, "pool_max_conns", "16")
	stores := []*postgres.Store{open(t, u), open(t, u)}

	const perStore = 16
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

// TestConcurrentNewerAndOlder races distinct events of one room: whatever the order, the room
// ends at the newest and every event is archived once.
func TestConcurrentNewerAndOlder(t *testing.T) {
	_, u := freshSchema(t, "pool_max_conns", "16")
	s := open(t, u)
	const n = 16
	storetest.Together(n, func(i int) {
		ev := createEvent(t, storetest.SeedSdkAppID, "tandy-test-rest", t0+int64(i), fmt.Sprintf("name-%02d", i))
		if _, err := s.Save(t.Context(), ev); err != nil {
			t.Errorf("Save: %v", err)
		}
	})
	r, err := callback.ReadRoom(t.Context(), s, storetest.SeedSdkAppID, "tandy-test-rest")
	if err != nil {
		t.Fatal(err)
	}
	if want := fmt.Sprintf("name-%02d", n-1); r.Info.RoomName == nil || *r.Info.RoomName != want {
		t.Errorf("RoomName = %v, want %q (the newest event)", r.Info.RoomName, want)
	}
	if evs, err := s.Events(t.Context(), storetest.SeedSdkAppID); err != nil || len(evs) != n {
		t.Errorf("Events = %d rows, %v; want %d", len(evs), err, n)
	}
}

func TestSchemaVersion(t *testing.T) {
	schema, u := freshSchema(t)
	open(t, u)
	if got := versions(t, schema); len(got) != 1 || got[0] != postgres.SchemaVersion {
		t.Errorf("roomhook_schema holds %v, want [%d]", got, postgres.SchemaVersion)
	}
}

func versions(t *testing.T, schema string) []int64 {
	t.Helper()
	rows, err := admin(t).Query(t.Context(), `SELECT version FROM `+schema+`.roomhook_schema`)
	if err != nil {
		t.Fatal(err)
	}
	got, err := pgx.CollectRows(rows, pgx.RowTo[int64])
	if err != nil {
		t.Fatal(err)
	}
	return got
}

// TestColumns pins the table and column names and types: they are a contract users query
// directly, with the SQLite store's names. The projection's tables are as callback's
// descriptors say, in their order; the archive as version 1 had it, then body_sha256.
func TestColumns(t *testing.T) {
	schema, u := freshSchema(t)
	open(t, u)
	want := map[string]string{
		"callback_events": "id bigint NO, sdk_app_id bigint NO, callback_command text NO, room_id text NO, " +
			"event_time bigint YES, client_ip text NO, opt_platform text NO, request_id text NO, " +
			"received_at bigint NO, raw_body bytea NO, body_sha256 text NO",
		"roomhook_schema": "version integer NO",
	}
	types := map[callback.ColumnKind]string{
		callback.KindText: "text", callback.KindInt: "bigint", callback.KindBool: "boolean", callback.KindList: "jsonb",
		callback.KindInts: "jsonb",
	}
	wantKeys := []string{
		"callback_events PRIMARY KEY id",
		"callback_events UNIQUE sdk_app_id,room_id,callback_command,event_time,body_sha256",
	}
	for _, tb := range callback.Tables {
		var cols []string
		for _, c := range tb.Columns {
			null := "NO"
			if c.Nullable {
				null = "YES"
			}
			cols = append(cols, c.Name+" "+types[c.Kind]+" "+null)
		}
		want[tb.Name] = strings.Join(cols, ", ")
		wantKeys = append(wantKeys, tb.Name+" PRIMARY KEY "+strings.Join(tb.Names()[:tb.Key], ","))
	}
	// The rooms columns of version 1, as version 1's test pinned them: a migrated store and a
	// new one share them.
	if v1 := "sdk_app_id bigint NO, room_id text NO, room_name text YES, room_type text YES, " +
		"owner_account text YES, max_member_count bigint YES, max_seat_count bigint YES, " +
		"is_video_disabled boolean YES, is_audio_disabled boolean YES, is_message_disabled boolean YES, " +
		"is_screen_sharing_disabled boolean YES, is_cloud_recording_disabled boolean YES, " +
		"custom_info text YES, schedule_start_time bigint YES, schedule_end_time bigint YES, " +
		"room_status text YES, is_seat_enabled boolean YES, take_seat_mode text YES, " +
		"create_time bigint YES, operator_account text YES, schedule_invitee_list_account jsonb YES, " +
		"callback_command text NO, event_time bigint NO, updated_at bigint NO"; !strings.HasPrefix(want["rooms"], v1+", ") {
		t.Errorf("callback.RoomsTable does not start with version 1's columns:\n got %s\nwant %s, …", want["rooms"], v1)
	}
	for table, cols := range want {
		if g := columns(t, schema, table); g != cols {
			t.Errorf("columns of %s:\n got %s\nwant %s", table, g, cols)
		}
	}
	slices.Sort(wantKeys)
	if g, w := strings.Join(keys(t, schema), "; "), strings.Join(wantKeys, "; "); g != w {
		t.Errorf("keys:\n got %s\nwant %s", g, w)
	}
	var name string
	if err := admin(t).QueryRow(t.Context(), `SELECT constraint_name FROM information_schema.table_constraints
		WHERE table_schema = $1 AND table_name = 'callback_events' AND constraint_type = 'UNIQUE'`, schema).Scan(&name); err != nil || name != "callback_events_key" {
		t.Errorf("the archive key is named %q (%v), want callback_events_key", name, err)
	}

	// The checks: a member's state is in or left, a list is a JSON array.
	db := admin(t)
	for _, bad := range []string{
		`INSERT INTO room_members (sdk_app_id, room_id, member_account, state, event_time, updated_at) VALUES (1, 'r', 'm', 'gone', 1, 1)`,
		`INSERT INTO rooms (sdk_app_id, room_id, schedule_invitee_list_account, callback_command, event_time, updated_at) VALUES (1, 'r', '{"a":1}', 'c', 1, 1)`,
	} {
		if _, err := db.Exec(t.Context(), `SET search_path = `+schema+`; `+bad); err == nil {
			t.Errorf("%s succeeded, want a check violation", bad)
		} else if pgErr := (*pgconn.PgError)(nil); !errors.As(err, &pgErr) || pgErr.Code != "23514" {
			t.Errorf("%s: %v, want a check violation (23514)", bad, err)
		}
	}
}

// columns returns the columns of table, "name type nullable", in order.
func columns(t *testing.T, schema, table string) string {
	t.Helper()
	rows, err := admin(t).Query(t.Context(), `SELECT column_name || ' ' || data_type || ' ' || is_nullable
		FROM information_schema.columns WHERE table_schema = $1 AND table_name = $2
		ORDER BY ordinal_position`, schema, table)
	if err != nil {
		t.Fatal(err)
	}
	got, err := pgx.CollectRows(rows, pgx.RowTo[string])
	if err != nil {
		t.Fatal(err)
	}
	return strings.Join(got, ", ")
}

// keys returns the primary and unique keys of the schema's tables, "table TYPE col,col", sorted.
func keys(t *testing.T, schema string) []string {
	t.Helper()
	rows, err := admin(t).Query(t.Context(), `SELECT tc.table_name || ' ' || tc.constraint_type || ' ' ||
			string_agg(kcu.column_name, ',' ORDER BY kcu.ordinal_position)
		FROM information_schema.table_constraints tc
		JOIN information_schema.key_column_usage kcu
			ON kcu.constraint_schema = tc.constraint_schema AND kcu.constraint_name = tc.constraint_name
		WHERE tc.table_schema = $1 AND tc.constraint_type IN ('PRIMARY KEY', 'UNIQUE')
		GROUP BY tc.table_name, tc.constraint_type, tc.constraint_name
		ORDER BY 1`, schema)
	if err != nil {
		t.Fatal(err)
	}
	got, err := pgx.CollectRows(rows, pgx.RowTo[string])
	if err != nil {
		t.Fatal(err)
	}
	return got
}

// TestStoredForm checks how values sit in the tables, for users who query them with SQL.
func TestStoredForm(t *testing.T) {
	schema, u := freshSchema(t)
	s := open(t, u)
	const app = storetest.SeedSdkAppID
	ev := eventOf(t, app, callback.CommandCreateRoom, map[string]any{
		"Operator_Account": "admin", "EventTime": t0, "ScheduleInviteeList_Account": []string{"user2", "<user&3>"},
		"RoomInfo": map[string]any{"RoomId": "stored", "IsVideoDisabled": true, "MaxMemberCount": 300},
	})
	for _, e := range []*callback.Event{ev, enterEvent(t, app, "stored", t0+1, 7, "u1"), seatEvent(t, app, "stored", t0+2, 4, "u1")} {
		if o, err := s.Save(t.Context(), e); err != nil || o != callback.OutcomeStored {
			t.Fatalf("Save %s = %v, %v; want stored", e.Command, o, err)
		}
	}
	unknown := &callback.Event{SdkAppID: ev.SdkAppID, Command: "Group.CallbackAfterSendMsg", ReceivedAt: ev.ReceivedAt}
	if _, err := s.Save(t.Context(), unknown); err != nil { // Raw is nil: an empty body
		t.Fatal(err)
	}

	db := admin(t)
	var (
		invitees, inviteeType      string
		video                      bool
		eventTime, updated, member int64
		count, countAt             int64
		destroyed                  *int64
	)
	err := db.QueryRow(t.Context(), `SELECT schedule_invitee_list_account::text,
			jsonb_typeof(schedule_invitee_list_account), is_video_disabled, event_time, updated_at, max_member_count,
			member_count, member_count_at, destroyed_at
		FROM `+schema+`.rooms`).Scan(&invitees, &inviteeType, &video, &eventTime, &updated, &member, &count, &countAt, &destroyed)
	if err != nil {
		t.Fatal(err)
	}
	if invitees != `["user2", "<user&3>"]` || inviteeType != "array" {
		t.Errorf("schedule_invitee_list_account = %s (%s), want a JSON array", invitees, inviteeType)
	}
	if !video || eventTime != t0 || updated != ev.ReceivedAt.UnixMilli() || member != 300 {
		t.Errorf("is_video_disabled, event_time, updated_at, max_member_count = %v, %d, %d, %d", video, eventTime, updated, member)
	}
	if count != 7 || countAt != t0+1 || destroyed != nil {
		t.Errorf("member_count, member_count_at, destroyed_at = %d, %d, %v; want 7, %d, NULL", count, countAt, destroyed, t0+1)
	}
	var contains bool
	if err := db.QueryRow(t.Context(), `SELECT schedule_invitee_list_account ? 'user2' FROM `+schema+`.rooms`).Scan(&contains); err != nil || !contains {
		t.Errorf("schedule_invitee_list_account ? 'user2' = %v, %v; want true", contains, err)
	}
	var state string
	var enteredAt int64
	var leftAt *int64
	if err := db.QueryRow(t.Context(), `SELECT state, entered_at, left_at FROM `+schema+`.room_members`).Scan(&state, &enteredAt, &leftAt); err != nil ||
		state != "in" || enteredAt != t0+1 || leftAt != nil {
		t.Errorf("room_members: state, entered_at, left_at = %q, %d, %v (%v); want in, %d, NULL", state, enteredAt, leftAt, err, t0+1)
	}
	var seatVideo bool
	var seatAudio *bool
	var seatMember string
	if err := db.QueryRow(t.Context(), `SELECT member_account, is_video_disabled, is_audio_disabled FROM `+schema+`.room_seats WHERE seat_index = 4`).
		Scan(&seatMember, &seatVideo, &seatAudio); err != nil || seatMember != "u1" || !seatVideo || seatAudio != nil {
		t.Errorf("room_seats: member_account, is_video_disabled, is_audio_disabled = %q, %v, %v (%v); want u1, true, NULL",
			seatMember, seatVideo, seatAudio, err)
	}

	var receivedAt int64
	var raw []byte
	var digest string
	if err := db.QueryRow(t.Context(), `SELECT received_at, raw_body, body_sha256 FROM `+schema+`.callback_events ORDER BY id LIMIT 1`).
		Scan(&receivedAt, &raw, &digest); err != nil {
		t.Fatal(err)
	}
	if receivedAt != ev.ReceivedAt.UnixMilli() || string(raw) != string(ev.Raw) || digest != ev.Digest() {
		t.Errorf("received_at, raw_body, body_sha256 = %d, %q, %s; want %d, the body and %s", receivedAt, raw, digest,
			ev.ReceivedAt.UnixMilli(), ev.Digest())
	}
	var nullTimes, emptyBodies, badDigests int
	if err := db.QueryRow(t.Context(), `SELECT count(*) FILTER (WHERE event_time IS NULL AND room_id = ''),
			count(*) FILTER (WHERE raw_body = ''::bytea),
			count(*) FILTER (WHERE body_sha256 <> encode(sha256(raw_body), 'hex'))
		FROM `+schema+`.callback_events`).Scan(&nullTimes, &emptyBodies, &badDigests); err != nil {
		t.Fatal(err)
	}
	if nullTimes != 1 || emptyBodies != 1 || badDigests != 0 {
		t.Errorf("%d rows with NULL event_time and empty room_id, %d with an empty (not NULL) body, %d whose body_sha256 "+
			"is not the body's; want 1, 1 and 0", nullTimes, emptyBodies, badDigests)
	}
}

func TestReopenKeepsData(t *testing.T) {
	schema, u := freshSchema(t)
	s, err := postgres.Open(t.Context(), u, postgres.Options{})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.Save(t.Context(), storetest.SeedEvent()); err != nil {
		t.Fatal(err)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}

	s = open(t, u)
	if o, err := s.Save(t.Context(), storetest.SeedEvent()); err != nil || o != callback.OutcomeDuplicate {
		t.Errorf("Save after reopen = %v, %v; want duplicate", o, err)
	}
	if _, err := callback.ReadRoom(t.Context(), s, storetest.SeedSdkAppID, "tandy-test-rest"); err != nil {
		t.Errorf("Room after reopen: %v", err)
	}
	if got := versions(t, schema); len(got) != 1 || got[0] != postgres.SchemaVersion {
		t.Errorf("roomhook_schema holds %v after reopen, want [%d]", got, postgres.SchemaVersion)
	}
}

// TestConcurrentColdStarts opens many stores at once on a new schema, as a burst of callbacks
// starting many instances would: every Open succeeds and the schema is created once.
func TestConcurrentColdStarts(t *testing.T) {
	schema, u := freshSchema(t)
	storetest.OpenTogether(t, 8, func() (*postgres.Store, error) {
		return postgres.Open(t.Context(), u, postgres.Options{})
	})
	if got := versions(t, schema); len(got) != 1 || got[0] != postgres.SchemaVersion {
		t.Errorf("roomhook_schema holds %v, want [%d]", got, postgres.SchemaVersion)
	}
}

func TestNewerSchemaRefused(t *testing.T) {
	schema, u := freshSchema(t)
	open(t, u)
	if _, err := admin(t).Exec(t.Context(), `UPDATE `+schema+`.roomhook_schema SET version = 4`); err != nil {
		t.Fatal(err)
	}
	s, err := postgres.Open(t.Context(), u, postgres.Options{})
	if err == nil {
		s.Close()
		t.Fatal("Open of a version 4 schema succeeded, want an error")
	}
	if !errors.Is(err, postgres.ErrSchemaTooNew) {
		t.Errorf("err = %v, want ErrSchemaTooNew", err)
	}
	if !strings.Contains(err.Error(), "version 4") || !strings.Contains(err.Error(), "up to 3") {
		t.Errorf("err = %q, want it to name the version found", err)
	}
}

// TestForeignSchemaRefused: tables roomhook did not create are left alone, and a failed
// creation leaves nothing behind.
func TestForeignSchemaRefused(t *testing.T) {
	t.Run("someone else's rooms table", func(t *testing.T) {
		schema, u := freshSchema(t)
		db := admin(t)
		if _, err := db.Exec(t.Context(), `CREATE TABLE `+schema+`.rooms (id INTEGER)`); err != nil {
			t.Fatal(err)
		}
		if s, err := postgres.Open(t.Context(), u, postgres.Options{}); err == nil {
			s.Close()
			t.Fatal("Open of a schema with someone else's rooms table succeeded, want an error")
		} else if !strings.Contains(err.Error(), `"rooms" already exists`) {
			t.Errorf("err = %q, want it to say rooms already exists", err)
		}
		var tables []string
		rows, err := db.Query(t.Context(), `SELECT table_name FROM information_schema.tables WHERE table_schema = $1`, schema)
		if err != nil {
			t.Fatal(err)
		}
		if tables, err = pgx.CollectRows(rows, pgx.RowTo[string]); err != nil {
			t.Fatal(err)
		}
		if len(tables) != 1 || tables[0] != "rooms" {
			t.Errorf("tables after a failed Open = %v, want only the foreign rooms", tables)
		}
	})
	t.Run("empty roomhook_schema", func(t *testing.T) {
		schema, u := freshSchema(t)
		open(t, u)
		if _, err := admin(t).Exec(t.Context(), `DELETE FROM `+schema+`.roomhook_schema`); err != nil {
			t.Fatal(err)
		}
		if s, err := postgres.Open(t.Context(), u, postgres.Options{}); err == nil {
			s.Close()
			t.Fatal("Open with an empty roomhook_schema succeeded, want an error")
		}
	})
}

// TestNonUTF8DatabaseRefused: a database that cannot hold UTF-8 text is an error at cold start,
// not at the first room name outside ASCII.
func TestNonUTF8DatabaseRefused(t *testing.T) {
	db := admin(t)
	b := make([]byte, 6)
	rand.Read(b)
	name := "roomhook_test_ascii_" + hex.EncodeToString(b)
	if _, err := db.Exec(t.Context(), `CREATE DATABASE `+name+
		` ENCODING 'SQL_ASCII' LC_COLLATE 'C' LC_CTYPE 'C' TEMPLATE template0`); err != nil {
		t.Skipf("cannot create a SQL_ASCII database: %v", err)
	}
	t.Cleanup(func() {
		if _, err := db.Exec(context.Background(), `DROP DATABASE `+name); err != nil {
			t.Errorf("drop database %s: %v", name, err)
		}
	})
	u, err := url.Parse(serverURL(t))
	if err != nil {
		t.Fatal(err)
	}
	u.Path = "/" + name
	s, err := postgres.Open(t.Context(), u.String(), postgres.Options{})
	if err == nil {
		s.Close()
		t.Fatal("Open of a SQL_ASCII database succeeded, want an error")
	}
	if !strings.Contains(err.Error(), "SQL_ASCII") || !strings.Contains(err.Error(), "UTF8") {
		t.Errorf("err = %q, want it to name the encoding found and the one needed", err)
	}
}

func TestNoSchemaInSearchPath(t *testing.T) {
	u := withParams(t, serverURL(t), "search_path", "roomhook_no_such_schema")
	s, err := postgres.Open(t.Context(), u, postgres.Options{})
	if err == nil {
		s.Close()
		t.Fatal("Open with a search_path naming no existing schema succeeded, want an error")
	}
	if !strings.Contains(err.Error(), "search_path") {
		t.Errorf("err = %q, want it to mention search_path", err)
	}
}

// TestWrongCredentials: the server refuses the login (here an unknown role; the test server
// trusts every known one). The error names the role and the server's reason, not the password.
func TestWrongCredentials(t *testing.T) {
	u, err := url.Parse(serverURL(t))
	if err != nil {
		t.Fatal(err)
	}
	const password = "Wr0ng-S3cret"
	u.User = url.UserPassword("roomhook_no_such_role", password)
	s, err := postgres.Open(t.Context(), u.String(), postgres.Options{})
	if err == nil {
		s.Close()
		t.Fatal("Open as an unknown role succeeded, want an error")
	}
	t.Logf("error: %v", err)
	if !strings.Contains(err.Error(), "roomhook_no_such_role") || strings.Contains(err.Error(), password) {
		t.Errorf("err = %q, want it to name the role and not hold the password", err)
	}
	var pgErr *pgconn.PgError
	if !errors.As(err, &pgErr) || pgErr.Code != "28000" {
		t.Errorf("err = %v, want it to unwrap to the server's error (SQLSTATE 28000)", err)
	}
}

// TestAtInQueryAccepted: an '@' in a query value is not mistaken for a misplaced one.
func TestAtInQueryAccepted(t *testing.T) {
	_, u := freshSchema(t, "application_name", "roomhook@test")
	open(t, u)
}

// TestServerUnreachable: nothing listens on port 1, so Open fails at once with an error naming
// the address, not the password.
func TestServerUnreachable(t *testing.T) {
	const password = "Unreachable-S3cret"
	ctx, cancel := context.WithTimeout(t.Context(), 30*time.Second)
	defer cancel()
	s, err := postgres.Open(ctx, "postgres://roomhook:"+password+"@127.0.0.1:1/roomhook?sslmode=disable",
		postgres.Options{Timeout: 2 * time.Second})
	if err == nil {
		s.Close()
		t.Fatal("Open of 127.0.0.1:1 succeeded, want an error")
	}
	if ctx.Err() != nil {
		t.Errorf("Open returned after the context deadline: %v", err)
	}
	t.Logf("error: %v", err)
	for _, want := range []string{"postgres: cannot connect to the database", "127.0.0.1:1", "user=roomhook"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("err = %q, want it to contain %q", err, want)
		}
	}
	if strings.Contains(err.Error(), password) {
		t.Errorf("err = %q contains the password", err)
	}
	var ce *pgconn.ConnectError
	if errors.As(err, &ce) {
		t.Error("the error unwraps to pgconn.ConnectError, which carries the password in its Config")
	}
}

// TestServerSilent: a server that accepts the connection and never answers. Open gives up
// after Options.Timeout, well before the caller's deadline.
func TestServerSilent(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	var (
		mu    sync.Mutex
		conns []net.Conn
	)
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			mu.Lock()
			conns = append(conns, c) // held open, never answered
			mu.Unlock()
		}
	}()
	t.Cleanup(func() {
		ln.Close()
		mu.Lock()
		defer mu.Unlock()
		for _, c := range conns {
			c.Close()
		}
	})

	ctx, cancel := context.WithTimeout(t.Context(), 30*time.Second)
	defer cancel()
	u := "postgres://roomhook:Silent-S3cret@" + ln.Addr().String() + "/roomhook?sslmode=disable"
	s, err := postgres.Open(ctx, u, postgres.Options{Timeout: 300 * time.Millisecond})
	if err == nil {
		s.Close()
		t.Fatal("Open of a silent server succeeded, want an error")
	}
	if ctx.Err() != nil {
		t.Errorf("Open returned after the context deadline: %v", err)
	}
	t.Logf("error: %v", err)
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("err = %v, want it to match context.DeadlineExceeded", err)
	}
	if strings.Contains(err.Error(), "Silent-S3cret") {
		t.Errorf("err = %q contains the password", err)
	}
}

// TestClosedStore: once the pool is closed every call fails instead of hanging.
func TestClosedStore(t *testing.T) {
	_, u := freshSchema(t)
	s, err := postgres.Open(t.Context(), u, postgres.Options{})
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	if o, err := s.Save(t.Context(), storetest.SeedEvent()); err == nil {
		t.Errorf("Save on a closed store = %v, nil; want an error", o)
	} else {
		t.Logf("Save error: %v", err)
	}
	if _, err := callback.ReadRoom(t.Context(), s, storetest.SeedSdkAppID, "tandy-test-rest"); err == nil || errors.Is(err, callback.ErrNotFound) {
		t.Errorf("Room on a closed store: err = %v, want a failure other than ErrNotFound", err)
	}
	if _, err := s.Events(t.Context(), storetest.SeedSdkAppID); err == nil {
		t.Error("Events on a closed store succeeded, want an error")
	}
}

// TestServerDroppedConnections: the server ends the store's connections (a restart, a
// failover, an instance thawed after the server timed it out). After the pool's idle check
// the next Save dials afresh and succeeds.
func TestServerDroppedConnections(t *testing.T) {
	_, u := freshSchema(t, "application_name", "roomhook_test_dropped")
	s := open(t, u)
	if _, err := s.Save(t.Context(), storetest.SeedEvent()); err != nil {
		t.Fatal(err)
	}
	var killed int
	err := admin(t).QueryRow(t.Context(), `SELECT count(*) FILTER (WHERE pg_terminate_backend(pid))
		FROM pg_stat_activity WHERE application_name = 'roomhook_test_dropped'`).Scan(&killed)
	if err != nil || killed == 0 {
		t.Fatalf("terminated %d connections (%v), want at least 1", killed, err)
	}
	// A connection idle for over a second is pinged before use (the pool's rule); wait past
	// it so the dead connection is found by the ping, not by the Save.
	time.Sleep(1100 * time.Millisecond)
	ev := updateEvent(t, storetest.SeedSdkAppID, "tandy-test-rest", t0+1, map[string]any{"RoomName": "after the drop"})
	if o, err := s.Save(t.Context(), ev); err != nil || o != callback.OutcomeStored {
		t.Errorf("Save after the server dropped the connection = %v, %v; want stored", o, err)
	}
}

// TestServerDroppedConnectionsJustUsed: the server ends the store's connections right after
// a Save used one, before the pool's idle check would notice. The next Save finds its
// connection dead when it writes the transaction, runs it again on a new connection and
// succeeds, rather than failing the callback while the server is up.
func TestServerDroppedConnectionsJustUsed(t *testing.T) {
	_, u := freshSchema(t, "application_name", "roomhook_test_just_used")
	s := open(t, u)
	db := admin(t)
	for i := range int64(3) {
		ev := createEvent(t, storetest.SeedSdkAppID, "tandy-test-rest", t0+2*i, "before")
		if _, err := s.Save(t.Context(), ev); err != nil {
			t.Fatal(err)
		}
		var killed int
		err := db.QueryRow(t.Context(), `SELECT count(*) FILTER (WHERE pg_terminate_backend(pid))
			FROM pg_stat_activity WHERE application_name = 'roomhook_test_just_used'`).Scan(&killed)
		if err != nil || killed == 0 {
			t.Fatalf("terminated %d connections (%v), want at least 1", killed, err)
		}
		ev = enterEvent(t, storetest.SeedSdkAppID, "tandy-test-rest", t0+2*i+1, i+1, fmt.Sprintf("u%d", i))
		ctx, cancel := context.WithTimeout(t.Context(), 2*time.Second)
		o, err := s.Save(ctx, ev)
		cancel()
		if err != nil || o != callback.OutcomeStored {
			t.Fatalf("Save right after the server dropped the connections = %v, %v; want stored", o, err)
		}
	}
}

// TestSaveWaitsOnlyUntilDeadline: another transaction holds the event's archive key; Save
// waits for it no longer than its context allows, writes nothing, and sees the other's row as
// a duplicate once it commits.
func TestSaveWaitsOnlyUntilDeadline(t *testing.T) {
	schema, u := freshSchema(t)
	s := open(t, u)
	other := admin(t)
	tx, err := other.Begin(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	defer tx.Rollback(context.Background())
	ev := storetest.SeedEvent()
	if _, err := tx.Exec(t.Context(), `INSERT INTO `+schema+`.callback_events
		(sdk_app_id, callback_command, room_id, event_time, client_ip, opt_platform, request_id, received_at, raw_body, body_sha256)
		VALUES ($1, $2, $3, $4, '', '', 'other-instance', 0, $5, $6)`,
		ev.SdkAppID, ev.Command, ev.RoomID, ev.EventTime, ev.Raw, ev.Digest()); err != nil {
		t.Fatal(err)
	}

	ctx, cancel := context.WithTimeout(t.Context(), 300*time.Millisecond)
	o, err := s.Save(ctx, storetest.SeedEvent())
	cancel()
	if err == nil {
		t.Fatalf("Save while another transaction holds the key = %v, nil; want an error", o)
	}
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("err = %v, want it to match context.DeadlineExceeded", err)
	}
	if err := tx.Commit(t.Context()); err != nil {
		t.Fatal(err)
	}
	if o, err := s.Save(t.Context(), storetest.SeedEvent()); err != nil || o != callback.OutcomeDuplicate {
		t.Errorf("Save after the other commit = %v, %v; want duplicate", o, err)
	}
	if _, err := callback.ReadRoom(t.Context(), s, ev.SdkAppID, ev.RoomID); !errors.Is(err, callback.ErrNotFound) {
		t.Errorf("Room = %v, want ErrNotFound: the timed-out Save must not have written", err)
	}
}

// TestPasswordNeverInErrors opens URLs that fail in every way the configuration can, each
// with a password, and checks that no error text holds it. None reaches a server.
func TestPasswordNeverInErrors(t *testing.T) {
	const pw = "Pa55w0rd-XyZ"
	tests := []struct {
		name, url string
		secrets   []string // what must not appear; pw always
	}{
		{"unreachable", "postgres://roomhook:" + pw + "@127.0.0.1:1/roomhook?sslmode=disable", nil},
		{"unreachable postgresql://", "postgresql://roomhook:" + pw + "@127.0.0.1:1/roomhook?sslmode=disable", nil},
		{"upper-case scheme", "POSTGRES://roomhook:" + pw + "@127.0.0.1:1/roomhook?sslmode=disable", nil},
		{"bad port", "postgres://roomhook:" + pw + "@127.0.0.1:notaport/roomhook", nil},
		{"port out of range", "postgres://roomhook:" + pw + "@127.0.0.1:99999/roomhook", nil},
		{"unknown sslmode", "postgres://roomhook:" + pw + "@127.0.0.1:1/roomhook?sslmode=bogus", nil},
		{"bad connect_timeout", "postgres://roomhook:" + pw + "@127.0.0.1:1/roomhook?connect_timeout=soon", nil},
		{"bad pool_max_conns", "postgres://roomhook:" + pw + "@127.0.0.1:1/roomhook?pool_max_conns=many", nil},
		{"missing sslrootcert", "postgres://roomhook:" + pw + "@127.0.0.1:1/roomhook?sslmode=verify-full&sslrootcert=/no/such/ca.pem", nil},
		{"unclosed IPv6 host", "postgres://roomhook:" + pw + "@[::1/roomhook", nil},
		{"bad escape in password", "postgres://roomhook:" + pw + "%zz@127.0.0.1:1/roomhook", nil},
		{"unencoded slash in password", "postgres://roomhook:Pa55/w0rd-XyZ@127.0.0.1:1/roomhook", []string{"Pa55/w0rd-XyZ", "w0rd-XyZ"}},
		{"unencoded @ in password", "postgres://roomhook:Pa55@w0rd-XyZ@127.0.0.1:1/roomhook?sslmode=disable", []string{"Pa55@w0rd-XyZ", "w0rd-XyZ"}},
		{"unencoded ? in password", "postgres://roomhook:Pa55?w0rd-XyZ@127.0.0.1:1/roomhook", []string{"Pa55?w0rd-XyZ", "w0rd-XyZ"}},
		{"unencoded # in password", "postgres://roomhook:Pa55#w0rd-XyZ@127.0.0.1:1/roomhook", []string{"Pa55#w0rd-XyZ", "w0rd-XyZ"}},
		{"unencoded @ and / in password", "postgres://roomhook:Pa55@w0/rd-XyZ@127.0.0.1:1/roomhook", []string{"w0/rd-XyZ", "rd-XyZ"}},
		{"encoded password", "postgres://roomhook:Pa55%2Fw0rd%40XyZ@127.0.0.1:1/roomhook?sslmode=disable", []string{"Pa55/w0rd@XyZ", "Pa55%2Fw0rd%40XyZ"}},
		{"password parameter", "postgres://roomhook@127.0.0.1:1/roomhook?sslmode=disable&password=" + pw, nil},
		{"password parameter, bad port", "postgres://roomhook@127.0.0.1:x/roomhook?password=" + pw, nil},
		{"password parameter with extra =", "postgres://roomhook@127.0.0.1:1/roomhook?password=" + pw + "=x", nil},
		{"sslpassword parameter", "postgres://roomhook@127.0.0.1:1/roomhook?sslmode=bogus&sslpassword=" + pw, nil},
		{"keyword/value form", "host=127.0.0.1 port=1 user=roomhook password=" + pw, nil},
		{"mysql URL", "mysql://roomhook:" + pw + "@127.0.0.1:1/roomhook", nil},
		{"no scheme", "roomhook:" + pw + "@127.0.0.1:1/roomhook", nil},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			ctx, cancel := context.WithTimeout(t.Context(), 30*time.Second)
			defer cancel()
			s, err := postgres.Open(ctx, tc.url, postgres.Options{Timeout: 2 * time.Second})
			if err == nil {
				s.Close()
				t.Fatalf("Open(%s) succeeded, want an error", tc.name)
			}
			t.Logf("error: %v", err)
			if !strings.HasPrefix(err.Error(), "postgres: ") {
				t.Errorf("err = %q, want it to start with \"postgres: \"", err)
			}
			for _, secret := range append([]string{pw}, tc.secrets...) {
				if strings.Contains(err.Error(), secret) {
					t.Errorf("err = %q contains the password %q", err, secret)
				}
			}
			var pe *pgconn.ParseConfigError
			var ce *pgconn.ConnectError
			if errors.As(err, &pe) || errors.As(err, &ce) {
				t.Error("the error unwraps to a pgconn error that carries the configuration")
			}
		})
	}
}

// TestPoolDefaults: a small pool unless the URL says otherwise, and connection attempts
// bounded by the open timeout.
func TestPoolDefaults(t *testing.T) {
	_, u := freshSchema(t)
	cfg := postgres.PoolConfig(open(t, u))
	if cfg.MaxConns != 2 {
		t.Errorf("MaxConns = %d, want 2", cfg.MaxConns)
	}
	if cfg.MaxConnIdleTime != postgres.DefaultMaxConnIdleTime {
		t.Errorf("MaxConnIdleTime = %v, want %v", cfg.MaxConnIdleTime, postgres.DefaultMaxConnIdleTime)
	}
	if cfg.PingTimeout != postgres.DefaultPingTimeout {
		t.Errorf("PingTimeout = %v, want %v", cfg.PingTimeout, postgres.DefaultPingTimeout)
	}
	if cfg.MaxConnLifetime != time.Hour {
		t.Errorf("MaxConnLifetime = %v, want 1h (pgxpool's default, kept)", cfg.MaxConnLifetime)
	}
	if cfg.ConnectTimeout != postgres.DefaultTimeout {
		t.Errorf("ConnectTimeout = %v, want the default open timeout %v", cfg.ConnectTimeout, postgres.DefaultTimeout)
	}

	s, err := postgres.Open(t.Context(), u, postgres.Options{Timeout: 3 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	if got := postgres.PoolConfig(s).ConnectTimeout; got != 3*time.Second {
		t.Errorf("ConnectTimeout with Options.Timeout 3s = %v, want 3s", got)
	}
	s.Close()

	_, u = freshSchema(t, "pool_max_conns", "7", "pool_max_conn_idle_time", "5m",
		"pool_ping_timeout", "2s", "pool_max_conn_lifetime", "30m", "connect_timeout", "9")
	cfg = postgres.PoolConfig(open(t, u))
	if cfg.MaxConns != 7 || cfg.MaxConnIdleTime != 5*time.Minute || cfg.PingTimeout != 2*time.Second ||
		cfg.MaxConnLifetime != 30*time.Minute || cfg.ConnectTimeout != 9*time.Second {
		t.Errorf("URL settings: MaxConns %d, MaxConnIdleTime %v, PingTimeout %v, MaxConnLifetime %v, ConnectTimeout %v; "+
			"want 7, 5m, 2s, 30m, 9s from the URL",
			cfg.MaxConns, cfg.MaxConnIdleTime, cfg.PingTimeout, cfg.MaxConnLifetime, cfg.ConnectTimeout)
	}
	if _, ok := cfg.RuntimeParams["pool_max_conns"]; ok {
		t.Error("pool_max_conns was sent to the server as a run-time parameter")
	}
}

// TestClientParamsAccepted: every pool and pgx parameter a URL written for pgxpool may carry
// is taken out of what the server receives (the server refuses a startup packet with an
// unknown parameter), and the pool size is honoured; run-time parameters still reach the
// server.
func TestClientParamsAccepted(t *testing.T) {
	_, u := freshSchema(t, "application_name", "roomhook_test_params",
		"pool_max_conns", "3", "pool_max_conn_idle_time", "1m", "pool_ping_timeout", "1s",
		"pool_max_conn_lifetime", "1h", "pool_min_conns", "0", "pool_min_idle_conns", "0",
		"pool_health_check_period", "1m", "pool_max_conn_lifetime_jitter", "1s",
		"statement_cache_capacity", "0", "description_cache_capacity", "0",
		"default_query_exec_mode", "simple_protocol")
	s := open(t, u)
	cfg := postgres.PoolConfig(s)
	for k := range cfg.RuntimeParams {
		if strings.HasPrefix(k, "pool_") || strings.HasSuffix(k, "_capacity") || k == "default_query_exec_mode" {
			t.Errorf("%s is among the run-time parameters sent to the server", k)
		}
	}
	if cfg.MaxConns != 3 {
		t.Errorf("MaxConns = %d, want 3", cfg.MaxConns)
	}

	// Hold the store's connections busy at once: it opens no more than pool_max_conns.
	var wg sync.WaitGroup
	for range 12 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if _, err := s.Events(t.Context(), storetest.SeedSdkAppID); err != nil {
				t.Errorf("Events: %v", err)
			}
		}()
	}
	wg.Wait()
	var n int
	if err := admin(t).QueryRow(t.Context(), `SELECT count(*) FROM pg_stat_activity
		WHERE application_name = 'roomhook_test_params'`).Scan(&n); err != nil {
		t.Fatal(err)
	}
	if n < 1 || n > 3 {
		t.Errorf("%d server connections with the store's application_name, want 1 to 3", n)
	}
}

// TestIdleConnectionsClosed: the server sees the store's connections go once they sat idle
// for pool_max_conn_idle_time, with no call to the store in between.
func TestIdleConnectionsClosed(t *testing.T) {
	_, u := freshSchema(t, "application_name", "roomhook_test_idle", "pool_max_conn_idle_time", "200ms")
	s := open(t, u)
	if _, err := s.Save(t.Context(), storetest.SeedEvent()); err != nil {
		t.Fatal(err)
	}
	db := admin(t)
	count := func() int {
		var n int
		if err := db.QueryRow(t.Context(), `SELECT count(*) FROM pg_stat_activity
			WHERE application_name = 'roomhook_test_idle'`).Scan(&n); err != nil {
			t.Fatal(err)
		}
		return n
	}
	if n := count(); n != 1 {
		t.Fatalf("%d server connections right after a Save, want 1", n)
	}
	deadline := time.Now().Add(5 * time.Second)
	for count() != 0 {
		if time.Now().After(deadline) {
			t.Fatal("the idle connection is still open 5s later, want it closed after 200ms")
		}
		time.Sleep(50 * time.Millisecond)
	}
	if o, err := s.Save(t.Context(), storetest.SeedEvent()); err != nil || o != callback.OutcomeDuplicate {
		t.Errorf("Save after the idle connection closed = %v, %v; want duplicate", o, err)
	}
}

// TestClientParamsInvalid: a bad pool parameter is an error at Open naming the parameter and
// quoting nothing of the URL.
func TestClientParamsInvalid(t *testing.T) {
	const pw = "Pa55w0rd-XyZ"
	for _, tc := range []struct{ param, value string }{
		{"pool_max_conns", "0"},
		{"pool_max_conns", "-1"},
		{"pool_max_conns", "two"},
		{"pool_max_conns", "99999999999"},
		{"pool_max_conn_idle_time", "soon"},
		{"pool_max_conn_idle_time", "-1s"},
		{"pool_max_conn_idle_time", "60"},
		{"pool_ping_timeout", "fast"},
		{"pool_max_conn_lifetime", "forever"},
		{"pool_min_conns", "x"},
		{"statement_cache_capacity", "big"},
		{"default_query_exec_mode", "prepared"},
	} {
		t.Run(tc.param+"="+tc.value, func(t *testing.T) {
			u := "postgres://roomhook:" + pw + "@127.0.0.1:1/roomhook?sslmode=disable&" + tc.param + "=" + url.QueryEscape(tc.value)
			s, err := postgres.Open(t.Context(), u, postgres.Options{Timeout: 2 * time.Second})
			if err == nil {
				s.Close()
				t.Fatal("Open succeeded, want an error")
			}
			t.Logf("error: %v", err)
			if !strings.HasPrefix(err.Error(), "postgres: invalid store URL: "+tc.param+" ") {
				t.Errorf("err = %q, want it to start with \"postgres: invalid store URL: %s \"", err, tc.param)
			}
			for _, leak := range []string{pw, "127.0.0.1", "roomhook:"} {
				if strings.Contains(err.Error(), leak) {
					t.Errorf("err = %q quotes the URL (%q)", err, leak)
				}
			}
		})
	}
}

func TestSaveRejectsInconsistentEvent(t *testing.T) {
	_, u := freshSchema(t)
	s := open(t, u)
	created := func(ev *callback.Event) *callback.RoomCreated { return ev.Payload.(*callback.RoomCreated) }
	for name, tc := range map[string]struct {
		mutate func(*callback.Event)
		names  string // what the error names; "" for no check
	}{
		"room id":    {func(ev *callback.Event) { ev.RoomID = "other" }, ""},
		"event time": {func(ev *callback.Event) { ev.EventTime++ }, ""},
		"NUL in RoomId": {func(ev *callback.Event) {
			ev.RoomID += "\x00"
			created(ev).RoomInfo.RoomID = ev.RoomID
		}, "RoomId"},
		"NUL in ClientIP":         {func(ev *callback.Event) { ev.ClientIP = "203.0.113.7\x00" }, "ClientIP"},
		"invalid UTF-8 OptPlat":   {func(ev *callback.Event) { ev.OptPlatform = "\xff" }, "OptPlatform"},
		"NUL in CustomInfo":       {func(ev *callback.Event) { created(ev).RoomInfo.CustomInfo = ptr("a\x00b") }, "rooms.custom_info"},
		"NUL in an invitee":       {func(ev *callback.Event) { created(ev).ScheduleInviteeList = []string{"u", "u\x00"} }, "rooms.schedule_invitee_list_account"},
		"invalid UTF-8 operator":  {func(ev *callback.Event) { created(ev).OperatorAccount = ptr("\xc3") }, "rooms.operator_account"},
		"NUL in unknown command":  {func(ev *callback.Event) { ev.Payload = nil; ev.Command = "X.Y\x00" }, "CallbackCommand"},
		"invalid UTF-8 requestid": {func(ev *callback.Event) { ev.RequestID = "\xfe" }, "request id"},
		"NUL in a member": {func(ev *callback.Event) {
			*ev = *enterEvent(t, ev.SdkAppID, ev.RoomID, ev.EventTime, 1, "ok")
			ev.Payload.(*callback.MembersChanged).Members = []string{"m\x00"}
		}, "room_members.member_account"},
		"invalid UTF-8 seat member": {func(ev *callback.Event) {
			*ev = *seatEvent(t, ev.SdkAppID, ev.RoomID, ev.EventTime, 0, "ok")
			ev.Payload.(*callback.SeatsChanged).Seats[0].MemberAccount = ptr("\xff")
		}, "room_seats.member_account"},
	} {
		ev := storetest.SeedEvent()
		tc.mutate(ev)
		o, err := s.Save(t.Context(), ev)
		switch {
		case err == nil:
			t.Errorf("%s: Save = %v, nil; want an error", name, o)
		case strings.Contains(err.Error(), "\x00") || strings.Contains(err.Error(), "\xff") ||
			strings.Contains(err.Error(), "\xc3") || strings.Contains(err.Error(), "\xfe"):
			t.Errorf("%s: err = %q echoes the value", name, err)
		case tc.names != "" && !strings.Contains(err.Error(), tc.names+" "):
			t.Errorf("%s: err = %q, want it to name %s", name, err, tc.names)
		}
	}
	if _, err := s.Save(t.Context(), nil); err == nil {
		t.Error("Save(nil) succeeded, want an error")
	}
	evs, err := s.Events(t.Context(), storetest.SeedSdkAppID)
	if err != nil || len(evs) != 0 {
		t.Errorf("Events after rejected saves = %d rows, %v; want none", len(evs), err)
	}
	if got := dump(t, s, storetest.SeedSdkAppID, "tandy-test-rest"); got != "" {
		t.Errorf("rows after rejected saves:\n%s", got)
	}
}

func TestOpenHonoursContext(t *testing.T) {
	_, u := freshSchema(t)
	ctx, cancel := context.WithCancel(t.Context())
	cancel()
	s, err := postgres.Open(ctx, u, postgres.Options{})
	if err == nil {
		s.Close()
		t.Fatal("Open with a cancelled context succeeded, want an error")
	}
	if !errors.Is(err, context.Canceled) {
		t.Errorf("err = %v, want it to match context.Canceled", err)
	}
}

func ptr[T any](v T) *T { return &v }
