package main

import (
	"context"
	"encoding/json"
	"testing"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-lambda-go/lambda"
)

// BenchmarkInvoke measures the warm path of one invocation per golden event shape: decode,
// the core's checks and parse, and rendering, with a store that keeps nothing (the store is
// measured on its own).
func BenchmarkInvoke(b *testing.B) {
	for _, g := range loadGoldens(b) {
		b.Run(g.name, func(b *testing.B) {
			a := newAdapter(b, &memStore{discard: true})
			ctx := lambdaCtx(lambdaReqID)
			b.ReportAllocs()
			b.SetBytes(int64(len(g.payload)))
			for b.Loop() {
				out, err := a.Invoke(ctx, g.payload)
				if err != nil || len(out) == 0 {
					b.Fatal(err)
				}
			}
		})
	}
}

// BenchmarkTranslate measures the adapter's own share: decoding the event into the request.
func BenchmarkTranslate(b *testing.B) {
	for _, g := range loadGoldens(b) {
		b.Run(g.name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				if t := translate(g.payload); t.source == sourceUnknown {
					b.Fatal("unknown")
				}
			}
		})
	}
}

var sink []byte

// baselines decode each golden event the plain aws-lambda-go way: a reflective typed decode
// into the events package's type for the shape, plus the body's bytes.
var baselines = map[source]lambda.Handler{
	sourceREST: lambda.NewHandler(func(_ context.Context, ev events.APIGatewayProxyRequest) (json.RawMessage, error) {
		sink = []byte(ev.Body)
		return nil, nil
	}),
	sourceHTTPv1: lambda.NewHandler(func(_ context.Context, ev events.APIGatewayProxyRequest) (json.RawMessage, error) {
		sink = []byte(ev.Body)
		return nil, nil
	}),
	sourceHTTP: lambda.NewHandler(func(_ context.Context, ev events.APIGatewayV2HTTPRequest) (json.RawMessage, error) {
		sink = []byte(ev.Body)
		return nil, nil
	}),
	sourceFunctionURL: lambda.NewHandler(func(_ context.Context, ev events.LambdaFunctionURLRequest) (json.RawMessage, error) {
		sink = []byte(ev.Body)
		return nil, nil
	}),
	sourceALB: lambda.NewHandler(func(_ context.Context, ev events.ALBTargetGroupRequest) (json.RawMessage, error) {
		sink = []byte(ev.Body)
		return nil, nil
	}),
}

// BenchmarkTypedDecodeBaseline is the reference the adapter's decode (BenchmarkTranslate) is
// held under: the same events through aws-lambda-go's typed decode, nothing else done.
func BenchmarkTypedDecodeBaseline(b *testing.B) {
	ctx := context.Background()
	for _, g := range loadGoldens(b) {
		h := baselines[g.source]
		b.Run(g.name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				if _, err := h.Invoke(ctx, g.payload); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
