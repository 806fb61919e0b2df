package storetest

import "testing"

// TestMemory runs the suite on the in-memory store: the suite and the projection are checked
// here first, without a server.
func TestMemory(t *testing.T) {
	Run(t, func(t *testing.T) Backend { return NewMemory() })
}
