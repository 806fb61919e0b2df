// Command run is the measuring side of scripts/bench.sh. Each subcommand measures one thing
// and prints table rows on stdout, tab-separated:
//
//	measure  product  floor  ratio  budget  verdict
//
// (verdict PASS, FAIL or SKIP); progress and notes go to stderr. Subcommands:
//
//	warm FILE LABEL read `go test -bench Warm -benchmem -count N` output (BenchmarkWarmProduct/*,
//	              BenchmarkWarmFloor) and compare medians
//	cold          process start to first answer, product (SQLite) vs floor, under RIE and SCF's
//	              net/rpc protocol, median of -n
//	latency       warm answer latency p50/p99 through RIE per store backend, creates and a
//	              mixed lifecycle load of every projected command, and the cold first answer
//	              (connect + schema check) per backend
//	load          functions/web under a loopback Go load generator: req/s, p99, RSS
//	burst         functions/web per store backend: member-state events for one room, then the
//	              same spread over 100 rooms, from concurrent senders: events/s, p99, none lost
//	size          binary and zip sizes, product vs floor
//	instr         instructions counted by valgrind's callgrind: warm path per request, cold start
//	              to the first answer (median of -n), product vs floor, and the gate against
//	              scripts/bench/instr.baseline (-write-baseline rewrites it instead)
//	instr-analyse (analysis) where the instructions go: callgrind's top functions (self cost)
//	annotate FILE (analysis) the same for any callgrind dump FILE
//	sizepkg BIN   (analysis) an unstripped binary's file bytes by package
//
// Binaries are built with the product's release flags (localinvoke.BuildFunction).
package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"time"
)

func main() {
	if len(os.Args) < 2 {
		fmt.Fprintln(os.Stderr, "usage: run <warm FILE|cold|latency|load|burst|size> [flags]")
		os.Exit(2)
	}
	cmd, args := os.Args[1], os.Args[2:]
	fs := flag.NewFlagSet(cmd, flag.ExitOnError)
	n := fs.Int("n", 10, "cold, instr: starts per binary")
	reqs := fs.Int("requests", 1000, "latency: warm requests per backend")
	dur := fs.Duration("duration", 20*time.Second, "load: timed phase")
	conns := fs.Int("c", 16, "load: connections")
	events := fs.Int("events", 10000, "burst: member-state events per phase")
	senders := fs.Int("senders", 32, "burst: concurrent senders (connections)")
	loops := fs.Int("loop", 100, "instr: the warm driver's n (each case is counted over n, then 2n requests)")
	writeBaseline := fs.Bool("write-baseline", false, "instr: rewrite the baselines instead of gating on them")
	work := fs.String("work", "", "directory for binaries and stores (default: a temp dir)")
	fs.Parse(args)

	dir := *work
	if dir == "" {
		d, err := os.MkdirTemp("", "roomhook-bench-")
		if err != nil {
			fatal(err)
		}
		defer os.RemoveAll(d)
		dir = d
	}
	dir, _ = filepath.Abs(dir)
	ctx := context.Background()
	var err error
	switch cmd {
	case "warm":
		if fs.NArg() != 2 {
			fatal(fmt.Errorf("warm needs the benchmark output file and a label"))
		}
		err = warm(fs.Arg(0), fs.Arg(1))
	case "cold":
		err = cold(ctx, dir, *n)
	case "latency":
		err = latency(ctx, dir, *reqs)
	case "load":
		err = load(ctx, dir, *dur, *conns)
	case "burst":
		err = burst(ctx, dir, *events, *senders)
	case "size":
		err = size(ctx, dir)
	case "instr":
		err = instrRun(ctx, dir, *n, *loops, *writeBaseline)
	case "instr-analyse":
		err = instrAnalyse(ctx, dir, *loops)
	case "annotate":
		for _, f := range fs.Args() {
			if err = annotate(f, f); err != nil {
				break
			}
		}
	case "sizepkg":
		err = sizePkg(fs.Arg(0), 15)
	default:
		fatal(fmt.Errorf("unknown subcommand %q", cmd))
	}
	if err != nil {
		fatal(err)
	}
}

func fatal(err error) {
	fmt.Fprintln(os.Stderr, "bench:", err)
	os.Exit(1)
}

// row prints one table row.
func row(measure, product, floor, ratio, budget string, pass bool) {
	v := "FAIL"
	switch {
	case strings.HasPrefix(budget, "info"):
		v = "-" // reported, not budgeted
	case pass:
		v = "PASS"
	}
	fmt.Printf("%s\t%s\t%s\t%s\t%s\t%s\n", measure, product, floor, ratio, budget, v)
}

// eachStore runs one of measure's runs per store: SQLite at sqliteURL, and each server store
// whose test variable (ROOMHOOK_TEST_POSTGRES, _MYSQL, _DYNAMODB) names one; an unset one is a
// SKIP row, a run that fails an error row.
func eachStore(measure, sqliteURL string, run func(name, env, url string) error) {
	stores := []struct{ name, env, url string }{
		{"sqlite", "", sqliteURL},
		{"postgres", "ROOMHOOK_TEST_POSTGRES", ""},
		{"mysql", "ROOMHOOK_TEST_MYSQL", ""},
		{"dynamodb", "ROOMHOOK_TEST_DYNAMODB", ""},
	}
	for _, b := range stores {
		u := b.url
		if b.env != "" {
			u = os.Getenv(b.env)
		}
		if u == "" {
			skipRow(measure+" "+b.name, b.env+" unset")
			note("%s %s skipped: %s is not set", measure, b.name, b.env)
			continue
		}
		if err := run(b.name, b.env, u); err != nil {
			note("%s %s: %v", measure, b.name, err)
			row(measure+" "+b.name, "error", "-", "-", "runs", false)
		}
	}
}

// skipRow prints a row for a measure that could not run.
func skipRow(measure, why string) {
	fmt.Printf("%s\t-\t-\t-\t%s\tSKIP\n", measure, why)
}

func note(format string, a ...any) { fmt.Fprintf(os.Stderr, "bench: "+format+"\n", a...) }

func median(xs []float64) float64 {
	s := append([]float64(nil), xs...)
	sort.Float64s(s)
	if len(s) == 0 {
		return 0
	}
	if len(s)%2 == 1 {
		return s[len(s)/2]
	}
	return (s[len(s)/2-1] + s[len(s)/2]) / 2
}

// percentile is the nearest-rank percentile p (0..100) of ds.
func percentile(ds []time.Duration, p float64) time.Duration {
	if len(ds) == 0 {
		return 0
	}
	s := append([]time.Duration(nil), ds...)
	sort.Slice(s, func(i, j int) bool { return s[i] < s[j] })
	k := int(p/100*float64(len(s))+0.999999) - 1
	k = max(0, min(k, len(s)-1))
	return s[k]
}

func ms(d time.Duration) string { return fmt.Sprintf("%.2f ms", float64(d)/1e6) }

func ratio(a, b float64) string {
	if b == 0 {
		return "-"
	}
	return fmt.Sprintf("%.2fx", a/b)
}
