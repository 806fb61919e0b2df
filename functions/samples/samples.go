// Package samples is the stories the sample events under functions/<platform>/events tell, and
// the rows they leave, written out by hand.
//
// Story is a Room-family room of the samples' app, tandy-test-rest: created (Tencent's own
// create-room sample, the seed), updated with both spellings of the update command, entered by
// two members at once (one of them an 18-digit numeric account, as Tencent sends its own ids),
// given a seat layout, one member is kicked with a reason, and the room is destroyed; Want is
// its rows.
//
// LiveStory is a Live-family room of the same app, tandy-test-live, with every Live command:
// created (which brings the app's live rooms to their threshold, an app-wide callback) and
// updated with the Live commands, two admins added (one an 18-digit numeric account), two
// metadata keys set, two viewers come online at once (the numeric account among them), a battle
// against another room is created and started, the seats change (Live sends the seat change
// without Operator_Account), a viewer sends a gift, the battle ends with a winner, the room
// passes to the numeric viewer, who removes the other admin, the other viewer goes offline
// (under the member state's other spelling), a metadata key is deleted, and the room is
// destroyed with its last RoomInfo and its Statistic; LiveWant is its rows.
//
// Each callback body is hand-written from Tencent's field tables (its published samples are not
// valid JSON). The platform tests check that every file under functions/<platform>/events
// carries one of these bodies with its command, that each is answered 200 and that delivering a
// whole story, in any order, leaves exactly its rows; scripts/replay and scripts/sendcallback use
// Story to check every Room command end to end. It is for tests and tools only and, like
// pkg/callback, uses the standard library alone.
package samples

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"slices"
	"strings"

	"github.com/roomhook/roomhook/pkg/callback"
)

// The stories' app, their rooms and the numeric account of one member of each.
const (
	AppID          int64 = 1400123456
	RoomID               = "tandy-test-rest"
	NumericAccount       = "144115233775727695" // sent as a JSON number, kept digit for digit
	ClientIP             = "203.0.113.7"
	OptPlatform          = "RESTAPI"

	// LiveRoomID is LiveStory's room; LiveNumericAccount a viewer of it who becomes its owner.
	LiveRoomID         = "tandy-test-live"
	LiveNumericAccount = "144115233775727701" // sent as a JSON number, kept digit for digit
)

// Sample is one callback of a story.
type Sample struct {
	// Variant names the sample files: functions/lambda/events/functionurl-<Variant>.json,
	// functions/scf/events/functionurl-<Variant>.json, functions/web/events/callback-<Variant>.json
	// (the Room create's Lambda and SCF files are the older functionurl-default.json and the
	// other shapes). It is unique across Story and LiveStory; LiveStory's start with "live-".
	Variant string
	Command string // CallbackCommand, in the query string and the body alike
	Body    string // the raw callback, as Tencent POSTs it
	// EventTime is the body's EventTime, the archive row's event_time: 0 for the gift, which
	// has none.
	EventTime int64
	// Counts are the rows one delivery of this sample leaves in an empty store: what the rule
	// makes of the event alone.
	Counts
}

// Counts is a number of rows of each table of the projection.
type Counts struct {
	Rooms, Members, Seats, Admins, Metadata, Battles, Gifts int
}

