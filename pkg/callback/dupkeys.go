package callback

import (
	"reflect"
	"strconv"
	"strings"
	"sync"
	"unicode"
	"unicode/utf8"
)

// Duplicate names.
//
// JSON lets an object repeat a name and leaves the meaning to the reader: encoding/json keeps
// the last value, many other readers the first. A body that repeats a field the parser reads
// would then be archived (raw, verbatim) with one meaning and projected with another, and a
// sender could slip a second RoomId or EventTime past whichever check reads the other copy.
// Such a body is refused (ErrDuplicateField, 40008). encoding/json matches names without
// regard to case (Unicode simple folding) after undoing escapes, so "RoomId", "roomid",
// "Room\u0049d" and "ROOMID" all fill the same field and count as the same name here, as do
// names spelled with the two non-ASCII runes that fold to ASCII letters (the Kelvin sign K for
// k, the long s ſ for s). Repeats of names the parser does not read are left alone: they stay
// in the raw body as sent.

// fieldSet is the names the parser reads from one JSON object.
type fieldSet struct {
	// names are spelled as the wire struct's tags spell them (used in error messages). They
	// are ASCII (newFieldSet checks), so each one's fold, as encoding/json compares names, is
	// its ASCII upper case: lookup compares with that on the fly rather than keeping folded
	// copies, which cost a string per name to build.
	names []string
	// inner holds, per name, the set of the object its value is (or, when array is set, of
	// each object in the array its value is), or nil when the value is not read inside.
	inner []*fieldSet
	array []bool
}

// maxFolded bounds a name the scanner folds: longer names cannot be one of ours.
const maxFolded = 32

// maxNames is how many names one set holds: object keeps one bit of a uint64 per name.
const maxNames = 64

// newFieldSet builds the set of names, none read inside. Each name must be ASCII, without a
// backslash, and at most maxFolded bytes long: a name foldName gives back upper-cased.
func newFieldSet(names ...string) *fieldSet {
	if len(names) > maxNames {
		panic("callback: a fieldSet holds at most 64 names")
	}
	for _, n := range names {
		if len(n) > maxFolded || strings.ContainsFunc(n, func(r rune) bool { return r >= utf8.RuneSelf || r == '\\' }) {
			panic("callback: field name " + n + " cannot be folded")
		}
	}
	return &fieldSet{names: names, inner: make([]*fieldSet, len(names)), array: make([]bool, len(names))}
}

// within sets the set of name's object value (array false) or of each object of its array
// value (array true), and returns s.
func (s *fieldSet) within(name string, inner *fieldSet, array bool) *fieldSet {
	for i, n := range s.names {
		if n == name {
			s.inner[i], s.array[i] = inner, array
			return s
		}
	}
	panic("callback: no field " + name + " to read inside")
}

// fieldsOf derives the set of names a wire struct reads from its json tags: a field whose type
// is a struct (or a pointer to one) is read inside as an object, a slice of structs as an array
// of objects. Deriving it keeps the scanner and the parser in step by construction.
func fieldsOf(t reflect.Type) *fieldSet {
	var names []string
	var inner []*fieldSet
	var array []bool
	for i := range t.NumField() {
		f := t.Field(i)
		name, _, _ := strings.Cut(f.Tag.Get("json"), ",")
		if name == "" || name == "-" {
			continue
		}
		ft := deref(f.Type)
		var in *fieldSet
		arr := false
		switch {
		case ft.Kind() == reflect.Struct:
			in = fieldsOf(ft)
		case ft.Kind() == reflect.Slice && deref(ft.Elem()).Kind() == reflect.Struct:
			in, arr = fieldsOf(deref(ft.Elem())), true
		}
		names, inner, array = append(names, name), append(inner, in), append(array, arr)
	}
	s := newFieldSet(names...)
	copy(s.inner, inner)
	copy(s.array, array)
	return s
}

func deref(t reflect.Type) reflect.Type {
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	return t
}

// lazyFields is the set of names wire type W reads (fieldsOf), derived the first time a parser
// asks for it rather than at package init: init runs at every cold start, and an instance
// meets few of the commands (one handling create-room callbacks never needs the Live sets).
// Each is made by newLazyFields, which lists it for the tests; the set itself costs nothing at
// init.
type lazyFields[W any] struct {
	once sync.Once
	set  *fieldSet
}

