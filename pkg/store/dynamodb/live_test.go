package dynamodb

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	ddb "github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/roomhook/roomhook/pkg/callback"
	"github.com/roomhook/roomhook/pkg/store/storetest"
)

// liveEvent builds the event of a testdata/live body as the core would, with its own request
// id and arrival time.
func liveEvent(t *testing.T, command, body, request string, at time.Time) *callback.Event {
	t.Helper()
	ev, err := coreEvent(storetest.SeedSdkAppID, delivery{command: command, body: body, request: request, at: at})
	if err != nil {
		t.Fatalf("%s: %v", command, err)
	}
	return ev
}

// checkTypes checks that item has each of want's attributes ("name:Type"), of that type.
func checkTypes(t *testing.T, what string, item map[string]types.AttributeValue, want string) {
	t.Helper()
	if item == nil {
		t.Fatalf("%s is missing", what)
	}
	for _, f := range strings.Fields(want) {
		name, typ, _ := strings.Cut(f, ":")
		if got := strings.TrimPrefix(fmt.Sprintf("%T", item[name]), "*types.AttributeValueMember"); got != typ {
			t.Errorf("%s: attribute %s is %s, want %s", what, name, got, typ)
		}
	}
}

// TestItemLayoutV3 pins the items of the tables version 3 added and the Live room columns:
// each table a partition per room of its own, the key's last column as the sort key, lists of
// numbers as L of N (order and repeats kept, [] an empty list).
func TestItemLayoutV3(t *testing.T) {
	s := open(t)
	const app = storetest.SeedSdkAppID
	at := time.UnixMilli(t0 + 300_000)
	for _, d := range []struct{ command, name string }{
		{callback.CommandLiveCreateRoom, "live-create-room"},
		{callback.CommandLiveCreateRoom, "live-create-room-eventtime-in-roominfo"},
		{callback.CommandLiveModifyAdmin, "live-modify-admin"},
		{callback.CommandLiveSetMetadata, "live-set-metadata"},
		{callback.CommandLiveDelMetadata, "live-del-metadata"},
		{callback.CommandLiveCreateBattle, "live-create-battle"},
		{callback.CommandLiveEndBattle, "live-end-battle"},
		{callback.CommandLiveDestroyRoom, "live-destroy-room"},
	} {
		mustSave(t, s, liveEvent(t, d.command, liveBody(t, d.name), "req-"+d.name, at), callback.OutcomeStored)
	}
	gift := liveEvent(t, callback.CommandLiveGift, liveBody(t, "live-send-gift"), "req-gift", at)
	mustSave(t, s, gift, callback.OutcomeStored)

	room := getItem(t, s.table, "ROOM#1400123456#live-room-5c2e", "ROOM")
	checkTypes(t, "live room item", room, "is_public_visible:BOOL cover_url:S background_url:S category:L activity_status:N "+
		"is_unlimited_room_enabled:BOOL view_count:N destroy_event_type:S total_viewers:N total_gifts_sent:N "+
		"total_gift_coins:N total_unique_gift_senders:N total_likes_received:N")
	if c := canonValue(room["category"]); c != "L[N31,N4]" {
		t.Errorf("category = %s, want the destroy's list of the numbers 31, 4", c)
	}
	empty := getItem(t, s.table, "ROOM#1400123456#live-room-6d3f", "ROOM")
	if c := canonValue(empty["category"]); c != "L[]" {
		t.Errorf("category [] stored as %s, want an empty list", c)
	}
	r, err := callback.ReadRoom(t.Context(), s, app, "live-room-6d3f")
	if err != nil || r.Live.Category == nil || len(r.Live.Category) != 0 {
		t.Errorf("ReadRoom(live-room-6d3f).Live.Category = %#v, %v; want an empty, non-nil list", r.Live.Category, err)
	}

	checkLayout(t, "admin item", getItem(t, s.table, "ADMINS#1400123456#live-room-5c2e", "admin-mia"),
		"pk:S sk:S sdk_app_id:N room_id:S admin_account:S state:S event_time:N updated_at:N")
	checkLayout(t, "metadata item (set)", getItem(t, s.table, "META#1400123456#live-room-5c2e", "theme"),
		"pk:S sk:S sdk_app_id:N room_id:S meta_key:S meta_value:S deleted:BOOL event_time:N updated_at:N")
	checkLayout(t, "metadata item (deleted)", getItem(t, s.table, "META#1400123456#live-room-5c2e", "pinned"),
		"pk:S sk:S sdk_app_id:N room_id:S meta_key:S deleted:BOOL event_time:N updated_at:N")
	battle := getItem(t, s.table, "BATTLES#1400123456#live-room-5c2e", "4siHsNsWN/T3aub9zKraqPbSEGRX2z6gs3LDFi+d/3M=")
	checkTypes(t, "battle item", battle, "pk:S sk:S sdk_app_id:N from_room_id:S battle_id:S stage:S to_room_ids:L "+
		"from_score:N to_scores:L winner_room_id:S create_time:N start_time:N end_time:N duration_ms:N end_op_type:N "+
		"need_response:BOOL timeout_ms:N extension_info:S callback_command:S event_time:N updated_at:N")
	if c := canonValue(battle["to_scores"]); c != "L[N52,N48]" {
		t.Errorf("to_scores = %s, want the list 52, 48", c)
	}
	if _, ok := battle["room_id"]; ok {
		t.Error("the battle item has a room_id attribute; its room is from_room_id")
	}

	// The gift: its archive item names the ledger row, which is keyed by its delivery_id.
	out, err := rawClient(t).Query(t.Context(), &ddb.QueryInput{
		TableName:              &s.table,
		KeyConditionExpression: strPtr("pk = :p AND begins_with(sk, :s)"),
		ExpressionAttributeValues: map[string]types.AttributeValue{
			":p": attrS("ROOM#1400123456#live-room-5c2e"), ":s": attrS(noTimePrefix),
		},
	})
	if err != nil || len(out.Items) != 1 {
		t.Fatalf("the gift's archive item: %v, %v", out, err)
	}
	archive := out.Items[0]
	checkLayout(t, "gift archive item", archive, "pk:S sk:S gsi1pk:S gsi1sk:S sdk_app_id:N callback_command:S room_id:S "+
		"client_ip:S opt_platform:S request_id:S received_at:N body_sha256:S raw_body:B delivery_id:S")
	id := str(archive, "delivery_id")
	if len(id) != 32 {
		t.Errorf("delivery_id = %q, want 32 hex digits", id)
	}
	ledger := getItem(t, s.table, "GIFTS#1400123456#live-room-5c2e", id)
	checkLayout(t, "gift ledger item", ledger,
		"pk:S sk:S gsi1pk:S gsi1sk:S sdk_app_id:N room_id:S delivery_id:S operator_account:S from_account:S to_accounts:L "+
			"gift_id:S gift_count:N coins:N gift_time:N received_at:N")
	// Version 4: the ledger item lists in the index under its app, by received_at (13 digits)
	// and delivery_id.
	if pk, sk := str(ledger, attrGSI1PK), str(ledger, attrGSI1SK); pk != "GIFTS#1400123456" ||
		sk != fmt.Sprintf("%013d#%s", at.UnixMilli(), id) {
		t.Errorf("ledger item index keys %q, %q; want GIFTS#1400123456 and %013d#%s", pk, sk, at.UnixMilli(), id)
	}
	for tb, n := range map[*callback.Table]int{callback.AdminsTable: 3, callback.MetadataTable: 3, callback.BattlesTable: 1,
		callback.GiftsTable: 1} {
		if rows, err := s.Rows(t.Context(), tb, app, "live-room-5c2e"); err != nil || len(rows) != n {
			t.Errorf("Rows(%s) = %d rows, %v; want %d", tb.Name, len(rows), err, n)
		}
	}
}

