package callback_test

import (
	"bytes"
	"context"
	crand "crypto/rand"
	"encoding/binary"
	"encoding/json"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"net/url"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/roomhook/roomhook/pkg/callback"
	"github.com/roomhook/roomhook/pkg/store"
)

// The load test's shape: loadWorkers goroutines each send loadPerWorker deliveries through one
// Handler. The deliveries are loadRooms rooms × loadVersions create-room events, one
// destroy-room event per room (between two versions: it ends one life, a later create starts
// another), each delivered loadCopies times, and the rest commands without EventTime (no
// natural key: archived on every delivery); all in random order, so older versions of a room
// arrive after newer ones.
const (
	loadWorkers   = 32
	loadPerWorker = 50
	loadRooms     = 24
	loadVersions  = 5
	loadCopies    = 10
	loadToken     = "load-token"
	loadEventTime = int64(1764093600000)
	loadOKPacket  = `{"ActionStatus":"OK","ErrorInfo":"","ErrorCode":0}`
)

// loadDelivery is one request of the load test and what it stands for.
type loadDelivery struct {
	id      string // request id, unique per delivery
	command string
	room    string // "" for the commands without EventTime
	version int    // create-room: 0 … loadVersions-1
	time    int64  // EventTime, 0 when the body has none
	body    string
}

// key is the archive key of the delivery's event; deliveries without EventTime have none and
// get their request id instead (each is archived).
func (d loadDelivery) key() string {
	if d.time == 0 {
		return "untimed/" + d.id
	}
	return fmt.Sprintf("%s/%s/%d", d.command, d.room, d.time)
}

func loadRoomID(r int) string { return fmt.Sprintf("load-room-%02d", r) }

// loadCreateTime is the EventTime of a room's version: later versions are newer.
func loadCreateTime(r, v int) int64 { return loadEventTime + int64(v)*1000 + int64(r) }

func loadWorkload(rng *rand.Rand) []loadDelivery {
	var ds []loadDelivery
	n := 0
	add := func(d loadDelivery) {
		d.id = fmt.Sprintf("load-%04d", n)
		n++
		ds = append(ds, d)
	}
	for r := range loadRooms {
		for v := range loadVersions {
			at := loadCreateTime(r, v)
			body := fmt.Sprintf(`{"CallbackCommand":%q,"Operator_Account":"op-%d","RoomInfo":{"RoomId":%q,"RoomName":"%s v%d","MaxMemberCount":%d,"IsVideoDisabled":%t},"ScheduleInviteeList_Account":["u%d","u%d"],"EventTime":%d}`,
				callback.CommandCreateRoom, v, loadRoomID(r), loadRoomID(r), v, 100+v, v%2 == 0, v, v, at)
			for range loadCopies {
				add(loadDelivery{command: callback.CommandCreateRoom, room: loadRoomID(r), version: v, time: at, body: body})
			}
		}
		// Destroyed at a time between two versions: the newest version's create starts a new
		// life, so the room ends up alive whatever the order.
		at := loadCreateTime(r, 2) + 500
		body := fmt.Sprintf(`{"CallbackCommand":"Room.CallbackAfterDestroyRoom","Operator_Account":"admin","RoomId":%q,"EventTime":%d}`, loadRoomID(r), at)
		for range loadCopies {
			add(loadDelivery{command: "Room.CallbackAfterDestroyRoom", room: loadRoomID(r), time: at, body: body})
		}
	}
	for len(ds) < loadWorkers*loadPerWorker {
		add(loadDelivery{command: "Group.CallbackAfterCreateGroup", body: `{"CallbackCommand":"Group.CallbackAfterCreateGroup","GroupId":"g1"}`})
	}
	rng.Shuffle(len(ds), func(i, j int) { ds[i], ds[j] = ds[j], ds[i] })
	return ds
}

