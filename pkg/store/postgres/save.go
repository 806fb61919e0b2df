package postgres

import (
	"context"
	"errors"
	"fmt"
	"hash/fnv"
	"slices"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/jackc/pgx/v5/pgconn"

	"github.com/roomhook/roomhook/pkg/callback"
)

const insertEventSQL = `INSERT INTO callback_events
	(sdk_app_id, callback_command, room_id, event_time, client_ip, opt_platform, request_id, received_at, raw_body, body_sha256)
	VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)
	ON CONFLICT (` + eventsKeyColumns + `) DO NOTHING`

// lockRoomSQL takes the room's lock until the transaction ends; see roomLock. A Live member
// state takes it shared (lockRoomSharedSQL) and then each member's lock (lockMemberSQL): the
// viewers of one room are saved side by side, and a save that holds the room exclusively (a
// destroy, which ends every member) waits for them, and they for it (callback.Event.MemberLocks).
const (
	lockRoomSQL       = `SELECT pg_advisory_xact_lock($1, $2)`
	lockRoomSharedSQL = `SELECT pg_advisory_xact_lock_shared($1, $2)`
	lockMemberSQL     = `SELECT pg_advisory_xact_lock($1)`
)

// Save archives ev and, for a projected command (ev.Payload set), brings the room's rows up to
// date with callback.Project, in one transaction; see callback.Store for the outcomes.
//
// A folded event (ev.Folded: every projected command but the gift) first takes its room's
// advisory lock (roomLock), so that the saves of one room run one after the other; it takes it
// before the archive insert, so that no save waits for a room while holding an archive key
// another save of the room waits for. A gift folds nothing: its save archives the delivery and
// inserts its ledger row (callback.Project), in one transaction, without the lock.
// Under PostgreSQL's READ COMMITTED isolation every statement after the lock sees what the
// previous holder committed, which is what the projection needs; a second delivery of the same
// event waits for the lock (or, for a command that takes no lock, on the unique key) until the
// first commits, and then inserts nothing: concurrent duplicates are stored exactly once. A
// transaction whose connection broke (the server restarted or dropped it) is run again on
// another connection while ctx allows.
//
// ev.Check must pass: the archive key and the payload must describe the same event. A mismatch
// is a bug in the caller and returns an error without writing anything. PostgreSQL text holds
// neither NUL characters nor invalid UTF-8, so a string holding either is refused the same
// way, naming the field or the column; the raw body is bytea and is kept whatever it holds.
func (s *Store) Save(ctx context.Context, ev *callback.Event) (callback.Outcome, error) {
	if s.readOnly {
		return 0, errors.New("postgres: save: the store was opened read-only")
	}
	if err := ev.Check(); err != nil {
		return 0, fmt.Errorf("postgres: save: %w", err)
	}
	if err := checkText(ev); err != nil {
		return 0, fmt.Errorf("postgres: save: %w", err)
	}
	event := eventParams(ev)

	// A pooled connection the server dropped (a restart, a failover, a proxy's idle timeout)
	// is found dead only when the transaction is written to it: the pool pings a connection
	// only after it sat idle for a second. A transaction that failed because its connection
	// broke is run again on another (or a new) connection, at most once per pooled
	// connection and within ctx. That is safe even if the broken attempt had committed: Save
	// is idempotent, and the repeat finds the key and reports a duplicate.
	for attempt := 1; ; attempt++ {
		outcome, broken, err := s.save(ctx, ev, event)
		if err == nil || !broken || attempt >= s.saveAttempts || ctx.Err() != nil {
			return outcome, s.saveError(err)
		}
	}
}

// roomLock returns the two keys of the advisory lock of a room: the FNV-1a hash, 64 bits, of
// the app id in decimal, a NUL and the room id, split in halves. Two rooms whose hashes
// collide only take turns. PostgreSQL keeps locks on one 64-bit key and on two 32-bit keys in
// separate key spaces ("these two key spaces do not overlap"), so a room's lock is never
// schemaLockKey's, whatever the hash.
func roomLock(app int64, room string) (classID, objID int32) {
	const (
		offset64 = 14695981039346656037
		prime64  = 1099511628211
	)
	h := uint64(offset64)
	for _, b := range strconv.AppendInt(nil, app, 10) {
		h = (h ^ uint64(b)) * prime64
	}
	h *= prime64 // the separator: h ^ 0
	for i := 0; i < len(room); i++ {
		h = (h ^ uint64(room[i])) * prime64
	}
	return int32(h >> 32), int32(h)
}