func strPtr(s string) *string { return &s }

// TestIntLists: a list of numbers is an L of N, order and repeats kept; [] reads back as an
// empty list, an absent attribute as none.
func TestIntLists(t *testing.T) {
	b := &callback.BattleRow{SdkAppID: 1, FromRoomID: "r", BattleID: "b", Stage: callback.BattleEnded,
		ToRoomIDs: []string{"x", "y", "x"}, ToScores: []int64{5, -1 << 63, 5}, CallbackCommand: "c"}
	for _, scores := range [][]int64{{5, -1 << 63, 5}, {}, nil} {
		b.ToScores = scores
		item, err := itemOf(callback.BattlesTable, b.Row())
		if err != nil {
			t.Fatal(err)
		}
		row, err := rowOf(callback.BattlesTable, item)
		if err != nil {
			t.Fatal(err)
		}
		got := row[callback.BattlesTable.Index("to_scores")]
		switch {
		case scores == nil && got != nil:
			t.Errorf("nil to_scores read back as %#v", got)
		case scores != nil && (got == nil || !slices.Equal(got.([]int64), scores)):
			t.Errorf("to_scores %v read back as %#v", scores, got)
		}
	}
	d := decoder{item: map[string]types.AttributeValue{"l": &types.AttributeValueMemberL{Value: []types.AttributeValue{attrS("1")}}}}
	if d.optIntList("l"); d.err == nil {
		t.Error("a list holding a string read as a list of numbers")
	}
}

