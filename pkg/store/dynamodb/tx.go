package dynamodb

import (
	"cmp"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"math"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"

	"github.com/aws/aws-sdk-go-v2/aws"
	ddb "github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/roomhook/roomhook/pkg/callback"
)

// tx is the callback.Tx of one save (or, without a lock, of a Reader call): the rows and
// archive of one room, read strongly consistent.
type tx struct {
	s     *Store
	app   int64
	room  string
	locks []*roomLock // the room's lock, or its members' (a Live member state); none for a reader: Put is refused
	wrote atomic.Bool // a Put succeeded
}

var _ callback.ConcurrentTx = (*tx)(nil)

// Concurrent reports that the Tx's calls may run at the same time: each is an independent
// request, and a tx holds no mutable state (the lock's lease is set before the tx exists).
func (x *tx) Concurrent() bool { return true }

// Get reads the row of t with key k, or nil.
func (x *tx) Get(ctx context.Context, t *callback.Table, k callback.Row) (callback.Row, error) {
	pk, sk, err := rowKey(t, k)
	if err != nil {
		return nil, err
	}
	out, err := x.s.client.getItem(ctx, &ddb.GetItemInput{
		TableName:      aws.String(x.s.table),
		Key:            key(pk, sk),
		ConsistentRead: aws.Bool(true),
	})
	if err != nil {
		return nil, fmt.Errorf("read %s: %w", t.Name, err)
	}
	if out.Item == nil {
		return nil, nil
	}
	return rowOf(t, out.Item)
}

// Put writes the whole item of row, on the condition that the stored item is still old: absent
// when old is nil, else holding old's values in every number and boolean column (event_time,
// updated_at, …). The room lock already keeps other saves out; the condition keeps a save whose
// lease ran out from overwriting what a later one wrote.
//
// A room item inserted (rooms, old nil) is preceded by the room's directory item (version 4):
// written first and unconditionally (it holds only the key), so that a save failing between
// the two, which the next delivery repeats with the room item still absent, leaves at worst a
// directory item without its room (which Lister.AppRooms skips), never a room missing from
// the directory. Every path inserting a room item (a save's projection, a migration's refold)
// comes through here; it costs one write per room, once.
func (x *tx) Put(ctx context.Context, t *callback.Table, old, row callback.Row) error {
	if len(x.locks) == 0 {
		return fmt.Errorf("write %s: not within a save", t.Name)
	}
	for _, l := range x.locks {
		if err := l.check(); err != nil {
			return fmt.Errorf("write %s: %w", t.Name, err)
		}
	}
	item, err := itemOf(t, row)
	if err != nil {
		return fmt.Errorf("write %s: %w", t.Name, err)
	}
	if size := itemSize(item); size > itemBudget {
		return fmt.Errorf("%w: the %s item would be %d bytes; the limit is %d", ErrItemTooLarge, t.Name, size, itemBudget)
	}
	if t == callback.RoomsTable && old == nil && x.s.layout >= 4 {
		_, err := x.s.client.putItem(ctx, &ddb.PutItemInput{
			TableName: aws.String(x.s.table),
			Item:      directoryItem(row[0].(int64), row[1].(string)),
		})
		if err != nil {
			return fmt.Errorf("write the room directory: %w", err)
		}
	}
	in := &ddb.PutItemInput{TableName: aws.String(x.s.table), Item: item}
	if old == nil {
		in.ConditionExpression = aws.String("attribute_not_exists(pk)")
	} else {
		if err := callback.CheckRow(t, old); err != nil {
			return fmt.Errorf("write %s: %w", t.Name, err)
		}
		cond, names, values := unchanged(t, old)
		in.ConditionExpression = aws.String(cond)
		in.ExpressionAttributeNames = names
		in.ExpressionAttributeValues = values
	}
	if _, err := x.s.client.putItem(ctx, in); err != nil {
		if isConditionFailed(err) {
			return fmt.Errorf("write %s: %w", t.Name, errRowChanged)
		}
		return fmt.Errorf("write %s: %w", t.Name, err)
	}
	x.wrote.Store(true)
	return nil
}

// errRowChanged is Put's error when the stored row is no longer the one the save read: a save of
// a Live member state and one holding the room (a destroy) wrote the same member's row at once.
// The save folds again (Store.project).
var errRowChanged = errors.New("the stored row changed during the save")

