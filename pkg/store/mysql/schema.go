package mysql

import (
	"context"
	"database/sql"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/roomhook/roomhook/pkg/callback"
	"github.com/roomhook/roomhook/pkg/store/internal/sqlrows"
	"github.com/roomhook/roomhook/pkg/store/internal/sqltext"
)

// schemaVersion is the version of the tables below. A change to them adds a migration step
// from the previous version and bumps this number; never edit a released schema in place.
//
// Version 2 (the Room lifecycle): callback_events gained body_sha256 and its unique key became
// (sdk_app_id, room_id, callback_command, event_time, body_sha256); rooms gained four columns;
// room_members, room_seats and roomhook_room_locks are new.
const schemaVersion = 2

// keyCollations are the utf8mb4 collations that compare strings byte for byte and without
// padding, in order of preference: MariaDB's (10.2 and later) and MySQL's (8.0.17 and later).
// The older utf8mb4_bin is not enough: it pads, so 'a' and 'a ' would be the same room.
// MariaDB is asked first because some MariaDB versions map MySQL's name onto a padding
// collation.
var keyCollations = []string{"utf8mb4_nopad_bin", "utf8mb4_0900_bin"}

// tableOptions ends every CREATE TABLE. DYNAMIC rows allow index keys up to 3072 bytes: the
// archive key is 8 + 4·128 + 4·255 + 8 bytes plus length prefixes, about 1.6 KB in utf8mb4.
const tableOptions = ` ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=%s ROW_FORMAT=DYNAMIC`

// schemaV1 creates the tables of version 1, exactly as version 1 did; %s is one of
// keyCollations. upgrade runs it on a new database and then the steps to version 2, so that a
// new database and a migrated one take the same path and end up alike. The table and column
// names are a contract, the same as the other SQL stores': users query them directly.
//
// callback_events.event_time is NULL when the callback had no EventTime. NULLs never collide
// in a unique index, so such events (commands roomhook does not handle) are archived on every
// delivery: without a natural key there is no telling a repeat from a new event.
//
// The key columns are VARCHARs sized by the limits the core guarantees (callback.MaxCommandBytes
// and callback.MaxRoomIDBytes, which are bytes and so never more characters). Every other
// string is TEXT (archive) or MEDIUMTEXT (rooms): any value a 1 MiB body can carry fits, so a
// callback is never refused for the length of a field. Every RoomInfo field is nullable
// because Tencent may leave any of them out, and an absent field must read back as absent, not
// as a made-up zero. Booleans are TINYINT(1), 0 or 1.
var schemaV1 = []string{
	`CREATE TABLE IF NOT EXISTS callback_events (
		id               BIGINT       NOT NULL AUTO_INCREMENT,
		sdk_app_id       BIGINT       NOT NULL,
		callback_command VARCHAR(128) NOT NULL,
		room_id          VARCHAR(255) NOT NULL DEFAULT '',
		event_time       BIGINT       NULL,
		client_ip        TEXT         NOT NULL,
		opt_platform     TEXT         NOT NULL,
		request_id       TEXT         NOT NULL,
		received_at      BIGINT       NOT NULL,
		raw_body         LONGBLOB     NOT NULL,
		PRIMARY KEY (id),
		UNIQUE KEY callback_events_key (sdk_app_id, callback_command, room_id, event_time)
	)` + tableOptions,
	`CREATE TABLE IF NOT EXISTS rooms (
		sdk_app_id                    BIGINT       NOT NULL,
		room_id                       VARCHAR(255) NOT NULL,
		room_name                     MEDIUMTEXT   NULL,
		room_type                     MEDIUMTEXT   NULL,
		owner_account                 MEDIUMTEXT   NULL,
		max_member_count              BIGINT       NULL,
		max_seat_count                BIGINT       NULL,
		is_video_disabled             TINYINT(1)   NULL CHECK (is_video_disabled IN (0, 1)),
		is_audio_disabled             TINYINT(1)   NULL CHECK (is_audio_disabled IN (0, 1)),
		is_message_disabled           TINYINT(1)   NULL CHECK (is_message_disabled IN (0, 1)),
		is_screen_sharing_disabled    TINYINT(1)   NULL CHECK (is_screen_sharing_disabled IN (0, 1)),
		is_cloud_recording_disabled   TINYINT(1)   NULL CHECK (is_cloud_recording_disabled IN (0, 1)),
		custom_info                   MEDIUMTEXT   NULL,
		schedule_start_time           BIGINT       NULL,
		schedule_end_time             BIGINT       NULL,
		room_status                   MEDIUMTEXT   NULL,
		is_seat_enabled               TINYINT(1)   NULL CHECK (is_seat_enabled IN (0, 1)),
		take_seat_mode                MEDIUMTEXT   NULL,
		create_time                   BIGINT       NULL,
		operator_account              MEDIUMTEXT   NULL,
		schedule_invitee_list_account MEDIUMTEXT   NULL,
		callback_command              VARCHAR(128) NOT NULL,
		event_time                    BIGINT       NOT NULL,
		updated_at                    BIGINT       NOT NULL,
		PRIMARY KEY (sdk_app_id, room_id)
	)` + tableOptions,
}

