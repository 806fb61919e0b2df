package postgres

import (
	"context"
	"errors"
	"strings"
	"time"

	"github.com/jackc/pgx/v5/pgconn"

	"github.com/roomhook/roomhook/pkg/callback"
)

// The store proves at compile time that it is a complete backend.
var (
	_ callback.Store  = (*Store)(nil)
	_ callback.Reader = (*Store)(nil)
)

// Defaults applied by Open when neither Options nor the URL says otherwise.
const (
	// DefaultTimeout bounds Open when Options.Timeout is zero: connecting (TLS included) and
	// creating or checking the schema. It also becomes the connect timeout of every later
	// connection unless the URL sets connect_timeout.
	DefaultTimeout = 5 * time.Second

	// DefaultMaxConns is the pool size unless the URL sets pool_max_conns. A function instance
	// serves one invocation at a time (SCF and Lambda event functions), so one connection does
	// the work; the second covers a web function's occasional overlap. Every warm instance
	// holds up to this many server connections.
	DefaultMaxConns = 2

	// DefaultMaxConnIdleTime closes a connection unused for this long, unless the URL sets
	// pool_max_conn_idle_time, so that quiet instances give their server connections back.
	DefaultMaxConnIdleTime = time.Minute

	// DefaultPingTimeout bounds the liveness check of a connection that sat idle for over a
	// second (for instance while the instance was frozen), unless the URL sets
	// pool_ping_timeout. A connection that does not answer in time is dropped and a fresh one
	// is dialled within the same Save, rather than spending the whole store budget on a dead
	// socket.
	DefaultPingTimeout = 500 * time.Millisecond
)

// ErrSchemaTooNew is returned by Open when the database was set up by a newer roomhook, whose
// schema this version does not know; writing to it could corrupt data the newer one relies on.
var ErrSchemaTooNew = errors.New("postgres: schema version is newer than this roomhook supports")

// Options tunes Open. The zero value is ready to use.
type Options struct {
	// Timeout bounds Open: connecting and creating or checking the schema. Zero means
	// DefaultTimeout. A deadline on Open's context applies too, whichever is first.
	Timeout time.Duration
	// ReadOnly opens an existing store to read it (callback.Reader, callback.Lister), as the
	// operators' tools do: it creates nothing and migrates nothing. A store without roomhook's
	// schema is refused with callback.ErrNoSchema, one of an older version with
	// callback.ErrSchemaOlder, one of a newer version with ErrSchemaTooNew. Do not Save to it.
	ReadOnly bool
}

// Store is a callback.Store and callback.Reader on a PostgreSQL database. It holds one small
// connection pool and is safe for concurrent use; build it once per process and share it.
type Store struct {
	pool *pool[*pgconn.PgConn]
	// config is what every connection is dialled with.
	config *pgconn.Config
	// secrets are the passwords the URL (or the environment) carried; every error text the
	// store returns has them masked.
	secrets []string
	// saveAttempts bounds Save's retries on broken connections: one per pooled connection,
	// plus one. Fixed at Open, since the pool's size is.
	saveAttempts int
	// readOnly: opened with Options.ReadOnly, so Save refuses before it sends anything (the
	// server cannot be told to refuse writes for the session without breaking poolers).
	readOnly bool
}

