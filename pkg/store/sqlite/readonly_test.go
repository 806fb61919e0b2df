package sqlite_test

import (
	"context"
	"crypto/sha256"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/roomhook/roomhook/pkg/callback"
	"github.com/roomhook/roomhook/pkg/store/sqlite"
	"github.com/roomhook/roomhook/pkg/store/storetest"
)

// openReadOnly opens path read-only and closes the store when the test ends.
func openReadOnly(t *testing.T, path string) *sqlite.Store {
	t.Helper()
	s, err := sqlite.Open(t.Context(), path, sqlite.Options{ReadOnly: true})
	if err != nil {
		t.Fatalf("Open(%q, ReadOnly): %v", path, err)
	}
	t.Cleanup(func() {
		if err := s.Close(); err != nil {
			t.Errorf("Close: %v", err)
		}
	})
	return s
}

// refuseReadOnly opens path read-only, expecting an error that is want; it returns the error.
func refuseReadOnly(t *testing.T, path string, want error) error {
	t.Helper()
	s, err := sqlite.Open(t.Context(), path, sqlite.Options{ReadOnly: true})
	if err == nil {
		s.Close()
		t.Fatalf("Open(%q, ReadOnly) succeeded, want %v", path, want)
	}
	if !errors.Is(err, want) {
		t.Fatalf("Open(%q, ReadOnly) = %v, want %v", path, err, want)
	}
	return err
}

// fileDigest is the SHA-256 of the file at path, or "absent".
func fileDigest(t *testing.T, path string) string {
	t.Helper()
	b, err := os.ReadFile(path)
	if errors.Is(err, os.ErrNotExist) {
		return "absent"
	}
	if err != nil {
		t.Fatal(err)
	}
	return fmt.Sprintf("%x", sha256.Sum256(b))
}

// dirNames lists the names in dir.
func dirNames(t *testing.T, dir string) []string {
	t.Helper()
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, e := range entries {
		names = append(names, e.Name())
	}
	return names
}

// TestReadOnlyReadsWhatWasSaved: a read-only store reads exactly what the function's store
// saved (rows, archive, listings), while that store is open and after it closed, and the
// database file is not written.
func TestReadOnlyReadsWhatWasSaved(t *testing.T) {
	path := filepath.Join(t.TempDir(), "r.db")
	w, err := sqlite.Open(t.Context(), path, sqlite.Options{})
	if err != nil {
		t.Fatal(err)
	}
	const app = storetest.SeedSdkAppID
	rooms, _ := storetest.SaveLifecycle(t, w, app)
	want := storetest.Contents(t, w, app, rooms)
	if !strings.Contains(want, "gifts") || len(rooms) < 2 {
		t.Fatalf("setup: the story has %d rooms", len(rooms))
	}

	// The function's store still open, its last saves in the WAL.
	r, err := sqlite.Open(t.Context(), path, sqlite.Options{ReadOnly: true})
	if err != nil {
		t.Fatal(err)
	}
	if got := storetest.Contents(t, r, app, rooms); got != want {
		t.Errorf("read-only while the writer is open reads:\n%s\nwant:\n%s", got, want)
	}
	if err := r.Close(); err != nil {
		t.Fatal(err)
	}
	// The last connection to close, the writer copies the WAL into the file and removes it.
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(path + "-wal"); !errors.Is(err, os.ErrNotExist) {
		t.Fatalf("setup: the WAL is still there after the writer closed (%v)", err)
	}

	// Closed: everything is in the database file, which the reader must leave as it is.
	before := fileDigest(t, path)
	r, err = sqlite.Open(t.Context(), path, sqlite.Options{ReadOnly: true})
	if err != nil {
		t.Fatal(err)
	}
	if got := storetest.Contents(t, r, app, rooms); got != want {
		t.Errorf("read-only after the writer closed reads:\n%s\nwant:\n%s", got, want)
	}
	if err := r.Close(); err != nil {
		t.Fatal(err)
	}
	if after := fileDigest(t, path); after != before {
		t.Errorf("the database file changed under a read-only store")
	}
	// SQLite's reader makes an empty -wal (and a -shm) when there is none; it writes no frame.
	if got := fileDigest(t, path+"-wal"); got != "absent" && got != fmt.Sprintf("%x", sha256.Sum256(nil)) {
		t.Errorf("the read-only store wrote the WAL")
	}
}

