package jsonobject

import (
	"errors"
	"strconv"
)

// ErrNotObject is the error of a Reader whose input is valid JSON but not an object.
var ErrNotObject = errors.New("jsonobject: JSON value is not an object")

// A SyntaxError is the error of a Reader whose input is not valid JSON.
type SyntaxError struct {
	Offset int    // where the input stops being valid: the byte it cannot have, or its length
	msg    string // what is wrong there
}

func (e *SyntaxError) Error() string {
	return "jsonobject: " + e.msg + " at offset " + strconv.Itoa(e.Offset)
}

// Reader states: what the next call to Next reads.
const (
	stateStart = iota // the document's opening brace (or whatever is there instead)
	stateFirst        // just inside an object: its first member's key, or its closing brace
	stateValue        // a member's value, which the caller has not read
	stateAfter        // after a member's value: a comma and the next key, or a closing brace
	stateDone         // nothing: the document has ended, or was found not to be valid
)

// A Reader walks one JSON document that must be an object, member by member:
//
//	r := jsonobject.NewReader(data)
//	for r.Next() {
//		switch string(r.Key()) {
//		case "name":
//			v := r.Value() // the value's bytes, e.g. `"Ann"`
//		case "inner":
//			if r.Object() { // the value is an object: its members, then back here
//				for r.Next() { … }
//			}
//		}
//	}
//	if err := r.Err(); err != nil { … }
//
// A value the caller neither reads nor enters is walked (and checked) by the next call to
// Next. Object steps into a member's value: Next then yields that object's members and returns
// false at its closing brace, after which Next carries on with the enclosing object. A loop
// over an inner object must run until Next returns false.
//
// Only when Next has returned false for the document's own closing brace has every byte been
// checked: what follows the object may only be whitespace. Err then tells whether the input
// was a valid JSON object; after an error Next keeps returning false.
type Reader struct {
	data  []byte
	pos   int // the next byte to read
	depth int // objects entered and not yet closed, the document's own included
	state int
	key   []byte // the current member's key, between its quotes, escapes not undone
	keyAt int    // where the key's opening quote is
	value []byte // the current member's value, once Value has walked it
	err   error
}

// NewReader returns a Reader of the object in data. data is not copied: Key and Value return
// slices of it.
func NewReader(data []byte) Reader {
	return Reader{data: data}
}

// Next moves to the next member of the object being read and reports whether there is one;
// see Reader.
func (r *Reader) Next() bool {
	switch r.state {
	case stateDone:
		return false
	case stateStart:
		if !r.start() {
			return false
		}
	case stateValue:
		if r.Value(); r.state == stateDone {
			return false
		}
	}
	i := skipSpace(r.data, r.pos)
	if i >= len(r.data) {
		return r.fail(i, cutShort)
	}
	switch c := r.data[i]; {
	case c == '}':
		return r.close(i + 1)
	case r.state == stateAfter:
		if c != ',' {
			return r.fail(i, badByte)
		}
		i = skipSpace(r.data, i+1)
	}
	if i >= len(r.data) {
		return r.fail(i, cutShort)
	}
	if r.data[i] != '"' {
		return r.fail(i, badByte)
	}
	end, p := scanString(r.data, i)
	if p != fine {
		return r.fail(end, p)
	}
	r.key, r.keyAt, r.value = r.data[i+1:end-1], i, nil
	if i = skipSpace(r.data, end); i >= len(r.data) {
		return r.fail(i, cutShort)
	}
	if r.data[i] != ':' {
		return r.fail(i, badByte)
	}
	i = skipSpace(r.data, i+1)
	r.pos, r.state = i, stateValue
	return true
}

// start reads the document's opening brace. Anything else ends the reading: the rest is
// walked only to tell valid JSON (ErrNotObject) from invalid.
func (r *Reader) start() bool {
	i := skipSpace(r.data, 0)
	if i < len(r.data) && r.data[i] == '{' {
		r.pos, r.depth, r.state = i+1, 1, stateFirst
		return true
	}
	i, p := scanValue(r.data, i, 0)
	if p == fine {
		if i = skipSpace(r.data, i); i < len(r.data) {
			p = badByte
		} else {
			p = notAnObject
		}
	}
	return r.fail(i, p)
}

// close reads past the closing brace of the object being read, which ends at i.
func (r *Reader) close(i int) bool {
	r.depth--
	r.key, r.value = nil, nil
	if r.depth > 0 {
		r.pos, r.state = i, stateAfter
		return false
	}
	if i = skipSpace(r.data, i); i < len(r.data) {
		return r.fail(i, badByte)
	}
	r.pos, r.state = i, stateDone
	return false
}

// fail ends the reading with the problem p at offset i.
func (r *Reader) fail(i int, p problem) bool {
	switch {
	case p == notAnObject:
		r.err = ErrNotObject
	case p == cutShort || i >= len(r.data):
		r.err = &SyntaxError{Offset: i, msg: "unexpected end of JSON input"}
	case p == tooDeep:
		r.err = &SyntaxError{Offset: i, msg: "exceeded max depth"}
	default:
		r.err = &SyntaxError{Offset: i, msg: "invalid character " + strconv.QuoteRune(rune(r.data[i]))}
	}
	r.pos, r.state = i, stateDone
	r.key, r.value = nil, nil
	return false
}

// Key returns the current member's key as it is written between its quotes: escapes are not
// undone (see Names for matching keys as encoding/json does). It is nil when Next has not
// returned true.
func (r *Reader) Key() []byte { return r.key }

// KeyString returns the current member's key decoded as encoding/json decodes a map's keys
// (see String); "" when Next has not returned true. Only a key with an escape or a byte
// outside ASCII costs more than the copy.
func (r *Reader) KeyString() string {
	if r.key == nil {
		return ""
	}
	s, _ := String(r.data[r.keyAt : r.keyAt+len(r.key)+2])
	return s
}

// Value walks the current member's value and returns its bytes, without the whitespace around
// it: a string literal with its quotes, a number, true, false, null, or a whole array or
// object. It returns nil if the value is not valid JSON (Err then says why), and after Object
// has stepped into it.
func (r *Reader) Value() []byte {
	if r.state != stateValue {
		return r.value
	}
	end, p := scanValue(r.data, r.pos, r.depth)
	if p != fine {
		r.fail(end, p)
		return nil
	}
	r.value = r.data[r.pos:end]
	r.pos, r.state = end, stateAfter
	return r.value
}

// Object steps into the current member's value if it is an object, and reports whether it
// did; see Reader. Key and KeyString are then empty until Next moves to the object's first
// member. A value of another kind is left for Value (or Next) to walk.
func (r *Reader) Object() bool {
	if r.state != stateValue || r.pos >= len(r.data) || r.data[r.pos] != '{' {
		return false
	}
	if r.depth >= maxDepth {
		return r.fail(r.pos, tooDeep)
	}
	r.pos, r.depth, r.state = r.pos+1, r.depth+1, stateFirst
	r.key, r.value = nil, nil
	return true
}

// Err returns nil once the whole input has been read as a valid JSON object; ErrNotObject for
// valid JSON of another kind; a *SyntaxError for input that is not valid JSON. While the
// reading is not over it returns nil.
func (r *Reader) Err() error { return r.err }
