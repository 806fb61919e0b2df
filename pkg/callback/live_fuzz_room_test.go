package callback

import (
	"encoding/json"
	"errors"
	"reflect"
	"strings"
	"testing"
	"unicode/utf8"
)

// The Live lifecycle, member, owner and admin parsers, each held to the contract of the Room
// family's parsers (fuzz_test.go) on any input:
//   - it never panics, and fails only with ErrNotObject, ErrField or ErrDuplicateField, and
//     then returns no payload;
//   - ErrNotObject exactly when the body is not one JSON object in valid UTF-8;
//   - on a valid JSON object, ErrDuplicateField exactly when the reference (encoding/json's own
//     tokens and name matching) finds a field the parser reads repeated, naming the same path;
//   - what it accepts parses the same again (deterministic), and the same once rendered back to
//     a body (lrRender): nothing read is lost or made up; its key is usable (a RoomId without
//     NUL, a positive EventTime) and its required fields set and valid (check); its
//     CallbackCommand and RoomId are what encoding/json's plain reading finds; and
//     ParseEnvelope accepts it (unless a name only the envelope reads is repeated).

func FuzzParseLiveCreateRoom(f *testing.F) {
	lrSeed(f, lrCreate, "live-create-room-eventtime-in-roominfo", "live-create-room-no-eventtime",
		`{"RoomInfo":{"RoomId":"r","CreateTime":"9223372036854775","Category":["1",2]}}`,
		`{"RoomInfo":{"RoomId":"r","CreateTime":9223372036854776,"EventTime":null},"EventTime":null}`,
		`{"RoomInfo":{"RoomId":"r","EventTime":0,"CreateTime":5},"EventTime":3}`,
		`{"RoomInfo":{"RoomId":"r","EventTime":"7","eventtime":8}}`,
		`{"RoomInfo":{"RoomId":"r","Category":[1,null],"IsPublicVisible":"true"},"EventTime":1}`,
		`{"RoomInfo":{"RoomId":"r","Category":[]},"RoomId":"top","EventTime":1}`,
	)
	f.Fuzz(func(t *testing.T, body []byte) {
		lrFuzz(t, body, ParseLiveCreateRoom, lrCreate.probe, func(t *testing.T, c *LiveRoomCreated) {
			// The time is the first of the three the body holds.
			var plain struct {
				EventTime json.RawMessage
				RoomInfo  struct{ EventTime, CreateTime json.RawMessage }
			}
			if err := json.Unmarshal(body, &plain); err != nil {
				t.Fatal(err)
			}
			var want lenientInt
			switch {
			case lrPresent(plain.EventTime):
				lrDecode(t, plain.EventTime, &want)
			case lrPresent(plain.RoomInfo.EventTime):
				lrDecode(t, plain.RoomInfo.EventTime, &want)
			default:
				lrDecode(t, plain.RoomInfo.CreateTime, &want)
				want *= 1000
			}
			if int64(want) != c.EventTime {
				t.Fatalf("EventTime %d, the plain reading's %d", c.EventTime, want)
			}
		})
	})
}

func FuzzParseLiveUpdateRoom(f *testing.F) {
	lrSeed(f, lrUpdate, "live-create-room",
		`{"RoomInfo":{"RoomId":"r","EventTime":5}}`,
		`{"RoomInfo":{"RoomId":"r","Category":"1"},"EventTime":1}`,
		`{"RoomInfo":{"RoomId":"r","CoverURL":"a","coverurl":"b"},"EventTime":1}`,
	)
	f.Fuzz(func(t *testing.T, body []byte) {
		lrFuzz(t, body, ParseLiveUpdateRoom, lrUpdate.probe, func(t *testing.T, u *LiveRoomUpdated) {})
	})
}

func FuzzParseLiveDestroyRoom(f *testing.F) {
	lrSeed(f, lrDestroy, "",
		`{"RoomId":"r","RoomInfo":{"RoomId":"s"},"EventTime":1}`,
		`{"RoomId":"r","RoomInfo":{"RoomId":"r"},"Statistic":{"TotalViewers":"3","totalviewers":4},"EventTime":1}`,
		`{"RoomId":"r","RoomInfo":null,"Statistic":[],"EventTime":1}`,
		`{"RoomId":"r","EventType":7,"EventTime":"1"}`,
	)
	f.Fuzz(func(t *testing.T, body []byte) {
		lrFuzz(t, body, ParseLiveDestroyRoom, lrDestroy.probe, func(t *testing.T, d *LiveRoomDestroyed) {
			if d.RoomInfo.RoomID != d.RoomID {
				t.Fatalf("RoomInfo.RoomId %q, RoomId %q", d.RoomInfo.RoomID, d.RoomID)
			}
		})
	})
}

