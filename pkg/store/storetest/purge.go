package storetest

import (
	"fmt"
	"math/rand/v2"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/roomhook/roomhook/pkg/callback"
)

// The Purger half of the suite: the archive retention. A store lists the archive rows older
// than a cutoff in archive order, reads a room's archive outside a save, and deletes rows by
// their ArchiveID, never the projection; callback.PurgeArchive on top of it keeps every row a
// fold still reads, so that events delivered after a purge leave exactly the rows the whole
// archive would (the lifecycle property, split at the cutoff), also while a purge runs beside
// them.

var purgeTests = []struct {
	name string
	run  func(t *testing.T, s Backend)
}{
	{"purge: the archive older than a cutoff, page by page in archive order", testExpired},
	{"purge: delete removes the rows named and nothing else", testDelete},
	{"purge: a room's archive read outside a save", testRoomArchived},
	{"purge: a room's count and life outlive their purged events", testPurgeStory},
	{"purge: a room destroyed and created again, its destroy purged", testPurgeRecreated},
	{"purge: a purge keeps every row the fold reads", testPurgeKeepsTheFold},
	{"purge: a purge beside a load of callbacks", testPurgeBesideLoad},
}

// withoutIDs returns evs with their ArchiveIDs cleared, checking that each had one of its own.
func withoutIDs(t *testing.T, evs []callback.Event) []callback.Event {
	t.Helper()
	seen := map[string]bool{}
	out := slices.Clone(evs)
	for i := range out {
		if out[i].ArchiveID == "" || seen[out[i].ArchiveID] {
			t.Errorf("event %d (%s): ArchiveID %q empty or given twice", i, out[i].Command, out[i].ArchiveID)
		}
		seen[out[i].ArchiveID] = true
		out[i].ArchiveID = ""
	}
	return out
}

// expiredAll pages through Expired n at a time.
func expiredAll(t *testing.T, s Backend, app int64, cutoff time.Time, n int) []callback.Event {
	t.Helper()
	var all []callback.Event
	after := ""
	for range 1000 {
		evs, next, err := s.Expired(t.Context(), app, cutoff, after, n)
		if err != nil {
			t.Fatalf("Expired(after %q, %d): %v", after, n, err)
		}
		if len(evs) > n {
			t.Fatalf("Expired(after %q, %d) returned %d events", after, n, len(evs))
		}
		all = append(all, evs...)
		if next == "" {
			return all
		}
		after = next
	}
	t.Fatal("Expired never came to an end")
	return nil
}

func testExpired(t *testing.T, s Backend) {
	evs := listFixture(t, s)
	cutoff := evs[6].ReceivedAt // received_at < cutoff: the first six
	for _, n := range []int{1, 2, 4, 6, 100} {
		got := withoutIDs(t, expiredAll(t, s, SeedSdkAppID, cutoff, n))
		if d := diff(got, evs[:6]); d != nil {
			t.Errorf("Expired n=%d differs from the archive's first six:\n%s", n, strings.Join(d, "\n"))
		}
	}
	// Sub-millisecond digits of the cutoff do not count: received_at is kept in milliseconds.
	if got := expiredAll(t, s, SeedSdkAppID, cutoff.Add(999*time.Microsecond), 100); len(got) != 6 {
		t.Errorf("Expired with the cutoff 0.999 ms later = %d events, want 6", len(got))
	}
	if got := expiredAll(t, s, SeedSdkAppID, evs[0].ReceivedAt, 10); len(got) != 0 {
		t.Errorf("Expired before the first event = %d events, want 0", len(got))
	}
	other, err := s.Events(t.Context(), otherApp)
	if err != nil {
		t.Fatal(err)
	}
	got := withoutIDs(t, expiredAll(t, s, otherApp, evs[len(evs)-1].ReceivedAt.Add(time.Hour), 1))
	if d := diff(got, other); d != nil {
		t.Errorf("Expired of the other app differs from its archive:\n%s", strings.Join(d, "\n"))
	}
}

