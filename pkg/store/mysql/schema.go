package mysql

import (
	"context"
	"database/sql"
	"fmt"
	"slices"
	"strings"

	"github.com/roomhook/roomhook/pkg/store/internal/sqlrows"
)

// schemaVersion is the version of the tables below. A change to them adds a migration step
// from the previous version and bumps this number; never edit a released schema in place.
const schemaVersion = 1

// keyCollations are the utf8mb4 collations that compare strings byte for byte and without
// padding, in order of preference: MariaDB's (10.2 and later) and MySQL's (8.0.17 and later).
// The older utf8mb4_bin is not enough: it pads, so 'a' and 'a ' would be the same room.
// MariaDB is asked first because some MariaDB versions map MySQL's name onto a padding
// collation.
var keyCollations = []string{"utf8mb4_nopad_bin", "utf8mb4_0900_bin"}

// tableOptions ends every CREATE TABLE. DYNAMIC rows allow index keys up to 3072 bytes: the
// archive key is 8 + 4·128 + 4·255 + 8 bytes plus length prefixes, about 1.6 KB in utf8mb4.
const tableOptions = ` ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=%s ROW_FORMAT=DYNAMIC`

// schemaV1 creates the tables of version 1; %s is one of keyCollations. The table and column
// names are a contract, the same as the SQLite store's: users query them directly.
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

// createVersionTable and insertVersion come last: the version row marks a finished schema.
// The primary key on version makes the insert idempotent when cold starts race.
const (
	createVersionTable = `CREATE TABLE IF NOT EXISTS roomhook_schema (
		version INT NOT NULL,
		PRIMARY KEY (version)
	) ENGINE=InnoDB`
	insertVersion = `INSERT INTO roomhook_schema (version) VALUES (?)
		ON DUPLICATE KEY UPDATE version = version`
)

// schemaColumns is every column of version 1, in table order. createSchema checks tables that
// already exist against it, so that a database holding someone else's rooms table is refused
// instead of adopted.
var schemaColumns = map[string][]string{
	"callback_events": {"id", "sdk_app_id", "callback_command", "room_id", "event_time", "client_ip",
		"opt_platform", "request_id", "received_at", "raw_body"},
	"rooms": append([]string{"sdk_app_id", "room_id"}, sqlrows.RoomColumns...),
}

// migrate brings the database to schemaVersion. A database already at that version costs one
// query and needs only SELECT on roomhook_schema.
//
// MySQL commits every CREATE TABLE on its own, so the schema cannot be created in one
// transaction. Instead every step is idempotent and the version row is written last: cold
// starts racing on a new database all run the same CREATE TABLE IF NOT EXISTS statements and
// the same INSERT of the version, and all succeed; a start that died half-way is completed by
// the next one. No lock is needed, so this works behind connection proxies and on clusters
// that do not support GET_LOCK.
func (s *Store) migrate(ctx context.Context) error {
	version, err := s.schemaVersion(ctx)
	if err != nil && !isServerError(err, erNoSuchTable) {
		return fmt.Errorf("mysql: %s: read the schema version: %w", s.where, err)
	}
	if err != nil || !version.Valid {
		// No roomhook_schema, or an empty one: a new database, or a first start that did not
		// finish.
		if err := s.createSchema(ctx); err != nil {
			return err
		}
		if version, err = s.schemaVersion(ctx); err != nil {
			return fmt.Errorf("mysql: %s: read the schema version: %w", s.where, err)
		}
		if !version.Valid {
			return fmt.Errorf("mysql: %s: roomhook_schema is still empty after creating the schema", s.where)
		}
	}
	switch {
	case version.Int64 > schemaVersion:
		return fmt.Errorf("%w: %s has version %d, this roomhook knows up to %d; upgrade roomhook",
			ErrSchemaTooNew, s.where, version.Int64, schemaVersion)
	case version.Int64 < 1:
		return fmt.Errorf("mysql: %s has unknown schema version %d", s.where, version.Int64)
	}
	// version == schemaVersion: nothing to do. Later versions add their steps here.
	return nil
}

func (s *Store) schemaVersion(ctx context.Context) (sql.NullInt64, error) {
	var v sql.NullInt64
	err := s.db.QueryRowContext(ctx, `SELECT MAX(version) FROM roomhook_schema`).Scan(&v)
	return v, err
}

// createSchema creates whatever part of version 1 is missing and writes the version row.
func (s *Store) createSchema(ctx context.Context) error {
	collation, err := s.keyCollation(ctx)
	if err != nil {
		return err
	}
	for _, stmt := range schemaV1 {
		if _, err := s.db.ExecContext(ctx, fmt.Sprintf(stmt, collation)); err != nil {
			return createError(s.where, err)
		}
	}
	if err := s.checkColumns(ctx); err != nil {
		return err
	}
	if _, err := s.db.ExecContext(ctx, createVersionTable); err != nil {
		return createError(s.where, err)
	}
	if _, err := s.db.ExecContext(ctx, insertVersion, schemaVersion); err != nil {
		return createError(s.where, err)
	}
	return nil
}

func createError(where string, err error) error {
	return fmt.Errorf("mysql: %s: create the schema (the first start needs the CREATE privilege "+
		"on the database): %w", where, err)
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

// checkColumns refuses tables of the same names that roomhook did not create.
func (s *Store) checkColumns(ctx context.Context) error {
	rows, err := s.db.QueryContext(ctx, `SELECT TABLE_NAME, COLUMN_NAME FROM information_schema.COLUMNS
		WHERE TABLE_SCHEMA = DATABASE() AND TABLE_NAME IN ('callback_events', 'rooms')
		ORDER BY TABLE_NAME, ORDINAL_POSITION`)
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
	for _, table := range []string{"callback_events", "rooms"} {
		if !slices.Equal(got[table], schemaColumns[table]) {
			return fmt.Errorf("mysql: %s: the database already holds a table %s that roomhook did not "+
				"create (its columns differ); give roomhook a database of its own", s.where, table)
		}
	}
	return nil
}
