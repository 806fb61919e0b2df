package v1store

import (
	"database/sql"
	"path/filepath"
	"testing"
	"time"

	_ "modernc.org/sqlite"
)

// TestWriteSQLite checks that the version-1 function stores what Callbacks sends: every
// callback archived once, the two created rooms projected.
func TestWriteSQLite(t *testing.T) {
	path := filepath.Join(t.TempDir(), "v1.db")
	cbs := Callbacks()
	Write(t, "sqlite://"+path, 1400123456, cbs)

	db, err := sql.Open("sqlite", path)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	var events, rooms, version int
	if err := db.QueryRow(`SELECT count(*) FROM callback_events`).Scan(&events); err != nil {
		t.Fatal(err)
	}
	if err := db.QueryRow(`SELECT count(*) FROM rooms`).Scan(&rooms); err != nil {
		t.Fatal(err)
	}
	if err := db.QueryRow(`SELECT max(version) FROM roomhook_schema`).Scan(&version); err != nil {
		t.Fatal(err)
	}
	if events != len(cbs) || rooms != 2 || version != 1 {
		t.Errorf("version-1 store: %d events, %d rooms, version %d; want %d, 2, 1", events, rooms, version, len(cbs))
	}
	for i, c := range cbs {
		if _, err := c.Event(1400123456, time.Now()); err != nil {
			t.Errorf("callback %d (%s) does not parse with the current code: %v", i, c.Command, err)
		}
	}
}
