package callback

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"slices"
	"time"
)

// Store persists callbacks. Every backend under pkg/store implements it and runs the shared
// conformance suite in pkg/store/storetest.
type Store interface {
	// Save archives ev and, when ev.Payload is set, brings the room's rows up to date with
	// Project, as one atomic, idempotent step:
	//   - the archive key SdkAppID + RoomID + Command + EventTime + Digest is unique: a repeat
	//     returns OutcomeDuplicate and changes nothing, even when both copies arrive at the same
	//     moment; an event without EventTime (EventTime == 0, only for commands we do not
	//     handle) has no natural key and is archived on every delivery;
	//   - the rows are the fold of the room's events in event order, whatever the delivery
	//     order: an event the rows already reflect (a late one) is archived and returns
	//     OutcomeStale;
	//   - ev.Payload == nil (a command we do not handle) is archived raw and returns
	//     OutcomeIgnored.
	// Save honours ctx's deadline. An error means the event may not be stored (SQL backends
	// write nothing, except that a connection lost during COMMIT may have committed; DynamoDB,
	// which has no transactions here, may have archived it without updating the room): the
	// caller must report a failure so the event is delivered or replayed again, and that repeat
	// completes whatever the failed attempt left undone, or is answered as a duplicate.
	Save(ctx context.Context, ev *Event) (Outcome, error)
	// Close releases the backend's connections.
	Close() error
}

// Outcome says what Save did with an event. Every outcome is answered OK.
type Outcome int

const (
	// OutcomeStored means the event was archived and the room projection updated.
	OutcomeStored Outcome = iota + 1
	// OutcomeDuplicate means an event with the same key was already archived; nothing changed.
	OutcomeDuplicate
	// OutcomeStale means the event was archived but the stored room already reflects a newer one.
	OutcomeStale
	// OutcomeIgnored means the command is not one roomhook projects; the event was archived raw.
	OutcomeIgnored
)

// String returns the word used for the outcome in log lines.
func (o Outcome) String() string {
	switch o {
	case OutcomeStored:
		return "stored"
	case OutcomeDuplicate:
		return "duplicate"
	case OutcomeStale:
		return "stale"
	case OutcomeIgnored:
		return "ignored"
	}
	return "unknown"
}

// Event is one delivered callback, ready to be stored.
type Event struct {
	SdkAppID    int64  // the app the callback belongs to, from the query string
	Command     string // CallbackCommand, e.g. Room.CallbackAfterCreateRoom
	RoomID      string // RoomId (RoomInfo.RoomId for create-room); "" when the body has none
	EventTime   int64  // EventTime in Unix milliseconds; 0 when the body has none
	ClientIP    string // ClientIP query parameter, as sent
	OptPlatform string // OptPlatform query parameter, as sent
	RequestID   string // the platform's request id, for tracing
	ReceivedAt  time.Time
	Raw         []byte // the body exactly as received (after the gateway's base64, if any)

	// Payload is the parsed body of a command roomhook projects, or nil for any other command
	// (archived raw).
	Payload Payload

	// ArchiveID names the event's archive row in its store (a SQL row's id, a DynamoDB item's
	// keys), for Purger.Delete. Only Purger.Expired sets it; saving ignores it.
	ArchiveID string
}

// Digest returns the SHA-256 of Raw in lowercase hex: with SdkAppID, RoomID, Command and
// EventTime it makes the archive key, so two different events of one room in one millisecond
// are both kept while a repeat of one is a duplicate. It is the body_sha256 column.
func (ev *Event) Digest() string {
	sum := sha256.Sum256(ev.Raw)
	return hex.EncodeToString(sum[:])
}

// Folded reports whether ev is folded into its room's rows in event order (callback.Project
// under the room's lock): a projected command other than the gift. A gift (GiftSent) is one new
// ledger row per delivery, read from nothing, so its save need not take the room's lock; an
// event without a Payload is only archived.
func (ev *Event) Folded() bool {
	if ev.Payload == nil {
		return false
	}
	_, gift := ev.Payload.(*GiftSent)
	return !gift
}

// MaxMemberLocks is the most members a Live member state locks one by one; one listing more
// (Tencent sends a viewer or a few at a time) holds its room alone instead, so that no save
// asks a server for thousands of locks (PostgreSQL's lock table is shared by every session).
const MaxMemberLocks = 32

// MemberLocks returns, for an event that may be saved holding its room's lock in shared mode
// and an exclusive lock on each member it lists, those members, sorted (the order a backend
// takes their locks in, so that two saves never wait for each other); nil when the save must
// hold the room's lock exclusively (every other folded event).
//
// That is a Live member state: its projection reads the room's destroys and the rows of the
// members it lists (and, for a tie, the archived member states of one of them) and writes only
// those members' rows. On a store with shared locks a destroy, which ends every member in,
// holds the room exclusively, so it never runs beside one (DynamoDB, which has none, keeps the
// two apart by reading again: see its package documentation); two member states of one member
// take turns on the member's lock; two of different members touch nothing in common. A popular room's viewers (thousands entering
// within a minute) are then saved side by side instead of one after another.
func (ev *Event) MemberLocks() []string {
	m, ok := ev.Payload.(*LiveMembersChanged)
	if !ok || len(m.Members) > MaxMemberLocks {
		return nil
	}
	out := slices.Clone(m.Members)
	slices.Sort(out)
	return slices.Compact(out)
}

