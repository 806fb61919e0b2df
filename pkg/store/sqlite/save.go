package sqlite

import (
	"context"
	"database/sql"
	"fmt"
	"strings"

	"github.com/roomhook/roomhook/pkg/callback"
	"github.com/roomhook/roomhook/pkg/store/internal/sqlrows"
)

const insertEventSQL = `INSERT INTO callback_events
	(sdk_app_id, callback_command, room_id, event_time, client_ip, opt_platform, request_id, received_at, raw_body)
	VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)
	ON CONFLICT (sdk_app_id, callback_command, room_id, event_time) DO NOTHING`

// upsertRoomSQL replaces the whole row, absent fields included, but only with a strictly newer
// event: the projection reflects the latest create-room event, never a merge of several, and
// never moves backwards when deliveries arrive out of order.
var upsertRoomSQL = func() string {
	set := make([]string, len(sqlrows.RoomColumns))
	for i, c := range sqlrows.RoomColumns {
		set[i] = c + " = excluded." + c
	}
	return `INSERT INTO rooms (sdk_app_id, room_id, ` + strings.Join(sqlrows.RoomColumns, ", ") + `)
	VALUES (?, ?` + strings.Repeat(", ?", len(sqlrows.RoomColumns)) + `)
	ON CONFLICT (sdk_app_id, room_id) DO UPDATE SET ` + strings.Join(set, ", ") + `
	WHERE rooms.event_time < excluded.event_time`
}()

// Save archives ev and, for a projected command, updates the room, in one write transaction;
// see callback.Store for the outcomes. The transaction takes SQLite's write lock at BEGIN, so
// two processes delivering the same event are serialised and the second sees the first's row.
//
// When ev.Room is set, ev.RoomID and ev.EventTime must equal Room.RoomInfo.RoomID and
// Room.EventTime: the archive key and the projection must describe the same event. A mismatch
// is a bug in the caller and returns an error without writing anything.
func (s *Store) Save(ctx context.Context, ev *callback.Event) (callback.Outcome, error) {
	if err := ev.Check(); err != nil {
		return 0, fmt.Errorf("sqlite: save: %w", err)
	}
	var invitees sql.NullString
	if ev.Room != nil && ev.Room.ScheduleInviteeList != nil {
		b, err := sqlrows.MarshalAccounts(ev.Room.ScheduleInviteeList)
		if err != nil {
			return 0, fmt.Errorf("sqlite: save: invitee list: %w", err)
		}
		invitees = sql.NullString{String: b, Valid: true}
	}

	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return 0, fmt.Errorf("sqlite: save: %w", err)
	}
	defer tx.Rollback() // a no-op after Commit

	raw := ev.Raw
	if raw == nil {
		raw = []byte{} // the driver binds a nil slice as NULL; an empty body is still a body
	}
	res, err := tx.StmtContext(ctx, s.insertEvent).ExecContext(ctx,
		ev.SdkAppID, ev.Command, ev.RoomID, sqlrows.NullIfZero(ev.EventTime),
		ev.ClientIP, ev.OptPlatform, ev.RequestID, ev.ReceivedAt.UnixMilli(), raw)
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
	if ev.Room != nil {
		args := append([]any{ev.SdkAppID, ev.RoomID}, sqlrows.RoomValues(ev, invitees)...)
		res, err := tx.StmtContext(ctx, s.upsertRoom).ExecContext(ctx, args...)
		if err != nil {
			return 0, fmt.Errorf("sqlite: save: update room: %w", err)
		}
		n, err := res.RowsAffected()
		if err != nil {
			return 0, fmt.Errorf("sqlite: save: update room: %w", err)
		}
		outcome = callback.OutcomeStale
		if n > 0 {
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
