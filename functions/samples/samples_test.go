package samples

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/roomhook/roomhook/pkg/callback"
)

// TestSamplesParse checks each body as the core reads it: its command's payload, keyed by its
// story's room and the sample's EventTime, naming its own command.
func TestSamplesParse(t *testing.T) {
	variants := map[string]bool{}
	for _, st := range []struct {
		name  string
		story []Sample
		room  string
		want  []string // the commands the story has a sample of
	}{
		{"Story", Story, RoomID, []string{callback.CommandCreateRoom, callback.CommandUpdateRoom, callback.CommandUpdateRoomAlt,
			callback.CommandDestroyRoom, callback.CommandMemberEnter, callback.CommandMemberLeave, callback.CommandSeatChanged}},
		{"LiveStory", LiveStory, LiveRoomID, []string{callback.CommandLiveCreateRoom, callback.CommandLiveUpdateRoom,
			callback.CommandLiveMemberState, callback.CommandLiveMemberStateAlt, callback.CommandSeatChanged,
			callback.CommandLiveChangeOwner, callback.CommandLiveDestroyRoom}},
	} {
		commands := map[string]bool{}
		for i, s := range st.story {
			if variants[s.Variant] || commands[s.Command] {
				t.Errorf("%s: variant or command twice", s.Variant)
			}
			variants[s.Variant], commands[s.Command] = true, true
			if i > 0 && s.EventTime <= st.story[i-1].EventTime {
				t.Errorf("%s: %s is not in EventTime order", s.Variant, st.name)
			}
			p, err := callback.ParsePayload(s.Command, []byte(s.Body))
			if err != nil || p == nil {
				t.Fatalf("%s: %v (%v)", s.Variant, p, err)
			}
			if room, et := p.Key(); room != st.room || et != s.EventTime || p.BodyCommand() != s.Command || s.Room() != st.room {
				t.Errorf("%s: key %s@%d, body command %s, Room %s", s.Variant, room, et, p.BodyCommand(), s.Room())
			}
			if q := s.Query(); q.Get("CallbackCommand") != s.Command || q.Get("SdkAppid") != "1400123456" {
				t.Errorf("%s: query %v", s.Variant, q)
			}
			if got := Get(s.Variant); got != s {
				t.Errorf("Get(%q) = %+v", s.Variant, got)
			}
			if st.room == LiveRoomID && !strings.HasPrefix(s.Variant, "live-") {
				t.Errorf("%s: a LiveStory variant starts with live-", s.Variant)
			}
		}
		for _, c := range st.want {
			if !commands[c] {
				t.Errorf("%s: no sample of %s", st.name, c)
			}
			if _, ok := ByCommand(c); !ok {
				t.Errorf("ByCommand(%s) finds none", c)
			}
		}
	}
	if s, _ := ByCommand(callback.CommandSeatChanged); s.Variant != "seat-changed" {
		t.Errorf("ByCommand(%s) = %s, want Story's", callback.CommandSeatChanged, s.Variant)
	}
	// What the Live samples are there to show.
	seat, _ := callback.ParsePayload(Get("live-seat-changed").Command, []byte(Get("live-seat-changed").Body))
	if op := seat.(*callback.SeatsChanged).OperatorAccount; op != nil {
		t.Errorf("live-seat-changed has Operator_Account %q; Live sends none", *op)
	}
	online, _ := callback.ParsePayload(Get("live-member-online").Command, []byte(Get("live-member-online").Body))
	if m := online.(*callback.LiveMembersChanged); !m.Online || !slices.Equal(m.Members, []string{"viewer-ann", LiveNumericAccount}) {
		t.Errorf("live-member-online: %+v", m)
	}
	offline, _ := callback.ParsePayload(Get("live-member-offline").Command, []byte(Get("live-member-offline").Body))
	if m := offline.(*callback.LiveMembersChanged); m.Online || m.EventCause == nil || *m.EventCause != "Leave" {
		t.Errorf("live-member-offline: %+v", m)
	}
	destroy, _ := callback.ParsePayload(Get("live-destroy-room").Command, []byte(Get("live-destroy-room").Body))
	if d := destroy.(*callback.LiveRoomDestroyed); d.RoomInfo.RoomName == nil || d.Statistic.TotalViewers == nil {
		t.Errorf("live-destroy-room carries no RoomInfo or Statistic: %+v", d)
	}
}