// projection reads every row of the rooms listFixture touches.
func projection(t *testing.T, s Backend) string {
	t.Helper()
	var b strings.Builder
	for _, app := range []int64{SeedSdkAppID, otherApp} {
		for _, room := range []string{"tandy-test-rest", "r2", "r3"} {
			for _, tb := range callback.Tables {
				rows, err := s.Rows(t.Context(), tb, app, room)
				if err != nil {
					t.Fatal(err)
				}
				lines := make([]string, len(rows))
				for i, r := range rows {
					lines[i] = fmt.Sprintf("%s %v", tb.Name, r)
				}
				slices.Sort(lines)
				b.WriteString(strings.Join(lines, "\n") + "\n")
			}
		}
	}
	return b.String()
}

func testDelete(t *testing.T, s Backend) {
	evs := listFixture(t, s)
	rows := projection(t, s)
	expired := expiredAll(t, s, SeedSdkAppID, evs[len(evs)-1].ReceivedAt.Add(time.Hour), 100)
	if len(expired) != len(evs) {
		t.Fatalf("Expired = %d events, want %d", len(expired), len(evs))
	}
	// Three of them: the create of r2, a member enter, the event without a room.
	var ids []string
	var gone []callback.Event
	for _, ev := range expired {
		if (ev.Command == callback.CommandCreateRoom && ev.RoomID == "r2") || ev.Command == callback.CommandMemberEnter || ev.RoomID == "" {
			ids = append(ids, ev.ArchiveID)
			ev.ArchiveID = ""
			gone = append(gone, ev)
		}
	}
	if len(ids) != 3 {
		t.Fatalf("picked %d events, want 3", len(ids))
	}
	otherBefore, err := s.Events(t.Context(), otherApp)
	if err != nil {
		t.Fatal(err)
	}
	otherIDs := expiredAll(t, s, otherApp, evs[len(evs)-1].ReceivedAt.Add(time.Hour), 100)
	var oids []string
	for _, ev := range otherIDs {
		oids = append(oids, ev.ArchiveID)
	}
	if n, err := s.Delete(t.Context(), SeedSdkAppID, oids); err != nil || n != 0 {
		t.Errorf("Delete of the other app's ids under this app = %d, %v; want 0, nil", n, err)
	}
	if n, err := s.Delete(t.Context(), SeedSdkAppID, nil); err != nil || n != 0 {
		t.Errorf("Delete(nothing) = %d, %v", n, err)
	}

	if n, err := s.Delete(t.Context(), SeedSdkAppID, ids); err != nil || n != 3 {
		t.Fatalf("Delete = %d, %v; want 3", n, err)
	}
	if n, err := s.Delete(t.Context(), SeedSdkAppID, ids); err != nil || n != 0 {
		t.Errorf("Delete again = %d, %v; want 0 (already gone)", n, err)
	}
	left, err := s.Events(t.Context(), SeedSdkAppID)
	if err != nil {
		t.Fatal(err)
	}
	want := slices.DeleteFunc(slices.Clone(evs), func(ev callback.Event) bool {
		return slices.ContainsFunc(gone, func(g callback.Event) bool { return diff(g, ev) == nil })
	})
	if d := diff(left, want); d != nil {
		t.Errorf("the archive after Delete differs from the archive less the three:\n%s", strings.Join(d, "\n"))
	}
	if after := projection(t, s); after != rows {
		t.Errorf("Delete changed the projection:\n%s\nwas\n%s", after, rows)
	}
	if other, err := s.Events(t.Context(), otherApp); err != nil || diff(other, otherBefore) != nil {
		t.Errorf("Delete changed the other app's archive (%v)", err)
	}

	// A re-delivery of a deleted event is archived again: its key went with it.
	for _, g := range gone {
		if g.EventTime == 0 {
			continue
		}
		ev := g
		p, err := callback.ParsePayload(ev.Command, ev.Raw)
		if err != nil {
			t.Fatal(err)
		}
		ev.Payload = p
		if o, err := s.Save(t.Context(), &ev); err != nil || o == callback.OutcomeDuplicate {
			t.Errorf("re-delivery of deleted %s = %v, %v; want it archived again", ev.Command, o, err)
		}
	}
	if after := projection(t, s); after != rows {
		t.Errorf("re-delivering the deleted events changed the projection:\n%s\nwas\n%s", after, rows)
	}
}

