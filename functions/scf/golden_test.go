package main

import (
	"context"
	"database/sql"
	"encoding/base64"
	"encoding/json"
	"log/slog"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/roomhook/roomhook/functions/samples"
	"github.com/roomhook/roomhook/pkg/callback"
	"github.com/roomhook/roomhook/pkg/store/sqlite"
)

// The seed callback the golden events of every shape carry, and what it is about; the other
// function URL events carry the rest of the samples' story (functions/samples).
const (
	testAppID     int64 = 1400123456
	seedRoomID          = "tandy-test-rest"
	seedEventTime int64 = 1703589922780
	seedBody            = `{"CallbackCommand":"Room.CallbackAfterCreateRoom","Operator_Account":"admin","RoomInfo":{"RoomId":"tandy-test-rest","RoomName":"tandy-test-rest","RoomType":"Meeting","Owner_Account":"user3","MaxMemberCount":300,"MaxSeatCount":16,"IsVideoDisabled":true,"IsAudioDisabled":true,"IsMessageDisabled":true,"IsScreenSharingDisabled":true,"IsCloudRecordingDisabled":true,"CustomInfo":"custom123","ScheduleStartTime":1703589922,"ScheduleEndTime":1703593522,"RoomStatus":"Running","IsSeatEnabled":true,"TakeSeatMode":"ApplyToTake","CreateTime":1703589922},"ScheduleInviteeList_Account":["user2","user3","user3"],"EventTime":1703589922780}`
	okPacket            = `{"ActionStatus":"OK","ErrorInfo":"","ErrorCode":0}`
	testToken           = "roomhook-test-token"
)

// fixedNow is the clock of in-process handlers: a second after the seed's EventTime.
var fixedNow = time.UnixMilli(seedEventTime).Add(time.Second)

type golden struct {
	name string // file name without .json
	data []byte
}

// sample is the callback the golden event carries: the seed in every shape (apigateway-trigger,
// functionurl-default, apigateway-base64), and in functionurl-<variant> that variant of the
// samples' Story or LiveStory (functionurl-live-*).
func (g golden) sample() samples.Sample { return sampleOf(g.name) }

// live reports whether the golden event carries a callback of the samples' Live story (the
// app-wide threshold among them, which concerns no room).
func (g golden) live() bool { return strings.HasPrefix(g.sample().Variant, "live-") }

func sampleOf(name string) samples.Sample {
	switch name {
	case "apigateway-trigger", "functionurl-default", "apigateway-base64":
		return samples.Get("create-room")
	}
	return samples.Get(strings.TrimPrefix(name, "functionurl-"))
}

// timerSample is the one file of events/ that is no callback: the timer trigger's event that
// runs the archive purge (scripts/invoke-local.sh scf functions/scf/events/timer-purge.json).
const timerSample = "timer-purge"

// goldenEvents reads every callback sample in events/ (all but timerSample), in file name order.
func goldenEvents(t testing.TB) []golden {
	t.Helper()
	paths, err := filepath.Glob(filepath.Join("events", "*.json"))
	if err != nil {
		t.Fatal(err)
	}
	if len(paths) == 0 {
		t.Fatal("no golden events in events/")
	}
	var out []golden
	for _, p := range paths {
		if filepath.Base(p) == timerSample+".json" {
			continue
		}
		data, err := os.ReadFile(p)
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, golden{name: strings.TrimSuffix(filepath.Base(p), ".json"), data: data})
	}
	return out
}

func loadGolden(t testing.TB, name string) []byte {
	t.Helper()
	data, err := os.ReadFile(filepath.Join("events", name+".json"))
	if err != nil {
		t.Fatal(err)
	}
	return data
}

