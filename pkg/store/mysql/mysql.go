package mysql

import (
	"context"
	"database/sql"
	sqldriver "database/sql/driver"
	"errors"
	"fmt"
	"sync/atomic"
	"time"

	driver "github.com/go-sql-driver/mysql"

	"github.com/roomhook/roomhook/pkg/callback"
	"github.com/roomhook/roomhook/pkg/store/internal/sqlrows"
)

// The store proves at compile time that it is a complete backend.
var (
	_ callback.Store  = (*Store)(nil)
	_ callback.Reader = (*Store)(nil)
)

// DefaultTimeout bounds Open when Options.Timeout is zero: connecting, logging in and checking
// or creating the schema. It is also the driver's dial, read and write timeout unless the URL
// sets them.
const DefaultTimeout = 5 * time.Second

// Pool lifetimes. A warm function instance may sit idle, or frozen, for minutes; a connection
// idle longer than connMaxIdleTime is closed rather than trusted to have survived NAT gateways
// and proxies, and none lives longer than connMaxLifetime, so a failover or a proxy's rebalance
// reaches every instance soon.
const (
	connMaxIdleTime = time.Minute
	connMaxLifetime = 5 * time.Minute
)

// ErrSchemaTooNew is returned by Open when the database was set up by a newer roomhook, whose
// schema this version does not know; writing to it could corrupt data the newer one relies on.
var ErrSchemaTooNew = errors.New("mysql: schema version is newer than this roomhook supports")

// Options tunes Open. The zero value is ready to use.
type Options struct {
	// Timeout bounds Open: connecting and checking or creating the schema. Zero means
	// DefaultTimeout. A deadline on Open's context applies too, whichever is first. It is also
	// the driver's dial, read and write timeout unless the URL's timeout, readTimeout or
	// writeTimeout parameters set them.
	Timeout time.Duration
	// ReadOnly opens an existing store to read it (callback.Reader, callback.Lister), as the
	// operators' tools do: it creates nothing and migrates nothing. A store without roomhook's
	// schema is refused with callback.ErrNoSchema, one of an older version with
	// callback.ErrSchemaOlder, one of a newer version with ErrSchemaTooNew. Do not Save to it.
	ReadOnly bool
}

// Store is a callback.Store and callback.Reader on a MySQL or MariaDB database. It is safe for
// concurrent use; build it once per process and share it.
type Store struct {
	db      *sql.DB
	where   string       // host:port and database, for error messages
	retries atomic.Int64 // Save attempts run again after a deadlock or lock timeout, for tests
	// stmts are Save's statements, prepared on the server once each is known: a prepared
	// statement is one round trip, an unprepared one with parameters two (prepare, execute).
	stmts sqlrows.Statements
	// turn admits as many saves at a time as the pool has connections, in the order they came
	// (sqlrows.Turns: the pool itself hands a freed connection to a random waiter).
	turn sqlrows.Turns
}

// Open connects to the database the mysql:// URL names, checks that it is reachable and creates
// the schema when it does not exist yet. The database itself must exist.
//
// The URL is mysql://USER:PASSWORD@HOST[:PORT]/DATABASE[?PARAMS]; see the package
// documentation for the parameters. Open fails with ErrSchemaTooNew when the database carries a
// newer schema version than this code. With Options.ReadOnly it only reads the schema version,
// which must be this code's (checkReadable), and every connection's session is READ ONLY.
// Errors never contain the password.
func Open(ctx context.Context, rawURL string, opts Options) (*Store, error) {
	timeout := opts.Timeout
	if timeout <= 0 {
		timeout = DefaultTimeout
	}
	cfg, err := parseURL(rawURL, timeout)
	if err != nil {
		return nil, err
	}
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()

	connector, err := driver.NewConnector(cfg.driver)
	if err != nil {
		// NewConnector only checks the TLS name, which parseURL already did.
		return nil, fmt.Errorf("mysql: %s: %w", cfg.where(), err)
	}
	db := sql.OpenDB(readCommitted{Connector: connector, readOnly: opts.ReadOnly})
	db.SetMaxOpenConns(cfg.maxOpenConns)
	db.SetMaxIdleConns(min(cfg.maxOpenConns, DefaultMaxOpenConns))
	db.SetConnMaxIdleTime(connMaxIdleTime)
	db.SetConnMaxLifetime(connMaxLifetime)

	s := &Store{db: db, where: cfg.where(), turn: sqlrows.NewTurns(cfg.maxOpenConns)}
	if err := db.PingContext(ctx); err != nil {
		db.Close()
		return nil, connectError(ctx, s.where, timeout, err)
	}
	check := s.migrate
	if opts.ReadOnly {
		check = s.checkReadable
	}
	if err := check(ctx); err != nil {
		db.Close()
		return nil, err
	}
	return s, nil
}

