package dynamodb

import (
	"bytes"
	"compress/gzip"
	"crypto/rand"
	"fmt"
	"hash/fnv"
	"slices"
	"strconv"
	"sync"
	"time"
	"unicode/utf8"

	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/roomhook/roomhook/pkg/callback"
)

// Attribute names of archive items: the SQL backends' column names. They are a contract users
// query directly. The projection's items take theirs from the callback table descriptors.
const (
	attrSdkAppID        = "sdk_app_id"
	attrCommand         = "callback_command"
	attrRoomID          = "room_id"
	attrEventTime       = "event_time"
	attrClientIP        = "client_ip"
	attrOptPlatform     = "opt_platform"
	attrRequestID       = "request_id"
	attrReceivedAt      = "received_at"
	attrRawBody         = "raw_body"
	attrRawBodyEncoding = "raw_body_encoding"
	attrBodySHA256      = "body_sha256"
	// attrDeliveryID, on the archive item of a gift saved by version 3, is the delivery_id of
	// the gift's ledger row (the gifts table's column of that name).
	attrDeliveryID = "delivery_id"
)

// encodingGzip is the value of raw_body_encoding when raw_body holds the body gzip-compressed.
const encodingGzip = "gzip"

// Item size limits. DynamoDB refuses an item over 400 KB (409,600 bytes, counting attribute
// names and values). itemSize estimates from above, and itemBudget keeps a further margin, so
// an item Save accepts is never refused for its size.
const (
	maxItemBytes   = 400 * 1024
	itemBudget     = maxItemBytes - 1024
	maxPartKeySize = 2048 // bytes of a partition key value
	maxSortKeySize = 1024 // bytes of a sort key value
)

// Key layout; see the package documentation.
const (
	roomPrefix        = "ROOM#"
	roomSK            = "ROOM"
	lockSK            = "LOCK"
	membersPrefix     = "MEMBERS#"
	memberLocksPrefix = "MLOCK#"
	seatsPrefix       = "SEATS#"
	adminsPrefix      = "ADMINS#"       // room_admins (version 3)
	metadataPrefix    = "META#"         // room_metadata (version 3)
	battlesPrefix     = "BATTLES#"      // battles, under the room that started them (version 3)
	giftsPrefix       = "GIFTS#"        // gifts, the ledger (version 3)
	eventPrefix       = "EV#"           // archive items since version 2
	projectedPrefix   = "PROJECTED#"    // an event's rows written first by a duplicate delivery
	legacyPrefix      = "EVENT#"        // version 1 archive items (the Room family's kept where they are)
	noTimePrefix      = "EVENT#NOTIME#" // archive items without EventTime, both versions
	appIndexPrefix    = "EVENTS#"
	directoryPrefix   = "ROOMS#" // an app's room directory (version 4)

	// memberShards is the number of partitions a room's member items are spread over.
	memberShards = 4
)

// roomPK is the partition key of a room's item, of its lock and of its archive items.
func roomPK(app int64, roomID string) string {
	return roomPrefix + strconv.FormatInt(app, 10) + "#" + roomID
}

// memberShard is the partition of a member's item: FNV-1a (32 bits) of the account's bytes,
// modulo memberShards.
func memberShard(account string) int {
	h := fnv.New32a()
	h.Write([]byte(account))
	return int(h.Sum32() % memberShards)
}

// membersPK is the partition key of one shard of a room's member items. The shard, which holds
// no '#', ends the key, so a room id holding '#' cannot make two keys alike.
func membersPK(app int64, roomID string, shard int) string {
	return membersPrefix + strconv.FormatInt(app, 10) + "#" + roomID + "#" + strconv.Itoa(shard)
}

// memberLockPK is the partition key of the lock item of a room's member (sort key: the account),
// taken by a Live member state instead of the room's lock (see Store.save): in the member's
// shard, apart from its row's partition.
func memberLockPK(app int64, roomID, account string) string {
	return memberLocksPrefix + strconv.FormatInt(app, 10) + "#" + roomID + "#" + strconv.Itoa(memberShard(account))
}

