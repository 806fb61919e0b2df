package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/roomhook/roomhook/pkg/callback"
	"github.com/roomhook/roomhook/pkg/store/internal/sqlrows"
)

// The store proves at compile time that it is a complete backend.
var (
	_ callback.Store  = (*Store)(nil)
	_ callback.Reader = (*Store)(nil)
)

// DefaultTimeout bounds Open when Options.Timeout is zero. Opening a local file and creating
// the tables takes milliseconds; the bound matters when another process holds a lock, and when
// a large older store is migrated (rebuilding the archive and refolding its rooms take
// seconds for a large archive, docs/performance.md; an open that ends first rolls the
// migration back, and the next one starts it over).
const DefaultTimeout = 5 * time.Second

// busyTimeoutMillis is how long one statement waits for another process's lock. The driver
// ends the wait early when the call's context is done, so a caller's deadline still wins.
const busyTimeoutMillis = 5000

// walAutoCheckpointPages bounds the WAL of a long-running process; see dataSourceName.
const walAutoCheckpointPages = 200

// walTrimBytes is the size of WAL file above which Open copies the WAL into the database and
// truncates it (trimWAL): about 32 frames of 4 KiB pages, six cold starts' worth of saves.
// Reading the WAL back costs every cold start a few microseconds per frame; trimming costs
// one fsync, paid by one cold start in six.
const walTrimBytes = 32 * (4096 + 24)

// walTrimWait bounds how long trimWAL waits for other connections to the file; trimming is
// housekeeping, and a cold start must not wait behind another process's long read.
const walTrimWait = 50 * time.Millisecond

// ErrSchemaTooNew is returned by Open when the file was written by a newer roomhook, whose
// schema this version does not know; writing to it could corrupt data the newer one relies on.
var ErrSchemaTooNew = errors.New("sqlite: schema version is newer than this roomhook supports")

// Options tunes Open. The zero value is ready to use.
type Options struct {
	// Timeout bounds Open: connecting, setting the journal mode and creating or migrating the
	// schema. Zero means DefaultTimeout. A deadline on Open's context applies too, whichever is
	// first.
	Timeout time.Duration
	// Ephemeral says the file dies with the machine it is on: a cloud function instance's
	// /tmp, discarded when the instance is recycled and never there after a host failure.
	// SQLite then makes no fsync at all (synchronous=OFF): what a commit wrote is in the
	// file for every later process as soon as the write returns, killed processes included
	// (SQLite's own guarantee for application crashes), and an fsync only guards against
	// the operating system or the machine failing, which take such a file with them. That takes
	// the WAL's fsync (and, once per process, the directory's) off every save
	// (docs/performance.md), and a new file is created without the fsyncs of its image and
	// directory (newfile.go). Leave it false for any file that outlives its instance (a
	// mounted CFS or EFS, a container volume, a local disk).
	Ephemeral bool
	// ReadOnly opens an existing store to read it (callback.Reader, callback.Lister), as the
	// operators' tools do: it creates nothing and migrates nothing. A store without roomhook's
	// schema is refused with callback.ErrNoSchema, one of an older version with
	// callback.ErrSchemaOlder, one of a newer version with ErrSchemaTooNew. Do not Save to it.
	ReadOnly bool
}

// Store is a callback.Store and callback.Reader on one SQLite file. It is safe for concurrent
// use; build it once per process and share it.
type Store struct {
	db   *sql.DB
	path string
	// abs and file are the database file as Open found it, so that Save notices the file
	// being removed, moved away or replaced while the store is open (see checkFile).
	abs  string
	file os.FileInfo
	// stmts are Save's statements, prepared once rather than parsed again for every callback:
	// re-parsing them was a measurable part of a warm Save (BenchmarkSave, docs/performance.md),
	// and a save runs five or more.
	stmts sqlrows.Statements
	// turn admits one save at a time to the file's one connection, in the order they came: the
	// pool hands a freed connection to a random waiter, which under a burst left some saves
	// waiting many times longer than the rest (docs/performance.md, "A popular room's burst").
	turn sqlrows.Turns
}