func FuzzParseLiveMemberState(f *testing.F) {
	lrSeed(f, lrMembers, "live-member-state-alt",
		`{"RoomId":"r","EventType":"Online","MemberList":[{"Member_Account":1},{"Member_Account":"1"},{"Member_Account":144115233775727695}],"EventTime":1}`,
		`{"RoomId":"r","EventType":"Offline","MemberList":[{"Member_Account":"a","member_account":"b"}],"EventTime":1}`,
		`{"RoomId":"r","EventType":"online","MemberList":[],"EventTime":1}`,
		`{"RoomId":"r","EventType":"Offline","MemberList":[null,{},{"Member_Account":""}],"EventTime":1}`,
		`{"RoomId":"r","EventType":"Online","MemberList":[{"Member_Account":"`+strings.Repeat("a", 256)+`"}],"EventTime":1}`,
	)
	f.Fuzz(func(t *testing.T, body []byte) {
		lrFuzz(t, body, ParseLiveMemberState, lrMembers.probe, func(t *testing.T, m *LiveMembersChanged) {
			var plain struct {
				EventType  string
				MemberList []struct {
					MemberAccount json.RawMessage `json:"Member_Account"`
				}
			}
			if err := json.Unmarshal(body, &plain); err != nil {
				t.Fatalf("encoding/json refuses what the parser accepted: %v", err)
			}
			if (plain.EventType == "Online") != m.Online || (plain.EventType != "Online" && plain.EventType != "Offline") {
				t.Fatalf("EventType %q, Online %v", plain.EventType, m.Online)
			}
			var accounts []json.RawMessage
			for _, e := range plain.MemberList {
				accounts = append(accounts, e.MemberAccount)
			}
			lrCheckAccounts(t, accounts, m.Members)
		})
	})
}

func FuzzParseOwnerChanged(f *testing.F) {
	lrSeed(f, lrOwner, "",
		`{"RoomId":"r","CurrentOwner_Account":144115233775727695,"EventTime":1}`,
		`{"RoomId":"r","CurrentOwner_Account":"","OriginalOwner_Account":"","EventTime":1}`,
		`{"RoomId":"r","CurrentOwner_Account":"a","currentowner_account":"b","EventTime":1}`,
	)
	f.Fuzz(func(t *testing.T, body []byte) {
		lrFuzz(t, body, ParseOwnerChanged, lrOwner.probe, func(t *testing.T, o *OwnerChanged) {
			var plain struct{ CurrentOwner_Account json.RawMessage }
			if err := json.Unmarshal(body, &plain); err != nil {
				t.Fatal(err)
			}
			lrCheckAccounts(t, []json.RawMessage{plain.CurrentOwner_Account}, []string{o.CurrentOwner})
		})
	})
}

func FuzzParseAdminsModified(f *testing.F) {
	lrSeed(f, lrAdmins, "live-modify-admin-delete",
		`{"RoomId":"r","opType":"add","Admin_Account":[1,"1",2],"EventTime":1}`,
		`{"RoomId":"r","OpType":"delete","Admin_Account":["a"],"EventTime":1}`,
		`{"RoomId":"r","opType":"Add","Admin_Account":[],"EventTime":1}`,
		`{"RoomId":"r","opType":"add","optype":"add","Admin_Account":["a"],"EventTime":1}`,
	)
	f.Fuzz(func(t *testing.T, body []byte) {
		lrFuzz(t, body, ParseAdminsModified, lrAdmins.probe, func(t *testing.T, a *AdminsModified) {
			var plain struct {
				OpType        string `json:"opType"`
				Admin_Account []json.RawMessage
			}
			if err := json.Unmarshal(body, &plain); err != nil {
				t.Fatal(err)
			}
			if (plain.OpType == "add") != a.Added || (plain.OpType != "add" && plain.OpType != "delete") {
				t.Fatalf("opType %q, Added %v", plain.OpType, a.Added)
			}
			lrCheckAccounts(t, plain.Admin_Account, a.Admins)
		})
	})
}

// lrSeed seeds a fuzz target with its parser's golden body, another fixture, then extra.
func lrSeed(f *testing.F, lp lrParser, fixture string, extra ...string) {
	f.Add(lrFixture(f, lp.fixture))
	if fixture != "" {
		f.Add(lrFixture(f, fixture))
	}
	for _, s := range extra {
		f.Add([]byte(s))
	}
	f.Add([]byte(`[]`))
	f.Add([]byte(`{`))
	f.Add([]byte("{\"RoomId\":\"\xff\"}"))
	f.Add([]byte(`{"RoomId":"r","EventTime":1E700,"X":1,"X":2}`))
}

