package callback

import (
	"bytes"
	"encoding/json"
	"errors"
	"reflect"
	"strconv"
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
			if got := duplicateField([]byte(tt.body), createRoomFields.get()); got != tt.create {
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

// TestDuplicateFieldRoomFamily is TestDuplicateField for the other parsers' field sets: the
// scanner, the reference and the table agree on where the first repeat is, inside RoomInfo and
// inside each object of SeatList too.
func TestDuplicateFieldRoomFamily(t *testing.T) {
	sets := map[string]struct {
		set   *fieldSet
		probe *probe
	}{
		"update":  {updateRoomFields.get(), updateRoomProbe},
		"destroy": {destroyRoomFields.get(), destroyProbe},
		"members": {memberFields.get(), membersProbe},
		"seats":   {seatFields.get(), seatsProbe},
	}
	tests := []struct {
		name, set, body, want string
	}{
		{"seats: golden", "seats", string(golden(t, CommandSeatChanged)), ""},
		{"seats: Index repeated in the second seat", "seats", `{"SeatList":[{"Index":1},{"Index":1,"Index":2}]}`, "SeatList[1].Index"},
		{"seats: Index repeated, case variant", "seats", `{"SeatList":[{"Index":1,"index":2}]}`, "SeatList[0].Index"},
		{"seats: Member_Account repeated, escaped", "seats", `{"SeatList":[{"Member_Account":"a","Member\u005fAccount":"b"}]}`, "SeatList[0].Member_Account"},
		{"seats: Kelvin sign", "seats", `{"SeatList":[{},{},{"IsTakenDisabled":true,"IsTa` + "\u212a" + `enDisabled":false}]}`, "SeatList[2].IsTakenDisabled"},
		{"seats: long s", "seats", `{"SeatList":[{"IsAudioDisabled":true,"I\u017fAudioDisabled":false}]}`, "SeatList[0].IsAudioDisabled"},
		{"seats: elements not objects are counted, not read", "seats", `{"SeatList":[null,1,"x",[{"Index":1,"Index":2}],{"Index":1,"INDEX":2}]}`, "SeatList[4].Index"},
		{"seats: SeatList an object is not read inside", "seats", `{"SeatList":{"Index":1,"Index":2}}`, ""},
		{"seats: SeatList repeated", "seats", `{"SeatList":[],"seatlist":[]}`, "SeatList"},
		{"seats: SeatList repeated, second not an array", "seats", `{"SeatList":[{"Index":1}],"SeatList":null}`, "SeatList"},
		{"seats: the same Index in two seats is no repeated field", "seats", `{"SeatList":[{"Index":1},{"Index":1}]}`, ""},
		{"seats: a repeat inside a seat comes before a later one", "seats", `{"SeatList":[{"Index":1,"Index":1}],"RoomId":"a","RoomId":"b"}`, "SeatList[0].Index"},
		{"seats: unknown fields in a seat repeated", "seats", `{"SeatList":[{"X":1,"X":2,"Index":1}]}`, ""},
		{"seats: nested objects in a seat are not read", "seats", `{"SeatList":[{"Extra":{"Index":1,"Index":2}}]}`, ""},
		{"seats: whitespace everywhere", "seats", " { \"SeatList\" : [ { \"Index\" : 1 } , { \"Index\" :2 ,\n\"index\" : 3 } ] } ", "SeatList[1].Index"},
		{"seats: RoomInfo is not a seat event's", "seats", `{"RoomInfo":{"RoomId":"a","RoomId":"b"},"RoomInfo":1}`, ""},
		{"members: golden", "members", string(golden(t, CommandMemberEnter)), ""},
		{"members: the list repeated", "members", `{"MemberList_Account":["a"],"memberlist_account":["b"]}`, "MemberList_Account"},
		{"members: an account twice is no repeated field", "members", `{"MemberList_Account":["a","a"]}`, ""},
		{"members: objects in the list are not read", "members", `{"MemberList_Account":[{"Type":1,"Type":2}]}`, ""},
		{"members: Reason repeated", "members", `{"Reason":"a","REASON":"b"}`, "Reason"},
		{"members: MemberCount repeated", "members", `{"MemberCount":1,"MemberCount":1}`, "MemberCount"},
		{"update: golden", "update", string(golden(t, CommandUpdateRoom)), ""},
		{"update: RoomInfo.RoomName repeated", "update", `{"RoomInfo":{"RoomId":"r","RoomName":"a","roomname":"b"}}`, "RoomInfo.RoomName"},
		{"update: a create-only field repeated", "update", `{"RoomInfo":{"CreateTime":1,"CreateTime":2}}`, "RoomInfo.CreateTime"},
		{"update: invitees are not an update's", "update", `{"ScheduleInviteeList_Account":[],"ScheduleInviteeList_Account":[]}`, ""},
		{"update: a top-level RoomId is not an update's", "update", `{"RoomId":"a","RoomId":"b"}`, ""},
		{"destroy: golden", "destroy", string(golden(t, CommandDestroyRoom)), ""},
		{"destroy: RoomId repeated", "destroy", `{"RoomId":"a","roomId":"b"}`, "RoomId"},
		{"destroy: RoomInfo is not a destroy's", "destroy", `{"RoomInfo":{"RoomId":"a","RoomId":"b"}}`, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if !json.Valid([]byte(tt.body)) {
				t.Fatalf("test body is not valid JSON: %s", tt.body)
			}
			s := sets[tt.set]
			if got := duplicateField([]byte(tt.body), s.set); got != tt.want {
				t.Errorf("scanner: got %q, want %q", got, tt.want)
			}
			if got := referenceDuplicate(t, []byte(tt.body), s.probe); got != tt.want {
				t.Errorf("reference: got %q, want %q", got, tt.want)
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

// wireSets are the field sets of the projected commands' parsers, each with the wire type the
// parser decodes into.
var wireSets = []struct {
	name string
	set  *fieldSet
	wire reflect.Type
}{
	{"create", createRoomFields.get(), reflect.TypeFor[wireCreated]()},
	{"update", updateRoomFields.get(), reflect.TypeFor[wireUpdated]()},
	{"destroy", destroyRoomFields.get(), reflect.TypeFor[wireDestroyed]()},
	{"members", memberFields.get(), reflect.TypeFor[wireMembers]()},
	{"seats", seatFields.get(), reflect.TypeFor[wireSeats]()},
}

// TestFieldSetsMatchWireTypes keeps the scanner's names the ones the parser reads: the json tags
// of the wire types, in order, at every level, read inside exactly where encoding/json decodes
// an object (RoomInfo) or an array of objects (SeatList).
func TestFieldSetsMatchWireTypes(t *testing.T) {
	var check func(path string, set *fieldSet, typ reflect.Type)
	check = func(path string, set *fieldSet, typ reflect.Type) {
		t.Helper()
		if got, want := set.names, tagNames(typ); !reflect.DeepEqual(got, want) {
			t.Fatalf("%s: scanner reads %v, parser %v", path, got, want)
		}
		for i := range set.names {
			ft := deref(typ.Field(i).Type)
			switch {
			case ft.Kind() == reflect.Struct:
				if set.inner[i] == nil || set.array[i] {
					t.Errorf("%s.%s: an object the parser reads inside, not scanned as one", path, set.names[i])
					continue
				}
				check(path+"."+set.names[i], set.inner[i], ft)
			case ft.Kind() == reflect.Slice && deref(ft.Elem()).Kind() == reflect.Struct:
				if set.inner[i] == nil || !set.array[i] {
					t.Errorf("%s.%s: an array of objects the parser reads inside, not scanned as one", path, set.names[i])
					continue
				}
				check(path+"."+set.names[i]+"[]", set.inner[i], deref(ft.Elem()))
			default:
				if set.inner[i] != nil || set.array[i] {
					t.Errorf("%s.%s: scanned inside, but the parser reads it whole", path, set.names[i])
				}
			}
		}
	}
	for _, w := range wireSets {
		check(w.name, w.set, w.wire)
	}
	// The nesting, stated by hand: what Tencent's bodies hold inside.
	nested := map[string][]string{
		"create": {"RoomInfo"}, "update": {"RoomInfo"}, "destroy": nil, "members": nil, "seats": {"SeatList[]"},
	}
	for _, w := range wireSets {
		var got []string
		for i, n := range w.set.names {
			switch {
			case w.set.inner[i] != nil && w.set.array[i]:
				got = append(got, n+"[]")
			case w.set.inner[i] != nil:
				got = append(got, n)
			}
		}
		if !reflect.DeepEqual(got, nested[w.name]) {
			t.Errorf("%s: scanned inside %v, want %v", w.name, got, nested[w.name])
		}
	}
	// The envelope reads RoomInfo raw, and only its RoomId inside.
	check("envelope.RoomInfo", envelopeFields.inner[2], reflect.TypeFor[wireEnvelopeRoomInfo]())
	if got, want := envelopeFields.names, tagNames(reflect.TypeFor[wireEnvelope]()); !reflect.DeepEqual(got, want) {
		t.Errorf("envelope: scanner reads %v, parser %v", got, want)
	}
}

// TestFoldedEqual: lookup compares a folded key with each name's ASCII upper case; that is
// the name as foldName folds it (what the sets once kept as folded copies), for every name of
// every set, at every level. And no other spelling of the fold matches.
func TestFoldedEqual(t *testing.T) {
	sets := []*fieldSet{envelopeFields}
	for _, l := range everyLazyFields {
		sets = append(sets, l.get())
	}
	if len(sets) < 16 {
		t.Fatalf("%d field sets; the parsers have 16", len(sets))
	}
	var walk func(*fieldSet)
	walk = func(set *fieldSet) {
		for i, name := range set.names {
			var buf [maxFolded]byte
			n, ok := foldName(&buf, []byte(name))
			if !ok {
				t.Fatalf("%s: foldName refuses it", name)
			}
			if !foldedEqual(buf[:n], name) {
				t.Errorf("%s: its fold %q does not match it", name, buf[:n])
			}
			if n > 0 && foldedEqual(buf[:n-1], name) {
				t.Errorf("%s: a shorter key %q matches it", name, buf[:n-1])
			}
			for j := range n {
				other := bytes.Clone(buf[:n])
				other[j]++
				if foldedEqual(other, name) {
					t.Errorf("%s: the key %q matches it", name, other)
				}
			}
			if set.inner[i] != nil {
				walk(set.inner[i])
			}
		}
	}
	for _, set := range sets {
		walk(set)
	}
	for _, bad := range []string{"Room\\Id", "Räum", strings.Repeat("A", maxFolded+1)} {
		func() {
			defer func() {
				if recover() == nil {
					t.Errorf("newFieldSet(%q) did not panic", bad)
				}
			}()
			newFieldSet(bad)
		}()
	}
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
	seats := golden(t, CommandSeatChanged)
	members := golden(t, CommandMemberLeave)
	if n := testing.AllocsPerRun(100, func() {
		if duplicateField(body, createRoomFields.get()) != "" || duplicateField(escaped, createRoomFields.get()) != "" ||
			duplicateField(body, envelopeFields) != "" || duplicateField(seats, seatFields.get()) != "" ||
			duplicateField(members, memberFields.get()) != "" {
			t.Fatal("false duplicate")
		}
	}); n != 0 {
		t.Fatalf("duplicateField allocates %v times per run", n)
	}
}

// probe describes the fields of one object for the reference: a struct type built from the
// wire type's tags, every field a *json.RawMessage, so that encoding/json itself says which
// field a name fills; inner holds, per field, the probe of the object it holds (or, array set,
// of each object of the array it holds), or nil.
type probe struct {
	typ   reflect.Type
	names []string
	inner []*probe
	array []bool
}

// probeOf builds the probe of a wire type: a field whose type is a struct is an object read
// inside, a slice of structs an array of objects read inside.
func probeOf(wire reflect.Type) *probe {
	p := &probe{names: tagNames(wire)}
	var fields []reflect.StructField
	for i, name := range p.names {
		fields = append(fields, reflect.StructField{
			Name: "F" + strconv.Itoa(i),
			Type: reflect.TypeFor[*json.RawMessage](),
			Tag:  reflect.StructTag(`json:"` + name + `"`),
		})
		ft := deref(wire.Field(i).Type)
		var in *probe
		arr := false
		switch {
		case ft.Kind() == reflect.Struct:
			in = probeOf(ft)
		case ft.Kind() == reflect.Slice && deref(ft.Elem()).Kind() == reflect.Struct:
			in, arr = probeOf(deref(ft.Elem())), true
		}
		p.inner, p.array = append(p.inner, in), append(p.array, arr)
	}
	p.typ = reflect.StructOf(fields)
	return p
}

var (
	createRoomProbe = probeOf(reflect.TypeFor[wireCreated]())
	updateRoomProbe = probeOf(reflect.TypeFor[wireUpdated]())
	destroyProbe    = probeOf(reflect.TypeFor[wireDestroyed]())
	membersProbe    = probeOf(reflect.TypeFor[wireMembers]())
	seatsProbe      = probeOf(reflect.TypeFor[wireSeats]())
	envelopeProbe   = func() *probe {
		p := probeOf(reflect.TypeFor[wireEnvelope]())
		p.inner[2] = probeOf(reflect.TypeFor[wireEnvelopeRoomInfo]()) // RoomInfo, kept raw, read for its RoomId
		return p
	}()
)

// probes pairs each field set with its reference.
var probes = []struct {
	name  string
	set   *fieldSet
	probe *probe
}{
	{"create", createRoomFields.get(), createRoomProbe},
	{"update", updateRoomFields.get(), updateRoomProbe},
	{"destroy", destroyRoomFields.get(), destroyProbe},
	{"members", memberFields.get(), membersProbe},
	{"seats", seatFields.get(), seatsProbe},
	{"envelope", envelopeFields, envelopeProbe},
}

// field returns the index of the field encoding/json fills from a member named name, or -1.
func (p *probe) field(t testing.TB, name string) int {
	key, err := json.Marshal(name)
	if err != nil {
		t.Fatal(err)
	}
	return p.fieldOfKey(t, string(key))
}

// fieldOfKey is field for a name given as a raw JSON string literal (escapes as written).
func (p *probe) fieldOfKey(t testing.TB, key string) int {
	v := reflect.New(p.typ)
	if err := json.Unmarshal([]byte(`{`+key+`:0}`), v.Interface()); err != nil {
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
		switch {
		case k >= 0 && p.inner[k] != nil && !p.array[k] && tok == json.Delim('{'):
			if d := referenceObject(t, dec, p.inner[k]); d != "" {
				return p.names[k] + "." + d
			}
		case k >= 0 && p.inner[k] != nil && p.array[k] && tok == json.Delim('['):
			if d := referenceArray(t, dec, p.inner[k]); d != "" {
				return p.names[k] + d
			}
		default:
			skipTokens(t, dec, tok)
		}
	}
	if _, err := dec.Token(); err != nil { // '}'
		t.Fatal(err)
	}
	return ""
}

// referenceArray reads the rest of an array whose '[' was read, each object in it with p.
func referenceArray(t testing.TB, dec *json.Decoder, p *probe) string {
	for i := 0; dec.More(); i++ {
		tok, err := dec.Token()
		if err != nil {
			t.Fatal(err)
		}
		if tok == json.Delim('{') {
			if d := referenceObject(t, dec, p); d != "" {
				return "[" + strconv.Itoa(i) + "]." + d
			}
			continue
		}
		skipTokens(t, dec, tok)
	}
	if _, err := dec.Token(); err != nil { // ']'
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
// every parser's field set, and checks that it never panics on anything else.
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
	for _, c := range goldenCommands {
		f.Add(golden(f, c))
	}
	for _, s := range []string{
		`{"SeatList":[{"Index":1},{"Index":1,"index":2}],"RoomId":"r"}`,
		`{"SeatList":[null,1,[{"Index":1,"Index":2}],{"Member_Account":"a","Member\u005fAccount":"b"}]}`,
		`{"SeatList":{"Index":1,"Index":2},"seatlist":[]}`,
		`{"MemberList_Account":["a","a"],"memberlist_account":[{"x":1,"x":1}]}`,
		`{"RoomInfo":{"RoomId":"r","RoomName":"a","roomname":"b"},"RoomId":"s"}`,
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		if !json.Valid(body) {
			for _, p := range probes {
				duplicateField(body, p.set) // must not panic or hang
			}
			return
		}
		for _, p := range probes {
			if got, want := duplicateField(body, p.set), referenceDuplicate(t, body, p.probe); got != want {
				t.Fatalf("%s fields of %q: scanner %q, reference %q", p.name, body, got, want)
			}
		}
	})
}

// BenchmarkDuplicateField is the scanner's share of the warm path, on the seed body.
func BenchmarkDuplicateField(b *testing.B) {
	body := []byte(seedBody)
	b.ReportAllocs()
	b.SetBytes(int64(len(body)))
	for b.Loop() {
		if duplicateField(body, createRoomFields.get()) != "" {
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