// Story is every sample, in EventTime order.
var Story = []Sample{
	{"create-room", callback.CommandCreateRoom,
		`{"CallbackCommand":"Room.CallbackAfterCreateRoom","Operator_Account":"admin","RoomInfo":{"RoomId":"tandy-test-rest","RoomName":"tandy-test-rest","RoomType":"Meeting","Owner_Account":"user3","MaxMemberCount":300,"MaxSeatCount":16,"IsVideoDisabled":true,"IsAudioDisabled":true,"IsMessageDisabled":true,"IsScreenSharingDisabled":true,"IsCloudRecordingDisabled":true,"CustomInfo":"custom123","ScheduleStartTime":1703589922,"ScheduleEndTime":1703593522,"RoomStatus":"Running","IsSeatEnabled":true,"TakeSeatMode":"ApplyToTake","CreateTime":1703589922},"ScheduleInviteeList_Account":["user2","user3","user3"],"EventTime":1703589922780}`,
		1703589922780, Counts{Rooms: 1}},
	{"update-room", callback.CommandUpdateRoom,
		`{"CallbackCommand":"Room.CallbackAfterUpdateRoomInfo","Operator_Account":"user3","RoomInfo":{"RoomId":"tandy-test-rest","RoomName":"Tandy weekly sync","IsMessageDisabled":false,"CustomInfo":"agenda-v2"},"EventTime":1703589940000}`,
		1703589940000, Counts{Rooms: 1}},
	{"member-enter", callback.CommandMemberEnter,
		`{"CallbackCommand":"Room.CallbackAfterMemberEnter","Operator_Account":"user2","RoomId":"tandy-test-rest","MemberCount":2,"Type":"Enter","MemberList_Account":["user2",144115233775727695],"EventTime":1703589950000}`,
		1703589950000, Counts{Members: 2}},
	{"update-room-alt", callback.CommandUpdateRoomAlt,
		`{"CallbackCommand":"Room.CallbackUpdateRoomInfo","Operator_Account":"user3","RoomInfo":{"RoomId":"tandy-test-rest","TakeSeatMode":"FreeToTake","MaxMemberCount":500,"IsVideoDisabled":"false"},"EventTime":1703589960000}`,
		1703589960000, Counts{Rooms: 1}},
	{"seat-changed", callback.CommandSeatChanged,
		`{"CallbackCommand":"Mic.CallbackAfterSeatInfoChanged","Operator_Account":"user3","RoomId":"tandy-test-rest","SeatList":[{"Index":0,"Member_Account":"user2","IsTakenDisabled":false,"IsVideoDisabled":false,"IsAudioDisabled":false},{"Index":1,"Member_Account":144115233775727695,"IsTakenDisabled":false,"IsVideoDisabled":true,"IsAudioDisabled":false},{"Index":2,"Member_Account":"","IsTakenDisabled":true,"IsVideoDisabled":false,"IsAudioDisabled":false}],"EventTime":1703589970000}`,
		1703589970000, Counts{Seats: 3}},
	{"member-leave", callback.CommandMemberLeave,
		`{"CallbackCommand":"Room.CallbackAfterMemberLeave","Operator_Account":"user3","RoomId":"tandy-test-rest","MemberCount":1,"Type":"Kicked","Reason":"kicked out by the host","MemberList_Account":[144115233775727695],"EventTime":1703589980000}`,
		1703589980000, Counts{Members: 1}},
	{"destroy-room", callback.CommandDestroyRoom,
		`{"CallbackCommand":"Room.CallbackAfterDestroyRoom","Operator_Account":"user3","RoomId":"tandy-test-rest","EventTime":1703589990000}`,
		1703589990000, Counts{Rooms: 1}},
}

