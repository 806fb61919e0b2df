package callback

import (
	"reflect"
	"strings"
	"testing"
)

// The metadata parsers, held to the parsing rule case by case, as rules_test.go holds the Room
// family: each case starts from the command's fixture (testdata/live) and changes one thing.

func TestMetadataGolden(t *testing.T) {
	t.Run("set", func(t *testing.T) {
		liveOtherGolden(t, "live-set-metadata", &MetadataSet{
			CallbackCommand: CommandLiveSetMetadata,
			RoomID:          "live-room-5c2e",
			OperatorAccount: p("op-meta-set-31"),
			Entries: []MetadataEntry{
				{Key: "theme", Value: "dawn 晨"}, // listed twice: the last value, in the first place
				{Key: "pinned", Value: "welcome to the show"},
				{Key: "layout", Value: `{"grid":3}`},
			},
			EventTime: 1703600009890,
		}, nil)
	})
	t.Run("delete", func(t *testing.T) {
		liveOtherGolden(t, "live-del-metadata", &MetadataDeleted{
			CallbackCommand: CommandLiveDelMetadata,
			RoomID:          "live-room-5c2e",
			OperatorAccount: p("op-meta-del-32"),
			Keys:            []string{"pinned", "layout"}, // "pinned" listed twice
			EventTime:       1703600010901,
		}, nil)
	})
}

func metadataSet(t *testing.T, pl Payload) *MetadataSet {
	t.Helper()
	ms, ok := pl.(*MetadataSet)
	if !ok {
		t.Fatalf("payload %T", pl)
	}
	return ms
}

func metadataDeleted(t *testing.T, pl Payload) *MetadataDeleted {
	t.Helper()
	md, ok := pl.(*MetadataDeleted)
	if !ok {
		t.Fatalf("payload %T", pl)
	}
	return md
}

func wantEntries(want ...MetadataEntry) func(*testing.T, Payload) {
	return func(t *testing.T, pl Payload) {
		t.Helper()
		if got := metadataSet(t, pl).Entries; !reflect.DeepEqual(got, want) {
			t.Fatalf("Entries %+v, want %+v", got, want)
		}
	}
}

func wantMetadataKeys(want ...string) func(*testing.T, Payload) {
	return func(t *testing.T, pl Payload) {
		t.Helper()
		if got := metadataDeleted(t, pl).Keys; !reflect.DeepEqual(got, want) {
			t.Fatalf("Keys %q, want %q", got, want)
		}
	}
}

