package callback

import (
	"errors"
	"reflect"
	"strings"
	"testing"
)

// The parsers of the Room family, held to the parsing rule of docs/design.md case by case:
// lenient about what Tencent's own samples get wrong (booleans as strings, accounts as numbers,
// 18-digit accounts no float holds, any Type or TakeSeatMode), strict about what cannot be (a
// required field missing or of an impossible type is ErrField naming the field; a field the
// parser reads given twice, in any spelling encoding/json takes for it, is ErrDuplicateField
// naming it).
// Each case starts from the command's golden body and changes one thing.

// ruleCase is one body and what its parse must give.
type ruleCase struct {
	name    string
	mutate  func(t testing.TB, n *jnode) // applied to a copy of the golden body
	body    string                       // instead of the golden body, when set
	wantErr error                        // nil: accepted
	field   string                       // the field the error names (ErrDuplicateField: exactly)
	check   func(t *testing.T, p Payload)
}

func setTo(path, value string) func(testing.TB, *jnode) {
	return func(t testing.TB, n *jnode) { n.set(t, path, value) }
}

func without(path string) func(testing.TB, *jnode) {
	return func(t testing.TB, n *jnode) { n.del(t, path) }
}

// again repeats the member at path under the name rawKey (a raw string literal, escapes as
// written), with the JSON text value, at the end of its object.
func again(path, rawKey, value string) func(testing.TB, *jnode) {
	return func(t testing.TB, n *jnode) { n.add(t, path, rawKey, value) }
}

// againSame repeats the member at path under rawKey with the value it already has.
func againSame(path, rawKey string) func(testing.TB, *jnode) {
	return func(t testing.TB, n *jnode) {
		v := n.get(t, path)
		if v == nil {
			t.Fatalf("again %s: no such member", path)
		}
		n.add(t, path, rawKey, v.String())
	}
}

func all(ms ...func(testing.TB, *jnode)) func(testing.TB, *jnode) {
	return func(t testing.TB, n *jnode) {
		for _, m := range ms {
			m(t, n)
		}
	}
}

// runRules parses each case as command's body.
func runRules(t *testing.T, command string, cases []ruleCase) {
	t.Helper()
	for _, tt := range cases {
		t.Run(command+"/"+tt.name, func(t *testing.T) {
			body := []byte(tt.body)
			if tt.body == "" {
				n := parseTree(t, golden(t, command))
				if tt.mutate != nil {
					tt.mutate(t, n)
				}
				body = n.Bytes()
			}
			got, err := ParsePayload(command, body)
			checkRuleResult(t, tt, body, got, err)
		})
	}
}

// asGolden checks that the payload is its command's golden one.
func asGolden(t *testing.T, p Payload) {
	if want := goldenWant[p.BodyCommand()]; !reflect.DeepEqual(p, want) {
		t.Fatalf("got  %s\nwant %s", dump(p), dump(want))
	}
}

func members(t *testing.T, p Payload) *MembersChanged {
	t.Helper()
	m, ok := p.(*MembersChanged)
	if !ok {
		t.Fatalf("payload %T", p)
	}
	return m
}

func seats(t *testing.T, p Payload) *SeatsChanged {
	t.Helper()
	s, ok := p.(*SeatsChanged)
	if !ok {
		t.Fatalf("payload %T", p)
	}
	return s
}

func updated(t *testing.T, p Payload) *RoomUpdated {
	t.Helper()
	u, ok := p.(*RoomUpdated)
	if !ok {
		t.Fatalf("payload %T", p)
	}
	return u
}

func wantMembers(want ...string) func(*testing.T, Payload) {
	return func(t *testing.T, p Payload) {
		if got := members(t, p).Members; !reflect.DeepEqual(got, want) {
			t.Fatalf("Members = %q, want %q", got, want)
		}
	}
}

