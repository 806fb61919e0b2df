// Package dynamodb is roomhook's Amazon DynamoDB store: it implements callback.Store and
// callback.Reader on one table, using the AWS SDK for Go v2. It needs no transactions
// (TransactWriteItems), so it also runs against DynamoDB-compatible servers that lack them.
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
// about 2 MB and 0.5 ms of cold start for sources a function does not use; locally, export a
// profile's credentials with `eval "$(aws configure export-credentials --format env)"`. Errors
// name the table, region and endpoint, never credentials.
//
// # Table
//
// One table holds everything, keyed on two strings, with one global secondary index listing each
// app's archive in order. Open creates it when it is missing (on-demand billing) and waits until
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
//	    PointInTimeRecoverySpecification: {PointInTimeRecoveryEnabled: true}
//
// Open refuses a table whose keys or index differ (ErrNotRoomhookTable). Provisioned billing,
// point-in-time recovery, encryption keys, deletion protection and tags are the operator's
// choice and do not matter to roomhook.
//
// # Items
//
// Attribute names are snake_case of Tencent's field names, as the SQL backends name their
// columns. Numbers are N, booleans BOOL, strings S, the raw body B. A field Tencent did not send
// is an absent attribute (never NULL, never a zero). Times are stored as they arrive: RoomInfo
// times in Unix seconds, event_time in Unix ms; received_at and updated_at are Unix ms.
//
// Schema version, one item:
//
//	pk = "SCHEMA", sk = "VERSION", version (N) = 1
//
// Open writes it when it is missing (a new table) and refuses a table with a newer version
// (ErrSchemaTooNew), so a later roomhook can migrate.
//
// Room projection, one item per SdkAppid + RoomId:
//
//	pk = "ROOM#<sdkappid>#<room_id>", sk = "ROOM"
//	sdk_app_id N, room_id S, room_name S, room_type S, owner_account S, max_member_count N,
//	max_seat_count N, is_video_disabled BOOL, is_audio_disabled BOOL, is_message_disabled BOOL,
//	is_screen_sharing_disabled BOOL, is_cloud_recording_disabled BOOL, custom_info S,
//	schedule_start_time N, schedule_end_time N, room_status S, is_seat_enabled BOOL,
//	take_seat_mode S, create_time N, operator_account S,
//	schedule_invitee_list_account L of S (order kept; [] is an empty list, absent is no list),
//	callback_command S (the command that last wrote it), event_time N, updated_at N
//
// Event archive, one item per delivered callback, in the partition of its room:
//
//	pk     = "ROOM#<sdkappid>#<room_id>"  (room_id may be empty)
//	sk     = "EVENT#<event_time, 19 digits zero-padded>#<callback_command>"
//	         or, without EventTime, "EVENT#NOTIME#<gsi1sk>" (unique to the delivery)
//	gsi1pk = "EVENTS#<sdkappid>"
//	gsi1sk = "<archive time, Unix ns, 19 digits>#<26 random characters>"
//	sdk_app_id N, callback_command S, room_id S, event_time N (absent without EventTime),
//	client_ip S, opt_platform S, request_id S, received_at N,
//	raw_body B, raw_body_encoding S (absent, or "gzip")
//
// pk + sk is the archive's natural key SdkAppid + CallbackCommand + RoomId + EventTime: the
// free-form parts (room id, command) each end a key, so distinct keys never collide. An event
// without EventTime has no natural key; its sort key is unique, so every delivery is archived.
// A room's partition thus holds its projection and its history:
// Query pk = "ROOM#…" AND begins_with(sk, "EVENT#") lists the room's events by EventTime.
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
// # Item size
//
// DynamoDB refuses items over 400 KB; the core accepts bodies up to 1 MiB. When the archive item
// would exceed 399 KiB (400 KiB less a safety margin) with the body verbatim, raw_body holds it
// gzip-compressed and raw_body_encoding is "gzip"; Reader.Events returns the body decompressed,
// byte for byte. A body still too large compressed (only incompressible data near 400 KB or
// more; Tencent's callbacks are a few KB of JSON) fails Save with ErrItemTooLarge before anything
// is written, so the handler answers 503 and logs the raw event for replay. The same error
// refuses a room item over the limit (a CustomInfo of hundreds of KB).
//
// # Saving without transactions
//
// Save makes two conditional PutItem calls, each idempotent:
//
//  1. the archive item, if attribute_not_exists(pk); a failed condition means a duplicate;
//  2. if the command is projected, the room item, if attribute_not_exists(pk) OR
//     event_time < :t, also for a duplicate: when a delivery archived the event and died
//     before step 2, the re-delivery completes the room.
//
// Outcomes: step 1 duplicate → OutcomeDuplicate; step 2 written → OutcomeStored; step 2
// refused → OutcomeStale, unless the room already holds this very event (same command and
// EventTime, written by a racing re-delivery), which is OutcomeStored; no projection →
// OutcomeIgnored. Concurrent copies of one event yield one Stored and the rest Duplicate. An
// error may leave step 1 done without step 2; the caller answers with a failure, and the next
// delivery or replay repairs the room. (If a retried step 1 finds the item its own lost first
// attempt wrote, the outcome is Duplicate, and step 2 still completes the room.)
//
// # Consistency
//
// Reader.Room and Save's reads are strongly consistent. Reader.Events queries a global secondary
// index, which DynamoDB updates asynchronously: an event saved a moment ago (usually well under
// a second) may be missing from the list. DynamoDB-compatible local servers are immediate.
// Each app's archive is one index partition, good for roughly a thousand small writes a second
// per app, far above Tencent's callback rates.
//
// # Permissions
//
// The function needs, on the table's ARN:
//
//	dynamodb:DescribeTable, dynamodb:GetItem, dynamodb:PutItem
//
// plus dynamodb:CreateTable only if Open is to create a missing table. Tools reading the
// archive (Reader.Events) need dynamodb:Query on the index, arn:…:table/TABLE/index/gsi1, and
// Reader.Room needs dynamodb:GetItem.
//
// # Requests
//
// Every request is bounded: 2 s to connect and to finish TLS, 5 s for the response headers, 10 s
// in all, and at most 3 attempts with back-off capped at 250 ms, all cut short by the caller's
// context. A refused connection fails Open within a fraction of a second; an endpoint that does
// not answer fails it at Options.Timeout at the latest.
package dynamodb
