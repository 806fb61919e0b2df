package main

import (
	"context"
	"errors"
	"fmt"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/roomhook/roomhook/pkg/callback"
	"github.com/roomhook/roomhook/scripts/bench/instr"
	"github.com/roomhook/roomhook/scripts/localinvoke"
)

// The instruction counts of `scripts/bench.sh instr`, taken with valgrind's callgrind
// (docs/performance.md, "Instructions"):
//
//   - warm: instructions per request of the in-process path, product and floor, for every
//     event shape and every projected command: the function package's BenchmarkInstr under
//     callgrind (package scripts/bench/instr), the mean over the 3n requests of its two loops;
//   - cold: the function process from exec to its first answer under the Lambda emulator and
//     SCF's net/rpc protocol, SQLite store (the file exists), product and floor, the median of
//     -n starts; split into package init before main (a dump at main.main), and, from the
//     package's BenchmarkInstrCold in a fresh process, the store's open and the first request.
//
// Budgets: warm ≤ the floor's; cold ≤ 1.5 × the floor's. The gate: every product measure
// within 3 % of its line in instrBaselineFile (rewritten by `scripts/bench.sh instr-baseline`).

// instrBaselineFile holds the committed baselines, relative to the module root.
const instrBaselineFile = "scripts/bench/instr.baseline"

// instrTolerance is how far above its baseline a measure may go before the gate fails: callgrind
// repeats a count to within about 1 % (the warm means here within ±0.6 %, cold starts ±1.2 %).
const instrTolerance = 0.03

// coldBudget is the cold start's budget against the floor's instructions.
const coldBudget = 1.5

var instrPlatforms = []string{"lambda", "scf"}

// instrBins are the binaries instr counts: release flags with the symbol table kept.
type instrBins struct {
	root           string
	product, floor map[string]string // platform -> function binary
	tests          map[string]string // platform -> the function package's test binary
	rie            string
}

// measure is one counted figure: product and floor instructions (floor 0 = none).
type measure struct {
	key            string // the baseline's key: "kind platform name"
	product, floor float64
}

// valgrind is valgrind's path, found once.
var valgrind string

func findValgrind() error {
	v, err := exec.LookPath("valgrind")
	if err != nil {
		return fmt.Errorf("instr needs valgrind (callgrind): %w", err)
	}
	valgrind = v
	return nil
}

func instrRun(ctx context.Context, dir string, starts, n int, writeBaseline bool) error {
	if err := findValgrind(); err != nil {
		return err
	}
	bins, err := buildInstr(ctx, dir)
	if err != nil {
		return err
	}
	var (
		mu       sync.Mutex
		measures []measure
		errs     []error
		wg       sync.WaitGroup
	)
	add := func(ms []measure, err error) {
		mu.Lock()
		defer mu.Unlock()
		measures = append(measures, ms...)
		if err != nil {
			errs = append(errs, err)
		}
	}
	// The runs share the machine's cores, as they did when the baselines were written: a run's
	// own parallelism is part of its conditions (an outside load is not: .ci/run runs the gate
	// alone, docs/performance.md).
	sem := make(chan struct{}, max(1, runtime.NumCPU()))
	for _, p := range instrPlatforms {
		wg.Go(func() {
			sem <- struct{}{}
			defer func() { <-sem }()
			add(instrWarm(ctx, bins, p, n, filepath.Join(dir, "instr-warm-"+p)))
		})
		wg.Go(func() {
			sem <- struct{}{}
			defer func() { <-sem }()
			add(instrCold(ctx, bins, p, starts, filepath.Join(dir, "instr-cold-"+p)))
		})
	}
	wg.Wait()
	if err := errors.Join(errs...); err != nil {
		return err
	}
	slices.SortStableFunc(measures, func(a, b measure) int { return strings.Compare(a.key, b.key) })
	for _, m := range measures {
		instrRow(m)
	}
	versions, err := toolVersions(ctx)
	if err != nil {
		return err
	}
	file := filepath.Join(bins.root, instrBaselineFile)
	if writeBaseline {
		return writeInstrBaseline(file, versions, measures)
	}
	return gateInstr(file, versions, measures)
}

