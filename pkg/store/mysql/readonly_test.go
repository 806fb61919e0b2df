package mysql

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/roomhook/roomhook/pkg/callback"
	"github.com/roomhook/roomhook/pkg/store/storetest"
	"github.com/roomhook/roomhook/pkg/store/storetest/v1store"
)

// erReadOnlyTransaction is ER_CANT_EXECUTE_IN_READ_ONLY_TRANSACTION, MySQL's and MariaDB's.
const erReadOnlyTransaction = 1792

// openReadOnly opens storeURL read-only and closes the store when the test ends.
func openReadOnly(t *testing.T, storeURL string) *Store {
	t.Helper()
	s, err := Open(t.Context(), storeURL, Options{ReadOnly: true})
	if err != nil {
		t.Fatalf("Open(ReadOnly): %v", err)
	}
	t.Cleanup(func() {
		if err := s.Close(); err != nil {
			t.Errorf("Close: %v", err)
		}
	})
	return s
}

// refuseReadOnly opens storeURL read-only, expecting an error that is want; it returns the
// error.
func refuseReadOnly(t *testing.T, storeURL string, want error) error {
	t.Helper()
	s, err := Open(t.Context(), storeURL, Options{ReadOnly: true})
	if err == nil {
		s.Close()
		t.Fatalf("Open(ReadOnly) succeeded, want %v", want)
	}
	if !errors.Is(err, want) {
		t.Fatalf("Open(ReadOnly) = %v, want %v", err, want)
	}
	return err
}

// everything is the database name as it is: its shape (tables, columns, keys, checks) and
// every row of every table it has, whichever version made it.
func everything(t *testing.T, name string) string {
	t.Helper()
	db := adminDB(t, name)
	out := []string{shape(t, db, name)}
	for _, table := range dump(t, db, `SELECT TABLE_NAME FROM information_schema.TABLES WHERE TABLE_SCHEMA = ? ORDER BY 1`, name) {
		rows := dump(t, db, "SELECT * FROM `"+table+"`")
		slices.Sort(rows)
		for _, row := range rows {
			out = append(out, table+" | "+row)
		}
	}
	return strings.Join(out, "\n")
}

// TestReadOnlyReadsWhatWasSaved: a read-only store reads exactly what the function's store
// saved (rows, archive, listings), beside it, writes nothing, and the server refuses its Save.
func TestReadOnlyReadsWhatWasSaved(t *testing.T) {
	serverURL(t)
	u, name := newDatabase(t)
	w := openURL(t, u)
	const app = storetest.SeedSdkAppID
	rooms, deliveries := storetest.SaveLifecycle(t, w, app)
	want := storetest.Contents(t, w, app, rooms)
	before := everything(t, name)
	r := openReadOnly(t, u)
	if got := storetest.Contents(t, r, app, rooms); got != want {
		t.Errorf("the read-only store reads:\n%s\nwant:\n%s", got, want)
	}

	// A Save through it is refused by the server, its session being READ ONLY: a new room's,
	// a gift (no room lock), and one already archived.
	gift := storetest.SeedEvent()
	for _, ev := range deliveries {
		if ev.Command == callback.CommandLiveGift {
			gift = ev
			break
		}
	}
	if gift.Command != callback.CommandLiveGift {
		t.Fatal("setup: the story has no gift")
	}
	for _, ev := range []*callback.Event{storetest.SeedEvent(), gift, deliveries[0]} {
		o, err := r.Save(t.Context(), ev)
		if err == nil {
			t.Errorf("Save of %s through a read-only store = %v, nil; want an error", ev.Command, o)
			continue
		}
		if !isServerError(err, erReadOnlyTransaction) {
			t.Errorf("Save of %s through a read-only store: %v; want the server's error %d", ev.Command, err, erReadOnlyTransaction)
		}
	}
	if after := everything(t, name); after != before {
		t.Errorf("the database changed under a read-only store")
	}

	// The function's store goes on saving beside it, and the reader sees the save.
	if o, err := w.Save(t.Context(), storetest.SeedEvent()); err != nil || o != callback.OutcomeStored {
		t.Fatalf("Save beside a read-only store = %v, %v", o, err)
	}
	if _, err := callback.ReadRoom(t.Context(), r, app, storetest.SeedEvent().RoomID); err != nil {
		t.Errorf("the read-only store does not read a later save: %v", err)
	}
}

