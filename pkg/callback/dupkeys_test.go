package callback

import (
	"bytes"
	"encoding/json"
	"errors"
	"reflect"
	"strings"
	"testing"
)

func TestDuplicateField(t *testing.T) {
	const ri = `"RoomInfo":{"RoomId":"r"}`
	tests := []struct {
		name     string
		body     string
		create   string // duplicateField with createRoomFields
		envelope string // with envelopeFields
	}{
		{"seed", seedBody, "", ""},
		{"empty object", `{}`, "", ""},
		{"not an object", `[{"EventTime":1,"EventTime":2}]`, "", ""},
		{"top level", `{` + ri + `,"EventTime":1,"EventTime":2}`, "EventTime", "EventTime"},
		{"top level, same value", `{"EventTime":1,` + ri + `,"EventTime":1}`, "EventTime", "EventTime"},
		{"command", `{"CallbackCommand":"a","CallbackCommand":"a"}`, "CallbackCommand", "CallbackCommand"},
		{"operator", `{"Operator_Account":"a","Operator_Account":null}`, "Operator_Account", ""},
		{"invitees", `{"ScheduleInviteeList_Account":[],"ScheduleInviteeList_Account":["x"]}`, "ScheduleInviteeList_Account", ""},
		{"RoomInfo twice", `{` + ri + `,` + ri + `}`, "RoomInfo", "RoomInfo"},
		{"RoomInfo twice, second not an object", `{` + ri + `,"RoomInfo":null}`, "RoomInfo", "RoomInfo"},
		{"inside RoomInfo", `{"RoomInfo":{"RoomId":"a","RoomName":"n","RoomId":"b"},"EventTime":1}`, "RoomInfo.RoomId", "RoomInfo.RoomId"},
		{"inside RoomInfo, another field", `{"RoomInfo":{"RoomId":"a","CreateTime":1,"CreateTime":2}}`, "RoomInfo.CreateTime", ""},
		{"case variant", `{"RoomInfo":{"RoomId":"a","roomid":"b"}}`, "RoomInfo.RoomId", "RoomInfo.RoomId"},
		{"upper case variant", `{"EventTime":1,"EVENTTIME":2}`, "EventTime", "EventTime"},
		{"case variant of RoomInfo", `{` + ri + `,"roomInfo":{}}`, "RoomInfo", "RoomInfo"},
		{"escaped letter", `{"RoomInfo":{"RoomId":"a","Room\u0049d":"b"}}`, "RoomInfo.RoomId", "RoomInfo.RoomId"},
		{"escaped lower-case letter", `{"EventTime":1,"\u0065ventTime":2}`, "EventTime", "EventTime"},
		{"escaped solidus is not a letter", `{"EventTime":1,"Event\/Time":2}`, "", ""},
		{"kelvin sign folds to k", `{"CallbackCommand":"a","Callbac` + "\u212a" + `Command":"b"}`, "CallbackCommand", "CallbackCommand"},
		{"escaped kelvin sign", `{"CallbackCommand":"a","Callbac\u212ACommand":"b"}`, "CallbackCommand", "CallbackCommand"},
		{"long s folds to s", `{"MaxSeatCount":1,"RoomInfo":{"MaxSeatCount":1,"MaxSeatCount":2}}`, "RoomInfo.MaxSeatCount", ""},
		{"long s in a name", `{"RoomInfo":{"IsSeatEnabled":true,"I` + "\u017f" + `SeatEnabled":false}}`, "RoomInfo.IsSeatEnabled", ""},
		{"dotted capital I is not I", `{"RoomInfo":{"RoomId":"a","RoomİD":"b"}}`, "", ""},
		{"dotless i is not i", `{"RoomInfo":{"RoomId":"a","Roomıd":"b"}}`, "", ""},
		{"surrogate pair", `{"EventTime":1,"EventTime\ud83d\ude00":2}`, "", ""},
		{"lone surrogate", `{"EventTime":1,"EventTim\ud800":2}`, "", ""},
		{"trailing space is another name", `{"EventTime":1,"EventTime ":2}`, "", ""},
		{"underscore counts", `{"Operator_Account":"a","OperatorAccount":"b"}`, "", ""},
		{"unknown field repeated", `{"Extra":1,"Extra":2,` + ri + `}`, "", ""},
		{"unknown field inside RoomInfo repeated", `{"RoomInfo":{"RoomId":"a","Future":1,"Future":2}}`, "", ""},
		{"RoomInfo field at top level is another field", `{"RoomId":"a","RoomInfo":{"RoomId":"a"}}`, "", ""},
		{"top-level RoomId repeated", `{"RoomId":"a","roomId":"b"}`, "", "RoomId"},
		{"names in nested values are not fields", `{"Extra":{"EventTime":1,"EventTime":2},"RoomInfo":{"CustomInfo":{"RoomId":1,"RoomId":2}},"EventTime":[{"EventTime":1},{"EventTime":1}]}`, "", ""},
		{"RoomInfo not an object", `{"RoomInfo":[{"RoomId":1,"RoomId":2}]}`, "", ""},
		{"strings hold quotes, braces and backslashes", `{"Extra":"\"}{\\","EventTime":1,"X":"\\\\\"","EventTime":2}`, "EventTime", "EventTime"},
		{"name with an escaped quote", `{"Event\"Time":1,"EventTime":2}`, "", ""},
		{"whitespace everywhere", " \n{ \"EventTime\" :\t1 ,\r\n \"RoomInfo\" : { \"RoomId\" : \"a\" , \"roomid\" : [ ] } } ", "RoomInfo.RoomId", "RoomInfo.RoomId"},
		{"first repeat in document order", `{"RoomInfo":{"RoomId":"a","RoomId":"b"},"EventTime":1,"EventTime":2}`, "RoomInfo.RoomId", "RoomInfo.RoomId"},
		{"numbers no float64 holds", `{"X":1E700,"EventTime":-1e-999,"eventTime":1E700}`, "EventTime", "EventTime"},
		{"long unknown name", `{"` + strings.Repeat("EventTime", 5) + `":1,"EventTime":2}`, "", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if !json.Valid([]byte(tt.body)) {
				t.Fatalf("test body is not valid JSON: %s", tt.body)
			}
			if got := duplicateField([]byte(tt.body), createRoomFields); got != tt.create {
				t.Errorf("create-room fields: got %q, want %q", got, tt.create)
			}
			if got := duplicateField([]byte(tt.body), envelopeFields); got != tt.envelope {
				t.Errorf("envelope fields: got %q, want %q", got, tt.envelope)
			}
			// The reference must agree with the table too, or the table is wrong.
			if got := referenceDuplicate(t, []byte(tt.body), createRoomProbe); got != tt.create {
				t.Errorf("reference, create-room fields: got %q, want %q", got, tt.create)
			}
			if got := referenceDuplicate(t, []byte(tt.body), envelopeProbe); got != tt.envelope {
				t.Errorf("reference, envelope fields: got %q, want %q", got, tt.envelope)
			}
		})
	}
}

