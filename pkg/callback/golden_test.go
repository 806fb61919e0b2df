package callback

import (
	"encoding/json"
	"reflect"
	"strconv"
	"testing"
)

// goldenWant is what each golden body (testdata/callbacks/<command>.json, written by hand from
// Tencent's field tables, every field a distinct value) parses to.
var goldenWant = map[string]Payload{
	CommandCreateRoom: &RoomCreated{
		CallbackCommand: CommandCreateRoom,
		OperatorAccount: p("op-create-01"),
		RoomInfo: RoomInfo{
			RoomID: "golden-room-7f3a", RoomName: p("Weekly sync 周会"), RoomType: p("Meeting"),
			OwnerAccount: p("owner-ada"), MaxMemberCount: p[int64](301), MaxSeatCount: p[int64](17),
			IsVideoDisabled: p(true), IsAudioDisabled: p(false), IsMessageDisabled: p(true),
			IsScreenSharingDisabled: p(false), IsCloudRecordingDisabled: p(false), CustomInfo: p("custom-create-c1"),
			ScheduleStartTime: p[int64](1703590001), ScheduleEndTime: p[int64](1703593602),
			RoomStatus: p("NotStarted"), IsSeatEnabled: p(true), TakeSeatMode: p("ApplyToTake"),
			CreateTime: p[int64](1703589903),
		},
		ScheduleInviteeList: []string{"invitee-bo", "144115233775727695", "invitee-cy"},
		EventTime:           1703589922781,
	},
	CommandUpdateRoom: &RoomUpdated{
		CallbackCommand: CommandUpdateRoom,
		OperatorAccount: p("op-update-02"),
		RoomInfo: RoomInfo{
			RoomID: "golden-room-7f3a", RoomName: p("Renamed sync"), OwnerAccount: p("owner-dee"),
			TakeSeatMode: p("FreeToTake"), MaxMemberCount: p[int64](302),
			IsVideoDisabled: p(false), IsAudioDisabled: p(true), IsMessageDisabled: p(false),
			IsScreenSharingDisabled: p(true), IsCloudRecordingDisabled: p(true), CustomInfo: p("custom-update-u2"),
		},
		EventTime: 1703589933412,
	},
	CommandUpdateRoomAlt: &RoomUpdated{
		CallbackCommand: CommandUpdateRoomAlt,
		OperatorAccount: p("op-update-alt-03"),
		RoomInfo: RoomInfo{
			RoomID: "golden-room-7f3a", RoomName: p("Renamed again"), OwnerAccount: p("owner-eve"),
			TakeSeatMode: p("None"), MaxMemberCount: p[int64](303),
			IsVideoDisabled: p(true), IsAudioDisabled: p(false), IsMessageDisabled: p(true),
			IsScreenSharingDisabled: p(false), IsCloudRecordingDisabled: p(false), CustomInfo: p("custom-update-u3"),
		},
		EventTime: 1703589944523,
	},
	CommandDestroyRoom: &RoomDestroyed{
		CallbackCommand: CommandDestroyRoom,
		OperatorAccount: p("op-destroy-04"),
		RoomID:          "golden-room-7f3a",
		EventTime:       1703589999634,
	},
	CommandMemberEnter: &MembersChanged{
		CallbackCommand: CommandMemberEnter,
		OperatorAccount: p("op-enter-05"),
		RoomID:          "golden-room-7f3a",
		MemberCount:     p[int64](4),
		Type:            p("Enter"),
		Members:         []string{"member-fay", "144115233775727695", "member-gus"},
		EventTime:       1703589955745,
		Entered:         true,
	},
	CommandMemberLeave: &MembersChanged{
		CallbackCommand: CommandMemberLeave,
		OperatorAccount: p("op-leave-06"),
		RoomID:          "golden-room-7f3a",
		MemberCount:     p[int64](2),
		Type:            p("Kicked"),
		Reason:          p("removed by the host"),
		Members:         []string{"144115233775727695", "member-hal"},
		EventTime:       1703589966856,
	},
	CommandSeatChanged: &SeatsChanged{
		CallbackCommand: CommandSeatChanged,
		OperatorAccount: p("op-seat-07"),
		RoomID:          "golden-room-7f3a",
		Seats: []Seat{
			{Index: 5, MemberAccount: p("owner-ada"), IsTakenDisabled: p(false), IsVideoDisabled: p(true), IsAudioDisabled: p(false)},
			{Index: 0, MemberAccount: p("144115233775727695"), IsTakenDisabled: p(false), IsVideoDisabled: p(false), IsAudioDisabled: p(true)},
			{Index: 9, IsTakenDisabled: p(true), IsVideoDisabled: p(true), IsAudioDisabled: p(false)}, // Member_Account "": free
			{Index: 2, IsTakenDisabled: p(false)}, // the rest absent
		},
		EventTime: 1703589977967,
	},
}