// lrFuzz checks one input against the contract above.
func lrFuzz[P Payload](t *testing.T, body []byte, parse func([]byte) (P, error), pr *probe, check func(*testing.T, P)) {
	got, err := parse(body)
	if fuzzRefused(t, body, err, pr) {
		if !reflect.ValueOf(got).IsNil() {
			t.Fatalf("a refused body returned a payload %s", dump(got))
		}
		return
	}
	room, at := got.Key()
	if room == "" || at <= 0 || strings.IndexByte(room, 0) >= 0 || !utf8.ValidString(room) {
		t.Fatalf("accepted without a usable key: %s", dump(got))
	}
	fuzzStable(t, body, lrRender(t, got), got, parse)
	// The plain reading agrees where both apply.
	var plain struct {
		CallbackCommand json.RawMessage
		RoomId          json.RawMessage
		RoomInfo        json.RawMessage // not read by every parser: any value
	}
	if err := json.Unmarshal(body, &plain); err != nil {
		t.Fatalf("encoding/json refuses what the parser accepted: %v", err)
	}
	plainRoom := plain.RoomId
	inRoomInfo := false
	switch any(got).(type) {
	case *LiveRoomCreated, *LiveRoomUpdated:
		var ri struct{ RoomId json.RawMessage }
		lrDecode(t, plain.RoomInfo, &ri)
		plainRoom, inRoomInfo = ri.RoomId, true
	}
	if s, ok := jsonString(plainRoom); !ok || s != room {
		t.Fatalf("RoomId: parser %q, encoding/json %s", room, plainRoom)
	}
	command, isString := jsonString(plain.CallbackCommand)
	if isString && command != got.BodyCommand() {
		t.Fatalf("CallbackCommand: parser %q, encoding/json %q", got.BodyCommand(), command)
	}
	// ParseEnvelope reads names these parsers may not (RoomInfo and its RoomId, a top-level
	// RoomId beside a RoomInfo) and refuses to see those twice; it prefers a top-level RoomId,
	// and knows no time but the top-level EventTime.
	env, err := ParseEnvelope(body)
	if err != nil && !errors.Is(err, ErrDuplicateField) {
		t.Fatalf("a body the parser accepts is refused by ParseEnvelope: %v", err)
	}
	if err == nil && isString && env.CallbackCommand != got.BodyCommand() {
		t.Fatalf("envelope %+v disagrees with the parse %s", env, dump(got))
	}
	if err == nil && !inRoomInfo && env.RoomID != room {
		t.Fatalf("envelope %+v disagrees with the parse %s", env, dump(got))
	}
	check(t, got)
}

// lrPresent reports whether a raw member holds a value: neither absent nor null.
func lrPresent(raw json.RawMessage) bool { return len(raw) > 0 && string(raw) != "null" }

func lrDecode(t *testing.T, raw json.RawMessage, v any) {
	t.Helper()
	if err := json.Unmarshal(raw, v); err != nil {
		t.Fatalf("%s: %v", raw, err)
	}
}

// lrCheckAccounts checks a parsed account list against the plain reading of the accounts: each
// a string or a number as written, none empty, over MaxAccountBytes or holding NUL, at least
// one, and the parser's list the plain one de-duplicated in first occurrence order.
func lrCheckAccounts(t *testing.T, raws []json.RawMessage, got []string) {
	t.Helper()
	var want []string
	seen := map[string]bool{}
	for _, raw := range raws {
		a, ok := jsonString(raw)
		if !ok {
			if !isJSONNumber(raw) {
				t.Fatalf("accepted the account %s", raw)
			}
			a = string(raw)
		}
		if a == "" || len(a) > MaxAccountBytes || strings.IndexByte(a, 0) >= 0 {
			t.Fatalf("accepted the account %q", a)
		}
		if !seen[a] {
			seen[a] = true
			want = append(want, a)
		}
	}
	if len(want) == 0 || !reflect.DeepEqual(want, got) {
		t.Fatalf("accounts %q, the plain reading %q", got, want)
	}
}

