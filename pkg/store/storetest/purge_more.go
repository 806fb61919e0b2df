package storetest

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"reflect"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/roomhook/roomhook/pkg/callback"
)

// The Purger beyond purge.go's folds: a Delete among concurrent saves, apps kept apart,
// Expired's paging over many rows and replays, and what Expired and Delete refuse. The suite
// runs what holds for every store (purgeMoreTests). A backend's own test adds what needs its
// setup: PurgeByRowID (the SQL backends' ids and errors), DeleteBesideSaves with a deleter in
// another process, DeleteLocksOnlyItsRows (an uncommitted DELETE) and PurgeReadOnly.

var purgeMoreTests = []struct {
	name string
	run  func(t *testing.T, s Backend)
}{
	{"purge: a Delete beside 8 saving goroutines loses nothing", func(t *testing.T, s Backend) { DeleteBesideSaves(t, s, s) }},
	{"purge: ids of another app delete nothing", testDeleteOtherApp},
	{"purge: Expired pages in ten over 1,000 rows (200 with -short)", func(t *testing.T, s Backend) { expiredPaging(t, s, nil) }},
	{"purge: a replay, saved last and received long ago, is listed", testExpiredReplayed},
	{"purge: bad positions, page sizes and ids are refused", func(t *testing.T, s Backend) { purgeErrors(t, s, nil) }},
}

const (
	// PurgeApp is the app whose archive the purge checks fill.
	PurgeApp      int64 = 1400000017
	purgeOtherApp int64 = 1400000018
	// purgeCommand is a command roomhook does not project: archived raw, with its key.
	purgeCommand       = "Test.PurgeProbe"
	purgeT0      int64 = 1764892800000
)

var (
	purgeOld = time.UnixMilli(purgeT0 - 30*24*3600*1000) // received long before the cutoff
	// PurgeCutoff is the cutoff of the purge checks: their old events were received a month
	// before it, their new ones a day after.
	PurgeCutoff = time.UnixMilli(purgeT0 - 24*3600*1000)
	purgeNew    = time.UnixMilli(purgeT0) // received after the cutoff
)

// sqlPurge holds a check to what the SQL backends do beyond the Purger contract: an ArchiveID
// is the archive row's id in decimal, growing in archive order; Expired's position is its last
// event's ArchiveID and its last page says there are no more (no empty page follows); every
// error of the purge starts "<backend>: purge: ", that of an ended context too; a Delete of
// more than maxDeleteIDs ids is refused. nil: the contract alone.
type sqlPurge struct {
	backend      string
	maxDeleteIDs int
}

// PurgeByRowID runs, on stores open returns (as Run's), the purge checks of the suite that
// hold more where an ArchiveID is the archive row's id, the SQL backends' (sqltext's purge
// statements): Expired's ten pages over 1,000 rows (200 with -short), their ids growing, the position the last id,
// no empty last page; and the refusals, each error naming backend ("sqlite", …) and the purge,
// an ended context's too, and more than maxDeleteIDs ids in one Delete.
func PurgeByRowID(t *testing.T, open func(t *testing.T) Backend, backend string, maxDeleteIDs int) {
	t.Helper()
	r := &sqlPurge{backend: backend, maxDeleteIDs: maxDeleteIDs}
	t.Run("Expired pages in ten over 1,000 rows (200 with -short)", func(t *testing.T) { expiredPaging(t, open(t), r) })
	t.Run("bad positions, page sizes and ids are refused", func(t *testing.T) { purgeErrors(t, open(t), r) })
}

// probe is an event of a command roomhook does not project, numbered n (EventTime purgeT0+n,
// its body, its request id), of app's room, received at.
func probe(app int64, room string, n int, at time.Time) *callback.Event {
	return &callback.Event{
		SdkAppID:    app,
		Command:     purgeCommand,
		RoomID:      room,
		EventTime:   purgeT0 + int64(n),
		ClientIP:    "203.0.113.9",
		OptPlatform: "RESTAPI",
		RequestID:   fmt.Sprintf("req-%d-%d", app, n),
		ReceivedAt:  at,
		Raw:         fmt.Appendf(nil, `{"CallbackCommand":%q,"RoomId":%q,"N":%d,"EventTime":%d}`, purgeCommand, room, n, purgeT0+int64(n)),
	}
}