// LiveStory is every sample of the Live room, in EventTime order (the gift, which has no
// EventTime, where its GiftWater.Time puts it).
var LiveStory = []Sample{
	{"live-create-room", callback.CommandLiveCreateRoom,
		`{"CallbackCommand":"Live.CallbackAfterCreateRoom","Operator_Account":"host-mia","RoomInfo":{"RoomId":"tandy-test-live","RoomName":"Tandy live","RoomType":"Live","Owner_Account":"host-mia","MaxMemberCount":10000,"MaxSeatCount":6,"IsMessageDisabled":false,"CustomInfo":"live-v1","IsSeatEnabled":true,"TakeSeatMode":"ApplyToTake","CreateTime":1703590100,"IsPublicVisible":true,"CoverURL":"https://cdn.example.com/tandy/cover-1.png","BackgroundURL":"https://cdn.example.com/tandy/bg-1.png","Category":[1,7],"ActivityStatus":1,"ViewCount":0,"IsUnlimitedRoomEnabled":false},"EventTime":1703590100321}`,
		1703590100321, Counts{Rooms: 1}},
	// The create brought the app's live rooms to its threshold: app-wide, no RoomId, archived
	// only (and a warning line).
	{"live-threshold", callback.CommandLiveThreshold,
		`{"CallbackCommand":"Live.CallbackAfterCreateRoomReachingThreshold","Operator_Account":"host-mia","CurRoomCount":900,"MaxRoomCount":1000,"EventTime":1703590100500}`,
		1703590100500, Counts{}},
	{"live-update-room", callback.CommandLiveUpdateRoom,
		`{"CallbackCommand":"Live.CallbackAfterUpdateRoomInfo","Operator_Account":"host-mia","RoomInfo":{"RoomId":"tandy-test-live","RoomName":"Tandy live: Q&A","MaxMemberCount":20000,"IsMessageDisabled":true,"TakeSeatMode":"FreeToTake","CoverURL":"https://cdn.example.com/tandy/cover-2.png","Category":[7],"ActivityStatus":2},"EventTime":1703590110000}`,
		1703590110000, Counts{Rooms: 1}},
	{"live-modify-admin-add", callback.CommandLiveModifyAdmin,
		`{"CallbackCommand":"Live.CallbackAfterModifyAdmin","RoomId":"tandy-test-live","Operator_Account":"host-mia","Admin_Account":["mod-kit",144115233775727701],"opType":"add","EventTime":1703590112000}`,
		1703590112000, Counts{Admins: 2}},
	{"live-set-metadata", callback.CommandLiveSetMetadata,
		`{"CallbackCommand":"Live.CallbackAfterSetMetadata","Operator_Account":"host-mia","RoomId":"tandy-test-live","Metadata":[{"Key":"theme","Value":"night"},{"Key":"pinned","Value":"welcome to Tandy live"}],"EventTime":1703590114000}`,
		1703590114000, Counts{Metadata: 2}},
	{"live-member-online", callback.CommandLiveMemberState,
		`{"CallbackCommand":"Live.CallbackAfterMemberStateChanged","RoomId":"tandy-test-live","EventType":"Online","EventCause":"Enter","MemberList":[{"Member_Account":"viewer-ann"},{"Member_Account":144115233775727701}],"EventTime":1703590120000}`,
		1703590120000, Counts{Members: 2}},
	// One battle of the room against another: created (FromRoomId, ToRoomIdList), started and
	// ended (FromRoomInfo, ToRoomList with the scores); all three are the row of BattleId under
	// tandy-test-live.
	{"live-create-battle", callback.CommandLiveCreateBattle,
		`{"CallbackCommand":"Live.CallbackAfterCreateBattle","Operator_Account":"host-mia","BattleId":"tandy-battle-1","FromRoomId":"tandy-test-live","ToRoomIdList":["tandy-rival-live"],"CreateTime":1703590122,"Duration":10000,"Timeout":10000,"NeedResponse":true,"ExtensionInfo":"tandy-vs-rival","EventTime":1703590122000}`,
		1703590122000, Counts{Battles: 1}},
	{"live-start-battle", callback.CommandLiveStartBattle,
		`{"CallbackCommand":"Live.CallbackAfterStartBattle","BattleId":"tandy-battle-1","FromRoomInfo":{"RoomId":"tandy-test-live","Owner_Account":"host-mia","Score":0},"ToRoomList":[{"RoomId":"tandy-rival-live","Owner_Account":"host-rio","Score":0}],"Duration":10000,"CreateTime":1703590122,"StartTime":1703590124,"EventTime":1703590124000}`,
		1703590124000, Counts{Battles: 1}},
	{"live-seat-changed", callback.CommandSeatChanged,
		`{"CallbackCommand":"Mic.CallbackAfterSeatInfoChanged","RoomId":"tandy-test-live","SeatList":[{"Index":0,"Member_Account":"host-mia","IsTakenDisabled":false,"IsVideoDisabled":false,"IsAudioDisabled":false},{"Index":1,"Member_Account":144115233775727701,"IsTakenDisabled":false,"IsVideoDisabled":true,"IsAudioDisabled":false}],"EventTime":1703590130000}`,
		1703590130000, Counts{Seats: 2}},
	// A gift has no EventTime: every delivery of it is a ledger row (see Rows.Deliveries).
	{"live-send-gift", callback.CommandLiveGift,
		`{"CallbackCommand":"Live.CallbackBeforeSendGift","Operator_Account":"viewer-ann","RoomId":"tandy-test-live","GiftWater":{"From_Account":"viewer-ann","To_Account":["host-mia"],"Time":1703590132,"GiftId":"gift-rose","Count":5,"Coins":250}}`,
		0, Counts{Gifts: 1}},
	{"live-end-battle", callback.CommandLiveEndBattle,
		`{"CallbackCommand":"Live.CallbackAfterEndBattle","BattleId":"tandy-battle-1","FromRoomInfo":{"RoomId":"tandy-test-live","Owner_Account":"host-mia","Score":88},"ToRoomList":[{"RoomId":"tandy-rival-live","Owner_Account":"host-rio","Score":120}],"Duration":10000,"CreateTime":1703590122,"StartTime":1703590124,"EndTime":1703590134,"OpType":0,"EventTime":1703590134500}`,
		1703590134500, Counts{Battles: 1}},
	{"live-change-owner", callback.CommandLiveChangeOwner,
		`{"CallbackCommand":"Live.CallbackAfterChangeOwner","RoomId":"tandy-test-live","Operator_Account":"host-mia","CurrentOwner_Account":144115233775727701,"OriginalOwner_Account":"host-mia","EventTime":1703590140000}`,
		1703590140000, Counts{}}, // alone: an owner change makes no rooms row
	{"live-modify-admin-delete", callback.CommandLiveModifyAdmin,
		`{"CallbackCommand":"Live.CallbackAfterModifyAdmin","RoomId":"tandy-test-live","Operator_Account":"144115233775727701","Admin_Account":["mod-kit"],"opType":"delete","EventTime":1703590145000}`,
		1703590145000, Counts{Admins: 1}},
	{"live-member-offline", callback.CommandLiveMemberStateAlt,
		`{"CallbackCommand":"Live.CallbackMemberStateChanged","RoomId":"tandy-test-live","EventType":"Offline","EventCause":"Leave","MemberList":[{"Member_Account":"viewer-ann"}],"EventTime":1703590150000}`,
		1703590150000, Counts{Members: 1}},
	{"live-del-metadata", callback.CommandLiveDelMetadata,
		`{"CallbackCommand":"Live.CallbackAfterDelMetadata","Operator_Account":"144115233775727701","RoomId":"tandy-test-live","Keys":["pinned"],"EventTime":1703590155000}`,
		1703590155000, Counts{Metadata: 1}},
	{"live-destroy-room", callback.CommandLiveDestroyRoom,
		`{"CallbackCommand":"Live.CallbackAfterDestroyRoom","Operator_Account":"144115233775727701","RoomId":"tandy-test-live","EventType":"DestroyByUser","RoomInfo":{"RoomId":"tandy-test-live","RoomName":"Tandy live: Q&A","RoomType":"Live","CustomInfo":"live-ended","IsPublicVisible":false,"CoverURL":"https://cdn.example.com/tandy/cover-2.png","Category":[7],"ActivityStatus":3,"ViewCount":42},"Statistic":{"TotalViewers":2,"TotalGiftsSent":5,"TotalGiftCoins":250,"TotalUniqueGiftSenders":1,"TotalLikesReceived":17},"EventTime":1703590160000}`,
		1703590160000, Counts{Rooms: 1}},
}

