package main

import (
	"bufio"
	"bytes"
	"context"
	"database/sql"
	"encoding/json"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	_ "modernc.org/sqlite" // to age a test store's schema version by hand

	"github.com/roomhook/roomhook/pkg/callback"
	"github.com/roomhook/roomhook/pkg/store"
	"github.com/roomhook/roomhook/pkg/store/storetest"
)

var now = time.Date(2026, 12, 5, 12, 0, 0, 0, time.UTC)

// query runs the command as main would, with env as the whole environment.
func query(t *testing.T, env map[string]string, args ...string) (code int, stdout, stderr string) {
	t.Helper()
	var out, errOut bytes.Buffer
	code = run(t.Context(), args, func(k string) string { return env[k] }, now, &out, &errOut)
	return code, out.String(), errOut.String()
}

func TestUsage(t *testing.T) {
	env := map[string]string{"ROOMHOOK_STORE": "sqlite:///nonexistent/r.db", "ROOMHOOK_SDKAPPID": "1400123456"}
	for _, tc := range []struct {
		args []string
		want string
	}{
		{nil, "usage: query"},
		{[]string{"tables"}, `unknown command "tables"`},
		{[]string{"rooms", "closed"}, "rooms takes live, destroyed or all"},
		{[]string{"room"}, "room takes one room ID"},
		{[]string{"room", "a", "b"}, "room takes one room ID"},
		{[]string{"members"}, "members takes a room ID"},
		{[]string{"members", "r", "gone"}, "members takes a room ID, then in, left or all"},
		{[]string{"events", "r1"}, "events takes no arguments but flags"},
		{[]string{"rooms", "-limit", "3"}, "-limit does not go with rooms"},
		{[]string{"gifts", "-command", "x"}, "-command does not go with gifts"},
		{[]string{"room", "r", "-since", "1h"}, "-since does not go with room"},
		{[]string{"events", "-since", "yesterday"}, `-since: "yesterday" is neither a time`},
		{[]string{"events", "-since", "-5m"}, "cannot be negative"},
		{[]string{"events", "-limit", "-1"}, "-limit: -1 is negative"},
		{[]string{"-app", "12ab", "rooms"}, `-app: ROOMHOOK_SDKAPPID: "12ab" is not an SDKAppID`},
		{[]string{"-app", "1,2", "rooms"}, "-app lists 2 apps: choose one with -app"},
		{[]string{"-nope", "rooms"}, "flag provided but not defined: -nope"},
	} {
		code, stdout, stderr := query(t, env, tc.args...)
		if code != exitUsage || !strings.Contains(stderr, tc.want) || stdout != "" {
			t.Errorf("query %q = exit %d, stdout %q, stderr %q; want exit 2 and %q", tc.args, code, stdout, stderr, tc.want)
		}
	}
	if code, _, stderr := query(t, map[string]string{"ROOMHOOK_STORE": "sqlite:///x.db"}, "rooms"); code != exitUsage ||
		!strings.Contains(stderr, "ROOMHOOK_SDKAPPID is not set: set it, or pass -app") {
		t.Errorf("no app: exit %d, %q", code, stderr)
	}
	if code, _, stderr := query(t, map[string]string{"ROOMHOOK_SDKAPPID": "1400123456"}, "rooms"); code != exitUsage ||
		!strings.Contains(stderr, "ROOMHOOK_STORE is not set") {
		t.Errorf("no store: exit %d, %q", code, stderr)
	}
	if code, _, stderr := query(t, map[string]string{"ROOMHOOK_STORE": "sqlite:///x.db", "ROOMHOOK_SDKAPPID": "1,2"}, "rooms"); code != exitUsage ||
		!strings.Contains(stderr, "ROOMHOOK_SDKAPPID lists 2 apps: choose one with -app") {
		t.Errorf("two apps: exit %d, %q", code, stderr)
	}
	if code, _, stderr := query(t, env, "-h"); code != exitOK || !strings.Contains(stderr, "members ID [in|left|all]") {
		t.Errorf("-h: exit %d, %q", code, stderr)
	}
}