// Open opens the SQLite database at path, creating the file and the schema when they do not
// exist. The parent directory must exist: a store whose directory is missing is far more often
// a typo in the configuration than a wish to create directories.
//
// Open fails with ErrSchemaTooNew when the file carries a newer schema version than this code.
// With Options.ReadOnly it opens only an existing file at this code's version, and writes
// nothing (openReadOnly). Errors name the path and never anything else from the configuration.
func Open(ctx context.Context, path string, opts Options) (*Store, error) {
	if path == "" {
		return nil, errors.New("sqlite: empty database path")
	}
	dir := filepath.Dir(path)
	if fi, err := os.Stat(dir); err != nil {
		if errors.Is(err, os.ErrNotExist) {
			// Read-only, this is a store that does not exist, which a tool tells apart.
			if opts.ReadOnly {
				return nil, fmt.Errorf("sqlite: directory %q of database %q does not exist: %w", dir, path, callback.ErrNoSchema)
			}
			return nil, fmt.Errorf("sqlite: directory %q of database %q does not exist", dir, path)
		}
		return nil, fmt.Errorf("sqlite: database %q: %w", path, err)
	} else if !fi.IsDir() {
		return nil, fmt.Errorf("sqlite: %q, the directory of database %q, is not a directory", dir, path)
	}
	abs, err := filepath.Abs(path)
	if err != nil {
		return nil, fmt.Errorf("sqlite: database %q: %w", path, err)
	}

	timeout := opts.Timeout
	if timeout <= 0 {
		timeout = DefaultTimeout
	}
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	if opts.ReadOnly {
		return openReadOnly(ctx, path, abs)
	}

	if useNewFileImage {
		createFromImage(abs, opts.Ephemeral)
	}
	dsn := dataSourceName(abs, opts.Ephemeral)

	db, err := sql.Open("sqlite", dsn)
	if err != nil {
		return nil, fmt.Errorf("sqlite: open %q: %w", path, err)
	}
	// One connection: SQLite admits one writer per file, so more connections would only
	// contend for its lock inside this process. Waiting for the connection in database/sql
	// honours each call's context; other processes still read the file thanks to WAL.
	db.SetMaxOpenConns(1)
	db.SetMaxIdleConns(1)
	db.SetConnMaxLifetime(0)
	db.SetConnMaxIdleTime(0)

	s := &Store{db: db, path: path, abs: abs, turn: sqlrows.NewTurns(1)}
	if err := s.migrate(ctx); err != nil {
		db.Close()
		return nil, err
	}
	if s.file, err = os.Stat(abs); err != nil {
		db.Close()
		return nil, fmt.Errorf("sqlite: database %q: %w", path, err)
	}
	if err := s.trimWAL(ctx); err != nil {
		db.Close()
		return nil, err
	}
	if err := s.prepare(ctx); err != nil {
		db.Close()
		return nil, fmt.Errorf("sqlite: database %q: prepare: %w", path, err)
	}
	return s, nil
}

// openReadOnly opens the existing store at abs for Options.ReadOnly: it must not create the
// file (so neither the new-file image nor SQLite's own creation), change its schema, or
// checkpoint or trim its WAL, since the functions may be writing the file meanwhile.
//
// The connection is opened with mode=ro, so SQLite opens the database file read-only and
// refuses every write, a Save's included. It still reads the WAL like any reader: the rows a
// writer committed there, a killed function instance's too, and a writer at work in another
// process does not block it, nor it the writer. For that SQLite needs the WAL's shared-memory
// index: when the -wal and -shm files are missing (a store its last writer closed) it creates
// them empty beside the file, as every reader of a WAL database does (the sqlite3 shell
// included); they hold no data and the next writer uses them. The database file itself is
// never written.
//
// An empty file (0 bytes) is refused before SQLite sees it: SQLite would delete a -wal left
// beside it, which is no read.
func openReadOnly(ctx context.Context, path, abs string) (*Store, error) {
	fi, err := os.Stat(abs)
	switch {
	case errors.Is(err, os.ErrNotExist):
		return nil, fmt.Errorf("sqlite: database %q does not exist: %w", path, callback.ErrNoSchema)
	case err != nil:
		return nil, fmt.Errorf("sqlite: database %q: %w", path, err)
	case fi.IsDir():
		return nil, fmt.Errorf("sqlite: database %q is a directory", path)
	case fi.Size() == 0:
		return nil, fmt.Errorf("sqlite: database %q is an empty file: %w", path, callback.ErrNoSchema)
	}
	db, err := sql.Open("sqlite", readOnlyDataSourceName(abs))
	if err != nil {
		return nil, fmt.Errorf("sqlite: open %q: %w", path, err)
	}
	// One connection, as for a writer: a tool reads one query at a time, and each further
	// connection would only map the WAL index again.
	db.SetMaxOpenConns(1)
	db.SetMaxIdleConns(1)
	db.SetConnMaxLifetime(0)
	db.SetConnMaxIdleTime(0)

	// file is kept for checkFile, which only a Save (refused here) consults.
	s := &Store{db: db, path: path, abs: abs, file: fi, turn: sqlrows.NewTurns(1)}
	version, found, err := readVersion(ctx, db, path)
	if err == nil {
		err = s.checkReadable(version, found)
	}
	if err != nil {
		db.Close()
		return nil, err
	}
	return s, nil
}

// prepare prepares the archive insert, which every save runs. The projection's statements are
// prepared once a save has run them (sqlrows.Statements): a cold start that answers one callback
// compiles only what it runs, once, as it would unprepared.
func (s *Store) prepare(ctx context.Context) error {
	return s.stmts.Prepare(ctx, s.db, []string{insertEventSQL})
}

