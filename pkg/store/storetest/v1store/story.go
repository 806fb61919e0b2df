package v1store

import (
	"errors"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/roomhook/roomhook/pkg/callback"
)

// T0 is the EventTime Callbacks counts from.
const T0 = 1703589922780

// Rooms are the rooms Callbacks tells about.
var Rooms = []string{"v1-room-a", "v1-room-b"}

// Story is what the rows of Rooms say once every event of Callbacks is folded in, in Describe's
// words: room A's create overlaid by both updates, its count that of the leave, u2 and
// 144115233775727695 in, u3 kicked, seats 0 and 1; room B created again and destroyed.
var Story = []string{
	"v1-room-a: name renamed in v1, custom custom via the other spelling, video disabled false, seats 16, operator v1-admin, " +
		"by Room.CallbackUpdateRoomInfo at t0+1500, members 2 at t0+3000, destroyed at - by -",
	"v1-room-a member 144115233775727695: in, entered t0+2000, left - - -",
	"v1-room-a member u2: in, entered t0+2000, left - - -",
	"v1-room-a member u3: left, entered t0+2001, left t0+3000 Kicked spam",
	"v1-room-a seat 0: u2, taken disabled false, video disabled true, audio disabled false, at t0+2500",
	"v1-room-a seat 1: -, taken disabled <nil>, video disabled <nil>, audio disabled <nil>, at t0+2500",
	"v1-room-b: name B again, custom -, video disabled <nil>, seats 8, operator 144115233775727695, " +
		"by Room.CallbackAfterDestroyRoom at t0+4000, members <nil> at -, destroyed at t0+4000 by v1-admin",
}

// Describe describes what r holds for Rooms of app in the words of Story: one line per room,
// member and seat, times relative to T0.
func Describe(t testing.TB, r callback.Reader, app int64) []string {
	t.Helper()
	at := func(p *int64) string {
		if p == nil {
			return "-"
		}
		return fmt.Sprintf("t0%+d", *p-T0)
	}
	str := func(p *string) string {
		if p == nil {
			return "-"
		}
		return *p
	}
	var out []string
	for _, id := range Rooms {
		room, err := callback.ReadRoom(t.Context(), r, app, id)
		if errors.Is(err, callback.ErrNotFound) {
			out = append(out, id+": no row")
			continue
		}
		if err != nil {
			t.Fatal(err)
		}
		i := room.Info
		out = append(out, fmt.Sprintf("%s: name %s, custom %s, video disabled %v, seats %v, operator %s, "+
			"by %s at %s, members %v at %s, destroyed at %s by %s", id, str(i.RoomName), str(i.CustomInfo),
			deref(i.IsVideoDisabled), deref(i.MaxSeatCount), str(room.OperatorAccount), room.CallbackCommand,
			at(&room.EventTime), deref(room.MemberCount), at(room.MemberCountAt), at(room.DestroyedAt),
			str(room.DestroyOperatorAccount)))
		members, err := callback.ReadMembers(t.Context(), r, app, id)
		if err != nil {
			t.Fatal(err)
		}
		for _, m := range members {
			out = append(out, fmt.Sprintf("%s member %s: %s, entered %s, left %s %s %s", id, m.MemberAccount, m.State,
				at(m.EnteredAt), at(m.LeftAt), str(m.LeaveType), str(m.LeaveReason)))
		}
		seats, err := callback.ReadSeats(t.Context(), r, app, id)
		if err != nil {
			t.Fatal(err)
		}
		for _, st := range seats {
			out = append(out, fmt.Sprintf("%s seat %d: %s, taken disabled %v, video disabled %v, audio disabled %v, at %s",
				id, st.SeatIndex, str(st.MemberAccount), deref(st.IsTakenDisabled), deref(st.IsVideoDisabled),
				deref(st.IsAudioDisabled), at(&st.EventTime)))
		}
	}
	return out
}

// Rows returns every projection row r holds for Rooms of app, one line per row, sorted,
// without updated_at (when a save wrote the row, not what the fold decides): what a migrated
// store and a new one fed the same callbacks must both hold.
func Rows(t testing.TB, r callback.Reader, app int64) []string {
	t.Helper()
	var out []string
	for _, room := range Rooms {
		for _, table := range callback.Tables {
			rows, err := r.Rows(t.Context(), table, app, room)
			if err != nil {
				t.Fatal(err)
			}
			var lines []string
			for _, row := range rows {
				var vals []string
				for i, c := range table.Columns {
					if c.Name != "updated_at" {
						vals = append(vals, fmt.Sprintf("%s=%v", c.Name, row[i]))
					}
				}
				lines = append(lines, table.Name+" "+strings.Join(vals, " "))
			}
			slices.Sort(lines)
			out = append(out, lines...)
		}
	}
	return out
}

// Fold saves every event of Callbacks for app into s, a new store of the current version, and
// returns its Rows: the rows the fold of every version-1 event gives.
func Fold(t testing.TB, s interface {
	callback.Store
	callback.Reader
}, app int64) []string {
	t.Helper()
	for i, c := range Callbacks() {
		ev, err := c.Event(app, time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC))
		if err != nil {
			t.Fatalf("callback %d: %v", i, err)
		}
		if _, err := s.Save(t.Context(), ev); err != nil {
			t.Fatalf("callback %d (%s): %v", i, c.Command, err)
		}
	}
	return Rows(t, s, app)
}

// Check fails t unless r holds, for Rooms of app, the rows fold gives (Rows of a new store fed
// Callbacks, updated_at aside) and the story Callbacks tell (Story): what a store migrated from
// version 1 must hold.
func Check(t testing.TB, r callback.Reader, app int64, fold []string) {
	t.Helper()
	if got := Rows(t, r, app); !slices.Equal(got, fold) {
		t.Errorf("rows after the migration:\n%s\nwant the fold of the version-1 events (a new store fed them):\n%s",
			strings.Join(got, "\n"), strings.Join(fold, "\n"))
	}
	if got := Describe(t, r, app); !slices.Equal(got, Story) {
		t.Errorf("rows after the migration:\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(Story, "\n"))
	}
}

func deref[T any](p *T) any {
	if p == nil {
		return nil
	}
	return *p
}