// TestGiftSave: a gift takes no lock; its archive item and ledger item are written, the
// archive item naming the ledger row; a replay of the same delivery (same request id, time and
// body) adds no row, another delivery one.
func TestGiftSave(t *testing.T) {
	s := open(t)
	const app = storetest.SeedSdkAppID
	var locks atomic.Int32
	put := s.client.putItem
	s.client.putItem = func(ctx context.Context, in *ddb.PutItemInput, o ...func(*ddb.Options)) (*ddb.PutItemOutput, error) {
		if str(in.Item, attrSK) == lockSK {
			locks.Add(1)
		}
		return put(ctx, in, o...)
	}
	at := time.UnixMilli(t0 + 400_000)
	body := liveBody(t, "live-send-gift")
	mustSave(t, s, liveEvent(t, callback.CommandLiveGift, body, "req-1", at), callback.OutcomeStored)
	mustSave(t, s, liveEvent(t, callback.CommandLiveGift, body, "req-1", at), callback.OutcomeStored) // a replay
	mustSave(t, s, liveEvent(t, callback.CommandLiveGift, body, "req-2", at.Add(time.Second)), callback.OutcomeStored)
	if n := locks.Load(); n != 0 {
		t.Errorf("the gifts' saves took %d locks, want none", n)
	}
	gifts, err := callback.ReadGifts(t.Context(), s, app, "live-room-5c2e")
	if err != nil || len(gifts) != 2 {
		t.Fatalf("ReadGifts = %d rows, %v; want 2 (the replay is the same delivery)", len(gifts), err)
	}
	evs, err := s.Events(t.Context(), app)
	if err != nil || len(evs) != 3 {
		t.Errorf("Events = %d, %v; want every delivery archived", len(evs), err)
	}
}

