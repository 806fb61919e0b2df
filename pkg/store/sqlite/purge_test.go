package sqlite_test

import (
	"context"
	"path/filepath"
	"testing"
	"time"

	"github.com/roomhook/roomhook/pkg/store/internal/sqltext"
	"github.com/roomhook/roomhook/pkg/store/sqlite"
	"github.com/roomhook/roomhook/pkg/store/storetest"
)

// The archive retention's store side (callback.Purger) beyond the conformance suite: its ids
// and errors (storetest.PurgeByRowID), a Delete from another process beside saves, what the
// file's one write lock means for a Delete, a read-only store, and the plans of its statements.

// purgeStore opens a new store in a temporary directory, without fsyncs (the tests save
// thousands of events; what they check does not depend on durability), and returns its path.
func purgeStore(t *testing.T) (*sqlite.Store, string) {
	t.Helper()
	path := filepath.Join(t.TempDir(), "roomhook.db")
	return purgeOpen(t, path), path
}

// purgeOpen opens the store at path, closed when the test ends.
func purgeOpen(t *testing.T, path string) *sqlite.Store {
	t.Helper()
	s, err := sqlite.Open(t.Context(), path, sqlite.Options{Ephemeral: true})
	if err != nil {
		t.Fatalf("Open(%q): %v", path, err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

func TestPurgeByRowID(t *testing.T) {
	storetest.PurgeByRowID(t, func(t *testing.T) storetest.Backend {
		s, _ := purgeStore(t)
		return s
	}, "sqlite", sqltext.MaxDeleteIDs)
}

// TestPurgeDeleteBesideSaves: every other Delete through a second store on the file: another
// process, whose write lock the saves wait for within the busy timeout, and it for theirs.
func TestPurgeDeleteBesideSaves(t *testing.T) {
	s, path := purgeStore(t)
	storetest.DeleteBesideSaves(t, s, s, purgeOpen(t, path))
}

// TestPurgeDeleteWaitsForTheWriteLock: a Delete waits, as a save does, for another process
// holding the file's write lock, and then deletes; with a deadline shorter than that, it gives
// up and deletes nothing.
func TestPurgeDeleteWaitsForTheWriteLock(t *testing.T) {
	s, path := purgeStore(t)
	ids := storetest.SaveExpired(t, s, 2)

	other := rawDB(t, path)
	hold := func(d time.Duration) {
		t.Helper()
		conn, err := other.Conn(t.Context())
		if err != nil {
			t.Fatal(err)
		}
		if _, err := conn.ExecContext(t.Context(), "BEGIN IMMEDIATE"); err != nil {
			t.Fatal(err)
		}
		go func() {
			defer conn.Close()
			time.Sleep(d)
			conn.ExecContext(context.Background(), "COMMIT")
		}()
	}

	hold(2 * time.Second)
	ctx, cancel := context.WithTimeout(t.Context(), 200*time.Millisecond)
	defer cancel()
	if n, err := s.Delete(ctx, storetest.PurgeApp, ids[:1]); err == nil {
		t.Errorf("Delete while another process holds the write lock past its deadline = %d, nil", n)
	}
	time.Sleep(2 * time.Second) // the lock is released

	hold(300 * time.Millisecond)
	began := time.Now()
	if n, err := s.Delete(t.Context(), storetest.PurgeApp, ids); err != nil || n != 2 {
		t.Errorf("Delete after another process's 300 ms write = %d, %v; want 2", n, err)
	}
	if waited := time.Since(began); waited < 200*time.Millisecond {
		t.Errorf("Delete returned after %v, before the other process let go of the lock", waited)
	}
}

// TestPurgeReadOnly: a read-only store lists (a dry run) but deletes nothing.
func TestPurgeReadOnly(t *testing.T) {
	s, path := purgeStore(t)
	storetest.PurgeReadOnly(t, s, func() storetest.Backend { return openReadOnly(t, path) }, "sqlite")
}

// TestPurgeUsesThePrimaryKey: SQLite reads the archive by id for Expired and Delete (a range of
// the primary key, a look-up per id), not the app's whole range of the archive key's index,
// which its planner, without statistics, would otherwise choose (sqltext.SQLitePurge).
func TestPurgeUsesThePrimaryKey(t *testing.T) {
	_, path := purgeStore(t)
	db := rawDB(t, path)
	expired, args, err := sqltext.SQLitePurge.Expired(storetest.PurgeApp, storetest.PurgeCutoff, "1000", 500)
	if err != nil {
		t.Fatal(err)
	}
	del, delArgs, err := sqltext.SQLitePurge.DeleteArchive(storetest.PurgeApp, []string{"1", "5", "9"})
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		text string
		args []any
		want string
	}{
		{expired, args, "SEARCH callback_events USING INTEGER PRIMARY KEY (rowid>?)"},
		{del, delArgs, "SEARCH callback_events USING INTEGER PRIMARY KEY (rowid=?)"},
	} {
		rows, err := db.QueryContext(t.Context(), "EXPLAIN QUERY PLAN "+c.text, c.args...)
		if err != nil {
			t.Fatal(err)
		}
		var plan []string
		for rows.Next() {
			var id, parent, unused int
			var detail string
			if err := rows.Scan(&id, &parent, &unused, &detail); err != nil {
				t.Fatal(err)
			}
			plan = append(plan, detail)
		}
		rows.Close()
		if len(plan) != 1 || plan[0] != c.want {
			t.Errorf("the plan of %.40q… is %q; want [%q]", c.text, plan, c.want)
		}
	}
}
