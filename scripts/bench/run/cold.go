package main

import (
	"bytes"
	"context"
	"fmt"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"sync"
	"time"

	"github.com/roomhook/roomhook/scripts/localinvoke"
)

// firstAnswer starts one fresh instance and returns the time from process start to the
// first OK answer, and the instance's init alone: under Lambda the emulator's INIT REPORT
// (process start to the runtime's first request for work), under SCF the time until the
// process accepted the rpc connection (0 when unknown). Under Lambda the emulator is started
// first and starts the function lazily on the first invocation, so the clock starts at that
// invocation (the emulator's own start is excluded, the function's process start, init and
// first invoke are in). Under SCF the clock starts before the function process does
// (firstAnswerSCF: scf-go-lib listens only after main's init; localinvoke.StartSCF's 20 ms
// readiness poll would blur the figure).
func firstAnswer(ctx context.Context, bins *binaries, bin string, scf bool, env []string, ev *eventMaker) (answer, init time.Duration, err error) {
	if scf {
		return firstAnswerSCF(bin, env, ev.next())
	}
	var log lockedBuffer
	rt, err := localinvoke.StartLambda(ctx, bins.rie, bin, localinvoke.Options{Env: env, Stderr: &log})
	t0 := time.Now()
	if err != nil {
		return 0, 0, err
	}
	out, err := rt.Invoke(ctx, ev.next())
	answer = time.Since(t0)
	rt.Close() // after Close the emulator's log is complete
	if err != nil {
		return 0, 0, err
	}
	if !isOK(out) {
		return 0, 0, fmt.Errorf("%s: first answer not OK: %s", bin, out)
	}
	if m := initReport.FindSubmatch(log.bytes()); m != nil {
		ms, _ := strconv.ParseFloat(string(m[1]), 64)
		init = time.Duration(ms * float64(time.Millisecond))
	}
	return answer, init, nil
}

var initReport = regexp.MustCompile(`INIT REPORT\(durationMs: ([0-9.]+)\)`)

// lockedBuffer collects the emulator's output, written from another goroutine.
type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuffer) bytes() []byte {
	l.mu.Lock()
	defer l.mu.Unlock()
	return slices.Clone(l.b.Bytes())
}

