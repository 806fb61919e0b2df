package callback

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"runtime/debug"
	"strconv"
	"strings"
	"time"
)

// MaxBodyBytes is the largest body accepted (1 MiB); a create-room callback is under 10 KiB
// even with a long invitee list, so anything bigger is not Tencent's.
const MaxBodyBytes = 1 << 20

// Limits on the archive key, so that every backend can index it (MySQL's VARCHAR key columns,
// DynamoDB's key size). Tencent's own limits are far below: RoomId is at most 48 bytes.
const (
	MaxRoomIDBytes  = 255
	MaxCommandBytes = 128
)

// Options configure a Handler. Every field but Logger and Now is required.
type Options struct {
	// SdkAppIDs are the apps served; a callback for any other SdkAppid is refused (403).
	SdkAppIDs []int64
	// Tokens are the accepted callback tokens. Empty means signatures are not checked.
	Tokens []string
	// SignTolerance is how far RequestTime may be from now, either way.
	SignTolerance time.Duration
	// Store keeps the events.
	Store Store
	// StoreTimeout bounds one Save, so the answer beats Tencent's 2-second wait.
	StoreTimeout time.Duration
	// AllowGiftOnStoreFailure answers a gift (Live.CallbackBeforeSendGift) the store failed to
	// keep with OK, so that Tencent lets it through; false refuses it (503, as any store
	// failure), which Tencent takes as a refusal. The raw event is logged either way.
	AllowGiftOnStoreFailure bool
	// Logger receives one line per request; nil discards.
	Logger *slog.Logger
	// Now is the clock; nil means time.Now.
	Now func() time.Time
}

// Handler answers callbacks. It is built once per instance and is safe for concurrent use.
type Handler struct {
	apps         map[string]int64 // SdkAppid as Tencent writes it → its number
	verifier     *Verifier        // nil when no token is configured
	store        Store
	storeTimeout time.Duration
	allowGifts   bool // on a store failure (Options.AllowGiftOnStoreFailure)
	log          *slog.Logger
	now          func() time.Time
}

// NewHandler checks o and builds a Handler.
func NewHandler(o Options) (*Handler, error) {
	if len(o.SdkAppIDs) == 0 {
		return nil, errors.New("callback: at least one SdkAppID is required")
	}
	if o.Store == nil {
		return nil, errors.New("callback: a Store is required")
	}
	if o.StoreTimeout <= 0 {
		return nil, errors.New("callback: StoreTimeout must be positive")
	}
	h := &Handler{
		apps:         make(map[string]int64, len(o.SdkAppIDs)),
		store:        o.Store,
		storeTimeout: o.StoreTimeout,
		allowGifts:   o.AllowGiftOnStoreFailure,
		log:          o.Logger,
		now:          o.Now,
	}
	for _, id := range o.SdkAppIDs {
		if id <= 0 {
			return nil, fmt.Errorf("callback: SdkAppID %d is not positive", id)
		}
		h.apps[strconv.FormatInt(id, 10)] = id
	}
	if h.log == nil {
		h.log = slog.New(slog.DiscardHandler)
	}
	if h.now == nil {
		h.now = time.Now
	}
	if len(o.Tokens) > 0 {
		if o.SignTolerance <= 0 {
			return nil, errors.New("callback: SignTolerance must be positive when tokens are set")
		}
		for _, t := range o.Tokens {
			if t == "" {
				return nil, errors.New("callback: a token is empty")
			}
		}
		h.verifier = &Verifier{Tokens: o.Tokens, Tolerance: o.SignTolerance, Now: h.now}
	}
	return h, nil
}