func testRoomArchived(t *testing.T, s Backend) {
	evs := listFixture(t, s)
	for _, q := range []callback.ArchiveQuery{
		{Commands: []string{callback.CommandMemberEnter, callback.CommandMemberLeave}},
		{Commands: []string{callback.CommandMemberEnter, callback.CommandMemberLeave}, Newest: true},
		{Commands: []string{callback.CommandCreateRoom, callback.CommandDestroyRoom}, From: t0 + 1},
		{Commands: []string{callback.CommandCreateRoom, callback.CommandDestroyRoom}, To: t0},
		{Commands: []string{unknownCommand}},
	} {
		var want []string
		newest := int64(0)
		for _, ev := range evs {
			if ev.RoomID == "r2" && ev.EventTime != 0 && slices.Contains(q.Commands, ev.Command) &&
				(q.From == 0 || ev.EventTime >= q.From) && (q.To == 0 || ev.EventTime <= q.To) {
				newest = max(newest, ev.EventTime)
			}
		}
		for _, ev := range evs {
			if ev.RoomID == "r2" && ev.EventTime != 0 && slices.Contains(q.Commands, ev.Command) &&
				(q.From == 0 || ev.EventTime >= q.From) && (q.To == 0 || ev.EventTime <= q.To) &&
				(!q.Newest || ev.EventTime == newest) {
				want = append(want, fmt.Sprintf("%s %d %s %s", ev.Command, ev.EventTime, ev.Digest(), ev.Raw))
			}
		}
		got, err := s.RoomArchived(t.Context(), SeedSdkAppID, "r2", q)
		if err != nil {
			t.Fatalf("RoomArchived(%+v): %v", q, err)
		}
		var lines []string
		for _, a := range got {
			lines = append(lines, fmt.Sprintf("%s %d %s %s", a.Command, a.EventTime, a.Digest, a.Raw))
		}
		slices.Sort(lines)
		slices.Sort(want)
		if d := diff(lines, want); d != nil || len(want) == 0 {
			t.Errorf("RoomArchived(%+v) differs from the archive (want %d):\n%s", q, len(want), strings.Join(d, "\n"))
		}
	}
}