// purgeCreate is the seed's create-room event of app's room at eventTime, received at: a
// folded event, which writes the room's rows under its lock.
func purgeCreate(t *testing.T, app int64, room string, eventTime int64, at time.Time) *callback.Event {
	t.Helper()
	ev := SeedEvent()
	raw := strings.Replace(string(ev.Raw), `"RoomId":"`+ev.RoomID+`"`, `"RoomId":"`+room+`"`, 1)
	raw = strings.Replace(raw, fmt.Sprintf(`"EventTime":%d`, ev.EventTime), fmt.Sprintf(`"EventTime":%d`, eventTime), 1)
	p, err := callback.ParsePayload(ev.Command, []byte(raw))
	if err != nil {
		t.Fatal(err)
	}
	ev.SdkAppID, ev.RoomID, ev.EventTime, ev.Raw, ev.Payload, ev.ReceivedAt = app, room, eventTime, []byte(raw), p, at
	ev.RequestID = fmt.Sprintf("req-create-%s-%d", room, eventTime)
	return ev
}

// saveEach saves evs with workers goroutines; each must be archived (not a duplicate).
func saveEach(t *testing.T, s Backend, evs []*callback.Event, workers int) {
	t.Helper()
	next := make(chan *callback.Event)
	var wg sync.WaitGroup
	for range workers {
		wg.Go(func() {
			for ev := range next {
				if o, err := s.Save(t.Context(), ev); err != nil || o == callback.OutcomeDuplicate {
					t.Errorf("Save(%s %s) = %v, %v", ev.Command, ev.RequestID, o, err)
				}
			}
		})
	}
	for _, ev := range evs {
		next <- ev
	}
	close(next)
	wg.Wait()
	if t.Failed() {
		t.FailNow()
	}
}

// SaveExpired saves n events of a command roomhook does not project to PurgeApp's room "r",
// received a month before PurgeCutoff, one after another, and returns their ArchiveIDs as
// Expired lists them.
func SaveExpired(t *testing.T, s Backend, n int) []string {
	t.Helper()
	var evs []*callback.Event
	for i := range n {
		evs = append(evs, probe(PurgeApp, "r", i+1, purgeOld))
	}
	saveEach(t, s, evs, 1)
	ids := idsOf(expiredAll(t, s, PurgeApp, PurgeCutoff, 10))
	if len(ids) != n {
		t.Fatalf("Expired = %d events, want %d", len(ids), n)
	}
	return ids
}

// expiredPages pages through Expired n at a time from the start, checking each page's bound
// and, under r, that the position is the page's last ArchiveID.
func expiredPages(t *testing.T, s Backend, app int64, cutoff time.Time, n int, r *sqlPurge) [][]callback.Event {
	t.Helper()
	var pages [][]callback.Event
	for after := ""; ; {
		evs, next, err := s.Expired(t.Context(), app, cutoff, after, n)
		if err != nil {
			t.Fatalf("Expired(after %q, %d): %v", after, n, err)
		}
		if len(evs) > n {
			t.Fatalf("Expired(after %q, %d) = %d events", after, n, len(evs))
		}
		if len(pages) > 10000 {
			t.Fatal("Expired never came to an end")
		}
		pages = append(pages, evs)
		if next == "" {
			return pages
		}
		if r != nil && (len(evs) == 0 || next != evs[len(evs)-1].ArchiveID) {
			t.Fatalf("Expired(after %q, %d): next %q is not the last event's ArchiveID (%d events)", after, n, next, len(evs))
		}
		after = next
	}
}

