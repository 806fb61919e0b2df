package storetest

import (
	"cmp"
	"fmt"
	"math/rand/v2"
	"slices"

	"github.com/roomhook/roomhook/pkg/callback"
)

// The Live family's own tables in the lifecycle property: admins added and removed, metadata
// keys set and deleted, battles started by each live room with their stages at any times, and
// gifts. They come from a generator of their own (genLiveTables), so the live rooms' other events
// stay what they were. Twins share a millisecond and an account (a key, a battle) with another
// story, so that only the tie-break orders them. Gifts are not folded: every delivery is a
// ledger row, so what the ledger must hold follows from the deliveries (giftsOf).

var (
	metaKeys = []string{"topic", "notice", "关键"}
	// battleRooms are the rooms a battle may invite besides the other live room.
	battleRooms = []string{"elsewhere-1", "elsewhere-2"}
)

// liveTableEvents is how many such events each live room gets.
const liveTableEvents = 16

// genLiveTables appends room's admin, metadata, battle and gift events, drawn from rng, with
// add (which drops an event already generated); other is the other live room.
func genLiveTables(rng *rand.Rand, app int64, room, other string, add func(*callback.Event) bool) {
	pick := func(list []string) string { return list[rng.IntN(len(list))] }
	battles := []string{room + "-pk-1", room + "-pk-2"}
	for n := 0; n < liveTableEvents; {
		at := t0 + rng.Int64N(16)
		var ev *callback.Event
		switch k := rng.IntN(10); {
		case k < 3:
			var admins []string
			for range 1 + rng.IntN(3) {
				admins = append(admins, pick(lifeMembers))
			}
			ev = eventOf(app, callback.CommandLiveModifyAdmin, adminBody(room, admins, rng.IntN(2) == 0, at))
		case k < 6:
			keys := []string{pick(metaKeys)}
			if rng.IntN(2) == 0 {
				keys = append(keys, pick(metaKeys))
			}
			ev = metaEvent(rng, app, room, keys, rng.IntN(3) > 0, at)
		case k < 9:
			ev = battleEvent(rng, app, room, other, pick(battles), at)
		default:
			ev = eventOf(app, callback.CommandLiveGift, giftBody(rng, room))
		}
		if !add(ev) {
			continue
		}
		n++
		if rng.IntN(3) == 0 {
			if tw := tableTwin(rng, ev, other); tw != nil && add(tw) {
				n++
			}
		}
	}
	// A battle placed rather than drawn, all three stages, the start and the end in one
	// millisecond (only the ranks order them): the end gives every room a score, so that the
	// row names a winner, or none for a draw when room is the second live room.
	battle, draw := room+"-pk-3", room == liveRooms[1]
	create := newObject().set("CallbackCommand", callback.CommandLiveCreateBattle).set("BattleId", battle).
		set("FromRoomId", room).set("ToRoomIdList", []any{other, battleRooms[0]}).set("CreateTime", int64(t0/1000))
	add(eventOf(app, callback.CommandLiveCreateBattle, body(create.set("EventTime", int64(t0+1)))))
	start := newObject().set("CallbackCommand", callback.CommandLiveStartBattle).set("BattleId", battle).
		set("FromRoomId", room).set("StartTime", int64(t0/1000+1)).set("Duration", int64(300000))
	add(eventOf(app, callback.CommandLiveStartBattle, body(start.set("EventTime", int64(t0+9)))))
	top := int64(50)
	if draw {
		top = 40
	}
	end := newObject().set("CallbackCommand", callback.CommandLiveEndBattle).set("BattleId", battle).
		set("FromRoomInfo", newObject().set("RoomId", room).set("Owner_Account", "host").set("Score", int64(40))).
		set("ToRoomList", []any{
			newObject().set("RoomId", other).set("Score", top),
			newObject().set("RoomId", battleRooms[0]).set("Score", int64(10)),
		}).set("EndTime", int64(t0/1000+301)).set("OpType", int64(0))
	add(eventOf(app, callback.CommandLiveEndBattle, body(end.set("EventTime", int64(t0+9)))))
}

