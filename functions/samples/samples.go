// Package samples is the story the sample events under functions/<platform>/events tell, and
// the rows it leaves, written out by hand. One room of the samples' app, tandy-test-rest, is
// created (Tencent's own create-room sample, the seed), updated with both spellings of the
// update command, entered by two members at once (one of them an 18-digit numeric account, as
// Tencent sends its own ids), given a seat layout, one member is kicked with a reason, and the
// room is destroyed. Each callback body is hand-written from Tencent's field tables (its
// published samples are not valid JSON).
//
// The platform tests check that every file under functions/<platform>/events carries one of
// these bodies with its command, that each is answered 200 and that delivering the whole story,
// in any order, leaves exactly Want's rows; scripts/replay and scripts/sendcallback use the
// story to check every command end to end. It is for tests and tools only and, like
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

// The story's app, room and the numeric account of one of its members.
const (
	AppID          int64 = 1400123456
	RoomID               = "tandy-test-rest"
	NumericAccount       = "144115233775727695" // sent as a JSON number, kept digit for digit
	ClientIP             = "203.0.113.7"
	OptPlatform          = "RESTAPI"
)

// Sample is one callback of the story.
type Sample struct {
	// Variant names the sample files: functions/lambda/events/functionurl-<Variant>.json,
	// functions/scf/events/functionurl-<Variant>.json, functions/web/events/callback-<Variant>.json
	// (the create's Lambda and SCF files are the older functionurl-default.json and the other
	// shapes).
	Variant   string
	Command   string // CallbackCommand, in the query string and the body alike
	Body      string // the raw callback, as Tencent POSTs it
	EventTime int64
	// Rooms, Members and Seats count the rows one delivery of this sample leaves in an empty
	// store: what the rule makes of the event alone.
	Rooms, Members, Seats int
}

// Story is every sample, in EventTime order.
var Story = []Sample{
	{"create-room", callback.CommandCreateRoom,
		`{"CallbackCommand":"Room.CallbackAfterCreateRoom","Operator_Account":"admin","RoomInfo":{"RoomId":"tandy-test-rest","RoomName":"tandy-test-rest","RoomType":"Meeting","Owner_Account":"user3","MaxMemberCount":300,"MaxSeatCount":16,"IsVideoDisabled":true,"IsAudioDisabled":true,"IsMessageDisabled":true,"IsScreenSharingDisabled":true,"IsCloudRecordingDisabled":true,"CustomInfo":"custom123","ScheduleStartTime":1703589922,"ScheduleEndTime":1703593522,"RoomStatus":"Running","IsSeatEnabled":true,"TakeSeatMode":"ApplyToTake","CreateTime":1703589922},"ScheduleInviteeList_Account":["user2","user3","user3"],"EventTime":1703589922780}`,
		1703589922780, 1, 0, 0},
	{"update-room", callback.CommandUpdateRoom,
		`{"CallbackCommand":"Room.CallbackAfterUpdateRoomInfo","Operator_Account":"user3","RoomInfo":{"RoomId":"tandy-test-rest","RoomName":"Tandy weekly sync","IsMessageDisabled":false,"CustomInfo":"agenda-v2"},"EventTime":1703589940000}`,
		1703589940000, 1, 0, 0},
	{"member-enter", callback.CommandMemberEnter,
		`{"CallbackCommand":"Room.CallbackAfterMemberEnter","Operator_Account":"user2","RoomId":"tandy-test-rest","MemberCount":2,"Type":"Enter","MemberList_Account":["user2",144115233775727695],"EventTime":1703589950000}`,
		1703589950000, 0, 2, 0},
	{"update-room-alt", callback.CommandUpdateRoomAlt,
		`{"CallbackCommand":"Room.CallbackUpdateRoomInfo","Operator_Account":"user3","RoomInfo":{"RoomId":"tandy-test-rest","TakeSeatMode":"FreeToTake","MaxMemberCount":500,"IsVideoDisabled":"false"},"EventTime":1703589960000}`,
		1703589960000, 1, 0, 0},
	{"seat-changed", callback.CommandSeatChanged,
		`{"CallbackCommand":"Mic.CallbackAfterSeatInfoChanged","Operator_Account":"user3","RoomId":"tandy-test-rest","SeatList":[{"Index":0,"Member_Account":"user2","IsTakenDisabled":false,"IsVideoDisabled":false,"IsAudioDisabled":false},{"Index":1,"Member_Account":144115233775727695,"IsTakenDisabled":false,"IsVideoDisabled":true,"IsAudioDisabled":false},{"Index":2,"Member_Account":"","IsTakenDisabled":true,"IsVideoDisabled":false,"IsAudioDisabled":false}],"EventTime":1703589970000}`,
		1703589970000, 0, 0, 3},
	{"member-leave", callback.CommandMemberLeave,
		`{"CallbackCommand":"Room.CallbackAfterMemberLeave","Operator_Account":"user3","RoomId":"tandy-test-rest","MemberCount":1,"Type":"Kicked","Reason":"kicked out by the host","MemberList_Account":[144115233775727695],"EventTime":1703589980000}`,
		1703589980000, 0, 1, 0},
	{"destroy-room", callback.CommandDestroyRoom,
		`{"CallbackCommand":"Room.CallbackAfterDestroyRoom","Operator_Account":"user3","RoomId":"tandy-test-rest","EventTime":1703589990000}`,
		1703589990000, 1, 0, 0},
}

// Get returns the sample of a variant; it panics on an unknown one (a test's typo).
func Get(variant string) Sample {
	for _, s := range Story {
		if s.Variant == variant {
			return s
		}
	}
	panic("samples: no variant " + variant)
}

// ByCommand returns the story's sample of command; the bool is false when it has none.
func ByCommand(command string) (Sample, bool) {
	for _, s := range Story {
		if s.Command == command {
			return s, true
		}
	}
	return Sample{}, false
}

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
// account and its seats by index.
type Rows struct {
	Room    *callback.RoomRow
	Members []*callback.MemberRow
	Seats   []*callback.SeatRow
}

// Read reads one room's rows from r, updated_at left out (it records the delivery, not the
// fold).
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
	return rows, nil
}

// Count returns the number of rows of each table.
func (r Rows) Count() (rooms, members, seats int) {
	if r.Room != nil {
		rooms = 1
	}
	return rooms, len(r.Members), len(r.Seats)
}

// String lists every row, one per line, each value named by its column; updated_at is left
// out. Two Rows are equal exactly when their Strings are.
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
	return b.String()
}

func line(b *strings.Builder, t *callback.Table, row callback.Row) {
	b.WriteString(t.Name)
	for i, c := range t.Columns {
		if c.Name == "updated_at" {
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

// Diff returns "" when got and want hold the same rows (updated_at aside), else the rows only
// one of them holds, each line marked "got " or "want".
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
	if b.Len() == 0 { // the same rows in another order
		return "got:\n" + g + "want:\n" + w
	}
	return b.String()
}

// Want returns the rows the whole story leaves for app, in any delivery order, with any
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

func ptr[T any](v T) *T { return &v }
