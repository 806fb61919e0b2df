package storetest

import (
	"cmp"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"math/rand/v2"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/roomhook/roomhook/pkg/callback"
)

// The lifecycle property: a room's rows are the fold of its events in event order, whatever
// order, duplication or concurrency the deliveries come in. Generated timelines of several
// rooms (creates, partial updates, destroys and re-creates, members entering and leaving with
// every Type in one millisecond or not, seat changes, an 18-digit account; and live rooms,
// lifecycle_live.go: Live creates, updates, destroys and owner changes, viewers going Online
// and Offline for every EventCause, seat changes without an operator) are delivered sorted,
// in random orders with duplicates, and from 16 goroutines at once, each to a fresh store; the
// rows must equal an independent fold written here (fold, below: it shares no code with
// callback.Project) and the rows of the sorted delivery. updated_at, which records when a save
// wrote a row, is the one column that depends on delivery and is not compared.

var lifecycleTests = []struct {
	name string
	run  func(t *testing.T, s Backend)
}{
	{"lifecycle: a room's story, row by row", testLifecycleStory},
	{"lifecycle: late events from before a destroy", testLateBeforeDestroy},
	{"lifecycle: one update body under both spellings", testBothSpellings},
}

// lifecycleSeeds are the timelines every backend is checked with; each is a different story.
var lifecycleSeeds = []uint64{1, 2, 3}

// RunLifecycle runs the lifecycle property on stores open returns: every call must return a
// fresh, empty store. Run calls it; it is exported for backends that want to run it alone.
func RunLifecycle(t *testing.T, open func(t *testing.T) Backend) {
	seeds := lifecycleSeeds
	if testing.Short() {
		// -short (the race detector's run in .ci/run): one timeline; the full run takes them all.
		seeds = seeds[:1]
	}
	for _, seed := range seeds {
		t.Run(fmt.Sprintf("timeline %d", seed), func(t *testing.T) {
			tl := genTimeline(seed)
			want := fold(tl.events)

			sorted := slices.Clone(tl.events)
			slices.SortFunc(sorted, func(a, b *callback.Event) int { return eventOrder(a).compare(eventOrder(b)) })
			base := open(t)
			deliver(t, base, sorted, 1)
			ref := readAll(t, base, tl)
			checkFold(t, "sorted delivery", ref, want, sorted)

			rng := rand.New(rand.NewPCG(seed, 0xdecade))
			for p := range 2 {
				s := open(t)
				deliveries := shuffledWithRepeats(rng, tl.events)
				deliver(t, s, deliveries, 1)
				got := readAll(t, s, tl)
				checkFold(t, fmt.Sprintf("random order %d", p), got, want, deliveries)
				checkSame(t, fmt.Sprintf("random order %d", p), got, ref)
			}
			s := open(t)
			deliveries := shuffledWithRepeats(rng, tl.events)
			deliver(t, s, deliveries, 16)
			got := readAll(t, s, tl)
			checkFold(t, "16 goroutines", got, want, deliveries)
			checkSame(t, "16 goroutines", got, ref)
		})
	}
}

// timeline is a generated story of several rooms of one app.
type timeline struct {
	app    int64
	rooms  []string
	events []*callback.Event // distinct events, in the order they were generated
}

const t0 = 1703589922000

var (
	lifeMembers = []string{"alice", "bob", "144115233775727695", "carol", "戴夫"}
	// "Destroyed" is also roomhook's word for a member a destroy ended: a leave may say it too.
	leaveTypes = []string{"Leave", "Kicked", "Expired", "SomethingNew", "Destroyed"}
)

