package postgres_test

import (
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/roomhook/roomhook/pkg/callback"
)

// The tests' events carry real bodies, parsed by the core's parser: the projection reads
// archived bodies back, so a payload that disagreed with its body would test nothing.

// testReceivedAt is when the tests' events arrive (updated_at of the rows they write).
var testReceivedAt = time.UnixMilli(1703600000123).UTC()

// t0 is the EventTime the tests' rooms start at.
const t0 int64 = 1703589922780

// eventOf builds the event of a projected command from its body, as the core would.
func eventOf(t testing.TB, app int64, command string, body map[string]any) *callback.Event {
	t.Helper()
	body["CallbackCommand"] = command
	raw, err := json.Marshal(body)
	if err != nil {
		t.Fatal(err)
	}
	p, err := callback.ParsePayload(command, raw)
	if err != nil || p == nil {
		t.Fatalf("the parser refuses a test body of %s: %v\n%s", command, err, raw)
	}
	room, at := p.Key()
	return &callback.Event{
		SdkAppID: app, Command: command, RoomID: room, EventTime: at,
		ClientIP: "198.51.100.7", OptPlatform: "Web", RequestID: "req-test",
		ReceivedAt: testReceivedAt, Raw: raw, Payload: p,
	}
}

func createEvent(t testing.TB, app int64, room string, at int64, name string) *callback.Event {
	return eventOf(t, app, callback.CommandCreateRoom, map[string]any{
		"Operator_Account": "admin", "EventTime": at,
		"RoomInfo": map[string]any{"RoomId": room, "RoomName": name, "MaxSeatCount": 8},
	})
}

func updateEvent(t testing.TB, app int64, room string, at int64, info map[string]any) *callback.Event {
	info["RoomId"] = room
	return eventOf(t, app, callback.CommandUpdateRoom, map[string]any{"EventTime": at, "RoomInfo": info})
}

func destroyEvent(t testing.TB, app int64, room string, at int64) *callback.Event {
	return eventOf(t, app, callback.CommandDestroyRoom, map[string]any{
		"Operator_Account": "admin", "RoomId": room, "EventTime": at,
	})
}

func enterEvent(t testing.TB, app int64, room string, at, count int64, members ...string) *callback.Event {
	return eventOf(t, app, callback.CommandMemberEnter, map[string]any{
		"RoomId": room, "EventTime": at, "MemberCount": count, "Type": "Enter", "MemberList_Account": members,
	})
}

func leaveEvent(t testing.TB, app int64, room string, at, count int64, members ...string) *callback.Event {
	return eventOf(t, app, callback.CommandMemberLeave, map[string]any{
		"RoomId": room, "EventTime": at, "MemberCount": count, "Type": "Kicked", "Reason": "spam",
		"MemberList_Account": members,
	})
}

func seatEvent(t testing.TB, app int64, room string, at, index int64, member string) *callback.Event {
	return eventOf(t, app, callback.CommandSeatChanged, map[string]any{
		"RoomId": room, "EventTime": at,
		"SeatList": []any{map[string]any{"Index": index, "Member_Account": member, "IsVideoDisabled": index%2 == 0}},
	})
}

// unknownEvent is an event of a command roomhook does not project: archived raw, no payload.
func unknownEvent(app int64, room string, at int64) *callback.Event {
	return &callback.Event{
		SdkAppID: app, Command: "Group.CallbackAfterSendMsg", RoomID: room, EventTime: at,
		ReceivedAt: testReceivedAt, Raw: fmt.Appendf(nil, `{"RoomId":%q,"EventTime":%d}`, room, at),
	}
}

// dump returns every row of the room in every table of the projection, one line a row, in a
// fixed order.
func dump(t testing.TB, r callback.Reader, app int64, room string) string {
	t.Helper()
	var lines []string
	for _, tb := range callback.Tables {
		rows, err := r.Rows(t.Context(), tb, app, room)
		if err != nil {
			t.Fatal(err)
		}
		for _, row := range rows {
			if err := callback.CheckRow(tb, row); err != nil {
				t.Errorf("a row read back does not fit: %v", err)
			}
			var b strings.Builder
			b.WriteString(tb.Name)
			for i, v := range row {
				fmt.Fprintf(&b, " %s=", tb.Columns[i].Name)
				switch v := v.(type) {
				case nil:
					b.WriteString("NULL")
				case string:
					fmt.Fprintf(&b, "%q", v)
				default:
					fmt.Fprintf(&b, "%v", v)
				}
			}
			lines = append(lines, b.String())
		}
	}
	slices.Sort(lines)
	return strings.Join(lines, "\n")
}
