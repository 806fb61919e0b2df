// Package sqlite is roomhook's SQLite store: it implements callback.Store and callback.Reader
// on a single database file, using the pure-Go modernc.org/sqlite driver so that the functions
// build with CGO_ENABLED=0.
//
// The file holds roomhook_schema (the schema version, 3), callback_events (the event archive,
// one row per delivered callback, raw body verbatim with its SHA-256) and the projection's
// tables as callback.Tables describes them: rooms (one row per SdkAppid + RoomId), room_members,
// room_seats, room_admins, room_metadata, battles (under the room that started them,
// from_room_id) and gifts (the ledger, one row per delivery). Column names are snake_case of
// Tencent's field names; they are a contract users query directly, so they change only with a
// new schema version.
//
// Open creates the schema when the file is new: a file that does not exist yet is written whole
// from an embedded image of a new store (newfile.go), an empty one gets the tables by SQL. An
// older store is migrated in place, in one write transaction, by the first instance to open
// it (schema.go): from version 1 the archive is rebuilt; from version 1 or 2 the new tables and
// columns are added, the archived Live events are put under the key the current code gives
// them (version 2 archived battles under an empty room_id), every room whose archive holds
// events the older version did not fold into its rows is refolded (callback.Refold), so that
// its rows are the fold of all of them, and the gift ledger is made of the archived gifts.
// These grow with the archive
// (docs/performance.md): a large store needs a longer Options.Timeout for that one open. The
// database runs in WAL mode with a busy timeout so that another process (an operator's sqlite3
// shell, a replay tool) can read the file while a function writes it. Inside one process every
// call goes through a single connection: a SQLite file has one writer at a time anyway, and
// queueing in Go honours each call's context instead of spinning on SQLITE_BUSY.
//
// SQLite keeps writing to the file it has open even after that file was removed or replaced at
// its path, where nothing will find it again; Save therefore checks, before it commits, that
// the file at the path is still the one it opened, and fails otherwise.
//
// A SQLite store inside a cloud function lives in /tmp and dies with the instance; it is meant
// for local use, tests and single-instance deployments.
package sqlite