// TestReadOnlyMissing: a read-only open of a file (or directory) that does not exist is
// ErrNoSchema naming the path, and creates nothing: no file from the new-file image, no
// temporary image, no -wal or -shm.
func TestReadOnlyMissing(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "r.db")
	err := refuseReadOnly(t, path, callback.ErrNoSchema)
	if !strings.Contains(err.Error(), path) {
		t.Errorf("error %q does not name the path", err)
	}
	if names := dirNames(t, dir); len(names) > 0 {
		t.Errorf("a read-only open of a missing file left %q behind", names)
	}

	missingDir := filepath.Join(dir, "no", "r.db")
	refuseReadOnly(t, missingDir, callback.ErrNoSchema)
	if names := dirNames(t, dir); len(names) > 0 {
		t.Errorf("a read-only open in a missing directory left %q behind", names)
	}
}

// TestReadOnlyEmpty: an empty file, a SQLite file with other tables and one whose
// roomhook_schema is empty hold no roomhook schema; each is left as it was.
func TestReadOnlyEmpty(t *testing.T) {
	t.Run("empty file", func(t *testing.T) {
		dir := t.TempDir()
		path := filepath.Join(dir, "r.db")
		if err := os.WriteFile(path, nil, 0o644); err != nil {
			t.Fatal(err)
		}
		// SQLite deletes a WAL it finds beside an empty database: a reader must not.
		if err := os.WriteFile(path+"-wal", []byte("left by someone"), 0o644); err != nil {
			t.Fatal(err)
		}
		refuseReadOnly(t, path, callback.ErrNoSchema)
		if fi, err := os.Stat(path); err != nil || fi.Size() != 0 {
			t.Errorf("the empty file after a read-only open: %v", err)
		}
		if b, err := os.ReadFile(path + "-wal"); err != nil || string(b) != "left by someone" {
			t.Errorf("the -wal beside the empty file after a read-only open: %q, %v", b, err)
		}
		if names := dirNames(t, dir); !slices.Equal(names, []string{"r.db", "r.db-wal"}) {
			t.Errorf("directory holds %q after a read-only open", names)
		}
	})
	for name, stmts := range map[string][]string{
		"other tables":           {`CREATE TABLE rooms (id INTEGER)`},
		"empty roomhook_schema":  {`CREATE TABLE roomhook_schema (version INTEGER NOT NULL)`},
		"no table, journal only": {`PRAGMA journal_mode = WAL`, `PRAGMA user_version = 1`},
	} {
		t.Run(name, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "r.db")
			db := rawDB(t, path)
			for _, stmt := range stmts {
				if _, err := db.Exec(stmt); err != nil {
					t.Fatalf("%s: %v", stmt, err)
				}
			}
			before := schemaOf(t, db)
			refuseReadOnly(t, path, callback.ErrNoSchema)
			if after := schemaOf(t, db); fmt.Sprint(after) != fmt.Sprint(before) {
				t.Errorf("schema after a read-only open:\n%v\nwant:\n%v", after, before)
			}
		})
	}
}

// TestReadOnlyOlder: a store of an earlier schema version is refused with ErrSchemaOlder,
// saying which version it has, which this code reads and how to upgrade it, and stays at its
// version, byte for byte.
func TestReadOnlyOlder(t *testing.T) {
	for _, v := range []int64{1, 2} {
		t.Run(fmt.Sprint("version ", v), func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "r.db")
			if v == 1 {
				writeV1(t, path) // the version-1 code's own store, with its archive and rooms
			} else {
				path = writeV2(t).path
			}
			before, wal := fileDigest(t, path), fileDigest(t, path+"-wal")
			err := refuseReadOnly(t, path, callback.ErrSchemaOlder)
			for _, want := range []string{
				fmt.Sprintf("version %d,", v),
				fmt.Sprintf("reads version %d", sqlite.SchemaVersion),
				"upgrade it by starting a function of this version or running scripts/migrate",
				path,
			} {
				if !strings.Contains(err.Error(), want) {
					t.Errorf("error %q does not say %q", err, want)
				}
			}
			if fileDigest(t, path) != before || fileDigest(t, path+"-wal") != wal {
				t.Errorf("the version-%d file or its WAL changed under a read-only open", v)
			}
			if got := version(t, rawDB(t, path)); got != v {
				t.Errorf("schema version %d after a read-only open, want %d", got, v)
			}
		})
	}
}

// TestReadOnlyNewer: a store of a newer schema version is refused with ErrSchemaTooNew.
func TestReadOnlyNewer(t *testing.T) {
	path := filepath.Join(t.TempDir(), "r.db")
	open(t, path)
	if _, err := rawDB(t, path).Exec(`UPDATE roomhook_schema SET version = 4`); err != nil {
		t.Fatal(err)
	}
	err := refuseReadOnly(t, path, sqlite.ErrSchemaTooNew)
	if !strings.Contains(err.Error(), "version 4") {
		t.Errorf("error %q does not name the version found", err)
	}
}

