package mysql

import (
	"context"
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
	(sdk_app_id, callback_command, room_id, event_time, client_ip, opt_platform, request_id, received_at,
	raw_body, body_sha256)
	VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
	ON DUPLICATE KEY UPDATE id = id`

// lockRoomSQL takes the room's lock until the transaction ends: it creates the room's row of
// roomhook_room_locks, or waits for the lock on it and bumps its counter. (A battle's room is
// its from_room_id, the room its events are archived under.)
//
// MySQL and MariaDB have no transaction-scoped advisory lock. GET_LOCK is per session, so it
// would need a connection pinned from before the transaction to after it and a release on
// every path, it is per server (a multi-primary Galera or Group Replication cluster does not
// share it), and MariaDB refuses it outright when Galera replication is on. A row lock has
// none of these problems: InnoDB holds it to the end of the transaction, which releases it
// whatever happens, behind any connection proxy; and since the row changes with every save, a
// multi-primary cluster's certification sees two saves of one room on different nodes as a
// conflict and fails one of them (Galera with a deadlock error, Group Replication with error
// 3101), which Save runs again.
const lockRoomSQL = `INSERT INTO roomhook_room_locks (sdk_app_id, room_id, saves) VALUES (?, ?, 1)
	ON DUPLICATE KEY UPDATE saves = saves + 1`

// lockRoomSharedSQL reads the room's row of roomhook_room_locks holding it shared, as a Live
// member state does (callback.Event.MemberLocks); createRoomLockSQL makes the row when the
// room has none yet (a duplicate key only waits for, and then shares, the row another save is
// creating). lockMembersSQL locks the rows of the event's members in roomhook_member_locks.
const (
	lockRoomSharedSQL = `SELECT saves FROM roomhook_room_locks WHERE sdk_app_id = ? AND room_id = ? LOCK IN SHARE MODE`
	createRoomLockSQL = `INSERT IGNORE INTO roomhook_room_locks (sdk_app_id, room_id, saves) VALUES (?, ?, 0)`
	lockMemberSQL     = `INSERT INTO roomhook_member_locks (sdk_app_id, room_id, member_account, saves) VALUES `
	lockMemberValues  = `(?, ?, ?, 1)`
	lockMemberUpdate  = ` ON DUPLICATE KEY UPDATE saves = saves + 1`
)

// lockRoom takes the locks a save of ev holds to the end of its transaction: the room's row
// exclusively (lockRoomSQL), or, for a Live member state, the room's row shared and then the
// rows of its members, in the order MemberLocks gives (byte order, the key collation's), so
// that two saves never wait for each other. A save holding the room exclusively (a destroy)
// waits for the member states that share it, and they for it; member states of different
// members of one room run side by side.
//
// On a multi-primary cluster (Galera, Group Replication) a shared lock is not replicated, so a
// member state and a destroy written on two nodes at once are not told apart by certification:
// send a room's writes to one node (the usual setup; see docs/stores.md).
func lockRoom(ctx context.Context, tx sqlrows.StmtConn, ev *callback.Event) error {
	members := ev.MemberLocks()
	if members == nil {
		if _, err := tx.ExecContext(ctx, lockRoomSQL, ev.SdkAppID, ev.RoomID); err != nil {
			return fmt.Errorf("mysql: save: lock the room: %w", err)
		}
		return nil
	}
	for try := 0; ; try++ {
		found, err := lockShared(ctx, tx, ev.SdkAppID, ev.RoomID)
		if err != nil {
			return fmt.Errorf("mysql: save: lock the room: %w", err)
		}
		if found {
			break
		}
		if try > 0 {
			return fmt.Errorf("mysql: save: lock the room: its row of roomhook_room_locks is missing")
		}
		if _, err := tx.ExecContext(ctx, createRoomLockSQL, ev.SdkAppID, ev.RoomID); err != nil {
			return fmt.Errorf("mysql: save: lock the room: %w", err)
		}
	}
	text := lockMemberSQL + lockMemberValues + strings.Repeat(", "+lockMemberValues, len(members)-1) + lockMemberUpdate
	args := make([]any, 0, 3*len(members))
	for _, m := range members {
		args = append(args, ev.SdkAppID, ev.RoomID, m)
	}
	if _, err := tx.ExecContext(ctx, text, args...); err != nil {
		return fmt.Errorf("mysql: save: lock the members: %w", err)
	}
	return nil
}

// lockShared reads the room's lock row holding it shared; found is false when there is none.
func lockShared(ctx context.Context, tx sqlrows.StmtConn, app int64, room string) (found bool, err error) {
	rows, err := tx.QueryContext(ctx, lockRoomSharedSQL, app, room)
	if err != nil {
		return false, err
	}
	defer rows.Close()
	found = rows.Next()
	return found, rows.Err()
}

// Retries of a whole Save. InnoDB may end one of several transactions that insert the same
// key at the same moment with a deadlock, a lock wait (for the room's lock too) can time out,
// and a multi-primary cluster fails a transaction that conflicts with another node's; each
// leaves nothing written, and Save is idempotent, so the transaction is simply
// run again while the caller's context allows.
const (
	maxAttempts  = 5
	retryBackoff = 10 * time.Millisecond // before the second attempt; doubled each time, jittered
)

// Save archives ev and, for a projected command, brings the room's rows up to date, in one
// transaction; see callback.Store for the outcomes.
//
// A folded event (ev.Folded) first takes its room's lock (lockRoomSQL), before the archive
// insert, so that the saves of one room run one after the other, each reading what the one
// before committed, and every save takes its locks in the same order. Concurrent deliveries of
// one event are serialised by that lock, or, for a command not projected, by the archive's
// unique key: the first inserts it, the others then find the key, so exactly one of them is
// stored and the rest are duplicates. A gift takes no lock: its archive row (no EventTime, so
// one per delivery) and its ledger row, under its delivery's own id, which no other event
// reads or writes, are written in one transaction.
//
// ev.Check must pass: a projected event whose archive key differs from its payload's is a bug
// in the caller and returns an error without writing anything.
func (s *Store) Save(ctx context.Context, ev *callback.Event) (callback.Outcome, error) {
	if err := ev.Check(); err != nil {
		return 0, fmt.Errorf("mysql: save: %w", err)
	}
	for attempt := 1; ; attempt++ {
		outcome, err := s.save(ctx, ev)
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
		if perr := pause(ctx, attempt); perr != nil {
			return 0, fmt.Errorf("%w (gave up retrying: %w)", err, perr)
		}
	}
}

// pause waits before the attempt after attempt of a transaction that collided with another:
// retryBackoff, doubled each time, jittered so that the transactions that collided spread
// out. It returns ctx's error if ctx ends first.
func pause(ctx context.Context, attempt int) error {
	d := retryBackoff << (attempt - 1)
	d = d/2 + rand.N(d/2)
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}

// retryable reports whether a failed Save may simply be run again: InnoDB chose it as a
// deadlock victim or its lock wait timed out, or a multi-primary cluster's certification
// failed it (the transaction was rolled back), or the connection broke. Running a Save again
// is safe even if a broken connection had committed it: the repeat finds the key and is
// answered as a duplicate.
func retryable(err error) bool {
	return isServerError(err, erDeadlock) || isServerError(err, erLockWait) || isServerError(err, erRollbackDuringCommit) ||
		errors.Is(err, sqldriver.ErrBadConn) || errors.Is(err, driver.ErrInvalidConn)
}

// save runs one attempt of Save.
func (s *Store) save(ctx context.Context, ev *callback.Event) (callback.Outcome, error) {
	if err := s.turn.Take(ctx); err != nil {
		return 0, fmt.Errorf("mysql: save: %w", err)
	}
	defer s.turn.Done()
	s.stmts.PreparePending(ctx, s.db)
	sqlTx, err := s.db.BeginTx(ctx, nil) // READ COMMITTED: every connection's own level (readCommitted)
	if err != nil {
		return 0, fmt.Errorf("mysql: save: %w", err)
	}
	defer sqlTx.Rollback() // a no-op after Commit
	tx := sqlrows.StmtConn{Tx: sqlTx, Stmts: &s.stmts}

	if ev.Folded() {
		if err := lockRoom(ctx, tx, ev); err != nil {
			return 0, err
		}
	}
	raw := ev.Raw
	if raw == nil {
		raw = []byte{} // the driver binds a nil slice as NULL; an empty body is still a body
	}
	res, err := tx.ExecContext(ctx, insertEventSQL,
		ev.SdkAppID, ev.Command, ev.RoomID, sqlrows.NullIfZero(ev.EventTime),
		ev.ClientIP, ev.OptPlatform, ev.RequestID, ev.ReceivedAt.UnixMilli(), raw, ev.Digest())
	if err != nil {
		return 0, fmt.Errorf("mysql: save: archive event: %w", err)
	}
	if n, err := res.RowsAffected(); err != nil {
		return 0, fmt.Errorf("mysql: save: archive event: %w", err)
	} else if n == 0 {
		// The key is already archived. Nothing was written; the deferred rollback ends the
		// transaction and releases its locks.
		return callback.OutcomeDuplicate, nil
	}

	outcome := callback.OutcomeIgnored
	if ev.Payload != nil {
		changed, err := callback.Project(ctx, &sqlrows.Tx{Conn: tx, App: ev.SdkAppID, Room: ev.RoomID}, ev)
		if err != nil {
			return 0, fmt.Errorf("mysql: save: %w", err)
		}
		outcome = callback.OutcomeStale
		if changed {
			outcome = callback.OutcomeStored
		}
	}
	if err := sqlTx.Commit(); err != nil {
		return 0, fmt.Errorf("mysql: save: commit: %w", err)
	}
	return outcome, nil
}
