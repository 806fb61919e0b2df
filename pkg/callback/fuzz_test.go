package callback

import (
	"encoding/json"
	"errors"
	"reflect"
	"strconv"
	"strings"
	"testing"
	"time"
	"unicode/utf8"
)

// FuzzParseCreateRoom holds the parser to its contract on any input: it never panics; it fails
// only with ErrNotObject, ErrField or ErrDuplicateField, the last exactly when the reference
// (encoding/json's own tokens) finds a repeated field; what it accepts is valid JSON and
// usable — a RoomId without NUL, a positive EventTime, an invitee list without duplicates —
// and agrees with encoding/json's plain reading of the same fields; ParseEnvelope accepts it
// too, with the same command, RoomId and EventTime.
func FuzzParseCreateRoom(f *testing.F) {
	for _, s := range []string{
		seedBody,
		`{"RoomInfo":{"RoomId":"r","IsVideoDisabled":"false","Owner_Account":12},"ScheduleInviteeList_Account":[1,"1"],"EventTime":"5"}`,
		`{"RoomInfo":{"RoomId":""},"EventTime":1}`,
		`[]`, `{`, "{\"RoomInfo\":{\"RoomId\":\"\xff\"}}",
		`{"RoomInfo":{"RoomId":"r","MaxMemberCount":1e99},"EventTime":-1}`,
		`{"RoomInfo":{"RoomId":"r","roomid":"s"},"EventTime":1}`,
		`{"RoomInfo":{"RoomId":"r"},"EventTime":1,"Event\u0054ime":"x"}`,
		`{"RoomInfo":{"RoomId":"r","X":1,"X":2},"EventTime":1,"Y":1,"Y":2}`,
		`{"CallbackCommand":1E700,"RoomInfo":{"RoomId":"r","RoomName":-1E700},"EventTime":1,"X":1E700}`,
	} {
		f.Add([]byte(s))
	}
	f.Add(golden(f, CommandCreateRoom))
	f.Fuzz(func(t *testing.T, body []byte) {
		rc, err := ParseCreateRoom(body)
		valid := json.Valid(body)
		if valid && utf8.Valid(body) {
			dup := referenceDuplicate(t, body, createRoomProbe)
			if (dup != "") != errors.Is(err, ErrDuplicateField) {
				t.Fatalf("reference finds repeated %q; parser says %v", dup, err)
			}
		}
		if err != nil {
			if !errors.Is(err, ErrNotObject) && !errors.Is(err, ErrField) && !errors.Is(err, ErrDuplicateField) {
				t.Fatalf("unexpected error kind: %v", err)
			}
			return
		}
		if !valid || !utf8.Valid(body) {
			t.Fatalf("accepted a body that is not valid JSON in UTF-8: %q", body)
		}
		if rc.RoomInfo.RoomID == "" || rc.EventTime <= 0 || strings.IndexByte(rc.RoomInfo.RoomID, 0) >= 0 {
			t.Fatalf("accepted without a usable key: %+v", rc)
		}
		// The plain reading of the same fields agrees with the lenient one where both apply.
		// (Strings only: a number such as 1E700 is valid JSON that no float64 holds, and the
		// parser keeps an account given as a number as its literal text.)
		var plain struct {
			CallbackCommand json.RawMessage
			RoomInfo        struct{ RoomId string }
		}
		if err := json.Unmarshal(body, &plain); err != nil {
			t.Fatalf("encoding/json refuses what the parser accepted: %v", err)
		}
		if plain.RoomInfo.RoomId != rc.RoomInfo.RoomID {
			t.Fatalf("RoomId: parser %q, encoding/json %q", rc.RoomInfo.RoomID, plain.RoomInfo.RoomId)
		}
		command, isString := jsonString(plain.CallbackCommand)
		if isString && command != rc.CallbackCommand {
			t.Fatalf("CallbackCommand: parser %q, encoding/json %q", rc.CallbackCommand, command)
		}
		seen := map[string]bool{}
		for _, a := range rc.ScheduleInviteeList {
			if seen[a] {
				t.Fatalf("duplicate invitee %q", a)
			}
			seen[a] = true
		}
		// ParseEnvelope reads one name create-room does not: a top-level RoomId, which it
		// refuses to see twice.
		env, err := ParseEnvelope(body)
		if err != nil && err.Error() != duplicateError("RoomId").Error() {
			t.Fatalf("a body the parser accepts is refused by ParseEnvelope: %v", err)
		}
		if err == nil && isString && (env.CallbackCommand != rc.CallbackCommand || env.EventTime != rc.EventTime) {
			t.Fatalf("envelope %+v disagrees with the parse %+v", env, rc)
		}
	})
}

