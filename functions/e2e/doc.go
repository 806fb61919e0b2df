// Package e2e holds end-to-end tests that cross platforms and store backends: the built
// functions run under their real invocation protocols (the Lambda Runtime Interface Emulator,
// scf-go-lib's net/rpc) against every store backend that is reachable, and what each backend
// kept is compared. The fault tests put the store's server behind a fault-injecting proxy
// (pkg/store/storetest/faultproxy), or take a SQLite file away, and check that nothing is
// lost. It has no non-test code.
package e2e
