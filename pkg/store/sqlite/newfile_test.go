package sqlite_test

import (
	"bytes"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"testing"

	"github.com/roomhook/roomhook/pkg/callback"
	"github.com/roomhook/roomhook/pkg/store/sqlite"
	"github.com/roomhook/roomhook/pkg/store/storetest"
)

// imageFile is the embedded image of a new store (newfile.go), named after its schema version.
const imageFile = "schema_v3.db"

var update = flag.Bool("update", false, "rewrite "+imageFile+" from what migrate creates")

// sqlCreated creates a store file with SQL statements, as migrate does for an empty file, and
// returns its bytes once closed (checkpointed, WAL removed).
func sqlCreated(t *testing.T) []byte {
	t.Helper()
	path := filepath.Join(t.TempDir(), "sql.db")
	var err error
	sqlite.WithSQL(func() {
		var s *sqlite.Store
		if s, err = sqlite.Open(t.Context(), path, sqlite.Options{}); err == nil {
			err = s.Close()
		}
	})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(path + "-wal"); !os.IsNotExist(err) {
		t.Fatalf("the WAL is still there after Close (%v): the file is not complete on its own", err)
	}
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// TestNewFileImage keeps the embedded image of a new store equal, byte for byte, to the file
// the SQL statements create (the DDL path every store takes: version 1's tables and the steps
// to the current version), and checks it is a sound WAL-mode database at the current version
// with every table.
func TestNewFileImage(t *testing.T) {
	want := sqlCreated(t)
	if *update {
		if err := os.WriteFile(imageFile, want, 0o644); err != nil {
			t.Fatal(err)
		}
		t.Logf("wrote %s (%d bytes)", imageFile, len(want))
		return
	}
	if !bytes.Equal(sqlite.NewFileImage, want) {
		t.Fatalf("%s (%d bytes) is not what migrate creates (%d bytes); after a schema or SQLite "+
			"change run: go test ./pkg/store/sqlite -run TestNewFileImage -update", imageFile, len(sqlite.NewFileImage), len(want))
	}
	path := filepath.Join(t.TempDir(), "copy.db")
	if err := os.WriteFile(path, sqlite.NewFileImage, 0o644); err != nil {
		t.Fatal(err)
	}
	db := rawDB(t, path)
	var check, mode string
	if err := db.QueryRow(`PRAGMA integrity_check`).Scan(&check); err != nil || check != "ok" {
		t.Errorf("integrity_check = %q, %v", check, err)
	}
	if err := db.QueryRow(`PRAGMA journal_mode`).Scan(&mode); err != nil || mode != "wal" {
		t.Errorf("journal_mode = %q, %v; want wal", mode, err)
	}
	if v := version(t, db); v != sqlite.SchemaVersion {
		t.Errorf("the image is at schema version %d, want %d", v, sqlite.SchemaVersion)
	}
	checkTables(t, db)
}

// mode is the permission bits of the file at path.
func mode(t *testing.T, path string) os.FileMode {
	t.Helper()
	fi, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	return fi.Mode().Perm()
}

// sqlCreatedMode is the mode SQLite gives a database file it creates (under this umask).
func sqlCreatedMode(t *testing.T) os.FileMode {
	t.Helper()
	path := filepath.Join(t.TempDir(), "sql.db")
	var err error
	sqlite.WithSQL(func() {
		var s *sqlite.Store
		if s, err = sqlite.Open(t.Context(), path, sqlite.Options{}); err == nil {
			err = s.Close()
		}
	})
	if err != nil {
		t.Fatal(err)
	}
	return mode(t, path)
}

// leftovers lists what is in dir besides the database and SQLite's -wal and -shm files.
func leftovers(t *testing.T, dir, name string) []string {
	t.Helper()
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	var extra []string
	for _, e := range entries {
		if n := e.Name(); n != name && n != name+"-wal" && n != name+"-shm" {
			extra = append(extra, n)
		}
	}
	return extra
}

// TestOpenNewFileFromImage checks that Open puts the image in place for a file that does not
// exist (the file holds exactly the image until the first save), leaves nothing else behind,
// and that the store works, durable or ephemeral.
func TestOpenNewFileFromImage(t *testing.T) {
	for _, ephemeral := range []bool{false, true} {
		t.Run(fmt.Sprint("ephemeral=", ephemeral), func(t *testing.T) {
			dir := t.TempDir()
			path := filepath.Join(dir, "r.db")
			s, err := sqlite.Open(t.Context(), path, sqlite.Options{Ephemeral: ephemeral})
			if err != nil {
				t.Fatal(err)
			}
			defer s.Close()
			if b, err := os.ReadFile(path); err != nil || !bytes.Equal(b, sqlite.NewFileImage) {
				t.Fatalf("the new file is not the image (%d bytes, %v)", len(b), err)
			}
			if got, want := mode(t, path), sqlCreatedMode(t); got != want {
				t.Errorf("file mode %v, want %v as SQLite creates it", got, want)
			}
			if o, err := s.Save(t.Context(), storetest.SeedEvent()); err != nil || o != callback.OutcomeStored {
				t.Fatalf("Save = %v, %v", o, err)
			}
			if _, err := callback.ReadRoom(t.Context(), s, storetest.SeedSdkAppID, storetest.SeedEvent().RoomID); err != nil {
				t.Fatal(err)
			}
			if extra := leftovers(t, dir, "r.db"); len(extra) > 0 {
				t.Errorf("Open left %q behind", extra)
			}
		})
	}
}

// TestOpenNewFileWithoutHardLinks checks the way back when the image cannot be linked into
// place: SQLite creates the file and the schema as it always did, and no temporary file stays.
func TestOpenNewFileWithoutHardLinks(t *testing.T) {
	sqlite.NoHardLinks(t)
	dir := t.TempDir()
	s := open(t, filepath.Join(dir, "r.db"))
	if b, err := os.ReadFile(filepath.Join(dir, "r.db")); err == nil && bytes.Equal(b, sqlite.NewFileImage) {
		t.Fatal("the image was put in place although links fail")
	}
	if o, err := s.Save(t.Context(), storetest.SeedEvent()); err != nil || o != callback.OutcomeStored {
		t.Fatalf("Save = %v, %v", o, err)
	}
	if extra := leftovers(t, dir, "r.db"); len(extra) > 0 {
		t.Errorf("Open left %q behind", extra)
	}
}

// TestOpenNewFileBesideStaleWAL: a database removed while the -wal and -shm files of a killed
// instance stayed beside it. The new store must start empty and sound: SQLite drops a leftover
// WAL when it finds an empty database file, and the image must not be put where that WAL would be
// replayed over it.
func TestOpenNewFileBesideStaleWAL(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "r.db")
	runKilledInstance(t, path, "old-room", true)
	if _, err := os.Stat(path + "-wal"); err != nil {
		t.Fatalf("setup: the killed instance left no WAL: %v", err)
	}
	if err := os.Remove(path); err != nil {
		t.Fatal(err)
	}
	s := open(t, path)
	if evs, err := s.Events(t.Context(), storetest.SeedSdkAppID); err != nil || len(evs) != 0 {
		t.Fatalf("the new store holds %d events, %v; want none", len(evs), err)
	}
	if o, err := s.Save(t.Context(), storetest.SeedEvent()); err != nil || o != callback.OutcomeStored {
		t.Fatalf("Save = %v, %v", o, err)
	}
	var check string
	if err := rawDB(t, path).QueryRow(`PRAGMA integrity_check`).Scan(&check); err != nil || check != "ok" {
		t.Errorf("integrity_check = %q, %v", check, err)
	}
}

