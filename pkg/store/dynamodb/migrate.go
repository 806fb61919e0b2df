package dynamodb

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"maps"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	ddb "github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/roomhook/roomhook/pkg/callback"
)

// refoldAtOnce bounds the rooms the migration refolds at the same time. Each room's refold
// makes up to 16 requests at once of its own (callback.Refold on a ConcurrentTx).
var refoldAtOnce = 8

// migrateAtOnce bounds the archive items the migration moves, and the ledger items it writes,
// at the same time.
var migrateAtOnce = 16

// refoldHook, when set (by tests), is called after each room the migration refolded.
var refoldHook func(app int64, room string)

// migrateItemHook, when set (by tests), is called after each archive item the migration moved
// or made a ledger item of, with the item's old sort key.
var migrateItemHook func(sk string)

// roomRef names a room of an app.
type roomRef struct {
	app  int64
	room string
}

// migrate does what brings a table of version from up to version to, before the version item
// says so (see "Migration" in the package documentation). It reads the table once (one Scan,
// paged, filtered on the server to the items it concerns) and, page by page:
//   - from version 1: notes the rooms whose version 1 archive holds folded events with an
//     EventTime (version 1 projected only the creates);
//   - to version 3: moves each archive item of a Live folded command not at its version 3 key
//     (version 2 archived them in group X, version 1 under its own keys) to that key (moveItem),
//     noting its room when the command is one whose rows version 3 added
//     (callback.V3Commands) or the item is version 1's; and writes the ledger item of each
//     archived gift that has none (ledgerItem);
//   - to version 4: writes the directory item of each room item (directoryItem) and gives each
//     ledger item without them its index keys (indexLedgerItem);
//
// then refolds every room noted, once (refoldRooms); a room item the refold inserts gets its
// directory item from the refold's own writes (tx.Put), a ledger item ledgerItem writes its
// index keys with it. A cold start that fails half-way leaves the version item as it was, and
// the next one does it all again: each step is idempotent.
func (s *Store) migrate(ctx context.Context, where string, from, to int64) error {
	rooms, err := s.migrateArchive(ctx, from, to)
	if err != nil {
		return fmt.Errorf("dynamodb: migrate %s: %w", where, err)
	}
	return s.refoldRooms(ctx, where, rooms)
}

// migrateScan is the Scan of migrate: the archive items (partition ROOM#, sort key EV# or
// EVENT#) of the commands it concerns, whole; to version 4, also the room items (partition
// ROOM#, sort key ROOM) and the ledger items without index keys. One Scan for every step, so
// that a migration over several versions reads the table once.
func migrateScan(table string, from, to int64) *ddb.ScanInput {
	values := map[string]types.AttributeValue{}
	names := map[string]string{"#pk": attrPK, "#sk": attrSK}
	in := func(prefix string, commands []string) string {
		names := make([]string, len(commands))
		for i, c := range commands {
			names[i] = ":" + prefix + strconv.Itoa(i)
			values[names[i]] = attrS(c)
		}
		return "#cmd IN (" + strings.Join(names, ", ") + ")"
	}
	var which []string // the archive items concerned
	if from == 1 {
		values[":notime"], names["#t"] = attrS(noTimePrefix), attrEventTime
		which = append(which, "(begins_with(#sk, :v1) AND NOT begins_with(#sk, :notime) AND attribute_exists(#t) AND "+
			in("f", callback.FoldedCommands())+")")
	}
	if from < 3 && to >= 3 {
		which = append(which, in("m", append(slices.Clone(movedCommands()), callback.CommandLiveGift)))
	}
	var clauses []string
	if len(which) > 0 {
		values[":room"], values[":ev"], values[":v1"] = attrS(roomPrefix), attrS(eventPrefix), attrS(legacyPrefix)
		names["#cmd"] = attrCommand
		clauses = append(clauses, "(begins_with(#pk, :room) AND (begins_with(#sk, :ev) OR begins_with(#sk, :v1)) AND ("+
			strings.Join(which, " OR ")+"))")
	}
	if from < 4 && to >= 4 {
		values[":room"], values[":roomsk"], values[":gifts"] = attrS(roomPrefix), attrS(roomSK), attrS(giftsPrefix)
		names["#gpk"] = attrGSI1PK
		clauses = append(clauses, "(begins_with(#pk, :room) AND #sk = :roomsk)",
			"(begins_with(#pk, :gifts) AND attribute_not_exists(#gpk))")
	}
	return &ddb.ScanInput{
		TableName:                 aws.String(table),
		FilterExpression:          aws.String(strings.Join(clauses, " OR ")),
		ExpressionAttributeNames:  names,
		ExpressionAttributeValues: values,
		ConsistentRead:            aws.Bool(true),
	}
}

