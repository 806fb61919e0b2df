package sqlite

import (
	"bytes"
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"strings"

	"github.com/roomhook/roomhook/pkg/callback"
)

// roomColumns lists the projected columns of rooms after the key (sdk_app_id, room_id), in the
// order roomValues produces and scanRoom reads them. Keeping one list makes the INSERT, the
// UPDATE and the SELECT agree by construction.
var roomColumns = []string{
	"room_name",
	"room_type",
	"owner_account",
	"max_member_count",
	"max_seat_count",
	"is_video_disabled",
	"is_audio_disabled",
	"is_message_disabled",
	"is_screen_sharing_disabled",
	"is_cloud_recording_disabled",
	"custom_info",
	"schedule_start_time",
	"schedule_end_time",
	"room_status",
	"is_seat_enabled",
	"take_seat_mode",
	"create_time",
	"operator_account",
	"schedule_invitee_list_account",
	"callback_command",
	"event_time",
	"updated_at",
}

const insertEventSQL = `INSERT INTO callback_events
	(sdk_app_id, callback_command, room_id, event_time, client_ip, opt_platform, request_id, received_at, raw_body)
	VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)
	ON CONFLICT (sdk_app_id, callback_command, room_id, event_time) DO NOTHING`

// upsertRoomSQL replaces the whole row, absent fields included, but only with a strictly newer
// event: the projection reflects the latest create-room event, never a merge of several, and
// never moves backwards when deliveries arrive out of order.
var upsertRoomSQL = func() string {
	set := make([]string, len(roomColumns))
	for i, c := range roomColumns {
		set[i] = c + " = excluded." + c
	}
	return `INSERT INTO rooms (sdk_app_id, room_id, ` + strings.Join(roomColumns, ", ") + `)
	VALUES (?, ?` + strings.Repeat(", ?", len(roomColumns)) + `)
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
	if ev == nil {
		return 0, errors.New("sqlite: save: nil event")
	}
	if r := ev.Room; r != nil {
		if r.RoomInfo.RoomID != ev.RoomID {
			return 0, fmt.Errorf("sqlite: save: event RoomID %q differs from RoomInfo.RoomId %q", ev.RoomID, r.RoomInfo.RoomID)
		}
		if r.EventTime != ev.EventTime {
			return 0, fmt.Errorf("sqlite: save: event EventTime %d differs from the payload's %d", ev.EventTime, r.EventTime)
		}
	}
	var invitees sql.NullString
	if ev.Room != nil && ev.Room.ScheduleInviteeList != nil {
		b, err := marshalAccounts(ev.Room.ScheduleInviteeList)
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
	res, err := tx.ExecContext(ctx, insertEventSQL,
		ev.SdkAppID, ev.Command, ev.RoomID, nullIfZero(ev.EventTime),
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
		args := append([]any{ev.SdkAppID, ev.RoomID}, roomValues(ev, invitees)...)
		res, err := tx.ExecContext(ctx, upsertRoomSQL, args...)
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

// roomValues returns the values of roomColumns for ev, in that order.
func roomValues(ev *callback.Event, invitees sql.NullString) []any {
	r := ev.Room
	i := &r.RoomInfo
	return []any{
		nullString(i.RoomName),
		nullString(i.RoomType),
		nullString(i.OwnerAccount),
		nullInt(i.MaxMemberCount),
		nullInt(i.MaxSeatCount),
		nullBool(i.IsVideoDisabled),
		nullBool(i.IsAudioDisabled),
		nullBool(i.IsMessageDisabled),
		nullBool(i.IsScreenSharingDisabled),
		nullBool(i.IsCloudRecordingDisabled),
		nullString(i.CustomInfo),
		nullInt(i.ScheduleStartTime),
		nullInt(i.ScheduleEndTime),
		nullString(i.RoomStatus),
		nullBool(i.IsSeatEnabled),
		nullString(i.TakeSeatMode),
		nullInt(i.CreateTime),
		nullString(r.OperatorAccount),
		invitees,
		ev.Command,
		ev.EventTime,
		ev.ReceivedAt.UnixMilli(),
	}
}

// marshalAccounts encodes the invitee list as a JSON array of strings, without HTML escaping
// so that users reading the column see the accounts as sent.
func marshalAccounts(accounts []string) (string, error) {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(accounts); err != nil {
		return "", err
	}
	return strings.TrimSuffix(buf.String(), "\n"), nil
}

func nullIfZero(v int64) sql.NullInt64 { return sql.NullInt64{Int64: v, Valid: v != 0} }

func nullString(p *string) sql.NullString {
	if p == nil {
		return sql.NullString{}
	}
	return sql.NullString{String: *p, Valid: true}
}

func nullInt(p *int64) sql.NullInt64 {
	if p == nil {
		return sql.NullInt64{}
	}
	return sql.NullInt64{Int64: *p, Valid: true}
}

func nullBool(p *bool) sql.NullInt64 {
	if p == nil {
		return sql.NullInt64{}
	}
	if *p {
		return sql.NullInt64{Int64: 1, Valid: true}
	}
	return sql.NullInt64{Int64: 0, Valid: true}
}