func TestParseSince(t *testing.T) {
	for in, want := range map[string]time.Time{
		"90m":                       now.Add(-90 * time.Minute),
		"24h":                       now.Add(-24 * time.Hour),
		"7d":                        now.AddDate(0, 0, -7),
		"0d":                        now,
		"2026-12-01":                time.Date(2026, 12, 1, 0, 0, 0, 0, time.UTC),
		"2026-12-01T08:30:00Z":      time.Date(2026, 12, 1, 8, 30, 0, 0, time.UTC),
		"2026-12-01T08:30:00+08:00": time.Date(2026, 12, 1, 0, 30, 0, 0, time.UTC),
		"2026-12-01 08:30:00":       time.Date(2026, 12, 1, 8, 30, 0, 0, time.UTC),
	} {
		got, err := parseSince(in, now)
		if err != nil || !got.Equal(want) {
			t.Errorf("parseSince(%q) = %v, %v; want %v", in, got, err, want)
		}
	}
	for _, in := range []string{"", "d", "-1d", "1.5d", "tomorrow", "2026-13-01"} {
		if _, err := parseSince(in, now); err == nil {
			t.Errorf("parseSince(%q): no error", in)
		}
	}
}

// TestStoreNamedWithoutSecrets: the store line names the store, never a password.
func TestStoreNamedWithoutSecrets(t *testing.T) {
	for in, want := range map[string]string{
		"postgres://roomhook:s3cret@db.example:5432/rh?sslmode=verify-full&password=s3cret": "postgres://db.example:5432/rh",
		"mysql://root:s3cret@tcp-host:3306/test?tls=true":                                   "mysql://tcp-host:3306/test",
		"mysql://root:p@ss@w0rd@host/db":                                                    "mysql://host/db",
		"dynamodb://roomhook?region=us-east-1&endpoint=http://127.0.0.1:8000":               "dynamodb://roomhook",
		"sqlite:///tmp/r.db":   "sqlite:///tmp/r.db",
		"postgres:s3cret@host": "(a URL without a scheme)",
	} {
		if got := describeStore(in); got != want {
			t.Errorf("describeStore(%q) = %q, want %q", in, got, want)
		}
	}
	code, _, stderr := query(t, map[string]string{
		"ROOMHOOK_STORE":    "postgres://roomhook:s3cret@127.0.0.1:1/rh?sslmode=disable&connect_timeout=1",
		"ROOMHOOK_SDKAPPID": "1400123456",
	}, "rooms")
	if code != exitFailed || strings.Contains(stderr, "s3cret") || !strings.Contains(stderr, "postgres://127.0.0.1:1/rh") {
		t.Errorf("unreachable PostgreSQL: exit %d, stderr %q; want exit 1, the store named, no password", code, stderr)
	}
}

// TestStoreOfAnotherVersion: a missing store, an older or a newer one is refused with what to
// do, and left as it was.
func TestStoreOfAnotherVersion(t *testing.T) {
	dir := t.TempDir()
	missing := filepath.Join(dir, "missing.db")
	code, _, stderr := query(t, map[string]string{"ROOMHOOK_STORE": "sqlite://" + missing, "ROOMHOOK_SDKAPPID": "1400123456"}, "rooms")
	if code != exitFailed || !strings.Contains(stderr, "holds no roomhook schema") {
		t.Errorf("missing file: exit %d, %q", code, stderr)
	}
	if _, err := os.Stat(missing); !os.IsNotExist(err) {
		t.Errorf("query created %s (%v)", missing, err)
	}

	for _, tc := range []struct {
		version int
		want    string
	}{
		{2, "older than this roomhook's"},
		{99, "newer than this roomhook"},
	} {
		path := filepath.Join(dir, strconv.Itoa(tc.version)+".db")
		s, err := store.Open(t.Context(), "sqlite://"+path, store.Options{})
		if err != nil {
			t.Fatal(err)
		}
		s.Close()
		setVersion(t, path, tc.version)
		code, _, stderr := query(t, map[string]string{"ROOMHOOK_STORE": "sqlite://" + path, "ROOMHOOK_SDKAPPID": "1400123456"}, "rooms")
		if code != exitFailed || !strings.Contains(stderr, tc.want) || !strings.Contains(stderr, "(") {
			t.Errorf("version %d: exit %d, %q; want exit 1, %q and a hint", tc.version, code, stderr, tc.want)
		}
		if got := version(t, path); got != tc.version {
			t.Errorf("version %d: the store is at version %d after the query", tc.version, got)
		}
	}
}