// instrRow prints a measure's budget row: warm ≤ floor, cold ≤ 1.5 × floor; the split's parts
// are reported.
func instrRow(m measure) {
	kind, rest, _ := strings.Cut(m.key, " ")
	name := "instr " + m.key
	switch {
	case kind == "warm":
		row(name, count(m.product), count(m.floor), ratio(m.product, m.floor), "<= floor", m.product <= m.floor)
	case strings.HasSuffix(rest, " total"):
		row(name+" (exec to first answer, then SIGTERM)", count(m.product), count(m.floor), ratio(m.product, m.floor),
			fmt.Sprintf("<= %.1fx floor", coldBudget), m.product <= coldBudget*m.floor)
	case m.floor > 0:
		row(name, count(m.product), count(m.floor), ratio(m.product, m.floor), "info", true)
	default:
		row(name, count(m.product), "-", "-", "info", true)
	}
}

// count prints an instruction count with thousands separators.
func count(v float64) string {
	s := strconv.FormatInt(int64(math.Round(v)), 10)
	var b strings.Builder
	if s[0] == '-' {
		b.WriteByte('-')
		s = s[1:]
	}
	for i, c := range s {
		if i > 0 && (len(s)-i)%3 == 0 {
			b.WriteByte(',')
		}
		b.WriteRune(c)
	}
	return b.String()
}

// buildInstr builds the function binaries and the function packages' test binaries with the
// release flags, keeping the symbol table (localinvoke.SymbolFlags), and the Lambda emulator.
func buildInstr(ctx context.Context, dir string) (*instrBins, error) {
	root, err := localinvoke.ModuleRoot(ctx)
	if err != nil {
		return nil, err
	}
	b := &instrBins{root: root, product: map[string]string{}, floor: map[string]string{}, tests: map[string]string{}}
	flags := localinvoke.SymbolFlags()
	type job struct{ out, pkg, kind string }
	var jobs []job
	for _, p := range instrPlatforms {
		b.product[p] = filepath.Join(dir, "instr-bin", "product-"+p)
		b.floor[p] = filepath.Join(dir, "instr-bin", "floor-"+p)
		b.tests[p] = filepath.Join(dir, "instr-bin", p+".test")
		jobs = append(jobs, job{b.product[p], "./functions/" + p, "build"}, job{b.floor[p], "./scripts/bench/floor/" + p, "build"},
			job{b.tests[p], "./functions/" + p, "test"})
	}
	for _, j := range jobs {
		args := []string{j.kind}
		if j.kind == "test" {
			args = append(args, "-c")
		}
		args = append(append(args, flags...), "-o", j.out, j.pkg)
		note("instr: go %s", strings.Join(args, " "))
		// Counted here, so built for here, whatever GOOS and GOARCH the caller's environment names.
		if err := localinvoke.Go(ctx, []string{"CGO_ENABLED=0", "GOOS=" + runtime.GOOS, "GOARCH=" + runtime.GOARCH}, args...); err != nil {
			return nil, err
		}
	}
	if b.rie, err = localinvoke.BuildRIE(ctx, filepath.Join(dir, "rie")); err != nil {
		return nil, err
	}
	return b, nil
}

// callgrind is the valgrind command line counting a process's instructions into outDir, with
// the marks given (--dump-before=…, --dump-after=…).
func callgrind(outDir string, marks ...string) []string {
	return append([]string{valgrind, "-q", "--tool=callgrind", "--callgrind-out-file=" + filepath.Join(outDir, "cg.%p")}, marks...)
}

// dumpFiles lists the callgrind dumps in outDir of the one process that wrote there: its
// numbered dumps, cg.PID.K by K, and the one it writes when it ends, cg.PID ("" while it runs).
func dumpFiles(outDir string) (parts map[int]string, final string) {
	all, _ := filepath.Glob(filepath.Join(outDir, "cg.*"))
	parts = map[int]string{}
	for _, f := range all {
		pid, part, isPart := strings.Cut(strings.TrimPrefix(filepath.Base(f), "cg."), ".")
		if _, err := strconv.Atoi(pid); err != nil {
			continue
		}
		if !isPart {
			final = f
		} else if k, err := strconv.Atoi(part); err == nil {
			parts[k] = f
		}
	}
	return parts, final
}

