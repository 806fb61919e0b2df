package postgres_test

import (
	"context"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/roomhook/roomhook/pkg/callback"
	"github.com/roomhook/roomhook/pkg/store/postgres"
	"github.com/roomhook/roomhook/pkg/store/storetest"
)

// The migration from schema version 2 (the Room family and the Live rooms' shared columns,
// members and seats) to version 3 (the Live family's own rows and the gift ledger).

const v2App int64 = 1400654321

// v2Event is an event of the story a version-2 store holds.
type v2Event struct {
	ev *callback.Event
	// refused: version 3 does not store it (its body does not parse as its command), while
	// version 2, which did not project its command, archived it raw.
	refused bool
}

// liveSample returns the event of a sample body of pkg/callback/testdata/live, as the core
// builds it: the payload the parser gives (none for a command roomhook does not project), the
// archive key the payload's (or the envelope's).
func liveSample(t *testing.T, name string) *callback.Event {
	t.Helper()
	raw, err := os.ReadFile(filepath.Join("..", "..", "callback", "testdata", "live", name))
	if err != nil {
		t.Fatal(err)
	}
	return rawEvent(t, raw)
}

// rawEvent builds the event of raw as the core would; a body of a projected command the parser
// refuses is returned without a payload (version 2 archived such bodies raw).
func rawEvent(t *testing.T, raw []byte) *callback.Event {
	t.Helper()
	env, err := callback.ParseEnvelope(raw)
	if err != nil {
		t.Fatalf("a test body is not an object: %v\n%s", err, raw)
	}
	ev := &callback.Event{SdkAppID: v2App, Command: env.CallbackCommand, RoomID: env.RoomID, EventTime: env.EventTime,
		ClientIP: "198.51.100.9", OptPlatform: "Android", RequestID: "req-v2", ReceivedAt: testReceivedAt, Raw: raw}
	if p, err := callback.ParsePayload(ev.Command, raw); err == nil && p != nil {
		ev.Payload = p
		ev.RoomID, ev.EventTime = p.Key()
	}
	return ev
}

