package callbacktest

import (
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
)

func golden(t *testing.T, command string) string {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("..", "testdata", "callbacks", command+".json"))
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// TestReadBody: the Judge admits every golden body and reads from it what the body says, and
// it refuses each required field missing, of an impossible type or repeated.
func TestReadBody(t *testing.T) {
	const room = "golden-room-7f3a"
	for command, want := range map[string]Body{
		cmdCreate:    {Projected: true, RoomID: room, EventTime: 1703589922781},
		cmdUpdate:    {Projected: true, RoomID: room, EventTime: 1703589933412},
		cmdUpdateAlt: {Projected: true, RoomID: room, EventTime: 1703589944523},
		cmdDestroy:   {Projected: true, RoomID: room, EventTime: 1703589999634},
		cmdEnter: {Projected: true, RoomID: room, EventTime: 1703589955745,
			Accounts: []string{"member-fay", "144115233775727695", "member-gus", "member-fay"}},
		cmdLeave: {Projected: true, RoomID: room, EventTime: 1703589966856, Accounts: []string{"144115233775727695", "member-hal"}},
		cmdSeat:  {Projected: true, RoomID: room, EventTime: 1703589977967, Seats: []int64{5, 0, 9, 2}},
	} {
		got, why := ReadBody(command, []byte(golden(t, command)))
		if why != "" || !reflect.DeepEqual(got, want) {
			t.Errorf("%s: %+v, %q; want %+v", command, got, why, want)
		}
	}
	long := strings.Repeat("a", 256)
	for _, tt := range []struct {
		name, command, old, new string // the golden body with old replaced by new
		admit                   bool
	}{
		{"numeric strings", cmdSeat, `"Index": 5,`, `"Index": "5",`, true},
		{"EventTime a numeric string", cmdDestroy, `1703589999634`, `"1703589999634"`, true},
		{"a repeated unknown field", cmdLeave, `"Type"`, `"X": 1, "X": 2, "Type"`, true},
		{"not JSON", cmdDestroy, `}`, ``, false},
		{"not UTF-8", cmdDestroy, `op-destroy-04`, "op-\xff", false},
		{"another command in the body", cmdEnter, `"Room.CallbackAfterMemberEnter"`, `"Room.CallbackAfterMemberLeave"`, false},
		{"CallbackCommand twice", cmdEnter, `"RoomId"`, `"callbackcommand": "x", "RoomId"`, false},
		{"RoomId missing", cmdDestroy, `"RoomId": "golden-room-7f3a",`, ``, false},
		{"RoomId a number", cmdSeat, `"RoomId": "golden-room-7f3a"`, `"RoomId": 7`, false},
		{"RoomId of 256 bytes", cmdEnter, `"RoomId": "golden-room-7f3a"`, `"RoomId": "` + long + `"`, false},
		{"RoomId twice", cmdDestroy, `"RoomId": "golden-room-7f3a"`, `"RoomId": "golden-room-7f3a", "roomid": "x"`, false},
		{"RoomInfo.RoomId only at the top", cmdUpdate, `"RoomInfo": {`, `"RoomId": "r", "Info": {`, false},
		{"RoomInfo.RoomId twice, escaped", cmdCreate, `"RoomName"`, `"Room\u0049d": "x", "RoomName"`, false},
		{"EventTime zero", cmdDestroy, `1703589999634`, `0`, false},
		{"EventTime a fraction", cmdDestroy, `1703589999634`, `1703589999634.5`, false},
		{"MemberList_Account not an array", cmdLeave, `[144115233775727695, "member-hal"]`, `"member-hal"`, false},
		{"an account an object", cmdLeave, `"member-hal"`, `{}`, false},
		{"an account empty", cmdLeave, `"member-hal"`, `""`, false},
		{"an account over 255 bytes", cmdLeave, `"member-hal"`, `"` + long + `"`, false},
		{"SeatList not an array", cmdSeat, `"SeatList": [`, `"SeatList": 1, "X": [`, false},
		{"a seat not an object", cmdSeat, `{"Index": 2, "IsTakenDisabled": 0}`, `null`, false},
		{"an Index negative", cmdSeat, `"Index": 2,`, `"Index": -2,`, false},
		{"an Index twice, upper case", cmdSeat, `"Index": 2,`, "\"Index\": 2, \"INDEX\": 3,", false},
		{"unknown command, RoomId of 256 bytes", "Group.X", `"CallbackCommand": "Room.CallbackAfterDestroyRoom"`, `"CallbackCommand": "Group.X", "RoomId": "` + long + `", "X": 1`, false},
	} {
		t.Run(tt.name, func(t *testing.T) {
			src := cmdDestroy
			if tt.command != "Group.X" {
				src = tt.command
			}
			body := golden(t, src)
			if !strings.Contains(body, tt.old) {
				t.Fatalf("the golden body lacks %s", tt.old)
			}
			body = strings.Replace(body, tt.old, tt.new, 1)
			if tt.command == "Group.X" {
				body = strings.Replace(body, `"RoomId": "golden-room-7f3a",`, ``, 1)
			}
			if _, why := ReadBody(tt.command, []byte(body)); (why == "") != tt.admit {
				t.Fatalf("admitted %v (%s), want %v\n%s", why == "", why, tt.admit, body)
			}
		})
	}
}