// dumpPath is the k-th dump (1, 2, …) in outDir, or, for k = 0, the one written at the end; a
// path that does not exist when there is none.
func dumpPath(outDir string, k int) string {
	parts, final := dumpFiles(outDir)
	if k == 0 {
		parts[0] = final
	}
	if parts[k] == "" {
		return filepath.Join(outDir, fmt.Sprintf("no-dump-%d", k))
	}
	return parts[k]
}

// readDumps reads the totals of the callgrind dumps in outDir of one process that has ended:
// its numbered dumps in order (up to the first missing one), and the one it wrote when it ended.
func readDumps(outDir string) (numbered []float64, final float64, err error) {
	parts, last := dumpFiles(outDir)
	for k := 1; parts[k] != ""; k++ {
		t, err := fileTotal(parts[k])
		if err != nil {
			return nil, 0, err
		}
		numbered = append(numbered, t)
	}
	if last == "" {
		return nil, 0, fmt.Errorf("%s: no callgrind dump written at the process's end", outDir)
	}
	final, err = fileTotal(last)
	return numbered, final, err
}

// fileTotal reads a complete callgrind dump's "totals:" line, which callgrind writes last.
func fileTotal(path string) (float64, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return 0, err
	}
	s := string(b)
	i := strings.LastIndex(s, "\ntotals: ")
	if i < 0 || !strings.HasSuffix(s, "\n") {
		return 0, fmt.Errorf("%s: not a complete callgrind dump", path)
	}
	fields := strings.Fields(s[i+len("\ntotals: "):])
	if len(fields) == 0 {
		return 0, fmt.Errorf("%s: an empty totals line", path)
	}
	t, err := strconv.ParseFloat(fields[0], 64)
	if err != nil || math.IsInf(t, 0) || math.IsNaN(t) || t < 0 {
		return 0, fmt.Errorf("%s: totals %q", path, fields[0])
	}
	return t, nil
}

// waitGone waits until process pid has ended.
func waitGone(pid int, limit time.Duration) error {
	for deadline := time.Now().Add(limit); localinvoke.Running(pid); time.Sleep(20 * time.Millisecond) {
		if time.Now().After(deadline) {
			return fmt.Errorf("process %d still runs %v after SIGTERM", pid, limit)
		}
	}
	return nil
}

// runDriver runs a function package's test binary under callgrind with --dump-before at
// instr.Mark, one benchmark (-test.bench) once, in the package's directory (the goldens are read
// from events/), with env added, and returns its output once it has ended.
func runDriver(ctx context.Context, bins *instrBins, platform, bench, outDir string, env ...string) ([]byte, error) {
	if err := os.MkdirAll(outDir, 0o755); err != nil {
		return nil, err
	}
	args := append(callgrind(outDir, "--dump-before="+instr.MarkSymbol), bins.tests[platform],
		"-test.run=^$", "-test.bench=^"+bench+"$", "-test.benchtime=1x")
	cmd := exec.CommandContext(ctx, args[0], args[1:]...)
	cmd.Dir = filepath.Join(bins.root, "functions", platform)
	cmd.Env = append(append(os.Environ(), instr.Env...), env...)
	out, err := cmd.CombinedOutput()
	if err != nil {
		return nil, fmt.Errorf("%s %s under callgrind: %v\n%s", platform, bench, err, out)
	}
	return out, nil
}

// driverLines returns the names on the driver's output lines that start with prefix, in order.
func driverLines(out []byte, prefix string) []string {
	var names []string
	for line := range strings.Lines(string(out)) {
		if name, ok := strings.CutPrefix(strings.TrimSpace(line), prefix); ok {
			names = append(names, name)
		}
	}
	return names
}

