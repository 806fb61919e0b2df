package dynamodb

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strconv"
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

// The Purger beyond the conformance suite (storetest's "purge: …"): paging, what Delete refuses,
// throttled deletes, deletes beside saves, and the archive items' expiry time for Time to Live.

// purgeCommand is a command roomhook does not project: its events are archived only.
const purgeCommand = "Room.CallbackAfterSomethingNew"

// oldReceived is when the tests' old events arrived, long before purgeCutoff; the events
// saved as new arrive after it.
var (
	oldReceived = time.Date(2023, 1, 2, 3, 4, 5, 678_000_000, time.UTC)
	purgeCutoff = time.Date(2023, 6, 1, 0, 0, 0, 0, time.UTC)
	newReceived = time.Date(2023, 9, 1, 0, 0, 0, 0, time.UTC)
)

// archiveOnly is an event of purgeCommand in room at EventTime t0+i, received at at, with a
// body of pad extra bytes.
func archiveOnly(app int64, room string, i int, at time.Time, pad int) *callback.Event {
	body := fmt.Sprintf(`{"CallbackCommand":%q,"RoomId":%q,"EventTime":%d,"Pad":%q}`, purgeCommand, room, t0+int64(i),
		strings.Repeat(strconv.Itoa(i%10), pad))
	return &callback.Event{SdkAppID: app, Command: purgeCommand, RoomID: room, EventTime: t0 + int64(i),
		ClientIP: "198.51.100.7", OptPlatform: "Web", RequestID: fmt.Sprintf("req-purge-%04d", i), ReceivedAt: at,
		Raw: []byte(body)}
}

