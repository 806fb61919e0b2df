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

// fuzzHarness is a real SQLite store and two functions over it (signatures checked, and not),
// built once per fuzz process. The archive is read back whole after every input, so the
// harness moves to a fresh file whenever it has archived maxFuzzRows rows, to keep each
// input's cost flat.
type fuzzHarness struct {
	dir             string
	files, rows     int
	st              *sqlite.Store
	signed, plain   *function
	signedJ, plainJ callbacktest.Judge
	purges          int // timer events seen by the functions' purge
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
	fh.signed, fh.plain = newFunction(tb, st, testToken), newFunction(tb, st)
	fh.signed.purge, fh.plain.purge = purgeStub(&fh.purges, nil), purgeStub(&fh.purges, nil)
	apps := []int64{testAppID}
	fh.signedJ = callbacktest.Judge{Apps: apps, Tokens: []string{testToken}, Tolerance: time.Minute, Now: fixedNow}
	fh.plainJ = callbacktest.Judge{Apps: apps, Tolerance: time.Minute, Now: fixedNow}
}

// FuzzInvoke feeds arbitrary events to the SCF function on a real handler and a real SQLite
// store, seeded with every golden event (API gateway trigger, function URL plain and base64),
// signed and unsigned, with payloads of no known shape, and with the edge cases of the event
// decode (decodeCases). For every input:
//   - Invoke returns no error, and its output is valid UTF-8 JSON of exactly the integration
//     response (isBase64Encoded false, statusCode, headers, body);
//   - the answer keeps callbacktest.CheckAnswer's rules (a packet of exactly ActionStatus,
//     ErrorInfo, ErrorCode; a status of the README table consistent with it; Content-Type
//     application/json; Allow: POST exactly on a 405);
//   - callbacktest.CheckOutcome holds for the request the core was given: no 500, no 503, 405
//     exactly when the method is not POST, a 200 only for a request the judge admits (POST,
//     our SdkAppid, Sign = callback.Sign(token, RequestTime) within a minute of the clock), a
//     refusal archives nothing, a 200 archives at most the body verbatim;
//   - a timer event (only the function's own reading of the event says so) is answered by the
//     purge alone, and archives nothing.
func FuzzInvoke(f *testing.F) {
	timer := loadGolden(f, timerSample)
	f.Add(timer, false)
	for _, g := range goldenEvents(f) {
		f.Add(edit(f, g.data, func(ev map[string]any) { setBody(ev, string(timer)) }), false)
		f.Add(g.data, false)
		f.Add(edit(f, g.data, func(ev map[string]any) { sign(ev, testToken, fixedNow) }), true)
		f.Add(edit(f, g.data, func(ev map[string]any) {
			sign(ev, testToken, fixedNow)
			setBody(ev, `{"CallbackCommand":"Room.CallbackAfterCreateRoom","RoomInfo":{"RoomId":"a","Room\u0049d":"b"},"EventTime":1}`)
		}), true)
		f.Add(edit(f, g.data, func(ev map[string]any) {
			queryOf(ev)["SdkAppid"] = []any{"1400123456", true}
			ev["isBase64Encoded"], ev["body"] = true, "e30*"
		}), false)
	}
	for _, e := range []string{``, `roomhook`, `null`, `[1,2]`, `{}`, `{"httpMethod":"POST","queryString":"SdkAppid=1400123456","body":"{}"}`,
		`{"httpMethod":"POST","queryString":{"SdkAppid":["1400123456"],"CallbackCommand":7},"body":{"RoomInfo":{}}}`} {
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
		fn, judge := fh.plain, fh.plainJ
		if checkSign {
			fn, judge = fh.signed, fh.signedJ
		}
		req := request(ctx, payload) // what the core is given: the decoding is deterministic
		var ev event
		ev.decode(payload)

		before, err := callbacktest.Archive(ctx, fh.st, judge.Apps)
		if err != nil {
			t.Fatal(err)
		}
		purges := fh.purges
		out, invokeErr := fn.Invoke(ctx, payload)
		after, err := callbacktest.Archive(ctx, fh.st, judge.Apps)
		if err != nil {
			t.Fatal(err)
		}
		if ev.timer() {
			added, changed := callbacktest.Added(before, after)
			if invokeErr != nil || string(out) != purgeAnswer || fh.purges != purges+1 || len(added) != 0 || changed != nil {
				t.Fatalf("timer event: Invoke = %s, %v, %d purges, archive +%d (%v); want the purge's answer alone",
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
		a, _ := decodeAnswer(t, out)
		if t.Failed() {
			t.FailNow()
		}
		p, err := callbacktest.CheckAnswer(a.StatusCode, a.Headers, []byte(*a.Body))
		if err != nil {
			t.Fatalf("%v\nresponse %s", err, out)
		}
		if err := callbacktest.CheckOutcome(ctx, fh.st, req, a.StatusCode, p, judge, before, after); err != nil {
			t.Fatalf("%v\nrequest %s %v body %q", err, req.Method, req.Query, req.Body)
		}
		added, _ := callbacktest.Added(before, after)
		fh.rows += len(added)
	})
}