// v2Story returns the events of the version-2 store the migration test starts from: every
// Live sample body (the commands version 3 projects among them, and the threshold it does
// not), a gift delivered twice and one of another room, a Room-family room's life, a second
// live room's admins and metadata, and bodies version 3 refuses that version 2 archived.
// Each arrives at its own time, so that received_at tells the gifts apart.
func v2Story(t *testing.T) []v2Event {
	t.Helper()
	var story []v2Event
	add := func(ev *callback.Event, refused bool) {
		ev.ReceivedAt = testReceivedAt.Add(time.Duration(len(story)) * time.Second)
		story = append(story, v2Event{ev, refused})
	}
	names, err := filepath.Glob(filepath.Join("..", "..", "callback", "testdata", "live", "*.json"))
	if err != nil || len(names) < 15 {
		t.Fatalf("the Live sample bodies: %v, %v", names, err)
	}
	for _, name := range names {
		ev := liveSample(t, filepath.Base(name))
		if ev.Payload == nil && callback.Projected(ev.Command) {
			t.Fatalf("%s does not parse", name)
		}
		add(ev, false)
	}
	add(liveSample(t, "live-send-gift.json"), false) // delivered again: a second ledger row
	for _, body := range []string{
		// A second live room: its create has an empty Category ([] must read back as []).
		`{"CallbackCommand":"Live.CallbackBeforeSendGift","RoomId":"live-room-6d3f","GiftWater":{"From_Account":"viewer-max","To_Account":["streamer-jon"],"GiftId":"rose","Count":1,"Coins":10}}`,
		`{"CallbackCommand":"Live.CallbackAfterModifyAdmin","RoomId":"live-room-6d3f","Admin_Account":["admin-x",7],"opType":"add","EventTime":1703600102000}`,
		`{"CallbackCommand":"Live.CallbackAfterModifyAdmin","RoomId":"live-room-6d3f","Admin_Account":["admin-x"],"opType":"delete","EventTime":1703600103000}`,
		`{"CallbackCommand":"Live.CallbackAfterSetMetadata","RoomId":"live-room-6d3f","Metadata":[{"Key":"k","Value":"v"}],"EventTime":1703600104000}`,
		`{"CallbackCommand":"Live.CallbackAfterDelMetadata","RoomId":"live-room-6d3f","Keys":["k"],"EventTime":1703600105000}`,
		`{"CallbackCommand":"Live.CallbackAfterMemberStateChanged","RoomId":"live-room-6d3f","EventType":"Online","EventCause":"Enter","MemberList":[{"Member_Account":"viewer-max"}],"EventTime":1703600104500}`,
		// Seats of a live room.
		`{"CallbackCommand":"Mic.CallbackAfterSeatInfoChanged","RoomId":"live-room-5c2e","SeatList":[{"Index":1,"Member_Account":"viewer-joy"},{"Index":2}],"EventTime":1703600006000}`,
	} {
		add(rawEvent(t, []byte(body)), false)
	}
	for _, body := range []string{
		// Bodies version 2 archived raw that version 3's parsers refuse: not a gift, an admin
		// change without its accounts, and NUL characters (in a metadata value, in a GiftId),
		// which no store keeps as text. The refold and the ledger leave them out.
		`{"CallbackCommand":"Live.CallbackBeforeSendGift","RoomId":"live-room-5c2e","GiftWater":"rocket"}`,
		`{"CallbackCommand":"Live.CallbackAfterModifyAdmin","RoomId":"live-room-5c2e","opType":"add","EventTime":1703600007700}`,
		`{"CallbackCommand":"Live.CallbackAfterSetMetadata","RoomId":"live-room-5c2e","Metadata":[{"Key":"nul","Value":"a\u0000b"}],"EventTime":1703600009950}`,
		`{"CallbackCommand":"Live.CallbackBeforeSendGift","RoomId":"live-room-5c2e","GiftWater":{"From_Account":"viewer-nul","To_Account":["streamer-ivy"],"GiftId":"a\u0000b","Coins":1}}`,
	} {
		add(rawEvent(t, []byte(body)), true)
	}
	// A Room-family room: version 2 projected all of it, version 3 the same.
	for _, ev := range []*callback.Event{
		createEvent(t, v2App, "room-a", t0, "a meeting"),
		updateEvent(t, v2App, "room-a", t0+5, map[string]any{"RoomName": "renamed"}),
		enterEvent(t, v2App, "room-a", t0+10, 2, "m1", "m2"),
		leaveEvent(t, v2App, "room-a", t0+12, 1, "m2"),
		seatEvent(t, v2App, "room-a", t0+13, 0, "m1"),
		destroyEvent(t, v2App, "room-a", t0+20),
	} {
		add(ev, false)
	}
	return story
}

// storyRooms returns the rooms whose rows the story may make, battles' rival rooms included.
func storyRooms(story []v2Event) []string {
	rooms := []string{"live-rival-6e2c", "live-rival-7f3d", "live-rival-8a4e"}
	for _, e := range story {
		if e.ev.RoomID != "" && !slices.Contains(rooms, e.ev.RoomID) {
			rooms = append(rooms, e.ev.RoomID)
		}
	}
	slices.Sort(rooms)
	return rooms
}