// lockedBuffer is the log of many goroutines.
type lockedBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *lockedBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func loadBackends(t *testing.T) []struct{ name, url string } {
	bs := []struct{ name, url string }{{"sqlite", "sqlite://" + filepath.Join(t.TempDir(), "load.db")}}
	for _, b := range []struct{ name, env, example string }{
		{"postgres", "ROOMHOOK_TEST_POSTGRES", "postgres://postgres@127.0.0.1:5432/test?sslmode=disable"},
		{"mysql", "ROOMHOOK_TEST_MYSQL", "mysql://root@127.0.0.1:3306/test"},
	} {
		if u := os.Getenv(b.env); u != "" {
			bs = append(bs, struct{ name, url string }{b.name, u})
		} else {
			t.Logf("%s not set: the load test leaves %s out; set it to a server URL, e.g. %s='%s'", b.env, b.name, b.env, b.example)
		}
	}
	return bs
}

// TestConcurrentDeliveriesKeepExactState sends 1600 deliveries from 32 goroutines through one
// Handler on a real store — new events, exact duplicates, older versions of the same rooms and
// commands roomhook does not project, in random order — and requires: every answer OK; one
// archive row per distinct event (per delivery without EventTime), saved by the one delivery
// whose log line says so; every room at its newest version; and log outcomes that add up.
// Run it with -race.
func TestConcurrentDeliveriesKeepExactState(t *testing.T) {
	for _, b := range loadBackends(t) {
		t.Run(b.name, func(t *testing.T) {
			var seed [8]byte
			crand.Read(seed[:])
			s := binary.LittleEndian.Uint64(seed[:])
			t.Logf("workload seed %d", s)
			app := int64(1<<43) + int64(s>>24) // an app no earlier run used
			rng := rand.New(rand.NewPCG(s, s))
			runLoad(t, b.url, app, loadWorkload(rng))
		})
	}
}

