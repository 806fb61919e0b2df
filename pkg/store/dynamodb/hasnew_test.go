package dynamodb

import (
	"testing"

	"github.com/roomhook/roomhook/pkg/callback"
)

// TestHasNew: a member state folds again for a destroy archived while it ran, not for one the
// archive purge deleted meanwhile.
func TestHasNew(t *testing.T) {
	d := func(at int64, digest string) callback.Archived {
		return callback.Archived{Command: callback.CommandDestroyRoom, EventTime: at, Digest: digest}
	}
	a, b, c := d(1, "a"), d(2, "b"), d(2, "c")
	for _, tc := range []struct {
		before, after []callback.Archived
		want          bool
	}{
		{nil, nil, false},
		{[]callback.Archived{a, b}, []callback.Archived{b, a}, false},
		{[]callback.Archived{a}, []callback.Archived{a, b}, true},    // archived meanwhile
		{[]callback.Archived{a, b}, []callback.Archived{b}, false},   // purged meanwhile
		{[]callback.Archived{a, b}, []callback.Archived{b, c}, true}, // one purged, one new
		{[]callback.Archived{a}, []callback.Archived{a, a}, true},    // counted, not a set
	} {
		if got := hasNew(tc.before, tc.after); got != tc.want {
			t.Errorf("hasNew(%v, %v) = %v, want %v", tc.before, tc.after, got, tc.want)
		}
	}
}
