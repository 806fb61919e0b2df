package main

import (
	"context"
	"encoding/json"
	"strconv"
	"strings"
	"testing"

	"github.com/tencentyun/scf-go-lib/events"
	"github.com/tencentyun/scf-go-lib/functioncontext"

	"github.com/roomhook/roomhook/pkg/callback"
	"github.com/roomhook/roomhook/scripts/bench/floor/scffloor"
)

// signedEvent is a golden event with Sign and RequestTime (made with testToken at fixedNow)
// added to its queryString.
func signedEvent(b *testing.B, data []byte) []byte {
	var m map[string]any
	if err := json.Unmarshal(data, &m); err != nil {
		b.Fatal(err)
	}
	q, _ := m["queryString"].(map[string]any)
	if q == nil {
		b.Fatal("event without queryString")
	}
	rt := strconv.FormatInt(fixedNow.Unix(), 10)
	q["RequestTime"] = rt
	q["Sign"] = callback.Sign(testToken, rt)
	out, err := json.Marshal(m)
	if err != nil {
		b.Fatal(err)
	}
	return out
}

// BenchmarkWarmProduct is scripts/bench.sh's warm CPU measure on SCF: the raw event bytes
// through the adapter and the core (checks including the signature, parse, answer) per
// golden event (the create in every shape, every other projected command in a function URL
// event), signed, with a store that keeps nothing. The Live goldens are left out: the floor
// (scripts/bench/floor) decodes the Room commands only, and scripts/bench compares each shape
// with the floor of its Room variant.
func BenchmarkWarmProduct(b *testing.B) {
	f := newFunction(b, nopStore{}, testToken)
	ctx := functioncontext.NewContext(context.Background(), &functioncontext.FunctionContext{RequestID: "bench"})
	for _, g := range goldenEvents(b) {
		if g.live() {
			continue
		}
		ev := signedEvent(b, g.data)
		b.Run(g.name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				out, err := f.Invoke(ctx, ev)
				if err != nil || !strings.Contains(string(out), `"statusCode":200`) {
					b.Fatalf("%s %v", out, err)
				}
			}
		})
	}
}

// BenchmarkWarmFloor is the SCF floor's in-process work for the same signed events, as
// cloudfunction.Start does it: decode into events.APIGatewayRequest, the handler (body into the
// plain struct of its command), marshal the typed answer. One sub-benchmark per callback of the
// samples' story, named by its variant: the create from the API gateway trigger event, every
// other command from its function URL event.
func BenchmarkWarmFloor(b *testing.B) {
	ctx := context.Background()
	for _, g := range goldenEvents(b) {
		variant := g.sample().Variant
		if g.live() || g.name != "apigateway-trigger" && (variant == "create-room" || !strings.HasPrefix(g.name, "functionurl-")) {
			continue
		}
		ev := signedEvent(b, g.data)
		b.Run(variant, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				var req events.APIGatewayRequest
				if err := json.Unmarshal(ev, &req); err != nil {
					b.Fatal(err)
				}
				resp, _ := scffloor.Handle(ctx, req)
				out, err := json.Marshal(resp)
				if err != nil || !strings.Contains(string(out), `"statusCode":200`) {
					b.Fatalf("%s %v", out, err)
				}
			}
		})
	}
}