// TestMembersRules: Room.CallbackAfterMemberEnter and Room.CallbackAfterMemberLeave share
// ParseMembers; every case runs as both.
func TestMembersRules(t *testing.T) {
	long := strings.Repeat("m", MaxAccountBytes)
	cases := []ruleCase{
		// Lenient.
		{name: "18-digit and other numeric accounts kept digit for digit",
			mutate: setTo("MemberList_Account", `[144115233775727695,9007199254740993,"0012",-7,"user"]`),
			check:  wantMembers("144115233775727695", "9007199254740993", "0012", "-7", "user")},
		{name: "an account as a number and as a string is one member", mutate: setTo("MemberList_Account", `[7,"7",7,"8"]`),
			check: wantMembers("7", "8")},
		{name: "accounts de-duplicated, first occurrence order kept", mutate: setTo("MemberList_Account", `["c","a","c","b","a"]`),
			check: wantMembers("c", "a", "b")},
		{name: "account of exactly 255 bytes", mutate: setTo("MemberList_Account", `["`+long+`"]`), check: wantMembers(long)},
		{name: "account of 255 bytes in 85 runes", mutate: setTo("MemberList_Account", `["`+strings.Repeat("周", 85)+`"]`),
			check: wantMembers(strings.Repeat("周", 85))},
		{name: "account with escapes", mutate: setTo("MemberList_Account", `["\u0061\/b"]`), check: wantMembers("a/b")},
		{name: "empty list", mutate: setTo("MemberList_Account", `[]`), check: func(t *testing.T, p Payload) {
			if m := members(t, p).Members; m == nil || len(m) != 0 {
				t.Fatalf("Members = %#v", m)
			}
		}},
		{name: "any Type, kept as sent", mutate: setTo("Type", `"HeartbeatLost"`), check: func(t *testing.T, p Payload) {
			if m := members(t, p); *m.Type != "HeartbeatLost" {
				t.Fatalf("Type = %q", *m.Type)
			}
		}},
		{name: "Type as a number", mutate: setTo("Type", `3`), check: func(t *testing.T, p Payload) {
			if m := members(t, p); *m.Type != "3" {
				t.Fatalf("Type = %q", *m.Type)
			}
		}},
		{name: "Reason free text", mutate: setTo("Reason", `"周会 \"ended\" 🚀"`), check: func(t *testing.T, p Payload) {
			if m := members(t, p); *m.Reason != `周会 "ended" 🚀` {
				t.Fatalf("Reason = %q", *m.Reason)
			}
		}},
		{name: "MemberCount as a numeric string", mutate: setTo("MemberCount", `"17"`), check: func(t *testing.T, p Payload) {
			if m := members(t, p); *m.MemberCount != 17 {
				t.Fatalf("MemberCount = %d", *m.MemberCount)
			}
		}},
		{name: "MemberCount zero: the room emptied", mutate: setTo("MemberCount", `0`), check: func(t *testing.T, p Payload) {
			if m := members(t, p); m.MemberCount == nil || *m.MemberCount != 0 {
				t.Fatalf("MemberCount = %v", m.MemberCount)
			}
		}},
		{name: "EventTime as a numeric string", mutate: setTo("EventTime", `"1703589955746"`), check: func(t *testing.T, p Payload) {
			if _, at := p.Key(); at != 1703589955746 {
				t.Fatalf("EventTime = %d", at)
			}
		}},
		{name: "optional fields absent", mutate: all(without("Operator_Account"), without("MemberCount"), without("Type"), setTo("Reason", "null")),
			check: func(t *testing.T, p Payload) {
				if m := members(t, p); m.OperatorAccount != nil || m.MemberCount != nil || m.Type != nil || m.Reason != nil {
					t.Fatalf("absent fields filled: %s", dump(m))
				}
			}},
		{name: "Operator_Account 18 digits", mutate: setTo("Operator_Account", `144115233775727696`), check: func(t *testing.T, p Payload) {
			if m := members(t, p); *m.OperatorAccount != "144115233775727696" {
				t.Fatalf("Operator_Account = %q", *m.OperatorAccount)
			}
		}},
		{name: "unknown fields ignored, even repeated", mutate: all(again("RoomId", `"Extra"`, `1`), again("RoomId", `"Extra"`, `{}`)),
			check: asGolden},
		{name: "the same account twice is no repeated field", mutate: setTo("MemberList_Account", `["a","a"]`), check: wantMembers("a")},

		// Strict: required fields.
		{name: "RoomId missing", mutate: without("RoomId"), wantErr: ErrField, field: "RoomId"},
		{name: "RoomId null", mutate: setTo("RoomId", `null`), wantErr: ErrField, field: "RoomId"},
		{name: "RoomId empty", mutate: setTo("RoomId", `""`), wantErr: ErrField, field: "RoomId"},
		{name: "RoomId a number", mutate: setTo("RoomId", `42`), wantErr: ErrField, field: "RoomId"},
		{name: "RoomId an object", mutate: setTo("RoomId", `{"RoomId":"r"}`), wantErr: ErrField, field: "RoomId"},
		{name: "RoomId an array", mutate: setTo("RoomId", `["r"]`), wantErr: ErrField, field: "RoomId"},
		{name: "RoomId with NUL", mutate: setTo("RoomId", `"r\u0000"`), wantErr: ErrField, field: "RoomId"},
		{name: "RoomId only inside RoomInfo", mutate: all(without("RoomId"), setTo("RoomInfo", `{"RoomId":"r"}`)), wantErr: ErrField, field: "RoomId"},
		{name: "MemberList_Account missing", mutate: without("MemberList_Account"), wantErr: ErrField, field: "MemberList_Account"},
		{name: "MemberList_Account null", mutate: setTo("MemberList_Account", `null`), wantErr: ErrField, field: "MemberList_Account"},
		{name: "MemberList_Account a string", mutate: setTo("MemberList_Account", `"member-fay"`), wantErr: ErrField, field: "MemberList_Account"},
		{name: "MemberList_Account a number", mutate: setTo("MemberList_Account", `144115233775727695`), wantErr: ErrField, field: "MemberList_Account"},
		{name: "MemberList_Account an object", mutate: setTo("MemberList_Account", `{"0":"a"}`), wantErr: ErrField, field: "MemberList_Account"},
		{name: "MemberList_Account holding an object", mutate: setTo("MemberList_Account", `["a",{"Member_Account":"b"}]`), wantErr: ErrField, field: "MemberList_Account"},
		{name: "MemberList_Account holding an array", mutate: setTo("MemberList_Account", `[["a"]]`), wantErr: ErrField, field: "MemberList_Account"},
		{name: "MemberList_Account holding null", mutate: setTo("MemberList_Account", `["a",null]`), wantErr: ErrField, field: "MemberList_Account"},
		{name: "MemberList_Account holding a boolean", mutate: setTo("MemberList_Account", `[true]`), wantErr: ErrField, field: "MemberList_Account"},
		{name: "an empty account", mutate: setTo("MemberList_Account", `["a",""]`), wantErr: ErrField, field: "MemberList_Account[1]"},
		{name: "an account over 255 bytes", mutate: setTo("MemberList_Account", `["a","b","`+long+`x"]`), wantErr: ErrField, field: "MemberList_Account[2]"},
		{name: "an account of 258 bytes in 86 runes", mutate: setTo("MemberList_Account", `["`+strings.Repeat("周", 86)+`"]`), wantErr: ErrField, field: "MemberList_Account[0]"},
		{name: "a numeric account of 256 digits", mutate: setTo("MemberList_Account", `[`+strings.Repeat("9", 256)+`]`), wantErr: ErrField, field: "MemberList_Account[0]"},
		{name: "an account with NUL", mutate: setTo("MemberList_Account", `["a\u0000b"]`), wantErr: ErrField, field: "MemberList_Account"},
		{name: "MemberCount a fraction", mutate: setTo("MemberCount", `3.5`), wantErr: ErrField, field: "MemberCount"},
		{name: "MemberCount an integral fraction", mutate: setTo("MemberCount", `3.0`), wantErr: ErrField, field: "MemberCount"},
		{name: "MemberCount an exponent", mutate: setTo("MemberCount", `3e1`), wantErr: ErrField, field: "MemberCount"},
		{name: "MemberCount a word", mutate: setTo("MemberCount", `"many"`), wantErr: ErrField, field: "MemberCount"},
		{name: "MemberCount a boolean", mutate: setTo("MemberCount", `true`), wantErr: ErrField, field: "MemberCount"},
		{name: "MemberCount beyond int64", mutate: setTo("MemberCount", `9223372036854775808`), wantErr: ErrField, field: "MemberCount is out of range"},
		{name: "Type an object", mutate: setTo("Type", `{}`), wantErr: ErrField, field: "Type"},
		{name: "Reason an array", mutate: setTo("Reason", `["x"]`), wantErr: ErrField, field: "Reason"},
		{name: "Operator_Account an array", mutate: setTo("Operator_Account", `["op"]`), wantErr: ErrField, field: "Operator_Account"},
		{name: "EventTime missing", mutate: without("EventTime"), wantErr: ErrField, field: "EventTime"},
		{name: "EventTime null", mutate: setTo("EventTime", `null`), wantErr: ErrField, field: "EventTime"},
		{name: "EventTime zero", mutate: setTo("EventTime", `0`), wantErr: ErrField, field: "EventTime"},
		{name: "EventTime negative", mutate: setTo("EventTime", `-1703589955745`), wantErr: ErrField, field: "EventTime"},
		{name: "EventTime a fraction", mutate: setTo("EventTime", `1703589955745.5`), wantErr: ErrField, field: "EventTime"},
		{name: "EventTime a word", mutate: setTo("EventTime", `"soon"`), wantErr: ErrField, field: "EventTime"},

		// Strict: repeated fields.
		{name: "MemberList_Account twice", mutate: againSame("MemberList_Account", `"MemberList_Account"`), wantErr: ErrDuplicateField, field: "MemberList_Account"},
		{name: "MemberList_Account twice, lower case", mutate: again("MemberList_Account", `"memberlist_account"`, `["x"]`), wantErr: ErrDuplicateField, field: "MemberList_Account"},
		{name: "MemberList_Account twice, upper case", mutate: again("MemberList_Account", `"MEMBERLIST_ACCOUNT"`, `[]`), wantErr: ErrDuplicateField, field: "MemberList_Account"},
		{name: "MemberList_Account twice, escaped", mutate: again("MemberList_Account", `"\u004demberList\u005fAccount"`, `["x"]`), wantErr: ErrDuplicateField, field: "MemberList_Account"},
		{name: "MemberList_Account twice, long s", mutate: again("MemberList_Account", "\"MemberLi\u017ft_Account\"", `["x"]`), wantErr: ErrDuplicateField, field: "MemberList_Account"},
		{name: "MemberList_Account twice, second of an impossible type", mutate: again("MemberList_Account", `"MemberList_Account"`, `{}`), wantErr: ErrDuplicateField, field: "MemberList_Account"},
		{name: "RoomId twice", mutate: again("RoomId", `"roomId"`, `"other"`), wantErr: ErrDuplicateField, field: "RoomId"},
		{name: "MemberCount twice, one a fraction", mutate: again("MemberCount", `"MemberCount"`, `1.5`), wantErr: ErrDuplicateField, field: "MemberCount"},
		{name: "Type twice", mutate: again("Type", `"TYPE"`, `"Leave"`), wantErr: ErrDuplicateField, field: "Type"},
		{name: "EventTime twice", mutate: again("EventTime", `"EventTime"`, `1`), wantErr: ErrDuplicateField, field: "EventTime"},
	}
	runRules(t, CommandMemberEnter, cases)
	runRules(t, CommandMemberLeave, cases)
	// The command decides whether members entered, not the body.
	leave := golden(t, CommandMemberLeave)
	p, err := ParsePayload(CommandMemberEnter, leave)
	if err != nil || !members(t, p).Entered || p.BodyCommand() != CommandMemberLeave {
		t.Fatalf("a leave body parsed as an enter: %s, %v", dump(p), err)
	}
	if m, err := ParseMembers(golden(t, CommandMemberEnter)); err != nil || m.Entered {
		t.Fatalf("ParseMembers of an enter body: %s, %v", dump(m), err)
	}
}

