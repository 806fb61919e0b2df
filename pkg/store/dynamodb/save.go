package dynamodb

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"sync"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	ddb "github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/roomhook/roomhook/pkg/callback"
)

// Save archives ev and, for a projected command, brings the room's rows up to date; see
// callback.Store for the outcomes. DynamoDB has no transaction here (the design must run on
// servers without TransactWriteItems), so Save makes conditional, idempotent writes, the
// projection's under the room's lock:
//
//  1. the archive item, only if its key is new: when it exists (or, in a migrated table, a
//     version 1 item holds the same event) the event is a duplicate; when ev is folded
//     (ev.Folded), at the same time, take the room's lock (waiting while another save holds it);
//  2. when ev is folded, callback.Project with the store's Tx, also for a duplicate: if an
//     earlier delivery archived the event and failed before projecting it, the re-delivery
//     completes the rows (a duplicate whose rows already reflect it writes nothing);
//  3. give the lock back, whatever happened.
//
// A gift (projected, not folded) takes no lock: see saveUnfolded.
//
// A duplicate returns OutcomeDuplicate; otherwise rows written are OutcomeStored, none
// OutcomeStale, and no payload OutcomeIgnored. An error may leave step 1's archive item written
// and step 2 not, or step 2 half done: the caller answers with a failure, and the next delivery
// (or a replay) of the event completes it. Before any write, Save refuses an inconsistent
// event, and an event too large for DynamoDB's item limit (ErrItemTooLarge).
func (s *Store) Save(ctx context.Context, ev *callback.Event) (callback.Outcome, error) {
	if err := ev.Check(); err != nil {
		return 0, fmt.Errorf("dynamodb: save: %w", err)
	}
	if s.readOnly {
		return 0, errReadOnly
	}
	if err := s.begin(); err != nil {
		return 0, err
	}
	defer s.end()
	if err := checkKeyParts(ev); err != nil {
		return 0, err
	}
	// The rows of an event that is projected but not folded (a gift's ledger row) depend on
	// nothing stored: they are worked out first, so that the archive item names them and both
	// are checked for size before anything is written.
	var rows []rowWrite
	deliveryID := ""
	if ev.Payload != nil && !ev.Folded() {
		var err error
		if rows, err = unfoldedRows(ctx, ev, s.layout); err != nil {
			return 0, fmt.Errorf("dynamodb: save: %w", err)
		}
		if len(rows) == 1 && rows[0].t == callback.GiftsTable {
			deliveryID = rows[0].row[rows[0].t.Index("delivery_id")].(string)
		}
	}
	archive, err := archiveItemOf(ev, stamp(s.nextStamp()), deliveryID, s.expiresAt(ev))
	if err != nil {
		return 0, err
	}
	if err := checkRoomSize(ev); err != nil {
		return 0, err
	}
	if err := ctx.Err(); err != nil {
		return 0, fmt.Errorf("dynamodb: save: %w", context.Cause(ctx))
	}
	var o callback.Outcome
	if rows != nil {
		o, err = s.saveUnfolded(ctx, ev, archive, rows)
	} else {
		o, err = s.save(ctx, ev, archive)
	}
	if err != nil {
		return 0, fmt.Errorf("dynamodb: save: %w", err)
	}
	return o, nil
}

// rowWrite is one row a save writes without the projection's Tx, as its item.
type rowWrite struct {
	t    *callback.Table
	row  callback.Row
	item map[string]types.AttributeValue
}

// recordTx is the Tx of an event that is projected but not folded (a gift): it records the
// rows the projection inserts, to be written after the archive item. Such an event's rows
// depend on nothing stored but whether a row of the same key exists (a gift's delivery
// replayed): Get answers none, and the write itself is conditional on that (insertRow), which
// answers the same question at the moment of writing, without a read of its own.
type recordTx struct{ puts []rowWrite }

func (r *recordTx) Get(_ context.Context, t *callback.Table, _ callback.Row) (callback.Row, error) {
	if t != callback.GiftsTable {
		return nil, fmt.Errorf("read %s: an unfolded event reads no row of it", t.Name)
	}
	return nil, nil
}

func (r *recordTx) RoomRows(context.Context, *callback.Table) ([]callback.Row, error) {
	return nil, errors.New("an unfolded event reads no row")
}

func (r *recordTx) Archived(context.Context, callback.ArchiveQuery) ([]callback.Archived, error) {
	return nil, errors.New("an unfolded event reads no archive")
}

func (r *recordTx) Put(_ context.Context, t *callback.Table, old, row callback.Row) error {
	if old != nil {
		return fmt.Errorf("write %s: an unfolded event only inserts rows", t.Name)
	}
	r.puts = append(r.puts, rowWrite{t: t, row: row})
	return nil
}