// seatsPK is the partition key of a room's seat items.
func seatsPK(app int64, roomID string) string {
	return seatsPrefix + strconv.FormatInt(app, 10) + "#" + roomID
}

// tablePK is the partition key of the items of a room's rows in one of the tables version 3
// added: the table's prefix, the app and the room (a battle's from_room_id). Each is a partition
// of its own, never the room's: a room's rows of one table are one Query, and its archive's
// partition stays what the archive reads.
func tablePK(prefix string, app int64, roomID string) string {
	return prefix + strconv.FormatInt(app, 10) + "#" + roomID
}

// seatSK is the sort key of a seat item: its index, zero-padded so that seats sort by index.
func seatSK(index int64) string { return fmt.Sprintf("%019d", index) }

// appPK is the index partition key listing an app's archive.
func appPK(app int64) string { return appIndexPrefix + strconv.FormatInt(app, 10) }

// directoryPK is the partition key of an app's room directory (version 4): one item per room
// whose rooms item exists, sk the room id, so that an app's rooms are a Query of one partition
// (Lister.AppRooms) instead of a Scan of the whole table. "ROOMS#" is not "ROOM#" followed by
// anything, so no room's partition key is a directory's.
func directoryPK(app int64) string { return directoryPrefix + strconv.FormatInt(app, 10) }

// directoryItem is the directory item of a room: its key and the room's key columns.
func directoryItem(app int64, room string) map[string]types.AttributeValue {
	item := key(directoryPK(app), room)
	item[attrSdkAppID] = attrN(app)
	item[attrRoomID] = attrS(room)
	return item
}

// giftsIndexPK is the index partition key (gsi1pk) of an app's ledger items (version 4), beside
// its archive's (appPK) in the same index.
func giftsIndexPK(app int64) string { return giftsPrefix + strconv.FormatInt(app, 10) }

// giftsIndexSK is a ledger item's index sort key (gsi1sk): received_at in Unix ms, 13 digits
// zero-padded (every time up to the year 2286), then its delivery_id, so that an app's gifts
// read backwards come in the order Lister.Gifts returns them (received_at descending, then
// delivery_id by bytes descending) and "received at or after" is a key condition.
func giftsIndexSK(receivedAt int64, deliveryID string) string {
	return fmt.Sprintf("%013d#%s", receivedAt, deliveryID)
}

// indexLedger gives the item of a ledger row (a GiftsTable row, checked) its index keys.
func indexLedger(item map[string]types.AttributeValue, row callback.Row) {
	t := callback.GiftsTable
	item[attrGSI1PK] = attrS(giftsIndexPK(row[0].(int64)))
	item[attrGSI1SK] = attrS(giftsIndexSK(row[t.Index("received_at")].(int64), row[t.Index("delivery_id")].(string)))
}

// timeKey is an EventTime as keys hold it: 19 digits, zero-padded, so strings sort as numbers.
func timeKey(t int64) string { return fmt.Sprintf("%019d", t) }

// stamp is an archive item's place in its app's archive: the store's clock in Unix ns,
// zero-padded so that strings sort as numbers, and a random suffix so that two instances
// writing in the same nanosecond still get distinct, stable positions.
func stamp(ns int64) string { return fmt.Sprintf("%019d#%s", ns, rand.Text()) }

// Archive groups: the projection reads a room's events of one group together (every
// ArchiveQuery it makes asks for commands of one group), so that each of its reads is one key
// range. The group is a function of the command alone. Version 3 gave the Live family's folded
// commands groups of their own (version 2 archived them in X; the migration moves them, see
// moveItem).
const (
	groupLife        = "L" // create, update (both spellings), destroy, of both families; Live's owner change
	groupMembers     = "M" // member enter, member leave (the Newest read of the member count)
	groupSeats       = "S" // seat change
	groupLiveMembers = "V" // Live member state (both spellings): its viewers
	groupAdmins      = "A" // Live admin changes
	groupMetadata    = "D" // Live metadata set and delete
	groupBattles     = "B" // Live battle create, start, end
	groupOther       = "X" // every other command (a gift, the threshold, commands not projected)
)