// FuzzVerify: whatever Sign and RequestTime say, Verify never panics, fails only with its
// four errors, and accepts exactly the signature, under one of the tokens, of a RequestTime
// written in decimal digits within the window. The fuzzer cannot guess a SHA-256, so signFor
// makes it sign with a real token (1, 2) or a stranger's (3), or keep its Sign (0), and skew
// moves the clock.
func FuzzVerify(f *testing.F) {
	const rt = "1669872112"
	f.Add(Sign("xxxxyyyy", rt), rt, uint8(0), int64(0))
	f.Add("", "", uint8(0), int64(0))
	f.Add("17773bc39a671d7b9aa835458704d2a6db81360a5940292b587d6d760d484061", "-9223372036854775808", uint8(0), int64(0))
	f.Add("", rt, uint8(1), int64(60))
	f.Add("", rt, uint8(2), int64(-61))
	f.Add("", "+"+rt, uint8(1), int64(0))
	f.Add("", "0"+rt, uint8(2), int64(0))
	f.Add("", rt+"000", uint8(3), int64(0))
	f.Add(strings.ToUpper(Sign("xxxxyyyy", rt)), rt, uint8(0), int64(0))
	tokens := []string{"new-token", "xxxxyyyy"}
	f.Fuzz(func(t *testing.T, sign, rtime string, signFor uint8, skew int64) {
		switch signFor % 4 {
		case 1:
			sign = Sign(tokens[0], rtime)
		case 2:
			sign = Sign(tokens[1], rtime)
		case 3:
			sign = Sign("stranger", rtime)
		}
		now := time.Unix(1669872112, 0).Add(time.Duration(skew%1e6) * time.Second)
		v := &Verifier{Tokens: tokens, Tolerance: time.Minute, Now: func() time.Time { return now }}
		err := v.Verify(sign, rtime)
		if err != nil && !errors.Is(err, ErrNotSigned) && !errors.Is(err, ErrBadTime) &&
			!errors.Is(err, ErrOutsideTime) && !errors.Is(err, ErrSignMismatch) {
			t.Fatalf("unexpected error %v", err)
		}
		signed := sign == Sign(tokens[0], rtime) || sign == Sign(tokens[1], rtime)
		digits := rtime != "" && strings.Trim(rtime, "0123456789") == ""
		inWindow := false
		if secs, perr := strconv.ParseInt(rtime, 10, 64); perr == nil && digits {
			d := now.Unix() - secs
			inWindow = -60 <= d && d <= 60
		}
		if want := signed && digits && inWindow; (err == nil) != want {
			t.Fatalf("Verify(%q, %q) at %d = %v; signed %v, decimal %v, in the window %v", sign, rtime, now.Unix(), err, signed, digits, inWindow)
		}
	})
}

// The Room family's parsers, each held to the same contract on any input (fuzzParser):
//   - it never panics, and fails only with ErrNotObject, ErrField or ErrDuplicateField;
//   - ErrNotObject exactly when the body is not one JSON object in valid UTF-8;
//   - on a valid JSON object, ErrDuplicateField exactly when the reference (encoding/json's own
//     tokens and name matching) finds a field the parser reads repeated, naming the same path;
//   - what it accepts parses the same again, the same through ParsePayload as the handler
//     calls it, and the same once rendered back to a body (render): nothing read is lost or
//     made up; its key is usable (a RoomId without NUL, a positive EventTime); its CallbackCommand and RoomId are what
//     encoding/json's plain reading finds; and ParseEnvelope, which archives the commands
//     roomhook does not project, reads the same key from it.
// check adds each parser's own invariants.

