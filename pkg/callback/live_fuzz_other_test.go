package callback

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"testing"
)

// The metadata, battle, gift and threshold parsers of the Live family ("other" than the room
// and member ones): what their tests share, the checks that walk every field they read, and
// their fuzz targets.

// liveOtherParser is one golden body of testdata/live and the parser it is for.
type liveOtherParser struct {
	fixture string // testdata/live/<fixture>.json
	command string
	wire    reflect.Type
	parse   func([]byte) (Payload, error)
	// required lists the fields the fixture holds whose removal alone makes it invalid; every
	// other field it holds may go.
	required []string
}

var liveOtherParsers = []liveOtherParser{
	{"live-set-metadata", CommandLiveSetMetadata, reflect.TypeFor[wireMetadataSet](), parser(ParseMetadataSet),
		[]string{"RoomId", "Metadata", "Metadata[1].Key", "EventTime"}},
	{"live-del-metadata", CommandLiveDelMetadata, reflect.TypeFor[wireMetadataDeleted](), parser(ParseMetadataDeleted),
		[]string{"RoomId", "Keys", "EventTime"}},
	{"live-create-battle", CommandLiveCreateBattle, reflect.TypeFor[wireBattle](), parser(ParseBattle),
		[]string{"BattleId", "FromRoomId", "EventTime"}},
	{"live-start-battle", CommandLiveStartBattle, reflect.TypeFor[wireBattle](), parser(ParseBattle),
		[]string{"BattleId", "FromRoomInfo", "FromRoomInfo.RoomId", "ToRoomList[1].RoomId", "EventTime"}},
	{"live-end-battle", CommandLiveEndBattle, reflect.TypeFor[wireBattle](), parser(ParseBattle),
		[]string{"BattleId", "FromRoomInfo", "FromRoomInfo.RoomId", "ToRoomList[1].RoomId", "EventTime"}},
	// FromRoomId and FromRoomInfo.RoomId agree here: either may go alone.
	{"live-end-battle-every-field", CommandLiveEndBattle, reflect.TypeFor[wireBattle](), parser(ParseBattle),
		[]string{"BattleId", "ToRoomList[1].RoomId", "EventTime"}},
	{"live-send-gift", CommandLiveGift, reflect.TypeFor[wireGift](), parser(ParseGift),
		[]string{"RoomId", "GiftWater", "GiftWater.From_Account"}},
	{"live-threshold", CommandLiveThreshold, reflect.TypeFor[wireThreshold](), parser(ParseThreshold),
		[]string{"EventTime"}},
}

// liveOtherFor returns the entry of fixture.
func liveOtherFor(t testing.TB, fixture string) liveOtherParser {
	t.Helper()
	for _, lp := range liveOtherParsers {
		if lp.fixture == fixture {
			return lp
		}
	}
	t.Fatalf("no parser for the fixture %s", fixture)
	return liveOtherParser{}
}

// liveOtherFixture returns testdata/live/<name>.json.
func liveOtherFixture(t testing.TB, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", "live", name+".json"))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// runLiveOtherRules parses each case as runRules does, starting from fixture's body, with the
// fixture's parser.
func runLiveOtherRules(t *testing.T, fixture string, cases []ruleCase) {
	t.Helper()
	lp := liveOtherFor(t, fixture)
	for _, tt := range cases {
		t.Run(fixture+"/"+tt.name, func(t *testing.T) {
			body := []byte(tt.body)
			if tt.body == "" {
				n := parseTree(t, liveOtherFixture(t, fixture))
				if tt.mutate != nil {
					tt.mutate(t, n)
				}
				body = n.Bytes()
			}
			got, err := lp.parse(body)
			checkRuleResult(t, tt, body, got, err)
		})
	}
}

// liveOtherGolden checks a fixture's parse against want, field by field, and that the fields
// it leaves unset are exactly absent.
func liveOtherGolden(t *testing.T, fixture string, want Payload, absent []string) {
	t.Helper()
	lp := liveOtherFor(t, fixture)
	got, err := lp.parse(liveOtherFixture(t, fixture))
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("got  %s\nwant %s", dump(got), dump(want))
	}
	if got.BodyCommand() != lp.command {
		t.Errorf("BodyCommand = %q, want %q", got.BodyCommand(), lp.command)
	}
	if unset := unsetFields("", reflect.ValueOf(want).Elem()); !reflect.DeepEqual(unset, absent) {
		t.Errorf("fields the fixture leaves unset: %q, want %q", unset, absent)
	}
}

