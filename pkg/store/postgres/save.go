package postgres

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/jackc/pgx/v5/pgconn"

	"github.com/roomhook/roomhook/pkg/callback"
	"github.com/roomhook/roomhook/pkg/store/internal/sqlrows"
)

// roomColumns are the projected columns of rooms after the key, in the order roomParams
// produces and Room reads them: the same list as the database/sql backends'.
var roomColumns = sqlrows.RoomColumns

// inviteesColumn is the JSONB column; its parameter is sent as JSON text typed jsonb, and read
// back cast to text.
const inviteesColumn = "schedule_invitee_list_account"

const insertEventSQL = `INSERT INTO callback_events
	(sdk_app_id, callback_command, room_id, event_time, client_ip, opt_platform, request_id, received_at, raw_body)
	VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)
	ON CONFLICT (sdk_app_id, callback_command, room_id, event_time) DO NOTHING`

// upsertRoomSQL replaces the whole row, absent fields included, but only with a strictly newer
// event: the projection reflects the latest create-room event, never a merge of several, and
// never moves backwards when deliveries arrive out of order. A concurrent insert of the same
// room makes ON CONFLICT wait for the other transaction and then compare with its row.
var upsertRoomSQL = func() string {
	params := []string{"$1", "$2"}
	set := make([]string, len(roomColumns))
	for i, c := range roomColumns {
		params = append(params, "$"+strconv.Itoa(i+3))
		set[i] = c + " = excluded." + c
	}
	return `INSERT INTO rooms (sdk_app_id, room_id, ` + strings.Join(roomColumns, ", ") + `)
	VALUES (` + strings.Join(params, ", ") + `)
	ON CONFLICT (sdk_app_id, room_id) DO UPDATE SET ` + strings.Join(set, ", ") + `
	WHERE rooms.event_time < excluded.event_time`
}()

// Save archives ev and, for a projected command, updates the room, in one transaction; see
// callback.Store for the outcomes. Under PostgreSQL's READ COMMITTED isolation, a second
// delivery of the same event waits on the unique key until the first commits and then inserts
// nothing, so concurrent duplicates are stored exactly once. A transaction whose connection
// broke (the server restarted or dropped it) is run again on another connection while ctx
// allows.
//
// When ev.Room is set, ev.RoomID and ev.EventTime must equal Room.RoomInfo.RoomID and
// Room.EventTime: the archive key and the projection must describe the same event. A mismatch
// is a bug in the caller and returns an error without writing anything. PostgreSQL text holds
// neither NUL characters nor invalid UTF-8, so a string field holding either is refused the
// same way, naming the field; the raw body is bytea and is kept whatever it holds.
func (s *Store) Save(ctx context.Context, ev *callback.Event) (callback.Outcome, error) {
	if err := ev.Check(); err != nil {
		return 0, fmt.Errorf("postgres: save: %w", err)
	}
	if err := checkText(ev); err != nil {
		return 0, fmt.Errorf("postgres: save: %w", err)
	}
	var invitees *string
	if ev.Room != nil && ev.Room.ScheduleInviteeList != nil {
		b, err := marshalAccounts(ev.Room.ScheduleInviteeList)
		if err != nil {
			return 0, fmt.Errorf("postgres: save: invitee list: %w", err)
		}
		invitees = &b
	}
	event := eventParams(ev)
	var room *params
	if ev.Room != nil {
		room = roomParams(ev, invitees)
	}

	// A pooled connection the server dropped (a restart, a failover, a proxy's idle timeout)
	// is found dead only when the transaction is written to it: the pool pings a connection
	// only after it sat idle for a second. A transaction that failed because its connection
	// broke is run again on another (or a new) connection, at most once per pooled
	// connection and within ctx. That is safe even if the broken attempt had committed: Save
	// is idempotent, and the repeat finds the key and reports a duplicate.
	for attempt := 1; ; attempt++ {
		outcome, broken, err := s.save(ctx, event, room)
		if err == nil || !broken || attempt >= s.saveAttempts || ctx.Err() != nil {
			return outcome, s.saveError(err)
		}
	}
}

// saveError returns err, from save, as the store reports it: with every secret masked.
func (s *Store) saveError(err error) error {
	var se *stepError
	if !errors.As(err, &se) {
		return err
	}
	return wrapError(s.secrets, se.err, "postgres: save"+se.step)
}

// stepError is an error of one step of save, kept unmasked until Save has looked at it.
type stepError struct {
	step string // ": archive event", …, or "" for getting a connection and beginning
	err  error
}

func (e *stepError) Error() string { return e.err.Error() }
func (e *stepError) Unwrap() error { return e.err }

