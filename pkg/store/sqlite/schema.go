package sqlite

import (
	"context"
	"crypto/sha256"
	"database/sql"
	"database/sql/driver"
	"encoding/hex"
	"fmt"
	"strings"
	"time"

	"github.com/roomhook/roomhook/pkg/callback"
	"github.com/roomhook/roomhook/pkg/store/internal/sqlrows"
	"github.com/roomhook/roomhook/pkg/store/internal/sqltext"

	// The pure-Go driver registers itself as "sqlite"; no cgo is needed.
	"modernc.org/sqlite"
)

// schemaVersion is the version of the tables below. A change to them adds a migration step
// from the previous version and bumps this number; never edit a released schema in place.
const schemaVersion = 2

// schemaV1 creates the tables of version 1. The table and column names are a contract: users
// query them directly. Version 2 (migrateV2) is applied on top of them, to a new file as to a
// version 1 store, so that both end up with the same tables.
//
// callback_events.event_time is NULL when the callback had no EventTime. NULLs are distinct in
// a UNIQUE constraint, so such events (commands roomhook does not handle) are archived on every
// delivery: without a natural key there is no telling a repeat from a new event.
//
// In rooms every RoomInfo field is nullable because Tencent may leave any of them out, and an
// absent field must read back as absent, not as a made-up zero. Booleans are 0/1.
var schemaV1 = []string{
	`CREATE TABLE callback_events (
		id               INTEGER PRIMARY KEY AUTOINCREMENT,
		sdk_app_id       INTEGER NOT NULL,
		callback_command TEXT    NOT NULL,
		room_id          TEXT    NOT NULL DEFAULT '',
		event_time       INTEGER NULL,
		client_ip        TEXT    NOT NULL,
		opt_platform     TEXT    NOT NULL,
		request_id       TEXT    NOT NULL,
		received_at      INTEGER NOT NULL,
		raw_body         BLOB    NOT NULL,
		UNIQUE (sdk_app_id, callback_command, room_id, event_time)
	)`,
	`CREATE TABLE rooms (
		sdk_app_id                    INTEGER NOT NULL,
		room_id                       TEXT    NOT NULL,
		room_name                     TEXT    NULL,
		room_type                     TEXT    NULL,
		owner_account                 TEXT    NULL,
		max_member_count              INTEGER NULL,
		max_seat_count                INTEGER NULL,
		is_video_disabled             INTEGER NULL CHECK (is_video_disabled IN (0, 1)),
		is_audio_disabled             INTEGER NULL CHECK (is_audio_disabled IN (0, 1)),
		is_message_disabled           INTEGER NULL CHECK (is_message_disabled IN (0, 1)),
		is_screen_sharing_disabled    INTEGER NULL CHECK (is_screen_sharing_disabled IN (0, 1)),
		is_cloud_recording_disabled   INTEGER NULL CHECK (is_cloud_recording_disabled IN (0, 1)),
		custom_info                   TEXT    NULL,
		schedule_start_time           INTEGER NULL,
		schedule_end_time             INTEGER NULL,
		room_status                   TEXT    NULL,
		is_seat_enabled               INTEGER NULL CHECK (is_seat_enabled IN (0, 1)),
		take_seat_mode                TEXT    NULL,
		create_time                   INTEGER NULL,
		operator_account              TEXT    NULL,
		schedule_invitee_list_account TEXT    NULL,
		callback_command              TEXT    NOT NULL,
		event_time                    INTEGER NOT NULL,
		updated_at                    INTEGER NOT NULL,
		PRIMARY KEY (sdk_app_id, room_id)
	)`,
}

// roomsV1Columns is how many of callback.RoomsTable's columns version 1 created; version 2
// adds the others.
const roomsV1Columns = 24

// archiveV2 is callback_events as version 2 defines it, under the name it is built with
// (schemaV2): version 1's columns in version 1's order, then body_sha256, the SHA-256 of
// raw_body in lowercase hex. Its key is archiveKeyV2.
const archiveV2 = `CREATE TABLE callback_events_v2 (
		id               INTEGER PRIMARY KEY AUTOINCREMENT,
		sdk_app_id       INTEGER NOT NULL,
		callback_command TEXT    NOT NULL,
		room_id          TEXT    NOT NULL DEFAULT '',
		event_time       INTEGER NULL,
		client_ip        TEXT    NOT NULL,
		opt_platform     TEXT    NOT NULL,
		request_id       TEXT    NOT NULL,
		received_at      INTEGER NOT NULL,
		raw_body         BLOB    NOT NULL,
		body_sha256      TEXT    NOT NULL CHECK (length(body_sha256) = 64 AND body_sha256 NOT GLOB '*[^0-9a-f]*')
	)`