func runLoad(t *testing.T, storeURL string, app int64, ds []loadDelivery) {
	ctx := context.Background()
	st, err := store.Open(ctx, storeURL, store.Options{Timeout: 30 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	logs := &lockedBuffer{}
	h, err := callback.NewHandler(callback.Options{
		SdkAppIDs: []int64{app}, Tokens: []string{loadToken}, SignTolerance: time.Minute,
		Store: st, StoreTimeout: 30 * time.Second, Logger: slog.New(slog.NewJSONHandler(logs, nil)),
	})
	if err != nil {
		t.Fatal(err)
	}

	start := make(chan struct{})
	answers := make([]callback.Response, len(ds))
	var wg sync.WaitGroup
	for w := range loadWorkers {
		wg.Go(func() {
			<-start
			for i := w * loadPerWorker; i < (w+1)*loadPerWorker; i++ {
				d := ds[i]
				rt := strconv.FormatInt(time.Now().Unix(), 10)
				q := url.Values{"SdkAppid": {strconv.FormatInt(app, 10)}, "CallbackCommand": {d.command}, "contenttype": {"json"},
					"ClientIP": {"203.0.113.9"}, "OptPlatform": {"Web"}, "RequestTime": {rt}, "Sign": {callback.Sign(loadToken, rt)}}
				answers[i] = h.Handle(ctx, callback.Request{Method: "POST", Query: q, Body: []byte(d.body), RequestID: d.id})
			}
		})
	}
	began := time.Now()
	close(start)
	wg.Wait()
	elapsed := time.Since(began)

	for i, a := range answers {
		if a.StatusCode != 200 || string(a.Body) != loadOKPacket {
			t.Fatalf("delivery %s: HTTP %d %s", ds[i].id, a.StatusCode, a.Body)
		}
	}

	// The log: one line per delivery, and the outcomes add up.
	outcome := map[string]string{} // request id → logged outcome
	counts := map[string]int{}
	for _, line := range strings.Split(strings.TrimSpace(logs.buf.String()), "\n") {
		var l struct {
			Msg       string `json:"msg"`
			RequestID string `json:"request_id"`
			Outcome   string `json:"outcome"`
		}
		if err := json.Unmarshal([]byte(line), &l); err != nil || l.Msg != "callback" {
			t.Fatalf("unexpected log line: %s", line)
		}
		if _, dup := outcome[l.RequestID]; dup {
			t.Fatalf("two log lines for %s", l.RequestID)
		}
		outcome[l.RequestID] = l.Outcome
		counts[l.Outcome]++
	}
	if len(outcome) != len(ds) {
		t.Fatalf("%d log lines for %d deliveries", len(outcome), len(ds))
	}

	// What the store must hold.
	byKey := map[string][]loadDelivery{}
	newest := map[string]loadDelivery{}
	for _, d := range ds {
		byKey[d.key()] = append(byKey[d.key()], d)
		if d.command == callback.CommandCreateRoom && d.version >= newest[d.room].version {
			newest[d.room] = d
		}
	}
	reader := st.(callback.Reader)
	rows, err := reader.Events(ctx, app)
	if err != nil {
		t.Fatal(err)
	}
	if len(rows) != len(byKey) {
		t.Fatalf("%d archive rows, want %d (one per distinct event, one per delivery without EventTime)", len(rows), len(byKey))
	}
	archived := map[string]bool{}
	for _, row := range rows {
		k := fmt.Sprintf("%s/%s/%d", row.Command, row.RoomID, row.EventTime)
		if row.EventTime == 0 {
			k = "untimed/" + row.RequestID
		}
		group, ok := byKey[k]
		if !ok || archived[k] {
			t.Fatalf("archive row %s (request %s) is unexpected or repeated", k, row.RequestID)
		}
		archived[k] = true
		// Exactly one delivery of the event was saved — the one whose row this is — and the
		// others were logged as duplicates.
		for _, d := range group {
			saved := outcome[d.id] != "duplicate"
			if saved != (d.id == row.RequestID) {
				t.Fatalf("event %s: delivery %s logged %q, but the archive row is request %s", k, d.id, outcome[d.id], row.RequestID)
			}
		}
		if string(row.Raw) != group[0].body || row.ClientIP != "203.0.113.9" || row.OptPlatform != "Web" {
			t.Fatalf("archive row %s holds other data than was sent: %+v", k, row)
		}
	}
	for r := range loadRooms {
		want := newest[loadRoomID(r)]
		got, err := callback.ReadRoom(ctx, reader, app, loadRoomID(r))
		if err != nil {
			t.Fatal(err)
		}
		wantName := fmt.Sprintf("%s v%d", loadRoomID(r), want.version)
		if got.EventTime != want.time || got.Info.RoomName == nil || *got.Info.RoomName != wantName ||
			got.Info.MaxMemberCount == nil || *got.Info.MaxMemberCount != int64(100+want.version) ||
			got.CallbackCommand != callback.CommandCreateRoom || got.DestroyedAt != nil || got.DestroyOperatorAccount != nil ||
			got.OperatorAccount == nil || *got.OperatorAccount != fmt.Sprintf("op-%d", want.version) ||
			fmt.Sprint(got.ScheduleInviteeList) != fmt.Sprintf("[u%d]", want.version) {
			t.Errorf("room %s is not at its newest event (version %d): %+v", loadRoomID(r), want.version, got)
		}
		if outcome[rowOf(rows, want.key())] != "stored" {
			t.Errorf("room %s: the newest version's saved delivery logged %q, want stored", loadRoomID(r), outcome[rowOf(rows, want.key())])
		}
	}

	saved := counts["stored"] + counts["stale"] + counts["ignored"]
	projected := loadRooms*loadVersions + loadRooms // the creates and the destroys
	if saved+counts["duplicate"] != len(ds) || saved != len(rows) || counts["stored"]+counts["stale"] != projected ||
		counts["ignored"] != len(rows)-projected || counts["stored"] < loadRooms {
		t.Errorf("outcomes do not add up: %v for %d deliveries and %d archive rows", counts, len(ds), len(rows))
	}
	t.Logf("%d deliveries from %d goroutines in %s: %d archive rows, %d rooms; outcomes %v",
		len(ds), loadWorkers, elapsed.Round(time.Millisecond), len(rows), loadRooms, counts)
}

// rowOf returns the request id of the archive row with key k.
func rowOf(rows []callback.Event, k string) string {
	for _, row := range rows {
		if fmt.Sprintf("%s/%s/%d", row.Command, row.RoomID, row.EventTime) == k {
			return row.RequestID
		}
	}
	return ""
}
