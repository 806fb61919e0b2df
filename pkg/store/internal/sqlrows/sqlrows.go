// Package sqlrows holds what the database/sql backends (sqlite, mysql) share about the rows they
// keep: the projection's Tx (rows read and written by the callback.Table descriptors, the
// room's archived events) and reading the archive back. Their SQL differs only in the archive
// insert, the room lock and the schema, which stay in each backend; this code is the same for
// both because both speak "?" placeholders and store booleans as 0/1 integers and lists as JSON
// text.
package sqlrows

import (
	"bytes"
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/roomhook/roomhook/pkg/callback"
	"github.com/roomhook/roomhook/pkg/store/internal/sqltext"
)

// Queryer is the part of *sql.DB the readers need.
type Queryer interface {
	QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row
	QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error)
}

// Events reads the archive rows of one app through db in the order they were archived. An app with no
// rows yields an empty result, not an error.
func Events(ctx context.Context, db Queryer, backend string, sdkAppID int64) ([]callback.Event, error) {
	events, err := queryEvents(ctx, db, sqltext.Question.Events(), sdkAppID)
	if err != nil {
		return nil, fmt.Errorf(backend+": read events: %w", err)
	}
	return events, nil
}

// queryEvents runs q, a SELECT of sqltext.EventColumns, and decodes its rows in order: a NULL
// event_time is 0, received_at a UTC time, raw_body never nil, as callback.Event says. Its
// errors say nothing of the backend: the caller says what it was reading.
func queryEvents(ctx context.Context, db Queryer, q string, args ...any) ([]callback.Event, error) {
	return scanEvents(ctx, db, false, q, args...)
}

// scanEvents is queryEvents; withID, the SELECT has the row's id after the event's columns
// and it becomes the event's ArchiveID (the purge's Expired).
func scanEvents(ctx context.Context, db Queryer, withID bool, q string, args ...any) ([]callback.Event, error) {
	rows, err := db.QueryContext(ctx, q, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()

	var events []callback.Event
	for rows.Next() {
		var (
			ev         callback.Event
			eventTime  sql.NullInt64
			receivedAt int64
			id         int64
		)
		dest := []any{&ev.SdkAppID, &ev.Command, &ev.RoomID, &eventTime, &ev.ClientIP,
			&ev.OptPlatform, &ev.RequestID, &receivedAt, &ev.Raw}
		if withID {
			dest = append(dest, &id)
		}
		if err := rows.Scan(dest...); err != nil {
			return nil, err
		}
		ev.EventTime = eventTime.Int64 // 0 when NULL, as in Event
		ev.ReceivedAt = time.UnixMilli(receivedAt).UTC()
		if ev.Raw == nil {
			ev.Raw = []byte{}
		}
		if withID {
			ev.ArchiveID = sqltext.ArchiveID(id)
		}
		events = append(events, ev)
	}
	if err := rows.Err(); err != nil {
		return nil, err
	}
	return events, nil
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

// Turns admits at most n saves at a time to a pool of n connections, first come first served.
// database/sql hands a freed connection to a random waiter, so under a burst a few saves waited
// many times longer than the rest; a channel's waiters are served in the order they came.
type Turns chan struct{}

// NewTurns returns Turns for n connections.
func NewTurns(n int) Turns { return make(Turns, n) }

// Take waits for a turn, or for ctx to end.
func (t Turns) Take(ctx context.Context) error {
	select {
	case t <- struct{}{}:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// Done ends a turn Take gave.
func (t Turns) Done() { <-t }

// MarshalInts is the JSON text of a list of integers, as a KindInts column holds it: "[1,2]",
// "[]" for an empty list.
func MarshalInts(list []int64) string {
	b := make([]byte, 0, 2+len(list)*4)
	b = append(b, '[')
	for i, n := range list {
		if i > 0 {
			b = append(b, ',')
		}
		b = strconv.AppendInt(b, n, 10)
	}
	return string(append(b, ']'))
}

// UnmarshalInts reads a KindInts column's JSON text back; a stored "[]" is an empty list, not
// an absent one. Every element must be an integer that fits in 64 bits.
func UnmarshalInts(s string) ([]int64, error) {
	var raw []json.RawMessage
	if err := json.Unmarshal([]byte(s), &raw); err != nil || raw == nil {
		return nil, fmt.Errorf("not a JSON array of integers: %q", s)
	}
	list := make([]int64, len(raw))
	for i, n := range raw {
		// ParseInt takes only digits and a sign: a quoted number, a fraction or null is refused.
		v, err := strconv.ParseInt(string(n), 10, 64)
		if err != nil {
			return nil, fmt.Errorf("not a JSON array of integers: element %d is %s", i, n)
		}
		list[i] = v
	}
	return list, nil
}

// NullIfZero stores an absent EventTime (0) as NULL.
func NullIfZero(v int64) sql.NullInt64 { return sql.NullInt64{Int64: v, Valid: v != 0} }