// genTimeline generates seed's timeline: 3 Room-family rooms and 2 live rooms with about 28
// events each, their EventTimes drawn from 16 milliseconds so that many share one. The live
// rooms come from a generator of their own, so the Room rooms' events are the same with or
// without them.
func genTimeline(seed uint64) timeline {
	rng := rand.New(rand.NewPCG(seed, 0x5eed))
	tl := timeline{app: SeedSdkAppID, rooms: []string{"life-a", "life-b", "房间-c"}}
	seen := map[string]bool{}
	for _, room := range tl.rooms {
		for countRoom(tl.events, room) < 28 {
			ev := genEvent(rng, tl.app, room)
			key := ev.Command + "|" + string(ev.Raw)
			if seen[key] {
				continue
			}
			seen[key] = true
			tl.events = append(tl.events, ev)
			// A twin in the same millisecond for the same members or seats, telling another
			// story: only the documented tie-break decides between the two.
			if tw := twin(rng, ev); tw != nil && rng.IntN(3) == 0 && !seen[tw.Command+"|"+string(tw.Raw)] {
				seen[tw.Command+"|"+string(tw.Raw)] = true
				tl.events = append(tl.events, tw)
			}
		}
	}
	genLiveRooms(seed, &tl, seen)
	return tl
}

// twin returns another event of ev's command, room, millisecond and members or seats, with
// other details; nil for the other commands.
func twin(rng *rand.Rand, ev *callback.Event) *callback.Event {
	switch p := ev.Payload.(type) {
	case *callback.RoomUpdated:
		// The same body under the update's other spelling: a second event with the same
		// digest, which only the command's name orders.
		other := callback.CommandUpdateRoomAlt
		if ev.Command == other {
			other = callback.CommandUpdateRoom
		}
		return eventOf(ev.SdkAppID, other, ev.Raw)
	case *callback.MembersChanged:
		typ, reason := ptr("Enter"), (*string)(nil)
		if ev.Command == callback.CommandMemberLeave {
			typ, reason = ptr(leaveTypes[rng.IntN(len(leaveTypes))]), ptr(fmt.Sprintf("twin-%d", rng.IntN(100)))
		}
		return eventOf(ev.SdkAppID, ev.Command, membersBody(ev.Command, p.RoomID, ptr(rng.Int64N(9)+10), typ, reason, p.Members, p.EventTime))
	case *callback.SeatsChanged:
		seats := slices.Clone(p.Seats)
		for i := range seats {
			seats[i].MemberAccount = ptr(lifeMembers[rng.IntN(len(lifeMembers))])
			seats[i].IsTakenDisabled = genBool(rng)
		}
		return eventOf(ev.SdkAppID, ev.Command, seatsBodyBy(p.RoomID, p.OperatorAccount, seats, p.EventTime))
	}
	return nil
}

func countRoom(evs []*callback.Event, room string) int {
	n := 0
	for _, ev := range evs {
		if ev.RoomID == room {
			n++
		}
	}
	return n
}

func genEvent(rng *rand.Rand, app int64, room string) *callback.Event {
	at := t0 + rng.Int64N(16)
	pick := func(list []string) string { return list[rng.IntN(len(list))] }
	maybe := func() bool { return rng.IntN(3) > 0 }
	members := func(n int) []string {
		out := []string{}
		for range n {
			if m := pick(lifeMembers); !slices.Contains(out, m) {
				out = append(out, m)
			}
		}
		return out
	}
	switch k := rng.IntN(23); {
	case k < 3:
		rc := &callback.RoomCreated{RoomInfo: genInfo(rng, room, true), EventTime: at}
		if maybe() {
			rc.OperatorAccount = ptr(pick(lifeMembers))
		}
		if rng.IntN(2) == 0 {
			rc.ScheduleInviteeList = members(3)
		}
		return eventOf(app, callback.CommandCreateRoom, createBody(rc))
	case k < 7:
		ev := updateEvent(app, room, at, genInfo(rng, room, false))
		if rng.IntN(4) == 0 { // Tencent's other spelling of the same command
			ev = eventOf(app, callback.CommandUpdateRoomAlt, []byte(strings.Replace(string(ev.Raw),
				callback.CommandUpdateRoom, callback.CommandUpdateRoomAlt, 1)))
		}
		return ev
	case k < 9:
		var op *string
		if maybe() {
			op = ptr(pick(lifeMembers))
		}
		return eventOf(app, callback.CommandDestroyRoom, destroyBody(room, op, at))
	case k < 15:
		var count *int64
		if rng.IntN(8) > 0 {
			count = ptr(rng.Int64N(9))
		}
		return eventOf(app, callback.CommandMemberEnter,
			membersBody(callback.CommandMemberEnter, room, count, ptr("Enter"), nil, members(1+rng.IntN(3)), at))
	case k < 19:
		var reason *string
		if maybe() {
			reason = ptr(pick([]string{"bye", "spam", "network"}))
		}
		return eventOf(app, callback.CommandMemberLeave,
			membersBody(callback.CommandMemberLeave, room, ptr(rng.Int64N(9)), ptr(pick(leaveTypes)), reason, members(1+rng.IntN(2)), at))
	default:
		var seats []callback.Seat
		for range 1 + rng.IntN(3) {
			s := callback.Seat{Index: rng.Int64N(4)}
			switch rng.IntN(3) {
			case 0:
				s.MemberAccount = ptr(pick(lifeMembers))
			case 1:
				s.MemberAccount = ptr("") // an empty seat, as Tencent may say it
			}
			s.IsTakenDisabled, s.IsVideoDisabled, s.IsAudioDisabled = genBool(rng), genBool(rng), genBool(rng)
			seats = append(seats, s)
		}
		return eventOf(app, callback.CommandSeatChanged, seatsBody(room, seats, at))
	}
}

