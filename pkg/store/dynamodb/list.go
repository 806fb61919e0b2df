package dynamodb

import (
	"cmp"
	"context"
	"fmt"
	"math"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	ddb "github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/roomhook/roomhook/pkg/callback"
)

// callback.Lister: an app's rooms, gift ledger and archive, each read from a partition of its
// own (the room directory, the ledger's and the archive's index partitions), never by a Scan.

// BatchGetItem: the most keys one call takes, how many calls AppRooms makes at once, and how it
// waits before asking again for keys DynamoDB left unprocessed (its answer to throttling, or to
// more than 16 MB in one call): doubling waits while calls make no progress, given up after
// batchRetries of those in a row.
const (
	batchGetKeys    = 100
	batchGetsAtOnce = 4
	batchRetryFirst = 20 * time.Millisecond
	batchRetryMax   = time.Second
	batchRetries    = 10
)

// AppRooms returns the rooms rows of one app, in any order: the room items its directory lists
// (version 4; a directory item is written before its room item is inserted), read strongly
// consistent, 100 per BatchGetItem. A directory item whose room item is missing (a save that
// failed between the two writes, whose next delivery will insert it) is skipped. An app without
// rooms yields an empty result, not an error.
func (s *Store) AppRooms(ctx context.Context, sdkAppID int64) ([]callback.Row, error) {
	if err := s.begin(); err != nil {
		return nil, err
	}
	defer s.end()
	fail := func(err error) ([]callback.Row, error) {
		return nil, fmt.Errorf("dynamodb: list the rooms of app %d: %w", sdkAppID, err)
	}
	entries, err := s.queryAll(ctx, &ddb.QueryInput{
		KeyConditionExpression:    aws.String("#pk = :p"),
		ExpressionAttributeNames:  map[string]string{"#pk": attrPK, "#sk": attrSK},
		ExpressionAttributeValues: map[string]types.AttributeValue{":p": attrS(directoryPK(sdkAppID))},
		ProjectionExpression:      aws.String("#sk"),
	})
	if err != nil {
		return fail(fmt.Errorf("read the room directory: %w", err))
	}
	keys := make([]map[string]types.AttributeValue, 0, len(entries))
	for _, e := range entries {
		d := decoder{item: e}
		room := d.str(attrSK)
		if d.err != nil {
			return fail(fmt.Errorf("room directory item: %w", d.err))
		}
		keys = append(keys, key(roomPK(sdkAppID, room), roomSK))
	}
	items, err := s.batchGet(ctx, keys)
	if err != nil {
		return fail(err)
	}
	rows := make([]callback.Row, 0, len(items))
	for _, item := range items {
		row, err := rowOf(callback.RoomsTable, item)
		if err != nil {
			return fail(withKey(item, err))
		}
		rows = append(rows, row)
	}
	return rows, nil
}

// batchGet reads the items of keys, strongly consistent, batchGetKeys a call and batchGetsAtOnce
// calls at a time, in no particular order; a key without an item has none in the result.
func (s *Store) batchGet(ctx context.Context, keys []map[string]types.AttributeValue) ([]map[string]types.AttributeValue, error) {
	chunks := slices.Collect(slices.Chunk(keys, batchGetKeys))
	parts := make([][]map[string]types.AttributeValue, len(chunks))
	err := bounded(ctx, len(chunks), batchGetsAtOnce, func(i int) error {
		var err error
		parts[i], err = s.batchGetChunk(ctx, chunks[i])
		return err
	})
	if err != nil {
		return nil, err
	}
	return slices.Concat(parts...), nil
}

// batchGetChunk is one BatchGetItem of at most batchGetKeys keys, asked again for the keys
// DynamoDB leaves unprocessed until none is left, ctx ends, or batchRetries calls in a row made
// no progress.
func (s *Store) batchGetChunk(ctx context.Context, keys []map[string]types.AttributeValue) ([]map[string]types.AttributeValue, error) {
	var items []map[string]types.AttributeValue
	wait, idle := batchRetryFirst, 0
	for {
		out, err := s.client.batchGetItem(ctx, &ddb.BatchGetItemInput{
			RequestItems: map[string]types.KeysAndAttributes{
				s.table: {Keys: keys, ConsistentRead: aws.Bool(true)},
			},
		})
		if err != nil {
			return nil, fmt.Errorf("read the room items: %w", err)
		}
		got := out.Responses[s.table]
		items = append(items, got...)
		left := out.UnprocessedKeys[s.table].Keys
		if len(left) == 0 {
			return items, nil
		}
		if len(got) > 0 {
			wait, idle = batchRetryFirst, 0
		} else if idle++; idle == batchRetries {
			return nil, fmt.Errorf("read the room items: DynamoDB left %d keys unprocessed %d times in a row (throttled)",
				len(left), batchRetries)
		}
		t := time.NewTimer(wait)
		select {
		case <-ctx.Done():
			t.Stop()
			return nil, fmt.Errorf("read the room items: %w", context.Cause(ctx))
		case <-t.C:
		}
		wait = min(2*wait, batchRetryMax)
		keys = left
	}
}

