// Package mysql is roomhook's MySQL and MariaDB store: it implements callback.Store and
// callback.Reader on one database of a MySQL 8.0.17+ or MariaDB 10.2+ server (tested with
// MariaDB 10.11), through the pure-Go github.com/go-sql-driver/mysql driver.
//
// # URL
//
//	mysql://USER:PASSWORD@HOST[:PORT]/DATABASE[?PARAM=VALUE&…]
//
// PORT defaults to 3306; an IPv6 host goes in brackets. USER and PASSWORD are percent-decoded.
// The user information ends at the URL's last '@', so a password may hold '@', ':', '/', '?'
// or '#' as they are, but a '%' in it must be written %25 (percent-encoding every special
// character, as any URL encoder does, is always right). A '@' after the host, in the
// database name or a parameter, must be written %40. The URL is never turned into a DSN
// string, and no error repeats the password.
//
// Parameters (anything else is refused at cold start, so a typo cannot go unnoticed):
//
//	tls=true|false|skip-verify|preferred
//	                        TLS to the server (default false): true verifies the certificate
//	                        against the system roots and the host name; skip-verify encrypts
//	                        without verifying; preferred uses TLS when the server offers it.
//	timeout=5s              dial timeout; readTimeout=, writeTimeout= the I/O timeouts.
//	                        Each defaults to Options.Timeout (5s).
//	max_open_conns=2        connections this instance may open, 1 to 100 (default 2).
//	rejectReadOnly=true     drop a connection that lands on a read-only server (after a
//	                        failover) instead of failing every write on it.
//	allowCleartextPasswords=true
//	                        the cleartext auth plugin (LDAP, PAM, IAM tokens); use it with tls.
//	allowNativePasswords=false
//	                        refuse mysql_native_password.
//
// The driver parameters the store depends on cannot be set: parseTime, interpolateParams,
// clientFoundRows, multiStatements, columnsWithAlias, charset, collation, loc, timeTruncate,
// allowAllFiles, allowOldPasswords. Every connection uses utf8mb4, server-side prepared
// statements, a strict sql_mode (STRICT_ALL_TABLES,NO_ENGINE_SUBSTITUTION) and an
// innodb_lock_wait_timeout of 3 seconds, set in one SET statement when it connects.
//
// # Setting up
//
// Create the database (CREATE DATABASE roomhook CHARACTER SET utf8mb4) and a user for the
// function. The first start creates the tables and needs CREATE, SELECT, INSERT and UPDATE on
// the database; later starts need only SELECT, INSERT and UPDATE, so CREATE may be revoked
// once the tables exist. Cold starts racing on a new database are safe: every step is
// idempotent, and no lock is taken.
//
// # Schema
//
// Three InnoDB tables, named as in every SQL backend: roomhook_schema (the schema version,
// one row), callback_events (the event archive, raw body verbatim in a LONGBLOB, unique on
// sdk_app_id, callback_command, room_id, event_time) and rooms (the room projection, primary
// key sdk_app_id, room_id). Times are integers as they arrive: EventTime, received_at and
// updated_at in Unix milliseconds, the room's own times in Unix seconds. Booleans are
// TINYINT(1). The invitee list is a JSON array in a MEDIUMTEXT column. Strings are utf8mb4
// with a byte-exact, non-padding collation (utf8mb4_nopad_bin on MariaDB, utf8mb4_0900_bin on
// MySQL), so room ids compare exactly as sent: case, accents and trailing spaces all count.
//
// # Connections
//
// Each warm function instance keeps a pool of up to max_open_conns connections (default 2),
// idle ones closed after a minute and every one after five. Many concurrent instances can
// still exhaust the server's max_connections: put a pooling proxy in front of it (TencentDB
// for MySQL's database proxy, Amazon RDS Proxy) and keep max_open_conns at 1 or 2. The SET
// statement each connection sends may pin it to one server connection in such proxies.
//
// # Concurrency
//
// Deliveries of the same event at the same moment are serialised by the archive's unique key:
// exactly one is stored, the others are duplicates. InnoDB may pick one of the racing
// transactions as a deadlock victim or time out its lock wait; Save then runs the whole
// transaction again, up to 5 attempts with a short jittered backoff, while its context allows.
package mysql