func FuzzParseUpdateRoom(f *testing.F) {
	seedParser(f, CommandUpdateRoom, CommandUpdateRoomAlt,
		`{"RoomInfo":{"RoomId":"r","IsVideoDisabled":"false","Owner_Account":144115233775727695,"TakeSeatMode":"X"},"EventTime":"5"}`,
		`{"RoomInfo":{"RoomId":"r","RoomName":"a","roomname":"b"},"EventTime":1}`,
		`{"RoomId":"top","RoomInfo":{"RoomId":"r"},"EventTime":1}`,
		`{"RoomInfo":null,"EventTime":1}`,
	)
	f.Fuzz(func(t *testing.T, body []byte) {
		fuzzParser(t, body, CommandUpdateRoom, ParseUpdateRoom, updateRoomProbe, func(t *testing.T, u *RoomUpdated) {})
	})
}

func FuzzParseDestroyRoom(f *testing.F) {
	seedParser(f, CommandDestroyRoom, "",
		`{"RoomId":"r","Operator_Account":144115233775727695,"EventTime":"7"}`,
		`{"RoomId":"r","ROOMID":"s","EventTime":1}`,
		`{"RoomId":5,"EventTime":1}`,
		`{"RoomInfo":{"RoomId":"r"},"RoomId":"r","EventTime":1}`,
	)
	f.Fuzz(func(t *testing.T, body []byte) {
		fuzzParser(t, body, CommandDestroyRoom, ParseDestroyRoom, destroyProbe, func(t *testing.T, d *RoomDestroyed) {})
	})
}

func FuzzParseMembers(f *testing.F) {
	seedParser(f, CommandMemberEnter, CommandMemberLeave,
		`{"RoomId":"r","MemberList_Account":[144115233775727695,"144115233775727695",1e3,"",{}],"EventTime":1}`,
		`{"RoomId":"r","MemberList_Account":["a","a","b"],"MemberCount":"2","Type":3,"EventTime":1}`,
		`{"RoomId":"r","MemberList_Account":[],"memberlist_account":["x"],"EventTime":1}`,
		`{"RoomId":"r","MemberList_Account":["`+strings.Repeat("a", 256)+`"],"EventTime":1}`,
		`{"RoomId":"r","MemberList_Account":["\u0000"],"MemberCount":1.5,"EventTime":1}`,
	)
	f.Fuzz(func(t *testing.T, body []byte) {
		fuzzParser(t, body, CommandMemberLeave, ParseMembers, membersProbe, func(t *testing.T, m *MembersChanged) {
			if m.Entered {
				t.Fatal("ParseMembers says entered")
			}
			// The plain reading of the list, de-duplicated here, is the parser's list.
			var plain struct{ MemberList_Account []json.RawMessage }
			if err := json.Unmarshal(body, &plain); err != nil {
				t.Fatalf("encoding/json refuses the list the parser accepted: %v", err)
			}
			var want []string
			seen := map[string]bool{}
			for _, raw := range plain.MemberList_Account {
				a, ok := jsonString(raw)
				if !ok {
					a = string(raw) // a number, as written
				}
				if a == "" || len(a) > MaxAccountBytes || strings.IndexByte(a, 0) >= 0 {
					t.Fatalf("accepted the account %q", a)
				}
				if !seen[a] {
					seen[a] = true
					want = append(want, a)
				}
			}
			if len(want) != len(m.Members) || (len(want) > 0 && !reflect.DeepEqual(want, m.Members)) {
				t.Fatalf("Members %q, the plain reading %q", m.Members, want)
			}
		})
	})
}