// v1Columns are the columns of version 1's tables, in order. Version 2 only appends to these
// two tables, so a table whose columns are v1Columns followed by a prefix of what version 2
// appends is roomhook's, at some step of the migration.
var v1Columns = map[string][]string{
	"callback_events": {"id", "sdk_app_id", "callback_command", "room_id", "event_time", "client_ip",
		"opt_platform", "request_id", "received_at", "raw_body"},
	"rooms": callback.RoomsTable.Names()[:24],
}

// locksTable is the room lock of the MySQL store: one row per room that a projected event was
// saved for, which every such save locks first (see Save). saves counts the projected events
// saved for the room (duplicates, rolled back, do not count); the column changes with every
// save, so that a multi-primary cluster's certification also sees two saves of one room as a
// conflict. It is described like the projection's tables, so that its DDL is derived alike.
var locksTable = &callback.Table{
	Name: "roomhook_room_locks",
	Key:  2,
	Columns: []callback.Column{
		{Name: "sdk_app_id", Kind: callback.KindInt},
		{Name: "room_id", Kind: callback.KindText},
		{Name: "saves", Kind: callback.KindInt},
	},
}

// newTables are the tables version 2 creates, derived from their descriptors.
var newTables = []*callback.Table{callback.MembersTable, callback.SeatsTable, locksTable}

// schemaColumns is every column of the current version, in table order. upgrade checks the
// tables against it, so that a database holding someone else's rooms table is refused instead
// of adopted, and that the migration ended where it should.
var schemaColumns = func() map[string][]string {
	m := map[string][]string{
		"callback_events": append(slices.Clone(v1Columns["callback_events"]), "body_sha256"),
		"rooms":           callback.RoomsTable.Names(),
	}
	for _, t := range newTables {
		m[t.Name] = t.Names()
	}
	return m
}()

// columnType is the MySQL type of column i of t, following version 1's choices: BIGINT for
// integers, TINYINT(1) for booleans, VARCHAR(255) for a text key column (room_id is at most
// callback.MaxRoomIDBytes, member_account callback.MaxAccountBytes: bytes, so never more
// characters), MEDIUMTEXT for every other string and for lists (JSON arrays), so that any
// value a 1 MiB body carries fits.
func columnType(t *callback.Table, i int) string {
	switch t.Columns[i].Kind {
	case callback.KindInt:
		return "BIGINT"
	case callback.KindBool:
		return "TINYINT(1)"
	case callback.KindText:
		if i < t.Key {
			return "VARCHAR(255)"
		}
	}
	return "MEDIUMTEXT"
}

// columnDef is the definition of column i of t, as in CREATE TABLE or ADD COLUMN.
func columnDef(t *callback.Table, i int) string {
	c := t.Columns[i]
	return c.Name + " " + columnType(t, i) + sqltext.Constraints(c, true, "")
}

// createTable is the CREATE TABLE IF NOT EXISTS of t; %s is one of keyCollations.
func createTable(t *callback.Table) string {
	var b strings.Builder
	b.WriteString("CREATE TABLE IF NOT EXISTS " + t.Name + " (")
	for i := range t.Columns {
		b.WriteString("\n\t" + columnDef(t, i) + ",")
	}
	b.WriteString("\n\tPRIMARY KEY (" + strings.Join(t.Names()[:t.Key], ", ") + ")\n)")
	return b.String() + tableOptions
}

