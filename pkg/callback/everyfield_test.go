package callback

import (
	"errors"
	"fmt"
	"reflect"
	"strings"
	"testing"
	"unicode"
)

// TestEveryReadFieldRepeatRefused walks the wire struct of every projected command by
// reflection — nested objects and arrays of objects included — and, for every field path the
// parser reads, takes the command's golden body, repeats exactly that field (in every spelling
// encoding/json takes for it, with its own value and with one of an impossible type), and
// requires ErrDuplicateField naming that path, and the handler's 40008. A near miss that
// encoding/json does not take for the field is no repeat. So a field added to a wire struct is
// covered by the duplicate check without anyone listing it.
func TestEveryReadFieldRepeatRefused(t *testing.T) {
	wires := map[string]reflect.Type{
		CommandCreateRoom:    reflect.TypeFor[wireCreated](),
		CommandUpdateRoom:    reflect.TypeFor[wireUpdated](),
		CommandUpdateRoomAlt: reflect.TypeFor[wireUpdated](),
		CommandDestroyRoom:   reflect.TypeFor[wireDestroyed](),
		CommandMemberEnter:   reflect.TypeFor[wireMembers](),
		CommandMemberLeave:   reflect.TypeFor[wireMembers](),
		CommandSeatChanged:   reflect.TypeFor[wireSeats](),
	}
	// The Live family's parsers have their own every-field tests (live_*_test.go).
	if n := len(roomFamily(commands)); len(wires) != n {
		t.Fatalf("%d wire types for %d projected Room-family commands", len(wires), n)
	}
	total := 0
	for _, c := range goldenCommands {
		paths := readPaths(wires[c], "")
		total += len(paths)
		for _, fp := range paths {
			checkRepeats(t, c, fp, func(b []byte) (Payload, error) { return ParsePayload(c, b) },
				func(t *testing.T, key, value string, miss bool) []byte {
					return repeatField(t, c, fp, key, value, miss)
				})
		}
	}
	// Every wire struct field, nested ones included: 5 + 18 (create), 4 + 18 (update), 4
	// (destroy), 8 (members), 5 + 5 (seats), the two updates and the two member commands twice.
	if want := 23 + 2*22 + 4 + 2*8 + 10; total != want {
		t.Fatalf("walked %d field paths, want %d: has a wire struct changed?", total, want)
	}
}

// fieldPath is one field a parser reads: its path as the duplicate error names it (an array's
// element taken at index 1, so the index shows), the steps to its object, and its name.
type fieldPath struct {
	path string
	name string
	// probe is the reference's view of the object holding the field.
	probe *probe
}

// readPaths lists the fields of wire and of the objects inside it, depth first.
func readPaths(wire reflect.Type, prefix string) []fieldPath {
	var out []fieldPath
	pr := probeOf(wire)
	for i := range wire.NumField() {
		f := wire.Field(i)
		name, _, _ := strings.Cut(f.Tag.Get("json"), ",")
		if name == "" || name == "-" {
			continue
		}
		out = append(out, fieldPath{path: prefix + name, name: name, probe: pr})
		ft := deref(f.Type)
		switch {
		case ft.Kind() == reflect.Struct:
			out = append(out, readPaths(ft, prefix+name+".")...)
		case ft.Kind() == reflect.Slice && deref(ft.Elem()).Kind() == reflect.Struct:
			out = append(out, readPaths(deref(ft.Elem()), prefix+name+"[1].")...)
		}
	}
	return out
}

// spellings returns name as raw JSON string literals encoding/json takes for it: as written,
// in other cases, with escapes, and with the two non-ASCII runes that fold to ASCII letters.
func spellings(name string) []string {
	var out []string
	seen := map[string]bool{}
	addRaw := func(lit string) {
		if !seen[lit] {
			seen[lit] = true
			out = append(out, lit)
		}
	}
	add := func(s string) { addRaw(quote(s)) }
	add(name)
	add(strings.ToLower(name))
	add(strings.ToUpper(name))
	add(strings.Map(func(r rune) rune {
		if unicode.IsUpper(r) {
			return unicode.ToLower(r)
		}
		return unicode.ToUpper(r)
	}, name))
	// Every character escaped, and only the first.
	var all strings.Builder
	for _, r := range name {
		fmt.Fprintf(&all, `\u%04x`, r)
	}
	addRaw(`"` + all.String() + `"`)
	addRaw(fmt.Sprintf(`"\u%04X%s"`, name[0], name[1:]))
	if strings.ContainsAny(name, "kK") {
		add(strings.NewReplacer("k", "\u212a", "K", "\u212a").Replace(name)) // Kelvin sign
		addRaw(`"` + strings.NewReplacer("k", `\u212a`, "K", `\u212A`).Replace(name) + `"`)
	}
	if strings.ContainsAny(name, "sS") {
		add(strings.NewReplacer("s", "\u017f", "S", "\u017f").Replace(name)) // long s
		addRaw(`"` + strings.NewReplacer("s", `\u017f`, "S", `\u017F`).Replace(name) + `"`)
	}
	return out
}