// instrWarm runs platform's BenchmarkInstr under callgrind: per case, instructions per request
// is the mean over its 3n requests (the n-loop's dump plus the 2n-loop's, over 3n). The loops
// run between dumps, after a collection, so no fixed cost is in them for a difference of the
// two to cancel; (I(2n) − I(n)) / n, the other estimator, is checked against the mean and
// repeats only to about ±2 % against the mean's ±0.6 %.
func instrWarm(ctx context.Context, bins *instrBins, platform string, n int, outDir string) ([]measure, error) {
	note("instr: warm %s, n=%d, under callgrind", platform, n)
	out, err := runDriver(ctx, bins, platform, "BenchmarkInstr", outDir, "ROOMHOOK_INSTR_N="+strconv.Itoa(n))
	if err != nil {
		return nil, err
	}
	names := driverLines(out, instr.CaseLine)
	if len(names) == 0 {
		return nil, fmt.Errorf("instr warm %s: the driver named no case:\n%s", platform, out)
	}
	totals, _, err := readDumps(outDir)
	if err != nil {
		return nil, err
	}
	if len(totals) != len(names)*instr.DumpsPerCase {
		return nil, fmt.Errorf("instr warm %s: %d dumps for %d cases, want %d each", platform, len(totals), len(names), instr.DumpsPerCase)
	}
	per := map[string]float64{}
	for i, name := range names {
		one, two := totals[i*instr.DumpsPerCase+1], totals[i*instr.DumpsPerCase+3]
		mean, diff := (one+two)/float64(3*n), (two-one)/float64(n)
		if d := diff/mean - 1; d > 0.1 || d < -0.1 {
			return nil, fmt.Errorf("instr warm %s %s: the two loops disagree: %.0f per request over 3n, %.0f from their difference", platform, name, mean, diff)
		}
		per[name] = mean
	}
	var ms []measure
	for name, v := range per {
		shape, ok := strings.CutPrefix(name, "product/")
		if !ok {
			continue
		}
		f, ok := per["floor/"+variantOf(shape)]
		if !ok {
			return nil, fmt.Errorf("instr warm %s: no floor case for %s (%s)", platform, shape, variantOf(shape))
		}
		ms = append(ms, measure{key: "warm " + platform + " " + shape, product: v, floor: f})
	}
	return ms, nil
}

// instrCold counts platform's cold starts, product and floor interleaved, and the product's
// split, each the median of starts runs.
func instrCold(ctx context.Context, bins *instrBins, platform string, starts int, outDir string) ([]measure, error) {
	template, ev, body, err := coldTemplate(ctx, bins, platform, outDir)
	if err != nil {
		return nil, err
	}
	var init, total, floorInit, floorTotal, open, first []float64
	for i := range starts {
		for _, floor := range []bool{false, true} {
			bin, env := bins.floor[platform], []string{"HOME=" + os.TempDir()}
			if !floor {
				if env, err = storeCopyEnv(template, filepath.Join(outDir, fmt.Sprintf("start-%d.db", i))); err != nil {
					return nil, err
				}
				bin = bins.product[platform]
			}
			dumps := filepath.Join(outDir, fmt.Sprintf("start-%d-%v", i, floor))
			event := ev.nextWith(callback.CommandCreateRoom, body)
			in, after, err := coldUnderCallgrind(ctx, bins, platform, bin, env, event, dumps)
			if err != nil {
				return nil, fmt.Errorf("instr cold %s %s: %w", platform, filepath.Base(bin), err)
			}
			if floor {
				floorInit, floorTotal = append(floorInit, in), append(floorTotal, in+after)
			} else {
				init, total = append(init, in), append(total, in+after)
			}
		}
		o, f, err := coldSplit(ctx, bins, platform, ev.nextWith(callback.CommandCreateRoom, body), template,
			filepath.Join(outDir, fmt.Sprintf("split-%d", i)))
		if err != nil {
			return nil, fmt.Errorf("instr cold %s split: %w", platform, err)
		}
		open, first = append(open, o), append(first, f)
	}
	note("instr: cold %s product totals %v, floor %v", platform, fmtCounts(total), fmtCounts(floorTotal))
	rest := median(total) - median(init) - median(open) - median(first)
	return []measure{
		{key: "cold " + platform + " total", product: median(total), floor: median(floorTotal)},
		{key: "cold " + platform + " init", product: median(init), floor: median(floorInit)},
		{key: "cold " + platform + " open", product: median(open)},
		{key: "cold " + platform + " first-request", product: median(first)},
		// What is left: the platform runtime's protocol (both directions of the first event)
		// and the goroutines' start, beside the floor's whole path after main.
		{key: "cold " + platform + " rest", product: rest, floor: median(floorTotal) - median(floorInit)},
	}, nil
}