// Check reports an Event a Store must refuse before writing anything: a nil event, or one
// whose archive key (RoomID, EventTime) disagrees with its projected payload (Room). Either is a
// bug in the caller; every backend calls Check first, so they refuse it the same way.
func (ev *Event) Check() error {
	if ev == nil {
		return errors.New("nil event")
	}
	if p := ev.Payload; p != nil {
		room, t := p.Key()
		if room != ev.RoomID {
			return fmt.Errorf("event RoomID %q differs from the payload's %q", ev.RoomID, room)
		}
		if t != ev.EventTime {
			return fmt.Errorf("event EventTime %d differs from the payload's %d", ev.EventTime, t)
		}
	}
	return nil
}

// ErrNotFound is returned by Reader methods when nothing matches.
var ErrNotFound = errors.New("not found")

// Errors of a store opened read-only (store.Options.ReadOnly): a tool that reads a store must not
// create or migrate it, so it refuses one it cannot read as it is.
var (
	// ErrNoSchema: the store holds no roomhook schema (a missing SQLite file, an empty
	// database, a table without roomhook's version item).
	ErrNoSchema = errors.New("the store holds no roomhook schema")
	// ErrSchemaOlder: the store's schema is older than this code's; a function of this version
	// (or scripts/migrate) upgrades it.
	ErrSchemaOlder = errors.New("the store's schema is older than this roomhook's")
)

// Reader reads back what a Store saved. Every backend implements it: the conformance suite,
// the replay tooling and operators use it to see exactly what was kept (ReadRoom, ReadMembers
// and ReadSeats decode the rows).
type Reader interface {
	// Rows returns the rows of t of one room (its sdk_app_id and room_id), in any order.
	Rows(ctx context.Context, t *Table, sdkAppID int64, roomID string) ([]Row, error)
	// Events returns the archive rows of one app in the order they were archived; Payload is
	// nil in each (the archive keeps the raw body, not the projection).
	Events(ctx context.Context, sdkAppID int64) ([]Event, error)
}

// Lister reads what an app's store holds across its rooms: its rooms, its gift ledger and its
// archive, newest first. The operators' query command (scripts/query) reads every backend
// through Lister and Reader alone. Every backend implements it.
type Lister interface {
	// AppRooms returns every row of RoomsTable of one app, in any order.
	AppRooms(ctx context.Context, sdkAppID int64) ([]Row, error)
	// Gifts returns the ledger rows (GiftsTable) q selects, newest first: received_at
	// descending, then delivery_id descending. q.Commands is not used.
	Gifts(ctx context.Context, q ListQuery) ([]Row, error)
	// Archive returns the archived events q selects, newest first: the reverse of the order
	// Reader.Events returns them in. Payload is nil in each.
	Archive(ctx context.Context, q ListQuery) ([]Event, error)
}

// ListQuery selects an app's archived events or gift ledger rows.
type ListQuery struct {
	SdkAppID int64
	// Room, when set, selects that room's only: its room_id (a battle's events are archived
	// under its FromRoomId; an event whose body has no RoomId under ""). nil: every room.
	Room *string
	// Since, when set, selects those received (received_at) at or after it, to the
	// millisecond.
	Since time.Time
	// Commands, when set, selects the archived events whose callback_command is one of them.
	Commands []string
	// Limit, when above 0, keeps the newest Limit of those selected.
	Limit int
}

// Match reports whether an archived event (or, with command "", a ledger row) of q's app
// received at receivedAt in room is one q selects, Limit aside: the rule every backend's
// Archive and Gifts apply, written out for stores that filter in memory.
func (q *ListQuery) Match(room, command string, receivedAt time.Time) bool {
	if q.Room != nil && *q.Room != room {
		return false
	}
	if !q.Since.IsZero() && receivedAt.UnixMilli() < q.Since.UnixMilli() {
		return false
	}
	return command == "" || len(q.Commands) == 0 || slices.Contains(q.Commands, command)
}

// Purger deletes what an archive retention lets go (ROOMHOOK_ARCHIVE_RETENTION, scripts/purge):
// archive rows older than the retention that no room's fold still reads (PurgeArchive decides
// which). It never touches the projection. Every backend implements it.
type Purger interface {
	// Expired returns up to n archived events of app received before cutoff (received_at <
	// cutoff, to the millisecond), in the order they were archived, starting after the position
	// after ("" for the first); each carries its ArchiveID. next is the position the following
	// call starts after, "" when there are no more (a store that cannot tell without reading on,
	// as DynamoDB, may give a position that then yields an empty last page).
	Expired(ctx context.Context, app int64, cutoff time.Time, after string, n int) (evs []Event, next string, err error)
	// RoomArchived returns the archived events of one room that q selects, in any order, as
	// Tx.Archived does within a save, but outside one: it takes no lock.
	RoomArchived(ctx context.Context, app int64, room string, q ArchiveQuery) ([]Archived, error)
	// Delete removes the archive rows of app that ids name (ArchiveIDs Expired returned), in
	// one bounded step; rows already gone are skipped. It returns how many it removed.
	Delete(ctx context.Context, app int64, ids []string) (int, error)
}