func wantSeats(want ...Seat) func(*testing.T, Payload) {
	return func(t *testing.T, p Payload) {
		if got := seats(t, p).Seats; !reflect.DeepEqual(got, want) {
			t.Fatalf("Seats = %s, want %s", dump(got), dump(want))
		}
	}
}

func TestSeatsRules(t *testing.T) {
	long := strings.Repeat("s", MaxAccountBytes)
	cases := []ruleCase{
		// Lenient.
		{name: "Index as a numeric string", mutate: setTo("SeatList", `[{"Index":"4"},{"Index":0}]`), check: wantSeats(Seat{Index: 4}, Seat{Index: 0})},
		{name: "Index the largest int64", mutate: setTo("SeatList", `[{"Index":9223372036854775807}]`), check: wantSeats(Seat{Index: 9223372036854775807})},
		{name: "Member_Account 18 digits kept digit for digit", mutate: setTo("SeatList", `[{"Index":1,"Member_Account":144115233775727695},{"Index":2,"Member_Account":9007199254740993}]`),
			check: wantSeats(Seat{Index: 1, MemberAccount: p("144115233775727695")}, Seat{Index: 2, MemberAccount: p("9007199254740993")})},
		{name: "Member_Account empty, null or absent: a free seat", mutate: setTo("SeatList", `[{"Index":1,"Member_Account":""},{"Index":2,"Member_Account":null},{"Index":3}]`),
			check: wantSeats(Seat{Index: 1}, Seat{Index: 2}, Seat{Index: 3})},
		{name: "Member_Account of exactly 255 bytes", mutate: setTo("SeatList", `[{"Index":1,"Member_Account":"`+long+`"}]`),
			check: wantSeats(Seat{Index: 1, MemberAccount: p(long)})},
		{name: "booleans as strings and as 0/1", mutate: setTo("SeatList", `[{"Index":1,"IsTakenDisabled":"true","IsVideoDisabled":"false","IsAudioDisabled":1},{"Index":2,"IsTakenDisabled":0,"IsVideoDisabled":"1","IsAudioDisabled":"0"}]`),
			check: wantSeats(Seat{Index: 1, IsTakenDisabled: p(true), IsVideoDisabled: p(false), IsAudioDisabled: p(true)},
				Seat{Index: 2, IsTakenDisabled: p(false), IsVideoDisabled: p(true), IsAudioDisabled: p(false)})},
		{name: "empty SeatList", mutate: setTo("SeatList", `[]`), check: func(t *testing.T, p Payload) {
			if s := seats(t, p).Seats; s == nil || len(s) != 0 {
				t.Fatalf("Seats = %#v", s)
			}
		}},
		{name: "an Index named twice keeps the last entry, in the place of the first",
			mutate: setTo("SeatList", `[{"Index":1,"Member_Account":"a","IsTakenDisabled":true},{"Index":2,"Member_Account":"b"},{"Index":1,"Member_Account":"c"}]`),
			check:  wantSeats(Seat{Index: 1, MemberAccount: p("c")}, Seat{Index: 2, MemberAccount: p("b")})},
		{name: "an Index named three times, once as a string", mutate: setTo("SeatList", `[{"Index":3,"IsAudioDisabled":true},{"Index":"3","IsVideoDisabled":false},{"Index":0},{"Index":3,"Member_Account":"z"}]`),
			check: wantSeats(Seat{Index: 3, MemberAccount: p("z")}, Seat{Index: 0})},
		{name: "an Index named twice, the last entry a free seat", mutate: setTo("SeatList", `[{"Index":7,"Member_Account":"a"},{"Index":7,"Member_Account":""}]`),
			check: wantSeats(Seat{Index: 7})},
		{name: "no Operator_Account, as Live sends it", mutate: without("Operator_Account"), check: func(t *testing.T, p Payload) {
			if s := seats(t, p); s.OperatorAccount != nil || len(s.Seats) != 4 {
				t.Fatalf("%s", dump(s))
			}
		}},
		{name: "unknown fields in a seat ignored, even repeated", mutate: again("SeatList[1].Index", `"Extra"`, `1`),
			check: asGolden},
		{name: "repeated unknown field in a seat", mutate: all(again("SeatList[1].Index", `"Extra"`, `1`), again("SeatList[1].Index", `"Extra"`, `2`)),
			check: asGolden},

		// Strict: required fields.
		{name: "RoomId missing", mutate: without("RoomId"), wantErr: ErrField, field: "RoomId"},
		{name: "RoomId a number", mutate: setTo("RoomId", `7`), wantErr: ErrField, field: "RoomId"},
		{name: "RoomId empty", mutate: setTo("RoomId", `""`), wantErr: ErrField, field: "RoomId"},
		{name: "SeatList missing", mutate: without("SeatList"), wantErr: ErrField, field: "SeatList"},
		{name: "SeatList null", mutate: setTo("SeatList", `null`), wantErr: ErrField, field: "SeatList"},
		{name: "SeatList an object", mutate: setTo("SeatList", `{"Index":1}`), wantErr: ErrField, field: "SeatList"},
		{name: "SeatList a string", mutate: setTo("SeatList", `"0,1"`), wantErr: ErrField, field: "SeatList"},
		{name: "SeatList a number", mutate: setTo("SeatList", `4`), wantErr: ErrField, field: "SeatList"},
		{name: "a SeatList element a number", mutate: setTo("SeatList", `[{"Index":1},2]`), wantErr: ErrField, field: "SeatList"},
		{name: "a SeatList element a string", mutate: setTo("SeatList", `["seat"]`), wantErr: ErrField, field: "SeatList"},
		{name: "a SeatList element an array", mutate: setTo("SeatList", `[[{"Index":1}]]`), wantErr: ErrField, field: "SeatList"},
		{name: "a SeatList element a boolean", mutate: setTo("SeatList", `[true]`), wantErr: ErrField, field: "SeatList"},
		{name: "a SeatList element null", mutate: setTo("SeatList", `[{"Index":1},null]`), wantErr: ErrField, field: "SeatList[1].Index"},
		{name: "Index missing", mutate: without("SeatList[1].Index"), wantErr: ErrField, field: "SeatList[1].Index"},
		{name: "Index null", mutate: setTo("SeatList[1].Index", `null`), wantErr: ErrField, field: "SeatList[1].Index"},
		{name: "Index a word", mutate: setTo("SeatList[1].Index", `"one"`), wantErr: ErrField, field: "Index"},
		{name: "Index a boolean", mutate: setTo("SeatList[1].Index", `true`), wantErr: ErrField, field: "Index"},
		{name: "Index an object", mutate: setTo("SeatList[1].Index", `{}`), wantErr: ErrField, field: "Index"},
		{name: "Index a fraction", mutate: setTo("SeatList[1].Index", `1.5`), wantErr: ErrField, field: "Index"},
		{name: "Index an integral fraction", mutate: setTo("SeatList[1].Index", `1.0`), wantErr: ErrField, field: "Index"},
		{name: "Index an exponent", mutate: setTo("SeatList[1].Index", `1e1`), wantErr: ErrField, field: "Index"},
		{name: "Index a fraction as a string", mutate: setTo("SeatList[1].Index", `"1.5"`), wantErr: ErrField, field: "Index"},
		{name: "Index negative", mutate: setTo("SeatList[1].Index", `-1`), wantErr: ErrField, field: "SeatList[1].Index"},
		{name: "Index negative as a string", mutate: setTo("SeatList[3].Index", `"-2"`), wantErr: ErrField, field: "SeatList[3].Index"},
		{name: "Index beyond int64", mutate: setTo("SeatList[1].Index", `9223372036854775808`), wantErr: ErrField, field: "Index is out of range"},
		{name: "Member_Account over 255 bytes", mutate: setTo("SeatList[1].Member_Account", `"`+long+`x"`), wantErr: ErrField, field: "SeatList[1].Member_Account"},
		{name: "Member_Account an object", mutate: setTo("SeatList[1].Member_Account", `{}`), wantErr: ErrField, field: "Member_Account"},
		{name: "Member_Account a boolean", mutate: setTo("SeatList[1].Member_Account", `false`), wantErr: ErrField, field: "Member_Account"},
		{name: "Member_Account with NUL", mutate: setTo("SeatList[1].Member_Account", `"a\u0000"`), wantErr: ErrField, field: "Member_Account"},
		{name: "IsTakenDisabled a word", mutate: setTo("SeatList[0].IsTakenDisabled", `"locked"`), wantErr: ErrField, field: "IsTakenDisabled"},
		{name: "IsVideoDisabled 2", mutate: setTo("SeatList[0].IsVideoDisabled", `2`), wantErr: ErrField, field: "IsVideoDisabled"},
		{name: "EventTime missing", mutate: without("EventTime"), wantErr: ErrField, field: "EventTime"},
		{name: "EventTime zero", mutate: setTo("EventTime", `0`), wantErr: ErrField, field: "EventTime"},
		{name: "EventTime negative", mutate: setTo("EventTime", `-5`), wantErr: ErrField, field: "EventTime"},

		// Strict: repeated fields, inside the array too.
		{name: "SeatList[1].Index twice", mutate: again("SeatList[1].Index", `"Index"`, `1`), wantErr: ErrDuplicateField, field: "SeatList[1].Index"},
		{name: "SeatList[1].Index twice, lower case", mutate: again("SeatList[1].Index", `"index"`, `0`), wantErr: ErrDuplicateField, field: "SeatList[1].Index"},
		{name: "SeatList[1].Index twice, escaped", mutate: again("SeatList[1].Index", `"\u0049ndex"`, `0`), wantErr: ErrDuplicateField, field: "SeatList[1].Index"},
		{name: "SeatList[1].Index twice, one a fraction", mutate: again("SeatList[1].Index", `"INDEX"`, `0.5`), wantErr: ErrDuplicateField, field: "SeatList[1].Index"},
		{name: "SeatList[0].Member_Account twice", mutate: again("SeatList[0].Member_Account", `"member_account"`, `"x"`), wantErr: ErrDuplicateField, field: "SeatList[0].Member_Account"},
		{name: "SeatList[3].IsTakenDisabled twice, Kelvin sign", mutate: again("SeatList[3].IsTakenDisabled", "\"IsTa\u212aenDisabled\"", `true`), wantErr: ErrDuplicateField, field: "SeatList[3].IsTakenDisabled"},
		{name: "SeatList[2].IsAudioDisabled twice, long s", mutate: again("SeatList[2].IsAudioDisabled", "\"I\u017fAudioDisabled\"", `true`), wantErr: ErrDuplicateField, field: "SeatList[2].IsAudioDisabled"},
		{name: "SeatList twice", mutate: again("SeatList", `"seatList"`, `[]`), wantErr: ErrDuplicateField, field: "SeatList"},
		{name: "SeatList twice, second not an array", mutate: again("SeatList", `"SeatList"`, `null`), wantErr: ErrDuplicateField, field: "SeatList"},
		{name: "RoomId twice", mutate: again("RoomId", `"Room\u0049d"`, `"other"`), wantErr: ErrDuplicateField, field: "RoomId"},
		{name: "the first repeat in document order", mutate: all(again("SeatList[0].Index", `"Index"`, `3`), again("EventTime", `"EventTime"`, `1`)),
			wantErr: ErrDuplicateField, field: "SeatList[0].Index"},
		{name: "a repeat in an element of an impossible type is a type error", mutate: setTo("SeatList", `[[{"Index":1,"Index":2}]]`), wantErr: ErrField, field: "SeatList"},
	}
	runRules(t, CommandSeatChanged, cases)
}