// coldTemplate prepares platform's cold starts: every start opens its own copy of one SQLite
// file, made by a first start outside callgrind, and answers the same event, the create of a
// room the file does not hold (body; ev makes it the platform's event, signed when sent).
func coldTemplate(ctx context.Context, bins *instrBins, platform, outDir string) (template string, ev *eventMaker, body string, err error) {
	if ev, err = newEventMaker(bins.root, platform == "scf"); err != nil {
		return "", nil, "", err
	}
	if err := os.MkdirAll(outDir, 0o755); err != nil {
		return "", nil, "", err
	}
	template = filepath.Join(outDir, "template.db")
	if _, _, err := firstAnswer(ctx, &binaries{rie: bins.rie}, bins.product[platform], platform == "scf",
		productEnv("sqlite://"+template), ev); err != nil {
		return "", nil, "", fmt.Errorf("instr cold %s: the SQLite file: %w", platform, err)
	}
	return template, ev, strings.Replace(ev.body, seedRoom, `"RoomId":"bench-instr-cold"`, 1), nil
}

// storeCopyEnv copies the SQLite file template to db and returns the product's environment on
// it, with a store budget for a process callgrind runs some fifty times slower than the machine.
func storeCopyEnv(template, db string) ([]string, error) {
	if err := copyFile(template, db); err != nil {
		return nil, err
	}
	return append(productEnv("sqlite://"+db), "ROOMHOOK_STORE_TIMEOUT=60s"), nil
}

func fmtCounts(xs []float64) string {
	var s []string
	for _, x := range xs {
		s = append(s, count(x))
	}
	return strings.Join(s, " ")
}

// settle is how long a process is left, once it has answered, to finish what follows the answer
// (SCF's net/rpc ends the call; the Lambda runtime asks for the next event) and wait, before it
// is stopped: callgrind runs it some fifty times slower than the machine, and this is a few
// hundred thousand instructions at most.
const settle = 300 * time.Millisecond

// coldUnderCallgrind starts bin once under callgrind as platform's runtime would, sends event
// and returns the counts from exec to main.main, and from main.main to the process's end: it is
// stopped with SIGTERM once it has answered and settled, so that second part is main to the
// answer, the runtime's turn to wait for the next event (an HTTP request to the emulator on
// Lambda, nothing on SCF), and the exit, which the product and the floor share. (Marks at the
// answer itself fire wrongly in Go: a function entered again after its stack grew, or left by a
// goroutine switch, looks to callgrind like a new call or a return.)
func coldUnderCallgrind(ctx context.Context, bins *instrBins, platform, bin string, env []string, event []byte, outDir string) (init, afterMain float64, err error) {
	if err := os.MkdirAll(outDir, 0o755); err != nil {
		return 0, 0, err
	}
	argv := append(callgrind(outDir, "--dump-before=main.main"), bin)
	if platform == "scf" {
		p, err := startSCF(argv, slices.Concat(env, scfPlatformEnv, instr.Env), 20*time.Millisecond, time.Minute)
		if err != nil {
			return 0, 0, err
		}
		defer p.kill()
		if err := p.invoke(event, time.Minute); err != nil {
			return 0, 0, err
		}
	} else {
		stop, err := answerLambda(ctx, bins.rie, argv, env, event, outDir)
		if err != nil {
			return 0, 0, err
		}
		defer stop()
	}
	time.Sleep(settle)
	// The process that wrote the dumps is the function (valgrind runs it in its own process,
	// under the emulator too); callgrind writes the rest when it ends.
	pid, err := strconv.Atoi(strings.TrimSuffix(strings.TrimPrefix(filepath.Base(dumpPath(outDir, 1)), "cg."), ".1"))
	if err != nil {
		return 0, 0, fmt.Errorf("%s: no dump at main.main", outDir)
	}
	if err := syscall.Kill(pid, syscall.SIGTERM); err != nil {
		return 0, 0, err
	}
	if err := waitGone(pid, time.Minute); err != nil {
		return 0, 0, err
	}
	numbered, final, err := readDumps(outDir)
	if err != nil {
		return 0, 0, err
	}
	// main.main is entered once; any later dump (a re-entry after its stack grew) is after it.
	afterMain = final
	for _, t := range numbered[1:] {
		afterMain += t
	}
	return numbered[0], afterMain, nil
}