// idsOf returns the ArchiveIDs of evs.
func idsOf(evs []callback.Event) []string {
	ids := make([]string, len(evs))
	for i, ev := range evs {
		ids[i] = ev.ArchiveID
	}
	return ids
}

// requestIDs returns the request ids of app's archive, each with how often it is there.
func requestIDs(t *testing.T, s Backend, app int64) map[string]int {
	t.Helper()
	evs, err := s.Events(t.Context(), app)
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]int{}
	for _, ev := range evs {
		out[ev.RequestID]++
	}
	return out
}

// checkPurgeError checks that err is an error, under r one of r.backend's purge, wrapping want
// when not nil.
func checkPurgeError(t *testing.T, what string, err error, r *sqlPurge, want error) {
	t.Helper()
	if err == nil {
		t.Errorf("%s: no error", what)
		return
	}
	if r == nil {
		return
	}
	if prefix := r.backend + ": purge: "; !strings.HasPrefix(err.Error(), prefix) || (want != nil && !errors.Is(err, want)) {
		t.Errorf("%s: error %v; want %q… (%v)", what, err, prefix, want)
	}
}

// DeleteBesideSaves checks that a Delete while 8 goroutines save (folded creates, which take
// the room's lock, and raw events in the rooms whose rows it deletes) loses nothing: every save
// is archived, every deleted row is gone, and the projection is untouched. deleters take turns
// deleting (the suite's: s alone; a backend's test may add a store in another process).
func DeleteBesideSaves(t *testing.T, s Backend, deleters ...callback.Purger) {
	var old []*callback.Event
	for i := range 6 {
		old = append(old, purgeCreate(t, PurgeApp, fmt.Sprintf("room-%d", i), purgeT0-1000+int64(i), purgeOld))
	}
	for i := range 240 {
		old = append(old, probe(PurgeApp, fmt.Sprintf("room-%d", i%6), i, purgeOld.Add(time.Duration(i)*time.Millisecond)))
	}
	saveEach(t, s, old, 4)
	rooms := map[string][]callback.Row{}
	for i := range 6 {
		room := fmt.Sprintf("room-%d", i)
		rows, err := s.Rows(t.Context(), callback.RoomsTable, PurgeApp, room)
		if err != nil || len(rows) != 1 {
			t.Fatalf("rooms of %s = %d rows, %v", room, len(rows), err)
		}
		rooms[room] = rows
	}
	ids := idsOf(expiredAll(t, s, PurgeApp, PurgeCutoff, 1000))
	if len(ids) != len(old) {
		t.Fatalf("Expired = %d events, want %d", len(ids), len(old))
	}

	const savers, each = 8, 30
	start := make(chan struct{})
	var wg sync.WaitGroup
	want := map[string]int{}
	var mu sync.Mutex
	for g := range savers {
		wg.Go(func() {
			<-start
			for i := range each {
				n := 10000 + g*100 + i
				ev := probe(PurgeApp, fmt.Sprintf("room-%d", i%6), n, purgeNew)
				if i%5 == 0 {
					ev = purgeCreate(t, PurgeApp, fmt.Sprintf("new-%d-%d", g, i), purgeT0+int64(n), purgeNew)
				}
				o, err := s.Save(t.Context(), ev)
				if err != nil || o == callback.OutcomeDuplicate {
					t.Errorf("Save(%s) beside the Delete = %v, %v", ev.RequestID, o, err)
				}
				mu.Lock()
				want[ev.RequestID]++
				mu.Unlock()
			}
		})
	}
	close(start)
	deleted := 0
	for i := 0; i < len(ids); i += 12 {
		n, err := deleters[(i/12)%len(deleters)].Delete(t.Context(), PurgeApp, ids[i:min(i+12, len(ids))])
		if err != nil {
			t.Errorf("Delete beside the saves: %v", err)
		}
		deleted += n
	}
	wg.Wait()
	if deleted != len(ids) {
		t.Errorf("Delete removed %d rows, want %d", deleted, len(ids))
	}
	if got := requestIDs(t, s, PurgeApp); !reflect.DeepEqual(got, want) {
		t.Errorf("the archive after the Delete holds %d events (%v); want the %d saved beside it, once each", len(got), got, len(want))
	}
	for room, rows := range rooms {
		if got, err := s.Rows(t.Context(), callback.RoomsTable, PurgeApp, room); err != nil || !reflect.DeepEqual(got, rows) {
			t.Errorf("rooms of %s after the Delete = %v, %v; want it unchanged", room, got, err)
		}
	}
	if rows, err := s.Rows(t.Context(), callback.RoomsTable, PurgeApp, "new-7-25"); err != nil || len(rows) != 1 {
		t.Errorf("rooms of new-7-25 = %d rows, %v; want the create saved beside the Delete", len(rows), err)
	}
}

