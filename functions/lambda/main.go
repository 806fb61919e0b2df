// Command bootstrap is roomhook's AWS Lambda function: it receives Tencent Cloud Room callbacks
// through API Gateway (REST APIs, HTTP APIs with payload format 1.0 or 2.0), a function URL or
// an Application Load Balancer, and answers with Tencent's acknowledgement packet.
//
// Invoked by an EventBridge schedule instead (template.yaml's PurgeFunction, the same binary), it
// runs one pass of the archive purge (ROOMHOOK_ARCHIVE_RETENTION; coldstart.Instance.Purge) and
// answers with its result, {"archive_purge": {…}}; a store failure is a function error, which
// Lambda retries and counts in the function's Errors metric. detect.go says why no callback can
// pass for a scheduled event.
//
// It is a thin adapter. The configuration, store and callback.Handler are built once, at cold
// start, by coldstart.BuildWith, which opens the store in the background while the runtime
// fetches the first event (the first save waits for it); each invocation decodes the raw
// event once, tells its shape from the event itself (detect.go; one file per shape: v1.go,
// v2.go, alb.go), undoes the gateway's base64, hands a neutral callback.Request to the handler
// and renders its Response in the shape the caller expects (render.go). All validation and
// every status decision are the core's.
//
// An event that is not JSON, or of none of these shapes, is still answered, never with a
// function error: it reaches the core as a request without a method, which the core refuses
// (405 with a FAIL packet), rendered in the HTTP API 2.0 response shape, and the adapter logs
// a warning. A body flagged base64 that does not decode reaches the core empty (400).
//
// Logs are one JSON object per line: slog's JSON on stderr, or, when the function uses Lambda's
// JSON log format (AWS_LAMBDA_LOG_FORMAT=JSON), aws-lambda-go's lambdacontext handler on stdout,
// which names the keys as that format does and adds the invocation's requestId (see
// logOptions). aws-lambda-go runs AWS_LAMBDA_MAX_CONCURRENCY invocations at once in one process
// when that is above 1 (Lambda Managed Instances); the adapter and the core are safe for that.
//
// Build it for provided.al2023 as a file named bootstrap:
//
//	scripts/build.sh lambda   (CGO_ENABLED=0, the flags in scripts/localinvoke/build.go)
//
// The sample events a user invokes locally are in events/.
package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"strings"

	"github.com/aws/aws-lambda-go/lambda"
	"github.com/aws/aws-lambda-go/lambdacontext"

	"github.com/roomhook/roomhook/pkg/callback"
	"github.com/roomhook/roomhook/pkg/coldstart"
	"github.com/roomhook/roomhook/pkg/emf"
)

func main() {
	inst, err := coldstart.BuildWith(context.Background(), os.Getenv, startOptions(os.Getenv))
	if err != nil {
		// The function refuses to start: Lambda reports an init error with this message.
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	go func() {
		// A store that does not open is a failed start too, noticed when the open gives up:
		// Lambda reports the runtime's exit (an init error, or an error of the first
		// invocation when that has begun), and the waiting event is not acknowledged, so
		// Tencent delivers it again.
		if err := inst.WaitStore(); err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(1)
		}
	}()
	lambda.Start(&adapter{handler: inst.Handler, log: inst.Logger, purge: inst.Purge})
}

// startOptions are the cold start's: logging as logOptions chooses, and the store opened on its
// own goroutine while the runtime fetches the first event.
func startOptions(getenv func(string) string) coldstart.Options {
	opts := logOptions(getenv)
	opts.OpenInBackground = true
	return opts
}

