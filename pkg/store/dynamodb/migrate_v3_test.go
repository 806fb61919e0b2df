package dynamodb

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	ddb "github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/roomhook/roomhook/pkg/callback"
	"github.com/roomhook/roomhook/pkg/store/storetest"
)

// A delivery of a callback, as the core receives it.
type delivery struct {
	command, body, request string
	at                     time.Time
}

// coreEvent builds d's event as the current core does; an error for a body the core refuses
// (it answers 400 and stores nothing).
func coreEvent(app int64, d delivery) (*callback.Event, error) {
	ev := &callback.Event{SdkAppID: app, Command: d.command, ClientIP: "198.51.100.7", OptPlatform: "Web",
		RequestID: d.request, ReceivedAt: d.at, Raw: []byte(d.body)}
	p, err := callback.ParsePayload(d.command, ev.Raw)
	if err != nil {
		return nil, err
	}
	if p != nil {
		ev.Payload = p
		ev.RoomID, ev.EventTime = p.Key()
		return ev, nil
	}
	env, err := callback.ParseEnvelope(ev.Raw)
	if err != nil {
		return nil, err
	}
	ev.RoomID, ev.EventTime = env.RoomID, env.EventTime
	return ev, nil
}

// v2Event builds d's event as version 2's core did: the payload parsed for the commands it
// projected, the envelope's RoomId and EventTime for the others (a battle, which has no
// RoomId, under room ""); an error for a body it refused.
func v2Event(app int64, d delivery) (*callback.Event, error) {
	if slices.Contains(storetest.V2Projected, d.command) {
		return coreEvent(app, d)
	}
	return storetest.AsVersion2(&callback.Event{SdkAppID: app, Command: d.command, ClientIP: "198.51.100.7",
		OptPlatform: "Web", RequestID: d.request, ReceivedAt: d.at, Raw: []byte(d.body)})
}

// liveBody returns a body of pkg/callback/testdata/live, with each of replace's pairs replaced.
func liveBody(t *testing.T, name string, replace ...string) string {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("..", "..", "callback", "testdata", "live", name+".json"))
	if err != nil {
		t.Fatal(err)
	}
	return strings.NewReplacer(replace...).Replace(string(b))
}

// The rooms of v3Deliveries.
const (
	v3RoomFamily  = "v2-room"
	v3Live        = "live-room-5c2e" // the testdata's room
	v3LiveEmpty   = "live-room-6d3f" // created with Category []
	v3LiveNoTime  = "live-room-7e40" // created without EventTime (CreateTime × 1000)
	v3LiveMembers = "live-members-only"
)

// refusedAt is the EventTime of the admin change of v3Deliveries that version 3 refuses.
const refusedAt = "1703600007679"

var v3Rooms = []string{v3RoomFamily, v3Live, v3LiveEmpty, v3LiveNoTime, v3LiveMembers, "live-rival-6e2c", "live-rival-7f3d", ""}