// testDeleteOtherApp: ids of one app's rows delete nothing under another app.
func testDeleteOtherApp(t *testing.T, s Backend) {
	var evs []*callback.Event
	for i := range 20 {
		evs = append(evs, probe(PurgeApp, "r", i, purgeOld), probe(purgeOtherApp, "r", i, purgeOld))
	}
	saveEach(t, s, evs, 1)
	mine := idsOf(expiredAll(t, s, PurgeApp, PurgeCutoff, 100))
	theirs := idsOf(expiredAll(t, s, purgeOtherApp, PurgeCutoff, 100))
	if len(mine) != 20 || len(theirs) != 20 {
		t.Fatalf("Expired = %d and %d events, want 20 each", len(mine), len(theirs))
	}
	if n, err := s.Delete(t.Context(), purgeOtherApp, mine); err != nil || n != 0 {
		t.Errorf("Delete(other app, this app's ids) = %d, %v; want 0", n, err)
	}
	if n, err := s.Delete(t.Context(), PurgeApp, theirs); err != nil || n != 0 {
		t.Errorf("Delete(this app, the other app's ids) = %d, %v; want 0", n, err)
	}
	if n, err := s.Delete(t.Context(), purgeOtherApp, append(mine[:5:5], theirs[:3]...)); err != nil || n != 3 {
		t.Errorf("Delete(other app, 5 of this app's ids and 3 of its own) = %d, %v; want 3", n, err)
	}
	if got := requestIDs(t, s, PurgeApp); len(got) != 20 {
		t.Errorf("this app's archive holds %d events, want its 20", len(got))
	}
	if got := requestIDs(t, s, purgeOtherApp); len(got) != 17 {
		t.Errorf("the other app's archive holds %d events, want 17", len(got))
	}
}

