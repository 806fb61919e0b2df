package callback

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

// A JSON document as an ordered tree, so that tests can take a golden body and change exactly
// one thing in it (a value, a missing member, a repeated member in any spelling) while every
// other byte that matters stays as written.

// jnode is one JSON value: an object (names kept as raw string literals, in order, repeats
// allowed), an array, or a scalar kept as its literal text.
type jnode struct {
	kind  byte // '{', '[', or 0 for a scalar
	keys  []string
	vals  []*jnode
	elems []*jnode
	raw   string
}

// raw returns a node printed as the given JSON text, whatever it holds.
func raw(text string) *jnode { return &jnode{raw: text} }

// parseTree reads a valid JSON document into a tree.
func parseTree(t testing.TB, body []byte) *jnode {
	t.Helper()
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.UseNumber()
	n, err := readNode(dec)
	if err != nil {
		t.Fatalf("parseTree: %v in %s", err, body)
	}
	return n
}

func readNode(dec *json.Decoder) (*jnode, error) {
	tok, err := dec.Token()
	if err != nil {
		return nil, err
	}
	switch tok {
	case json.Delim('{'):
		n := &jnode{kind: '{'}
		for dec.More() {
			k, err := dec.Token()
			if err != nil {
				return nil, err
			}
			v, err := readNode(dec)
			if err != nil {
				return nil, err
			}
			n.keys, n.vals = append(n.keys, quote(k.(string))), append(n.vals, v)
		}
		_, err := dec.Token()
		return n, err
	case json.Delim('['):
		n := &jnode{kind: '['}
		for dec.More() {
			v, err := readNode(dec)
			if err != nil {
				return nil, err
			}
			n.elems = append(n.elems, v)
		}
		_, err := dec.Token()
		return n, err
	}
	switch v := tok.(type) {
	case nil:
		return raw("null"), nil
	case bool:
		return raw(strconv.FormatBool(v)), nil
	case json.Number:
		return raw(string(v)), nil
	case string:
		return raw(quote(v)), nil
	}
	panic("unreachable")
}

// quote writes s as a JSON string literal, with no HTML escaping.
func quote(s string) string {
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(s); err != nil {
		panic(err)
	}
	return strings.TrimSuffix(b.String(), "\n")
}

// String prints the tree compactly.
func (n *jnode) String() string {
	var b strings.Builder
	n.write(&b)
	return b.String()
}

func (n *jnode) write(b *strings.Builder) {
	switch n.kind {
	case '{':
		b.WriteByte('{')
		for i, k := range n.keys {
			if i > 0 {
				b.WriteByte(',')
			}
			b.WriteString(k)
			b.WriteByte(':')
			n.vals[i].write(b)
		}
		b.WriteByte('}')
	case '[':
		b.WriteByte('[')
		for i, e := range n.elems {
			if i > 0 {
				b.WriteByte(',')
			}
			e.write(b)
		}
		b.WriteByte(']')
	default:
		b.WriteString(n.raw)
	}
}

// Bytes is String as bytes.
func (n *jnode) Bytes() []byte { return []byte(n.String()) }

// clone copies the tree.
func (n *jnode) clone() *jnode {
	c := &jnode{kind: n.kind, raw: n.raw, keys: append([]string(nil), n.keys...)}
	for _, v := range n.vals {
		c.vals = append(c.vals, v.clone())
	}
	for _, e := range n.elems {
		c.elems = append(c.elems, e.clone())
	}
	return c
}

// step is one part of a path: a member name, or (index >= 0) an element of an array member.
type step struct {
	name  string
	index int
}

// parsePath splits "SeatList[1].Index" into its steps.
func parsePath(path string) []step {
	var steps []step
	for part := range strings.SplitSeq(path, ".") {
		s := step{name: part, index: -1}
		if i := strings.IndexByte(part, '['); i >= 0 {
			n, err := strconv.Atoi(strings.TrimSuffix(part[i+1:], "]"))
			if err != nil {
				panic("bad path " + path)
			}
			s.name, s.index = part[:i], n
		}
		steps = append(steps, s)
	}
	return steps
}

// find returns the index of the member spelled exactly name, or -1.
func (n *jnode) find(name string) int {
	for i, k := range n.keys {
		if k == quote(name) {
			return i
		}
	}
	return -1
}

// parent follows path to the object holding its last step, and returns that object and the
// last step's name.
func (n *jnode) parent(t testing.TB, path string) (*jnode, string) {
	t.Helper()
	steps := parsePath(path)
	cur := n
	for _, s := range steps[:len(steps)-1] {
		i := cur.find(s.name)
		if i < 0 {
			t.Fatalf("path %s: no member %s", path, s.name)
		}
		cur = cur.vals[i]
		if s.index >= 0 {
			if cur.kind != '[' || s.index >= len(cur.elems) {
				t.Fatalf("path %s: no element %d of %s", path, s.index, s.name)
			}
			cur = cur.elems[s.index]
		}
	}
	last := steps[len(steps)-1]
	if cur.kind != '{' || last.index >= 0 {
		t.Fatalf("path %s does not end at a member of an object", path)
	}
	return cur, last.name
}

// get returns the value at path, or nil.
func (n *jnode) get(t testing.TB, path string) *jnode {
	obj, name := n.parent(t, path)
	if i := obj.find(name); i >= 0 {
		return obj.vals[i]
	}
	return nil
}

// set gives the member at path the JSON text value, adding it at the end of its object when
// it is not there.
func (n *jnode) set(t testing.TB, path, value string) *jnode {
	obj, name := n.parent(t, path)
	if i := obj.find(name); i >= 0 {
		obj.vals[i] = raw(value)
	} else {
		obj.keys, obj.vals = append(obj.keys, quote(name)), append(obj.vals, raw(value))
	}
	return n
}

// del removes the member at path.
func (n *jnode) del(t testing.TB, path string) *jnode {
	obj, name := n.parent(t, path)
	i := obj.find(name)
	if i < 0 {
		t.Fatalf("del %s: no such member", path)
	}
	obj.keys, obj.vals = append(obj.keys[:i], obj.keys[i+1:]...), append(obj.vals[:i], obj.vals[i+1:]...)
	return n
}

// add appends a member to the object holding path's last step: its name the raw string literal
// rawKey (any spelling, escapes included), its value the JSON text value.
func (n *jnode) add(t testing.TB, path, rawKey, value string) *jnode {
	obj, _ := n.parent(t, path)
	obj.keys, obj.vals = append(obj.keys, rawKey), append(obj.vals, raw(value))
	return n
}

// golden returns the golden body of command, from testdata/callbacks.
func golden(t testing.TB, command string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", "callbacks", command+".json"))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// goldenCommands are the projected commands, each with a golden body.
// roomFamily returns the commands of m that are not the Live family's.
func roomFamily[V any](m map[string]V) []string {
	var out []string
	for c := range m {
		if !strings.HasPrefix(c, "Live.") {
			out = append(out, c)
		}
	}
	return out
}

var goldenCommands = []string{
	CommandCreateRoom, CommandUpdateRoom, CommandUpdateRoomAlt, CommandDestroyRoom,
	CommandMemberEnter, CommandMemberLeave, CommandSeatChanged,
}
