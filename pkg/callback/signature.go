package callback

import (
	"crypto/sha256"
	"crypto/subtle"
	"encoding/hex"
	"errors"
	"strconv"
	"time"
)

// Errors Verify returns, matched with errors.Is.
var (
	ErrNotSigned    = errors.New("Sign or RequestTime missing")
	ErrBadTime      = errors.New("RequestTime is not Unix seconds")
	ErrOutsideTime  = errors.New("RequestTime outside the tolerance")
	ErrSignMismatch = errors.New("Sign does not match any token")
)

// Sign computes Tencent's callback signature: lowercase hex of SHA-256 over the token followed
// by RequestTime, with no separator. It is a plain hash, not an HMAC, and it does not cover the
// body: it proves the sender knows the token, at that time.
func Sign(token, requestTime string) string {
	var sig [sha256.Size * 2]byte
	signInto(&sig, token, requestTime)
	return string(sig[:])
}

// signInto writes Sign(token, requestTime) into sig without allocating (for the usual token
// length), since every signed callback computes it once per configured token.
func signInto(sig *[sha256.Size * 2]byte, token, requestTime string) {
	var scratch [128]byte
	msg := append(append(scratch[:0], token...), requestTime...)
	sum := sha256.Sum256(msg)
	hex.Encode(sig[:], sum[:])
}

// Verifier checks Sign and RequestTime against the configured tokens.
type Verifier struct {
	// Tokens are the accepted callback tokens; several allow a rotation without downtime.
	Tokens []string
	// Tolerance is how far RequestTime may be from Now, in either direction.
	Tolerance time.Duration
	// Now is the clock; tests pin it.
	Now func() time.Time
}

// Verify returns nil when sign is the signature of requestTime under one of the tokens and
// requestTime is within the tolerance of now.
func (v *Verifier) Verify(sign, requestTime string) error {
	if sign == "" || requestTime == "" {
		return ErrNotSigned
	}
	secs, err := strconv.ParseInt(requestTime, 10, 64)
	if err != nil || secs <= 0 || requestTime[0] == '+' {
		return ErrBadTime
	}
	// Compare in seconds: a tolerance beyond the range of time.Duration cannot overflow here.
	diff := v.Now().Unix() - secs
	if diff < 0 {
		diff = -diff
	}
	if diff > int64(v.Tolerance/time.Second) {
		return ErrOutsideTime
	}
	// The expected value is lowercase hex, as Tencent sends it; any other spelling is refused
	// rather than normalised, since the sender never produces it.
	var want [sha256.Size * 2]byte
	match := 0
	for _, tok := range v.Tokens {
		signInto(&want, tok, requestTime)
		// Every token is compared, whether or not an earlier one matched, so timing does
		// not tell which token (or whether the first) is in use; the comparison of one token
		// reads every byte whatever differs (the length of Sign is no secret).
		if len(sign) == len(want) {
			var diff byte
			for i := range want {
				diff |= sign[i] ^ want[i]
			}
			match |= subtle.ConstantTimeByteEq(diff, 0)
		}
	}
	if match != 1 {
		return ErrSignMismatch
	}
	return nil
}