// TestParseDuplicates checks that both parsers refuse a repeated field with ErrDuplicateField
// naming it, before any problem with the values, and leave other repeats alone.
func TestParseDuplicates(t *testing.T) {
	tests := []struct {
		name           string
		body           string
		create, envErr error
		field          string
	}{
		{"EventTime twice", `{"RoomInfo":{"RoomId":"r"},"EventTime":1,"EventTime":2}`, ErrDuplicateField, ErrDuplicateField, "EventTime"},
		{"RoomId twice, last empty", `{"RoomInfo":{"RoomId":"r","RoomId":""},"EventTime":1}`, ErrDuplicateField, ErrDuplicateField, "RoomInfo.RoomId"},
		{"repeat reported before a type error", `{"RoomInfo":{"RoomId":"r"},"EventTime":"soon","eventtime":1}`, ErrDuplicateField, ErrDuplicateField, "EventTime"},
		{"repeat reported before a type error in RoomInfo", `{"RoomInfo":{"RoomId":"r","MaxMemberCount":true,"MaxMemberCount":1},"EventTime":1}`, ErrDuplicateField, nil, "RoomInfo.MaxMemberCount"},
		{"syntax error wins", `{"EventTime":1,"EventTime":2`, ErrNotObject, ErrNotObject, ""},
		{"unknown field repeated", `{"RoomInfo":{"RoomId":"r","X":1,"X":2},"Y":[],"Y":{},"EventTime":1}`, nil, nil, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := ParseCreateRoom([]byte(tt.body))
			if !errors.Is(err, tt.create) || (tt.create == nil) != (err == nil) {
				t.Fatalf("ParseCreateRoom: err = %v, want %v", err, tt.create)
			}
			if err != nil && !strings.Contains(err.Error(), tt.field) {
				t.Fatalf("ParseCreateRoom: err %q does not name %q", err, tt.field)
			}
			_, err = ParseEnvelope([]byte(tt.body))
			if !errors.Is(err, tt.envErr) || (tt.envErr == nil) != (err == nil) {
				t.Fatalf("ParseEnvelope: err = %v, want %v", err, tt.envErr)
			}
		})
	}
}