// Handle answers one request. It never panics: a panic below it becomes a 500 FAIL packet and
// an error log line. The event is stored before the answer is returned, because a serverless
// instance may be frozen as soon as it answers.
func (h *Handler) Handle(ctx context.Context, req Request) (resp Response) {
	start := h.now()
	var ev *Event
	stored := false // the event is stored and its line written
	defer func() {
		if p := recover(); p != nil {
			if stored {
				// A bug after the save (in a line logged after the callback's): the event is
				// kept and its one callback line written, so it is answered OK and this line is
				// not a callback line (it would count the request twice).
				h.log.LogAttrs(ctx, slog.LevelError, PanicAfterStoreMessage, slog.String("request_id", req.RequestID),
					slog.String("panic", fmt.Sprint(p)), slog.String("stack", string(debug.Stack())))
				resp = ok()
				return
			}
			// The raw event is logged as for a store failure: a bug must not lose a callback
			// either (replay with -outcome rejected:panic once it is fixed).
			extra := []slog.Attr{slog.String("panic", fmt.Sprint(p)), slog.String("stack", string(debug.Stack()))}
			if ev != nil && ev.Command == CommandLiveGift {
				extra = append(extra, slog.String(GiftAnswerKey, GiftRefused)) // a 500 refuses the gift
			}
			h.logUnstored(ctx, req, ev, start, errInternal, extra...)
			resp = fail(errInternal)
		}
	}()

	var rej *Error
	ev, rej = h.check(req, start)
	if rej != nil {
		h.logLine(ctx, slog.LevelInfo, req, ev, "rejected:"+rej.Reason, start)
		return fail(rej)
	}

	sctx, cancel := context.WithTimeout(ctx, h.storeTimeout)
	defer cancel()
	saving := h.now()
	outcome, err := h.store.Save(sctx, ev)
	storeMS := slog.Float64(KeyStoreMS, ms(h.now().Sub(saving)))
	if err != nil {
		// The store's error text carries no credentials (backends strip them).
		extra := []slog.Attr{storeMS, slog.String("error", err.Error())}
		if ev.Command == CommandLiveGift {
			// A gift waits for this answer: it is sent only if allowed. The line says which, so
			// that a replay adds to the ledger only the gifts that were sent (scripts/replay).
			if h.allowGifts {
				h.logUnstored(ctx, req, ev, start, errStore, append(extra, slog.String(GiftAnswerKey, GiftAllowed))...)
				return ok()
			}
			extra = append(extra, slog.String(GiftAnswerKey, GiftRefused))
		}
		h.logUnstored(ctx, req, ev, start, errStore, extra...)
		return fail(errStore)
	}
	h.logLine(ctx, slog.LevelInfo, req, ev, outcome.String(), start, storeMS)
	stored = true
	if ev.Command == CommandLiveThreshold && outcome != OutcomeDuplicate {
		h.logThreshold(ctx, req, ev)
	}
	return ok()
}

// The attribute of a gift's store-failure line that says how the gift was answered: allowed
// (sent by Tencent, missing from the ledger until replayed) or refused (never sent).
const (
	GiftAnswerKey = "gift_answer"
	GiftAllowed   = "allowed"
	GiftRefused   = "refused"
)

// ThresholdMessage is the msg of the warning line a Live.CallbackAfterCreateRoomReachingThreshold
// gives, once per event stored: the app's live rooms reached its threshold, which an operator
// alarms on (docs/operations.md).
const ThresholdMessage = "live room threshold reached"

// logThreshold writes the warning line of a stored threshold event, with the counts its body
// gives (none when the body does not parse as the command's: it is archived all the same).
func (h *Handler) logThreshold(ctx context.Context, req Request, ev *Event) {
	attrs := []slog.Attr{
		slog.String("request_id", req.RequestID),
		slog.String("command", ev.Command),
		slog.Int64("sdkappid", ev.SdkAppID),
		slog.Int64("event_time", ev.EventTime),
	}
	if t, err := ParseThreshold(ev.Raw); err == nil {
		if t.CurRoomCount != nil {
			attrs = append(attrs, slog.Int64("cur_room_count", *t.CurRoomCount))
		}
		if t.MaxRoomCount != nil {
			attrs = append(attrs, slog.Int64("max_room_count", *t.MaxRoomCount))
		}
	}
	h.log.LogAttrs(ctx, slog.LevelWarn, ThresholdMessage, attrs...)
}

// logUnstored writes the error line of a request that was not stored although it may be a
// genuine callback: it carries the raw event, so that an outage or a bug loses nothing — the
// event can be replayed from the logs (scripts/replay). The query's Sign is deliberately not
// logged. ev may be nil (a panic before the checks built it); the body is then taken as sent.
func (h *Handler) logUnstored(ctx context.Context, req Request, ev *Event, start time.Time, e *Error, extra ...slog.Attr) {
	if ev == nil {
		ev = &Event{ReceivedAt: start, Raw: req.Body}
	}
	attrs := append([]slog.Attr{
		slog.String("request_id", req.RequestID),
		slog.String(KeyCommand, ev.Command),
		slog.Int64("sdkappid", ev.SdkAppID),
		slog.String("room_id", ev.RoomID),
		slog.String(KeyOutcome, "rejected:"+e.Reason),
		slog.Float64("duration_ms", ms(h.now().Sub(start))),
		slog.String("client_ip", ev.ClientIP),
		slog.String("opt_platform", ev.OptPlatform),
		slog.Int64("received_at_ms", ev.ReceivedAt.UnixMilli()),
		slog.String("raw_body", string(ev.Raw)),
	}, extra...)
	h.log.LogAttrs(ctx, slog.LevelError, LineMessage, attrs...)
}