func FuzzParseSeats(f *testing.F) {
	seedParser(f, CommandSeatChanged, "",
		`{"RoomId":"r","SeatList":[{"Index":1,"Member_Account":"a"},{"Index":"1","Member_Account":""},{"Index":0}],"EventTime":1}`,
		`{"RoomId":"r","SeatList":[{"Index":1},{"Index":1,"index":2}],"EventTime":1}`,
		`{"RoomId":"r","SeatList":[null,2,{"Index":-1},{"Index":1.5}],"EventTime":1}`,
		`{"RoomId":"r","SeatList":[{"Index":3,"Member_Account":144115233775727695,"IsTakenDisabled":"true","IsVideoDisabled":0}],"EventTime":1}`,
		`{"RoomId":"r","SeatList":{"Index":1},"EventTime":1}`,
	)
	f.Fuzz(func(t *testing.T, body []byte) {
		fuzzParser(t, body, CommandSeatChanged, ParseSeats, seatsProbe, func(t *testing.T, sc *SeatsChanged) {
			// The plain reading of the list, with a repeated Index keeping its last entry in
			// the place of its first, is the parser's list.
			var plain struct {
				SeatList []struct {
					Index         json.Number
					MemberAccount json.RawMessage `json:"Member_Account"`
				}
			}
			if err := json.Unmarshal(body, &plain); err != nil {
				t.Fatalf("encoding/json refuses the list the parser accepted: %v", err)
			}
			var order []int64
			last := map[int64]string{}
			for _, s := range plain.SeatList {
				i, err := strconv.ParseInt(string(s.Index), 10, 64)
				if err != nil || i < 0 {
					t.Fatalf("accepted the Index %q", s.Index)
				}
				if _, seen := last[i]; !seen {
					order = append(order, i)
				}
				a, ok := jsonString(s.MemberAccount)
				if !ok && isJSONNumber(s.MemberAccount) {
					a = string(s.MemberAccount)
				}
				last[i] = a
			}
			if len(order) != len(sc.Seats) {
				t.Fatalf("%d seats, the plain reading %d", len(sc.Seats), len(order))
			}
			for k, s := range sc.Seats {
				if s.Index != order[k] {
					t.Fatalf("seat %d has Index %d, the plain reading %d", k, s.Index, order[k])
				}
				acct := ""
				if s.MemberAccount != nil {
					acct = *s.MemberAccount
					if acct == "" || len(acct) > MaxAccountBytes {
						t.Fatalf("seat %d: account %q", s.Index, acct)
					}
				}
				if acct != last[s.Index] {
					t.Fatalf("seat %d: account %q, the plain reading's last %q", s.Index, acct, last[s.Index])
				}
			}
		})
	})
}

// seedParser seeds a fuzz target with the golden bodies of its commands, then extra.
func seedParser(f *testing.F, command, other string, extra ...string) {
	f.Add(golden(f, command))
	if other != "" {
		f.Add(golden(f, other))
	}
	for _, s := range extra {
		f.Add([]byte(s))
	}
	f.Add([]byte(`[]`))
	f.Add([]byte(`{`))
	f.Add([]byte("{\"RoomId\":\"\xff\"}"))
	f.Add([]byte(`{"RoomId":"r","EventTime":1E700,"X":1,"X":2}`))
}

// fuzzRefused checks a parser's err for body against the contract every parser keeps: ErrNotObject
// exactly for a body that is not one JSON object in UTF-8, ErrDuplicateField naming the field
// exactly when the reference (pr) finds a read field repeated, no other kind than ErrField. It
// reports whether the body was refused.
func fuzzRefused(t *testing.T, body []byte, err error, pr *probe) bool {
	t.Helper()
	notObject := !utf8.Valid(body) || !json.Valid(body) || firstByte(body) != '{'
	if notObject != errors.Is(err, ErrNotObject) {
		t.Fatalf("not an object: %v; err = %v", notObject, err)
	}
	if !notObject {
		dup := referenceDuplicate(t, body, pr)
		if (dup != "") != errors.Is(err, ErrDuplicateField) {
			t.Fatalf("reference finds repeated %q; parser says %v", dup, err)
		}
		if dup != "" && err.Error() != duplicateError(dup).Error() {
			t.Fatalf("reference finds repeated %q; parser names %v", dup, err)
		}
	}
	if err != nil && !errors.Is(err, ErrNotObject) && !errors.Is(err, ErrField) && !errors.Is(err, ErrDuplicateField) {
		t.Fatalf("unexpected error kind: %v", err)
	}
	return err != nil
}

