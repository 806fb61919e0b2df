package callback

import (
	"reflect"
	"strings"
	"testing"
)

// The Live member-state, owner and admin parsers: golden bodies, leniency and strictness
// (live_room_test.go holds the harness).

var lrMemberGoldens = []lrGolden{
	{fixture: "live-member-state", command: CommandLiveMemberState, p: lrMembers, envelope: true,
		want: &LiveMembersChanged{
			CallbackCommand: CommandLiveMemberState,
			RoomID:          lrRoom,
			Online:          true,
			EventCause:      p("Enter"),
			Members:         []string{"viewer-joy", "144115233775727697", "viewer-kai"},
			EventTime:       1703600004345,
		}},
	{fixture: "live-member-state-alt", command: CommandLiveMemberStateAlt, p: lrMembers, envelope: true,
		want: &LiveMembersChanged{
			CallbackCommand: CommandLiveMemberStateAlt,
			RoomID:          lrRoom,
			Online:          false,
			EventCause:      p("HeartbeatInterrupt"),
			Members:         []string{"144115233775727697", "viewer-lou"},
			EventTime:       1703600005456,
		}},
	{fixture: "live-change-owner", command: CommandLiveChangeOwner, p: lrOwner, envelope: true,
		want: &OwnerChanged{
			CallbackCommand: CommandLiveChangeOwner,
			RoomID:          lrRoom,
			OperatorAccount: p("op-live-owner-41"),
			CurrentOwner:    "144115233775727698",
			OriginalOwner:   p("streamer-ivy"),
			EventTime:       1703600006567,
		}},
	{fixture: "live-modify-admin", command: CommandLiveModifyAdmin, p: lrAdmins, envelope: true,
		want: &AdminsModified{
			CallbackCommand: CommandLiveModifyAdmin,
			RoomID:          lrRoom,
			OperatorAccount: p("op-live-admin-51"),
			Added:           true,
			Admins:          []string{"admin-mia", "144115233775727699", "admin-ned"},
			EventTime:       1703600007678,
		}},
	{fixture: "live-modify-admin-delete", command: CommandLiveModifyAdmin, p: lrAdmins, envelope: true,
		want: &AdminsModified{
			CallbackCommand: CommandLiveModifyAdmin,
			RoomID:          lrRoom,
			OperatorAccount: p("op-live-admin-52"),
			Added:           false,
			Admins:          []string{"admin-ned"},
			EventTime:       1703600008789,
		}},
}

func TestLiveMemberGoldenBodies(t *testing.T) {
	lrRunGoldens(t, lrMemberGoldens)
}

func lrMembersOf(t *testing.T, pl Payload) *LiveMembersChanged {
	t.Helper()
	m, ok := pl.(*LiveMembersChanged)
	if !ok {
		t.Fatalf("payload %T", pl)
	}
	return m
}

func lrWantMembers(online bool, want ...string) func(*testing.T, Payload) {
	return func(t *testing.T, pl Payload) {
		t.Helper()
		if m := lrMembersOf(t, pl); m.Online != online || !reflect.DeepEqual(m.Members, want) {
			t.Fatalf("Online %v, Members %q; want %v, %q", m.Online, m.Members, online, want)
		}
	}
}

// lrList writes accounts (JSON texts) as a MemberList.
func lrList(accounts ...string) string {
	var b strings.Builder
	b.WriteByte('[')
	for i, a := range accounts {
		if i > 0 {
			b.WriteByte(',')
		}
		b.WriteString(`{"Member_Account":` + a + `}`)
	}
	b.WriteByte(']')
	return b.String()
}

