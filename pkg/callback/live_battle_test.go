package callback

import (
	"reflect"
	"strings"
	"testing"
)

// ParseBattle, held to the parsing rule case by case: each case starts from a battle fixture
// (testdata/live) and changes one thing.

const goldenBattleID = "4siHsNsWN/T3aub9zKraqPbSEGRX2z6gs3LDFi+d/3M="

func TestBattleGolden(t *testing.T) {
	t.Run("create", func(t *testing.T) {
		liveOtherGolden(t, "live-create-battle", &BattleChanged{
			CallbackCommand: CommandLiveCreateBattle,
			BattleID:        goldenBattleID,
			From:            BattleRoom{RoomID: "live-room-5c2e"},
			// ToRoomIdList, "live-rival-6e2c" listed twice.
			To:            []BattleRoom{{RoomID: "live-rival-6e2c"}, {RoomID: "live-rival-7f3d"}},
			Duration:      p[int64](60000),
			Timeout:       p[int64](30000),
			NeedResponse:  p(true),
			ExtensionInfo: p("extension pk 对决"),
			EventTime:     1703600011012,
		}, []string{"From.OwnerAccount", "From.Score", "To[0].OwnerAccount", "To[0].Score", "To[1].OwnerAccount",
			"To[1].Score", "CreateTime", "StartTime", "EndTime", "OpType"})
	})
	t.Run("start", func(t *testing.T) {
		liveOtherGolden(t, "live-start-battle", &BattleChanged{
			CallbackCommand: CommandLiveStartBattle,
			BattleID:        goldenBattleID,
			From:            BattleRoom{RoomID: "live-room-5c2e", OwnerAccount: p("144115233775727698"), Score: p[int64](4)},
			To: []BattleRoom{
				{RoomID: "live-rival-6e2c", OwnerAccount: p("owner-rival-kim"), Score: p[int64](5)},
				{RoomID: "live-rival-7f3d", OwnerAccount: p("144115245442327522"), Score: p[int64](6)},
			},
			Duration:   p[int64](60000),
			CreateTime: p[int64](1703600011),
			StartTime:  p[int64](1703600012),
			EventTime:  1703600012123,
		}, []string{"EndTime", "OpType", "Timeout", "NeedResponse", "ExtensionInfo"})
	})
	t.Run("end", func(t *testing.T) {
		liveOtherGolden(t, "live-end-battle", &BattleChanged{
			CallbackCommand: CommandLiveEndBattle,
			BattleID:        goldenBattleID,
			From:            BattleRoom{RoomID: "live-room-5c2e", OwnerAccount: p("144115233775727698"), Score: p[int64](37)},
			To: []BattleRoom{
				{RoomID: "live-rival-7f3d", OwnerAccount: p("144115245442327522"), Score: p[int64](52)},
				{RoomID: "live-rival-6e2c", OwnerAccount: p("owner-rival-kim"), Score: p[int64](48)},
			},
			Duration:   p[int64](60000),
			CreateTime: p[int64](1703600011),
			StartTime:  p[int64](1703600012),
			EndTime:    p[int64](1703600072),
			OpType:     p[int64](0),
			EventTime:  1703600072234,
		}, []string{"Timeout", "NeedResponse", "ExtensionInfo"})
	})
	t.Run("every field", func(t *testing.T) {
		liveOtherGolden(t, "live-end-battle-every-field", &BattleChanged{
			CallbackCommand: CommandLiveEndBattle,
			BattleID:        "battle-every-field-e9",
			From:            BattleRoom{RoomID: "live-room-5c2e", OwnerAccount: p("144115233775727698"), Score: p[int64](71)},
			To: []BattleRoom{
				{RoomID: "live-rival-8a4e", OwnerAccount: p("owner-max"), Score: p[int64](72)},
				{RoomID: "live-rival-9b5f", OwnerAccount: p("144115245442327523"), Score: p[int64](73)},
			},
			Duration:      p[int64](45000),
			CreateTime:    p[int64](1703600081),
			StartTime:     p[int64](1703600082),
			EndTime:       p[int64](1703600100),
			OpType:        p[int64](1),
			Timeout:       p[int64](10000),
			NeedResponse:  p(false),
			ExtensionInfo: p("every field"),
			EventTime:     1703600100567,
		}, nil)
	})
	// The stages of the golden battle are one battle, in EventTime order, under one key room.
	var prev int64
	for _, fx := range []string{"live-create-battle", "live-start-battle", "live-end-battle"} {
		pl, err := ParseBattle(liveOtherFixture(t, fx))
		if err != nil {
			t.Fatal(err)
		}
		room, at := pl.Key()
		if room != "live-room-5c2e" || at <= prev || pl.BattleID != goldenBattleID {
			t.Errorf("%s: Key %q, %d after %d; BattleId %q", fx, room, at, prev, pl.BattleID)
		}
		prev = at
	}
}

