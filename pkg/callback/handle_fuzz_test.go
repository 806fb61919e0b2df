package callback_test

import (
	"bytes"
	"context"
	"net/url"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/roomhook/roomhook/pkg/callback"
	"github.com/roomhook/roomhook/pkg/callback/callbacktest"
	"github.com/roomhook/roomhook/pkg/store/sqlite"
)

// How FuzzHandle's mode byte builds Sign and RequestTime.
const (
	signGiven    = 0 // the fuzzed Sign, as is
	signToken    = 1 // callback.Sign(token, RequestTime)
	signOldToken = 2 // callback.Sign("old-token", RequestTime): the rotation's other token
	signStranger = 3 // callback.Sign of a token the handler does not hold
	signMask     = 3

	timeFromClock = 4 // RequestTime = the clock + skew seconds, instead of the fuzzed one
	noTokens      = 8 // the handler that does not check signatures
)

// Bits of FuzzHandle's omit byte: the parameter is left out of the query.
const (
	omitSdkAppID = 1 << iota
	omitCommand
	omitContentType
	omitSign
	omitRequestTime
)

var fuzzApps = []int64{app, 1400000001}

// fuzzHarness is a real SQLite store and the two handlers over it (signatures checked, and
// not), built once per fuzz process. The archive is read back whole after every input, so
// the harness starts on a fresh file whenever it has archived maxRows rows, to keep each
// input's cost flat.
type fuzzHarness struct {
	dir      string
	files    int
	st       *sqlite.Store
	signed   *callback.Handler
	unsigned *callback.Handler
	rows     int
}

const maxRows = 64

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
	build := func(tokens ...string) *callback.Handler {
		h, err := callback.NewHandler(callback.Options{
			SdkAppIDs:     fuzzApps,
			Tokens:        tokens,
			SignTolerance: time.Minute,
			Store:         st,
			StoreTimeout:  time.Minute, // a slow disk must not look like a refusal
			Now:           func() time.Time { return now },
		})
		if err != nil {
			tb.Fatal(err)
		}
		return h
	}
	fh.st, fh.signed, fh.unsigned, fh.rows = st, build("old-token", token), build(), 0
}