func setVersion(t *testing.T, path string, v int) {
	t.Helper()
	db, err := sql.Open("sqlite", path)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if _, err := db.Exec(`UPDATE roomhook_schema SET version = ?`, v); err != nil {
		t.Fatal(err)
	}
}

func version(t *testing.T, path string) int {
	t.Helper()
	db, err := sql.Open("sqlite", path)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	var v int
	if err := db.QueryRow(`SELECT max(version) FROM roomhook_schema`).Scan(&v); err != nil {
		t.Fatal(err)
	}
	return v
}

// TestShowsWhatTheStoreHolds saves a generated lifecycle of Room and Live rooms to each backend
// and requires every command's -json output to be exactly the rows the store holds, read with
// the store's reader: every rooms row, each room's rows as the room and members commands
// select them, the archive and the gift ledger newest first with each filter.
func TestShowsWhatTheStoreHolds(t *testing.T) {
	for name, url := range storetest.StoreURLs(t) {
		t.Run(name, func(t *testing.T) {
			app := storetest.FreshApp(t)
			rooms, deliveries := storetest.Lifecycle(3, app)
			s, err := store.Open(t.Context(), url, store.Options{Timeout: time.Minute})
			if err != nil {
				t.Fatal(err)
			}
			defer s.Close()
			for _, ev := range deliveries {
				if _, err := s.Save(t.Context(), ev); err != nil {
					t.Fatalf("Save(%s %q): %v", ev.Command, ev.RoomID, err)
				}
			}
			// Another app's room: never shown.
			other := storetest.SeedEvent()
			other.SdkAppID = app + 1
			if _, err := s.Save(t.Context(), other); err != nil {
				t.Fatal(err)
			}
			r := s.(source)
			env := map[string]string{"ROOMHOOK_STORE": url, "ROOMHOOK_SDKAPPID": strconv.FormatInt(app, 10)}
			check := func(want []map[string]any, ordered bool, args ...string) {
				t.Helper()
				code, stdout, stderr := query(t, env, append([]string{"-json"}, args...)...)
				if code != exitOK {
					t.Fatalf("query %q: exit %d: %s", args, code, stderr)
				}
				got := parseLines(t, stdout)
				if !ordered {
					sortObjects(got)
					sortObjects(want)
				}
				if g, w := mustJSON(t, got), mustJSON(t, want); g != w {
					t.Errorf("query %q shows\n%s\nthe store holds\n%s", args, g, w)
				}
			}

			var all, live, destroyed []map[string]any
			for _, room := range rooms {
				rows := mustRows(t, r, callback.RoomsTable, app, room)
				for _, row := range rows {
					o := object(callback.RoomsTable, row)
					all = append(all, o)
					if o["destroyed_at"] == nil {
						live = append(live, o)
					} else {
						destroyed = append(destroyed, o)
					}
				}
			}
			if len(live) == 0 || len(destroyed) == 0 {
				t.Fatalf("the lifecycle left %d live and %d destroyed rooms; want some of each", len(live), len(destroyed))
			}
			check(all, false, "rooms", "all")
			check(live, false, "rooms")
			check(destroyed, false, "rooms", "destroyed")

			for _, room := range rooms {
				var want []map[string]any
				for _, sel := range []struct {
					t        *callback.Table
					col      string
					want     any
					inRoomOf bool
				}{
					{callback.RoomsTable, "", nil, true}, {callback.MembersTable, "state", "in", true},
					{callback.SeatsTable, "", nil, true}, {callback.AdminsTable, "state", "admin", true},
					{callback.MetadataTable, "deleted", false, true}, {callback.BattlesTable, "", nil, true},
				} {
					for _, row := range mustRows(t, r, sel.t, app, room) {
						if sel.col == "" || row[sel.t.Index(sel.col)] == sel.want {
							want = append(want, object(sel.t, row))
						}
					}
				}
				check(want, false, "room", room)

				var members, in, left []map[string]any
				for _, row := range mustRows(t, r, callback.MembersTable, app, room) {
					o := object(callback.MembersTable, row)
					members = append(members, o)
					if o["state"] == "in" {
						in = append(in, o)
					} else {
						left = append(left, o)
					}
				}
				check(members, false, "members", room)
				check(in, false, "members", room, "in")
				check(left, false, "members", room, "left")
			}

			evs, err := r.Events(t.Context(), app)
			if err != nil {
				t.Fatal(err)
			}
			slices.Reverse(evs)
			events := func(keep func(callback.Event) bool, limit int) []map[string]any {
				var out []map[string]any
				for _, ev := range evs {
					if keep(ev) && (limit == 0 || len(out) < limit) {
						out = append(out, archiveObject(ev))
					}
				}
				return out
			}
			everyEvent := func(callback.Event) bool { return true }
			check(events(everyEvent, 0), true, "events", "-limit", "0")
			check(events(everyEvent, defaultLimit), true, "events")
			check(events(everyEvent, 7), true, "events", "-limit", "7")
			room := rooms[0]
			check(events(func(ev callback.Event) bool { return ev.RoomID == room }, 0), true, "events", "-room", room, "-limit", "0")
			cmds := []string{callback.CommandMemberEnter, callback.CommandLiveMemberState}
			check(events(func(ev callback.Event) bool { return slices.Contains(cmds, ev.Command) }, 5), true,
				"events", "-command", strings.Join(cmds, ","), "-limit", "5")
			mid := evs[len(evs)/2].ReceivedAt
			check(events(func(ev callback.Event) bool { return ev.ReceivedAt.UnixMilli() >= mid.UnixMilli() }, 0), true,
				"events", "-since", mid.Format(time.RFC3339Nano), "-limit", "0")

			var gifts []callback.Row
			for _, room := range rooms {
				gifts = append(gifts, mustRows(t, r, callback.GiftsTable, app, room)...)
			}
			if len(gifts) == 0 {
				t.Fatal("the lifecycle left no gifts")
			}
			received, delivery := callback.GiftsTable.Index("received_at"), callback.GiftsTable.Index("delivery_id")
			slices.SortFunc(gifts, func(a, b callback.Row) int {
				if c := b[received].(int64) - a[received].(int64); c != 0 {
					return int(c)
				}
				return strings.Compare(b[delivery].(string), a[delivery].(string))
			})
			giftObjects := func(keep func(callback.Row) bool, limit int) []map[string]any {
				var out []map[string]any
				for _, g := range gifts {
					if keep(g) && (limit == 0 || len(out) < limit) {
						out = append(out, object(callback.GiftsTable, g))
					}
				}
				return out
			}
			every := func(callback.Row) bool { return true }
			check(giftObjects(every, 0), true, "gifts", "-limit", "0")
			check(giftObjects(every, 2), true, "gifts", "-limit", "2")
			giftRoom := gifts[0][1].(string)
			check(giftObjects(func(g callback.Row) bool { return g[1] == giftRoom }, 0), true, "gifts", "-room", giftRoom, "-limit", "0")
		})
	}
}

