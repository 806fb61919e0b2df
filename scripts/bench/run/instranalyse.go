package main

import (
	"bufio"
	"context"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"sort"
	"strconv"
	"strings"

	"github.com/roomhook/roomhook/pkg/callback"
	"github.com/roomhook/roomhook/scripts/bench/instr"
)

// instrAnalyse prints where the instructions go, as callgrind_annotate reports them (each
// function's own instructions, the "self" cost: Go's goroutine switches garble callgrind's
// inclusive costs), then the same summed per package directory: for the product's cold start
// on each platform, package init before main and main to the first answer; for the warm path,
// the create in a function URL event, product and floor, on Lambda (n requests' dump).
func instrAnalyse(ctx context.Context, dir string, n int) error {
	if err := findValgrind(); err != nil {
		return err
	}
	bins, err := buildInstr(ctx, dir)
	if err != nil {
		return err
	}
	for _, p := range instrPlatforms {
		outDir := filepath.Join(dir, "analyse-cold-"+p)
		template, ev, body, err := coldTemplate(ctx, bins, p, outDir)
		if err != nil {
			return err
		}
		env, err := storeCopyEnv(template, filepath.Join(outDir, "start.db"))
		if err != nil {
			return err
		}
		dumps := filepath.Join(outDir, "dumps")
		if _, _, err := coldUnderCallgrind(ctx, bins, p, bins.product[p], env, ev.nextWith(callback.CommandCreateRoom, body), dumps); err != nil {
			return err
		}
		if err := annotate(fmt.Sprintf("cold start, %s, product: package init before main", p), dumpPath(dumps, 1)); err != nil {
			return err
		}
		if err := annotate(fmt.Sprintf("cold start, %s, product: main to the first answer, and the exit", p), dumpPath(dumps, 0)); err != nil {
			return err
		}
	}
	outDir := filepath.Join(dir, "analyse-warm")
	want := []string{"product/functionurl-default", "floor/create-room"}
	out, err := runDriver(ctx, bins, "lambda", "BenchmarkInstr", outDir, "ROOMHOOK_INSTR_N="+strconv.Itoa(n),
		"ROOMHOOK_INSTR_RUN=^("+strings.Join(want, "|")+")$")
	if err != nil {
		return err
	}
	if got := driverLines(out, instr.CaseLine); !slices.Equal(got, want) {
		return fmt.Errorf("instr analyse: the driver ran %q, want %q", got, want)
	}
	for i, name := range want {
		if err := annotate(fmt.Sprintf("warm path, lambda, %s: %d requests", name, n), dumpPath(outDir, i*instr.DumpsPerCase+2)); err != nil {
			return err
		}
	}
	return nil
}

// annotate prints the top 20 functions of a callgrind dump by their own instructions ("self"
// cost, as callgrind_annotate --inclusive=no prints them), then the top 12 package directories.
// The dump is read here rather than through callgrind_annotate, which also lists, as if they
// were their own, the costs of the functions still on the stack at a mid-run dump (the driver's
// loop, runtime.GC) and of goroutine switches Go makes without returns.
func annotate(title, file string) error {
	self, err := selfCosts(file)
	if err != nil {
		return err
	}
	total, err := fileTotal(file)
	if err != nil {
		return err
	}
	fmt.Printf("\n== %s: %s instructions (%s)\n", title, count(total), filepath.Base(file))
	type cost struct {
		name string
		v    float64
	}
	top := func(m map[string]float64, n int) []cost {
		var cs []cost
		for k, v := range m {
			cs = append(cs, cost{k, v})
		}
		sort.Slice(cs, func(i, j int) bool { return cs[i].v > cs[j].v || cs[i].v == cs[j].v && cs[i].name < cs[j].name })
		return cs[:min(n, len(cs))]
	}
	byFn, byPkg := map[string]float64{}, map[string]float64{}
	for k, v := range self {
		byFn[recursion.ReplaceAllString(k.fn, "")] += v
		byPkg[filepath.Dir(strings.TrimPrefix(k.file, "./"))] += v
	}
	for _, c := range top(byFn, 20) {
		fmt.Printf("%12s %5.1f%%  %s\n", count(c.v), 100*c.v/total, c.name)
	}
	fmt.Println("  by package (the directory of the function's source file):")
	for _, c := range top(byPkg, 12) {
		fmt.Printf("%12s %5.1f%%  %s\n", count(c.v), 100*c.v/total, c.name)
	}
	return nil
}

// fnKey is a function as a callgrind dump names it, with the file its code comes from.
type fnKey struct{ file, fn string }

// selfCosts sums a callgrind dump's cost lines per function, leaving out the cost line after
// each "calls=" line (a call's inclusive cost, counted where it is spent). Names may be
// compressed: "fn=(7) name" defines id 7, a later "fn=(7)" refers to it; files (fl=, fi=, fe=)
// share one table.
func selfCosts(file string) (map[fnKey]float64, error) {
	f, err := os.Open(file)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	files, fns := map[string]string{}, map[string]string{}
	name := func(table map[string]string, v string) string {
		if !strings.HasPrefix(v, "(") {
			return v
		}
		id, rest, _ := strings.Cut(v, ")")
		if rest = strings.TrimSpace(rest); rest != "" {
			table[id] = rest
		}
		return table[id]
	}
	self := map[fnKey]float64{}
	var cur fnKey
	skip := false
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	for sc.Scan() {
		line := sc.Text()
		switch {
		case line == "":
		case strings.HasPrefix(line, "fl="):
			cur.file = name(files, line[3:])
		case strings.HasPrefix(line, "fi="), strings.HasPrefix(line, "fe="):
			cur.file = name(files, line[3:]) // inlined code, charged to its own file
		case strings.HasPrefix(line, "fn="):
			cur.fn = name(fns, line[3:])
		case strings.HasPrefix(line, "cfl="), strings.HasPrefix(line, "cfi="):
			name(files, line[4:])
		case strings.HasPrefix(line, "cfn="):
			name(fns, line[4:])
		case strings.HasPrefix(line, "calls="):
			skip = true
		case line[0] >= '0' && line[0] <= '9', line[0] == '+', line[0] == '-', line[0] == '*':
			if skip {
				skip = false
				continue
			}
			fields := strings.Fields(line)
			if len(fields) < 2 {
				continue
			}
			v, err := strconv.ParseFloat(fields[len(fields)-1], 64)
			if err != nil {
				return nil, fmt.Errorf("%s: %q: %w", file, line, err)
			}
			self[cur] += v
		}
	}
	return self, sc.Err()
}

// recursion is callgrind's suffix for a function's deeper recursion levels ("f'2").
var recursion = regexp.MustCompile(`'[0-9]+$`)
