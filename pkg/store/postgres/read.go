package postgres

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5/pgconn"

	"github.com/roomhook/roomhook/pkg/callback"
	"github.com/roomhook/roomhook/pkg/store/internal/sqltext"
)

// eventsResultFormats reads every column of sqltext.EventColumns as text but raw_body, in
// binary: the bytes themselves rather than bytea's hex text.
var eventsResultFormats = []int16{
	formatText, formatText, formatText, formatText, formatText,
	formatText, formatText, formatText, formatBinary,
}

var _ callback.Lister = (*Store)(nil)

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
	events, err := s.readEvents(ctx, sqltext.Dollar.Events(), p)
	if err != nil {
		return nil, wrapError(s.secrets, err, "postgres: read events")
	}
	return events, nil
}

// AppRooms returns every rooms row of one app, in any order (callback.Lister): a range of the
// rooms table's primary key. An app without rooms yields an empty result, not an error.
func (s *Store) AppRooms(ctx context.Context, sdkAppID int64) ([]callback.Row, error) {
	p := &params{}
	p.int8(sdkAppID)
	rows, err := s.readTable(ctx, callback.RoomsTable, statementsOf(callback.RoomsTable).App, p)
	if err != nil {
		return nil, wrapError(s.secrets, err, "postgres: list rooms")
	}
	return rows, nil
}

// Gifts returns the gift ledger rows q selects, newest first (callback.Lister), delivery_id in
// the "C" collation, byte by byte (sqltext.Dollar). It reads the app's (or the room's) range of
// the ledger's primary key, filters it by q.Since and sorts what is left.
func (s *Store) Gifts(ctx context.Context, q callback.ListQuery) ([]callback.Row, error) {
	text, args := sqltext.Dollar.ListGifts(q)
	p, err := listParams(args)
	var rows []callback.Row
	if err == nil {
		rows, err = s.readTable(ctx, callback.GiftsTable, text, p)
	}
	if err != nil {
		return nil, wrapError(s.secrets, err, "postgres: list gifts")
	}
	return rows, nil
}

// Archive returns the archived events q selects, newest first (callback.Lister): one SELECT
// (sqltext's ListArchive says what it costs), which reads a snapshot and so holds up no save.
func (s *Store) Archive(ctx context.Context, q callback.ListQuery) ([]callback.Event, error) {
	text, args := sqltext.Dollar.ListArchive(q)
	p, err := listParams(args)
	var events []callback.Event
	if err == nil {
		events, err = s.readEvents(ctx, text, p)
	}
	if err != nil {
		return nil, wrapError(s.secrets, err, "postgres: list events")
	}
	return events, nil
}

// readTable runs sql, a SELECT of every column of t in order (sqltext.Dollar), on a connection
// of the pool and decodes its rows.
func (s *Store) readTable(ctx context.Context, t *callback.Table, sql string, p *params) ([]callback.Row, error) {
	var rows []callback.Row
	err := s.withConn(ctx, func(conn *pgconn.PgConn) error {
		return query(ctx, conn, sql, p, nil, func(r *row) error {
			rows = append(rows, scanRow(t, r))
			return nil
		})
	})
	return rows, err
}

// readEvents runs sql, a SELECT of sqltext.EventColumns, on a connection of the pool and
// decodes its rows in order: a NULL event_time is 0, received_at a UTC time, raw_body never
// nil, as callback.Event says.
func (s *Store) readEvents(ctx context.Context, sql string, p *params) ([]callback.Event, error) {
	var events []callback.Event
	err := s.withConn(ctx, func(conn *pgconn.PgConn) error {
		return query(ctx, conn, sql, p, eventsResultFormats, func(r *row) error {
			events = append(events, scanEvent(r))
			return nil
		})
	})
	return events, err
}

// scanEvent decodes the sqltext.EventColumns of r, in their order, as callback.Event says.
func scanEvent(r *row) callback.Event {
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
	return ev
}

// listParams are the parameters of a Lister's SELECT (sqltext's ListArchive, ListGifts): the
// int64 and string values it binds, as int8 and text.
func listParams(args []any) (*params, error) {
	p := &params{}
	for i, v := range args {
		switch v := v.(type) {
		case int64:
			p.int8(v)
		case string:
			p.text(v)
		default:
			// sqltext binds only these two; another type is a bug there, not a value to guess at.
			return nil, fmt.Errorf("parameter %d is a %T", i+1, v)
		}
	}
	return p, nil
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