func TestLiveMemberStateRules(t *testing.T) {
	long := strings.Repeat("v", MaxAccountBytes)
	const joy, num, kai = "viewer-joy", "144115233775727697", "viewer-kai"
	cases := []ruleCase{
		{name: "golden", check: lrAsGolden(lrMembers)},

		// Lenient.
		{name: "Offline", mutate: setTo("EventType", `"Offline"`), check: lrWantMembers(false, joy, num, kai)},
		{name: "any EventCause, kept as sent", mutate: setTo("EventCause", `"HeartbeatRecover"`), check: func(t *testing.T, pl Payload) {
			if m := lrMembersOf(t, pl); *m.EventCause != "HeartbeatRecover" {
				t.Fatalf("EventCause = %q", *m.EventCause)
			}
		}},
		{name: "EventCause unknown to Tencent's list", mutate: setTo("EventCause", `"Banned 禁言"`), check: func(t *testing.T, pl Payload) {
			if m := lrMembersOf(t, pl); *m.EventCause != "Banned 禁言" {
				t.Fatalf("EventCause = %q", *m.EventCause)
			}
		}},
		{name: "EventCause as a number", mutate: setTo("EventCause", `4`), check: func(t *testing.T, pl Payload) {
			if m := lrMembersOf(t, pl); *m.EventCause != "4" {
				t.Fatalf("EventCause = %q", *m.EventCause)
			}
		}},
		{name: "EventCause absent", mutate: without("EventCause"), check: func(t *testing.T, pl Payload) {
			if m := lrMembersOf(t, pl); m.EventCause != nil {
				t.Fatalf("EventCause = %q", *m.EventCause)
			}
		}},
		{name: "EventCause null", mutate: setTo("EventCause", `null`), check: func(t *testing.T, pl Payload) {
			if m := lrMembersOf(t, pl); m.EventCause != nil {
				t.Fatalf("EventCause = %q", *m.EventCause)
			}
		}},
		{name: "18-digit and other numeric accounts kept digit for digit",
			mutate: setTo("MemberList", lrList(`144115233775727695`, `9007199254740993`, `"0012"`, `-7`, `"user"`)),
			check:  lrWantMembers(true, "144115233775727695", "9007199254740993", "0012", "-7", "user")},
		{name: "an account as a number and as a string is one member", mutate: setTo("MemberList", lrList(`7`, `"7"`, `7`, `"8"`)),
			check: lrWantMembers(true, "7", "8")},
		{name: "members de-duplicated, first occurrence order kept", mutate: setTo("MemberList", lrList(`"c"`, `"a"`, `"c"`, `"b"`, `"a"`)),
			check: lrWantMembers(true, "c", "a", "b")},
		{name: "one member", mutate: setTo("MemberList", lrList(`"solo"`)), check: lrWantMembers(true, "solo")},
		{name: "account of exactly 255 bytes", mutate: setTo("MemberList", lrList(`"`+long+`"`)), check: lrWantMembers(true, long)},
		{name: "account with escapes", mutate: setTo("MemberList", lrList(`"\u0061\/b"`)), check: lrWantMembers(true, "a/b")},
		{name: "unknown fields in a member ignored, even repeated", mutate: setTo("MemberList", `[{"Member_Account":"a","Role":1,"Role":2,"NameCard":{}}]`),
			check: lrWantMembers(true, "a")},
		{name: "unknown fields ignored, even repeated", mutate: all(again("RoomId", `"MemberCount"`, `1`), again("RoomId", `"MemberCount"`, `[]`)),
			check: lrAsGolden(lrMembers)},
		{name: "Room-family names are other fields", mutate: all(setTo("MemberList_Account", `[1,1]`), setTo("Operator_Account", `{}`)),
			check: lrAsGolden(lrMembers)},
		{name: "EventTime as a numeric string", mutate: setTo("EventTime", `"1703600004346"`), check: lrWantTime(1703600004346)},
		{name: "the same account in two members is no repeated field", mutate: setTo("MemberList", lrList(`"a"`, `"a"`)),
			check: lrWantMembers(true, "a")},

		// Strict: the body.
		{name: "an array", body: `[{"RoomId":"r"}]`, wantErr: ErrNotObject},
		{name: "a number", body: `7`, wantErr: ErrNotObject},
		{name: "truncated", body: `{"RoomId":"r","EventType":"Online"`, wantErr: ErrNotObject},
		{name: "invalid UTF-8", body: "{\"RoomId\":\"r\",\"EventCause\":\"\xe2\x82\"}", wantErr: ErrNotObject},

		// Strict: required fields.
		{name: "RoomId missing", mutate: without("RoomId"), wantErr: ErrField, field: "RoomId missing"},
		{name: "RoomId null", mutate: setTo("RoomId", `null`), wantErr: ErrField, field: "RoomId missing"},
		{name: "RoomId empty", mutate: setTo("RoomId", `""`), wantErr: ErrField, field: "RoomId missing"},
		{name: "RoomId a number", mutate: setTo("RoomId", `42`), wantErr: ErrField, field: "RoomId must be a string"},
		{name: "RoomId an array", mutate: setTo("RoomId", `["r"]`), wantErr: ErrField, field: "RoomId"},
		{name: "RoomId with NUL", mutate: setTo("RoomId", `"r\u0000"`), wantErr: ErrField, field: "RoomId"},
		{name: "EventType missing", mutate: without("EventType"), wantErr: ErrField, field: "EventType missing"},
		{name: "EventType null", mutate: setTo("EventType", `null`), wantErr: ErrField, field: "EventType missing"},
		{name: "EventType lower case", mutate: setTo("EventType", `"online"`), wantErr: ErrField, field: "EventType must be Online or Offline"},
		{name: "EventType upper case", mutate: setTo("EventType", `"OFFLINE"`), wantErr: ErrField, field: "EventType must be Online or Offline"},
		{name: "EventType with a space", mutate: setTo("EventType", `"Online "`), wantErr: ErrField, field: "EventType must be Online or Offline"},
		{name: "EventType empty", mutate: setTo("EventType", `""`), wantErr: ErrField, field: "EventType must be Online or Offline"},
		{name: "EventType a cause", mutate: setTo("EventType", `"Enter"`), wantErr: ErrField, field: "EventType must be Online or Offline"},
		{name: "EventType a number", mutate: setTo("EventType", `1`), wantErr: ErrField, field: "EventType must be Online or Offline"},
		{name: "EventType a boolean", mutate: setTo("EventType", `true`), wantErr: ErrField, field: "EventType"},
		{name: "EventCause an object", mutate: setTo("EventCause", `{}`), wantErr: ErrField, field: "EventCause"},
		{name: "MemberList missing", mutate: without("MemberList"), wantErr: ErrField, field: "MemberList missing"},
		{name: "MemberList null", mutate: setTo("MemberList", `null`), wantErr: ErrField, field: "MemberList missing"},
		{name: "MemberList empty", mutate: setTo("MemberList", `[]`), wantErr: ErrField, field: "MemberList is empty"},
		{name: "MemberList an object", mutate: setTo("MemberList", `{"Member_Account":"a"}`), wantErr: ErrField, field: "MemberList"},
		{name: "MemberList a string", mutate: setTo("MemberList", `"viewer-joy"`), wantErr: ErrField, field: "MemberList"},
		{name: "MemberList of accounts, as the Room family sends them", mutate: setTo("MemberList", `["viewer-joy"]`), wantErr: ErrField, field: "MemberList"},
		{name: "MemberList holding a number", mutate: setTo("MemberList", `[{"Member_Account":"a"},7]`), wantErr: ErrField, field: "MemberList"},
		{name: "MemberList holding an array", mutate: setTo("MemberList", `[[{"Member_Account":"a"}]]`), wantErr: ErrField, field: "MemberList"},
		{name: "MemberList holding null", mutate: setTo("MemberList", `[{"Member_Account":"a"},null]`), wantErr: ErrField, field: "MemberList[1].Member_Account missing"},
		{name: "a member without an account", mutate: setTo("MemberList", `[{"Member_Account":"a"},{"Role":1}]`), wantErr: ErrField, field: "MemberList[1].Member_Account missing"},
		{name: "a member with a null account", mutate: setTo("MemberList", lrList(`null`)), wantErr: ErrField, field: "MemberList[0].Member_Account missing"},
		{name: "an empty account", mutate: setTo("MemberList", lrList(`"a"`, `"b"`, `""`)), wantErr: ErrField, field: "MemberList[2].Member_Account is empty"},
		{name: "an account over 255 bytes", mutate: setTo("MemberList", lrList(`"a"`, `"`+long+`x"`)), wantErr: ErrField, field: "MemberList[1].Member_Account is longer than 255 bytes"},
		{name: "a numeric account of 256 digits", mutate: setTo("MemberList", lrList(strings.Repeat("9", 256))), wantErr: ErrField, field: "MemberList[0].Member_Account"},
		{name: "an account with NUL", mutate: setTo("MemberList", lrList(`"a\u0000b"`)), wantErr: ErrField, field: "MemberList.Member_Account"},
		{name: "an account an object", mutate: setTo("MemberList", lrList(`{}`)), wantErr: ErrField, field: "MemberList.Member_Account"},
		{name: "an account a boolean", mutate: setTo("MemberList", lrList(`true`)), wantErr: ErrField, field: "MemberList.Member_Account"},
		{name: "an account a fraction is kept as written", mutate: setTo("MemberList", lrList(`1.5`)), check: lrWantMembers(true, "1.5")},
		{name: "EventTime missing", mutate: without("EventTime"), wantErr: ErrField, field: "EventTime missing"},
		{name: "EventTime zero", mutate: setTo("EventTime", `0`), wantErr: ErrField, field: "EventTime must be positive"},
		{name: "EventTime a fraction", mutate: setTo("EventTime", `1703600004345.5`), wantErr: ErrField, field: "EventTime"},
		{name: "EventTime beyond int64", mutate: setTo("EventTime", `"9223372036854775808"`), wantErr: ErrField, field: "EventTime is out of range"},

		// Strict: repeated fields.
		{name: "EventType twice", mutate: again("EventType", `"eventtype"`, `"Offline"`), wantErr: ErrDuplicateField, field: "EventType"},
		{name: "EventType twice, same value", mutate: againSame("EventType", `"EventType"`), wantErr: ErrDuplicateField, field: "EventType"},
		{name: "EventCause twice", mutate: again("EventCause", `"EVENTCAUSE"`, `"Leave"`), wantErr: ErrDuplicateField, field: "EventCause"},
		{name: "MemberList twice", mutate: again("MemberList", `"memberList"`, `[]`), wantErr: ErrDuplicateField, field: "MemberList"},
		{name: "MemberList twice, long s", mutate: again("MemberList", "\"MemberLi\u017ft\"", `null`), wantErr: ErrDuplicateField, field: "MemberList"},
		{name: "Member_Account twice in the first member", mutate: setTo("MemberList", `[{"Member_Account":"a","member_account":"b"}]`),
			wantErr: ErrDuplicateField, field: "MemberList[0].Member_Account"},
		{name: "Member_Account twice in the third member, escaped", mutate: setTo("MemberList", `[{"Member_Account":"a"},{},{"Member_Account":"c","Member\u005fAccount":"c"}]`),
			wantErr: ErrDuplicateField, field: "MemberList[2].Member_Account"},
		{name: "Member_Account twice, second impossible", mutate: setTo("MemberList", `[{"Member_Account":"a","MEMBER_ACCOUNT":{}}]`),
			wantErr: ErrDuplicateField, field: "MemberList[0].Member_Account"},
		{name: "elements not objects are counted, not read", mutate: setTo("MemberList", `[1,[{"Member_Account":"a","Member_Account":"b"}],{"Member_Account":"a","Member_Account":"b"}]`),
			wantErr: ErrDuplicateField, field: "MemberList[2].Member_Account"},
		{name: "RoomId twice", mutate: again("RoomId", `"roomid"`, `"other"`), wantErr: ErrDuplicateField, field: "RoomId"},
		{name: "EventTime twice", mutate: again("EventTime", `"EventTime"`, `1`), wantErr: ErrDuplicateField, field: "EventTime"},
		{name: "a repeat inside the list comes before a later one", mutate: all(setTo("MemberList", `[{"Member_Account":"a","Member_Account":"a"}]`),
			again("EventTime", `"EventTime"`, `1`)), wantErr: ErrDuplicateField, field: "MemberList[0].Member_Account"},
	}
	lrRunRules(t, lrMembers, cases)
}