// v2Grouped are the commands version 2 archived in a group of their own (L, M, S); it archived
// every other command in groupOther.
var v2Grouped = []string{callback.CommandCreateRoom, callback.CommandUpdateRoom, callback.CommandUpdateRoomAlt,
	callback.CommandDestroyRoom, callback.CommandMemberEnter, callback.CommandMemberLeave, callback.CommandSeatChanged}

// movedCommands are the folded commands version 2 archived in groupOther (the Live family's):
// the migration to version 3 moves their items to their own group (moveItem). Derived on first
// use (by a migration), not at package init, which runs at every cold start, for every backend
// linked.
var movedCommands = sync.OnceValue(func() []string {
	return slices.DeleteFunc(callback.FoldedCommands(), func(c string) bool { return slices.Contains(v2Grouped, c) })
})

// groupOf returns the archive group of command: each folded command's, any other command's
// groupOther. (A switch, not a package-level map, which package init would build.)
func groupOf(command string) string {
	switch command {
	case callback.CommandCreateRoom, callback.CommandUpdateRoom, callback.CommandUpdateRoomAlt, callback.CommandDestroyRoom,
		callback.CommandLiveCreateRoom, callback.CommandLiveUpdateRoom, callback.CommandLiveChangeOwner,
		callback.CommandLiveDestroyRoom:
		return groupLife
	case callback.CommandMemberEnter, callback.CommandMemberLeave:
		return groupMembers
	case callback.CommandSeatChanged:
		return groupSeats
	case callback.CommandLiveMemberState, callback.CommandLiveMemberStateAlt:
		return groupLiveMembers
	case callback.CommandLiveModifyAdmin:
		return groupAdmins
	case callback.CommandLiveSetMetadata, callback.CommandLiveDelMetadata:
		return groupMetadata
	case callback.CommandLiveCreateBattle, callback.CommandLiveStartBattle, callback.CommandLiveEndBattle:
		return groupBattles
	}
	return groupOther
}

// groupPrefix starts the sort keys of a room's version 2 archive items of group g.
func groupPrefix(g string) string { return eventPrefix + g + "#" }

// eventSK is the sort key of a version 2 archive item: the command's group, EventTime, the
// command and the body's SHA-256, so that a room's events of one group are one range ordered by
// time. The group follows from the command, the time and digest have a fixed length, so the key
// read from its end tells the command apart even if it holds '#'. Without an EventTime the key
// is unique to this delivery, so that every delivery is archived (as version 1 did).
func eventSK(ev *callback.Event, stamp string) string {
	if ev.EventTime == 0 {
		return noTimePrefix + stamp
	}
	return groupPrefix(groupOf(ev.Command)) + timeKey(ev.EventTime) + "#" + ev.Command + "#" + ev.Digest()
}

// projectedSK is the sort key of the item a duplicate delivery leaves when it wrote the rows of
// an event before the delivery that archived it (see Store.save): the archive item's key after
// projectedPrefix.
func projectedSK(ev *callback.Event) string { return projectedPrefix + eventSK(ev, "") }

// legacySK is the sort key version 1 gave the archive item of command at EventTime t.
func legacySK(t int64, command string) string {
	return legacyPrefix + timeKey(t) + "#" + command
}

func key(pk, sk string) map[string]types.AttributeValue {
	return map[string]types.AttributeValue{attrPK: attrS(pk), attrSK: attrS(sk)}
}

// checkKeyParts refuses what cannot be a DynamoDB key. Strings travel as UTF-8: an invalid byte
// would be replaced on the wire, and two different ids could then share one key. The core never
// produces such an event (both come from a UTF-8 JSON body, within 255 and 128 bytes).
func checkKeyParts(ev *callback.Event) error {
	if !utf8.ValidString(ev.RoomID) {
		return fmt.Errorf("dynamodb: save: RoomID is not valid UTF-8")
	}
	if !utf8.ValidString(ev.Command) {
		return fmt.Errorf("dynamodb: save: Command is not valid UTF-8")
	}
	// The longest partition key of a room is its members' (with the shard).
	if len(membersPK(ev.SdkAppID, ev.RoomID, memberShards-1)) > maxPartKeySize {
		return fmt.Errorf("dynamodb: save: RoomID of %d bytes is too long for a DynamoDB key", len(ev.RoomID))
	}
	if len(eventSK(ev, stamp(0))) > maxSortKeySize || len(projectedSK(ev)) > maxSortKeySize ||
		len(legacySK(ev.EventTime, ev.Command)) > maxSortKeySize {
		return fmt.Errorf("dynamodb: save: Command of %d bytes is too long for a DynamoDB key", len(ev.Command))
	}
	return nil
}

