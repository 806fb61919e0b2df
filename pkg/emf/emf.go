// Package emf turns roomhook's per-request log line into a CloudWatch embedded metric format
// (EMF) document, so that CloudWatch Logs extracts the function's metrics from the lines Lambda
// already ships: no extra network call, no agent. Names and dimensions follow the conventions of
// AWS's Powertools for Lambda: the namespace from POWERTOOLS_METRICS_NAMESPACE, a "service"
// dimension from POWERTOOLS_SERVICE_NAME, and a ColdStart metric with the service and
// "function_name" dimensions on the first request an instance serves.
//
// Handler wraps the slog.Handler the function logs through. On the core's "callback" line
// (callback.LineMessage) it adds the "_aws" metadata and the metric members:
//
//	Callbacks         Count         1 per request, by callback_command and callback_outcome
//	StoreLatency      Milliseconds  the store's save, when the request reached the store
//	StoreFailures     Count         1 when the store failed (outcome rejected:store), else 0
//	SignatureRefusals Count         1 when the signature was refused (rejected:sign_*), else 0
//	ColdStart         Count         1 on an instance's first request
//
// callback_command is the command when roomhook projects it and the request got past the
// signature check, "other" otherwise: the query string is the sender's, so a forger must not be
// able to make new metrics (each costs money). Every request is counted once: its line carries
// the metrics, or, when the line cannot (the log level drops it, a logger group would nest the
// members, a line with a raw body too big for CloudWatch to parse), the metrics go out alone on
// a line of their own (Options.Out).
// The metric names, dimensions and the queries that read them are in docs/operations.md.
package emf

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"strings"
	"sync/atomic"
	"time"

	"github.com/roomhook/roomhook/pkg/callback"
)

// The metrics' names and the dimensions roomhook adds to the line.
const (
	MetricCallbacks         = "Callbacks"
	MetricStoreLatency      = "StoreLatency"
	MetricStoreFailures     = "StoreFailures"
	MetricSignatureRefusals = "SignatureRefusals"
	MetricColdStart         = "ColdStart"

	DimService      = "service"
	DimFunctionName = "function_name"
	DimCommand      = "callback_command"
	DimOutcome      = "callback_outcome"

	// OtherCommand is the callback_command of a command roomhook does not project.
	OtherCommand = "other"
)

// Options configure Handler.
type Options struct {
	Namespace    string // CloudWatch namespace (POWERTOOLS_METRICS_NAMESPACE); "roomhook" when empty
	Service      string // the service dimension (POWERTOOLS_SERVICE_NAME); "roomhook" when empty
	FunctionName string // the ColdStart metric's function_name dimension (AWS_LAMBDA_FUNCTION_NAME)
	// Out receives a line of metrics alone when the callback line cannot carry them (see the
	// package comment). Nil: os.Stdout is not assumed; the metrics are dropped with the line.
	Out io.Writer
	// AloneLevel is the "level" such a line is written with, as the platform names levels;
	// "INFO" when empty. With Lambda's JSON log format, Lambda drops lines below the
	// function's application log level (AWS_LAMBDA_LOG_LEVEL): the line must be at it.
	AloneLevel string
	// Now gives the documents' Timestamp; nil: the line's own time (the record's), so a
	// request reads the clock once for its line.
	Now func() time.Time
}

// bigBody is the raw body above which a line's metrics go alone: such a line (a store failure's
// or a panic's, which carry the event to replay it) can pass the size of a log event CloudWatch
// parses as JSON, and the metrics would be lost with it.
const bigBody = 128 << 10

// The variables FromEnv reads, named as Powertools for Lambda names them.
const (
	EnvNamespace = "POWERTOOLS_METRICS_NAMESPACE"
	EnvService   = "POWERTOOLS_SERVICE_NAME"
	EnvDisabled  = "POWERTOOLS_METRICS_DISABLED"
	// EnvFunctionName is set by Lambda itself.
	EnvFunctionName = "AWS_LAMBDA_FUNCTION_NAME"
)