func lrOwnerOf(t *testing.T, pl Payload) *OwnerChanged {
	t.Helper()
	o, ok := pl.(*OwnerChanged)
	if !ok {
		t.Fatalf("payload %T", pl)
	}
	return o
}

func TestOwnerChangedRules(t *testing.T) {
	long := strings.Repeat("o", MaxAccountBytes)
	cases := []ruleCase{
		{name: "golden", check: lrAsGolden(lrOwner)},

		// Lenient.
		{name: "accounts as strings and numbers", mutate: all(setTo("CurrentOwner_Account", `"streamer-new"`),
			setTo("OriginalOwner_Account", `9007199254740993`), setTo("Operator_Account", `144115233775727695`)),
			check: func(t *testing.T, pl Payload) {
				o := lrOwnerOf(t, pl)
				if o.CurrentOwner != "streamer-new" || *o.OriginalOwner != "9007199254740993" || *o.OperatorAccount != "144115233775727695" {
					t.Fatalf("%s", dump(o))
				}
			}},
		{name: "CurrentOwner_Account of exactly 255 bytes", mutate: setTo("CurrentOwner_Account", `"`+long+`"`), check: func(t *testing.T, pl Payload) {
			if o := lrOwnerOf(t, pl); o.CurrentOwner != long {
				t.Fatalf("%s", dump(o))
			}
		}},
		{name: "optional fields absent", mutate: all(without("OriginalOwner_Account"), setTo("Operator_Account", `null`)), check: func(t *testing.T, pl Payload) {
			if o := lrOwnerOf(t, pl); o.OriginalOwner != nil || o.OperatorAccount != nil {
				t.Fatalf("%s", dump(o))
			}
		}},
		{name: "OriginalOwner_Account kept as sent, even empty", mutate: setTo("OriginalOwner_Account", `""`), check: func(t *testing.T, pl Payload) {
			if o := lrOwnerOf(t, pl); o.OriginalOwner == nil || *o.OriginalOwner != "" {
				t.Fatalf("%s", dump(o))
			}
		}},
		{name: "the same owner before and after", mutate: setTo("OriginalOwner_Account", `144115233775727698`), check: func(t *testing.T, pl Payload) {
			if o := lrOwnerOf(t, pl); *o.OriginalOwner != o.CurrentOwner {
				t.Fatalf("%s", dump(o))
			}
		}},
		{name: "EventTime as a numeric string", mutate: setTo("EventTime", `"1703600006568"`), check: lrWantTime(1703600006568)},
		{name: "unknown fields ignored, even repeated", mutate: all(again("RoomId", `"Owner_Account"`, `1`), again("RoomId", `"Owner_Account"`, `2`)),
			check: lrAsGolden(lrOwner)},

		// Strict.
		{name: "an array", body: `[]`, wantErr: ErrNotObject},
		{name: "invalid UTF-8", body: "{\"RoomId\":\"\xff\"}", wantErr: ErrNotObject},
		{name: "RoomId missing", mutate: without("RoomId"), wantErr: ErrField, field: "RoomId missing"},
		{name: "RoomId a number", mutate: setTo("RoomId", `5`), wantErr: ErrField, field: "RoomId must be a string"},
		{name: "CurrentOwner_Account missing", mutate: without("CurrentOwner_Account"), wantErr: ErrField, field: "CurrentOwner_Account missing"},
		{name: "CurrentOwner_Account null", mutate: setTo("CurrentOwner_Account", `null`), wantErr: ErrField, field: "CurrentOwner_Account missing"},
		{name: "CurrentOwner_Account empty", mutate: setTo("CurrentOwner_Account", `""`), wantErr: ErrField, field: "CurrentOwner_Account is empty"},
		{name: "CurrentOwner_Account over 255 bytes", mutate: setTo("CurrentOwner_Account", `"`+long+`o"`), wantErr: ErrField, field: "CurrentOwner_Account is longer than 255 bytes"},
		{name: "CurrentOwner_Account an object", mutate: setTo("CurrentOwner_Account", `{}`), wantErr: ErrField, field: "CurrentOwner_Account"},
		{name: "CurrentOwner_Account a list", mutate: setTo("CurrentOwner_Account", `["a"]`), wantErr: ErrField, field: "CurrentOwner_Account"},
		{name: "CurrentOwner_Account a boolean", mutate: setTo("CurrentOwner_Account", `false`), wantErr: ErrField, field: "CurrentOwner_Account"},
		{name: "CurrentOwner_Account with NUL", mutate: setTo("CurrentOwner_Account", `"a\u0000"`), wantErr: ErrField, field: "CurrentOwner_Account"},
		{name: "OriginalOwner_Account an object", mutate: setTo("OriginalOwner_Account", `{}`), wantErr: ErrField, field: "OriginalOwner_Account"},
		{name: "Operator_Account a list", mutate: setTo("Operator_Account", `[]`), wantErr: ErrField, field: "Operator_Account"},
		{name: "EventTime missing", mutate: without("EventTime"), wantErr: ErrField, field: "EventTime missing"},
		{name: "EventTime negative", mutate: setTo("EventTime", `-1`), wantErr: ErrField, field: "EventTime must be positive"},
		{name: "EventTime a word", mutate: setTo("EventTime", `"later"`), wantErr: ErrField, field: "EventTime"},
		{name: "CurrentOwner_Account twice", mutate: again("CurrentOwner_Account", `"currentowner_account"`, `"x"`), wantErr: ErrDuplicateField, field: "CurrentOwner_Account"},
		{name: "CurrentOwner_Account twice, same value", mutate: againSame("CurrentOwner_Account", `"CurrentOwner_Account"`), wantErr: ErrDuplicateField, field: "CurrentOwner_Account"},
		{name: "OriginalOwner_Account twice, escaped", mutate: again("OriginalOwner_Account", `"\u004friginalOwner_Account"`, `"x"`), wantErr: ErrDuplicateField, field: "OriginalOwner_Account"},
		{name: "Operator_Account twice", mutate: again("Operator_Account", `"OPERATOR_ACCOUNT"`, `1`), wantErr: ErrDuplicateField, field: "Operator_Account"},
		{name: "RoomId twice", mutate: again("RoomId", `"roomId"`, `"r"`), wantErr: ErrDuplicateField, field: "RoomId"},
		{name: "a near miss is no repeat", mutate: again("CurrentOwner_Account", `"CurrentOwnerAccount"`, `"x"`), check: lrAsGolden(lrOwner)},
	}
	lrRunRules(t, lrOwner, cases)
}