// expiredPaging: 1,000 expired rows among newer ones and another app's, listed 100 at a time,
// come back each once, in archive order, decoded as Events decodes them, in 10 pages. A store
// that cannot tell at a page's end that no expired row follows (DynamoDB, which filters on
// received_at) may add an empty last page; under r it may not, and the ids grow.
func expiredPaging(t *testing.T, s Backend, r *sqlPurge) {
	// -short (the race detector's run in .ci/run): 200 rows in pages of 20, the same ten pages.
	rows, page := 1000, 100
	if testing.Short() {
		rows, page = 200, 20
	}
	var evs []*callback.Event
	for i := range rows {
		evs = append(evs, probe(PurgeApp, fmt.Sprintf("room-%d", i%7), i, purgeOld.Add(time.Duration(i)*time.Second)))
	}
	for i := range page {
		evs = append(evs, probe(PurgeApp, "room-0", 2000+i, purgeNew), probe(purgeOtherApp, "room-0", i, purgeOld))
	}
	rng := rand.New(rand.NewPCG(17, 2))
	rng.Shuffle(len(evs), func(i, j int) { evs[i], evs[j] = evs[j], evs[i] })
	saveEach(t, s, evs, 8)

	all, err := s.Events(t.Context(), PurgeApp)
	if err != nil {
		t.Fatal(err)
	}
	var want []callback.Event
	for _, ev := range all {
		if ev.ReceivedAt.Before(PurgeCutoff) {
			want = append(want, ev)
		}
	}
	if len(want) != rows {
		t.Fatalf("the archive holds %d events received before the cutoff, want %d", len(want), rows)
	}
	pages := expiredPages(t, s, PurgeApp, PurgeCutoff, page, r)
	if last := len(pages) - 1; r == nil && last > 0 && len(pages[last]) == 0 {
		pages = pages[:last]
	}
	if len(pages) != 10 {
		t.Errorf("Expired took %d pages of %d, want 10 (the last one saying there are no more)", len(pages), page)
	}
	var got []callback.Event
	last := int64(-1)
	for p, events := range pages {
		if len(events) != page {
			t.Errorf("page %d holds %d events, want %d", p, len(events), page)
		}
		for _, ev := range events {
			if r != nil {
				id, err := strconv.ParseInt(ev.ArchiveID, 10, 64)
				if err != nil || id <= last {
					t.Fatalf("page %d: ArchiveID %q after %d: not increasing", p, ev.ArchiveID, last)
				}
				last = id
			}
			got = append(got, ev)
		}
	}
	got = withoutIDs(t, got)
	if !reflect.DeepEqual(got, want) {
		t.Errorf("Expired's pages differ from the archive's events received before the cutoff (%d and %d events)", len(got), len(want))
	}
}

// testExpiredReplayed: an event saved last with an old received_at, a replay, is listed, also
// after a position that passed every older row listed then; the cutoff's own millisecond is
// not before it.
func testExpiredReplayed(t *testing.T, s Backend) {
	var evs []*callback.Event
	for i := range 50 {
		evs = append(evs, probe(PurgeApp, "r", i, purgeNew.Add(time.Duration(i)*time.Millisecond)))
	}
	saveEach(t, s, evs, 1)
	seen := expiredAll(t, s, PurgeApp, purgeNew.Add(time.Hour), 100)
	if len(seen) != 50 {
		t.Fatalf("Expired = %d events, want 50", len(seen))
	}
	// The position after all but the last (which, received after the cutoff, is not listed
	// below either): a position past the last row is "" on a store that says it was the last.
	_, passed, err := s.Expired(t.Context(), PurgeApp, purgeNew.Add(time.Hour), "", len(seen)-1)
	if err != nil || passed == "" {
		t.Fatalf("Expired(%d of %d) = next %q, %v; want a position", len(seen)-1, len(seen), passed, err)
	}

	replayed := probe(PurgeApp, "r", 100, purgeOld)
	atCutoff := probe(PurgeApp, "r", 101, PurgeCutoff)
	justBefore := probe(PurgeApp, "r", 102, PurgeCutoff.Add(-time.Millisecond))
	saveEach(t, s, []*callback.Event{replayed, atCutoff, justBefore}, 1)
	for _, after := range []string{"", passed} {
		for _, n := range []int{1, 10} {
			var got []string
			for a := after; ; {
				evs, next, err := s.Expired(t.Context(), PurgeApp, PurgeCutoff, a, n)
				if err != nil {
					t.Fatal(err)
				}
				for _, ev := range evs {
					got = append(got, ev.RequestID)
				}
				if next == "" {
					break
				}
				a = next
			}
			if want := []string{replayed.RequestID, justBefore.RequestID}; !reflect.DeepEqual(got, want) {
				t.Errorf("Expired(after %q, %d) = %q; want the replay and the event 1 ms before the cutoff", after, n, got)
			}
		}
	}
}

