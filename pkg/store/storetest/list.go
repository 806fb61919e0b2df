package storetest

import (
	"cmp"
	"fmt"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/roomhook/roomhook/pkg/callback"
)

// The Lister half of the suite: an app's rooms, gift ledger and archive listed across rooms,
// newest first, each selection (room, since, commands, limit) against what Reader returns room by
// room and the archive in order. The operators' query command reads every backend through these.

var listTests = []struct {
	name string
	run  func(t *testing.T, s Backend)
}{
	{"list: an app's rooms are its rooms rows", testListRooms},
	{"list: the archive newest first, by room, time, command and limit", testListArchive},
	{"list: the gift ledger newest first, by room, time and limit", testListGifts},
	{"list: after a generated lifecycle, everything the store holds", testListLifecycle},
}

const otherApp int64 = 1400999999

func testListRooms(t *testing.T, s Backend) {
	seed := SeedEvent()
	mustSave(t, s, seed, callback.OutcomeStored)
	mustSave(t, s, minimalEvent(SeedSdkAppID, "r2", t0), callback.OutcomeStored)
	mustSave(t, s, minimalEvent(SeedSdkAppID, "房间 3", t0), callback.OutcomeStored)
	mustSave(t, s, eventOf(SeedSdkAppID, callback.CommandDestroyRoom, destroyBody("房间 3", ptr("op"), t0+5)), callback.OutcomeStored)
	// Member events make no rooms row: the room is not listed.
	mustSave(t, s, eventOf(SeedSdkAppID, callback.CommandMemberEnter,
		membersBody(callback.CommandMemberEnter, "members-only", ptr[int64](1), nil, nil, []string{"alice"}, t0)), callback.OutcomeStored)
	mustSave(t, s, minimalEvent(otherApp, "r2", t0), callback.OutcomeStored)

	var want []callback.Row
	for _, room := range []string{seed.RoomID, "r2", "房间 3", "members-only"} {
		rows, err := s.Rows(t.Context(), callback.RoomsTable, SeedSdkAppID, room)
		if err != nil {
			t.Fatalf("Rows(rooms, %q): %v", room, err)
		}
		want = append(want, rows...)
	}
	if len(want) != 3 {
		t.Fatalf("Rows gave %d rooms rows, want 3", len(want))
	}
	checkRowSet(t, "AppRooms", s, SeedSdkAppID, want)
	other, err := s.AppRooms(t.Context(), otherApp)
	if err != nil || len(other) != 1 || other[0][1] != "r2" {
		t.Errorf("AppRooms(other app) = %v, %v; want its one room r2", other, err)
	}
	if none, err := s.AppRooms(t.Context(), 1400000001); err != nil || len(none) != 0 {
		t.Errorf("AppRooms(app with no rooms) = %v, %v; want none, no error", none, err)
	}
}

// checkRowSet compares AppRooms with want, in any order.
func checkRowSet(t *testing.T, what string, s Backend, app int64, want []callback.Row) {
	t.Helper()
	got, err := s.AppRooms(t.Context(), app)
	if err != nil {
		t.Fatalf("%s: %v", what, err)
	}
	key := func(r callback.Row) string { return fmt.Sprintf("%#v", r) }
	sortRows := func(rows []callback.Row) []string {
		out := make([]string, len(rows))
		for i, r := range rows {
			out[i] = key(r)
		}
		slices.Sort(out)
		return out
	}
	if d := diff(sortRows(got), sortRows(want)); d != nil {
		t.Errorf("%s differs from the rows read room by room:\n%s", what, strings.Join(d, "\n"))
	}
}