// openWith opens a store on a fresh table with opts, closed and deleted when the test ends.
func openWith(t *testing.T, opts Options) *Store {
	t.Helper()
	isolateAWS(t)
	table := tableName()
	dropTable(t, table)
	s, err := Open(t.Context(), storeURL(t, table), opts)
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

// expiredIDs pages through Expired n at a time and returns every event it listed.
func expiredIDs(t *testing.T, s *Store, app int64, cutoff time.Time, n int) []callback.Event {
	t.Helper()
	var all []callback.Event
	for after, calls := "", 0; ; calls++ {
		if calls > 1000 {
			t.Fatal("Expired never came to an end")
		}
		evs, next, err := s.Expired(t.Context(), app, cutoff, after, n)
		if err != nil {
			t.Fatalf("Expired(after %q, %d): %v", after, n, err)
		}
		all = append(all, evs...)
		if next == "" {
			return all
		}
		after = next
	}
}

func ids(evs []callback.Event) []string {
	out := make([]string, len(evs))
	for i, ev := range evs {
		out[i] = ev.ArchiveID
	}
	return out
}

// TestExpiredPages: 300 expired events among 30 received after the cutoff, listed 50 a call
// over pages of about a megabyte (bodies of 12 KB), so that calls end both within a page (the
// position is the item's keys) and at a page's end (DynamoDB's LastEvaluatedKey): every call
// but the last returns 50, together the expired events in archive order, each once.
func TestExpiredPages(t *testing.T) {
	s := open(t)
	const app = storetest.SeedSdkAppID
	var want []string
	for i := range 330 {
		at := oldReceived.Add(time.Duration(i) * time.Second)
		if i%11 == 5 {
			at = newReceived.Add(time.Duration(i) * time.Second)
		}
		ev := archiveOnly(app, fmt.Sprintf("room-%d", i%3), i, at, 12_000)
		mustSave(t, s, ev, callback.OutcomeIgnored)
		if at.Before(purgeCutoff) {
			want = append(want, ev.RequestID)
		}
	}
	mustSave(t, s, archiveOnly(app+1, "room-0", 0, oldReceived, 10), callback.OutcomeIgnored) // another app's

	// Count the pages that end before the archive does, to be sure that calls resume from
	// DynamoDB's LastEvaluatedKey as well as from an item's keys.
	var pagesCut atomic.Int64
	query := s.client.query
	s.client.query = func(ctx context.Context, in *ddb.QueryInput, o ...func(*ddb.Options)) (*ddb.QueryOutput, error) {
		out, err := query(ctx, in, o...)
		if err == nil && len(out.LastEvaluatedKey) > 0 {
			pagesCut.Add(1)
		}
		return out, err
	}
	var got []string
	seen := map[string]bool{}
	after := ""
	for calls := 0; ; calls++ {
		evs, next, err := s.Expired(t.Context(), app, purgeCutoff, after, 50)
		if err != nil {
			t.Fatalf("Expired call %d: %v", calls, err)
		}
		if next != "" && len(evs) != 50 {
			t.Errorf("Expired call %d returned %d events and a next position; want 50", calls, len(evs))
		}
		for _, ev := range evs {
			if ev.ArchiveID == "" || seen[ev.ArchiveID] {
				t.Errorf("%s: ArchiveID %q empty or listed twice", ev.RequestID, ev.ArchiveID)
			}
			seen[ev.ArchiveID] = true
			if !ev.ReceivedAt.Before(purgeCutoff) || ev.SdkAppID != app {
				t.Errorf("%s of app %d received %s listed", ev.RequestID, ev.SdkAppID, ev.ReceivedAt)
			}
			got = append(got, ev.RequestID)
		}
		if next == "" {
			break
		}
		if calls == 20 {
			t.Fatal("Expired never came to an end")
		}
		after = next
	}
	if len(want) != 300 || !slices.Equal(got, want) {
		t.Errorf("Expired listed %d events, want the %d expired in archive order:\n got  %v\n want %v", len(got), len(want), got, want)
	}
	if pagesCut.Load() == 0 {
		t.Error("no Query page ended before the archive: the test never resumed from a LastEvaluatedKey")
	}

	// A position is only good for the app whose archive it is in; n must be positive.
	evs, next, err := s.Expired(t.Context(), app, purgeCutoff, "", 50)
	if err != nil || next == "" || len(evs) != 50 {
		t.Fatalf("Expired = %d, %q, %v", len(evs), next, err)
	}
	if _, _, err := s.Expired(t.Context(), app+1, purgeCutoff, next, 50); err == nil || !strings.Contains(err.Error(), "another app") {
		t.Errorf("Expired of app+1 after a position of app's archive: %v, want it refused", err)
	}
	for _, bad := range []string{"x", "e30", encodeArchiveID("ROOM#1#r", "EV#X#1")} {
		if _, _, err := s.Expired(t.Context(), app, purgeCutoff, bad, 50); err == nil {
			t.Errorf("Expired after %q: no error", bad)
		}
	}
	if _, _, err := s.Expired(t.Context(), app, purgeCutoff, "", 0); err == nil {
		t.Error("Expired(n=0): no error")
	}
}

// TestDeleteRefuses: ids are checked before anything is deleted; those of another app's archive
// are skipped (nothing of theirs deleted), repeats counted once.
func TestDeleteRefuses(t *testing.T) {
	s := open(t)
	const app = storetest.SeedSdkAppID
	for i := range 4 {
		mustSave(t, s, archiveOnly(app, "r#1", i, oldReceived, 10), callback.OutcomeIgnored)
		mustSave(t, s, archiveOnly(app*10, "r#1", i, oldReceived, 10), callback.OutcomeIgnored) // "ROOM#<app>0#…"
	}
	mine := ids(expiredIDs(t, s, app, purgeCutoff, 10))
	theirs := ids(expiredIDs(t, s, app*10, purgeCutoff, 10))
	if len(mine) != 4 || len(theirs) != 4 {
		t.Fatalf("%d and %d expired events, want 4 and 4", len(mine), len(theirs))
	}
	for _, bad := range []string{
		"not-an-id!",
		encodeArchiveID("ROOM#"+strconv.FormatInt(app, 10)+"#r#1", roomSK),                // the room item
		encodeArchiveID("ROOM#"+strconv.FormatInt(app, 10)+"#r#1", lockSK),                // its lock
		encodeArchiveID("ROOM#"+strconv.FormatInt(app, 10)+"#r#1", projectedPrefix+"EV#"), // a PROJECTED# item
		encodeArchiveID("GIFTS#"+strconv.FormatInt(app, 10)+"#r#1", "EV#X#1"),             // not a room's partition
		encodeArchiveID(schemaPK, schemaSK),
	} {
		n, err := s.Delete(t.Context(), app, append(slices.Clone(mine), bad))
		if err == nil || n != 0 {
			t.Errorf("Delete with %q = %d, %v; want an error and nothing deleted", bad, n, err)
		}
	}
	if n, err := s.Delete(t.Context(), app, theirs); err != nil || n != 0 {
		t.Errorf("Delete of another app's ids = %d, %v; want 0, nil", n, err)
	}
	if left := expiredIDs(t, s, app, purgeCutoff, 10); len(left) != 4 {
		t.Errorf("%d of app's events left after the refused deletes, want 4", len(left))
	}
	if left := expiredIDs(t, s, app*10, purgeCutoff, 10); len(left) != 4 {
		t.Errorf("%d of the other app's events left, want 4", len(left))
	}
	if n, err := s.Delete(t.Context(), app, append(slices.Clone(mine), mine...)); err != nil || n != 4 {
		t.Errorf("Delete of each id twice = %d, %v; want 4", n, err)
	}
	if left := expiredIDs(t, s, app, purgeCutoff, 10); len(left) != 0 {
		t.Errorf("%d events left after Delete, want none", len(left))
	}
	if room := getItem(t, s.table, roomPK(app, "r#1"), roomSK); room != nil {
		t.Errorf("a room item appeared: %v", room)
	}
}

// TestDeleteThrottled: a delete DynamoDB throttles (after the SDK's own retries) is made again
// after a wait until it goes through; one throttled until the context ends fails the call with
// the context's error, and another error at once.
func TestDeleteThrottled(t *testing.T) {
	s := open(t)
	const app = storetest.SeedSdkAppID
	for i := range 30 {
		mustSave(t, s, archiveOnly(app, fmt.Sprintf("room-%d", i%4), i, oldReceived, 10), callback.OutcomeIgnored)
	}
	all := ids(expiredIDs(t, s, app, purgeCutoff, 100))
	if len(all) != 30 {
		t.Fatalf("%d expired events, want 30", len(all))
	}
	deleteItem := s.client.deleteItem
	var mu sync.Mutex
	tries := map[string]int{}
	var calls atomic.Int64
	s.client.deleteItem = func(ctx context.Context, in *ddb.DeleteItemInput, o ...func(*ddb.Options)) (*ddb.DeleteItemOutput, error) {
		calls.Add(1)
		k := itemKey(in.Key)
		mu.Lock()
		tries[k]++
		n := tries[k]
		mu.Unlock()
		switch {
		case n == 1:
			return nil, &types.ProvisionedThroughputExceededException{Message: aws.String("throttled")}
		case n == 2:
			return nil, &types.ThrottlingException{Message: aws.String("throttled")}
		}
		return deleteItem(ctx, in, o...)
	}
	if n, err := s.Delete(t.Context(), app, all[:20]); err != nil || n != 20 {
		t.Errorf("Delete with each item throttled twice = %d, %v; want 20", n, err)
	}
	if c := calls.Load(); c != 60 {
		t.Errorf("%d DeleteItem calls, want 60 (three for each item)", c)
	}

	s.client.deleteItem = func(context.Context, *ddb.DeleteItemInput, ...func(*ddb.Options)) (*ddb.DeleteItemOutput, error) {
		return nil, &types.RequestLimitExceeded{Message: aws.String("account limit")}
	}
	ctx, cancel := context.WithTimeout(t.Context(), 300*time.Millisecond)
	defer cancel()
	start := time.Now()
	n, err := s.Delete(ctx, app, all[20:])
	if n != 0 || !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("Delete throttled until its deadline = %d, %v; want 0 and the deadline", n, err)
	}
	if d := time.Since(start); d > 2*time.Second {
		t.Errorf("Delete took %s past its 300 ms deadline", d)
	}

	calls.Store(0)
	s.client.deleteItem = func(context.Context, *ddb.DeleteItemInput, ...func(*ddb.Options)) (*ddb.DeleteItemOutput, error) {
		calls.Add(1)
		return nil, errors.New("connection reset")
	}
	if n, err := s.Delete(t.Context(), app, all[20:21]); n != 0 || err == nil || !strings.Contains(err.Error(), "connection reset") {
		t.Errorf("Delete failing = %d, %v; want 0 and the error", n, err)
	}
	if c := calls.Load(); c != 1 {
		t.Errorf("%d DeleteItem calls for an error that is not throttling, want 1", c)
	}

	s.client.deleteItem = deleteItem
	if left := ids(expiredIDs(t, s, app, purgeCutoff, 100)); !slices.Equal(left, all[20:]) {
		t.Errorf("left %d events, want the 10 not deleted", len(left))
	}
}

