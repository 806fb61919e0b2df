package localinvoke

import (
	"context"
	"fmt"
)

// slot lets one invocation run at a time, as one Lambda execution
// environment or one SCF instance does. An invocation the caller stopped
// waiting for (its context ended) keeps the slot until the platform is done
// with it, so the next one does not collide with it: the emulator would
// reject it, and an SCF handler would run twice at once.
type slot chan struct{}

func newSlot() slot { return make(slot, 1) }

type result struct {
	payload []byte
	err     error
}

// run waits for the slot, runs invoke in the background holding it, and
// returns its result, or ctx's error as soon as ctx ends.
func (s slot) run(ctx context.Context, platform string, invoke func() ([]byte, error)) ([]byte, error) {
	select {
	case s <- struct{}{}:
	case <-ctx.Done():
		return nil, fmt.Errorf("localinvoke: %s: waiting for the previous invocation to end: %w", platform, ctx.Err())
	}
	done := make(chan result, 1)
	go func() {
		defer func() { <-s }()
		p, err := invoke()
		done <- result{p, err}
	}()
	select {
	case r := <-done:
		return r.payload, r.err
	case <-ctx.Done():
		return nil, fmt.Errorf("localinvoke: %s: invoke: %w (the invocation goes on until the function answers or times out)", platform, ctx.Err())
	}
}