// unfoldedRows returns the rows callback.Project inserts for ev, an event that is projected but
// not folded, each with its item as item layout version layout writes it (from version 4, a
// ledger item carries its index keys: no request of its own); ErrItemTooLarge when one would be
// too large.
func unfoldedRows(ctx context.Context, ev *callback.Event, layout int64) ([]rowWrite, error) {
	rec := &recordTx{}
	if _, err := callback.Project(ctx, rec, ev); err != nil {
		return nil, err
	}
	if len(rec.puts) == 0 {
		return []rowWrite{}, nil
	}
	for i, w := range rec.puts {
		item, err := itemOf(w.t, w.row)
		if err != nil {
			return nil, fmt.Errorf("write %s: %w", w.t.Name, err)
		}
		if w.t == callback.GiftsTable && layout >= 4 {
			indexLedger(item, w.row)
		}
		if size := itemSize(item); size > itemBudget {
			return nil, fmt.Errorf("%w: the %s item would be %d bytes; the limit is %d", ErrItemTooLarge, w.t.Name, size, itemBudget)
		}
		rec.puts[i].item = item
	}
	return rec.puts, nil
}

// saveUnfolded saves an event that is projected but not folded into its room's rows in event
// order: a gift, one ledger row per delivery, read from nothing. It takes no lock:
//
//  1. the archive item (its key, without EventTime, is unique to this delivery; it names the
//     ledger row's delivery_id);
//  2. the ledger item, under its delivery_id, if attribute_not_exists(pk).
//
// Each write's condition fails only on what this delivery (the SDK's retry of a request whose
// answer was lost) or a replay of it wrote before: that is success. A ledger write that fails
// after the archive item was written fails the save (the handler answers 503); before it gives
// up, the save reads the ledger item back (a write whose answer was lost may have been
// applied) and succeeds if it is there. See "Gifts" in the package documentation.
func (s *Store) saveUnfolded(ctx context.Context, ev *callback.Event, archive map[string]types.AttributeValue,
	rows []rowWrite) (callback.Outcome, error) {
	if _, err := s.archive(ctx, ev, archive); err != nil {
		return 0, err
	}
	err := parallel(len(rows), func(i int) error { return s.insertRow(ctx, rows[i]) })
	if err != nil {
		return 0, err
	}
	return callback.OutcomeStored, nil
}

// insertRow writes the item of a row that only a save inserts, if no item has its key. A failed
// condition means this save's own earlier attempt wrote it. When the write fails, insertRow
// reads the item back, also after ctx ended (within releaseTimeout): a write whose answer was
// lost may have been applied, and the save then succeeded.
func (s *Store) insertRow(ctx context.Context, w rowWrite) error {
	if len(w.item) == 0 {
		return nil
	}
	_, err := s.client.putItem(ctx, &ddb.PutItemInput{
		TableName:           aws.String(s.table),
		Item:                w.item,
		ConditionExpression: aws.String("attribute_not_exists(pk)"),
	})
	if err == nil || isConditionFailed(err) {
		return nil
	}
	check, cancel := context.WithTimeout(context.WithoutCancel(ctx), releaseTimeout)
	defer cancel()
	out, getErr := s.client.getItem(check, &ddb.GetItemInput{
		TableName:            aws.String(s.table),
		Key:                  map[string]types.AttributeValue{attrPK: w.item[attrPK], attrSK: w.item[attrSK]},
		ConsistentRead:       aws.Bool(true),
		ProjectionExpression: aws.String("pk"),
	})
	if getErr == nil && len(out.Item) > 0 {
		return nil
	}
	return fmt.Errorf("write %s: %w", w.t.Name, err)
}

// archived is what archiving an event found.
type archived int

const (
	archivedNow archived = iota // this save wrote the archive item
	archivedV2                  // a version 2 item holds the event: another delivery's
	archivedV1                  // a version 1 item holds the event
)