// Variables are the variables a deployment sets for the metrics (Lambda sets
// AWS_LAMBDA_FUNCTION_NAME).
func Variables() []string { return []string{EnvNamespace, EnvService, EnvDisabled} }

// FromEnv returns the metrics' options from the environment, or nil when EnvDisabled is true
// (1, true, yes or on, any case), as for Powertools.
func FromEnv(getenv func(string) string) *Options {
	switch strings.ToLower(strings.TrimSpace(getenv(EnvDisabled))) {
	case "1", "true", "yes", "on":
		return nil
	}
	return &Options{Namespace: getenv(EnvNamespace), Service: getenv(EnvService), FunctionName: getenv(EnvFunctionName)}
}

// Handler is a slog.Handler that makes the callback line an EMF document.
type Handler struct {
	next  slog.Handler
	alone slog.Handler // writes the metrics alone when next drops the line; nil: none
	opts  Options
	cold  *atomic.Bool // true until the instance's first callback line
	// grouped is set once a group is opened (WithGroup): a line's members would be nested in
	// it, where CloudWatch does not look, so its metrics go alone.
	grouped bool
	// The directives, made once: every line's, a line's that reached the store, the instance's
	// first line's.
	always             []directive
	latency, coldStart directive
}

// NewHandler wraps next.
func NewHandler(next slog.Handler, opts Options) *Handler {
	if opts.Namespace == "" {
		opts.Namespace = "roomhook"
	}
	if opts.Service = strings.TrimSpace(opts.Service); opts.Service == "" {
		opts.Service = "roomhook"
	}
	if opts.AloneLevel == "" {
		opts.AloneLevel = "INFO"
	}
	h := &Handler{next: next, opts: opts, cold: new(atomic.Bool)}
	h.cold.Store(true)
	coldDims := []string{DimService}
	if opts.FunctionName != "" {
		coldDims = append(coldDims, DimFunctionName)
	}
	h.always = []directive{
		{opts.Namespace, [][]string{{DimService, DimCommand, DimOutcome}}, []metric{{MetricCallbacks, "Count"}}},
		{opts.Namespace, [][]string{{DimService}}, []metric{{MetricStoreFailures, "Count"}, {MetricSignatureRefusals, "Count"}}}}
	h.latency = directive{opts.Namespace, [][]string{{DimService, DimCommand}}, []metric{{MetricStoreLatency, "Milliseconds"}}}
	h.coldStart = directive{opts.Namespace, [][]string{coldDims}, []metric{{MetricColdStart, "Count"}}}
	if opts.Out != nil {
		level := slog.StringValue(opts.AloneLevel)
		h.alone = slog.NewJSONHandler(opts.Out, &slog.HandlerOptions{ReplaceAttr: func(groups []string, a slog.Attr) slog.Attr {
			if a.Key == slog.LevelKey && len(groups) == 0 {
				a.Value = level
			}
			return a
		}})
	}
	return h
}

// Enabled reports true at info and above whatever next says: a callback line below next's
// level still carries the request's metrics.
func (h *Handler) Enabled(ctx context.Context, l slog.Level) bool {
	return l >= slog.LevelInfo || h.next.Enabled(ctx, l)
}

// Handle adds the metrics to a callback line and passes every record next takes on to it.
func (h *Handler) Handle(ctx context.Context, r slog.Record) error {
	logged := h.next.Enabled(ctx, r.Level)
	if r.Message != callback.LineMessage {
		if !logged {
			return nil
		}
		return h.next.Handle(ctx, r)
	}
	metrics, big := h.metrics(r)
	if logged && !h.grouped && !big {
		r = r.Clone()
		r.AddAttrs(metrics...)
		return h.next.Handle(ctx, r)
	}
	var err error
	if logged {
		err = h.next.Handle(ctx, r)
	}
	if h.alone != nil {
		alone := slog.NewRecord(r.Time, slog.LevelInfo, "metrics", 0)
		alone.AddAttrs(metrics...)
		err = errors.Join(err, h.alone.Handle(ctx, alone))
	}
	return err
}