func mustRows(t *testing.T, r callback.Reader, tb *callback.Table, app int64, room string) []callback.Row {
	t.Helper()
	rows, err := r.Rows(t.Context(), tb, app, room)
	if err != nil {
		t.Fatalf("Rows(%s, %q): %v", tb.Name, room, err)
	}
	return rows
}

// object is a row as the test expects -json to print it: written here, apart from the command's
// own writer, from the table's column names.
func object(tb *callback.Table, row callback.Row) map[string]any {
	o := map[string]any{"table": tb.Name}
	for i, c := range tb.Columns {
		o[c.Name] = row[i]
	}
	return normalise(o)
}

func archiveObject(ev callback.Event) map[string]any {
	var eventTime any
	if ev.EventTime != 0 {
		eventTime = ev.EventTime
	}
	var body any = string(ev.Raw)
	if json.Valid(ev.Raw) {
		body = json.RawMessage(ev.Raw) // decoded by normalise, numbers kept digit for digit
	}
	return normalise(map[string]any{"table": "callback_events", "sdk_app_id": ev.SdkAppID,
		"callback_command": ev.Command, "room_id": ev.RoomID, "event_time": eventTime, "client_ip": ev.ClientIP,
		"opt_platform": ev.OptPlatform, "request_id": ev.RequestID, "received_at": ev.ReceivedAt.UnixMilli(),
		"body_sha256": ev.Digest(), "raw_body": body})
}