// testPurgeStory: a room whose member events are all older than the cutoff keeps its count,
// and its create's fields, through a purge and a later update (the fold reads both back).
func testPurgeStory(t *testing.T, s Backend) {
	const room = "story"
	old := time.UnixMilli(t0 - 100000)
	save := func(ev *callback.Event, at time.Time) {
		t.Helper()
		ev.ReceivedAt = at
		if _, err := s.Save(t.Context(), ev); err != nil {
			t.Fatalf("Save(%s): %v", ev.Command, err)
		}
	}
	save(eventOf(SeedSdkAppID, callback.CommandCreateRoom, createBody(&callback.RoomCreated{
		CallbackCommand: callback.CommandCreateRoom, EventTime: t0,
		RoomInfo: callback.RoomInfo{RoomID: room, OwnerAccount: ptr("user3")},
	})), old)
	save(eventOf(SeedSdkAppID, callback.CommandMemberEnter,
		membersBody(callback.CommandMemberEnter, room, ptr[int64](2), nil, nil, []string{"alice", "bob"}, t0+1)), old.Add(time.Millisecond))
	save(eventOf(SeedSdkAppID, callback.CommandMemberLeave,
		membersBody(callback.CommandMemberLeave, room, ptr[int64](1), ptr("Leave"), nil, []string{"bob"}, t0+2)), old.Add(2*time.Millisecond))
	save(updateEvent(SeedSdkAppID, room, t0+3, callback.RoomInfo{RoomID: room, RoomName: ptr("renamed")}), old.Add(3*time.Millisecond))

	st, err := callback.PurgeArchive(t.Context(), s, SeedSdkAppID, time.UnixMilli(t0), callback.PurgeOptions{})
	if err != nil || st.Examined != 4 || st.Deleted != 1 {
		t.Fatalf("PurgeArchive = %+v, %v; want 4 examined, the member enter deleted", st, err)
	}
	save(updateEvent(SeedSdkAppID, room, t0+50, callback.RoomInfo{RoomID: room, CustomInfo: ptr("later")}), time.UnixMilli(t0+60))
	got, err := callback.ReadRoom(t.Context(), s, SeedSdkAppID, room)
	if err != nil {
		t.Fatal(err)
	}
	if got.MemberCount == nil || *got.MemberCount != 1 || got.MemberCountAt == nil || *got.MemberCountAt != t0+2 {
		t.Errorf("member_count = %v at %v, want 1 at %d (the purged archive's newest member event)", got.MemberCount, got.MemberCountAt, t0+2)
	}
	if got.Info.RoomName == nil || *got.Info.RoomName != "renamed" || got.Info.OwnerAccount == nil || *got.Info.OwnerAccount != "user3" ||
		got.Info.CustomInfo == nil || *got.Info.CustomInfo != "later" {
		t.Errorf("room after the purge and an update = name %v, owner %v, custom %v; want renamed, user3 (the create's), later",
			got.Info.RoomName, got.Info.OwnerAccount, got.Info.CustomInfo)
	}
}

// testPurgeRecreated: a destroy that ended a member, then a new life; the purge deletes the
// destroy (it is older than the newest create), and later events of that member and the room
// leave the rows the whole archive gives (the reference: a Memory store that saved everything
// and purged nothing).
func testPurgeRecreated(t *testing.T, s Backend) {
	const room = "again"
	ref := NewMemory()
	old := time.UnixMilli(t0 - 100000)
	save := func(ev *callback.Event, at time.Time) {
		t.Helper()
		ev.ReceivedAt = at
		for _, st := range []Backend{s, ref} {
			if _, err := st.Save(t.Context(), ev); err != nil {
				t.Fatalf("Save(%s): %v", ev.Command, err)
			}
		}
	}
	create := func(t int64) *callback.Event {
		return eventOf(SeedSdkAppID, callback.CommandCreateRoom, createBody(&callback.RoomCreated{
			CallbackCommand: callback.CommandCreateRoom, EventTime: t,
			RoomInfo: callback.RoomInfo{RoomID: room, RoomName: ptr(fmt.Sprint("life ", t))},
		}))
	}
	member := func(command string, who string, count int64, typ *string, t int64) *callback.Event {
		return eventOf(SeedSdkAppID, command, membersBody(command, room, ptr(count), typ, nil, []string{who}, t))
	}
	save(create(t0), old)
	save(member(callback.CommandMemberEnter, "alice", 1, nil, t0+1), old.Add(time.Millisecond))
	save(member(callback.CommandMemberEnter, "bob", 2, nil, t0+2), old.Add(2*time.Millisecond))
	save(eventOf(SeedSdkAppID, callback.CommandDestroyRoom, destroyBody(room, ptr("op"), t0+3)), old.Add(3*time.Millisecond))
	save(create(t0+4), old.Add(4*time.Millisecond))

	st, err := callback.PurgeArchive(t.Context(), s, SeedSdkAppID, time.UnixMilli(t0), callback.PurgeOptions{})
	if err != nil || st.Examined != 5 || st.Deleted != 3 {
		t.Fatalf("PurgeArchive = %+v, %v; want the first create, alice's enter and the destroy deleted", st, err)
	}
	// New events: alice enters the new life, bob (ended by the purged destroy) leaves late
	// but within the retention, the room is updated and destroyed again.
	at := time.UnixMilli(t0 + 100)
	save(member(callback.CommandMemberEnter, "alice", 1, nil, t0+50), at)
	save(member(callback.CommandMemberLeave, "bob", 1, ptr("Kicked"), t0+60), at.Add(time.Millisecond))
	save(updateEvent(SeedSdkAppID, room, t0+70, callback.RoomInfo{RoomID: room, CustomInfo: ptr("later")}), at.Add(2*time.Millisecond))
	save(eventOf(SeedSdkAppID, callback.CommandDestroyRoom, destroyBody(room, nil, t0+80)), at.Add(3*time.Millisecond))

	read := func(b Backend) roomRows {
		return readAll(t, b, timeline{app: SeedSdkAppID, rooms: []string{room}})[room]
	}
	got, want := read(s), read(ref)
	for _, d := range diff(got, want) {
		t.Errorf("after the purge and the new events, the room differs from the whole archive's fold: %s", d)
	}
}