// archiveKeys returns the archive of app as a sorted list of what makes an event itself
// (command, room, EventTime, body digest), one line per archive item.
func archiveKeys(t *testing.T, s *Store, app int64) []string {
	t.Helper()
	evs, err := s.Events(t.Context(), app)
	if err != nil {
		t.Fatal(err)
	}
	out := make([]string, len(evs))
	for i, ev := range evs {
		out[i] = fmt.Sprintf("%s %q %d %s", ev.Command, ev.RoomID, ev.EventTime, ev.Digest())
	}
	slices.Sort(out)
	return out
}

// TestDeleteBesideSaves: deleting old archive items, 25 a call, while 8 goroutines save a story
// of every kind of event into the same rooms (the same partitions: archive items, room items,
// locks) loses nothing: every old item is deleted and counted once, and the archive and rows
// are those of a new store that saved the same deliveries without a purge.
func TestDeleteBesideSaves(t *testing.T) {
	s := open(t)
	fresh := open(t)
	const app = storetest.SeedSdkAppID
	rooms, deliveries := storetest.Lifecycle(7, app)
	for i := range 200 {
		mustSave(t, s, archiveOnly(app, rooms[i%len(rooms)], i, oldReceived.Add(time.Duration(i)*time.Millisecond), 100),
			callback.OutcomeIgnored)
	}
	old := ids(expiredIDs(t, s, app, purgeCutoff, 500))
	if len(old) != 200 {
		t.Fatalf("%d expired events, want 200", len(old))
	}
	for _, ev := range deliveries {
		if !ev.ReceivedAt.After(purgeCutoff) {
			t.Fatalf("delivery %s received %s, not after the cutoff", ev.Command, ev.ReceivedAt)
		}
		if _, err := fresh.Save(t.Context(), ev); err != nil {
			t.Fatalf("Save to the new store: %v", err)
		}
	}

	next := make(chan *callback.Event)
	var wg sync.WaitGroup
	for range 8 {
		wg.Go(func() {
			for ev := range next {
				if _, err := s.Save(t.Context(), ev); err != nil {
					t.Errorf("Save(%s %q @%d) beside the deletes: %v", ev.Command, ev.RoomID, ev.EventTime, err)
				}
			}
		})
	}
	deleted := 0
	var derr error
	done := make(chan struct{})
	go func() {
		defer close(done)
		for chunk := range slices.Chunk(old, 25) {
			n, err := s.Delete(t.Context(), app, chunk)
			deleted += n
			if err != nil {
				derr = err
				return
			}
		}
	}()
	for _, ev := range deliveries {
		next <- ev
	}
	close(next)
	wg.Wait()
	<-done
	if derr != nil || deleted != 200 {
		t.Fatalf("Delete beside the saves = %d, %v; want 200", deleted, derr)
	}
	if left := expiredIDs(t, s, app, purgeCutoff, 500); len(left) != 0 {
		t.Errorf("%d old events left", len(left))
	}
	if got, want := archiveKeys(t, s, app), archiveKeys(t, fresh, app); !slices.Equal(got, want) {
		t.Errorf("the archive after the deletes beside the saves differs from a new store's that saved the same deliveries:\n got  %v\n want %v",
			got, want)
	}
	for _, room := range rooms {
		for _, tb := range callback.Tables {
			if got, want := rowsOf(t, s, tb, app, room), rowsOf(t, fresh, tb, app, room); !slices.Equal(got, want) {
				t.Errorf("%s of room %q:\n got  %v\n want (a new store that saved the same deliveries) %v", tb.Name, room, got, want)
			}
		}
	}
}

