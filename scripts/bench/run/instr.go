package main

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"net"
	"net/rpc"
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

	"github.com/tencentyun/scf-go-lib/cloudfunction/messages"

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
	// Counts do not depend on the machine's load, so the runs share its cores.
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
		row(name+" (exec to first answer)", count(m.product), count(m.floor), ratio(m.product, m.floor),
			fmt.Sprintf("<= %.1fx floor", coldBudget), m.product <= coldBudget*m.floor)
	case m.floor > 0:
		row(name, count(m.product), count(m.floor), ratio(m.product, m.floor), "info", true)
	default:
		row(name, count(m.product), "-", "-", "info", true)
	}
}

// count prints an instruction count with thousands separators.
func count(v float64) string {
	s := strconv.FormatInt(int64(v+0.5), 10)
	var b strings.Builder
	for i, c := range s {
		if i > 0 && (len(s)-i)%3 == 0 {
			b.WriteByte(',')
		}
		b.WriteRune(c)
	}
	return b.String()
}

// buildInstr builds the function binaries and the function packages' test binaries with the
// release flags, keeping the symbol table (symbolFlags), and the Lambda emulator.
func buildInstr(ctx context.Context, dir string) (*instrBins, error) {
	root, err := localinvoke.ModuleRoot(ctx)
	if err != nil {
		return nil, err
	}
	b := &instrBins{root: root, product: map[string]string{}, floor: map[string]string{}, tests: map[string]string{}}
	flags := symbolFlags()
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
		cmd := exec.CommandContext(ctx, "go", args...)
		cmd.Dir = root
		cmd.Env = append(os.Environ(), "CGO_ENABLED=0")
		if out, err := cmd.CombinedOutput(); err != nil {
			return nil, fmt.Errorf("go %s: %v\n%s", strings.Join(args, " "), err, out)
		}
	}
	if b.rie, err = localinvoke.BuildRIE(ctx, filepath.Join(dir, "rie")); err != nil {
		return nil, err
	}
	return b, nil
}

// symbolFlags are the release build flags (localinvoke.BuildFlags) without -s and -w, which
// drop the symbol table and DWARF: callgrind needs the symbols to name functions and to find
// its marks, and the code, hence the count, is the same with them.
func symbolFlags() []string {
	flags := localinvoke.BuildFlags()
	for i := 1; i < len(flags); i++ {
		if flags[i-1] == "-ldflags" {
			flags[i] = strings.Join(slices.DeleteFunc(strings.Fields(flags[i]), func(f string) bool { return f == "-s" || f == "-w" }), " ")
		}
	}
	return flags
}

// callgrind is the valgrind command line counting a process's instructions into outDir, with
// the marks given (--dump-before=…, --dump-after=…).
func callgrind(outDir string, marks ...string) []string {
	return append([]string{valgrind, "-q", "--tool=callgrind", "--callgrind-out-file=" + filepath.Join(outDir, "cg.%p")}, marks...)
}