// purgeSplit is a generated timeline split at a cutoff: the events before it, delivered (in a
// random order, with repeats) before the purge and received long before it, and the rest,
// delivered after or beside it.
type purgeSplit struct {
	tl             timeline
	old, new       []*callback.Event // deliveries
	cutoff         time.Time         // received_at of every old delivery is before it, of every new one after
	cutoffEventMin int64             // the EventTime that splits the timeline
}

func splitAtCutoff(seed uint64) purgeSplit {
	tl := genTimeline(seed)
	const split = t0 + 8 // the timelines' EventTimes are t0 … t0+15
	rng := rand.New(rand.NewPCG(seed, 0x9e7))
	var before, after []*callback.Event
	for _, ev := range tl.events {
		// A gift has no EventTime: half of them come before the purge.
		if ev.EventTime != 0 && ev.EventTime < split || ev.EventTime == 0 && rng.IntN(2) == 0 {
			before = append(before, ev)
		} else {
			after = append(after, ev)
		}
	}
	sp := purgeSplit{tl: tl, cutoff: time.UnixMilli(t0 - 1000), cutoffEventMin: split}
	sp.old = shuffledWithRepeats(rng, before)
	for i, ev := range sp.old {
		ev.ReceivedAt = time.UnixMilli(t0 - 100000 + int64(i))
	}
	sp.new = shuffledWithRepeats(rng, after)
	for i, ev := range sp.new {
		ev.RequestID = fmt.Sprintf("req-new-%03d", i)
		ev.ReceivedAt = time.UnixMilli(t0 + int64(i))
	}
	return sp
}

