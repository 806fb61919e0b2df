// Package e2e holds end-to-end tests that cross platforms and store backends: the built
// functions run under their real invocation protocols (the Lambda Runtime Interface Emulator,
// scf-go-lib's net/rpc) against every store backend that is reachable, and what each backend
// kept is compared. The lifecycle test sends a generated lifecycle of several rooms (every
// Room callback roomhook projects) in order, shuffled with duplicates and from 16 instances at
// once, and compares every room's rows with a fold of the lifecycle written in the test. The
// fault tests put the store's server behind a fault-injecting proxy
// (pkg/store/storetest/faultproxy), or take a SQLite file away, and check that nothing is
// lost. It has no non-test code.
package e2e
