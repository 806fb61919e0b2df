package sqlite

import (
	"context"
	"fmt"

	"github.com/roomhook/roomhook/pkg/callback"
	"github.com/roomhook/roomhook/pkg/store/internal/sqlrows"
)

const insertEventSQL = `INSERT INTO callback_events
	(sdk_app_id, callback_command, room_id, event_time, client_ip, opt_platform, request_id, received_at, raw_body, body_sha256)
	VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
	ON CONFLICT (sdk_app_id, room_id, callback_command, event_time, body_sha256) DO NOTHING`

// Save archives ev and, for a projected command, brings the room's rows up to date
// (callback.Project), in one write transaction; see callback.Store for the outcomes. A gift
// (not ev.Folded) is its archive row and its gift ledger row, committed together.
//
// The transaction takes SQLite's write lock at BEGIN (_txlock=immediate), before the archive
// insert: that lock is the room lock the projection of a folded event needs, since no other
// save of any room of the file runs until it commits. Two processes delivering the same event
// are serialised, and the second sees the first's row. A gift needs no room lock, but SQLite
// has no write without the file's write lock: its save takes the same lock, for the one insert
// of each row.
//
// An event whose RoomID and EventTime disagree with its Payload (callback.Event.Check) is a
// bug in the caller and returns an error without writing anything.
func (s *Store) Save(ctx context.Context, ev *callback.Event) (callback.Outcome, error) {
	if err := ev.Check(); err != nil {
		return 0, fmt.Errorf("sqlite: save: %w", err)
	}

	if err := s.turn.Take(ctx); err != nil {
		return 0, fmt.Errorf("sqlite: save: %w", err)
	}
	defer s.turn.Done()
	s.stmts.PreparePending(ctx, s.db)
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return 0, fmt.Errorf("sqlite: save: %w", err)
	}
	defer tx.Rollback() // a no-op after Commit
	conn := sqlrows.StmtConn{Tx: tx, Stmts: &s.stmts}

	raw := ev.Raw
	if raw == nil {
		raw = []byte{} // the driver binds a nil slice as NULL; an empty body is still a body
	}
	res, err := conn.ExecContext(ctx, insertEventSQL,
		ev.SdkAppID, ev.Command, ev.RoomID, sqlrows.NullIfZero(ev.EventTime),
		ev.ClientIP, ev.OptPlatform, ev.RequestID, ev.ReceivedAt.UnixMilli(), raw, ev.Digest())
	if err != nil {
		return 0, fmt.Errorf("sqlite: save: archive event: %w", err)
	}
	if n, err := res.RowsAffected(); err != nil {
		return 0, fmt.Errorf("sqlite: save: archive event: %w", err)
	} else if n == 0 {
		// The key is already archived. Nothing was written; the deferred rollback ends the
		// transaction. The archive must still be the file at the path for that to count.
		if err := s.checkFile(); err != nil {
			return 0, fmt.Errorf("sqlite: save: %w", err)
		}
		return callback.OutcomeDuplicate, nil
	}

	outcome := callback.OutcomeIgnored
	if ev.Payload != nil {
		rows := &sqlrows.Tx{Conn: conn, App: ev.SdkAppID, Room: ev.RoomID}
		changed, err := callback.Project(ctx, rows, ev)
		if err != nil {
			return 0, fmt.Errorf("sqlite: save: %w", err)
		}
		outcome = callback.OutcomeStale
		if changed {
			outcome = callback.OutcomeStored
		}
	}
	// Only commit to the file at the path (see checkFile); otherwise roll back and fail.
	if err := s.checkFile(); err != nil {
		return 0, fmt.Errorf("sqlite: save: %w", err)
	}
	if err := tx.Commit(); err != nil {
		return 0, fmt.Errorf("sqlite: save: commit: %w", err)
	}
	return outcome, nil
}