// The archive's keys. Version 2's key is added before version 1's is dropped, under another
// name, so that the archive always has a unique key, and so that a late cold start dropping
// version 1's key can never drop version 2's. Version 1's key is stricter than version 2's, so
// adding version 2's never fails on the rows already there.
const (
	archiveKeyV1 = "callback_events_key"
	archiveKeyV2 = "callback_events_key2"
)

// Statements of the steps from version 1 to version 2 (v2Steps). MySQL commits each DDL
// statement on its own, so they cannot run in one transaction; each is idempotent instead, and
// they run in an order where any prefix of them leaves a database that the rest completes.
const (
	addBodySHA256 = `ALTER TABLE callback_events
		ADD COLUMN body_sha256 CHAR(64) CHARACTER SET ascii COLLATE ascii_bin NOT NULL DEFAULT '' AFTER raw_body`
	// The backfill runs in batches of backfillBatch ids, each committed on its own, so that a
	// cold start that runs out of time on a large archive leaves its progress to the next.
	// IGNORE: a version-1 instance still running may archive again an event a version-2 one
	// stored meanwhile (its insert leaves body_sha256 empty); filling in that copy's digest
	// would collide with the version-2 row on the new key. The copy keeps '' and the migration
	// goes on (one pass over the ids: nothing loops on it).
	findBackfill = `SELECT MIN(id), MAX(id) FROM callback_events WHERE body_sha256 = ''`
	backfill     = `UPDATE IGNORE callback_events SET body_sha256 = SHA2(raw_body, 256)
		WHERE id >= ? AND id < ? AND body_sha256 = ''`
	addArchiveKeyV2 = `ALTER TABLE callback_events ADD UNIQUE KEY ` + archiveKeyV2 +
		` (sdk_app_id, room_id, callback_command, event_time, body_sha256)`
	dropArchiveKeyV1 = `ALTER TABLE callback_events DROP INDEX ` + archiveKeyV1
)

const backfillBatch = 500

// step is one idempotent step of the upgrade to version 2: a statement, whose repeat gets one
// of the server errors in expected (another start, or an earlier one, already took it), or a
// function.
type step struct {
	stmt     string
	expected []uint16
	run      func(ctx context.Context, s *Store) error
}

// v2Steps are the steps from version 1 to version 2, in order; collation is the key collation
// of the new tables. The order matters where another instance may already save with version
// 2's code (it saw the version row of a start that finished): body_sha256 is filled before
// version 2's key is built, version 2's key exists before version 1's is dropped (the archive
// is never without a unique key), and version 2's tables exist before the version row. The
// last step refolds the rooms (refold), once the tables it writes exist.
func v2Steps(collation string) []step {
	steps := []step{
		{stmt: addBodySHA256, expected: []uint16{erDupFieldName}},
		{run: func(ctx context.Context, s *Store) error { return s.backfill(ctx) }},
		{stmt: addArchiveKeyV2, expected: []uint16{erDupKeyName}},
		{stmt: dropArchiveKeyV1, expected: []uint16{erCantDropFieldOrKey}},
	}
	// rooms' new columns, each after the one before, so that the order holds whichever start
	// adds which.
	rooms := callback.RoomsTable
	for i := len(v1Columns["rooms"]); i < len(rooms.Columns); i++ {
		steps = append(steps, step{
			stmt:     "ALTER TABLE rooms ADD COLUMN " + columnDef(rooms, i) + " AFTER " + rooms.Columns[i-1].Name,
			expected: []uint16{erDupFieldName},
		})
	}
	for _, t := range newTables {
		steps = append(steps, step{stmt: fmt.Sprintf(createTable(t), collation)})
	}
	return append(steps, step{run: func(ctx context.Context, s *Store) error { return s.refold(ctx) }})
}

// take runs one step.
func (st step) take(ctx context.Context, s *Store) error {
	if st.run != nil {
		return st.run(ctx, s)
	}
	return s.exec(ctx, st.stmt, st.expected...)
}

