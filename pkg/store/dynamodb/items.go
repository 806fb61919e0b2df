package dynamodb

import (
	"bytes"
	"compress/gzip"
	"crypto/rand"
	"fmt"
	"strconv"
	"time"
	"unicode/utf8"

	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/roomhook/roomhook/pkg/callback"
)

// Attribute names of event and room items: snake_case of Tencent's field names, as the SQL
// backends name their columns. They are a contract users query directly.
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
	attrOperator        = "operator_account"
	attrInvitees        = "schedule_invitee_list_account"
	attrUpdatedAt       = "updated_at"
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
	roomPrefix     = "ROOM#"
	roomSK         = "ROOM"
	eventPrefix    = "EVENT#"
	noTimePrefix   = "EVENT#NOTIME#"
	appIndexPrefix = "EVENTS#"
)

// roomPK is the partition key of a room's projection item and of its archive items.
func roomPK(app int64, roomID string) string {
	return roomPrefix + strconv.FormatInt(app, 10) + "#" + roomID
}

// appPK is the index partition key listing an app's archive.
func appPK(app int64) string { return appIndexPrefix + strconv.FormatInt(app, 10) }

// stamp is an archive item's place in its app's archive: the store's clock in Unix ns,
// zero-padded so that strings sort as numbers, and a random suffix so that two instances
// writing in the same nanosecond still get distinct, stable positions.
func stamp(ns int64) string { return fmt.Sprintf("%019d#%s", ns, rand.Text()) }

// eventSK is the sort key of an archive item. With an EventTime it is the rest of the natural
// key (EventTime zero-padded, then the command, which may hold any character and so comes last);
// without one it is unique to this delivery, so that every delivery is archived.
func eventSK(ev *callback.Event, stamp string) string {
	if ev.EventTime == 0 {
		return noTimePrefix + stamp
	}
	return fmt.Sprintf("%s%019d#%s", eventPrefix, ev.EventTime, ev.Command)
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
	if len(roomPK(ev.SdkAppID, ev.RoomID)) > maxPartKeySize {
		return fmt.Errorf("dynamodb: save: RoomID of %d bytes is too long for a DynamoDB key", len(ev.RoomID))
	}
	if len(eventSK(ev, stamp(0))) > maxSortKeySize {
		return fmt.Errorf("dynamodb: save: Command of %d bytes is too long for a DynamoDB key", len(ev.Command))
	}
	return nil
}

// archiveItem builds the archive item of ev at archive position st. When the item would be too
// large with the raw body verbatim, the body is stored gzip-compressed and raw_body_encoding
// says so; when it is too large even then, archiveItem returns ErrItemTooLarge.
func archiveItem(ev *callback.Event, st string) (map[string]types.AttributeValue, error) {
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
	item[attrRawBody] = &types.AttributeValueMemberB{Value: raw}
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

// Projected fields of RoomInfo, by type. roomItem writes them and decodeRoom reads them with the
// same lists, so the two agree by construction.
var (
	roomStrings = []struct {
		name string
		get  func(*callback.RoomInfo) **string
	}{
		{"room_name", func(r *callback.RoomInfo) **string { return &r.RoomName }},
		{"room_type", func(r *callback.RoomInfo) **string { return &r.RoomType }},
		{"owner_account", func(r *callback.RoomInfo) **string { return &r.OwnerAccount }},
		{"custom_info", func(r *callback.RoomInfo) **string { return &r.CustomInfo }},
		{"room_status", func(r *callback.RoomInfo) **string { return &r.RoomStatus }},
		{"take_seat_mode", func(r *callback.RoomInfo) **string { return &r.TakeSeatMode }},
	}
	roomInts = []struct {
		name string
		get  func(*callback.RoomInfo) **int64
	}{
		{"max_member_count", func(r *callback.RoomInfo) **int64 { return &r.MaxMemberCount }},
		{"max_seat_count", func(r *callback.RoomInfo) **int64 { return &r.MaxSeatCount }},
		{"schedule_start_time", func(r *callback.RoomInfo) **int64 { return &r.ScheduleStartTime }},
		{"schedule_end_time", func(r *callback.RoomInfo) **int64 { return &r.ScheduleEndTime }},
		{"create_time", func(r *callback.RoomInfo) **int64 { return &r.CreateTime }},
	}
	roomBools = []struct {
		name string
		get  func(*callback.RoomInfo) **bool
	}{
		{"is_video_disabled", func(r *callback.RoomInfo) **bool { return &r.IsVideoDisabled }},
		{"is_audio_disabled", func(r *callback.RoomInfo) **bool { return &r.IsAudioDisabled }},
		{"is_message_disabled", func(r *callback.RoomInfo) **bool { return &r.IsMessageDisabled }},
		{"is_screen_sharing_disabled", func(r *callback.RoomInfo) **bool { return &r.IsScreenSharingDisabled }},
		{"is_cloud_recording_disabled", func(r *callback.RoomInfo) **bool { return &r.IsCloudRecordingDisabled }},
		{"is_seat_enabled", func(r *callback.RoomInfo) **bool { return &r.IsSeatEnabled }},
	}
)

// roomItem builds the projection item of ev's room: the whole row, so that a newer event
// replaces it entirely (fields the newer event lacks become absent, never merged). Absent fields
// are absent attributes, not NULLs or zeros.
func roomItem(ev *callback.Event) (map[string]types.AttributeValue, error) {
	r := ev.Room
	info := r.RoomInfo // a copy: the accessors below take its address
	item := key(roomPK(ev.SdkAppID, ev.RoomID), roomSK)
	item[attrSdkAppID] = attrN(ev.SdkAppID)
	item[attrRoomID] = attrS(ev.RoomID)
	for _, f := range roomStrings {
		if p := *f.get(&info); p != nil {
			item[f.name] = attrS(*p)
		}
	}
	for _, f := range roomInts {
		if p := *f.get(&info); p != nil {
			item[f.name] = attrN(*p)
		}
	}
	for _, f := range roomBools {
		if p := *f.get(&info); p != nil {
			item[f.name] = &types.AttributeValueMemberBOOL{Value: *p}
		}
	}
	if r.OperatorAccount != nil {
		item[attrOperator] = attrS(*r.OperatorAccount)
	}
	if r.ScheduleInviteeList != nil {
		list := make([]types.AttributeValue, len(r.ScheduleInviteeList))
		for i, a := range r.ScheduleInviteeList {
			list[i] = attrS(a)
		}
		item[attrInvitees] = &types.AttributeValueMemberL{Value: list}
	}
	item[attrCommand] = attrS(ev.Command)
	item[attrEventTime] = attrN(ev.EventTime)
	item[attrUpdatedAt] = attrN(ev.ReceivedAt.UnixMilli())
	if size := itemSize(item); size > itemBudget {
		return nil, fmt.Errorf("%w: the room item would be %d bytes; the limit is %d", ErrItemTooLarge, size, itemBudget)
	}
	return item, nil
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
