package mysql

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/roomhook/roomhook/pkg/callback"
	"github.com/roomhook/roomhook/pkg/store/storetest"
)

// liveEvent is the event of the body in pkg/callback/testdata/live/file.
func liveEvent(t *testing.T, command, file string) *callback.Event {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("..", "..", "callback", "testdata", "live", file))
	if err != nil {
		t.Fatal(err)
	}
	return event(t, command, string(b))
}

// TestGiftTakesNoLock: a gift's save goes through while another transaction holds its room's
// lock, and writes its archive row and its ledger row without creating a lock row; a folded
// event of the room waits.
func TestGiftTakesNoLock(t *testing.T) {
	s, name := open(t)
	admin := adminDB(t, name)
	gift := liveEvent(t, callback.CommandLiveGift, "live-send-gift.json")
	if gift.Folded() {
		t.Fatal("a gift is folded")
	}
	holder, err := admin.BeginTx(t.Context(), nil)
	if err != nil {
		t.Fatal(err)
	}
	defer holder.Rollback()
	if _, err := holder.ExecContext(t.Context(), lockRoomSQL, gift.SdkAppID, gift.RoomID); err != nil {
		t.Fatal(err)
	}

	ctx, cancel := context.WithTimeout(t.Context(), time.Second)
	defer cancel()
	if o, err := s.Save(ctx, gift); err != nil || o != callback.OutcomeStored {
		t.Fatalf("Save of a gift while its room is locked = %v, %v; want stored", o, err)
	}
	admins := liveEvent(t, callback.CommandLiveModifyAdmin, "live-modify-admin.json")
	ctx2, cancel2 := context.WithTimeout(t.Context(), 300*time.Millisecond)
	defer cancel2()
	if o, err := s.Save(ctx2, admins); err == nil {
		t.Errorf("Save of an admin change while its room is locked = %v, nil; want it to wait", o)
	}
	if err := holder.Rollback(); err != nil {
		t.Fatal(err)
	}

	gifts, err := callback.ReadGifts(t.Context(), s, gift.SdkAppID, gift.RoomID)
	if err != nil || len(gifts) != 1 {
		t.Fatalf("ledger = %v, %v; want one row", gifts, err)
	}
	g := gifts[0]
	if g.FromAccount != "viewer-joy" || g.Coins == nil || *g.Coins != 1500 || g.ReceivedAt != testReceivedAt.UnixMilli() ||
		len(g.ToAccounts) == 0 || g.DeliveryID == "" {
		t.Errorf("ledger row = %+v", g)
	}
	var locks, nullTimes int
	if err := admin.QueryRowContext(t.Context(), `SELECT count(*) FROM roomhook_room_locks`).Scan(&locks); err != nil || locks != 0 {
		t.Errorf("%d lock rows (%v) after a gift, want none", locks, err)
	}
	if err := admin.QueryRowContext(t.Context(), `SELECT count(*) FROM callback_events
		WHERE callback_command = ? AND room_id = ? AND event_time IS NULL`, callback.CommandLiveGift, gift.RoomID).Scan(&nullTimes); err != nil || nullTimes != 1 {
		t.Errorf("%d archive rows of the gift (%v), want one with a NULL event_time", nullTimes, err)
	}
}

// TestLiveStoredForm checks how version 3's values sit in the tables: integer lists as JSON
// arrays ([] kept, NULL when absent), a battle under its from_room_id, and the CHECK
// constraints of the new tables.
func TestLiveStoredForm(t *testing.T) {
	s, name := open(t)
	for _, ev := range []*callback.Event{
		liveEvent(t, callback.CommandLiveCreateRoom, "live-create-room.json"),
		liveEvent(t, callback.CommandLiveCreateRoom, "live-create-room-eventtime-in-roominfo.json"),
		liveEvent(t, callback.CommandLiveCreateBattle, "live-create-battle.json"),
		liveEvent(t, callback.CommandLiveStartBattle, "live-start-battle.json"),
		liveEvent(t, callback.CommandLiveEndBattle, "live-end-battle.json"),
		liveEvent(t, callback.CommandLiveSetMetadata, "live-set-metadata.json"),
		liveEvent(t, callback.CommandLiveModifyAdmin, "live-modify-admin.json"),
	} {
		if o, err := s.Save(t.Context(), ev); err != nil || o != callback.OutcomeStored {
			t.Fatalf("Save(%s) = %v, %v; want stored", ev.Command, o, err)
		}
	}
	db := adminDB(t, name)
	got := dump(t, db, `SELECT room_id, category FROM rooms ORDER BY room_id`)
	want := []string{"live-room-5c2e | [3,14,15]", "live-room-6d3f | []"}
	if len(got) != 2 || got[0] != want[0] || got[1] != want[1] {
		t.Errorf("rooms.category = %q, want %q", got, want)
	}
	r, err := callback.ReadRoom(t.Context(), s, storetest.SeedSdkAppID, "live-room-6d3f")
	if err != nil || r.Live.Category == nil || len(r.Live.Category) != 0 {
		t.Errorf("category of live-room-6d3f = %#v (%v), want an empty, non-nil list", r.Live.Category, err)
	}
	got = dump(t, db, `SELECT from_room_id, stage, to_room_ids, to_scores, winner_room_id FROM battles`)
	if len(got) != 1 || got[0] != `live-room-5c2e | ended | ["live-rival-7f3d","live-rival-6e2c"] | [52,48] | live-rival-7f3d` {
		t.Errorf("battles = %q", got)
	}
	battles, err := callback.ReadBattles(t.Context(), s, storetest.SeedSdkAppID, "live-room-5c2e")
	if err != nil || len(battles) != 1 || battles[0].WinnerRoomID == nil || *battles[0].WinnerRoomID != "live-rival-7f3d" {
		t.Errorf("ReadBattles(live-room-5c2e) = %v, %v", battles, err)
	}
	if rows, err := s.Rows(t.Context(), callback.BattlesTable, storetest.SeedSdkAppID, "live-rival-7f3d"); err != nil || len(rows) != 0 {
		t.Errorf("battles of an invited room = %v, %v; want none (a battle is under its from_room_id)", rows, err)
	}
	for _, stmt := range []string{
		`INSERT INTO room_admins (sdk_app_id, room_id, admin_account, state, event_time, updated_at) VALUES (1, 'r', 'a', 'Admin', 1, 1)`,
		`INSERT INTO room_metadata (sdk_app_id, room_id, meta_key, deleted, event_time, updated_at) VALUES (1, 'r', 'k', 2, 1, 1)`,
		`INSERT INTO battles (sdk_app_id, from_room_id, battle_id, stage, callback_command, event_time, updated_at) VALUES (1, 'r', 'b', 'over', 'c', 1, 1)`,
		`INSERT INTO gifts (sdk_app_id, room_id, delivery_id, received_at) VALUES (1, 'r', 'd', 1)`,
	} {
		if _, err := db.ExecContext(t.Context(), stmt); err == nil {
			t.Errorf("%s succeeded, want a CHECK or NOT NULL violation", stmt)
		}
	}
}