func TestMetadataLeniency(t *testing.T) {
	runLiveOtherRules(t, "live-set-metadata", []ruleCase{
		{name: "a Value given as a number keeps its text", mutate: setTo("Metadata[1].Value", "144115233775727698"),
			check: func(t *testing.T, pl Payload) {
				if v := metadataSet(t, pl).Entries[1].Value; v != "144115233775727698" {
					t.Fatalf("Value %q", v)
				}
			}},
		{name: "an absent Value is empty", mutate: without("Metadata[1].Value"),
			check: func(t *testing.T, pl Payload) {
				if e := metadataSet(t, pl).Entries[1]; e != (MetadataEntry{Key: "pinned"}) {
					t.Fatalf("entry %+v", e)
				}
			}},
		{name: "a null Value is empty", mutate: setTo("Metadata[1].Value", "null"),
			check: func(t *testing.T, pl Payload) {
				if e := metadataSet(t, pl).Entries[1]; e != (MetadataEntry{Key: "pinned"}) {
					t.Fatalf("entry %+v", e)
				}
			}},
		{name: "an empty Value is kept", mutate: setTo("Metadata[2].Value", `""`),
			check: func(t *testing.T, pl Payload) {
				if e := metadataSet(t, pl).Entries[2]; e != (MetadataEntry{Key: "layout"}) {
					t.Fatalf("entry %+v", e)
				}
			}},
		{name: "a key set twice to the same value", mutate: setTo("Metadata[3].Value", `"night 夜"`),
			check: wantEntries(MetadataEntry{"theme", "night 夜"}, MetadataEntry{"pinned", "welcome to the show"},
				MetadataEntry{"layout", `{"grid":3}`})},
		{name: "one entry", body: `{"RoomId":"r","Metadata":[{"Key":"k","Value":"v"}],"EventTime":1}`,
			check: wantEntries(MetadataEntry{"k", "v"})},
		{name: "keys differing in case are different keys", body: `{"RoomId":"r","Metadata":[{"Key":"k","Value":"1"},{"Key":"K","Value":"2"}],"EventTime":1}`,
			check: wantEntries(MetadataEntry{"k", "1"}, MetadataEntry{"K", "2"})},
		{name: "an 18-digit Operator_Account keeps every digit", mutate: setTo("Operator_Account", "144115233775727695"),
			check: func(t *testing.T, pl Payload) {
				if a := metadataSet(t, pl).OperatorAccount; a == nil || *a != "144115233775727695" {
					t.Fatalf("Operator_Account %v", a)
				}
			}},
		{name: "EventTime as a numeric string", mutate: setTo("EventTime", `"1703600009890"`), check: func(t *testing.T, pl Payload) {
			if _, at := pl.Key(); at != 1703600009890 {
				t.Fatalf("EventTime %d", at)
			}
		}},
		{name: "no CallbackCommand", mutate: without("CallbackCommand"), check: func(t *testing.T, pl Payload) {
			if pl.BodyCommand() != "" {
				t.Fatalf("BodyCommand %q", pl.BodyCommand())
			}
		}},
		{name: "a key of MaxRoomIDBytes", mutate: setTo("Metadata[0].Key", quote(strings.Repeat("k", MaxRoomIDBytes))),
			check: func(t *testing.T, pl Payload) {
				if k := metadataSet(t, pl).Entries[0].Key; len(k) != MaxRoomIDBytes {
					t.Fatalf("key of %d bytes", len(k))
				}
			}},
		{name: "unknown fields and their repeats are left alone", mutate: all(again("Metadata[0].Key", `"Extra"`, "1"),
			again("Metadata[0].Key", `"Extra"`, "2"), again("RoomId", `"RoomInfo"`, "{}"), again("RoomId", `"RoomInfo"`, "{}"))},
	})
	runLiveOtherRules(t, "live-del-metadata", []ruleCase{
		{name: "one key", mutate: setTo("Keys", `["k"]`), check: wantMetadataKeys("k")},
		{name: "repeats keep the first place", mutate: setTo("Keys", `["b","a","b","a","c"]`), check: wantMetadataKeys("b", "a", "c")},
		{name: "an 18-digit Operator_Account keeps every digit", mutate: setTo("Operator_Account", "144115233775727695"),
			check: func(t *testing.T, pl Payload) {
				if a := metadataDeleted(t, pl).OperatorAccount; a == nil || *a != "144115233775727695" {
					t.Fatalf("Operator_Account %v", a)
				}
			}},
		{name: "EventTime as a numeric string", mutate: setTo("EventTime", `"1703600010901"`), check: func(t *testing.T, pl Payload) {
			if _, at := pl.Key(); at != 1703600010901 {
				t.Fatalf("EventTime %d", at)
			}
		}},
	})
}