// TestLiveOtherFieldsMatchWireTypes: the duplicate scanner reads, at every level, exactly the
// names the parser reads, inside exactly the objects and arrays of objects it decodes.
func TestLiveOtherFieldsMatchWireTypes(t *testing.T) {
	sets := []struct {
		set    *fieldSet
		wire   reflect.Type
		nested []string
	}{
		{metadataSetFields.get(), reflect.TypeFor[wireMetadataSet](), []string{"Metadata[]"}},
		{metadataDeletedFields.get(), reflect.TypeFor[wireMetadataDeleted](), nil},
		{battleFields.get(), reflect.TypeFor[wireBattle](), []string{"FromRoomInfo", "ToRoomList[]"}},
		{giftFields.get(), reflect.TypeFor[wireGift](), []string{"GiftWater"}},
		{thresholdFields.get(), reflect.TypeFor[wireThreshold](), nil},
	}
	for _, s := range sets {
		if got, want := s.set.names, tagNames(s.wire); !reflect.DeepEqual(got, want) {
			t.Errorf("%s: scanner reads %v, parser %v", s.wire.Name(), got, want)
		}
		var nested []string
		for i, n := range s.set.names {
			switch {
			case s.set.inner[i] != nil && s.set.array[i]:
				nested = append(nested, n+"[]")
				if got, want := s.set.inner[i].names, tagNames(deref(s.wire.Field(i).Type).Elem()); !reflect.DeepEqual(got, want) {
					t.Errorf("%s.%s: scanner reads %v, parser %v", s.wire.Name(), n, got, want)
				}
			case s.set.inner[i] != nil:
				nested = append(nested, n)
				if got, want := s.set.inner[i].names, tagNames(deref(s.wire.Field(i).Type)); !reflect.DeepEqual(got, want) {
					t.Errorf("%s.%s: scanner reads %v, parser %v", s.wire.Name(), n, got, want)
				}
			}
		}
		if !reflect.DeepEqual(nested, s.nested) {
			t.Errorf("%s: scanned inside %v, want %v", s.wire.Name(), nested, s.nested)
		}
	}
}

// TestLiveOtherEveryReadFieldRepeatRefused does for these parsers what
// TestEveryReadFieldRepeatRefused does for the Room family: every field path a wire struct
// reads, repeated in a fixture in every spelling encoding/json takes for it (with its own value
// and with one of an impossible type), is ErrDuplicateField naming that path, and the
// handler's 40008; a near miss is no repeat. A field the fixture lacks is added as null first;
// a field inside an object or array the fixture lacks is tried in another fixture, and every
// path must be tried in one.
func TestLiveOtherEveryReadFieldRepeatRefused(t *testing.T) {
	tried := map[reflect.Type]map[string]bool{}
	for _, lp := range liveOtherParsers {
		if tried[lp.wire] == nil {
			tried[lp.wire] = map[string]bool{}
		}
		base := parseTree(t, liveOtherFixture(t, lp.fixture))
		for _, fp := range readPaths(lp.wire, "") {
			if !liveOtherHasParent(base, fp.path) {
				continue
			}
			tried[lp.wire][fp.path] = true
			checkRepeats(t, lp.fixture, fp, lp.parse,
				func(t *testing.T, key, value string, miss bool) []byte {
					return liveOtherRepeat(t, base, fp, key, value, miss)
				})
		}
	}
	total := 0
	for wire, paths := range tried {
		for _, fp := range readPaths(wire, "") {
			if !paths[fp.path] {
				t.Errorf("%s: no fixture holds the object of %s", wire.Name(), fp.path)
			}
		}
		total += len(paths)
	}
	// 5 + 2 (set metadata), 5 (delete), 15 + 3 + 3 (battle), 4 + 6 (gift), 5 (threshold).
	if want := 7 + 5 + 21 + 10 + 5; total != want {
		t.Fatalf("tried %d field paths, want %d: has a wire struct changed?", total, want)
	}
}