// Gifts returns the ledger rows q selects, newest first (received_at descending, then
// delivery_id descending, by bytes).
//
// Without q.Room: a backward Query of the app's ledger in the index (gsi1pk GIFTS#<app>, gsi1sk
// received_at and delivery_id, version 4), q.Since a key condition, paged until q.Limit rows.
// The index is eventually consistent: on DynamoDB a gift saved a moment ago may be missing.
// With q.Room: a strongly consistent Query of the room's ledger partition, filtered and sorted
// here.
func (s *Store) Gifts(ctx context.Context, q callback.ListQuery) ([]callback.Row, error) {
	if err := s.begin(); err != nil {
		return nil, err
	}
	defer s.end()
	rows, err := s.gifts(ctx, q)
	if err != nil {
		return nil, fmt.Errorf("dynamodb: list the gifts of app %d: %w", q.SdkAppID, err)
	}
	return rows, nil
}

func (s *Store) gifts(ctx context.Context, q callback.ListQuery) ([]callback.Row, error) {
	t := callback.GiftsTable
	received, delivery := t.Index("received_at"), t.Index("delivery_id")
	selected := func(r callback.Row) bool {
		return q.Match(r[1].(string), "", time.UnixMilli(r[received].(int64)))
	}
	if q.Room != nil {
		items, err := s.queryAll(ctx, &ddb.QueryInput{
			KeyConditionExpression:    aws.String("pk = :p"),
			ExpressionAttributeValues: map[string]types.AttributeValue{":p": attrS(tablePK(giftsPrefix, q.SdkAppID, *q.Room))},
		})
		if err != nil {
			return nil, err
		}
		var rows []callback.Row
		for _, item := range items {
			r, err := rowOf(t, item)
			if err != nil {
				return nil, withKey(item, err)
			}
			if selected(r) {
				rows = append(rows, r)
			}
		}
		slices.SortFunc(rows, func(a, b callback.Row) int {
			return cmp.Or(cmp.Compare(b[received].(int64), a[received].(int64)),
				strings.Compare(b[delivery].(string), a[delivery].(string)))
		})
		if q.Limit > 0 && len(rows) > q.Limit {
			rows = rows[:q.Limit]
		}
		return rows, nil
	}

	in := &ddb.QueryInput{
		TableName:                 aws.String(s.table),
		IndexName:                 aws.String(indexByApp),
		KeyConditionExpression:    aws.String("gsi1pk = :p"),
		ExpressionAttributeValues: map[string]types.AttributeValue{":p": attrS(giftsIndexPK(q.SdkAppID))},
		ScanIndexForward:          aws.Bool(false),
	}
	if !q.Since.IsZero() {
		// Every key of a gift received at or after Since sorts at or after Since's 13 digits.
		in.KeyConditionExpression = aws.String("gsi1pk = :p AND gsi1sk >= :since")
		in.ExpressionAttributeValues[":since"] = attrS(fmt.Sprintf("%013d", q.Since.UnixMilli()))
	}
	var rows []callback.Row
	for {
		if q.Limit > 0 {
			in.Limit = aws.Int32(int32(min(q.Limit-len(rows), math.MaxInt32)))
		}
		out, err := s.client.query(ctx, in)
		if err != nil {
			return nil, err
		}
		for _, item := range out.Items {
			r, err := rowOf(t, item)
			if err != nil {
				return nil, withKey(item, err)
			}
			if selected(r) {
				rows = append(rows, r)
			}
		}
		if len(out.LastEvaluatedKey) == 0 || (q.Limit > 0 && len(rows) >= q.Limit) {
			break
		}
		in.ExclusiveStartKey = out.LastEvaluatedKey
	}
	if q.Limit > 0 && len(rows) > q.Limit {
		rows = rows[:q.Limit]
	}
	return rows, nil
}

// Archive returns the archived events q selects, newest first: the reverse of Events' order
// (gsi1sk, the archive position). q.Since selects by received_at, which is not the time in
// gsi1sk (the archive time: the store's clock when it saved the event, not the handler's when
// it received it), so it is a filter, never a key condition; so are q.Commands.
//
// Without q.Room: a backward Query of the app's archive in the index, paged until q.Limit
// events are selected (a filtered Query's Limit counts the items read, so none is set when
// filtering). Without a Limit, or with fewer events selected, it reads the app's archive back
// to its start. The index is eventually consistent: on DynamoDB an event saved a moment ago may
// be missing. With q.Room: strongly consistent Queries of the room's archive partition (sort
// keys EV#… and EVENT#…: version 1's items too), sorted here.
func (s *Store) Archive(ctx context.Context, q callback.ListQuery) ([]callback.Event, error) {
	if err := s.begin(); err != nil {
		return nil, err
	}
	defer s.end()
	evs, err := s.archived(ctx, q)
	if err != nil {
		return nil, fmt.Errorf("dynamodb: list the archive of app %d: %w", q.SdkAppID, err)
	}
	return evs, nil
}