// readCommitted is the driver's connector, whose every connection runs its transactions at
// READ COMMITTED: each statement of a save then reads what was committed before it, in
// particular what the previous holder of the room's lock committed. Set once per connection,
// rather than with each BEGIN (the driver would send it as a statement of its own, one more
// round trip per save); the SET SESSION TRANSACTION form is MySQL's and MariaDB's alike, where
// the variable's name is not (transaction_isolation, tx_isolation).
//
// A read-only store's connections (Options.ReadOnly) are also READ ONLY in the same statement:
// the server then refuses every write on them, a Save's included (error 1792), so that an
// operator's tool cannot change the store by mistake. It is a setting of this connection's
// session, like the isolation level beside it: a pooling proxy keeps a client's session
// settings to that client (RDS Proxy pins the session; ProxySQL tracks or pins it), so no
// function's connection becomes read-only.
type readCommitted struct {
	sqldriver.Connector
	readOnly bool
}

const (
	setReadCommittedSQL = "SET SESSION TRANSACTION ISOLATION LEVEL READ COMMITTED"
	setReadOnlySQL      = setReadCommittedSQL + ", READ ONLY"
)

func (c readCommitted) Connect(ctx context.Context) (sqldriver.Conn, error) {
	conn, err := c.Connector.Connect(ctx)
	if err != nil {
		return nil, err
	}
	ex, ok := conn.(sqldriver.ExecerContext)
	if !ok {
		conn.Close()
		return nil, errors.New("the driver's connection cannot run a statement")
	}
	set := setReadCommittedSQL
	if c.readOnly {
		set = setReadOnlySQL
	}
	if _, err := ex.ExecContext(ctx, set, nil); err != nil {
		conn.Close()
		return nil, err
	}
	return conn, nil
}

// connectError explains a failed first connection. The driver's own errors name the user but
// never the password.
func connectError(ctx context.Context, where string, timeout time.Duration, err error) error {
	var me *driver.MySQLError
	switch {
	case errors.As(err, &me) && me.Number == erBadDB:
		return fmt.Errorf("mysql: %s: the database does not exist; create it first "+
			"(CREATE DATABASE … CHARACTER SET utf8mb4): %w", where, err)
	case errors.As(err, &me) && (me.Number == erAccessDenied || me.Number == erDBAccessDenied):
		return fmt.Errorf("mysql: %s: login refused; check the user, the password and its grants: %w", where, err)
	case errors.Is(ctx.Err(), context.DeadlineExceeded):
		return fmt.Errorf("mysql: %s: cannot connect within %v: %w", where, timeout, err)
	case errors.Is(err, driver.ErrInvalidConn):
		// The driver's read or write timeout, or the server hanging up before the login
		// finished; the driver logs which.
		return fmt.Errorf("mysql: %s: cannot connect: the connection broke or timed out before the "+
			"login finished; check the host, the port and the tls parameter: %w", where, err)
	}
	return fmt.Errorf("mysql: %s: cannot connect: %w", where, err)
}

// Server error numbers the store acts on; MySQL and MariaDB share them, but for the last.
const (
	erDBAccessDenied     = 1044 // ER_DBACCESS_DENIED_ERROR
	erAccessDenied       = 1045 // ER_ACCESS_DENIED_ERROR
	erBadDB              = 1049 // ER_BAD_DB_ERROR
	erDupFieldName       = 1060 // ER_DUP_FIELDNAME: ADD COLUMN of a column that exists
	erDupKeyName         = 1061 // ER_DUP_KEYNAME: ADD KEY of a key name that exists
	erDupEntry           = 1062 // ER_DUP_ENTRY: a unique key already holds the value
	erCantDropFieldOrKey = 1091 // ER_CANT_DROP_FIELD_OR_KEY: DROP INDEX of a key that does not exist
	erNoSuchTable        = 1146 // ER_NO_SUCH_TABLE
	erLockWait           = 1205 // ER_LOCK_WAIT_TIMEOUT
	erDeadlock           = 1213 // ER_LOCK_DEADLOCK; also Galera's certification failure
	// ER_TRANSACTION_ROLLBACK_DURING_COMMIT: MySQL Group Replication's certification failure,
	// a transaction that conflicted with another member's and was rolled back.
	erRollbackDuringCommit = 3101
)

// isServerError reports whether err is the server error number n.
func isServerError(err error, n uint16) bool {
	var me *driver.MySQLError
	return errors.As(err, &me) && me.Number == n
}

// Close releases the connection pool. Saves still in flight finish first.
func (s *Store) Close() error {
	if err := s.db.Close(); err != nil {
		return fmt.Errorf("mysql: close %s: %w", s.where, err)
	}
	return nil
}

// discardLogger drops the driver's own log lines; see Open.
type discardLogger struct{}

func (discardLogger) Print(...any) {}