// archiveKeyV2 is the archive key of version 2: sdk_app_id, room_id, callback_command,
// event_time, body_sha256, so that two different events of one room in one millisecond are both
// kept while a repeat of one is still a duplicate; a NULL event_time still never collides.
// It is a unique index rather than a UNIQUE constraint of the table so that the migration
// builds it once the rows are copied, sorted in one pass, instead of inserting each row's
// entry at its random place: half the time of a large migration.
const archiveKeyV2 = `CREATE UNIQUE INDEX callback_events_key
		ON callback_events (sdk_app_id, room_id, callback_command, event_time, body_sha256)`

// archiveV1Columns are the columns callback_events had in version 1, in order.
const archiveV1Columns = `id, sdk_app_id, callback_command, room_id, event_time, client_ip, opt_platform, request_id, received_at, raw_body`

// sha256Func is the SQL function the migration computes body_sha256 with. It exists only in
// this process's connections, so the schema never refers to it: other programs can still
// write the file.
const sha256Func = "roomhook_sha256"

func init() {
	sqlite.MustRegisterDeterministicScalarFunction(sha256Func, 1, sha256Hex)
}

// sha256Hex is sha256Func: the SHA-256 of a blob (or a text's bytes) in lowercase hex, as
// callback.Event.Digest computes it.
func sha256Hex(_ *sqlite.FunctionContext, args []driver.Value) (driver.Value, error) {
	var sum [sha256.Size]byte
	switch v := args[0].(type) {
	case []byte:
		sum = sha256.Sum256(v)
	case string:
		sum = sha256.Sum256([]byte(v))
	default:
		return nil, fmt.Errorf("%s: a value of type %T is not a body", sha256Func, v)
	}
	return hex.EncodeToString(sum[:]), nil
}

// schemaV2 returns the statements of the step from version 1 to version 2, in order:
//   - rooms gains the columns callback.RoomsTable lists after version 1's;
//   - room_members and room_seats are created from their descriptors;
//   - callback_events is rebuilt with body_sha256 and the new archive key (SQLite cannot drop
//     a table's UNIQUE constraint): a new table, every row copied with its id and the hash
//     of its raw_body, the AUTOINCREMENT counter carried over so that no id is ever given
//     again, the old table dropped, the new one renamed and its key built;
//   - the version becomes 2 (migrateV2 refolds the rooms before it: see refold).
//
// The rename runs with legacy_alter_table on, so that views of the user's that select from
// callback_events are left as they are (a modern rename checks every view and trigger, and
// fails on those naming callback_events, which does not exist at that moment); they see the
// new table by its name. The indexes and triggers the user put on callback_events, dropped
// with the old table, are created again on the new one (migrateV2).
func schemaV2() []string {
	stmts := make([]string, 0, 16)
	for _, c := range callback.RoomsTable.Columns[roomsV1Columns:] {
		stmts = append(stmts, `ALTER TABLE rooms ADD COLUMN `+columnDef(callback.RoomsTable, c, 0))
	}
	stmts = append(stmts, createTable(callback.MembersTable), createTable(callback.SeatsTable),
		archiveV2,
		`INSERT INTO callback_events_v2 (`+archiveV1Columns+`, body_sha256)
		SELECT `+archiveV1Columns+`, `+sha256Func+`(CAST(raw_body AS BLOB)) FROM callback_events ORDER BY id`,
		// The new table's counter: the greater of the old one's and the largest id copied.
		`DELETE FROM sqlite_sequence WHERE name = 'callback_events_v2'`,
		`INSERT INTO sqlite_sequence (name, seq) SELECT 'callback_events_v2',
		max(coalesce((SELECT seq FROM sqlite_sequence WHERE name = 'callback_events'), 0),
			coalesce((SELECT max(id) FROM callback_events_v2), 0))`,
		`DROP TABLE callback_events`,
		`PRAGMA legacy_alter_table = ON`,
		`ALTER TABLE callback_events_v2 RENAME TO callback_events`,
		`PRAGMA legacy_alter_table = OFF`,
		archiveKeyV2,
		recordV2,
	)
	return stmts
}