// migrateArchive makes migrate's Scan, moves the archive items and writes the ledger items of
// each page, and returns the rooms to refold, in order.
func (s *Store) migrateArchive(ctx context.Context, from, to int64) ([]roomRef, error) {
	in := migrateScan(s.table, from, to)
	var (
		mu   sync.Mutex
		seen = map[roomRef]bool{}
	)
	note := func(r roomRef) {
		mu.Lock()
		seen[r] = true
		mu.Unlock()
	}
	for {
		out, err := s.client.scan(ctx, in)
		if err != nil {
			return nil, fmt.Errorf("read the archive: %w", err)
		}
		err = bounded(ctx, len(out.Items), migrateAtOnce, func(i int) error {
			return s.migrateItem(ctx, out.Items[i], from, to, note)
		})
		if err != nil {
			return nil, err
		}
		if len(out.LastEvaluatedKey) == 0 {
			break
		}
		in.ExclusiveStartKey = out.LastEvaluatedKey
	}
	rooms := slices.Collect(maps.Keys(seen))
	slices.SortFunc(rooms, func(a, b roomRef) int {
		return cmp.Or(cmp.Compare(a.app, b.app), strings.Compare(a.room, b.room))
	})
	return rooms, nil
}

// migrateItem does what the migration does with one item migrateScan found, noting the room to
// refold, if any.
func (s *Store) migrateItem(ctx context.Context, item map[string]types.AttributeValue, from, to int64, note func(roomRef)) error {
	d := decoder{item: item}
	pk, sk := d.str(attrPK), d.str(attrSK)
	if d.err != nil {
		return fmt.Errorf("an item without its key: %w", d.err)
	}
	v4 := from < 4 && to >= 4
	switch {
	case v4 && strings.HasPrefix(pk, roomPrefix) && sk == roomSK:
		if err := s.directoryOf(ctx, item); err != nil {
			return fmt.Errorf("room item pk=%q: its directory item: %w", pk, err)
		}
	case v4 && strings.HasPrefix(pk, giftsPrefix):
		if err := s.indexLedgerItem(ctx, item); err != nil {
			return fmt.Errorf("ledger item pk=%q sk=%q: its index keys: %w", pk, sk, err)
		}
	default:
		return s.migrateArchiveItem(ctx, item, from, to, note)
	}
	if migrateItemHook != nil {
		migrateItemHook(sk)
	}
	return nil
}

// migrateArchiveItem does what the migration does with one archive item migrateScan found.
func (s *Store) migrateArchiveItem(ctx context.Context, item map[string]types.AttributeValue, from, to int64, note func(roomRef)) error {
	d := decoder{item: item}
	pk, sk, command, app := d.str(attrPK), d.str(attrSK), d.str(attrCommand), d.int(attrSdkAppID)
	room := d.str(attrRoomID)
	if d.err != nil {
		return fmt.Errorf("archive item pk=%q sk=%q: %w", pk, sk, d.err)
	}
	v1 := strings.HasPrefix(sk, legacyPrefix)
	v3 := from < 3 && to >= 3
	switch {
	case v3 && command == callback.CommandLiveGift:
		if err := s.ledgerItem(ctx, item); err != nil {
			return fmt.Errorf("archive item pk=%q sk=%q: the gift's ledger item: %w", pk, sk, err)
		}
	case v3 && slices.Contains(movedCommands(), command):
		room, ok, err := s.moveItem(ctx, item)
		if err != nil {
			return fmt.Errorf("archive item pk=%q sk=%q: move it: %w", pk, sk, err)
		}
		if ok && (v1 || slices.Contains(callback.V3Commands(), command)) {
			note(roomRef{app, room})
		}
	case from == 1 && v1:
		// A version 1 item of the Room family: an item outside its room's partition is not one
		// the room's Tx reads.
		if pk == roomPK(app, room) {
			note(roomRef{app, room})
		}
		return nil
	default:
		return nil
	}
	if migrateItemHook != nil {
		migrateItemHook(sk)
	}
	return nil
}

// directoryOf writes the directory item of a room item (version 4), as a save inserting the
// room does (tx.Put): a plain PutItem of the key, the same whoever writes it.
func (s *Store) directoryOf(ctx context.Context, item map[string]types.AttributeValue) error {
	d := decoder{item: item}
	app, room := d.int(attrSdkAppID), d.str(attrRoomID)
	if d.err != nil {
		return d.err
	}
	_, err := s.client.putItem(ctx, &ddb.PutItemInput{TableName: aws.String(s.table), Item: directoryItem(app, room)})
	return err
}