func (s *Store) save(ctx context.Context, ev *callback.Event, archive map[string]types.AttributeValue) (callback.Outcome, error) {
	if !ev.Folded() {
		found, err := s.archive(ctx, ev, archive)
		switch {
		case err != nil:
			return 0, err
		case found != archivedNow:
			return callback.OutcomeDuplicate, nil
		}
		return callback.OutcomeIgnored, nil
	}

	// The archive item and the lock at once: the projection only reads the archive, so a save
	// holding the room that finds this event archived before this save holds it folds a fact
	// that is true. A save that fails to take the lock leaves its event archived and not
	// projected; the next delivery, a duplicate, projects it.
	//
	// A Live member state takes its members' locks instead of the room's (callback.Event.
	// MemberLocks): the viewers of a popular room are saved side by side. What holds the room
	// alone (a destroy, which ends every member in) is then kept apart by reading the room's
	// destroys again after the rows are written (project).
	members := ev.MemberLocks()
	var (
		locks   []*roomLock
		lockErr error
		locked  = make(chan struct{})
		abort   = make(chan struct{})
	)
	go func() {
		defer close(locked)
		if members != nil {
			locks, lockErr = s.lockMembers(ctx, ev.SdkAppID, ev.RoomID, members, abort)
			return
		}
		var l *roomLock
		if l, lockErr = s.lockRoom(ctx, roomPK(ev.SdkAppID, ev.RoomID), abort); l != nil {
			locks = []*roomLock{l}
		}
	}()
	found, err := s.archive(ctx, ev, archive)
	if err != nil {
		close(abort) // stop waiting for the lock
	}
	<-locked
	if lockErr != nil && err == nil {
		err = lockErr
	}
	if err != nil {
		releaseAll(ctx, locks)
		return 0, err
	}
	lock := &heldLocks{locks: locks}
	// Also on a panic in the projection (the handler recovers it): the locks' leases would end
	// by themselves, but not this process's turns (roomTurns), which would hold the room or its
	// members in this instance for good.
	defer lock.release(ctx)

	changed, err := s.project(ctx, &tx{s: s, app: ev.SdkAppID, room: ev.RoomID, locks: locks}, ev, members != nil)
	if err != nil {
		lock.release(ctx)
		if ctx.Err() != nil && !errors.Is(err, context.Cause(ctx)) {
			err = fmt.Errorf("%w (%w)", err, context.Cause(ctx))
		}
		return 0, err
	}
	switch {
	case found == archivedNow && !changed:
		// The rows already reflect the event: it is stale, or a duplicate delivery that took
		// the lock first wrote them, and left word of it. Look for that word (deleting it)
		// while giving the lock back.
		var first bool
		_ = parallel(2, func(i int) error {
			if i == 0 {
				lock.release(ctx)
			} else {
				first = s.takeProjected(ctx, ev)
			}
			return nil
		})
		if first {
			return callback.OutcomeStored, nil
		}
		return callback.OutcomeStale, nil
	case found == archivedV2 && changed:
		// This duplicate wrote the event's rows first: the delivery that archived it may still
		// be waiting for the lock, and is to answer OutcomeStored, not OutcomeStale.
		s.leaveProjected(ctx, ev)
	}
	lock.release(ctx)
	switch {
	case found != archivedNow:
		return callback.OutcomeDuplicate, nil
	case changed:
		return callback.OutcomeStored, nil
	}
	return callback.OutcomeStale, nil
}

// heldLocks are the locks a save holds, given back together, once however often release is
// called.
type heldLocks struct {
	locks []*roomLock
	once  sync.Once
}

func (h *heldLocks) release(ctx context.Context) { h.once.Do(func() { releaseAll(ctx, h.locks) }) }

// maxFolds bounds how many times one save folds its event (project): a destroy whose member
// rows viewers' saves keep writing folds again until it has ended them all.
const maxFolds = 8

// project folds ev into its room's rows with callback.Project, again while a row it writes
// was written by another save since it read it (errRowChanged: a member state and a save
// holding the room, at once). For a Live member state, which holds only its members' locks
// (memberState), it then reads the room's destroys once more: a destroy archived meanwhile may
// have read the members before this save wrote them, so the save folds again with it. Of two
// saves, each writing before it reads what the other wrote, one sees the other: the member
// ends up as the fold of both. changed reports whether any fold wrote a row (a fold whose
// write failed may have written others).
//
// A member state that fails after writing its rows and before its second read (an error, its
// deadline) may leave a member in whom a destroy archived meanwhile should have ended; as every
// failed save, it is answered 503, and its next delivery or replay folds it again.
func (s *Store) project(ctx context.Context, x *tx, ev *callback.Event, memberState bool) (changed bool, err error) {
	defer func() { changed = x.wrote.Load() }()
	destroys := callback.ArchiveQuery{Commands: callback.DestroyCommands()}
	var before []callback.Archived
	if memberState {
		if before, err = x.Archived(ctx, destroys); err != nil {
			return false, err
		}
	}
	for fold := 1; ; fold++ {
		_, err := callback.Project(ctx, x, ev)
		switch {
		case errors.Is(err, errRowChanged) && fold < maxFolds:
			continue
		case err != nil:
			return changed, err
		case !memberState:
			return changed, nil
		}
		after, err := x.Archived(ctx, destroys)
		if err != nil {
			return changed, err
		}
		if !hasNew(before, after) {
			return changed, nil
		}
		if fold == maxFolds {
			return changed, errors.New("the room's destroys kept changing during the save")
		}
		before = after
	}
}

