package samples

import (
	"slices"
	"testing"
	"time"

	"github.com/roomhook/roomhook/pkg/callback"
	"github.com/roomhook/roomhook/pkg/store/storetest"
)

// TestPurgeKept checks PurgeKept against the purge itself, on the reference store: both stories
// delivered long ago, one pass keeps exactly the samples it names, and the rooms' rows are
// those of the whole stories.
func TestPurgeKept(t *testing.T) {
	st := storetest.NewMemory()
	now := time.Now()
	all := append(slices.Clone(Story), LiveStory...)
	if err := Deliver(t.Context(), st, now.Add(-10*24*time.Hour), all...); err != nil {
		t.Fatal(err)
	}
	stats, err := callback.PurgeArchive(t.Context(), st, AppID, now.Add(-24*time.Hour), callback.PurgeOptions{})
	if err != nil {
		t.Fatal(err)
	}
	var want []string
	for _, s := range all {
		if PurgeKept[s.Variant] {
			want = append(want, s.Command+"@"+s.Room())
		}
	}
	for v := range PurgeKept {
		Get(v) // panics on a variant of no story
	}
	if stats.Examined != len(all) || stats.Kept != len(want) || stats.Deleted != len(all)-len(want) {
		t.Errorf("PurgeArchive = %+v, want %d examined, %d kept", stats, len(all), len(want))
	}
	evs, err := st.Events(t.Context(), AppID)
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, ev := range evs {
		got = append(got, ev.Command+"@"+ev.RoomID)
	}
	if !slices.Equal(got, want) {
		t.Errorf("archive after the purge\n got %v\nwant %v", got, want)
	}
	for room, rows := range map[string]Rows{RoomID: Want(AppID), LiveRoomID: LiveWant(AppID)} {
		r, err := Read(t.Context(), st, AppID, room)
		if err != nil {
			t.Fatal(err)
		}
		if d := Diff(r, rows); d != "" {
			t.Errorf("room %s after the purge:\n%s", room, d)
		}
	}
}
