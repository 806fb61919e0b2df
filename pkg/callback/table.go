package callback

// The projection's tables, described once. Every backend derives its statements, its item
// attributes and its reads from these descriptors, so a column is named, typed and ordered in
// one place; docs/tables.md documents each column.

// ColumnKind is the type of a column's values, as the domain hands them to a backend.
type ColumnKind uint8

const (
	KindText ColumnKind = iota + 1 // string
	KindInt                        // int64
	KindBool                       // bool (SQLite and MySQL store 0/1)
	KindList                       // []string, stored as a JSON array of strings
	KindInts                       // []int64, stored as a JSON array of integers (version 3)
)

// Column is one column of a table.
type Column struct {
	Name     string
	Kind     ColumnKind
	Nullable bool // a nil value (NULL, an absent attribute) is allowed
	// Values, when set, are the only values the column holds (SQL backends check them).
	Values []string
}

// Table describes one table of the projection: its columns in order, the first Key of them
// making the primary key. The first two key columns of every table are sdk_app_id and the room
// the row belongs to (room_id; a battle's from_room_id, the room its events are archived under).
type Table struct {
	Name    string
	Columns []Column
	Key     int
}

// Row is one row of a Table: one value per column, in the table's order. A value is nil
// (NULL), a string, an int64, a bool or a []string, as the column's Kind says.
type Row []any

// Index returns the position of the column called name, or -1.
func (t *Table) Index(name string) int {
	for i, c := range t.Columns {
		if c.Name == name {
			return i
		}
	}
	return -1
}

// KeyOf returns the key part of r.
func (t *Table) KeyOf(r Row) Row { return r[:t.Key] }

// Names returns the column names in order.
func (t *Table) Names() []string {
	names := make([]string, len(t.Columns))
	for i, c := range t.Columns {
		names[i] = c.Name
	}
	return names
}

func col(name string, kind ColumnKind) Column  { return Column{Name: name, Kind: kind} }
func null(name string, kind ColumnKind) Column { return Column{Name: name, Kind: kind, Nullable: true} }

// RoomsTable is the room projection: every RoomInfo field of the room's current life, the
// newest member event's count, and the end of the life. Its first 24 columns are schema
// version 1's, in version 1's order; version 2 appended four, version 3 the Live columns.
var RoomsTable = &Table{
	Name: "rooms",
	Key:  2,
	Columns: []Column{
		col("sdk_app_id", KindInt),
		col("room_id", KindText),
		null("room_name", KindText),
		null("room_type", KindText),
		null("owner_account", KindText),
		null("max_member_count", KindInt),
		null("max_seat_count", KindInt),
		null("is_video_disabled", KindBool),
		null("is_audio_disabled", KindBool),
		null("is_message_disabled", KindBool),
		null("is_screen_sharing_disabled", KindBool),
		null("is_cloud_recording_disabled", KindBool),
		null("custom_info", KindText),
		null("schedule_start_time", KindInt),
		null("schedule_end_time", KindInt),
		null("room_status", KindText),
		null("is_seat_enabled", KindBool),
		null("take_seat_mode", KindText),
		null("create_time", KindInt),
		null("operator_account", KindText),
		null("schedule_invitee_list_account", KindList),
		col("callback_command", KindText),
		col("event_time", KindInt),
		col("updated_at", KindInt),
		// Version 2.
		null("member_count", KindInt),
		null("member_count_at", KindInt),
		null("destroyed_at", KindInt),
		null("destroy_operator_account", KindText),
		// Version 3: a Live room's RoomInfo fields, and how its life ended.
		null("is_public_visible", KindBool),
		null("cover_url", KindText),
		null("background_url", KindText),
		null("category", KindInts),
		null("activity_status", KindInt),
		null("is_unlimited_room_enabled", KindBool),
		null("view_count", KindInt),
		null("destroy_event_type", KindText),
		null("total_viewers", KindInt),
		null("total_gifts_sent", KindInt),
		null("total_gift_coins", KindInt),
		null("total_unique_gift_senders", KindInt),
		null("total_likes_received", KindInt),
	},
}

// RoomsV2Columns is how many of RoomsTable's columns schema version 2 had; version 3 added
// the rest.
const RoomsV2Columns = 28

