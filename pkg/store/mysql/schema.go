package mysql

import (
	"context"
	"database/sql"
	"fmt"
	"slices"
	"strconv"
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
//
// Version 3 (the Live family's rows): rooms gained the Live columns, roomhook_room_locks
// gained refold_version; room_admins, room_metadata, battles and gifts are new.
const schemaVersion = 3

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

// v1Columns are the columns of version 1's tables, in order. Later versions only append to
// these two tables, so a table whose columns are v1Columns followed by a prefix of what later
// versions append is roomhook's, at some step of the migration.
//
// It and the other column maps below are functions, built when a MySQL store opens, not
// package-level maps: package init runs at every cold start, for every backend linked.
func v1Columns() map[string][]string {
	return map[string][]string{
		"callback_events": {"id", "sdk_app_id", "callback_command", "room_id", "event_time", "client_ip",
			"opt_platform", "request_id", "received_at", "raw_body"},
		"rooms": callback.RoomsTable.Names()[:24],
	}
}

// locksTableV2 is the room lock of the MySQL store as version 2 created it: one row per room
// that a folded event was saved for, which every such save locks first (see Save). saves
// counts the folded events saved for the room (duplicates, rolled back, do not count) and the
// refolds of a migration; the column changes with every save, so that a multi-primary
// cluster's certification also sees two saves of one room as a conflict. It is described like
// the projection's tables, so that its DDL is derived alike.
var locksTableV2 = &callback.Table{
	Name:    locksTableName,
	Key:     2,
	Columns: lockColumns[:3:3],
}

// locksTable is roomhook_room_locks as it is now: version 3 appended refold_version, the
// schema version whose migration last refolded the room (NULL: none did since version 2's),
// so that a migration that ran out of time leaves the rooms it refolded to the next.
var locksTable = &callback.Table{
	Name:    locksTableName,
	Key:     2,
	Columns: lockColumns[:],
}

const locksTableName = "roomhook_room_locks"

// lockColumns are the columns of roomhook_room_locks: version 2's three, then version 3's
// refold_version. The two descriptors above are slices of this array, static data, where
// appending one column to a copy of the other would be done by package init, which runs at
// every cold start, for every backend linked.
var lockColumns = [...]callback.Column{
	{Name: "sdk_app_id", Kind: callback.KindInt},
	{Name: "room_id", Kind: callback.KindText},
	{Name: "saves", Kind: callback.KindInt},
	{Name: "refold_version", Kind: callback.KindInt, Nullable: true},
}

// memberLocksTable (version 3) holds one row per member of a room that a Live member state was
// saved for: such a save holds its room's row of roomhook_room_locks shared and locks its
// members' rows here (see Save), so that the viewers of one room are saved side by side.
// saves counts the saves, as the room's row does.
var memberLocksTable = &callback.Table{
	Name: "roomhook_member_locks",
	Key:  3,
	Columns: []callback.Column{
		{Name: "sdk_app_id", Kind: callback.KindInt},
		{Name: "room_id", Kind: callback.KindText},
		{Name: "member_account", Kind: callback.KindText},
		{Name: "saves", Kind: callback.KindInt},
	},
}

// The tables each version creates, derived from their descriptors.
var (
	v2Tables = []*callback.Table{callback.MembersTable, callback.SeatsTable, locksTableV2}
	v3Tables = []*callback.Table{callback.AdminsTable, callback.MetadataTable, callback.BattlesTable, callback.GiftsTable,
		memberLocksTable}
)

// baseColumns are the columns each table that a later version appended to had when it was
// created: checkColumns accepts them followed by any prefix of what was appended since.
func baseColumns() map[string][]string {
	v1 := v1Columns()
	return map[string][]string{
		"callback_events": v1["callback_events"],
		"rooms":           v1["rooms"],
		locksTable.Name:   locksTableV2.Names(),
	}
}

// schemaColumns is every column of the current version, in table order. upgrade checks the
// tables against it, so that a database holding someone else's rooms table is refused instead
// of adopted, and that the migration ended where it should.
func schemaColumns() map[string][]string {
	m := map[string][]string{
		"callback_events": append(v1Columns()["callback_events"], "body_sha256"),
	}
	for _, t := range append(slices.Clone(callback.Tables), locksTable, memberLocksTable) {
		m[t.Name] = t.Names()
	}
	return m
}

// columnType is the MySQL type of column i of t, following version 1's choices: BIGINT for
// integers, TINYINT(1) for booleans, VARCHAR(255) for a text key column (an index key needs a
// bounded length; room_id, from_room_id, battle_id and meta_key are at most
// callback.MaxRoomIDBytes, member_account and admin_account callback.MaxAccountBytes, and
// delivery_id is roomhook's own, all bytes, so never more characters), MEDIUMTEXT for every
// other string and for lists of strings or integers (JSON arrays), so that any value a 1 MiB
// body carries fits.
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

// step is one idempotent step of the upgrade: a statement, whose repeat gets one of the server
// errors in expected (another start, or an earlier one, already took it), or a function. name
// tells the steps apart in tests.
type step struct {
	name     string
	stmt     string
	expected []uint16
	run      func(ctx context.Context, s *Store) error
}

// upgradeSteps are the steps from any earlier version (or none) to this one, in order:
// version 2's schema, version 3's, then what fills version 3's tables from the archive.
// collation is the key collation of the new tables; bound is the newest archive row that the
// gift ledger is built from (see migrate). There is one refold, at the end, once every table
// it writes exists: a version-1 store goes to version 3 without a refold at version 2.
func upgradeSteps(collation string, bound int64) []step {
	steps := slices.Concat(v2Steps(collation), v3Steps(collation))
	return append(steps,
		step{name: "rekey", run: func(ctx context.Context, s *Store) error { return s.rekey(ctx) }},
		step{name: "refold", run: func(ctx context.Context, s *Store) error { return s.refold(ctx) }},
		step{name: "ledger", run: func(ctx context.Context, s *Store) error { return s.ledger(ctx, bound) }},
	)
}

// v2Steps are the schema steps from version 1 to version 2, in order. The order matters where
// another instance may already save with version 2's code (it saw the version row of a start
// that finished, or runs version 2): body_sha256 is filled before version 2's key is built,
// version 2's key exists before version 1's is dropped (the archive is never without a unique
// key), and version 2's tables exist before the version row.
func v2Steps(collation string) []step {
	steps := []step{
		{name: "add body_sha256", stmt: addBodySHA256, expected: []uint16{erDupFieldName}},
		{name: "backfill", run: func(ctx context.Context, s *Store) error { return s.backfill(ctx) }},
		{name: "add archive key 2", stmt: addArchiveKeyV2, expected: []uint16{erDupKeyName}},
		{name: "drop archive key 1", stmt: dropArchiveKeyV1, expected: []uint16{erCantDropFieldOrKey}},
	}
	steps = append(steps, addColumns(callback.RoomsTable, len(v1Columns()["rooms"]), callback.RoomsV2Columns)...)
	for _, t := range v2Tables {
		steps = append(steps, step{name: "create " + t.Name, stmt: fmt.Sprintf(createTable(t), collation)})
	}
	return steps
}

// v3Steps are the schema steps from version 2 to version 3: rooms' Live columns, the lock
// table's refold_version, and the Live family's tables.
func v3Steps(collation string) []step {
	steps := addColumns(callback.RoomsTable, callback.RoomsV2Columns, len(callback.RoomsTable.Columns))
	steps = append(steps, addColumns(locksTable, len(locksTableV2.Columns), len(locksTable.Columns))...)
	for _, t := range v3Tables {
		steps = append(steps, step{name: "create " + t.Name, stmt: fmt.Sprintf(createTable(t), collation)})
	}
	return steps
}

// addColumns are the steps adding columns from to to of t, each after the one before, so that
// the order holds whichever start adds which.
func addColumns(t *callback.Table, from, to int) []step {
	var steps []step
	for i := from; i < to; i++ {
		steps = append(steps, step{
			name:     "add " + t.Name + "." + t.Columns[i].Name,
			stmt:     "ALTER TABLE " + t.Name + " ADD COLUMN " + columnDef(t, i) + " AFTER " + t.Columns[i-1].Name,
			expected: []uint16{erDupFieldName},
		})
	}
	return steps
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
// or 2 all take the same path, upgrade. No lock is needed, so this works behind connection
// proxies and on clusters: cold starts racing on one database all run the same idempotent
// steps and the same INSERT of the version, and all succeed; a start that died half-way is
// completed by the next one.
//
// Before it upgrades, migrate notes the newest archive row (bound), and only then reads the
// version again: an instance saves with this code only once it has read version 3, written
// after that second read, so every gift this code saved (with its ledger row) is archived
// after bound (ids only grow), and the ledger is built from the gifts up to bound alone; a
// start that took long to get there never adds a second ledger row for a gift saved since.
func (s *Store) migrate(ctx context.Context) error {
	version, err := s.currentVersion(ctx)
	if err != nil {
		return err
	}
	if version.Valid {
		if err := s.knownVersion(version.Int64); err != nil || version.Int64 == schemaVersion {
			return err
		}
	}
	// No roomhook_schema, an empty one (a first start that did not finish), version 1 or 2.
	var bound sql.NullInt64
	err = s.db.QueryRowContext(ctx, `SELECT MAX(id) FROM callback_events`).Scan(&bound)
	if err != nil && !isServerError(err, erNoSuchTable) {
		return fmt.Errorf("mysql: %s: read the newest archive row: %w", s.where, err)
	}
	if version, err = s.currentVersion(ctx); err != nil {
		return err
	}
	if version.Valid && version.Int64 >= schemaVersion {
		return s.knownVersion(version.Int64) // another start finished meanwhile
	}
	if err := s.upgrade(ctx, bound.Int64); err != nil {
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

// checkReadable is Open's check of a store opened read-only (Options.ReadOnly): the database
// must be at this code's version, since a read-only open neither creates nor migrates it, and
// this code's reads name the current version's tables and columns. It is migrate's first
// read alone: one consistent (non-locking) read of roomhook_schema, which no save waits for.
func (s *Store) checkReadable(ctx context.Context) error {
	version, err := s.currentVersion(ctx)
	if err != nil {
		return err
	}
	if !version.Valid {
		return fmt.Errorf("mysql: %s has no roomhook_schema table, or an empty one (a first start that did not finish): %w",
			s.where, callback.ErrNoSchema)
	}
	if err := s.knownVersion(version.Int64); err != nil {
		return err
	}
	if version.Int64 < schemaVersion {
		return fmt.Errorf("mysql: %s: %w: it has version %d, this roomhook reads version %d; "+
			"upgrade it by starting a function of this version or running scripts/migrate",
			s.where, callback.ErrSchemaOlder, version.Int64, schemaVersion)
	}
	return nil
}

func (s *Store) schemaVersion(ctx context.Context) (sql.NullInt64, error) {
	var v sql.NullInt64
	err := s.db.QueryRowContext(ctx, `SELECT MAX(version) FROM roomhook_schema`).Scan(&v)
	return v, err
}

// currentVersion is schemaVersion, NULL when roomhook_schema does not exist.
func (s *Store) currentVersion(ctx context.Context) (sql.NullInt64, error) {
	v, err := s.schemaVersion(ctx)
	if isServerError(err, erNoSuchTable) {
		return sql.NullInt64{}, nil
	}
	if err != nil {
		return v, fmt.Errorf("mysql: %s: read the schema version: %w", s.where, err)
	}
	return v, nil
}

// upgrade creates whatever part of version 1 is missing, takes the steps to this version
// (upgradeSteps; bound is migrate's) and writes the version row. Rows that a version-1
// instance, still running during a rollout, archives after the backfill keep an empty
// body_sha256 (its default): they are kept, but a repeat of such an event delivered to this
// version is archived once more. What a version-1 or version-2 instance saves after the
// refold and the ledger have passed its room is archived but not in the version-3 rows.
func (s *Store) upgrade(ctx context.Context, bound int64) error {
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
	for _, st := range upgradeSteps(collation, bound) {
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
// false it accepts every table as some step of the migration left it: a table a later version
// appended to with its baseColumns and a prefix of what was appended, every other table absent
// or whole. With done true every table must be exactly as schemaColumns says.
func (s *Store) checkColumns(ctx context.Context, done bool) error {
	current, bases := schemaColumns(), baseColumns()
	names := make([]string, 0, len(current))
	for table := range current {
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
		want, have := current[table], got[table]
		ok := slices.Equal(have, want)
		if !done {
			if base, grown := bases[table]; grown {
				// (Absent only for a table a later version created: version 1's exist by now.)
				ok = (len(have) == 0 || len(have) >= len(base)) && slices.Equal(have, want[:min(len(have), len(want))])
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

// rekeyCommands are the commands whose rows version 3 added (callback.V3Commands), which
// earlier versions may have archived under the key their envelope gave (RoomId, EventTime)
// where this version archives them under their payload's: a battle's body has no RoomId, so its
// stages were archived under room "" (this version archives and locks them under FromRoomId); a
// version-1 Live create without a top-level EventTime has its time inside RoomInfo. (A gift's
// keys agree; it has no EventTime.)
func rekeyCommands() []string { return callback.V3Commands() }

// rekeyBatch is how many archive rows rekey and ledger read at a time.
const rekeyBatch = 500

// selectRekey lists archive rows of commands (rekeyCommands) after an id, in id order. This
// text, and the other texts of the migration below, are built when a migration runs, not at
// package init, which runs at every cold start, for every backend linked.
func selectRekey(commands []string) string {
	return `SELECT id, room_id, event_time, callback_command, raw_body FROM callback_events
	WHERE id > ? AND callback_command IN (?` + strings.Repeat(", ?", len(commands)-1) + `)
	ORDER BY id LIMIT ` + fmt.Sprint(rekeyBatch)
}

// rekey moves each archived event of rekeyCommands whose key is not its payload's to the
// payload's key (room_id, event_time), as this version would have archived it: so the refold
// finds a battle under its room, and a battle archived before is still a duplicate when
// delivered again. An event that does not parse keeps its key. An event already archived under
// the payload's key too (delivered again to an instance of this version) keeps its old key:
// that copy is the one folded. Each row is one statement, idempotent: a start that ran out of
// time leaves the rows it moved to the next, which reads them again and moves nothing.
func (s *Store) rekey(ctx context.Context) error {
	commands := rekeyCommands()
	query := selectRekey(commands)
	args := make([]any, 1, 1+len(commands))
	for _, c := range commands {
		args = append(args, c)
	}
	for last := int64(0); ; {
		args[0] = last
		type move struct {
			id, eventTime int64
			room          string
		}
		var moves []move
		n, err := s.scan(ctx, query, args, func(rows *sql.Rows) error {
			var (
				id        int64
				room      string
				eventTime sql.NullInt64
				command   string
				raw       []byte
			)
			if err := rows.Scan(&id, &room, &eventTime, &command, &raw); err != nil {
				return err
			}
			last = id
			pl, err := callback.ParsePayload(command, raw)
			if err != nil || pl == nil {
				return nil
			}
			if r, t := pl.Key(); r != room || t != eventTime.Int64 {
				moves = append(moves, move{id, t, r})
			}
			return nil
		})
		if err != nil {
			return fmt.Errorf("mysql: %s: upgrade the schema: list the archived events to rekey: %w", s.where, err)
		}
		for _, m := range moves {
			_, err := s.db.ExecContext(ctx, `UPDATE callback_events SET room_id = ?, event_time = ? WHERE id = ?`,
				m.room, sqlrows.NullIfZero(m.eventTime), m.id)
			if err != nil && !isServerError(err, erDupEntry) {
				return fmt.Errorf("mysql: %s: upgrade the schema: rekey archive row %d: %w", s.where, m.id, err)
			}
		}
		if n < rekeyBatch {
			return nil
		}
	}
}

// scan runs query and calls each for every row; it returns how many rows there were.
func (s *Store) scan(ctx context.Context, query string, args []any, each func(*sql.Rows) error) (int, error) {
	rows, err := s.db.QueryContext(ctx, query, args...)
	if err != nil {
		return 0, err
	}
	defer rows.Close()
	n := 0
	for rows.Next() {
		n++
		if err := each(rows); err != nil {
			return n, err
		}
	}
	return n, rows.Err()
}

// refold brings the rows of every room that needs it up to the fold of its archive
// (callback.Refold). A room needs it when its archive holds a folded event and the room has no
// lock row (nothing this store's version 2 or later folded it: version 1 projected only the
// creates and archived the rest raw), or when its archive holds an event of
// callback.V3Commands and no migration to version 3 refolded it yet (refold_version): version 2
// archived those without the rows version 3 added. It is the last step that folds before the
// version row, so an instance saves with this version's code only once every room is
// refolded.
//
// Each room is refolded in a transaction of its own that holds the room's lock, as a save
// does (refoldLockSQL, which creates the room's row of roomhook_room_locks and sets its
// refold_version), so that it runs one after the other with the saves of an instance that
// already found this version and with the refold of another start; a room it refolded is left
// out of the next start's list, so that a start that ran out of time leaves its progress to
// the next. Racing starts may both refold a room they listed before either locked it, which is
// harmless: the fold of the same archive gives the same rows.
func (s *Store) refold(ctx context.Context) error {
	folded, v3 := callback.FoldedCommands(), callback.V3Commands()
	args := make([]any, 0, len(folded)+1+len(v3))
	for _, c := range folded {
		args = append(args, c)
	}
	args = append(args, schemaVersion)
	for _, c := range v3 {
		args = append(args, c)
	}
	rows, err := s.db.QueryContext(ctx, `SELECT DISTINCT e.sdk_app_id, e.room_id FROM callback_events e
		LEFT JOIN roomhook_room_locks l ON l.sdk_app_id = e.sdk_app_id AND l.room_id = e.room_id
		WHERE e.event_time IS NOT NULL AND (
			(l.room_id IS NULL AND e.callback_command IN (?`+strings.Repeat(", ?", len(folded)-1)+`))
			OR ((l.refold_version IS NULL OR l.refold_version < ?) AND e.callback_command IN (?`+strings.Repeat(", ?", len(v3)-1)+`)))`,
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

// refoldLockSQL is lockRoomSQL for a migration's refold: it also records that this version's
// migration refolded the room.
const refoldLockSQL = `INSERT INTO roomhook_room_locks (sdk_app_id, room_id, saves, refold_version) VALUES (?, ?, 1, ?)
	ON DUPLICATE KEY UPDATE saves = saves + 1, refold_version = ?`

// refoldRoom refolds one room in a transaction that holds its lock, run again, as a save is,
// when it meets a deadlock, a lock wait timeout, a cluster's certification failure or a broken
// connection.
func (s *Store) refoldRoom(ctx context.Context, app int64, room string, now time.Time) error {
	return s.retry(ctx, func() error { return s.refoldRoomOnce(ctx, app, room, now) })
}

// retry runs f again while it fails as a Save may be run again (retryable), up to maxAttempts
// times in all.
func (s *Store) retry(ctx context.Context, f func() error) error {
	for attempt := 1; ; attempt++ {
		err := f()
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
	if _, err := tx.ExecContext(ctx, refoldLockSQL, app, room, schemaVersion, schemaVersion); err != nil {
		return fmt.Errorf("lock the room: %w", err)
	}
	conn := sqlrows.NewPrepared(tx)
	if _, err := callback.Refold(ctx, &sqlrows.Tx{Conn: conn, App: app, Room: room}, app, room, now); err != nil {
		return err
	}
	return tx.Commit()
}

// selectLedger lists the archived gifts after an id and up to a bound, in id order, that have
// no ledger row of their own yet.
func selectLedger() string {
	return `SELECT e.id, e.sdk_app_id, e.room_id, e.received_at, e.raw_body FROM callback_events e
	WHERE e.id > ? AND e.id <= ? AND e.callback_command = ? AND NOT EXISTS (SELECT 1 FROM gifts g
		WHERE g.sdk_app_id = e.sdk_app_id AND g.room_id = e.room_id AND g.delivery_id = CONCAT(?, e.id))
	ORDER BY e.id LIMIT ` + fmt.Sprint(rekeyBatch)
}

// ledgerPrefix starts the delivery_id of a ledger row made from an archived gift; the archive
// row's id follows.
const ledgerPrefix = "archive:"

// insertLedgerSQL inserts a ledger row unless its key is there (another start inserted it).
func insertLedgerSQL() string {
	return sqltext.Question.Statements(callback.GiftsTable).Insert + ` ON DUPLICATE KEY UPDATE delivery_id = delivery_id`
}

// ledger makes the gift ledger of the gifts archived before this version, up to bound (see
// migrate): one row per archive row of callback.CommandLiveGift
// (callback.GiftRowOfArchive), its delivery_id "archive:" and the archive row's id, so that a
// repeat of the step, from this start or another, inserts nothing. A body that does not parse
// as a gift has no row. Batch by batch, each batch's rows in one transaction.
func (s *Store) ledger(ctx context.Context, bound int64) error {
	selectLedger, insert := selectLedger(), insertLedgerSQL()
	for last := int64(0); last < bound; {
		var rows []callback.Row
		n, err := s.scan(ctx, selectLedger, []any{last, bound, callback.CommandLiveGift, ledgerPrefix},
			func(r *sql.Rows) error {
				var (
					id, app, receivedAt int64
					room                string
					raw                 []byte
				)
				if err := r.Scan(&id, &app, &room, &receivedAt, &raw); err != nil {
					return err
				}
				last = id
				if row, ok := callback.GiftRowOfArchive(app, room, ledgerPrefix+strconv.FormatInt(id, 10), receivedAt, raw); ok {
					rows = append(rows, row)
				}
				return nil
			})
		if err != nil {
			return fmt.Errorf("mysql: %s: upgrade the schema: list the archived gifts: %w", s.where, err)
		}
		if len(rows) > 0 {
			if err := s.retry(ctx, func() error { return s.insertLedger(ctx, insert, rows) }); err != nil {
				return fmt.Errorf("mysql: %s: upgrade the schema: make the gift ledger: %w", s.where, err)
			}
		}
		if n < rekeyBatch {
			return nil
		}
	}
	return nil
}

// insertLedger inserts ledger rows in one transaction, with insert (insertLedgerSQL).
func (s *Store) insertLedger(ctx context.Context, insert string, rows []callback.Row) error {
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	defer tx.Rollback() // a no-op after Commit
	st, err := tx.PrepareContext(ctx, insert)
	if err != nil {
		return err
	}
	defer st.Close()
	for _, row := range rows {
		if _, err := st.ExecContext(ctx, bindRow(row)...); err != nil {
			return err
		}
	}
	return tx.Commit()
}

// bindRow returns row's values as the driver binds them, as sqlrows writes them: booleans as
// 0 or 1, lists as JSON arrays.
func bindRow(row callback.Row) []any {
	args := make([]any, len(row))
	for i, v := range row {
		switch v := v.(type) {
		case bool:
			args[i] = 0
			if v {
				args[i] = 1
			}
		case []string:
			s, err := sqlrows.MarshalAccounts(v)
			if err != nil {
				panic(err) // a []string always encodes
			}
			args[i] = s
		case []int64:
			args[i] = sqlrows.MarshalInts(v)
		default:
			args[i] = v
		}
	}
	return args
}
