package mysql

import (
	"context"
	"database/sql"
	sqldriver "database/sql/driver"
	"errors"
	"fmt"
	"math/rand/v2"
	"strings"
	"time"

	driver "github.com/go-sql-driver/mysql"

	"github.com/roomhook/roomhook/pkg/callback"
	"github.com/roomhook/roomhook/pkg/store/internal/sqlrows"
)

// insertEventSQL archives an event unless its key is already there. The no-op update turns a
// duplicate key into "0 rows affected" (the driver reports rows changed, not rows found, as
// long as clientFoundRows is off, which parseURL guarantees) while every other error, a value
// that does not fit for one, still fails the statement; INSERT IGNORE would hide those too.
const insertEventSQL = `INSERT INTO callback_events
	(sdk_app_id, callback_command, room_id, event_time, client_ip, opt_platform, request_id, received_at, raw_body)
	VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)
	ON DUPLICATE KEY UPDATE id = id`

// insertRoomSQL creates the room's row, or, when it exists, locks it and changes nothing
// (0 rows affected). updateRoomSQL then replaces the whole row, absent fields included, but
// only with a strictly newer event: the projection reflects the latest event, never a merge of
// several, and never moves backwards when deliveries arrive out of order.
//
// Two plain statements instead of one upsert with VALUES(): that function is deprecated in
// MySQL 8 and its replacement (a row alias) does not exist in MariaDB, while these run
// unchanged on both. A new room, the common case, costs one statement.
var (
	insertRoomSQL = `INSERT INTO rooms (sdk_app_id, room_id, ` + strings.Join(sqlrows.RoomColumns, ", ") + `)
	VALUES (?, ?` + strings.Repeat(", ?", len(sqlrows.RoomColumns)) + `)
	ON DUPLICATE KEY UPDATE sdk_app_id = sdk_app_id`

	updateRoomSQL = `UPDATE rooms SET ` + strings.Join(sqlrows.RoomColumns, " = ?, ") + ` = ?
	WHERE sdk_app_id = ? AND room_id = ? AND event_time < ?`
)

// Retries of a whole Save. InnoDB may end one of several transactions that insert the same
// key at the same moment with a deadlock, and a lock wait can time out; both leave nothing
// written, and Save is idempotent, so the transaction is simply run again while the caller's
// context allows.
const (
	maxAttempts  = 5
	retryBackoff = 10 * time.Millisecond // before the second attempt; doubled each time, jittered
)

// Save archives ev and, for a projected command, updates the room, in one transaction; see
// callback.Store for the outcomes. Concurrent deliveries of one event are serialised by the
// archive's unique key: the first inserts it, the others wait for its lock and then find the
// key, so exactly one of them is stored and the rest are duplicates.
//
// When ev.Room is set, ev.RoomID and ev.EventTime must equal Room.RoomInfo.RoomID and
// Room.EventTime: the archive key and the projection must describe the same event. A mismatch
// is a bug in the caller and returns an error without writing anything.
func (s *Store) Save(ctx context.Context, ev *callback.Event) (callback.Outcome, error) {
	if err := ev.Check(); err != nil {
		return 0, fmt.Errorf("mysql: save: %w", err)
	}
	var invitees sql.NullString
	if ev.Room != nil && ev.Room.ScheduleInviteeList != nil {
		b, err := sqlrows.MarshalAccounts(ev.Room.ScheduleInviteeList)
		if err != nil {
			return 0, fmt.Errorf("mysql: save: invitee list: %w", err)
		}
		invitees = sql.NullString{String: b, Valid: true}
	}

	for attempt := 1; ; attempt++ {
		outcome, err := s.save(ctx, ev, invitees)
		if err == nil {
			return outcome, nil
		}
		if attempt == maxAttempts || !retryable(err) || ctx.Err() != nil {
			if attempt > 1 {
				return 0, fmt.Errorf("%w (after %d attempts)", err, attempt)
			}
			return 0, err
		}
		s.retries.Add(1)
		d := retryBackoff << (attempt - 1)
		d = d/2 + rand.N(d/2) // spread out the transactions that collided
		t := time.NewTimer(d)
		select {
		case <-ctx.Done():
			t.Stop()
			return 0, fmt.Errorf("%w (gave up retrying: %w)", err, ctx.Err())
		case <-t.C:
		}
	}
}

// retryable reports whether a failed Save may simply be run again: InnoDB chose it as a
// deadlock victim or its lock wait timed out (the transaction was rolled back), or the
// connection broke. Running a Save again is safe even if a broken connection had committed
// it: the repeat finds the key and is answered as a duplicate.
func retryable(err error) bool {
	return isServerError(err, erDeadlock) || isServerError(err, erLockWait) ||
		errors.Is(err, sqldriver.ErrBadConn) || errors.Is(err, driver.ErrInvalidConn)
}

// save runs one attempt of Save.
func (s *Store) save(ctx context.Context, ev *callback.Event, invitees sql.NullString) (callback.Outcome, error) {
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return 0, fmt.Errorf("mysql: save: %w", err)
	}
	defer tx.Rollback() // a no-op after Commit

	raw := ev.Raw
	if raw == nil {
		raw = []byte{} // the driver binds a nil slice as NULL; an empty body is still a body
	}
	res, err := tx.ExecContext(ctx, insertEventSQL,
		ev.SdkAppID, ev.Command, ev.RoomID, sqlrows.NullIfZero(ev.EventTime),
		ev.ClientIP, ev.OptPlatform, ev.RequestID, ev.ReceivedAt.UnixMilli(), raw)
	if err != nil {
		return 0, fmt.Errorf("mysql: save: archive event: %w", err)
	}
	if n, err := res.RowsAffected(); err != nil {
		return 0, fmt.Errorf("mysql: save: archive event: %w", err)
	} else if n == 0 {
		// The key is already archived. Nothing was written; the deferred rollback ends the
		// transaction and releases the lock on the existing row.
		return callback.OutcomeDuplicate, nil
	}

	outcome := callback.OutcomeIgnored
	if ev.Room != nil {
		values := sqlrows.RoomValues(ev, invitees)
		res, err := tx.ExecContext(ctx, insertRoomSQL, append([]any{ev.SdkAppID, ev.RoomID}, values...)...)
		if err != nil {
			return 0, fmt.Errorf("mysql: save: update room: %w", err)
		}
		n, err := res.RowsAffected()
		if err != nil {
			return 0, fmt.Errorf("mysql: save: update room: %w", err)
		}
		if n == 0 {
			// The room exists and is now locked by this transaction: replace it if older.
			res, err = tx.ExecContext(ctx, updateRoomSQL, append(values, ev.SdkAppID, ev.RoomID, ev.EventTime)...)
			if err != nil {
				return 0, fmt.Errorf("mysql: save: update room: %w", err)
			}
			if n, err = res.RowsAffected(); err != nil {
				return 0, fmt.Errorf("mysql: save: update room: %w", err)
			}
		}
		outcome = callback.OutcomeStale
		if n > 0 {
			outcome = callback.OutcomeStored
		}
	}
	if err := tx.Commit(); err != nil {
		return 0, fmt.Errorf("mysql: save: commit: %w", err)
	}
	return outcome, nil
}