// The example queries of docs/stores.md's MySQL section, for app 1400123456 and room X.
var docQueries = map[string]string{
	"viewers": `SELECT room_id, COUNT(*) AS viewers FROM room_members
WHERE sdk_app_id = 1400123456 AND state = 'in'
GROUP BY room_id ORDER BY viewers DESC`,
	"admins": `SELECT admin_account FROM room_admins
WHERE sdk_app_id = 1400123456 AND room_id = 'X' AND state = 'admin' ORDER BY admin_account`,
	"metadata": `SELECT meta_key, meta_value FROM room_metadata
WHERE sdk_app_id = 1400123456 AND room_id = 'X' AND deleted = 0 ORDER BY meta_key`,
	"coins": `SELECT s.streamer, SUM(g.coins * COALESCE(g.gift_count, 1)) AS coins
FROM gifts g, JSON_TABLE(g.to_accounts, '$[*]' COLUMNS (streamer VARCHAR(255) PATH '$')) s
WHERE g.sdk_app_id = 1400123456 AND g.received_at >= UNIX_TIMESTAMP() DIV 86400 * 86400000
GROUP BY s.streamer ORDER BY coins DESC, s.streamer`,
	"won": `SELECT battle_id, from_room_id, from_score, to_room_ids, to_scores, end_time FROM battles
WHERE sdk_app_id = 1400123456 AND winner_room_id = 'X' ORDER BY end_time DESC`,
}

// TestDocQueries runs the example queries of docs/stores.md on a store that saved the Live
// bodies of pkg/callback/testdata/live for room X.
func TestDocQueries(t *testing.T) {
	s, name := open(t)
	files, err := filepath.Glob(filepath.Join("..", "..", "callback", "testdata", "live", "*.json"))
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range files {
		if filepath.Base(f) == "live-destroy-room.json" {
			continue // so that viewers are online
		}
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		body := strings.NewReplacer(`"live-room-5c2e"`, `"X"`, `"live-rival-7f3d"`, `"X"`).Replace(string(b))
		var env struct{ CallbackCommand string }
		if err := json.Unmarshal([]byte(body), &env); err != nil {
			t.Fatal(err)
		}
		ev := event(t, env.CallbackCommand, body)
		ev.ReceivedAt = time.Now()
		if _, err := s.Save(t.Context(), ev); err != nil {
			t.Fatalf("%s: %v", f, err)
		}
	}
	db := adminDB(t, name)
	want := map[string][]string{
		"viewers":  nil, // filled below
		"admins":   {"144115233775727699", "admin-mia"},
		"metadata": {"theme | dawn 晨"},
		"coins":    {"144115233775727698 | 4500", "streamer-ivy | 4500"},
		"won":      {`4siHsNsWN/T3aub9zKraqPbSEGRX2z6gs3LDFi+d/3M= | X | 37 | ["X","live-rival-6e2c"] | [52,48] | 1703600072`},
	}
	members, err := callback.ReadMembers(t.Context(), s, storetest.SeedSdkAppID, "X")
	if err != nil {
		t.Fatal(err)
	}
	in := 0
	for _, m := range members {
		if m.State == callback.MemberIn {
			in++
		}
	}
	if in == 0 {
		t.Fatal("no viewer online in X")
	}
	want["viewers"] = []string{"X | " + strconv.Itoa(in)}
	for q, text := range docQueries {
		if got := dump(t, db, text); !slices.Equal(got, want[q]) {
			t.Errorf("%s = %q, want %q", q, got, want[q])
		}
	}
}