// TestReadOnlySaveFails: a Save through a read-only store fails and writes nothing.
func TestReadOnlySaveFails(t *testing.T) {
	path := filepath.Join(t.TempDir(), "r.db")
	w := open(t, path)
	if _, err := w.Save(t.Context(), storetest.SeedEvent()); err != nil {
		t.Fatal(err)
	}
	r := openReadOnly(t, path)
	before := storetest.Contents(t, w, storetest.SeedSdkAppID, []string{"tandy-test-rest", "other"})
	db, wal := fileDigest(t, path), fileDigest(t, path+"-wal")

	another := seedIn(t, "other", storetest.SeedEvent().EventTime)
	for _, ev := range []*callback.Event{another, storetest.SeedEvent()} {
		if o, err := r.Save(t.Context(), ev); err == nil {
			t.Errorf("Save of %s through a read-only store = %v, nil; want an error", ev.RoomID, o)
		}
	}
	if after := storetest.Contents(t, w, storetest.SeedSdkAppID, []string{"tandy-test-rest", "other"}); after != before {
		t.Errorf("a read-only Save changed the store:\n%s\nwant:\n%s", after, before)
	}
	if fileDigest(t, path) != db || fileDigest(t, path+"-wal") != wal {
		t.Errorf("a read-only Save wrote the database or its WAL")
	}
}

