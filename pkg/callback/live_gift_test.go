package callback

import (
	"reflect"
	"strings"
	"testing"
)

// ParseGift and ParseThreshold, held to the parsing rule case by case: each case starts from
// the command's fixture (testdata/live) and changes one thing.

func TestGiftGolden(t *testing.T) {
	t.Run("gift", func(t *testing.T) {
		liveOtherGolden(t, "live-send-gift", &GiftSent{
			CallbackCommand: CommandLiveGift,
			RoomID:          "live-room-5c2e",
			OperatorAccount: p("op-gift-34"),
			From:            "viewer-joy",
			To:              []string{"streamer-ivy", "144115233775727698"}, // "streamer-ivy" listed twice
			Time:            p[int64](1703600020),
			Count:           p[int64](3),
			Coins:           p[int64](1500),
			GiftID:          p("gift-rocket-9"),
		}, nil)
		g, err := ParseGift(liveOtherFixture(t, "live-send-gift"))
		if err != nil {
			t.Fatal(err)
		}
		// No EventTime: every delivery is its own ledger row, keyed by the room alone.
		if room, at := g.Key(); room != "live-room-5c2e" || at != 0 {
			t.Errorf("Key = %q, %d", room, at)
		}
	})
	t.Run("threshold", func(t *testing.T) {
		liveOtherGolden(t, "live-threshold", &ThresholdReached{
			CallbackCommand: CommandLiveThreshold,
			OperatorAccount: p("op-threshold-35"),
			CurRoomCount:    p[int64](901),
			MaxRoomCount:    p[int64](1000),
			EventTime:       1703600013345,
		}, nil)
		th, err := ParseThreshold(liveOtherFixture(t, "live-threshold"))
		if err != nil {
			t.Fatal(err)
		}
		// App-wide: no room.
		if room, at := th.Key(); room != "" || at != 1703600013345 {
			t.Errorf("Key = %q, %d", room, at)
		}
	})
}

func gift(t *testing.T, pl Payload) *GiftSent {
	t.Helper()
	g, ok := pl.(*GiftSent)
	if !ok {
		t.Fatalf("payload %T", pl)
	}
	return g
}

func threshold(t *testing.T, pl Payload) *ThresholdReached {
	t.Helper()
	th, ok := pl.(*ThresholdReached)
	if !ok {
		t.Fatalf("payload %T", pl)
	}
	return th
}

func wantGiftTo(want ...string) func(*testing.T, Payload) {
	return func(t *testing.T, pl Payload) {
		t.Helper()
		got := gift(t, pl).To
		if want == nil {
			want = []string{}
		}
		if got == nil || !reflect.DeepEqual(got, want) {
			t.Fatalf("To %q, want %q", got, want)
		}
	}
}

