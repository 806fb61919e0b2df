package sqlite

import (
	"context"
	"database/sql"
	"fmt"
)

// schemaVersion is the version of the tables below. A change to them adds a migration step
// from the previous version and bumps this number; never edit a released schema in place.
const schemaVersion = 1

// schemaV1 creates the tables of version 1. The table and column names are a contract: users
// query them directly.
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

// migrate brings the file to schemaVersion. An existing store at this version is only read
// (no write lock, no transaction to commit): that is every cold start but the first, and the
// file may be shared with other instances. A missing schema is created in one write
// transaction, so that two cold starts racing on a new file cannot both create the tables, and
// a failure leaves the file as it was.
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

	// Under the write lock, again: another instance may have created it meanwhile.
	version, found, err = readVersion(ctx, tx, s.path)
	if err != nil {
		return err
	}
	if found {
		if err := s.checkVersion(version); err != nil {
			return err
		}
		// version == schemaVersion. Later versions add their migration steps here, under the
		// write lock.
		return tx.Commit()
	}
	stmts := append([]string{`CREATE TABLE roomhook_schema (version INTEGER NOT NULL)`}, schemaV1...)
	for _, stmt := range stmts {
		if _, err := tx.ExecContext(ctx, stmt); err != nil {
			return fmt.Errorf("sqlite: create schema in %q: %w", s.path, err)
		}
	}
	if _, err := tx.ExecContext(ctx, `INSERT INTO roomhook_schema (version) VALUES (?)`, schemaVersion); err != nil {
		return fmt.Errorf("sqlite: create schema in %q: %w", s.path, err)
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("sqlite: create schema in %q: %w", s.path, err)
	}
	return nil
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

// checkVersion accepts the version this code writes and refuses any other.
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