// createVersionTable and insertVersion come last: the version row marks a finished schema.
// The primary key on version makes the insert idempotent when cold starts race. A migrated
// database keeps the row of each version it had; the highest is the version.
const (
	createVersionTable = `CREATE TABLE IF NOT EXISTS roomhook_schema (
		version INT NOT NULL,
		PRIMARY KEY (version)
	) ENGINE=InnoDB`
	insertVersion = `INSERT INTO roomhook_schema (version) VALUES (?)
		ON DUPLICATE KEY UPDATE version = version`
)

// migrate brings the database to schemaVersion. A database already at that version costs one
// query and needs only SELECT on roomhook_schema.
//
// A new database, one whose first start did not finish (no version row) and one at version 1
// all take the same path, upgrade. No lock is needed, so this works behind connection proxies
// and on clusters: cold starts racing on one database all run the same idempotent steps and
// the same INSERT of the version, and all succeed; a start that died half-way is completed by
// the next one.
func (s *Store) migrate(ctx context.Context) error {
	version, err := s.schemaVersion(ctx)
	if err != nil && !isServerError(err, erNoSuchTable) {
		return fmt.Errorf("mysql: %s: read the schema version: %w", s.where, err)
	}
	if err == nil && version.Valid {
		if err := s.knownVersion(version.Int64); err != nil || version.Int64 == schemaVersion {
			return err
		}
	}
	// No roomhook_schema, an empty one (a first start that did not finish) or version 1.
	if err := s.upgrade(ctx); err != nil {
		return err
	}
	if version, err = s.schemaVersion(ctx); err != nil {
		return fmt.Errorf("mysql: %s: read the schema version: %w", s.where, err)
	}
	if !version.Valid {
		return fmt.Errorf("mysql: %s: roomhook_schema is still empty after creating the schema", s.where)
	}
	// A newer roomhook may have upgraded the database meanwhile.
	return s.knownVersion(version.Int64)
}

// knownVersion refuses a version this code cannot work with.
func (s *Store) knownVersion(v int64) error {
	switch {
	case v > schemaVersion:
		return fmt.Errorf("%w: %s has version %d, this roomhook knows up to %d; upgrade roomhook",
			ErrSchemaTooNew, s.where, v, schemaVersion)
	case v < 1:
		return fmt.Errorf("mysql: %s has unknown schema version %d", s.where, v)
	}
	return nil
}

func (s *Store) schemaVersion(ctx context.Context) (sql.NullInt64, error) {
	var v sql.NullInt64
	err := s.db.QueryRowContext(ctx, `SELECT MAX(version) FROM roomhook_schema`).Scan(&v)
	return v, err
}

// upgrade creates whatever part of version 1 is missing, takes the steps to version 2 and
// writes the version row. Rows that a version-1 instance, still running during a rollout,
// archives after the backfill keep an empty body_sha256 (its default): they are kept, but a
// repeat of such an event delivered to version 2 is archived once more.
func (s *Store) upgrade(ctx context.Context) error {
	collation, err := s.keyCollation(ctx)
	if err != nil {
		return err
	}
	for _, stmt := range schemaV1 {
		if err := s.exec(ctx, fmt.Sprintf(stmt, collation)); err != nil {
			return err
		}
	}
	// Refuse someone else's tables before changing them.
	if err := s.checkColumns(ctx, false); err != nil {
		return err
	}
	for _, st := range v2Steps(collation) {
		if err := st.take(ctx, s); err != nil {
			return err
		}
	}
	if err := s.checkColumns(ctx, true); err != nil {
		return err
	}
	if err := s.exec(ctx, createVersionTable); err != nil {
		return err
	}
	if _, err := s.db.ExecContext(ctx, insertVersion, schemaVersion); err != nil {
		return createError(s.where, err)
	}
	return nil
}

// exec runs one schema statement; the server errors in expected are what a repeat of an
// idempotent step gets (another start, or an earlier one, already took it) and are not errors.
func (s *Store) exec(ctx context.Context, stmt string, expected ...uint16) error {
	_, err := s.db.ExecContext(ctx, stmt)
	for _, n := range expected {
		if isServerError(err, n) {
			return nil
		}
	}
	if err != nil {
		return createError(s.where, err)
	}
	return nil
}