// edit decodes an event, lets mutate change it, and encodes it again.
func edit(t testing.TB, raw []byte, mutate func(ev map[string]any)) []byte {
	t.Helper()
	var ev map[string]any
	if err := json.Unmarshal(raw, &ev); err != nil {
		t.Fatal(err)
	}
	mutate(ev)
	out, err := json.Marshal(ev)
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// queryOf returns the event's queryString object, for mutation.
func queryOf(ev map[string]any) map[string]any {
	return ev["queryString"].(map[string]any)
}

// setBody replaces the callback the event carries, keeping its base64 flag.
func setBody(ev map[string]any, body string) {
	if b, _ := ev["isBase64Encoded"].(bool); b {
		body = base64.StdEncoding.EncodeToString([]byte(body))
	}
	ev["body"] = body
}

// sign adds a valid Sign and RequestTime for token at time now.
func sign(ev map[string]any, token string, now time.Time) {
	rt := strconv.FormatInt(now.Unix(), 10)
	q := queryOf(ev)
	q["RequestTime"] = rt
	q["Sign"] = callback.Sign(token, rt)
}

// payloadWith is the seed callback about another room or at another time.
func payloadWith(roomID string, eventTime int64) string {
	p := strings.Replace(seedBody, `"RoomId":"`+seedRoomID+`"`, `"RoomId":"`+roomID+`"`, 1)
	return strings.Replace(p, `"EventTime":`+strconv.FormatInt(seedEventTime, 10), `"EventTime":`+strconv.FormatInt(eventTime, 10), 1)
}

// answer is the integration response, decoded strictly.
type answer struct {
	IsBase64Encoded *bool             `json:"isBase64Encoded"`
	StatusCode      int               `json:"statusCode"`
	Headers         map[string]string `json:"headers"`
	Body            *string           `json:"body"`
}

// packet is the acknowledgement inside the answer's body.
type packet struct {
	ActionStatus string
	ErrorInfo    string
	ErrorCode    int
}

// decodeAnswer checks that out is exactly the integration response shape and returns it.
func decodeAnswer(t testing.TB, out []byte) (answer, packet) {
	t.Helper()
	var a answer
	dec := json.NewDecoder(strings.NewReader(string(out)))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&a); err != nil {
		t.Fatalf("answer %s: %v", out, err)
	}
	if a.IsBase64Encoded == nil || *a.IsBase64Encoded || a.StatusCode == 0 || a.Headers == nil || a.Body == nil {
		t.Fatalf("answer %s: want isBase64Encoded false, statusCode, headers and body", out)
	}
	var p packet
	if err := json.Unmarshal([]byte(*a.Body), &p); err != nil {
		t.Fatalf("answer body %q is not the packet: %v", *a.Body, err)
	}
	if a.Headers["Content-Type"] != "application/json" {
		t.Errorf("Content-Type = %q, want application/json", a.Headers["Content-Type"])
	}
	return a, p
}

// checkFail checks a refusal: the status, and a FAIL packet with a non-zero code.
func checkFail(t testing.TB, out []byte, wantStatus int) answer {
	t.Helper()
	a, p := decodeAnswer(t, out)
	if a.StatusCode != wantStatus || p.ActionStatus != "FAIL" || p.ErrorCode == 0 {
		t.Errorf("got %d %s, want %d with a FAIL packet", a.StatusCode, *a.Body, wantStatus)
	}
	return a
}

// checkOK checks the acknowledgement, byte for byte.
func checkOK(t testing.TB, out []byte) {
	t.Helper()
	a, _ := decodeAnswer(t, out)
	if a.StatusCode != 200 || *a.Body != okPacket {
		t.Errorf("got %d %s, want 200 %s", a.StatusCode, *a.Body, okPacket)
	}
}

// newFunction builds the adapter on a real handler with a fixed clock; it logs nothing.
func newFunction(t testing.TB, st callback.Store, tokens ...string) *function {
	return newLoggingFunction(t, st, nil, tokens...)
}

// newLoggingFunction is newFunction logging through log (nil: nothing).
func newLoggingFunction(t testing.TB, st callback.Store, log *slog.Logger, tokens ...string) *function {
	t.Helper()
	h, err := callback.NewHandler(callback.Options{
		SdkAppIDs:     []int64{testAppID},
		Tokens:        tokens,
		SignTolerance: time.Minute,
		Store:         st,
		StoreTimeout:  5 * time.Second,
		Now:           func() time.Time { return fixedNow },
		Logger:        log,
	})
	if err != nil {
		t.Fatal(err)
	}
	return &function{handler: h}
}

// openStore opens a SQLite store in a fresh temporary directory.
func openStore(t testing.TB) (*sqlite.Store, string) {
	t.Helper()
	path := filepath.Join(t.TempDir(), "roomhook.db")
	st, err := sqlite.Open(context.Background(), path, sqlite.Options{Timeout: time.Minute}) // generous: CI machines can be loaded
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	return st, path
}

// rowCounts is the number of rows of each table of a store: the archive and every table of
// the projection.
type rowCounts struct {
	events int
	samples.Counts
}

// counts counts the rows of every table in the SQLite file at path.
func counts(t testing.TB, path string) rowCounts {
	t.Helper()
	return rowCounts{countRows(t, path, "callback_events"), samples.Counts{
		Rooms: countRows(t, path, callback.RoomsTable.Name), Members: countRows(t, path, callback.MembersTable.Name),
		Seats: countRows(t, path, callback.SeatsTable.Name), Admins: countRows(t, path, callback.AdminsTable.Name),
		Metadata: countRows(t, path, callback.MetadataTable.Name), Battles: countRows(t, path, callback.BattlesTable.Name),
		Gifts: countRows(t, path, callback.GiftsTable.Name)}}
}

// alone is what one accepted delivery of s leaves in an empty store.
func alone(s samples.Sample) rowCounts {
	return rowCounts{events: 1, Counts: s.Counts}
}

// countRows counts a table's rows in the SQLite file at path, through its own connection.
func countRows(t testing.TB, path, table string) int {
	t.Helper()
	db, err := sql.Open("sqlite", path)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	var n int
	if err := db.QueryRow("SELECT count(*) FROM " + table).Scan(&n); err != nil {
		t.Fatalf("count %s: %v", table, err)
	}
	return n
}

// nopStore accepts every event without keeping it.
type nopStore struct{}

func (nopStore) Save(context.Context, *callback.Event) (callback.Outcome, error) {
	return callback.OutcomeStored, nil
}
func (nopStore) Close() error { return nil }