// purgeErrors: a bad position or page size, or a bad id among good ones, is an error, and such
// a Delete deletes nothing; an id given twice is deleted once. Under r, the errors name the
// backend and the purge, too many ids are refused and an ended context is reported as such.
func purgeErrors(t *testing.T, s Backend, r *sqlPurge) {
	ids := SaveExpired(t, s, 2)
	for _, after := range []string{"x", "1.5", " 1", "1 OR 1=1", "9223372036854775808"} {
		_, _, err := s.Expired(t.Context(), PurgeApp, PurgeCutoff, after, 10)
		checkPurgeError(t, fmt.Sprintf("Expired(after %q)", after), err, r, nil)
	}
	for _, n := range []int{0, -1} {
		_, _, err := s.Expired(t.Context(), PurgeApp, PurgeCutoff, "", n)
		checkPurgeError(t, fmt.Sprintf("Expired(n %d)", n), err, r, nil)
	}
	for _, bad := range []string{"", "x", "1) OR (1=1", ids[0] + ".0", "0x1"} {
		_, err := s.Delete(t.Context(), PurgeApp, []string{ids[0], bad, ids[1]})
		checkPurgeError(t, fmt.Sprintf("Delete with id %q", bad), err, r, nil)
	}
	if r != nil {
		tooMany := make([]string, r.maxDeleteIDs+1)
		for i := range tooMany {
			tooMany[i] = ids[i%2]
		}
		_, err := s.Delete(t.Context(), PurgeApp, tooMany)
		checkPurgeError(t, "Delete of too many ids", err, r, nil)
	}
	if got := requestIDs(t, s, PurgeApp); len(got) != 2 {
		t.Errorf("after refused Deletes the archive holds %d events, want 2", len(got))
	}
	if n, err := s.Delete(t.Context(), PurgeApp, nil); err != nil || n != 0 {
		t.Errorf("Delete(no ids) = %d, %v", n, err)
	}

	if r != nil {
		ctx, cancel := context.WithCancel(t.Context())
		cancel()
		_, _, err := s.Expired(ctx, PurgeApp, PurgeCutoff, "", 10)
		checkPurgeError(t, "Expired with an ended context", err, r, context.Canceled)
		_, err = s.RoomArchived(ctx, PurgeApp, "r", callback.ArchiveQuery{Commands: []string{purgeCommand}})
		checkPurgeError(t, "RoomArchived with an ended context", err, r, context.Canceled)
		_, err = s.Delete(ctx, PurgeApp, ids)
		checkPurgeError(t, "Delete with an ended context", err, r, context.Canceled)
		if got := requestIDs(t, s, PurgeApp); len(got) != 2 {
			t.Errorf("after a Delete with an ended context the archive holds %d events, want 2", len(got))
		}
	}
	if n, err := s.Delete(t.Context(), PurgeApp, append(ids, ids[0])); err != nil || n != 2 {
		t.Errorf("Delete(an id twice) = %d, %v; want 2", n, err)
	}
}

