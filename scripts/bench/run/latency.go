package main

import (
	"context"
	"fmt"
	"io"
	"maps"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/roomhook/roomhook/scripts/localinvoke"
)

// latency: per store backend, the product under RIE: the cold first answer (process start,
// connect, schema check, first store write); p50/p99 over warm requests, each the create of a
// new room; and p50/p99 over as many warm requests of the mixed lifecycle load (rooms living
// the samples' story: every projected command, in EventTime order). Budgets: p99 ≤ 20 ms (both
// loads), cold first answer ≤ 100 ms. A backend whose test variable is unset is skipped.
func latency(ctx context.Context, dir string, n int) error {
	bins, err := build(ctx, dir, true)
	if err != nil {
		return err
	}
	ev, err := newEventMaker(bins.root, false)
	if err != nil {
		return err
	}
	eachStore("latency", "sqlite://", func(name, env, url string) error {
		return latencyOne(ctx, dir, bins, ev, name, env, url, n)
	})
	return nil
}

func scale(xs []float64, f float64) []float64 {
	out := make([]float64, len(xs))
	for i, x := range xs {
		out[i] = x * f
	}
	return out
}

// latencyOne measures one backend with store URL st (a new SQLite file per start when env is "").
func latencyOne(ctx context.Context, dir string, bins *binaries, ev *eventMaker, name, env, st string, n int) error {
	var err error
	b := struct{ name, env string }{name, env}
	// The cold first answer: the median of 3 fresh instances (each SQLite file new; a
	// server database keeps its schema after the first, so later starts check it).
	var rt localinvoke.Runtime
	var firsts []float64
	for k := range 3 {
		if b.env == "" {
			st = "sqlite://" + filepath.Join(dir, fmt.Sprintf("latency-%s-%d.db", runID, k))
		}
		rt, err = localinvoke.StartLambda(ctx, bins.rie, bins.lambda, localinvoke.Options{Env: storeEnv(st), Stderr: io.Discard})
		if err != nil {
			return err
		}
		t0 := time.Now()
		out, err := rt.Invoke(ctx, ev.next())
		firsts = append(firsts, float64(time.Since(t0)))
		if err != nil || !isOK(out) {
			rt.Close()
			return fmt.Errorf("%s: first invoke: %v %s", b.name, err, out)
		}
		if k < 2 {
			rt.Close()
		}
	}
	first := time.Duration(median(firsts))
	note("latency %s cold first answers ms%s", b.name, fmtList(scale(firsts, 1e-6)))
	defer rt.Close()
	ds := make([]time.Duration, 0, n)
	for range n {
		e := ev.next()
		t := time.Now()
		out, err := rt.Invoke(ctx, e)
		ds = append(ds, time.Since(t))
		if err != nil || !isOK(out) {
			return fmt.Errorf("%s: invoke: %v %s", b.name, err, out)
		}
	}
	p50, p99 := percentile(ds, 50), percentile(ds, 99)
	row(fmt.Sprintf("latency %s p50 (%d warm, RIE)", b.name, n), ms(p50), "-", "-", "info", true)
	row(fmt.Sprintf("latency %s p99 (%d warm, RIE)", b.name, n), ms(p99), "-", "-", "<= 20 ms", p99 <= 20*time.Millisecond)
	row("cold first answer "+b.name+" (connect+schema, median of 3)", ms(first), "-", "-", "<= 100 ms", first <= 100*time.Millisecond)

	// The mixed lifecycle load on the same warm instance: every projected command, each
	// projection reading what it needs of the room's rows and archive.
	lc := newLifecycleMaker(ev)
	ds = ds[:0]
	byCommand := map[string][]time.Duration{}
	for range n {
		command, e := lc.next()
		t := time.Now()
		out, err := rt.Invoke(ctx, e)
		d := time.Since(t)
		ds = append(ds, d)
		byCommand[command] = append(byCommand[command], d)
		if err != nil || !isOK(out) {
			return fmt.Errorf("%s: lifecycle invoke (%s): %v %s", b.name, command, err, out)
		}
	}
	var per []string
	for _, c := range slices.Sorted(maps.Keys(byCommand)) {
		per = append(per, fmt.Sprintf("%s p50 %s p99 %s", c, ms(percentile(byCommand[c], 50)), ms(percentile(byCommand[c], 99))))
	}
	note("latency %s lifecycle by command: %s", b.name, strings.Join(per, "; "))
	p50, p99 = percentile(ds, 50), percentile(ds, 99)
	row(fmt.Sprintf("latency %s lifecycle p50 (%d warm, every command, RIE)", b.name, n), ms(p50), "-", "-", "info", true)
	row(fmt.Sprintf("latency %s lifecycle p99 (%d warm, every command, RIE)", b.name, n), ms(p99), "-", "-", "<= 20 ms", p99 <= 20*time.Millisecond)
	return nil
}