// answerLambda runs argv as the bootstrap of the Lambda emulator (through a script that execs
// it: the emulator runs one command) and invokes it once with event. Once answered, stop
// closes the emulator, which kills the function if it still runs.
func answerLambda(ctx context.Context, rie string, argv, env []string, event []byte, outDir string) (stop func(), err error) {
	envPath, err := exec.LookPath("env")
	if err != nil {
		return nil, err
	}
	var b strings.Builder
	b.WriteString("#!/bin/sh\nexec " + shellQuote(envPath))
	for _, a := range slices.Concat(instr.Env, argv) {
		b.WriteString(" " + shellQuote(a))
	}
	b.WriteString("\n")
	script := filepath.Join(outDir, "bootstrap")
	if err := os.WriteFile(script, []byte(b.String()), 0o755); err != nil {
		return nil, err
	}
	var log lockedBuffer
	rt, err := localinvoke.StartLambda(ctx, rie, script, localinvoke.Options{
		Env: append(slices.Clone(env), "AWS_LAMBDA_FUNCTION_TIMEOUT=60"), Stderr: &log})
	if err != nil {
		return nil, err
	}
	out, err := rt.Invoke(ctx, event)
	if err == nil && !isOK(out) {
		err = fmt.Errorf("first answer not OK: %s\n%s", out, log.bytes())
	}
	if err != nil {
		rt.Close()
		return nil, err
	}
	return func() { rt.Close() }, nil
}

