// Package callbacktest holds what the tests and fuzz targets of roomhook's handler and of its
// platform adapters share: the rules every answer keeps (CheckAnswer), a judge of whether a
// request may be answered 200 that does not ask the Handler (Judge), and a way to read back
// everything an archive holds (Archived). It is meant for tests only and, like pkg/callback,
// uses the standard library alone.
package callbacktest

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/roomhook/roomhook/pkg/callback"
)

// OKBody is the one success body, byte for byte.
const OKBody = `{"ActionStatus":"OK","ErrorInfo":"","ErrorCode":0}`

// Codes is README's answer table: every HTTP status the handler may answer, with the
// ErrorCodes each may carry.
var Codes = map[int][]int{
	200: {0},
	400: {40001, 40002, 40003, 40004, 40005, 40006, 40007, 40008},
	401: {40101, 40102, 40103},
	403: {40301, 40302},
	405: {40501},
	413: {41301},
	500: {50001},
	503: {50301},
}

// Packet is the acknowledgement an answer's body carries.
type Packet struct {
	ActionStatus string
	ErrorInfo    string
	ErrorCode    int
}

// CheckAnswer checks one answer, whatever the request was:
//   - the body is one JSON object with exactly the members ActionStatus (a string), ErrorInfo
//     (a string) and ErrorCode (an integer), each once, in that order;
//   - the status is in Codes and the ErrorCode is one of that status's;
//   - 200 ⇔ ActionStatus OK ⇔ ErrorCode 0, and a 200's body is exactly OKBody; a FAIL says
//     why in ErrorInfo;
//   - Content-Type is application/json; Allow is POST on a 405 and absent otherwise.
//
// header holds the answer's headers by canonical name.
func CheckAnswer(status int, header map[string]string, body []byte) (Packet, error) {
	p, err := decodePacket(body)
	if err != nil {
		return p, err
	}
	codes, ok := Codes[status]
	if !ok {
		return p, fmt.Errorf("status %d is not in the answer table", status)
	}
	if !slices.Contains(codes, p.ErrorCode) {
		return p, fmt.Errorf("status %d with ErrorCode %d; the table gives %v", status, p.ErrorCode, codes)
	}
	switch {
	case (status == 200) != (p.ActionStatus == "OK"):
		return p, fmt.Errorf("status %d with ActionStatus %q", status, p.ActionStatus)
	case p.ActionStatus != "OK" && p.ActionStatus != "FAIL":
		return p, fmt.Errorf("ActionStatus %q", p.ActionStatus)
	case status == 200 && string(body) != OKBody:
		return p, fmt.Errorf("success body %s, want exactly %s", body, OKBody)
	case status != 200 && p.ErrorInfo == "":
		return p, fmt.Errorf("a FAIL packet without ErrorInfo: %s", body)
	}
	if ct := header["Content-Type"]; ct != "application/json" {
		return p, fmt.Errorf("Content-Type %q, want application/json", ct)
	}
	if allow, has := header["Allow"]; (status == 405) != has || (has && allow != "POST") {
		return p, fmt.Errorf("status %d with Allow %q (present: %v); want Allow: POST on 405 only", status, allow, has)
	}
	return p, nil
}

// decodePacket reads body strictly: one object, the three members in order, nothing else.
func decodePacket(body []byte) (Packet, error) {
	var p Packet
	if !json.Valid(body) {
		return p, fmt.Errorf("answer body is not JSON: %q", body)
	}
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.UseNumber()
	if tok, _ := dec.Token(); tok != json.Delim('{') {
		return p, fmt.Errorf("answer body is not a JSON object: %s", body)
	}
	for _, want := range []string{"ActionStatus", "ErrorInfo", "ErrorCode"} {
		name, _ := dec.Token()
		if name != want {
			return p, fmt.Errorf("answer body member %v where %s belongs: %s", name, want, body)
		}
		v, _ := dec.Token()
		switch want {
		case "ActionStatus", "ErrorInfo":
			s, ok := v.(string)
			if !ok {
				return p, fmt.Errorf("%s is not a string: %s", want, body)
			}
			if want == "ActionStatus" {
				p.ActionStatus = s
			} else {
				p.ErrorInfo = s
			}
		case "ErrorCode":
			n, ok := v.(json.Number)
			code, err := strconv.Atoi(string(n))
			if !ok || err != nil {
				return p, fmt.Errorf("ErrorCode is not an integer: %s", body)
			}
			p.ErrorCode = code
		}
	}
	if tok, _ := dec.Token(); tok != json.Delim('}') {
		return p, fmt.Errorf("answer body has more than the three members: %s", body)
	}
	return p, nil
}