// v3Deliveries are the callbacks of the migration tests: every command of both families, the
// Live ones from pkg/callback/testdata/live, two deliveries of one gift and a gift of another
// room, a Live room with member states alone, an admin change version 2 archived that version
// 3 refuses (its opType), the threshold and a command roomhook does not know.
func v3Deliveries(t *testing.T) []delivery {
	t.Helper()
	bodies := []struct{ command, body string }{
		{callback.CommandCreateRoom, fmt.Sprintf(`{"CallbackCommand":"Room.CallbackAfterCreateRoom","Operator_Account":"op",`+
			`"RoomInfo":{"RoomId":%q,"RoomName":"room family","MaxSeatCount":4},"EventTime":%d}`, v3RoomFamily, t0)},
		{callback.CommandUpdateRoom, fmt.Sprintf(`{"CallbackCommand":"Room.CallbackAfterUpdateRoomInfo",`+
			`"RoomInfo":{"RoomId":%q,"RoomName":"renamed"},"EventTime":%d}`, v3RoomFamily, t0+10)},
		{callback.CommandMemberEnter, enterBody(v3RoomFamily, t0+20, 2, "u1", "u2")},
		{callback.CommandMemberLeave, leaveBody(v3RoomFamily, t0+30, 1, "Kicked", "spam", "u2")},
		{callback.CommandSeatChanged, fmt.Sprintf(`{"CallbackCommand":"Mic.CallbackAfterSeatInfoChanged","RoomId":%q,`+
			`"SeatList":[{"Index":1,"Member_Account":"u1"}],"EventTime":%d}`, v3RoomFamily, t0+40)},
		{"Room.CallbackAfterSomethingNew", fmt.Sprintf(`{"CallbackCommand":"Room.CallbackAfterSomethingNew","RoomId":%q,"EventTime":%d}`,
			v3RoomFamily, t0+50)},
		{callback.CommandDestroyRoom, fmt.Sprintf(`{"CallbackCommand":"Room.CallbackAfterDestroyRoom","RoomId":%q,"EventTime":%d}`,
			v3RoomFamily, t0+60)},

		{callback.CommandLiveCreateRoom, liveBody(t, "live-create-room")},
		{callback.CommandLiveUpdateRoom, liveBody(t, "live-update-room")},
		{callback.CommandLiveMemberState, liveBody(t, "live-member-state")},
		{callback.CommandLiveMemberStateAlt, liveBody(t, "live-member-state-alt")},
		{callback.CommandLiveChangeOwner, liveBody(t, "live-change-owner")},
		{callback.CommandLiveModifyAdmin, liveBody(t, "live-modify-admin")},
		{callback.CommandLiveModifyAdmin, liveBody(t, "live-modify-admin-delete")},
		{callback.CommandLiveModifyAdmin, liveBody(t, "live-modify-admin", `"add"`, `"promote"`, "1703600007678", refusedAt)},
		{callback.CommandLiveSetMetadata, liveBody(t, "live-set-metadata")},
		{callback.CommandLiveDelMetadata, liveBody(t, "live-del-metadata")},
		{callback.CommandLiveCreateBattle, liveBody(t, "live-create-battle")},
		{callback.CommandLiveStartBattle, liveBody(t, "live-start-battle")},
		{callback.CommandLiveEndBattle, liveBody(t, "live-end-battle")},
		{callback.CommandLiveEndBattle, liveBody(t, "live-end-battle-every-field")},
		{callback.CommandLiveGift, liveBody(t, "live-send-gift")},
		{callback.CommandLiveGift, liveBody(t, "live-send-gift")},
		{callback.CommandLiveGift, liveBody(t, "live-send-gift", v3Live, v3LiveEmpty)},
		{callback.CommandLiveThreshold, liveBody(t, "live-threshold")},
		{callback.CommandLiveDestroyRoom, liveBody(t, "live-destroy-room")},
		{callback.CommandLiveCreateRoom, liveBody(t, "live-create-room-eventtime-in-roominfo")},
		{callback.CommandLiveCreateRoom, liveBody(t, "live-create-room-no-eventtime")},
		{callback.CommandLiveMemberState, liveBody(t, "live-member-state", v3Live, v3LiveMembers)},
		{callback.CommandLiveMemberStateAlt, liveBody(t, "live-member-state-alt", v3Live, v3LiveMembers)},
	}
	out := make([]delivery, len(bodies))
	for i, b := range bodies {
		out[i] = delivery{command: b.command, body: b.body, request: fmt.Sprintf("req-%02d", i),
			at: time.UnixMilli(t0 + 200_000 + int64(i)*1_000)}
	}
	return out
}