// tableTwin returns another event of ev's command, millisecond and accounts (keys, battle),
// telling another story; nil for a gift.
func tableTwin(rng *rand.Rand, ev *callback.Event, other string) *callback.Event {
	switch p := ev.Payload.(type) {
	case *callback.AdminsModified:
		return eventOf(ev.SdkAppID, ev.Command, adminBody(p.RoomID, p.Admins, !p.Added, p.EventTime))
	case *callback.MetadataSet:
		keys := make([]string, len(p.Entries))
		for i, e := range p.Entries {
			keys[i] = e.Key
		}
		return metaEvent(rng, ev.SdkAppID, p.RoomID, keys, rng.IntN(2) == 0, p.EventTime)
	case *callback.MetadataDeleted:
		return metaEvent(rng, ev.SdkAppID, p.RoomID, p.Keys, true, p.EventTime)
	case *callback.BattleChanged:
		// Another stage, or the same one with other scores, of the battle in its millisecond.
		return battleEvent(rng, ev.SdkAppID, p.From.RoomID, other, p.BattleID, p.EventTime)
	}
	return nil
}

func adminBody(room string, admins []string, add bool, t int64) []byte {
	op := "delete"
	if add {
		op = "add"
	}
	o := newObject().set("CallbackCommand", callback.CommandLiveModifyAdmin).set("RoomId", room).
		set("Operator_Account", "host").set("Admin_Account", accounts(admins)).set("opType", op)
	return body(o.set("EventTime", t))
}

// metaEvent sets keys to random values (set) or deletes them.
func metaEvent(rng *rand.Rand, app int64, room string, keys []string, set bool, t int64) *callback.Event {
	command := callback.CommandLiveDelMetadata
	o := newObject().set("CallbackCommand", command).set("RoomId", room).set("Operator_Account", "host")
	if set {
		command = callback.CommandLiveSetMetadata
		o.set("CallbackCommand", command)
		entries := make([]any, len(keys))
		for i, k := range keys {
			v := fmt.Sprintf("value %d", rng.IntN(1000))
			if rng.IntN(5) == 0 {
				v = "" // an empty value is a value
			}
			entries[i] = newObject().set("Key", k).set("Value", v)
		}
		o.set("Metadata", entries)
	} else {
		list := make([]any, len(keys))
		for i, k := range keys {
			list[i] = k
		}
		o.set("Keys", list)
	}
	return eventOf(app, command, body(o.set("EventTime", t)))
}

// battleEvent is a random stage of battle started by room, inviting other and sometimes a room
// elsewhere: the rooms as ids or with scores (some missing), some of the times and figures.
func battleEvent(rng *rand.Rand, app int64, room, other, battle string, t int64) *callback.Event {
	command := []string{callback.CommandLiveCreateBattle, callback.CommandLiveStartBattle, callback.CommandLiveEndBattle}[rng.IntN(3)]
	to := []string{other}
	if rng.IntN(2) == 0 {
		to = append(to, battleRooms[rng.IntN(len(battleRooms))])
	}
	score := func() any { return int64(rng.IntN(4) * 10) } // few values, so that draws happen
	o := newObject().set("CallbackCommand", command).set("BattleId", battle)
	if rng.IntN(2) == 0 {
		o.set("FromRoomId", room)
	} else {
		from := newObject().set("RoomId", room).set("Owner_Account", "host")
		if rng.IntN(4) > 0 {
			from.set("Score", score())
		}
		o.set("FromRoomInfo", from)
	}
	switch rng.IntN(3) {
	case 0:
		ids := make([]any, len(to))
		for i, r := range to {
			ids[i] = r
		}
		o.set("ToRoomIdList", ids)
	case 1:
		list := make([]any, len(to))
		for i, r := range to {
			e := newObject().set("RoomId", r).set("Owner_Account", "streamer-"+r)
			if rng.IntN(6) > 0 {
				e.set("Score", score())
			}
			list[i] = e
		}
		o.set("ToRoomList", list)
	}
	maybe := func(k string, v any) {
		if rng.IntN(2) == 0 {
			o.set(k, v)
		}
	}
	maybe("Duration", int64(60000+rng.IntN(4)*1000))
	maybe("CreateTime", int64(t0/1000+int64(rng.IntN(5))))
	maybe("StartTime", int64(t0/1000+int64(rng.IntN(5))))
	maybe("EndTime", int64(t0/1000+int64(rng.IntN(5)+60)))
	maybe("OpType", int64(rng.IntN(3)))
	maybe("NeedResponse", rng.IntN(2) == 0)
	maybe("Timeout", int64(10000*rng.IntN(3)))
	maybe("ExtensionInfo", fmt.Sprintf("ext-%d", rng.IntN(100)))
	return eventOf(app, command, body(o.set("EventTime", t)))
}