// roomRows returns, as JSON lines, every row of room in every table of the projection, read
// with callback's readers: without updated_at, and the gift ledger without delivery ids, as a
// sorted multiset.
func roomRows(t *testing.T, r callback.Reader, room string) []string {
	t.Helper()
	ctx := t.Context()
	var lines []string
	line := func(kind string, v any) {
		b, err := json.Marshal(v)
		if err != nil {
			t.Fatal(err)
		}
		lines = append(lines, kind+" "+string(b))
	}
	if row, err := callback.ReadRoom(ctx, r, v2App, room); err == nil {
		row.UpdatedAt = 0
		line("room", row)
	} else if !errors.Is(err, callback.ErrNotFound) {
		t.Fatal(err)
	}
	members, err := callback.ReadMembers(ctx, r, v2App, room)
	if err != nil {
		t.Fatal(err)
	}
	for _, m := range members {
		m.UpdatedAt = 0
		line("member", m)
	}
	seats, err := callback.ReadSeats(ctx, r, v2App, room)
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range seats {
		s.UpdatedAt = 0
		line("seat", s)
	}
	admins, err := callback.ReadAdmins(ctx, r, v2App, room)
	if err != nil {
		t.Fatal(err)
	}
	for _, a := range admins {
		a.UpdatedAt = 0
		line("admin", a)
	}
	meta, err := callback.ReadMetadata(ctx, r, v2App, room)
	if err != nil {
		t.Fatal(err)
	}
	for _, m := range meta {
		m.UpdatedAt = 0
		line("metadata", m)
	}
	battles, err := callback.ReadBattles(ctx, r, v2App, room)
	if err != nil {
		t.Fatal(err)
	}
	for _, b := range battles {
		b.UpdatedAt = 0
		line("battle", b)
	}
	gifts, err := callback.ReadGifts(ctx, r, v2App, room)
	if err != nil {
		t.Fatal(err)
	}
	var ledger []string
	for _, g := range gifts {
		g.DeliveryID = ""
		b, err := json.Marshal(g)
		if err != nil {
			t.Fatal(err)
		}
		ledger = append(ledger, "gift "+string(b))
	}
	slices.Sort(ledger)
	return append(lines, ledger...)
}

// schemaDigest returns a digest of every row of every table of schema.
func schemaDigest(t *testing.T, schema string) string {
	t.Helper()
	var parts []string
	for _, table := range append([]string{"roomhook_schema", "callback_events"}, tableNames()...) {
		var d string
		if err := admin(t).QueryRow(t.Context(), `SELECT count(*) || ' ' || coalesce(md5(string_agg(to_jsonb(x)::text, '|' ORDER BY to_jsonb(x)::text)), '')
			FROM `+schema+`.`+table+` x`).Scan(&d); err != nil {
			t.Fatal(err)
		}
		parts = append(parts, table+" "+d)
	}
	return strings.Join(parts, ", ")
}

func tableNames() []string {
	var names []string
	for _, tb := range callback.Tables {
		names = append(names, tb.Name)
	}
	return names
}

// tableExists reports whether schema has table.
func tableExists(t *testing.T, schema, table string) bool {
	t.Helper()
	var ok bool
	if err := admin(t).QueryRow(t.Context(), `SELECT EXISTS (SELECT 1 FROM information_schema.tables
		WHERE table_schema = $1 AND table_name = $2)`, schema, table).Scan(&ok); err != nil {
		t.Fatal(err)
	}
	return ok
}

// v2Store builds a version-2 store the way the code's own migration path makes one (version 1's
// tables, then the version-2 step), and fills it as version-2 code left it: every event of
// story archived with its body, and the rows version 2 wrote — rooms (its 28 columns),
// room_members, room_seats — as a store that saved the same events holds them (version 3
// writes those as version 2 did). It returns the schema, its URL, the archive ids of the
// story's events (0: not archived) and that store, fresh.
func v2Store(t *testing.T, story []v2Event) (schema, rawURL string, ids []int64, fresh *postgres.Store, freshName string) {
	t.Helper()
	freshName, freshURL := freshSchema(t)
	fresh = open(t, freshURL)
	for _, e := range story {
		if e.refused {
			if e.ev.Payload != nil {
				t.Fatalf("%s parses, want it refused", e.ev.Raw)
			}
			continue // the handler refuses a body that does not parse as its command
		}
		if _, err := fresh.Save(t.Context(), e.ev); err != nil {
			t.Fatalf("Save of %s: %v", e.ev.Command, err)
		}
	}

	schema, rawURL = freshSchema(t)
	s2 := postgres.OpenAtVersion(t, rawURL, 2)
	if got := versions(t, schema); len(got) != 1 || got[0] != 2 {
		t.Fatalf("the version-2 store holds versions %v, want [2]", got)
	}
	for _, e := range story {
		ids = append(ids, postgres.Archive(t, s2, v2Archived(t, e.ev)))
	}
	db := admin(t)
	for _, tb := range []*callback.Table{callback.RoomsTable, callback.MembersTable, callback.SeatsTable} {
		names := tb.Names()
		if tb == callback.RoomsTable {
			names = names[:callback.RoomsV2Columns]
		}
		cols := strings.Join(names, ", ")
		if _, err := db.Exec(t.Context(), `INSERT INTO `+schema+`.`+tb.Name+` (`+cols+`) SELECT `+cols+
			` FROM `+freshName+`.`+tb.Name); err != nil {
			t.Fatal(err)
		}
	}
	return schema, rawURL, ids, fresh, freshName
}

