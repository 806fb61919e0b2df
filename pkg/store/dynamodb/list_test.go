package dynamodb

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	ddb "github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/roomhook/roomhook/pkg/callback"
	"github.com/roomhook/roomhook/pkg/store/storetest"
)

// The Lister's own cases on DynamoDB (storetest's "list:" tests check what it returns): the
// directory write a new room costs, a save failing between the directory and the room item,
// BatchGetItem's batches and unprocessed keys, and lists read over many small pages.

// TestDirectoryWrites: a new room costs one PutItem, its directory item, written before the
// room item; nothing else a save writes changes: an update, a member event, a create of a room
// that exists and a gift write no directory item.
func TestDirectoryWrites(t *testing.T) {
	s := open(t)
	const app = storetest.SeedSdkAppID
	var (
		mu     sync.Mutex
		writes []string
	)
	put := s.client.putItem
	s.client.putItem = func(ctx context.Context, in *ddb.PutItemInput, o ...func(*ddb.Options)) (*ddb.PutItemOutput, error) {
		pk, sk := str(in.Item, attrPK), str(in.Item, attrSK)
		kind := ""
		switch {
		case strings.HasPrefix(pk, directoryPrefix):
			kind = "directory " + sk
		case strings.HasPrefix(pk, roomPrefix) && sk == roomSK:
			kind = "room"
		case strings.HasPrefix(pk, giftsPrefix):
			kind = "ledger"
		}
		if kind != "" {
			mu.Lock()
			writes = append(writes, kind)
			mu.Unlock()
		}
		return put(ctx, in, o...)
	}
	step := func(ev *callback.Event, want ...string) {
		t.Helper()
		mu.Lock()
		writes = nil
		mu.Unlock()
		mustSave(t, s, ev, callback.OutcomeStored)
		mu.Lock()
		defer mu.Unlock()
		if !slices.Equal(writes, want) {
			t.Errorf("Save(%s) wrote %v, want %v", ev.Command, writes, want)
		}
	}
	step(storetest.SeedEvent(), "directory tandy-test-rest", "room")
	step(event(t, app, callback.CommandUpdateRoom, `{"RoomInfo":{"RoomId":"tandy-test-rest","RoomName":"n"},"EventTime":1703589923000}`), "room")
	step(event(t, app, callback.CommandMemberEnter, enterBody("tandy-test-rest", t0+2000, 1, "u1")), "room")
	step(event(t, app, callback.CommandCreateRoom, `{"RoomInfo":{"RoomId":"tandy-test-rest","RoomName":"again"},"EventTime":1703589929000}`), "room")
	step(event(t, app, callback.CommandMemberEnter, enterBody("members-first", t0, 1, "u1")))
	step(liveEvent(t, callback.CommandLiveGift, liveBody(t, "live-send-gift"), "req-gift", time.Now()), "ledger")
	step(liveEvent(t, callback.CommandLiveCreateRoom, liveBody(t, "live-create-room"), "req-create", time.Now()),
		"directory live-room-5c2e", "room")
	checkDirectory(t, s.table)
}

// TestDirectoryBeforeRoom: a save that wrote the directory item and failed before the room item
// leaves a directory item that AppRooms skips; the next delivery inserts the room, listed.
func TestDirectoryBeforeRoom(t *testing.T) {
	s := open(t)
	const app = storetest.SeedSdkAppID
	var fail atomic.Bool
	fail.Store(true)
	put := s.client.putItem
	s.client.putItem = func(ctx context.Context, in *ddb.PutItemInput, o ...func(*ddb.Options)) (*ddb.PutItemOutput, error) {
		if str(in.Item, attrSK) == roomSK && fail.Load() {
			return nil, errors.New("injected: the instance died")
		}
		return put(ctx, in, o...)
	}
	seed := storetest.SeedEvent()
	if o, err := s.Save(t.Context(), seed); err == nil {
		t.Fatalf("Save with the room item write failing = %v, want an error", o)
	}
	if getItem(t, s.table, directoryPK(app), seed.RoomID) == nil {
		t.Fatal("the failed save wrote no directory item before the room item")
	}
	if rows, err := s.AppRooms(t.Context(), app); err != nil || len(rows) != 0 {
		t.Errorf("AppRooms with a directory item and no room item = %v, %v; want none, no error", rows, err)
	}
	fail.Store(false)
	mustSave(t, s, seed, callback.OutcomeDuplicate) // archived by the failed save: the duplicate projects it
	rows, err := s.AppRooms(t.Context(), app)
	if err != nil || len(rows) != 1 || rows[0][1] != seed.RoomID {
		t.Errorf("AppRooms after the next delivery = %v, %v; want the room", rows, err)
	}
	checkDirectory(t, s.table)
}

// putRooms writes n rooms of app directly, each room item with its directory item, and returns
// their ids.
func putRooms(t *testing.T, table string, app int64, n int) []string {
	t.Helper()
	var ids []string
	var writes []types.WriteRequest
	flush := func() {
		if len(writes) == 0 {
			return
		}
		in := &ddb.BatchWriteItemInput{RequestItems: map[string][]types.WriteRequest{table: writes}}
		for len(in.RequestItems[table]) > 0 {
			out, err := rawClient(t).BatchWriteItem(t.Context(), in)
			if err != nil {
				t.Fatal(err)
			}
			in.RequestItems = out.UnprocessedItems
		}
		writes = nil
	}
	for i := range n {
		id := fmt.Sprintf("bulk-%04d", i)
		ids = append(ids, id)
		row := &callback.RoomRow{SdkAppID: app, Info: callback.RoomInfo{RoomID: id}, CallbackCommand: callback.CommandCreateRoom,
			EventTime: t0 + int64(i), UpdatedAt: t0}
		item, err := itemOf(callback.RoomsTable, row.Row())
		if err != nil {
			t.Fatal(err)
		}
		writes = append(writes, types.WriteRequest{PutRequest: &types.PutRequest{Item: item}},
			types.WriteRequest{PutRequest: &types.PutRequest{Item: directoryItem(app, id)}})
		if len(writes) == 24 {
			flush()
		}
	}
	flush()
	return ids
}