// fuzzStable checks an accepted body's payload got: the body parses the same again, and
// rendered (got written back as a body) parses to got.
func fuzzStable[P Payload](t *testing.T, body, rendered []byte, got P, parse func([]byte) (P, error)) {
	t.Helper()
	again, err := parse(body)
	if err != nil || !reflect.DeepEqual(again, got) {
		t.Fatalf("a second parse differs: %s, %v", dump(again), err)
	}
	back, err := parse(rendered)
	if err != nil || !reflect.DeepEqual(back, got) {
		t.Fatalf("rendered back %s, it parses to %s, %v; the first parse %s", rendered, dump(back), err, dump(got))
	}
}

// fuzzParser checks one input against the contract above.
func fuzzParser[P Payload](t *testing.T, body []byte, command string, parse func([]byte) (P, error), pr *probe, check func(*testing.T, P)) {
	got, err := parse(body)
	if fuzzRefused(t, body, err, pr) {
		return
	}
	room, at := got.Key()
	if room == "" || at <= 0 || strings.IndexByte(room, 0) >= 0 {
		t.Fatalf("accepted without a usable key: %s", dump(got))
	}
	fuzzStable(t, body, render(t, got), got, parse)
	via, err := ParsePayload(command, body)
	if err != nil || !reflect.DeepEqual(via, Payload(got)) {
		t.Fatalf("ParsePayload differs: %s, %v", dump(via), err)
	}
	// The plain reading agrees where both apply.
	var plain struct {
		CallbackCommand json.RawMessage
		RoomId          json.RawMessage
		RoomInfo        struct{ RoomId json.RawMessage }
	}
	if err := json.Unmarshal(body, &plain); err != nil {
		t.Fatalf("encoding/json refuses what the parser accepted: %v", err)
	}
	_, update := any(got).(*RoomUpdated)
	plainRoom := plain.RoomId
	if update {
		plainRoom = plain.RoomInfo.RoomId
	}
	if s, ok := jsonString(plainRoom); !ok || s != room {
		t.Fatalf("RoomId: parser %q, encoding/json %s", room, plainRoom)
	}
	command2, isString := jsonString(plain.CallbackCommand)
	if isString && command2 != got.BodyCommand() {
		t.Fatalf("CallbackCommand: parser %q, encoding/json %q", got.BodyCommand(), command2)
	}
	// ParseEnvelope reads names these parsers may not (RoomInfo and its RoomId, a top-level
	// RoomId for an update) and refuses to see those twice; it prefers a top-level RoomId.
	env, err := ParseEnvelope(body)
	if err != nil {
		if !errors.Is(err, ErrDuplicateField) {
			t.Fatalf("a body the parser accepts is refused by ParseEnvelope: %v", err)
		}
		return
	}
	if update && len(plain.RoomId) > 0 && string(plain.RoomId) != "null" {
		return
	}
	if env.RoomID != room || env.EventTime != at || (isString && env.CallbackCommand != got.BodyCommand()) {
		t.Fatalf("envelope %+v disagrees with the parse %s", env, dump(got))
	}
	check(t, got)
}

func firstByte(b []byte) byte {
	for _, c := range b {
		switch c {
		case ' ', '\t', '\r', '\n':
			continue
		}
		return c
	}
	return 0
}

