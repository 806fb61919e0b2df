package main

import (
	"context"
	"os"
	"testing"

	"github.com/tencentyun/scf-go-lib/functioncontext"

	"github.com/roomhook/roomhook/pkg/coldstart"
	"github.com/roomhook/roomhook/scripts/bench/instr"
)

// BenchmarkInstr is the driver of scripts/bench.sh instr's warm measure (instr.Bench):
// warmCases, the product's and the floor's, counted under callgrind.
func BenchmarkInstr(b *testing.B) {
	instr.Bench(b, func() (product, floor []instr.Case) { return warmCases(b) })
}

// BenchmarkInstrCold is the driver of the cold start's split (instr.BenchCold): main's
// coldstart.BuildWith with the store opened on its goroutine and waited for, then the first
// event through the adapter.
func BenchmarkInstrCold(b *testing.B) {
	instr.BenchCold(b, func() (func([]byte) error, error) {
		inst, err := coldstart.BuildWith(context.Background(), os.Getenv,
			coldstart.Options{LogOut: os.Stderr, OpenInBackground: true})
		if err != nil {
			return nil, err
		}
		f := &function{handler: inst.Handler}
		ctx := functioncontext.NewContext(context.Background(), &functioncontext.FunctionContext{RequestID: "instr-cold"})
		answer := func(event []byte) error {
			return okCase("first-request", func() ([]byte, error) { return f.Invoke(ctx, event) }).Do()
		}
		return answer, inst.WaitStore()
	})
}