func TestUpdateRules(t *testing.T) {
	cases := []ruleCase{
		// Lenient.
		{name: "booleans as strings and as 0/1", mutate: all(setTo("RoomInfo.IsVideoDisabled", `"true"`), setTo("RoomInfo.IsAudioDisabled", `"false"`),
			setTo("RoomInfo.IsMessageDisabled", `1`), setTo("RoomInfo.IsScreenSharingDisabled", `0`), setTo("RoomInfo.IsCloudRecordingDisabled", `"0"`)),
			check: func(t *testing.T, pl Payload) {
				ri := updated(t, pl).RoomInfo
				if !*ri.IsVideoDisabled || *ri.IsAudioDisabled || !*ri.IsMessageDisabled || *ri.IsScreenSharingDisabled || *ri.IsCloudRecordingDisabled {
					t.Fatalf("%s", dump(ri))
				}
			}},
		{name: "Owner_Account and Operator_Account 18 digits", mutate: all(setTo("RoomInfo.Owner_Account", `144115233775727695`), setTo("Operator_Account", `144115233775727696`)),
			check: func(t *testing.T, pl Payload) {
				u := updated(t, pl)
				if *u.RoomInfo.OwnerAccount != "144115233775727695" || *u.OperatorAccount != "144115233775727696" {
					t.Fatalf("%s", dump(u))
				}
			}},
		{name: "any TakeSeatMode, RoomType and RoomStatus", mutate: all(setTo("RoomInfo.TakeSeatMode", `"InviteOnly"`), setTo("RoomInfo.RoomType", `"Conference"`), setTo("RoomInfo.RoomStatus", `"Paused"`)),
			check: func(t *testing.T, pl Payload) {
				ri := updated(t, pl).RoomInfo
				if *ri.TakeSeatMode != "InviteOnly" || *ri.RoomType != "Conference" || *ri.RoomStatus != "Paused" {
					t.Fatalf("%s", dump(ri))
				}
			}},
		{name: "only RoomId: every field unchanged (nil)", body: `{"CallbackCommand":"Room.CallbackAfterUpdateRoomInfo","RoomInfo":{"RoomId":"r"},"EventTime":1}`,
			check: func(t *testing.T, pl Payload) {
				want := &RoomUpdated{CallbackCommand: CommandUpdateRoom, RoomInfo: RoomInfo{RoomID: "r"}, EventTime: 1}
				if !reflect.DeepEqual(pl, want) {
					t.Fatalf("%s", dump(pl))
				}
			}},
		{name: "null fields unchanged (nil)", mutate: all(setTo("RoomInfo.RoomName", `null`), setTo("RoomInfo.MaxMemberCount", `null`), setTo("Operator_Account", `null`)),
			check: func(t *testing.T, pl Payload) {
				u := updated(t, pl)
				if u.RoomInfo.RoomName != nil || u.RoomInfo.MaxMemberCount != nil || u.OperatorAccount != nil {
					t.Fatalf("%s", dump(u))
				}
			}},
		{name: "fields beyond Tencent's update table read too", mutate: all(setTo("RoomInfo.MaxSeatCount", `"9"`), setTo("RoomInfo.CreateTime", `1703589000`), setTo("RoomInfo.IsSeatEnabled", `"true"`)),
			check: func(t *testing.T, pl Payload) {
				ri := updated(t, pl).RoomInfo
				if *ri.MaxSeatCount != 9 || *ri.CreateTime != 1703589000 || !*ri.IsSeatEnabled {
					t.Fatalf("%s", dump(ri))
				}
			}},
		{name: "an invitee list is not an update's: ignored, even repeated", mutate: all(setTo("ScheduleInviteeList_Account", `["a"]`), again("EventTime", `"ScheduleInviteeList_Account"`, `{}`))},
		{name: "a top-level RoomId besides RoomInfo's is not read", mutate: setTo("RoomId", `"elsewhere"`), check: func(t *testing.T, pl Payload) {
			if room, _ := pl.Key(); room != "golden-room-7f3a" {
				t.Fatalf("Key room %q", room)
			}
		}},

		// Strict.
		{name: "RoomInfo missing", mutate: without("RoomInfo"), wantErr: ErrField, field: "RoomInfo"},
		{name: "RoomInfo null", mutate: setTo("RoomInfo", `null`), wantErr: ErrField, field: "RoomInfo"},
		{name: "RoomInfo a string", mutate: setTo("RoomInfo", `"golden-room-7f3a"`), wantErr: ErrField, field: "RoomInfo"},
		{name: "RoomInfo an array", mutate: setTo("RoomInfo", `[{"RoomId":"r"}]`), wantErr: ErrField, field: "RoomInfo"},
		{name: "RoomId only at the top level", mutate: all(without("RoomInfo"), setTo("RoomId", `"r"`)), wantErr: ErrField, field: "RoomInfo"},
		{name: "RoomInfo.RoomId missing", mutate: without("RoomInfo.RoomId"), wantErr: ErrField, field: "RoomInfo.RoomId"},
		{name: "RoomInfo.RoomId empty", mutate: setTo("RoomInfo.RoomId", `""`), wantErr: ErrField, field: "RoomInfo.RoomId"},
		{name: "RoomInfo.RoomId a number", mutate: setTo("RoomInfo.RoomId", `42`), wantErr: ErrField, field: "RoomInfo.RoomId"},
		{name: "RoomInfo.RoomId null", mutate: setTo("RoomInfo.RoomId", `null`), wantErr: ErrField, field: "RoomInfo.RoomId"},
		{name: "RoomName an object", mutate: setTo("RoomInfo.RoomName", `{}`), wantErr: ErrField, field: "RoomInfo.RoomName"},
		{name: "RoomName with NUL", mutate: setTo("RoomInfo.RoomName", `"a\u0000"`), wantErr: ErrField, field: "RoomInfo.RoomName"},
		{name: "MaxMemberCount a fraction", mutate: setTo("RoomInfo.MaxMemberCount", `302.5`), wantErr: ErrField, field: "RoomInfo.MaxMemberCount"},
		{name: "IsVideoDisabled a word", mutate: setTo("RoomInfo.IsVideoDisabled", `"no"`), wantErr: ErrField, field: "RoomInfo.IsVideoDisabled"},
		{name: "CustomInfo an array", mutate: setTo("RoomInfo.CustomInfo", `[]`), wantErr: ErrField, field: "RoomInfo.CustomInfo"},
		{name: "EventTime missing", mutate: without("EventTime"), wantErr: ErrField, field: "EventTime"},
		{name: "EventTime zero", mutate: setTo("EventTime", `0`), wantErr: ErrField, field: "EventTime"},
		{name: "EventTime negative", mutate: setTo("EventTime", `-1`), wantErr: ErrField, field: "EventTime"},
		{name: "EventTime a fraction", mutate: setTo("EventTime", `1.25`), wantErr: ErrField, field: "EventTime"},

		// Repeated fields.
		{name: "RoomInfo.RoomName twice", mutate: again("RoomInfo.RoomName", `"RoomName"`, `"other"`), wantErr: ErrDuplicateField, field: "RoomInfo.RoomName"},
		{name: "RoomInfo.RoomName twice, lower case", mutate: again("RoomInfo.RoomName", `"roomname"`, `"other"`), wantErr: ErrDuplicateField, field: "RoomInfo.RoomName"},
		{name: "RoomInfo.RoomName twice, escaped", mutate: again("RoomInfo.RoomName", `"\u0052oom\u004eame"`, `"other"`), wantErr: ErrDuplicateField, field: "RoomInfo.RoomName"},
		{name: "RoomInfo.RoomName twice, one of an impossible type", mutate: again("RoomInfo.RoomName", `"ROOMNAME"`, `{}`), wantErr: ErrDuplicateField, field: "RoomInfo.RoomName"},
		{name: "RoomInfo.TakeSeatMode twice, Kelvin sign", mutate: again("RoomInfo.TakeSeatMode", "\"Ta\u212aeSeatMode\"", `"None"`), wantErr: ErrDuplicateField, field: "RoomInfo.TakeSeatMode"},
		{name: "RoomInfo.IsScreenSharingDisabled twice, long s", mutate: again("RoomInfo.IsScreenSharingDisabled", "\"I\u017fScreenSharingDisabled\"", `true`), wantErr: ErrDuplicateField, field: "RoomInfo.IsScreenSharingDisabled"},
		{name: "RoomInfo.RoomId twice", mutate: again("RoomInfo.RoomId", `"roomid"`, `"other"`), wantErr: ErrDuplicateField, field: "RoomInfo.RoomId"},
		{name: "RoomInfo.RoomType twice, though the update does not carry it", mutate: all(setTo("RoomInfo.RoomType", `"Live"`), again("RoomInfo.RoomType", `"RoomType"`, `"Meeting"`)), wantErr: ErrDuplicateField, field: "RoomInfo.RoomType"},
		{name: "RoomInfo twice", mutate: again("RoomInfo", `"roominfo"`, `{"RoomId":"r"}`), wantErr: ErrDuplicateField, field: "RoomInfo"},
		{name: "Operator_Account twice", mutate: again("Operator_Account", `"OPERATOR_ACCOUNT"`, `"x"`), wantErr: ErrDuplicateField, field: "Operator_Account"},
		{name: "EventTime twice", mutate: again("EventTime", `"eventTime"`, `2`), wantErr: ErrDuplicateField, field: "EventTime"},
		{name: "CallbackCommand twice", mutate: againSame("CallbackCommand", `"CallbackCommand"`), wantErr: ErrDuplicateField, field: "CallbackCommand"},
	}
	runRules(t, CommandUpdateRoom, cases)
	// The other spelling's body is the same shape; its CallbackCommand says so.
	alt := make([]ruleCase, 0, len(cases))
	for _, c := range cases {
		if c.body == "" {
			alt = append(alt, c)
		}
	}
	runRules(t, CommandUpdateRoomAlt, alt)
}

