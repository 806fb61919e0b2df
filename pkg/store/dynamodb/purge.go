package dynamodb

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"sync/atomic"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	ddb "github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/roomhook/roomhook/pkg/callback"
)

// callback.Purger: the archive retention's deletes (callback.PurgeArchive, scripts/purge). The
// archive items of the commands callback.AlwaysExpires names may instead carry an expiry time
// that DynamoDB's Time to Live acts on (Options.ArchiveRetention); the purge deletes them too,
// so a table without Time to Live is still kept bounded.

// errReadOnlyDelete is returned by Delete on a store opened with Options.ReadOnly, which writes
// nothing, as Save's errReadOnly.
var errReadOnlyDelete = errors.New("dynamodb: delete from the archive: the store was opened read-only")

// deletesAtOnce is how many DeleteItem calls Delete makes at a time: a purge step of 500 ids
// takes tens of round trips instead of 500, and leaves the table's capacity to the saves.
const deletesAtOnce = 8

// Expired returns up to n archive items of app received before cutoff (received_at < its Unix
// ms), in archive order (gsi1sk), from the position after on; next is the position of the last
// item read, "" once the app's archive has been read to its end.
//
// It is a forward Query of the app's archive in the index (gsi1pk = EVENTS#<app>), received_at
// a filter. Not a key condition on gsi1sk: that holds the time the store saved the item, which
// may be any time after received_at (a replay of logged events saves them with the time they
// were first received), so a range of it would miss the events archived later than they were
// received; a run reads the app's whole archive in the index, pages of 1 MB of items.
//
// A page that yields more than n events is cut after the n-th, and the position is that item's
// keys (the index's ExclusiveStartKey is the item's pk, sk, gsi1pk and gsi1sk); else the page's
// LastEvaluatedKey. Positions are opaque: base64 (URL alphabet) of the JSON of those four keys.
// The index is eventually consistent: an item saved a moment ago may not be listed yet, and
// one deleted a moment ago may still be (Delete then skips it).
func (s *Store) Expired(ctx context.Context, app int64, cutoff time.Time, after string, n int) ([]callback.Event, string, error) {
	if err := s.begin(); err != nil {
		return nil, "", err
	}
	defer s.end()
	evs, next, err := s.expired(ctx, app, cutoff, after, n)
	if err != nil {
		return nil, "", fmt.Errorf("dynamodb: list the expired archive of app %d: %w", app, err)
	}
	return evs, next, nil
}

func (s *Store) expired(ctx context.Context, app int64, cutoff time.Time, after string, n int) ([]callback.Event, string, error) {
	if n < 1 {
		return nil, "", fmt.Errorf("asked for %d events, want at least 1", n)
	}
	before := cutoff.UnixMilli()
	in := &ddb.QueryInput{
		TableName:                aws.String(s.table),
		IndexName:                aws.String(indexByApp),
		KeyConditionExpression:   aws.String("#gpk = :p"),
		FilterExpression:         aws.String("#ra < :cutoff"),
		ExpressionAttributeNames: map[string]string{"#gpk": attrGSI1PK, "#ra": attrReceivedAt},
		ExpressionAttributeValues: map[string]types.AttributeValue{
			":p": attrS(appPK(app)), ":cutoff": attrN(before),
		},
		ScanIndexForward: aws.Bool(true),
	}
	if after != "" {
		start, err := decodePosition(after, app)
		if err != nil {
			return nil, "", err
		}
		in.ExclusiveStartKey = start
	}
	var evs []callback.Event
	for {
		out, err := s.client.query(ctx, in)
		if err != nil {
			return nil, "", err
		}
		for i, item := range out.Items {
			ev, err := decodeEvent(item)
			if err != nil {
				return nil, "", withKey(item, err)
			}
			if ev.ReceivedAt.UnixMilli() >= before { // the filter's rule, checked again on reading
				continue
			}
			pos, err := indexKeyOf(item)
			if err != nil {
				return nil, "", withKey(item, err)
			}
			ev.ArchiveID = encodeArchiveID(pos[attrPK], pos[attrSK])
			evs = append(evs, ev)
			if len(evs) < n {
				continue
			}
			if i == len(out.Items)-1 && len(out.LastEvaluatedKey) == 0 {
				return evs, "", nil // the archive's last item: nothing follows
			}
			next, err := encodePosition(pos)
			return evs, next, err
		}
		if len(out.LastEvaluatedKey) == 0 {
			return evs, "", nil
		}
		in.ExclusiveStartKey = out.LastEvaluatedKey
	}
}

