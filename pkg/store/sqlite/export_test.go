package sqlite

import (
	"errors"
	"testing"
)

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

// OnMigrationStatement runs f after each statement of the migration to schema version 2, until
// the test ends. Set it before the stores of the test open.
func OnMigrationStatement(t testing.TB, f func(stmt string)) {
	migrationHook = f
	t.Cleanup(func() { migrationHook = nil })
}

// Prepared returns how many statements s holds prepared.
func Prepared(s *Store) int { return s.stmts.Len() }