func TestDestroyRules(t *testing.T) {
	cases := []ruleCase{
		{name: "Operator_Account 18 digits", mutate: setTo("Operator_Account", `144115233775727695`), check: func(t *testing.T, pl Payload) {
			if d := pl.(*RoomDestroyed); *d.OperatorAccount != "144115233775727695" {
				t.Fatalf("%s", dump(d))
			}
		}},
		{name: "Operator_Account absent", mutate: without("Operator_Account"), check: func(t *testing.T, pl Payload) {
			if d := pl.(*RoomDestroyed); d.OperatorAccount != nil {
				t.Fatalf("%s", dump(d))
			}
		}},
		{name: "Live's extra fields ignored", mutate: all(setTo("EventType", `"DestroyBySystem"`), setTo("Statistic", `{"TotalViewers":3}`), setTo("RoomInfo", `{"RoomId":"elsewhere","RoomId":"twice"}`)),
			check: func(t *testing.T, pl Payload) {
				if room, _ := pl.Key(); room != "golden-room-7f3a" {
					t.Fatalf("Key room %q", room)
				}
			}},
		{name: "RoomId missing", mutate: without("RoomId"), wantErr: ErrField, field: "RoomId"},
		{name: "RoomId only inside RoomInfo", mutate: all(without("RoomId"), setTo("RoomInfo", `{"RoomId":"r"}`)), wantErr: ErrField, field: "RoomId"},
		{name: "RoomId a number", mutate: setTo("RoomId", `1234`), wantErr: ErrField, field: "RoomId"},
		{name: "RoomId empty", mutate: setTo("RoomId", `""`), wantErr: ErrField, field: "RoomId"},
		{name: "RoomId null", mutate: setTo("RoomId", `null`), wantErr: ErrField, field: "RoomId"},
		{name: "RoomId an object", mutate: setTo("RoomId", `{}`), wantErr: ErrField, field: "RoomId"},
		{name: "Operator_Account an object", mutate: setTo("Operator_Account", `{}`), wantErr: ErrField, field: "Operator_Account"},
		{name: "EventTime missing", mutate: without("EventTime"), wantErr: ErrField, field: "EventTime"},
		{name: "EventTime zero", mutate: setTo("EventTime", `0`), wantErr: ErrField, field: "EventTime"},
		{name: "EventTime negative", mutate: setTo("EventTime", `-1703589999634`), wantErr: ErrField, field: "EventTime"},
		{name: "EventTime a fraction", mutate: setTo("EventTime", `1703589999634.1`), wantErr: ErrField, field: "EventTime"},
		{name: "RoomId twice", mutate: again("RoomId", `"RoomId"`, `"other"`), wantErr: ErrDuplicateField, field: "RoomId"},
		{name: "RoomId twice, upper case", mutate: again("RoomId", `"ROOMID"`, `"other"`), wantErr: ErrDuplicateField, field: "RoomId"},
		{name: "RoomId twice, escaped", mutate: again("RoomId", `"\u0072oom\u0069d"`, `"golden-room-7f3a"`), wantErr: ErrDuplicateField, field: "RoomId"},
		{name: "Operator_Account twice", mutate: again("Operator_Account", `"operator_account"`, `"x"`), wantErr: ErrDuplicateField, field: "Operator_Account"},
		{name: "EventTime twice", mutate: again("EventTime", `"EventTime"`, `"soon"`), wantErr: ErrDuplicateField, field: "EventTime"},
		{name: "CallbackCommand twice, Kelvin sign", mutate: again("CallbackCommand", "\"Callbac\u212aCommand\"", `"x"`), wantErr: ErrDuplicateField, field: "CallbackCommand"},
	}
	runRules(t, CommandDestroyRoom, cases)
}

