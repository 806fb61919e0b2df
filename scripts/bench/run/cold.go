package main

import (
	"context"
	"fmt"
	"io"
	"path/filepath"
	"time"

	"github.com/roomhook/roomhook/scripts/localinvoke"
)

// firstAnswer starts one fresh instance and returns the time from process start to the
// first OK answer. Under Lambda the emulator is started first and starts the function
// lazily on the first invocation, so the clock starts at that invocation (the emulator's own
// start is excluded, the function's process start, init and first invoke are in). Under SCF
// the clock starts before the function process does (firstAnswerSCF: scf-go-lib listens only
// after main's init; localinvoke.StartSCF's 20 ms readiness poll would blur the figure).
func firstAnswer(ctx context.Context, bins *binaries, bin string, scf bool, env []string, ev *eventMaker) (time.Duration, error) {
	if scf {
		return firstAnswerSCF(bin, env, ev.next())
	}
	opts := localinvoke.Options{Env: env, Stderr: io.Discard}
	var rt localinvoke.Runtime
	var err error
	var t0 time.Time
	if scf {
		t0 = time.Now()
		rt, err = localinvoke.StartSCF(ctx, bin, opts)
	} else {
		rt, err = localinvoke.StartLambda(ctx, bins.rie, bin, opts)
		t0 = time.Now()
	}
	if err != nil {
		return 0, err
	}
	defer rt.Close()
	out, err := rt.Invoke(ctx, ev.next())
	d := time.Since(t0)
	if err != nil {
		return 0, err
	}
	if !isOK(out) {
		return 0, fmt.Errorf("%s: first answer not OK: %s", bin, out)
	}
	return d, nil
}

// cold: median process start to first answer of n fresh instances, product (SQLite store,
// created at init) vs floor; budget product ≤ floor + 2 ms.
func cold(ctx context.Context, dir string, n int) error {
	bins, err := build(ctx, dir, true)
	if err != nil {
		return err
	}
	for _, scf := range []bool{false, true} {
		ev, err := newEventMaker(bins.root, scf)
		if err != nil {
			return err
		}
		name, prod, flo := "lambda (RIE)", bins.lambda, bins.floorLambda
		if scf {
			name, prod, flo = "scf (net/rpc)", bins.scf, bins.floorSCF
		}
		var p, f []float64
		// Interleaved, so machine noise falls on both alike.
		for i := range n {
			db := filepath.Join(dir, fmt.Sprintf("cold-%v-%d.db", scf, i))
			d, err := firstAnswer(ctx, bins, prod, scf, productEnv("sqlite://"+db), ev)
			if err != nil {
				return err
			}
			p = append(p, float64(d)/1e6)
			d, err = firstAnswer(ctx, bins, flo, scf, []string{"HOME=/tmp"}, ev)
			if err != nil {
				return err
			}
			f = append(f, float64(d)/1e6)
		}
		pm, fm := median(p), median(f)
		note("cold %s product ms %v", name, fmtList(p))
		note("cold %s floor   ms %v", name, fmtList(f))
		row(fmt.Sprintf("cold start %s, median of %d", name, n), fmt.Sprintf("%.2f ms", pm), fmt.Sprintf("%.2f ms", fm),
			fmt.Sprintf("%+.2f ms", pm-fm), "<= floor + 2 ms", pm <= fm+2)
	}
	return nil
}

func fmtList(xs []float64) string {
	s := ""
	for _, x := range xs {
		s += fmt.Sprintf(" %.1f", x)
	}
	return s
}