// Open connects to the PostgreSQL server rawURL names, checks that it answers and creates the
// schema when it is missing. rawURL is a libpq connection URI:
//
//	postgres://USER:PASSWORD@HOST:5432/DATABASE?sslmode=verify-full&sslrootcert=/path/ca.pem
//
// (postgresql:// is the same). Every libpq parameter pgconn understands passes through:
// sslmode, sslrootcert, connect_timeout, search_path and other run-time parameters. The pool
// takes pool_max_conns, pool_max_conn_idle_time, pool_ping_timeout and pool_max_conn_lifetime
// out of the URL; pgx's other pool and statement-cache parameters, and default_query_exec_mode,
// are accepted for compatibility and change nothing (see the package documentation). The PG*
// environment variables and ~/.pgpass fill in what the URL leaves out, as with libpq.
//
// The tables are created in the first existing schema of the connection's search_path, and
// found wherever the search_path finds them. Open fails with ErrSchemaTooNew when they carry a
// newer roomhook schema version than this code. With Options.ReadOnly it only reads the schema
// version, which must be this code's (checkReadable).
//
// Error texts, from Open and from every method, never contain a password: they may name the
// user, host, database, schema and certificate files, and every password the configuration
// holds is masked in them. They unwrap to the server's *pgconn.PgError when the server refused
// something, and to context.DeadlineExceeded or context.Canceled when the context ended, but
// never to pgconn's connect or parse errors, which carry the configuration.
func Open(ctx context.Context, rawURL string, opts Options) (*Store, error) {
	return open(ctx, rawURL, opts, schemaVersion)
}

// open is Open, bringing the schema to version target (schemaVersion; tests build an older
// schema with a smaller one).
func open(ctx context.Context, rawURL string, opts Options, target int64) (*Store, error) {
	connString, err := normaliseScheme(rawURL)
	if err != nil {
		return nil, err
	}
	secrets := urlSecrets(connString)
	if err := checkUserinfo(connString); err != nil {
		return nil, err
	}

	cfg, poolCfg, err := parseConfig(connString, secrets)
	if err != nil {
		return nil, err
	}
	secrets = append(secrets, cfg.Password) // also from PGPASSWORD or ~/.pgpass

	timeout := opts.Timeout
	if timeout <= 0 {
		timeout = DefaultTimeout
	}
	if cfg.ConnectTimeout <= 0 {
		// Each connection attempt, TLS and authentication included, gets at most this long,
		// within its caller's context.
		cfg.ConnectTimeout = timeout
	}
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()

	s := &Store{
		pool: newPool(poolCfg, func(ctx context.Context) (*pgconn.PgConn, error) {
			return pgconn.ConnectConfig(ctx, cfg.Copy()) // a copy each, as pgxpool did
		}),
		config:       cfg,
		secrets:      secrets,
		saveAttempts: poolCfg.maxConns + 1,
		readOnly:     opts.ReadOnly,
	}
	check := func(ctx context.Context) error { return s.migrate(ctx, target) }
	if opts.ReadOnly {
		check = s.checkReadable
	}
	if err := check(ctx); err != nil {
		s.pool.close()
		return nil, err
	}
	return s, nil
}

// normaliseScheme checks that rawURL is a postgres:// or postgresql:// URI and lower-cases its
// scheme, which pgconn matches case-sensitively. Its errors quote nothing of rawURL.
func normaliseScheme(rawURL string) (string, error) {
	for _, scheme := range []string{"postgres://", "postgresql://"} {
		if len(rawURL) >= len(scheme) && strings.EqualFold(rawURL[:len(scheme)], scheme) {
			return scheme + rawURL[len(scheme):], nil
		}
	}
	return "", errors.New("postgres: the store URL must start with postgres:// or postgresql://")
}

// checkUserinfo refuses a URL with an '@' where pgconn, like libpq, looks for the host or the
// database: the userinfo ends at the first '@' before any '/', so an unencoded '@' or '/' in a
// password leaves part of it to be read as a host name (and looked up in DNS) or a database
// name. Its error quotes nothing of connString.
func checkUserinfo(connString string) error {
	_, rest, _ := strings.Cut(connString, "://")
	if i := strings.IndexAny(rest, "@/"); i >= 0 && rest[i] == '@' {
		rest = rest[i+1:]
	}
	rest, _, _ = strings.Cut(rest, "?")
	if strings.Contains(rest, "@") {
		return errors.New("postgres: invalid store URL: an '@' follows the host or is in the database name; " +
			"percent-encode reserved characters in the user name, password and database name (@ as %40, / as %2F)")
	}
	return nil
}

// Close closes the pool's connections and makes every later call fail. It waits a few seconds
// at most for calls in flight, whose connections close as they finish.
func (s *Store) Close() error {
	s.pool.close()
	return nil
}
