// Package postgres is roomhook's PostgreSQL store: it implements callback.Store and
// callback.Reader on a PostgreSQL database, using pgx's native connection pool. The schema
// needs PostgreSQL 10 or later (identity columns); the tests run against PostgreSQL 15.
//
// # URL
//
// Open takes a libpq connection URI, the value of ROOMHOOK_STORE:
//
//	postgres://roomhook:PASSWORD@db.example.com:5432/roomhook?sslmode=verify-full&sslrootcert=/var/task/ca.pem
//
// postgresql:// is the same. Percent-encode reserved characters in the password (@ as %40,
// : as %3A, / as %2F, ? as %3F, # as %23, % as %25). Every libpq and pgx parameter passes
// through: sslmode, sslrootcert (sslrootcert=system uses the OS trust store), connect_timeout,
// application_name, search_path and other run-time parameters, pool_max_conns,
// pool_max_conn_idle_time, pool_ping_timeout, default_query_exec_mode. The PG* environment
// variables (PGPASSWORD, …) and ~/.pgpass fill in what the URL leaves out. pgx's default
// sslmode is prefer, which falls back to an unencrypted connection: across a network, set
// sslmode=verify-full.
//
// # What to create
//
// A database in UTF8 encoding and a role that can log in. Open creates three tables, when they
// are missing, in the first existing schema of the connection's search_path (public unless the
// URL's search_path or the role's setting says otherwise): roomhook_schema (the schema
// version), callback_events (the event archive, one row per delivered callback, raw body
// verbatim as bytea) and rooms (the room projection, one row per SdkAppid + RoomId). Column
// names are snake_case of Tencent's field names, the same as the SQLite store's; they are a
// contract users query directly. Booleans are BOOLEAN, numbers BIGINT, times BIGINT as they
// arrive (RoomInfo times in Unix seconds; event_time, received_at and updated_at in Unix
// milliseconds), and schedule_invitee_list_account is JSONB holding a JSON array of strings.
// Creation runs in one transaction under a transaction-level advisory lock, so cold starts
// racing on a new database create the schema once.
//
// # Privileges
//
// At the first start the role needs CREATE on that schema (or create the tables once with a
// role that has it, then start roomhook with a lesser one). Afterwards it needs only USAGE on
// the schema and SELECT, INSERT and UPDATE on the three tables; the archive's id is an identity
// column, so no sequence privilege is needed.
//
//	CREATE ROLE roomhook LOGIN PASSWORD '…';
//	CREATE SCHEMA roomhook AUTHORIZATION roomhook;
//	ALTER ROLE roomhook SET search_path = roomhook;
//
// # Connections
//
// A serverless function builds one pool per instance, at cold start, and reuses it. The pool
// is small: DefaultMaxConns (2) connections unless the URL sets pool_max_conns, idle
// connections closed after DefaultMaxConnIdleTime, each connection attempt bounded by the open
// timeout unless the URL sets connect_timeout, and a connection that sat idle checked with a
// DefaultPingTimeout ping before use. A connection the server dropped while it was in recent
// use (a restart, a failover) is found dead by the Save that writes to it; that Save runs its
// transaction again on another connection, within its deadline. Open connects once, so an
// unreachable server or a wrong password is an error at cold start, within the timeout.
//
// Each warm instance may hold up to pool_max_conns server connections, and a burst of callbacks
// can start many instances at once, so many instances can exhaust the server's
// max_connections. Cap the function's concurrency, or put a pooler in front (PgBouncer, Amazon
// RDS Proxy, a cloud provider's database proxy) and set pool_max_conns=1 or 2. Behind a pooler
// in transaction mode that does not support protocol-level prepared statements (PgBouncer
// before 1.21, or without max_prepared_statements), add default_query_exec_mode=simple_protocol
// (or exec) to the URL: pgx's default caches named prepared statements per connection, which
// fails when the pooler hands the next transaction another server connection. Every statement
// roomhook runs works in all of pgx's execution modes; the schema lock is transaction-scoped
// and so safe behind such a pooler. A pooler may refuse run-time parameters such as
// search_path in the startup packet; set them on the role instead (ALTER ROLE … SET
// search_path = …).
//
// # Text
//
// PostgreSQL text holds neither NUL characters nor invalid UTF-8. Save refuses an event whose
// string fields (RoomId, ClientIP, …) hold either, with an error naming the field, rather than
// store something other than what arrived; the raw body, bytea, is kept whatever it holds.
package postgres