// backfill sets body_sha256 of every archive row that has none (the rows version 1 wrote),
// batch by batch. A batch that meets the row locks of another start doing the same is run
// again; it then finds the rows done.
func (s *Store) backfill(ctx context.Context) error {
	var lo, hi sql.NullInt64
	if err := s.db.QueryRowContext(ctx, findBackfill).Scan(&lo, &hi); err != nil {
		return fmt.Errorf("mysql: %s: upgrade the schema: find archive rows without body_sha256: %w", s.where, err)
	}
	if !lo.Valid {
		return nil
	}
	for from := lo.Int64; from <= hi.Int64; from += backfillBatch {
		for {
			_, err := s.db.ExecContext(ctx, backfill, from, from+backfillBatch)
			if err == nil {
				break
			}
			if !(isServerError(err, erLockWait) || isServerError(err, erDeadlock)) || ctx.Err() != nil {
				return fmt.Errorf("mysql: %s: upgrade the schema: compute body_sha256 of archive rows %d to %d: %w",
					s.where, from, from+backfillBatch-1, err)
			}
		}
	}
	return nil
}

func createError(where string, err error) error {
	return fmt.Errorf("mysql: %s: create or upgrade the schema (the first start of this roomhook version "+
		"needs the CREATE and ALTER privileges on the database): %w", where, err)
}

// keyCollation returns the first of keyCollations the server has.
func (s *Store) keyCollation(ctx context.Context) (string, error) {
	rows, err := s.db.QueryContext(ctx, `SELECT COLLATION_NAME FROM information_schema.COLLATIONS
		WHERE COLLATION_NAME IN (?, ?)`, keyCollations[0], keyCollations[1])
	if err != nil {
		return "", fmt.Errorf("mysql: %s: list collations: %w", s.where, err)
	}
	defer rows.Close()
	var have []string
	for rows.Next() {
		var name string
		if err := rows.Scan(&name); err != nil {
			return "", fmt.Errorf("mysql: %s: list collations: %w", s.where, err)
		}
		have = append(have, strings.ToLower(name))
	}
	if err := rows.Err(); err != nil {
		return "", fmt.Errorf("mysql: %s: list collations: %w", s.where, err)
	}
	for _, c := range keyCollations {
		if slices.Contains(have, c) {
			return c, nil
		}
	}
	return "", fmt.Errorf("mysql: %s: the server has neither %s nor %s, the byte-exact utf8mb4 "+
		"collations room ids need; roomhook needs MySQL 8.0.17 or later, or MariaDB 10.2 or later",
		s.where, keyCollations[0], keyCollations[1])
}

// checkColumns refuses tables of roomhook's names that roomhook did not create. With done
// false it accepts every table as some step of the migration left it: version 1's tables with
// a prefix of what version 2 appends, version 2's tables absent or whole. With done true every
// table must be exactly as schemaColumns says.
func (s *Store) checkColumns(ctx context.Context, done bool) error {
	names := make([]string, 0, len(schemaColumns))
	for table := range schemaColumns {
		names = append(names, table)
	}
	slices.Sort(names)
	rows, err := s.db.QueryContext(ctx, `SELECT TABLE_NAME, COLUMN_NAME FROM information_schema.COLUMNS
		WHERE TABLE_SCHEMA = DATABASE() AND TABLE_NAME IN (?`+strings.Repeat(", ?", len(names)-1)+`)
		ORDER BY TABLE_NAME, ORDINAL_POSITION`, anySlice(names)...)
	if err != nil {
		return fmt.Errorf("mysql: %s: read the columns: %w", s.where, err)
	}
	defer rows.Close()
	got := map[string][]string{}
	for rows.Next() {
		var table, column string
		if err := rows.Scan(&table, &column); err != nil {
			return fmt.Errorf("mysql: %s: read the columns: %w", s.where, err)
		}
		got[table] = append(got[table], column)
	}
	if err := rows.Err(); err != nil {
		return fmt.Errorf("mysql: %s: read the columns: %w", s.where, err)
	}
	for _, table := range names {
		want, have := schemaColumns[table], got[table]
		ok := slices.Equal(have, want)
		if !done {
			if v1, old := v1Columns[table]; old {
				ok = len(have) >= len(v1) && slices.Equal(have, want[:min(len(have), len(want))])
			} else {
				ok = ok || len(have) == 0
			}
		}
		if !ok {
			return fmt.Errorf("mysql: %s: the database already holds a table %s that roomhook did not "+
				"create (its columns differ); give roomhook a database of its own", s.where, table)
		}
	}
	return nil
}

