package floor

import (
	"encoding/json"
	"errors"
	"reflect"
	"strings"
	"testing"

	"github.com/roomhook/roomhook/functions/samples"
)

// roomAndTime returns the room id and EventTime the floor's struct v received: the battle's
// initiating room for a battle, "" for the app-wide threshold, 0 for the gift (it has no
// EventTime).
func roomAndTime(t *testing.T, v any) (string, int64) {
	t.Helper()
	switch c := v.(type) {
	case *Callback:
		return c.RoomInfo.RoomId, c.EventTime
	case *Updated:
		return c.RoomInfo.RoomId, c.EventTime
	case *Destroyed:
		return c.RoomId, c.EventTime
	case *Members:
		return c.RoomId, c.EventTime
	case *Seats:
		return c.RoomId, c.EventTime
	case *LiveCreated:
		return c.RoomInfo.RoomId, c.EventTime
	case *LiveUpdated:
		return c.RoomInfo.RoomId, c.EventTime
	case *LiveDestroyed:
		return c.RoomId, c.EventTime
	case *LiveMetadataSet:
		return c.RoomId, c.EventTime
	case *LiveMetadataDeleted:
		return c.RoomId, c.EventTime
	case *LiveThreshold:
		return "", c.EventTime
	case *LiveMembers:
		return c.RoomId, c.EventTime
	case *LiveOwner:
		return c.RoomId, c.EventTime
	case *LiveAdmins:
		return c.RoomId, c.EventTime
	case *LiveBattle:
		if c.FromRoomId != "" {
			return c.FromRoomId, c.EventTime
		}
		return c.FromRoomInfo.RoomId, c.EventTime
	case *LiveGift:
		return c.RoomId, 0
	}
	t.Fatalf("decodeSink returned a %T", v)
	return "", 0
}

// TestDecodeEverySample decodes every sample of both stories through the floor's struct for its
// command: the struct must be the command's own (the create-room Callback for that command
// only) and must receive the sample's room and EventTime; the only decode error allowed is a
// numeric account (a JSON number where the floor's field is a string, as documented).
func TestDecodeEverySample(t *testing.T) {
	var all []samples.Sample
	all = append(all, samples.Story...)
	all = append(all, samples.LiveStory...)
	for _, s := range all {
		t.Run(s.Variant, func(t *testing.T) {
			v, err := decodeSink(s.Command, s.Body)
			if _, isCreate := v.(*Callback); isCreate != (s.Command == "Room.CallbackAfterCreateRoom") {
				t.Fatalf("%s decoded into %T", s.Command, v)
			}
			if err != nil {
				if !quirk(err, s.Body) {
					t.Fatalf("decode: %v", err)
				}
				t.Logf("Tencent quirk, as documented: %v", err)
			}
			room, at := roomAndTime(t, v)
			if want := s.Room(); room != want {
				t.Errorf("room %q, want %q", room, want)
			}
			if at != s.EventTime {
				t.Errorf("EventTime %d, want %d", at, s.EventTime)
			}
		})
	}
}

// TestDecodeUnknownCommand: a command the floor does not know gets the create-room Callback.
func TestDecodeUnknownCommand(t *testing.T) {
	v, err := decodeSink("Group.CallbackAfterSendMsg", `{"CallbackCommand":"Group.CallbackAfterSendMsg","EventTime":1}`)
	if c, ok := v.(*Callback); !ok || err != nil || c.EventTime != 1 {
		t.Fatalf("got %T %v", v, err)
	}
}

// quirk reports whether err is one of Tencent's quirks the samples carry and the floor's plain
// types do not absorb (Decode's doc): a numeric account (a JSON number where the floor's
// *_Account field is a string) or a boolean sent as a string.
func quirk(err error, body string) bool {
	var te *json.UnmarshalTypeError
	if !errors.As(err, &te) {
		return false
	}
	switch {
	case te.Value == "number" && te.Type.Kind() == reflect.String && strings.HasSuffix(te.Field, "_Account"):
		return strings.Contains(body, samples.NumericAccount) || strings.Contains(body, samples.LiveNumericAccount)
	case te.Value == "string" && te.Type.Kind() == reflect.Bool:
		return true
	}
	return false
}