// TestFieldSetsMatchWireTypes keeps the scanner's names the ones the parser reads: the json tags
// of the wire types, in order.
func TestFieldSetsMatchWireTypes(t *testing.T) {
	check := func(set *fieldSet, typ reflect.Type, nested string, inner reflect.Type) {
		t.Helper()
		if got, want := set.names, tagNames(typ); !reflect.DeepEqual(got, want) {
			t.Errorf("%s: scanner reads %v, parser %v", typ.Name(), got, want)
		}
		if nested == "" {
			if set.nested != -1 || set.inner != nil {
				t.Errorf("%s: nothing is nested", typ.Name())
			}
			return
		}
		if set.nested < 0 || set.names[set.nested] != nested || set.inner == nil {
			t.Fatalf("%s: %s must be scanned inside", typ.Name(), nested)
		}
		if got, want := set.inner.names, tagNames(inner); !reflect.DeepEqual(got, want) {
			t.Errorf("%s.%s: scanner reads %v, parser %v", typ.Name(), nested, got, want)
		}
	}
	check(createRoomFields, reflect.TypeFor[wireCreated](), "RoomInfo", reflect.TypeFor[wireRoomInfo]())
	check(envelopeFields, reflect.TypeFor[wireEnvelope](), "RoomInfo", reflect.TypeFor[wireEnvelopeRoomInfo]())
}

func tagNames(typ reflect.Type) []string {
	var out []string
	for f := range typ.Fields() {
		name, _, _ := strings.Cut(f.Tag.Get("json"), ",")
		out = append(out, name)
	}
	return out
}

func TestDuplicateFieldAllocatesNothing(t *testing.T) {
	body := []byte(seedBody)
	escaped := []byte(`{"Room\u0049nfo":{"Room\u0049d":"r","Ca\u017ftomInfo":"x"},"EventTime":1,"Extra":{"EventTime":1}}`)
	if n := testing.AllocsPerRun(100, func() {
		if duplicateField(body, createRoomFields) != "" || duplicateField(escaped, createRoomFields) != "" ||
			duplicateField(body, envelopeFields) != "" {
			t.Fatal("false duplicate")
		}
	}); n != 0 {
		t.Fatalf("duplicateField allocates %v times per run", n)
	}
}

// probe describes the fields of one object for the reference: a struct type built from the
// wire type's tags, every field a *json.RawMessage, so that encoding/json itself says which
// field a name fills.
type probe struct {
	typ    reflect.Type
	names  []string
	nested int // index of the field scanned inside, or -1
	inner  *probe
}

func newProbe(wire reflect.Type, nested string, inner *probe) *probe {
	p := &probe{names: tagNames(wire), nested: -1, inner: inner}
	var fields []reflect.StructField
	for i, name := range p.names {
		fields = append(fields, reflect.StructField{
			Name: "F" + string(rune('A'+i)),
			Type: reflect.TypeFor[*json.RawMessage](),
			Tag:  reflect.StructTag(`json:"` + name + `"`),
		})
		if name == nested {
			p.nested = i
		}
	}
	p.typ = reflect.StructOf(fields)
	return p
}

var (
	createRoomProbe = newProbe(reflect.TypeFor[wireCreated](), "RoomInfo", newProbe(reflect.TypeFor[wireRoomInfo](), "", nil))
	envelopeProbe   = newProbe(reflect.TypeFor[wireEnvelope](), "RoomInfo", newProbe(reflect.TypeFor[wireEnvelopeRoomInfo](), "", nil))
)

// field returns the index of the field encoding/json fills from a member named name, or -1.
func (p *probe) field(t testing.TB, name string) int {
	key, err := json.Marshal(name)
	if err != nil {
		t.Fatal(err)
	}
	v := reflect.New(p.typ)
	if err := json.Unmarshal([]byte(`{`+string(key)+`:0}`), v.Interface()); err != nil {
		t.Fatal(err)
	}
	for i := range p.names {
		if !v.Elem().Field(i).IsNil() {
			return i
		}
	}
	return -1
}