func lrAdminsOf(t *testing.T, pl Payload) *AdminsModified {
	t.Helper()
	a, ok := pl.(*AdminsModified)
	if !ok {
		t.Fatalf("payload %T", pl)
	}
	return a
}

func lrWantAdmins(added bool, want ...string) func(*testing.T, Payload) {
	return func(t *testing.T, pl Payload) {
		t.Helper()
		if a := lrAdminsOf(t, pl); a.Added != added || !reflect.DeepEqual(a.Admins, want) {
			t.Fatalf("Added %v, Admins %q; want %v, %q", a.Added, a.Admins, added, want)
		}
	}
}

func TestAdminsModifiedRules(t *testing.T) {
	long := strings.Repeat("a", MaxAccountBytes)
	const mia, num, ned = "admin-mia", "144115233775727699", "admin-ned"
	cases := []ruleCase{
		{name: "golden", check: lrAsGolden(lrAdmins)},

		// Lenient.
		{name: "delete", mutate: setTo("opType", `"delete"`), check: lrWantAdmins(false, mia, num, ned)},
		{name: "opType spelled OpType, as encoding/json takes it", mutate: all(without("opType"), setTo("OpType", `"delete"`)),
			check: lrWantAdmins(false, mia, num, ned)},
		{name: "18-digit and other numeric accounts kept digit for digit", mutate: setTo("Admin_Account", `[144115233775727695,9007199254740993,"0012",-7]`),
			check: lrWantAdmins(true, "144115233775727695", "9007199254740993", "0012", "-7")},
		{name: "admins de-duplicated, first occurrence order kept", mutate: setTo("Admin_Account", `["c","a",7,"c","7","a"]`),
			check: lrWantAdmins(true, "c", "a", "7")},
		{name: "account of exactly 255 bytes", mutate: setTo("Admin_Account", `["`+long+`"]`), check: lrWantAdmins(true, long)},
		{name: "Operator_Account absent", mutate: without("Operator_Account"), check: func(t *testing.T, pl Payload) {
			if a := lrAdminsOf(t, pl); a.OperatorAccount != nil {
				t.Fatalf("%s", dump(a))
			}
		}},
		{name: "EventTime as a numeric string", mutate: setTo("EventTime", `"1703600007679"`), check: lrWantTime(1703600007679)},
		{name: "unknown fields ignored, even repeated", mutate: all(again("RoomId", `"Admin"`, `1`), again("RoomId", `"Admin"`, `{}`)),
			check: lrAsGolden(lrAdmins)},

		// Strict.
		{name: "an array", body: `[{"RoomId":"r"}]`, wantErr: ErrNotObject},
		{name: "trailing garbage", body: `{"RoomId":"r"}]`, wantErr: ErrNotObject},
		{name: "RoomId missing", mutate: without("RoomId"), wantErr: ErrField, field: "RoomId missing"},
		{name: "RoomId an object", mutate: setTo("RoomId", `{}`), wantErr: ErrField, field: "RoomId must be a string"},
		{name: "opType missing", mutate: without("opType"), wantErr: ErrField, field: "opType missing"},
		{name: "opType null", mutate: setTo("opType", `null`), wantErr: ErrField, field: "opType missing"},
		{name: "opType capitalised", mutate: setTo("opType", `"Add"`), wantErr: ErrField, field: "opType must be add or delete"},
		{name: "opType upper case", mutate: setTo("opType", `"DELETE"`), wantErr: ErrField, field: "opType must be add or delete"},
		{name: "opType another word", mutate: setTo("opType", `"remove"`), wantErr: ErrField, field: "opType must be add or delete"},
		{name: "opType empty", mutate: setTo("opType", `""`), wantErr: ErrField, field: "opType must be add or delete"},
		{name: "opType a number", mutate: setTo("opType", `1`), wantErr: ErrField, field: "opType must be add or delete"},
		{name: "opType a boolean", mutate: setTo("opType", `true`), wantErr: ErrField, field: "opType"},
		{name: "Admin_Account missing", mutate: without("Admin_Account"), wantErr: ErrField, field: "Admin_Account missing"},
		{name: "Admin_Account null", mutate: setTo("Admin_Account", `null`), wantErr: ErrField, field: "Admin_Account missing"},
		{name: "Admin_Account empty", mutate: setTo("Admin_Account", `[]`), wantErr: ErrField, field: "Admin_Account is empty"},
		{name: "Admin_Account a string", mutate: setTo("Admin_Account", `"admin-mia"`), wantErr: ErrField, field: "Admin_Account"},
		{name: "Admin_Account an object", mutate: setTo("Admin_Account", `{"0":"a"}`), wantErr: ErrField, field: "Admin_Account"},
		{name: "Admin_Account holding an object", mutate: setTo("Admin_Account", `["a",{"Member_Account":"b"}]`), wantErr: ErrField, field: "Admin_Account"},
		{name: "Admin_Account holding null", mutate: setTo("Admin_Account", `["a",null]`), wantErr: ErrField, field: "Admin_Account"},
		{name: "Admin_Account holding a boolean", mutate: setTo("Admin_Account", `[false]`), wantErr: ErrField, field: "Admin_Account"},
		{name: "an empty account", mutate: setTo("Admin_Account", `["a",""]`), wantErr: ErrField, field: "Admin_Account[1] is empty"},
		{name: "an account over 255 bytes", mutate: setTo("Admin_Account", `["`+long+`a"]`), wantErr: ErrField, field: "Admin_Account[0] is longer than 255 bytes"},
		{name: "an account with NUL", mutate: setTo("Admin_Account", `["\u0000"]`), wantErr: ErrField, field: "Admin_Account"},
		{name: "EventTime missing", mutate: without("EventTime"), wantErr: ErrField, field: "EventTime missing"},
		{name: "EventTime zero", mutate: setTo("EventTime", `"0"`), wantErr: ErrField, field: "EventTime must be positive"},
		{name: "opType twice", mutate: again("opType", `"OpType"`, `"delete"`), wantErr: ErrDuplicateField, field: "opType"},
		{name: "opType twice, same value", mutate: againSame("opType", `"opType"`), wantErr: ErrDuplicateField, field: "opType"},
		{name: "opType twice, escaped", mutate: again("opType", `"\u006fpType"`, `"add"`), wantErr: ErrDuplicateField, field: "opType"},
		{name: "Admin_Account twice", mutate: again("Admin_Account", `"admin_account"`, `["x"]`), wantErr: ErrDuplicateField, field: "Admin_Account"},
		{name: "Admin_Account twice, second impossible", mutate: again("Admin_Account", `"Admin_Account"`, `{}`), wantErr: ErrDuplicateField, field: "Admin_Account"},
		{name: "the same admin twice is no repeated field", mutate: setTo("Admin_Account", `["a","a"]`), check: lrWantAdmins(true, "a")},
		{name: "EventTime twice", mutate: again("EventTime", `"EVENTTIME"`, `2`), wantErr: ErrDuplicateField, field: "EventTime"},
		{name: "a near miss is no repeat", mutate: again("opType", `"op_Type"`, `"delete"`), check: lrAsGolden(lrAdmins)},
	}
	lrRunRules(t, lrAdmins, cases)
}