// v2Archived returns ev as version 2 archived it: a command it did not project under the
// envelope's room and time (a battle stage, whose body has no RoomId, under an empty room).
func v2Archived(t *testing.T, ev *callback.Event) *callback.Event {
	t.Helper()
	v2, err := storetest.AsVersion2(ev)
	if err != nil {
		t.Fatal(err)
	}
	return v2
}

// battlesUnderNoRoom counts the battle stages archived with an empty room_id.
func battlesUnderNoRoom(t *testing.T, schema string) int {
	t.Helper()
	var n int
	if err := admin(t).QueryRow(t.Context(), `SELECT count(*) FROM `+schema+`.callback_events
		WHERE room_id = '' AND callback_command LIKE 'Live.%Battle'`).Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n
}

// stepCounter records the migration's steps, from any goroutine, until the test ends.
type stepCounter struct {
	mu    sync.Mutex
	steps []string
}

func countSteps(t *testing.T) *stepCounter {
	c := &stepCounter{}
	postgres.SetMigrateHook(t, func(step string) {
		c.mu.Lock()
		defer c.mu.Unlock()
		c.steps = append(c.steps, step)
	})
	return c
}

func (c *stepCounter) count(step string) int {
	c.mu.Lock()
	defer c.mu.Unlock()
	n := 0
	for _, s := range c.steps {
		if s == step {
			n++
		}
	}
	return n
}

func (c *stepCounter) all() []string {
	c.mu.Lock()
	defer c.mu.Unlock()
	return slices.Clone(c.steps)
}