// archiveItem builds the archive item of ev at archive position st. When the item would be too
// large with the raw body verbatim, the body is stored gzip-compressed and raw_body_encoding
// says so; when it is too large even then, archiveItem returns ErrItemTooLarge.
func archiveItem(ev *callback.Event, st string) (map[string]types.AttributeValue, error) {
	return archiveItemOf(ev, st, "", 0)
}

// archiveItemOf is archiveItem with, for a gift, the delivery_id of its ledger row ("": none),
// and the item's expiry time for Time to Live (expiresAt; 0: none). Both are set before the
// item's size is reckoned, so that the size check counts them.
func archiveItemOf(ev *callback.Event, st, deliveryID string, expires int64) (map[string]types.AttributeValue, error) {
	raw := ev.Raw
	if raw == nil {
		raw = []byte{} // an empty body is still a body
	}
	item := key(roomPK(ev.SdkAppID, ev.RoomID), eventSK(ev, st))
	item[attrGSI1PK] = attrS(appPK(ev.SdkAppID))
	item[attrGSI1SK] = attrS(st)
	item[attrSdkAppID] = attrN(ev.SdkAppID)
	item[attrCommand] = attrS(ev.Command)
	item[attrRoomID] = attrS(ev.RoomID)
	if ev.EventTime != 0 {
		item[attrEventTime] = attrN(ev.EventTime)
	}
	item[attrClientIP] = attrS(ev.ClientIP)
	item[attrOptPlatform] = attrS(ev.OptPlatform)
	item[attrRequestID] = attrS(ev.RequestID)
	item[attrReceivedAt] = attrN(ev.ReceivedAt.UnixMilli())
	item[attrBodySHA256] = attrS(ev.Digest())
	item[attrRawBody] = &types.AttributeValueMemberB{Value: raw}
	if deliveryID != "" {
		item[attrDeliveryID] = attrS(deliveryID)
	}
	if expires != 0 {
		item[TimeToLiveAttribute] = attrN(expires)
	}
	if itemSize(item) <= itemBudget {
		return item, nil
	}

	var buf bytes.Buffer
	zw := gzip.NewWriter(&buf)
	if _, err := zw.Write(raw); err != nil {
		return nil, fmt.Errorf("dynamodb: save: compress the raw body: %w", err)
	}
	if err := zw.Close(); err != nil {
		return nil, fmt.Errorf("dynamodb: save: compress the raw body: %w", err)
	}
	item[attrRawBody] = &types.AttributeValueMemberB{Value: buf.Bytes()}
	item[attrRawBodyEncoding] = attrS(encodingGzip)
	if size := itemSize(item); size > itemBudget {
		return nil, fmt.Errorf("%w: the archive item would be %d bytes with the %d-byte raw body gzip-compressed "+
			"to %d bytes; the limit is %d", ErrItemTooLarge, size, len(raw), buf.Len(), itemBudget)
	}
	return item, nil
}

// expiresAt returns the expiry time Time to Live reads on the archive item of ev (Unix
// seconds), or 0 when the item gets none: with Options.ArchiveRetention above zero, for the
// commands callback.AlwaysExpires names, received_at (as stored: Unix ms) plus the retention,
// rounded up to the second so that no item goes before its retention has passed.
func (s *Store) expiresAt(ev *callback.Event) int64 {
	if s.retention <= 0 || !callback.AlwaysExpires(ev.Command) {
		return 0
	}
	ms := ev.ReceivedAt.UnixMilli() + s.retention.Milliseconds()
	sec := ms / 1000
	if ms%1000 > 0 {
		sec++
	}
	return sec
}

