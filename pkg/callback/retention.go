package callback

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"time"
)

// The archive retention (ROOMHOOK_ARCHIVE_RETENTION): archive rows older than the retention are
// deleted, except those a room's fold still reads, so that the rows any later event leaves are
// exactly those the whole archive would give. docs/operations.md ("Keeping the archive
// bounded") says it for users.
//
// What the fold reads back of the archive (project.go), and so what may go:
//   - a room's life (creates, updates, destroys, owner changes) is folded again from its
//     archived events on every life event: everything from the room's newest create on is
//     kept (a create starts the row anew, so what came before it no longer counts); a room
//     with no create keeps its whole life;
//   - the room's newest Room-family member event gives member_count: kept (those at its
//     millisecond);
//   - a battle's stages are folded again from the archive when a stage arrives older than
//     the battle's row: every stage is kept (three rows a battle at most);
//   - every other event (seats, admins, metadata, Live member states, the gift, commands
//     roomhook does not project, events without EventTime) is read back only beside an event
//     of its own millisecond, or never: it may go (AlwaysExpires).
//
// Every other read of the archive looks at events no older than the event being saved (its own
// millisecond, or the destroys after a member's newest event), with one exception: the destroys
// stateOf uses to tell a member a destroy ended from one whose leave said "Destroyed". A
// destroy before the room's newest create may go, and then such a member's row reads as a
// leave at the destroy's time instead of an enter at entered_at; for any event newer than that
// destroy (every event delivered within the retention) both readings give the same row, since
// the event is newer than either.
//
// An event delivered later than the retention after its EventTime (Tencent delivers within
// seconds; only a replay of old logs could) folds against what is left and is archived again
// even if it was purged: the guarantee holds for events delivered within the retention.

// createCommands start a room's life anew.
var createCommands = []string{CommandCreateRoom, CommandLiveCreateRoom}

// AlwaysExpires reports whether an archived event of command may be deleted once it is older
// than the retention, whatever else its room holds: the fold reads such events back only beside
// an event of the same millisecond, or never. DynamoDB gives their archive items an expiry time
// (TTL) when it saves them; PurgeArchive decides for the others.
func AlwaysExpires(command string) bool {
	return !slices.Contains(lifeCommands, command) && !slices.Contains(memberCommands, command) &&
		!slices.Contains(battleCommands, command)
}

// PurgeOptions tunes PurgeArchive. The zero value is ready to use.
type PurgeOptions struct {
	// Batch is how many archive rows one step reads and deletes; 0 means DefaultPurgeBatch.
	Batch int
	// Pause is waited between steps, so that saves beside the purge keep their pace.
	Pause time.Duration
	// DryRun deletes nothing: Deleted counts what would go.
	DryRun bool
	// Step, when set, is called after each step with the totals so far.
	Step func(PurgeStats)
}

// DefaultPurgeBatch is PurgeOptions.Batch's default: small enough that one step holds a SQL
// store's write lock or a DynamoDB table's capacity only briefly.
const DefaultPurgeBatch = 500

// PurgeStats counts what PurgeArchive did.
type PurgeStats struct {
	Examined int // archive rows received before the cutoff
	Deleted  int // of those, deleted (with DryRun: that would be)
	Kept     int // of those, kept because their room's fold still reads them
}