func giftBody(rng *rand.Rand, room string) []byte {
	water := newObject().set("From_Account", account(lifeMembers[rng.IntN(len(lifeMembers))]))
	if rng.IntN(4) > 0 {
		water.set("To_Account", accounts([]string{"host", lifeMembers[rng.IntN(len(lifeMembers))]}))
	}
	water.set("Time", int64(t0/1000+int64(rng.IntN(60)))).set("GiftId", fmt.Sprintf("gift-%d", rng.IntN(5)))
	if rng.IntN(3) > 0 {
		water.set("Count", int64(1+rng.IntN(9)))
	}
	water.set("Coins", int64(rng.IntN(5000)))
	o := newObject().set("CallbackCommand", callback.CommandLiveGift).set("Operator_Account", "viewer").
		set("RoomId", room).set("GiftWater", water)
	return body(o)
}

// liveTables is the fold of a room's admin, metadata and battle events, given in fold order.
type liveTables struct {
	admins   map[string]*callback.AdminRow
	metadata map[string]*callback.MetadataRow
	battles  map[string]*callback.BattleRow
}

func newLiveTables() *liveTables {
	return &liveTables{admins: map[string]*callback.AdminRow{}, metadata: map[string]*callback.MetadataRow{},
		battles: map[string]*callback.BattleRow{}}
}

// apply applies one event; false when it is none of the three tables'.
func (lt *liveTables) apply(ev *callback.Event) bool {
	t, app, room := ev.EventTime, ev.SdkAppID, ev.RoomID
	switch p := ev.Payload.(type) {
	case *callback.AdminsModified:
		state := callback.AdminRemoved
		if p.Added {
			state = callback.AdminAdded
		}
		for _, a := range p.Admins {
			lt.admins[a] = &callback.AdminRow{SdkAppID: app, RoomID: room, AdminAccount: a, State: state, EventTime: t}
		}
	case *callback.MetadataSet:
		for _, e := range p.Entries {
			lt.metadata[e.Key] = &callback.MetadataRow{SdkAppID: app, RoomID: room, Key: e.Key, Value: ptr(e.Value), EventTime: t}
		}
	case *callback.MetadataDeleted:
		for _, k := range p.Keys {
			lt.metadata[k] = &callback.MetadataRow{SdkAppID: app, RoomID: room, Key: k, Deleted: true, EventTime: t}
		}
	case *callback.BattleChanged:
		b := lt.battles[p.BattleID]
		if b == nil {
			b = &callback.BattleRow{SdkAppID: app, FromRoomID: room, BattleID: p.BattleID}
			lt.battles[p.BattleID] = b
		}
		b.Stage = map[string]string{callback.CommandLiveCreateBattle: callback.BattleCreated,
			callback.CommandLiveStartBattle: callback.BattleStarted, callback.CommandLiveEndBattle: callback.BattleEnded}[ev.Command]
		if p.To != nil {
			b.ToRoomIDs, b.ToScores = nil, []int64{}
			for _, r := range p.To {
				b.ToRoomIDs = append(b.ToRoomIDs, r.RoomID)
				if r.Score != nil && b.ToScores != nil {
					b.ToScores = append(b.ToScores, *r.Score)
				} else {
					b.ToScores = nil
				}
			}
			if b.ToRoomIDs == nil {
				b.ToRoomIDs = []string{}
			}
		}
		keep := func(dst **int64, v *int64) {
			if v != nil {
				*dst = v
			}
		}
		keep(&b.FromScore, p.From.Score)
		keep(&b.CreateTime, p.CreateTime)
		keep(&b.StartTime, p.StartTime)
		keep(&b.EndTime, p.EndTime)
		keep(&b.DurationMs, p.Duration)
		keep(&b.EndOpType, p.OpType)
		keep(&b.TimeoutMs, p.Timeout)
		if p.NeedResponse != nil {
			b.NeedResponse = p.NeedResponse
		}
		if p.ExtensionInfo != nil {
			b.ExtensionInfo = p.ExtensionInfo
		}
		b.CallbackCommand, b.EventTime = ev.Command, t
		b.WinnerRoomID = nil
		if b.Stage == callback.BattleEnded && b.FromScore != nil && b.ToScores != nil {
			// The one room with the highest score, counting every room.
			scores := map[string]int64{room: *b.FromScore}
			for i, r := range b.ToRoomIDs {
				scores[r] = b.ToScores[i]
			}
			var top []string
			for r, s := range scores {
				switch {
				case len(top) == 0 || s > scores[top[0]]:
					top = []string{r}
				case s == scores[top[0]]:
					top = append(top, r)
				}
			}
			if len(top) == 1 {
				b.WinnerRoomID = ptr(top[0])
			}
		}
	default:
		return false
	}
	return true
}