// TestWantIsTheFold cross-checks the hand-written rows with the domain's projection, over an
// in-memory Tx: each sample alone leaves its counted rows, and each whole story in many orders,
// with duplicates, leaves its rows (Want, LiveWant).
func TestWantIsTheFold(t *testing.T) {
	for _, st := range []struct {
		name  string
		story []Sample
		want  Rows
	}{
		{"Story", Story, Want(AppID)},
		{"LiveStory", LiveStory, LiveWant(AppID)},
	} {
		t.Run(st.name, func(t *testing.T) {
			for _, s := range st.story {
				tx := newMemTx()
				tx.save(t, s)
				tx.save(t, s)
				r, m, se := tx.rows(t).Count()
				if r != s.Rooms || m != s.Members || se != s.Seats {
					t.Errorf("%s alone: %d rooms, %d members, %d seats; want %d, %d, %d", s.Variant, r, m, se, s.Rooms, s.Members, s.Seats)
				}
			}
			rng := rand.New(rand.NewPCG(13, 13))
			for n := range 200 {
				order := slices.Clone(st.story)
				if n > 0 {
					rng.Shuffle(len(order), func(i, j int) { order[i], order[j] = order[j], order[i] })
					order = append(order, order[rng.IntN(len(order))])
				}
				tx := newMemTx()
				for _, s := range order {
					tx.save(t, s)
				}
				if d := Diff(tx.rows(t), st.want); d != "" {
					var names []string
					for _, s := range order {
						names = append(names, s.Variant)
					}
					t.Fatalf("order %v:\n%s", names, d)
				}
			}
		})
	}
}

// memTx is a store of one room in memory, saving the way every backend does.
type memTx struct {
	tables  map[string]map[string]callback.Row
	archive []callback.Archived
}

func newMemTx() *memTx { return &memTx{tables: map[string]map[string]callback.Row{}} }

func key(r callback.Row) string { return fmt.Sprint([]any(r)) }

func (m *memTx) Get(_ context.Context, t *callback.Table, k callback.Row) (callback.Row, error) {
	return m.tables[t.Name][key(k)], nil
}

func (m *memTx) Put(_ context.Context, t *callback.Table, _, row callback.Row) error {
	if err := callback.CheckRow(t, row); err != nil {
		return err
	}
	if m.tables[t.Name] == nil {
		m.tables[t.Name] = map[string]callback.Row{}
	}
	m.tables[t.Name][key(t.KeyOf(row))] = slices.Clone(row)
	return nil
}

func (m *memTx) RoomRows(_ context.Context, t *callback.Table) ([]callback.Row, error) {
	var out []callback.Row
	for _, r := range m.tables[t.Name] {
		out = append(out, r)
	}
	return out, nil
}

func (m *memTx) Archived(_ context.Context, q callback.ArchiveQuery) ([]callback.Archived, error) {
	var out []callback.Archived
	for _, a := range m.archive {
		if slices.Contains(q.Commands, a.Command) && (q.From == 0 || a.EventTime >= q.From) && (q.To == 0 || a.EventTime <= q.To) {
			out = append(out, a)
		}
	}
	if q.Newest && len(out) > 0 {
		top := slices.MaxFunc(out, func(a, b callback.Archived) int { return int(a.EventTime - b.EventTime) }).EventTime
		out = slices.DeleteFunc(out, func(a callback.Archived) bool { return a.EventTime != top })
	}
	return out, nil
}

// save archives s unless it is a duplicate, then projects it.
func (m *memTx) save(t *testing.T, s Sample) {
	t.Helper()
	p, err := callback.ParsePayload(s.Command, []byte(s.Body))
	if err != nil {
		t.Fatal(err)
	}
	ev := &callback.Event{SdkAppID: AppID, Command: s.Command, RoomID: s.Room(), EventTime: s.EventTime,
		Raw: []byte(s.Body), Payload: p, ReceivedAt: time.UnixMilli(s.EventTime + 30)}
	sum := sha256.Sum256(ev.Raw)
	a := callback.Archived{Command: s.Command, EventTime: s.EventTime, Digest: hex.EncodeToString(sum[:]), Raw: ev.Raw}
	for _, b := range m.archive {
		if b.Command == a.Command && b.EventTime == a.EventTime && b.Digest == a.Digest {
			return
		}
	}
	m.archive = append(m.archive, a)
	if _, err := callback.Project(context.Background(), m, ev); err != nil {
		t.Fatal(err)
	}
}

func (m *memTx) rows(t *testing.T) Rows {
	t.Helper()
	var r Rows
	for _, row := range m.tables[callback.RoomsTable.Name] {
		room, err := callback.RoomRowOf(row)
		if err != nil {
			t.Fatal(err)
		}
		room.UpdatedAt = 0
		r.Room = room
	}
	for _, row := range m.tables[callback.MembersTable.Name] {
		mr, err := callback.MemberRowOf(row)
		if err != nil {
			t.Fatal(err)
		}
		mr.UpdatedAt = 0
		r.Members = append(r.Members, mr)
	}
	slices.SortFunc(r.Members, func(a, b *callback.MemberRow) int {
		return cmpString(a.MemberAccount, b.MemberAccount)
	})
	for _, row := range m.tables[callback.SeatsTable.Name] {
		s, err := callback.SeatRowOf(row)
		if err != nil {
			t.Fatal(err)
		}
		s.UpdatedAt = 0
		r.Seats = append(r.Seats, s)
	}
	slices.SortFunc(r.Seats, func(a, b *callback.SeatRow) int { return int(a.SeatIndex - b.SeatIndex) })
	return r
}

func cmpString(a, b string) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}