// paramNames are Tencent's query parameters, which the handler reads in any spelling.
var paramNames = []string{"SdkAppid", "CallbackCommand", "contenttype", "ClientIP", "OptPlatform", "Sign", "RequestTime"}

// Judge decides, without asking the Handler, whether a request may be answered 200: whether
// it passes everything the handler checks, the body's required fields included. It is
// deliberately simple and strict, and it reads bodies on its own (ReadBody), so a 200 it does
// not admit is a hole in the handler.
type Judge struct {
	Apps      []int64       // the handler's SdkAppIDs
	Tokens    []string      // the handler's tokens; empty when signatures are not checked
	Tolerance time.Duration // the handler's SignTolerance
	Now       time.Time     // the handler's clock, fixed
}

// Admits reports whether req may be answered 200 and, when it may not, why:
//   - the method is POST and the body at most callback.MaxBodyBytes;
//   - each of Tencent's parameters appears at most once, counting every spelling of its name,
//     with one value that is UTF-8 without NUL;
//   - SdkAppid is one of Apps written in decimal exactly;
//   - with Tokens: RequestTime is decimal digits within Tolerance of Now, and Sign is exactly
//     callback.Sign(token, RequestTime) for one of the tokens;
//   - contenttype is absent or json (any case), CallbackCommand is present and not empty;
//   - the body is one the command may carry (ReadBody): a JSON object naming the same
//     command, with the fields a projected command requires.
func (j Judge) Admits(req callback.Request) (bool, string) {
	if req.Method != "POST" {
		return false, "method " + strconv.Quote(req.Method)
	}
	if len(req.Body) > callback.MaxBodyBytes {
		return false, "body over 1 MiB"
	}
	params := map[string]string{}
	for name, values := range req.Query {
		for _, p := range paramNames {
			if !strings.EqualFold(name, p) {
				continue
			}
			if _, twice := params[p]; twice || len(values) != 1 {
				return false, p + " not given exactly once"
			}
			if !utf8.ValidString(values[0]) || strings.Contains(values[0], "\x00") {
				return false, p + " not UTF-8 without NUL"
			}
			params[p] = values[0]
		}
	}
	ours := false
	for _, app := range j.Apps {
		ours = ours || params["SdkAppid"] == strconv.FormatInt(app, 10)
	}
	if !ours {
		return false, "SdkAppid " + strconv.Quote(params["SdkAppid"]) + " not ours"
	}
	if len(j.Tokens) > 0 {
		rt, sign := params["RequestTime"], params["Sign"]
		if rt == "" || strings.Trim(rt, "0123456789") != "" {
			return false, "RequestTime " + strconv.Quote(rt) + " not decimal digits"
		}
		secs, err := strconv.ParseInt(rt, 10, 64)
		if err != nil {
			return false, "RequestTime " + strconv.Quote(rt) + " out of range"
		}
		if d := time.Duration(j.Now.Unix()-secs) * time.Second; d > j.Tolerance || d < -j.Tolerance {
			return false, "RequestTime " + rt + " outside the tolerance"
		}
		signed := false
		for _, tok := range j.Tokens {
			signed = signed || sign == callback.Sign(tok, rt)
		}
		if !signed {
			return false, "Sign " + strconv.Quote(sign) + " is no token's signature of " + rt
		}
	}
	if ct, has := params["contenttype"]; has && !strings.EqualFold(ct, "json") {
		return false, "contenttype " + strconv.Quote(ct)
	}
	if params["CallbackCommand"] == "" {
		return false, "no CallbackCommand"
	}
	if _, why := ReadBody(params["CallbackCommand"], req.Body); why != "" {
		return false, why
	}
	return true, ""
}

// Archive returns the archive rows r holds for each of apps, in the order they were archived.
func Archive(ctx context.Context, r callback.Reader, apps []int64) (map[int64][]callback.Event, error) {
	all := make(map[int64][]callback.Event, len(apps))
	for _, app := range apps {
		evs, err := r.Events(ctx, app)
		if err != nil {
			return nil, err
		}
		all[app] = evs
	}
	return all, nil
}

// Added compares two Archive results: it returns the rows after holds beyond before, and an
// error when after lost or changed any row of before (the archive only ever grows).
func Added(before, after map[int64][]callback.Event) ([]callback.Event, error) {
	var added []callback.Event
	for app, evs := range after {
		old := before[app]
		if len(evs) < len(old) {
			return nil, fmt.Errorf("app %d: the archive shrank from %d to %d rows", app, len(old), len(evs))
		}
		for i := range old {
			if !bytes.Equal(old[i].Raw, evs[i].Raw) || old[i].RoomID != evs[i].RoomID || old[i].EventTime != evs[i].EventTime {
				return nil, fmt.Errorf("app %d: archive row %d changed", app, i)
			}
		}
		added = append(added, evs[len(old):]...)
	}
	return added, nil
}