// liveOtherHasParent reports whether the object holding path's last step is in n.
func liveOtherHasParent(n *jnode, path string) bool {
	steps := parsePath(path)
	cur := n
	for _, s := range steps[:len(steps)-1] {
		i := cur.find(s.name)
		if i < 0 {
			return false
		}
		cur = cur.vals[i]
		if s.index >= 0 {
			if cur.kind != '[' || s.index >= len(cur.elems) {
				return false
			}
			cur = cur.elems[s.index]
		}
	}
	return cur.kind == '{'
}

// liveOtherRepeat is repeatField on a copy of base.
func liveOtherRepeat(t *testing.T, base *jnode, fp fieldPath, rawKey, value string, nearMiss bool) []byte {
	t.Helper()
	n := base.clone()
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

// TestLiveOtherEveryField walks every field each fixture holds: given a value of an impossible
// type (a string for an object, an object for anything else) it is ErrField naming the field;
// removed, or null, it is ErrField when the fixture lists it as required and accepted
// otherwise.
func TestLiveOtherEveryField(t *testing.T) {
	for _, lp := range liveOtherParsers {
		base := parseTree(t, liveOtherFixture(t, lp.fixture))
		if _, err := lp.parse(base.Bytes()); err != nil {
			t.Fatalf("%s: %v", lp.fixture, err)
		}
		for _, fp := range readPaths(lp.wire, "") {
			if !liveOtherHasParent(base, fp.path) || base.get(t, fp.path) == nil {
				continue
			}
			required := slices.Contains(lp.required, fp.path)
			impossible := `{"x":1}`
			if base.get(t, fp.path).kind == '{' {
				impossible = `"an object was expected"`
			}
			for _, c := range []struct {
				name, value string
				wantErr     bool
			}{
				{"impossible", impossible, true},
				{"removed", "", required},
				{"null", "null", required},
			} {
				t.Run(lp.fixture+"/"+fp.path+"/"+c.name, func(t *testing.T) {
					n := base.clone()
					if c.value == "" {
						n.del(t, fp.path)
					} else {
						n.set(t, fp.path, c.value)
					}
					got, err := lp.parse(n.Bytes())
					if !c.wantErr {
						if err != nil {
							t.Fatalf("refused: %v\nbody %s", err, n.Bytes())
						}
						return
					}
					if got != nil || !errors.Is(err, ErrField) || !strings.Contains(err.Error(), fp.name) {
						t.Fatalf("err = %v, want ErrField naming %s\nbody %s", err, fp.name, n.Bytes())
					}
				})
			}
		}
		for _, r := range lp.required {
			if base.get(t, r) == nil {
				t.Errorf("%s: the required %s is not in the fixture", lp.fixture, r)
			}
		}
	}
}

// TestLiveOtherNotAnObject: whatever is not one JSON object in UTF-8 is ErrNotObject, for
// every parser.
func TestLiveOtherNotAnObject(t *testing.T) {
	for _, lp := range liveOtherParsers {
		for _, body := range []string{"", " ", "null", "[]", `"x"`, "1", "true", "{", `{"RoomId":"r"`,
			`{"RoomId":"r"}{}`, `{"RoomId":"r",}`, "{\"RoomId\":\"\xff\"}", "\xef\xbb\xbf{}"} {
			got, err := lp.parse([]byte(body))
			if got != nil || !errors.Is(err, ErrNotObject) {
				t.Errorf("%s: %q: err = %v, want ErrNotObject", lp.fixture, body, err)
			}
			if e := parseError(err); e.Code != 40002 {
				t.Errorf("%s: %q: the handler answers %d", lp.fixture, body, e.Code)
			}
		}
	}
}

// The fuzz targets hold each parser to the contract of fuzzParser, as far as it reaches
// commands not yet projected (liveOtherFuzz):
//   - it never panics, and fails only with ErrNotObject, ErrField or ErrDuplicateField;
//   - ErrNotObject exactly when the body is not one JSON object in valid UTF-8;
//   - on a valid JSON object, ErrDuplicateField exactly when the reference finds a field the
//     parser reads repeated, naming the same path;
//   - what it accepts parses the same again (parsing is deterministic) and the same once
//     rendered back to a body (nothing read is lost or made up); its key is what the command's
//     decision says (keyOK); its CallbackCommand is what encoding/json's plain reading finds.
// check adds each parser's own invariants: its required fields set and valid.

func FuzzParseMetadataSet(f *testing.F) {
	liveOtherSeed(f, "live-set-metadata",
		`{"RoomId":"r","Metadata":[{"Key":"a","Value":1},{"Key":"a"},{"Key":"b","Value":null}],"EventTime":"1"}`,
		`{"RoomId":"r","Metadata":[{"Key":"a","key":"b"}],"EventTime":1}`,
		`{"RoomId":"r","Metadata":[null,{"Key":5},{"Key":""},3],"EventTime":1}`,
		`{"RoomId":"r","Metadata":[],"EventTime":1}`,
		`{"RoomId":"r","Metadata":{"Key":"a"},"EventTime":1}`,
	)
	f.Fuzz(func(t *testing.T, body []byte) {
		liveOtherFuzz(t, body, ParseMetadataSet, liveRoomKey, func(t *testing.T, ms *MetadataSet) {
			var plain struct {
				RoomId   string
				Metadata []struct{ Key, Value json.RawMessage }
			}
			if err := json.Unmarshal(body, &plain); err != nil {
				t.Fatalf("encoding/json refuses what the parser accepted: %v", err)
			}
			if plain.RoomId != ms.RoomID {
				t.Fatalf("RoomId: parser %q, encoding/json %q", ms.RoomID, plain.RoomId)
			}
			// The plain reading, a repeated key keeping its last value in the place of its
			// first, is the parser's list.
			var order []string
			last := map[string]string{}
			for _, e := range plain.Metadata {
				k, ok := jsonString(e.Key)
				if !ok || k == "" || len(k) > MaxRoomIDBytes {
					t.Fatalf("accepted the key %s", e.Key)
				}
				v, ok := jsonString(e.Value)
				if !ok && isJSONNumber(e.Value) {
					v = string(e.Value)
				}
				if _, seen := last[k]; !seen {
					order = append(order, k)
				}
				last[k] = v
			}
			if len(order) == 0 || len(order) != len(ms.Entries) {
				t.Fatalf("%d entries, the plain reading %d", len(ms.Entries), len(order))
			}
			for i, e := range ms.Entries {
				if e.Key != order[i] || e.Value != last[e.Key] {
					t.Fatalf("entry %d is %+v, the plain reading %q=%q", i, e, order[i], last[order[i]])
				}
			}
		})
	})
}

func FuzzParseMetadataDeleted(f *testing.F) {
	liveOtherSeed(f, "live-del-metadata",
		`{"RoomId":"r","Keys":["a","a",""],"EventTime":1}`,
		`{"RoomId":"r","Keys":[1,null],"EventTime":1}`,
		`{"RoomId":"r","Keys":[],"keys":["a"],"EventTime":1}`,
		`{"RoomId":"r","Keys":"a","EventTime":1}`,
	)
	f.Fuzz(func(t *testing.T, body []byte) {
		liveOtherFuzz(t, body, ParseMetadataDeleted, liveRoomKey, func(t *testing.T, md *MetadataDeleted) {
			var plain struct {
				RoomId string
				Keys   []string
			}
			if err := json.Unmarshal(body, &plain); err != nil {
				t.Fatalf("encoding/json refuses what the parser accepted: %v", err)
			}
			if plain.RoomId != md.RoomID {
				t.Fatalf("RoomId: parser %q, encoding/json %q", md.RoomID, plain.RoomId)
			}
			var want []string
			for _, k := range plain.Keys {
				if k == "" || len(k) > MaxRoomIDBytes {
					t.Fatalf("accepted the key %q", k)
				}
				if !slices.Contains(want, k) {
					want = append(want, k)
				}
			}
			if len(want) == 0 || !reflect.DeepEqual(want, md.Keys) {
				t.Fatalf("Keys %q, the plain reading %q", md.Keys, want)
			}
		})
	})
}

func FuzzParseBattle(f *testing.F) {
	liveOtherSeed(f, "live-create-battle",
		`{"BattleId":"b","FromRoomId":"r","FromRoomInfo":{"RoomId":"s"},"EventTime":1}`,
		`{"BattleId":"b","FromRoomId":"","FromRoomInfo":{"RoomId":"r","Owner_Account":144115233775727698,"Score":"-3"},"EventTime":1}`,
		`{"BattleId":"b","FromRoomId":"r","ToRoomList":[{"RoomId":"a","Score":1},{"RoomId":"a","Score":2},{"RoomId":"c"}],"EventTime":1}`,
		`{"BattleId":"b","FromRoomId":"r","ToRoomList":[],"ToRoomIdList":null,"NeedResponse":"true","EventTime":1}`,
		`{"BattleId":"b","FromRoomId":"r","ToRoomList":[],"ToRoomIdList":[],"EventTime":1}`,
		`{"BattleId":"b","FromRoomId":"r","ToRoomIdList":["a","a",5],"EventTime":1}`,
		`{"BattleId":5,"FromRoomInfo":"r","EventTime":1}`,
	)
	for _, fx := range []string{"live-start-battle", "live-end-battle", "live-end-battle-every-field"} {
		f.Add(liveOtherFixture(f, fx))
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		liveOtherFuzz(t, body, ParseBattle, liveRoomKey, func(t *testing.T, b *BattleChanged) {
			if b.BattleID == "" || len(b.BattleID) > MaxRoomIDBytes || strings.IndexByte(b.BattleID, 0) >= 0 {
				t.Fatalf("accepted the BattleId %q", b.BattleID)
			}
			var plain struct {
				BattleId     string
				FromRoomId   json.RawMessage
				FromRoomInfo struct{ RoomId json.RawMessage }
				ToRoomIdList json.RawMessage
				ToRoomList   json.RawMessage
			}
			if err := json.Unmarshal(body, &plain); err != nil {
				t.Fatalf("encoding/json refuses what the parser accepted: %v", err)
			}
			if plain.BattleId != b.BattleID {
				t.Fatalf("BattleId: parser %q, encoding/json %q", b.BattleID, plain.BattleId)
			}
			from, _ := jsonString(plain.FromRoomId)
			info, _ := jsonString(plain.FromRoomInfo.RoomId)
			if from != b.From.RoomID && info != b.From.RoomID || from != "" && info != "" && from != info {
				t.Fatalf("From %q, the plain reading FromRoomId %q, FromRoomInfo.RoomId %q", b.From.RoomID, from, info)
			}
			present := func(raw json.RawMessage) bool { return len(raw) > 0 && string(raw) != "null" }
			if present(plain.ToRoomIdList) && present(plain.ToRoomList) {
				t.Fatal("accepted both ToRoomIdList and ToRoomList")
			}
			if (b.To != nil) != (present(plain.ToRoomIdList) || present(plain.ToRoomList)) {
				t.Fatalf("To %v, the plain reading %s %s", b.To, plain.ToRoomIdList, plain.ToRoomList)
			}
			seen := map[string]bool{}
			for _, r := range b.To {
				if r.RoomID == "" || len(r.RoomID) > MaxRoomIDBytes || seen[r.RoomID] {
					t.Fatalf("To holds the room %q (again: %v)", r.RoomID, seen[r.RoomID])
				}
				seen[r.RoomID] = true
			}
		})
	})
}