// WithAttrs and WithGroup keep the wrapping: the instance's cold start is one for all.
func (h *Handler) WithAttrs(attrs []slog.Attr) slog.Handler {
	c := *h
	c.next = h.next.WithAttrs(attrs)
	return &c
}

func (h *Handler) WithGroup(name string) slog.Handler {
	c := *h
	c.next = h.next.WithGroup(name)
	c.grouped = c.grouped || name != "" // slog ignores an empty group
	return &c
}

// metrics are the members a callback line's record gains; big reports a raw body too big for
// the line to carry them.
func (h *Handler) metrics(r slog.Record) (attrs []slog.Attr, big bool) {
	var command, outcome string
	storeMS, stored := 0.0, false
	r.Attrs(func(a slog.Attr) bool {
		switch a.Key {
		case "raw_body":
			big = a.Value.Kind() == slog.KindString && len(a.Value.String()) > bigBody
		case callback.KeyCommand:
			command = a.Value.String()
		case callback.KeyOutcome:
			outcome = a.Value.String()
		case callback.KeyStoreMS:
			if a.Value.Kind() == slog.KindFloat64 {
				storeMS, stored = a.Value.Float64(), true
			}
		}
		return true
	})
	if !callback.Projected(command) || callback.Unverified(outcome) {
		command = OtherCommand
	}
	// Measured: encoding/json's reflection over these small structs costs less than a
	// MarshalJSON of pre-written JSON, which encoding/json then scans whole to compact it.
	ts := r.Time
	if h.opts.Now != nil {
		ts = h.opts.Now()
	} else if ts.IsZero() {
		ts = time.Now()
	}
	meta := metadata{Timestamp: ts.UnixMilli(), CloudWatchMetrics: h.always}
	attrs = []slog.Attr{
		slog.Any("_aws", &meta),
		slog.String(DimService, h.opts.Service),
		slog.String(DimCommand, command),
		slog.String(DimOutcome, outcome),
		slog.Int(MetricCallbacks, 1),
		slog.Int(MetricStoreFailures, b2i(outcome == "rejected:store")),
		slog.Int(MetricSignatureRefusals, b2i(strings.HasPrefix(outcome, "rejected:sign_"))),
	}
	if stored {
		meta.CloudWatchMetrics = append(meta.CloudWatchMetrics[:len(meta.CloudWatchMetrics):len(meta.CloudWatchMetrics)], h.latency)
		attrs = append(attrs, slog.Float64(MetricStoreLatency, storeMS))
	}
	if h.cold.CompareAndSwap(true, false) {
		meta.CloudWatchMetrics = append(meta.CloudWatchMetrics[:len(meta.CloudWatchMetrics):len(meta.CloudWatchMetrics)], h.coldStart)
		if h.opts.FunctionName != "" {
			attrs = append(attrs, slog.String(DimFunctionName, h.opts.FunctionName))
		}
		attrs = append(attrs, slog.Int(MetricColdStart, 1))
	}
	return attrs, big
}

func b2i(b bool) int {
	if b {
		return 1
	}
	return 0
}

// metadata is the "_aws" member of an EMF document.
type metadata struct {
	Timestamp         int64       `json:"Timestamp"`
	CloudWatchMetrics []directive `json:"CloudWatchMetrics"`
}

// directive says which members of the document are metrics, in which namespace, by which
// dimensions.
type directive struct {
	Namespace  string     `json:"Namespace"`
	Dimensions [][]string `json:"Dimensions"`
	Metrics    []metric   `json:"Metrics"`
}

type metric struct {
	Name string `json:"Name"`
	Unit string `json:"Unit"`
}
