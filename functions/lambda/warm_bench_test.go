package main

import (
	"errors"
	"strings"
	"testing"

	"github.com/aws/aws-lambda-go/lambda"

	"github.com/roomhook/roomhook/scripts/bench/floor/lambdafloor"
	"github.com/roomhook/roomhook/scripts/bench/instr"
)

// warmCases are the requests of scripts/bench.sh's warm measures, in time (BenchmarkWarmProduct,
// BenchmarkWarmFloor) and in instructions (BenchmarkInstr):
//
//   - product, one per golden event: the product's whole in-process path for one signed request
//     (raw event bytes -> adapter -> method, query and signature checks -> parse -> answer
//     rendered), with a store that keeps nothing: the create in every shape, and every other
//     projected command, Room and Live, in a function URL event. Named by the golden.
//   - floor (scripts/bench/floor/lambdafloor): aws-lambda-go's typed decode of the same signed
//     HTTP API 2.0 event, the body into the plain struct of its command, and the typed answer
//     marshalled, through the same raw-bytes lambda.Handler interface. One per callback of the
//     samples' stories, named by its variant: the create from apigateway-http (the create's
//     shapes all compare with it), every other callback from its function URL event (a 2.0
//     event too).
func warmCases(tb testing.TB) (product, floor []instr.Case) {
	ctx := lambdaCtx(lambdaReqID)
	a := newAdapter(tb, &memStore{discard: true}, testToken)
	h := lambda.NewHandler(lambdafloor.Handle)
	for _, g := range loadGoldens(tb) {
		m := parseMutable(tb, g.payload)
		if !m.setQuery(g.signedPairs(testToken)) {
			continue
		}
		payload := m.bytes(tb)
		product = append(product, okCase(g.name, func() ([]byte, error) { return a.Invoke(ctx, payload) }))
		if g.name == "apigateway-http" || g.variant != "create-room" && g.source == sourceFunctionURL {
			floor = append(floor, okCase(g.variant, func() ([]byte, error) { return h.Invoke(ctx, payload) }))
		}
	}
	for _, c := range append(append([]instr.Case(nil), product...), floor...) {
		if err := c.Do(); err != nil {
			tb.Fatalf("%s: %v", c.Name, err)
		}
	}
	return product, floor
}

// okCase is a case whose request is invoke, answered with a 200 carrying the OK packet.
func okCase(name string, invoke func() ([]byte, error)) instr.Case {
	return instr.Case{Name: name, Do: func() error {
		out, err := invoke()
		if err != nil {
			return err
		}
		if !okAnswer(out) {
			return errors.New("not an OK answer: " + string(out))
		}
		return nil
	}}
}

// BenchmarkWarmProduct is scripts/bench.sh's warm CPU measure of the product (warmCases).
func BenchmarkWarmProduct(b *testing.B) {
	product, _ := warmCases(b)
	benchCases(b, product)
}

// BenchmarkWarmFloor is the floor beside it (warmCases).
func BenchmarkWarmFloor(b *testing.B) {
	_, floor := warmCases(b)
	benchCases(b, floor)
}

func benchCases(b *testing.B, cases []instr.Case) {
	for _, c := range cases {
		b.Run(c.Name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				if err := c.Do(); err != nil {
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
