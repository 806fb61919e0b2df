package callback

import (
	"errors"
	"testing"
	"time"
)

// FuzzParseCreateRoom holds the parser to its contract on any input: it never panics, it fails
// only with ErrNotObject or ErrField, and what it accepts is usable — a RoomId, a positive
// EventTime, an invitee list without duplicates.
func FuzzParseCreateRoom(f *testing.F) {
	for _, s := range []string{
		seedBody,
		`{"RoomInfo":{"RoomId":"r","IsVideoDisabled":"false","Owner_Account":12},"ScheduleInviteeList_Account":[1,"1"],"EventTime":"5"}`,
		`{"RoomInfo":{"RoomId":""},"EventTime":1}`,
		`[]`, `{`, "{\"RoomInfo\":{\"RoomId\":\"\xff\"}}",
		`{"RoomInfo":{"RoomId":"r","MaxMemberCount":1e99},"EventTime":-1}`,
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		rc, err := ParseCreateRoom(body)
		if err != nil {
			if !errors.Is(err, ErrNotObject) && !errors.Is(err, ErrField) {
				t.Fatalf("unexpected error kind: %v", err)
			}
			return
		}
		if rc.RoomInfo.RoomID == "" || rc.EventTime <= 0 {
			t.Fatalf("accepted without a key: %+v", rc)
		}
		seen := map[string]bool{}
		for _, a := range rc.ScheduleInviteeList {
			if seen[a] {
				t.Fatalf("duplicate invitee %q", a)
			}
			seen[a] = true
		}
		if _, err := ParseEnvelope(body); err != nil {
			t.Fatalf("a body the parser accepts is refused by ParseEnvelope: %v", err)
		}
	})
}

// FuzzVerify: whatever Sign and RequestTime say, Verify never panics and accepts only the
// signature of a time inside the window.
func FuzzVerify(f *testing.F) {
	f.Add(Sign("xxxxyyyy", "1669872112"), "1669872112")
	f.Add("", "")
	f.Add("17773bc39a671d7b9aa835458704d2a6db81360a5940292b587d6d760d484061", "-9223372036854775808")
	v := &Verifier{Tokens: []string{"xxxxyyyy"}, Tolerance: 60e9, Now: func() time.Time { return time.Unix(1669872112, 0) }}
	f.Fuzz(func(t *testing.T, sign, rtime string) {
		if v.Verify(sign, rtime) == nil && sign != Sign("xxxxyyyy", rtime) {
			t.Fatalf("accepted a forged signature %q for %q", sign, rtime)
		}
	})
}
