package main

import (
	"context"
	"path/filepath"
	"strconv"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/roomhook/roomhook/pkg/callback/callbacktest"
	"github.com/roomhook/roomhook/pkg/store/sqlite"
)

// fuzzHarness is a real SQLite store and two adapters over it (signatures checked, and not),
// built once per fuzz process. The archive is read back whole after every input, so the
// harness moves to a fresh file whenever it has archived maxFuzzRows rows, to keep each
// input's cost flat.
type fuzzHarness struct {
	dir             string
	files, rows     int
	st              *sqlite.Store
	signed, plain   *adapter
	signedJ, plainJ callbacktest.Judge
	purges          int // scheduled events seen by the adapters' purge
}

const maxFuzzRows = 64

func (fh *fuzzHarness) open(tb testing.TB) {
	tb.Helper()
	if fh.st != nil {
		fh.st.Close()
	}
	fh.files++
	st, err := sqlite.Open(context.Background(), filepath.Join(fh.dir, "fuzz"+strconv.Itoa(fh.files)+".db"), sqlite.Options{Timeout: time.Minute})
	if err != nil {
		tb.Fatal(err)
	}
	fh.st, fh.rows = st, 0
	fh.signed, fh.plain = newAdapter(tb, st, testToken), newAdapter(tb, st)
	fh.signed.purge, fh.plain.purge = purgeStub(&fh.purges, nil), purgeStub(&fh.purges, nil)
	apps := []int64{testAppID}
	fh.signedJ = callbacktest.Judge{Apps: apps, Tokens: []string{testToken}, Tolerance: time.Minute, Now: fixedNow}
	fh.plainJ = callbacktest.Judge{Apps: apps, Tolerance: time.Minute, Now: fixedNow}
}

// FuzzInvoke feeds arbitrary events to the adapter on a real handler and a real SQLite store,
// seeded with every golden event (API Gateway REST, HTTP API 1.0 and 2.0, function URL, ALB
// single- and multi-value), signed and unsigned, with payloads of no known shape, and with the
// edge cases of the event decode (decodeCases). For every input:
//   - Invoke returns no error, and its output is valid UTF-8 JSON in the response shape of the
//     event's source (ALB's statusDescription, multiValueHeaders when multi-value headers are
//     on, headers otherwise, isBase64Encoded false, nothing else);
//   - the answer keeps callbacktest.CheckAnswer's rules (a packet of exactly ActionStatus,
//     ErrorInfo, ErrorCode; a status of the README table consistent with it; Content-Type
//     application/json; Allow: POST exactly on a 405);
//   - callbacktest.CheckOutcome holds for the request the core was given: no 500, no 503, 405
//     exactly when the method is not POST, a 200 only for a request the judge admits (POST,
//     our SdkAppid, Sign = callback.Sign(token, RequestTime) within a minute of the clock), a
//     refusal archives nothing, a 200 archives at most the body verbatim;
//   - an event of no known shape is answered 405, a body flagged base64 that does not decode
//     is never answered 200;
//   - a scheduled event (only the adapter's own reading of the event says so) is answered by
//     the purge alone, and archives nothing.
func FuzzInvoke(f *testing.F) {
	scheduled := loadPurgeSample(f)
	f.Add(scheduled, false)
	for _, g := range loadGoldens(f) {
		f.Add(g.payload, false)
		m := parseMutable(f, g.payload)
		m.setQuery(g.signedPairs(testToken))
		f.Add(m.bytes(f), true)
		m.setBody([]byte(`{"CallbackCommand":"Room.CallbackAfterCreateRoom","RoomInfo":{"RoomId":"a","roomid":"b"},"EventTime":1}`))
		f.Add(m.bytes(f), true)
		m["isBase64Encoded"], m["body"] = true, "e30*"
		f.Add(m.bytes(f), true)
		m.setBody(scheduled)
		f.Add(m.bytes(f), false)
	}
	for _, e := range unknownEvents {
		f.Add([]byte(e), false)
	}
	for _, c := range decodeCases { // the edges of encoding/json's rules (decode_test.go)
		if len(c.payload) < 1000 {
			f.Add([]byte(c.payload), false)
		}
	}
	fh := &fuzzHarness{dir: f.TempDir()}
	fh.open(f)
	f.Cleanup(func() { fh.st.Close() })
	ctx := context.Background()

	f.Fuzz(func(t *testing.T, payload []byte, checkSign bool) {
		if fh.rows >= maxFuzzRows {
			fh.open(t)
		}
		a, judge := fh.plain, fh.plainJ
		if checkSign {
			a, judge = fh.signed, fh.signedJ
		}
		tr := translate(payload) // what the core is given: translate is deterministic

		before, err := callbacktest.Archive(ctx, fh.st, judge.Apps)
		if err != nil {
			t.Fatal(err)
		}
		purges := fh.purges
		out, invokeErr := a.Invoke(lambdaCtx(lambdaReqID), payload)
		after, err := callbacktest.Archive(ctx, fh.st, judge.Apps)
		if err != nil {
			t.Fatal(err)
		}
		if tr.source == sourceSchedule {
			added, changed := callbacktest.Added(before, after)
			if invokeErr != nil || string(out) != purgeAnswer || fh.purges != purges+1 || len(added) != 0 || changed != nil {
				t.Fatalf("scheduled event: Invoke = %s, %v, %d purges, archive +%d (%v); want the purge's answer alone",
					out, invokeErr, fh.purges-purges, len(added), changed)
			}
			return
		}
		if invokeErr != nil || fh.purges != purges {
			t.Fatalf("Invoke returned an error: %v (purges run: %d)", invokeErr, fh.purges-purges)
		}

		if !utf8.Valid(out) {
			t.Fatalf("response is not UTF-8: %q", out)
		}
		r := parseResponse(t, out, tr.source, tr.multi)
		if t.Failed() {
			t.FailNow()
		}
		header := r.Headers
		if tr.multi {
			header = map[string]string{}
			for name, vs := range r.MultiValueHeaders {
				if len(vs) != 1 {
					t.Fatalf("header %s has %d values: %s", name, len(vs), out)
				}
				header[name] = vs[0]
			}
		}
		p, err := callbacktest.CheckAnswer(r.StatusCode, header, []byte(*r.Body))
		if err != nil {
			t.Fatalf("%v\nresponse %s", err, out)
		}
		if err := callbacktest.CheckOutcome(ctx, fh.st, tr.req, r.StatusCode, p, judge, before, after); err != nil {
			t.Fatalf("%v\nrequest %s %v body %q", err, tr.req.Method, tr.req.Query, tr.req.Body)
		}
		if tr.source == sourceUnknown && r.StatusCode != 405 {
			t.Fatalf("an event of no known shape answered %d", r.StatusCode)
		}
		if tr.badBase64 && r.StatusCode == 200 {
			t.Fatal("a body that is not valid base64 was accepted")
		}
		added, _ := callbacktest.Added(before, after)
		fh.rows += len(added)
	})
}
