package callback

import (
	"context"
	"errors"
	"fmt"
	"time"
)

// Store persists callbacks. Every backend under pkg/store implements it and runs the shared
// conformance suite in pkg/store/storetest.
type Store interface {
	// Save archives ev and, when ev.Room is set, brings the room projection up to date, as one
	// atomic, idempotent step:
	//   - the archive key SdkAppID + Command + RoomID + EventTime is unique: a repeat returns
	//     OutcomeDuplicate and changes nothing, even when both copies arrive at the same moment;
	//     an event without EventTime (EventTime == 0, only for commands we do not handle) has no
	//     natural key and is archived on every delivery;
	//   - the projection never moves backwards: an event older than (or as old as) the stored
	//     room is archived and returns OutcomeStale;
	//   - ev.Room == nil (a command we do not handle) is archived raw and returns OutcomeIgnored.
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

	// Room is the parsed create-room payload, or nil for a command roomhook does not project.
	Room *RoomCreated
}

// Check reports an Event a Store must refuse before writing anything: a nil event, or one
// whose archive key (RoomID, EventTime) disagrees with its projected payload (Room). Either is a
// bug in the caller; every backend calls Check first, so they refuse it the same way.
func (ev *Event) Check() error {
	if ev == nil {
		return errors.New("nil event")
	}
	if r := ev.Room; r != nil {
		if r.RoomInfo.RoomID != ev.RoomID {
			return fmt.Errorf("event RoomID %q differs from RoomInfo.RoomId %q", ev.RoomID, r.RoomInfo.RoomID)
		}
		if r.EventTime != ev.EventTime {
			return fmt.Errorf("event EventTime %d differs from the payload's %d", ev.EventTime, r.EventTime)
		}
	}
	return nil
}

// CommandCreateRoom is the callback the Room engine sends after a room is created.
const CommandCreateRoom = "Room.CallbackAfterCreateRoom"

// ErrNotFound is returned by Reader methods when nothing matches.
var ErrNotFound = errors.New("not found")

// Reader reads back what a Store saved. Every backend implements it: the conformance suite,
// the replay tooling and operators use it to see exactly what was kept.
type Reader interface {
	// Room returns the projection of one room, or ErrNotFound.
	Room(ctx context.Context, sdkAppID int64, roomID string) (*RoomRecord, error)
	// Events returns the archive rows of one app in the order they were archived; Room is nil
	// in each (the archive keeps the raw body, not the projection).
	Events(ctx context.Context, sdkAppID int64) ([]Event, error)
}

// RoomRecord is one row of the room projection.
type RoomRecord struct {
	SdkAppID int64
	// Room holds every projected field: RoomInfo, Operator_Account, the de-duplicated invitees
	// and the EventTime the row reflects. CallbackCommand is the command that last wrote it.
	Room      RoomCreated
	UpdatedAt time.Time // when the row was last written, millisecond precision
}