func FuzzParseGift(f *testing.F) {
	liveOtherSeed(f, "live-send-gift",
		`{"RoomId":"r","GiftWater":{"From_Account":144115233775727698,"To_Account":[1,"1",""],"Count":"2"}}`,
		`{"RoomId":"r","GiftWater":{"From_Account":"a","To_Account":"b"},"EventTime":5}`,
		`{"RoomId":"r","GiftWater":{"From_Account":"a","from_account":"b"}}`,
		`{"RoomId":"r","GiftWater":{"From_Account":""},"EventTime":1,"EventTime":2}`,
		`{"RoomId":"r","GiftWater":null}`,
	)
	f.Fuzz(func(t *testing.T, body []byte) {
		liveOtherFuzz(t, body, ParseGift, func(room string, at int64) bool { return liveRoomKey(room, 1) && at == 0 },
			func(t *testing.T, g *GiftSent) {
				if g.From == "" || len(g.From) > MaxAccountBytes {
					t.Fatalf("accepted the sender %q", g.From)
				}
				var plain struct {
					RoomId    string
					GiftWater struct{ To_Account []json.RawMessage }
				}
				if err := json.Unmarshal(body, &plain); err != nil {
					t.Fatalf("encoding/json refuses what the parser accepted: %v", err)
				}
				if plain.RoomId != g.RoomID {
					t.Fatalf("RoomId: parser %q, encoding/json %q", g.RoomID, plain.RoomId)
				}
				var want []string
				for _, raw := range plain.GiftWater.To_Account {
					a, ok := jsonString(raw)
					if !ok {
						a = string(raw) // a number, as written
					}
					if a == "" || len(a) > MaxAccountBytes {
						t.Fatalf("accepted the recipient %q", a)
					}
					if !slices.Contains(want, a) {
						want = append(want, a)
					}
				}
				if len(want) != len(g.To) || len(want) > 0 && !reflect.DeepEqual(want, g.To) {
					t.Fatalf("To %q, the plain reading %q", g.To, want)
				}
			})
	})
}

