package main

import (
	"bytes"
	"database/sql"
	"path/filepath"
	"strings"
	"testing"

	"github.com/roomhook/roomhook/pkg/store/storetest/v1store"

	_ "modernc.org/sqlite"
)

// TestMigratesAVersion1Store: a store written by the version-1 release is at version 3 after
// one run, with every archived event still there; a second run changes nothing.
func TestMigratesAVersion1Store(t *testing.T) {
	path := filepath.Join(t.TempDir(), "v1.db")
	url := "sqlite://" + path
	v1store.Write(t, url, 1400123456, v1store.Callbacks())
	env := func(k string) string {
		if k == "ROOMHOOK_STORE" {
			return url
		}
		return ""
	}
	for i := range 2 {
		var out, errs bytes.Buffer
		if code := run(t.Context(), []string{"-timeout", "1m"}, env, &out, &errs); code != 0 {
			t.Fatalf("run %d: exit %d, stderr %s", i, code, errs.String())
		}
		if !strings.Contains(out.String(), "current schema version") {
			t.Errorf("run %d: stdout %q", i, out.String())
		}
	}
	db, err := sql.Open("sqlite", path)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	var version, events int
	if err := db.QueryRow(`SELECT max(version) FROM roomhook_schema`).Scan(&version); err != nil {
		t.Fatal(err)
	}
	if err := db.QueryRow(`SELECT count(*) FROM callback_events WHERE length(body_sha256) = 64`).Scan(&events); err != nil {
		t.Fatal(err)
	}
	if version != 3 || events != len(v1store.Callbacks()) {
		t.Errorf("after migrate: version %d, %d events with a digest; want 3, %d", version, events, len(v1store.Callbacks()))
	}
}

func TestUsage(t *testing.T) {
	none := func(string) string { return "" }
	for _, args := range [][]string{{"extra"}, {"-timeout", "0s"}, {"-nope"}, {}} {
		var out, errs bytes.Buffer
		if code := run(t.Context(), args, none, &out, &errs); code != 2 {
			t.Errorf("run %q: exit %d, want 2 (stderr %s)", args, code, errs.String())
		}
	}
}