// listFixture archives a mixed story of two apps, one event a second, and returns the app's
// archive as Reader.Events reads it.
func listFixture(t *testing.T, s Backend) []callback.Event {
	t.Helper()
	rng := rand.New(rand.NewPCG(7, 7))
	at := receivedAt
	save := func(ev *callback.Event) {
		t.Helper()
		at = at.Add(time.Second)
		ev.ReceivedAt = at
		ev.RequestID = fmt.Sprintf("req-list-%d", at.Unix())
		if _, err := s.Save(t.Context(), ev); err != nil {
			t.Fatalf("Save(%s %q): %v", ev.Command, ev.RoomID, err)
		}
	}
	save(SeedEvent())
	save(minimalEvent(SeedSdkAppID, "r2", t0))
	save(minimalEvent(otherApp, "r2", t0))
	save(eventOf(SeedSdkAppID, callback.CommandMemberEnter,
		membersBody(callback.CommandMemberEnter, "r2", ptr[int64](2), nil, nil, []string{"alice", "bob"}, t0+1)))
	save(unknownEvent(SeedSdkAppID, "r2", t0+2))
	save(unknownEvent(SeedSdkAppID, "", 0))
	save(eventOf(SeedSdkAppID, callback.CommandLiveGift, giftBody(rng, "r2")))
	save(battleEvent(rng, SeedSdkAppID, "r2", "r3", "battle-1", t0+3))
	save(eventOf(SeedSdkAppID, callback.CommandMemberLeave,
		membersBody(callback.CommandMemberLeave, "r2", ptr[int64](1), ptr("Leave"), nil, []string{"bob"}, t0+4)))
	save(eventOf(otherApp, callback.CommandLiveGift, giftBody(rng, "r2")))
	save(eventOf(SeedSdkAppID, callback.CommandDestroyRoom, destroyBody("r2", nil, t0+5)))
	save(eventOf(SeedSdkAppID, callback.CommandLiveGift, giftBody(rng, "tandy-test-rest")))
	save(eventOf(SeedSdkAppID, callback.CommandLiveGift, giftBody(rng, "r2")))
	evs, err := s.Events(t.Context(), SeedSdkAppID)
	if err != nil {
		t.Fatalf("Events: %v", err)
	}
	if len(evs) != 11 {
		t.Fatalf("Events = %d events, want 11", len(evs))
	}
	return evs
}

func testListArchive(t *testing.T, s Backend) {
	evs := listFixture(t, s)
	mid := evs[5].ReceivedAt
	cases := []callback.ListQuery{
		{},
		{Room: ptr("r2")},
		{Room: ptr("")},
		{Room: ptr("no-such-room")},
		{Since: mid},
		{Since: mid.Add(-time.Microsecond)}, // the millisecond counts, not the microsecond
		{Commands: []string{callback.CommandMemberEnter, callback.CommandMemberLeave}},
		{Commands: []string{unknownCommand}, Room: ptr("r2")},
		{Limit: 3},
		{Limit: 100},
		{Room: ptr("r2"), Since: mid, Limit: 2},
		{Room: ptr("r2"), Commands: []string{callback.CommandLiveGift}, Limit: 1},
	}
	for _, q := range cases {
		q.SdkAppID = SeedSdkAppID
		var want []callback.Event
		for i := len(evs) - 1; i >= 0; i-- {
			if q.Match(evs[i].RoomID, evs[i].Command, evs[i].ReceivedAt) && (q.Limit == 0 || len(want) < q.Limit) {
				want = append(want, evs[i])
			}
		}
		got, err := s.Archive(t.Context(), q)
		if err != nil {
			t.Fatalf("Archive(%s): %v", describe(q), err)
		}
		if d := diff(got, want); d != nil {
			t.Errorf("Archive(%s) differs from Events, filtered and reversed:\n%s", describe(q), strings.Join(d, "\n"))
		}
	}
	if got, err := s.Archive(t.Context(), callback.ListQuery{SdkAppID: 1400000001}); err != nil || len(got) != 0 {
		t.Errorf("Archive(app with no events) = %d events, %v; want none, no error", len(got), err)
	}
}

func testListGifts(t *testing.T, s Backend) {
	evs := listFixture(t, s)
	var all []callback.Row
	for _, room := range []string{"r2", "tandy-test-rest"} {
		rows, err := s.Rows(t.Context(), callback.GiftsTable, SeedSdkAppID, room)
		if err != nil {
			t.Fatalf("Rows(gifts, %q): %v", room, err)
		}
		all = append(all, rows...)
	}
	if len(all) != 3 {
		t.Fatalf("Rows gave %d gifts, want 3", len(all))
	}
	sortNewestFirst(all)
	received := callback.GiftsTable.Index("received_at")
	cases := []callback.ListQuery{
		{},
		{Room: ptr("r2")},
		{Room: ptr("nowhere")},
		{Since: time.UnixMilli(all[1][received].(int64))},
		{Limit: 2},
		{Room: ptr("r2"), Limit: 1},
		{Since: evs[len(evs)-1].ReceivedAt.Add(time.Hour)},
	}
	for _, q := range cases {
		q.SdkAppID = SeedSdkAppID
		var want []callback.Row
		for _, r := range all {
			if q.Match(r[1].(string), "", time.UnixMilli(r[received].(int64))) && (q.Limit == 0 || len(want) < q.Limit) {
				want = append(want, r)
			}
		}
		got, err := s.Gifts(t.Context(), q)
		if err != nil {
			t.Fatalf("Gifts(%s): %v", describe(q), err)
		}
		if d := diff(got, want); d != nil {
			t.Errorf("Gifts(%s) differs from the ledger read room by room:\n%s", describe(q), strings.Join(d, "\n"))
		}
	}
	other, err := s.Gifts(t.Context(), callback.ListQuery{SdkAppID: otherApp})
	if err != nil || len(other) != 1 {
		t.Errorf("Gifts(other app) = %d rows, %v; want 1", len(other), err)
	}
}

