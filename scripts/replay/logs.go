package main

import (
	"bufio"
	"bytes"
	"compress/gzip"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"regexp"
	"strings"
	"time"

	"github.com/roomhook/roomhook/pkg/callback"
)

// storeFailure is the outcome of the log line the core writes when the store failed: the one
// line that carries the raw event.
const storeFailure = "rejected:store"

// selection says which roomhook callback lines to replay: those whose outcome is in outcomes,
// or every line carrying a raw body when any is set.
type selection struct {
	outcomes map[string]bool
	any      bool
	// refusedGifts also picks the gifts the function did not allow (refusedGift): Tencent never
	// sent them, so by default they are not replayed.
	refusedGifts bool
}

func parseSelection(s string) (selection, error) {
	sel := selection{outcomes: map[string]bool{}}
	for _, o := range strings.Split(s, ",") {
		switch o = strings.TrimSpace(o); o {
		case "":
		case "any":
			sel.any = true
		default:
			sel.outcomes[o] = true
		}
	}
	if !sel.any && len(sel.outcomes) == 0 {
		return sel, errors.New("-outcome: name at least one outcome, or any")
	}
	return sel, nil
}

func (s selection) picks(c *callbackLine) bool {
	if refusedGift(c) && !s.refusedGifts {
		return false
	}
	if s.any {
		return c.RawBody != nil
	}
	return s.outcomes[*c.Outcome]
}

// refusedGift reports whether the line is a gift the function did not allow: Tencent sends a
// gift only on an OK answer, and a line of a gift that was not stored says "allowed" only when
// the function answered OK all the same (ROOMHOOK_GIFT_ON_STORE_FAILURE=allow). A line without
// gift_answer (a panic, or a release before gifts were answered this way) was a refusal.
func refusedGift(c *callbackLine) bool {
	return c.Command == callback.CommandLiveGift && (c.GiftAnswer == nil || *c.GiftAnswer != "allowed")
}

// callbackMarker matches the message of the core's per-request line, also when the line is
// JSON inside a JSON string (quotes escaped once or more).
var callbackMarker = regexp.MustCompile(`\\*"(msg|message)\\*"\s*:\s*\\*"callback\\*"`)

// mentions reports whether a line that holds no readable roomhook object is still, by its
// text, a core line this selection would pick: a line cut short by the log service (CloudWatch
// Logs and CLS cap the size of one log event), which must not be skipped in silence.
func (s selection) mentions(line []byte) bool {
	if !callbackMarker.Match(line) {
		return false
	}
	if s.any {
		return true
	}
	for o := range s.outcomes {
		if bytes.Contains(line, []byte(o)) {
			return true
		}
	}
	return false
}

// entry is one event to replay, with what the core needs to rebuild the delivery.
type entry struct {
	from        string // where it was read: FILE:LINE, or the source store's scheme
	requestID   string
	sdkAppID    int64
	command     string
	roomID      string
	clientIP    string
	optPlatform string
	receivedAt  time.Time
	raw         []byte
	// problem is set when the entry cannot be replayed (a line cut short, a field missing);
	// it is reported as failed.
	problem string
}

// lineStats counts what the log input held.
type lineStats struct {
	lines     int // lines read
	picked    int // roomhook callback lines selected for replay (including unreadable ones)
	others    int // roomhook callback lines with another outcome
	unrelated int // lines that are not roomhook callback lines
	refused   int // of others: gifts refused when the store failed (never sent by Tencent)
}

// callbackLine is the part of the core's per-request log line that replay reads. The message
// key is "msg" with slog's JSON handler and "message" with Lambda's (lambdacontext).
type callbackLine struct {
	Msg          *string          `json:"msg"`
	Message      *string          `json:"message"`
	Outcome      *string          `json:"outcome"`
	RequestID    string           `json:"request_id"`
	Command      string           `json:"command"`
	SdkAppID     *json.Number     `json:"sdkappid"`
	RoomID       string           `json:"room_id"`
	ClientIP     *string          `json:"client_ip"`
	OptPlatform  *string          `json:"opt_platform"`
	ReceivedAtMs *json.Number     `json:"received_at_ms"`
	RawBody      *string          `json:"raw_body"`
	Error        *json.RawMessage `json:"error"`
	GiftAnswer   *string          `json:"gift_answer"`
}

// isCallback reports whether the object is the core's per-request line.
func (c *callbackLine) isCallback() bool {
	msg := c.Msg
	if msg == nil {
		msg = c.Message
	}
	return msg != nil && *msg == "callback" && c.Outcome != nil
}