func FuzzParseThreshold(f *testing.F) {
	liveOtherSeed(f, "live-threshold",
		`{"CurRoomCount":"5","MaxRoomCount":6,"EventTime":"7","RoomId":"ignored"}`,
		`{"CurRoomCount":1.5,"EventTime":1}`,
		`{"EventTime":1,"eventtime":2}`,
		`{"EventTime":0}`,
	)
	f.Fuzz(func(t *testing.T, body []byte) {
		liveOtherFuzz(t, body, ParseThreshold, func(room string, at int64) bool { return room == "" && at > 0 },
			func(t *testing.T, th *ThresholdReached) {})
	})
}

// liveRoomKey is the key of a command about one room: a RoomId without NUL, a positive
// EventTime.
func liveRoomKey(room string, at int64) bool {
	return room != "" && at > 0 && strings.IndexByte(room, 0) < 0
}

// liveOtherSeed seeds a fuzz target with a fixture, then extra, then bodies every parser must
// refuse.
func liveOtherSeed(f *testing.F, fixture string, extra ...string) {
	f.Add(liveOtherFixture(f, fixture))
	for _, s := range extra {
		f.Add([]byte(s))
	}
	f.Add([]byte(`[]`))
	f.Add([]byte(`{`))
	f.Add([]byte("{\"RoomId\":\"\xff\"}"))
	f.Add([]byte(`{"RoomId":"r","EventTime":1E700,"X":1,"X":2}`))
}