// Get returns the sample of a variant, from Story or LiveStory; it panics on an unknown one (a
// test's typo).
func Get(variant string) Sample {
	for _, story := range [][]Sample{Story, LiveStory} {
		for _, s := range story {
			if s.Variant == variant {
				return s
			}
		}
	}
	panic("samples: no variant " + variant)
}

// ByCommand returns the first sample of command, Story's when it has one
// (Mic.CallbackAfterSeatInfoChanged is in both stories), else LiveStory's (for
// Live.CallbackAfterModifyAdmin, the add); the bool is false when neither has one.
func ByCommand(command string) (Sample, bool) {
	for _, story := range [][]Sample{Story, LiveStory} {
		for _, s := range story {
			if s.Command == command {
				return s, true
			}
		}
	}
	return Sample{}, false
}

// Room returns the RoomId the sample is archived under, as the core reads it from the body: the
// payload's room for a projected command (RoomID, or LiveRoomID, a battle's initiating room
// included), else the envelope's ("" for the app-wide threshold).
func (s Sample) Room() string {
	if callback.Projected(s.Command) {
		p, err := callback.ParsePayload(s.Command, []byte(s.Body))
		if err != nil || p == nil {
			return ""
		}
		room, _ := p.Key()
		return room
	}
	env, err := callback.ParseEnvelope([]byte(s.Body))
	if err != nil {
		return ""
	}
	return env.RoomID
}

// EveryDelivery reports whether every delivery of the sample is kept as a new event, never a
// duplicate: a new archive row, and a new ledger row. It is true for the gift alone, which has
// no EventTime: its ledger rows are told apart by delivery_id, made from the platform's request
// id, the receipt time and the body, so a repeat is a duplicate only when those repeat too (a
// replay of a logged delivery).
func (s Sample) EveryDelivery() bool { return s.Command == callback.CommandLiveGift }