func TestGiftLeniency(t *testing.T) {
	runLiveOtherRules(t, "live-send-gift", []ruleCase{
		{name: "an 18-digit sender keeps every digit", mutate: setTo("GiftWater.From_Account", "144115233775727695"),
			check: func(t *testing.T, pl Payload) {
				if from := gift(t, pl).From; from != "144115233775727695" {
					t.Fatalf("From %q", from)
				}
			}},
		{name: "recipients as numbers and strings, repeated", mutate: setTo("GiftWater.To_Account", `[144115233775727695,"144115233775727695",7,"a"]`),
			check: wantGiftTo("144115233775727695", "7", "a")},
		{name: "no recipients", mutate: setTo("GiftWater.To_Account", "[]"), check: wantGiftTo()},
		{name: "recipients absent", mutate: without("GiftWater.To_Account"), check: func(t *testing.T, pl Payload) {
			if to := gift(t, pl).To; to != nil {
				t.Fatalf("To %q", to)
			}
		}},
		{name: "integers as numeric strings", mutate: all(setTo("GiftWater.Time", `"1703600020"`), setTo("GiftWater.Count", `"3"`),
			setTo("GiftWater.Coins", `"1500"`)), check: func(t *testing.T, pl Payload) {
			want, err := ParseGift(liveOtherFixture(t, "live-send-gift"))
			if err != nil || !reflect.DeepEqual(pl, want) {
				t.Fatalf("got %s, want %s (%v)", dump(pl), dump(want), err)
			}
		}},
		{name: "GiftId a number keeps its text", mutate: setTo("GiftWater.GiftId", "1001"), check: func(t *testing.T, pl Payload) {
			if id := gift(t, pl).GiftID; *id != "1001" {
				t.Fatalf("GiftId %q", *id)
			}
		}},
		{name: "a numeric Operator_Account", mutate: setTo("Operator_Account", "144115233775727695"), check: func(t *testing.T, pl Payload) {
			if a := gift(t, pl).OperatorAccount; *a != "144115233775727695" {
				t.Fatalf("Operator_Account %q", *a)
			}
		}},
		{name: "an EventTime is not read", mutate: all(setTo("EventTime", "1703600020000"), again("EventTime", `"eventtime"`, `"x"`)),
			check: func(t *testing.T, pl Payload) {
				if room, at := pl.Key(); room != "live-room-5c2e" || at != 0 {
					t.Fatalf("Key = %q, %d", room, at)
				}
			}},
		{name: "a sender of MaxAccountBytes", mutate: setTo("GiftWater.From_Account", quote(strings.Repeat("a", MaxAccountBytes)))},
		{name: "GiftWater's unknown fields are left alone", mutate: all(again("GiftWater.GiftId", `"Extra"`, "1"), again("GiftWater.GiftId", `"Extra"`, "2"))},
	})
	runLiveOtherRules(t, "live-threshold", []ruleCase{
		{name: "counts as numeric strings", mutate: all(setTo("CurRoomCount", `"901"`), setTo("MaxRoomCount", `"1000"`)),
			check: func(t *testing.T, pl Payload) {
				if th := threshold(t, pl); *th.CurRoomCount != 901 || *th.MaxRoomCount != 1000 {
					t.Fatalf("counts %d, %d", *th.CurRoomCount, *th.MaxRoomCount)
				}
			}},
		{name: "a numeric Operator_Account", mutate: setTo("Operator_Account", "144115233775727695"), check: func(t *testing.T, pl Payload) {
			if a := threshold(t, pl).OperatorAccount; *a != "144115233775727695" {
				t.Fatalf("Operator_Account %q", *a)
			}
		}},
		{name: "a RoomId is not read: the key stays app-wide", mutate: all(setTo("RoomId", `"live-room-5c2e"`), again("RoomId", `"roomid"`, "5")),
			check: func(t *testing.T, pl Payload) {
				if room, _ := pl.Key(); room != "" {
					t.Fatalf("Key's room %q", room)
				}
			}},
		{name: "only EventTime", body: `{"EventTime":1}`, check: func(t *testing.T, pl Payload) {
			if th := threshold(t, pl); !reflect.DeepEqual(th, &ThresholdReached{EventTime: 1}) {
				t.Fatalf("got %s", dump(th))
			}
		}},
	})
}