// memberLocks returns the keys of the advisory locks of a room's members, in the one-key space
// (apart from the rooms' two-key locks): the FNV-1a hash, 64 bits, of the app id in decimal, a
// NUL, the room id, a NUL and the account, never schemaLockKey; sorted and without repeats, the
// order every save takes them in, so that two saves whose members' hashes collide still never
// wait for each other.
func memberLocks(app int64, room string, members []string) []int64 {
	keys := make([]int64, 0, len(members))
	for _, m := range members {
		h := fnv.New64a()
		h.Write(strconv.AppendInt(nil, app, 10))
		h.Write([]byte{0})
		h.Write([]byte(room))
		h.Write([]byte{0})
		h.Write([]byte(m))
		k := int64(h.Sum64())
		if k == schemaLockKey {
			k ^= 1
		}
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return slices.Compact(keys)
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

// save runs one attempt of Save: one transaction that takes the room's lock when ev is
// folded, archives event (eventParams of ev) and projects ev. broken reports that it failed
// because its connection broke (the connection is closed now, or nothing reached the server),
// not because the server refused something or the context ended.
func (s *Store) save(ctx context.Context, ev *callback.Event, event *params) (outcome callback.Outcome, broken bool, err error) {
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
	// One round trip begins the transaction, takes the room's lock and archives the event;
	// the projection's reads take one more (roomTx.ReadAll), and its writes go with the COMMIT.
	defer rollback(ctx, conn) // a no-op after commit, or when the batch failed to begin
	open := &batch{}
	open.add("", "begin", nil, nil, nil, nil)
	if ev.Folded() {
		classID, objID := roomLock(ev.SdkAppID, ev.RoomID)
		lock := &params{}
		lock.int4(classID)
		lock.int4(objID)
		members := ev.MemberLocks()
		if members == nil {
			open.add(": lock room", lockRoomSQL, lock, nil, nil, nil)
		} else {
			open.add(": lock room", lockRoomSharedSQL, lock, nil, nil, nil)
			for _, key := range memberLocks(ev.SdkAppID, ev.RoomID, members) {
				p := &params{}
				p.int8(key)
				open.add(": lock member", lockMemberSQL, p, nil, nil, nil)
			}
		}
	}
	var archived bool
	open.add(": archive event", insertEventSQL, event, nil, nil, func(tag pgconn.CommandTag) error {
		archived = tag.RowsAffected() == 1
		return nil
	})
	if err := open.run(ctx, conn); err != nil {
		return 0, false, err
	}
	if !archived {
		// The key is already archived. Nothing was written; the deferred rollback ends the
		// transaction.
		return callback.OutcomeDuplicate, false, nil
	}

	outcome = callback.OutcomeIgnored
	tx := &roomTx{conn: conn, app: ev.SdkAppID, room: ev.RoomID, writes: &batch{}}
	if ev.Payload != nil {
		changed, err := callback.Project(ctx, tx, ev)
		if err != nil {
			var se *stepError
			if !errors.As(err, &se) {
				err = &stepError{": update room", err}
			}
			return 0, false, err
		}
		outcome = callback.OutcomeStale
		if changed {
			outcome = callback.OutcomeStored
		}
	}
	if err := tx.commit(ctx); err != nil {
		return 0, false, err
	}
	return outcome, false, nil
}

// eventParams are the parameters of insertEventSQL for ev. An absent EventTime (0) is NULL;
// the raw body goes in binary, byte for byte, and a nil body is empty, not NULL; body_sha256
// is ev.Digest().
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
	p.text(ev.Digest())
	return p
}

// checkText refuses an event whose own strings PostgreSQL text cannot hold: one with a NUL
// character or invalid UTF-8. The error names the field, never its value. The rows the
// projection writes are checked the same way by Put (checkRowText).
func checkText(ev *callback.Event) error {
	for _, f := range []struct{ name, value string }{
		{"CallbackCommand", ev.Command},
		{"RoomId", ev.RoomID},
		{"ClientIP", ev.ClientIP},
		{"OptPlatform", ev.OptPlatform},
		{"request id", ev.RequestID},
	} {
		if err := checkString(f.name, f.value); err != nil {
			return err
		}
	}
	return nil
}

// checkRowText refuses a row of t holding a string PostgreSQL text cannot hold, in a text
// column or in a list. The error names the table and the column, never the value.
func checkRowText(t *callback.Table, row callback.Row) error {
	for i, v := range row {
		var err error
		switch v := v.(type) {
		case string:
			err = checkString(t.Name+"."+t.Columns[i].Name, v)
		case []string:
			for _, s := range v {
				if err = checkString(t.Name+"."+t.Columns[i].Name, s); err != nil {
					break
				}
			}
		}
		if err != nil {
			return err
		}
	}
	return nil
}

// checkString refuses s, the value of what name names, when it holds a NUL character or
// invalid UTF-8.
func checkString(name, s string) error {
	switch {
	case strings.IndexByte(s, 0) >= 0:
		return fmt.Errorf("%s holds a NUL character, which PostgreSQL text cannot store", name)
	case !utf8.ValidString(s):
		return fmt.Errorf("%s is not valid UTF-8, which PostgreSQL text cannot store", name)
	}
	return nil
}