// TestOpenEmptyFileCreatesSchema: a file that exists but is empty is a new database to SQLite;
// Open creates the schema in it with SQL (the image is only for a path with no file).
func TestOpenEmptyFileCreatesSchema(t *testing.T) {
	path := filepath.Join(t.TempDir(), "r.db")
	if err := os.WriteFile(path, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	s := open(t, path)
	if o, err := s.Save(t.Context(), storetest.SeedEvent()); err != nil || o != callback.OutcomeStored {
		t.Fatalf("Save = %v, %v", o, err)
	}
	if fi, err := os.Stat(path); err != nil || fi.Mode().Perm() != 0o600 {
		t.Errorf("file mode %v, %v: Open replaced the user's file", fi.Mode(), err)
	}
}

// TestOpenNewFileRace opens one new path from several stores at once, as instances starting
// together on a shared file system would: one image wins (the file is the image until the
// first save), every store opens it, the event is stored once, and no temporary file stays.
func TestOpenNewFileRace(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "r.db")
	const n = 8
	stores, ok := storetest.OpenTogether(t, n, func() (*sqlite.Store, error) {
		return sqlite.Open(t.Context(), path, sqlite.Options{})
	})
	if !ok {
		return
	}
	if b, err := os.ReadFile(path); err != nil || !bytes.Equal(b, sqlite.NewFileImage) {
		t.Fatalf("the file is not the image (%d bytes, %v)", len(b), err)
	}

	counts := storetest.SaveTogether(t, n, func(i int) (callback.Outcome, error) {
		return stores[i].Save(t.Context(), storetest.SeedEvent())
	})
	if counts[callback.OutcomeStored] != 1 || counts[callback.OutcomeDuplicate] != n-1 {
		t.Errorf("outcomes %v, want one stored and %d duplicates", counts, n-1)
	}
	if extra := leftovers(t, dir, "r.db"); len(extra) > 0 {
		t.Errorf("left behind: %q", extra)
	}
}