// trimWAL copies a large WAL into the database and truncates it to zero bytes.
//
// A function instance is killed, never closed, after its saves. The next instance to open the
// file reads every valid frame of the WAL back to rebuild its index, and after that rebuild
// SQLite counts none of those frames as copied to the database yet, so it cannot start the WAL
// over: the automatic checkpoint (wal_autocheckpoint) copies the frames again, but only a
// later write in the same process would rewind the WAL, and an instance that answers one
// callback and is killed never makes one. Left alone, the WAL grows by every instance's saves
// for ever, each cold start reads all of it, and each runs a checkpoint. A TRUNCATE checkpoint
// leaves nothing to read back.
//
// It is best effort: when another connection keeps the WAL busy beyond walTrimWait the WAL
// stays as it is, and a later cold start trims it.
func (s *Store) trimWAL(ctx context.Context) error {
	fi, err := os.Stat(s.abs + "-wal")
	if err != nil || fi.Size() <= walTrimBytes {
		return nil // no WAL (or none readable): nothing to trim
	}
	tctx, cancel := context.WithTimeout(ctx, walTrimWait)
	defer cancel()
	var busy, frames, copied int64
	err = s.db.QueryRowContext(tctx, `PRAGMA wal_checkpoint(TRUNCATE)`).Scan(&busy, &frames, &copied)
	if err != nil && tctx.Err() == nil {
		return fmt.Errorf("sqlite: checkpoint %q: %w", s.path, err)
	}
	return nil
}

// checkFile fails when the database file is no longer at its path: removed (or its directory
// removed), moved away or replaced since Open. SQLite goes on writing to the file it has open
// even when nothing can reach that file any more, so without this check Save would acknowledge
// events that are lost with the process. The store works again once the same file is back at
// its path; a new file there needs a new store (a new instance).
func (s *Store) checkFile() error {
	fi, err := os.Stat(s.abs)
	if err == nil && os.SameFile(fi, s.file) {
		return nil
	}
	why := "was replaced by another file"
	if err != nil {
		why = "is gone (removed, or moved away with its directory)"
	}
	return fmt.Errorf("database %q %s while the store had it open; "+
		"what is written now would be lost, so nothing is acknowledged until the file is back", s.path, why)
}

// dataSourceName builds the driver's DSN for the absolute path abs (fileURI).
//
// The options:
//   - _txlock=immediate: every transaction takes the write lock at BEGIN, so two writers never
//     both read and then fail to upgrade (SQLITE_BUSY mid-transaction cannot be retried);
//   - _busy_timeout: a statement waits for another process's lock instead of failing at once;
//   - _journal_mode=WAL: readers in other processes do not block the writer, nor it them;
//   - wal_autocheckpoint(walAutoCheckpointPages): the WAL is copied into the database once it
//     holds this many pages, which keeps the WAL of a long-running process (the web function)
//     small. It does not bound the WAL that killed function instances leave behind: trimWAL
//     does, at Open;
//   - synchronous(OFF), only for an ephemeral file (Options.Ephemeral): no fsync at all.
//
// Otherwise synchronous stays at SQLite's default (FULL): an event is on disk before it is
// acknowledged.
func dataSourceName(abs string, ephemeral bool) string {
	q := url.Values{}
	q.Set("_txlock", "immediate")
	q.Set("_busy_timeout", fmt.Sprint(busyTimeoutMillis))
	q.Set("_journal_mode", "WAL")
	q.Set("_pragma", fmt.Sprintf("wal_autocheckpoint(%d)", walAutoCheckpointPages))
	if ephemeral {
		q.Add("_pragma", "synchronous(OFF)")
	}
	return fileURI(abs) + "?" + q.Encode()
}

// readOnlyDataSourceName builds the DSN of a read-only store (openReadOnly): mode=ro, so that
// SQLite neither creates the file nor writes it, and the busy timeout, for the moments a reader
// waits on a writer (while the WAL index is rebuilt, or a checkpoint truncates the WAL). None of
// dataSourceName's other options: setting the journal mode writes the file, a reader runs no
// checkpoint and fsyncs nothing, and BEGIN IMMEDIATE would ask for the write lock.
func readOnlyDataSourceName(abs string) string {
	q := url.Values{}
	q.Set("mode", "ro")
	q.Set("_busy_timeout", fmt.Sprint(busyTimeoutMillis))
	return fileURI(abs) + "?" + q.Encode()
}

// fileURI is the file: URI of the absolute path abs, percent-escaped so that a '?' or '#' in
// a file name stays part of the name instead of starting the options.
func fileURI(abs string) string {
	p := filepath.ToSlash(abs)
	if !strings.HasPrefix(p, "/") {
		p = "/" + p // a Windows drive letter: file:///C:/...
	}
	return "file://" + (&url.URL{Path: p}).EscapedPath()
}

// Synchronous returns the connection's synchronous setting as SQLite reports it: 2 (FULL, an
// fsync per commit) unless the store was opened Ephemeral, 0 (OFF).
func (s *Store) Synchronous(ctx context.Context) (int, error) {
	var n int
	if err := s.db.QueryRowContext(ctx, `PRAGMA synchronous`).Scan(&n); err != nil {
		return 0, fmt.Errorf("sqlite: %q: synchronous: %w", s.path, err)
	}
	return n, nil
}

// Close releases the database connection. Saves still in flight finish first.
func (s *Store) Close() error {
	if err := s.db.Close(); err != nil {
		return fmt.Errorf("sqlite: close %q: %w", s.path, err)
	}
	return nil
}