// lrRender writes a Live payload back as a body of its command: every field it holds in
// Tencent's documented type, and nothing else.
func lrRender(t *testing.T, pl Payload) []byte {
	t.Helper()
	m := map[string]any{}
	put := func(dst map[string]any, name string, v any) {
		rv := reflect.ValueOf(v)
		switch {
		case (rv.Kind() == reflect.Pointer || rv.Kind() == reflect.Slice) && rv.IsNil():
		case rv.Kind() == reflect.String && rv.String() == "":
		default:
			dst[name] = v
		}
	}
	roomInfo := func(ri RoomInfo, live LiveInfo) map[string]any {
		r := map[string]any{"RoomId": ri.RoomID}
		for k, v := range map[string]any{
			"RoomName": ri.RoomName, "RoomType": ri.RoomType, "Owner_Account": ri.OwnerAccount,
			"MaxMemberCount": ri.MaxMemberCount, "MaxSeatCount": ri.MaxSeatCount,
			"IsMessageDisabled": ri.IsMessageDisabled, "CustomInfo": ri.CustomInfo,
			"IsSeatEnabled": ri.IsSeatEnabled, "TakeSeatMode": ri.TakeSeatMode, "CreateTime": ri.CreateTime,
			"IsPublicVisible": live.IsPublicVisible, "CoverURL": live.CoverURL, "BackgroundURL": live.BackgroundURL,
			"Category": live.Category, "ActivityStatus": live.ActivityStatus,
			"IsUnlimitedRoomEnabled": live.IsUnlimitedRoomEnabled, "ViewCount": live.ViewCount,
		} {
			put(r, k, v)
		}
		// No Live body carries the Room family's other fields.
		for k, v := range map[string]any{"IsVideoDisabled": ri.IsVideoDisabled, "IsAudioDisabled": ri.IsAudioDisabled,
			"IsScreenSharingDisabled": ri.IsScreenSharingDisabled, "IsCloudRecordingDisabled": ri.IsCloudRecordingDisabled,
			"ScheduleStartTime": ri.ScheduleStartTime, "ScheduleEndTime": ri.ScheduleEndTime, "RoomStatus": ri.RoomStatus} {
			if !reflect.ValueOf(v).IsNil() {
				t.Fatalf("a Live payload holds %s", k)
			}
		}
		return r
	}
	switch v := pl.(type) {
	case *LiveRoomCreated:
		put(m, "CallbackCommand", v.CallbackCommand)
		put(m, "Operator_Account", v.OperatorAccount)
		m["RoomInfo"] = roomInfo(v.RoomInfo, v.Live)
		m["EventTime"] = v.EventTime
	case *LiveRoomUpdated:
		put(m, "CallbackCommand", v.CallbackCommand)
		put(m, "Operator_Account", v.OperatorAccount)
		m["RoomInfo"] = roomInfo(v.RoomInfo, v.Live)
		m["EventTime"] = v.EventTime
	case *LiveRoomDestroyed:
		put(m, "CallbackCommand", v.CallbackCommand)
		put(m, "Operator_Account", v.OperatorAccount)
		m["RoomId"] = v.RoomID
		put(m, "EventType", v.EventType)
		m["RoomInfo"] = roomInfo(v.RoomInfo, v.Live)
		s := map[string]any{}
		st := v.Statistic
		for k, x := range map[string]any{"TotalViewers": st.TotalViewers, "TotalGiftsSent": st.TotalGiftsSent,
			"TotalGiftCoins": st.TotalGiftCoins, "TotalUniqueGiftSenders": st.TotalUniqueGiftSenders,
			"TotalLikesReceived": st.TotalLikesReceived} {
			put(s, k, x)
		}
		if len(s) > 0 {
			m["Statistic"] = s
		}
		m["EventTime"] = v.EventTime
	case *LiveMembersChanged:
		put(m, "CallbackCommand", v.CallbackCommand)
		m["RoomId"] = v.RoomID
		m["EventType"] = map[bool]string{true: "Online", false: "Offline"}[v.Online]
		put(m, "EventCause", v.EventCause)
		list := make([]map[string]string, 0, len(v.Members))
		for _, a := range v.Members {
			list = append(list, map[string]string{"Member_Account": a})
		}
		m["MemberList"] = list
		m["EventTime"] = v.EventTime
	case *OwnerChanged:
		put(m, "CallbackCommand", v.CallbackCommand)
		m["RoomId"] = v.RoomID
		put(m, "Operator_Account", v.OperatorAccount)
		m["CurrentOwner_Account"] = v.CurrentOwner
		put(m, "OriginalOwner_Account", v.OriginalOwner)
		m["EventTime"] = v.EventTime
	case *AdminsModified:
		put(m, "CallbackCommand", v.CallbackCommand)
		m["RoomId"] = v.RoomID
		put(m, "Operator_Account", v.OperatorAccount)
		m["Admin_Account"] = v.Admins
		m["opType"] = map[bool]string{true: "add", false: "delete"}[v.Added]
		m["EventTime"] = v.EventTime
	default:
		t.Fatalf("no rendering of %T", pl)
	}
	b, err := json.Marshal(m)
	if err != nil {
		t.Fatal(err)
	}
	return b
}
