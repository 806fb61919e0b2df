// Package storetest is the conformance suite every roomhook store backend runs, so that SQLite,
// PostgreSQL, MySQL and DynamoDB keep exactly the same storage semantics: verbatim archive,
// idempotent saves (also under concurrent duplicates), a room projection that never moves
// backwards, unknown commands archived raw, and absent fields that stay absent.
//
// A backend's test calls Run with a function that opens a fresh, empty store:
//
//	func TestConformance(t *testing.T) {
//		storetest.Run(t, func(t *testing.T) storetest.Backend {
//			s, err := sqlite.Open(t.Context(), filepath.Join(t.TempDir(), "r.db"), sqlite.Options{})
//			if err != nil {
//				t.Fatal(err)
//			}
//			t.Cleanup(func() { s.Close() })
//			return s
//		})
//	}
//
// The suite uses fixed times only; it asserts nothing about wall-clock speed.
package storetest
