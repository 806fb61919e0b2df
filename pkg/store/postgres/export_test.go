package postgres

import (
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgconn"

	"github.com/roomhook/roomhook/pkg/callback"
)

// PoolSettings is what a store's pool and connections were configured with.
type PoolSettings struct {
	MaxConns        int
	MaxConnIdleTime time.Duration
	MaxConnLifetime time.Duration
	PingTimeout     time.Duration
	ConnectTimeout  time.Duration
	// RuntimeParams are the run-time parameters every connection sends the server.
	RuntimeParams map[string]string
}

// PoolConfig returns the configuration the store's pool was built with.
func PoolConfig(s *Store) PoolSettings {
	return PoolSettings{
		MaxConns:        s.pool.cfg.maxConns,
		MaxConnIdleTime: s.pool.cfg.maxIdleTime,
		MaxConnLifetime: s.pool.cfg.maxLifetime,
		PingTimeout:     s.pool.cfg.pingTimeout,
		ConnectTimeout:  s.config.ConnectTimeout,
		RuntimeParams:   s.config.RuntimeParams,
	}
}

// PreparedStatements counts the named prepared statements on a connection of s's pool, as
// the server lists them.
func PreparedStatements(t *testing.T, s *Store) int64 {
	t.Helper()
	var n int64
	err := s.withConn(t.Context(), func(conn *pgconn.PgConn) error {
		return query(t.Context(), conn, `SELECT count(*) FROM pg_prepared_statements`, nil, nil,
			func(r *row) error { n = r.int8(); return nil })
	})
	if err != nil {
		t.Fatal(err)
	}
	return n
}

// RoomLock returns the two keys of the advisory lock Save takes for a room.
func RoomLock(app int64, room string) (classID, objID int32) { return roomLock(app, room) }

// MemberLocks returns the keys of the advisory locks Save takes for a room's members.
func MemberLocks(app int64, room string, members ...string) []int64 {
	return memberLocks(app, room, members)
}

// SchemaLockKey is the advisory lock key that serialises schema creation and migration.
const SchemaLockKey = schemaLockKey

// SetMigrateHook makes f see the name of each statement of the schema's creation and
// migration just before it runs, until the test ends. Tests that set it must not run in
// parallel with others that open stores.
func SetMigrateHook(t *testing.T, f func(step string)) {
	t.Helper()
	migrateHook = f
	t.Cleanup(func() { migrateHook = nil })
}

// OpenAtVersion opens a new schema the way Open creates one, but only up to version (the
// schema an earlier roomhook created, to test the migration from it), and closes the store
// when the test ends. version is below the current one; the schema must be empty.
func OpenAtVersion(t *testing.T, rawURL string, version int64) *Store {
	t.Helper()
	if version >= schemaVersion {
		t.Fatalf("OpenAtVersion(%d): the current version is %d, use Open", version, schemaVersion)
	}
	s, err := open(t.Context(), rawURL, Options{}, version)
	if err != nil {
		t.Fatalf("open at version %d: %v", version, err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

// SchemaVersion is the schema version this code creates.
const SchemaVersion = schemaVersion

// Archive inserts ev's archive row as Save would, without projecting it or taking any lock:
// what a roomhook version that did not project ev's command left in the archive. It returns
// the row's id, or 0 when the key was already archived.
func Archive(t *testing.T, s *Store, ev *callback.Event) (id int64) {
	t.Helper()
	err := s.withConn(t.Context(), func(conn *pgconn.PgConn) error {
		return query(t.Context(), conn, insertEventSQL+` RETURNING id`, eventParams(ev), nil, func(r *row) error {
			id = r.int8()
			return nil
		})
	})
	if err != nil {
		t.Fatalf("archive %s: %v", ev.Command, err)
	}
	return id
}