// RawQuery is Tencent's query string for the sample, parameters in Tencent's order, as the
// sample files carry it.
func (s Sample) RawQuery() string {
	return "SdkAppid=1400123456&CallbackCommand=" + url.QueryEscape(s.Command) +
		"&contenttype=json&ClientIP=" + ClientIP + "&OptPlatform=" + OptPlatform
}

// Query is RawQuery decoded.
func (s Sample) Query() url.Values {
	q, _ := url.ParseQuery(s.RawQuery())
	return q
}

// Rows is what a store holds for one room: its row (nil when it has none), its members by
// account, its seats by index, its admins by account, its metadata by key, the battles it
// started by battle id and its gift ledger.
type Rows struct {
	Room     *callback.RoomRow
	Members  []*callback.MemberRow
	Seats    []*callback.SeatRow
	Admins   []*callback.AdminRow
	Metadata []*callback.MetadataRow
	Battles  []*callback.BattleRow
	Gifts    []*callback.GiftRow
}

// Read reads one room's rows from r, updated_at left out (it records the delivery, not the
// fold). The gifts keep their delivery_id and received_at, which String leaves out.
func Read(ctx context.Context, r callback.Reader, app int64, roomID string) (Rows, error) {
	var rows Rows
	room, err := callback.ReadRoom(ctx, r, app, roomID)
	switch {
	case err == nil:
		room.UpdatedAt = 0
		rows.Room = room
	case !errors.Is(err, callback.ErrNotFound):
		return rows, err
	}
	if rows.Members, err = callback.ReadMembers(ctx, r, app, roomID); err != nil {
		return rows, err
	}
	for _, m := range rows.Members {
		m.UpdatedAt = 0
	}
	if rows.Seats, err = callback.ReadSeats(ctx, r, app, roomID); err != nil {
		return rows, err
	}
	for _, s := range rows.Seats {
		s.UpdatedAt = 0
	}
	if rows.Admins, err = callback.ReadAdmins(ctx, r, app, roomID); err != nil {
		return rows, err
	}
	for _, a := range rows.Admins {
		a.UpdatedAt = 0
	}
	if rows.Metadata, err = callback.ReadMetadata(ctx, r, app, roomID); err != nil {
		return rows, err
	}
	for _, m := range rows.Metadata {
		m.UpdatedAt = 0
	}
	if rows.Battles, err = callback.ReadBattles(ctx, r, app, roomID); err != nil {
		return rows, err
	}
	for _, b := range rows.Battles {
		b.UpdatedAt = 0
	}
	if rows.Gifts, err = callback.ReadGifts(ctx, r, app, roomID); err != nil {
		return rows, err
	}
	return rows, nil
}

// Count returns the number of rows of each table.
func (r Rows) Count() Counts {
	c := Counts{Members: len(r.Members), Seats: len(r.Seats), Admins: len(r.Admins),
		Metadata: len(r.Metadata), Battles: len(r.Battles), Gifts: len(r.Gifts)}
	if r.Room != nil {
		c.Rooms = 1
	}
	return c
}

// Deliveries returns the rows of r's story delivered n times over: the same rows, but each gift
// row n times, since every delivery of a gift is a ledger row (Sample.EveryDelivery); a repeat
// of any other sample is a duplicate and changes nothing.
func (r Rows) Deliveries(n int) Rows {
	var gifts []*callback.GiftRow
	for range n {
		gifts = append(gifts, r.Gifts...)
	}
	r.Gifts = gifts
	return r
}

// String lists every row, one per line, each value named by its column; updated_at is left
// out, and so are a gift's delivery_id and received_at (they name the delivery, not the gift):
// the gift lines come sorted. Two Rows are equal exactly when their Strings are.
func (r Rows) String() string {
	var b strings.Builder
	if r.Room != nil {
		line(&b, callback.RoomsTable, r.Room.Row())
	}
	for _, m := range r.Members {
		line(&b, callback.MembersTable, m.Row())
	}
	for _, s := range r.Seats {
		line(&b, callback.SeatsTable, s.Row())
	}
	for _, a := range r.Admins {
		line(&b, callback.AdminsTable, a.Row())
	}
	for _, m := range r.Metadata {
		line(&b, callback.MetadataTable, m.Row())
	}
	for _, bt := range r.Battles {
		line(&b, callback.BattlesTable, bt.Row())
	}
	gifts := make([]string, len(r.Gifts))
	for i, g := range r.Gifts {
		var gb strings.Builder
		line(&gb, callback.GiftsTable, g.Row(), "delivery_id", "received_at")
		gifts[i] = gb.String()
	}
	slices.Sort(gifts)
	for _, g := range gifts {
		b.WriteString(g)
	}
	return b.String()
}