// TestMigrationFromV2 opens, with several instances at once, a store version 2 filled: it is
// migrated once to version 3, its tables are a new store's, each room's rows are those of a new
// store that saved the same events (the Live rooms refolded, admins, metadata and battles made),
// the ledger holds one row per archived gift under "archive:<id>", opening again changes
// nothing, and the archived events delivered again are duplicates.
func TestMigrationFromV2(t *testing.T) {
	story := v2Story(t)
	schema, u, ids, fresh, freshName := v2Store(t, story)
	if tableExists(t, schema, "room_admins") || strings.Contains(columns(t, schema, "rooms"), "category") {
		t.Fatal("the version-2 store has version 3's tables or columns")
	}
	if n := battlesUnderNoRoom(t, schema); n != 4 {
		t.Fatalf("the version-2 store has %d battle stages under an empty room, want the 4 samples", n)
	}

	// The comparison is not empty: a new store made every kind of row.
	want := map[string][]string{}
	for _, room := range storyRooms(story) {
		want[room] = roomRows(t, fresh, room)
	}
	live := append(slices.Clone(want["live-room-5c2e"]), want["live-room-6d3f"]...)
	for _, kind := range []string{"room ", "member ", "seat ", "admin ", "metadata ", "battle ", "gift "} {
		if !slices.ContainsFunc(live, func(l string) bool { return strings.HasPrefix(l, kind) }) {
			t.Fatalf("the new store has no %srows for the live rooms:\n%s", kind, strings.Join(live, "\n"))
		}
	}
	if all := strings.Join(live, "\n"); !strings.Contains(all, `"Category":[31,4]`) || !strings.Contains(all, `"Category":[]`) ||
		!strings.Contains(all, `"ToScores":[52,48]`) {
		t.Fatalf("the new store's live rooms lack their categories or scores:\n%s", all)
	}

	steps := countSteps(t)
	stores, ok := storetest.OpenTogether(t, 6, func() (*postgres.Store, error) {
		return postgres.Open(t.Context(), u, postgres.Options{Timeout: 30 * time.Second})
	})
	if !ok {
		t.FailNow()
	}
	for _, step := range []string{"lock the archive", "rekey the archive", "refold the rooms", "build the gift ledger", "record version 3"} {
		if n := steps.count(step); n != 1 {
			t.Errorf("step %q ran %d times, want once: %v", step, n, steps.all())
		}
	}
	if got := steps.all(); got[len(got)-1] != "record version 3" || slices.Contains(got, "record version 2") {
		t.Errorf("steps %v, want version 3 recorded last", got)
	}
	postgres.SetMigrateHook(t, nil)
	s := stores[0]
	if got := versions(t, schema); len(got) != 1 || got[0] != 3 {
		t.Errorf("roomhook_schema holds %v, want [3]", got)
	}

	// The shape is a new store's.
	for _, table := range append([]string{"roomhook_schema", "callback_events"}, tableNames()...) {
		if got, want := columns(t, schema, table), columns(t, freshName, table); got != want {
			t.Errorf("columns of the migrated %s:\n got %s\nwant %s (a new store's)", table, got, want)
		}
	}
	if got, want := strings.Join(keys(t, schema), "; "), strings.Join(keys(t, freshName), "; "); got != want {
		t.Errorf("keys of the migrated store:\n got %s\nwant %s (a new store's)", got, want)
	}

	// The battle stages are archived under their from_room_id, as this version archives them.
	if n := battlesUnderNoRoom(t, schema); n != 0 {
		t.Errorf("%d battle stages still archived under an empty room", n)
	}

	// Each room's rows are a new store's.
	for _, room := range storyRooms(story) {
		if got := roomRows(t, s, room); !slices.Equal(got, want[room]) {
			t.Errorf("rows of %s after the migration:\n%s\nwant (a new store that saved the same events):\n%s",
				room, strings.Join(got, "\n"), strings.Join(want[room], "\n"))
		}
	}

	// The ledger: one row per archived gift, under its archive id.
	var wantIDs []string
	for i, e := range story {
		if e.ev.Command == callback.CommandLiveGift && !e.refused {
			wantIDs = append(wantIDs, "archive:"+strconv.FormatInt(ids[i], 10))
		}
	}
	rows, err := admin(t).Query(t.Context(), `SELECT delivery_id FROM `+schema+`.gifts ORDER BY delivery_id`)
	if err != nil {
		t.Fatal(err)
	}
	gotIDs, err := pgx.CollectRows(rows, pgx.RowTo[string])
	if err != nil {
		t.Fatal(err)
	}
	slices.Sort(wantIDs)
	if len(wantIDs) != 3 || !slices.Equal(gotIDs, wantIDs) {
		t.Errorf("ledger delivery ids %v, want %v (one per archived gift)", gotIDs, wantIDs)
	}

	// Opening again changes nothing.
	before := schemaDigest(t, schema)
	open(t, u)
	if got := schemaDigest(t, schema); got != before {
		t.Errorf("another open changed the store:\n got %s\nwant %s", got, before)
	}

	// Every archived event with a key delivered again, through the instances at once, is a
	// duplicate and changes nothing.
	var keyed []*callback.Event
	for i, e := range story {
		if e.ev.EventTime != 0 && ids[i] != 0 {
			keyed = append(keyed, e.ev)
		}
	}
	storetest.Together(len(keyed), func(i int) {
		o, err := stores[i%len(stores)].Save(t.Context(), keyed[i])
		if err != nil || o != callback.OutcomeDuplicate {
			t.Errorf("redelivery of %s %s = %v, %v; want duplicate", keyed[i].Command, keyed[i].Raw, o, err)
		}
	})
	if got := schemaDigest(t, schema); got != before {
		t.Errorf("the redeliveries changed the store:\n got %s\nwant %s", got, before)
	}
	// A gift delivered again is a new delivery: one more ledger row.
	gift := liveSample(t, "live-send-gift.json")
	if o, err := s.Save(t.Context(), gift); err != nil || o != callback.OutcomeStored {
		t.Fatalf("Save of a gift after the migration = %v, %v; want stored", o, err)
	}
	gifts, err := callback.ReadGifts(t.Context(), s, v2App, "live-room-5c2e")
	archived := 0
	for _, g := range gifts {
		if strings.HasPrefix(g.DeliveryID, "archive:") {
			archived++
		}
	}
	if err != nil || len(gifts) != 3 || archived != 2 {
		t.Errorf("ledger after a new gift: %+v, %v; want the two archived and a new one", gifts, err)
	}
}