// writeV2 fills s, a table of version 2, with deliveries as version 2 left them: each archive
// item under version 2's key (the Live family's in group X, a battle under room ""), and the
// rooms, members and seats items of the events version 2 projected (made by a store of this
// version in a table of its own, without the columns version 3 added). It returns how many
// items it archived.
func writeV2(t *testing.T, s *Store, app int64, deliveries []delivery) int {
	t.Helper()
	scratch := open(t)
	archived := 0
	for _, d := range deliveries {
		ev, err := v2Event(app, d)
		if err != nil {
			continue // version 2 refused it too
		}
		item, err := archiveItem(ev, stamp(s.nextStamp()))
		if err != nil {
			t.Fatal(err)
		}
		if ev.EventTime != 0 && !slices.Contains(v2Grouped, ev.Command) {
			item[attrSK] = attrS(groupPrefix(groupOther) + timeKey(ev.EventTime) + "#" + ev.Command + "#" + ev.Digest())
		}
		putItem(t, s.table, item)
		archived++
		if ev.Payload != nil {
			if _, err := scratch.Save(t.Context(), ev); err != nil {
				t.Fatalf("scratch Save(%s): %v", ev.Command, err)
			}
		}
	}
	for _, item := range scanAll(t, scratch.table) {
		pk, sk := str(item, attrPK), str(item, attrSK)
		switch {
		case strings.HasPrefix(pk, roomPrefix) && sk == roomSK:
			for _, c := range callback.RoomsTable.Columns[callback.RoomsV2Columns:] {
				delete(item, c.Name)
			}
		case strings.HasPrefix(pk, membersPrefix), strings.HasPrefix(pk, seatsPrefix):
		default:
			continue
		}
		putItem(t, s.table, item)
	}
	return archived
}

// freshV3 returns a new table of this version that saved deliveries, as the core builds them.
func freshV3(t *testing.T, app int64, deliveries []delivery) *Store {
	t.Helper()
	fresh := open(t)
	for _, d := range deliveries {
		ev, err := coreEvent(app, d)
		if err != nil {
			continue
		}
		if _, err := fresh.Save(t.Context(), ev); err != nil {
			t.Fatalf("Save(%s): %v", ev.Command, err)
		}
	}
	return fresh
}

// checkSameRows checks that every table of every room of v3Rooms holds in s what it holds in
// want, updated_at (and the ledger's delivery_id) aside.
func checkSameRows(t *testing.T, s, want *Store, app int64, when string) {
	t.Helper()
	for _, room := range v3Rooms {
		for _, tb := range callback.Tables {
			if got, w := rowsOf(t, s, tb, app, room), rowsOf(t, want, tb, app, room); !slices.Equal(got, w) {
				t.Errorf("%s of room %q %s:\n got  %v\n want (a new store that saved the same deliveries) %v", tb.Name, room, when, got, w)
			}
		}
	}
}

// snapshot returns every item of table, canonical, by key.
func snapshot(t *testing.T, table string) map[string]string {
	t.Helper()
	out := map[string]string{}
	for _, item := range scanAll(t, table) {
		out[itemKey(item)] = canon(item)
	}
	return out
}

// eventsOf returns an app's archive as Reader.Events lists it, as sorted strings.
func eventsOf(t *testing.T, s *Store, app int64) []string {
	t.Helper()
	evs, err := s.Events(t.Context(), app)
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, ev := range evs {
		out = append(out, fmt.Sprintf("%s %q @%d %s %d %.60s", ev.Command, ev.RoomID, ev.EventTime, ev.RequestID,
			ev.ReceivedAt.UnixMilli(), ev.Raw))
	}
	slices.Sort(out)
	return out
}

