package postgres

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"time"

	"github.com/jackc/pgx/v5/pgconn"

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

// eventsResultFormats reads every column of selectEventsSQL as text but raw_body, in binary:
// the bytes themselves rather than bytea's hex text.
var eventsResultFormats = []int16{
	formatText, formatText, formatText, formatText, formatText,
	formatText, formatText, formatText, formatBinary,
}

// Room returns the projection of one room, or an error wrapping callback.ErrNotFound.
func (s *Store) Room(ctx context.Context, sdkAppID int64, roomID string) (*callback.RoomRecord, error) {
	p := &params{}
	p.int8(sdkAppID)
	p.text(roomID)
	var (
		rec      *callback.RoomRecord
		invitees *string
	)
	err := s.withConn(ctx, func(conn *pgconn.PgConn) error {
		return query(ctx, conn, selectRoomSQL, p, nil, func(r *row) error {
			info := callback.RoomInfo{
				RoomID:                   roomID,
				RoomName:                 r.textPtr(),
				RoomType:                 r.textPtr(),
				OwnerAccount:             r.textPtr(),
				MaxMemberCount:           r.int8Ptr(),
				MaxSeatCount:             r.int8Ptr(),
				IsVideoDisabled:          r.boolPtr(),
				IsAudioDisabled:          r.boolPtr(),
				IsMessageDisabled:        r.boolPtr(),
				IsScreenSharingDisabled:  r.boolPtr(),
				IsCloudRecordingDisabled: r.boolPtr(),
				CustomInfo:               r.textPtr(),
				ScheduleStartTime:        r.int8Ptr(),
				ScheduleEndTime:          r.int8Ptr(),
				RoomStatus:               r.textPtr(),
				IsSeatEnabled:            r.boolPtr(),
				TakeSeatMode:             r.textPtr(),
				CreateTime:               r.int8Ptr(),
			}
			rec = &callback.RoomRecord{SdkAppID: sdkAppID}
			rec.Room.RoomInfo = info
			rec.Room.OperatorAccount = r.textPtr()
			invitees = r.textPtr()
			rec.Room.CallbackCommand = r.text()
			rec.Room.EventTime = r.int8()
			rec.UpdatedAt = time.UnixMilli(r.int8()).UTC()
			return nil
		})
	})
	if err != nil {
		return nil, wrapError(s.secrets, err, "postgres: read room")
	}
	if rec == nil {
		return nil, fmt.Errorf("postgres: room %q of app %d: %w", roomID, sdkAppID, callback.ErrNotFound)
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
	p := &params{}
	p.int8(sdkAppID)
	var events []callback.Event
	err := s.withConn(ctx, func(conn *pgconn.PgConn) error {
		return query(ctx, conn, selectEventsSQL, p, eventsResultFormats, func(r *row) error {
			ev := callback.Event{
				SdkAppID: r.int8(),
				Command:  r.text(),
				RoomID:   r.text(),
			}
			if t := r.int8Ptr(); t != nil {
				ev.EventTime = *t // 0 when NULL, as in Event
			}
			ev.ClientIP = r.text()
			ev.OptPlatform = r.text()
			ev.RequestID = r.text()
			ev.ReceivedAt = time.UnixMilli(r.int8()).UTC()
			ev.Raw = r.bytes()
			events = append(events, ev)
			return nil
		})
	})
	if err != nil {
		return nil, wrapError(s.secrets, err, "postgres: read events")
	}
	return events, nil
}

// withConn runs f on a connection of the pool.
func (s *Store) withConn(ctx context.Context, f func(conn *pgconn.PgConn) error) error {
	pc, err := s.pool.acquire(ctx)
	if err != nil {
		return err
	}
	defer s.pool.release(pc)
	return f(pc.conn)
}