// TestGiftLedgerWriteFails: a gift whose ledger write fails after its archive item was written
// fails the save (the delivery is answered 503 and delivered again); the next delivery makes
// the one ledger row. A write applied whose answer was lost is found by reading it back (the
// save succeeds), as is one the SDK's retry finds done.
func TestGiftLedgerWriteFails(t *testing.T) {
	s := open(t)
	const app, room = storetest.SeedSdkAppID, "live-room-5c2e"
	put := s.client.putItem
	var mode atomic.Int32 // 0: pass, 1: fail the ledger write, 2: apply it and lose the answer, 3: apply it twice
	s.client.putItem = func(ctx context.Context, in *ddb.PutItemInput, o ...func(*ddb.Options)) (*ddb.PutItemOutput, error) {
		if !strings.HasPrefix(str(in.Item, attrPK), giftsPrefix) {
			return put(ctx, in, o...)
		}
		switch mode.Load() {
		case 1:
			return nil, errors.New("injected: throttled")
		case 2:
			if _, err := put(ctx, in, o...); err != nil {
				return nil, err
			}
			return nil, errors.New("injected: the answer was lost")
		case 3:
			if _, err := put(ctx, in, o...); err != nil {
				return nil, err
			}
			return put(ctx, in, o...) // the SDK's retry: the condition fails
		}
		return put(ctx, in, o...)
	}
	body := liveBody(t, "live-send-gift")
	at := time.UnixMilli(t0 + 500_000)
	mode.Store(1)
	if o, err := s.Save(t.Context(), liveEvent(t, callback.CommandLiveGift, body, "req-a", at)); err == nil {
		t.Fatalf("Save with the ledger write failing = %v, want an error", o)
	}
	if evs, _ := s.Events(t.Context(), app); len(evs) != 1 {
		t.Errorf("the failed save archived %d events, want 1", len(evs))
	}
	if rows, _ := s.Rows(t.Context(), callback.GiftsTable, app, room); len(rows) != 0 {
		t.Errorf("the failed save left %d ledger rows", len(rows))
	}
	mode.Store(0)
	mustSave(t, s, liveEvent(t, callback.CommandLiveGift, body, "req-b", at.Add(time.Second)), callback.OutcomeStored)
	mode.Store(2)
	mustSave(t, s, liveEvent(t, callback.CommandLiveGift, body, "req-c", at.Add(2*time.Second)), callback.OutcomeStored)
	mode.Store(3)
	mustSave(t, s, liveEvent(t, callback.CommandLiveGift, body, "req-d", at.Add(3*time.Second)), callback.OutcomeStored)
	gifts, err := callback.ReadGifts(t.Context(), s, app, room)
	if err != nil || len(gifts) != 3 {
		t.Fatalf("ReadGifts = %d rows, %v; want one per successful delivery, 3", len(gifts), err)
	}
	for i, g := range gifts {
		if want := at.Add(time.Duration(i+1) * time.Second).UnixMilli(); g.ReceivedAt != want {
			t.Errorf("gift %d received_at %d, want %d", i, g.ReceivedAt, want)
		}
	}
}

// TestRoomTurns: one process's saves of one room that hold the room's lock (updates, here)
// wait for each other in the order they came, so that only one of them at a time asks for the
// lock: every lock request succeeds at once, none polls.
func TestRoomTurns(t *testing.T) {
	s := open(t)
	var lockPuts, refused atomic.Int64
	put := s.client.putItem
	s.client.putItem = func(ctx context.Context, in *ddb.PutItemInput, o ...func(*ddb.Options)) (*ddb.PutItemOutput, error) {
		out, err := put(ctx, in, o...)
		if str(in.Item, attrSK) == lockSK {
			lockPuts.Add(1)
			if isConditionFailed(err) {
				refused.Add(1)
			}
		}
		return out, err
	}
	const updates = 24
	var wg sync.WaitGroup
	for i := range updates {
		wg.Go(func() {
			body := fmt.Sprintf(`{"CallbackCommand":"Live.CallbackAfterUpdateRoomInfo","RoomInfo":{"RoomId":"popular",`+
				`"RoomName":"name %02d"},"EventTime":%d}`, i, 1703590000000+int64(i))
			ev := liveEvent(t, callback.CommandLiveUpdateRoom, body, fmt.Sprintf("req-%d", i), time.Now())
			if o, err := s.Save(t.Context(), ev); err != nil || o == callback.OutcomeDuplicate {
				t.Errorf("update %d: %v, %v", i, o, err)
			}
		})
	}
	wg.Wait()
	if lockPuts.Load() != updates || refused.Load() != 0 {
		t.Errorf("%d lock requests, %d refused; want %d, none refused (one asks at a time)", lockPuts.Load(), refused.Load(), updates)
	}
	if r, err := callback.ReadRoom(t.Context(), s, storetest.SeedSdkAppID, "popular"); err != nil || *r.Info.RoomName != "name 23" {
		t.Fatalf("room %+v, %v; want the newest update's name", r, err)
	}
	if len(s.turns.rooms) != 0 {
		t.Errorf("%d turns left after the saves", len(s.turns.rooms))
	}
}

