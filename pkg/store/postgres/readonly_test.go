package postgres_test

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/roomhook/roomhook/pkg/callback"
	"github.com/roomhook/roomhook/pkg/store/postgres"
	"github.com/roomhook/roomhook/pkg/store/storetest"
)

// openReadOnly opens rawURL read-only and closes the store when the test ends.
func openReadOnly(t *testing.T, rawURL string) *postgres.Store {
	t.Helper()
	s, err := postgres.Open(t.Context(), rawURL, postgres.Options{ReadOnly: true})
	if err != nil {
		t.Fatalf("Open(ReadOnly): %v", err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

// refuseReadOnly opens rawURL read-only, expecting an error that is want; it returns the error.
func refuseReadOnly(t *testing.T, rawURL string, want error) error {
	t.Helper()
	s, err := postgres.Open(t.Context(), rawURL, postgres.Options{ReadOnly: true})
	if err == nil {
		s.Close()
		t.Fatalf("Open(ReadOnly) succeeded, want %v", want)
	}
	if !errors.Is(err, want) {
		t.Fatalf("Open(ReadOnly) = %v, want %v", err, want)
	}
	return err
}

// relations lists the tables, sequences and other relations of schema.
func relations(t *testing.T, schema string) []string {
	t.Helper()
	rows, err := admin(t).Query(t.Context(), `SELECT c.relname FROM pg_catalog.pg_class c
		JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace WHERE n.nspname = $1 ORDER BY 1`, schema)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	var names []string
	for rows.Next() {
		var name string
		if err := rows.Scan(&name); err != nil {
			t.Fatal(err)
		}
		names = append(names, name)
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	return names
}

// TestReadOnlyReadsWhatWasSaved: a read-only store reads exactly what the function's store
// saved (rows, archive, listings), beside it, and writes nothing.
func TestReadOnlyReadsWhatWasSaved(t *testing.T) {
	schema, u := freshSchema(t)
	w := open(t, u)
	const app = storetest.SeedSdkAppID
	rooms, _ := storetest.SaveLifecycle(t, w, app)
	want := storetest.Contents(t, w, app, rooms)
	before := schemaDigest(t, schema)
	r := openReadOnly(t, u)
	if got := storetest.Contents(t, r, app, rooms); got != want {
		t.Errorf("the read-only store reads:\n%s\nwant:\n%s", got, want)
	}
	if after := schemaDigest(t, schema); after != before {
		t.Errorf("the schema changed under a read-only store:\n got %s\nwant %s", after, before)
	}
	// The function's store goes on saving beside it, and the reader sees the save.
	ev := createEvent(t, app, "after-the-reader", t0, "later")
	if o, err := w.Save(t.Context(), ev); err != nil || o != callback.OutcomeStored {
		t.Fatalf("Save beside a read-only store = %v, %v", o, err)
	}
	if _, err := callback.ReadRoom(t.Context(), r, app, "after-the-reader"); err != nil {
		t.Errorf("the read-only store does not read a later save: %v", err)
	}
	// A Save through the read-only store is refused and writes nothing.
	before = schemaDigest(t, schema)
	if o, err := r.Save(t.Context(), createEvent(t, app, "through-the-reader", t0, "refused")); err == nil ||
		!strings.Contains(err.Error(), "read-only") {
		t.Errorf("Save through a read-only store = %v, %v; want refused", o, err)
	}
	if after := schemaDigest(t, schema); after != before {
		t.Errorf("a refused Save changed the schema:\n got %s\nwant %s", after, before)
	}
}

// TestReadOnlyMissing: a read-only open of a schema without roomhook's tables, or of a
// search_path naming no schema that exists, is ErrNoSchema and creates nothing.
func TestReadOnlyMissing(t *testing.T) {
	schema, u := freshSchema(t)
	err := refuseReadOnly(t, u, callback.ErrNoSchema)
	if !strings.Contains(err.Error(), schema) {
		t.Errorf("error %q does not name the schema it looked in", err)
	}
	if rels := relations(t, schema); len(rels) > 0 {
		t.Errorf("a read-only open of an empty schema created %q", rels)
	}

	missing := schema + "_missing"
	err = refuseReadOnly(t, withParams(t, u, "search_path", missing), callback.ErrNoSchema)
	if !strings.Contains(err.Error(), "no schema") {
		t.Errorf("error %q does not say that no schema of the search_path exists", err)
	}
	var exists bool
	if err := admin(t).QueryRow(t.Context(), `SELECT EXISTS (SELECT 1 FROM pg_catalog.pg_namespace WHERE nspname = $1)`,
		missing).Scan(&exists); err != nil || exists {
		t.Errorf("schema %s exists after a read-only open (%v)", missing, err)
	}

	// A roomhook_schema without a row: a first start that never finished, or not roomhook's.
	empty, ue := freshSchema(t)
	if _, err := admin(t).Exec(t.Context(), `CREATE TABLE `+empty+`.roomhook_schema (version INTEGER NOT NULL)`); err != nil {
		t.Fatal(err)
	}
	refuseReadOnly(t, ue, callback.ErrNoSchema)
	if rels := relations(t, empty); !slices.Equal(rels, []string{"roomhook_schema"}) {
		t.Errorf("schema holds %q after a read-only open, want roomhook_schema alone", rels)
	}
}

// TestReadOnlyNoPassword: the schemas an ErrNoSchema names are masked where they hold the
// password, as in every message of the store.
func TestReadOnlyNoPassword(t *testing.T) {
	schema, u := freshSchema(t)
	pu, err := url.Parse(u)
	if err != nil {
		t.Fatal(err)
	}
	// The test server trusts its clients: the password is sent, or not, and never checked.
	pu.User = url.UserPassword(pu.User.Username(), schema)
	err = refuseReadOnly(t, pu.String(), callback.ErrNoSchema)
	if strings.Contains(err.Error(), schema) {
		t.Errorf("error %q holds the password", err)
	}
}

// TestReadOnlyOlder: a store of an earlier schema version is refused with ErrSchemaOlder,
// saying which version it has, which this code reads and how to upgrade it, and is left as it
// was.
func TestReadOnlyOlder(t *testing.T) {
	check := func(t *testing.T, err error, v int64) {
		t.Helper()
		for _, want := range []string{
			fmt.Sprintf("version %d,", v),
			fmt.Sprintf("reads version %d", postgres.SchemaVersion),
			"upgrade it by starting a function of this version or running scripts/migrate",
		} {
			if !strings.Contains(err.Error(), want) {
				t.Errorf("error %q does not say %q", err, want)
			}
		}
	}
	t.Run("version 1", func(t *testing.T) {
		schema, u := v1Schema(t)
		before := digests(t, schema)
		check(t, refuseReadOnly(t, u, callback.ErrSchemaOlder), 1)
		checkV1Intact(t, schema, before)
	})
	t.Run("version 2", func(t *testing.T) {
		schema, u, _, _, _ := v2Store(t, v2Story(t))
		before := schemaDigestV2(t, schema)
		check(t, refuseReadOnly(t, u, callback.ErrSchemaOlder), 2)
		if got := versions(t, schema); !slices.Equal(got, []int64{2}) {
			t.Errorf("roomhook_schema holds %v after a read-only open, want [2]", got)
		}
		if after := schemaDigestV2(t, schema); after != before {
			t.Errorf("the version-2 rows changed under a read-only open")
		}
		for _, table := range []string{"room_admins", "room_metadata", "battles", "gifts"} {
			if tableExists(t, schema, table) {
				t.Errorf("a read-only open of a version-2 store created %s", table)
			}
		}
	})
}

// TestReadOnlyNewer: a store of a newer schema version is refused with ErrSchemaTooNew.
func TestReadOnlyNewer(t *testing.T) {
	schema, u := freshSchema(t)
	open(t, u)
	if _, err := admin(t).Exec(t.Context(), `UPDATE `+schema+`.roomhook_schema SET version = 4`); err != nil {
		t.Fatal(err)
	}
	err := refuseReadOnly(t, u, postgres.ErrSchemaTooNew)
	if !strings.Contains(err.Error(), "version 4") {
		t.Errorf("error %q does not name the version found", err)
	}
}

// TestReadOnlyTakesNoSchemaLock: a read-only open does not wait for the schema lock a cold
// start creating or migrating the schema holds: it does not ask for it.
func TestReadOnlyTakesNoSchemaLock(t *testing.T) {
	_, u := freshSchema(t)
	open(t, u)
	tx, err := admin(t).Begin(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	defer tx.Rollback(context.Background())
	if _, err := tx.Exec(t.Context(), `SELECT pg_advisory_xact_lock($1::int8)`, postgres.SchemaLockKey); err != nil {
		t.Fatal(err)
	}
	start := time.Now()
	s, err := postgres.Open(t.Context(), u, postgres.Options{ReadOnly: true, Timeout: 3 * time.Second})
	if err != nil {
		t.Fatalf("read-only open while a cold start holds the schema lock: %v", err)
	}
	defer s.Close()
	if d := time.Since(start); d > 2*time.Second {
		t.Errorf("the read-only open took %v: it waited for the schema lock", d)
	}
	if _, err := s.Events(t.Context(), storetest.SeedSdkAppID); err != nil {
		t.Errorf("Events while the schema lock is held: %v", err)
	}
}
