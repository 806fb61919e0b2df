package sqlite

import (
	_ "embed"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"time"
)

// newFileImage is a whole database file as migrate leaves a new one once it is checkpointed:
// WAL mode, schema version 3 (version 1's tables and the steps to versions 2 and 3, the path
// every store takes), no rows. Open writes it into place when the database file does not exist
// yet, instead of switching an empty file to WAL and creating the tables statement by statement.
// Every cold start of a function instance with a SQLite store in its own /tmp creates its file,
// and the statements were about half of that open already with version 1's schema
// (docs/performance.md); version 3 runs about forty, and three reads of the archive. The image
// is 21 pages (the page version 1's archive table left free when the step to version 2 rebuilt
// it now holds a table of version 3), written at once. TestNewFileImage keeps it equal to what
// migrate creates: run `go test ./pkg/store/sqlite -run TestNewFileImage -update` after a schema
// change, or after an upgrade of SQLite changes the bytes it writes.
//
//go:embed schema_v3.db
var newFileImage []byte

// useNewFileImage lets the tests create new files with SQL statements, as migrate does for an
// empty file, to compare the two.
var useNewFileImage = true

// link is os.Link, replaceable in tests to play a file system without hard links.
var link = os.Link

// createFromImage puts newFileImage at path if nothing is there.
//
// The image is written to a new file beside path and hard-linked to path: link never replaces an
// existing file, so of several instances creating the same store at once one wins and the others
// find its file, and no process ever sees a partly written database at path. Unless the file is
// ephemeral, the image is fsynced before the link and the directory after it, so that a
// committed save never sits in a file whose name a crash could still take away.
//
// It steps aside, too, when a -wal, -shm or -journal file of an earlier database is still beside
// path (killed instances leave them, and removing the database alone does not): SQLite discards a
// leftover WAL or journal when it finds an empty database file, but would replay such a WAL over
// the image's pages.
//
// Whatever goes wrong (path exists, the directory is not writable, the file system has no hard
// links) leaves path as it was; Open then goes on as before, and SQLite creates
// the file and reports any error itself, with the messages users already know.
func createFromImage(path string, ephemeral bool) {
	for _, p := range []string{path, path + "-wal", path + "-shm", path + "-journal"} {
		if _, err := os.Lstat(p); !errors.Is(err, fs.ErrNotExist) {
			return // there is a file (or something we cannot see past): SQLite decides
		}
	}
	// O_EXCL on a name no one else uses: the process id and the time tell instances apart.
	tmp := fmt.Sprintf("%s.roomhook-new-%d-%d", path, os.Getpid(), time.Now().UnixNano())
	f, err := os.OpenFile(tmp, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o644)
	if err != nil {
		return
	}
	defer os.Remove(tmp) // after the link, path keeps the file
	_, err = f.Write(newFileImage)
	if err == nil && !ephemeral {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil || link(tmp, path) != nil {
		// Another instance linked its copy first (EEXIST), or the link failed: either way
		// SQLite takes it from here.
		return
	}
	if !ephemeral {
		syncDir(filepath.Dir(path))
	}
}

// syncDir makes a new directory entry durable. It is best effort: some file systems cannot
// sync a directory (SQLite ignores that failure too, for its journals), and the file's own
// content is already synced.
func syncDir(dir string) {
	d, err := os.Open(dir)
	if err != nil {
		return
	}
	_ = d.Sync()
	_ = d.Close()
}