// tablePrefix returns the partition key prefix of t when it is one of the tables version 3
// added: a room's rows of one of them are the partition tablePK, sorted by the third key
// column, a non-empty string (admin_account, meta_key, battle_id, delivery_id) used as it is.
// (A switch, not a package-level map, which package init would build.)
func tablePrefix(t *callback.Table) (prefix string, ok bool) {
	switch t {
	case callback.AdminsTable:
		return adminsPrefix, true
	case callback.MetadataTable:
		return metadataPrefix, true
	case callback.BattlesTable:
		return battlesPrefix, true
	case callback.GiftsTable:
		return giftsPrefix, true
	}
	return "", false
}

// rowKey returns the item key of the row of t whose key values are k (t.Key values: sdk_app_id,
// the room — room_id, or a battle's from_room_id — and the row's own key).
func rowKey(t *callback.Table, k callback.Row) (pk, sk string, err error) {
	if len(k) < t.Key {
		return "", "", fmt.Errorf("%s: a key of %d values, want %d", t.Name, len(k), t.Key)
	}
	app, ok1 := k[0].(int64)
	room, ok2 := k[1].(string)
	if !ok1 || !ok2 {
		return "", "", fmt.Errorf("%s: the key does not start with %s and %s", t.Name, t.Columns[0].Name, t.Columns[1].Name)
	}
	switch t {
	case callback.RoomsTable:
		return roomPK(app, room), roomSK, nil
	case callback.MembersTable:
		if account, ok := k[2].(string); ok && account != "" {
			return membersPK(app, room, memberShard(account)), account, nil
		}
	case callback.SeatsTable:
		if index, ok := k[2].(int64); ok {
			return seatsPK(app, room), seatSK(index), nil
		}
	default:
		prefix, ok := tablePrefix(t)
		if !ok {
			return "", "", fmt.Errorf("no item layout for table %s", t.Name)
		}
		if id, ok := k[2].(string); ok && id != "" {
			return tablePK(prefix, app, room), id, nil
		}
	}
	return "", "", fmt.Errorf("%s: key column %s holds %T %v, not a key", t.Name, t.Columns[2].Name, k[2], k[2])
}

// itemOf builds the item of a row of t: its key, and one attribute per column, named as the
// column, absent when the value is nil (NULL).
func itemOf(t *callback.Table, row callback.Row) (map[string]types.AttributeValue, error) {
	if err := callback.CheckRow(t, row); err != nil {
		return nil, err
	}
	pk, sk, err := rowKey(t, row)
	if err != nil {
		return nil, err
	}
	item := key(pk, sk)
	for i, c := range t.Columns {
		if row[i] == nil {
			continue
		}
		item[c.Name] = attrOf(row[i])
	}
	return item, nil
}

// attrOf is a row value as an attribute: string S, int64 N, bool BOOL, []string L of S, []int64
// L of N (a list, not a number set: a set would lose the order and the repeats, and cannot be
// empty).
func attrOf(v any) types.AttributeValue {
	switch v := v.(type) {
	case string:
		return attrS(v)
	case int64:
		return attrN(v)
	case bool:
		return &types.AttributeValueMemberBOOL{Value: v}
	case []string:
		list := make([]types.AttributeValue, len(v))
		for i, s := range v {
			list[i] = attrS(s)
		}
		return &types.AttributeValueMemberL{Value: list}
	case []int64:
		list := make([]types.AttributeValue, len(v))
		for i, n := range v {
			list[i] = attrN(n)
		}
		return &types.AttributeValueMemberL{Value: list}
	}
	panic(fmt.Sprintf("dynamodb: no attribute for a value of type %T", v)) // CheckRow let it through
}