// TestMemberStateLocks: a Live member state takes its members' locks, not the room's: the
// viewers of one room are saved side by side (each lock request succeeds at once), and a
// destroy saved among them, which holds the room, still ends exactly the viewers whose Online
// came before it, whatever the interleaving (each run shuffles the deliveries).
func TestMemberStateLocks(t *testing.T) {
	for run := range 3 {
		s := open(t)
		var roomLocks, memberLocks, refused atomic.Int64
		put := s.client.putItem
		s.client.putItem = func(ctx context.Context, in *ddb.PutItemInput, o ...func(*ddb.Options)) (*ddb.PutItemOutput, error) {
			out, err := put(ctx, in, o...)
			switch pk := str(in.Item, attrPK); {
			case str(in.Item, attrSK) == lockSK:
				roomLocks.Add(1)
			case strings.HasPrefix(pk, memberLocksPrefix):
				memberLocks.Add(1)
				if isConditionFailed(err) {
					refused.Add(1)
				}
			}
			return out, err
		}
		const viewers, destroyAt = 30, int64(1703590000015)
		events := make([]*callback.Event, 0, viewers+1)
		for i := range viewers {
			body := fmt.Sprintf(`{"CallbackCommand":"Live.CallbackAfterMemberStateChanged","RoomId":"popular","EventType":"Online",`+
				`"EventCause":"Enter","MemberList":[{"Member_Account":"viewer-%02d"}],"EventTime":%d}`, i, 1703590000000+int64(i))
			events = append(events, liveEvent(t, callback.CommandLiveMemberState, body, fmt.Sprintf("req-%d", i), time.Now()))
		}
		destroy := fmt.Sprintf(`{"CallbackCommand":"Live.CallbackAfterDestroyRoom","RoomId":"popular","EventType":"DestroyByUser","EventTime":%d}`, destroyAt)
		events = append(events, liveEvent(t, callback.CommandLiveDestroyRoom, destroy, "req-destroy", time.Now()))
		rng := rand.New(rand.NewPCG(uint64(run), 7))
		rng.Shuffle(len(events), func(i, j int) { events[i], events[j] = events[j], events[i] })
		var wg sync.WaitGroup
		for _, ev := range events {
			wg.Go(func() {
				if _, err := s.Save(t.Context(), ev); err != nil {
					t.Errorf("%s: %v", ev.RequestID, err)
				}
			})
		}
		wg.Wait()
		if roomLocks.Load() != 1 || memberLocks.Load() != viewers || refused.Load() != 0 {
			t.Errorf("run %d: %d room lock requests, %d member lock requests (%d refused); want 1 and %d, none refused",
				run, roomLocks.Load(), memberLocks.Load(), refused.Load(), viewers)
		}
		members, err := callback.ReadMembers(t.Context(), s, storetest.SeedSdkAppID, "popular")
		if err != nil || len(members) != viewers {
			t.Fatalf("run %d: %d members, %v", run, len(members), err)
		}
		for i, m := range members {
			ended := 1703590000000+int64(i) <= destroyAt
			if got := m.State == callback.MemberLeft && m.LeaveType != nil && *m.LeaveType == callback.LeaveDestroyed; got != ended ||
				!ended && m.State != callback.MemberIn {
				t.Errorf("run %d: %s %s (left_at %v), want ended by the destroy: %v", run, m.MemberAccount, m.State, m.LeftAt, ended)
			}
		}
	}
}