// FuzzHandle drives a full Handler on a real SQLite store with a fixed clock: the method,
// Tencent's query parameters (each may be left out), extra query pairs in any spelling or
// repeated, and the body. For every input:
//   - the answer keeps callbacktest.CheckAnswer's rules: a packet of exactly ActionStatus,
//     ErrorInfo and ErrorCode, a status of the README's table consistent with it (200 ⇔ OK ⇔
//     0), Content-Type application/json, Allow: POST exactly on a 405;
//   - never a 500 (a recovered panic is a bug) nor a 503 (the store is healthy, so a 503
//     means the handler accepted something the store cannot keep);
//   - 405 exactly when the method is not POST;
//   - a 200 only for a request callbacktest.Judge admits: POST, SdkAppid ours, and (on the
//     handler with tokens) Sign = callback.Sign(token, RequestTime) with RequestTime within
//     the tolerance of the clock;
//   - a 200 only for a body callbacktest.ReadBody admits for the command: one JSON object
//     naming the query's command, with the fields a projected command requires;
//   - a refused request leaves the archive as it was (read back through the Reader); an
//     accepted one adds at most one row, holding the body verbatim, with the query's command
//     and, for a projected command, the body's RoomId and EventTime, and leaves the rows it
//     names readable (the room, each listed member, each listed seat);
//   - the token never appears in an answer.
func FuzzHandle(f *testing.F) {
	const (
		ids     = "ClientIP=203.0.113.7&OptPlatform=RESTAPI"
		destroy = `{"CallbackCommand":"Room.CallbackAfterDestroyRoom","Operator_Account":"admin","RoomId":"tandy-test-rest","EventTime":1703589999000}`
		group   = `{"CallbackCommand":"Group.CallbackAfterCreateGroup","GroupId":"@TGS#2J4SZEAEL","Type":"Public","Owner_Account":"leckie","EventTime":1703589922000}`
	)
	rt := strconv.FormatInt(now.Unix(), 10)
	type seed struct {
		method, app, cmd, ctype, sign, rtime string
		mode                                 uint8
		skew                                 int16
		omit                                 uint8
		extra                                string
		body                                 string
	}
	for _, s := range []seed{
		{"POST", "1400123456", createCmd, "json", "", "", signToken | timeFromClock, 0, 0, ids, seedBody},
		{"POST", "1400123456", createCmd, "json", callback.Sign(token, rt), rt, signGiven, 0, 0, ids, seedBody},
		{"POST", "1400000001", createCmd, "JSON", "", "", signOldToken | timeFromClock, -60, 0, "", seedBody},
		{"POST", "1400123456", createCmd, "json", "", "", noTokens, 0, omitSign | omitRequestTime, ids, seedBody},
		{"POST", "1400123456", createCmd, "", "", "", signToken | timeFromClock, 61, omitContentType, ids, seedBody},
		{"POST", "1400123456", "Room.CallbackAfterDestroyRoom", "json", "", "", signToken | timeFromClock, 0, 0, ids, destroy},
		{"POST", "1400123456", "Group.CallbackAfterCreateGroup", "json", "", "", noTokens, 0, 0, ids, group},
		{"POST", "1400123456", createCmd, "json", "", "", signToken | timeFromClock, 0, 0, "sdkappid=1400123456", seedBody},
		{"POST", "1400123456", createCmd, "json", "", "", signStranger | timeFromClock, 0, 0, ids, seedBody},
		{"POST", "01400123456", createCmd, "json", strings.ToUpper(callback.Sign(token, rt)), rt + "000", signGiven, 0, 0, ids, seedBody},
		{"GET", "1400123456", createCmd, "json", "", "", signToken | timeFromClock, 0, 0, ids, seedBody},
		{"POST", "1400123456", createCmd, "json", "", "", signToken | timeFromClock, 0, 0, "", strings.Replace(seedBody, `"EventTime"`, `"RoomInfo":{"RoomId":"x"},"eventtime":1,"EventTime"`, 1)},
		{"POST", "1400123456", createCmd, "json", "", "", noTokens, 0, 0, "x=%FF&ClientIP=%00", seedBody},
	} {
		f.Add(s.method, s.app, s.cmd, s.ctype, s.sign, s.rtime, s.mode, s.skew, s.omit, s.extra, []byte(s.body))
	}
	// Every projected command's golden body, signed and not, and one a little broken.
	for i, c := range []string{callback.CommandCreateRoom, callback.CommandUpdateRoom, callback.CommandUpdateRoomAlt,
		callback.CommandDestroyRoom, callback.CommandMemberEnter, callback.CommandMemberLeave, callback.CommandSeatChanged} {
		body := goldenBody(f, c)
		f.Add("POST", "1400123456", c, "json", "", "", uint8(signToken|timeFromClock), int16(i), uint8(0), ids, body)
		f.Add("POST", "1400000001", c, "json", "", "", uint8(noTokens), int16(0), uint8(omitSign|omitRequestTime), "", body)
		f.Add("POST", "1400123456", c, "json", "", "", uint8(noTokens), int16(0), uint8(0), ids, bytes.Replace(body, []byte(`"EventTime"`), []byte(`"eventtime": 1, "EventTime"`), 1))
	}
	f.Add("POST", "1400123456", "Live.CallbackAfterCreateRoom", "json", "", "", uint8(noTokens), int16(0), uint8(0), ids,
		[]byte(`{"CallbackCommand":"Live.CallbackAfterCreateRoom","RoomInfo":{"RoomId":"golden-room-7f3a","RoomType":"Live"},"EventTime":1703589999999}`))
	f.Add("POST", "1400123456", "Group.CallbackAfterSendMsg", "json", "", "", uint8(noTokens), int16(0), uint8(0), ids,
		[]byte(`{"CallbackCommand":"Group.CallbackAfterSendMsg","GroupId":"@TGS#1","RoomId":7}`))

	fh := &fuzzHarness{dir: f.TempDir()}
	fh.open(f)
	f.Cleanup(func() { fh.st.Close() })
	ctx := context.Background()

	f.Fuzz(func(t *testing.T, method, sdkAppID, command, contentType, sign, requestTime string,
		mode uint8, skew int16, omit uint8, extra string, body []byte) {
		if fh.rows >= maxRows {
			fh.open(t)
		}
		q, _ := url.ParseQuery(extra) // what parses of it; a pair that does not is dropped, as net/http does
		if q == nil {
			q = url.Values{}
		}
		if mode&timeFromClock != 0 {
			requestTime = strconv.FormatInt(now.Unix()+int64(skew), 10)
		}
		switch mode & signMask {
		case signToken:
			sign = callback.Sign(token, requestTime)
		case signOldToken:
			sign = callback.Sign("old-token", requestTime)
		case signStranger:
			sign = callback.Sign("stranger", requestTime)
		}
		for _, p := range []struct {
			bit         uint8
			name, value string
		}{
			{omitSdkAppID, "SdkAppid", sdkAppID},
			{omitCommand, "CallbackCommand", command},
			{omitContentType, "contenttype", contentType},
			{omitSign, "Sign", sign},
			{omitRequestTime, "RequestTime", requestTime},
		} {
			if omit&p.bit == 0 {
				q[p.name] = append(q[p.name], p.value)
			}
		}
		req := callback.Request{Method: method, Query: q, Body: body, RequestID: "fuzz"}
		h, judge := fh.signed, callbacktest.Judge{Apps: fuzzApps, Tokens: []string{"old-token", token}, Tolerance: time.Minute, Now: now}
		if mode&noTokens != 0 {
			h, judge.Tokens = fh.unsigned, nil
		}

		before, err := callbacktest.Archive(ctx, fh.st, fuzzApps)
		if err != nil {
			t.Fatal(err)
		}
		resp := h.Handle(ctx, req)
		after, err := callbacktest.Archive(ctx, fh.st, fuzzApps)
		if err != nil {
			t.Fatal(err)
		}

		p, err := callbacktest.CheckAnswer(resp.StatusCode, resp.Header, resp.Body)
		if err != nil {
			t.Fatal(err)
		}
		if err := callbacktest.CheckOutcome(ctx, fh.st, req, resp.StatusCode, p, judge, before, after); err != nil {
			t.Fatal(err)
		}
		if strings.Contains(string(resp.Body), token) {
			t.Fatalf("the token is in the answer: %s", resp.Body)
		}
		added, _ := callbacktest.Added(before, after)
		fh.rows += len(added)
	})
}
