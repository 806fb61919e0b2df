// Package instr is the in-process side of `scripts/bench.sh instr`, which counts the
// instructions roomhook executes with valgrind's callgrind (docs/performance.md, "Instructions").
// A test binary of a function package runs its cases through Run under callgrind started with
// --dump-before=MarkSymbol: callgrind writes its counters to a new file, and zeroes them, each
// time Mark is entered, so every loop between two marks is one file of its own. scripts/bench/run
// reads the files in order and turns them into instructions per request.
//
// Instruction counts do not move with the host's load the way times do, so they can gate CI on
// a shared machine. They repeat only when the process does the same work each time, which is
// why callgrind runs the binary with Env: one P, no garbage collector, no asynchronous
// preemption (its signal aborts callgrind).
package instr

import (
	"errors"
	"fmt"
	"io"
	"os"
	"regexp"
	"runtime"
	"strconv"
	"testing"
)

// MarkSymbol is Mark's symbol in a Go binary, for callgrind's --dump-before.
const MarkSymbol = "github.com/roomhook/roomhook/scripts/bench/instr.Mark"

// Env is the environment a Go process runs with under callgrind. GOMAXPROCS=1 keeps one
// goroutine running at a time; GOGC=off keeps the collector's cycles, which fall wherever the
// heap's growth puts them, out of the counts; asyncpreemptoff stops the runtime's preemption
// signal, which aborts callgrind; cpu.rdtscp=off keeps the runtime off RDTSCP, an instruction
// valgrind does not emulate (SIGILL, with a partial count).
var Env = []string{"GOMAXPROCS=1", "GOGC=off", "GODEBUG=asyncpreemptoff=1,cpu.rdtscp=off"}

// Case is one measured request: Do handles it once and fails if it got no answer (Cases checks
// once, before the loops, that the answer is the expected one).
type Case struct {
	Name string
	Do   func() error
}

// Warmup is how many times Run sends a case's request before counting: the first requests run
// code once (lazy tables, pools filling) that later ones do not.
const Warmup = 10

// DumpsPerCase is how many of callgrind's dumps Run makes per case; the second holds the n
// requests, the fourth the 2n.
const DumpsPerCase = 4

// CaseLine starts each line Run writes, one per case in the order of the marks.
const CaseLine = "instr case "

// Run measures each case in turn: Warmup requests, a line "instr case NAME" on w, then for k = n
// and k = 2n a collection, Mark, k requests, Mark. Under callgrind that is four dumps per case,
// in order (DumpsPerCase): everything before the case's first loop, its n requests, its second
// collection, its 2n requests. A failing request stops Run with its error.
func Run(w io.Writer, n int, cases []Case) error {
	for _, c := range cases {
		for range Warmup {
			if err := c.Do(); err != nil {
				return fmt.Errorf("%s: %w", c.Name, err)
			}
		}
		fmt.Fprintf(w, "%s%s\n", CaseLine, c.Name)
		for _, k := range []int{n, 2 * n} {
			// Each loop starts from a collected, swept heap: with the collector off the heap
			// would only grow, taking fresh pages from the OS at points the loops do not
			// control. The collection is counted in a dump of its own, which scripts/bench/run
			// discards.
			runtime.GC()
			Mark()
			if err := loop(c, k); err != nil {
				return err
			}
			Mark()
		}
	}
	return nil
}

func loop(c Case, n int) error {
	for range n {
		if err := c.Do(); err != nil {
			return fmt.Errorf("%s: %w", c.Name, err)
		}
	}
	return nil
}

// marks counts Mark's calls, so that the call has an effect and is kept.
var marks int

// Mark is where callgrind dumps its counters (--dump-before=MarkSymbol). It must stay a real
// call: never inlined.
//
//go:noinline
func Mark() { marks++ }

// StepLine starts each line Steps writes, one per step in the order of the marks.
const StepLine = "instr step "

// Steps runs each step once, in a fresh process's order: the steps' names on w, then Mark,
// step 1, Mark, step 2, …, Mark. Under callgrind that is one dump of everything before, then one
// per step. It is for work that only a process's first time measures, such as a cold start's
// opening of its store and its first request. A failing step stops Steps with its error.
func Steps(w io.Writer, steps []Case) error {
	for _, s := range steps {
		fmt.Fprintf(w, "%s%s\n", StepLine, s.Name)
	}
	Mark()
	for _, s := range steps {
		if err := s.Do(); err != nil {
			return fmt.Errorf("%s: %w", s.Name, err)
		}
		Mark()
	}
	return nil
}

