package callback

import (
	"encoding/json"
	"errors"
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