// hasNew reports whether after holds an archived event before does not: a destroy archived
// while the save ran. One missing from after (the archive purge deleted a destroy older than
// the room's newest create) is no reason to fold again: it ended no member the fold reads.
func hasNew(before, after []callback.Archived) bool {
	keys := map[string]int{}
	for _, e := range before {
		keys[e.Command+"\x00"+strconv.FormatInt(e.EventTime, 10)+"\x00"+e.Digest]++
	}
	for _, e := range after {
		k := e.Command + "\x00" + strconv.FormatInt(e.EventTime, 10) + "\x00" + e.Digest
		if keys[k] == 0 {
			return true
		}
		keys[k]--
	}
	return false
}

// leaveProjected writes the item saying that a duplicate delivery wrote ev's rows first. It
// only decides the outcome the archiving delivery answers, so a failure is not the save's.
func (s *Store) leaveProjected(ctx context.Context, ev *callback.Event) {
	_, _ = s.client.putItem(ctx, &ddb.PutItemInput{
		TableName: aws.String(s.table),
		Item:      key(roomPK(ev.SdkAppID, ev.RoomID), projectedSK(ev)),
	})
}

// takeProjected deletes the item leaveProjected writes for ev and reports whether it was there.
// It runs also when ctx has ended, like the lock's release.
func (s *Store) takeProjected(ctx context.Context, ev *callback.Event) bool {
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), releaseTimeout)
	defer cancel()
	out, err := s.client.deleteItem(ctx, &ddb.DeleteItemInput{
		TableName:    aws.String(s.table),
		Key:          key(roomPK(ev.SdkAppID, ev.RoomID), projectedSK(ev)),
		ReturnValues: types.ReturnValueAllOld,
	})
	return err == nil && len(out.Attributes) > 0
}

// archive writes the archive item unless the event is already archived: its key exists, or,
// in a table migrated from version 1, the version 1 item of its command and EventTime holds the
// same body.
func (s *Store) archive(ctx context.Context, ev *callback.Event, item map[string]types.AttributeValue) (archived, error) {
	if s.legacyUntil != 0 && ev.EventTime != 0 && ev.EventTime <= s.legacyUntil {
		if dup, err := s.archivedByV1(ctx, ev); err != nil {
			return 0, err
		} else if dup {
			return archivedV1, nil
		}
	}
	_, err := s.client.putItem(ctx, &ddb.PutItemInput{
		TableName:           aws.String(s.table),
		Item:                item,
		ConditionExpression: aws.String("attribute_not_exists(pk)"),
	})
	switch {
	case err == nil:
		return archivedNow, nil
	case isConditionFailed(err):
		return archivedV2, nil
	}
	return 0, fmt.Errorf("archive event: %w", err)
}

// archivedByV1 reports whether version 1 archived ev: its item (keyed by command and EventTime
// alone) exists and holds a body with ev's digest.
func (s *Store) archivedByV1(ctx context.Context, ev *callback.Event) (bool, error) {
	out, err := s.client.getItem(ctx, &ddb.GetItemInput{
		TableName:            aws.String(s.table),
		Key:                  key(roomPK(ev.SdkAppID, ev.RoomID), legacySK(ev.EventTime, ev.Command)),
		ConsistentRead:       aws.Bool(true),
		ProjectionExpression: aws.String("raw_body, raw_body_encoding"),
	})
	if err != nil {
		return false, fmt.Errorf("read the version 1 archive: %w", err)
	}
	if out.Item == nil {
		return false, nil
	}
	raw, err := rawBody(&decoder{item: out.Item})
	if err != nil {
		return false, fmt.Errorf("read the version 1 archive: %w", err)
	}
	return sha256Hex(raw) == ev.Digest(), nil
}

// nextStamp returns the archive position of the next event: the clock in Unix ns, moved on by
// at least 1 ns from the previous stamp, so that events saved one after another by this process
// list in the order they were saved even if the clock stands still or steps back.
func (s *Store) nextStamp() int64 {
	s.mu.Lock()
	defer s.mu.Unlock()
	now := time.Now().UnixNano()
	if now <= s.lastStamp {
		now = s.lastStamp + 1
	}
	s.lastStamp = now
	return now
}

func isConditionFailed(err error) bool {
	var ccf *types.ConditionalCheckFailedException
	return errors.As(err, &ccf)
}