func anySlice(s []string) []any {
	out := make([]any, len(s))
	for i, v := range s {
		out[i] = v
	}
	return out
}

// refold brings the rows of every room whose archive holds projected events up to the fold of
// those events (callback.Refold): version 1 projected only the creates and archived the rest
// raw (updates, destroys, members, seats). It is the last step before the version row, so an
// instance saves with version 2's code only once every room is refolded.
//
// Each room is refolded in a transaction of its own that holds the room's lock, as a save
// does (lockRoomSQL, which creates the room's row of roomhook_room_locks), so that it runs
// one after the other with the saves of an instance that already found version 2 and with
// the refold of another start. A room that has a lock row is therefore refolded already (or
// saved by an instance that found the migration finished) and is left out, so that a start
// that ran out of time leaves its progress to the next; racing starts may both refold a room
// they listed before either locked it, which is harmless: the fold of the same archive gives
// the same rows.
func (s *Store) refold(ctx context.Context) error {
	commands := callback.ProjectedCommands()
	args := make([]any, len(commands))
	for i, c := range commands {
		args[i] = c
	}
	rows, err := s.db.QueryContext(ctx, `SELECT DISTINCT e.sdk_app_id, e.room_id FROM callback_events e
		WHERE e.callback_command IN (?`+strings.Repeat(", ?", len(commands)-1)+`) AND e.event_time IS NOT NULL
		AND NOT EXISTS (SELECT 1 FROM roomhook_room_locks l WHERE l.sdk_app_id = e.sdk_app_id AND l.room_id = e.room_id)`,
		args...)
	if err != nil {
		return fmt.Errorf("mysql: %s: upgrade the schema: list the rooms to refold: %w", s.where, err)
	}
	type room struct {
		app int64
		id  string
	}
	var rooms []room
	for rows.Next() {
		var r room
		if err := rows.Scan(&r.app, &r.id); err != nil {
			rows.Close()
			return fmt.Errorf("mysql: %s: upgrade the schema: list the rooms to refold: %w", s.where, err)
		}
		rooms = append(rooms, r)
	}
	if err := rows.Close(); err != nil {
		return fmt.Errorf("mysql: %s: upgrade the schema: list the rooms to refold: %w", s.where, err)
	}
	now := time.Now()
	for _, r := range rooms {
		if err := s.refoldRoom(ctx, r.app, r.id, now); err != nil {
			return fmt.Errorf("mysql: %s: upgrade the schema: refold room %q of app %d: %w", s.where, r.id, r.app, err)
		}
	}
	return nil
}

// refoldRoom refolds one room in a transaction that holds its lock, run again, as a save is,
// when it meets a deadlock, a lock wait timeout, a cluster's certification failure or a broken
// connection.
func (s *Store) refoldRoom(ctx context.Context, app int64, room string, now time.Time) error {
	for attempt := 1; ; attempt++ {
		err := s.refoldRoomOnce(ctx, app, room, now)
		if err == nil || attempt == maxAttempts || !retryable(err) || ctx.Err() != nil {
			return err
		}
		if err := pause(ctx, attempt); err != nil {
			return err
		}
	}
}

func (s *Store) refoldRoomOnce(ctx context.Context, app int64, room string, now time.Time) error {
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	defer tx.Rollback() // a no-op after Commit
	if _, err := tx.ExecContext(ctx, lockRoomSQL, app, room); err != nil {
		return fmt.Errorf("lock the room: %w", err)
	}
	conn := sqlrows.NewPrepared(tx)
	if _, err := callback.Refold(ctx, &sqlrows.Tx{Conn: conn, App: app, Room: room}, app, room, now); err != nil {
		return err
	}
	return tx.Commit()
}
