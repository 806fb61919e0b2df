package store

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/roomhook/roomhook/pkg/callback"
	"github.com/roomhook/roomhook/pkg/store/dynamodb"
	"github.com/roomhook/roomhook/pkg/store/mysql"
	"github.com/roomhook/roomhook/pkg/store/postgres"
	"github.com/roomhook/roomhook/pkg/store/sqlite"
)

// Options tunes Open; each backend receives them. The zero value is ready to use.
type Options struct {
	// Timeout bounds opening the store: connecting and creating or checking the schema. Zero
	// means the backend's default. It does not bound later writes: the caller gives each Save
	// its own deadline (ROOMHOOK_STORE_TIMEOUT).
	Timeout time.Duration
	// Ephemeral says a SQLite file dies with the function instance (its /tmp): see
	// sqlite.Options.Ephemeral. The server backends ignore it.
	Ephemeral bool
	// ReadOnly opens an existing store to read it, creating and migrating nothing: see
	// sqlite.Options.ReadOnly. A store without roomhook's schema, or of another version than
	// this code's, is refused (callback.ErrNoSchema, callback.ErrSchemaOlder, the backend's
	// ErrSchemaTooNew).
	ReadOnly bool
	// ArchiveRetention, when above 0, is how long archived callbacks are kept
	// (ROOMHOOK_ARCHIVE_RETENTION): DynamoDB gives the archive items no fold reads back an
	// expiry time (TTL); the SQL backends ignore it (scripts/purge.sh deletes their rows).
	ArchiveRetention time.Duration
}

// backend is one row of the scheme table. open receives the URL without its "scheme://".
type backend struct {
	scheme string
	open   func(ctx context.Context, rest string, opts Options) (callback.Store, error)
}

// backends is every scheme Open knows, in the order error messages list them. Adding a backend
// means adding its package and a row here.
var backends = []backend{
	{"sqlite", openSQLite},
	{"postgres", openPostgres},
	{"postgresql", openPostgres},
	{"mysql", openMySQL},
	{"dynamodb", openDynamoDB},
}

// Open opens the store rawURL names:
//
//	sqlite://PATH       everything after "sqlite://" is the file path:
//	                    sqlite:///tmp/r.db is absolute, sqlite://r.db relative
//	postgres://…, postgresql://…
//	                    a libpq URL (see package postgres)
//	dynamodb://TABLE?region=…&endpoint=…
//	                    one DynamoDB table (see package dynamodb)
//	mysql://user:pass@host:3306/db?tls=…
//	                    MySQL 8 or MariaDB (see package mysql)
//
// The value returned also implements callback.Reader and callback.Lister, so tools can read
// back what was saved:
//
//	r := s.(callback.Reader)
//
// An empty URL is an error: the caller chooses the default. Errors never repeat the URL's user
// information, so a password in it cannot reach a log; they may name a SQLite file path.
func Open(ctx context.Context, rawURL string, opts Options) (callback.Store, error) {
	b, rest, err := lookup(rawURL)
	if err != nil {
		return nil, err
	}
	return b.open(ctx, rest, opts)
}

// Advice says, for an error of Open with ReadOnly, what an operator does about a store that cannot
// be read as it is, as a parenthesised clause to append to the message; "" for any other error.
// The tools that read or purge a store without migrating it (scripts/query, scripts/purge) say it.
func Advice(err error) string {
	switch {
	case errors.Is(err, callback.ErrNoSchema):
		return " (nothing was stored there yet, or it is not roomhook's store)"
	case errors.Is(err, callback.ErrSchemaOlder):
		return " (start a function of this version on it, or run scripts/migrate, to upgrade it first)"
	case errors.Is(err, sqlite.ErrSchemaTooNew), errors.Is(err, postgres.ErrSchemaTooNew),
		errors.Is(err, mysql.ErrSchemaTooNew), errors.Is(err, dynamodb.ErrSchemaTooNew):
		return " (use the roomhook version that wrote it)"
	}
	return ""
}

// CheckURL returns the error Open would return for rawURL before any I/O: an empty URL, no
// scheme, or a scheme no backend has. A nil error does not mean the rest of the URL is valid:
// each backend reads that when it opens.
func CheckURL(rawURL string) error {
	_, _, err := lookup(rawURL)
	return err
}