func battle(t *testing.T, pl Payload) *BattleChanged {
	t.Helper()
	b, ok := pl.(*BattleChanged)
	if !ok {
		t.Fatalf("payload %T", pl)
	}
	return b
}

func wantFrom(want BattleRoom) func(*testing.T, Payload) {
	return func(t *testing.T, pl Payload) {
		t.Helper()
		if got := battle(t, pl).From; !reflect.DeepEqual(got, want) {
			t.Fatalf("From %s, want %s", dump(got), dump(want))
		}
		if room, _ := pl.Key(); room != want.RoomID {
			t.Fatalf("Key's room %q", room)
		}
	}
}

func wantTo(want ...BattleRoom) func(*testing.T, Payload) {
	return func(t *testing.T, pl Payload) {
		t.Helper()
		got := battle(t, pl).To
		if want == nil {
			want = []BattleRoom{} // wantTo() is an empty list; nil is checked by hand
		}
		if got == nil || !reflect.DeepEqual(got, want) {
			t.Fatalf("To %s, want %s", dump(got), dump(want))
		}
	}
}

func TestBattleLeniency(t *testing.T) {
	room := "live-room-5c2e"
	runLiveOtherRules(t, "live-end-battle", []ruleCase{
		{name: "FromRoomId agreeing with FromRoomInfo.RoomId", mutate: setTo("FromRoomId", quote(room)),
			check: wantFrom(BattleRoom{RoomID: room, OwnerAccount: p("144115233775727698"), Score: p[int64](37)})},
		{name: "FromRoomId given, FromRoomInfo without RoomId", mutate: all(setTo("FromRoomId", `"live-room-x"`), without("FromRoomInfo.RoomId")),
			check: wantFrom(BattleRoom{RoomID: "live-room-x", OwnerAccount: p("144115233775727698"), Score: p[int64](37)})},
		{name: "FromRoomId empty, FromRoomInfo.RoomId given", mutate: setTo("FromRoomId", `""`),
			check: wantFrom(BattleRoom{RoomID: room, OwnerAccount: p("144115233775727698"), Score: p[int64](37)})},
		{name: "FromRoomId null, FromRoomInfo.RoomId given", mutate: setTo("FromRoomId", "null"),
			check: wantFrom(BattleRoom{RoomID: room, OwnerAccount: p("144115233775727698"), Score: p[int64](37)})},
		{name: "FromRoomInfo.RoomId empty, FromRoomId given", mutate: all(setTo("FromRoomId", quote(room)), setTo("FromRoomInfo.RoomId", `""`)),
			check: wantFrom(BattleRoom{RoomID: room, OwnerAccount: p("144115233775727698"), Score: p[int64](37)})},
		{name: "FromRoomInfo with RoomId only", mutate: setTo("FromRoomInfo", `{"RoomId":"live-room-y"}`),
			check: wantFrom(BattleRoom{RoomID: "live-room-y"})},
		{name: "an owner given as a string keeps it", mutate: setTo("FromRoomInfo.Owner_Account", `"owner-zed"`),
			check: wantFrom(BattleRoom{RoomID: room, OwnerAccount: p("owner-zed"), Score: p[int64](37)})},
		{name: "scores as numeric strings, negative too", mutate: all(setTo("FromRoomInfo.Score", `"-3"`), setTo("ToRoomList[0].Score", `"9"`)),
			check: func(t *testing.T, pl Payload) {
				b := battle(t, pl)
				if *b.From.Score != -3 || *b.To[0].Score != 9 {
					t.Fatalf("scores %d, %d", *b.From.Score, *b.To[0].Score)
				}
			}},
		{name: "a room listed twice keeps its last entry in its first place",
			mutate: setTo("ToRoomList", `[{"RoomId":"a","Score":1},{"RoomId":"b","Score":2},{"RoomId":"a","Score":3,"Owner_Account":"o"}]`),
			check:  wantTo(BattleRoom{RoomID: "a", OwnerAccount: p("o"), Score: p[int64](3)}, BattleRoom{RoomID: "b", Score: p[int64](2)})},
		{name: "ToRoomList empty", mutate: setTo("ToRoomList", "[]"), check: wantTo()},
		{name: "ToRoomList null, ToRoomIdList given", mutate: all(setTo("ToRoomList", "null"), setTo("ToRoomIdList", `["c"]`)),
			check: wantTo(BattleRoom{RoomID: "c"})},
		{name: "neither list", mutate: without("ToRoomList"), check: func(t *testing.T, pl Payload) {
			if to := battle(t, pl).To; to != nil {
				t.Fatalf("To %v", to)
			}
		}},
		{name: "integers as numeric strings", mutate: all(setTo("Duration", `"60000"`), setTo("CreateTime", `"1703600011"`),
			setTo("StartTime", `"1703600012"`), setTo("EndTime", `"1703600072"`), setTo("OpType", `"0"`), setTo("EventTime", `"1703600072234"`)),
			check: func(t *testing.T, pl Payload) {
				want, err := ParseBattle(liveOtherFixture(t, "live-end-battle"))
				if err != nil || !reflect.DeepEqual(pl, want) {
					t.Fatalf("got %s, want %s (%v)", dump(pl), dump(want), err)
				}
			}},
		{name: "any OpType is kept", mutate: setTo("OpType", "7"), check: func(t *testing.T, pl Payload) {
			if op := battle(t, pl).OpType; *op != 7 {
				t.Fatalf("OpType %d", *op)
			}
		}},
		{name: "a room's unknown fields are left alone", mutate: all(again("ToRoomList[1].RoomId", `"Extra"`, "1"),
			again("ToRoomList[1].RoomId", `"Extra"`, "2"))},
	})
	runLiveOtherRules(t, "live-create-battle", []ruleCase{
		{name: "NeedResponse as a string", mutate: setTo("NeedResponse", `"false"`), check: func(t *testing.T, pl Payload) {
			if nr := battle(t, pl).NeedResponse; nr == nil || *nr {
				t.Fatalf("NeedResponse %v", nr)
			}
		}},
		{name: "NeedResponse as 1", mutate: setTo("NeedResponse", "1"), check: func(t *testing.T, pl Payload) {
			if nr := battle(t, pl).NeedResponse; nr == nil || !*nr {
				t.Fatalf("NeedResponse %v", nr)
			}
		}},
		{name: "ToRoomIdList empty", mutate: setTo("ToRoomIdList", "[]"), check: wantTo()},
		{name: "ToRoomIdList with repeats", mutate: setTo("ToRoomIdList", `["b","a","b"]`),
			check: wantTo(BattleRoom{RoomID: "b"}, BattleRoom{RoomID: "a"})},
		{name: "ExtensionInfo a number keeps its text", mutate: setTo("ExtensionInfo", "12.50"), check: func(t *testing.T, pl Payload) {
			if e := battle(t, pl).ExtensionInfo; *e != "12.50" {
				t.Fatalf("ExtensionInfo %q", *e)
			}
		}},
		{name: "an Operator_Account is not read", mutate: again("Operator_Account", `"operator_account"`, "{}")},
		{name: "a BattleId of MaxRoomIDBytes", mutate: setTo("BattleId", quote(strings.Repeat("b", MaxRoomIDBytes)))},
	})
}