// positionKeys are the attributes of a position in an app's archive in the index: the index's
// keys and the table's, which DynamoDB needs to resume a Query of the index.
var positionKeys = []string{attrPK, attrSK, attrGSI1PK, attrGSI1SK}

// indexKeyOf returns the four key strings of an archive item.
func indexKeyOf(item map[string]types.AttributeValue) (map[string]string, error) {
	d := decoder{item: item}
	pos := map[string]string{}
	for _, k := range positionKeys {
		pos[k] = d.str(k)
	}
	return pos, d.err
}

// encodePosition makes an Expired position of an item's four key strings.
func encodePosition(pos map[string]string) (string, error) {
	b, err := json.Marshal(pos)
	if err != nil {
		return "", err
	}
	return base64.RawURLEncoding.EncodeToString(b), nil
}

// decodePosition reads back a position of app's archive as a Query's ExclusiveStartKey: the four
// key strings and nothing else, gsi1pk the app's (a position of another app's archive would
// list that archive).
func decodePosition(after string, app int64) (map[string]types.AttributeValue, error) {
	bad := errors.New("the position is not one Expired returned")
	b, err := base64.RawURLEncoding.DecodeString(after)
	if err != nil {
		return nil, bad
	}
	var pos map[string]string
	if json.Unmarshal(b, &pos) != nil || len(pos) != len(positionKeys) {
		return nil, bad
	}
	start := map[string]types.AttributeValue{}
	for _, k := range positionKeys {
		v, ok := pos[k]
		if !ok {
			return nil, bad
		}
		start[k] = attrS(v)
	}
	if pos[attrGSI1PK] != appPK(app) {
		return nil, fmt.Errorf("the position is in the archive of another app (%s)", pos[attrGSI1PK])
	}
	return start, nil
}

// encodeArchiveID names an archive item by its key: base64 (URL alphabet) of the JSON array
// [pk, sk]. JSON keeps the two apart whatever a room id holds ('#', quotes, any character);
// base64 keeps the id one plain word wherever a tool prints it.
func encodeArchiveID(pk, sk string) string {
	b, _ := json.Marshal([2]string{pk, sk}) // two strings always marshal
	return base64.RawURLEncoding.EncodeToString(b)
}

// decodeArchiveID reads an ArchiveID back into its item's key.
func decodeArchiveID(id string) (pk, sk string, err error) {
	b, err := base64.RawURLEncoding.DecodeString(id)
	if err != nil {
		return "", "", fmt.Errorf("archive id %q is not one Expired returned (not base64)", id)
	}
	var k []string
	if err := json.Unmarshal(b, &k); err != nil || len(k) != 2 {
		return "", "", fmt.Errorf("archive id %q is not one Expired returned (not a [pk, sk] pair)", id)
	}
	return k[0], k[1], nil
}

// isArchiveSK reports whether sk is an archive item's sort key: EV#… (version 2 on) or EVENT#…
// (version 1's, and those without EventTime). A room's other items in its partition (ROOM,
// LOCK, PROJECTED#…) are not.
func isArchiveSK(sk string) bool {
	return strings.HasPrefix(sk, eventPrefix) || strings.HasPrefix(sk, legacyPrefix)
}

// RoomArchived returns the room's archived events q selects, as the projection's Tx.Archived
// reads them within a save (strongly consistent Queries of the room's archive partition, the
// version 1 items too while the table holds some), without taking the room's lock.
func (s *Store) RoomArchived(ctx context.Context, app int64, room string, q callback.ArchiveQuery) ([]callback.Archived, error) {
	if err := s.begin(); err != nil {
		return nil, err
	}
	defer s.end()
	out, err := (&tx{s: s, app: app, room: room}).Archived(ctx, q)
	if err != nil {
		return nil, fmt.Errorf("dynamodb: room %q of app %d: %w", room, app, err)
	}
	return out, nil
}