// check runs every validation in the order docs/design.md gives and builds the Event. On
// rejection the returned Event holds what was learned so far, for the log line.
func (h *Handler) check(req Request, now time.Time) (*Event, *Error) {
	ev := &Event{RequestID: req.RequestID, ReceivedAt: now, Raw: req.Body}
	if req.Method != "POST" {
		return ev, errMethod
	}
	if len(req.Body) > MaxBodyBytes {
		return ev, errTooLarge
	}
	q, rej := readQuery(req.Query)
	if rej != nil {
		return ev, rej
	}
	ev.Command = q.get(pCallbackCommand)
	if !q.has(pSdkAppID) || q.get(pSdkAppID) == "" {
		return ev, errAppMissing
	}
	app, ours := h.apps[q.get(pSdkAppID)]
	if !ours {
		return ev, errAppUnknown
	}
	ev.SdkAppID = app
	if h.verifier != nil {
		switch err := h.verifier.Verify(q.get(pSign), q.get(pRequestTime)); {
		case err == nil:
		case errors.Is(err, ErrNotSigned):
			return ev, errSignMissing
		case errors.Is(err, ErrSignMismatch):
			return ev, errSignMismatch
		default:
			return ev, errSignTime
		}
	}
	if q.has(pContentType) && !strings.EqualFold(q.get(pContentType), "json") {
		return ev, errContentType
	}
	if ev.Command == "" {
		return ev, errCommandMissing
	}
	ev.ClientIP = q.get(pClientIP)
	ev.OptPlatform = q.get(pOptPlatform)

	var bodyCommand string
	if c, projected := commands[ev.Command]; projected {
		p, err := c.parse(req.Body)
		if err != nil {
			return ev, parseError(err)
		}
		ev.Payload = p
		ev.RoomID, ev.EventTime = p.Key()
		bodyCommand = p.BodyCommand()
	} else {
		env, err := ParseEnvelope(req.Body)
		if err != nil {
			return ev, parseError(err)
		}
		ev.RoomID, ev.EventTime, bodyCommand = env.RoomID, env.EventTime, env.CallbackCommand
	}
	if !sameCommand(bodyCommand, ev.Command) {
		return ev, errCommandMismatch
	}
	// The archive key must fit every backend's key column; Tencent's own limits are far below.
	if len(ev.Command) > MaxCommandBytes {
		return ev, errField("CallbackCommand is longer than 128 bytes")
	}
	if len(ev.RoomID) > MaxRoomIDBytes {
		return ev, errField("RoomId is longer than 255 bytes")
	}
	return ev, nil
}

func parseError(err error) *Error {
	var dup duplicateError
	if errors.As(err, &dup) {
		return errDuplicate(string(dup))
	}
	if errors.Is(err, ErrField) {
		return errField(err.Error())
	}
	return errBody
}

// PanicAfterStoreMessage is the msg of the error line of a panic after the event was stored and
// its callback line written (the request is answered OK).
const PanicAfterStoreMessage = "panic after the callback was stored"

// The line every request gets: its message, and the keys of its attributes that tools read
// (scripts/replay, package emf's metrics, the CLS and CloudWatch queries of docs/operations.md).
const (
	LineMessage = "callback"
	KeyCommand  = "command"
	KeyOutcome  = "outcome"  // stored, duplicate, stale, ignored, or rejected:<reason>
	KeyStoreMS  = "store_ms" // the store's save, in milliseconds, when the request reached it
)

// logLine writes the one line every request gets; store is its store_ms when it was saved.
func (h *Handler) logLine(ctx context.Context, level slog.Level, req Request, ev *Event, outcome string, start time.Time, store ...slog.Attr) {
	if !h.log.Enabled(ctx, level) {
		return
	}
	attrs := [7]slog.Attr{
		slog.String("request_id", req.RequestID),
		slog.String(KeyCommand, ev.Command),
		slog.Int64("sdkappid", ev.SdkAppID),
		slog.String("room_id", ev.RoomID),
		slog.String(KeyOutcome, outcome),
		slog.Float64("duration_ms", ms(h.now().Sub(start))),
	}
	n := 6
	if len(store) > 0 {
		attrs[n] = store[0]
		n++
	}
	h.log.LogAttrs(ctx, level, LineMessage, attrs[:n]...)
}

func ms(d time.Duration) float64 { return float64(d.Microseconds()) / 1000 }