// TestMigrationFromV2Fails: a migration from version 2 that fails (here, the context ends
// while it refolds) leaves version 2 exactly as it was, and the next cold start migrates.
func TestMigrationFromV2Fails(t *testing.T) {
	story := v2Story(t)
	schema, u, _, fresh, _ := v2Store(t, story)
	before := schemaDigestV2(t, schema)
	err := openCancelledAtRefold(t, u)
	if !errors.Is(err, context.Canceled) || !strings.Contains(err.Error(), "from version 2 to 3") {
		t.Errorf("err = %v, want it to match context.Canceled and name the migration", err)
	}
	postgres.SetMigrateHook(t, nil)
	if got := versions(t, schema); len(got) != 1 || got[0] != 2 {
		t.Errorf("roomhook_schema holds %v after the failure, want [2]", got)
	}
	if tableExists(t, schema, "gifts") || strings.Contains(columns(t, schema, "rooms"), "category") {
		t.Error("the failed migration left version 3's tables or columns")
	}
	if got := schemaDigestV2(t, schema); got != before {
		t.Errorf("the failed migration changed rows:\n got %s\nwant %s", got, before)
	}
	s := open(t, u)
	for _, room := range storyRooms(story) {
		if got, want := roomRows(t, s, room), roomRows(t, fresh, room); !slices.Equal(got, want) {
			t.Errorf("rows of %s after the retry:\n%s\nwant\n%s", room, strings.Join(got, "\n"), strings.Join(want, "\n"))
		}
	}
}

// schemaDigestV2 is schemaDigest of version 2's tables.
func schemaDigestV2(t *testing.T, schema string) string {
	t.Helper()
	var d string
	if err := admin(t).QueryRow(t.Context(), `SELECT
		(SELECT count(*) || md5(string_agg(to_jsonb(x)::text, '|' ORDER BY id)) FROM `+schema+`.callback_events x) || ' ' ||
		(SELECT count(*) || md5(string_agg(to_jsonb(x)::text, '|' ORDER BY to_jsonb(x)::text)) FROM `+schema+`.rooms x) || ' ' ||
		(SELECT count(*) || md5(string_agg(to_jsonb(x)::text, '|' ORDER BY to_jsonb(x)::text)) FROM `+schema+`.room_members x) || ' ' ||
		(SELECT count(*) || md5(string_agg(to_jsonb(x)::text, '|' ORDER BY to_jsonb(x)::text)) FROM `+schema+`.room_seats x)`).Scan(&d); err != nil {
		t.Fatal(err)
	}
	return d
}

// TestMigrationFromV1Steps: a version-1 store goes to version 3 in one transaction: the
// version-2 and version-3 steps, then one refold, the ledger, and version 3 recorded last.
func TestMigrationFromV1Steps(t *testing.T) {
	schema, u := v1Schema(t)
	steps := countSteps(t)
	s := open(t, u)
	got := steps.all()
	postgres.SetMigrateHook(t, nil)
	last := func(step string) int { return slices.Index(got, step) }
	if steps.count("refold the rooms") != 1 || steps.count("build the gift ledger") != 1 ||
		slices.Contains(got, "record version 2") || got[len(got)-1] != "record version 3" ||
		!(last("fill body_sha256") < last("create room_seats") && last("create room_seats") < last("create gifts") &&
			last("create gifts") < last("refold the rooms") && last("refold the rooms") < last("build the gift ledger")) {
		t.Errorf("steps of the migration from version 1: %v", got)
	}
	if got := versions(t, schema); len(got) != 1 || got[0] != 3 {
		t.Errorf("roomhook_schema holds %v, want [3]", got)
	}
	freshName, freshURL := freshSchema(t)
	open(t, freshURL)
	for _, table := range append([]string{"roomhook_schema", "callback_events"}, tableNames()...) {
		if got, want := columns(t, schema, table), columns(t, freshName, table); got != want {
			t.Errorf("columns of the migrated %s:\n got %s\nwant %s (a new store's)", table, got, want)
		}
	}
	checkFold(t, s)
}

