package jsonobject

import (
	"encoding/json"
	"errors"
	"reflect"
	"strings"
	"testing"
)

// member is one member as a Reader yields it; path names the objects Object stepped into, by
// their keys as KeyString decodes them.
type member struct{ path, key, value string }

// walk reads data with a Reader, stepping into every object value when enter is set and
// reading every other value with Value; with enter unset, every other value is left to Next.
func walk(data []byte, enter bool) ([]member, error) {
	var out []member
	r := NewReader(data)
	var read func(path string)
	read = func(path string) {
		for r.Next() {
			key, name := string(r.Key()), r.KeyString()
			switch {
			case enter && r.Object():
				out = append(out, member{path, key, "{…}"})
				read(path + name + ".")
			case enter:
				out = append(out, member{path, key, string(r.Value())})
			default:
				out = append(out, member{path, key, ""})
			}
		}
	}
	read("")
	return out, r.Err()
}

// TestValidity holds the Reader to json.Valid on inputs chosen at the edges of the grammar;
// want is what the Reader must say ("ok", "not object" or "syntax"), and the table itself is
// checked against encoding/json.
func TestValidity(t *testing.T) {
	tests := []struct {
		name, in, want string
	}{
		{"empty object", `{}`, "ok"},
		{"empty object with space", " \t\r\n{ \t\r\n} \t\r\n", "ok"},
		{"one member", `{"a":1}`, "ok"},
		{"every kind of value", `{"s":"x","n":-1.5e+3,"t":true,"f":false,"z":null,"a":[1,[],{}],"o":{"p":{}}}`, "ok"},
		{"spaces everywhere", "{ \"a\" : [ 1 , { \"b\" : null } ] , \"c\" : \"\" }", "ok"},
		{"duplicate keys", `{"a":1,"a":2}`, "ok"},
		{"escapes", `{"\"\\\/\b\f\n\r\t":"\u0041\u00e9\uD83D\uDE00"}`, "ok"},
		{"lone surrogates", `{"a":"\uD800","b":"\uDC00x","c":"\uD800\u0041"}`, "ok"},
		{"invalid UTF-8 in a string", "{\"a\":\"\xff\xfe\xed\xa0\x80\"}", "ok"},
		{"invalid UTF-8 in a key", "{\"\xc0\":1}", "ok"},
		{"DEL and non-ASCII raw", "{\"a\":\"\x7f é 😀\"}", "ok"},
		{"number -0", `{"a":-0}`, "ok"},
		{"number 0.5", `{"a":0.5}`, "ok"},
		{"number 1e5", `{"a":1e5}`, "ok"},
		{"number 1E-5", `{"a":1E-5}`, "ok"},
		{"number 1e+05", `{"a":1e+05}`, "ok"},
		{"number huge", `{"a":1e999999,"b":123456789012345678901234567890}`, "ok"},
		{"number 01", `{"a":01}`, "syntax"},
		{"number -01", `{"a":-01}`, "syntax"},
		{"number +1", `{"a":+1}`, "syntax"},
		{"number .5", `{"a":.5}`, "syntax"},
		{"number 1.", `{"a":1.}`, "syntax"},
		{"number 1.e5", `{"a":1.e5}`, "syntax"},
		{"number 1e", `{"a":1e}`, "syntax"},
		{"number 1e+", `{"a":1e+}`, "syntax"},
		{"number -", `{"a":-}`, "syntax"},
		{"number 0x1", `{"a":0x1}`, "syntax"},
		{"number NaN", `{"a":NaN}`, "syntax"},
		{"number in array 1 2", `{"a":[1 2]}`, "syntax"},
		{"literal tru", `{"a":tru}`, "syntax"},
		{"literal truex", `{"a":truex}`, "syntax"},
		{"literal True", `{"a":True}`, "syntax"},
		{"literal nul at end", `{"a":nul`, "syntax"},
		{"bad escape", `{"a":"\x"}`, "syntax"},
		{"single-quote escape", `{"a":"\'"}`, "syntax"},
		{"short unicode escape", `{"a":"\u12"}`, "syntax"},
		{"bad hex in escape", `{"a":"\u12g4"}`, "syntax"},
		{"control character in a string", "{\"a\":\"\x01\"}", "syntax"},
		{"tab in a string", "{\"a\":\"\t\"}", "syntax"},
		{"unterminated string", `{"a":"abc`, "syntax"},
		{"unterminated key", `{"a`, "syntax"},
		{"escape at the end", `{"a":"\`, "syntax"},
		{"trailing comma", `{"a":1,}`, "syntax"},
		{"trailing comma in array", `{"a":[1,]}`, "syntax"},
		{"missing colon", `{"a" 1}`, "syntax"},
		{"missing value", `{"a":}`, "syntax"},
		{"missing comma", `{"a":1 "b":2}`, "syntax"},
		{"unquoted key", `{a:1}`, "syntax"},
		{"number key", `{1:1}`, "syntax"},
		{"unclosed object", `{"a":1`, "syntax"},
		{"unclosed inner", `{"a":{"b":1}`, "syntax"},
		{"mismatched brackets", `{"a":[}`, "syntax"},
		{"mismatched braces", `{"a":{]}`, "syntax"},
		{"trailing garbage", `{"a":1}x`, "syntax"},
		{"two objects", `{}{}`, "syntax"},
		{"trailing NUL", "{}\x00", "syntax"},
		{"form feed is not space", "{\f}", "syntax"},
		{"non-breaking space is not space", "{\u00a0}", "syntax"},
		{"BOM", "\ufeff{}", "syntax"},
		{"empty input", ``, "syntax"},
		{"only space", `  `, "syntax"},
		{"lone brace", `{`, "syntax"},
		{"closing brace", `}`, "syntax"},
		{"array", `[1,2]`, "not object"},
		{"string", ` "x" `, "not object"},
		{"number", `-0.5e1`, "not object"},
		{"null", `null`, "not object"},
		{"true", `true`, "not object"},
		{"array then garbage", `[1] x`, "syntax"},
		{"number then garbage", `1 2`, "syntax"},
		{"bad array", `[1,`, "syntax"},
		{"top-level 01", `01`, "syntax"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if valid := json.Valid([]byte(tt.in)); valid != (tt.want != "syntax") {
				t.Fatalf("the table is wrong: json.Valid = %v", valid)
			}
			for _, enter := range []bool{false, true} {
				_, err := walk([]byte(tt.in), enter)
				var syntax *SyntaxError
				got := "ok"
				switch {
				case errors.Is(err, ErrNotObject):
					got = "not object"
				case errors.As(err, &syntax):
					got = "syntax"
					if syntax.Offset < 0 || syntax.Offset > len(tt.in) {
						t.Errorf("offset %d out of the input", syntax.Offset)
					}
				case err != nil:
					t.Fatalf("unexpected error %T %v", err, err)
				}
				if got != tt.want {
					t.Errorf("enter=%v: got %s (%v), want %s", enter, got, err, tt.want)
				}
			}
		})
	}
}

// TestMembers checks what a Reader yields: keys as written, values without the space around
// them, members of entered objects, and duplicates each in turn.
func TestMembers(t *testing.T) {
	tests := []struct {
		name string
		in   string
		want []member
	}{
		{"empty", ` { } `, nil},
		{"values as written", `{ "s" : "a\"b" , "n":-1.5E+3 ,"t":true,"z" :null, "a":[ 1 , {} ] }`, []member{
			{"", "s", `"a\"b"`}, {"", "n", `-1.5E+3`}, {"", "t", "true"}, {"", "z", "null"}, {"", "a", "[ 1 , {} ]"},
		}},
		{"escaped key kept as written", `{"b\u006fdy":1,"\\":2}`, []member{{"", `b\u006fdy`, "1"}, {"", `\\`, "2"}}},
		{"duplicates in order", `{"a":1,"a":{"a":2},"a":3}`, []member{
			{"", "a", "1"}, {"", "a", "{…}"}, {"a.", "a", "2"}, {"", "a", "3"},
		}},
		{"nested objects", `{"r":{"x":{"y":"z"},"e":{}},"after":0}`, []member{
			{"", "r", "{…}"}, {"r.", "x", "{…}"}, {"r.x.", "y", `"z"`}, {"r.", "e", "{…}"}, {"", "after", "0"},
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := walk([]byte(tt.in), true)
			if err != nil {
				t.Fatal(err)
			}
			if len(got) != len(tt.want) {
				t.Fatalf("got %q, want %q", got, tt.want)
			}
			for i := range got {
				if got[i] != tt.want[i] {
					t.Errorf("member %d: got %q, want %q", i, got[i], tt.want[i])
				}
			}
		})
	}
}

// TestDepth checks encoding/json's nesting limit, 10000 arrays and objects, both in skipped
// values (whose walk goes past the 64 levels it tracks in one word) and through Object.
func TestDepth(t *testing.T) {
	// nest returns an object holding levels arrays and objects in all, itself included; the
	// inner ones are objects where object(level) says so, arrays elsewhere.
	nest := func(levels int, object func(level int) bool) []byte {
		var open, close strings.Builder
		open.WriteString(`{"v":`)
		for l := 2; l <= levels; l++ {
			if object(l) {
				open.WriteString(`{"k":`)
			} else {
				open.WriteString("[")
			}
		}
		for l := levels; l >= 2; l-- {
			if object(l) {
				close.WriteString("}")
			} else {
				close.WriteString("]")
			}
		}
		return []byte(open.String() + "0" + close.String() + "}")
	}
	kinds := map[string]func(int) bool{
		"arrays":  func(int) bool { return false },
		"objects": func(int) bool { return true },
		"mixed":   func(l int) bool { return l%3 == 0 },
	}
	for name, object := range kinds {
		for _, levels := range []int{2, 64, 65, 66, 129, maxDepth - 1, maxDepth, maxDepth + 1} {
			in := nest(levels, object)
			valid := json.Valid(in)
			if valid != (levels <= maxDepth) {
				t.Fatalf("encoding/json's limit is not maxDepth: %s × %d valid %v", name, levels, valid)
			}
			for _, enter := range []bool{false, true} {
				_, err := walk(in, enter)
				if (err == nil) != valid {
					t.Errorf("%s × %d (enter=%v): err %v, json.Valid %v", name, levels, enter, err, valid)
				}
			}
		}
	}
}

// TestKeyString checks keys decoded as encoding/json decodes a map's keys.
func TestKeyString(t *testing.T) {
	in := "{\"plain\":0,\"\":1,\"a\\u0042\\n\":2,\"\\uD83D\\uDE00\\uD800\":3,\"\xff\":4}"
	var want map[string]int
	if err := json.Unmarshal([]byte(in), &want); err != nil {
		t.Fatal(err)
	}
	r := NewReader([]byte(in))
	if r.KeyString() != "" {
		t.Error("a key before the first member")
	}
	n := 0
	for r.Next() {
		k := r.KeyString()
		if v, ok := want[k]; !ok || string(r.Value()) != string(rune('0'+v)) {
			t.Errorf("key %q (raw %q) is not encoding/json's", k, r.Key())
		}
		n++
	}
	if r.Err() != nil || n != len(want) {
		t.Errorf("%d keys, err %v", n, r.Err())
	}
}

// TestStopsAtFirstError checks that after an error every call is inert.
func TestStopsAtFirstError(t *testing.T) {
	r := NewReader([]byte(`{"a":[1,}`))
	if !r.Next() || string(r.Key()) != "a" {
		t.Fatal("first member not read")
	}
	if v := r.Value(); v != nil {
		t.Errorf("Value of a broken value = %q", v)
	}
	for range 3 {
		if r.Next() || r.Object() || r.Key() != nil || r.Value() != nil {
			t.Fatal("the reader went on after an error")
		}
	}
	var syntax *SyntaxError
	if !errors.As(r.Err(), &syntax) || syntax.Offset != 8 {
		t.Errorf("Err = %v, want a SyntaxError at offset 8", r.Err())
	}
}

// TestNoAllocations checks that reading a valid object, skipped values and entered ones,
// allocates nothing.
func TestNoAllocations(t *testing.T) {
	data := []byte(`{"headers":{"A":"b","C":["d","e"]},"n":-1.5e3,"ctx":{"id":"x\u0041","http":{"m":"POST"},"l":[true,false,null]},"body":"{\"a\":1}"}`)
	allocs := testing.AllocsPerRun(100, func() {
		r := NewReader(data)
		for r.Next() {
			if string(r.Key()) == "ctx" && r.Object() {
				for r.Next() {
					if r.Object() {
						for r.Next() {
							r.Value()
						}
					}
				}
			}
		}
		if r.Err() != nil {
			t.Fatal(r.Err())
		}
	})
	if allocs != 0 {
		t.Errorf("%v allocations per read", allocs)
	}
}

// TestString checks String against encoding/json's decoding of the same literals.
func TestString(t *testing.T) {
	tests := []struct {
		name, in string
		ok       bool
	}{
		{"empty", `""`, true},
		{"plain", `"abc"`, true},
		{"non-ASCII", `"é 中文 😀"`, true},
		{"short escapes", `"\"\\\/\b\f\n\r\t"`, true},
		{"unicode escapes", `"\u0041\u00e9\u4e2d"`, true},
		{"NUL escape", `"\u0000"`, true},
		{"surrogate pair", `"\uD83D\uDE00"`, true},
		{"lone high surrogate", `"\uD83Dx"`, true},
		{"lone high surrogate at the end", `"\uD83D"`, true},
		{"lone low surrogate", `"\uDE00"`, true},
		{"two high surrogates", `"\uD83D\uD83D\uDE00"`, true},
		{"high then escape", `"\uD83D\n"`, true},
		{"invalid UTF-8", "\"a\xffb\xc0\"", true},
		{"encoded surrogate", "\"\xed\xa0\x80\"", true},
		{"truncated rune", "\"\xe4\xb8\"", true},
		{"invalid UTF-8 and escape", "\"\xff\\n\"", true},
		{"null", `null`, false},
		{"number", `1`, false},
		{"unquoted", `abc`, false},
		{"lone quote", `"`, false},
		{"inner quote", `"a"b"`, false},
		{"escaped closing quote", `"\"`, false},
		{"bad escape", `"\x"`, false},
		{"single-quote escape", `"\'"`, false},
		{"short unicode escape", `"\u12"`, false},
		{"control character", "\"\x1f\"", false},
		{"space around", ` "a" `, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, ok := String([]byte(tt.in))
			if ok != tt.ok {
				t.Fatalf("ok = %v, want %v", ok, tt.ok)
			}
			if !ok {
				return
			}
			var want string
			if err := json.Unmarshal([]byte(tt.in), &want); err != nil {
				t.Fatal(err)
			}
			if got != want {
				t.Errorf("got %q, want %q", got, want)
			}
		})
	}
}

// TestMayMatch checks which keys a caller must leave to encoding/json.
func TestMayMatch(t *testing.T) {
	names := Names{"body", "httpMethod", "isBase64Encoded"}
	tests := []struct {
		key  string
		want bool
	}{
		{"body", true},
		{"Body", true},
		{"BODY", true},
		{"HTTPMETHOD", true},
		{"isbase64encoded", true},
		{`b\u006fdy`, true},
		{`bod\u0059`, true},
		{`\u0000`, true},
		{"bodſ", true},     // not this one in fact, but only folding can tell
		{"\xffbody", true}, // likewise
		{"bodyx", false},
		{"bod", false},
		{"headers", false},
		{"http_method", false},
		{"", false},
	}
	for _, tt := range tests {
		if got := names.MayMatch([]byte(tt.key)); got != tt.want {
			t.Errorf("MayMatch(%q) = %v, want %v", tt.key, got, tt.want)
		}
	}
}

// TestStrings checks Strings against encoding/json's decoding into a []string.
func TestStrings(t *testing.T) {
	tests := []struct {
		in string
		ok bool
	}{
		{`null`, true},
		{`[]`, true},
		{`[ ]`, true},
		{`["a"]`, true},
		{`[ "a" , null ,"\u0062", "" ]`, true},
		{"[\"\xff\"]", true},
		{`[1]`, false},
		{`["a",true]`, false},
		{`[["a"]]`, false},
		{`[{}]`, false},
		{`"a"`, false},
		{`{}`, false},
		{`["a",]`, false},
		{`["a"`, false},
		{`["a"]x`, false},
		{` ["a"]`, false},
		{`[nul]`, false},
		{`["\x"]`, false},
		{``, false},
	}
	for _, tt := range tests {
		got, ok := Strings([]byte(tt.in))
		if ok != tt.ok {
			t.Errorf("Strings(%s) ok = %v, want %v", tt.in, ok, tt.ok)
			continue
		}
		if !ok {
			continue
		}
		var want []string
		if err := json.Unmarshal([]byte(tt.in), &want); err != nil {
			t.Fatal(err)
		}
		if !reflect.DeepEqual(got, want) {
			t.Errorf("Strings(%s) = %#v, want %#v", tt.in, got, want)
		}
	}
}
