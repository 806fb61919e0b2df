// Package store opens roomhook's event store from the URL in ROOMHOOK_STORE, choosing the
// backend by the URL's scheme. The backends live in sub-packages named after what they wrap
// (sqlite, postgres, mysql, dynamodb); storetest is the conformance suite they all run.
//
// The Store and Reader interfaces themselves belong to the domain, in pkg/callback. Only the
// wiring (pkg/coldstart) and tools (scripts/replay) call Open; everything else receives a
// callback.Store.
package store
