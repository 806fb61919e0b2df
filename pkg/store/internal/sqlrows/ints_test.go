package sqlrows

import (
	"slices"
	"testing"
)

// TestInts: a KindInts column's JSON text round-trips, PostgreSQL's spaced form included, and
// anything that is not a JSON array of 64-bit integers is refused.
func TestInts(t *testing.T) {
	for _, l := range [][]int64{{}, {0}, {1, 7, -3}, {9223372036854775807, -9223372036854775808}} {
		got, err := UnmarshalInts(MarshalInts(l))
		if err != nil || !slices.Equal(got, l) || got == nil {
			t.Errorf("%v: round trip gave %v, %v", l, got, err)
		}
	}
	if got, err := UnmarshalInts("[1, 2]"); err != nil || !slices.Equal(got, []int64{1, 2}) {
		t.Errorf("[1, 2]: %v, %v", got, err)
	}
	for _, bad := range []string{`["3"]`, `[1.5]`, `[null]`, `null`, `{}`, `[9223372036854775808]`, `[1e2]`, ``, `[true]`} {
		if got, err := UnmarshalInts(bad); err == nil {
			t.Errorf("%s: accepted as %v", bad, got)
		}
	}
}
