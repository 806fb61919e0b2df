package jsonobject

import (
	"encoding/json"
	"testing"
)

// TestIntoFields: the field decoders agree with encoding/json on a field that already holds a
// value: what it holds after, and whether the value is accepted.
func TestIntoFields(t *testing.T) {
	for _, raw := range []string{`"x"`, `"a\u00e9\n"`, `null`, `true`, `false`, `1`, `[]`, `{}`, `"\ud800"`, `"`} {
		s, wantS := "before", "before"
		errS := json.Unmarshal([]byte(raw), &wantS)
		if ok := IntoString([]byte(raw), &s); ok != (errS == nil) || (ok && s != wantS) {
			t.Errorf("IntoString(%s) = %q, %v; encoding/json %q, %v", raw, s, ok, wantS, errS)
		}
		b, wantB := true, true
		errB := json.Unmarshal([]byte(raw), &wantB)
		if ok := IntoBool([]byte(raw), &b); ok != (errB == nil) || (ok && b != wantB) {
			t.Errorf("IntoBool(%s) = %v, %v; encoding/json %v, %v", raw, b, ok, wantB, errB)
		}
	}
	if !IsNull([]byte("null")) || IsNull([]byte(`"null"`)) || IsNull(nil) {
		t.Error("IsNull")
	}
}