// TestAppRoomsBatches: an app of more rooms than one BatchGetItem takes is read 100 keys a call,
// every key DynamoDB leaves unprocessed asked for again; a directory item without its room is
// skipped; a call that never makes progress ends with the caller's context.
func TestAppRoomsBatches(t *testing.T) {
	s := open(t)
	const app, n = 1400555555, 230
	ids := putRooms(t, s.table, app, n)
	putItem(t, s.table, directoryItem(app, "no-room-item"))

	var calls, unprocessed atomic.Int32
	var stuck atomic.Bool
	get := s.client.batchGetItem
	s.client.batchGetItem = func(ctx context.Context, in *ddb.BatchGetItemInput, o ...func(*ddb.Options)) (*ddb.BatchGetItemOutput, error) {
		calls.Add(1)
		keys := in.RequestItems[s.table].Keys
		if len(keys) > batchGetKeys {
			t.Errorf("BatchGetItem of %d keys, more than %d", len(keys), batchGetKeys)
		}
		if stuck.Load() {
			return &ddb.BatchGetItemOutput{UnprocessedKeys: in.RequestItems}, nil
		}
		if len(keys) < 2 {
			return get(ctx, in, o...)
		}
		// DynamoDB's answer beyond 16 MB or when throttled: part of the keys read, the rest
		// left for another call.
		half := len(keys) / 2
		kv := in.RequestItems[s.table]
		kv.Keys = keys[:half]
		out, err := get(ctx, &ddb.BatchGetItemInput{RequestItems: map[string]types.KeysAndAttributes{s.table: kv}}, o...)
		if err != nil {
			return nil, err
		}
		kv.Keys = keys[half:]
		unprocessed.Add(int32(len(kv.Keys)))
		out.UnprocessedKeys = map[string]types.KeysAndAttributes{s.table: kv}
		return out, nil
	}
	rows, err := s.AppRooms(t.Context(), app)
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, r := range rows {
		got = append(got, r[1].(string))
	}
	slices.Sort(got)
	if !slices.Equal(got, ids) {
		t.Errorf("AppRooms listed %d rooms, want the %d written (the one without a room item skipped)", len(got), len(ids))
	}
	if c, u := calls.Load(), unprocessed.Load(); c <= 3 || u == 0 {
		t.Errorf("%d BatchGetItem calls, %d keys unprocessed; want more than the 3 batches, some unprocessed", c, u)
	}

	stuck.Store(true)
	ctx, cancel := context.WithTimeout(t.Context(), 200*time.Millisecond)
	defer cancel()
	if _, err := s.AppRooms(ctx, app); !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("AppRooms with every key left unprocessed = %v; want the end of its context", err)
	}
}

// TestListPaging: the lists read over pages of one item each (as DynamoDB pages a large
// partition, or a filtered Query whose page of items read holds few selected) are the lists
// read at once.
func TestListPaging(t *testing.T) {
	s := open(t)
	const app = storetest.SeedSdkAppID
	saveAll(t, s, app, v3Deliveries(t))
	evs, err := s.Events(t.Context(), app)
	if err != nil || len(evs) < 10 {
		t.Fatalf("Events = %d, %v; want the deliveries", len(evs), err)
	}
	mid := evs[len(evs)/2].ReceivedAt
	queries := []callback.ListQuery{
		{}, {Limit: 3}, {Since: mid}, {Since: mid, Limit: 2},
		{Commands: []string{callback.CommandLiveGift, callback.CommandMemberEnter}},
		{Commands: []string{callback.CommandLiveGift}, Limit: 2},
		{Room: ptr(v3Live)}, {Room: ptr(v3Live), Since: mid, Limit: 2},
	}
	lists := func() []string {
		var out []string
		for _, q := range queries {
			q.SdkAppID = app
			g, err := s.Gifts(t.Context(), q)
			if err != nil {
				t.Fatal(err)
			}
			a, err := s.Archive(t.Context(), q)
			if err != nil {
				t.Fatal(err)
			}
			out = append(out, fmt.Sprintf("%s: gifts %v archive %v", describeQuery(q), g, eventLines(a)))
		}
		return out
	}
	whole := lists()
	var pages atomic.Int32
	query := s.client.query
	s.client.query = func(ctx context.Context, in *ddb.QueryInput, o ...func(*ddb.Options)) (*ddb.QueryOutput, error) {
		pages.Add(1)
		in.Limit = aws.Int32(1)
		return query(ctx, in, o...)
	}
	paged := lists()
	if !slices.Equal(paged, whole) {
		t.Errorf("the lists read one item a page differ:\n got  %v\n want %v", paged, whole)
	}
	if n := pages.Load(); n < int32(len(evs)) {
		t.Errorf("%d pages read, want at least one per event (%d)", n, len(evs))
	}
}

// describeQuery writes q for a comparison.
func describeQuery(q callback.ListQuery) string {
	room := "-"
	if q.Room != nil {
		room = *q.Room
	}
	return fmt.Sprintf("room %s since %d commands %v limit %d", room, q.Since.UnixMilli(), q.Commands, q.Limit)
}
