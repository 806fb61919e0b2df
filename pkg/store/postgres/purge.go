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

var _ callback.Purger = (*Store)(nil)

// expiredResultFormats reads Expired's columns: sqltext.EventColumns as readEvents does, then
// the id as text.
var expiredResultFormats = append(append([]int16{}, eventsResultFormats...), formatText)

// Expired returns up to n archived events of app received before cutoff, in archive order
// (id), after the position after (callback.Purger); each ArchiveID is the row's id in decimal,
// which the identity column never gives twice. One SELECT (sqltext's Expired says what it costs)
// on a connection of the pool, outside any transaction: it reads a snapshot and locks nothing.
func (s *Store) Expired(ctx context.Context, app int64, cutoff time.Time, after string, n int) ([]callback.Event, string, error) {
	text, args, err := sqltext.PostgresPurge.Expired(app, cutoff, after, n)
	if err != nil {
		return nil, "", fmt.Errorf("postgres: purge: %w", err)
	}
	p, err := listParams(args)
	if err != nil {
		return nil, "", fmt.Errorf("postgres: purge: %w", err)
	}
	var events []callback.Event
	err = s.withConn(ctx, func(conn *pgconn.PgConn) error {
		return query(ctx, conn, text, p, expiredResultFormats, func(r *row) error {
			ev := scanEvent(r) // the event's columns, then the id
			ev.ArchiveID = sqltext.ArchiveID(r.int8())
			events = append(events, ev)
			return nil
		})
	})
	if err != nil {
		return nil, "", wrapError(s.secrets, err, "postgres: purge: read expired events")
	}
	events, next := sqltext.ExpiredPage(events, n)
	return events, next, nil
}

// RoomArchived returns the archived events of one room that q selects (callback.Purger): the
// SELECT a save's projection runs (archiveQuery), on a connection of the pool outside any
// transaction, so without the room's advisory lock, which only a save takes.
func (s *Store) RoomArchived(ctx context.Context, app int64, room string, q callback.ArchiveQuery) ([]callback.Archived, error) {
	text, p := archiveQuery(app, room, q)
	var out []callback.Archived
	err := s.withConn(ctx, func(conn *pgconn.PgConn) error {
		return query(ctx, conn, text, p, archivedResultFormats, func(r *row) error {
			out = append(out, scanArchived(r))
			return nil
		})
	})
	if err != nil {
		return nil, wrapError(s.secrets, err, "postgres: purge: read the archive")
	}
	return out, nil
}

// Delete removes app's archive rows that ids name (callback.Purger) with one DELETE
// (sqltext's DeleteArchive), of callback_events only, in its own transaction (one statement,
// committed by the server as it ends), and returns how many rows it removed. Ids that do not
// read back, or more than sqltext.MaxDeleteIDs of them, are an error before anything is sent;
// no ids, nothing is. A store opened read-only refuses it, as it refuses Save.
//
// The DELETE locks the rows it deletes, nothing else: saves inserting new archive rows beside
// it do not wait, and a re-delivery of an event whose row it is deleting waits for it on that
// key and is then archived again. It takes no advisory lock. It is not run again after an
// error: a connection broken after the server ran it may have committed it.
func (s *Store) Delete(ctx context.Context, app int64, ids []string) (int, error) {
	if s.readOnly {
		return 0, errors.New("postgres: purge: the store was opened read-only")
	}
	text, args, err := sqltext.PostgresPurge.DeleteArchive(app, ids)
	if err != nil {
		return 0, fmt.Errorf("postgres: purge: %w", err)
	}
	if text == "" {
		return 0, nil
	}
	p, err := listParams(args)
	if err != nil {
		return 0, fmt.Errorf("postgres: purge: %w", err)
	}
	var n int64
	err = s.withConn(ctx, func(conn *pgconn.PgConn) error {
		tag, err := exec(ctx, conn, text, p)
		n = tag.RowsAffected()
		return err
	})
	if err != nil {
		return 0, wrapError(s.secrets, err, "postgres: purge: delete")
	}
	return int(n), nil
}
