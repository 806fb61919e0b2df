package store_test

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/roomhook/roomhook/pkg/callback"
	"github.com/roomhook/roomhook/pkg/store"
	"github.com/roomhook/roomhook/pkg/store/dynamodb"
	"github.com/roomhook/roomhook/pkg/store/mysql"
	"github.com/roomhook/roomhook/pkg/store/postgres"
	"github.com/roomhook/roomhook/pkg/store/sqlite"
	"github.com/roomhook/roomhook/pkg/store/storetest"
)

func TestOpen(t *testing.T) {
	dir := t.TempDir()
	tests := []struct {
		name    string
		url     string
		chdir   bool     // run in a fresh working directory, for relative paths
		wantErr []string // substrings of the error; nil means success
		file    string   // the database file that must exist afterwards
		early   bool     // CheckURL returns the same error, before any I/O
	}{
		{name: "sqlite absolute", url: "sqlite://" + filepath.Join(dir, "abs.db"), file: filepath.Join(dir, "abs.db")},
		{name: "sqlite scheme is case-insensitive", url: "SQLite://" + filepath.Join(dir, "upper.db"), file: filepath.Join(dir, "upper.db")},
		{name: "sqlite relative", url: "sqlite://rel.db", chdir: true, file: "rel.db"},
		{name: "sqlite relative with dot", url: "sqlite://./me@home.db", chdir: true, file: "me@home.db"},
		{name: "sqlite query is part of the path", url: "sqlite://" + filepath.Join(dir, "q.db?cache=shared"), file: filepath.Join(dir, "q.db?cache=shared")},
		{name: "empty", url: "", wantErr: []string{"empty store URL"}, early: true},
		{name: "sqlite without path", url: "sqlite://", wantErr: []string{"needs a file path"}},
		{name: "sqlite missing directory", url: "sqlite://" + filepath.Join(dir, "missing", "r.db"), wantErr: []string{"does not exist"}},
		{name: "sqlite without slashes", url: "sqlite:r.db", wantErr: []string{"must start with sqlite://"}, early: true},
		{name: "no scheme", url: "/tmp/r.db", wantErr: []string{"no scheme", "sqlite://"}, early: true},
		{name: "user info without scheme", url: "admin:pw@h/db", wantErr: []string{"no scheme"}, early: true},
		{name: "sqlite with user info", url: "sqlite://admin:pw@h/db", wantErr: []string{"takes a file path"}},
		{name: "postgres unreachable", url: "postgres://u@127.0.0.1:1/db", wantErr: []string{"postgres: cannot connect"}},
		{name: "postgresql unreachable", url: "postgresql://127.0.0.1:1/db", wantErr: []string{"postgres: cannot connect"}},
		{name: "mysql unreachable", url: "mysql://u@127.0.0.1:1/db?tls=false", wantErr: []string{"mysql"}},
		{name: "dynamodb unreachable", url: "dynamodb://events?region=us-east-1&endpoint=http://127.0.0.1:1", wantErr: []string{"dynamodb"}},
		{name: "unknown scheme", url: "redis://h:6379/0", wantErr: []string{`unknown store URL scheme "redis"`, "sqlite://", "postgres://", "mysql://", "dynamodb://"}, early: true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if tc.chdir {
				t.Chdir(t.TempDir())
			}
			s, err := store.Open(t.Context(), tc.url, store.Options{Timeout: 5 * time.Second})
			// CheckURL (what a cold start checks before it opens the store in the background)
			// refuses exactly the URLs Open refuses without trying them, with the same words.
			if cerr := store.CheckURL(tc.url); tc.early != (cerr != nil) || cerr != nil && (err == nil || cerr.Error() != err.Error()) {
				t.Errorf("CheckURL(%q) = %v, Open's error %v; want the same error only for a bad scheme", tc.url, cerr, err)
			}
			if tc.wantErr != nil {
				if err == nil {
					s.Close()
					t.Fatalf("Open(%q) succeeded, want an error", tc.url)
				}
				for _, want := range tc.wantErr {
					if !strings.Contains(err.Error(), want) {
						t.Errorf("Open(%q) = %q, want it to contain %q", tc.url, err, want)
					}
				}
				return
			}
			if err != nil {
				t.Fatalf("Open(%q): %v", tc.url, err)
			}
			t.Cleanup(func() { s.Close() })
			if _, err := os.Stat(tc.file); err != nil {
				t.Errorf("database file: %v", err)
			}
			// The store is a complete backend: it saves and reads back.
			b, ok := s.(storetest.Backend)
			if !ok {
				t.Fatalf("Open(%q) returned %T, which does not implement callback.Reader", tc.url, s)
			}
			if o, err := b.Save(t.Context(), storetest.SeedEvent()); err != nil || o != callback.OutcomeStored {
				t.Errorf("Save = %v, %v; want stored", o, err)
			}
			if _, err := callback.ReadRoom(t.Context(), b, storetest.SeedSdkAppID, "tandy-test-rest"); err != nil {
				t.Errorf("Room: %v", err)
			}
		})
	}
}

// TestOpenNeverEchoesPasswords feeds URLs holding a password, well-formed or not, and checks
// that no error repeats it.
func TestOpenNeverEchoesPasswords(t *testing.T) {
	const secret = "s3cret"
	for _, url := range []string{
		"postgres://u:s3cret@h/db",
		"postgresql://u:s3cret@h:5432/db?sslmode=require",
		"mysql://u:s3cret@h/db",
		"mysql://u:s3cret@tcp(h:3306)/db",
		"dynamodb://t?aws_secret_access_key=s3cret",
		"redis://u:s3cret@h:6379",
		"u:s3cret@h/db",
		"mysql:u:s3cret@h/db",
		"postgres//u:s3cret@h/db",
		"://u:s3cret@h",
		"%zz://u:s3cret@h",
		"1pg://u:s3cret@h/db",
		" postgres://u:s3cret@h/db",
		"postgres://u:s3cret@h/db\x00\n",
		"sqlite://u:s3cret@h/db",
		"sqlite://u:s3cret@h",
		"SQLITE://:s3cret@/x",
	} {
		s, err := store.Open(t.Context(), url, store.Options{})
		if err == nil {
			s.Close()
			t.Errorf("Open(<url with password>) succeeded, want an error")
			continue
		}
		if strings.Contains(err.Error(), secret) {
			t.Errorf("Open error echoes the password: %q", err)
		}
	}
}

// TestAdvice: every refusal of a read-only open says what to do; other errors add nothing.
func TestAdvice(t *testing.T) {
	for _, tc := range []struct {
		err  error
		want string
	}{
		{fmt.Errorf("sqlite: %q: %w", "x.db", callback.ErrNoSchema), "nothing was stored there yet"},
		{fmt.Errorf("postgres: version 2: %w", callback.ErrSchemaOlder), "run scripts/migrate"},
		{fmt.Errorf("%w: version 9", sqlite.ErrSchemaTooNew), "the roomhook version that wrote it"},
		{fmt.Errorf("%w: version 9", postgres.ErrSchemaTooNew), "the roomhook version that wrote it"},
		{fmt.Errorf("%w: version 9", mysql.ErrSchemaTooNew), "the roomhook version that wrote it"},
		{fmt.Errorf("%w: version 9", dynamodb.ErrSchemaTooNew), "the roomhook version that wrote it"},
		{errors.New("dial tcp 127.0.0.1:1: connection refused"), ""},
	} {
		got := store.Advice(tc.err)
		if tc.want == "" && got != "" || !strings.Contains(got, tc.want) {
			t.Errorf("Advice(%v) = %q, want %q", tc.err, got, tc.want)
		}
	}
}
