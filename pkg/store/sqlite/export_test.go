package sqlite

import (
	"context"
	"errors"
	"testing"
)

// SchemaVersion is the version Open brings every store to.
const SchemaVersion = schemaVersion

// WALTrimBytes lets the tests state their bounds in terms of the threshold Open trims at.
const WALTrimBytes = walTrimBytes

// NewFileImage is the database file Open writes into place for a new store.
var NewFileImage = newFileImage

// WithSQL runs f with Open creating new files with SQL statements, without the image.
func WithSQL(f func()) {
	useNewFileImage = false
	defer func() { useNewFileImage = true }()
	f()
}

// NoHardLinks makes Open find a file system without hard links until the test ends.
func NoHardLinks(t testing.TB) {
	link = func(string, string) error { return errors.New("hard links not supported") }
	t.Cleanup(func() { link = linkDefault })
}

var linkDefault = link

// OnMigrationStatement runs f after each statement of a migration, and after each of its other
// steps ("refold <room>", "rekey <n>", "gifts <n>"), until the test ends. Set it before the
// stores of the test open.
func OnMigrationStatement(t testing.TB, f func(stmt string)) {
	migrationHook = f
	t.Cleanup(func() { migrationHook = nil })
}

// Prepared returns how many statements s holds prepared.
func Prepared(s *Store) int { return s.stmts.Len() }

// OpenAtVersion creates a new store at path as the code of schema version v made one: version
// 1's tables and the steps up to v, by SQL (the new-file image is the current version's), and
// v recorded. It is for a path with no file: an existing store is opened as Open would, but
// migrated only up to v. The store it returns is at v, for tests that fill it by SQL and close
// it; its Save writes the current version's rows, which it lacks the tables for.
func OpenAtVersion(ctx context.Context, path string, v int64) (*Store, error) {
	targetVersion, useNewFileImage = v, false
	defer func() { targetVersion, useNewFileImage = schemaVersion, true }()
	return Open(ctx, path, Options{})
}