func testPurgeKeepsTheFold(t *testing.T, s Backend) {
	sp := splitAtCutoff(lifecycleSeeds[1])
	want := fold(sp.tl.events)
	deliver(t, s, sp.old, 1)
	before := readAll(t, s, sp.tl)
	archived, err := s.Events(t.Context(), sp.tl.app)
	if err != nil {
		t.Fatal(err)
	}

	st, err := callback.PurgeArchive(t.Context(), s, sp.tl.app, sp.cutoff, callback.PurgeOptions{Batch: 7})
	if err != nil {
		t.Fatalf("PurgeArchive: %v", err)
	}
	if st.Examined != len(archived) || st.Deleted+st.Kept != st.Examined || st.Deleted == 0 || st.Kept == 0 {
		t.Errorf("PurgeArchive = %+v over %d archived events; want every one examined, some deleted, some kept", st, len(archived))
	}
	checkUnchanged(t, "the purge", readAll(t, s, sp.tl), before)
	left, err := s.Events(t.Context(), sp.tl.app)
	if err != nil {
		t.Fatal(err)
	}
	if len(left) != len(archived)-st.Deleted {
		t.Errorf("%d events left of %d, %d deleted", len(left), len(archived), st.Deleted)
	}
	for _, ev := range left {
		if callback.AlwaysExpires(ev.Command) || ev.EventTime == 0 {
			t.Errorf("%s @%d is still archived: it always expires", ev.Command, ev.EventTime)
		}
	}
	dry, err := callback.PurgeArchive(t.Context(), s, sp.tl.app, sp.cutoff, callback.PurgeOptions{DryRun: true})
	if err != nil || dry.Deleted != 0 || dry.Examined != len(left) {
		t.Errorf("a dry run after the purge = %+v, %v; want nothing to delete, %d examined", dry, err, len(left))
	}
	again, err := callback.PurgeArchive(t.Context(), s, sp.tl.app, sp.cutoff, callback.PurgeOptions{})
	if err != nil || again.Deleted != 0 || again.Examined != len(left) {
		t.Errorf("a second purge = %+v, %v; want nothing more deleted, %d examined", again, err, len(left))
	}

	deliver(t, s, sp.new, 4)
	got := readAll(t, s, sp.tl)
	checkFold(t, "after a purge", got, want, append(slices.Clone(sp.old), sp.new...))
	checkNewArchived(t, s, sp)
}

// checkUnchanged compares every row of every room, the gift ledger included.
func checkUnchanged(t *testing.T, what string, got, want map[string]roomRows) {
	t.Helper()
	for room, w := range want {
		for _, d := range diff(got[room], w) {
			t.Errorf("%s changed room %q: %s", what, room, d)
		}
	}
}

// checkNewArchived checks that every distinct event delivered after the purge is archived.
func checkNewArchived(t *testing.T, s Backend, sp purgeSplit) {
	t.Helper()
	evs, err := s.Events(t.Context(), sp.tl.app)
	if err != nil {
		t.Fatal(err)
	}
	have := map[string]bool{}
	for _, ev := range evs {
		have[ev.Command+"|"+string(ev.Raw)] = true
	}
	for _, ev := range sp.new {
		if !have[ev.Command+"|"+string(ev.Raw)] {
			t.Errorf("%s @%d delivered after the purge is not archived", ev.Command, ev.EventTime)
		}
	}
}

func testPurgeBesideLoad(t *testing.T, s Backend) {
	sp := splitAtCutoff(lifecycleSeeds[0])
	want := fold(sp.tl.events)
	deliver(t, s, sp.old, 1)
	var wg sync.WaitGroup
	var st callback.PurgeStats
	var perr error
	wg.Add(1)
	go func() {
		defer wg.Done()
		// Small steps, so that the purge and the saves interleave.
		st, perr = callback.PurgeArchive(t.Context(), s, sp.tl.app, sp.cutoff, callback.PurgeOptions{Batch: 3})
	}()
	deliver(t, s, sp.new, 8)
	wg.Wait()
	if perr != nil {
		t.Fatalf("PurgeArchive beside the load: %v", perr)
	}
	if st.Deleted == 0 {
		t.Errorf("PurgeArchive beside the load = %+v; want some deleted", st)
	}
	got := readAll(t, s, sp.tl)
	checkFold(t, "a purge beside the load", got, want, append(slices.Clone(sp.old), sp.new...))
	checkNewArchived(t, s, sp)
	evs, err := s.Events(t.Context(), sp.tl.app)
	if err != nil {
		t.Fatal(err)
	}
	for _, ev := range evs {
		if !ev.ReceivedAt.Before(sp.cutoff) {
			continue
		}
		if callback.AlwaysExpires(ev.Command) || ev.EventTime == 0 {
			t.Errorf("%s @%d (received before the cutoff) is still archived: it always expires", ev.Command, ev.EventTime)
		}
	}
}