// sortNewestFirst orders ledger rows as Gifts returns them.
func sortNewestFirst(rows []callback.Row) {
	received, delivery := callback.GiftsTable.Index("received_at"), callback.GiftsTable.Index("delivery_id")
	slices.SortFunc(rows, func(a, b callback.Row) int {
		if c := cmp.Compare(b[received].(int64), a[received].(int64)); c != 0 {
			return c
		}
		return strings.Compare(b[delivery].(string), a[delivery].(string))
	})
}

// testListLifecycle delivers a generated timeline of Room and Live rooms in a random order with
// repeats and checks that the lists hold what the store holds: every room's rows, every gift,
// the whole archive.
func testListLifecycle(t *testing.T, s Backend) {
	if testing.Short() {
		// The race detector's run: the list tests above exercise every read; this one, a whole
		// lifecycle, runs in the full suite.
		t.Skip("a whole lifecycle: skipped with -short")
	}
	tl := genTimeline(2)
	deliveries := shuffledWithRepeats(rand.New(rand.NewPCG(2, 2)), tl.events)
	deliver(t, s, deliveries, 1)

	var rooms, gifts []callback.Row
	for _, room := range tl.rooms {
		rr, err := s.Rows(t.Context(), callback.RoomsTable, tl.app, room)
		if err != nil {
			t.Fatalf("Rows(rooms, %q): %v", room, err)
		}
		rooms = append(rooms, rr...)
		gr, err := s.Rows(t.Context(), callback.GiftsTable, tl.app, room)
		if err != nil {
			t.Fatalf("Rows(gifts, %q): %v", room, err)
		}
		gifts = append(gifts, gr...)
	}
	if len(rooms) == 0 || len(gifts) == 0 {
		t.Fatalf("the timeline left %d rooms and %d gifts; want some of each", len(rooms), len(gifts))
	}
	checkRowSet(t, "AppRooms after a lifecycle", s, tl.app, rooms)

	sortNewestFirst(gifts)
	got, err := s.Gifts(t.Context(), callback.ListQuery{SdkAppID: tl.app})
	if err != nil {
		t.Fatalf("Gifts: %v", err)
	}
	if d := diff(got, gifts); d != nil {
		t.Errorf("Gifts after a lifecycle differs from the ledger read room by room:\n%s", strings.Join(d, "\n"))
	}

	evs, err := s.Events(t.Context(), tl.app)
	if err != nil {
		t.Fatalf("Events: %v", err)
	}
	slices.Reverse(evs)
	archive, err := s.Archive(t.Context(), callback.ListQuery{SdkAppID: tl.app})
	if err != nil {
		t.Fatalf("Archive: %v", err)
	}
	if d := diff(archive, evs); d != nil {
		t.Errorf("Archive after a lifecycle differs from Events reversed:\n%s", strings.Join(d, "\n"))
	}
}

// describe writes q for a failure message.
func describe(q callback.ListQuery) string {
	var parts []string
	if q.Room != nil {
		parts = append(parts, fmt.Sprintf("room %q", *q.Room))
	}
	if !q.Since.IsZero() {
		parts = append(parts, "since "+q.Since.UTC().Format(time.RFC3339Nano))
	}
	if len(q.Commands) > 0 {
		parts = append(parts, "commands "+strings.Join(q.Commands, ","))
	}
	if q.Limit > 0 {
		parts = append(parts, fmt.Sprintf("limit %d", q.Limit))
	}
	if len(parts) == 0 {
		return "the app"
	}
	return strings.Join(parts, ", ")
}

// Lifecycle returns seed's generated story of several Room and Live rooms (the lifecycle
// property's timeline: creates, updates, destroys, members, seats, owners, admins, metadata,
// battles, gifts), moved to app and delivered in a random order with repeats, each delivery
// with its own request id and ReceivedAt (a millisecond apart). Tools' tests save it to get a
// store that holds every kind of row.
func Lifecycle(seed uint64, app int64) (rooms []string, deliveries []*callback.Event) {
	tl := genTimeline(seed)
	for _, ev := range shuffledWithRepeats(rand.New(rand.NewPCG(seed, 0x11fe)), tl.events) {
		ev.SdkAppID = app // a copy: shuffledWithRepeats copies every delivery
		deliveries = append(deliveries, ev)
	}
	return slices.Clone(tl.rooms), deliveries
}
