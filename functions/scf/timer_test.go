package main

import (
	"context"
	"encoding/json"
	"errors"
	"strings"
	"testing"

	"github.com/roomhook/roomhook/pkg/callback"
	"github.com/roomhook/roomhook/pkg/coldstart"
)

// purgeAnswer is what purgeStub answers: the shape of coldstart.PurgeAnswer.
const purgeAnswer = `{"archive_purge":{"retention":"720h0m0s","cutoff":"2025-05-02T03:00:00.000Z","complete":true,"apps":[]}}`

// purgeStub is a function's purge that counts its calls and answers purgeAnswer, or err.
func purgeStub(calls *int, err error) func(context.Context) ([]byte, error) {
	return func(context.Context) ([]byte, error) {
		*calls++
		if err != nil {
			return nil, err
		}
		return []byte(purgeAnswer), nil
	}
}

// countingStore is nopStore that counts the saves it is asked for.
type countingStore struct {
	nopStore
	saves *int
}

func (s countingStore) Save(ctx context.Context, ev *callback.Event) (callback.Outcome, error) {
	*s.saves++
	return s.nopStore.Save(ctx, ev)
}

// TestTimerEvent: a timer trigger's event (scf-go-lib's events.TimerEvent) runs the purge,
// whose answer is the function's, and reaches neither the core nor the store; a purge that
// fails, or none wired, is a function error.
func TestTimerEvent(t *testing.T) {
	timer := loadGolden(t, timerSample)
	var ev event
	ev.decode(timer)
	if !ev.timer() {
		t.Fatalf("events/%s.json is not read as a timer event: %+v", timerSample, ev)
	}
	var saves, calls int
	f := newFunction(t, countingStore{saves: &saves})
	f.purge = purgeStub(&calls, nil)
	out, err := f.Invoke(context.Background(), timer)
	if err != nil || string(out) != purgeAnswer || calls != 1 || saves != 0 {
		t.Errorf("Invoke = %s, %v after %d purges and %d saves; want the purge's answer, once, and no save", out, err, calls, saves)
	}
	dec := json.NewDecoder(strings.NewReader(purgeAnswer))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&coldstart.PurgeAnswer{}); err != nil {
		t.Errorf("purgeAnswer is not a coldstart.PurgeAnswer: %v", err)
	}

	failed := errors.New("mysql: connection refused")
	f.purge = purgeStub(&calls, failed)
	if out, err := f.Invoke(context.Background(), timer); !errors.Is(err, failed) || out != nil {
		t.Errorf("a failed purge: Invoke = %s, %v; want the purge's error", out, err)
	}
	f.purge = nil
	if _, err := f.Invoke(context.Background(), timer); err == nil {
		t.Error("no purge wired: Invoke succeeded, want a function error")
	}
}

// TestTimerEventThroughHTTP: whatever a caller sends through the function URL or an API
// gateway, even a timer event's very JSON as the body, or Type=Timer as a query parameter or a
// header, is an HTTP event answered by the core: the purge never runs.
func TestTimerEventThroughHTTP(t *testing.T) {
	timer := string(loadGolden(t, timerSample))
	for _, g := range goldenEvents(t) {
		t.Run(g.name, func(t *testing.T) {
			event := edit(t, g.data, func(ev map[string]any) {
				setBody(ev, timer)
				queryOf(ev)["Type"] = "Timer"
				if h, ok := ev["headers"].(map[string]any); ok {
					h["Type"] = "Timer"
				}
				// A top-level key no caller can set: an HTTP event stays one whatever else it holds.
				ev["Type"] = "Timer"
			})
			var saves, calls int
			f := newFunction(t, countingStore{saves: &saves})
			f.purge = purgeStub(&calls, nil)
			out, err := f.Invoke(context.Background(), event)
			if err != nil || calls != 0 {
				t.Fatalf("Invoke = %v after %d purges, want a callback answer and no purge", err, calls)
			}
			if a, p := decodeAnswer(t, out); a.StatusCode == 200 || p.ActionStatus != "FAIL" {
				t.Errorf("status %d packet %+v: a timer event's JSON is no callback, want a refusal", a.StatusCode, p)
			}
		})
	}
}