func TestCreateRules(t *testing.T) {
	cases := []ruleCase{
		{name: "18-digit accounts kept digit for digit", mutate: all(setTo("RoomInfo.Owner_Account", `144115233775727695`), setTo("Operator_Account", `9007199254740993`)),
			check: func(t *testing.T, pl Payload) {
				rc := pl.(*RoomCreated)
				if *rc.RoomInfo.OwnerAccount != "144115233775727695" || *rc.OperatorAccount != "9007199254740993" ||
					rc.ScheduleInviteeList[1] != "144115233775727695" {
					t.Fatalf("%s", dump(rc))
				}
			}},
		{name: "any TakeSeatMode", mutate: setTo("RoomInfo.TakeSeatMode", `"Whatever"`), check: func(t *testing.T, pl Payload) {
			if m := pl.(*RoomCreated).RoomInfo.TakeSeatMode; *m != "Whatever" {
				t.Fatalf("TakeSeatMode %q", *m)
			}
		}},
		{name: "RoomInfo.RoomId a number", mutate: setTo("RoomInfo.RoomId", `7`), wantErr: ErrField, field: "RoomInfo.RoomId"},
		{name: "EventTime missing", mutate: without("EventTime"), wantErr: ErrField, field: "EventTime"},
		{name: "RoomInfo.CreateTime twice, escaped", mutate: again("RoomInfo.CreateTime", `"\u0043reateTime"`, `1`), wantErr: ErrDuplicateField, field: "RoomInfo.CreateTime"},
		{name: "ScheduleInviteeList_Account twice", mutate: again("ScheduleInviteeList_Account", `"ScheduleInviteeList_account"`, `[]`), wantErr: ErrDuplicateField, field: "ScheduleInviteeList_Account"},
	}
	runRules(t, CommandCreateRoom, cases)
}