// rowOf reads an item of t back into a row: absent (or NULL) attributes are nil.
func rowOf(t *callback.Table, item map[string]types.AttributeValue) (callback.Row, error) {
	d := decoder{item: item}
	row := make(callback.Row, len(t.Columns))
	for i, c := range t.Columns {
		var v any
		switch c.Kind {
		case callback.KindText:
			if p := d.optStr(c.Name); p != nil {
				v = *p
			}
		case callback.KindInt:
			if p := d.optInt(c.Name); p != nil {
				v = *p
			}
		case callback.KindBool:
			if p := d.optBool(c.Name); p != nil {
				v = *p
			}
		case callback.KindList:
			if l := d.optStrList(c.Name); l != nil {
				v = l
			}
		case callback.KindInts:
			if l := d.optIntList(c.Name); l != nil {
				v = l
			}
		}
		if v == nil && !c.Nullable && d.err == nil {
			d.missing(c.Name)
		}
		row[i] = v
	}
	if d.err != nil {
		return nil, fmt.Errorf("%s item: %w", t.Name, d.err)
	}
	return row, nil
}

// checkRoomSize refuses, before anything is written, a life event whose own fields would make
// the room item too large: archived, it would make every later fold of the room fail.
func checkRoomSize(ev *callback.Event) error {
	var row callback.RoomRow
	switch pl := ev.Payload.(type) {
	case *callback.RoomCreated:
		row = callback.RoomRow{Info: pl.RoomInfo, OperatorAccount: pl.OperatorAccount,
			ScheduleInviteeList: pl.ScheduleInviteeList}
	case *callback.RoomUpdated:
		row = callback.RoomRow{Info: pl.RoomInfo}
	case *callback.LiveRoomCreated:
		row = callback.RoomRow{Info: pl.RoomInfo, OperatorAccount: pl.OperatorAccount, Live: pl.Live}
	case *callback.LiveRoomUpdated:
		row = callback.RoomRow{Info: pl.RoomInfo, Live: pl.Live}
	case *callback.LiveRoomDestroyed:
		row = callback.RoomRow{Info: pl.RoomInfo, Live: pl.Live, DestroyOperatorAccount: pl.OperatorAccount,
			DestroyEventType: pl.EventType, Statistic: pl.Statistic}
	default:
		return nil
	}
	big := int64(-1 << 63) // the longest number
	row.SdkAppID, row.Info.RoomID, row.CallbackCommand = ev.SdkAppID, ev.RoomID, ev.Command
	row.EventTime, row.UpdatedAt, row.MemberCount, row.MemberCountAt, row.DestroyedAt = big, big, &big, &big, &big
	item, err := itemOf(callback.RoomsTable, row.Row())
	if err != nil {
		return fmt.Errorf("dynamodb: save: %w", err)
	}
	if size := itemSize(item); size > itemBudget {
		return fmt.Errorf("%w: the room item would be %d bytes; the limit is %d", ErrItemTooLarge, size, itemBudget)
	}
	return nil
}

// itemSize estimates from above the size DynamoDB counts for item: attribute names plus values,
// strings and binaries by their bytes, numbers at most (digits / 2) + 1 bytes (here + 3), lists
// 3 bytes plus 1 per element.
func itemSize(item map[string]types.AttributeValue) int {
	size := 0
	for name, v := range item {
		size += len(name) + valueSize(v)
	}
	return size
}

func valueSize(v types.AttributeValue) int {
	switch v := v.(type) {
	case *types.AttributeValueMemberS:
		return len(v.Value)
	case *types.AttributeValueMemberB:
		return len(v.Value)
	case *types.AttributeValueMemberN:
		return len(v.Value)/2 + 3
	case *types.AttributeValueMemberBOOL, *types.AttributeValueMemberNULL:
		return 1
	case *types.AttributeValueMemberL:
		size := 3
		for _, e := range v.Value {
			size += 1 + valueSize(e)
		}
		return size
	}
	panic(fmt.Sprintf("dynamodb: itemSize: unexpected attribute type %T", v)) // only ours are built
}

func attrS(v string) types.AttributeValue { return &types.AttributeValueMemberS{Value: v} }
func attrN(v int64) types.AttributeValue {
	return &types.AttributeValueMemberN{Value: strconv.FormatInt(v, 10)}
}

// millis turns stored Unix milliseconds into the time the Reader returns: UTC.
func millis(ms int64) time.Time { return time.UnixMilli(ms).UTC() }