// dumpTotals returns the totals of the callgrind dumps in outDir of the one process that wrote
// there, in order (1, 2, …), waiting up to wait for the first want of them to be complete.
func dumpTotals(outDir string, want int, wait time.Duration) ([]float64, error) {
	deadline := time.Now().Add(wait)
	for {
		var totals []float64
		for k := 1; ; k++ {
			matches, _ := filepath.Glob(filepath.Join(outDir, "cg.*."+strconv.Itoa(k)))
			if len(matches) != 1 {
				break
			}
			t, ok := fileTotal(matches[0])
			if !ok {
				break
			}
			totals = append(totals, t)
		}
		if len(totals) >= want {
			return totals, nil
		}
		if time.Now().After(deadline) {
			return totals, fmt.Errorf("%s: %d complete callgrind dumps, want %d", outDir, len(totals), want)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// waitTotal waits for the callgrind dump file to be complete and returns its total.
func waitTotal(file string, wait time.Duration) (float64, error) {
	for deadline := time.Now().Add(wait); ; time.Sleep(50 * time.Millisecond) {
		if t, ok := fileTotal(file); ok {
			return t, nil
		}
		if time.Now().After(deadline) {
			return 0, fmt.Errorf("%s: no complete callgrind dump", file)
		}
	}
}

// fileTotal reads a callgrind dump's "totals:" line, written last.
func fileTotal(path string) (float64, bool) {
	f, err := os.Open(path)
	if err != nil {
		return 0, false
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	for sc.Scan() {
		if v, ok := strings.CutPrefix(sc.Text(), "totals: "); ok {
			t, err := strconv.ParseFloat(strings.Fields(v)[0], 64)
			return t, err == nil
		}
	}
	return 0, false
}

// instrWarm runs platform's BenchmarkInstr under callgrind: per case, instructions per request
// is the mean over its 3n requests (the n-loop's dump plus the 2n-loop's, over 3n). The loops
// run between dumps, after a collection, so no fixed cost is in them for a difference of the
// two to cancel; (I(2n) − I(n)) / n, the other estimator, is checked against the mean and
// repeats only to about ±2 % against the mean's ±0.6 %.
func instrWarm(ctx context.Context, bins *instrBins, platform string, n int, outDir string) ([]measure, error) {
	if err := os.MkdirAll(outDir, 0o755); err != nil {
		return nil, err
	}
	args := append(callgrind(outDir, "--dump-before="+instr.MarkSymbol), bins.tests[platform],
		"-test.run=^$", "-test.bench=^BenchmarkInstr$", "-test.benchtime=1x")
	cmd := exec.CommandContext(ctx, args[0], args[1:]...)
	cmd.Dir = filepath.Join(bins.root, "functions", platform) // the goldens are read from events/
	cmd.Env = append(append(os.Environ(), instr.Env...), "ROOMHOOK_INSTR_N="+strconv.Itoa(n))
	note("instr: warm %s, n=%d, under callgrind", platform, n)
	out, err := cmd.CombinedOutput()
	if err != nil {
		return nil, fmt.Errorf("instr warm %s: %v\n%s", platform, err, out)
	}
	var names []string
	for line := range strings.Lines(string(out)) {
		if name, ok := strings.CutPrefix(strings.TrimSpace(line), instr.CaseLine); ok {
			names = append(names, name)
		}
	}
	if len(names) == 0 {
		return nil, fmt.Errorf("instr warm %s: the driver named no case:\n%s", platform, out)
	}
	totals, err := dumpTotals(outDir, len(names)*instr.DumpsPerCase, time.Second)
	if err != nil {
		return nil, err
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
				db := filepath.Join(outDir, fmt.Sprintf("start-%d.db", i))
				if err := copyFile(template, db); err != nil {
					return nil, err
				}
				// Callgrind runs the process some fifty times slower than the machine does.
				bin, env = bins.product[platform], append(productEnv("sqlite://"+db), "ROOMHOOK_STORE_TIMEOUT=60s")
			}
			dumps := filepath.Join(outDir, fmt.Sprintf("start-%d-%v", i, floor))
			event := ev.nextWith(callback.CommandCreateRoom, body)
			parts, err := coldUnderCallgrind(ctx, bins, platform, bin, env, event, dumps)
			if err != nil {
				return nil, fmt.Errorf("instr cold %s %s: %w", platform, filepath.Base(bin), err)
			}
			sum := 0.0
			for _, p := range parts {
				sum += p
			}
			if floor {
				floorInit, floorTotal = append(floorInit, parts[0]), append(floorTotal, sum)
			} else {
				init, total = append(init, parts[0]), append(total, sum)
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
// and returns the counts from exec to main.main, and from main.main to the process's end: it
// is stopped with SIGTERM once it has answered and settled, so that second part is main to the
// answer, the runtime's turn to wait for the next event, and the exit. (Marks at the answer
// itself fire wrongly in Go: a function entered again after its stack grew, or left by a
// goroutine switch, looks to callgrind like a new call or a return.)
func coldUnderCallgrind(ctx context.Context, bins *instrBins, platform, bin string, env []string, event []byte, outDir string) ([]float64, error) {
	if err := os.MkdirAll(outDir, 0o755); err != nil {
		return nil, err
	}
	argv := append(callgrind(outDir, "--dump-before=main.main"), bin)
	answer := func() (func(), error) { return answerLambda(ctx, bins.rie, argv, env, event, outDir) }
	if platform == "scf" {
		answer = func() (func(), error) {
			return answerSCF(argv, append(append(env, scfPlatformEnv...), instr.Env...), event)
		}
	}
	stop, err := answer()
	if err != nil {
		return nil, err
	}
	defer stop()
	time.Sleep(settle)
	totals, err := dumpTotals(outDir, 1, time.Minute)
	if err != nil {
		return nil, err
	}
	// The process is the one that wrote the dumps (valgrind runs it in its own process, under
	// the Lambda emulator too); callgrind writes the rest when it ends.
	m, _ := filepath.Glob(filepath.Join(outDir, "cg.*.1"))
	pid, err := strconv.Atoi(strings.TrimSuffix(strings.TrimPrefix(filepath.Base(m[0]), "cg."), ".1"))
	if err != nil {
		return nil, err
	}
	if err := syscall.Kill(pid, syscall.SIGTERM); err != nil {
		return nil, err
	}
	rest, err := waitTotal(filepath.Join(outDir, "cg."+strconv.Itoa(pid)), time.Minute)
	if err != nil {
		return nil, err
	}
	return []float64{totals[0], rest}, nil
}

// answerSCF runs argv as SCF's Go runtime does (_LAMBDA_SERVER_PORT) and calls Function.Invoke
// once over net/rpc with event. Once answered, stop kills the process.
func answerSCF(argv, env []string, event []byte) (stop func(), err error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	port := strconv.Itoa(l.Addr().(*net.TCPAddr).Port)
	l.Close()
	cmd := exec.Command(argv[0], argv[1:]...)
	cmd.Env = append(env, "_LAMBDA_SERVER_PORT="+port)
	var out lockedBuffer
	cmd.Stdout, cmd.Stderr = &out, &out
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	if err := cmd.Start(); err != nil {
		return nil, err
	}
	exited := make(chan error, 1)
	go func() { exited <- cmd.Wait() }()
	stop = func() {
		_ = syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL)
		<-exited
	}
	var conn net.Conn
	for t0 := time.Now(); ; {
		if conn, err = net.DialTimeout("tcp", "127.0.0.1:"+port, time.Second); err == nil {
			break
		}
		select {
		case err := <-exited:
			return nil, fmt.Errorf("exited before listening: %v: %s", err, out.bytes())
		case <-time.After(20 * time.Millisecond):
		}
		if time.Since(t0) > time.Minute {
			stop()
			return nil, errors.New("not listening after a minute under callgrind")
		}
	}
	client := rpc.NewClient(conn)
	defer client.Close()
	deadline := time.Now().Add(time.Minute)
	req := &messages.InvokeRequest{
		Payload: event, RequestId: "instr-cold",
		Deadline:     messages.InvokeRequest_Timestamp{Seconds: deadline.Unix(), Nanos: int64(deadline.Nanosecond())},
		FunctionName: "roomhook-bench", FunctionVersion: "$LATEST", Namespace: "default",
		MemoryLimitInMb: 128, TimeLimitInMs: 60000,
	}
	var resp messages.InvokeResponse
	call := client.Go("Function.Invoke", req, &resp, nil)
	select {
	case <-call.Done:
	case <-time.After(time.Minute):
		err = errors.New("no answer within a minute under callgrind")
	}
	switch {
	case err != nil:
	case call.Error != nil:
		err = call.Error
	case resp.Error != nil:
		err = fmt.Errorf("function error: %s", resp.Error.Message)
	case !isOK(resp.Payload):
		err = fmt.Errorf("first answer not OK: %s\n%s", resp.Payload, out.bytes())
	}
	if err != nil {
		stop()
		return nil, err
	}
	return stop, nil
}

// answerLambda runs argv as the bootstrap of the Lambda emulator (through a script that execs
// it: the emulator runs one command) and invokes it once with event. Once answered, stop
// closes the emulator, which kills the function.
func answerLambda(ctx context.Context, rie string, argv, env []string, event []byte, outDir string) (stop func(), err error) {
	script := filepath.Join(outDir, "bootstrap")
	envPath, err := exec.LookPath("env")
	if err != nil {
		return nil, err
	}
	var b strings.Builder
	b.WriteString("#!/bin/sh\nexec " + shellQuote(envPath))
	for _, kv := range instr.Env {
		b.WriteString(" " + shellQuote(kv))
	}
	for _, a := range argv {
		b.WriteString(" " + shellQuote(a))
	}
	b.WriteString("\n")
	if err := os.WriteFile(script, []byte(b.String()), 0o755); err != nil {
		return nil, err
	}
	var log lockedBuffer
	rt, err := localinvoke.StartLambda(ctx, rie, script, localinvoke.Options{
		Env: append(env, "AWS_LAMBDA_FUNCTION_TIMEOUT=60"), Stderr: &log})
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
	db, evFile := filepath.Join(outDir, "store.db"), filepath.Join(outDir, "event.json")
	if err := copyFile(template, db); err != nil {
		return 0, 0, err
	}
	if err := os.WriteFile(evFile, event, 0o644); err != nil {
		return 0, 0, err
	}
	args := append(callgrind(outDir, "--dump-before="+instr.MarkSymbol), bins.tests[platform],
		"-test.run=^$", "-test.bench=^BenchmarkInstrCold$", "-test.benchtime=1x")
	cmd := exec.CommandContext(ctx, args[0], args[1:]...)
	cmd.Dir = filepath.Join(bins.root, "functions", platform)
	platformEnv := scfPlatformEnv
	if platform == "lambda" {
		// What the emulator sets and the product reads (a SQLite file in a function is ephemeral).
		platformEnv = []string{"AWS_LAMBDA_FUNCTION_NAME=roomhook-bench"}
	}
	cmd.Env = append(append(append(productEnv("sqlite://"+db), platformEnv...), instr.Env...),
		"ROOMHOOK_STORE_TIMEOUT=60s", "ROOMHOOK_INSTR_EVENT="+evFile, "PATH="+os.Getenv("PATH"))
	out, err := cmd.CombinedOutput()
	if err != nil {
		return 0, 0, fmt.Errorf("%v\n%s", err, out)
	}
	if !strings.Contains(string(out), instr.StepLine+"first-request") {
		return 0, 0, fmt.Errorf("the driver named no steps:\n%s", out)
	}
	totals, err := dumpTotals(outDir, 3, time.Second)
	if err != nil {
		return 0, 0, err
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
	out, err := exec.CommandContext(ctx, "valgrind", "--version").Output()
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
	for _, m := range ms {
		if strings.HasSuffix(m.key, " rest") {
			continue
		}
		b, ok := base[m.key]
		delete(base, m.key)
		if !ok {
			row("gate "+m.key, count(m.product), "-", "-", "a baseline line", false)
			continue
		}
		row("gate "+m.key, count(m.product), count(b), fmt.Sprintf("%+.2f%%", 100*(m.product/b-1)), budget, withinBaseline(m.product, b))
	}
	for k, b := range base {
		row("gate "+k, "not measured", count(b), "-", "measured", false)
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
		if err != nil || len(strings.Fields(line[:i])) != 3 {
			return nil, "", fmt.Errorf("a line is not \"kind platform name count\": %q", line)
		}
		if _, dup := base[line[:i]]; dup {
			return nil, "", fmt.Errorf("%q twice", line[:i])
		}
		base[line[:i]] = v
	}
	return base, counted, nil
}