// logOptions chooses how the function logs. With Lambda's JSON log format (LoggingConfig
// LogFormat JSON, which makes Lambda set AWS_LAMBDA_LOG_FORMAT=JSON) the lines go through
// aws-lambda-go's lambdacontext handler: one JSON object per line on stdout, with the keys
// that format expects ("timestamp", "level", "message") and the invocation's "requestId", and
// Lambda's application log level (AWS_LAMBDA_LOG_LEVEL) applied besides ROOMHOOK_LOG_LEVEL
// (the stricter wins). With the default Text format that handler would write text lines, so
// roomhook keeps its own JSON lines on stderr, where Lambda picks them up all the same.
//
// The per-request line also carries the function's CloudWatch metrics (package emf) unless
// POWERTOOLS_METRICS_DISABLED is true: the namespace and service dimension come from
// POWERTOOLS_METRICS_NAMESPACE and POWERTOOLS_SERVICE_NAME as for Powertools, and a line the
// log level drops still sends its metrics, alone, on stdout.
func logOptions(getenv func(string) string) coldstart.Options {
	opts := coldstart.Options{LogOut: os.Stderr}
	// lambdacontext reads the same variable, with the same exact comparison, to choose JSON.
	if getenv("AWS_LAMBDA_LOG_FORMAT") == "JSON" {
		opts.LogHandler = func(slog.Leveler) slog.Handler { return lambdacontext.NewLogHandler() }
	}
	if m := metricsOptions(getenv); m != nil {
		opts.WrapHandler = func(h slog.Handler) slog.Handler { return emf.NewHandler(h, *m) }
	}
	return opts
}

// metricsOptions are the metrics' options (nil: off). A line whose metrics go alone goes to
// stdout, at the function's application log level when Lambda filters JSON lines by it.
func metricsOptions(getenv func(string) string) *emf.Options {
	m := emf.FromEnv(getenv)
	if m == nil {
		return nil
	}
	m.Out = os.Stdout
	if getenv("AWS_LAMBDA_LOG_FORMAT") == "JSON" {
		switch level := strings.ToUpper(strings.TrimSpace(getenv("AWS_LAMBDA_LOG_LEVEL"))); level {
		case "WARN", "ERROR", "FATAL":
			m.AloneLevel = level
		}
	}
	return m
}

// adapter is the Lambda handler. It implements lambda.Handler, so aws-lambda-go hands it the
// raw event bytes and sends back the bytes it returns, with no reflection and no second decode.
type adapter struct {
	handler *callback.Handler
	log     *slog.Logger // nil discards
	// purge runs the archive purge of a scheduled event and returns its answer (Instance.Purge);
	// nil makes a scheduled event a function error.
	purge func(context.Context) ([]byte, error)
}

var _ lambda.Handler = (*adapter)(nil)

// Invoke answers one event. It never returns an error for a callback: whatever arrives, the
// caller gets an HTTP response in its own shape (a Lambda function error would reach Tencent as
// a 502 from the gateway, without the FAIL packet that says why). A scheduled event runs the
// archive purge instead, and a purge that fails is a function error.
func (a *adapter) Invoke(ctx context.Context, payload []byte) ([]byte, error) {
	t := translate(payload)
	// The Lambda invocation id ties the core's log line to Lambda's own REPORT line; the
	// gateway's request id is the fallback when the adapter runs outside the Lambda runtime.
	if lc, ok := lambdacontext.FromContext(ctx); ok && lc.AwsRequestID != "" {
		t.req.RequestID = lc.AwsRequestID
	}
	a.logEvent(ctx, &t)
	if t.source == sourceSchedule {
		return a.schedule(ctx)
	}
	resp := a.handler.Handle(ctx, t.req)
	return render(&t, resp), nil
}

// schedule runs the archive purge a scheduled event asks for.
func (a *adapter) schedule(ctx context.Context) ([]byte, error) {
	if a.purge == nil {
		return nil, errors.New("roomhook: a scheduled event, but this function has no archive purge wired")
	}
	return a.purge(ctx)
}

// logEvent writes what only the adapter knows: the event's source (debug), and why an event
// could not be read (warn). The core writes the line every request gets.
func (a *adapter) logEvent(ctx context.Context, t *translation) {
	if a.log == nil {
		return
	}
	switch {
	case t.source == sourceUnknown:
		attrs := []slog.Attr{slog.String("request_id", t.req.RequestID)}
		if t.decodeErr != nil {
			attrs = append(attrs, slog.String("error", t.decodeErr.Error()))
		}
		a.log.LogAttrs(ctx, slog.LevelWarn, "lambda event of unknown shape; expected API Gateway, function URL or ALB", attrs...)
	case t.badBase64:
		a.log.LogAttrs(ctx, slog.LevelWarn, "lambda event body is flagged base64 but does not decode",
			slog.String("request_id", t.req.RequestID), slog.String("source", t.source.String()))
	case a.log.Enabled(ctx, slog.LevelDebug):
		a.log.LogAttrs(ctx, slog.LevelDebug, "lambda event",
			slog.String("request_id", t.req.RequestID), slog.String("source", t.source.String()))
	}
}