// save runs one attempt of Save: one transaction, archiving event and, when room is not nil,
// updating the room. broken reports that it failed because its connection broke (the
// connection is closed now, or nothing reached the server), not because the server refused
// something or the context ended.
func (s *Store) save(ctx context.Context, event, room *params) (outcome callback.Outcome, broken bool, err error) {
	pc, err := s.pool.acquire(ctx)
	if err != nil {
		// No connection to be had (the server refused it, or ctx ended): nothing to retry on.
		return 0, false, &stepError{"", err}
	}
	conn := pc.conn
	defer s.pool.release(pc) // closes conn if it is still inside the transaction
	defer func() {
		if err != nil {
			broken = conn.IsClosed() || pgconn.SafeToRetry(err)
		}
	}()
	if err := begin(ctx, conn); err != nil {
		return 0, false, &stepError{"", err}
	}
	defer rollback(ctx, conn) // a no-op after commit

	tag, err := exec(ctx, conn, insertEventSQL, event)
	if err != nil {
		return 0, false, &stepError{": archive event", err}
	}
	if tag.RowsAffected() == 0 {
		// The key is already archived. Nothing was written; the deferred rollback ends the
		// transaction.
		return callback.OutcomeDuplicate, false, nil
	}

	outcome = callback.OutcomeIgnored
	if room != nil {
		tag, err := exec(ctx, conn, upsertRoomSQL, room)
		if err != nil {
			return 0, false, &stepError{": update room", err}
		}
		outcome = callback.OutcomeStale
		if tag.RowsAffected() > 0 {
			outcome = callback.OutcomeStored
		}
	}
	if err := commit(ctx, conn); err != nil {
		return 0, false, &stepError{": commit", err}
	}
	return outcome, false, nil
}

// eventParams are the parameters of insertEventSQL for ev. An absent EventTime (0) is NULL;
// the raw body goes in binary, byte for byte, and a nil body is empty, not NULL.
func eventParams(ev *callback.Event) *params {
	p := &params{}
	p.int8(ev.SdkAppID)
	p.text(ev.Command)
	p.text(ev.RoomID)
	if ev.EventTime == 0 {
		p.int8Ptr(nil)
	} else {
		p.int8(ev.EventTime)
	}
	p.text(ev.ClientIP)
	p.text(ev.OptPlatform)
	p.text(ev.RequestID)
	p.int8(ev.ReceivedAt.UnixMilli())
	p.bytea(ev.Raw)
	return p
}

// roomParams are the parameters of upsertRoomSQL for ev: the key, then roomColumns in order.
// A nil pointer is NULL.
func roomParams(ev *callback.Event, invitees *string) *params {
	r := ev.Room
	i := &r.RoomInfo
	p := &params{}
	p.int8(ev.SdkAppID)
	p.text(ev.RoomID)
	p.textPtr(i.RoomName)
	p.textPtr(i.RoomType)
	p.textPtr(i.OwnerAccount)
	p.int8Ptr(i.MaxMemberCount)
	p.int8Ptr(i.MaxSeatCount)
	p.boolPtr(i.IsVideoDisabled)
	p.boolPtr(i.IsAudioDisabled)
	p.boolPtr(i.IsMessageDisabled)
	p.boolPtr(i.IsScreenSharingDisabled)
	p.boolPtr(i.IsCloudRecordingDisabled)
	p.textPtr(i.CustomInfo)
	p.int8Ptr(i.ScheduleStartTime)
	p.int8Ptr(i.ScheduleEndTime)
	p.textPtr(i.RoomStatus)
	p.boolPtr(i.IsSeatEnabled)
	p.textPtr(i.TakeSeatMode)
	p.int8Ptr(i.CreateTime)
	p.textPtr(r.OperatorAccount)
	p.jsonbPtr(invitees)
	p.text(ev.Command)
	p.int8(ev.EventTime)
	p.int8(ev.ReceivedAt.UnixMilli())
	return p
}

// textField is one string of an event bound for a text column, named as in the callback.
type textField struct {
	name  string
	value *string // nil when absent
}

// checkText refuses a string PostgreSQL text cannot hold: one with a NUL character or invalid
// UTF-8. The error names the field, never its value.
func checkText(ev *callback.Event) error {
	fields := []textField{
		{"CallbackCommand", &ev.Command},
		{"RoomId", &ev.RoomID},
		{"ClientIP", &ev.ClientIP},
		{"OptPlatform", &ev.OptPlatform},
		{"request id", &ev.RequestID},
	}
	if r := ev.Room; r != nil {
		i := &r.RoomInfo
		fields = append(fields,
			textField{"RoomInfo.RoomName", i.RoomName},
			textField{"RoomInfo.RoomType", i.RoomType},
			textField{"RoomInfo.Owner_Account", i.OwnerAccount},
			textField{"RoomInfo.CustomInfo", i.CustomInfo},
			textField{"RoomInfo.RoomStatus", i.RoomStatus},
			textField{"RoomInfo.TakeSeatMode", i.TakeSeatMode},
			textField{"Operator_Account", r.OperatorAccount},
		)
		for k := range r.ScheduleInviteeList {
			fields = append(fields, textField{fmt.Sprintf("ScheduleInviteeList_Account[%d]", k), &r.ScheduleInviteeList[k]})
		}
	}
	for _, f := range fields {
		switch {
		case f.value == nil:
		case strings.IndexByte(*f.value, 0) >= 0:
			return fmt.Errorf("%s holds a NUL character, which PostgreSQL text cannot store", f.name)
		case !utf8.ValidString(*f.value):
			return fmt.Errorf("%s is not valid UTF-8, which PostgreSQL text cannot store", f.name)
		}
	}
	return nil
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
