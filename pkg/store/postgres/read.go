package postgres

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/roomhook/roomhook/pkg/callback"
)

// selectRoomSQL reads roomColumns in order; the JSONB invitee list comes back as its text.
var selectRoomSQL = func() string {
	cols := make([]string, len(roomColumns))
	for i, c := range roomColumns {
		cols[i] = c
		if c == inviteesColumn {
			cols[i] = c + "::text"
		}
	}
	return `SELECT ` + strings.Join(cols, ", ") + `
	FROM rooms WHERE sdk_app_id = $1 AND room_id = $2`
}()

const selectEventsSQL = `SELECT sdk_app_id, callback_command, room_id, event_time, client_ip,
	opt_platform, request_id, received_at, raw_body
	FROM callback_events WHERE sdk_app_id = $1 ORDER BY id`

// Room returns the projection of one room, or an error wrapping callback.ErrNotFound.
func (s *Store) Room(ctx context.Context, sdkAppID int64, roomID string) (*callback.RoomRecord, error) {
	var (
		info                 = callback.RoomInfo{RoomID: roomID}
		operator, invitees   *string
		command              string
		eventTime, updatedAt int64
	)
	err := s.pool.QueryRow(ctx, selectRoomSQL, sdkAppID, roomID).Scan(
		&info.RoomName, &info.RoomType, &info.OwnerAccount, &info.MaxMemberCount, &info.MaxSeatCount,
		&info.IsVideoDisabled, &info.IsAudioDisabled, &info.IsMessageDisabled,
		&info.IsScreenSharingDisabled, &info.IsCloudRecordingDisabled,
		&info.CustomInfo, &info.ScheduleStartTime, &info.ScheduleEndTime, &info.RoomStatus,
		&info.IsSeatEnabled, &info.TakeSeatMode, &info.CreateTime,
		&operator, &invitees, &command, &eventTime, &updatedAt)
	if errors.Is(err, pgx.ErrNoRows) {
		return nil, fmt.Errorf("postgres: room %q of app %d: %w", roomID, sdkAppID, callback.ErrNotFound)
	}
	if err != nil {
		return nil, wrapError(s.secrets, err, "postgres: read room")
	}

	rec := &callback.RoomRecord{
		SdkAppID: sdkAppID,
		Room: callback.RoomCreated{
			CallbackCommand: command,
			OperatorAccount: operator,
			RoomInfo:        info,
			EventTime:       eventTime,
		},
		UpdatedAt: time.UnixMilli(updatedAt).UTC(),
	}
	if invitees != nil {
		var list []string
		if err := json.Unmarshal([]byte(*invitees), &list); err != nil {
			return nil, fmt.Errorf("postgres: read room: schedule_invitee_list_account is not a JSON array of strings: %w", err)
		}
		if list == nil {
			list = []string{} // a stored [] is an empty list, not an absent one
		}
		rec.Room.ScheduleInviteeList = list
	}
	return rec, nil
}

// Events returns the archive rows of one app in the order they were archived. An app with no
// rows yields an empty result, not an error.
func (s *Store) Events(ctx context.Context, sdkAppID int64) ([]callback.Event, error) {
	rows, err := s.pool.Query(ctx, selectEventsSQL, sdkAppID)
	if err != nil {
		return nil, wrapError(s.secrets, err, "postgres: read events")
	}
	defer rows.Close()

	var events []callback.Event
	for rows.Next() {
		var (
			ev         callback.Event
			eventTime  *int64
			receivedAt int64
		)
		if err := rows.Scan(&ev.SdkAppID, &ev.Command, &ev.RoomID, &eventTime, &ev.ClientIP,
			&ev.OptPlatform, &ev.RequestID, &receivedAt, &ev.Raw); err != nil {
			return nil, wrapError(s.secrets, err, "postgres: read events")
		}
		if eventTime != nil {
			ev.EventTime = *eventTime // 0 when NULL, as in Event
		}
		ev.ReceivedAt = time.UnixMilli(receivedAt).UTC()
		if ev.Raw == nil {
			ev.Raw = []byte{}
		}
		events = append(events, ev)
	}
	if err := rows.Err(); err != nil {
		return nil, wrapError(s.secrets, err, "postgres: read events")
	}
	return events, nil
}
