package jsonobject

// Names are the JSON names of the fields of a struct that encoding/json decodes into.
//
// encoding/json does not match member keys to fields byte for byte: it undoes the key's
// escapes, and when no field has exactly that name it takes one whose name is equal under
// Unicode case folding ("BODY", "Body" and "bod\u0079" all fill `json:"body"`, and so does a
// key spelled with the Kelvin sign for a k). A caller that reads members itself switches on the
// exact names and asks MayMatch about every other key, so that it can leave those few inputs
// to encoding/json instead of copying its folding rules.
type Names []string

// MayMatch reports whether encoding/json might fill one of the named fields from a member with
// this key (as Key returns it): the key has an escape or a byte outside ASCII, which only
// encoding/json's own rules can settle, or it equals a name when ASCII case is ignored.
func (n Names) MayMatch(key []byte) bool {
	for _, c := range key {
		if c == '\\' || c >= 0x80 {
			return true
		}
	}
	for _, name := range n {
		if len(name) == len(key) && equalFoldASCII(key, name) {
			return true
		}
	}
	return false
}

// equalFoldASCII reports whether a and b, both ASCII and of the same length, are equal when
// case is ignored.
func equalFoldASCII(a []byte, b string) bool {
	for i := range len(a) {
		x, y := a[i], b[i]
		if 'a' <= x && x <= 'z' {
			x -= 'a' - 'A'
		}
		if 'a' <= y && y <= 'z' {
			y -= 'a' - 'A'
		}
		if x != y {
			return false
		}
	}
	return true
}
