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

// cold: median process start to first answer of n fresh instances, product vs floor, in two
// cases of the SQLite store:
//
//   - existing file: every instance opens the same database file, created by one instance
//     before the timed ones. This is the budget, product ≤ floor + 2 ms (the median of the
//     paired differences, interleaved starts): the function's own
//     init (package init, configuration, opening and checking the store) plus its first
//     answer, with the event made durable (fsync) before the answer.
//   - new file: every instance creates its own database file (schema, WAL mode), as an
//     instance with its SQLite file in Lambda's or SCF's /tmp does. Reported, not budgeted:
//     creating a durable database costs fsyncs that depend on the disk, once per file.
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
		shared := filepath.Join(dir, fmt.Sprintf("cold-%v-shared.db", scf))
		if _, err := firstAnswer(ctx, bins, prod, scf, productEnv("sqlite://"+shared), ev); err != nil {
			return err
		}
		var existing, fresh, f, listenP, listenF []float64
		// Interleaved, so machine noise falls on all alike.
		for i := range n {
			d, err := firstAnswer(ctx, bins, prod, scf, productEnv("sqlite://"+shared), ev)
			if err != nil {
				return err
			}
			existing = append(existing, float64(d)/1e6)
			listenP = append(listenP, float64(lastSCFListen)/1e6)
			db := filepath.Join(dir, fmt.Sprintf("cold-%v-%d.db", scf, i))
			if d, err = firstAnswer(ctx, bins, prod, scf, productEnv("sqlite://"+db), ev); err != nil {
				return err
			}
			fresh = append(fresh, float64(d)/1e6)
			if d, err = firstAnswer(ctx, bins, flo, scf, []string{"HOME=/tmp"}, ev); err != nil {
				return err
			}
			f = append(f, float64(d)/1e6)
			listenF = append(listenF, float64(lastSCFListen)/1e6)
		}
		pm, nm, fm := median(existing), median(fresh), median(f)
		// The budget is judged on the median of the paired differences (each product start
		// minus the floor start next to it), which a drift in the machine's load during the run
		// moves far less than it moves the difference of two medians.
		pd, nd := median(diffs(existing, f)), median(diffs(fresh, f))
		note("cold %s product, existing file ms %v", name, fmtList(existing))
		note("cold %s product, new file ms      %v", name, fmtList(fresh))
		note("cold %s floor ms                  %v", name, fmtList(f))
		note("cold %s paired differences, existing file ms %v", name, fmtList(diffs(existing, f)))
		if scf {
			note("cold %s until listening (init), median ms: product %.2f, floor %.2f", name, median(listenP), median(listenF))
		}
		row(fmt.Sprintf("cold start %s, SQLite file exists, median of %d", name, n), fmt.Sprintf("%.2f ms", pm),
			fmt.Sprintf("%.2f ms", fm), fmt.Sprintf("%+.2f ms", pd), "<= floor + 2 ms", pd <= 2)
		row(fmt.Sprintf("cold start %s, new SQLite file, median of %d", name, n), fmt.Sprintf("%.2f ms", nm),
			fmt.Sprintf("%.2f ms", fm), fmt.Sprintf("%+.2f ms", nd), "info: creates the file", true)
	}
	return nil
}

// diffs returns a[i] - b[i] for each pair.
func diffs(a, b []float64) []float64 {
	d := make([]float64, min(len(a), len(b)))
	for i := range d {
		d[i] = a[i] - b[i]
	}
	return d
}

func fmtList(xs []float64) string {
	s := ""
	for _, x := range xs {
		s += fmt.Sprintf(" %.1f", x)
	}
	return s
}
