package main

import (
	"context"
	"crypto/sha256"
	"fmt"
	"io"
	"log/slog"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/roomhook/roomhook/pkg/callback"
)

// The words of the per-event lines and the summary. The first four are the core's outcomes.
var outcomeOrder = []string{"stored", "duplicate", "stale", "ignored", "failed"}

// replayer feeds events through the core into one store, one at a time, and reports each.
type replayer struct {
	dest    callback.Store  // nil in a dry run
	reader  callback.Reader // dest's reader, for events without EventTime
	timeout time.Duration   // ROOMHOOK_STORE_TIMEOUT, the budget of one Save
	out     io.Writer
	dryRun  bool

	counts map[string]int
	// untimed holds, per app, the deliveries of events without EventTime already in the
	// destination (see alreadyArchived); loaded on first need.
	untimed map[int64]map[string]bool
}

func newReplayer(dest callback.Store, timeout time.Duration, out io.Writer, dryRun bool) *replayer {
	r := &replayer{dest: dest, timeout: timeout, out: out, dryRun: dryRun,
		counts: map[string]int{}, untimed: map[int64]map[string]bool{}}
	if dest != nil {
		r.reader, _ = dest.(callback.Reader)
	}
	return r
}

// request rebuilds the delivery the way Tencent made it and a platform adapter passed it to
// the core: a POST with Tencent's query parameters (without Sign and RequestTime: the
// signature was checked when the event first arrived, and the replay handler checks none)
// and the body exactly as received.
func (e *entry) request() callback.Request {
	q := url.Values{
		"SdkAppid":        {strconv.FormatInt(e.sdkAppID, 10)},
		"CallbackCommand": {e.command},
		"contenttype":     {"json"},
		"ClientIP":        {e.clientIP},
		"OptPlatform":     {e.optPlatform},
	}
	return callback.Request{Method: "POST", Query: q, Body: e.raw, RequestID: e.requestID}
}

// replay saves one event through the core and writes its line. It returns false when the
// event failed.
func (r *replayer) replay(ctx context.Context, e entry) bool {
	if e.problem != "" {
		r.report("failed", e, e.problem)
		return false
	}
	if r.dryRun {
		r.report("would-replay", e, "")
		return true
	}
	dup, err := r.alreadyArchived(ctx, e)
	if err != nil {
		r.report("failed", e, err.Error())
		return false
	}
	if dup {
		r.report("duplicate", e, "")
		return true
	}

	// One Handler per event: it serves the event's app only, checks no signature, and its
	// clock is pinned to the original arrival, so the archive's received_at and the rows'
	// updated_at are what the live delivery would have written. Building one costs a map and
	// a few fields.
	rec := &outcomeRecorder{}
	h, err := callback.NewHandler(callback.Options{
		SdkAppIDs:    []int64{e.sdkAppID},
		Store:        r.dest,
		StoreTimeout: r.timeout,
		Logger:       slog.New(rec),
		Now:          func() time.Time { return e.receivedAt },
	})
	if err != nil {
		r.report("failed", e, err.Error())
		return false
	}
	resp := h.Handle(ctx, e.request())
	switch {
	case resp.StatusCode == 200 && isSaved(rec.outcome):
		r.report(rec.outcome, e, "")
		r.remember(e)
		return true
	case rec.err != "":
		r.report("failed", e, rec.outcome+": "+rec.err)
	default:
		r.report("failed", e, fmt.Sprintf("%s (HTTP %d: %s)", rec.outcome, resp.StatusCode, resp.Body))
	}
	return false
}

func isSaved(outcome string) bool {
	switch outcome {
	case "stored", "duplicate", "stale", "ignored":
		return true
	}
	return false
}

// untimedKey identifies one delivery of an event without EventTime: the same request, at the
// same moment, with the same body.
func untimedKey(command, roomID, requestID string, receivedAt time.Time, raw []byte) string {
	sum := sha256.Sum256(raw)
	return fmt.Sprintf("%s\x00%s\x00%s\x00%d\x00%x", command, roomID, requestID, receivedAt.UnixMilli(), sum)
}

