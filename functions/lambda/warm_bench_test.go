package main

import (
	"strings"
	"testing"

	"github.com/aws/aws-lambda-go/lambda"

	"github.com/roomhook/roomhook/scripts/bench/floor/lambdafloor"
)

// BenchmarkWarmProduct is scripts/bench.sh's warm CPU measure: the product's whole in-process
// path for one signed request per golden event (raw event bytes -> adapter -> method, query and
// signature checks -> parse -> answer rendered), with a store that keeps nothing: the create in
// every shape, and every other projected command in a function URL event. The Live goldens are
// left out: the floor (scripts/bench/floor) decodes the Room commands only, and scripts/bench
// compares each shape with the floor of its Room variant.
func BenchmarkWarmProduct(b *testing.B) {
	for _, g := range loadGoldens(b) {
		if g.live() {
			continue
		}
		m := parseMutable(b, g.payload)
		if !m.setQuery(g.signedPairs(testToken)) {
			continue
		}
		payload := m.bytes(b)
		a := newAdapter(b, &memStore{discard: true}, testToken)
		ctx := lambdaCtx(lambdaReqID)
		if out, _ := a.Invoke(ctx, payload); !okAnswer(out) {
			b.Fatalf("%s: not an OK answer: %s", g.name, out)
		}
		b.Run(g.name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				out, err := a.Invoke(ctx, payload)
				if err != nil || len(out) == 0 {
					b.Fatal(err)
				}
			}
		})
	}
}

// BenchmarkWarmFloor is the floor beside it (scripts/bench/floor/lambdafloor): aws-lambda-go's
// typed decode of the same signed HTTP API 2.0 event, the body into the plain struct of its
// command, and the typed answer marshalled, through the same raw-bytes lambda.Handler interface.
// One sub-benchmark per callback of the samples' story, named by its variant: the create from
// apigateway-http (the create's shapes all compare with it), every other command from its
// function URL event (a 2.0 event too).
func BenchmarkWarmFloor(b *testing.B) {
	h := lambda.NewHandler(lambdafloor.Handle)
	ctx := lambdaCtx(lambdaReqID)
	for _, g := range loadGoldens(b) {
		if g.live() || g.name != "apigateway-http" && (g.variant == "create-room" || g.source != sourceFunctionURL) {
			continue
		}
		m := parseMutable(b, g.payload)
		m.setQuery(g.signedPairs(testToken))
		payload := m.bytes(b)
		if out, _ := h.Invoke(ctx, payload); !okAnswer(out) {
			b.Fatalf("floor %s: not an OK answer: %s", g.name, out)
		}
		b.Run(g.variant, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				out, err := h.Invoke(ctx, payload)
				if err != nil || len(out) == 0 {
					b.Fatal(err)
				}
			}
		})
	}
}

// okAnswer reports whether out is a 200 answer carrying the OK packet (escaped in the body).
func okAnswer(out []byte) bool {
	s := string(out)
	return strings.Contains(s, `"statusCode":200`) && strings.Contains(s, `\"ActionStatus\":\"OK\"`)
}
