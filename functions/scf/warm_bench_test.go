package main

import (
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"strconv"
	"strings"
	"testing"

	"github.com/tencentyun/scf-go-lib/events"
	"github.com/tencentyun/scf-go-lib/functioncontext"

	"github.com/roomhook/roomhook/pkg/callback"
	"github.com/roomhook/roomhook/scripts/bench/floor/scffloor"
	"github.com/roomhook/roomhook/scripts/bench/instr"
)

// signedEvent is a golden event with Sign and RequestTime (made with testToken at fixedNow)
// added to its queryString.
func signedEvent(tb testing.TB, data []byte) []byte {
	var m map[string]any
	if err := json.Unmarshal(data, &m); err != nil {
		tb.Fatal(err)
	}
	q, _ := m["queryString"].(map[string]any)
	if q == nil {
		tb.Fatal("event without queryString")
	}
	rt := strconv.FormatInt(fixedNow.Unix(), 10)
	q["RequestTime"] = rt
	q["Sign"] = callback.Sign(testToken, rt)
	out, err := json.Marshal(m)
	if err != nil {
		tb.Fatal(err)
	}
	return out
}

// warmCases are the requests of scripts/bench.sh's warm measures on SCF, in time
// (BenchmarkWarmProduct, BenchmarkWarmFloor) and in instructions (BenchmarkInstr), each checked
// once to be answered with a 200:
//
//   - product, one per golden event: the raw event bytes through the adapter and the core
//     (checks including the signature, parse, answer, its JSON log line into io.Discard),
//     signed, with a store that keeps nothing:
//     the create in every shape, every other projected command, Room and Live, in a function
//     URL event. Named by the golden.
//   - floor: the SCF floor's in-process work for the same signed events, as
//     cloudfunction.Start does it: decode into events.APIGatewayRequest, the handler (body into
//     the plain struct of its command), marshal the typed answer. One per callback of the
//     samples' stories, named by its variant: the create from the API gateway trigger event,
//     every other callback from its function URL event.
func warmCases(tb testing.TB) (product, floor []instr.Case) {
	f := newLoggingFunction(tb, nopStore{}, slog.New(slog.NewJSONHandler(io.Discard, nil)), testToken)
	ctx := functioncontext.NewContext(context.Background(), &functioncontext.FunctionContext{RequestID: "bench"})
	var p, fl []instr.Request
	for _, g := range goldenEvents(tb) {
		ev := signedEvent(tb, g.data)
		p = append(p, instr.Request{Name: g.name, Invoke: func() ([]byte, error) { return f.Invoke(ctx, ev) }})
		variant := g.sample().Variant
		if g.name == "apigateway-trigger" || variant != "create-room" && strings.HasPrefix(g.name, "functionurl-") {
			fl = append(fl, instr.Request{Name: variant, Invoke: func() ([]byte, error) {
				var req events.APIGatewayRequest
				if err := json.Unmarshal(ev, &req); err != nil {
					return nil, err
				}
				resp, _ := scffloor.Handle(context.Background(), req)
				return json.Marshal(resp)
			}})
		}
	}
	return instr.Cases(tb, answered200, p), instr.Cases(tb, answered200, fl)
}

// answered200 reports whether out is a 200 answer.
func answered200(out []byte) bool { return strings.Contains(string(out), `"statusCode":200`) }

// BenchmarkWarmProduct is scripts/bench.sh's warm CPU measure of the product on SCF (warmCases).
func BenchmarkWarmProduct(b *testing.B) {
	product, _ := warmCases(b)
	instr.Benchmark(b, product)
}

// BenchmarkWarmFloor is the floor beside it (warmCases).
func BenchmarkWarmFloor(b *testing.B) {
	_, floor := warmCases(b)
	instr.Benchmark(b, floor)
}
