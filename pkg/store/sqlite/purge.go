package sqlite

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
// which AUTOINCREMENT never gives twice. One SELECT (sqltext's Expired and SQLitePurge say what
// it costs) on
// the store's one connection, outside any transaction: other processes save beside it (WAL).
func (s *Store) Expired(ctx context.Context, app int64, cutoff time.Time, after string, n int) ([]callback.Event, string, error) {
	return sqlrows.Expired(ctx, s.db, "sqlite", sqltext.SQLitePurge, app, cutoff, after, n)
}

// RoomArchived returns the archived events of one room that q selects (callback.Purger): the
// SELECT a save's projection runs, outside a transaction, taking no lock.
func (s *Store) RoomArchived(ctx context.Context, app int64, room string, q callback.ArchiveQuery) ([]callback.Archived, error) {
	return sqlrows.RoomArchived(ctx, s.db, "sqlite", app, room, q)
}

// Delete removes app's archive rows that ids name (callback.Purger) with one DELETE
// (sqltext's DeleteArchive: a look-up of the primary key per id), of callback_events only, and returns how many rows it removed.
// Ids that do not read back, or more than sqltext.MaxDeleteIDs of them, are an error before
// anything is sent; no ids, nothing is.
//
// It is a write like a save, and waits as one does: for its turn on the store's connection
// (saves of this process queue with it in the order they came), then for the file's write lock
// (BEGIN IMMEDIATE, within the busy timeout when another process holds it), which it holds for
// this one statement; and, as Save does, it commits only to the file at the store's path.
func (s *Store) Delete(ctx context.Context, app int64, ids []string) (int, error) {
	text, args, err := sqltext.SQLitePurge.DeleteArchive(app, ids)
	if err != nil {
		return 0, fmt.Errorf("sqlite: purge: %w", err)
	}
	if text == "" {
		return 0, nil
	}
	if err := s.turn.Take(ctx); err != nil {
		return 0, fmt.Errorf("sqlite: purge: %w", err)
	}
	defer s.turn.Done()
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return 0, fmt.Errorf("sqlite: purge: delete: %w", err)
	}
	defer tx.Rollback() // a no-op after Commit
	res, err := tx.ExecContext(ctx, text, args...)
	if err != nil {
		return 0, fmt.Errorf("sqlite: purge: delete: %w", err)
	}
	n, err := res.RowsAffected()
	if err != nil {
		return 0, fmt.Errorf("sqlite: purge: delete: %w", err)
	}
	// A delete from a file no longer at the path would report rows gone that are still there.
	if err := s.checkFile(); err != nil {
		return 0, fmt.Errorf("sqlite: purge: %w", err)
	}
	if err := tx.Commit(); err != nil {
		return 0, fmt.Errorf("sqlite: purge: delete: commit: %w", err)
	}
	return int(n), nil
}
