package postgres_test

import (
	"context"
	"strings"
	"testing"

	"github.com/roomhook/roomhook/pkg/store/internal/sqltext"
	"github.com/roomhook/roomhook/pkg/store/storetest"
)

// PostgreSQL's purge beyond the conformance suite: the row ids and errors
// storetest.PurgeByRowID holds the SQL backends to, what the row locks of a Delete hold up
// beside the saves' advisory locks, and a read-only store.

func TestPurgeByRowID(t *testing.T) {
	serverURL(t)
	storetest.PurgeByRowID(t, func(t *testing.T) storetest.Backend {
		// A pool as wide as the suite's savers, so that they run in as many transactions at once.
		_, u := freshSchema(t, "pool_max_conns", "9")
		return open(t, u)
	}, "postgres", sqltext.MaxDeleteIDs)
}

// TestPurgeDeleteLocksOnlyItsRows: Delete's statement, left uncommitted, holds up only a
// re-delivery of a row it deletes, not the saves beside it, folded (the room's advisory lock)
// or not (storetest.DeleteLocksOnlyItsRows).
func TestPurgeDeleteLocksOnlyItsRows(t *testing.T) {
	schema, u := freshSchema(t)
	s := open(t, u)
	storetest.DeleteLocksOnlyItsRows(t, s, func(ids []string) func() error {
		tx, err := admin(t).Begin(t.Context())
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { tx.Rollback(context.Background()) })
		text, args, err := sqltext.PostgresPurge.DeleteArchive(storetest.PurgeApp, ids)
		if err != nil {
			t.Fatal(err)
		}
		tag, err := tx.Exec(t.Context(), strings.Replace(text, "callback_events", schema+".callback_events", 1), args...)
		if err != nil {
			t.Fatal(err)
		}
		if tag.RowsAffected() != int64(len(ids)) {
			t.Fatalf("the DELETE removed %d rows, want %d", tag.RowsAffected(), len(ids))
		}
		return func() error { return tx.Commit(t.Context()) }
	}, nil)
}

// TestPurgeReadOnly: a read-only store lists (a dry run) but refuses to delete, before it
// sends anything, as it refuses Save.
func TestPurgeReadOnly(t *testing.T) {
	_, u := freshSchema(t)
	storetest.PurgeReadOnly(t, open(t, u), func() storetest.Backend { return openReadOnly(t, u) }, "postgres")
}
