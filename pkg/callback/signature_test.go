package callback

import (
	"errors"
	"strings"
	"testing"
	"time"
)

// Tencent's own example: printf 'xxxxyyyy1669872112' | sha256sum
func TestSignTencentVector(t *testing.T) {
	const want = "17773bc39a671d7b9aa835458704d2a6db81360a5940292b587d6d760d484061"
	if got := Sign("xxxxyyyy", "1669872112"); got != want {
		t.Fatalf("Sign = %s, want %s", got, want)
	}
}

func TestVerify(t *testing.T) {
	now := time.Unix(1669872112, 0)
	good := Sign("xxxxyyyy", "1669872112")
	tests := []struct {
		name        string
		tokens      []string
		sign, rtime string
		now         time.Time
		wantErr     error
	}{
		{"tencent vector", []string{"xxxxyyyy"}, good, "1669872112", now, nil},
		{"second token of a rotation", []string{"new-token", "xxxxyyyy"}, good, "1669872112", now, nil},
		{"edge of the window, past", []string{"xxxxyyyy"}, good, "1669872112", now.Add(60 * time.Second), nil},
		{"edge of the window, future", []string{"xxxxyyyy"}, good, "1669872112", now.Add(-60 * time.Second), nil},
		{"one second too old", []string{"xxxxyyyy"}, good, "1669872112", now.Add(61 * time.Second), ErrOutsideTime},
		{"one second too far ahead", []string{"xxxxyyyy"}, good, "1669872112", now.Add(-61 * time.Second), ErrOutsideTime},
		{"replay a day later", []string{"xxxxyyyy"}, good, "1669872112", now.Add(24 * time.Hour), ErrOutsideTime},
		{"wrong token", []string{"other"}, good, "1669872112", now, ErrSignMismatch},
		{"uppercase hex", []string{"xxxxyyyy"}, strings.ToUpper(good), "1669872112", now, ErrSignMismatch},
		{"truncated sign", []string{"xxxxyyyy"}, good[:63], "1669872112", now, ErrSignMismatch},
		{"sign with a byte more", []string{"xxxxyyyy"}, good + "0", "1669872112", now, ErrSignMismatch},
		{"sign for another time", []string{"xxxxyyyy"}, Sign("xxxxyyyy", "1669872113"), "1669872112", now, ErrSignMismatch},
		{"missing sign", []string{"xxxxyyyy"}, "", "1669872112", now, ErrNotSigned},
		{"missing time", []string{"xxxxyyyy"}, good, "", now, ErrNotSigned},
		{"time in milliseconds", []string{"xxxxyyyy"}, Sign("xxxxyyyy", "1669872112000"), "1669872112000", now, ErrOutsideTime},
		{"time not a number", []string{"xxxxyyyy"}, good, "1669872112a", now, ErrBadTime},
		{"time with plus sign", []string{"xxxxyyyy"}, Sign("xxxxyyyy", "+1669872112"), "+1669872112", now, ErrBadTime},
		{"negative time", []string{"xxxxyyyy"}, good, "-1", now, ErrBadTime},
		{"time beyond int64", []string{"xxxxyyyy"}, good, "99999999999999999999", now, ErrBadTime},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			v := &Verifier{Tokens: tt.tokens, Tolerance: 60 * time.Second, Now: func() time.Time { return tt.now }}
			if err := v.Verify(tt.sign, tt.rtime); !errors.Is(err, tt.wantErr) {
				t.Fatalf("Verify = %v, want %v", err, tt.wantErr)
			}
		})
	}
}
