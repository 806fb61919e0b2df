package main

import (
	"context"
	"errors"
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
		inst, err := coldstart.BuildWith(context.Background(), os.Getenv, startOptions)
		if err != nil {
			return nil, err
		}
		f := &function{handler: inst.Handler}
		ctx := functioncontext.NewContext(context.Background(), &functioncontext.FunctionContext{RequestID: "instr-cold"})
		answer := func(event []byte) error {
			out, err := f.Invoke(ctx, event)
			if err == nil && !answered200(out) {
				err = errors.New("not a 200 answer: " + string(out))
			}
			return err
		}
		return answer, inst.WaitStore()
	})
}
