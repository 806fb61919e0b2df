package callback

import (
	"strings"
	"testing"
)

// TestEventCheck: Check compares the event's archive key (RoomID, EventTime) with its payload's
// Key, for every kind of payload; an event without a payload (archived raw) has nothing to
// disagree with.
func TestEventCheck(t *testing.T) {
	payloads := map[string]Payload{
		"create":  &RoomCreated{RoomInfo: RoomInfo{RoomID: "r"}, EventTime: 5},
		"update":  &RoomUpdated{RoomInfo: RoomInfo{RoomID: "r"}, EventTime: 5},
		"destroy": &RoomDestroyed{RoomID: "r", EventTime: 5},
		"members": &MembersChanged{RoomID: "r", Members: []string{"m"}, EventTime: 5},
		"seats":   &SeatsChanged{RoomID: "r", Seats: []Seat{}, EventTime: 5},
	}
	tests := []struct {
		name string
		ev   func(Payload) *Event
		want string // "" = accepted
	}{
		{"nil", func(Payload) *Event { return nil }, "nil event"},
		{"consistent", func(p Payload) *Event { return &Event{RoomID: "r", EventTime: 5, Payload: p} }, ""},
		{"no payload", func(Payload) *Event { return &Event{RoomID: "x", EventTime: 9} }, ""},
		{"RoomID disagrees", func(p Payload) *Event { return &Event{RoomID: "s", EventTime: 5, Payload: p} }, "RoomID"},
		{"RoomID empty", func(p Payload) *Event { return &Event{EventTime: 5, Payload: p} }, "RoomID"},
		{"EventTime disagrees", func(p Payload) *Event { return &Event{RoomID: "r", EventTime: 6, Payload: p} }, "EventTime"},
		{"EventTime zero", func(p Payload) *Event { return &Event{RoomID: "r", Payload: p} }, "EventTime"},
	}
	for kind, p := range payloads {
		for _, tt := range tests {
			t.Run(kind+"/"+tt.name, func(t *testing.T) {
				err := tt.ev(p).Check()
				if (err == nil) != (tt.want == "") || err != nil && !strings.Contains(err.Error(), tt.want) {
					t.Fatalf("Check = %v, want %q", err, tt.want)
				}
			})
		}
	}
}

// TestEventDigest: the archive key's digest is the SHA-256 of the raw body in lowercase hex,
// and nothing else of the event changes it.
func TestEventDigest(t *testing.T) {
	ev := &Event{Raw: []byte("abc")}
	const want = "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad" // sha256("abc")
	if got := ev.Digest(); got != want {
		t.Fatalf("Digest = %s, want %s", got, want)
	}
	other := &Event{Raw: []byte("abc"), RoomID: "r", EventTime: 5, Command: CommandSeatChanged}
	if other.Digest() != want {
		t.Fatal("the digest depends on more than Raw")
	}
	if (&Event{}).Digest() != "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855" {
		t.Fatal("digest of an empty body")
	}
}