// recordV2 records version 2. migrateV2 runs it last, after the refold.
const recordV2 = `UPDATE roomhook_schema SET version = 2`

// columnDef is the definition of column c of t in version 1's conventions: integers and
// booleans INTEGER, texts and lists (JSON arrays) TEXT, NULL or NOT NULL as the column allows,
// booleans checked to be 0 or 1. width > 0 aligns the definition in a CREATE TABLE: the name is
// padded to width, the type to the longest type.
func columnDef(t *callback.Table, c callback.Column, width int) string {
	typ := "TEXT"
	if c.Kind == callback.KindInt || c.Kind == callback.KindBool {
		typ = "INTEGER"
	}
	def := c.Name + " " + typ
	if width > 0 {
		def = fmt.Sprintf("%-*s %-7s", width, c.Name, typ)
	}
	return def + sqltext.Constraints(c, true, "")
}

// createTable is the CREATE TABLE statement of t, laid out as version 1's are.
func createTable(t *callback.Table) string {
	width := 0
	for _, c := range t.Columns {
		width = max(width, len(c.Name))
	}
	var b strings.Builder
	b.WriteString("CREATE TABLE " + t.Name + " (\n")
	for _, c := range t.Columns {
		b.WriteString("\t\t" + columnDef(t, c, width) + ",\n")
	}
	b.WriteString("\t\tPRIMARY KEY (" + strings.Join(t.Names()[:t.Key], ", ") + ")\n\t)")
	return b.String()
}

// migrationHook, when set (tests), runs after each statement of the step to version 2.
var migrationHook func(stmt string)

// migrate brings the file to schemaVersion. An existing store at this version is only read
// (no write lock, no transaction to commit): that is every cold start but the first, and the
// file may be shared with other instances. Otherwise the schema is created, or migrated, in
// one write transaction: the version is read again under the write lock, so that of several
// cold starts racing on a new or older file one creates or migrates it and the others find
// it done, and a failure (the context ending half-way included) leaves the file as it was.
func (s *Store) migrate(ctx context.Context) error {
	version, found, err := readVersion(ctx, s.db, s.path)
	if err != nil {
		return err
	}
	if found && version.Valid && version.Int64 == schemaVersion {
		return nil
	}

	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("sqlite: open %q: %w", s.path, err)
	}
	defer tx.Rollback() // a no-op after Commit

	// Under the write lock, again: another instance may have created or migrated it meanwhile.
	version, found, err = readVersion(ctx, tx, s.path)
	if err != nil {
		return err
	}
	what := "migrate"
	if found {
		if err := s.checkVersion(version); err != nil {
			return err
		}
	} else {
		what = "create schema in"
		stmts := append([]string{`CREATE TABLE roomhook_schema (version INTEGER NOT NULL)`}, schemaV1...)
		stmts = append(stmts, `INSERT INTO roomhook_schema (version) VALUES (1)`)
		for _, stmt := range stmts {
			if _, err := tx.ExecContext(ctx, stmt); err != nil {
				return fmt.Errorf("sqlite: create schema in %q: %w", s.path, err)
			}
		}
		version.Int64 = 1
	}
	if version.Int64 < 2 {
		if err := s.migrateV2(ctx, tx); err != nil {
			return fmt.Errorf("sqlite: %s %q: schema version 2: %w", what, s.path, err)
		}
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("sqlite: %s %q: schema version %d: commit: %w", what, s.path, schemaVersion, err)
	}
	return nil
}

// migrateV2 runs the step from version 1 to version 2 (schemaV2) in tx, creates again the
// indexes and triggers the user had put on callback_events, refolds the rooms (refold) and
// records version 2.
func (s *Store) migrateV2(ctx context.Context, tx *sql.Tx) error {
	var userObjects []string
	rows, err := tx.QueryContext(ctx, `SELECT sql FROM sqlite_master
		WHERE tbl_name = 'callback_events' AND type IN ('index', 'trigger') AND sql IS NOT NULL ORDER BY rowid`)
	if err != nil {
		return err
	}
	for rows.Next() {
		var stmt string
		if err := rows.Scan(&stmt); err != nil {
			rows.Close()
			return err
		}
		userObjects = append(userObjects, stmt)
	}
	if err := rows.Close(); err != nil {
		return err
	}
	stmts := schemaV2()
	stmts = append(stmts[:len(stmts)-1], userObjects...) // recordV2 comes after the refold
	for _, stmt := range stmts {
		if _, err := tx.ExecContext(ctx, stmt); err != nil {
			return err
		}
		if migrationHook != nil {
			migrationHook(stmt)
		}
	}
	if err := refold(ctx, tx); err != nil {
		return err
	}
	if _, err := tx.ExecContext(ctx, recordV2); err != nil {
		return err
	}
	if migrationHook != nil {
		migrationHook(recordV2)
	}
	return nil
}

