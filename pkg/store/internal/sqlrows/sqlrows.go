// Package sqlrows holds what the database/sql backends (sqlite, mysql) share about the rows they
// keep: the room projection's column list and values, and reading both tables back. Their SQL
// differs only in the upsert and the schema, which stay in each backend; this code is the same
// for both because both speak "?" placeholders and store booleans as 0/1 integers. The
// PostgreSQL backend (pgx's pgconn, not database/sql) shares only RoomColumns.
package sqlrows

import (
	"bytes"
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/roomhook/roomhook/pkg/callback"
)

// Queryer is the part of *sql.DB the readers need.
type Queryer interface {
	QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row
	QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error)
}

// RoomColumns lists the projected columns of rooms after the key (sdk_app_id, room_id), in the
// order RoomValues produces and Room reads them. Keeping one list makes the INSERT, the
// UPDATE and the SELECT agree by construction.
var RoomColumns = []string{
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

var selectRoomSQL = `SELECT ` + strings.Join(RoomColumns, ", ") + `
	FROM rooms WHERE sdk_app_id = ? AND room_id = ?`

const selectEventsSQL = `SELECT sdk_app_id, callback_command, room_id, event_time, client_ip,
	opt_platform, request_id, received_at, raw_body
	FROM callback_events WHERE sdk_app_id = ? ORDER BY id`

// Room reads the projection of one room through db, or an error wrapping callback.ErrNotFound.
func Room(ctx context.Context, db Queryer, backend string, sdkAppID int64, roomID string) (*callback.RoomRecord, error) {
	var (
		roomName, roomType, owner, customInfo, status, seatMode sql.NullString
		operator, invitees                                      sql.NullString
		maxMembers, maxSeats, start, end, created               sql.NullInt64
		video, audio, message, screen, recording, seat          sql.NullInt64
		command                                                 string
		eventTime, updatedAt                                    int64
	)
	err := db.QueryRowContext(ctx, selectRoomSQL, sdkAppID, roomID).Scan(
		&roomName, &roomType, &owner, &maxMembers, &maxSeats,
		&video, &audio, &message, &screen, &recording,
		&customInfo, &start, &end, &status, &seat, &seatMode, &created,
		&operator, &invitees, &command, &eventTime, &updatedAt)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, fmt.Errorf(backend+": room %q of app %d: %w", roomID, sdkAppID, callback.ErrNotFound)
	}
	if err != nil {
		return nil, fmt.Errorf(backend+": read room: %w", err)
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
			return nil, fmt.Errorf(backend+": read room: schedule_invitee_list_account is not a JSON array of strings: %w", err)
		}
		if list == nil {
			list = []string{} // a stored "[]" is an empty list, not an absent one
		}
		rec.Room.ScheduleInviteeList = list
	}
	return rec, nil
}

// Events reads the archive rows of one app through db in the order they were archived. An app with no
// rows yields an empty result, not an error.
func Events(ctx context.Context, db Queryer, backend string, sdkAppID int64) ([]callback.Event, error) {
	rows, err := db.QueryContext(ctx, selectEventsSQL, sdkAppID)
	if err != nil {
		return nil, fmt.Errorf(backend+": read events: %w", err)
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
			return nil, fmt.Errorf(backend+": read events: %w", err)
		}
		ev.EventTime = eventTime.Int64 // 0 when NULL, as in Event
		ev.ReceivedAt = time.UnixMilli(receivedAt).UTC()
		if ev.Raw == nil {
			ev.Raw = []byte{}
		}
		events = append(events, ev)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf(backend+": read events: %w", err)
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

// RoomValues returns the values of RoomColumns for ev, in that order.
func RoomValues(ev *callback.Event, invitees sql.NullString) []any {
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

// MarshalAccounts encodes the invitee list as a JSON array of strings, without HTML escaping
// so that users reading the column see the accounts as sent.
func MarshalAccounts(accounts []string) (string, error) {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(accounts); err != nil {
		return "", err
	}
	return strings.TrimSuffix(buf.String(), "\n"), nil
}

// NullIfZero stores an absent EventTime (0) as NULL.
func NullIfZero(v int64) sql.NullInt64 { return sql.NullInt64{Int64: v, Valid: v != 0} }

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