// liveOtherFuzz checks one input against the contract above.
func liveOtherFuzz[P Payload](t *testing.T, body []byte, parse func([]byte) (P, error), keyOK func(string, int64) bool, check func(*testing.T, P)) {
	got, err := parse(body)
	if fuzzRefused(t, body, err, liveOtherProbe(got)) {
		if !reflect.ValueOf(got).IsNil() {
			t.Fatalf("a refused body returned a payload %s", dump(got))
		}
		return
	}
	if room, at := got.Key(); !keyOK(room, at) {
		t.Fatalf("accepted without a usable key (%q, %d): %s", room, at, dump(got))
	}
	fuzzStable(t, body, liveOtherRender(t, got), got, parse)
	var plain struct{ CallbackCommand json.RawMessage }
	if err := json.Unmarshal(body, &plain); err != nil {
		t.Fatalf("encoding/json refuses what the parser accepted: %v", err)
	}
	if command, isString := jsonString(plain.CallbackCommand); isString && command != got.BodyCommand() {
		t.Fatalf("CallbackCommand: parser %q, encoding/json %q", got.BodyCommand(), command)
	}
	check(t, got)
}

// The references of the parsers' field sets.
var (
	metadataSetProbe     = probeOf(reflect.TypeFor[wireMetadataSet]())
	metadataDeletedProbe = probeOf(reflect.TypeFor[wireMetadataDeleted]())
	battleProbe          = probeOf(reflect.TypeFor[wireBattle]())
	giftProbe            = probeOf(reflect.TypeFor[wireGift]())
	thresholdProbe       = probeOf(reflect.TypeFor[wireThreshold]())
)