// refold brings the rows of every room whose archive holds projected events up to the fold of
// those events (callback.Refold), in tx: version 1 projected only the creates and archived
// the rest raw (updates, destroys, members, seats), so until now its rows told only part of
// the story. It runs inside the migration's transaction, so a failure leaves version 1 as it
// was; on a new store there is no room to refold.
func refold(ctx context.Context, tx *sql.Tx) error {
	rooms, err := projectedRooms(ctx, tx)
	if err != nil {
		return err
	}
	now := time.Now()
	conn := sqlrows.NewPrepared(tx)
	for _, r := range rooms {
		x := &sqlrows.Tx{Conn: conn, App: r.app, Room: r.room}
		if _, err := callback.Refold(ctx, x, r.app, r.room, now); err != nil {
			return fmt.Errorf("refold room %q of app %d: %w", r.room, r.app, err)
		}
		if migrationHook != nil {
			migrationHook("refold " + r.room)
		}
	}
	return nil
}

// room names a room of an app.
type room struct {
	app  int64
	room string
}

// projectedRooms lists the rooms whose archive holds events of a projected command with an
// EventTime (those the fold reads).
func projectedRooms(ctx context.Context, tx *sql.Tx) ([]room, error) {
	commands := callback.ProjectedCommands()
	args := make([]any, len(commands))
	for i, c := range commands {
		args[i] = c
	}
	rows, err := tx.QueryContext(ctx, `SELECT DISTINCT sdk_app_id, room_id FROM callback_events
		WHERE callback_command IN (?`+strings.Repeat(", ?", len(commands)-1)+`) AND event_time IS NOT NULL`, args...)
	if err != nil {
		return nil, fmt.Errorf("list the rooms to refold: %w", err)
	}
	defer rows.Close()
	var out []room
	for rows.Next() {
		var r room
		if err := rows.Scan(&r.app, &r.room); err != nil {
			return nil, fmt.Errorf("list the rooms to refold: %w", err)
		}
		out = append(out, r)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("list the rooms to refold: %w", err)
	}
	return out, nil
}

// querier is what readVersion needs of a *sql.DB or *sql.Tx.
type querier interface {
	QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row
}

// readVersion returns the schema version the file records; found is false when the file has
// no roomhook_schema table (a new file).
func readVersion(ctx context.Context, q querier, path string) (version sql.NullInt64, found bool, err error) {
	var n int
	err = q.QueryRowContext(ctx,
		`SELECT count(*) FROM sqlite_master WHERE type = 'table' AND name = 'roomhook_schema'`).Scan(&n)
	if err != nil {
		return version, false, fmt.Errorf("sqlite: read schema of %q: %w", path, err)
	}
	if n == 0 {
		return version, false, nil
	}
	if err := q.QueryRowContext(ctx, `SELECT max(version) FROM roomhook_schema`).Scan(&version); err != nil {
		return version, false, fmt.Errorf("sqlite: read schema version of %q: %w", path, err)
	}
	return version, true, nil
}

// checkVersion accepts the versions this code reads or migrates (1 and 2) and refuses any other.
func (s *Store) checkVersion(version sql.NullInt64) error {
	switch {
	case !version.Valid:
		return fmt.Errorf("sqlite: %q has an empty roomhook_schema table; the file is not a roomhook store", s.path)
	case version.Int64 > schemaVersion:
		return fmt.Errorf("%w: %q has version %d, this roomhook knows up to %d; upgrade roomhook",
			ErrSchemaTooNew, s.path, version.Int64, schemaVersion)
	case version.Int64 < 1:
		return fmt.Errorf("sqlite: %q has unknown schema version %d", s.path, version.Int64)
	}
	return nil
}