func TestBattleStrictness(t *testing.T) {
	long := quote(strings.Repeat("r", MaxRoomIDBytes+1))
	runLiveOtherRules(t, "live-end-battle-every-field", []ruleCase{
		{name: "BattleId missing", mutate: without("BattleId"), wantErr: ErrField, field: "BattleId missing"},
		{name: "BattleId empty", mutate: setTo("BattleId", `""`), wantErr: ErrField, field: "BattleId missing"},
		{name: "BattleId a number", mutate: setTo("BattleId", "12"), wantErr: ErrField, field: "BattleId must be a string"},
		{name: "BattleId too long", mutate: setTo("BattleId", long), wantErr: ErrField, field: "BattleId is longer than 255 bytes"},
		{name: "no initiating room", mutate: all(without("FromRoomId"), without("FromRoomInfo")), wantErr: ErrField,
			field: "FromRoomId (or FromRoomInfo.RoomId) missing"},
		{name: "both ids of the initiating room empty", mutate: all(setTo("FromRoomId", `""`), setTo("FromRoomInfo.RoomId", `""`)),
			wantErr: ErrField, field: "FromRoomId (or FromRoomInfo.RoomId) missing"},
		{name: "the two ids of the initiating room differ", mutate: setTo("FromRoomInfo.RoomId", `"live-room-other"`), wantErr: ErrField,
			field: "FromRoomInfo.RoomId differs from FromRoomId"},
		{name: "FromRoomId a number", mutate: setTo("FromRoomId", "5"), wantErr: ErrField, field: "FromRoomId must be a string"},
		{name: "FromRoomId holding NUL", mutate: setTo("FromRoomId", `"r\u0000"`), wantErr: ErrField, field: "FromRoomId must be a string"},
		{name: "FromRoomId too long", mutate: all(setTo("FromRoomId", long), without("FromRoomInfo.RoomId")), wantErr: ErrField,
			field: "FromRoomId is longer than 255 bytes"},
		{name: "FromRoomInfo.RoomId too long", mutate: all(without("FromRoomId"), setTo("FromRoomInfo.RoomId", long)), wantErr: ErrField,
			field: "FromRoomInfo.RoomId is longer than 255 bytes"},
		{name: "FromRoomInfo.RoomId a number", mutate: setTo("FromRoomInfo.RoomId", "5"), wantErr: ErrField, field: "FromRoomInfo.RoomId must be a string"},
		{name: "FromRoomInfo a string", mutate: setTo("FromRoomInfo", `"live-room-5c2e"`), wantErr: ErrField, field: "FromRoomInfo"},
		{name: "both lists of invited rooms", mutate: setTo("ToRoomIdList", `["live-rival-8a4e"]`), wantErr: ErrField,
			field: "ToRoomList and ToRoomIdList both present"},
		{name: "both lists of invited rooms, empty", mutate: all(setTo("ToRoomList", "[]"), setTo("ToRoomIdList", "[]")), wantErr: ErrField,
			field: "ToRoomList and ToRoomIdList both present"},
		{name: "an invited room without RoomId", mutate: without("ToRoomList[1].RoomId"), wantErr: ErrField, field: "ToRoomList[1].RoomId missing"},
		{name: "an invited room's RoomId a number", mutate: setTo("ToRoomList[0].RoomId", "8"), wantErr: ErrField, field: "ToRoomList[0].RoomId must be a string"},
		{name: "an invited room's RoomId too long", mutate: setTo("ToRoomList[0].RoomId", long), wantErr: ErrField, field: "ToRoomList[0].RoomId is longer"},
		{name: "an invited room null", mutate: setTo("ToRoomList", `[{"RoomId":"a"},null]`), wantErr: ErrField, field: "ToRoomList[1].RoomId missing"},
		{name: "an invited room a string", mutate: setTo("ToRoomList", `["a"]`), wantErr: ErrField, field: "ToRoomList"},
		{name: "ToRoomList an object", mutate: setTo("ToRoomList", `{"RoomId":"a"}`), wantErr: ErrField, field: "ToRoomList"},
		{name: "ToRoomIdList an id empty", mutate: all(without("ToRoomList"), setTo("ToRoomIdList", `["a",""]`)), wantErr: ErrField, field: "ToRoomIdList[1] missing"},
		{name: "ToRoomIdList an id a number", mutate: all(without("ToRoomList"), setTo("ToRoomIdList", `[3]`)), wantErr: ErrField, field: "ToRoomIdList[0] must be a string"},
		{name: "ToRoomIdList an id too long", mutate: all(without("ToRoomList"), setTo("ToRoomIdList", "["+long+"]")), wantErr: ErrField, field: "ToRoomIdList[0] is longer"},
		{name: "ToRoomIdList a string", mutate: all(without("ToRoomList"), setTo("ToRoomIdList", `"a"`)), wantErr: ErrField, field: "ToRoomIdList"},
		{name: "a Score a fraction", mutate: setTo("ToRoomList[1].Score", "1.5"), wantErr: ErrField, field: "Score"},
		{name: "an Owner_Account a boolean", mutate: setTo("FromRoomInfo.Owner_Account", "true"), wantErr: ErrField, field: "Owner_Account"},
		{name: "Duration a word", mutate: setTo("Duration", `"long"`), wantErr: ErrField, field: "Duration"},
		{name: "OpType out of range", mutate: setTo("OpType", "9223372036854775808"), wantErr: ErrField, field: "OpType is out of range"},
		{name: "NeedResponse a word", mutate: setTo("NeedResponse", `"yes"`), wantErr: ErrField, field: "NeedResponse"},
		{name: "ExtensionInfo an object", mutate: setTo("ExtensionInfo", `{}`), wantErr: ErrField, field: "ExtensionInfo"},
		{name: "EventTime missing", mutate: without("EventTime"), wantErr: ErrField, field: "EventTime missing"},
		{name: "EventTime zero", mutate: setTo("EventTime", `"0"`), wantErr: ErrField, field: "EventTime must be positive"},
		{name: "FromRoomId repeated", mutate: again("FromRoomId", `"fromroomid"`, `"live-room-5c2e"`), wantErr: ErrDuplicateField, field: "FromRoomId"},
		{name: "FromRoomInfo.RoomId repeated", mutate: again("FromRoomInfo.RoomId", `"ROOMID"`, `"x"`), wantErr: ErrDuplicateField, field: "FromRoomInfo.RoomId"},
		{name: "an invited room's RoomId repeated", mutate: againSame("ToRoomList[1].RoomId", `"Room\u0049d"`), wantErr: ErrDuplicateField, field: "ToRoomList[1].RoomId"},
		{name: "an invited room's Score repeated", mutate: again("ToRoomList[0].Score", `"ſcore"`, "1"), wantErr: ErrDuplicateField, field: "ToRoomList[0].Score"},
		{name: "BattleId repeated", mutate: againSame("BattleId", `"battleID"`), wantErr: ErrDuplicateField, field: "BattleId"},
		{name: "not an object", body: `null`, wantErr: ErrNotObject},
	})
}