// TestNotAnObject: every projected command's parser refuses what is not one JSON object in
// UTF-8 with ErrNotObject, before looking at any field.
func TestNotAnObject(t *testing.T) {
	for _, c := range goldenCommands {
		g := golden(t, c)
		for name, body := range map[string]string{
			"empty":            ``,
			"whitespace":       " \n",
			"array":            `[` + string(g) + `]`,
			"string":           `"` + c + `"`,
			"null":             `null`,
			"truncated":        string(g[:len(g)-3]),
			"two objects":      string(g) + `{}`,
			"comment":          strings.Replace(string(g), `"EventTime"`, "// ms\n\"EventTime\"", 1),
			"invalid UTF-8":    strings.Replace(string(g), `golden-room-7f3a`, "golden-room-\xff", 1),
			"byte order mark":  "\xef\xbb\xbf" + string(g),
			"trailing comma":   strings.Replace(string(g), "\n}", ",}", 1),
			"repeat in broken": string(g[:len(g)-3]) + `,"EventTime":1,"EventTime":2`,
		} {
			t.Run(c+"/"+name, func(t *testing.T) {
				if p, err := ParsePayload(c, []byte(body)); !errors.Is(err, ErrNotObject) || p != nil {
					t.Fatalf("err = %v, payload %v", err, p)
				}
			})
		}
	}
}