// liveOtherProbe returns the reference for the parser whose payload type P is (p may be nil).
func liveOtherProbe[P Payload](p P) *probe {
	switch any(p).(type) {
	case *MetadataSet:
		return metadataSetProbe
	case *MetadataDeleted:
		return metadataDeletedProbe
	case *BattleChanged:
		return battleProbe
	case *GiftSent:
		return giftProbe
	case *ThresholdReached:
		return thresholdProbe
	}
	panic(fmt.Sprintf("no probe for %T", p))
}

// liveOtherRender writes a payload back as a body of its command, every field it holds in
// Tencent's documented type and nothing else: the initiating room of a battle as FromRoomInfo,
// its invited rooms as ToRoomList.
func liveOtherRender(t *testing.T, pl Payload) []byte {
	t.Helper()
	m := map[string]any{}
	field := func(name string, v any) {
		rv := reflect.ValueOf(v)
		if (rv.Kind() == reflect.Pointer || rv.Kind() == reflect.Slice) && rv.IsNil() {
			return
		}
		if rv.Kind() == reflect.String && rv.String() == "" {
			return
		}
		m[name] = v
	}
	battleRoom := func(r BattleRoom) map[string]any {
		out := map[string]any{"RoomId": r.RoomID}
		if r.OwnerAccount != nil {
			out["Owner_Account"] = *r.OwnerAccount
		}
		if r.Score != nil {
			out["Score"] = *r.Score
		}
		return out
	}
	switch p := pl.(type) {
	case *MetadataSet:
		field("CallbackCommand", p.CallbackCommand)
		field("Operator_Account", p.OperatorAccount)
		field("RoomId", p.RoomID)
		field("Metadata", p.Entries) // MetadataEntry marshals as {"Key","Value"}
		field("EventTime", p.EventTime)
	case *MetadataDeleted:
		field("CallbackCommand", p.CallbackCommand)
		field("Operator_Account", p.OperatorAccount)
		field("RoomId", p.RoomID)
		field("Keys", p.Keys)
		field("EventTime", p.EventTime)
	case *BattleChanged:
		field("CallbackCommand", p.CallbackCommand)
		field("BattleId", p.BattleID)
		field("FromRoomInfo", battleRoom(p.From))
		if p.To != nil {
			to := make([]map[string]any, 0, len(p.To))
			for _, r := range p.To {
				to = append(to, battleRoom(r))
			}
			field("ToRoomList", to)
		}
		field("Duration", p.Duration)
		field("CreateTime", p.CreateTime)
		field("StartTime", p.StartTime)
		field("EndTime", p.EndTime)
		field("OpType", p.OpType)
		field("Timeout", p.Timeout)
		field("NeedResponse", p.NeedResponse)
		field("ExtensionInfo", p.ExtensionInfo)
		field("EventTime", p.EventTime)
	case *GiftSent:
		field("CallbackCommand", p.CallbackCommand)
		field("Operator_Account", p.OperatorAccount)
		field("RoomId", p.RoomID)
		gw := map[string]any{"From_Account": p.From}
		for k, v := range map[string]any{"Time": p.Time, "Count": p.Count, "Coins": p.Coins, "GiftId": p.GiftID} {
			if !reflect.ValueOf(v).IsNil() {
				gw[k] = v
			}
		}
		if p.To != nil {
			gw["To_Account"] = p.To
		}
		field("GiftWater", gw)
	case *ThresholdReached:
		field("CallbackCommand", p.CallbackCommand)
		field("Operator_Account", p.OperatorAccount)
		field("CurRoomCount", p.CurRoomCount)
		field("MaxRoomCount", p.MaxRoomCount)
		field("EventTime", p.EventTime)
	default:
		t.Fatalf("no rendering of %T", pl)
	}
	b, err := json.Marshal(m)
	if err != nil {
		t.Fatal(err)
	}
	return b
}