// Query builds a url.Values from name/value pairs, keeping repeats and spellings as given.
func Query(pairs ...string) url.Values {
	q := url.Values{}
	for i := 0; i+1 < len(pairs); i += 2 {
		q[pairs[i]] = append(q[pairs[i]], pairs[i+1])
	}
	return q
}

// CheckOutcome relates one answer (its status and packet, already through CheckAnswer) to the
// request the handler saw and to the archive r held before and after it:
//   - never a 500 (a recovered panic: a bug) nor a 503 (with a healthy store, the handler
//     accepted what the store cannot keep);
//   - 405 exactly when the method is not POST;
//   - a 200 only for a request judge admits;
//   - a refusal leaves the archive as it was; a 200 adds at most one row, holding the body
//     verbatim and the query's command, and for a projected command the RoomId and EventTime
//     the body names; after it, the rows the event names are readable: the room after a
//     create, an update or a destroy, each listed member after a member event, each listed
//     seat after a seat change.
func CheckOutcome(ctx context.Context, r callback.Reader, req callback.Request, status int, p Packet,
	judge Judge, before, after map[int64][]callback.Event) error {
	switch status {
	case 500:
		return fmt.Errorf("500: a panic in the handler (%s)", p.ErrorInfo)
	case 503:
		return fmt.Errorf("503 with a healthy store: the handler accepted what the store cannot keep (%s)", p.ErrorInfo)
	}
	if (status == 405) != (req.Method != "POST") {
		return fmt.Errorf("status %d for method %q", status, req.Method)
	}
	added, err := Added(before, after)
	if err != nil {
		return err
	}
	if status != 200 {
		if len(added) != 0 {
			return fmt.Errorf("refused with %d (%d %s) yet %d rows were archived", status, p.ErrorCode, p.ErrorInfo, len(added))
		}
		return nil
	}
	if ok, why := judge.Admits(req); !ok {
		return fmt.Errorf("answered 200 to a request the judge refuses: %s", why)
	}
	if len(added) > 1 {
		return fmt.Errorf("one request archived %d rows", len(added))
	}
	if len(added) == 0 {
		return nil // a duplicate or stale delivery
	}
	ev := added[0]
	if !bytes.Equal(ev.Raw, req.Body) {
		return fmt.Errorf("archived body %q, sent %q", ev.Raw, req.Body)
	}
	var cmd string
	for name, vs := range req.Query {
		if strings.EqualFold(name, "CallbackCommand") && len(vs) == 1 {
			cmd = vs[0]
		}
	}
	if ev.Command != cmd {
		return fmt.Errorf("archived command %q, the query says %q", ev.Command, cmd)
	}
	b, why := ReadBody(cmd, req.Body)
	if why != "" {
		return fmt.Errorf("answered 200 to a body the judge refuses: %s", why)
	}
	if !b.Projected {
		return nil
	}
	if ev.RoomID != b.RoomID || ev.EventTime != b.EventTime {
		return fmt.Errorf("archived under room %q at %d; the body says %q at %d", ev.RoomID, ev.EventTime, b.RoomID, b.EventTime)
	}
	switch ev.Command {
	case cmdCreate, cmdUpdate, cmdUpdateAlt, cmdDestroy:
		if _, err := callback.ReadRoom(ctx, r, ev.SdkAppID, ev.RoomID); err != nil {
			return fmt.Errorf("%s archived but its room is not readable: %w", ev.Command, err)
		}
	case cmdEnter, cmdLeave:
		rows, err := callback.ReadMembers(ctx, r, ev.SdkAppID, ev.RoomID)
		if err != nil {
			return err
		}
		have := map[string]bool{}
		for _, m := range rows {
			have[m.MemberAccount] = true
		}
		for _, a := range b.Accounts {
			if !have[a] {
				return fmt.Errorf("%s archived but member %q has no row", ev.Command, a)
			}
		}
	case cmdSeat:
		rows, err := callback.ReadSeats(ctx, r, ev.SdkAppID, ev.RoomID)
		if err != nil {
			return err
		}
		have := map[int64]bool{}
		for _, s := range rows {
			have[s.SeatIndex] = true
		}
		for _, i := range b.Seats {
			if !have[i] {
				return fmt.Errorf("%s archived but seat %d has no row", ev.Command, i)
			}
		}
	}
	return nil
}