// indexLedgerItem gives a ledger item written before version 4 its index keys (giftsIndexPK,
// giftsIndexSK of its received_at and delivery_id): an UpdateItem of those two attributes
// alone, if the item still exists (an update would otherwise create an item of two keys and
// an index entry). The values follow from the item, so instances migrating at once write the
// same.
func (s *Store) indexLedgerItem(ctx context.Context, item map[string]types.AttributeValue) error {
	d := decoder{item: item}
	pk, sk := d.str(attrPK), d.str(attrSK)
	app, receivedAt, deliveryID := d.int(attrSdkAppID), d.int(attrReceivedAt), d.str(attrDeliveryID)
	if d.err != nil {
		return d.err
	}
	_, err := s.client.updateItem(ctx, &ddb.UpdateItemInput{
		TableName:                aws.String(s.table),
		Key:                      key(pk, sk),
		UpdateExpression:         aws.String("SET #gpk = :gpk, #gsk = :gsk"),
		ConditionExpression:      aws.String("attribute_exists(pk)"),
		ExpressionAttributeNames: map[string]string{"#gpk": attrGSI1PK, "#gsk": attrGSI1SK},
		ExpressionAttributeValues: map[string]types.AttributeValue{
			":gpk": attrS(giftsIndexPK(app)),
			":gsk": attrS(giftsIndexSK(receivedAt, deliveryID)),
		},
	})
	if err != nil && !isConditionFailed(err) { // failed: the item is gone
		return err
	}
	return nil
}

// moveItem moves an archive item of a Live folded command to the key version 3 gives the event
// (eventSK, in the partition of the room its payload names: a battle's from room, which version
// 2 did not know, archiving battles under RoomId ""), unless it is there already: a copy at the
// new key with room_id, event_time and body_sha256 as version 3 archives them (every other
// attribute, gsi1pk and gsi1sk included, as it was), written if no item has that key or the
// one there has the same gsi1sk (another instance's copy), then the old item deleted if it
// still has that gsi1sk. When another item (another delivery of the event) holds the new key,
// the old item stays where it is: it is a second archive row of the event, as it was, and the
// fold reads the one at the new key. room is the room whose archive holds the event; ok is
// false for an item whose body does not parse as its command (it stays where it is, out of
// the fold, as everywhere) or whose copy would be too large.
func (s *Store) moveItem(ctx context.Context, item map[string]types.AttributeValue) (room string, ok bool, err error) {
	d := decoder{item: item}
	pk, sk, command, app := d.str(attrPK), d.str(attrSK), d.str(attrCommand), d.int(attrSdkAppID)
	position := d.optStr(attrGSI1SK)
	raw, err := rawBody(&d)
	if err != nil || position == nil {
		return "", false, nil // not an item this code archived: left as it is
	}
	pl, err := callback.ParsePayload(command, raw)
	if err != nil || pl == nil {
		return "", false, nil
	}
	room, t := pl.Key()
	ev := &callback.Event{SdkAppID: app, Command: command, RoomID: room, EventTime: t, Raw: raw}
	if t == 0 || checkKeyParts(ev) != nil {
		return "", false, nil
	}
	newPK, newSK := roomPK(app, room), eventSK(ev, "")
	if newPK == pk && newSK == sk {
		return room, true, nil
	}
	moved := maps.Clone(item)
	moved[attrPK], moved[attrSK] = attrS(newPK), attrS(newSK)
	moved[attrRoomID], moved[attrEventTime], moved[attrBodySHA256] = attrS(room), attrN(t), attrS(ev.Digest())
	if itemSize(moved) > maxItemBytes {
		return "", false, nil
	}
	samePosition := map[string]types.AttributeValue{":g": attrS(*position)}
	_, err = s.client.putItem(ctx, &ddb.PutItemInput{
		TableName:                 aws.String(s.table),
		Item:                      moved,
		ConditionExpression:       aws.String("attribute_not_exists(pk) OR #g = :g"),
		ExpressionAttributeNames:  map[string]string{"#g": attrGSI1SK},
		ExpressionAttributeValues: samePosition,
	})
	switch {
	case isConditionFailed(err):
		return room, true, nil // another delivery of the event is archived at the new key
	case err != nil:
		return "", false, err
	}
	_, err = s.client.deleteItem(ctx, &ddb.DeleteItemInput{
		TableName:                 aws.String(s.table),
		Key:                       key(pk, sk),
		ConditionExpression:       aws.String("#g = :g"),
		ExpressionAttributeNames:  map[string]string{"#g": attrGSI1SK},
		ExpressionAttributeValues: samePosition,
	})
	if err != nil && !isConditionFailed(err) { // failed: another instance deleted it
		return "", false, err
	}
	return room, true, nil
}

