package sqlite_test

import (
	"bytes"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"sync"
	"testing"

	"github.com/roomhook/roomhook/pkg/callback"
	"github.com/roomhook/roomhook/pkg/store/sqlite"
	"github.com/roomhook/roomhook/pkg/store/storetest"
)

var update = flag.Bool("update", false, "rewrite schema_v1.db from what migrate creates")

// sqlCreated creates a store file with SQL statements, as migrate does for an empty file, and
// returns its bytes once closed (checkpointed, WAL removed).
func sqlCreated(t *testing.T) []byte {
	t.Helper()
	sqlite.CreateWithSQL(t)
	path := filepath.Join(t.TempDir(), "sql.db")
	s, err := sqlite.Open(t.Context(), path, sqlite.Options{})
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Close(); err != nil {
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
// the SQL statements create, and checks it is a sound WAL-mode database.
func TestNewFileImage(t *testing.T) {
	want := sqlCreated(t)
	if *update {
		if err := os.WriteFile("schema_v1.db", want, 0o644); err != nil {
			t.Fatal(err)
		}
		t.Logf("wrote schema_v1.db (%d bytes)", len(want))
		return
	}
	if !bytes.Equal(sqlite.NewFileImage, want) {
		t.Fatalf("schema_v1.db (%d bytes) is not what migrate creates (%d bytes); after a schema or SQLite "+
			"change run: go test ./pkg/store/sqlite -run TestNewFileImage -update", len(sqlite.NewFileImage), len(want))
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
			if fi, err := os.Stat(path); err != nil || fi.Mode().Perm()&0o600 != 0o600 {
				t.Errorf("file mode %v, %v: want it readable and writable by its owner", fi.Mode(), err)
			}
			if o, err := s.Save(t.Context(), storetest.SeedEvent()); err != nil || o != callback.OutcomeStored {
				t.Fatalf("Save = %v, %v", o, err)
			}
			if _, err := s.Room(t.Context(), storetest.SeedSdkAppID, storetest.SeedEvent().RoomID); err != nil {
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
// together on a shared file system would: one image wins, every store opens it, the event is
// stored once, and no temporary file stays.
func TestOpenNewFileRace(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "r.db")
	const n = 8
	var (
		wg       sync.WaitGroup
		start    = make(chan struct{})
		mu       sync.Mutex
		outcomes []callback.Outcome
	)
	for range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			<-start
			s, err := sqlite.Open(t.Context(), path, sqlite.Options{})
			if err != nil {
				t.Errorf("Open: %v", err)
				return
			}
			defer s.Close()
			o, err := s.Save(t.Context(), storetest.SeedEvent())
			if err != nil {
				t.Errorf("Save: %v", err)
				return
			}
			mu.Lock()
			outcomes = append(outcomes, o)
			mu.Unlock()
		}()
	}
	close(start)
	wg.Wait()
	counts := map[callback.Outcome]int{}
	for _, o := range outcomes {
		counts[o]++
	}
	if counts[callback.OutcomeStored] != 1 || counts[callback.OutcomeDuplicate] != n-1 {
		t.Errorf("outcomes %v, want one stored and %d duplicates", counts, n-1)
	}
	if extra := leftovers(t, dir, "r.db"); len(extra) > 0 {
		t.Errorf("left behind: %q", extra)
	}
}
