package sqlite

import (
	"context"
	"crypto/sha256"
	"database/sql"
	"database/sql/driver"
	"encoding/hex"
	"fmt"
	"slices"
	"strconv"
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
const schemaVersion = 3

// schemaV1 creates the tables of version 1. The table and column names are a contract: users
// query them directly. The steps to version 2 (schemaV2) and 3 (schemaV3) are applied on top of
// them, to a new file as to an older store (upgrade), so that all end up with the same tables.
//
// callback_events.event_time is NULL when the callback had no EventTime. NULLs are distinct in
// a UNIQUE constraint, so such events (commands roomhook does not handle, gifts) are archived on
// every delivery: without a natural key there is no telling a repeat from a new event.
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
//   - rooms gains the columns callback.RoomsTable lists after version 1's, up to version 2's;
//   - room_members and room_seats are created from their descriptors;
//   - callback_events is rebuilt with body_sha256 and the new archive key (SQLite cannot drop
//     a table's UNIQUE constraint): a new table, every row copied with its id and the hash
//     of its raw_body, the AUTOINCREMENT counter carried over so that no id is ever given
//     again, the old table dropped, the new one renamed and its key built.
//
// The rooms to refold and the version are upgrade's, after the last step.
//
// The rename runs with legacy_alter_table on, so that views of the user's that select from
// callback_events are left as they are (a modern rename checks every view and trigger, and
// fails on those naming callback_events, which does not exist at that moment); they see the
// new table by its name. The indexes and triggers the user put on callback_events, dropped
// with the old table, are created again on the new one (stepV2).
func schemaV2() []string {
	stmts := make([]string, 0, 16)
	for _, c := range callback.RoomsTable.Columns[roomsV1Columns:callback.RoomsV2Columns] {
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
	)
	return stmts
}

// schemaV3 returns the statements of the step from version 2 to version 3, in order: rooms
// gains the Live columns (callback.RoomsTable's after version 2's), and room_admins,
// room_metadata, battles and gifts are created from their descriptors, in version 1's
// conventions (columnDef). The archive is left as version 2 made it; upgrade then re-keys the
// archived events version 2 kept under another key (rekeyArchive), refolds the rooms and builds
// the gift ledger (giftLedger).
func schemaV3() []string {
	stmts := make([]string, 0, 20)
	for _, c := range callback.RoomsTable.Columns[callback.RoomsV2Columns:] {
		stmts = append(stmts, `ALTER TABLE rooms ADD COLUMN `+columnDef(callback.RoomsTable, c, 0))
	}
	return append(stmts, createTable(callback.AdminsTable), createTable(callback.MetadataTable),
		createTable(callback.BattlesTable), createTable(callback.GiftsTable))
}

// recordVersion is the statement that records version v: upgrade runs it last, after the
// refold, so that a file that says it is at v holds v's rows.
func recordVersion(v int64) string { return fmt.Sprintf(`UPDATE roomhook_schema SET version = %d`, v) }

// columnDef is the definition of column c of t in version 1's conventions: integers and
// booleans INTEGER, texts and lists (JSON arrays, of strings or of integers) TEXT, NULL or NOT
// NULL as the column allows, booleans checked to be 0 or 1, a column with Values checked to
// hold one of them. width > 0 aligns the definition in a CREATE TABLE: the name is padded to
// width, the type to the longest type.
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

// migrationHook, when set (tests), runs after each statement of a migration and after each of
// its other steps (a room refolded, the archive re-keyed, the gift ledger built).
var migrationHook func(stmt string)

// hook runs migrationHook, when set.
func hook(step string) {
	if migrationHook != nil {
		migrationHook(step)
	}
}

// targetVersion is the version migrate brings a file to: schemaVersion, but for the tests that
// make a new file as an earlier version's code did (export_test.go).
var targetVersion int64 = schemaVersion

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
	if found && version.Valid && version.Int64 == targetVersion {
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
	if version.Int64 < targetVersion {
		if err := upgrade(ctx, tx, version.Int64, targetVersion); err != nil {
			return fmt.Errorf("sqlite: %s %q: schema version %d: %w", what, s.path, targetVersion, err)
		}
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("sqlite: %s %q: schema version %d: commit: %w", what, s.path, targetVersion, err)
	}
	return nil
}

// upgrade brings the file from version from to version to, in tx:
//  1. each step's statements, in turn: stepV2 from version 1, schemaV3 from version 2 or 1;
//  2. from version 2 or 1, the archived events of the commands version 3 projects are put
//     under the key the current code gives them (rekeyArchive);
//  3. one refold (refold) of every room the steps concern: from version 1 the rooms with events
//     of any folded command (version 1 projected only the creates), from version 2 those with
//     events of callback.V3Commands (the Live life's new columns, admins, metadata, battles);
//     it runs once, after the last step, because callback.Project writes every table of the
//     current version;
//  4. from version 2 or 1, the gift ledger of the archived gifts (giftLedger);
//  5. the version, last.
//
// A version 1 store thus goes to version 3 in one transaction with one refold, and never
// records version 2.
func upgrade(ctx context.Context, tx *sql.Tx, from, to int64) error {
	var refoldCommands []string
	if from < 2 {
		if err := stepV2(ctx, tx); err != nil {
			return err
		}
		refoldCommands = callback.FoldedCommands()
	}
	v3 := from < 3 && to >= 3
	if v3 {
		for _, stmt := range schemaV3() {
			if _, err := tx.ExecContext(ctx, stmt); err != nil {
				return err
			}
			hook(stmt)
		}
		if err := rekeyArchive(ctx, tx, callback.V3Commands()); err != nil {
			return err
		}
		refoldCommands = append(refoldCommands, callback.V3Commands()...)
		slices.Sort(refoldCommands)
		refoldCommands = slices.Compact(refoldCommands)
	}
	if err := refold(ctx, tx, refoldCommands); err != nil {
		return err
	}
	if v3 {
		if err := giftLedger(ctx, tx); err != nil {
			return err
		}
	}
	record := recordVersion(to)
	if _, err := tx.ExecContext(ctx, record); err != nil {
		return err
	}
	hook(record)
	return nil
}

// stepV2 runs the statements of the step from version 1 to version 2 (schemaV2) in tx, and
// creates again the indexes and triggers the user had put on callback_events.
func stepV2(ctx context.Context, tx *sql.Tx) error {
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
	for _, stmt := range append(schemaV2(), userObjects...) {
		if _, err := tx.ExecContext(ctx, stmt); err != nil {
			return err
		}
		hook(stmt)
	}
	return nil
}

// rekeyArchive puts each archived event of commands under the archive key the current code
// gives it: the RoomId and EventTime its payload names (callback.Payload.Key), where the row
// has another. Until version 3 the commands roomhook did not project were archived under the
// envelope's key (callback.ParseEnvelope), and a battle's body names its room only inside
// FromRoomId or FromRoomInfo, which the envelope does not read: version 2 archived every
// battle stage under an empty room_id. Re-keyed, the refold finds the stages under the
// battle's room, and a stage delivered again is a duplicate, as it is in a store that had
// version 3 from the start.
//
// Only room_id and event_time change (NULL for a payload without EventTime), and only where
// the key the payload gives is free: should an equal event already be archived under it, the
// row stays as it was (UPDATE OR IGNORE), kept and never lost. A body that does not parse as
// its command's is left alone, as the fold leaves it out.
func rekeyArchive(ctx context.Context, tx *sql.Tx, commands []string) error {
	type rekey struct {
		id        int64
		room      string
		eventTime int64
	}
	if len(commands) == 0 {
		return nil
	}
	var moves []rekey
	rows, err := tx.QueryContext(ctx, `SELECT id, callback_command, room_id, event_time, raw_body FROM callback_events
		WHERE callback_command IN (?`+strings.Repeat(", ?", len(commands)-1)+`)`, anys(commands)...)
	if err != nil {
		return fmt.Errorf("re-key the archive: %w", err)
	}
	for rows.Next() {
		var (
			id        int64
			command   string
			room      string
			eventTime sql.NullInt64
			raw       []byte
		)
		if err := rows.Scan(&id, &command, &room, &eventTime, &raw); err != nil {
			rows.Close()
			return fmt.Errorf("re-key the archive: %w", err)
		}
		p, err := callback.ParsePayload(command, raw)
		if err != nil || p == nil {
			continue
		}
		if r, t := p.Key(); r != room || t != eventTime.Int64 {
			moves = append(moves, rekey{id, r, t})
		}
	}
	if err := rows.Close(); err != nil {
		return fmt.Errorf("re-key the archive: %w", err)
	}
	if len(moves) > 0 {
		st, err := tx.PrepareContext(ctx, `UPDATE OR IGNORE callback_events SET room_id = ?, event_time = ? WHERE id = ?`)
		if err != nil {
			return fmt.Errorf("re-key the archive: %w", err)
		}
		defer st.Close()
		for _, m := range moves {
			if _, err := st.ExecContext(ctx, m.room, sqlrows.NullIfZero(m.eventTime), m.id); err != nil {
				return fmt.Errorf("re-key archive row %d: %w", m.id, err)
			}
		}
	}
	hook(fmt.Sprintf("rekey %d", len(moves)))
	return nil
}

// giftLedger makes the ledger row of every archived gift (callback.GiftRowOfArchive) that has
// none: delivery_id "archive:" and the archive row's id, received_at the archive's. A body that
// is not a gift of its row's room has no row. It reads the archive in pages by id, so that a
// large archive is not held in memory, and inserts with ON CONFLICT DO NOTHING: run again, it
// inserts nothing.
func giftLedger(ctx context.Context, tx *sql.Tx) error {
	const page = 512
	t := callback.GiftsTable
	insert, err := tx.PrepareContext(ctx, `INSERT INTO `+t.Name+` (`+strings.Join(t.Names(), ", ")+`)
		VALUES (?`+strings.Repeat(", ?", len(t.Columns)-1)+`)
		ON CONFLICT (`+strings.Join(t.Names()[:t.Key], ", ")+`) DO NOTHING`)
	if err != nil {
		return fmt.Errorf("gift ledger: %w", err)
	}
	defer insert.Close()
	type archived struct {
		id, app, receivedAt int64
		room                string
		raw                 []byte
	}
	var last, inserted int64
	for {
		rows, err := tx.QueryContext(ctx, `SELECT id, sdk_app_id, room_id, received_at, raw_body FROM callback_events
			WHERE callback_command = ? AND id > ? ORDER BY id LIMIT ?`, callback.CommandLiveGift, last, page)
		if err != nil {
			return fmt.Errorf("gift ledger: %w", err)
		}
		var gifts []archived
		for rows.Next() {
			var a archived
			if err := rows.Scan(&a.id, &a.app, &a.room, &a.receivedAt, &a.raw); err != nil {
				rows.Close()
				return fmt.Errorf("gift ledger: %w", err)
			}
			gifts = append(gifts, a)
		}
		if err := rows.Close(); err != nil {
			return fmt.Errorf("gift ledger: %w", err)
		}
		for _, a := range gifts {
			row, ok := callback.GiftRowOfArchive(a.app, a.room, "archive:"+strconv.FormatInt(a.id, 10), a.receivedAt, a.raw)
			if !ok {
				continue
			}
			args, err := bind(row)
			if err != nil {
				return fmt.Errorf("gift ledger: archive row %d: %w", a.id, err)
			}
			res, err := insert.ExecContext(ctx, args...)
			if err != nil {
				return fmt.Errorf("gift ledger: archive row %d: %w", a.id, err)
			}
			n, _ := res.RowsAffected()
			inserted += n
		}
		if len(gifts) < page {
			break
		}
		last = gifts[len(gifts)-1].id
	}
	hook(fmt.Sprintf("gifts %d", inserted))
	return nil
}

// bind returns row's values as the driver binds them, as sqlrows writes them: booleans 0 or 1,
// lists JSON text.
func bind(row callback.Row) ([]any, error) {
	args := make([]any, len(row))
	for i, v := range row {
		switch v := v.(type) {
		case bool:
			args[i] = int64(0)
			if v {
				args[i] = int64(1)
			}
		case []string:
			s, err := sqlrows.MarshalAccounts(v)
			if err != nil {
				return nil, err
			}
			args[i] = s
		case []int64:
			args[i] = sqlrows.MarshalInts(v)
		default:
			args[i] = v
		}
	}
	return args, nil
}

// anys returns list as arguments of a statement.
func anys(list []string) []any {
	args := make([]any, len(list))
	for i, v := range list {
		args[i] = v
	}
	return args
}

// refold brings the rows of every room whose archive holds events of commands up to the fold
// of those events (callback.Refold, which folds every folded command's), in tx: the steps of
// upgrade add rows and columns that the archived events fill only once they are folded again
// (version 1 projected only the creates and archived the rest raw; version 2 archived the Live
// admins, metadata and battles raw, and the Live life without its version 3 columns). It runs
// inside the migration's transaction, so a failure leaves the file as it was; on a new store
// there is no room to refold.
func refold(ctx context.Context, tx *sql.Tx, commands []string) error {
	rooms, err := roomsWith(ctx, tx, commands)
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
		hook("refold " + r.room)
	}
	return nil
}