func genBool(rng *rand.Rand) *bool {
	switch rng.IntN(3) {
	case 0:
		return ptr(true)
	case 1:
		return ptr(false)
	}
	return nil
}

// genInfo returns a RoomInfo for room with a random set of fields: a create carries about
// two thirds of them, an update one to three.
func genInfo(rng *rand.Rand, room string, create bool) callback.RoomInfo {
	i := callback.RoomInfo{RoomID: room}
	n := rng.IntN(1000)
	setters := []func(){
		func() { i.RoomName = ptr(fmt.Sprintf("name-%d", n)) },
		func() { i.RoomType = ptr([]string{"Meeting", "Conference", "Live"}[n%3]) },
		func() { i.OwnerAccount = ptr(lifeMembers[n%len(lifeMembers)]) },
		func() { i.MaxMemberCount = ptr(int64(n)) },
		func() { i.MaxSeatCount = ptr(int64(n % 17)) },
		func() { i.IsVideoDisabled = ptr(n%2 == 0) },
		func() { i.IsAudioDisabled = ptr(n%3 == 0) },
		func() { i.IsMessageDisabled = ptr(n%5 == 0) },
		func() { i.IsScreenSharingDisabled = ptr(n%7 == 0) },
		func() { i.IsCloudRecordingDisabled = ptr(n%11 == 0) },
		func() { i.CustomInfo = ptr(fmt.Sprintf("custom-%d", n)) },
		func() { i.ScheduleStartTime = ptr(int64(1703589000 + n)) },
		func() { i.ScheduleEndTime = ptr(int64(1703593000 + n)) },
		func() { i.RoomStatus = ptr([]string{"None", "NotStarted", "Running", "Paused"}[n%4]) },
		func() { i.IsSeatEnabled = ptr(n%4 == 0) },
		func() { i.TakeSeatMode = ptr([]string{"None", "FreeToTake", "ApplyToTake", "Other"}[n%4]) },
		func() { i.CreateTime = ptr(int64(1703589900 + n)) },
	}
	if create {
		for _, set := range setters {
			if rng.IntN(3) > 0 {
				set()
			}
		}
		return i
	}
	for range 1 + rng.IntN(3) {
		setters[rng.IntN(len(setters))]()
	}
	return i
}

// shuffledWithRepeats returns the events in a random order, about a third of them twice and some
// three times, each delivery a copy with its own request id and arrival time.
func shuffledWithRepeats(rng *rand.Rand, events []*callback.Event) []*callback.Event {
	var out []*callback.Event
	for _, ev := range events {
		for range 1 + rng.IntN(3)/2 + rng.IntN(6)/5 {
			out = append(out, ev)
		}
	}
	rng.Shuffle(len(out), func(i, j int) { out[i], out[j] = out[j], out[i] })
	for i, ev := range out {
		c := *ev
		c.RequestID = fmt.Sprintf("req-delivery-%03d", i)
		c.ReceivedAt = receivedAt.Add(time.Duration(i) * time.Millisecond)
		out[i] = &c
	}
	return out
}

