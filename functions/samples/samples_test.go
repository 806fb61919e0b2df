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
// story's room and the sample's EventTime, naming its own command (the threshold, which roomhook
// does not project, as its envelope: no room).
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
			callback.CommandLiveChangeOwner, callback.CommandLiveDestroyRoom, callback.CommandLiveModifyAdmin,
			callback.CommandLiveSetMetadata, callback.CommandLiveDelMetadata, callback.CommandLiveCreateBattle,
			callback.CommandLiveStartBattle, callback.CommandLiveEndBattle, callback.CommandLiveGift, callback.CommandLiveThreshold}},
	} {
		commands := map[string]bool{}
		var last int64
		for _, s := range st.story {
			if variants[s.Variant] {
				t.Errorf("%s: variant twice", s.Variant)
			}
			variants[s.Variant], commands[s.Command] = true, true
			if s.EventTime != 0 {
				if s.EventTime <= last {
					t.Errorf("%s: %s is not in EventTime order", s.Variant, st.name)
				}
				last = s.EventTime
			}
			room, et, bodyCommand := parse(t, s)
			wantRoom := st.room
			if s.Command == callback.CommandLiveThreshold {
				wantRoom = "" // app-wide
			}
			if room != wantRoom || et != s.EventTime || bodyCommand != s.Command || s.Room() != wantRoom {
				t.Errorf("%s: key %s@%d, body command %s, Room %s", s.Variant, room, et, bodyCommand, s.Room())
			}
			if (et == 0) != s.EveryDelivery() {
				t.Errorf("%s: EventTime %d, EveryDelivery %v", s.Variant, et, s.EveryDelivery())
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
		if len(commands) != len(st.want) {
			t.Errorf("%s: samples of %d commands, want %d", st.name, len(commands), len(st.want))
		}
	}
	if s, _ := ByCommand(callback.CommandSeatChanged); s.Variant != "seat-changed" {
		t.Errorf("ByCommand(%s) = %s, want Story's", callback.CommandSeatChanged, s.Variant)
	}
	// What the Live samples are there to show.
	payload := func(variant string) callback.Payload {
		s := Get(variant)
		p, _ := callback.ParsePayload(s.Command, []byte(s.Body))
		return p
	}
	if op := payload("live-seat-changed").(*callback.SeatsChanged).OperatorAccount; op != nil {
		t.Errorf("live-seat-changed has Operator_Account %q; Live sends none", *op)
	}
	if m := payload("live-member-online").(*callback.LiveMembersChanged); !m.Online || !slices.Equal(m.Members, []string{"viewer-ann", LiveNumericAccount}) {
		t.Errorf("live-member-online: %+v", m)
	}
	if m := payload("live-member-offline").(*callback.LiveMembersChanged); m.Online || m.EventCause == nil || *m.EventCause != "Leave" {
		t.Errorf("live-member-offline: %+v", m)
	}
	if d := payload("live-destroy-room").(*callback.LiveRoomDestroyed); d.RoomInfo.RoomName == nil || d.Statistic.TotalViewers == nil {
		t.Errorf("live-destroy-room carries no RoomInfo or Statistic: %+v", d)
	}
	if a := payload("live-modify-admin-add").(*callback.AdminsModified); !a.Added || !slices.Equal(a.Admins, []string{"mod-kit", LiveNumericAccount}) ||
		!strings.Contains(Get("live-modify-admin-add").Body, ","+LiveNumericAccount+"]") {
		t.Errorf("live-modify-admin-add does not add two admins, the numeric one as a JSON number: %+v", a)
	}
	if a := payload("live-modify-admin-delete").(*callback.AdminsModified); a.Added || len(a.Admins) != 1 {
		t.Errorf("live-modify-admin-delete does not remove one admin: %+v", a)
	}
	if m := payload("live-set-metadata").(*callback.MetadataSet); len(m.Entries) != 2 {
		t.Errorf("live-set-metadata does not set two keys: %+v", m)
	}
	if m := payload("live-del-metadata").(*callback.MetadataDeleted); !slices.Equal(m.Keys, []string{"pinned"}) {
		t.Errorf("live-del-metadata does not delete one key: %+v", m)
	}
	for _, v := range []string{"live-create-battle", "live-start-battle", "live-end-battle"} {
		if b := payload(v).(*callback.BattleChanged); b.BattleID != "tandy-battle-1" || b.From.RoomID != LiveRoomID ||
			len(b.To) != 1 || b.To[0].RoomID == LiveRoomID {
			t.Errorf("%s is not a stage of tandy-battle-1 against another room: %+v", v, b)
		}
	}
	if b := payload("live-end-battle").(*callback.BattleChanged); b.From.Score == nil || b.To[0].Score == nil || *b.From.Score == *b.To[0].Score {
		t.Errorf("live-end-battle names no winner: %+v", b)
	}
	if g := payload("live-send-gift").(*callback.GiftSent); g.Time == nil || g.GiftID == nil || g.Count == nil || g.Coins == nil || len(g.To) == 0 {
		t.Errorf("live-send-gift lacks a GiftWater field: %+v", g)
	}
	if th, err := callback.ParseThreshold([]byte(Get("live-threshold").Body)); err != nil || th.CurRoomCount == nil || th.MaxRoomCount == nil {
		t.Errorf("live-threshold: %+v, %v", th, err)
	}
}

// parse reads s's body as the handler does: the payload of a projected command, the envelope
// of any other.
func parse(t *testing.T, s Sample) (room string, eventTime int64, bodyCommand string) {
	t.Helper()
	if !callback.Projected(s.Command) {
		env, err := callback.ParseEnvelope([]byte(s.Body))
		if err != nil {
			t.Fatalf("%s: %v", s.Variant, err)
		}
		return env.RoomID, env.EventTime, env.CallbackCommand
	}
	p, err := callback.ParsePayload(s.Command, []byte(s.Body))
	if err != nil || p == nil {
		t.Fatalf("%s: %v (%v)", s.Variant, p, err)
	}
	room, eventTime = p.Key()
	return room, eventTime, p.BodyCommand()
}

// TestWantIsTheFold cross-checks the hand-written rows with the domain's projection, over an
// in-memory Tx: each sample alone leaves its counted rows, and each whole story in many orders,
// with duplicates, leaves its rows (Want, LiveWant; a gift delivered twice is two ledger rows).
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
				want := s.Counts
				if s.EveryDelivery() {
					want.Gifts *= 2
				}
				if got := tx.rows(t).Count(); got != want {
					t.Errorf("%s alone, delivered twice: %+v; want %+v", s.Variant, got, want)
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
				want := st.want
				if s := order[len(order)-1]; n > 0 && s.EveryDelivery() {
					want = want.Deliveries(2)
				}
				if d := Diff(tx.rows(t), want); d != "" {
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

// TestRows checks what the Rows helpers say of the Live story's rows: the count of each table,
// a gift's delivery left out of String, and Deliveries.
func TestRows(t *testing.T) {
	want := LiveWant(AppID)
	if c := want.Count(); c != (Counts{Rooms: 1, Members: 2, Seats: 2, Admins: 2, Metadata: 2, Battles: 1, Gifts: 1}) {
		t.Errorf("LiveWant counts %+v", c)
	}
	got := LiveWant(AppID)
	got.Gifts[0].DeliveryID, got.Gifts[0].ReceivedAt = "2d9c0e", 1703590132031
	if d := Diff(got, want); d != "" {
		t.Errorf("a gift's delivery_id and received_at are compared:\n%s", d)
	}
	twice := want.Deliveries(2)
	if c := twice.Count(); c.Gifts != 2 || c.Admins != 2 || len(want.Gifts) != 1 {
		t.Errorf("Deliveries(2): %+v (and LiveWant's gifts %d)", c, len(want.Gifts))
	}
	if Diff(twice, want) == "" || Diff(twice, LiveWant(AppID).Deliveries(2)) != "" {
		t.Error("Diff does not count the gift rows")
	}
	got = LiveWant(AppID)
	got.Battles[0].WinnerRoomID = nil
	if d := Diff(got, want); !strings.Contains(d, "got  battles ") || !strings.Contains(d, `want battles `) {
		t.Errorf("Diff of another battle row:\n%s", d)
	}
	if s := want.String(); !strings.Contains(s, `category=[7]`) || !strings.Contains(s, `total_gift_coins=250`) ||
		!strings.Contains(s, `winner_room_id="tandy-rival-live"`) || strings.Contains(s, "delivery_id") || strings.Contains(s, "updated_at") {
		t.Errorf("String:\n%s", s)
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
		if a.EventTime != 0 && slices.Contains(q.Commands, a.Command) && (q.From == 0 || a.EventTime >= q.From) && (q.To == 0 || a.EventTime <= q.To) {
			out = append(out, a)
		}
	}
	if q.Newest && len(out) > 0 {
		top := slices.MaxFunc(out, func(a, b callback.Archived) int { return int(a.EventTime - b.EventTime) }).EventTime
		out = slices.DeleteFunc(out, func(a callback.Archived) bool { return a.EventTime != top })
	}
	return out, nil
}

// save archives s unless it is a duplicate, then projects it (a command roomhook projects). The
// Event has no RequestID: each delivery of a gift gets a random delivery_id.
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
		// An event without EventTime (the gift) has no natural key: archived on every delivery.
		if a.EventTime != 0 && b.Command == a.Command && b.EventTime == a.EventTime && b.Digest == a.Digest {
			return
		}
	}
	m.archive = append(m.archive, a)
	if p == nil { // the threshold: archived only
		return
	}
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
	r.Admins = decode(t, m, callback.AdminsTable, callback.AdminRowOf, func(a *callback.AdminRow) string { a.UpdatedAt = 0; return a.AdminAccount })
	r.Metadata = decode(t, m, callback.MetadataTable, callback.MetadataRowOf, func(d *callback.MetadataRow) string { d.UpdatedAt = 0; return d.Key })
	r.Battles = decode(t, m, callback.BattlesTable, callback.BattleRowOf, func(b *callback.BattleRow) string { b.UpdatedAt = 0; return b.BattleID })
	r.Gifts = decode(t, m, callback.GiftsTable, callback.GiftRowOf, func(g *callback.GiftRow) string { return g.DeliveryID })
	return r
}

// decode returns the rows of table, decoded with of, sorted by what key returns (which also
// clears what the comparison leaves out).
func decode[T any](t *testing.T, m *memTx, table *callback.Table, of func(callback.Row) (T, error), key func(T) string) []T {
	t.Helper()
	var out []T
	for _, row := range m.tables[table.Name] {
		v, err := of(row)
		if err != nil {
			t.Fatal(err)
		}
		key(v)
		out = append(out, v)
	}
	slices.SortFunc(out, func(a, b T) int { return cmpString(key(a), key(b)) })
	return out
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