// BenchmarkParseLargeSeatList parses seat lists of 64 KiB and 512 KiB: the second should take
// about eight times the first (linear); a list indexed by a scan grows far faster than that.
// Compare the two sub-benchmarks of one run; the ratio, not a time, is the measure.
func BenchmarkParseLargeSeatList(b *testing.B) {
	list := func(size int, item func(i int) string) []byte {
		var sb strings.Builder
		sb.WriteString(`{"RoomId":"r","SeatList":[`)
		for i := 0; sb.Len() < size; i++ {
			if i > 0 {
				sb.WriteByte(',')
			}
			sb.WriteString(item(i))
		}
		sb.WriteString(`],"EventTime":1}`)
		return []byte(sb.String())
	}
	for _, tt := range []struct {
		name string
		item func(i int) string
	}{
		{"distinct", func(i int) string { return `{"Index":` + itoa(i) + `}` }},
		{"repeated", func(i int) string { return `{"Index":` + itoa(i%(i/2+1)) + `}` }},
	} {
		for _, size := range []int{MaxBodyBytes / 16, MaxBodyBytes / 2} {
			body := list(size, tt.item)
			b.Run(tt.name+"/"+itoa(size>>10)+"KiB", func(b *testing.B) {
				for b.Loop() {
					if _, err := ParsePayload(CommandSeatChanged, body); err != nil {
						b.Fatal(err)
					}
				}
			})
		}
	}
}

// checkRuleResult checks what a parser made of a rule case's body: the payload (tt.check) when
// the case is accepted; otherwise the error kind, no payload, and the field the error names.
func checkRuleResult(t *testing.T, tt ruleCase, body []byte, got Payload, err error) {
	t.Helper()
	if tt.wantErr == nil {
		if err != nil {
			t.Fatalf("refused: %v\nbody %s", err, body)
		}
		if tt.check != nil {
			tt.check(t, got)
		}
		return
	}
	if !errors.Is(err, tt.wantErr) {
		t.Fatalf("err = %v, want %v\nbody %s", err, tt.wantErr, body)
	}
	if got != nil {
		t.Fatalf("a refused body returned a payload %s", dump(got))
	}
	if tt.wantErr == ErrDuplicateField {
		var dup duplicateError
		if !errors.As(err, &dup) || string(dup) != tt.field {
			t.Fatalf("err %q names %q, want %q", err, dup, tt.field)
		}
		return
	}
	if !strings.Contains(err.Error(), tt.field) {
		t.Fatalf("err %q does not name %q", err, tt.field)
	}
}