// readLogs reads log text from r (gzip-compressed or not, as CloudWatch Logs exports to S3
// are), one log event per line, and calls pick for every line selected for replay. name is
// used in entry.from.
func readLogs(r io.Reader, name string, sel selection, stats *lineStats, pick func(entry)) error {
	br := bufio.NewReaderSize(r, 64<<10)
	if magic, _ := br.Peek(2); len(magic) == 2 && magic[0] == 0x1f && magic[1] == 0x8b {
		zr, err := gzip.NewReader(br)
		if err != nil {
			return fmt.Errorf("%s: %w", name, err)
		}
		defer zr.Close()
		br = bufio.NewReaderSize(zr, 64<<10)
	}
	for n := 1; ; n++ {
		// No line length limit: a line carries a raw body of up to 1 MiB, JSON-escaped.
		line, err := br.ReadBytes('\n')
		if len(line) > 0 {
			stats.lines++
			from := fmt.Sprintf("%s:%d", name, n)
			c, ok := findCallbackLine(line, 0)
			switch {
			case !ok && sel.mentions(line):
				stats.picked++
				pick(entry{from: from, problem: "the line mentions " + quoteOutcomes(sel) +
					" but holds no complete roomhook log object (cut short by the log service?); replay the event from another copy of the log"})
			case !ok:
				stats.unrelated++
			case !sel.picks(c):
				stats.others++
				if refusedGift(c) {
					stats.refused++
				}
			default:
				stats.picked++
				pick(c.entry(from))
			}
		}
		if errors.Is(err, io.EOF) {
			return nil
		}
		if err != nil {
			return fmt.Errorf("%s: %w", name, err)
		}
	}
}

func quoteOutcomes(sel selection) string {
	if sel.any {
		return "raw_body"
	}
	var os []string
	for o := range sel.outcomes {
		os = append(os, o)
	}
	return strings.Join(os, " or ")
}

// maxDepth bounds how deep findCallbackLine looks into JSON strings holding JSON.
const maxDepth = 3

// findCallbackLine finds the core's log object in one line of log text. The object may follow
// a prefix (CloudWatch's "TIMESTAMP\tREQUEST_ID\tLEVEL\t", a syslog header, a file name from
// grep) and be followed by more text; or it may sit, as a JSON string, inside another JSON
// object (Tencent CLS's __CONTENT__, a CloudWatch Logs Insights or API export's "message"),
// which is searched too.
func findCallbackLine(line []byte, depth int) (*callbackLine, bool) {
	for i := 0; i < len(line); {
		j := bytes.IndexByte(line[i:], '{')
		if j < 0 {
			return nil, false
		}
		i += j
		dec := json.NewDecoder(bytes.NewReader(line[i:]))
		var raw json.RawMessage
		if err := dec.Decode(&raw); err != nil {
			i++
			continue
		}
		var c callbackLine
		if json.Unmarshal(raw, &c) == nil && c.isCallback() {
			return &c, true
		}
		if depth < maxDepth {
			var obj map[string]any
			_ = json.Unmarshal(raw, &obj)
			for _, v := range obj {
				if s, ok := v.(string); ok && strings.Contains(s, "{") {
					if c, ok := findCallbackLine([]byte(s), depth+1); ok {
						return c, true
					}
				}
			}
		}
		i += len(raw)
	}
	return nil, false
}

// entry turns a picked line into an event to replay, or one that says what is missing.
func (c *callbackLine) entry(from string) entry {
	e := entry{from: from, requestID: c.RequestID, command: c.Command, roomID: c.RoomID}
	var missing []string
	if c.SdkAppID != nil {
		if id, err := c.SdkAppID.Int64(); err == nil && id > 0 {
			e.sdkAppID = id
		}
	}
	if e.sdkAppID == 0 {
		missing = append(missing, "sdkappid")
	}
	if e.command == "" {
		missing = append(missing, "command")
	}
	if c.ReceivedAtMs != nil {
		if ms, err := c.ReceivedAtMs.Int64(); err == nil && ms > 0 {
			e.receivedAt = time.UnixMilli(ms).UTC()
		}
	}
	if e.receivedAt.IsZero() {
		missing = append(missing, "received_at_ms")
	}
	if c.RawBody == nil {
		missing = append(missing, "raw_body")
	} else {
		e.raw = []byte(*c.RawBody)
	}
	if c.ClientIP != nil {
		e.clientIP = *c.ClientIP
	}
	if c.OptPlatform != nil {
		e.optPlatform = *c.OptPlatform
	}
	if len(missing) > 0 {
		e.problem = "the log line has no valid " + strings.Join(missing, ", ") + ": cannot rebuild the event"
	}
	return e
}