// lookup finds rawURL's backend and returns it with what follows "scheme://".
func lookup(rawURL string) (backend, string, error) {
	if rawURL == "" {
		return backend{}, "", errors.New("store: empty store URL; want e.g. sqlite:///tmp/roomhook.db")
	}
	scheme, rest, err := splitScheme(rawURL)
	if err != nil {
		return backend{}, "", err
	}
	for _, b := range backends {
		if b.scheme == scheme {
			return b, rest, nil
		}
	}
	return backend{}, "", fmt.Errorf("store: unknown store URL scheme %q; supported: %s", scheme, supported())
}

// splitScheme returns the lower-cased scheme of rawURL and what follows "scheme://". It never
// puts more of rawURL than a well-formed scheme into an error: the rest may hold a password.
func splitScheme(rawURL string) (scheme, rest string, err error) {
	i := strings.IndexByte(rawURL, ':')
	if i <= 0 || !validScheme(rawURL[:i]) {
		return "", "", fmt.Errorf("store: the store URL has no scheme; want scheme://…, one of %s", supported())
	}
	scheme = strings.ToLower(rawURL[:i])
	rest, ok := strings.CutPrefix(rawURL[i+1:], "//")
	if !ok {
		if known(scheme) {
			return "", "", fmt.Errorf("store: the store URL must start with %s://", scheme)
		}
		// "user:pass@host/db": what precedes the colon is no scheme, maybe not even public.
		return "", "", fmt.Errorf("store: the store URL has no scheme; want scheme://…, one of %s", supported())
	}
	return scheme, rest, nil
}

// known reports whether scheme is in the backend table.
func known(scheme string) bool {
	for _, b := range backends {
		if b.scheme == scheme {
			return true
		}
	}
	return false
}

// validScheme reports whether s has the form RFC 3986 gives a scheme: a letter, then letters,
// digits, '+', '-' or '.'.
func validScheme(s string) bool {
	for i, c := range s {
		switch {
		case 'a' <= c && c <= 'z', 'A' <= c && c <= 'Z':
		case i > 0 && ('0' <= c && c <= '9' || c == '+' || c == '-' || c == '.'):
		default:
			return false
		}
	}
	return s != ""
}

// supported lists the schemes Open knows.
func supported() string {
	names := make([]string, len(backends))
	for i, b := range backends {
		names[i] = b.scheme + "://"
	}
	return strings.Join(names, ", ")
}

func openSQLite(ctx context.Context, path string, opts Options) (callback.Store, error) {
	if path == "" {
		return nil, errors.New("store: sqlite:// needs a file path, e.g. sqlite:///tmp/roomhook.db")
	}
	// sqlite://user:pass@host/… is a server URL given the wrong scheme. Refuse it without
	// echoing it, rather than report a missing directory named after the password. A file
	// whose first path element holds '@' is still reachable as sqlite://./name@….
	if first, _, _ := strings.Cut(path, "/"); strings.Contains(first, "@") {
		return nil, errors.New("store: a sqlite:// URL takes a file path, not user@host; " +
			"write sqlite://./NAME for a relative file whose name holds '@'")
	}
	s, err := sqlite.Open(ctx, path, sqlite.Options{Timeout: opts.Timeout, Ephemeral: opts.Ephemeral, ReadOnly: opts.ReadOnly})
	if err != nil {
		return nil, err
	}
	return s, nil
}

func openPostgres(ctx context.Context, rest string, opts Options) (callback.Store, error) {
	s, err := postgres.Open(ctx, "postgres://"+rest, postgres.Options{Timeout: opts.Timeout, ReadOnly: opts.ReadOnly})
	if err != nil {
		return nil, err
	}
	return s, nil
}

func openDynamoDB(ctx context.Context, rest string, opts Options) (callback.Store, error) {
	s, err := dynamodb.Open(ctx, "dynamodb://"+rest, dynamodb.Options{Timeout: opts.Timeout, ReadOnly: opts.ReadOnly, ArchiveRetention: opts.ArchiveRetention})
	if err != nil {
		return nil, err
	}
	return s, nil
}

func openMySQL(ctx context.Context, rest string, opts Options) (callback.Store, error) {
	s, err := mysql.Open(ctx, "mysql://"+rest, mysql.Options{Timeout: opts.Timeout, ReadOnly: opts.ReadOnly})
	if err != nil {
		return nil, err
	}
	return s, nil
}