// TestMigrationFromV2 opens a table version 2 left (made with the code's own steps, then filled
// as version 2 archived and projected) with several cold starts at once: they agree on version
// 3; the Live family's archive items are in their groups (a battle under the room that started
// it); every room's rows, in every table, are those of a new store that saved the same
// deliveries; the ledger holds one row per archived gift, delivery_id "archive:<gsi1sk>"; the
// archive lists the same events; a second open changes nothing; and every event delivered
// again is a duplicate that changes no row (a gift, every delivery of which is a ledger row,
// adds one).
func TestMigrationFromV2(t *testing.T) {
	isolateAWS(t)
	table := tableName()
	dropTable(t, table)
	u := storeURL(t, table)
	const app = storetest.SeedSdkAppID
	v2, err := openAtVersion(t.Context(), u, 2)
	if err != nil {
		t.Fatal(err)
	}
	checkVersionItem(t, table, "2")
	deliveries := v3Deliveries(t)
	archived := writeV2(t, v2, app, deliveries)
	v2.Close()
	if n := len(eventsOf(t, openAtVersionT(t, u, 2), app)); n != archived {
		t.Fatalf("version 2 table lists %d events, want %d", n, archived)
	}
	fresh := freshV3(t, app, deliveries)
	// The comparison is worth something only if the deliveries make rows in every table.
	for _, c := range []struct {
		tb   *callback.Table
		room string
		n    int
	}{{callback.RoomsTable, v3Live, 1}, {callback.MembersTable, v3Live, 4}, {callback.AdminsTable, v3Live, 3},
		{callback.MetadataTable, v3Live, 3}, {callback.BattlesTable, v3Live, 2}, {callback.GiftsTable, v3Live, 2},
		{callback.GiftsTable, v3LiveEmpty, 1}, {callback.MembersTable, v3LiveMembers, 4}, {callback.SeatsTable, v3RoomFamily, 1}} {
		if rows := rowsOf(t, fresh, c.tb, app, c.room); len(rows) != c.n {
			t.Fatalf("the new store holds %d rows of %s in %q, want %d", len(rows), c.tb.Name, c.room, c.n)
		}
	}
	before := snapshot(t, table)
	eventsBefore := eventsOf(t, openAtVersionT(t, u, 2), app)

	stores, ok := storetest.OpenTogether(t, 4, func() (*Store, error) { return Open(t.Context(), u, Options{}) })
	if !ok {
		t.FailNow()
	}
	s := stores[0]
	checkVersionItem(t, table, "4")
	if item := getItem(t, table, schemaPK, schemaSK); item[attrLegacyUntil] != nil {
		t.Errorf("a table migrated from version 2 has legacy_until: %s", canon(item))
	}
	checkSameRows(t, s, fresh, app, "after the migration")
	room, err := callback.ReadRoom(t.Context(), s, app, v3LiveEmpty)
	if err != nil || room.Live.Category == nil || len(room.Live.Category) != 0 {
		t.Errorf("room %s: Category %#v, %v; want an empty list", v3LiveEmpty, room.Live.Category, err)
	}

	// The archive: the same events; the Live family's items in their groups, every one but
	// the admin change version 3 refuses; a battle's in the room that started it.
	if got := eventsOf(t, s, app); !slices.Equal(got, moveBattles(eventsBefore)) {
		t.Errorf("Events after the migration:\n got  %v\n want %v", got, eventsBefore)
	}
	after := snapshot(t, table)
	gifts := 0
	for k, item := range after {
		pk, sk, _ := strings.Cut(k, " | ")
		command := between(item, `callback_command=S"`, `"`)
		switch {
		case strings.HasPrefix(sk, groupPrefix(groupOther)) && slices.Contains(movedCommands(), command) &&
			!strings.Contains(sk, refusedAt):
			t.Errorf("item %s left in group X", k)
		case strings.HasPrefix(sk, eventPrefix) && slices.Contains(movedCommands(), command):
			if strings.Contains(command, "Battle") && pk != roomPK(app, v3Live) {
				t.Errorf("battle item %s not in the partition of its from room", k)
			}
		case strings.HasPrefix(sk, noTimePrefix) && command == callback.CommandLiveGift:
			gifts++
			ledger := tablePK(giftsPrefix, app, between(item, `room_id=S"`, `"`)) + " | " + archiveDeliveryPrefix +
				between(item, `gsi1sk=S"`, `"`)
			if _, ok := after[ledger]; !ok {
				t.Errorf("archived gift %s has no ledger item %s", k, ledger)
			}
		}
	}
	ledgers := 0
	for k := range after {
		if strings.HasPrefix(k, giftsPrefix) {
			ledgers++
			if !strings.Contains(k, " | "+archiveDeliveryPrefix) {
				t.Errorf("ledger item %s: delivery_id not archive:…", k)
			}
		}
	}
	if gifts != 3 || ledgers != gifts {
		t.Errorf("%d archived gifts, %d ledger items; want 3 of each", gifts, ledgers)
	}
	for k, v := range before {
		if strings.Contains(k, " | "+groupPrefix(groupOther)) && strings.Contains(k, refusedAt) && after[k] != v {
			t.Errorf("the item version 3 cannot parse changed: %s", k)
		}
	}

	// A second open changes nothing.
	s2 := openURL(t, u)
	if again := snapshot(t, table); !mapsEqual(again, after) {
		t.Errorf("a second open changed the table")
	}

	// Every delivery again: a duplicate changing no row; a gift one more ledger row.
	rowsBefore := map[string][]string{}
	for _, room := range v3Rooms {
		for _, tb := range callback.Tables {
			rowsBefore[room+" "+tb.Name] = fullRowsOf(t, s, tb, app, room)
		}
	}
	for i, d := range deliveries {
		ev, err := coreEvent(app, d)
		if err != nil {
			continue
		}
		want := callback.OutcomeDuplicate
		if ev.Command == callback.CommandLiveGift {
			want = callback.OutcomeStored
		}
		if o, err := []*Store{s, s2}[i%2].Save(t.Context(), ev); err != nil || o != want {
			t.Errorf("delivery %d (%s) again: %v, %v; want %v", i, d.command, o, err, want)
		}
	}
	for _, room := range v3Rooms {
		for _, tb := range callback.Tables {
			got, want := fullRowsOf(t, s, tb, app, room), rowsBefore[room+" "+tb.Name]
			if tb == callback.GiftsTable {
				if len(got) != 2*len(want) {
					t.Errorf("ledger of %q after the gifts again: %d rows, want %d", room, len(got), 2*len(want))
				}
				continue
			}
			if !slices.Equal(got, want) {
				t.Errorf("%s of %q changed by the deliveries again:\n got  %v\n want %v", tb.Name, room, got, want)
			}
		}
	}

	// The migration's work done again, as an instance still migrating would do it beside
	// saves of this version: nothing changes (the gifts saved since name their ledger rows).
	now := snapshot(t, table)
	if _, err := s.migrateArchive(t.Context(), 2, 3); err != nil {
		t.Fatal(err)
	}
	if again := snapshot(t, table); !mapsEqual(again, now) {
		t.Errorf("the migration's work done again changed the table")
	}
}