// nearMisses returns names that look like name but that encoding/json does not take for it.
func nearMisses(name string) []string {
	out := []string{quote(name + " "), quote(" " + name), quote(name[:len(name)-1])}
	if strings.Contains(name, "_") {
		out = append(out, quote(strings.ReplaceAll(name, "_", "")))
	}
	if strings.ContainsAny(name, "iI") {
		out = append(out, quote(strings.NewReplacer("i", "ı", "I", "İ").Replace(name))) // dotless i, dotted I
	}
	out = append(out, quote(string(rune(0xFF21+unicode.ToUpper(rune(name[0]))-'A'))+name[1:])) // a fullwidth letter
	return out
}

// repeatField returns command's golden body with the field at fp repeated under the spelling
// rawKey (a raw string literal), holding value, or the field's own value when value is "".
// A field the golden body lacks is added first, as null.
func repeatField(t *testing.T, command string, fp fieldPath, rawKey, value string, nearMiss bool) []byte {
	t.Helper()
	n := parseTree(t, golden(t, command))
	// The reference decides what the spelling means; a spelling that is not the field, or a
	// near miss that is, is a mistake of this test.
	if k, want := fp.probe.fieldOfKey(t, rawKey), fp.probe.field(t, fp.name); (k == want) == nearMiss {
		t.Fatalf("encoding/json takes %s for field %d, the test wants %d", rawKey, k, want)
	}
	if n.get(t, fp.path) == nil {
		n.set(t, fp.path, "null")
	}
	if value == "" {
		value = n.get(t, fp.path).String()
	}
	n.add(t, fp.path, rawKey, value)
	return n.Bytes()
}

// checkRepeats runs the repeat cases of one read field fp of the body prefix names: the field
// repeated in every spelling encoding/json takes for it, with its own value and with one of an
// impossible type, must be refused with ErrDuplicateField naming fp.path, no payload, and the
// handler's 40008; a near miss encoding/json does not take for it must be accepted. repeat writes
// the body with the field repeated under rawKey (value "": the field's own value).
func checkRepeats(t *testing.T, prefix string, fp fieldPath, parse func([]byte) (Payload, error),
	repeat func(t *testing.T, rawKey, value string, nearMiss bool) []byte) {
	for _, sp := range spellings(fp.name) {
		for _, value := range []string{"", `[[{"x":1}]]`} { // "" = the field's own value
			name := fmt.Sprintf("%s/%s/%s", prefix, fp.path, sp)
			if value != "" {
				name += "/impossible"
			}
			t.Run(name, func(t *testing.T) {
				body := repeat(t, sp, value, false)
				pl, err := parse(body)
				var dup duplicateError
				if pl != nil || !errors.Is(err, ErrDuplicateField) || !errors.As(err, &dup) || string(dup) != fp.path {
					t.Fatalf("err = %v, want ErrDuplicateField naming %s\nbody %s", err, fp.path, body)
				}
				if e := parseError(err); e.Code != 40008 || e.Message != fp.path+" appears twice in the body" {
					t.Fatalf("the handler answers %d %q", e.Code, e.Message)
				}
			})
		}
	}
	for _, miss := range nearMisses(fp.name) {
		t.Run(fmt.Sprintf("%s/%s/near miss %s", prefix, fp.path, miss), func(t *testing.T) {
			body := repeat(t, miss, "", true)
			if _, err := parse(body); err != nil {
				t.Fatalf("a name encoding/json does not take for %s was refused: %v\nbody %s", fp.path, err, body)
			}
		})
	}
}
