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
// function. The first start creates the tables and needs CREATE, ALTER, SELECT, INSERT and
// UPDATE on the database; later starts need only SELECT, INSERT and UPDATE, so CREATE and
// ALTER may be revoked once the tables exist, and must be granted again for the first start of
// a roomhook release that changes the schema. The archive purge (scripts/purge) also needs
// DELETE on callback_events. Cold starts racing on a new database are safe:
// every step is idempotent, and no lock is taken.
//
// # Schema
//
// InnoDB tables, named as in every SQL backend: roomhook_schema (the schema version, one row
// per version the database has had; the highest counts), callback_events (the event archive,
// raw body verbatim in a LONGBLOB with its SHA-256 in body_sha256, unique on sdk_app_id,
// room_id, callback_command, event_time, body_sha256), and one table per callback.Tables
// descriptor, its primary key the descriptor's key: rooms (sdk_app_id, room_id), room_members
// (…, member_account), room_seats (…, seat_index), room_admins (…, admin_account),
// room_metadata (…, meta_key), battles (sdk_app_id, from_room_id, battle_id) and gifts, the
// gift ledger (sdk_app_id, room_id, delivery_id). roomhook_room_locks is the room lock of this
// store (see Concurrency; its saves column counts the folded events saved for the room and the
// refolds of a migration, refold_version says which migration last refolded it). Times are
// integers as they arrive: EventTime, received_at and updated_at in Unix milliseconds, the
// room's own times in Unix seconds. Booleans are TINYINT(1), 0 or 1, and every column of
// fixed values has a CHECK. Lists (the invitee list, to_room_ids, to_accounts, and the
// integer lists category and to_scores) are JSON arrays in MEDIUMTEXT columns. A text key
// column is a VARCHAR(255), as an index key needs a bounded length (the parser refuses longer
// ids); every other string is MEDIUMTEXT. Strings are utf8mb4 with a byte-exact, non-padding
// collation (utf8mb4_nopad_bin on MariaDB, utf8mb4_0900_bin on MySQL), so room ids and
// accounts compare exactly as sent: case, accents and trailing spaces all count.
//
// # Upgrading from schema version 1 or 2
//
// The first start of this release upgrades an older database in place, by the same steps
// whatever its version (each step finds done what an earlier version or start did). From
// version 1: it adds body_sha256 and computes it for every archived row (in batches of a few
// hundred rows, each committed, so a start that runs out of time leaves its progress to the
// next), adds the new unique key before dropping the old one (the archive always has one).
// Then it adds the rooms columns, the lock table's refold_version and the new tables, and
// fills them from the archive:
//   - the battles earlier versions archived raw under room "" (their bodies have no RoomId)
//     move to their FromRoomId, where this version archives them (rekey);
//   - every room whose archive holds a folded event and that has no lock row (version 1's
//     rooms), or holds an event of callback.V3Commands and was not refolded by this
//     migration yet, is refolded (callback.Refold: its rows become the fold of its archive),
//     each in a transaction holding its lock, as a save does; the lock row's refold_version
//     records it, so a later start skips the room;
//   - the gift ledger gets one row per archived gift (callback.GiftRowOfArchive), its
//     delivery_id "archive:" and the archive row's id, inserted unless there.
//
// It records version 3 last. No archive row is lost, and an event archived before is still a
// duplicate when delivered again. Every step is idempotent and no schema lock is taken, so
// cold starts racing on the upgrade all succeed (two that refold one room leave the same rows;
// the ledger is made only of gifts archived before the start read the version, so a start
// that finishes late adds nothing for a gift saved by this version meanwhile) and one that
// died half-way is completed by the next. Building the new unique key reads the whole archive:
// for an archive of millions of rows, run the first start with a longer budget
// (ROOMHOOK_STORE_TIMEOUT; a cold start may take four times it) so that it can finish. An
// older instance still running while the upgrade happens keeps working; the rows a version-1
// instance archives afterwards have an empty body_sha256 (a repeat of such an event delivered
// to this release is archived again), and what a version-1 or version-2 instance saves after
// the upgrade passed its room is archived without this version's rows (admins, metadata,
// battles, ledger): replace every older instance.
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
// Every save of a folded event (callback.Event.Folded: every projected command but the gift)
// first locks its room's row of roomhook_room_locks (creating it, or bumping its saves
// counter; a battle's room is its from_room_id), in a READ COMMITTED transaction, before it
// archives the event; so the saves of one room run one after the other, each reading what the one before
// committed, and every save takes its locks in the same order. The lock is an ordinary InnoDB
// row lock, held to the end of the transaction, rather than GET_LOCK: GET_LOCK belongs to a
// session, so it would need a connection pinned around the transaction and a release on every
// path; it is local to one server, so the nodes of a multi-primary Galera or Group Replication
// cluster do not share it (and MariaDB refuses it when Galera replication is on). The lock row
// changes with every save, so on such a cluster two saves of one room on different nodes
// conflict at certification and one of them fails, to be run again. Saves of different rooms
// do not wait for each other, and an event of a command that is not projected takes no lock;
// nor does a gift, whose archive row and ledger row (its delivery's own, read by no other
// event) are written in one transaction. A Live member state locks its room's row shared
// (LOCK IN SHARE MODE) and then its members' rows of roomhook_member_locks (version 3), in byte
// order (callback.Event.MemberLocks): the viewers of one room are saved side by side, while a
// destroy, which holds the room's row exclusively, waits for them and they for it. A shared
// lock is not certified on a multi-primary cluster: send a room's writes to one node.
//
// Deliveries of the same event at the same moment are serialised by the room's lock, or, for
// a command not projected, by the archive's unique key: exactly one is stored, the others are
// duplicates. InnoDB may pick one of the racing transactions as a deadlock victim or time out
// its lock wait (after 3 seconds), and a cluster's certification may fail one; Save then runs
// the whole transaction again, up to 5 attempts with a short jittered backoff, while its
// context allows.
package mysql