func (s *Store) archived(ctx context.Context, q callback.ListQuery) ([]callback.Event, error) {
	if q.Room != nil {
		return s.roomArchive(ctx, q)
	}
	in := &ddb.QueryInput{
		TableName:                 aws.String(s.table),
		IndexName:                 aws.String(indexByApp),
		KeyConditionExpression:    aws.String("gsi1pk = :p"),
		ExpressionAttributeValues: map[string]types.AttributeValue{":p": attrS(appPK(q.SdkAppID))},
		ScanIndexForward:          aws.Bool(false),
	}
	filtered := listFilter(in, q)
	var evs []callback.Event
	for {
		if q.Limit > 0 && !filtered {
			in.Limit = aws.Int32(int32(min(q.Limit-len(evs), math.MaxInt32)))
		}
		out, err := s.client.query(ctx, in)
		if err != nil {
			return nil, err
		}
		for _, item := range out.Items {
			ev, err := decodeEvent(item)
			if err != nil {
				return nil, withKey(item, err)
			}
			if q.Match(ev.RoomID, ev.Command, ev.ReceivedAt) {
				evs = append(evs, ev)
			}
		}
		if len(out.LastEvaluatedKey) == 0 || (q.Limit > 0 && len(evs) >= q.Limit) {
			break
		}
		in.ExclusiveStartKey = out.LastEvaluatedKey
	}
	if q.Limit > 0 && len(evs) > q.Limit {
		evs = evs[:q.Limit]
	}
	return evs, nil
}

// roomArchive is Archive of one room: its archive partition's items (version 2 and later
// under EV#, version 1 and those without EventTime under EVENT#) read at once, those q selects
// sorted newest first by gsi1sk, as the app's are listed. An item without gsi1sk is not in the
// app's archive (Events does not list it), so it is not listed here either.
func (s *Store) roomArchive(ctx context.Context, q callback.ListQuery) ([]callback.Event, error) {
	prefixes := []string{eventPrefix, legacyPrefix}
	parts := make([][]map[string]types.AttributeValue, len(prefixes))
	err := parallel(len(prefixes), func(i int) error {
		in := &ddb.QueryInput{
			KeyConditionExpression: aws.String("pk = :p AND begins_with(sk, :s)"),
			ExpressionAttributeValues: map[string]types.AttributeValue{
				":p": attrS(roomPK(q.SdkAppID, *q.Room)), ":s": attrS(prefixes[i]),
			},
		}
		listFilter(in, q)
		var err error
		parts[i], err = s.queryAll(ctx, in)
		return err
	})
	if err != nil {
		return nil, err
	}
	type listed struct {
		position string
		ev       callback.Event
	}
	var evs []listed
	for _, item := range slices.Concat(parts...) {
		d := decoder{item: item}
		position := d.optStr(attrGSI1SK)
		if d.err != nil {
			return nil, withKey(item, d.err)
		}
		if position == nil {
			continue
		}
		ev, err := decodeEvent(item)
		if err != nil {
			return nil, withKey(item, err)
		}
		if q.Match(ev.RoomID, ev.Command, ev.ReceivedAt) {
			evs = append(evs, listed{*position, ev})
		}
	}
	slices.SortFunc(evs, func(a, b listed) int { return strings.Compare(b.position, a.position) })
	if q.Limit > 0 && len(evs) > q.Limit {
		evs = evs[:q.Limit]
	}
	var out []callback.Event // nil when none is selected, as the app's list
	for _, e := range evs {
		out = append(out, e.ev)
	}
	return out, nil
}

// listFilter adds to in the filter of q's Since (received_at, in Unix ms, as Match compares it)
// and Commands (unless there are more than a filter's IN takes: Match, applied to every item
// read, checks them anyway), and reports whether there is one.
func listFilter(in *ddb.QueryInput, q callback.ListQuery) bool {
	var conds []string
	names := map[string]string{}
	if !q.Since.IsZero() {
		names["#ra"] = attrReceivedAt
		in.ExpressionAttributeValues[":since"] = attrN(q.Since.UnixMilli())
		conds = append(conds, "#ra >= :since")
	}
	commands := slices.Compact(slices.Sorted(slices.Values(q.Commands)))
	if len(commands) > 0 && len(commands) <= maxFilterValues {
		names["#cmd"] = attrCommand
		values := make([]string, len(commands))
		for i, c := range commands {
			values[i] = ":c" + strconv.Itoa(i)
			in.ExpressionAttributeValues[values[i]] = attrS(c)
		}
		conds = append(conds, "#cmd IN ("+strings.Join(values, ", ")+")")
	}
	if len(conds) == 0 {
		return false
	}
	in.FilterExpression = aws.String(strings.Join(conds, " AND "))
	in.ExpressionAttributeNames = names
	return true
}

// withKey names the item an error is about, when it has its key.
func withKey(item map[string]types.AttributeValue, err error) error {
	pk, _ := item[attrPK].(*types.AttributeValueMemberS)
	sk, _ := item[attrSK].(*types.AttributeValueMemberS)
	if pk == nil || sk == nil {
		return err
	}
	return fmt.Errorf("item pk=%q sk=%q: %w", pk.Value, sk.Value, err)
}
