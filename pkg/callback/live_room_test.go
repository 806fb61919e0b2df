package callback

import (
	"encoding/json"
	"math"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"testing"
)

// The Live family's room lifecycle, member state, owner and admin parsers, held to the parsing
// rule of the Room family (rules_test.go): golden bodies (testdata/live/<fixture>.json, written
// by hand from Tencent's field lists, every field a distinct value), a leniency and a
// strictness table per parser (each case the golden body with one thing changed), and a walk
// of every field each parser reads, repeated in every spelling encoding/json takes for it.
// The parsers are not in command.go's registry yet, so these tests call them directly.

// lrFixture returns a Live golden body, testdata/live/<name>.json.
func lrFixture(t testing.TB, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", "live", name+".json"))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// lrParser is one of the Live parsers under test, with its golden body and the reference's
// view of its wire type.
type lrParser struct {
	fixture string // the golden body every rule case starts from
	parse   func([]byte) (Payload, error)
	wire    reflect.Type
	set     *fieldSet
	probe   *probe
}

func newLRParser[P Payload](fixture string, parse func([]byte) (P, error), wire reflect.Type, set *fieldSet) lrParser {
	return lrParser{fixture: fixture, parse: parser(parse), wire: wire, set: set, probe: probeOf(wire)}
}

var (
	lrCreate  = newLRParser("live-create-room", ParseLiveCreateRoom, reflect.TypeFor[wireLiveRoom](), liveRoomFields.get())
	lrUpdate  = newLRParser("live-update-room", ParseLiveUpdateRoom, reflect.TypeFor[wireLiveRoom](), liveRoomFields.get())
	lrDestroy = newLRParser("live-destroy-room", ParseLiveDestroyRoom, reflect.TypeFor[wireLiveDestroyed](), liveDestroyFields.get())
	lrMembers = newLRParser("live-member-state", ParseLiveMemberState, reflect.TypeFor[wireLiveMembers](), liveMemberFields.get())
	lrOwner   = newLRParser("live-change-owner", ParseOwnerChanged, reflect.TypeFor[wireOwnerChanged](), ownerChangedFields.get())
	lrAdmins  = newLRParser("live-modify-admin", ParseAdminsModified, reflect.TypeFor[wireAdminsModified](), adminsModifiedFields.get())
	// lrAll lists them in the order of a live room's life, as their golden bodies' times go.
	lrAll = []lrParser{lrCreate, lrUpdate, lrMembers, lrOwner, lrAdmins, lrDestroy}
)

// lrGolden is one golden body and what it parses to.
type lrGolden struct {
	fixture string
	command string // the body's CallbackCommand
	p       lrParser
	want    Payload
	// absent lists the payload's fields the body leaves out on purpose (any order); every
	// other field must be set, so the test checks every field the parser fills.
	absent []string
	// envelope is true when ParseEnvelope, which archives the commands not yet projected, reads
	// the same key from the body (it knows no time but the top-level EventTime).
	envelope bool
}

// lrRoomOnly are the RoomInfo fields of the Room family that no Live body carries.
var lrRoomOnly = []string{"RoomInfo.IsVideoDisabled", "RoomInfo.IsAudioDisabled", "RoomInfo.IsScreenSharingDisabled",
	"RoomInfo.IsCloudRecordingDisabled", "RoomInfo.ScheduleStartTime", "RoomInfo.ScheduleEndTime", "RoomInfo.RoomStatus"}

const lrRoom = "live-room-5c2e"

var lrRoomGoldens = []lrGolden{
	{fixture: "live-create-room", command: CommandLiveCreateRoom, p: lrCreate, envelope: true,
		want: &LiveRoomCreated{
			CallbackCommand: CommandLiveCreateRoom,
			OperatorAccount: p("op-live-create-11"),
			RoomInfo: RoomInfo{
				RoomID: lrRoom, RoomName: p("Night stream 夜播"), RoomType: p("Live"), OwnerAccount: p("streamer-ivy"),
				MaxMemberCount: p[int64](10001), MaxSeatCount: p[int64](9), IsMessageDisabled: p(false),
				CustomInfo: p("custom-live-c11"), IsSeatEnabled: p(true), TakeSeatMode: p("ApplyToTake"),
				CreateTime: p[int64](1703600001),
			},
			Live: LiveInfo{
				IsPublicVisible: p(true), CoverURL: p("https://cdn.example.com/live/cover-11.png"),
				BackgroundURL: p("https://cdn.example.com/live/bg-11.png"), Category: []int64{3, 14, 15},
				ActivityStatus: p[int64](2), IsUnlimitedRoomEnabled: p(false), ViewCount: p[int64](12),
			},
			EventTime: 1703600002123, // the top-level EventTime wins over RoomInfo's 1703600001999
		},
		absent: lrRoomOnly},
	{fixture: "live-create-room-eventtime-in-roominfo", command: CommandLiveCreateRoom, p: lrCreate,
		want: &LiveRoomCreated{
			CallbackCommand: CommandLiveCreateRoom,
			OperatorAccount: p("op-live-create-12"),
			RoomInfo: RoomInfo{
				RoomID: "live-room-6d3f", RoomName: p("Morning stream"), RoomType: p("Live"), OwnerAccount: p("streamer-jon"),
				MaxMemberCount: p[int64](5000), MaxSeatCount: p[int64](6), IsMessageDisabled: p(true),
				CustomInfo: p("custom-live-c12"), IsSeatEnabled: p(false), TakeSeatMode: p("FreeToTake"),
				CreateTime: p[int64](1703600101),
			},
			Live: LiveInfo{
				IsPublicVisible: p(false), CoverURL: p("https://cdn.example.com/live/cover-12.png"), Category: []int64{},
			},
			EventTime: 1703600101456, // RoomInfo.EventTime
		},
		absent: append(slices.Clone(lrRoomOnly), "Live.BackgroundURL", "Live.ActivityStatus", "Live.IsUnlimitedRoomEnabled", "Live.ViewCount")},
	{fixture: "live-create-room-no-eventtime", command: CommandLiveCreateRoom, p: lrCreate,
		want: &LiveRoomCreated{
			CallbackCommand: CommandLiveCreateRoom,
			OperatorAccount: p("op-live-create-13"),
			RoomInfo: RoomInfo{
				RoomID: "live-room-7e40", RoomName: p("Evening stream"), RoomType: p("Live"), OwnerAccount: p("streamer-kim"),
				MaxMemberCount: p[int64](2000), MaxSeatCount: p[int64](4), IsMessageDisabled: p(false),
				CustomInfo: p("custom-live-c13"), IsSeatEnabled: p(true), TakeSeatMode: p("None"),
				CreateTime: p[int64](1703600201),
			},
			Live: LiveInfo{
				IsPublicVisible: p(true), CoverURL: p("https://cdn.example.com/live/cover-13.png"), Category: []int64{8},
			},
			EventTime: 1703600201000, // RoomInfo.CreateTime × 1000
		},
		absent: append(slices.Clone(lrRoomOnly), "Live.BackgroundURL", "Live.ActivityStatus", "Live.IsUnlimitedRoomEnabled", "Live.ViewCount")},
	{fixture: "live-update-room", command: CommandLiveUpdateRoom, p: lrUpdate, envelope: true,
		want: &LiveRoomUpdated{
			CallbackCommand: CommandLiveUpdateRoom,
			OperatorAccount: p("op-live-update-21"),
			RoomInfo: RoomInfo{
				RoomID: lrRoom, RoomName: p("Night stream, renamed"), MaxMemberCount: p[int64](20002),
				IsMessageDisabled: p(true), CustomInfo: p("custom-live-u21"), TakeSeatMode: p("FreeToTake"),
			},
			Live: LiveInfo{
				IsPublicVisible: p(false), CoverURL: p("https://cdn.example.com/live/cover-21.png"),
				Category: []int64{7, 21}, ActivityStatus: p[int64](5),
			},
			EventTime: 1703600003234,
		},
		// Tencent's field list for the update: the rest stays as it was.
		absent: append(slices.Clone(lrRoomOnly), "RoomInfo.RoomType", "RoomInfo.OwnerAccount", "RoomInfo.MaxSeatCount",
			"RoomInfo.IsSeatEnabled", "RoomInfo.CreateTime", "Live.BackgroundURL", "Live.IsUnlimitedRoomEnabled", "Live.ViewCount")},
	{fixture: "live-destroy-room", command: CommandLiveDestroyRoom, p: lrDestroy, envelope: true,
		want: &LiveRoomDestroyed{
			CallbackCommand: CommandLiveDestroyRoom,
			OperatorAccount: p("op-live-destroy-31"),
			RoomID:          lrRoom,
			EventType:       p("DestroyBySystem"),
			RoomInfo: RoomInfo{
				RoomID: lrRoom, RoomName: p("Night stream, last name"), RoomType: p("Live"), OwnerAccount: p("streamer-lea"),
				MaxMemberCount: p[int64](30003), MaxSeatCount: p[int64](8), IsMessageDisabled: p(false),
				CustomInfo: p("custom-live-d31"), IsSeatEnabled: p(true), TakeSeatMode: p("None"),
				CreateTime: p[int64](1703600001),
			},
			Live: LiveInfo{
				IsPublicVisible: p(true), CoverURL: p("https://cdn.example.com/live/cover-31.png"),
				BackgroundURL: p("https://cdn.example.com/live/bg-31.png"), Category: []int64{31, 4},
				ActivityStatus: p[int64](6), IsUnlimitedRoomEnabled: p(true), ViewCount: p[int64](4321),
			},
			Statistic: LiveStatistic{
				TotalViewers: p[int64](4322), TotalGiftsSent: p[int64](87), TotalGiftCoins: p[int64](15900),
				TotalUniqueGiftSenders: p[int64](23), TotalLikesReceived: p[int64](65432),
			},
			EventTime: 1703600099887,
		},
		absent: lrRoomOnly},
}

// lrRunGoldens parses each golden body and checks every field, the key, the command, that a
// second parse gives the same, and what ParseEnvelope reads.
func lrRunGoldens(t *testing.T, cases []lrGolden) {
	t.Helper()
	for _, g := range cases {
		t.Run(g.fixture, func(t *testing.T) {
			body := lrFixture(t, g.fixture)
			got, err := g.p.parse(body)
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(got, g.want) {
				t.Fatalf("got  %s\nwant %s", dump(got), dump(g.want))
			}
			if again, err := g.p.parse(body); err != nil || !reflect.DeepEqual(again, got) {
				t.Fatalf("a second parse differs: %s, %v", dump(again), err)
			}
			if got.BodyCommand() != g.command {
				t.Errorf("BodyCommand = %q, want %q", got.BodyCommand(), g.command)
			}
			room, at := got.Key()
			if room == "" || at <= 1703600000000 {
				t.Errorf("Key = %q, %d", room, at)
			}
			unset := unsetFields("", reflect.ValueOf(g.want).Elem())
			want := slices.Clone(g.absent)
			slices.Sort(unset)
			slices.Sort(want)
			if !slices.Equal(unset, want) {
				t.Errorf("fields the golden body leaves unset: %q, want %q", unset, want)
			}
			env, err := ParseEnvelope(body)
			if err != nil || env.CallbackCommand != g.command || env.RoomID != room {
				t.Errorf("envelope %+v, %v", env, err)
			}
			if (env.EventTime == at) != g.envelope {
				t.Errorf("envelope EventTime %d, the parse's %d: same is %v", env.EventTime, at, g.envelope)
			}
			if dup := duplicateField(body, g.p.set); dup != "" {
				t.Errorf("the golden body repeats %s", dup)
			}
		})
	}
}

func TestLiveRoomGoldenBodies(t *testing.T) {
	lrRunGoldens(t, lrRoomGoldens)
}

// TestLiveGoldenLife: the golden bodies of one room (live-room-5c2e) are one live room's life,
// their times in the order create, update, member state, owner, admins, destroy.
func TestLiveGoldenLife(t *testing.T) {
	var prev int64
	for _, lp := range lrAll {
		pl, err := lp.parse(lrFixture(t, lp.fixture))
		if err != nil {
			t.Fatalf("%s: %v", lp.fixture, err)
		}
		room, at := pl.Key()
		if room != lrRoom || at <= prev {
			t.Errorf("%s: Key %q, %d; the previous event's time %d", lp.fixture, room, at, prev)
		}
		prev = at
	}
}

// lrRunRules parses each case as p's body: the golden body changed by mutate, or body. On any
// valid JSON it also holds the scanner to the reference.
func lrRunRules(t *testing.T, lp lrParser, cases []ruleCase) {
	t.Helper()
	for _, tt := range cases {
		t.Run(lp.fixture+"/"+tt.name, func(t *testing.T) {
			body := []byte(tt.body)
			if tt.body == "" {
				n := parseTree(t, lrFixture(t, lp.fixture))
				if tt.mutate != nil {
					tt.mutate(t, n)
				}
				body = n.Bytes()
			}
			if json.Valid(body) {
				if got, want := duplicateField(body, lp.set), referenceDuplicate(t, body, lp.probe); got != want {
					t.Fatalf("scanner finds %q repeated, the reference %q", got, want)
				}
			}
			got, err := lp.parse(body)
			checkRuleResult(t, tt, body, got, err)
		})
	}
}

// lrAsGolden checks that the payload is its parser's golden one.
func lrAsGolden(lp lrParser) func(*testing.T, Payload) {
	return func(t *testing.T, pl Payload) {
		t.Helper()
		want, err := lp.parse(lrFixture(t, lp.fixture))
		if err != nil || !reflect.DeepEqual(pl, want) {
			t.Fatalf("got  %s\nwant %s (%v)", dump(pl), dump(want), err)
		}
	}
}

func lrCreated(t *testing.T, pl Payload) *LiveRoomCreated {
	t.Helper()
	c, ok := pl.(*LiveRoomCreated)
	if !ok {
		t.Fatalf("payload %T", pl)
	}
	return c
}

func lrUpdated(t *testing.T, pl Payload) *LiveRoomUpdated {
	t.Helper()
	u, ok := pl.(*LiveRoomUpdated)
	if !ok {
		t.Fatalf("payload %T", pl)
	}
	return u
}

func lrDestroyed(t *testing.T, pl Payload) *LiveRoomDestroyed {
	t.Helper()
	d, ok := pl.(*LiveRoomDestroyed)
	if !ok {
		t.Fatalf("payload %T", pl)
	}
	return d
}

// lrWantTime checks the payload's event time.
func lrWantTime(want int64) func(*testing.T, Payload) {
	return func(t *testing.T, pl Payload) {
		t.Helper()
		if _, at := pl.Key(); at != want {
			t.Fatalf("EventTime = %d, want %d", at, want)
		}
	}
}

// lrWantCategory checks the Live info's Category, nil and empty told apart.
func lrWantCategory(want []int64) func(*testing.T, Payload) {
	return func(t *testing.T, pl Payload) {
		t.Helper()
		var got []int64
		switch v := pl.(type) {
		case *LiveRoomCreated:
			got = v.Live.Category
		case *LiveRoomUpdated:
			got = v.Live.Category
		case *LiveRoomDestroyed:
			got = v.Live.Category
		default:
			t.Fatalf("payload %T", pl)
		}
		if (got == nil) != (want == nil) || !slices.Equal(got, want) {
			t.Fatalf("Category = %#v, want %#v", got, want)
		}
	}
}

// lrCommonRoomRules are the cases a Live create and a Live update share: RoomInfo's fields.
func lrCommonRoomRules() []ruleCase {
	return []ruleCase{
		// Lenient.
		{name: "booleans as strings and as 0/1", mutate: all(setTo("RoomInfo.IsPublicVisible", `"false"`),
			setTo("RoomInfo.IsMessageDisabled", `"1"`), setTo("RoomInfo.IsUnlimitedRoomEnabled", `"true"`), setTo("RoomInfo.IsSeatEnabled", `0`)),
			check: func(t *testing.T, pl Payload) {
				ri, live := lrInfo(t, pl)
				if *live.IsPublicVisible || !*ri.IsMessageDisabled || !*live.IsUnlimitedRoomEnabled || *ri.IsSeatEnabled {
					t.Fatalf("booleans misread: %s", dump(pl))
				}
			}},
		{name: "accounts as numbers, 18 digits kept", mutate: all(setTo("Operator_Account", `144115233775727695`),
			setTo("RoomInfo.Owner_Account", `9007199254740993`)),
			check: func(t *testing.T, pl Payload) {
				ri, _ := lrInfo(t, pl)
				if op := lrOperator(t, pl); *op != "144115233775727695" || *ri.OwnerAccount != "9007199254740993" {
					t.Fatalf("numeric accounts misread: %s", dump(pl))
				}
			}},
		{name: "integers as numeric strings", mutate: all(setTo("RoomInfo.MaxMemberCount", `"300"`), setTo("RoomInfo.ActivityStatus", `"-1"`),
			setTo("RoomInfo.ViewCount", `"17"`), setTo("RoomInfo.Category", `["3",4,"05"]`)),
			check: func(t *testing.T, pl Payload) {
				ri, live := lrInfo(t, pl)
				if *ri.MaxMemberCount != 300 || *live.ActivityStatus != -1 || *live.ViewCount != 17 || !slices.Equal(live.Category, []int64{3, 4, 5}) {
					t.Fatalf("numeric strings misread: %s", dump(pl))
				}
			}},
		{name: "Category absent: nil", mutate: without("RoomInfo.Category"), check: lrWantCategory(nil)},
		{name: "Category null: nil", mutate: setTo("RoomInfo.Category", `null`), check: lrWantCategory(nil)},
		{name: "Category empty: empty, not nil", mutate: setTo("RoomInfo.Category", `[]`), check: lrWantCategory([]int64{})},
		{name: "Category kept in order, repeats kept", mutate: setTo("RoomInfo.Category", `[9,1,9,-2,9223372036854775807]`),
			check: lrWantCategory([]int64{9, 1, 9, -2, math.MaxInt64})},
		{name: "any RoomType and TakeSeatMode", mutate: all(setTo("RoomInfo.RoomType", `"VoiceRoom"`), setTo("RoomInfo.TakeSeatMode", `"Future"`)),
			check: func(t *testing.T, pl Payload) {
				if ri, _ := lrInfo(t, pl); *ri.RoomType != "VoiceRoom" || *ri.TakeSeatMode != "Future" {
					t.Fatalf("RoomType/TakeSeatMode: %s", dump(pl))
				}
			}},
		{name: "unicode and escapes kept", mutate: all(setTo("RoomInfo.RoomName", `"夜播 🚀"`), setTo("RoomInfo.CoverURL", `"https:\/\/x\u002ey"`)),
			check: func(t *testing.T, pl Payload) {
				if ri, live := lrInfo(t, pl); *ri.RoomName != "夜播 🚀" || *live.CoverURL != "https://x.y" {
					t.Fatalf("strings misread: %s", dump(pl))
				}
			}},
		{name: "optional fields null or absent stay absent", mutate: all(setTo("RoomInfo.CoverURL", `null`), without("RoomInfo.ActivityStatus"),
			without("Operator_Account"), setTo("RoomInfo.IsPublicVisible", `null`)),
			check: func(t *testing.T, pl Payload) {
				if _, live := lrInfo(t, pl); live.CoverURL != nil || live.ActivityStatus != nil || live.IsPublicVisible != nil || lrOperator(t, pl) != nil {
					t.Fatalf("absent fields filled: %s", dump(pl))
				}
			}},
		{name: "Room-only fields are not read, whatever they hold", mutate: all(setTo("RoomInfo.IsVideoDisabled", `"yes"`),
			setTo("RoomInfo.RoomStatus", `{}`), again("RoomInfo.RoomId", `"ScheduleStartTime"`, `1`), again("RoomInfo.RoomId", `"ScheduleStartTime"`, `2`)),
			check: func(t *testing.T, pl Payload) {
				if ri, _ := lrInfo(t, pl); ri.IsVideoDisabled != nil || ri.RoomStatus != nil || ri.ScheduleStartTime != nil {
					t.Fatalf("Room-only fields read: %s", dump(pl))
				}
			}},
		{name: "unknown fields ignored, even repeated", mutate: all(again("EventTime", `"Extra"`, `1`), again("EventTime", `"Extra"`, `{}`),
			again("RoomInfo.RoomId", `"Future"`, `[1]`), again("RoomInfo.RoomId", `"Future"`, `"x"`))},
		{name: "a top-level RoomId is not read", mutate: setTo("RoomId", `{"not":"read"}`)},
		{name: "leading whitespace", body: " \n\t" + `{"RoomInfo":{"RoomId":"r"},"EventTime":5}`, check: lrWantTime(5)},
		{name: "EventTime as a numeric string", mutate: setTo("EventTime", `"1703600002124"`), check: lrWantTime(1703600002124)},

		// Strict: the body.
		{name: "empty", body: ` `, wantErr: ErrNotObject},
		{name: "an array", body: `[{"RoomInfo":{"RoomId":"r"},"EventTime":1}]`, wantErr: ErrNotObject},
		{name: "null", body: `null`, wantErr: ErrNotObject},
		{name: "a string", body: `"x"`, wantErr: ErrNotObject},
		{name: "truncated", body: `{"RoomInfo":{"RoomId":"r"},"EventTime":1`, wantErr: ErrNotObject},
		{name: "trailing garbage", body: `{"RoomInfo":{"RoomId":"r"},"EventTime":1}{}`, wantErr: ErrNotObject},
		{name: "invalid UTF-8", body: "{\"RoomInfo\":{\"RoomId\":\"r\xff\"},\"EventTime\":1}", wantErr: ErrNotObject},
		{name: "a comment", body: "{\"RoomInfo\":{\"RoomId\":\"r\"},\"EventTime\":1 // ms\n}", wantErr: ErrNotObject},

		// Strict: required fields.
		{name: "RoomInfo missing", mutate: without("RoomInfo"), wantErr: ErrField, field: "RoomInfo missing"},
		{name: "RoomInfo null", mutate: setTo("RoomInfo", `null`), wantErr: ErrField, field: "RoomInfo missing"},
		{name: "RoomInfo a string", mutate: setTo("RoomInfo", `"live-room-5c2e"`), wantErr: ErrField, field: "RoomInfo"},
		{name: "RoomInfo an array", mutate: setTo("RoomInfo", `[{"RoomId":"r"}]`), wantErr: ErrField, field: "RoomInfo"},
		{name: "RoomId missing", mutate: without("RoomInfo.RoomId"), wantErr: ErrField, field: "RoomInfo.RoomId"},
		{name: "RoomId null", mutate: setTo("RoomInfo.RoomId", `null`), wantErr: ErrField, field: "RoomInfo.RoomId"},
		{name: "RoomId empty", mutate: setTo("RoomInfo.RoomId", `""`), wantErr: ErrField, field: "RoomInfo.RoomId"},
		{name: "RoomId a number", mutate: setTo("RoomInfo.RoomId", `42`), wantErr: ErrField, field: "RoomInfo.RoomId"},
		{name: "RoomId a boolean", mutate: setTo("RoomInfo.RoomId", `true`), wantErr: ErrField, field: "RoomInfo.RoomId"},
		{name: "RoomId with NUL", mutate: setTo("RoomInfo.RoomId", `"r\u0000"`), wantErr: ErrField, field: "RoomInfo.RoomId"},
		{name: "RoomId only at the top", mutate: all(without("RoomInfo.RoomId"), setTo("RoomId", `"r"`)), wantErr: ErrField, field: "RoomInfo.RoomId"},
		{name: "EventTime zero", mutate: setTo("EventTime", `0`), wantErr: ErrField, field: "EventTime must be positive"},
		{name: "EventTime negative", mutate: setTo("EventTime", `-1`), wantErr: ErrField, field: "EventTime must be positive"},
		{name: "EventTime a fraction", mutate: setTo("EventTime", `1703600002123.5`), wantErr: ErrField, field: "EventTime"},
		{name: "EventTime an exponent", mutate: setTo("EventTime", `1.7e12`), wantErr: ErrField, field: "EventTime"},
		{name: "EventTime a word", mutate: setTo("EventTime", `"soon"`), wantErr: ErrField, field: "EventTime"},
		{name: "EventTime a boolean", mutate: setTo("EventTime", `true`), wantErr: ErrField, field: "EventTime"},
		{name: "EventTime beyond int64", mutate: setTo("EventTime", `9223372036854775808`), wantErr: ErrField, field: "EventTime is out of range"},

		// Strict: impossible types.
		{name: "Operator_Account an object", mutate: setTo("Operator_Account", `{}`), wantErr: ErrField, field: "Operator_Account"},
		{name: "CallbackCommand an array", mutate: setTo("CallbackCommand", `["x"]`), wantErr: ErrField, field: "CallbackCommand"},
		{name: "RoomName an object", mutate: setTo("RoomInfo.RoomName", `{}`), wantErr: ErrField, field: "RoomInfo.RoomName"},
		{name: "RoomName with NUL", mutate: setTo("RoomInfo.RoomName", `"a\u0000"`), wantErr: ErrField, field: "RoomInfo.RoomName"},
		{name: "MaxMemberCount a boolean", mutate: setTo("RoomInfo.MaxMemberCount", `true`), wantErr: ErrField, field: "RoomInfo.MaxMemberCount"},
		{name: "IsMessageDisabled a word", mutate: setTo("RoomInfo.IsMessageDisabled", `"yes"`), wantErr: ErrField, field: "RoomInfo.IsMessageDisabled"},
		{name: "IsPublicVisible 2", mutate: setTo("RoomInfo.IsPublicVisible", `2`), wantErr: ErrField, field: "RoomInfo.IsPublicVisible"},
		{name: "CoverURL an array", mutate: setTo("RoomInfo.CoverURL", `["u"]`), wantErr: ErrField, field: "RoomInfo.CoverURL"},
		{name: "CustomInfo an object", mutate: setTo("RoomInfo.CustomInfo", `{"a":1}`), wantErr: ErrField, field: "RoomInfo.CustomInfo"},
		{name: "ActivityStatus a fraction", mutate: setTo("RoomInfo.ActivityStatus", `1.5`), wantErr: ErrField, field: "RoomInfo.ActivityStatus"},
		{name: "Category a number", mutate: setTo("RoomInfo.Category", `3`), wantErr: ErrField, field: "RoomInfo.Category"},
		{name: "Category a string", mutate: setTo("RoomInfo.Category", `"3,4"`), wantErr: ErrField, field: "RoomInfo.Category"},
		{name: "Category an object", mutate: setTo("RoomInfo.Category", `{"0":3}`), wantErr: ErrField, field: "RoomInfo.Category"},
		{name: "Category holding null", mutate: setTo("RoomInfo.Category", `[1,null]`), wantErr: ErrField, field: "RoomInfo.Category"},
		{name: "Category holding a fraction", mutate: setTo("RoomInfo.Category", `[1.5]`), wantErr: ErrField, field: "RoomInfo.Category"},
		{name: "Category holding an integral fraction", mutate: setTo("RoomInfo.Category", `[3.0]`), wantErr: ErrField, field: "RoomInfo.Category"},
		{name: "Category holding a word", mutate: setTo("RoomInfo.Category", `["music"]`), wantErr: ErrField, field: "RoomInfo.Category"},
		{name: "Category holding a boolean", mutate: setTo("RoomInfo.Category", `[true]`), wantErr: ErrField, field: "RoomInfo.Category"},
		{name: "Category holding an array", mutate: setTo("RoomInfo.Category", `[[1]]`), wantErr: ErrField, field: "RoomInfo.Category"},
		{name: "Category holding a number beyond int64", mutate: setTo("RoomInfo.Category", `[1,9223372036854775808]`),
			wantErr: ErrField, field: "RoomInfo.Category is out of range"},

		// Strict: repeated fields.
		{name: "EventTime twice", mutate: again("EventTime", `"eventtime"`, `1`), wantErr: ErrDuplicateField, field: "EventTime"},
		{name: "EventTime twice, same value", mutate: againSame("EventTime", `"EventTime"`), wantErr: ErrDuplicateField, field: "EventTime"},
		{name: "RoomInfo twice", mutate: againSame("RoomInfo", `"roomInfo"`), wantErr: ErrDuplicateField, field: "RoomInfo"},
		{name: "RoomInfo twice, second null", mutate: again("RoomInfo", `"RoomInfo"`, `null`), wantErr: ErrDuplicateField, field: "RoomInfo"},
		{name: "RoomId twice", mutate: again("RoomInfo.RoomId", `"ROOMID"`, `"other"`), wantErr: ErrDuplicateField, field: "RoomInfo.RoomId"},
		{name: "Category twice, escaped", mutate: again("RoomInfo.Category", `"\u0043ategory"`, `[1]`), wantErr: ErrDuplicateField, field: "RoomInfo.Category"},
		{name: "CoverURL twice, second impossible", mutate: again("RoomInfo.CoverURL", `"coverurl"`, `{}`), wantErr: ErrDuplicateField, field: "RoomInfo.CoverURL"},
		{name: "IsSeatEnabled twice, long s", mutate: again("RoomInfo.IsSeatEnabled", "\"I\u017fSeatEnabled\"", `false`), wantErr: ErrDuplicateField, field: "RoomInfo.IsSeatEnabled"},
		{name: "CallbackCommand twice, Kelvin sign", mutate: again("CallbackCommand", "\"Callbac\u212aCommand\"", `"x"`), wantErr: ErrDuplicateField, field: "CallbackCommand"},
		{name: "RoomInfo.EventTime twice", mutate: all(setTo("RoomInfo.EventTime", `1`), again("RoomInfo.EventTime", `"EVENTTIME"`, `2`)),
			wantErr: ErrDuplicateField, field: "RoomInfo.EventTime"},
		{name: "a repeat is reported before a type error", mutate: all(setTo("RoomInfo.MaxMemberCount", `true`), again("EventTime", `"EventTime"`, `1`)),
			wantErr: ErrDuplicateField, field: "EventTime"},
		{name: "the first repeat in document order", mutate: all(again("RoomInfo.RoomId", `"roomid"`, `"x"`), again("EventTime", `"EventTime"`, `1`)),
			wantErr: ErrDuplicateField, field: "RoomInfo.RoomId"},
		{name: "a near miss is no repeat", mutate: again("EventTime", `"Event_Time"`, `1`)},
	}
}

func lrInfo(t *testing.T, pl Payload) (RoomInfo, LiveInfo) {
	t.Helper()
	switch v := pl.(type) {
	case *LiveRoomCreated:
		return v.RoomInfo, v.Live
	case *LiveRoomUpdated:
		return v.RoomInfo, v.Live
	case *LiveRoomDestroyed:
		return v.RoomInfo, v.Live
	}
	t.Fatalf("payload %T", pl)
	return RoomInfo{}, LiveInfo{}
}

func lrOperator(t *testing.T, pl Payload) *string {
	t.Helper()
	switch v := pl.(type) {
	case *LiveRoomCreated:
		return v.OperatorAccount
	case *LiveRoomUpdated:
		return v.OperatorAccount
	case *LiveRoomDestroyed:
		return v.OperatorAccount
	}
	t.Fatalf("payload %T", pl)
	return nil
}

// TestLiveCreateRoomRules: the create's own time rule (top-level EventTime, else
// RoomInfo.EventTime, else RoomInfo.CreateTime × 1000), then the rules it shares with the update.
func TestLiveCreateRoomRules(t *testing.T) {
	const created = 1703600001 // the golden RoomInfo.CreateTime
	cases := []ruleCase{
		{name: "golden", check: lrAsGolden(lrCreate)},
		{name: "the top-level EventTime wins over RoomInfo's", mutate: setTo("RoomInfo.EventTime", `5`), check: lrWantTime(1703600002123)},
		{name: "the top-level EventTime wins over RoomInfo's of the wrong sign", mutate: setTo("RoomInfo.EventTime", `-5`), check: lrWantTime(1703600002123)},
		{name: "RoomInfo.EventTime without a top-level one", mutate: without("EventTime"), check: lrWantTime(1703600001999)},
		{name: "RoomInfo.EventTime as a numeric string", mutate: all(without("EventTime"), setTo("RoomInfo.EventTime", `"1703600001998"`)),
			check: lrWantTime(1703600001998)},
		{name: "a null top-level EventTime is absent", mutate: setTo("EventTime", `null`), check: lrWantTime(1703600001999)},
		{name: "CreateTime × 1000 without either EventTime", mutate: all(without("EventTime"), without("RoomInfo.EventTime")),
			check: lrWantTime(created * 1000)},
		{name: "CreateTime × 1000, both EventTimes null", mutate: all(setTo("EventTime", `null`), setTo("RoomInfo.EventTime", `null`)),
			check: lrWantTime(created * 1000)},
		{name: "CreateTime as a numeric string", mutate: all(without("EventTime"), without("RoomInfo.EventTime"), setTo("RoomInfo.CreateTime", `"1703600007"`)),
			check: lrWantTime(1703600007000)},
		{name: "the largest CreateTime in milliseconds", mutate: all(without("EventTime"), without("RoomInfo.EventTime"),
			setTo("RoomInfo.CreateTime", strconv.FormatInt(math.MaxInt64/1000, 10))), check: lrWantTime(math.MaxInt64 / 1000 * 1000)},
		{name: "CreateTime kept as sent when an EventTime is given", mutate: setTo("RoomInfo.CreateTime", `-3`), check: func(t *testing.T, pl Payload) {
			if c := lrCreated(t, pl); *c.RoomInfo.CreateTime != -3 || c.EventTime != 1703600002123 {
				t.Fatalf("%s", dump(c))
			}
		}},

		{name: "no time at all", mutate: all(without("EventTime"), without("RoomInfo.EventTime"), without("RoomInfo.CreateTime")),
			wantErr: ErrField, field: "EventTime missing"},
		{name: "no time at all, all null", mutate: all(setTo("EventTime", `null`), setTo("RoomInfo.EventTime", `null`), setTo("RoomInfo.CreateTime", `null`)),
			wantErr: ErrField, field: "EventTime missing"},
		{name: "top-level EventTime zero does not fall back", mutate: setTo("EventTime", `0`), wantErr: ErrField, field: "EventTime must be positive"},
		{name: "RoomInfo.EventTime zero", mutate: all(without("EventTime"), setTo("RoomInfo.EventTime", `0`)),
			wantErr: ErrField, field: "RoomInfo.EventTime must be positive"},
		{name: "RoomInfo.EventTime a fraction, even with a top-level one", mutate: setTo("RoomInfo.EventTime", `1.5`),
			wantErr: ErrField, field: "RoomInfo.EventTime"},
		{name: "RoomInfo.EventTime a word", mutate: all(without("EventTime"), setTo("RoomInfo.EventTime", `"soon"`)),
			wantErr: ErrField, field: "RoomInfo.EventTime"},
		{name: "CreateTime zero as the time", mutate: all(without("EventTime"), without("RoomInfo.EventTime"), setTo("RoomInfo.CreateTime", `0`)),
			wantErr: ErrField, field: "RoomInfo.CreateTime must be positive"},
		{name: "CreateTime negative as the time", mutate: all(without("EventTime"), without("RoomInfo.EventTime"), setTo("RoomInfo.CreateTime", `-1703600001`)),
			wantErr: ErrField, field: "RoomInfo.CreateTime must be positive"},
		{name: "CreateTime beyond milliseconds", mutate: all(without("EventTime"), without("RoomInfo.EventTime"),
			setTo("RoomInfo.CreateTime", strconv.FormatInt(math.MaxInt64/1000+1, 10))), wantErr: ErrField, field: "RoomInfo.CreateTime is out of range"},
		{name: "CreateTime a fraction", mutate: setTo("RoomInfo.CreateTime", `1703600001.5`), wantErr: ErrField, field: "RoomInfo.CreateTime"},
	}
	lrRunRules(t, lrCreate, append(cases, lrCommonRoomRules()...))
}

// TestLiveUpdateRoomRules: the update takes the top-level EventTime only.
func TestLiveUpdateRoomRules(t *testing.T) {
	cases := []ruleCase{
		{name: "golden", check: lrAsGolden(lrUpdate)},
		{name: "every create field taken", body: string(lrFixture(t, "live-create-room")), check: func(t *testing.T, pl Payload) {
			c, err := ParseLiveCreateRoom(lrFixture(t, "live-create-room"))
			if err != nil {
				t.Fatal(err)
			}
			u := lrUpdated(t, pl)
			if !reflect.DeepEqual(u.RoomInfo, c.RoomInfo) || !reflect.DeepEqual(u.Live, c.Live) || u.EventTime != c.EventTime {
				t.Fatalf("update %s\ncreate %s", dump(u), dump(c))
			}
		}},
		{name: "RoomInfo.EventTime is not the update's time", mutate: setTo("RoomInfo.EventTime", `5`), check: lrWantTime(1703600003234)},
		{name: "EventTime missing", mutate: without("EventTime"), wantErr: ErrField, field: "EventTime missing"},
		{name: "EventTime null", mutate: setTo("EventTime", `null`), wantErr: ErrField, field: "EventTime missing"},
		{name: "EventTime only inside RoomInfo", mutate: all(without("EventTime"), setTo("RoomInfo.EventTime", `1703600003234`)),
			wantErr: ErrField, field: "EventTime missing"},
		{name: "a CreateTime is no EventTime", mutate: all(without("EventTime"), setTo("RoomInfo.CreateTime", `1703600003`)),
			wantErr: ErrField, field: "EventTime missing"},
		{name: "RoomInfo.EventTime of an impossible type", mutate: setTo("RoomInfo.EventTime", `{}`), wantErr: ErrField, field: "RoomInfo.EventTime"},
	}
	// The update's golden body lacks some of RoomInfo's fields; the shared rules set them.
	add := all(setTo("RoomInfo.IsSeatEnabled", `true`), setTo("RoomInfo.IsUnlimitedRoomEnabled", `false`), setTo("RoomInfo.ViewCount", `1`))
	for _, c := range lrCommonRoomRules() {
		if c.body == "" {
			mutate := c.mutate
			c.mutate = func(t testing.TB, n *jnode) {
				add(t, n)
				if mutate != nil {
					mutate(t, n)
				}
			}
		}
		cases = append(cases, c)
	}
	lrRunRules(t, lrUpdate, cases)
}

func TestLiveDestroyRoomRules(t *testing.T) {
	golden, err := ParseLiveDestroyRoom(lrFixture(t, "live-destroy-room"))
	if err != nil {
		t.Fatal(err)
	}
	cases := []ruleCase{
		{name: "golden", check: lrAsGolden(lrDestroy)},

		// Lenient.
		{name: "RoomInfo absent: the RoomId, nothing else", mutate: without("RoomInfo"), check: func(t *testing.T, pl Payload) {
			d := lrDestroyed(t, pl)
			if !reflect.DeepEqual(d.RoomInfo, RoomInfo{RoomID: lrRoom}) || !reflect.DeepEqual(d.Live, LiveInfo{}) ||
				!reflect.DeepEqual(d.Statistic, golden.Statistic) || d.EventTime != golden.EventTime {
				t.Fatalf("%s", dump(d))
			}
		}},
		{name: "RoomInfo null", mutate: setTo("RoomInfo", `null`), check: func(t *testing.T, pl Payload) {
			if d := lrDestroyed(t, pl); !reflect.DeepEqual(d.RoomInfo, RoomInfo{RoomID: lrRoom}) {
				t.Fatalf("%s", dump(d))
			}
		}},
		{name: "RoomInfo without its RoomId", mutate: without("RoomInfo.RoomId"), check: lrAsGolden(lrDestroy)},
		{name: "RoomInfo.RoomId null", mutate: setTo("RoomInfo.RoomId", `null`), check: lrAsGolden(lrDestroy)},
		{name: "RoomInfo empty", mutate: setTo("RoomInfo", `{}`), check: func(t *testing.T, pl Payload) {
			if d := lrDestroyed(t, pl); !reflect.DeepEqual(d.RoomInfo, RoomInfo{RoomID: lrRoom}) || !reflect.DeepEqual(d.Live, LiveInfo{}) {
				t.Fatalf("%s", dump(d))
			}
		}},
		{name: "Statistic absent", mutate: without("Statistic"), check: func(t *testing.T, pl Payload) {
			if d := lrDestroyed(t, pl); d.Statistic != (LiveStatistic{}) {
				t.Fatalf("%s", dump(d))
			}
		}},
		{name: "Statistic null", mutate: setTo("Statistic", `null`), check: func(t *testing.T, pl Payload) {
			if d := lrDestroyed(t, pl); d.Statistic != (LiveStatistic{}) {
				t.Fatalf("%s", dump(d))
			}
		}},
		{name: "Statistic empty", mutate: setTo("Statistic", `{}`), check: func(t *testing.T, pl Payload) {
			if d := lrDestroyed(t, pl); d.Statistic != (LiveStatistic{}) {
				t.Fatalf("%s", dump(d))
			}
		}},
		{name: "Statistic figures as numeric strings, zero kept", mutate: setTo("Statistic", `{"TotalViewers":"9","TotalGiftsSent":0,"TotalGiftCoins":"0","TotalUniqueGiftSenders":"-1","TotalLikesReceived":"9223372036854775807"}`),
			check: func(t *testing.T, pl Payload) {
				want := LiveStatistic{p[int64](9), p[int64](0), p[int64](0), p[int64](-1), p[int64](math.MaxInt64)}
				if d := lrDestroyed(t, pl); !reflect.DeepEqual(d.Statistic, want) {
					t.Fatalf("%s", dump(d.Statistic))
				}
			}},
		{name: "any EventType, kept as sent", mutate: setTo("EventType", `"DestroyByAdmin"`), check: func(t *testing.T, pl Payload) {
			if d := lrDestroyed(t, pl); *d.EventType != "DestroyByAdmin" {
				t.Fatalf("EventType = %q", *d.EventType)
			}
		}},
		{name: "EventType as a number", mutate: setTo("EventType", `2`), check: func(t *testing.T, pl Payload) {
			if d := lrDestroyed(t, pl); *d.EventType != "2" {
				t.Fatalf("EventType = %q", *d.EventType)
			}
		}},
		{name: "optional fields absent", mutate: all(without("EventType"), without("Operator_Account")), check: func(t *testing.T, pl Payload) {
			if d := lrDestroyed(t, pl); d.EventType != nil || d.OperatorAccount != nil {
				t.Fatalf("%s", dump(d))
			}
		}},
		{name: "booleans as strings, accounts as numbers", mutate: all(setTo("RoomInfo.IsUnlimitedRoomEnabled", `"false"`),
			setTo("RoomInfo.Owner_Account", `144115233775727695`), setTo("Operator_Account", `12`)),
			check: func(t *testing.T, pl Payload) {
				d := lrDestroyed(t, pl)
				if *d.Live.IsUnlimitedRoomEnabled || *d.RoomInfo.OwnerAccount != "144115233775727695" || *d.OperatorAccount != "12" {
					t.Fatalf("%s", dump(d))
				}
			}},
		{name: "ViewCount as a numeric string", mutate: setTo("RoomInfo.ViewCount", `"4320"`), check: func(t *testing.T, pl Payload) {
			if d := lrDestroyed(t, pl); *d.Live.ViewCount != 4320 {
				t.Fatalf("%s", dump(d))
			}
		}},
		{name: "Category empty", mutate: setTo("RoomInfo.Category", `[]`), check: lrWantCategory([]int64{})},
		{name: "RoomInfo.EventTime is not the destroy's time", mutate: setTo("RoomInfo.EventTime", `5`), check: lrWantTime(1703600099887)},
		{name: "unknown fields ignored, even repeated", mutate: all(again("Statistic.TotalViewers", `"TotalComments"`, `1`),
			again("Statistic.TotalViewers", `"TotalComments"`, `2`), again("RoomId", `"X"`, `[]`), again("RoomId", `"X"`, `{}`)),
			check: lrAsGolden(lrDestroy)},

		// Strict: the body.
		{name: "an array", body: `[{"RoomId":"r","EventTime":1}]`, wantErr: ErrNotObject},
		{name: "truncated", body: `{"RoomId":"r","EventTime":1`, wantErr: ErrNotObject},
		{name: "invalid UTF-8", body: "{\"RoomId\":\"r\xc3\",\"EventTime\":1}", wantErr: ErrNotObject},

		// Strict: required fields and impossible types.
		{name: "RoomId missing", mutate: without("RoomId"), wantErr: ErrField, field: "RoomId missing"},
		{name: "RoomId null", mutate: setTo("RoomId", `null`), wantErr: ErrField, field: "RoomId missing"},
		{name: "RoomId empty", mutate: setTo("RoomId", `""`), wantErr: ErrField, field: "RoomId missing"},
		{name: "RoomId a number", mutate: setTo("RoomId", `42`), wantErr: ErrField, field: "RoomId must be a string"},
		{name: "RoomId an object", mutate: setTo("RoomId", `{"RoomId":"r"}`), wantErr: ErrField, field: "RoomId"},
		{name: "RoomId only inside RoomInfo", mutate: without("RoomId"), wantErr: ErrField, field: "RoomId missing"},
		{name: "RoomInfo.RoomId another room", mutate: setTo("RoomInfo.RoomId", `"live-room-other"`), wantErr: ErrField, field: "RoomInfo.RoomId differs from RoomId"},
		{name: "RoomInfo.RoomId empty", mutate: setTo("RoomInfo.RoomId", `""`), wantErr: ErrField, field: "RoomInfo.RoomId"},
		{name: "RoomInfo.RoomId a number", mutate: setTo("RoomInfo.RoomId", `5`), wantErr: ErrField, field: "RoomInfo.RoomId must be a string"},
		{name: "RoomInfo a string", mutate: setTo("RoomInfo", `"r"`), wantErr: ErrField, field: "RoomInfo"},
		{name: "Statistic a number", mutate: setTo("Statistic", `7`), wantErr: ErrField, field: "Statistic"},
		{name: "Statistic an array", mutate: setTo("Statistic", `[{"TotalViewers":1}]`), wantErr: ErrField, field: "Statistic"},
		{name: "TotalViewers a fraction", mutate: setTo("Statistic.TotalViewers", `1.5`), wantErr: ErrField, field: "Statistic.TotalViewers"},
		{name: "TotalGiftCoins a word", mutate: setTo("Statistic.TotalGiftCoins", `"lots"`), wantErr: ErrField, field: "Statistic.TotalGiftCoins"},
		{name: "TotalLikesReceived beyond int64", mutate: setTo("Statistic.TotalLikesReceived", `9223372036854775808`), wantErr: ErrField, field: "Statistic.TotalLikesReceived is out of range"},
		{name: "EventType an object", mutate: setTo("EventType", `{}`), wantErr: ErrField, field: "EventType"},
		{name: "Category holding null", mutate: setTo("RoomInfo.Category", `[null]`), wantErr: ErrField, field: "RoomInfo.Category"},
		{name: "IsUnlimitedRoomEnabled a word", mutate: setTo("RoomInfo.IsUnlimitedRoomEnabled", `"no"`), wantErr: ErrField, field: "RoomInfo.IsUnlimitedRoomEnabled"},
		{name: "BackgroundURL a boolean", mutate: setTo("RoomInfo.BackgroundURL", `false`), wantErr: ErrField, field: "RoomInfo.BackgroundURL"},
		{name: "EventTime missing", mutate: without("EventTime"), wantErr: ErrField, field: "EventTime missing"},
		{name: "EventTime only inside RoomInfo", mutate: all(without("EventTime"), setTo("RoomInfo.EventTime", `1703600099887`)), wantErr: ErrField, field: "EventTime missing"},
		{name: "EventTime zero", mutate: setTo("EventTime", `0`), wantErr: ErrField, field: "EventTime must be positive"},
		{name: "EventTime a fraction", mutate: setTo("EventTime", `0.5`), wantErr: ErrField, field: "EventTime"},

		// Strict: repeated fields.
		{name: "RoomId twice", mutate: again("RoomId", `"roomId"`, `"other"`), wantErr: ErrDuplicateField, field: "RoomId"},
		{name: "EventType twice", mutate: again("EventType", `"EVENTTYPE"`, `"DestroyByUser"`), wantErr: ErrDuplicateField, field: "EventType"},
		{name: "Statistic twice", mutate: againSame("Statistic", `"statistic"`), wantErr: ErrDuplicateField, field: "Statistic"},
		{name: "TotalGiftsSent twice", mutate: again("Statistic.TotalGiftsSent", `"TotalGift\u0073Sent"`, `1`), wantErr: ErrDuplicateField, field: "Statistic.TotalGiftsSent"},
		{name: "ViewCount twice, second impossible", mutate: again("RoomInfo.ViewCount", `"viewcount"`, `[]`), wantErr: ErrDuplicateField, field: "RoomInfo.ViewCount"},
		{name: "RoomInfo.RoomId twice, same value", mutate: againSame("RoomInfo.RoomId", `"RoomId"`), wantErr: ErrDuplicateField, field: "RoomInfo.RoomId"},
		{name: "BackgroundURL twice", mutate: again("RoomInfo.BackgroundURL", `"BackgroundURL"`, `"x"`), wantErr: ErrDuplicateField, field: "RoomInfo.BackgroundURL"},
		{name: "IsUnlimitedRoomEnabled twice", mutate: again("RoomInfo.IsUnlimitedRoomEnabled", `"isunlimitedroomenabled"`, `true`), wantErr: ErrDuplicateField, field: "RoomInfo.IsUnlimitedRoomEnabled"},
		{name: "TotalUniqueGiftSenders twice, long s", mutate: again("Statistic.TotalUniqueGiftSenders", "\"TotalUniqueGift\u017fenders\"", `1`), wantErr: ErrDuplicateField, field: "Statistic.TotalUniqueGiftSenders"},
		{name: "a name inside Statistic at the top is another field", mutate: again("RoomId", `"TotalViewers"`, `1`), check: lrAsGolden(lrDestroy)},
	}
	lrRunRules(t, lrDestroy, cases)
}

// TestLiveEveryReadFieldRepeatRefused is TestEveryReadFieldRepeatRefused for the Live parsers:
// every field path each one reads (walked from its wire struct by reflection, nested objects and
// MemberList's objects included), repeated in every spelling encoding/json takes for it, with
// its own value and with one of an impossible type, is ErrDuplicateField naming that path and
// the handler's 40008; a near miss is no repeat.
func TestLiveEveryReadFieldRepeatRefused(t *testing.T) {
	total := 0
	for _, lp := range lrAll {
		paths := readPaths(lp.wire, "")
		total += len(paths)
		for _, fp := range paths {
			checkRepeats(t, lp.fixture, fp, lp.parse,
				func(t *testing.T, key, value string, miss bool) []byte {
					return lrRepeatField(t, lp, fp, key, value, miss)
				})
		}
	}
	// 4 + 19 (create and update each), 7 + 19 + 5 (destroy), 6 + 1 (member state), 6 (owner),
	// 6 (admins).
	if want := 2*23 + 31 + 7 + 6 + 6; total != want {
		t.Fatalf("walked %d field paths, want %d: has a wire struct changed?", total, want)
	}
}

// lrRepeatField is repeatField for a Live golden body.
func lrRepeatField(t *testing.T, lp lrParser, fp fieldPath, rawKey, value string, nearMiss bool) []byte {
	t.Helper()
	n := parseTree(t, lrFixture(t, lp.fixture))
	if k, want := fp.probe.fieldOfKey(t, rawKey), fp.probe.field(t, fp.name); (k == want) == nearMiss {
		t.Fatalf("encoding/json takes %s for field %d, the test wants %d", rawKey, k, want)
	}
	if n.get(t, fp.path) == nil {
		n.set(t, fp.path, "null")
	}
	if value == "" {
		value = n.get(t, fp.path).String()
	}
	n.add(t, fp.path, rawKey, value)
	return n.Bytes()
}

// TestLiveFieldSets: the scanner's field sets are the wire structs', read inside exactly where
// Tencent's bodies nest objects.
func TestLiveFieldSets(t *testing.T) {
	nested := map[string][]string{
		"live-create-room": {"RoomInfo"}, "live-update-room": {"RoomInfo"}, "live-destroy-room": {"RoomInfo", "Statistic"},
		"live-member-state": {"MemberList[]"}, "live-change-owner": nil, "live-modify-admin": nil,
	}
	for _, lp := range lrAll {
		if got, want := lp.set.names, tagNames(lp.wire); !slices.Equal(got, want) {
			t.Errorf("%s: scanner reads %v, parser %v", lp.fixture, got, want)
		}
		var got []string
		for i, n := range lp.set.names {
			switch {
			case lp.set.inner[i] != nil && lp.set.array[i]:
				got = append(got, n+"[]")
			case lp.set.inner[i] != nil:
				got = append(got, n)
			}
		}
		if !slices.Equal(got, nested[lp.fixture]) {
			t.Errorf("%s: scanned inside %v, want %v", lp.fixture, got, nested[lp.fixture])
		}
	}
}

func TestLenientInts(t *testing.T) {
	tests := []struct {
		in   string
		want []int64
		err  string // "" accepted; else the error's text holds it
	}{
		{`[]`, []int64{}, ""},
		{`[1,"2",-3,"-4"]`, []int64{1, 2, -3, -4}, ""},
		{`[9223372036854775807,"-9223372036854775808"]`, []int64{math.MaxInt64, math.MinInt64}, ""},
		{`[9223372036854775808]`, nil, "out of range"},
		{`["9223372036854775808"]`, nil, "out of range"},
		{`[null]`, nil, "cannot unmarshal"},
		{`[1.0]`, nil, "cannot unmarshal"},
		{`["1.0"]`, nil, "cannot unmarshal"},
		{`[""]`, nil, "cannot unmarshal"},
		{`[" 1"]`, nil, "cannot unmarshal"},
		{`{}`, nil, "cannot unmarshal"},
		{`"1"`, nil, "cannot unmarshal"},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			var l lenientInts
			err := l.UnmarshalJSON([]byte(tt.in))
			if tt.err != "" {
				if err == nil || !strings.Contains(err.Error(), tt.err) {
					t.Fatalf("err = %v, want one saying %q", err, tt.err)
				}
				return
			}
			if err != nil || l == nil || !slices.Equal([]int64(l), tt.want) {
				t.Fatalf("got %#v, %v; want %v", l, err, tt.want)
			}
		})
	}
	// null leaves the list as it was (encoding/json leaves a pointer to it nil: absent).
	l := lenientInts{7}
	if err := l.UnmarshalJSON([]byte(`null`)); err != nil || !slices.Equal([]int64(l), []int64{7}) {
		t.Fatalf("null: %v, %v", l, err)
	}
}