// Delete deletes the archive items of app that ids name and returns how many it deleted.
//
// Every id is checked before anything is deleted: one that is not an ArchiveID, or that names an
// item other than an archive item (a sort key other than EV#… or EVENT#…, a partition other than
// a room's), fails the call. One naming an archive item of another app (pk ROOM#<other app>#…)
// names no archive item of app: it is skipped, as are repeats.
//
// Each item is one DeleteItem, conditional on the item being app's archive item (gsi1pk =
// EVENTS#<app>), deletesAtOnce at a time. Not BatchWriteItem, although it takes 25 deletes a
// call: its deletes say nothing of what they deleted, while Delete counts the items that existed
// (a condition that fails is an item already gone: a second purge, or one beside); and the
// function binary already links DeleteItem (client.go), where BatchWriteItem would add another
// operation to it. A throttled delete (the SDK's own retries spent) is tried again after a wait,
// 20 ms doubling up to 1 s, up to 10 times in a row; Delete stops at the first other error, or
// when ctx ends, and returns how many it deleted until then. A store opened with
// Options.ReadOnly refuses to delete.
func (s *Store) Delete(ctx context.Context, app int64, ids []string) (int, error) {
	if s.readOnly {
		return 0, errReadOnlyDelete
	}
	if err := s.begin(); err != nil {
		return 0, err
	}
	defer s.end()
	n, err := s.delete(ctx, app, ids)
	if err != nil {
		return n, fmt.Errorf("dynamodb: delete from the archive of app %d: %w", app, err)
	}
	return n, nil
}

func (s *Store) delete(ctx context.Context, app int64, ids []string) (int, error) {
	mine := roomPrefix + strconv.FormatInt(app, 10) + "#"
	type itemKey struct{ pk, sk string }
	var keys []itemKey
	for _, id := range ids {
		pk, sk, err := decodeArchiveID(id)
		if err != nil {
			return 0, err
		}
		if !strings.HasPrefix(pk, roomPrefix) || !isArchiveSK(sk) {
			return 0, fmt.Errorf("archive id %q names item pk=%q sk=%q, not an archive item", id, pk, sk)
		}
		if strings.HasPrefix(pk, mine) {
			keys = append(keys, itemKey{pk, sk})
		}
	}
	slices.SortFunc(keys, func(a, b itemKey) int {
		if c := strings.Compare(a.pk, b.pk); c != 0 {
			return c
		}
		return strings.Compare(a.sk, b.sk)
	})
	keys = slices.Compact(keys)
	var deleted atomic.Int64
	err := bounded(ctx, len(keys), deletesAtOnce, func(i int) error {
		gone, err := s.deleteArchived(ctx, app, keys[i].pk, keys[i].sk)
		if err != nil {
			return fmt.Errorf("item pk=%q sk=%q: %w", keys[i].pk, keys[i].sk, err)
		}
		if gone {
			deleted.Add(1)
		}
		return nil
	})
	return int(deleted.Load()), err
}

// deleteArchived deletes one archive item of app, if it exists, and reports whether it did. A
// throttled call is made again after a wait (see Delete).
func (s *Store) deleteArchived(ctx context.Context, app int64, pk, sk string) (bool, error) {
	in := &ddb.DeleteItemInput{
		TableName:                 aws.String(s.table),
		Key:                       key(pk, sk),
		ConditionExpression:       aws.String("#gpk = :p"),
		ExpressionAttributeNames:  map[string]string{"#gpk": attrGSI1PK},
		ExpressionAttributeValues: map[string]types.AttributeValue{":p": attrS(appPK(app))},
	}
	wait := batchRetryFirst
	for tries := 1; ; tries++ {
		_, err := s.client.deleteItem(ctx, in)
		switch {
		case err == nil:
			return true, nil
		case isConditionFailed(err):
			return false, nil
		case !isThrottled(err) || tries == batchRetries:
			return false, err
		}
		t := time.NewTimer(wait)
		select {
		case <-ctx.Done():
			t.Stop()
			return false, fmt.Errorf("%w (after %w)", context.Cause(ctx), err)
		case <-t.C:
		}
		wait = min(2*wait, batchRetryMax)
	}
}

// isThrottled reports whether DynamoDB refused a request for the table's or the account's
// capacity: worth asking again after a wait.
func isThrottled(err error) bool {
	var (
		pte *types.ProvisionedThroughputExceededException
		te  *types.ThrottlingException
		rle *types.RequestLimitExceeded
	)
	return errors.As(err, &pte) || errors.As(err, &te) || errors.As(err, &rle)
}
