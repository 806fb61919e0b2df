package postgres

import (
	"context"
	"errors"
	"time"

	"github.com/jackc/pgx/v5/pgconn"

	"github.com/roomhook/roomhook/pkg/callback"
)

const selectEventsSQL = `SELECT sdk_app_id, callback_command, room_id, event_time, client_ip,
	opt_platform, request_id, received_at, raw_body
	FROM callback_events WHERE sdk_app_id = $1 ORDER BY id`

// eventsResultFormats reads every column of selectEventsSQL as text but raw_body, in binary:
// the bytes themselves rather than bytea's hex text.
var eventsResultFormats = []int16{
	formatText, formatText, formatText, formatText, formatText,
	formatText, formatText, formatText, formatBinary,
}

// Rows returns the rows of t of one room, in any order (callback.Reader).
func (s *Store) Rows(ctx context.Context, t *callback.Table, sdkAppID int64, roomID string) ([]callback.Row, error) {
	var rows []callback.Row
	err := s.withConn(ctx, func(conn *pgconn.PgConn) error {
		var err error
		rows, err = readRows(ctx, conn, t, statementsOf(t).Room, roomParams(sdkAppID, roomID))
		return err
	})
	if err != nil {
		var se *stepError
		if errors.As(err, &se) {
			err = se.err
		}
		return nil, wrapError(s.secrets, err, "postgres: read "+t.Name)
	}
	return rows, nil
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