// unchanged is the condition that the stored item of a row still holds old's values in every
// non-key number and boolean column: equal, or absent where old has NULL.
func unchanged(t *callback.Table, old callback.Row) (string, map[string]string, map[string]types.AttributeValue) {
	cond := "attribute_exists(pk)"
	names := map[string]string{}
	values := map[string]types.AttributeValue{}
	for i, c := range t.Columns[t.Key:] {
		if c.Kind != callback.KindInt && c.Kind != callback.KindBool {
			continue
		}
		n := "#c" + strconv.Itoa(i)
		names[n] = c.Name
		if v := old[t.Key+i]; v == nil {
			cond += " AND attribute_not_exists(" + n + ")"
		} else {
			v1 := ":c" + strconv.Itoa(i)
			values[v1] = attrOf(v)
			cond += " AND " + n + " = " + v1
		}
	}
	if len(values) == 0 {
		values = nil
	}
	return cond, names, values
}

// RoomRows returns every row of t of the room: the room item, the member items of every shard,
// or the items of the room's partition of the table (seats, admins, metadata, the battles it
// started, its gifts).
func (x *tx) RoomRows(ctx context.Context, t *callback.Table) ([]callback.Row, error) {
	var pks []string
	switch t {
	case callback.RoomsTable:
		row, err := x.Get(ctx, t, callback.Row{x.app, x.room})
		if err != nil || row == nil {
			return nil, err
		}
		return []callback.Row{row}, nil
	case callback.MembersTable:
		for shard := range memberShards {
			pks = append(pks, membersPK(x.app, x.room, shard))
		}
	case callback.SeatsTable:
		pks = []string{seatsPK(x.app, x.room)}
	default:
		prefix, ok := tablePrefix(t)
		if !ok {
			return nil, fmt.Errorf("no item layout for table %s", t.Name)
		}
		pks = []string{tablePK(prefix, x.app, x.room)}
	}
	parts := make([][]map[string]types.AttributeValue, len(pks))
	err := parallel(len(pks), func(i int) error {
		var err error
		parts[i], err = x.s.queryAll(ctx, &ddb.QueryInput{
			KeyConditionExpression:    aws.String("pk = :p"),
			ExpressionAttributeValues: map[string]types.AttributeValue{":p": attrS(pks[i])},
		})
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("read %s: %w", t.Name, err)
	}
	var rows []callback.Row
	for _, items := range parts {
		for _, item := range items {
			row, err := rowOf(t, item)
			if err != nil {
				return nil, err
			}
			rows = append(rows, row)
		}
	}
	return rows, nil
}

// archivedAttrs are the attributes Archived reads of an archive item.
const archivedAttrs = "callback_command, event_time, body_sha256, raw_body, raw_body_encoding"

// newestPage is how many items a backward read for ArchiveQuery.Newest asks for at a time: the
// newest time usually holds one event, and the next item, older, ends the read.
const newestPage = 4

// maxFilterValues bounds the commands a Query's filter lists (DynamoDB allows 100 in IN);
// beyond it the commands are filtered here only.
const maxFilterValues = 100

// groupSizes is how many projected commands each group holds (groupOf of each folded
// command), counted on first use.
var groupSizes = sync.OnceValue(func() map[string]int {
	n := map[string]int{}
	for _, c := range callback.FoldedCommands() {
		n[groupOf(c)]++
	}
	return n
})

// Archived returns the room's archived events matching q. Each archive group of the commands
// asked for (the projection asks for one group at a time) is one Query on the group's key
// range, EV#<group>#<from>… to EV#<group>#<to>…, keeping only the commands asked for; with
// q.Newest, a backward Query reading a few items at a time that stops at the first item older
// than the newest one asked for. While the table holds version 1 items, a Query on those runs
// at the same time.
func (x *tx) Archived(ctx context.Context, q callback.ArchiveQuery) ([]callback.Archived, error) {
	from, to := q.From, q.To
	if to == 0 {
		to = math.MaxInt64
	}
	if from > to || len(q.Commands) == 0 {
		return nil, nil
	}
	wanted := map[string]bool{}
	byGroup := map[string][]string{}
	var groups []string
	for _, c := range q.Commands {
		if wanted[c] {
			continue
		}
		wanted[c] = true
		g := groupOf(c)
		if byGroup[g] == nil {
			groups = append(groups, g)
		}
		byGroup[g] = append(byGroup[g], c)
	}

	// One read per group and, when the table may hold some, one of the version 1 items, at once.
	reads := len(groups)
	if x.s.legacyUntil != 0 && from <= x.s.legacyUntil {
		reads++
	}
	parts := make([][]callback.Archived, reads)
	err := parallel(reads, func(i int) error {
		var err error
		switch {
		case i == len(groups):
			parts[i], err = x.legacy(ctx, from, to, wanted)
		case q.Newest:
			parts[i], err = x.newestOfGroup(ctx, groups[i], wanted, from, to)
		default:
			parts[i], err = x.groupRange(ctx, groups[i], byGroup[groups[i]], from, to)
		}
		return err
	})
	if err != nil {
		return nil, err
	}
	var out []callback.Archived
	for _, p := range parts {
		out = append(out, p...)
	}
	if q.Newest {
		// Each read returned the items at its greatest time; keep those at the greatest of all.
		newest := int64(math.MinInt64)
		for _, a := range out {
			newest = max(newest, a.EventTime)
		}
		out = slices.DeleteFunc(out, func(a callback.Archived) bool { return a.EventTime != newest })
	}
	// One event archived by both versions (a version 1 instance still running after the
	// migration) is one event.
	slices.SortFunc(out, func(a, b callback.Archived) int {
		return cmp.Or(cmp.Compare(a.EventTime, b.EventTime), cmp.Compare(a.Command, b.Command), cmp.Compare(a.Digest, b.Digest))
	})
	return slices.CompactFunc(out, func(a, b callback.Archived) bool {
		return a.EventTime == b.EventTime && a.Command == b.Command && a.Digest == b.Digest
	}), nil
}

// groupQuery selects the room's version 2 archive items of group g with from <= EventTime <= to.
// '$' follows '#', so the upper bound is past every command and digest at time to.
func groupQuery(app int64, room, g string, from, to int64, forward bool) *ddb.QueryInput {
	prefix := groupPrefix(g)
	return &ddb.QueryInput{
		KeyConditionExpression: aws.String("pk = :p AND sk BETWEEN :lo AND :hi"),
		ExpressionAttributeValues: map[string]types.AttributeValue{
			":p":  attrS(roomPK(app, room)),
			":lo": attrS(prefix + timeKey(from) + "#"),
			":hi": attrS(prefix + timeKey(to) + "$"),
		},
		ProjectionExpression: aws.String(archivedAttrs),
		ScanIndexForward:     aws.Bool(forward),
	}
}

// groupRange returns the room's version 2 archive items of commands, all of group g, with
// from <= EventTime <= to. When the commands are not the whole group, the Query's filter
// leaves the others on the server.
func (x *tx) groupRange(ctx context.Context, g string, commands []string, from, to int64) ([]callback.Archived, error) {
	in := groupQuery(x.app, x.room, g, from, to, true)
	if (g == groupOther || len(commands) < groupSizes()[g]) && len(commands) <= maxFilterValues {
		names := make([]string, len(commands))
		for i, c := range commands {
			names[i] = ":c" + strconv.Itoa(i)
			in.ExpressionAttributeValues[names[i]] = attrS(c)
		}
		in.FilterExpression = aws.String("callback_command IN (" + strings.Join(names, ", ") + ")")
	}
	items, err := x.s.queryAll(ctx, in)
	if err != nil {
		return nil, fmt.Errorf("read the archive: %w", err)
	}
	var out []callback.Archived
	for _, item := range items {
		a, err := decodeArchived(item)
		if err != nil {
			return nil, fmt.Errorf("read the archive: %w", err)
		}
		if slices.Contains(commands, a.Command) && a.EventTime >= from && a.EventTime <= to {
			out = append(out, a)
		}
	}
	return out, nil
}

// newestOfGroup returns the room's version 2 archive items of the wanted commands of group g
// at the greatest EventTime within [from, to] that one of them has: the range read backwards,
// newestPage items at a time, until an item older than the first wanted one (or the range's
// start). Other commands' items are read and skipped, not filtered on the server, so that an
// older one ends the read.
func (x *tx) newestOfGroup(ctx context.Context, g string, wanted map[string]bool, from, to int64) ([]callback.Archived, error) {
	in := groupQuery(x.app, x.room, g, from, to, false)
	in.Limit = aws.Int32(newestPage)
	var out []callback.Archived
	newest := int64(math.MinInt64)
	for {
		page, err := x.s.queryPage(ctx, in)
		if err != nil {
			return nil, fmt.Errorf("read the archive: %w", err)
		}
		for _, item := range page.Items {
			d := decoder{item: item}
			c, t := d.str(attrCommand), d.int(attrEventTime)
			if d.err != nil {
				return nil, fmt.Errorf("read the archive: %w", d.err)
			}
			if t < newest {
				return out, nil
			}
			if !wanted[c] || t < from || t > to {
				continue
			}
			a, err := decodeArchived(item)
			if err != nil {
				return nil, fmt.Errorf("read the archive: %w", err)
			}
			newest = t
			out = append(out, a)
		}
		if len(page.LastEvaluatedKey) == 0 {
			return out, nil
		}
		in.ExclusiveStartKey = page.LastEvaluatedKey
	}
}

// legacy returns the room's version 1 archive items of the wanted commands with from <=
// EventTime <= to, when the table holds any. Their sort keys start with the time, so the time
// range is the key range (which leaves out EVENT#NOTIME#…) and the commands a filter.
func (x *tx) legacy(ctx context.Context, from, to int64, wanted map[string]bool) ([]callback.Archived, error) {
	if x.s.legacyUntil == 0 || from > x.s.legacyUntil {
		return nil, nil
	}
	in := &ddb.QueryInput{
		KeyConditionExpression: aws.String("pk = :p AND sk BETWEEN :lo AND :hi"),
		ExpressionAttributeValues: map[string]types.AttributeValue{
			":p":  attrS(roomPK(x.app, x.room)),
			":lo": attrS(legacyPrefix + timeKey(max(from, 0)) + "#"),
			":hi": attrS(legacyPrefix + timeKey(to) + "$"),
		},
		ProjectionExpression: aws.String(archivedAttrs),
	}
	filter := ""
	i := 0
	for c := range wanted {
		v := ":c" + strconv.Itoa(i)
		i++
		if filter != "" {
			filter += ", "
		}
		filter += v
		in.ExpressionAttributeValues[v] = attrS(c)
	}
	in.FilterExpression = aws.String("callback_command IN (" + filter + ")")
	items, err := x.s.queryAll(ctx, in)
	if err != nil {
		return nil, fmt.Errorf("read the version 1 archive: %w", err)
	}
	var out []callback.Archived
	for _, item := range items {
		a, err := decodeArchived(item)
		if err != nil {
			return nil, fmt.Errorf("read the version 1 archive: %w", err)
		}
		if wanted[a.Command] && a.EventTime >= from && a.EventTime <= to {
			out = append(out, a)
		}
	}
	return out, nil
}

// decodeArchived reads an archive item as the projection reads it back. A version 1 item has
// no body_sha256: it is computed from the body.
func decodeArchived(item map[string]types.AttributeValue) (callback.Archived, error) {
	d := decoder{item: item}
	a := callback.Archived{Command: d.str(attrCommand), EventTime: d.int(attrEventTime)}
	digest := d.optStr(attrBodySHA256)
	raw, err := rawBody(&d)
	if err != nil {
		return a, err
	}
	a.Raw = raw
	if digest != nil {
		a.Digest = *digest
	} else {
		a.Digest = sha256Hex(raw)
	}
	return a, nil
}

func sha256Hex(b []byte) string {
	sum := sha256.Sum256(b)
	return hex.EncodeToString(sum[:])
}

// queryAll runs in on the table, strongly consistent, and returns the items of every page.
func (s *Store) queryAll(ctx context.Context, in *ddb.QueryInput) ([]map[string]types.AttributeValue, error) {
	var items []map[string]types.AttributeValue
	for {
		out, err := s.queryPage(ctx, in)
		if err != nil {
			return nil, err
		}
		items = append(items, out.Items...)
		if len(out.LastEvaluatedKey) == 0 {
			return items, nil
		}
		in.ExclusiveStartKey = out.LastEvaluatedKey
	}
}

// queryPage runs one page of in on the table, strongly consistent.
func (s *Store) queryPage(ctx context.Context, in *ddb.QueryInput) (*ddb.QueryOutput, error) {
	in.TableName = aws.String(s.table)
	in.ConsistentRead = aws.Bool(true)
	return s.client.query(ctx, in)
}

// parallel runs f(0) … f(n-1) at once and returns the first error.
func parallel(n int, f func(i int) error) error {
	if n == 1 {
		return f(0)
	}
	errs := make([]error, n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() { errs[i] = f(i) })
	}
	wg.Wait()
	for _, err := range errs {
		if err != nil {
			return err
		}
	}
	return nil
}