// line writes one row, each value named by its column, but updated_at and the columns skip
// names.
func line(b *strings.Builder, t *callback.Table, row callback.Row, skip ...string) {
	b.WriteString(t.Name)
	for i, c := range t.Columns {
		if c.Name == "updated_at" || slices.Contains(skip, c.Name) {
			continue
		}
		switch v := row[i].(type) {
		case nil:
			fmt.Fprintf(b, " %s=NULL", c.Name)
		case string:
			fmt.Fprintf(b, " %s=%q", c.Name, v)
		case []string:
			fmt.Fprintf(b, " %s=%q", c.Name, v)
		default:
			fmt.Fprintf(b, " %s=%v", c.Name, v)
		}
	}
	b.WriteByte('\n')
}

// Diff returns "" when got and want hold the same rows (updated_at, and a gift's delivery_id
// and received_at, aside), else the rows only one of them holds, each line marked "got " or
// "want", or both lists when they differ only in order or in how many times a row appears (a
// gift delivered once more).
func Diff(got, want Rows) string {
	g, w := got.String(), want.String()
	if g == w {
		return ""
	}
	gl, wl := strings.Split(g, "\n"), strings.Split(w, "\n")
	var b strings.Builder
	for _, l := range gl {
		if l != "" && !slices.Contains(wl, l) {
			b.WriteString("got  " + l + "\n")
		}
	}
	for _, l := range wl {
		if l != "" && !slices.Contains(gl, l) {
			b.WriteString("want " + l + "\n")
		}
	}
	if b.Len() == 0 { // the same rows in another order, or as many times
		return "got:\n" + g + "want:\n" + w
	}
	return b.String()
}

// Want returns the rows the whole of Story leaves for app, in any delivery order, with any
// duplicates.
func Want(app int64) Rows {
	room := &callback.RoomRow{
		SdkAppID: app,
		Info: callback.RoomInfo{
			RoomID:                   RoomID,
			RoomName:                 ptr("Tandy weekly sync"), // update-room
			RoomType:                 ptr("Meeting"),
			OwnerAccount:             ptr("user3"),
			MaxMemberCount:           ptr[int64](500), // update-room-alt
			MaxSeatCount:             ptr[int64](16),
			IsVideoDisabled:          ptr(false), // update-room-alt, "false" as a string
			IsAudioDisabled:          ptr(true),
			IsMessageDisabled:        ptr(false), // update-room
			IsScreenSharingDisabled:  ptr(true),
			IsCloudRecordingDisabled: ptr(true),
			CustomInfo:               ptr("agenda-v2"), // update-room
			ScheduleStartTime:        ptr[int64](1703589922),
			ScheduleEndTime:          ptr[int64](1703593522),
			RoomStatus:               ptr("Running"),
			IsSeatEnabled:            ptr(true),
			TakeSeatMode:             ptr("FreeToTake"), // update-room-alt
			CreateTime:               ptr[int64](1703589922),
		},
		OperatorAccount:        ptr("admin"),               // the create's: updates do not change it
		ScheduleInviteeList:    []string{"user2", "user3"}, // de-duplicated
		CallbackCommand:        callback.CommandDestroyRoom,
		EventTime:              1703589990000,
		MemberCount:            ptr[int64](1), // member-leave, the newest member event
		MemberCountAt:          ptr[int64](1703589980000),
		DestroyedAt:            ptr[int64](1703589990000),
		DestroyOperatorAccount: ptr("user3"),
	}
	members := []*callback.MemberRow{
		{ // kicked before the destroy: its own leave stays
			SdkAppID: app, RoomID: RoomID, MemberAccount: NumericAccount, State: callback.MemberLeft,
			EnteredAt: ptr[int64](1703589950000), LeftAt: ptr[int64](1703589980000),
			LeaveType: ptr("Kicked"), LeaveReason: ptr("kicked out by the host"), EventTime: 1703589980000,
		},
		{ // still in when the room was destroyed
			SdkAppID: app, RoomID: RoomID, MemberAccount: "user2", State: callback.MemberLeft,
			EnteredAt: ptr[int64](1703589950000), LeftAt: ptr[int64](1703589990000),
			LeaveType: ptr(callback.LeaveDestroyed), EventTime: 1703589990000,
		},
	}
	// A destroy leaves the seats as they are.
	seats := []*callback.SeatRow{
		{SdkAppID: app, RoomID: RoomID, SeatIndex: 0, MemberAccount: ptr("user2"),
			IsTakenDisabled: ptr(false), IsVideoDisabled: ptr(false), IsAudioDisabled: ptr(false), EventTime: 1703589970000},
		{SdkAppID: app, RoomID: RoomID, SeatIndex: 1, MemberAccount: ptr(NumericAccount),
			IsTakenDisabled: ptr(false), IsVideoDisabled: ptr(true), IsAudioDisabled: ptr(false), EventTime: 1703589970000},
		{SdkAppID: app, RoomID: RoomID, SeatIndex: 2, MemberAccount: nil, // "" is an empty seat
			IsTakenDisabled: ptr(true), IsVideoDisabled: ptr(false), IsAudioDisabled: ptr(false), EventTime: 1703589970000},
	}
	return Rows{Room: room, Members: members, Seats: seats}
}

