package sqlite_test

import (
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/roomhook/roomhook/pkg/callback"
)

// The example queries of docs/stores.md's SQLite section, for app 1400123456 and room X.
const (
	queryViewersOnline = `SELECT room_id, count(*) AS viewers FROM room_members
WHERE sdk_app_id = 1400123456 AND state = 'in'
GROUP BY room_id ORDER BY viewers DESC`
	queryAdmins = `SELECT admin_account FROM room_admins
WHERE sdk_app_id = 1400123456 AND room_id = 'X' AND state = 'admin' ORDER BY admin_account`
	queryMetadata = `SELECT meta_key, meta_value FROM room_metadata
WHERE sdk_app_id = 1400123456 AND room_id = 'X' AND deleted = 0 ORDER BY meta_key`
	queryGiftCoins = `SELECT s.value AS streamer, sum(g.coins * coalesce(g.gift_count, 1)) AS coins
FROM gifts g, json_each(g.to_accounts) s
WHERE g.sdk_app_id = 1400123456
  AND g.received_at >= strftime('%s', 'now', 'start of day') * 1000
GROUP BY s.value ORDER BY coins DESC, streamer`
	queryBattlesWon = `SELECT battle_id, from_room_id, from_score, to_room_ids, to_scores, end_time FROM battles
WHERE sdk_app_id = 1400123456 AND winner_room_id = 'X' ORDER BY end_time DESC`
)

// TestStoredFormLive checks how the version 3 columns and tables sit in the file (JSON arrays as
// text, booleans 0/1, the checks users' own writes meet), and that docs/stores.md's example
// queries run and answer what the Live samples say.
func TestStoredFormLive(t *testing.T) {
	path := filepath.Join(t.TempDir(), "r.db")
	s := open(t, path)
	now := time.Now()
	for _, name := range []string{"live-create-room", "live-update-room", "live-member-state", "live-modify-admin",
		"live-modify-admin-delete", "live-set-metadata", "live-del-metadata", "live-create-battle",
		"live-start-battle", "live-end-battle", "live-send-gift"} {
		body, err := os.ReadFile(filepath.Join("../../callback/testdata/live", name+".json"))
		if err != nil {
			t.Fatal(err)
		}
		ev := liveEvent(t, body)
		ev.SdkAppID, ev.ReceivedAt = 1400123456, now
		if o, err := s.Save(t.Context(), ev); err != nil || o != callback.OutcomeStored {
			t.Fatalf("%s: Save = %v, %v", name, o, err)
		}
	}
	db := rawDB(t, path)
	const room = "live-room-5c2e"
	dump := func(query string) string {
		t.Helper()
		var lines []string
		for _, r := range selectAll(t, db, strings.ReplaceAll(query, "'X'", "'"+room+"'")) {
			lines = append(lines, show([][]any{r}, 0))
		}
		return strings.Join(lines, "\n")
	}
	for _, c := range []struct{ query, want string }{
		{`SELECT category, typeof(category), is_public_visible, cover_url, activity_status FROM rooms`,
			`["[7,21]" "text" 0 "https://cdn.example.com/live/cover-21.png" 5]`},
		{`SELECT typeof(to_room_ids), to_scores, typeof(to_scores), need_response, stage FROM battles`,
			`["text" "[52,48]" "text" 1 "ended"]`},
		{`SELECT to_accounts, typeof(to_accounts), length(delivery_id), received_at = ` + strconv.FormatInt(now.UnixMilli(), 10) + ` FROM gifts`,
			`["[\"streamer-ivy\",\"144115233775727698\"]" "text" 32 1]`},
		{queryViewersOnline, `["live-room-5c2e" 3]`},
		{queryAdmins, "[\"144115233775727699\"]\n[\"admin-mia\"]"},
		{queryMetadata, `["theme" "dawn 晨"]`},
		{queryGiftCoins, "[\"144115233775727698\" 4500]\n[\"streamer-ivy\" 4500]"},
		{strings.Replace(queryBattlesWon, "'X'", "'live-rival-7f3d'", 1),
			`["4siHsNsWN/T3aub9zKraqPbSEGRX2z6gs3LDFi+d/3M=" "live-room-5c2e" 37 "[\"live-rival-7f3d\",\"live-rival-6e2c\"]" "[52,48]" 1703600072]`},
	} {
		if got := dump(c.query); got != c.want {
			t.Errorf("%s:\n got %s\nwant %s", c.query, got, c.want)
		}
	}
	doc, err := os.ReadFile("../../../docs/stores.md")
	if err != nil {
		t.Fatal(err)
	}
	for _, q := range []string{queryViewersOnline, queryAdmins, queryMetadata, queryGiftCoins, queryBattlesWon} {
		if !strings.Contains(string(doc), q+";\n") {
			t.Errorf("docs/stores.md does not show the query this test runs:\n%s;", q)
		}
	}

	// The checks users' own writes meet, as roomhook's.
	for _, stmt := range []string{
		`UPDATE room_admins SET state = 'owner'`,
		`UPDATE room_metadata SET deleted = 2`,
		`UPDATE battles SET stage = 'paused'`,
		`UPDATE battles SET need_response = 2`,
		`UPDATE rooms SET is_public_visible = 2`,
		`UPDATE gifts SET from_account = NULL`,
		`UPDATE rooms SET category = NULL, total_viewers = NULL`, // nullable: allowed
		`UPDATE battles SET to_scores = NULL, winner_room_id = NULL`,
	} {
		_, err := db.Exec(stmt)
		if allowed := strings.HasSuffix(stmt, "= NULL") && !strings.Contains(stmt, "from_account"); (err == nil) != allowed {
			t.Errorf("%s: %v", stmt, err)
		}
	}
}