// deliver saves the deliveries on workers goroutines at once (1: in order) and checks that each
// is saved, and that each distinct event was stored or found stale exactly once and every other
// delivery of it was a duplicate; a gift, every delivery of which is a ledger row, is stored on
// every delivery.
func deliver(t *testing.T, s Backend, deliveries []*callback.Event, workers int) {
	t.Helper()
	var mu sync.Mutex
	firsts := map[string]int{}
	next := make(chan *callback.Event)
	var wg sync.WaitGroup
	for range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for ev := range next {
				o, err := s.Save(t.Context(), ev)
				if err != nil {
					t.Errorf("Save(%s %q @%d): %v", ev.Command, ev.RoomID, ev.EventTime, err)
					continue
				}
				mu.Lock()
				if o != callback.OutcomeDuplicate {
					firsts[ev.Command+"|"+string(ev.Raw)]++
				}
				mu.Unlock()
			}
		}()
	}
	distinct := map[string]int{}
	for _, ev := range deliveries {
		want := 1
		if ev.Command == callback.CommandLiveGift {
			want = distinct[ev.Command+"|"+string(ev.Raw)] + 1
		}
		distinct[ev.Command+"|"+string(ev.Raw)] = want
		next <- ev
	}
	close(next)
	wg.Wait()
	for k, want := range distinct {
		if firsts[k] != want {
			t.Errorf("event %.80s… was stored %d times, want %d (every other delivery a duplicate)", k, firsts[k], want)
		}
	}
}

// roomRows is every row of one room, updated_at zeroed (and the gifts' delivery_id).
type roomRows struct {
	Room     *callback.RoomRow // nil: no row
	Members  []*callback.MemberRow
	Seats    []*callback.SeatRow
	Admins   []*callback.AdminRow
	Metadata []*callback.MetadataRow
	Battles  []*callback.BattleRow // the battles the room started
	Gifts    []*callback.GiftRow   // one per delivery: compared by checkFold alone
}

func readAll(t *testing.T, s Backend, tl timeline) map[string]roomRows {
	t.Helper()
	out := map[string]roomRows{}
	for _, room := range tl.rooms {
		var rr roomRows
		r, err := callback.ReadRoom(t.Context(), s, tl.app, room)
		switch {
		case errors.Is(err, callback.ErrNotFound):
		case err != nil:
			t.Fatalf("ReadRoom(%q): %v", room, err)
		default:
			r.UpdatedAt = 0
			rr.Room = r
		}
		if rr.Members, err = callback.ReadMembers(t.Context(), s, tl.app, room); err != nil {
			t.Fatalf("ReadMembers(%q): %v", room, err)
		}
		for _, m := range rr.Members {
			m.UpdatedAt = 0
		}
		if rr.Seats, err = callback.ReadSeats(t.Context(), s, tl.app, room); err != nil {
			t.Fatalf("ReadSeats(%q): %v", room, err)
		}
		for _, st := range rr.Seats {
			st.UpdatedAt = 0
		}
		if rr.Admins, err = callback.ReadAdmins(t.Context(), s, tl.app, room); err != nil {
			t.Fatalf("ReadAdmins(%q): %v", room, err)
		}
		for _, a := range rr.Admins {
			a.UpdatedAt = 0
		}
		if rr.Metadata, err = callback.ReadMetadata(t.Context(), s, tl.app, room); err != nil {
			t.Fatalf("ReadMetadata(%q): %v", room, err)
		}
		for _, m := range rr.Metadata {
			m.UpdatedAt = 0
		}
		if rr.Battles, err = callback.ReadBattles(t.Context(), s, tl.app, room); err != nil {
			t.Fatalf("ReadBattles(%q): %v", room, err)
		}
		for _, b := range rr.Battles {
			b.UpdatedAt = 0
		}
		if rr.Gifts, err = callback.ReadGifts(t.Context(), s, tl.app, room); err != nil {
			t.Fatalf("ReadGifts(%q): %v", room, err)
		}
		ids := map[string]bool{}
		for _, g := range rr.Gifts {
			if g.DeliveryID == "" || ids[g.DeliveryID] {
				t.Errorf("room %q: gift delivery_id %q empty or given twice", room, g.DeliveryID)
			}
			ids[g.DeliveryID] = true
			g.DeliveryID = ""
		}
		sortGifts(rr.Gifts)
		out[room] = rr
	}
	return out
}