// DeleteLocksOnlyItsRows checks what the locks of the DELETE Delete runs hold up: left
// uncommitted, it blocks none of the saves beside it that insert new archive rows, of the rooms
// and app whose rows it deletes, the newest ones included, folded (the room's lock) or not; nor
// the purge's own reads. Only a re-delivery of an event whose row it deletes waits, on that key,
// and is archived again once the delete commits.
//
// hold runs the backend's DELETE of ids (the statement its Delete runs, at its isolation) in a
// transaction of another connection, leaves it open and returns its commit; the backend's test
// rolls it back when the test ends. beside, when not nil, checks more once the saves and reads
// beside the held DELETE have returned (that none was run again, say).
func DeleteLocksOnlyItsRows(t *testing.T, s Backend, hold func(ids []string) (commit func() error), beside func()) {
	var old []*callback.Event
	for i := range 3 {
		old = append(old, purgeCreate(t, PurgeApp, fmt.Sprintf("room-%d", i), purgeT0-1000+int64(i), purgeOld))
	}
	for i := range 60 {
		old = append(old, probe(PurgeApp, fmt.Sprintf("room-%d", i%3), i, purgeOld))
	}
	saveEach(t, s, old, 1)
	expired := expiredAll(t, s, PurgeApp, PurgeCutoff, 100)
	// The middle of the archive and its end: a lock on the gap after the last row would hold up
	// every insert.
	var ids []string
	for _, ev := range expired[20:30] {
		ids = append(ids, ev.ArchiveID)
	}
	for _, ev := range expired[len(expired)-10:] {
		ids = append(ids, ev.ArchiveID)
	}
	commit := hold(ids)

	// Shorter than a lock wait (MySQL's lock wait timeout is 3 s): a save that waited for the
	// DELETE's locks fails here.
	ctx, cancel := context.WithTimeout(t.Context(), 2*time.Second)
	defer cancel()
	for i, ev := range []*callback.Event{
		probe(PurgeApp, "room-0", 1000, purgeNew),
		probe(PurgeApp, "room-2", 1001, purgeNew),
		purgeCreate(t, PurgeApp, "room-1", purgeT0+5, purgeNew),
		purgeCreate(t, PurgeApp, "room-new", purgeT0+6, purgeNew),
		probe(purgeOtherApp, "room-0", 1, purgeOld),
	} {
		if o, err := s.Save(ctx, ev); err != nil || o == callback.OutcomeDuplicate {
			t.Errorf("save %d beside an uncommitted Delete = %v, %v; want it archived at once", i, o, err)
		}
	}
	if _, _, err := s.Expired(ctx, PurgeApp, PurgeCutoff, "", 100); err != nil {
		t.Errorf("Expired beside an uncommitted Delete: %v", err)
	}
	if _, err := s.RoomArchived(ctx, PurgeApp, "room-0", callback.ArchiveQuery{Commands: []string{purgeCommand}}); err != nil {
		t.Errorf("RoomArchived beside an uncommitted Delete: %v", err)
	}
	if beside != nil {
		beside()
	}

	// A re-delivery of a row being deleted waits for the delete, then is archived again.
	var redelivered *callback.Event
	for _, ev := range old {
		if ev.RequestID == expired[len(expired)-1].RequestID {
			redelivered = ev
		}
	}
	done := make(chan error, 1)
	go func() {
		o, err := s.Save(t.Context(), redelivered)
		if err == nil && o == callback.OutcomeDuplicate {
			err = errors.New("answered as a duplicate")
		}
		done <- err
	}()
	select {
	case err := <-done:
		t.Fatalf("a re-delivery of a row being deleted did not wait for the delete: %v", err)
	case <-time.After(300 * time.Millisecond):
	}
	if err := commit(); err != nil {
		t.Fatal(err)
	}
	if err := <-done; err != nil {
		t.Errorf("a re-delivery of a deleted row after the delete: %v", err)
	}
	if got := requestIDs(t, s, PurgeApp); len(got) != len(old)-len(ids)+5 {
		t.Errorf("the archive holds %d events, want %d", len(got), len(old)-len(ids)+5)
	}
}

// PurgeReadOnly checks that a read-only store lists (a dry run) but refuses to delete, with an
// error of backend's purge, deleting nothing: w saves an expired event, then openReadOnly opens
// a read-only store on w's database.
func PurgeReadOnly(t *testing.T, w Backend, openReadOnly func() Backend, backend string) {
	saveEach(t, w, []*callback.Event{probe(PurgeApp, "r", 1, purgeOld)}, 1)
	ro := openReadOnly()
	ids := idsOf(expiredAll(t, ro, PurgeApp, PurgeCutoff, 10))
	if len(ids) != 1 {
		t.Fatalf("read-only Expired = %d events, want 1", len(ids))
	}
	_, err := ro.Delete(t.Context(), PurgeApp, ids)
	checkPurgeError(t, "read-only Delete", err, &sqlPurge{backend: backend}, nil)
	if got := requestIDs(t, w, PurgeApp); len(got) != 1 {
		t.Errorf("after a read-only Delete the archive holds %d events, want 1", len(got))
	}
}
