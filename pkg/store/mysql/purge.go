package mysql

import (
	"context"
	"fmt"
	"time"

	"github.com/roomhook/roomhook/pkg/callback"
	"github.com/roomhook/roomhook/pkg/store/internal/sqlrows"
	"github.com/roomhook/roomhook/pkg/store/internal/sqltext"
)

var _ callback.Purger = (*Store)(nil)

// Expired returns up to n archived events of app received before cutoff, in archive order
// (id), after the position after (callback.Purger); each ArchiveID is the row's id in decimal,
// which AUTO_INCREMENT never gives twice (MySQL 8 and MariaDB 10.2.4+ keep its counter across
// restarts). One SELECT (sqltext's Expired says what it costs), read from a consistent snapshot:
// it locks nothing.
func (s *Store) Expired(ctx context.Context, app int64, cutoff time.Time, after string, n int) ([]callback.Event, string, error) {
	return sqlrows.Expired(ctx, s.db, "mysql", sqltext.MySQLPurge, app, cutoff, after, n)
}

// RoomArchived returns the archived events of one room that q selects (callback.Purger): the
// SELECT a save's projection runs, outside a transaction; a plain SELECT takes no lock (the
// room's lock is its row of roomhook_room_locks, which only a save takes).
func (s *Store) RoomArchived(ctx context.Context, app int64, room string, q callback.ArchiveQuery) ([]callback.Archived, error) {
	return sqlrows.RoomArchived(ctx, s.db, "mysql", app, room, q)
}

// Delete removes app's archive rows that ids name (callback.Purger) with one DELETE
// (sqltext's DeleteArchive), of callback_events only, committed on its own (autocommit), and
// returns how many rows it removed. Ids that do not read back, or more than
// sqltext.MaxDeleteIDs of them, are an error before anything is sent; no ids, nothing is.
//
// At READ COMMITTED, every connection's level, the DELETE locks the rows it deletes and no gap,
// so a save inserting a new archive row beside it does not wait; a re-delivery of an event
// whose row it is deleting waits for it, on that key, and is then archived again. It takes its
// turn with the saves (one of the pool's connections). A deadlock or a lock wait that timed out
// (a save holding one of the rows: a re-delivery's duplicate check locks the row it finds) rolls
// the statement back whole, so it is run again, as Save is, while ctx allows; any other error is
// returned, as a DELETE cut off by a broken connection may have committed.
func (s *Store) Delete(ctx context.Context, app int64, ids []string) (int, error) {
	text, args, err := sqltext.MySQLPurge.DeleteArchive(app, ids)
	if err != nil {
		return 0, fmt.Errorf("mysql: purge: %w", err)
	}
	if text == "" {
		return 0, nil
	}
	for attempt := 1; ; attempt++ {
		n, err := s.delete(ctx, text, args)
		if err == nil {
			return n, nil
		}
		rolledBack := isServerError(err, erDeadlock) || isServerError(err, erLockWait) || isServerError(err, erRollbackDuringCommit)
		if attempt == maxAttempts || !rolledBack || ctx.Err() != nil {
			if attempt > 1 {
				return 0, fmt.Errorf("%w (after %d attempts)", err, attempt)
			}
			return 0, err
		}
		if perr := pause(ctx, attempt); perr != nil {
			return 0, fmt.Errorf("%w (gave up retrying: %w)", err, perr)
		}
	}
}

// delete runs one attempt of Delete.
func (s *Store) delete(ctx context.Context, text string, args []any) (int, error) {
	if err := s.turn.Take(ctx); err != nil {
		return 0, fmt.Errorf("mysql: purge: %w", err)
	}
	defer s.turn.Done()
	res, err := s.db.ExecContext(ctx, text, args...)
	if err != nil {
		return 0, fmt.Errorf("mysql: purge: delete: %w", err)
	}
	n, err := res.RowsAffected()
	if err != nil {
		return 0, fmt.Errorf("mysql: purge: delete: %w", err)
	}
	return int(n), nil
}