// archiveDeliveryPrefix starts the delivery_id of a ledger row the migration made of an
// archived gift; the archive item's gsi1sk (its unique position in the app's archive) follows.
const archiveDeliveryPrefix = "archive:"

// ledgerItem writes the ledger item of an archived gift (callback.GiftRowOfArchive) under the
// delivery_id "archive:<gsi1sk>", with its index keys when the store writes version 4's layout,
// if no item has that key. A gift version 3 archived names its
// own ledger row (delivery_id) and is skipped, as is a body that does not parse as a gift of
// the item's room, and a row too large for an item.
func (s *Store) ledgerItem(ctx context.Context, item map[string]types.AttributeValue) error {
	d := decoder{item: item}
	if d.optStr(attrDeliveryID) != nil {
		return nil
	}
	app, room, position, receivedAt := d.int(attrSdkAppID), d.str(attrRoomID), d.str(attrGSI1SK), d.int(attrReceivedAt)
	raw, err := rawBody(&d)
	if err != nil {
		return nil // not an item this code archived: no ledger row
	}
	row, ok := callback.GiftRowOfArchive(app, room, archiveDeliveryPrefix+position, receivedAt, raw)
	if !ok {
		return nil
	}
	ledger, err := itemOf(callback.GiftsTable, row)
	if err != nil {
		return err
	}
	if s.layout >= 4 {
		indexLedger(ledger, row)
	}
	if itemSize(ledger) > itemBudget {
		return nil
	}
	_, err = s.client.putItem(ctx, &ddb.PutItemInput{
		TableName:           aws.String(s.table),
		Item:                ledger,
		ConditionExpression: aws.String("attribute_not_exists(pk)"),
	})
	if err != nil && !isConditionFailed(err) {
		return err
	}
	return nil
}

// refoldRooms brings the rows of each room up to the fold of its archive (callback.Refold),
// refoldAtOnce rooms at a time, each under its lock, as a save projects, so that racing cold
// starts (and saves of instances that already see the new version) take turns on a room.
func (s *Store) refoldRooms(ctx context.Context, where string, rooms []roomRef) error {
	now := time.Now()
	err := bounded(ctx, len(rooms), refoldAtOnce, func(i int) error {
		r := rooms[i]
		if err := s.refoldRoom(ctx, r.app, r.room, now); err != nil {
			err = fmt.Errorf("refold room %q of app %d: %w", r.room, r.app, err)
			if ctx.Err() != nil && !errors.Is(err, context.Cause(ctx)) {
				err = fmt.Errorf("%w (%w)", err, context.Cause(ctx))
			}
			return err
		}
		if refoldHook != nil {
			refoldHook(r.app, r.room)
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("dynamodb: migrate %s: refold the rooms: %w", where, err)
	}
	return nil
}

// refoldRoom refolds one room under its lock, with the store's Tx. A room whose fold would
// make an item larger than DynamoDB allows (ErrItemTooLarge: only possible from bodies a
// version 3 Save would have refused) keeps the rows it had, rather than failing every cold
// start from now on.
func (s *Store) refoldRoom(ctx context.Context, app int64, room string, now time.Time) error {
	lock, err := s.lockRoom(ctx, roomPK(app, room), nil)
	if err != nil {
		return err
	}
	defer lock.release(ctx)
	// Viewers' saves do not wait for the room's lock (they hold their members'): a row one of
	// them wrote since the refold read it makes the refold run again.
	for fold := 1; ; fold++ {
		_, err = callback.Refold(ctx, &tx{s: s, app: app, room: room, locks: []*roomLock{lock}}, app, room, now)
		switch {
		case errors.Is(err, ErrItemTooLarge):
			return nil
		case errors.Is(err, errRowChanged) && fold < maxFolds:
			continue
		}
		return err
	}
}

// bounded runs f(0) … f(n-1), at most limit at a time, and returns the first error; once one
// failed or ctx ended, it starts no more.
func bounded(ctx context.Context, n, limit int, f func(i int) error) error {
	var (
		wg       sync.WaitGroup
		mu       sync.Mutex
		firstErr error
		slots    = make(chan struct{}, max(limit, 1))
	)
	for i := range n {
		slots <- struct{}{}
		mu.Lock()
		if firstErr == nil && ctx.Err() != nil {
			firstErr = context.Cause(ctx)
		}
		failed := firstErr != nil
		mu.Unlock()
		if failed {
			<-slots
			break
		}
		wg.Go(func() {
			defer func() { <-slots }()
			if err := f(i); err != nil {
				mu.Lock()
				if firstErr == nil {
					firstErr = err
				}
				mu.Unlock()
			}
		})
	}
	wg.Wait()
	return firstErr
}