// PurgeArchive deletes the archive rows of app received before cutoff that no fold reads back
// any more, batch by batch, oldest first. It is idempotent (a second run deletes nothing new)
// and safe beside saves: what a fold needs only shrinks as events arrive (a newer create, a
// newer member event), so a row found unneeded stays so, and the rows it deletes are never read
// by a fold. It never touches the projection.
func PurgeArchive(ctx context.Context, p Purger, app int64, cutoff time.Time, opts PurgeOptions) (PurgeStats, error) {
	var st PurgeStats
	cutoff = time.UnixMilli(cutoff.UnixMilli()) // received_at is kept in milliseconds
	batch := opts.Batch
	if batch <= 0 {
		batch = DefaultPurgeBatch
	}
	rooms := map[string]*roomNeeds{}
	for after := ""; ; {
		evs, next, err := p.Expired(ctx, app, cutoff, after, batch)
		if err != nil {
			return st, err
		}
		var ids []string
		for i := range evs {
			ev := &evs[i]
			if !ev.ReceivedAt.Before(cutoff) {
				return st, fmt.Errorf("purge: the store listed %s received at %s, not before the cutoff %s",
					ev.Command, ev.ReceivedAt.Format(time.RFC3339Nano), cutoff.Format(time.RFC3339Nano))
			}
			if ev.ArchiveID == "" {
				return st, errors.New("purge: the store listed an archived event without its ArchiveID")
			}
			st.Examined++
			keep, err := needed(ctx, p, app, ev, rooms)
			if err != nil {
				return st, err
			}
			if keep {
				st.Kept++
			} else {
				ids = append(ids, ev.ArchiveID)
			}
		}
		if len(ids) > 0 {
			if opts.DryRun {
				st.Deleted += len(ids)
			} else {
				n, err := p.Delete(ctx, app, ids)
				st.Deleted += n
				if err != nil {
					return st, err
				}
			}
		}
		if opts.Step != nil {
			opts.Step(st)
		}
		if next == "" {
			return st, nil
		}
		after = next
		if opts.Pause > 0 {
			select {
			case <-ctx.Done():
				return st, ctx.Err()
			case <-time.After(opts.Pause):
			}
		}
	}
}

// maxRoomsRemembered bounds the rooms one run remembers what their folds read of (a few
// hundred bytes each), so that a run over an app of millions of rooms stays in a small
// function's memory.
const maxRoomsRemembered = 50_000

// roomNeeds is what a room's fold reads back, as far as it decides what may go: read once per
// room and purge run. Both only move forward as events arrive, so a value read earlier in the
// run keeps at least as much as the current one would.
type roomNeeds struct {
	createRead, memberRead bool
	newestCreate           int64 // EventTime of the room's newest create; 0: none
	newestMember           int64 // EventTime of the room's newest Room-family member event
}

// needed reports whether the fold of ev's room still reads ev.
func needed(ctx context.Context, p Purger, app int64, ev *Event, rooms map[string]*roomNeeds) (bool, error) {
	if ev.EventTime == 0 || AlwaysExpires(ev.Command) {
		return false, nil
	}
	if slices.Contains(battleCommands, ev.Command) {
		return true, nil
	}
	r := rooms[ev.RoomID]
	if r == nil {
		if len(rooms) >= maxRoomsRemembered {
			clear(rooms) // read again when met again: a cost, never a wrong answer
		}
		r = &roomNeeds{}
		rooms[ev.RoomID] = r
	}
	if slices.Contains(memberCommands, ev.Command) {
		if !r.memberRead {
			newest, err := p.RoomArchived(ctx, app, ev.RoomID, ArchiveQuery{Commands: memberCommands, Newest: true})
			if err != nil {
				return false, err
			}
			for _, a := range newest {
				r.newestMember = max(r.newestMember, a.EventTime)
			}
			r.memberRead = true
		}
		// The fold takes the count from the events at the newest member millisecond.
		return ev.EventTime >= r.newestMember, nil
	}
	if !r.createRead {
		creates, err := p.RoomArchived(ctx, app, ev.RoomID, ArchiveQuery{Commands: createCommands})
		if err != nil {
			return false, err
		}
		// Only a create the fold takes for one starts the life anew: a body that does not
		// parse as its command, or names another room or time, is left out of the fold.
		for _, a := range creates {
			pl, err := ParsePayload(a.Command, a.Raw)
			if err != nil || pl == nil {
				continue
			}
			if room, t := pl.Key(); room == ev.RoomID && t == a.EventTime {
				r.newestCreate = max(r.newestCreate, a.EventTime)
			}
		}
		r.createRead = true
	}
	return r.newestCreate == 0 || ev.EventTime >= r.newestCreate, nil
}
