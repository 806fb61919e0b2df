// Package dynamodb is roomhook's Amazon DynamoDB store: it implements callback.Store,
// callback.Reader, callback.Lister and callback.Purger on one table, using the AWS SDK for Go
// v2. It needs no transactions (TransactWriteItems), so it also runs against DynamoDB-compatible
// servers that lack them.
//
// # Store URL
//
//	dynamodb://TABLE?region=REGION&endpoint=URL
//
// TABLE is the table name (3 to 255 of a-z, A-Z, 0-9, '_', '-', '.'). Both parameters are
// optional:
//
//   - region: the AWS region. Without it AWS_REGION (which Lambda sets), then
//     AWS_DEFAULT_REGION; with no region at all Open fails saying so.
//   - endpoint: an http(s) URL replacing the region's DynamoDB endpoint, for a local server
//     (dynalite, DynamoDB Local) or a VPC interface endpoint. URL-encode it if it has a query.
//     Without it AWS_ENDPOINT_URL_DYNAMODB or AWS_ENDPOINT_URL applies, if set (and
//     AWS_IGNORE_CONFIGURED_ENDPOINT_URLS is not true).
//
// Credentials never appear in the URL. They come from AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY
// and AWS_SESSION_TOKEN, which is how Lambda passes the function role's, or else from a container
// credentials endpoint (AWS_CONTAINER_CREDENTIALS_FULL_URI or _RELATIVE_URI, with
// AWS_CONTAINER_AUTHORIZATION_TOKEN[_FILE]: Lambda Managed Instances, ECS, EKS Pod Identity).
// AWS_CA_BUNDLE names the certificate authorities to trust instead of the system's;
// AWS_USE_FIPS_ENDPOINT and AWS_USE_DUALSTACK_ENDPOINT choose those endpoints. Shared config files, profiles, SSO
// and instance metadata are not read: the SDK's full default chain would cost every function
// binary size and cold-start time (docs/performance.md) for sources a function does not use;
// locally, export a profile's credentials with
// `eval "$(aws configure export-credentials --format env)"`. Errors name the table, region and
// endpoint, never credentials.
//
// # Table
//
// One table holds everything, keyed on two strings, with one global secondary index listing each
// app's archive in order and, apart, its gift ledger by time. Open creates it when it is missing (on-demand billing) and waits until
// it is ACTIVE within Options.Timeout; on AWS that takes seconds, so create it beforehand
// (template.yaml) and let Open only check it. In CloudFormation / SAM terms:
//
//	RoomhookTable:
//	  Type: AWS::DynamoDB::Table
//	  DeletionPolicy: Retain
//	  UpdateReplacePolicy: Retain
//	  Properties:
//	    BillingMode: PAY_PER_REQUEST
//	    AttributeDefinitions:
//	      - {AttributeName: pk, AttributeType: S}
//	      - {AttributeName: sk, AttributeType: S}
//	      - {AttributeName: gsi1pk, AttributeType: S}
//	      - {AttributeName: gsi1sk, AttributeType: S}
//	    KeySchema:
//	      - {AttributeName: pk, KeyType: HASH}
//	      - {AttributeName: sk, KeyType: RANGE}
//	    GlobalSecondaryIndexes:
//	      - IndexName: gsi1
//	        KeySchema:
//	          - {AttributeName: gsi1pk, KeyType: HASH}
//	          - {AttributeName: gsi1sk, KeyType: RANGE}
//	        Projection: {ProjectionType: ALL}
//	    TimeToLiveSpecification: {AttributeName: expires_at, Enabled: true}
//	    PointInTimeRecoverySpecification: {PointInTimeRecoveryEnabled: true}
//
// Open refuses a table whose keys or index differ (ErrNotRoomhookTable). Provisioned billing,
// point-in-time recovery, encryption keys, deletion protection and tags are the operator's
// choice and do not matter to roomhook. Time to Live on expires_at deletes the archive items
// Options.ArchiveRetention gives an expiry time (see Retention); a table Open creates has it
// off (CreateTable cannot switch it on, and a call of its own, UpdateTimeToLive, would add an
// operation to every function binary and a permission for a table only local runs create):
// switch it on once with
//
//	aws dynamodb update-time-to-live --table-name TABLE \
//	  --time-to-live-specification Enabled=true,AttributeName=expires_at
//
// Without it the purge (scripts/purge) deletes those items too.
//
// # Items
//
// Attribute names are the SQL backends' column names (snake_case of Tencent's field names); the
// projection's items take theirs from the callback package's table descriptors (rooms,
// room_members, room_seats, room_admins, room_metadata, battles, gifts). Numbers are N, booleans
// BOOL, strings S, lists of strings L of S and lists of integers (rooms.category,
// battles.to_scores) L of N — lists, not sets: order and repeats are kept, [] is an empty list,
// absent is no list — the raw body B. A NULL column is an absent attribute (never NULL, never a
// zero). Times are stored as they arrive: RoomInfo times in Unix seconds, event times in Unix
// ms; received_at and updated_at are Unix ms. Numbers in keys are zero-padded to 19 digits, so
// that keys sort as the numbers do.
//
// Schema version, one item:
//
//	pk = "SCHEMA", sk = "VERSION", version (N) = 4,
//	legacy_until (N; only in a table migrated from version 1, see Migration)
//
// The version is the DynamoDB item layout version: the SQL backends number their schemas on
// their own.
//
// Open writes it when it is missing (a new table) and refuses a table with a newer version
// (ErrSchemaTooNew), so a later roomhook can migrate.
//
// Room projection, one item per SdkAppid + RoomId (the rooms table):
//
//	pk = "ROOM#<sdkappid>#<room_id>", sk = "ROOM"
//	sdk_app_id N, room_id S, room_name S, room_type S, owner_account S, max_member_count N,
//	max_seat_count N, is_video_disabled BOOL, is_audio_disabled BOOL, is_message_disabled BOOL,
//	is_screen_sharing_disabled BOOL, is_cloud_recording_disabled BOOL, custom_info S,
//	schedule_start_time N, schedule_end_time N, room_status S, is_seat_enabled BOOL,
//	take_seat_mode S, create_time N, operator_account S, schedule_invitee_list_account L,
//	callback_command S, event_time N, updated_at N,
//	member_count N, member_count_at N, destroyed_at N, destroy_operator_account S,
//	is_public_visible BOOL, cover_url S, background_url S, category L (of N), activity_status N,
//	is_unlimited_room_enabled BOOL, view_count N, destroy_event_type S, total_viewers N,
//	total_gifts_sent N, total_gift_coins N, total_unique_gift_senders N, total_likes_received N
//
// Room directory (version 4), one item per room item, in one partition per app, so that an
// app's rooms are one Query (Lister.AppRooms) rather than a Scan of the table:
//
//	pk = "ROOMS#<sdkappid>", sk = "<room_id>"
//	sdk_app_id N, room_id S
//
// A save inserting a room item writes its directory item first, a plain PutItem (the item is
// the same whoever writes it), so that a save failing between the two, whose next delivery
// inserts the room item, leaves at worst a directory item without its room item (which
// Lister.AppRooms skips), never a room item missing from the directory. Every room item is
// inserted that way, the migration's refold included: one write per room, once. Neither item is
// ever deleted.
//
// Members, one item per SdkAppid + RoomId + member account (the room_members table), spread
// over 4 partitions per room so that a busy room's member writes are not one partition key:
//
//	pk = "MEMBERS#<sdkappid>#<room_id>#<shard>", sk = "<member_account>"
//	shard = FNV-1a (32 bits) of the account's UTF-8 bytes, modulo 4, in decimal (0 to 3)
//	sdk_app_id N, room_id S, member_account S, state S ("in" or "left"), entered_at N, left_at N,
//	leave_type S, leave_reason S, event_time N, updated_at N
//
// A room's members are 4 queries, one per shard (Reader.Rows, and a destroy, which ends every
// member in the room). Accounts are at most 255 bytes and never empty (the core refuses others).
//
// Seats, one item per SdkAppid + RoomId + seat index (the room_seats table), in one partition
// per room: a room has few seats, and seat changes are rare next to member traffic:
//
//	pk = "SEATS#<sdkappid>#<room_id>", sk = "<seat_index, 19 digits zero-padded>"
//	sdk_app_id N, room_id S, seat_index N, member_account S, is_taken_disabled BOOL,
//	is_video_disabled BOOL, is_audio_disabled BOOL, event_time N, updated_at N
//
// The Live family's own rows (version 3): each table one partition per room, never the room's
// own (the archive's) partition, sorted by the row key's last column, a non-empty string used as
// it is (at most 255 bytes; a delivery_id 32 hex digits, or "archive:<gsi1sk>"):
//
//	pk = "ADMINS#<sdkappid>#<room_id>", sk = "<admin_account>"              (room_admins)
//	sdk_app_id N, room_id S, admin_account S, state S ("admin" or "removed"), event_time N,
//	updated_at N
//
//	pk = "META#<sdkappid>#<room_id>", sk = "<meta_key>"                     (room_metadata)
//	sdk_app_id N, room_id S, meta_key S, meta_value S (absent once deleted), deleted BOOL,
//	event_time N, updated_at N
//
//	pk = "BATTLES#<sdkappid>#<from_room_id>", sk = "<battle_id>"            (battles)
//	sdk_app_id N, from_room_id S, battle_id S, stage S, to_room_ids L (of S), from_score N,
//	to_scores L (of N), winner_room_id S, create_time N, start_time N, end_time N,
//	duration_ms N, end_op_type N, need_response BOOL, timeout_ms N, extension_info S,
//	callback_command S, event_time N, updated_at N
//
//	pk = "GIFTS#<sdkappid>#<room_id>", sk = "<delivery_id>"                 (gifts, the ledger)
//	gsi1pk = "GIFTS#<sdkappid>", gsi1sk = "<received_at, 13 digits>#<delivery_id>" (version 4)
//	sdk_app_id N, room_id S, delivery_id S, operator_account S, from_account S, to_accounts L,
//	gift_id S, gift_count N, coins N, gift_time N, received_at N
//
// A battle's items are under the room that started it (from_room_id), as are its events in the
// archive. A room's rows of one of these tables are one Query (Reader.Rows). The gifts of a busy
// room are one partition: DynamoDB takes about 1,000 writes a second on one partition key,
// far above the gift rate of a room. A ledger item's index keys (version 4, written with the
// item: no request of their own) list an app's gifts in gsi1, in a partition apart from its
// archive's: read backwards, newest first (received_at, zero-padded so that strings sort as
// the numbers do until the year 2286, then delivery_id), the order Lister.Gifts returns.
//
// Event archive, one item per archived callback, in the partition of its room:
//
//	pk     = "ROOM#<sdkappid>#<room_id>"  (room_id may be empty)
//	sk     = "EV#<group>#<event_time, 19 digits>#<callback_command>#<body_sha256>"
//	         or, without EventTime, "EVENT#NOTIME#<gsi1sk>" (unique to the delivery)
//	group  = "L" (the life) for Room.CallbackAfterCreateRoom, Room.CallbackAfterUpdateRoomInfo,
//	         Room.CallbackUpdateRoomInfo, Room.CallbackAfterDestroyRoom,
//	         Live.CallbackAfterCreateRoom, Live.CallbackAfterUpdateRoomInfo,
//	         Live.CallbackAfterChangeOwner and Live.CallbackAfterDestroyRoom;
//	         "M" for Room.CallbackAfterMemberEnter and Room.CallbackAfterMemberLeave;
//	         "S" for Mic.CallbackAfterSeatInfoChanged;
//	         "V" for Live.CallbackAfterMemberStateChanged and Live.CallbackMemberStateChanged;
//	         "A" for Live.CallbackAfterModifyAdmin;
//	         "D" for Live.CallbackAfterSetMetadata and Live.CallbackAfterDelMetadata;
//	         "B" for Live.CallbackAfterCreateBattle, …StartBattle and …EndBattle;
//	         "X" for every other command (a gift has no EventTime: NOTIME)
//	gsi1pk = "EVENTS#<sdkappid>"
//	gsi1sk = "<archive time, Unix ns, 19 digits>#<26 random characters>"
//	sdk_app_id N, callback_command S, room_id S (a battle's: its from_room_id), event_time N
//	(absent without EventTime), client_ip S, opt_platform S, request_id S, received_at N,
//	body_sha256 S, raw_body B, raw_body_encoding S (absent, or "gzip"),
//	delivery_id S (a gift's, version 3: the delivery_id of its ledger row),
//	expires_at N (Unix seconds; only with Options.ArchiveRetention, on the items of the
//	commands callback.AlwaysExpires names: see Retention)
//
// pk + sk is the archive's key SdkAppid + RoomId + CallbackCommand + EventTime + body_sha256
// (the SHA-256 of the raw body, 64 lowercase hex digits): two different events of one room in
// one millisecond are both kept, and a repeat of one event is a duplicate. The group follows
// from the command; the free-form parts each end a key, or are followed only by parts of a
// fixed length (time, digest), so distinct keys never collide. An event without EventTime has
// no natural key; its sort key is unique, so every delivery is archived.
//
// The groups are the commands the projection reads together (the life; the member events whose
// newest gives the count; the Live member states; the destroys, within the life group; seats,
// admins, metadata and battles), so each of its reads of the archive is one Query on pk and a
// range of sk, ordered by EventTime: "EV#<group>#<from>#" to "EV#<group>#<to>$", keeping only
// the commands asked for (filtered by the Query when they are not the whole group, and checked
// again on reading). The newest events of some commands are
// one backward Query reading a few whole items at a time, which pages on only while every
// item read so far is at the greatest time found (or none of the commands asked for is found
// yet).
//
// Room lock, one item per room while a save holds it (see Saving without transactions):
//
//	pk = "ROOM#<sdkappid>#<room_id>", sk = "LOCK", owner S (a random token), expires_at N (Unix ms)
//
// (Time to Live reads that expires_at as Unix seconds, tens of thousands of years ahead: it
// never deletes a lock item. A save deletes its own, and the next one takes over an abandoned
// one.)
//
// A duplicate delivery that wrote an event's rows first, for the delivery that archived it (see
// Outcomes), one item with no other attribute, deleted by that delivery:
//
//	pk = "ROOM#<sdkappid>#<room_id>", sk = "PROJECTED#<the archive item's sk>"
//
// Reader.Events lists an app's archive by querying gsi1 in gsi1sk order: the time this store
// archived the item, moved forward by at least 1 ns per save within one process, so saves from
// one instance list in the order they were made. Saves from several instances at the same
// moment are ordered by their clocks (synchronised on Lambda, but not exactly).
//
// Strings travel as UTF-8. The core hands over only valid UTF-8 (it refuses other query
// parameters and bodies); Save still refuses a RoomID or command that is not, because a
// replaced byte could merge two keys. Any other invalid byte from another caller of Save would
// be stored as U+FFFD. The raw body is binary and always exact.
//
// # Migration
//
// Version 1 keyed the archive on the command and EventTime alone, sk = "EVENT#<event_time, 19
// digits>#<callback_command>", had no member or seat items and no body_sha256, and projected
// only the creates. Version 2 added the member and seat items and the archive groups L, M, S,
// and archived the Live family's commands in group X, with the RoomId of the body (a battle,
// whose body names FromRoomId, under room ""); it projected the Live life, owner and member
// states but not admins, metadata, battles or gifts, and had no Live room columns. Version 3
// had no room directory items and no index keys on ledger items. Open migrates a table of
// version 1, 2 or 3 in place to version 4, in one pass:
//
//  1. one Scan of the table (paged, filtered on the server to the items concerned: from
//     version 1, its archive items of folded commands with an EventTime; from version 1 or 2,
//     the archive items of the Live family's folded commands and of gifts, under any key; from
//     any, the room items and the ledger items without gsi1pk), each page's items dealt with 16
//     at a time. Each room item gets its directory item (a PutItem, as a save writes it); each
//     ledger item without gsi1pk its index keys (an UpdateItem of gsi1pk and gsi1sk alone, if
//     attribute_exists(pk), so that no item is made of two keys; the values follow from the
//     item, so racing instances write the same). From version 1, each room whose version 1 archive holds folded
//     events is noted. An item of a Live folded command that is not at its version 3 key
//     (version 2's group X, version 1's keys) is moved there (see below), and its room noted
//     when the command is one whose rows version 3 added (callback.V3Commands: the Live
//     create, update and destroy, admins, metadata, battles) or the item is version 1's; an
//     item whose body does not parse as its command stays where it is (the fold leaves such a
//     body out anyway, and the core refuses it today). Each archived gift that names no ledger
//     row (every gift archived before version 3) gets its ledger item:
//     callback.GiftRowOfArchive with delivery_id "archive:<gsi1sk>" (the archive item's unique
//     position in the app's archive) and the archive's received_at, written with its index keys
//     if attribute_not_exists(pk);
//  2. the refold: each room noted, once, up to 8 at a time, under its room lock, as a save
//     projects (callback.Refold: the room's archive, version 1 items included, folded into all
//     its rows, each item that ends changed written as in step 2 of a save, a room item it
//     inserts after its directory item). The rows then are what a version 4 store holds that
//     saved the same callbacks. A room whose fold would make
//     an item too large (ErrItemTooLarge, only from bodies a version 3 Save refuses) keeps its
//     rows;
//  3. the schema version item becomes version 4, conditional on the version read, so cold
//     starts racing on one table agree on one item; from version 1 with legacy_until = the
//     migration's time in Unix ms plus 10 minutes (for other instances' clocks and the version 1
//     instances still finishing their requests), from version 2 with its legacy_until as it was.
//
// Moving an item rather than reading group X too: version 2 archived every Live command in X,
// the member states of busy rooms included, so a read of X for events before version 3 would
// keep reading all of them on every fold of an old room, for ever; and a battle archived under
// room "" is in no room's partition the fold reads. Moved, each of the projection's reads is one
// key range of its own group, old rooms included, and a delivery again of a moved event finds
// its key (a duplicate). A move copies the item to its version 3 key — the partition of the room
// its payload names, with room_id, event_time and body_sha256 as version 3 archives them, every
// other attribute (gsi1pk and gsi1sk included: Reader.Events lists it at the same place) as it
// was — if no item has that key or the one there has the same gsi1sk (another instance's copy),
// then deletes the old item if it still has that gsi1sk. Both writes are conditional and
// idempotent: instances migrating at once, or one starting again after a failure between the
// two writes, copy and delete each item once. When another item (another delivery of the
// event) already holds the new key, the old item stays where it is: it is a second archive row
// of the event, as it was, and the fold reads the one at the new key. Between the two writes of
// a move Reader.Events may list the event twice.
//
// The version item says 4 only once every item is dealt with and every room refolded: a cold
// start that fails or runs out of time half-way leaves the version it found, and the next one
// does it all again (a moved item is at its key, a ledger or directory item exists, index keys
// are set to the same values again, a room already refolded writes nothing). Racing cold starts
// each do it, taking turns on each room through its lock. The migration costs a Scan of the
// whole table plus two writes per Live item to move, one per gift, one per room item and per
// ledger item without index keys, and a few requests per room refolded, within Open's budget (Options.Timeout; a function's cold start
// allows four times ROOMHOOK_STORE_TIMEOUT): migrate a large table ahead of the deployment,
// with `ROOMHOOK_STORE='dynamodb://…' go run ./scripts/migrate -timeout 30m` (safe beside
// starting functions, and to run again). An event an instance of the older version still
// running archives after the migration read its part of the table is not moved, folded in or
// put in the ledger by the migration (the next delivery of the event archives it anew).
//
// A gift saved by version 3 names its ledger row in its archive item (delivery_id), so that an
// instance still migrating beside saves of version 3 or 4 makes no second ledger row for it.
//
// From version 3 the migration moves and refolds nothing: it costs the Scan and one write per
// room item and per ledger item. Instances of version 3 must be stopped before the first start
// of version 4: a room a version 3 save inserts once the migration read its part of the table
// has no directory item (Lister.AppRooms never lists it), a gift it saves no index keys
// (Lister.Gifts of the app misses it). Should that have happened, putting version 3 back in the
// schema version item and running scripts/migrate again repairs it (the steps are idempotent).
//
// The version 1 archive items of the Room family stay where they are and Reader.Events lists
// them as before. While legacy_until is set:
//
//   - the projection also reads the room's version 1 items (a Query on the room's partition for
//     sk from "EVENT#<from>#" to "EVENT#<to>$", which leaves out EVENT#NOTIME#…, filtered on
//     the commands), computing each body's SHA-256 as it reads them (a read limited to events after
//     legacy_until skips this Query);
//   - before archiving an event whose EventTime is at most legacy_until, Save reads the version
//     1 item of its command and EventTime: when it exists and its body (gunzipped when
//     raw_body_encoding is gzip) has the event's SHA-256, the event is a duplicate (which
//     still projects, as in step 2 of a save, and finds the rows already reflecting it).
//     Another body at that key is another event, archived with a version 3 key.
//
// Room items of older versions are version 3 room items whose newer attributes are absent
// until the refold (or a later event of the room) sets them.
//
// # Item size
//
// DynamoDB refuses items over 400 KB; the core accepts bodies up to 1 MiB. When the archive item
// would exceed 399 KiB (400 KiB less a safety margin) with the body verbatim, raw_body holds it
// gzip-compressed and raw_body_encoding is "gzip"; Reader.Events returns the body decompressed,
// byte for byte. A body still too large compressed (only incompressible data near 400 KB or
// more; Tencent's callbacks are a few KB of JSON) fails Save with ErrItemTooLarge before anything
// is written, so the handler answers 503 and logs the raw event for replay. The same error
// refuses, before anything is written, a create, update or Live destroy whose own fields would
// make the room item too large (a CustomInfo of hundreds of KB), and a gift whose ledger item
// would be. A room item that only the fold of several
// such events would make too large fails the save after the archive write, with the same error.
//
// # Saving without transactions
//
// Save uses no transaction (TransactWriteItems); every write is conditional and idempotent:
//
//  1. the archive item, if attribute_not_exists(pk); a failed condition (or, in a migrated
//     table, the version 1 item holding the same body) means a duplicate. At the same time,
//     when the command is folded (every projected command but the gift, see Gifts), take the
//     room's lock: PutItem of the lock item if
//     attribute_not_exists(pk) OR expires_at < now OR owner = this save's token, retried while
//     another save holds it after jittered waits (2.5-5 ms at first, doubling up to 50-100 ms)
//     until the save's context ends. The lease is the save's remaining time (its context's
//     deadline) plus 1 s, within 3 s to 30 s (30 s without a deadline): with the function's
//     default 1.5 s budget, 3 s. The projection only reads the archive, so a save holding the
//     room that finds an event archived by a save still waiting for the lock folds a fact
//     that is true; a save that fails to take the lock leaves its event archived, and the next
//     delivery projects it (step 2);
//  2. when the command is folded, the projection (callback.Project), also for a duplicate:
//     when a delivery archived the event and died before projecting it, the re-delivery
//     completes the rows. Its reads are strongly consistent GetItem and Query calls, made at
//     the same time where they do not depend on each other; each row it writes is a PutItem of
//     the whole item, conditional on the stored item being the one it read (absent, or holding
//     the same number and boolean attributes: event_time, updated_at, …), and refused once
//     less than 250 ms of the lease is left;
//  3. release the lock: DeleteItem if owner = this save's token, also after an error (within
//     1 s of its own, whatever the save's context), before Save returns.
//
// A Live member state (callback.Event.MemberLocks) takes, instead of the room's lock, the lock
// item of each member it lists (pk MLOCK#<app>#<room>#<shard>, sk the account), in the order
// given, so that a popular room's viewers are saved side by side. Saves that hold the room (a
// destroy ends every member in) are then kept apart by reading: the member state reads the
// room's destroys before it folds and again after it wrote its rows, and folds again if one
// arrived meanwhile. A destroy archives itself before it reads the members; so of the two, each
// writes before it reads what the other wrote, and one sees the other. A row write whose
// condition fails because another save wrote the row since (the two kinds of save can write one
// member's row at once) makes the save fold again, up to 5 times. One process's saves wait for a
// lock in the order they came (roomTurns), so only one of them asks DynamoDB for it.
//
// Outcomes: step 1 duplicate → OutcomeDuplicate; rows written → OutcomeStored; none →
// OutcomeStale; a command not projected → OutcomeIgnored; a gift → OutcomeStored (see Gifts).
// Concurrent copies of one event give one Stored (or Stale) and the rest Duplicate: since the archive item is written before the
// lock is held, a duplicate copy may take the room first and write the event's rows; it then
// writes the PROJECTED# item before giving the lock back, and the copy that archived the event,
// finding the rows already written, deletes that item (while it gives the lock back) and
// answers Stored instead of Stale. (An item whose archiving save failed or died stays; it is
// never read again.) An event another save folded first, archived while that save held the
// room, answers Stale. An error may leave step 1 done without step 2, or step 2 in part; the
// caller answers with a failure, and the next delivery or replay completes the rows. (If a
// retried archive write finds the item its own lost first attempt wrote, the outcome is
// Duplicate, and step 2 still completes the rows.)
//
// A lock is only as good as its lease: an instance killed mid-save blocks its room's saves
// for at most the rest of its lease (3 s by default), after which the next save takes the lock
// over; those saves wait, and fail only at their own deadline. Leases are compared across
// instances' clocks (synchronised on Lambda to a few ms). A save that outlived its lease
// writes no row over one another save wrote since it read it (the conditions of step 2).
//
// # Gifts
//
// A gift (Live.CallbackBeforeSendGift) is one ledger row per delivery, read from nothing, so its
// save takes no lock. It has no EventTime: its archive item is keyed by the delivery (NOTIME),
// and callback.Project names the ledger row's delivery_id (from the platform's request id, the
// receipt time and the body, so that a replay of one delivery from the logs gives it again).
// Save works the ledger row out first (and refuses, before writing anything, one too large for
// an item), then writes, one after the other:
//
//  1. the archive item, naming delivery_id;
//  2. the ledger item, with its index keys, if attribute_not_exists(pk).
//
// Each write's condition fails only on what this delivery (the SDK's retry of a write whose
// answer was lost) or a replay of it wrote before: that is success, so one delivery makes at
// most one ledger row however often it is retried or replayed. When the ledger write fails
// after the archive item was written, Save reads the ledger item back (strongly consistent,
// within 1 s of its own, whatever the save's context) and succeeds if it is there (a write
// applied whose answer was lost); otherwise Save fails, and the handler answers 503 (the gift
// is not sent; with ROOMHOOK_GIFT_ON_STORE_FAILURE=allow it is, and the replay of the logged
// delivery makes the row under the same delivery_id). The archive item of such a delivery
// stays, naming a ledger row that does not exist.
//
// What is guaranteed: a delivery answered OK has exactly one ledger row, written before the
// answer; a delivery that failed has none, but in one case: a ledger write still in flight when
// the save gave up, applied after the read back (the ledger then holds a gift that was
// refused). DynamoDB offers no transaction here that would make the two items one write.
//
// # Listing
//
// Lister reads an app's rooms, ledger and archive without a Scan:
//
//   - AppRooms: a Query of the app's directory partition (ROOMS#<app>), then the room items, 100
//     keys a BatchGetItem, 4 calls at once, both strongly consistent. Keys DynamoDB leaves
//     unprocessed (throttling, or more than 16 MB in one answer) are asked for again after a
//     wait (20 ms, doubling up to 1 s while calls make no progress; an error after 10 such
//     calls in a row, or when the context ends). A directory item whose room item is missing
//     is skipped.
//   - Gifts of the app: a backward Query of gsi1 on gsi1pk = GIFTS#<app>, Since as the key
//     condition gsi1sk >= its 13 digits, paged until Limit rows. Of one room: a Query of its
//     ledger partition, filtered and sorted by the store.
//   - Archive of the app: a backward Query of gsi1 on gsi1pk = EVENTS#<app>. The time in gsi1sk
//     is the archive time (the store's clock when it saved the event), not received_at (the
//     handler's when it received it), so Since, like Commands, is a filter (received_at >= its
//     Unix ms, callback_command IN …), never a key condition: the Query reads the archive back
//     until Limit events are selected (a filtered Query's page limit counts the items read, so
//     none is set), or to its start. Of one room: Queries of its archive partition (sort keys
//     EV#… and EVENT#…), strongly consistent, filtered, sorted newest first by gsi1sk (Events'
//     order) and cut at Limit by the store.
//
// # Retention
//
// Options.ArchiveRetention (ROOMHOOK_ARCHIVE_RETENTION) bounds the archive, in two ways:
//
//   - Time to Live: the archive item of an event whose command callback.AlwaysExpires names
//     (seats, admins, metadata, Live member states, gifts, every command roomhook does not
//     project: events the fold reads back only beside an event of the same millisecond, or
//     never) carries expires_at = its received_at plus the retention, in Unix seconds rounded
//     up, written with the item by the archive's PutItem: no request of its own. DynamoDB
//     deletes such items some time after that (usually within days), without consuming write
//     capacity, once Time to Live is switched on for expires_at (template.yaml does). Other
//     archive items carry no expires_at, nor does any item of an older version or saved without
//     a retention: the purge deals with them. The projection's items never expire.
//   - The purge (callback.PurgeArchive, scripts/purge) deletes the archive items older than the
//     retention that no room's fold still reads, through Purger: Expired lists an app's archive
//     in the index, a forward Query on gsi1pk = EVENTS#<app> filtered on received_at < the
//     cutoff (Unix ms); RoomArchived is the projection's own read of a room's archive (Tx's
//     Archived, strongly consistent), taking no lock; Delete deletes items by ArchiveID.
//
// Expired cannot narrow its Query by gsi1sk: that is the time the store saved the item, which
// may be any time after received_at (a replay of logged events saves them with the time they
// were first received), so a range of it would miss those. A purge therefore reads the app's
// whole archive in the index, eventually consistent, in pages of 1 MB: a run a day with a
// 30-day retention reads about 31 days of archive (the events Time to Live has not yet deleted
// included) to delete one. Each call stops after n events; its position (the next call's
// ExclusiveStartKey: pk, sk, gsi1pk and gsi1sk of the last item read) is base64 (URL
// alphabet) of their JSON. An ArchiveID is base64 (URL alphabet) of the JSON array [pk, sk]:
// unambiguous whatever a room id holds.
//
// Delete checks every id before it deletes anything: one that does not decode, or names an item
// that is not an archive item (a sort key other than EV#… and EVENT#…, a partition key other
// than ROOM#…), fails the call; one of another app's archive (ROOM#<other app>#…) is skipped.
// Each item is then one DeleteItem, conditional on gsi1pk = EVENTS#<app>, 8 at a time, and the
// count is of the deletes whose condition held: an item already gone (a purge before, or beside)
// is not counted. BatchWriteItem would take 25 deletes a call, but says nothing of what each
// deleted, and would add an operation to the function binary, which links DeleteItem already. A
// delete DynamoDB throttles beyond the SDK's retries is made again after a wait (20 ms doubling
// up to 1 s, 10 times in a row at most); Delete stops at another error or when its context
// ends, returning the count so far. An event deleted and delivered again is archived again (its
// key went with it); a PROJECTED# item left beside it is not deleted, and never read again.
//
// # Read-only
//
// Options.ReadOnly opens a table for the operators' tools: a DescribeTable and a GetItem of the
// schema version item, nothing else (no CreateTable, no migration). A missing table, or one
// without the version item (created beforehand, never opened by a function), is
// callback.ErrNoSchema; an older version callback.ErrSchemaOlder (its items lack the directory
// and the ledger's index keys the Lister reads: a function of this version, or scripts/migrate,
// upgrades it); a newer one ErrSchemaTooNew. Save on such a store fails without writing.
//
// # Consistency
//
// Reader.Rows, Lister.AppRooms, Lister.Gifts and Lister.Archive of one room, and Save's reads are
// strongly consistent. Reader.Events, and Lister.Gifts and Lister.Archive of a whole app, query
// a global secondary index, which DynamoDB updates asynchronously: an event or gift saved a
// moment ago (usually well under a second) may be missing from the list. DynamoDB-compatible
// local servers are immediate. Each app's archive is one index partition, its ledger another,
// each good for roughly a thousand small writes a second per app, far above Tencent's callback
// rates.
//
// # Permissions
//
// The function needs, on the table's ARN:
//
//	dynamodb:DescribeTable, dynamodb:GetItem, dynamodb:PutItem, dynamodb:DeleteItem, dynamodb:Query
//
// plus dynamodb:CreateTable only if Open is to create a missing table, and dynamodb:Scan and
// dynamodb:UpdateItem only while Open migrates a table of an older version (see Migration; it
// moves archive items with dynamodb:PutItem and dynamodb:DeleteItem, and gives ledger items
// their index keys with dynamodb:UpdateItem). Tools reading the store (Options.ReadOnly) need
// dynamodb:DescribeTable and dynamodb:GetItem (Open, Reader.Rows), dynamodb:Query on the table
// (Reader.Rows, Lister of one room, the room directory) and on the index,
// arn:…:table/TABLE/index/gsi1 (Reader.Events, Lister of an app), and dynamodb:BatchGetItem
// on the table (Lister.AppRooms). The purge (scripts/purge, on a table at this version) needs
// dynamodb:DescribeTable and dynamodb:GetItem (Open), dynamodb:Query on the index
// (Purger.Expired) and on the table (Purger.RoomArchived), and dynamodb:DeleteItem on the table
// (Purger.Delete).
//
// # Requests
//
// Every request is bounded: 2 s to connect and to finish TLS, 5 s for the response headers, 10 s
// in all, and at most 3 attempts with back-off capped at 250 ms, all cut short by the caller's
// context. A refused connection fails Open within a fraction of a second; an endpoint that does
// not answer fails it at Options.Timeout at the latest.
package dynamodb