// normalise gives o the types decoding JSON gives.
func normalise(o map[string]any) map[string]any {
	b, err := json.Marshal(o)
	if err != nil {
		panic(err)
	}
	var out map[string]any
	d := json.NewDecoder(bytes.NewReader(b))
	d.UseNumber()
	if err := d.Decode(&out); err != nil {
		panic(err)
	}
	return out
}

func parseLines(t *testing.T, stdout string) []map[string]any {
	t.Helper()
	var out []map[string]any
	for line := range strings.Lines(stdout) {
		var o map[string]any
		d := json.NewDecoder(strings.NewReader(line))
		d.UseNumber()
		if err := d.Decode(&o); err != nil {
			t.Fatalf("a -json line is not a JSON object: %q: %v", line, err)
		}
		out = append(out, o)
	}
	return out
}

func sortObjects(list []map[string]any) {
	slices.SortFunc(list, func(a, b map[string]any) int {
		x, _ := json.Marshal(a)
		y, _ := json.Marshal(b)
		return bytes.Compare(x, y)
	})
}

func mustJSON(t *testing.T, v []map[string]any) string {
	t.Helper()
	var b strings.Builder
	for _, o := range v {
		line, err := json.Marshal(o)
		if err != nil {
			t.Fatal(err)
		}
		b.Write(line)
		b.WriteByte('\n')
	}
	return b.String()
}