// TestGiftSave: a gift takes no room lock; its archive row and ledger row are one transaction
// (a ledger row the server refuses leaves no archive row either); each delivery is a row, a
// delivery saved again (a replay) adds none.
func TestGiftSave(t *testing.T) {
	schema, u := freshSchema(t, "pool_max_conns", "4")
	s := open(t, u)
	gift := liveSample(t, "live-send-gift.json")
	classID, objID := postgres.RoomLock(gift.SdkAppID, gift.RoomID)
	tx, err := admin(t).Begin(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	defer tx.Rollback(context.Background())
	if _, err := tx.Exec(t.Context(), `SELECT pg_advisory_xact_lock($1::int4, $2::int4)`, classID, objID); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(t.Context(), 2*time.Second)
	defer cancel()
	for i := range 2 {
		gift.RequestID = "req-gift-" + strconv.Itoa(i) // another delivery
		if o, err := s.Save(ctx, gift); err != nil || o != callback.OutcomeStored {
			t.Fatalf("Save of a gift while its room is locked = %v, %v; want stored at once", o, err)
		}
	}
	// The same delivery again (a replay from its log line) archives it, adds no ledger row.
	if o, err := s.Save(ctx, gift); err != nil || o != callback.OutcomeStale {
		t.Fatalf("Save of a gift delivery again = %v, %v; want stale", o, err)
	}
	ctx, cancel = context.WithTimeout(t.Context(), 300*time.Millisecond)
	defer cancel()
	if _, err := s.Save(ctx, liveSample(t, "live-modify-admin.json")); !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("Save of an admin change while its room is locked: %v, want it to wait for the lock", err)
	}
	if err := tx.Rollback(t.Context()); err != nil {
		t.Fatal(err)
	}

	gifts, err := callback.ReadGifts(t.Context(), s, gift.SdkAppID, gift.RoomID)
	if err != nil || len(gifts) != 2 || gifts[0].DeliveryID == gifts[1].DeliveryID {
		t.Fatalf("ledger = %+v, %v; want two rows, one per delivery", gifts, err)
	}
	g := gifts[0]
	if g.FromAccount != "viewer-joy" || !slices.Equal(g.ToAccounts, []string{"streamer-ivy", "144115233775727698"}) ||
		g.Coins == nil || *g.Coins != 1500 || g.GiftTime == nil || *g.GiftTime != 1703600020 ||
		g.ReceivedAt != gift.ReceivedAt.UnixMilli() {
		t.Errorf("ledger row %+v", g)
	}

	// A ledger row the server refuses (here a check added for the test) fails the save, and
	// its archive row goes with it: the ledger's INSERT is sent with the COMMIT, which the
	// server then skips.
	if _, err := admin(t).Exec(t.Context(), `ALTER TABLE `+schema+`.gifts ADD CONSTRAINT no_13 CHECK (coins <> 13)`); err != nil {
		t.Fatal(err)
	}
	bad := rawEvent(t, []byte(`{"CallbackCommand":"Live.CallbackBeforeSendGift","RoomId":"live-room-5c2e","GiftWater":{"From_Account":"viewer-13","Coins":13}}`))
	if o, err := s.Save(t.Context(), bad); err == nil || !strings.Contains(err.Error(), "no_13") {
		t.Errorf("Save of a gift whose ledger row the server refuses = %v, %v; want the check's error", o, err)
	}
	if evs, err := s.Events(t.Context(), gift.SdkAppID); err != nil || len(evs) != 3 {
		t.Errorf("%d archived events (%v), want the three gifts: the refused one is not archived", len(evs), err)
	}
}