func TestGiftStrictness(t *testing.T) {
	long := quote(strings.Repeat("a", MaxAccountBytes+1))
	runLiveOtherRules(t, "live-send-gift", []ruleCase{
		{name: "RoomId missing", mutate: without("RoomId"), wantErr: ErrField, field: "RoomId missing"},
		{name: "RoomId a number", mutate: setTo("RoomId", "42"), wantErr: ErrField, field: "RoomId must be a string"},
		{name: "GiftWater missing", mutate: without("GiftWater"), wantErr: ErrField, field: "GiftWater missing"},
		{name: "GiftWater null", mutate: setTo("GiftWater", "null"), wantErr: ErrField, field: "GiftWater missing"},
		{name: "GiftWater an array", mutate: setTo("GiftWater", `[{"From_Account":"a"}]`), wantErr: ErrField, field: "GiftWater"},
		{name: "sender missing", mutate: without("GiftWater.From_Account"), wantErr: ErrField, field: "GiftWater.From_Account missing"},
		{name: "sender null", mutate: setTo("GiftWater.From_Account", "null"), wantErr: ErrField, field: "GiftWater.From_Account missing"},
		{name: "sender empty", mutate: setTo("GiftWater.From_Account", `""`), wantErr: ErrField, field: "GiftWater.From_Account is empty"},
		{name: "sender too long", mutate: setTo("GiftWater.From_Account", long), wantErr: ErrField, field: "GiftWater.From_Account is longer than 255 bytes"},
		{name: "sender a boolean", mutate: setTo("GiftWater.From_Account", "true"), wantErr: ErrField, field: "From_Account"},
		{name: "a recipient empty", mutate: setTo("GiftWater.To_Account", `["a",""]`), wantErr: ErrField, field: "GiftWater.To_Account[1] is empty"},
		{name: "a recipient too long", mutate: setTo("GiftWater.To_Account", "["+long+"]"), wantErr: ErrField, field: "GiftWater.To_Account[0] is longer"},
		{name: "a recipient an object", mutate: setTo("GiftWater.To_Account", `[{}]`), wantErr: ErrField, field: "To_Account"},
		{name: "a recipient null", mutate: setTo("GiftWater.To_Account", `["a",null]`), wantErr: ErrField, field: "To_Account"},
		{name: "To_Account a string", mutate: setTo("GiftWater.To_Account", `"streamer-ivy"`), wantErr: ErrField, field: "To_Account"},
		{name: "Count a fraction", mutate: setTo("GiftWater.Count", "1.5"), wantErr: ErrField, field: "Count"},
		{name: "Coins a word", mutate: setTo("GiftWater.Coins", `"many"`), wantErr: ErrField, field: "Coins"},
		{name: "Time out of range", mutate: setTo("GiftWater.Time", "1e30"), wantErr: ErrField, field: "Time"},
		{name: "GiftId an array", mutate: setTo("GiftWater.GiftId", `["g"]`), wantErr: ErrField, field: "GiftId"},
		{name: "the sender repeated", mutate: again("GiftWater.From_Account", `"from_account"`, `"viewer-eve"`), wantErr: ErrDuplicateField,
			field: "GiftWater.From_Account"},
		{name: "the recipients repeated", mutate: againSame("GiftWater.To_Account", `"To_\u0041ccount"`), wantErr: ErrDuplicateField,
			field: "GiftWater.To_Account"},
		{name: "GiftWater repeated", mutate: again("GiftWater", `"giftwater"`, `{}`), wantErr: ErrDuplicateField, field: "GiftWater"},
		{name: "RoomId repeated", mutate: againSame("RoomId", `"ROOMID"`), wantErr: ErrDuplicateField, field: "RoomId"},
		{name: "not an object", body: `[]`, wantErr: ErrNotObject},
	})
	runLiveOtherRules(t, "live-threshold", []ruleCase{
		{name: "EventTime missing", mutate: without("EventTime"), wantErr: ErrField, field: "EventTime missing"},
		{name: "EventTime null", mutate: setTo("EventTime", "null"), wantErr: ErrField, field: "EventTime missing"},
		{name: "EventTime zero", mutate: setTo("EventTime", "0"), wantErr: ErrField, field: "EventTime must be positive"},
		{name: "EventTime a word", mutate: setTo("EventTime", `"now"`), wantErr: ErrField, field: "EventTime"},
		{name: "CurRoomCount a fraction", mutate: setTo("CurRoomCount", "900.5"), wantErr: ErrField, field: "CurRoomCount"},
		{name: "MaxRoomCount an object", mutate: setTo("MaxRoomCount", "{}"), wantErr: ErrField, field: "MaxRoomCount"},
		{name: "Operator_Account a boolean", mutate: setTo("Operator_Account", "false"), wantErr: ErrField, field: "Operator_Account"},
		{name: "EventTime repeated", mutate: again("EventTime", `"EVENTTIME"`, "1"), wantErr: ErrDuplicateField, field: "EventTime"},
		{name: "MaxRoomCount repeated", mutate: againSame("MaxRoomCount", `"maxRoomCount"`), wantErr: ErrDuplicateField, field: "MaxRoomCount"},
		{name: "not an object", body: `"threshold"`, wantErr: ErrNotObject},
	})
}