// goldenAbsent lists the fields each golden body leaves out on purpose, as Tencent's field
// table for the command does; every other field of the parsed payload must be set, so the
// table test below checks every field the parser fills.
var goldenAbsent = map[string][]string{
	CommandUpdateRoom: {"RoomInfo.RoomType", "RoomInfo.MaxSeatCount", "RoomInfo.ScheduleStartTime",
		"RoomInfo.ScheduleEndTime", "RoomInfo.RoomStatus", "RoomInfo.IsSeatEnabled", "RoomInfo.CreateTime"},
	CommandMemberEnter: {"Reason"}, // only a leave has a reason
	CommandSeatChanged: {"Seats[2].MemberAccount", "Seats[3].MemberAccount", "Seats[3].IsVideoDisabled", "Seats[3].IsAudioDisabled"},
}

func init() {
	goldenAbsent[CommandUpdateRoomAlt] = goldenAbsent[CommandUpdateRoom]
}

// TestGoldenBodies parses the golden body of every projected command, through ParsePayload as
// the handler does and through the command's own parser, and checks every field.
func TestGoldenBodies(t *testing.T) {
	parsers := map[string]func([]byte) (Payload, error){
		CommandCreateRoom:    parser(ParseCreateRoom),
		CommandUpdateRoom:    parser(ParseUpdateRoom),
		CommandUpdateRoomAlt: parser(ParseUpdateRoom),
		CommandDestroyRoom:   parser(ParseDestroyRoom),
		CommandMemberEnter:   parser(parseEnter),
		CommandMemberLeave:   parser(ParseMembers),
		CommandSeatChanged:   parser(ParseSeats),
	}
	// The Live family's golden bodies are live_*_test.go's (testdata/live).
	if n := len(roomFamily(commands)); len(goldenCommands) != n {
		t.Fatalf("%d golden bodies for %d projected Room-family commands", len(goldenCommands), n)
	}
	for _, c := range goldenCommands {
		t.Run(c, func(t *testing.T) {
			want, ok := goldenWant[c]
			if !ok {
				t.Fatal("no expected payload")
			}
			if !Projected(c) {
				t.Fatal("not projected")
			}
			body := golden(t, c)
			got, err := ParsePayload(c, body)
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(got, want) {
				t.Fatalf("ParsePayload:\ngot  %s\nwant %s", dump(got), dump(want))
			}
			direct, err := parsers[c](body)
			if err != nil || !reflect.DeepEqual(direct, want) {
				t.Fatalf("the command's parser: %s, %v", dump(direct), err)
			}
			if got.BodyCommand() != c {
				t.Errorf("BodyCommand = %q", got.BodyCommand())
			}
			if room, at := got.Key(); room != "golden-room-7f3a" || at <= 1703589922780 {
				t.Errorf("Key = %q, %d", room, at)
			}
			unset := unsetFields("", reflect.ValueOf(want).Elem())
			if !reflect.DeepEqual(unset, goldenAbsent[c]) {
				t.Errorf("fields the golden body leaves unset: %q, want %q", unset, goldenAbsent[c])
			}
			// The envelope, which archives the commands roomhook does not project, reads the
			// same key from the same body.
			env, err := ParseEnvelope(body)
			if room, at := got.Key(); err != nil || env.RoomID != room || env.EventTime != at || env.CallbackCommand != c {
				t.Errorf("envelope %+v, %v", env, err)
			}
		})
	}
	// The golden bodies' times differ, and each command's rank orders them as a room's life:
	// a fold of them in EventTime order is create, update, update, enter, leave, seat, destroy.
	var prev int64
	for _, c := range []string{CommandCreateRoom, CommandUpdateRoom, CommandUpdateRoomAlt, CommandMemberEnter,
		CommandMemberLeave, CommandSeatChanged, CommandDestroyRoom} {
		_, at := goldenWant[c].Key()
		if at <= prev {
			t.Errorf("%s's EventTime %d is not after the previous golden event's", c, at)
		}
		prev = at
	}
}

// unsetFields lists the nil pointers and empty strings of v, by path.
func unsetFields(path string, v reflect.Value) []string {
	var out []string
	switch v.Kind() {
	case reflect.Struct:
		for i := range v.NumField() {
			name := v.Type().Field(i).Name
			if path != "" {
				name = path + "." + name
			}
			out = append(out, unsetFields(name, v.Field(i))...)
		}
	case reflect.Slice:
		for i := range v.Len() {
			out = append(out, unsetFields(path+"["+itoa(i)+"]", v.Index(i))...)
		}
		if v.IsNil() {
			out = append(out, path)
		}
	case reflect.Pointer:
		if v.IsNil() {
			out = append(out, path)
		}
	case reflect.String:
		if v.String() == "" {
			out = append(out, path)
		}
	}
	return out
}

// dump shows a payload with its pointers followed.
func dump(v any) string {
	b, err := json.Marshal(v)
	if err != nil {
		return err.Error()
	}
	return string(b)
}

func itoa(i int) string { return strconv.Itoa(i) }