// TestReadOnlyMissing: a read-only open of an empty database, or of one whose roomhook_schema
// has no row (a first start that did not finish), is ErrNoSchema and creates nothing.
func TestReadOnlyMissing(t *testing.T) {
	serverURL(t)
	u, name := newDatabase(t)
	err := refuseReadOnly(t, u, callback.ErrNoSchema)
	if !strings.Contains(err.Error(), name) {
		t.Errorf("error %q does not name the database", err)
	}
	if tables := dump(t, adminDB(t, name), `SELECT TABLE_NAME FROM information_schema.TABLES WHERE TABLE_SCHEMA = ?`, name); len(tables) > 0 {
		t.Errorf("a read-only open of an empty database created %q", tables)
	}

	u, name = newDatabase(t)
	if _, err := adminDB(t, name).ExecContext(t.Context(), createVersionTable); err != nil {
		t.Fatal(err)
	}
	before := everything(t, name)
	refuseReadOnly(t, u, callback.ErrNoSchema)
	if after := everything(t, name); after != before {
		t.Errorf("a read-only open changed the database:\n%s\nwant:\n%s", after, before)
	}
}

// TestReadOnlyOlder: a store of an earlier schema version is refused with ErrSchemaOlder,
// saying which version it has, which this code reads and how to upgrade it, and is left as it
// was.
func TestReadOnlyOlder(t *testing.T) {
	serverURL(t)
	for _, v := range []int64{1, 2} {
		t.Run(fmt.Sprint("version ", v), func(t *testing.T) {
			u, name := newDatabase(t)
			if v == 1 {
				v1store.Write(t, u, v1App, v1store.Callbacks())
			} else {
				_, v2Events := v3Events(t, v3Callbacks(t))
				writeVersion2(t, name, v2Events)
			}
			db := adminDB(t, name)
			if got := schemaVersions(t, db); !slices.Equal(got, []int64{v}) {
				t.Fatalf("setup: roomhook_schema holds %v, want [%d]", got, v)
			}
			before := everything(t, name)
			err := refuseReadOnly(t, u, callback.ErrSchemaOlder)
			for _, want := range []string{
				fmt.Sprintf("version %d,", v),
				fmt.Sprintf("reads version %d", schemaVersion),
				"upgrade it by starting a function of this version or running scripts/migrate",
				name,
			} {
				if !strings.Contains(err.Error(), want) {
					t.Errorf("error %q does not say %q", err, want)
				}
			}
			if after := everything(t, name); after != before {
				t.Errorf("the version-%d database changed under a read-only open", v)
			}
		})
	}
}

// TestReadOnlyNewer: a store of a newer schema version is refused with ErrSchemaTooNew.
func TestReadOnlyNewer(t *testing.T) {
	serverURL(t)
	u, name := newDatabase(t)
	openURL(t, u)
	if _, err := adminDB(t, name).ExecContext(t.Context(), `INSERT INTO roomhook_schema (version) VALUES (4)`); err != nil {
		t.Fatal(err)
	}
	err := refuseReadOnly(t, u, ErrSchemaTooNew)
	if !strings.Contains(err.Error(), "version 4") {
		t.Errorf("error %q does not name the version found", err)
	}
}

// TestReadOnlyTakesNoLock: a read-only open reads the schema version without waiting for a
// transaction that holds roomhook_schema's rows (a cold start writing the version row), as
// its read locks nothing; and the read-only store's reads do not wait for a save's room lock.
func TestReadOnlyTakesNoLock(t *testing.T) {
	serverURL(t)
	u, name := newDatabase(t)
	w := openURL(t, u)
	if _, err := w.Save(t.Context(), storetest.SeedEvent()); err != nil {
		t.Fatal(err)
	}
	tx, err := adminDB(t, name).BeginTx(t.Context(), &sql.TxOptions{Isolation: sql.LevelReadCommitted})
	if err != nil {
		t.Fatal(err)
	}
	defer tx.Rollback()
	for _, stmt := range []string{
		`SELECT version FROM roomhook_schema FOR UPDATE`,
		`SELECT saves FROM roomhook_room_locks FOR UPDATE`,
		`UPDATE rooms SET room_name = 'uncommitted'`,
	} {
		if _, err := tx.ExecContext(t.Context(), stmt); err != nil {
			t.Fatalf("%s: %v", stmt, err)
		}
	}
	start := time.Now()
	ctx, cancel := context.WithTimeout(t.Context(), 2*time.Second)
	defer cancel()
	s, err := Open(ctx, u, Options{ReadOnly: true})
	if err != nil {
		t.Fatalf("read-only open while another transaction holds the schema's rows: %v", err)
	}
	defer s.Close()
	room, err := callback.ReadRoom(ctx, s, storetest.SeedSdkAppID, storetest.SeedEvent().RoomID)
	if err != nil {
		t.Fatalf("ReadRoom while another transaction holds the room: %v", err)
	}
	if room.Info.RoomName == nil || *room.Info.RoomName == "uncommitted" {
		t.Errorf("the read-only store reads room name %v, want the committed one", room.Info.RoomName)
	}
	if d := time.Since(start); d > time.Second {
		t.Errorf("the read-only open and read took %v: they waited for a lock", d)
	}
}