// referenceDuplicate is the scanner's reference: json.Decoder tokens walk the document, and
// encoding/json attributes each name to a field. It returns the path of the first repeat, in
// document order, or "". body must be valid JSON.
func referenceDuplicate(t testing.TB, body []byte, p *probe) string {
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.UseNumber() // a number no float64 holds (1E700) is still valid JSON
	tok, err := dec.Token()
	if err != nil {
		t.Fatal(err)
	}
	if tok != json.Delim('{') {
		return ""
	}
	return referenceObject(t, dec, p)
}

// referenceObject reads the rest of an object whose '{' was read.
func referenceObject(t testing.TB, dec *json.Decoder, p *probe) string {
	seen := map[int]bool{}
	for dec.More() {
		tok, err := dec.Token()
		if err != nil {
			t.Fatal(err)
		}
		k := p.field(t, tok.(string))
		if k >= 0 && seen[k] {
			return p.names[k]
		}
		seen[k] = true
		tok, err = dec.Token()
		if err != nil {
			t.Fatal(err)
		}
		if k >= 0 && k == p.nested && tok == json.Delim('{') {
			if d := referenceObject(t, dec, p.inner); d != "" {
				return p.names[k] + "." + d
			}
			continue
		}
		skipTokens(t, dec, tok)
	}
	if _, err := dec.Token(); err != nil { // '}'
		t.Fatal(err)
	}
	return ""
}

// skipTokens reads the rest of a value whose first token is tok.
func skipTokens(t testing.TB, dec *json.Decoder, tok json.Token) {
	if tok != json.Delim('{') && tok != json.Delim('[') {
		return
	}
	for depth := 1; depth > 0; {
		tok, err := dec.Token()
		if err != nil {
			t.Fatal(err)
		}
		switch tok {
		case json.Delim('{'), json.Delim('['):
			depth++
		case json.Delim('}'), json.Delim(']'):
			depth--
		}
	}
}

// FuzzDuplicateField compares the scanner with the reference on every valid JSON document, for
// both field sets, and checks that it never panics on anything else.
func FuzzDuplicateField(f *testing.F) {
	for _, s := range []string{
		seedBody,
		`{"RoomInfo":{"RoomId":"a","roomid":"b"},"EventTime":1}`,
		`{"EventTime":1,"\u0065ventTime":2,"RoomInfo":{"Room\u0049d":"r"}}`,
		`{"CallbackCommand":"a","Callbac` + "\u212a" + `Command":"b"}`,
		`{"RoomInfo":{"IsSeatEnabled":true,"I` + "\u017f" + `SeatEnabled":false}}`,
		`{"Extra":"\"}{\\","X":{"EventTime":[1,{"a":"]"}]},"EventTime":1,"EventTime":2}`,
		`{"RoomId":7,"RoomInfo":{"RoomId":"x"},"RoomInfo":[]}`,
		`{"EventTime\ud83d\ude00":1,"EventTim\ud800":2}`,
		`{"RoomInfo":null}`, `[]`, `{}`, `"x"`, `{"a`, `{"RoomInfo":{"RoomId`, `1E700`, `{"X":[1E700],"EventTime":1E700}`,
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		if !json.Valid(body) {
			duplicateField(body, createRoomFields) // must not panic or hang
			duplicateField(body, envelopeFields)
			return
		}
		if got, want := duplicateField(body, createRoomFields), referenceDuplicate(t, body, createRoomProbe); got != want {
			t.Fatalf("create-room fields of %q: scanner %q, reference %q", body, got, want)
		}
		if got, want := duplicateField(body, envelopeFields), referenceDuplicate(t, body, envelopeProbe); got != want {
			t.Fatalf("envelope fields of %q: scanner %q, reference %q", body, got, want)
		}
	})
}

// BenchmarkDuplicateField is the scanner's share of the warm path, on the seed body.
func BenchmarkDuplicateField(b *testing.B) {
	body := []byte(seedBody)
	b.ReportAllocs()
	b.SetBytes(int64(len(body)))
	for b.Loop() {
		if duplicateField(body, createRoomFields) != "" {
			b.Fatal("false duplicate")
		}
	}
}

// BenchmarkParseCreateRoom is the whole parse of the seed body, the scanner included, for
// scale.
func BenchmarkParseCreateRoom(b *testing.B) {
	body := []byte(seedBody)
	b.ReportAllocs()
	b.SetBytes(int64(len(body)))
	for b.Loop() {
		if _, err := ParseCreateRoom(body); err != nil {
			b.Fatal(err)
		}
	}
}