// moveBattles returns Events lines with the battles' room "" replaced by the room that started
// them, as the migration archives them.
func moveBattles(lines []string) []string {
	out := make([]string, len(lines))
	for i, l := range lines {
		if strings.Contains(l, "Battle ") {
			l = strings.Replace(l, ` "" @`, ` "`+v3Live+`" @`, 1)
		}
		out[i] = l
	}
	slices.Sort(out)
	return out
}

// between returns what s holds between the first from and the next to ("" if none).
func between(s, from, to string) string {
	_, rest, ok := strings.Cut(s, from)
	if !ok {
		return ""
	}
	v, _, _ := strings.Cut(rest, to)
	return v
}

func mapsEqual(a, b map[string]string) bool {
	if len(a) != len(b) {
		return false
	}
	for k, v := range a {
		if w, ok := b[k]; !ok || w != v {
			return false
		}
	}
	return true
}

// openAtVersionT is openAtVersion, closed when the test ends.
func openAtVersionT(t *testing.T, u string, v int64) *Store {
	t.Helper()
	s, err := openAtVersion(t.Context(), u, v)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

// TestMigrationFromV2Interrupted: a cold start whose context ends after it moved one archive
// item leaves version 2, and the next cold start completes the migration, with the rows of a
// new store that saved the same deliveries and one ledger row per archived gift.
func TestMigrationFromV2Interrupted(t *testing.T) {
	isolateAWS(t)
	table := tableName()
	dropTable(t, table)
	u := storeURL(t, table)
	const app = storetest.SeedSdkAppID
	deliveries := v3Deliveries(t)
	writeV2(t, openAtVersionT(t, u, 2), app, deliveries)
	fresh := freshV3(t, app, deliveries)

	ctx, cancel := context.WithCancel(t.Context())
	defer cancel()
	var once sync.Once
	migrateAtOnce, migrateItemHook = 1, func(string) { once.Do(cancel) }
	t.Cleanup(func() { migrateAtOnce, migrateItemHook = 16, nil })
	if s, err := Open(ctx, u, Options{}); err == nil {
		s.Close()
		t.Fatal("Open succeeded though its context ended during the migration")
	} else if !errors.Is(err, context.Canceled) {
		t.Errorf("Open = %v; want the end of its context", err)
	}
	checkVersionItem(t, table, "2")
	migrateItemHook = nil
	s := openURL(t, u)
	checkVersionItem(t, table, "4")
	checkSameRows(t, s, fresh, app, "after the migration completed")
	if rows, err := s.Rows(t.Context(), callback.GiftsTable, app, v3Live); err != nil || len(rows) != 2 {
		t.Errorf("ledger of %s: %d rows, %v; want 2", v3Live, len(rows), err)
	}
}

// TestMigrationFromV1Live: a version 1 table whose archive holds Live items under version 1's
// keys (a battle under room "", as version 1 archived every command it did not project) goes
// to version 3 in one migration that refolds each room once: the Live items move to their
// version 3 keys and the rows are those of a new store that saved the same deliveries.
func TestMigrationFromV1Live(t *testing.T) {
	isolateAWS(t)
	table := tableName()
	dropTable(t, table)
	u := storeURL(t, table)
	const app = storetest.SeedSdkAppID
	v1 := openAtVersionT(t, u, 1)
	deliveries := v3Deliveries(t)
	for _, d := range deliveries {
		// Version 1 archived every callback by its envelope, under "EVENT#<time>#<command>" (or
		// "EVENT#NOTIME#<gsi1sk>"), without body_sha256, and projected only the Room family's
		// creates (not written here: the migration refolds their rooms).
		ev, err := v2Event(app, delivery{command: d.command, body: d.body, request: d.request, at: d.at})
		if err != nil {
			continue
		}
		env, _ := callback.ParseEnvelope(ev.Raw)
		ev.RoomID, ev.EventTime = env.RoomID, env.EventTime
		st := stamp(v1.nextStamp())
		item, err := archiveItem(ev, st)
		if err != nil {
			t.Fatal(err)
		}
		delete(item, attrBodySHA256)
		if ev.EventTime == 0 {
			item[attrSK] = attrS(noTimePrefix + st)
		} else {
			item[attrSK] = attrS(legacySK(ev.EventTime, ev.Command))
		}
		putItem(t, table, item)
	}
	fresh := freshV3(t, app, deliveries)

	var mu sync.Mutex
	refolds := map[string]int{}
	refoldHook = func(_ int64, room string) {
		mu.Lock()
		refolds[room]++
		mu.Unlock()
	}
	t.Cleanup(func() { refoldHook = nil })
	s := openURL(t, u)
	checkVersionItem(t, table, "4")
	if s.legacyUntil == 0 {
		t.Error("legacy_until not set by the migration from version 1")
	}
	for room, n := range refolds {
		if n != 1 {
			t.Errorf("room %q refolded %d times, want once", room, n)
		}
	}
	for _, room := range []string{v3RoomFamily, v3Live, v3LiveEmpty, v3LiveNoTime, v3LiveMembers} {
		if refolds[room] != 1 {
			t.Errorf("room %q refolded %d times, want once", room, refolds[room])
		}
	}
	checkSameRows(t, s, fresh, app, "after the migration from version 1")
	// Version 1 made no room item of a Live room: the refold inserts them, each after its
	// directory item (version 4), and the ledger items it makes carry their index keys.
	checkDirectory(t, table)
	if n := checkLedgerIndex(t, table); n != 3 {
		t.Errorf("%d ledger items, want 3", n)
	}
	checkSameLists(t, s, fresh, app, true, false, "after the migration from version 1")
	for _, item := range scanAll(t, table) {
		sk, command := str(item, attrSK), str(item, attrCommand)
		if strings.HasPrefix(sk, legacyPrefix) && slices.Contains(movedCommands(), command) && !strings.Contains(sk, refusedAt) {
			t.Errorf("version 1 Live item %s not moved", itemKey(item))
		}
	}
	// Every delivery again is a duplicate (the gifts aside).
	for i, d := range deliveries {
		ev, err := coreEvent(app, d)
		if err != nil || ev.Command == callback.CommandLiveGift {
			continue
		}
		if o, err := s.Save(t.Context(), ev); err != nil || o != callback.OutcomeDuplicate {
			t.Errorf("delivery %d (%s) again: %v, %v; want a duplicate", i, d.command, o, err)
		}
	}
}

// TestGroupSizes: the projected commands each group holds, as the filter of a group's Query
// counts them (groupRange).
func TestGroupSizes(t *testing.T) {
	want := map[string]int{groupLife: 8, groupMembers: 2, groupSeats: 1, groupLiveMembers: 2, groupAdmins: 1,
		groupMetadata: 2, groupBattles: 3}
	if got := groupSizes(); !maps.Equal(got, want) {
		t.Errorf("groupSizes = %v, want %v", got, want)
	}
}

// TestArchiveGroupsV3: every query of the archive the projection makes is one key range (one
// Query): the Live family's folded commands have groups of their own, none reads group X;
// the gift and the commands roomhook does not project are archived in X.
func TestArchiveGroupsV3(t *testing.T) {
	for _, c := range callback.FoldedCommands() {
		if groupOf(c) == groupOther {
			t.Errorf("folded command %s is archived in group X", c)
		}
	}
	for _, c := range []string{callback.CommandLiveGift, callback.CommandLiveThreshold, "Room.CallbackAfterSomethingNew"} {
		if groupOf(c) != groupOther {
			t.Errorf("command %s is archived in group %s, want X", c, groupOf(c))
		}
	}
	if groupOf(callback.CommandMemberEnter) == groupOf(callback.CommandLiveMemberState) {
		t.Error("the Live member states share the group of the Room family's member events")
	}

	s := open(t)
	const app = storetest.SeedSdkAppID
	var queries atomic.Int32
	var readX atomic.Bool
	query := s.client.query
	s.client.query = func(ctx context.Context, in *ddb.QueryInput, o ...func(*ddb.Options)) (*ddb.QueryOutput, error) {
		queries.Add(1)
		if lo, ok := in.ExpressionAttributeValues[":lo"].(*types.AttributeValueMemberS); ok &&
			strings.HasPrefix(lo.Value, groupPrefix(groupOther)) {
			readX.Store(true)
		}
		return query(ctx, in, o...)
	}
	// Every delivery saved: no save reads group X.
	for _, d := range v3Deliveries(t) {
		ev, err := coreEvent(app, d)
		if err != nil {
			continue
		}
		if _, err := s.Save(t.Context(), ev); err != nil {
			t.Fatalf("Save(%s): %v", ev.Command, err)
		}
	}
	if readX.Load() {
		t.Error("a save read group X of the archive")
	}

	x := &tx{s: s, app: app, room: v3Live}
	lifeCommands := []string{callback.CommandCreateRoom, callback.CommandUpdateRoom, callback.CommandUpdateRoomAlt,
		callback.CommandDestroyRoom, callback.CommandLiveCreateRoom, callback.CommandLiveUpdateRoom,
		callback.CommandLiveChangeOwner, callback.CommandLiveDestroyRoom}
	at := int64(1703600004345) // the member state's
	for _, q := range []struct {
		name string
		q    callback.ArchiveQuery
		want int
	}{
		{"life", callback.ArchiveQuery{Commands: lifeCommands}, 4},
		{"newest member event", callback.ArchiveQuery{Commands: []string{callback.CommandMemberEnter, callback.CommandMemberLeave}, Newest: true}, 0},
		{"Live member states at one time", callback.ArchiveQuery{Commands: []string{callback.CommandLiveMemberState,
			callback.CommandLiveMemberStateAlt}, From: at, To: at}, 1},
		{"destroys", callback.ArchiveQuery{Commands: []string{callback.CommandDestroyRoom, callback.CommandLiveDestroyRoom}}, 1},
		{"seats", callback.ArchiveQuery{Commands: []string{callback.CommandSeatChanged}}, 0},
		{"admins", callback.ArchiveQuery{Commands: []string{callback.CommandLiveModifyAdmin}}, 2},
		{"metadata", callback.ArchiveQuery{Commands: []string{callback.CommandLiveSetMetadata, callback.CommandLiveDelMetadata}}, 2},
		{"battles", callback.ArchiveQuery{Commands: []string{callback.CommandLiveCreateBattle, callback.CommandLiveStartBattle,
			callback.CommandLiveEndBattle}}, 4},
	} {
		queries.Store(0)
		got, err := x.Archived(t.Context(), q.q)
		if err != nil {
			t.Fatalf("%s: %v", q.name, err)
		}
		if n := queries.Load(); n != 1 {
			t.Errorf("%s took %d Queries, want 1", q.name, n)
		}
		if len(got) != q.want {
			t.Errorf("%s = %d events, want %d", q.name, len(got), q.want)
		}
	}
}