// checkFold compares the rows with the fold of the events, and the gift ledger with one row
// per delivery of a gift.
func checkFold(t *testing.T, delivery string, got, want map[string]roomRows, deliveries []*callback.Event) {
	t.Helper()
	gifts := giftsOf(deliveries)
	for room, w := range want {
		w.Gifts = gifts[room]
		if w.Gifts == nil {
			w.Gifts = []*callback.GiftRow{}
		}
		for _, d := range diff(got[room], w) {
			t.Errorf("%s, room %q, rows differ from the fold of its events: %s", delivery, room, d)
		}
	}
}

// checkSame compares the rows with the sorted delivery's, the gift ledger aside (its rows
// follow the deliveries).
func checkSame(t *testing.T, delivery string, got, sorted map[string]roomRows) {
	t.Helper()
	for room, w := range sorted {
		g := got[room]
		g.Gifts, w.Gifts = nil, nil
		for _, d := range diff(g, w) {
			t.Errorf("%s, room %q, rows differ from the sorted delivery's: %s", delivery, room, d)
		}
	}
}

// order is an event's place in the fold: EventTime, then the rank of its command, then the
// SHA-256 of its body in hex, then the command's name. Written here from the documented rule,
// not taken from the core.
type foldOrder struct {
	time    int64
	rank    int
	digest  string
	command string
}

func (a foldOrder) compare(b foldOrder) int {
	return cmp.Or(cmp.Compare(a.time, b.time), cmp.Compare(a.rank, b.rank), cmp.Compare(a.digest, b.digest),
		cmp.Compare(a.command, b.command))
}

// foldRanks order the commands of one millisecond: creates, then updates and owner changes,
// then member events, then seat changes, then destroys.
var foldRanks = map[string]int{
	callback.CommandCreateRoom:         0,
	callback.CommandLiveCreateRoom:     0,
	callback.CommandUpdateRoom:         1,
	callback.CommandUpdateRoomAlt:      1,
	callback.CommandLiveUpdateRoom:     1,
	callback.CommandLiveChangeOwner:    1,
	callback.CommandMemberEnter:        2,
	callback.CommandMemberLeave:        3,
	callback.CommandLiveMemberState:    4,
	callback.CommandLiveMemberStateAlt: 4,
	callback.CommandSeatChanged:        5,
	callback.CommandDestroyRoom:        6,
	callback.CommandLiveDestroyRoom:    6,
	// The Live family's own tables: an admin change and a metadata event as an update, a
	// battle's create, start and end as a create, an update and a destroy.
	callback.CommandLiveModifyAdmin:  1,
	callback.CommandLiveSetMetadata:  1,
	callback.CommandLiveDelMetadata:  1,
	callback.CommandLiveCreateBattle: 0,
	callback.CommandLiveStartBattle:  1,
	callback.CommandLiveEndBattle:    6,
	callback.CommandLiveGift:         7, // not folded; sorted last in a sorted delivery
}

func eventOrder(ev *callback.Event) foldOrder {
	rank, ok := foldRanks[ev.Command]
	if !ok {
		panic("storetest: no fold rank for " + ev.Command)
	}
	sum := sha256.Sum256(ev.Raw)
	return foldOrder{ev.EventTime, rank, hex.EncodeToString(sum[:]), ev.Command}
}

