package postgres_test

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/roomhook/roomhook/pkg/callback"
	"github.com/roomhook/roomhook/pkg/store/postgres"
	"github.com/roomhook/roomhook/pkg/store/storetest"
)

// TestRoomLock: a projected event waits for its room's advisory lock, and only for its room's;
// a command that is not projected takes none.
func TestRoomLock(t *testing.T) {
	_, u := freshSchema(t, "pool_max_conns", "4")
	s := open(t, u)
	const app = storetest.SeedSdkAppID
	classID, objID := postgres.RoomLock(app, "locked")

	tx, err := admin(t).Begin(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	defer tx.Rollback(context.Background())
	if _, err := tx.Exec(t.Context(), `SELECT pg_advisory_xact_lock($1::int4, $2::int4)`, classID, objID); err != nil {
		t.Fatal(err)
	}

	ctx, cancel := context.WithTimeout(t.Context(), 300*time.Millisecond)
	o, err := s.Save(ctx, createEvent(t, app, "locked", t0, "waits"))
	cancel()
	if !errors.Is(err, context.DeadlineExceeded) || !strings.Contains(err.Error(), "lock room") {
		t.Errorf("Save while another holds the room's lock = %v, %v; want a deadline error locking the room", o, err)
	}
	if o, err := s.Save(t.Context(), unknownEvent(app, "locked", t0)); err != nil || o != callback.OutcomeIgnored {
		t.Errorf("Save of a command not projected, in the locked room = %v, %v; want ignored, without waiting", o, err)
	}
	if o, err := s.Save(t.Context(), createEvent(t, app, "other", t0, "free")); err != nil || o != callback.OutcomeStored {
		t.Errorf("Save in another room = %v, %v; want stored", o, err)
	}
	if err := tx.Rollback(t.Context()); err != nil {
		t.Fatal(err)
	}
	if o, err := s.Save(t.Context(), createEvent(t, app, "locked", t0, "waits")); err != nil || o != callback.OutcomeStored {
		t.Errorf("Save once the lock is free = %v, %v; want stored", o, err)
	}
}

// TestRoomLockNotSchemaLock: PostgreSQL keeps one 64-bit key and two 32-bit keys apart, so no
// room's lock is ever the schema's: a room whose keys are the schema key's halves is not
// blocked by it.
func TestRoomLockNotSchemaLock(t *testing.T) {
	serverURL(t)
	holder, other := admin(t), admin(t)
	tx, err := holder.Begin(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	defer tx.Rollback(context.Background())
	if _, err := tx.Exec(t.Context(), `SELECT pg_advisory_xact_lock($1::int8)`, postgres.SchemaLockKey); err != nil {
		t.Fatal(err)
	}
	var got bool
	key := postgres.SchemaLockKey
	err = other.QueryRow(t.Context(), `SELECT pg_try_advisory_lock($1::int4, $2::int4)`,
		int32(key>>32), int32(key)).Scan(&got)
	if err != nil || !got {
		t.Errorf("the two-key lock with the schema key's halves = %v, %v; want taken", got, err)
	}
	other.Exec(t.Context(), `SELECT pg_advisory_unlock_all()`)
	// And the room keys spread: no two of many rooms share a lock.
	seen := map[[2]int32]string{}
	for i := range 100_000 {
		room := fmt.Sprintf("room-%d", i)
		c, o := postgres.RoomLock(1400123456, room)
		if prev, ok := seen[[2]int32{c, o}]; ok {
			t.Fatalf("rooms %s and %s share a lock", prev, room)
		}
		seen[[2]int32{c, o}] = room
	}
	if a, b := fmt.Sprint(postgres.RoomLock(1, "23")), fmt.Sprint(postgres.RoomLock(12, "3")); a == b {
		t.Errorf("app 1 room 23 and app 12 room 3 share a lock %s", a)
	}
}

// TestLifecycleRace saves the events of a room's life, 16 at once on 16 connections, and the
// same events one by one in a shuffled order on another store: the room lock makes each save
// see what the previous one committed, so both end with the same rows. Several rounds.
func TestLifecycleRace(t *testing.T) {
	_, uRace := freshSchema(t, "pool_max_conns", "16")
	_, uSeq := freshSchema(t)
	race, seq := open(t, uRace), open(t, uSeq)
	const app = storetest.SeedSdkAppID
	for round := range 4 {
		room := fmt.Sprintf("race-%d", round)
		evs := []*callback.Event{
			createEvent(t, app, room, t0, "first life"),
			updateEvent(t, app, room, t0+5, map[string]any{"RoomName": "renamed", "IsVideoDisabled": true}),
			updateEvent(t, app, room, t0+9, map[string]any{"CustomInfo": "later"}),
			enterEvent(t, app, room, t0+10, 2, "m1", "m2"),
			enterEvent(t, app, room, t0+10, 3, "m3"),
			enterEvent(t, app, room, t0+11, 4, "m4"),
			leaveEvent(t, app, room, t0+12, 3, "m2"),
			leaveEvent(t, app, room, t0+12, 2, "m4"),
			seatEvent(t, app, room, t0+13, 0, "m1"),
			seatEvent(t, app, room, t0+13, 1, "m3"),
			seatEvent(t, app, room, t0+14, 0, ""),
			destroyEvent(t, app, room, t0+20),
			enterEvent(t, app, room, t0+21, 1, "m5"),
			createEvent(t, app, room, t0+30, "second life"),
			enterEvent(t, app, room, t0+31, 2, "m1", "m6"),
			seatEvent(t, app, room, t0+32, 2, "m6"),
		}
		counts := storetest.SaveTogether(t, len(evs), func(i int) (callback.Outcome, error) {
			return race.Save(t.Context(), evs[i])
		})
		if counts[callback.OutcomeDuplicate] != 0 || counts[callback.OutcomeIgnored] != 0 {
			t.Errorf("round %d: outcomes %v, want only stored and stale", round, counts)
		}
		for _, i := range rand.Perm(len(evs)) {
			if _, err := seq.Save(t.Context(), evs[i]); err != nil {
				t.Fatal(err)
			}
		}
		got, want := dump(t, race, app, room), dump(t, seq, app, room)
		if got != want {
			t.Errorf("round %d: rows after racing saves:\n%s\nafter the same saves one by one:\n%s", round, got, want)
		}
		if n := strings.Count(want, "room_members "); n != 6 {
			t.Errorf("round %d: %d member rows, want 6:\n%s", round, n, want)
		}
		// Every copy of an event delivered again, all at once, is a duplicate.
		counts = storetest.SaveTogether(t, len(evs), func(i int) (callback.Outcome, error) {
			return race.Save(t.Context(), evs[i])
		})
		if counts[callback.OutcomeDuplicate] != len(evs) {
			t.Errorf("round %d: redelivered outcomes %v, want %d duplicates", round, counts, len(evs))
		}
	}
}

func memberStateEvent(t testing.TB, app int64, room string, at int64, members ...string) *callback.Event {
	list := make([]any, len(members))
	for i, m := range members {
		list[i] = map[string]any{"Member_Account": m}
	}
	return eventOf(t, app, callback.CommandLiveMemberState, map[string]any{
		"RoomId": room, "EventType": "Online", "EventCause": "Enter", "MemberList": list, "EventTime": at,
	})
}

// TestMemberLocks: a Live member state holds its room's lock shared and its members' locks:
// it waits for a member another save holds and for a save holding the room exclusively, but
// not for a save of another member of the room; a destroy waits for the member states.
func TestMemberLocks(t *testing.T) {
	_, u := freshSchema(t, "pool_max_conns", "4")
	s := open(t, u)
	const app, room = storetest.SeedSdkAppID, "popular"
	classID, objID := postgres.RoomLock(app, room)
	hold := func(sql string, args ...any) func() {
		t.Helper()
		tx, err := admin(t).Begin(t.Context())
		if err != nil {
			t.Fatal(err)
		}
		if _, err := tx.Exec(t.Context(), sql, args...); err != nil {
			t.Fatal(err)
		}
		return func() { tx.Rollback(context.Background()) }
	}
	waits := func(ev *callback.Event, step string) {
		t.Helper()
		ctx, cancel := context.WithTimeout(t.Context(), 300*time.Millisecond)
		defer cancel()
		if o, err := s.Save(ctx, ev); !errors.Is(err, context.DeadlineExceeded) || !strings.Contains(err.Error(), step) {
			t.Errorf("Save(%s) = %v, %v; want a deadline error at %q", ev.Command, o, err, step)
		}
	}
	saved := func(ev *callback.Event) {
		t.Helper()
		if o, err := s.Save(t.Context(), ev); err != nil || o != callback.OutcomeStored {
			t.Errorf("Save(%s) = %v, %v; want stored without waiting", ev.Command, o, err)
		}
	}

	// Another save holds viewer-a: a state of viewer-a waits for it, one of viewer-b does not,
	// nor one of viewer-b and viewer-c.
	release := hold(`SELECT pg_advisory_xact_lock($1::int8)`, postgres.MemberLocks(app, room, "viewer-a")[0])
	waits(memberStateEvent(t, app, room, t0, "viewer-a"), "lock member")
	saved(memberStateEvent(t, app, room, t0, "viewer-b"))
	saved(memberStateEvent(t, app, room, t0+1, "viewer-c", "viewer-b"))
	release()
	saved(memberStateEvent(t, app, room, t0, "viewer-a"))

	// Member states hold the room shared: a destroy waits; another member state does not.
	release = hold(`SELECT pg_advisory_xact_lock_shared($1::int4, $2::int4)`, classID, objID)
	waits(destroyEvent(t, app, room, t0+10), "lock room")
	saved(memberStateEvent(t, app, room, t0+2, "viewer-d"))
	release()

	// A save holding the room exclusively (a destroy, an update): member states wait for it.
	release = hold(`SELECT pg_advisory_xact_lock($1::int4, $2::int4)`, classID, objID)
	waits(memberStateEvent(t, app, room, t0+3, "viewer-e"), "lock room")
	release()
	saved(destroyEvent(t, app, room, t0+10))
	members, err := callback.ReadMembers(t.Context(), s, app, room)
	if err != nil {
		t.Fatal(err)
	}
	for _, m := range members {
		if m.State != callback.MemberLeft || m.LeaveType == nil || *m.LeaveType != callback.LeaveDestroyed {
			t.Errorf("%s: %s, want left by the destroy", m.MemberAccount, m.State)
		}
	}
	if len(members) != 4 {
		t.Errorf("%d members, want 4", len(members))
	}
}

// TestMemberLockKeys: the keys are sorted, without repeats, and never the schema's.
func TestMemberLockKeys(t *testing.T) {
	keys := postgres.MemberLocks(1, "r", "c", "a", "b", "a")
	if len(keys) != 3 || !slices.IsSorted(keys) {
		t.Errorf("keys %v, want 3 sorted", keys)
	}
	for _, k := range keys {
		if k == postgres.SchemaLockKey {
			t.Error("a member's lock is the schema's")
		}
	}
}
