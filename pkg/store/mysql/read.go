package mysql

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/roomhook/roomhook/pkg/callback"
)

var selectRoomSQL = `SELECT ` + strings.Join(roomColumns, ", ") + `
	FROM rooms WHERE sdk_app_id = ? AND room_id = ?`

const selectEventsSQL = `SELECT sdk_app_id, callback_command, room_id, event_time, client_ip,
	opt_platform, request_id, received_at, raw_body
	FROM callback_events WHERE sdk_app_id = ? ORDER BY id`

// Room returns the projection of one room, or an error wrapping callback.ErrNotFound.
func (s *Store) Room(ctx context.Context, sdkAppID int64, roomID string) (*callback.RoomRecord, error) {
	var (
		roomName, roomType, owner, customInfo, status, seatMode sql.NullString
		operator, invitees                                      sql.NullString
		maxMembers, maxSeats, start, end, created               sql.NullInt64
		video, audio, message, screen, recording, seat          sql.NullInt64
		command                                                 string
		eventTime, updatedAt                                    int64
	)
	err := s.db.QueryRowContext(ctx, selectRoomSQL, sdkAppID, roomID).Scan(
		&roomName, &roomType, &owner, &maxMembers, &maxSeats,
		&video, &audio, &message, &screen, &recording,
		&customInfo, &start, &end, &status, &seat, &seatMode, &created,
		&operator, &invitees, &command, &eventTime, &updatedAt)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, fmt.Errorf("mysql: room %q of app %d: %w", roomID, sdkAppID, callback.ErrNotFound)
	}
	if err != nil {
		return nil, fmt.Errorf("mysql: read room: %w", err)
	}

	info := callback.RoomInfo{
		RoomID:                   roomID,
		RoomName:                 stringPtr(roomName),
		RoomType:                 stringPtr(roomType),
		OwnerAccount:             stringPtr(owner),
		MaxMemberCount:           intPtr(maxMembers),
		MaxSeatCount:             intPtr(maxSeats),
		IsVideoDisabled:          boolPtr(video),
		IsAudioDisabled:          boolPtr(audio),
		IsMessageDisabled:        boolPtr(message),
		IsScreenSharingDisabled:  boolPtr(screen),
		IsCloudRecordingDisabled: boolPtr(recording),
		CustomInfo:               stringPtr(customInfo),
		ScheduleStartTime:        intPtr(start),
		ScheduleEndTime:          intPtr(end),
		RoomStatus:               stringPtr(status),
		IsSeatEnabled:            boolPtr(seat),
		TakeSeatMode:             stringPtr(seatMode),
		CreateTime:               intPtr(created),
	}
	rec := &callback.RoomRecord{
		SdkAppID: sdkAppID,
		Room: callback.RoomCreated{
			CallbackCommand: command,
			OperatorAccount: stringPtr(operator),
			RoomInfo:        info,
			EventTime:       eventTime,
		},
		UpdatedAt: time.UnixMilli(updatedAt).UTC(),
	}
	if invitees.Valid {
		var list []string
		if err := json.Unmarshal([]byte(invitees.String), &list); err != nil {
			return nil, fmt.Errorf("mysql: read room: schedule_invitee_list_account is not a JSON array of strings: %w", err)
		}
		if list == nil {
			list = []string{} // a stored "[]" is an empty list, not an absent one
		}
		rec.Room.ScheduleInviteeList = list
	}
	return rec, nil
}

// Events returns the archive rows of one app in the order they were archived. An app with no
// rows yields an empty result, not an error.
func (s *Store) Events(ctx context.Context, sdkAppID int64) ([]callback.Event, error) {
	rows, err := s.db.QueryContext(ctx, selectEventsSQL, sdkAppID)
	if err != nil {
		return nil, fmt.Errorf("mysql: read events: %w", err)
	}
	defer rows.Close()

	var events []callback.Event
	for rows.Next() {
		var (
			ev         callback.Event
			eventTime  sql.NullInt64
			receivedAt int64
		)
		if err := rows.Scan(&ev.SdkAppID, &ev.Command, &ev.RoomID, &eventTime, &ev.ClientIP,
			&ev.OptPlatform, &ev.RequestID, &receivedAt, &ev.Raw); err != nil {
			return nil, fmt.Errorf("mysql: read events: %w", err)
		}
		ev.EventTime = eventTime.Int64 // 0 when NULL, as in Event
		ev.ReceivedAt = time.UnixMilli(receivedAt).UTC()
		if ev.Raw == nil {
			ev.Raw = []byte{}
		}
		events = append(events, ev)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("mysql: read events: %w", err)
	}
	return events, nil
}

func stringPtr(v sql.NullString) *string {
	if !v.Valid {
		return nil
	}
	return &v.String
}

func intPtr(v sql.NullInt64) *int64 {
	if !v.Valid {
		return nil
	}
	return &v.Int64
}

func boolPtr(v sql.NullInt64) *bool {
	if !v.Valid {
		return nil
	}
	b := v.Int64 != 0
	return &b
}
