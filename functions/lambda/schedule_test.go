package main

import (
	"context"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/roomhook/roomhook/pkg/coldstart"
)

// purgeAnswer is what purgeStub answers: the shape of coldstart.PurgeAnswer.
const purgeAnswer = `{"archive_purge":{"retention":"720h0m0s","cutoff":"2025-05-02T03:00:00.000Z","complete":true,"apps":[]}}`

// purgeStub is an adapter's purge that counts its calls and answers purgeAnswer, or err.
func purgeStub(calls *int, err error) func(context.Context) ([]byte, error) {
	return func(context.Context) ([]byte, error) {
		*calls++
		if err != nil {
			return nil, err
		}
		return []byte(purgeAnswer), nil
	}
}

func loadPurgeSample(t testing.TB) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("events", purgeSample+".json"))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// TestScheduledEvent: the event of an EventBridge schedule (SAM's Schedule event) runs the
// purge, whose answer is the function's, and reaches neither the core nor the store; a purge
// that fails, or none wired, is a function error.
func TestScheduledEvent(t *testing.T) {
	event := loadPurgeSample(t)
	if got := translate(event).source; got != sourceSchedule {
		t.Fatalf("events/%s.json is read as %s, want schedule", purgeSample, got)
	}
	st := &memStore{}
	a := newAdapter(t, st)
	var calls int
	a.purge = purgeStub(&calls, nil)
	out, err := a.Invoke(lambdaCtx(lambdaReqID), event)
	if err != nil || string(out) != purgeAnswer || calls != 1 {
		t.Errorf("Invoke = %s, %v after %d purges; want the purge's answer, once", out, err, calls)
	}
	if len(st.events) != 0 {
		t.Errorf("a scheduled event reached the store: %+v", st.events)
	}
	dec := json.NewDecoder(strings.NewReader(purgeAnswer))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&coldstart.PurgeAnswer{}); err != nil {
		t.Errorf("purgeAnswer is not a coldstart.PurgeAnswer: %v", err)
	}

	failed := errors.New("postgres: connection refused")
	a.purge = purgeStub(&calls, failed)
	if out, err := a.Invoke(lambdaCtx(lambdaReqID), event); !errors.Is(err, failed) || out != nil {
		t.Errorf("a failed purge: Invoke = %s, %v; want the purge's error", out, err)
	}
	a.purge = nil
	if _, err := a.Invoke(lambdaCtx(lambdaReqID), event); err == nil {
		t.Error("no purge wired: Invoke succeeded, want a function error")
	}
}

// TestScheduledEventThroughHTTP: whatever a caller sends through a function URL, an API
// gateway or a load balancer, even a scheduled event's very JSON as the body, or its two names
// as query parameters and headers, is an HTTP event answered by the core: the purge never runs.
func TestScheduledEventThroughHTTP(t *testing.T) {
	scheduled := loadPurgeSample(t)
	for _, g := range loadGoldens(t) {
		t.Run(g.name, func(t *testing.T) {
			m := parseMutable(t, g.payload)
			m.setBody(scheduled)
			m.setQuery(append(g.pairs(), pair{"source", "aws.events"}, pair{"detail-type", "Scheduled Event"}))
			if h, ok := m["headers"].(map[string]any); ok {
				h["source"], h["detail-type"] = "aws.events", "Scheduled Event"
			}
			// Top-level keys no caller can set: an HTTP event stays one whatever else it holds.
			m["source"], m["detail-type"] = "aws.events", "Scheduled Event"
			event := m.bytes(t)

			tr := translate(event)
			if tr.source != g.source || string(tr.req.Body) != string(scheduled) {
				t.Fatalf("read as %s with body %q, want %s carrying the scheduled event as its body", tr.source, tr.req.Body, g.source)
			}
			a := newAdapter(t, &memStore{})
			var calls int
			a.purge = purgeStub(&calls, nil)
			out, err := a.Invoke(lambdaCtx(lambdaReqID), event)
			if err != nil || calls != 0 {
				t.Fatalf("Invoke = %v after %d purges, want a callback answer and no purge", err, calls)
			}
			r := parseResponse(t, out, g.source, g.multi)
			if p, _ := r.packet(t); r.StatusCode == 200 || p != "FAIL" {
				t.Errorf("status %d packet %s: a scheduled event's JSON is no callback, want a refusal", r.StatusCode, p)
			}
		})
	}
}

// TestScheduledEventLookalikes: only source aws.events with detail-type Scheduled Event is a
// schedule; other EventBridge events, or those fields with other values or types, are events of
// no known shape, refused as before.
func TestScheduledEventLookalikes(t *testing.T) {
	for _, e := range []string{
		`{"version":"0","source":"aws.events","detail-type":"EC2 Instance State-change Notification","detail":{}}`,
		`{"version":"0","source":"aws.ec2","detail-type":"Scheduled Event","detail":{}}`,
		`{"source":"aws.events"}`,
		`{"detail-type":"Scheduled Event"}`,
		`{"source":"aws.events ","detail-type":"Scheduled Event"}`,
		`{"source":"aws.events","detail-type":"scheduled event"}`,
		`{"source":["aws.events"],"detail-type":"Scheduled Event"}`,
		`{"source":"aws.events","detail-type":{"name":"Scheduled Event"}}`,
		`{"detail":{"source":"aws.events","detail-type":"Scheduled Event"}}`,
	} {
		t.Run(e, func(t *testing.T) {
			a := newAdapter(t, &memStore{})
			var calls int
			a.purge = purgeStub(&calls, nil)
			out, err := a.Invoke(context.Background(), []byte(e))
			if err != nil || calls != 0 {
				t.Fatalf("Invoke = %v after %d purges, want the refusal of an unknown shape", err, calls)
			}
			if r := parseResponse(t, out, sourceUnknown, false); r.StatusCode != 405 {
				t.Errorf("status %d, want 405: %s", r.StatusCode, out)
			}
		})
	}
}