// everyLazyFields is every lazyFields of the package, so that a test can build and check them
// all (TestFoldedEqual).
var everyLazyFields []interface{ get() *fieldSet }

// newLazyFields returns W's lazyFields, listed in everyLazyFields.
func newLazyFields[W any]() *lazyFields[W] {
	l := &lazyFields[W]{}
	everyLazyFields = append(everyLazyFields, l)
	return l
}

// get returns W's set, derived on the first call.
func (l *lazyFields[W]) get() *fieldSet {
	l.once.Do(func() { l.set = fieldsOf(reflect.TypeFor[W]()) })
	return l.set
}

// createRoomFields are the names wireCreated and wireRoomInfo read.
var createRoomFields = newLazyFields[wireCreated]()

// envelopeFields are the names wireEnvelope and wireEnvelopeRoomInfo read (RoomInfo is kept
// raw there, and read inside for its RoomId only). Every request reads the envelope, so it is
// built at init; it is small.
var envelopeFields = newFieldSet("CallbackCommand", "RoomId", "RoomInfo", "EventTime").
	within("RoomInfo", fieldsOf(reflect.TypeFor[wireEnvelopeRoomInfo]()), false)

// duplicateField returns the name of the first field of set that body's top-level object
// holds twice, as a path ("EventTime", "RoomInfo.RoomId"), or "" when there is none. It
// allocates nothing unless it finds one.
//
// body must be valid JSON (encoding/json has checked it by the time this runs); the scanner
// relies on that instead of checking syntax again, but on any other input it still returns
// without panicking.
func duplicateField(body []byte, set *fieldSet) string {
	s := scanner{b: body}
	s.space()
	if s.peek() != '{' {
		return ""
	}
	return s.object(set)
}

// scanner walks a valid JSON document without building anything.
type scanner struct {
	b []byte
	i int
}

func (s *scanner) peek() byte {
	if s.i < len(s.b) {
		return s.b[s.i]
	}
	return 0
}

func (s *scanner) space() {
	for s.i < len(s.b) {
		switch s.b[s.i] {
		case ' ', '\t', '\n', '\r':
			s.i++
		default:
			return
		}
	}
}

// object reads the object starting at s.i (its '{') up to and including its '}', and returns
// the path of the first repeated field of set, or "".
func (s *scanner) object(set *fieldSet) string {
	var seen uint64
	next := 0 // where lookup starts: the name after the last one found (Tencent's order)
	s.i++     // '{'
	for {
		s.space()
		if s.peek() != '"' { // '}' of an empty object (or the end of a broken document)
			s.i++
			return ""
		}
		start := s.i + 1
		end := s.str()
		k := set.lookup(s.b[start:end], next)
		if k >= 0 {
			next = k + 1
		}
		s.space()
		s.i++ // ':'
		s.space()
		switch {
		case k < 0:
			s.value()
		case seen&(1<<k) != 0:
			return set.names[k]
		case set.inner[k] != nil && !set.array[k] && s.peek() == '{':
			seen |= 1 << k
			if d := s.object(set.inner[k]); d != "" {
				return set.names[k] + "." + d
			}
		case set.inner[k] != nil && set.array[k] && s.peek() == '[':
			seen |= 1 << k
			if d := s.array(set.inner[k]); d != "" {
				return set.names[k] + d
			}
		default:
			seen |= 1 << k
			s.value()
		}
		s.space()
		c := s.peek()
		s.i++
		if c != ',' { // '}'
			return ""
		}
	}
}

// array reads the array starting at s.i (its '[') up to and including its ']', scanning each
// object in it with set, and returns the path of the first repeated field ("[2].Index"), or "".
func (s *scanner) array(set *fieldSet) string {
	s.i++ // '['
	for n := 0; ; n++ {
		s.space()
		switch s.peek() {
		case ']', 0:
			s.i++
			return ""
		case '{':
			if d := s.object(set); d != "" {
				return "[" + strconv.Itoa(n) + "]." + d
			}
		default:
			s.value()
		}
		s.space()
		c := s.peek()
		s.i++
		if c != ',' { // ']'
			return ""
		}
	}
}

