package main

import (
	"context"
	"errors"
	"os"
	"testing"

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
		inst, err := coldstart.BuildWith(context.Background(), os.Getenv, startOptions(os.Getenv))
		if err != nil {
			return nil, err
		}
		a := &adapter{handler: inst.Handler, log: inst.Logger}
		answer := func(event []byte) error {
			out, err := a.Invoke(lambdaCtx("instr-cold"), event)
			if err == nil && !okAnswer(out) {
				err = errors.New("not an OK answer: " + string(out))
			}
			return err
		}
		return answer, inst.WaitStore()
	})
}