// fold is the independent oracle: each room's distinct events applied one by one in fold order,
// as docs/projection.md states the rule, with no cleverness.
func fold(events []*callback.Event) map[string]roomRows {
	byRoom := map[string][]*callback.Event{}
	seen := map[string]bool{}
	for _, ev := range events {
		k := ev.Command + "|" + string(ev.Raw)
		if ev.Command == callback.CommandLiveGift {
			continue // not folded: giftsOf
		}
		if !seen[k] {
			seen[k] = true
			byRoom[ev.RoomID] = append(byRoom[ev.RoomID], ev)
		}
	}
	out := map[string]roomRows{}
	for room, evs := range byRoom {
		slices.SortFunc(evs, func(a, b *callback.Event) int { return eventOrder(a).compare(eventOrder(b)) })
		var row *callback.RoomRow
		members := map[string]*callback.MemberRow{}
		seats := map[int64]*callback.SeatRow{}
		var count, countAt *int64
		tables := newLiveTables()
		for _, ev := range evs {
			if tables.apply(ev) {
				continue
			}
			t := ev.EventTime
			// create starts a new life with info; update overlays what it carries on the
			// row, starting one when there is none; destroy ends the life and every member in.
			create := func(info callback.RoomInfo, op *string, invitees []string) {
				row = &callback.RoomRow{SdkAppID: ev.SdkAppID, Info: info, OperatorAccount: op, ScheduleInviteeList: invitees,
					CallbackCommand: ev.Command, EventTime: t}
			}
			update := func(info callback.RoomInfo) {
				if row == nil {
					row = &callback.RoomRow{SdkAppID: ev.SdkAppID, Info: callback.RoomInfo{RoomID: room}}
				}
				overlayInfo(&row.Info, info)
				row.CallbackCommand, row.EventTime = ev.Command, t
			}
			destroy := func(op *string) {
				update(callback.RoomInfo{})
				row.DestroyedAt, row.DestroyOperatorAccount = ptr(t), op
				for _, m := range members {
					if m.State == callback.MemberIn {
						m.State, m.LeftAt, m.LeaveType, m.LeaveReason, m.EventTime = callback.MemberLeft, ptr(t), ptr("Destroyed"), nil, t
					}
				}
			}
			// enter and leave set one member's row, made at its first event.
			memberRow := func(a string) *callback.MemberRow {
				m := members[a]
				if m == nil {
					m = &callback.MemberRow{SdkAppID: ev.SdkAppID, RoomID: room, MemberAccount: a}
					members[a] = m
				}
				m.EventTime = t
				return m
			}
			enter := func(a string) {
				m := memberRow(a)
				m.State, m.EnteredAt, m.LeftAt, m.LeaveType, m.LeaveReason = callback.MemberIn, ptr(t), nil, nil, nil
			}
			leave := func(a string, typ, reason *string) {
				m := memberRow(a)
				m.State, m.LeftAt, m.LeaveType, m.LeaveReason = callback.MemberLeft, ptr(t), typ, reason
			}
			switch p := ev.Payload.(type) {
			case *callback.RoomCreated:
				create(p.RoomInfo, p.OperatorAccount, p.ScheduleInviteeList)
			case *callback.LiveRoomCreated:
				create(p.RoomInfo, p.OperatorAccount, nil)
				row.Live = p.Live
			case *callback.RoomUpdated:
				update(p.RoomInfo)
			case *callback.LiveRoomUpdated:
				update(p.RoomInfo)
				overlayLive(&row.Live, p.Live)
			case *callback.OwnerChanged:
				// The owner of the room's row; no row, no owner: a later create starts anew.
				if row != nil {
					row.Info.OwnerAccount = ptr(p.CurrentOwner)
				}
			case *callback.RoomDestroyed:
				destroy(p.OperatorAccount)
				row.DestroyEventType, row.Statistic = nil, callback.LiveStatistic{}
			case *callback.LiveRoomDestroyed:
				update(p.RoomInfo) // the room as it ended, laid over it as an update would be
				overlayLive(&row.Live, p.Live)
				destroy(p.OperatorAccount)
				row.DestroyEventType, row.Statistic = p.EventType, p.Statistic
			case *callback.MembersChanged:
				for _, a := range p.Members {
					if ev.Command == callback.CommandMemberEnter {
						enter(a)
					} else {
						leave(a, p.Type, p.Reason)
					}
				}
				count, countAt = p.MemberCount, ptr(t)
			case *callback.LiveMembersChanged:
				// No MemberCount: rooms.member_count is the Room family's alone.
				for _, a := range p.Members {
					if p.Online {
						enter(a)
					} else {
						leave(a, p.EventCause, nil)
					}
				}
			case *callback.SeatsChanged:
				for _, s := range p.Seats {
					var acct *string
					if s.MemberAccount != nil && *s.MemberAccount != "" {
						acct = s.MemberAccount
					}
					seats[s.Index] = &callback.SeatRow{SdkAppID: ev.SdkAppID, RoomID: room, SeatIndex: s.Index,
						MemberAccount: acct, IsTakenDisabled: s.IsTakenDisabled, IsVideoDisabled: s.IsVideoDisabled,
						IsAudioDisabled: s.IsAudioDisabled, EventTime: t}
				}
			default:
				panic(fmt.Sprintf("storetest: the fold has no rule for %s (%T)", ev.Command, ev.Payload))
			}
		}
		var rr roomRows
		if row != nil {
			row.MemberCount, row.MemberCountAt = count, countAt
			rr.Room = row
		}
		rr.Members = []*callback.MemberRow{}
		for _, m := range members {
			rr.Members = append(rr.Members, m)
		}
		slices.SortFunc(rr.Members, func(a, b *callback.MemberRow) int { return cmp.Compare(a.MemberAccount, b.MemberAccount) })
		rr.Seats = []*callback.SeatRow{}
		for _, s := range seats {
			rr.Seats = append(rr.Seats, s)
		}
		slices.SortFunc(rr.Seats, func(a, b *callback.SeatRow) int { return cmp.Compare(a.SeatIndex, b.SeatIndex) })
		tables.rows(&rr)
		out[room] = rr
	}
	return out
}