func TestMetadataStrictness(t *testing.T) {
	long := quote(strings.Repeat("k", MaxRoomIDBytes+1))
	runLiveOtherRules(t, "live-set-metadata", []ruleCase{
		{name: "RoomId missing", mutate: without("RoomId"), wantErr: ErrField, field: "RoomId missing"},
		{name: "RoomId empty", mutate: setTo("RoomId", `""`), wantErr: ErrField, field: "RoomId missing"},
		{name: "RoomId a number", mutate: setTo("RoomId", "5"), wantErr: ErrField, field: "RoomId must be a string"},
		{name: "Metadata missing", mutate: without("Metadata"), wantErr: ErrField, field: "Metadata missing"},
		{name: "Metadata null", mutate: setTo("Metadata", "null"), wantErr: ErrField, field: "Metadata missing"},
		{name: "Metadata empty", mutate: setTo("Metadata", "[]"), wantErr: ErrField, field: "Metadata is empty"},
		{name: "Metadata an object", mutate: setTo("Metadata", `{"Key":"k","Value":"v"}`), wantErr: ErrField, field: "Metadata"},
		{name: "an entry not an object", mutate: setTo("Metadata", `[{"Key":"k"},"k"]`), wantErr: ErrField, field: "Metadata"},
		{name: "an entry null", mutate: setTo("Metadata", `[{"Key":"k"},null]`), wantErr: ErrField, field: "Metadata[1].Key missing"},
		{name: "a Key missing", mutate: without("Metadata[2].Key"), wantErr: ErrField, field: "Metadata[2].Key missing"},
		{name: "a Key empty", mutate: setTo("Metadata[2].Key", `""`), wantErr: ErrField, field: "Metadata[2].Key missing"},
		{name: "a Key a number", mutate: setTo("Metadata[2].Key", "7"), wantErr: ErrField, field: "Metadata[2].Key must be a string"},
		{name: "a Key holding NUL", mutate: setTo("Metadata[2].Key", `"a\u0000b"`), wantErr: ErrField, field: "Metadata[2].Key must be a string"},
		{name: "a Key too long", mutate: setTo("Metadata[2].Key", long), wantErr: ErrField, field: "Metadata[2].Key is longer than 255 bytes"},
		{name: "a Value a boolean", mutate: setTo("Metadata[1].Value", "true"), wantErr: ErrField, field: "Value"},
		{name: "a Value an array", mutate: setTo("Metadata[1].Value", `["v"]`), wantErr: ErrField, field: "Value"},
		{name: "a Value holding NUL", mutate: setTo("Metadata[1].Value", `"\u0000"`), wantErr: ErrField, field: "Value"},
		{name: "EventTime missing", mutate: without("EventTime"), wantErr: ErrField, field: "EventTime missing"},
		{name: "EventTime zero", mutate: setTo("EventTime", "0"), wantErr: ErrField, field: "EventTime must be positive"},
		{name: "EventTime a fraction", mutate: setTo("EventTime", "1703600009890.5"), wantErr: ErrField, field: "EventTime"},
		{name: "EventTime out of range", mutate: setTo("EventTime", "1e99"), wantErr: ErrField, field: "EventTime"},
		{name: "a Key repeated in one entry", mutate: again("Metadata[1].Key", `"KEY"`, `"other"`), wantErr: ErrDuplicateField, field: "Metadata[1].Key"},
		{name: "a Value repeated in one entry", mutate: againSame("Metadata[3].Value", `"valu\u0065"`), wantErr: ErrDuplicateField, field: "Metadata[3].Value"},
		{name: "Metadata repeated", mutate: again("Metadata", `"metadata"`, "[]"), wantErr: ErrDuplicateField, field: "Metadata"},
		{name: "RoomId repeated, one invalid", mutate: again("RoomId", `"roomId"`, "5"), wantErr: ErrDuplicateField, field: "RoomId"},
		{name: "not an object", body: `[{"RoomId":"r"}]`, wantErr: ErrNotObject},
	})
	runLiveOtherRules(t, "live-del-metadata", []ruleCase{
		{name: "RoomId missing", mutate: without("RoomId"), wantErr: ErrField, field: "RoomId missing"},
		{name: "RoomId an object", mutate: setTo("RoomId", `{"RoomId":"r"}`), wantErr: ErrField, field: "RoomId must be a string"},
		{name: "Keys missing", mutate: without("Keys"), wantErr: ErrField, field: "Keys missing"},
		{name: "Keys null", mutate: setTo("Keys", "null"), wantErr: ErrField, field: "Keys missing"},
		{name: "Keys empty", mutate: setTo("Keys", "[]"), wantErr: ErrField, field: "Keys is empty"},
		{name: "Keys a string", mutate: setTo("Keys", `"pinned"`), wantErr: ErrField, field: "Keys"},
		{name: "a key empty", mutate: setTo("Keys", `["a",""]`), wantErr: ErrField, field: "Keys[1] missing"},
		{name: "a key null", mutate: setTo("Keys", `["a",null]`), wantErr: ErrField, field: "Keys[1] missing"},
		{name: "a key a number", mutate: setTo("Keys", `["a",1]`), wantErr: ErrField, field: "Keys[1] must be a string"},
		{name: "a key an object", mutate: setTo("Keys", `[{"Key":"a"}]`), wantErr: ErrField, field: "Keys[0] must be a string"},
		{name: "a key too long", mutate: setTo("Keys", "["+long+"]"), wantErr: ErrField, field: "Keys[0] is longer than 255 bytes"},
		{name: "EventTime missing", mutate: without("EventTime"), wantErr: ErrField, field: "EventTime missing"},
		{name: "EventTime negative", mutate: setTo("EventTime", "-1"), wantErr: ErrField, field: "EventTime must be positive"},
		{name: "EventTime a word", mutate: setTo("EventTime", `"soon"`), wantErr: ErrField, field: "EventTime"},
		{name: "Keys repeated", mutate: again("Keys", `"\u004beys"`, `["x"]`), wantErr: ErrDuplicateField, field: "Keys"},
		{name: "EventTime repeated", mutate: againSame("EventTime", `"eventtime"`), wantErr: ErrDuplicateField, field: "EventTime"},
		{name: "not an object", body: `"Keys"`, wantErr: ErrNotObject},
	})
}
