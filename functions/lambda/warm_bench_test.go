package main

import (
	"io"
	"log/slog"
	"strings"
	"testing"

	"github.com/aws/aws-lambda-go/lambda"

	"github.com/roomhook/roomhook/pkg/emf"
	"github.com/roomhook/roomhook/scripts/bench/floor/lambdafloor"
	"github.com/roomhook/roomhook/scripts/bench/instr"
)

// warmCases are the requests of scripts/bench.sh's warm measures, in time (BenchmarkWarmProduct,
// BenchmarkWarmFloor) and in instructions (BenchmarkInstr), each checked once to be answered
// with a 200 carrying the OK packet:
//
//   - product, one per golden event: the product's whole in-process path for one signed request
//     (raw event bytes -> adapter -> method, query and signature checks -> parse -> answer
//     rendered, and its log line with the metrics, package emf, as main writes it, into
//     io.Discard), with a store that keeps nothing: the create in every shape, and every other
//     projected command, Room and Live, in a function URL event. Named by the golden.
//   - floor (scripts/bench/floor/lambdafloor): aws-lambda-go's typed decode of the same signed
//     HTTP API 2.0 event, the body into the plain struct of its command, and the typed answer
//     marshalled, through the same raw-bytes lambda.Handler interface. One per callback of the
//     samples' stories, named by its variant: the create from apigateway-http (the create's
//     shapes all compare with it), every other callback from its function URL event (a 2.0
//     event too).
func warmCases(tb testing.TB) (product, floor []instr.Case) {
	ctx := lambdaCtx(lambdaReqID)
	metrics := emf.FromEnv(func(string) string { return "" })
	metrics.Out, metrics.FunctionName = io.Discard, "roomhook-bench"
	log := slog.New(emf.NewHandler(slog.NewJSONHandler(io.Discard, nil), *metrics))
	a := newLoggingAdapter(tb, &memStore{discard: true}, log, testToken)
	h := lambda.NewHandler(lambdafloor.Handle)
	var p, f []instr.Request
	for _, g := range loadGoldens(tb) {
		m := parseMutable(tb, g.payload)
		if !m.setQuery(g.signedPairs(testToken)) {
			continue
		}
		payload := m.bytes(tb)
		p = append(p, instr.Request{Name: g.name, Invoke: func() ([]byte, error) { return a.Invoke(ctx, payload) }})
		if g.name == "apigateway-http" || g.variant != "create-room" && g.source == sourceFunctionURL {
			f = append(f, instr.Request{Name: g.variant, Invoke: func() ([]byte, error) { return h.Invoke(ctx, payload) }})
		}
	}
	return instr.Cases(tb, okAnswer, p), instr.Cases(tb, okAnswer, f)
}

// BenchmarkWarmProduct is scripts/bench.sh's warm CPU measure of the product (warmCases).
func BenchmarkWarmProduct(b *testing.B) {
	product, _ := warmCases(b)
	instr.Benchmark(b, product)
}

// BenchmarkWarmFloor is the floor beside it (warmCases).
func BenchmarkWarmFloor(b *testing.B) {
	_, floor := warmCases(b)
	instr.Benchmark(b, floor)
}

// okAnswer reports whether out is a 200 answer carrying the OK packet (escaped in the body).
func okAnswer(out []byte) bool {
	s := string(out)
	return strings.Contains(s, `"statusCode":200`) && strings.Contains(s, `\"ActionStatus\":\"OK\"`)
}