// str skips the string starting at s.i (its opening quote) and returns the index of its
// closing quote; s.i is left just after it. (A byte loop: the strings of a callback are short,
// too short for bytes.IndexByte to pay for its call.)
func (s *scanner) str() int {
	for j := s.i + 1; j < len(s.b); j++ {
		switch s.b[j] {
		case '"':
			s.i = j + 1
			return j
		case '\\':
			j++ // the escaped byte, a quote or a backslash included
		}
	}
	s.i = len(s.b)
	return len(s.b)
}

// value skips one value: a string, a number, a literal, or a whole object or array.
func (s *scanner) value() {
	depth := 0
	for s.i < len(s.b) {
		switch s.b[s.i] {
		case '"':
			s.str()
			if depth == 0 {
				return
			}
			continue
		case '{', '[':
			depth++
		case '}', ']':
			if depth == 0 {
				return
			}
			if depth--; depth == 0 {
				s.i++
				return
			}
		case ',', ' ', '\t', '\n', '\r':
			if depth == 0 {
				return
			}
		}
		s.i++
	}
}

// lookup returns the index of the name raw (a string literal's content, escapes undone here)
// stands for, or -1. Names are tried from index from on, spelled as ours first: a body
// written by Tencent's serializer then costs one comparison per name.
func (set *fieldSet) lookup(raw []byte, from int) int {
	for j := range set.names {
		i := (from + j) % len(set.names)
		if string(raw) == set.names[i] {
			return i
		}
	}
	var buf [maxFolded]byte
	n, ok := foldName(&buf, raw)
	if !ok {
		return -1
	}
	key := buf[:n]
	for i, name := range set.names {
		if foldedEqual(key, name) {
			return i
		}
	}
	return -1
}

// foldedEqual reports whether key, a name folded by foldName, is the fold of name: name is
// ASCII (newFieldSet), so its fold is its ASCII upper case.
func foldedEqual(key []byte, name string) bool {
	if len(key) != len(name) {
		return false
	}
	for i := range len(key) {
		c := name[i]
		if 'a' <= c && c <= 'z' {
			c -= 'a' - 'A'
		}
		if key[i] != c {
			return false
		}
	}
	return true
}

// foldName writes raw into buf as encoding/json compares names: escapes undone, then each
// letter replaced by the smallest rune that folds to it (ASCII letters by their upper case).
// ok is false when the result is longer than buf or holds a rune outside ASCII: no name the
// parser reads can be such a name.
func foldName(buf *[maxFolded]byte, raw []byte) (n int, ok bool) {
	for i := 0; i < len(raw); {
		c := raw[i]
		var r rune
		switch {
		case c == '\\':
			if i+1 >= len(raw) {
				return 0, false
			}
			switch raw[i+1] {
			case '"', '\\', '/':
				r = rune(raw[i+1])
				i += 2
			case 'u':
				if i+6 > len(raw) {
					return 0, false
				}
				r = hex4(raw[i+2 : i+6])
				i += 6
				// A surrogate is half of a rune beyond the BMP (or, alone, U+FFFD): none
				// of those folds to ASCII.
				if r < 0 || (0xD800 <= r && r < 0xE000) {
					return 0, false
				}
			default: // \b \f \n \r \t: control characters, in none of our names
				return 0, false
			}
		case c < utf8.RuneSelf:
			r = rune(c)
			i++
		default:
			var size int
			r, size = utf8.DecodeRune(raw[i:])
			i += size
		}
		if r >= utf8.RuneSelf {
			r = smallestFold(r) // the Kelvin sign K is k, the long s ſ is s
			if r >= utf8.RuneSelf {
				return 0, false
			}
		}
		if 'a' <= r && r <= 'z' {
			r -= 'a' - 'A'
		}
		if n == len(buf) {
			return 0, false
		}
		buf[n] = byte(r)
		n++
	}
	return n, true
}

// smallestFold returns the smallest rune of r's case-folding orbit, as encoding/json folds
// names.
func smallestFold(r rune) rune {
	for {
		next := unicode.SimpleFold(r)
		if next <= r {
			return next
		}
		r = next
	}
}

// hex4 decodes four hex digits, or returns -1.
func hex4(b []byte) rune {
	var r rune
	for _, c := range b {
		switch {
		case '0' <= c && c <= '9':
			c -= '0'
		case 'a' <= c && c <= 'f':
			c = c - 'a' + 10
		case 'A' <= c && c <= 'F':
			c = c - 'A' + 10
		default:
			return -1
		}
		r = r<<4 | rune(c)
	}
	return r
}