// TestTables checks the tables for people on a small story: what each command prints.
func TestTables(t *testing.T) {
	path := filepath.Join(t.TempDir(), "tables.db")
	s, err := store.Open(t.Context(), "sqlite://"+path, store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	ev := storetest.SeedEvent()
	if _, err := s.Save(t.Context(), ev); err != nil {
		t.Fatal(err)
	}
	enter := `{"CallbackCommand":"Room.CallbackAfterMemberEnter","RoomId":"tandy-test-rest","MemberCount":2,` +
		`"MemberList_Account":["alice","bob"],"EventTime":1703589923000}`
	leave := `{"CallbackCommand":"Room.CallbackAfterMemberLeave","RoomId":"tandy-test-rest","MemberCount":1,` +
		`"Type":"Kicked","Reason":"spam","MemberList_Account":["bob"],"EventTime":1703589924000}`
	for i, body := range []string{enter, leave} {
		cmd := []string{callback.CommandMemberEnter, callback.CommandMemberLeave}[i]
		p, err := callback.ParsePayload(cmd, []byte(body))
		if err != nil {
			t.Fatal(err)
		}
		room, at := p.Key()
		if _, err := s.Save(context.Background(), &callback.Event{SdkAppID: ev.SdkAppID, Command: cmd, RoomID: room,
			EventTime: at, RequestID: "req-" + strconv.Itoa(i), ReceivedAt: ev.ReceivedAt.Add(time.Duration(i+1) * time.Second),
			Raw: []byte(body), Payload: p}); err != nil {
			t.Fatal(err)
		}
	}
	s.Close()
	env := map[string]string{"ROOMHOOK_STORE": "sqlite://" + path, "ROOMHOOK_SDKAPPID": "1400123456"}
	for _, tc := range []struct {
		args []string
		want []string
	}{
		{[]string{"rooms"}, []string{
			"room_id          state  room_name     room_type  owner_account  member_count  event_time               destroyed_at",
			"tandy-test-rest  live   tandy weekly  Meeting    user3          1             2023-12-26 11:25:22.780  -",
		}},
		{[]string{"rooms", "destroyed"}, []string{"(none)"}},
		{[]string{"room", "tandy-test-rest"}, []string{
			"room tandy-test-rest: live",
			"  room_name                      tandy weekly",
			"  is_video_disabled              yes",
			"  schedule_start_time            2023-12-26 11:10:00",
			"  schedule_invitee_list_account  [user2,user3]",
			"members in: 1",
			"member_account  entered_at               event_time",
			"alice           2023-12-26 11:25:23.000  2023-12-26 11:25:23.000",
			"seats: 0",
		}},
		{[]string{"members", "tandy-test-rest"}, []string{
			"member_account  state  entered_at               left_at                  leave_type  leave_reason  event_time",
			"bob             left   2023-12-26 11:25:23.000  2023-12-26 11:25:24.000  Kicked      spam          2023-12-26 11:25:24.000",
		}},
		{[]string{"events", "-limit", "2"}, []string{
			"received_at              callback_command               room_id          event_time               request_id  raw_body",
			"2023-12-26 11:25:25.456  Room.CallbackAfterMemberLeave  tandy-test-rest  2023-12-26 11:25:24.000  req-1       " +
				`{"CallbackCommand":"Room.CallbackAfterMemberLeave","RoomId":…`,
			"2023-12-26 11:25:24.456  Room.CallbackAfterMemberEnter  tandy-test-rest  2023-12-26 11:25:23.000  req-0       " +
				`{"CallbackCommand":"Room.CallbackAfterMemberEnter","RoomId":…`,
		}},
		{[]string{"gifts"}, []string{"received_at  room_id  from_account  to_accounts  gift_id  gift_count  coins  gift_time", "(none)"}},
	} {
		code, stdout, stderr := query(t, env, tc.args...)
		if code != exitOK {
			t.Fatalf("query %q: exit %d: %s", tc.args, code, stderr)
		}
		for _, line := range tc.want {
			if !strings.Contains(stdout, line+"\n") {
				t.Errorf("query %q: no line %q in\n%s", tc.args, line, stdout)
			}
		}
	}
	if code, _, stderr := query(t, env, "room", "nowhere"); code != exitFailed || !strings.Contains(stderr, `room "nowhere" of app 1400123456: the store holds nothing of it`) {
		t.Errorf("room nowhere: exit %d, %q", code, stderr)
	}
}

// TestJSONBodyAsStored: -json writes a body byte for byte (no HTML escaping, no reordering),
// and one that spans lines on one line.
func TestJSONBodyAsStored(t *testing.T) {
	for raw, want := range map[string]string{
		`{"CustomInfo":"<b>&amp;</b>","a":1}`: `"raw_body":{"CustomInfo":"<b>&amp;</b>","a":1}}`,
		"{\"a\": 1,\n \"b\": [2, 3]}":         `"raw_body":{"a":1,"b":[2,3]}}`,
		`not json`:                            `"raw_body":"not json"}`,
	} {
		var b bytes.Buffer
		w := bufio.NewWriter(&b)
		ev := callback.Event{SdkAppID: 1, Command: "X", Raw: []byte(raw), ReceivedAt: now}
		if err := (&jsonWriter{w: w}).events([]callback.Event{ev}); err != nil {
			t.Fatal(err)
		}
		w.Flush()
		if got := b.String(); !strings.HasSuffix(got, want+"\n") || strings.Count(got, "\n") != 1 {
			t.Errorf("body %q: -json line %q, want it to end %s", raw, got, want)
		}
	}
}
