package callback

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"slices"
	"strconv"
	"time"
)

// What the Live family's own commands mean for the rows (docs/projection.md): admins, metadata
// and battles follow the fold rule like the Room family's rows; a gift is one ledger row per
// delivery.

// giftRow is the ledger row of a gift.
func giftRow(app int64, g *GiftSent, deliveryID string, receivedAt int64) *GiftRow {
	return &GiftRow{SdkAppID: app, RoomID: g.RoomID, DeliveryID: deliveryID, OperatorAccount: g.OperatorAccount,
		FromAccount: g.From, ToAccounts: g.To, GiftID: g.GiftID, GiftCount: g.Count, Coins: g.Coins,
		GiftTime: g.Time, ReceivedAt: receivedAt}
}

// gift inserts the ledger row of a delivered gift, under the delivery's id (giftDeliveryID),
// unless a row has it already: the same delivery replayed from the logs adds nothing.
func (p *projection) gift(g *GiftSent) part {
	cur := &Read{Table: GiftsTable, Key: Row{p.app, p.room, giftDeliveryID(p.ev)}}
	return part{
		reads: []*Read{cur},
		rows: func() ([]write, error) {
			if cur.Row != nil {
				return nil, nil
			}
			row := giftRow(p.app, g, cur.Key[2].(string), p.now)
			return []write{{GiftsTable, nil, row.Row()}}, nil
		},
	}
}

// giftDeliveryID names one delivery of a gift (GiftDeliveryID); 128 random bits when the
// request has no id.
func giftDeliveryID(ev *Event) string {
	if ev.RequestID == "" {
		var b [16]byte
		rand.Read(b[:]) // never fails (crypto/rand)
		return hex.EncodeToString(b[:])
	}
	return GiftDeliveryID(ev.RequestID, ev.ReceivedAt, ev.Raw)
}

// GiftDeliveryID is the delivery_id of the ledger row of a gift delivered with request id
// requestID at receivedAt with body raw: 32 hex digits of the SHA-256 of the three, which a
// replay from the log line of that delivery (scripts/replay) gives again.
func GiftDeliveryID(requestID string, receivedAt time.Time, raw []byte) string {
	body := sha256.Sum256(raw)
	sum := sha256.Sum256(fmt.Appendf(nil, "%s\x00%d\x00%s", requestID, receivedAt.UnixMilli(), hex.EncodeToString(body[:])))
	return hex.EncodeToString(sum[:16])
}

// GiftRowOfArchive returns the ledger row of a gift archived before the store had a ledger
// (schema version 3's migration), under deliveryID ("archive:" and the archive row's id):
// received_at is the archive's. ok is false when raw does not parse as a gift of room.
func GiftRowOfArchive(app int64, room, deliveryID string, receivedAt int64, raw []byte) (row Row, ok bool) {
	g, err := ParseGift(raw)
	if err != nil || g.RoomID != room {
		return nil, false
	}
	return giftRow(app, g, deliveryID, receivedAt).Row(), true
}

// newestAt returns what pick finds in the last event, in event order, of the room's events of
// commands at the saved event's time for which pick finds anything: how a row decides between
// events of one millisecond that its columns cannot tell apart (the event being saved is
// archived, so it is among them).
func newestAt[T any](ctx context.Context, p *projection, commands []string, pick func(Payload) (T, bool)) (T, bool, error) {
	var zero T
	events, err := p.archived(ctx, ArchiveQuery{Commands: commands, From: p.self.time, To: p.self.time})
	if err != nil {
		return zero, false, err
	}
	for _, e := range slices.Backward(events) {
		if v, ok := pick(e.payload); ok {
			return v, true, nil
		}
	}
	return zero, false, nil
}

// decide is what a row of t keyed by one account or key takes from the event being saved, given
// its stored row cur (nil: none): own, the event's, when the event is newer than the row; skip
// when it is older; at the same time, what the last in event order of the events of commands
// that name it gives (pick: two of one millisecond, which the row cannot tell apart). Every row
// of t has an event_time column.
func decide[T any](ctx context.Context, p *projection, cur Row, t *Table, own T, commands []string, what string,
	pick func(Payload) (T, bool)) (v T, skip bool, err error) {
	if cur == nil {
		return own, false, nil
	}
	at, ok := cur[t.Index("event_time")].(int64)
	switch {
	case !ok:
		return v, false, fmt.Errorf("%s.event_time of %s is not a time", t.Name, what)
	case at > p.self.time:
		return v, true, nil
	case at < p.self.time:
		return own, false, nil
	}
	v, found, err := newestAt(ctx, p, commands, pick)
	if err == nil && !found {
		err = fmt.Errorf("%s of the event being saved is not in the archive", what)
	}
	return v, false, err
}

// admins gives each listed account the state of its newest admin change.
func (p *projection) admins(ctx context.Context, pl *AdminsModified) part {
	curs := make([]*Read, len(pl.Admins))
	for i, account := range pl.Admins {
		curs[i] = &Read{Table: AdminsTable, Key: Row{p.app, p.room, account}}
	}
	return part{
		reads: curs,
		rows: func() ([]write, error) {
			var writes []write
			for i, account := range pl.Admins {
				added, skip, err := decide(ctx, p, curs[i].Row, AdminsTable, pl.Added, adminCommands,
					"admin "+strconv.Quote(account), func(pl Payload) (bool, bool) {
						a := pl.(*AdminsModified)
						return a.Added, slices.Contains(a.Admins, account)
					})
				if err != nil {
					return nil, err
				}
				if skip {
					continue
				}
				row := &AdminRow{SdkAppID: p.app, RoomID: p.room, AdminAccount: account, State: AdminRemoved,
					EventTime: p.self.time, UpdatedAt: p.now}
				if added {
					row.State = AdminAdded
				}
				writes = append(writes, write{AdminsTable, curs[i].Row, row.Row()})
			}
			return writes, nil
		},
	}
}