// LiveWant returns the rows the whole of LiveStory leaves for app, in any delivery order, with
// any duplicates of the events that have an EventTime, worked out by hand from
// docs/projection.md's rule: the Room-family columns of the room's row, its Live columns and
// the destroy's EventType and Statistic, its members and seats, its admins, metadata and the
// battle it started, and one ledger row for the one delivery of the gift. Every delivery of a
// gift is a ledger row: a test that delivers the story twice wants LiveWant(app).Deliveries(2),
// two rows of the gift (one, when the request id and the receipt time repeat as well: a replay
// of the same delivery). The threshold, app-wide, leaves no row.
func LiveWant(app int64) Rows {
	room := &callback.RoomRow{
		SdkAppID: app,
		Info: callback.RoomInfo{
			RoomID:            LiveRoomID,
			RoomName:          ptr("Tandy live: Q&A"), // live-update-room, live-destroy-room
			RoomType:          ptr("Live"),
			OwnerAccount:      ptr(LiveNumericAccount), // live-change-owner: the destroy carries no Owner_Account
			MaxMemberCount:    ptr[int64](20000),       // live-update-room
			MaxSeatCount:      ptr[int64](6),           // live-create-room
			IsMessageDisabled: ptr(true),               // live-update-room
			CustomInfo:        ptr("live-ended"),       // live-destroy-room sets what its RoomInfo carries
			IsSeatEnabled:     ptr(true),               // live-create-room
			TakeSeatMode:      ptr("FreeToTake"),       // live-update-room
			CreateTime:        ptr[int64](1703590100),  // live-create-room
		},
		OperatorAccount:        ptr("host-mia"), // the create's; a Live create has no invitees
		CallbackCommand:        callback.CommandLiveDestroyRoom,
		EventTime:              1703590160000,
		DestroyedAt:            ptr[int64](1703590160000),
		DestroyOperatorAccount: ptr(LiveNumericAccount),
		// MemberCount and MemberCountAt stay NULL: Live's member states carry no MemberCount.
		Live: callback.LiveInfo{
			IsPublicVisible:        ptr(false),                                       // live-destroy-room
			CoverURL:               ptr("https://cdn.example.com/tandy/cover-2.png"), // live-update-room, live-destroy-room
			BackgroundURL:          ptr("https://cdn.example.com/tandy/bg-1.png"),    // live-create-room: no later event carries one
			Category:               []int64{7},                                       // live-update-room, live-destroy-room
			ActivityStatus:         ptr[int64](3),                                    // live-destroy-room
			IsUnlimitedRoomEnabled: ptr(false),                                       // live-create-room
			ViewCount:              ptr[int64](42),                                   // live-destroy-room
		},
		DestroyEventType: ptr("DestroyByUser"),
		Statistic: callback.LiveStatistic{
			TotalViewers:           ptr[int64](2),
			TotalGiftsSent:         ptr[int64](5),
			TotalGiftCoins:         ptr[int64](250),
			TotalUniqueGiftSenders: ptr[int64](1),
			TotalLikesReceived:     ptr[int64](17),
		},
	}
	members := []*callback.MemberRow{
		{ // online, and still in when the room was destroyed
			SdkAppID: app, RoomID: LiveRoomID, MemberAccount: LiveNumericAccount, State: callback.MemberLeft,
			EnteredAt: ptr[int64](1703590120000), LeftAt: ptr[int64](1703590160000),
			LeaveType: ptr(callback.LeaveDestroyed), EventTime: 1703590160000,
		},
		{ // offline before the destroy: the EventCause is the leave_type, Live sends no reason
			SdkAppID: app, RoomID: LiveRoomID, MemberAccount: "viewer-ann", State: callback.MemberLeft,
			EnteredAt: ptr[int64](1703590120000), LeftAt: ptr[int64](1703590150000),
			LeaveType: ptr("Leave"), EventTime: 1703590150000,
		},
	}
	// A destroy leaves the seats, the admins, the metadata and the battles as they are.
	seats := []*callback.SeatRow{
		{SdkAppID: app, RoomID: LiveRoomID, SeatIndex: 0, MemberAccount: ptr("host-mia"),
			IsTakenDisabled: ptr(false), IsVideoDisabled: ptr(false), IsAudioDisabled: ptr(false), EventTime: 1703590130000},
		{SdkAppID: app, RoomID: LiveRoomID, SeatIndex: 1, MemberAccount: ptr(LiveNumericAccount),
			IsTakenDisabled: ptr(false), IsVideoDisabled: ptr(true), IsAudioDisabled: ptr(false), EventTime: 1703590130000},
	}
	admins := []*callback.AdminRow{
		// Added by live-modify-admin-add, as a JSON number, and never removed.
		{SdkAppID: app, RoomID: LiveRoomID, AdminAccount: LiveNumericAccount, State: callback.AdminAdded, EventTime: 1703590112000},
		// Added, then removed by live-modify-admin-delete: the newest change decides.
		{SdkAppID: app, RoomID: LiveRoomID, AdminAccount: "mod-kit", State: callback.AdminRemoved, EventTime: 1703590145000},
	}
	metadata := []*callback.MetadataRow{
		// Set by live-set-metadata, deleted by live-del-metadata: the key stays, its value NULL.
		{SdkAppID: app, RoomID: LiveRoomID, Key: "pinned", Deleted: true, EventTime: 1703590155000},
		{SdkAppID: app, RoomID: LiveRoomID, Key: "theme", Value: ptr("night"), EventTime: 1703590114000},
	}
	// The fold of the battle's three stages, each setting what it carries: the end's stage,
	// scores, EndTime and OpType, the create's Timeout, NeedResponse and ExtensionInfo (no later
	// stage carries them); the invited room scored higher, so it won.
	battles := []*callback.BattleRow{{
		SdkAppID: app, FromRoomID: LiveRoomID, BattleID: "tandy-battle-1", Stage: callback.BattleEnded,
		ToRoomIDs: []string{"tandy-rival-live"}, FromScore: ptr[int64](88), ToScores: []int64{120},
		WinnerRoomID: ptr("tandy-rival-live"),
		CreateTime:   ptr[int64](1703590122), StartTime: ptr[int64](1703590124), EndTime: ptr[int64](1703590134),
		DurationMs: ptr[int64](10000), EndOpType: ptr[int64](0), NeedResponse: ptr(true), TimeoutMs: ptr[int64](10000),
		ExtensionInfo: ptr("tandy-vs-rival"), CallbackCommand: callback.CommandLiveEndBattle, EventTime: 1703590134500,
	}}
	// One delivery of live-send-gift: one ledger row (its delivery_id and received_at depend on
	// the delivery and are not compared).
	gifts := []*callback.GiftRow{{
		SdkAppID: app, RoomID: LiveRoomID, OperatorAccount: ptr("viewer-ann"), FromAccount: "viewer-ann",
		ToAccounts: []string{"host-mia"}, GiftID: ptr("gift-rose"), GiftCount: ptr[int64](5), Coins: ptr[int64](250),
		GiftTime: ptr[int64](1703590132),
	}}
	return Rows{Room: room, Members: members, Seats: seats, Admins: admins, Metadata: metadata, Battles: battles, Gifts: gifts}
}

func ptr[T any](v T) *T { return &v }
