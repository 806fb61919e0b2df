// Package postgres is roomhook's PostgreSQL store: it implements callback.Store and
// callback.Reader on a PostgreSQL database. It speaks the protocol through pgx's low-level
// package pgconn (TLS, SCRAM and the other authentication methods, libpq's URL, environment
// and ~/.pgpass rules, the server's errors as *pgconn.PgError) and keeps its own small
// connection pool; pgx's type system and pool are not linked, which keeps the function
// binaries smaller (docs/performance.md). The schema needs PostgreSQL 11 or later (identity
// columns, and sha256() for the upgrade to schema version 2); the tests run against
// PostgreSQL 15.
//
// # URL
//
// Open takes a libpq connection URI, the value of ROOMHOOK_STORE:
//
//	postgres://roomhook:PASSWORD@db.example.com:5432/roomhook?sslmode=verify-full&sslrootcert=/var/task/ca.pem
//
// postgresql:// is the same. Percent-encode reserved characters in the password (@ as %40,
// : as %3A, / as %2F, ? as %3F, # as %23, % as %25). Every libpq parameter pgconn understands
// passes through: sslmode, sslrootcert (sslrootcert=system uses the OS trust store),
// connect_timeout, application_name, search_path and other run-time parameters. The PG*
// environment variables (PGPASSWORD, …) and ~/.pgpass fill in what the URL leaves out. The
// default sslmode is prefer, which falls back to an unencrypted connection: across a network,
// set sslmode=verify-full.
//
// The pool's parameters are taken out of the URL before it reaches the server:
// pool_max_conns (a whole number, 1 or more), pool_max_conn_idle_time, pool_ping_timeout and
// pool_max_conn_lifetime (durations such as 30s or 5m; 0 means no limit). An invalid value is
// an error at Open naming the parameter. pgx's other client-side parameters, which URLs
// written for earlier roomhook versions may carry, are accepted, checked as pgx checked them
// and otherwise ignored: pool_min_conns, pool_min_idle_conns, pool_health_check_period,
// pool_max_conn_lifetime_jitter, statement_cache_capacity, description_cache_capacity and
// default_query_exec_mode (see Connections).
//
// # What to create
//
// A database in UTF8 encoding and a role that can log in. Open creates nine tables, when they
// are missing, in the first existing schema of the connection's search_path (public unless the
// URL's search_path or the role's setting says otherwise): roomhook_schema (the schema
// version, 3), callback_events (the event archive, one row per delivered callback, raw body
// verbatim as bytea, body_sha256 its SHA-256 in lowercase hex; unique key callback_events_key
// on sdk_app_id, room_id, callback_command, event_time, body_sha256), and the projection, each
// table as callback's descriptor has it, its key the primary key: rooms (one row per SdkAppid +
// RoomId), room_members (one per member a room has seen, state 'in' or 'left'), room_seats
// (one per seat index), room_admins (one per account a Live room's admin changes named),
// room_metadata (one per key), battles (one per battle, under its from_room_id) and gifts (the
// ledger: one row per delivered gift, under roomhook's delivery_id). Column names are
// snake_case of Tencent's field names, the same as the SQLite store's; they are a contract
// users query directly. Booleans are BOOLEAN, numbers BIGINT, times BIGINT as they arrive
// (RoomInfo times in Unix seconds; event_time, received_at, updated_at and the other *_at
// columns in Unix milliseconds), and lists JSONB holding a JSON array: of strings
// (schedule_invitee_list_account, to_room_ids, to_accounts) or of integers (rooms.category,
// battles.to_scores). Creation runs in one transaction under a transaction-level advisory
// lock, so cold starts racing on a new database create the schema once.
//
// # Upgrading from schema versions 1 and 2
//
// The first Open of this version on a database an earlier roomhook created migrates it in
// place, in one transaction under the same lock (cold starts racing on it migrate it once;
// the others wait, then find version 2): callback_events gains body_sha256, computed for every
// archived row so that an event archived before is still a duplicate when delivered again,
// and its unique key becomes callback_events_key; rooms gains member_count, member_count_at,
// destroyed_at and destroy_operator_account; room_members and room_seats are created. Archive
// rows keep their ids and every value. Then every room whose archive holds projected events
// is refolded (callback.Refold): its rows become the fold of all of them, the updates,
// destroys, member and seat events version 1 archived without projecting them included. The
// migration needs the role that owns the tables, and it locks callback_events and rooms while
// it runs: saves wait for it. It reads every archived body, so on a large archive it can outlast Open's
// timeout (Options.Timeout; the functions give Open four times ROOMHOOK_STORE_TIMEOUT); it is
// then rolled back whole, the database stays at version 1, and the next cold start tries
// again. Give the first start of the new version a longer timeout to migrate such a database.
// Instances of the earlier version cannot write to version 2's archive: replace them all.
//
// A version-2 database is migrated to version 3 the same way, in one transaction under the
// schema lock: callback_events is locked against writes (SHARE mode) until the commit, rooms
// gains the Live columns and room_admins, room_metadata, battles and gifts are created; the
// archived events of callback.V3Commands are put under the key this version gives them
// (version 2 archived the battle stages, whose bodies have no RoomId, under an empty room_id:
// they move to their from_room_id, so that a stage delivered again is still a duplicate);
// every room whose archive holds one of them is refolded; each archived gift becomes a ledger
// row with delivery_id "archive:" and its archive id; version 3 is recorded last. A
// version-1 database goes through both steps in one transaction and is refolded once, at the
// end. Version-2 instances still running keep saving after it (their statements name their
// own columns), but write none of version 3's rows: replace them all.
//
// # Privileges
//
// At the first start the role needs CREATE on that schema (or create the tables once with a
// role that has it, then start roomhook with a lesser one). Afterwards it needs only USAGE on
// the schema and SELECT, INSERT and UPDATE on the nine tables; the archive's id is an identity
// column, so no sequence privilege is needed; the archive purge (scripts/purge) also needs
// DELETE on callback_events. The upgrades from schema versions 1 and 2 need
// the tables' owner and CREATE on the schema, as their creation did; a lesser role then needs
// the privileges on the tables they created.
//
//	CREATE ROLE roomhook LOGIN PASSWORD '…';
//	CREATE SCHEMA roomhook AUTHORIZATION roomhook;
//	ALTER ROLE roomhook SET search_path = roomhook;
//
// # Connections
//
// A serverless function builds one pool per instance, at cold start, and reuses it. The pool
// is small: DefaultMaxConns (2) connections unless the URL sets pool_max_conns, idle
// connections closed after DefaultMaxConnIdleTime (by a timer, and when a thawed instance next
// asks for a connection), connections closed after an hour of life once they are not in use,
// each connection attempt bounded by the open timeout unless the URL sets connect_timeout, and
// a connection that sat idle for over a second checked with a DefaultPingTimeout ping before
// use and replaced if it does not answer. A connection the server dropped while it was in
// recent use (a restart, a failover) is found dead by the Save that writes to it; that Save
// runs its transaction again on another connection, within its deadline. Every call honours
// its context: a query still running when the context ends is abandoned and its connection
// closed (the server rolls back what it had not committed). Open connects once, so an
// unreachable server or a wrong password is an error at cold start, within the timeout. Close
// closes the idle connections at once, waits a few seconds at most for calls in flight, and
// their connections close as they finish.
//
// Each warm instance may hold up to pool_max_conns server connections, and a burst of callbacks
// can start many instances at once, so many instances can exhaust the server's
// max_connections. Cap the function's concurrency, or put a pooler in front (PgBouncer, Amazon
// RDS Proxy, a cloud provider's database proxy) and set pool_max_conns=1 or 2. Every statement
// is sent with the extended protocol as the unnamed statement, parameters typed and bound in
// the same round trip, and nothing is prepared by name; a save pipelines BEGIN with its first
// statements and its writes with COMMIT (pgconn's batch: the extended protocol, then one Sync). That works behind a pooler in transaction mode without prepared-statement
// support (PgBouncer before 1.21, or without max_prepared_statements), with no parameter to
// set: default_query_exec_mode, which pgx needed there, is accepted for compatibility and no
// longer needed. The schema lock is transaction-scoped and so safe behind such a pooler. A
// pooler may refuse run-time parameters such as search_path in the startup packet; set them on
// the role instead (ALTER ROLE … SET search_path = …).
//
// # Saves
//
// A Save is one transaction. A folded command (callback.Event.Folded: every projected command
// but the gift) first takes a transaction-level advisory lock on its room (two 32-bit keys from
// a 64-bit hash of the app and room ids, apart from the schema lock's 64-bit key), so that the
// saves of one room run one after another and each sees the rows the previous one committed;
// saves of different rooms run side by side. The lock is transaction-scoped, so it works behind
// a transaction-mode pooler too. A gift folds nothing: its save archives the delivery and
// inserts its ledger row (none when a replay of the same delivery finds it there) in one
// transaction, without the lock.
//
// # Text
//
// PostgreSQL text holds neither NUL characters nor invalid UTF-8. Save refuses an event whose
// string fields (RoomId, ClientIP, …) or projected rows hold either, with an error naming the
// field or the table and column, rather than store something other than what arrived; the raw
// body, bytea, is kept whatever it holds.
package postgres
