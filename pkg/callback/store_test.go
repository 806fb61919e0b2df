package callback

import (
	"strings"
	"testing"
)

func TestEventCheck(t *testing.T) {
	room := &RoomCreated{RoomInfo: RoomInfo{RoomID: "r"}, EventTime: 5}
	tests := []struct {
		name string
		ev   *Event
		want string // "" = accepted
	}{
		{"nil", nil, "nil event"},
		{"consistent create-room", &Event{RoomID: "r", EventTime: 5, Room: room}, ""},
		{"unknown command, no payload", &Event{RoomID: "x"}, ""},
		{"RoomID disagrees", &Event{RoomID: "s", EventTime: 5, Room: room}, "RoomID"},
		{"EventTime disagrees", &Event{RoomID: "r", EventTime: 6, Room: room}, "EventTime"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := tt.ev.Check()
			if (err == nil) != (tt.want == "") || err != nil && !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("Check = %v, want %q", err, tt.want)
			}
		})
	}
}