// Only keeps the cases whose name pattern matches (a regular expression; "" keeps all), so
// that a run can count a few: scripts/bench.sh analyse annotates one case's requests.
func Only(cases []Case, pattern string) ([]Case, error) {
	if pattern == "" {
		return cases, nil
	}
	re, err := regexp.Compile(pattern)
	if err != nil {
		return nil, err
	}
	var kept []Case
	for _, c := range cases {
		if re.MatchString(c.Name) {
			kept = append(kept, c)
		}
	}
	return kept, nil
}

// Bench is a function package's BenchmarkInstr, the driver of the warm measure: with
// ROOMHOOK_INSTR_N=n, under callgrind, it runs the product's cases (named "product/<name>")
// and the floor's ("floor/<name>") through Run, only those whose name ROOMHOOK_INSTR_RUN
// matches when it is set. Without ROOMHOOK_INSTR_N it skips: outside callgrind it measures
// nothing.
func Bench(b *testing.B, cases func() (product, floor []Case)) {
	n, err := strconv.Atoi(os.Getenv("ROOMHOOK_INSTR_N"))
	if err != nil || n < 1 {
		b.Skip("the driver of scripts/bench.sh instr: set ROOMHOOK_INSTR_N and run it under callgrind")
	}
	product, floor := cases()
	var all []Case
	for _, c := range product {
		all = append(all, Case{Name: "product/" + c.Name, Do: c.Do})
	}
	for _, c := range floor {
		all = append(all, Case{Name: "floor/" + c.Name, Do: c.Do})
	}
	if all, err = Only(all, os.Getenv("ROOMHOOK_INSTR_RUN")); err != nil {
		b.Fatal(err)
	}
	if err := Run(os.Stdout, n, all); err != nil {
		b.Fatal(err)
	}
}

// BenchCold is a function package's BenchmarkInstrCold, the driver of the cold start's split:
// in a fresh process under callgrind, the two steps main takes after package init, each between
// marks (Steps): "open", where open builds the function as main does (configuration from the
// environment, the store opened and waited for) and returns how it answers an event, and
// "first-request", the event in the file ROOMHOOK_INSTR_EVENT answered. Skipped without it.
func BenchCold(b *testing.B, open func() (answer func(event []byte) error, err error)) {
	file := os.Getenv("ROOMHOOK_INSTR_EVENT")
	if file == "" {
		b.Skip("the driver of scripts/bench.sh instr: set ROOMHOOK_INSTR_EVENT and run it under callgrind")
	}
	event, err := os.ReadFile(file)
	if err != nil {
		b.Fatal(err)
	}
	var answer func([]byte) error
	err = Steps(os.Stdout, []Case{
		{Name: "open", Do: func() (err error) {
			answer, err = open()
			return err
		}},
		{Name: "first-request", Do: func() error { return answer(event) }},
	})
	if err != nil {
		b.Fatal(err)
	}
}

// Request is one request of a measured case: Invoke answers it.
type Request struct {
	Name   string
	Invoke func() ([]byte, error)
}

// errNoAnswer is a request answered with nothing.
var errNoAnswer = errors.New("an empty answer")

// Cases makes each request a Case, after checking once that ok accepts its answer. The Case
// itself checks only that an answer came, so that checking costs the product and the floor
// nothing in the loops (converting the answer to search it is an allocation).
func Cases(tb testing.TB, ok func([]byte) bool, reqs []Request) []Case {
	tb.Helper()
	var cases []Case
	for _, r := range reqs {
		out, err := r.Invoke()
		if err != nil || !ok(out) {
			tb.Fatalf("%s: not the expected answer: %s (%v)", r.Name, out, err)
		}
		cases = append(cases, Case{Name: r.Name, Do: func() error {
			out, err := r.Invoke()
			if err == nil && len(out) == 0 {
				err = errNoAnswer
			}
			return err
		}})
	}
	return cases
}

// Benchmark runs each case as a sub-benchmark, allocations reported: the warm benchmarks in
// time (BenchmarkWarmProduct, BenchmarkWarmFloor) of the function packages.
func Benchmark(b *testing.B, cases []Case) {
	for _, c := range cases {
		b.Run(c.Name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				if err := c.Do(); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