// alreadyArchived reports whether an event without EventTime is already in the destination.
// The store's key (SdkAppid + command + RoomId + EventTime + body digest) makes a repeat of
// any other event a duplicate by itself; an event without EventTime has no natural key, and the store archives
// every delivery of it, so replaying the same log twice would archive it twice. Replay checks
// such events against the destination's archive (request id, arrival time and body) instead.
//
// A gift is archived and put in the ledger; on DynamoDB a save can keep the first and fail on
// the second (answered 503, or allowed: ROOMHOOK_GIFT_ON_STORE_FAILURE). So a gift already in
// the archive is a duplicate only when its ledger row is there too; else the core saves it
// again, and the ledger row, under the delivery's own id (callback.GiftDeliveryID), is written
// once.
func (r *replayer) alreadyArchived(ctx context.Context, e entry) (bool, error) {
	gift := e.command == callback.CommandLiveGift
	env, err := callback.ParseEnvelope(e.raw)
	if !gift && (err != nil || env.EventTime != 0) {
		return false, nil // the core rejects it, or the store's key catches a repeat
	}
	seen, ok := r.untimed[e.sdkAppID]
	if !ok {
		if r.reader == nil {
			return false, nil
		}
		evs, err := r.reader.Events(ctx, e.sdkAppID)
		if err != nil {
			return false, fmt.Errorf("read the destination's archive of app %d (to replay an event without EventTime at most once): %w", e.sdkAppID, err)
		}
		seen = map[string]bool{}
		for _, ev := range evs {
			if ev.EventTime == 0 {
				seen[untimedKey(ev.Command, ev.RoomID, ev.RequestID, ev.ReceivedAt, ev.Raw)] = true
			}
		}
		r.untimed[e.sdkAppID] = seen
	}
	if !seen[untimedKey(e.command, e.roomID, e.requestID, e.receivedAt, e.raw)] {
		return false, nil
	}
	if !gift {
		return true, nil
	}
	rows, err := r.reader.Rows(ctx, callback.GiftsTable, e.sdkAppID, e.roomID)
	if err != nil {
		return false, fmt.Errorf("read the destination's gift ledger of room %q: %w", e.roomID, err)
	}
	id := callback.GiftDeliveryID(e.requestID, e.receivedAt, e.raw)
	for _, row := range rows {
		if g, err := callback.GiftRowOf(row); err == nil && g.DeliveryID == id {
			return true, nil
		}
	}
	return false, nil
}

// remember notes a saved event without EventTime, so a second copy in the input is a
// duplicate too.
func (r *replayer) remember(e entry) {
	if seen, ok := r.untimed[e.sdkAppID]; ok {
		seen[untimedKey(e.command, e.roomID, e.requestID, e.receivedAt, e.raw)] = true
	}
}

// report writes one event's line and counts its outcome.
func (r *replayer) report(outcome string, e entry, detail string) {
	r.counts[outcome]++
	var b strings.Builder
	fmt.Fprintf(&b, "%-12s", outcome)
	if e.command != "" || e.sdkAppID != 0 {
		fmt.Fprintf(&b, " request_id=%s sdkappid=%d command=%s room_id=%s received_at=%s",
			field(e.requestID), e.sdkAppID, field(e.command), field(e.roomID),
			e.receivedAt.UTC().Format("2006-01-02T15:04:05.000Z07:00"))
	}
	fmt.Fprintf(&b, " from=%s", field(e.from))
	if detail != "" {
		fmt.Fprintf(&b, " error=%s", strconv.Quote(detail))
	}
	fmt.Fprintln(r.out, b.String())
}

// field writes a value as is when it is a plain word, quoted otherwise.
func field(s string) string {
	if s == "" || strings.ContainsAny(s, " \t\r\n\"=") || strconv.Quote(s) != `"`+s+`"` {
		return strconv.Quote(s)
	}
	return s
}

// summary is the last line of the output.
func (r *replayer) summary() string {
	var b strings.Builder
	if r.dryRun {
		fmt.Fprintf(&b, "dry run: %d events would be replayed", r.counts["would-replay"])
		if n := r.counts["failed"]; n > 0 {
			fmt.Fprintf(&b, ", %d cannot be (failed=%d)", n, n)
		}
		return b.String()
	}
	total := 0
	for _, o := range outcomeOrder {
		total += r.counts[o]
	}
	fmt.Fprintf(&b, "replayed %d events:", total)
	for _, o := range outcomeOrder {
		fmt.Fprintf(&b, " %s=%d", o, r.counts[o])
	}
	return b.String()
}

// outcomeRecorder is the slog.Handler of the replay Handler: it keeps the outcome and error of
// the core's line for the event, the same words a live delivery logs.
type outcomeRecorder struct {
	outcome, err string
}

func (o *outcomeRecorder) Enabled(context.Context, slog.Level) bool { return true }

func (o *outcomeRecorder) Handle(_ context.Context, rec slog.Record) error {
	if rec.Message != "callback" {
		return nil
	}
	rec.Attrs(func(a slog.Attr) bool {
		switch a.Key {
		case "outcome":
			o.outcome = a.Value.String()
		case "error", "panic":
			o.err = a.Value.String()
		}
		return true
	})
	return nil
}

func (o *outcomeRecorder) WithAttrs([]slog.Attr) slog.Handler { return o }
func (o *outcomeRecorder) WithGroup(string) slog.Handler      { return o }
