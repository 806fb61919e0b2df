package mysql

import (
	"testing"

	"github.com/roomhook/roomhook/pkg/store/internal/sqltext"
	"github.com/roomhook/roomhook/pkg/store/storetest"
)

// MySQL's purge beyond the conformance suite: the row ids and errors storetest.PurgeByRowID
// holds the SQL backends to, the InnoDB locks a Delete takes at READ COMMITTED, and a store on
// a READ ONLY session.

func TestPurgeByRowID(t *testing.T) {
	serverURL(t)
	storetest.PurgeByRowID(t, func(t *testing.T) storetest.Backend {
		s, _ := open(t)
		return s
	}, "mysql", sqltext.MaxDeleteIDs)
}

// TestPurgeDeleteLocksOnlyItsRows: Delete's statement, left uncommitted at the store's READ
// COMMITTED, holds up only a re-delivery of a row it deletes (storetest.DeleteLocksOnlyItsRows);
// no save beside it waited for a lock and was run again.
func TestPurgeDeleteLocksOnlyItsRows(t *testing.T) {
	s, name := open(t)
	storetest.DeleteLocksOnlyItsRows(t, s, func(ids []string) func() error {
		conn, err := adminDB(t, name).Conn(t.Context())
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { conn.Close() })
		if _, err := conn.ExecContext(t.Context(), setReadCommittedSQL); err != nil {
			t.Fatal(err)
		}
		tx, err := conn.BeginTx(t.Context(), nil)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { tx.Rollback() })
		text, args, err := sqltext.MySQLPurge.DeleteArchive(storetest.PurgeApp, ids)
		if err != nil {
			t.Fatal(err)
		}
		if res, err := tx.ExecContext(t.Context(), text, args...); err != nil {
			t.Fatal(err)
		} else if n, _ := res.RowsAffected(); n != int64(len(ids)) {
			t.Fatalf("the DELETE removed %d rows, want %d", n, len(ids))
		}
		return tx.Commit
	}, func() {
		if s.retries.Load() != 0 {
			t.Errorf("%d saves were run again: they waited for a lock", s.retries.Load())
		}
	})
}

// TestPurgeReadOnly: a read-only store lists (a dry run) but deletes nothing: the server
// refuses the write on its READ ONLY session.
func TestPurgeReadOnly(t *testing.T) {
	u, _ := newDatabase(t)
	storetest.PurgeReadOnly(t, openURL(t, u), func() storetest.Backend { return openReadOnly(t, u) }, "mysql")
}