// archiveItems returns every archive item of table.
func archiveItems(t *testing.T, table string) []map[string]types.AttributeValue {
	t.Helper()
	var out []map[string]types.AttributeValue
	for _, item := range scanAll(t, table) {
		if strings.HasPrefix(str(item, attrPK), roomPrefix) && isArchiveSK(str(item, attrSK)) {
			out = append(out, item)
		}
	}
	return out
}

// TestArchiveExpiry: with a retention, the archive item of every event of a command
// callback.AlwaysExpires names carries expires_at, received_at plus the retention in Unix
// seconds rounded up, and no other item does (other archive items, rows, ledger, directory);
// without one, none does. The story holds every kind of event, and one roomhook does not
// project, with and without EventTime.
func TestArchiveExpiry(t *testing.T) {
	const app = storetest.SeedSdkAppID
	const retention = 72*time.Hour + 500*time.Millisecond // the half second shows the rounding
	for _, r := range []time.Duration{retention, 0} {
		t.Run(fmt.Sprint("retention ", r), func(t *testing.T) {
			s := openWith(t, Options{ArchiveRetention: r})
			_, deliveries := storetest.Lifecycle(3, app)
			unknown := archiveOnly(app, "room-x", 1, oldReceived, 10)
			noTime := archiveOnly(app, "room-x", 2, oldReceived.Add(time.Millisecond), 10)
			noTime.EventTime = 0
			for _, ev := range append(deliveries, unknown, noTime) {
				if _, err := s.Save(t.Context(), ev); err != nil {
					t.Fatalf("Save(%s): %v", ev.Command, err)
				}
			}
			with, without := map[string]int{}, map[string]int{}
			for _, item := range archiveItems(t, s.table) {
				command := str(item, attrCommand)
				received, err := strconv.ParseInt(item[attrReceivedAt].(*types.AttributeValueMemberN).Value, 10, 64)
				if err != nil {
					t.Fatal(err)
				}
				got, has := item[TimeToLiveAttribute].(*types.AttributeValueMemberN)
				if !has {
					without[command]++
					if _, other := item[TimeToLiveAttribute]; other {
						t.Errorf("%s: %s is not a number: %v", itemKey(item), TimeToLiveAttribute, item[TimeToLiveAttribute])
					}
					if r > 0 && callback.AlwaysExpires(command) {
						t.Errorf("%s (%s): no %s; the command always expires", itemKey(item), command, TimeToLiveAttribute)
					}
					continue
				}
				with[command]++
				if r == 0 || !callback.AlwaysExpires(command) {
					t.Errorf("%s (%s): %s = %s; want none", itemKey(item), command, TimeToLiveAttribute, got.Value)
					continue
				}
				ms := received + r.Milliseconds()
				want := strconv.FormatInt((ms+999)/1000, 10)
				if got.Value != want {
					t.Errorf("%s (%s): %s = %s; want %s (received_at %d ms plus %s, in seconds rounded up)",
						itemKey(item), command, TimeToLiveAttribute, got.Value, want, received, r)
				}
				if ms%1000 == 0 {
					t.Errorf("%s: received_at plus the retention is a whole second; the rounding is not tested", itemKey(item))
				}
			}
			t.Logf("archive items with %s: %v; without: %v", TimeToLiveAttribute, with, without)
			if r > 0 {
				for _, c := range []string{callback.CommandSeatChanged, callback.CommandLiveGift, purgeCommand} {
					if with[c] == 0 {
						t.Errorf("no archive item of %s carries %s", c, TimeToLiveAttribute)
					}
				}
			}
			for _, c := range []string{callback.CommandCreateRoom, callback.CommandMemberEnter, purgeCommand} {
				if with[c]+without[c] == 0 {
					t.Errorf("the story archived no %s: the test sees too little", c)
				}
			}
			if without[callback.CommandCreateRoom] == 0 || without[callback.CommandMemberEnter] == 0 {
				t.Errorf("no create or member enter without %s: %v", TimeToLiveAttribute, without)
			}
			for _, item := range scanAll(t, s.table) {
				if _, has := item[TimeToLiveAttribute]; has && !(strings.HasPrefix(str(item, attrPK), roomPrefix) && isArchiveSK(str(item, attrSK))) {
					t.Errorf("%s, not an archive item, carries %s", itemKey(item), TimeToLiveAttribute)
				}
			}
		})
	}
}