// cold: median process start to first answer of n fresh instances, product vs floor, in two
// cases of the SQLite store:
//
//   - existing file: every instance opens the same database file, created by one instance
//     before the timed ones. This is the budget, product ≤ floor + 3 ms (the median of the
//     paired differences, interleaved starts): the function's own
//     init (package init, configuration, opening and checking the store) plus its first
//     answer, the event committed before the answer.
//   - new file: every instance creates its own database file (schema, WAL mode), as an
//     instance with its SQLite file in Lambda's or SCF's /tmp does. Reported, not budgeted.
//
// Both run as in the cloud: the platform's variables are set (the emulator sets Lambda's,
// scfPlatformEnv SCF's) and the files are in the temp dir, so the store is ephemeral and SQLite
// makes no fsync (sqlite.Options.Ephemeral), as in a function instance's /tmp.
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
		if _, _, err := firstAnswer(ctx, bins, prod, scf, productEnv("sqlite://"+shared), ev); err != nil {
			return err
		}
		var existing, fresh, f, initP, initF []float64
		var linkedSQLite, linkedStores []float64 // Lambda only: the floor with stores imported
		// Interleaved, so machine noise falls on all alike.
		for i := range n {
			d, init, err := firstAnswer(ctx, bins, prod, scf, productEnv("sqlite://"+shared), ev)
			if err != nil {
				return err
			}
			existing = append(existing, float64(d)/1e6)
			initP = append(initP, float64(init)/1e6)
			db := filepath.Join(dir, fmt.Sprintf("cold-%v-%d.db", scf, i))
			if d, _, err = firstAnswer(ctx, bins, prod, scf, productEnv("sqlite://"+db), ev); err != nil {
				return err
			}
			fresh = append(fresh, float64(d)/1e6)
			if d, init, err = firstAnswer(ctx, bins, flo, scf, []string{"HOME=/tmp"}, ev); err != nil {
				return err
			}
			f = append(f, float64(d)/1e6)
			initF = append(initF, float64(init)/1e6)
			if scf {
				continue
			}
			for _, v := range []struct {
				bin string
				ms  *[]float64
			}{{bins.floorSQLite, &linkedSQLite}, {bins.floorStores, &linkedStores}} {
				if d, _, err = firstAnswer(ctx, bins, v.bin, false, []string{"HOME=/tmp"}, ev); err != nil {
					return err
				}
				*v.ms = append(*v.ms, float64(d)/1e6)
			}
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
		if ip, ifl := median(initP), median(initF); ip > 0 && ifl > 0 {
			row(fmt.Sprintf("cold start %s, init alone (%s), SQLite file exists", name, initWhat(scf)), fmt.Sprintf("%.2f ms", ip),
				fmt.Sprintf("%.2f ms", ifl), fmt.Sprintf("%+.2f ms", median(diffs(initP, initF))), "info", true)
		}
		row(fmt.Sprintf("cold start %s, SQLite file exists, median of %d", name, n), fmt.Sprintf("%.2f ms", pm),
			fmt.Sprintf("%.2f ms", fm), fmt.Sprintf("%+.2f ms", pd), "<= floor + 3 ms", pd <= 3)
		row(fmt.Sprintf("cold start %s, new SQLite file, median of %d", name, n), fmt.Sprintf("%.2f ms", nm),
			fmt.Sprintf("%.2f ms", fm), fmt.Sprintf("%+.2f ms", nd), "info: creates the file", true)
		// Package initialisation, which runs before main and cannot be deferred in Go: the
		// part of the cold start that linking the drivers costs, measured in-process
		// (GODEBUG=inittrace), without the emulator's noise.
		var initSumP, initSumF []float64
		for range n {
			for _, v := range []struct {
				bin string
				ms  *[]float64
			}{{prod, &initSumP}, {flo, &initSumF}} {
				ms, err := packageInit(ctx, v.bin)
				if err != nil {
					return err
				}
				*v.ms = append(*v.ms, ms)
			}
		}
		row(fmt.Sprintf("cold start %s, package init before main (inittrace sum), median of %d", name, n),
			fmt.Sprintf("%.2f ms", median(initSumP)), fmt.Sprintf("%.2f ms", median(initSumF)),
			fmt.Sprintf("%+.2f ms", median(diffs(initSumP, initSumF))), "info: linking", true)
		if len(linkedStores) > 0 {
			// Where the existing-file excess goes: linking the default store, linking the other
			// drivers beside it (floors that import them and never call them), and the rest,
			// which is the product's own work (configuration, opening the store, checking the
			// event, the commit) judged against the floor with every store imported.
			row(fmt.Sprintf("cold start %s, floor + SQLite store imported, not called", name), fmt.Sprintf("%.2f ms", median(linkedSQLite)),
				fmt.Sprintf("%.2f ms", fm), fmt.Sprintf("%+.2f ms", median(diffs(linkedSQLite, f))), "info: linking SQLite", true)
			row(fmt.Sprintf("cold start %s, floor + every store imported, not called", name), fmt.Sprintf("%.2f ms", median(linkedStores)),
				fmt.Sprintf("%.2f ms", fm), fmt.Sprintf("%+.2f ms", median(diffs(linkedStores, f))), "info: linking all", true)
			row(fmt.Sprintf("cold start %s, product vs floor + every store imported", name), fmt.Sprintf("%.2f ms", pm),
				fmt.Sprintf("%.2f ms", median(linkedStores)), fmt.Sprintf("%+.2f ms", median(diffs(existing, linkedStores))), "info: the work", true)
		}
	}
	return nil
}

// packageInit runs bin once with GODEBUG=inittrace=1 and returns the sum of its packages'
// initialisation times. The binary is made to stop right after: the product and the Lambda
// floor find no configuration (no ROOMHOOK_SDKAPPID, no runtime API), the SCF floor an invalid
// port; every package is initialised before main runs, so the trace is complete either way.
func packageInit(ctx context.Context, bin string) (float64, error) {
	cmd := exec.CommandContext(ctx, bin)
	cmd.Env = []string{"GODEBUG=inittrace=1", "_LAMBDA_SERVER_PORT=-1", "HOME=/tmp"}
	out, _ := cmd.CombinedOutput() // exits non-zero by design
	var sum float64
	n := 0
	for _, m := range initLine.FindAllSubmatch(out, -1) {
		ms, err := strconv.ParseFloat(string(m[1]), 64)
		if err != nil {
			return 0, err
		}
		sum += ms
		n++
	}
	if n == 0 {
		return 0, fmt.Errorf("%s printed no inittrace lines: %s", bin, out)
	}
	return sum, nil
}

// initLine is one package's line of GODEBUG=inittrace=1:
// "init net/http @7.8 ms, 0.089 ms clock, 2224 bytes, 29 allocs".
var initLine = regexp.MustCompile(`(?m)^init \S+ @[0-9.]+ ms, ([0-9.]+) ms clock`)

func initWhat(scf bool) string {
	if scf {
		return "until listening"
	}
	return "RIE INIT REPORT"
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
