package storetest

import (
	"fmt"
	"math/rand/v2"
	"testing"
	"time"
)

// TestMemory runs the suite on the in-memory store: the suite and the projection are checked
// here first, without a server.
func TestMemory(t *testing.T) {
	Run(t, func(t *testing.T) Backend { return NewMemory() })
}

// TestRefold: events archived without being projected (as version 1 archived every command
// but the create) and then refolded room by room, in any order, leave the fold's rows.
func TestRefold(t *testing.T) {
	for _, seed := range lifecycleSeeds {
		tl := genTimeline(seed)
		m := NewMemory()
		deliveries := shuffledWithRepeats(rand.New(rand.NewPCG(seed, 7)), tl.events)
		for _, ev := range deliveries {
			raw := *ev
			raw.Payload = nil // archived raw
			if _, err := m.Save(t.Context(), &raw); err != nil {
				t.Fatal(err)
			}
		}
		for _, room := range tl.rooms {
			if _, err := m.Refold(t.Context(), tl.app, room, time.Unix(1, 0)); err != nil {
				t.Fatal(err)
			}
		}
		checkFold(t, fmt.Sprintf("timeline %d refolded", seed), readAll(t, m, tl), fold(tl.events), deliveries)
	}
}