// overlayLive sets every Live field u carries on l.
func overlayLive(l *callback.LiveInfo, u callback.LiveInfo) {
	if u.IsPublicVisible != nil {
		l.IsPublicVisible = u.IsPublicVisible
	}
	if u.CoverURL != nil {
		l.CoverURL = u.CoverURL
	}
	if u.BackgroundURL != nil {
		l.BackgroundURL = u.BackgroundURL
	}
	if u.Category != nil {
		l.Category = u.Category
	}
	if u.ActivityStatus != nil {
		l.ActivityStatus = u.ActivityStatus
	}
	if u.IsUnlimitedRoomEnabled != nil {
		l.IsUnlimitedRoomEnabled = u.IsUnlimitedRoomEnabled
	}
	if u.ViewCount != nil {
		l.ViewCount = u.ViewCount
	}
}

// overlayInfo sets every field u carries on i.
func overlayInfo(i *callback.RoomInfo, u callback.RoomInfo) {
	if u.RoomName != nil {
		i.RoomName = u.RoomName
	}
	if u.RoomType != nil {
		i.RoomType = u.RoomType
	}
	if u.OwnerAccount != nil {
		i.OwnerAccount = u.OwnerAccount
	}
	if u.MaxMemberCount != nil {
		i.MaxMemberCount = u.MaxMemberCount
	}
	if u.MaxSeatCount != nil {
		i.MaxSeatCount = u.MaxSeatCount
	}
	if u.IsVideoDisabled != nil {
		i.IsVideoDisabled = u.IsVideoDisabled
	}
	if u.IsAudioDisabled != nil {
		i.IsAudioDisabled = u.IsAudioDisabled
	}
	if u.IsMessageDisabled != nil {
		i.IsMessageDisabled = u.IsMessageDisabled
	}
	if u.IsScreenSharingDisabled != nil {
		i.IsScreenSharingDisabled = u.IsScreenSharingDisabled
	}
	if u.IsCloudRecordingDisabled != nil {
		i.IsCloudRecordingDisabled = u.IsCloudRecordingDisabled
	}
	if u.CustomInfo != nil {
		i.CustomInfo = u.CustomInfo
	}
	if u.ScheduleStartTime != nil {
		i.ScheduleStartTime = u.ScheduleStartTime
	}
	if u.ScheduleEndTime != nil {
		i.ScheduleEndTime = u.ScheduleEndTime
	}
	if u.RoomStatus != nil {
		i.RoomStatus = u.RoomStatus
	}
	if u.IsSeatEnabled != nil {
		i.IsSeatEnabled = u.IsSeatEnabled
	}
	if u.TakeSeatMode != nil {
		i.TakeSeatMode = u.TakeSeatMode
	}
	if u.CreateTime != nil {
		i.CreateTime = u.CreateTime
	}
}
