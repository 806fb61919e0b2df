package emf_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"math"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/roomhook/roomhook/pkg/callback"
	"github.com/roomhook/roomhook/pkg/emf"
)

const (
	app   = 1400123456
	token = "emf-test-token"
)

var now = time.Date(2026, 12, 5, 8, 0, 0, 0, time.UTC)

// store answers Stored for a body it has not seen (Ignored for a command roomhook does not
// project), Duplicate for one it has, and fails for a room named "fail".
type store struct {
	mu   sync.Mutex
	seen map[string]bool
}

func (s *store) Save(_ context.Context, ev *callback.Event) (callback.Outcome, error) {
	if ev.RoomID == "fail" {
		return 0, errors.New("the store is down")
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.seen[ev.Digest()] {
		return callback.OutcomeDuplicate, nil
	}
	s.seen[ev.Digest()] = true
	if ev.Payload == nil {
		return callback.OutcomeIgnored, nil // archived raw, as the stores do
	}
	return callback.OutcomeStored, nil
}

func (s *store) Close() error { return nil }

// handler is the core with its lines going through emf.Handler into a JSON handler at level.
func handler(t *testing.T, level slog.Level, logged, alone *bytes.Buffer, functionName string) *callback.Handler {
	t.Helper()
	opts := emf.Options{Namespace: "test-ns", Service: "test-svc", FunctionName: functionName, Now: func() time.Time { return now }}
	if alone != nil {
		opts.Out = alone
	}
	h, err := callback.NewHandler(callback.Options{
		SdkAppIDs: []int64{app}, Tokens: []string{token}, SignTolerance: time.Minute,
		Store: &store{seen: map[string]bool{}}, StoreTimeout: time.Second, Now: func() time.Time { return now },
		Logger: slog.New(emf.NewHandler(slog.NewJSONHandler(logged, &slog.HandlerOptions{Level: level}), opts)),
	})
	if err != nil {
		t.Fatal(err)
	}
	return h
}

// request is a create-room callback for room, signed unless sign is "", with command in the
// query string and the body.
func request(command, room, sign string) callback.Request {
	rt := strconv.FormatInt(now.Unix(), 10)
	q := url.Values{"SdkAppid": {strconv.Itoa(app)}, "CallbackCommand": {command}, "contenttype": {"json"}}
	if sign != "" {
		q.Set("RequestTime", rt)
		q.Set("Sign", sign)
	}
	body := fmt.Sprintf(`{"CallbackCommand":%q,"RoomInfo":{"RoomId":%q,"RoomType":"Meeting","Owner_Account":"a"},"EventTime":1703589922780}`, command, room)
	return callback.Request{Method: "POST", Query: q, Body: []byte(body), RequestID: "r-" + room}
}

func signed() string { return callback.Sign(token, strconv.FormatInt(now.Unix(), 10)) }

// document is one EMF document, checked against the format's rules as CloudWatch applies them.
type document map[string]any

// parseEMF reads one log line as an EMF document and checks it: "_aws" with an integer
// Timestamp and CloudWatchMetrics, each directive with a Namespace (1 to 255 characters), at
// most 30 keys per dimension set and 100 metrics, every dimension a string member of the
// document and non-empty, every metric a number member with a known unit.
func parseEMF(t *testing.T, line []byte) document {
	t.Helper()
	var d document
	if err := json.Unmarshal(line, &d); err != nil {
		t.Fatalf("not JSON: %v: %s", err, line)
	}
	aws, ok := d["_aws"].(map[string]any)
	if !ok {
		t.Fatalf("no _aws object: %s", line)
	}
	if ts, ok := aws["Timestamp"].(float64); !ok || ts != math.Trunc(ts) || int64(ts) != now.UnixMilli() {
		t.Errorf("Timestamp %v, want %d", aws["Timestamp"], now.UnixMilli())
	}
	dirs, ok := aws["CloudWatchMetrics"].([]any)
	if !ok || len(dirs) == 0 {
		t.Fatalf("no CloudWatchMetrics: %s", line)
	}
	units := map[string]bool{"Count": true, "Milliseconds": true}
	for _, raw := range dirs {
		dir := raw.(map[string]any)
		if ns, _ := dir["Namespace"].(string); len(ns) < 1 || len(ns) > 255 || ns != "test-ns" {
			t.Errorf("Namespace %v", dir["Namespace"])
		}
		sets, _ := dir["Dimensions"].([]any)
		if len(sets) == 0 {
			t.Errorf("a directive without dimensions: %s", line)
		}
		for _, set := range sets {
			keys := set.([]any)
			if len(keys) == 0 || len(keys) > 30 {
				t.Errorf("a dimension set of %d keys", len(keys))
			}
			for _, k := range keys {
				if v, ok := d[k.(string)].(string); !ok || v == "" {
					t.Errorf("dimension %v is %v, want a non-empty string member: %s", k, d[k.(string)], line)
				}
			}
		}
		metrics, _ := dir["Metrics"].([]any)
		if len(metrics) == 0 || len(metrics) > 100 {
			t.Errorf("%d metrics", len(metrics))
		}
		for _, m := range metrics {
			m := m.(map[string]any)
			name, _ := m["Name"].(string)
			if _, ok := d[name].(float64); !ok {
				t.Errorf("metric %q is %v, want a number member", name, d[name])
			}
			if !units[m["Unit"].(string)] {
				t.Errorf("metric %q unit %v", name, m["Unit"])
			}
		}
	}
	return d
}

// metricNames are the metrics a document's directives declare, with their dimension sets.
func metricNames(d document) map[string][]string {
	names := map[string][]string{}
	for _, raw := range d["_aws"].(map[string]any)["CloudWatchMetrics"].([]any) {
		dir := raw.(map[string]any)
		var dims []string
		for _, k := range dir["Dimensions"].([]any)[0].([]any) {
			dims = append(dims, k.(string))
		}
		for _, m := range dir["Metrics"].([]any) {
			names[m.(map[string]any)["Name"].(string)] = dims
		}
	}
	return names
}

func lines(b *bytes.Buffer) [][]byte {
	return bytes.Split(bytes.TrimSpace(b.Bytes()), []byte("\n"))
}

func TestEveryRequestCountedOnce(t *testing.T) {
	var logged bytes.Buffer
	h := handler(t, slog.LevelInfo, &logged, nil, "roomhook-fn")
	cases := []struct {
		req                     callback.Request
		command, outcome        string
		storeFails, signRefused float64
		reachedStore            bool
	}{
		{request(callback.CommandCreateRoom, "r1", signed()), callback.CommandCreateRoom, "stored", 0, 0, true},
		{request(callback.CommandCreateRoom, "r1", signed()), callback.CommandCreateRoom, "duplicate", 0, 0, true},
		{request(callback.CommandCreateRoom, "fail", signed()), callback.CommandCreateRoom, "rejected:store", 1, 0, true},
		// Refused before the signature is verified: the command is the sender's word, not a dimension.
		{request(callback.CommandCreateRoom, "r2", "forged"), emf.OtherCommand, "rejected:sign_mismatch", 0, 1, false},
		{request(callback.CommandCreateRoom, "r3", ""), emf.OtherCommand, "rejected:sign_missing", 0, 1, false},
		// A command roomhook does not project, and one a forger invents: both "other".
		{request("Room.CallbackSomethingNew", "r4", signed()), emf.OtherCommand, "ignored", 0, 0, true},
		{request("Forged.Command-"+strings.Repeat("x", 40), "r5", "forged"), emf.OtherCommand, "rejected:sign_mismatch", 0, 1, false},
	}
	for _, c := range cases {
		h.Handle(context.Background(), c.req)
	}
	got := lines(&logged)
	if len(got) != len(cases) {
		t.Fatalf("%d lines for %d requests:\n%s", len(got), len(cases), logged.String())
	}
	for i, c := range cases {
		d := parseEMF(t, got[i])
		names := metricNames(d)
		if d["msg"] != callback.LineMessage || d[emf.MetricCallbacks] != 1.0 {
			t.Errorf("line %d: msg %v Callbacks %v", i, d["msg"], d[emf.MetricCallbacks])
		}
		if d[emf.DimCommand] != c.command || d[emf.DimOutcome] != c.outcome || d[emf.DimService] != "test-svc" {
			t.Errorf("line %d: %v %v %v, want %s %s", i, d[emf.DimCommand], d[emf.DimOutcome], d[emf.DimService], c.command, c.outcome)
		}
		if d[emf.MetricStoreFailures] != c.storeFails || d[emf.MetricSignatureRefusals] != c.signRefused {
			t.Errorf("line %d (%s): StoreFailures %v SignatureRefusals %v", i, c.outcome, d[emf.MetricStoreFailures], d[emf.MetricSignatureRefusals])
		}
		if _, ok := names[emf.MetricStoreLatency]; ok != c.reachedStore {
			t.Errorf("line %d (%s): StoreLatency declared %v, want %v", i, c.outcome, ok, c.reachedStore)
		}
		_, cold := names[emf.MetricColdStart]
		if cold != (i == 0) {
			t.Errorf("line %d: ColdStart declared %v", i, cold)
		}
		if cold && (d[emf.MetricColdStart] != 1.0 || d[emf.DimFunctionName] != "roomhook-fn" ||
			strings.Join(names[emf.MetricColdStart], ",") != "service,function_name") {
			t.Errorf("ColdStart %v function_name %v dims %v", d[emf.MetricColdStart], d[emf.DimFunctionName], names[emf.MetricColdStart])
		}
		if want := "service,callback_command,callback_outcome"; strings.Join(names[emf.MetricCallbacks], ",") != want {
			t.Errorf("Callbacks dimensions %v, want %s", names[emf.MetricCallbacks], want)
		}
		// The log line keeps what it always said: the raw command, the outcome.
		if d[callback.KeyOutcome] != c.outcome || d[callback.KeyCommand] != c.req.Query.Get("CallbackCommand") {
			t.Errorf("line %d: the log line's command %v outcome %v", i, d[callback.KeyCommand], d[callback.KeyOutcome])
		}
	}
}

// Above info the callback lines are not logged, but their metrics still go out, alone: every
// request still counted once, the error lines carrying their own.
func TestMetricsAtAHigherLogLevel(t *testing.T) {
	var logged, alone bytes.Buffer
	h := handler(t, slog.LevelWarn, &logged, &alone, "")
	h.Handle(context.Background(), request(callback.CommandCreateRoom, "r1", signed()))
	h.Handle(context.Background(), request(callback.CommandCreateRoom, "fail", signed()))
	h.Handle(context.Background(), request(callback.CommandCreateRoom, "r2", "forged"))
	log, metrics := lines(&logged), lines(&alone)
	if len(log) != 1 || len(metrics) != 2 {
		t.Fatalf("%d logged and %d metrics-only lines, want the store failure logged and 2 alone:\n%s\n%s", len(log), len(metrics), logged.String(), alone.String())
	}
	if d := parseEMF(t, log[0]); d[emf.DimOutcome] != "rejected:store" || d["raw_body"] == nil || d[emf.MetricStoreFailures] != 1.0 {
		t.Errorf("the error line: %v", d)
	}
	for i, want := range []string{"stored", "rejected:sign_mismatch"} {
		d := parseEMF(t, metrics[i])
		if d[emf.DimOutcome] != want || d[emf.MetricCallbacks] != 1.0 || d["raw_body"] != nil || d["room_id"] != nil {
			t.Errorf("metrics line %d: %v", i, d)
		}
		if _, cold := metricNames(d)[emf.MetricColdStart]; cold != (i == 0) {
			t.Errorf("metrics line %d: ColdStart %v", i, cold)
		}
		if _, named := d[emf.DimFunctionName]; named {
			t.Errorf("a function_name without a FunctionName: %v", d)
		}
	}
}

// Concurrent requests on one instance: one ColdStart, one Callbacks each.
func TestOneColdStartUnderConcurrency(t *testing.T) {
	var logged bytes.Buffer // slog's JSON handler writes one line at a time
	h, err := callback.NewHandler(callback.Options{
		SdkAppIDs: []int64{app}, Store: &store{seen: map[string]bool{}}, StoreTimeout: time.Second, Now: func() time.Time { return now },
		Logger: slog.New(emf.NewHandler(slog.NewJSONHandler(&logged, nil), emf.Options{Namespace: "test-ns", Now: func() time.Time { return now }})),
	})
	if err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	for i := range 64 {
		wg.Go(func() { h.Handle(context.Background(), request(callback.CommandCreateRoom, "c"+strconv.Itoa(i), "")) })
	}
	wg.Wait()
	colds, callbacks := 0, 0.0
	for _, l := range lines(&logged) {
		d := parseEMF(t, l)
		callbacks += d[emf.MetricCallbacks].(float64)
		if _, ok := metricNames(d)[emf.MetricColdStart]; ok {
			colds++
		}
		if d[emf.DimService] != "roomhook" {
			t.Errorf("service %v, want the default roomhook", d[emf.DimService])
		}
	}
	if colds != 1 || callbacks != 64 {
		t.Errorf("%d ColdStart and %v Callbacks for 64 requests", colds, callbacks)
	}
}

// Records other than the callback line pass through untouched, and only at next's level.
func TestOtherRecordsUntouched(t *testing.T) {
	var logged bytes.Buffer
	l := slog.New(emf.NewHandler(slog.NewJSONHandler(&logged, &slog.HandlerOptions{Level: slog.LevelWarn}), emf.Options{}))
	l.Info("dropped")
	l.Warn("kept", "k", "v")
	l.With("a", 1).WithGroup("g").Warn("grouped", "k", "v")
	got := lines(&logged)
	if len(got) != 2 || bytes.Contains(logged.Bytes(), []byte("_aws")) || !bytes.Contains(got[1], []byte(`"g":{"k":"v"}`)) {
		t.Errorf("lines:\n%s", logged.String())
	}
}

// A callback line that cannot carry its metrics — under a logger group, or with a raw body too
// big for CloudWatch to parse as JSON — is logged as it is and its metrics go alone, at
// AloneLevel: still one count per request.
func TestMetricsGoAloneWhenTheLineCannotCarryThem(t *testing.T) {
	var logged, alone bytes.Buffer
	opts := emf.Options{Namespace: "test-ns", Out: &alone, AloneLevel: "WARN", Now: func() time.Time { return now }}
	grouped := slog.New(emf.NewHandler(slog.NewJSONHandler(&logged, nil), opts)).WithGroup("g")
	grouped.Info(callback.LineMessage, callback.KeyCommand, callback.CommandCreateRoom, callback.KeyOutcome, "stored")
	plain := slog.New(emf.NewHandler(slog.NewJSONHandler(&logged, nil), opts))
	plain.Error(callback.LineMessage, callback.KeyCommand, callback.CommandCreateRoom, callback.KeyOutcome, "rejected:store",
		"raw_body", strings.Repeat("x", 200<<10))
	log, metrics := lines(&logged), lines(&alone)
	if len(log) != 2 || len(metrics) != 2 {
		t.Fatalf("%d logged and %d alone, want 2 and 2", len(log), len(metrics))
	}
	for i, l := range log {
		if bytes.Contains(l, []byte("_aws")) {
			t.Errorf("logged line %d carries metrics it cannot: %.200s", i, l)
		}
	}
	for i, want := range []string{"stored", "rejected:store"} {
		d := parseEMF(t, metrics[i])
		if d[emf.DimOutcome] != want || d[emf.MetricCallbacks] != 1.0 || d["level"] != "WARN" {
			t.Errorf("alone line %d: outcome %v Callbacks %v level %v", i, d[emf.DimOutcome], d[emf.MetricCallbacks], d["level"])
		}
	}
}

func TestFromEnv(t *testing.T) {
	for v, on := range map[string]bool{"": true, "false": true, "0": true, "true": false, "TRUE": false, "1": false, "yes": false, " on ": false} {
		got := emf.FromEnv(func(k string) string {
			switch k {
			case emf.EnvDisabled:
				return v
			case emf.EnvNamespace:
				return "ns"
			case emf.EnvService:
				return "svc"
			case emf.EnvFunctionName:
				return "fn"
			}
			return ""
		})
		if (got != nil) != on {
			t.Errorf("%s=%q: on %v, want %v", emf.EnvDisabled, v, got != nil, on)
		}
		if got != nil && (got.Namespace != "ns" || got.Service != "svc" || got.FunctionName != "fn") {
			t.Errorf("FromEnv = %+v", got)
		}
	}
}

// Without Options.Now the Timestamp is the line's own time: one clock read per request.
func TestTimestampIsTheLinesTime(t *testing.T) {
	var logged bytes.Buffer
	l := slog.New(emf.NewHandler(slog.NewJSONHandler(&logged, nil), emf.Options{}))
	l.Info(callback.LineMessage, callback.KeyCommand, callback.CommandCreateRoom, callback.KeyOutcome, "stored")
	var line struct {
		Time time.Time                 `json:"time"`
		AWS  struct{ Timestamp int64 } `json:"_aws"`
	}
	if err := json.Unmarshal(bytes.TrimSpace(logged.Bytes()), &line); err != nil {
		t.Fatal(err)
	}
	if line.Time.IsZero() || line.AWS.Timestamp != line.Time.UnixMilli() {
		t.Errorf("Timestamp %d, the line's time %v", line.AWS.Timestamp, line.Time)
	}
}