// room names a room of an app.
type room struct {
	app  int64
	room string
}

// roomsWith lists the rooms whose archive holds events of commands with an EventTime (those the
// fold reads).
func roomsWith(ctx context.Context, tx *sql.Tx, commands []string) ([]room, error) {
	if len(commands) == 0 {
		return nil, nil
	}
	rows, err := tx.QueryContext(ctx, `SELECT DISTINCT sdk_app_id, room_id FROM callback_events
		WHERE callback_command IN (?`+strings.Repeat(", ?", len(commands)-1)+`) AND event_time IS NOT NULL
		ORDER BY sdk_app_id, room_id`, anys(commands)...)
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

// checkVersion accepts the versions this code reads or migrates (1 to 3) and refuses any other.
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

// checkReadable accepts, for a store opened read-only (openReadOnly), only a file at this code's
// version: a read-only open cannot create the schema or migrate it, and this code's reads name
// the current version's tables and columns. version and found are readVersion's.
func (s *Store) checkReadable(version sql.NullInt64, found bool) error {
	switch {
	case !found:
		return fmt.Errorf("sqlite: %q has no roomhook_schema table: %w", s.path, callback.ErrNoSchema)
	case !version.Valid:
		return fmt.Errorf("sqlite: %q has an empty roomhook_schema table: %w", s.path, callback.ErrNoSchema)
	}
	if err := s.checkVersion(version); err != nil {
		return err
	}
	if version.Int64 < schemaVersion {
		return fmt.Errorf("sqlite: %q: %w: it has schema version %d, this roomhook reads version %d; "+
			"upgrade it by starting a function of this version or running scripts/migrate",
			s.path, callback.ErrSchemaOlder, version.Int64, schemaVersion)
	}
	return nil
}