// render writes a payload back as a body of its command, every field it holds in Tencent's
// documented type and nothing else.
func render(t *testing.T, pl Payload) []byte {
	t.Helper()
	var b strings.Builder
	b.WriteByte('{')
	first := true
	field := func(name string, v any) {
		rv := reflect.ValueOf(v)
		if v == nil || (rv.Kind() == reflect.Pointer || rv.Kind() == reflect.Slice) && rv.IsNil() {
			return
		}
		if rv.Kind() == reflect.String && rv.String() == "" {
			return
		}
		js, err := json.Marshal(v)
		if err != nil {
			t.Fatal(err)
		}
		if !first {
			b.WriteByte(',')
		}
		first = false
		b.WriteString(quote(name) + ":" + string(js))
	}
	roomInfo := func(ri RoomInfo) map[string]any {
		m := map[string]any{"RoomId": ri.RoomID}
		for k, v := range map[string]any{
			"RoomName": ri.RoomName, "RoomType": ri.RoomType, "Owner_Account": ri.OwnerAccount,
			"MaxMemberCount": ri.MaxMemberCount, "MaxSeatCount": ri.MaxSeatCount,
			"IsVideoDisabled": ri.IsVideoDisabled, "IsAudioDisabled": ri.IsAudioDisabled,
			"IsMessageDisabled": ri.IsMessageDisabled, "IsScreenSharingDisabled": ri.IsScreenSharingDisabled,
			"IsCloudRecordingDisabled": ri.IsCloudRecordingDisabled, "CustomInfo": ri.CustomInfo,
			"ScheduleStartTime": ri.ScheduleStartTime, "ScheduleEndTime": ri.ScheduleEndTime,
			"RoomStatus": ri.RoomStatus, "IsSeatEnabled": ri.IsSeatEnabled, "TakeSeatMode": ri.TakeSeatMode,
			"CreateTime": ri.CreateTime,
		} {
			if !reflect.ValueOf(v).IsNil() {
				m[k] = v
			}
		}
		return m
	}
	switch p := pl.(type) {
	case *RoomCreated:
		field("CallbackCommand", p.CallbackCommand)
		field("Operator_Account", p.OperatorAccount)
		field("RoomInfo", roomInfo(p.RoomInfo))
		field("ScheduleInviteeList_Account", p.ScheduleInviteeList)
		field("EventTime", p.EventTime)
	case *RoomUpdated:
		field("CallbackCommand", p.CallbackCommand)
		field("Operator_Account", p.OperatorAccount)
		field("RoomInfo", roomInfo(p.RoomInfo))
		field("EventTime", p.EventTime)
	case *RoomDestroyed:
		field("CallbackCommand", p.CallbackCommand)
		field("Operator_Account", p.OperatorAccount)
		field("RoomId", p.RoomID)
		field("EventTime", p.EventTime)
	case *MembersChanged:
		field("CallbackCommand", p.CallbackCommand)
		field("Operator_Account", p.OperatorAccount)
		field("RoomId", p.RoomID)
		field("MemberCount", p.MemberCount)
		field("Type", p.Type)
		field("Reason", p.Reason)
		field("MemberList_Account", p.Members)
		field("EventTime", p.EventTime)
	case *SeatsChanged:
		field("CallbackCommand", p.CallbackCommand)
		field("Operator_Account", p.OperatorAccount)
		field("RoomId", p.RoomID)
		list := make([]map[string]any, 0, len(p.Seats))
		for _, s := range p.Seats {
			m := map[string]any{"Index": s.Index}
			for k, v := range map[string]any{"Member_Account": s.MemberAccount, "IsTakenDisabled": s.IsTakenDisabled,
				"IsVideoDisabled": s.IsVideoDisabled, "IsAudioDisabled": s.IsAudioDisabled} {
				if !reflect.ValueOf(v).IsNil() {
					m[k] = v
				}
			}
			list = append(list, m)
		}
		field("SeatList", list)
		field("EventTime", p.EventTime)
	default:
		t.Fatalf("no rendering of %T", pl)
	}
	b.WriteByte('}')
	return []byte(b.String())
}
