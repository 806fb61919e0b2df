package main

import (
	"encoding/json"
	"fmt"
	"log/slog"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/roomhook/roomhook/pkg/callback"
)

// lockedLog collects log lines written from many goroutines.
type lockedLog struct {
	mu  sync.Mutex
	buf strings.Builder
}

func (l *lockedLog) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.buf.Write(p)
}

// TestConcurrentInvocations drives one adapter from many goroutines at once, as aws-lambda-go
// (v1.55) does when AWS_LAMBDA_MAX_CONCURRENCY > 1 (Lambda Managed Instances): it starts that
// many runtime API loops in one process, all calling the same Handler, each invocation with
// its own context and request id. Every event shape is mixed in, each event is delivered twice
// through different shapes, on a real SQLite store. Each answer must come back in its own
// event's shape, each log line must carry its own invocation's request id, and the store must
// keep each event once, saved by the invocation whose line says stored. Run it with -race.
func TestConcurrentInvocations(t *testing.T) {
	const workers, perWorker = 16, 40
	st, _ := openStore(t)
	logs := &lockedLog{}
	logger := slog.New(slog.NewJSONHandler(logs, nil))
	h, err := callback.NewHandler(callback.Options{
		SdkAppIDs: []int64{testAppID}, Tokens: []string{testToken}, SignTolerance: time.Minute,
		Store: st, StoreTimeout: 30 * time.Second, Logger: logger,
		Now: func() time.Time { return fixedNow },
	})
	if err != nil {
		t.Fatal(err)
	}
	a := &adapter{handler: h, log: logger}

	// Invocation i carries event i/2 — room load-<i/2> — in the shape of golden i%7, so the
	// two deliveries of an event come through different shapes, often at the same moment.
	files := loadGoldens(t)
	type invocation struct {
		id     string
		golden goldenFile
		room   string
		event  []byte
		out    []byte
		err    error
	}
	invs := make([]invocation, workers*perWorker)
	for i := range invs {
		g := files[i%len(files)]
		m := parseMutable(t, g.payload)
		room := fmt.Sprintf("conc-%03d", i/2)
		if !m.setQuery(signedPairs(testToken)) {
			t.Fatalf("%s cannot carry the signed query", g.name)
		}
		m.setBody(withRoom(room, 1703589922780+int64(i/2)))
		invs[i] = invocation{id: fmt.Sprintf("inv-%04d", i), golden: g, room: room, event: m.bytes(t)}
	}

	start := make(chan struct{})
	var wg sync.WaitGroup
	for w := range workers {
		wg.Go(func() {
			<-start
			// Worker w takes every workers-th invocation, so the two deliveries of an event
			// (i and i+1) run in different goroutines.
			for i := w; i < len(invs); i += workers {
				invs[i].out, invs[i].err = a.Invoke(lambdaCtx(invs[i].id), invs[i].event)
			}
		})
	}
	close(start)
	wg.Wait()

	for _, inv := range invs {
		if inv.err != nil {
			t.Fatalf("%s: %v", inv.id, inv.err)
		}
		r := parseResponse(t, inv.out, inv.golden.source, inv.golden.multi)
		if status, code := r.packet(t); r.StatusCode != 200 || status != "OK" || code != 0 {
			t.Fatalf("%s (%s): HTTP %d %s %d", inv.id, inv.golden.name, r.StatusCode, status, code)
		}
	}

	outcome := map[string]string{}
	for _, line := range strings.Split(strings.TrimSpace(logs.buf.String()), "\n") {
		var l struct {
			Msg       string `json:"msg"`
			RequestID string `json:"request_id"`
			RoomID    string `json:"room_id"`
			Outcome   string `json:"outcome"`
		}
		if err := json.Unmarshal([]byte(line), &l); err != nil || l.Msg != "callback" {
			t.Fatalf("unexpected log line: %s", line)
		}
		if _, dup := outcome[l.RequestID]; dup {
			t.Fatalf("two lines for %s", l.RequestID)
		}
		outcome[l.RequestID] = l.Outcome
		var i int
		fmt.Sscanf(l.RequestID, "inv-%d", &i)
		if l.RequestID != invs[i].id || l.RoomID != invs[i].room {
			t.Fatalf("line %s names room %s: another invocation's", l.RequestID, l.RoomID)
		}
	}
	if len(outcome) != len(invs) {
		t.Fatalf("%d log lines for %d invocations", len(outcome), len(invs))
	}

	rows, err := st.Events(t.Context(), testAppID)
	if err != nil {
		t.Fatal(err)
	}
	if len(rows) != len(invs)/2 {
		t.Fatalf("%d archive rows, want %d", len(rows), len(invs)/2)
	}
	for _, row := range rows {
		var i int
		fmt.Sscanf(row.RoomID, "conc-%d", &i)
		first, second := invs[2*i], invs[2*i+1]
		saved, dup := first, second
		if row.RequestID == second.id {
			saved, dup = second, first
		}
		if row.RequestID != saved.id || outcome[saved.id] != "stored" || outcome[dup.id] != "duplicate" {
			t.Fatalf("room %s archived by %s; outcomes %s=%s %s=%s", row.RoomID, row.RequestID,
				first.id, outcome[first.id], second.id, outcome[second.id])
		}
	}
}