// metaChange is what one metadata event does to one key: set it to value, or delete it.
type metaChange struct {
	value   string
	deleted bool
}

// metaChanges returns what a set or a delete does, key by key, in the body's order of keys.
func metaChanges(pl Payload) (keys []string, changes map[string]metaChange) {
	changes = map[string]metaChange{}
	switch m := pl.(type) {
	case *MetadataSet:
		for _, e := range m.Entries {
			if _, ok := changes[e.Key]; !ok {
				keys = append(keys, e.Key)
			}
			changes[e.Key] = metaChange{value: e.Value} // a key set twice keeps the last value
		}
	case *MetadataDeleted:
		for _, k := range m.Keys {
			if _, ok := changes[k]; !ok {
				keys = append(keys, k)
			}
			changes[k] = metaChange{deleted: true}
		}
	}
	return keys, changes
}

// metadata gives each key the event names the value (or the deletion) of its newest set or
// delete.
func (p *projection) metadata(ctx context.Context, pl Payload) part {
	keys, changes := metaChanges(pl)
	curs := make([]*Read, len(keys))
	for i, k := range keys {
		curs[i] = &Read{Table: MetadataTable, Key: Row{p.app, p.room, k}}
	}
	return part{
		reads: curs,
		rows: func() ([]write, error) {
			var writes []write
			for i, k := range keys {
				win, skip, err := decide(ctx, p, curs[i].Row, MetadataTable, changes[k], metadataCommands,
					"metadata key "+strconv.Quote(k), func(pl Payload) (metaChange, bool) {
						_, ch := metaChanges(pl)
						c, ok := ch[k]
						return c, ok
					})
				if err != nil {
					return nil, err
				}
				if skip {
					continue
				}
				row := &MetadataRow{SdkAppID: p.app, RoomID: p.room, Key: k, Deleted: win.deleted,
					EventTime: p.self.time, UpdatedAt: p.now}
				if !win.deleted {
					row.Value = ptrTo(win.value)
				}
				writes = append(writes, write{MetadataTable, curs[i].Row, row.Row()})
			}
			return writes, nil
		},
	}
}

// battle brings the battle's row up to date: the fold of its stages in event order, each
// setting what it carries. A stage newer than the stored row is set on it (the stored row is
// the fold of every other stage archived); any other stage, and the first of a battle, folds
// the battle's archived stages again.
func (p *projection) battle(ctx context.Context, pl *BattleChanged) part {
	cur := &Read{Table: BattlesTable, Key: Row{p.app, p.room, pl.BattleID}}
	return part{
		reads: []*Read{cur},
		rows: func() ([]write, error) {
			var row *BattleRow
			if cur.Row != nil {
				stored, err := BattleRowOf(cur.Row)
				if err != nil {
					return nil, err
				}
				if stored.EventTime < p.self.time {
					row = stored
					row.stage(p.ev.Command, pl, p.self.time)
				}
			}
			if row == nil {
				events, err := p.archived(ctx, ArchiveQuery{Commands: battleCommands})
				if err != nil {
					return nil, err
				}
				for _, e := range events {
					b := e.payload.(*BattleChanged)
					if b.BattleID != pl.BattleID {
						continue
					}
					if row == nil {
						row = &BattleRow{SdkAppID: p.app, FromRoomID: p.room, BattleID: pl.BattleID}
					}
					row.stage(e.command, b, e.time)
				}
			}
			row.WinnerRoomID = row.winner()
			row.UpdatedAt = p.now
			return []write{{BattlesTable, cur.Row, row.Row()}}, nil
		},
	}
}

// stage sets on b what one stage of the battle carries, at time t.
func (b *BattleRow) stage(command string, s *BattleChanged, t int64) {
	switch command {
	case CommandLiveCreateBattle:
		b.Stage = BattleCreated
	case CommandLiveStartBattle:
		b.Stage = BattleStarted
	default:
		b.Stage = BattleEnded
	}
	if s.To != nil {
		b.ToRoomIDs, b.ToScores = make([]string, len(s.To)), make([]int64, len(s.To))
		for i, r := range s.To {
			b.ToRoomIDs[i] = r.RoomID
			if r.Score == nil {
				b.ToScores = nil
			} else if b.ToScores != nil {
				b.ToScores[i] = *r.Score
			}
		}
	}
	set(&b.FromScore, s.From.Score)
	set(&b.CreateTime, s.CreateTime)
	set(&b.StartTime, s.StartTime)
	set(&b.EndTime, s.EndTime)
	set(&b.DurationMs, s.Duration)
	set(&b.EndOpType, s.OpType)
	set(&b.NeedResponse, s.NeedResponse)
	set(&b.TimeoutMs, s.Timeout)
	set(&b.ExtensionInfo, s.ExtensionInfo)
	b.CallbackCommand, b.EventTime = command, t
}

// winner returns the room with the highest score of an ended battle whose every room has a
// score, when exactly one room has it; nil otherwise.
func (b *BattleRow) winner() *string {
	if b.Stage != BattleEnded || b.FromScore == nil || b.ToScores == nil {
		return nil
	}
	best, top, ties := b.FromRoomID, *b.FromScore, 0
	for i, s := range b.ToScores {
		switch {
		case s > top:
			best, top, ties = b.ToRoomIDs[i], s, 0
		case s == top && b.ToRoomIDs[i] != best:
			ties++
		}
	}
	if ties > 0 {
		return nil
	}
	return &best
}