// TestReadOnlyKilledWriter: a file whose last saves are in the -wal of killed function
// instances reads them, with the -shm those left or without one (a copy of the file and its
// WAL), and neither the database nor the WAL is checkpointed, trimmed or written.
func TestReadOnlyKilledWriter(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "r.db")
	rooms := []string{"killed-0", "killed-1", "killed-2"}
	for _, room := range rooms {
		runKilledInstance(t, path, room, false)
	}
	for _, suffix := range []string{"-wal", "-shm"} {
		if fi, err := os.Stat(path + suffix); err != nil || fi.Size() == 0 {
			t.Fatalf("setup: the killed instances left no %s (%v)", suffix, err)
		}
	}
	copyFile := func(from, to string) {
		b, err := os.ReadFile(from)
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(to, b, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	// The database file alone holds none of those saves: they are in the WAL only.
	alone := filepath.Join(t.TempDir(), "alone.db")
	copyFile(path, alone)
	if evs, err := openReadOnly(t, alone).Events(t.Context(), storetest.SeedSdkAppID); err != nil || len(evs) != 0 {
		t.Fatalf("setup: the database file without its WAL holds %d events (%v), want none", len(evs), err)
	}
	withWAL := filepath.Join(t.TempDir(), "copy.db")
	copyFile(path, withWAL)
	copyFile(path+"-wal", withWAL+"-wal")

	for _, p := range []string{path, withWAL} {
		db, wal := fileDigest(t, p), fileDigest(t, p+"-wal")
		r, err := sqlite.Open(t.Context(), p, sqlite.Options{ReadOnly: true})
		if err != nil {
			t.Fatal(err)
		}
		for _, room := range rooms {
			if _, err := callback.ReadRoom(t.Context(), r, storetest.SeedSdkAppID, room); err != nil {
				t.Errorf("%s: room %s saved by a killed instance: %v", filepath.Base(p), room, err)
			}
		}
		if evs, err := r.Events(t.Context(), storetest.SeedSdkAppID); err != nil || len(evs) != len(rooms) {
			t.Errorf("%s: Events = %d, %v; want %d", filepath.Base(p), len(evs), err, len(rooms))
		}
		if err := r.Close(); err != nil {
			t.Fatal(err)
		}
		if fileDigest(t, p) != db || fileDigest(t, p+"-wal") != wal {
			t.Errorf("%s: the read-only store wrote the database or its WAL", filepath.Base(p))
		}
	}
}

// TestReadOnlyNoWALTrim: a WAL past the size a normal open trims is left as it is.
func TestReadOnlyNoWALTrim(t *testing.T) {
	path := filepath.Join(t.TempDir(), "r.db")
	w := open(t, path) // kept open: closing it would checkpoint the WAL away
	for i := 0; ; i++ {
		fi, err := os.Stat(path + "-wal")
		if err != nil {
			t.Fatal(err)
		}
		if fi.Size() > 2*sqlite.WALTrimBytes {
			break
		}
		if _, err := w.Save(t.Context(), seedIn(t, fmt.Sprint("room-", i), storetest.SeedEvent().EventTime)); err != nil {
			t.Fatal(err)
		}
	}
	db, wal := fileDigest(t, path), fileDigest(t, path+"-wal")
	r := openReadOnly(t, path)
	if _, err := callback.ReadRoom(t.Context(), r, storetest.SeedSdkAppID, "room-0"); err != nil {
		t.Fatal(err)
	}
	if err := r.Close(); err != nil {
		t.Fatal(err)
	}
	if fileDigest(t, path) != db || fileDigest(t, path+"-wal") != wal {
		t.Errorf("a read-only open checkpointed or trimmed the WAL")
	}
}

// TestReadOnlyWhileWriting: a read-only store reads while other processes write the file: it
// opens and reads while another connection holds the write lock with an uncommitted row
// (which it does not see), and while function instances in other processes save one after
// another it keeps reading, never fewer events than before, and finally all of them.
func TestReadOnlyWhileWriting(t *testing.T) {
	path := filepath.Join(t.TempDir(), "r.db")
	w := open(t, path)
	if _, err := w.Save(t.Context(), storetest.SeedEvent()); err != nil {
		t.Fatal(err)
	}
	conn, err := rawDB(t, path).Conn(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	if _, err := conn.ExecContext(t.Context(), `BEGIN IMMEDIATE`); err != nil {
		t.Fatal(err)
	}
	if _, err := conn.ExecContext(t.Context(),
		`INSERT INTO callback_events (sdk_app_id, callback_command, client_ip, opt_platform, request_id, received_at, raw_body, body_sha256)
		 VALUES (?, 'Other.Command', '', '', 'uncommitted', 0, x'7b7d', ?)`, storetest.SeedSdkAppID, sha256Hex("{}")); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(t.Context(), time.Second)
	defer cancel()
	r, err := sqlite.Open(ctx, path, sqlite.Options{ReadOnly: true})
	if err != nil {
		t.Fatalf("read-only open while another connection holds the write lock: %v", err)
	}
	defer r.Close()
	if evs, err := r.Events(ctx, storetest.SeedSdkAppID); err != nil || len(evs) != 1 {
		t.Errorf("Events while another connection writes = %d, %v; want the 1 committed", len(evs), err)
	}
	if _, err := conn.ExecContext(t.Context(), `ROLLBACK`); err != nil {
		t.Fatal(err)
	}

	// Function instances in other processes save one room each, one after another.
	const instances = 8
	done := make(chan error, 1)
	go func() {
		for i := range instances {
			cmd := exec.CommandContext(t.Context(), os.Args[0], "-test.run=^$")
			cmd.Env = append(os.Environ(), fmt.Sprintf("%s=%s|writer-%d|false", killedInstanceEnv, path, i),
				"GORACE=atexit_sleep_ms=0")
			if out, err := cmd.CombinedOutput(); err != nil {
				done <- fmt.Errorf("instance %d: %v\n%s", i, err, out)
				return
			}
		}
		done <- nil
	}()
	seen, reads := 1, 0
	for finished := false; !finished; {
		select {
		case err := <-done:
			if err != nil {
				t.Fatal(err)
			}
			finished = true
		default:
		}
		evs, err := r.Events(t.Context(), storetest.SeedSdkAppID)
		if err != nil {
			t.Fatalf("Events while other processes write: %v", err)
		}
		if len(evs) < seen {
			t.Fatalf("Events went from %d to %d", seen, len(evs))
		}
		seen = len(evs)
		reads++
	}
	if seen != 1+instances {
		t.Errorf("after the writers: %d events, want %d", seen, 1+instances)
	}
	// A store opened now, beside the writer still open, reads the same.
	if got, want := storetest.Contents(t, openReadOnly(t, path), storetest.SeedSdkAppID, nil), storetest.Contents(t, w, storetest.SeedSdkAppID, nil); got != want {
		t.Errorf("a new read-only store reads:\n%s\nwant:\n%s", got, want)
	}
	t.Logf("%d reads while %d instances saved", reads, instances)
}

// TestReadOnlyOddFileName: the read-only DSN escapes the path as a writer's does, so that a
// name holding URI syntax ("?mode=rwc", "#") stays a name and cannot turn the connection
// writable.
func TestReadOnlyOddFileName(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "r?mode=rwc#1.db")
	w := open(t, path)
	if _, err := w.Save(t.Context(), storetest.SeedEvent()); err != nil {
		t.Fatal(err)
	}
	r := openReadOnly(t, path)
	if _, err := callback.ReadRoom(t.Context(), r, storetest.SeedSdkAppID, "tandy-test-rest"); err != nil {
		t.Fatal(err)
	}
	if o, err := r.Save(t.Context(), seedIn(t, "other", storetest.SeedEvent().EventTime)); err == nil {
		t.Errorf("Save through a read-only store of %q = %v, nil; want an error", path, o)
	}
	for _, name := range dirNames(t, dir) {
		if !strings.HasPrefix(name, "r?mode=rwc#1.db") {
			t.Errorf("directory holds %q", name)
		}
	}
}