// MembersTable holds one row per member a room has seen: in, or left and how.
var MembersTable = &Table{
	Name: "room_members",
	Key:  3,
	Columns: []Column{
		col("sdk_app_id", KindInt),
		col("room_id", KindText),
		col("member_account", KindText),
		{Name: "state", Kind: KindText, Values: []string{MemberIn, MemberLeft}},
		null("entered_at", KindInt),
		null("left_at", KindInt),
		null("leave_type", KindText),
		null("leave_reason", KindText),
		col("event_time", KindInt),
		col("updated_at", KindInt),
	},
}

// SeatsTable holds one row per seat a seat change has listed.
var SeatsTable = &Table{
	Name: "room_seats",
	Key:  3,
	Columns: []Column{
		col("sdk_app_id", KindInt),
		col("room_id", KindText),
		col("seat_index", KindInt),
		null("member_account", KindText),
		null("is_taken_disabled", KindBool),
		null("is_video_disabled", KindBool),
		null("is_audio_disabled", KindBool),
		col("event_time", KindInt),
		col("updated_at", KindInt),
	},
}

// AdminsTable holds one row per account a Live room's admin changes have listed (version 3).
var AdminsTable = &Table{
	Name: "room_admins",
	Key:  3,
	Columns: []Column{
		col("sdk_app_id", KindInt),
		col("room_id", KindText),
		col("admin_account", KindText),
		{Name: "state", Kind: KindText, Values: []string{AdminAdded, AdminRemoved}},
		col("event_time", KindInt),
		col("updated_at", KindInt),
	},
}

// MetadataTable holds one row per key a Live room's metadata events have named (version 3).
var MetadataTable = &Table{
	Name: "room_metadata",
	Key:  3,
	Columns: []Column{
		col("sdk_app_id", KindInt),
		col("room_id", KindText),
		col("meta_key", KindText),
		null("meta_value", KindText), // NULL once deleted
		col("deleted", KindBool),
		col("event_time", KindInt),
		col("updated_at", KindInt),
	},
}

// BattlesTable holds one row per battle (PK) between live rooms, under the room that started
// it (version 3).
var BattlesTable = &Table{
	Name: "battles",
	Key:  3,
	Columns: []Column{
		col("sdk_app_id", KindInt),
		col("from_room_id", KindText),
		col("battle_id", KindText),
		{Name: "stage", Kind: KindText, Values: []string{BattleCreated, BattleStarted, BattleEnded}},
		null("to_room_ids", KindList),
		null("from_score", KindInt),
		null("to_scores", KindInts), // aligned with to_room_ids
		null("winner_room_id", KindText),
		null("create_time", KindInt),
		null("start_time", KindInt),
		null("end_time", KindInt),
		null("duration_ms", KindInt),
		null("end_op_type", KindInt),
		null("need_response", KindBool),
		null("timeout_ms", KindInt),
		null("extension_info", KindText),
		col("callback_command", KindText),
		col("event_time", KindInt),
		col("updated_at", KindInt),
	},
}

// GiftsTable is the gift ledger: one row per delivery of Live.CallbackBeforeSendGift
// (version 3). A gift has no EventTime and no id: delivery_id is roomhook's.
var GiftsTable = &Table{
	Name: "gifts",
	Key:  3,
	Columns: []Column{
		col("sdk_app_id", KindInt),
		col("room_id", KindText),
		col("delivery_id", KindText),
		null("operator_account", KindText),
		col("from_account", KindText),
		null("to_accounts", KindList),
		null("gift_id", KindText),
		null("gift_count", KindInt),
		null("coins", KindInt),
		null("gift_time", KindInt),
		col("received_at", KindInt),
	},
}

// Tables lists the projection's tables in the order they are created.
var Tables = []*Table{RoomsTable, MembersTable, SeatsTable, AdminsTable, MetadataTable, BattlesTable, GiftsTable}

// Values of room_admins.state and battles.stage.
const (
	AdminAdded    = "admin"
	AdminRemoved  = "removed"
	BattleCreated = "created"
	BattleStarted = "started"
	BattleEnded   = "ended"
)

// Values of room_members.state and of leave_type for a member a destroy ended.
const (
	MemberIn        = "in"
	MemberLeft      = "left"
	LeaveDestroyed  = "Destroyed"
	MaxAccountBytes = 255 // the longest member account a key column holds; longer is refused
)