func shellQuote(s string) string { return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'" }

// coldSplit runs platform's BenchmarkInstrCold once under callgrind, in a fresh process, on a
// copy of the SQLite file template, and returns the counts of its two steps: the
// configuration read and the store opened, and the first request.
func coldSplit(ctx context.Context, bins *instrBins, platform string, event []byte, template, outDir string) (open, first float64, err error) {
	if err := os.MkdirAll(outDir, 0o755); err != nil {
		return 0, 0, err
	}
	evFile := filepath.Join(outDir, "event.json")
	env, err := storeCopyEnv(template, filepath.Join(outDir, "store.db"))
	if err != nil {
		return 0, 0, err
	}
	if err := os.WriteFile(evFile, event, 0o644); err != nil {
		return 0, 0, err
	}
	platformEnv := scfPlatformEnv
	if platform == "lambda" {
		// What the emulator sets and the product reads (a SQLite file in a function is ephemeral).
		platformEnv = []string{"AWS_LAMBDA_FUNCTION_NAME=roomhook-bench"}
	}
	out, err := runDriver(ctx, bins, platform, "BenchmarkInstrCold", outDir, slices.Concat(env, platformEnv,
		[]string{"ROOMHOOK_INSTR_EVENT=" + evFile})...)
	if err != nil {
		return 0, 0, err
	}
	if steps := driverLines(out, instr.StepLine); !slices.Equal(steps, []string{"open", "first-request"}) {
		return 0, 0, fmt.Errorf("the driver's steps are %q, want open, first-request:\n%s", steps, out)
	}
	totals, _, err := readDumps(outDir)
	if err != nil {
		return 0, 0, err
	}
	if len(totals) != 3 {
		return 0, 0, fmt.Errorf("%s: %d dumps, want 3 (before, open, first request)", outDir, len(totals))
	}
	return totals[1], totals[2], nil
}

func copyFile(from, to string) error {
	b, err := os.ReadFile(from)
	if err != nil {
		return err
	}
	return os.WriteFile(to, b, 0o644)
}

// toolVersions names what the counts depend on besides the code: Go, valgrind, the platform.
func toolVersions(ctx context.Context) (string, error) {
	out, err := exec.CommandContext(ctx, valgrind, "--version").Output()
	if err != nil {
		return "", err
	}
	return fmt.Sprintf("%s %s %s/%s", runtime.Version(), strings.TrimSpace(string(out)), runtime.GOOS, runtime.GOARCH), nil
}

// writeInstrBaseline writes the product's measures, one line each: "kind platform name count".
func writeInstrBaseline(file, versions string, ms []measure) error {
	var b strings.Builder
	b.WriteString("# Instruction counts scripts/bench.sh instr gates on: a measure more than 3 % above its line\n")
	b.WriteString("# fails. Rewrite with `scripts/bench.sh instr-baseline` when a change is meant to cost more,\n")
	b.WriteString("# and say why in the commit. docs/performance.md, \"Instructions\".\n")
	b.WriteString("# counted with: " + versions + "\n")
	for _, m := range ms {
		if strings.HasSuffix(m.key, " rest") { // a difference of the others, not a count
			continue
		}
		fmt.Fprintf(&b, "%s %.0f\n", m.key, m.product)
	}
	if err := os.WriteFile(file, []byte(b.String()), 0o644); err != nil {
		return err
	}
	note("instr: baselines written to %s", file)
	return nil
}

// gateInstr compares each product measure with its baseline: a gate row per measure, FAIL when
// it is more than instrTolerance above; a measure without a baseline, or a baseline without a
// measure, fails too (the file must follow the code).
func gateInstr(file, versions string, ms []measure) error {
	raw, err := os.ReadFile(file)
	if err != nil {
		return fmt.Errorf("the baselines: %w (write them with scripts/bench.sh instr-baseline)", err)
	}
	base, counted, err := parseBaseline(string(raw))
	if err != nil {
		return fmt.Errorf("%s: %w", file, err)
	}
	if counted != versions {
		note("instr: the baselines were counted with %q, this run with %q: a new Go or valgrind moves counts; rewrite them if so", counted, versions)
	}
	budget := fmt.Sprintf("<= baseline + %.0f%%", instrTolerance*100)
	failed := 0
	for _, m := range ms {
		if strings.HasSuffix(m.key, " rest") {
			continue
		}
		b, ok := base[m.key]
		delete(base, m.key)
		if !ok {
			row("gate "+m.key, count(m.product), "-", "-", "a baseline line", false)
			failed++
			continue
		}
		pass := withinBaseline(m.product, b)
		row("gate "+m.key, count(m.product), count(b), fmt.Sprintf("%+.2f%%", 100*(m.product/b-1)), budget, pass)
		if !pass {
			failed++
		}
		if m.product < b*(1-instrTolerance) {
			// A baseline left above a cut would let a later regression hide under it.
			note("instr: %s is %.1f %% below its baseline: rewrite the baselines (scripts/bench.sh instr-baseline) to keep the gate tight", m.key, 100*(1-m.product/b))
		}
	}
	for k, b := range base {
		row("gate "+k, "not measured", count(b), "-", "measured", false)
		failed++
	}
	if failed > 0 {
		return fmt.Errorf("instr: %d measures fail the gate against %s", failed, instrBaselineFile)
	}
	return nil
}

// withinBaseline is the gate's verdict on a count against its baseline.
func withinBaseline(v, baseline float64) bool { return v <= baseline*(1+instrTolerance) }

// parseBaseline reads the baseline file's lines "kind platform name count" ('#' starts a
// comment) and the versions its "# counted with: " line names.
func parseBaseline(raw string) (base map[string]float64, counted string, err error) {
	base = map[string]float64{}
	for line := range strings.Lines(raw) {
		line = strings.TrimSpace(line)
		if v, ok := strings.CutPrefix(line, "# counted with: "); ok {
			counted = v
		}
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		i := strings.LastIndexByte(line, ' ')
		if i < 0 {
			return nil, "", fmt.Errorf("a line is not \"kind platform name count\": %q", line)
		}
		v, err := strconv.ParseFloat(line[i+1:], 64)
		if err != nil || math.IsInf(v, 0) || math.IsNaN(v) || v <= 0 || len(strings.Fields(line[:i])) != 3 {
			return nil, "", fmt.Errorf("a line is not \"kind platform name count\": %q", line)
		}
		if _, dup := base[line[:i]]; dup {
			return nil, "", fmt.Errorf("%q twice", line[:i])
		}
		base[line[:i]] = v
	}
	return base, counted, nil
}