// rows returns the folded rows, in the readers' orders.
func (lt *liveTables) rows(rr *roomRows) {
	rr.Admins, rr.Metadata, rr.Battles = []*callback.AdminRow{}, []*callback.MetadataRow{}, []*callback.BattleRow{}
	for _, a := range lt.admins {
		rr.Admins = append(rr.Admins, a)
	}
	slices.SortFunc(rr.Admins, func(a, b *callback.AdminRow) int { return cmp.Compare(a.AdminAccount, b.AdminAccount) })
	for _, m := range lt.metadata {
		rr.Metadata = append(rr.Metadata, m)
	}
	slices.SortFunc(rr.Metadata, func(a, b *callback.MetadataRow) int { return cmp.Compare(a.Key, b.Key) })
	for _, b := range lt.battles {
		rr.Battles = append(rr.Battles, b)
	}
	slices.SortFunc(rr.Battles, func(a, b *callback.BattleRow) int { return cmp.Compare(a.BattleID, b.BattleID) })
}

// giftsOf returns the ledger rows the deliveries must leave in each room: one per delivery of
// a gift, received_at its delivery's, delivery_id left out (roomhook's own, random), ordered as
// sortGifts orders them.
func giftsOf(deliveries []*callback.Event) map[string][]*callback.GiftRow {
	out := map[string][]*callback.GiftRow{}
	for _, ev := range deliveries {
		g, ok := ev.Payload.(*callback.GiftSent)
		if !ok {
			continue
		}
		out[g.RoomID] = append(out[g.RoomID], &callback.GiftRow{SdkAppID: ev.SdkAppID, RoomID: g.RoomID,
			OperatorAccount: g.OperatorAccount, FromAccount: g.From, ToAccounts: g.To, GiftID: g.GiftID,
			GiftCount: g.Count, Coins: g.Coins, GiftTime: g.Time, ReceivedAt: ev.ReceivedAt.UnixMilli()})
	}
	for _, gs := range out {
		sortGifts(gs)
	}
	return out
}

// sortGifts orders ledger rows by everything but delivery_id, which the comparison leaves out.
func sortGifts(gs []*callback.GiftRow) {
	slices.SortFunc(gs, func(a, b *callback.GiftRow) int {
		return cmp.Or(cmp.Compare(a.ReceivedAt, b.ReceivedAt), cmp.Compare(fmt.Sprint(a.Row()), fmt.Sprint(b.Row())))
	})
}
