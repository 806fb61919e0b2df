package main

import (
	"os"
	"path/filepath"
	"reflect"
	"testing"
)

// A callgrind dump as callgrind 3.19 writes one for a Go binary: compressed names, code
// inlined from another file (fi=/fe=), and calls whose inclusive cost must not count as the
// caller's own.
const dump = `# callgrind format
version: 1
creator: callgrind-3.19.0
positions: line
events: Ir
summary: 900

ob=(1) /bin/x
fl=(1) ./main.go
fn=(1) main.main
10 100
+2 50
cfl=(2) ./pkg/a.go
cfn=(2) pkg.A
calls=3 5
12 700
fi=(3) ./pkg/inl.go
20 25
fe=(1)
-1 25

fl=(2)
fn=(2)
5 600
cfn=(3) pkg.B'2
calls=1 9
6 100
fn=(3)
9 100
totals: 900
`

func TestSelfCosts(t *testing.T) {
	file := filepath.Join(t.TempDir(), "cg.1.1")
	if err := os.WriteFile(file, []byte(dump), 0o644); err != nil {
		t.Fatal(err)
	}
	got, err := selfCosts(file)
	if err != nil {
		t.Fatal(err)
	}
	want := map[fnKey]float64{
		{"./main.go", "main.main"}:    175,
		{"./pkg/inl.go", "main.main"}: 25,
		{"./pkg/a.go", "pkg.A"}:       600,
		{"./pkg/a.go", "pkg.B'2"}:     100,
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("selfCosts = %v, want %v", got, want)
	}
	sum := 0.0
	for _, v := range got {
		sum += v
	}
	if total, err := fileTotal(file); err != nil || total != sum {
		t.Errorf("the self costs add up to %v, the dump's total is %v (%v)", sum, total, err)
	}
}

// A dump callgrind is still writing (it flushes 8 KiB at a time) is not read as complete.
func TestFileTotalIncomplete(t *testing.T) {
	dir := t.TempDir()
	for name, body := range map[string]string{
		"cut":   "events: Ir\ntotals: 77",
		"empty": "events: Ir\ntotals: \n",
		"none":  "events: Ir\nfn=(1) f\n1 2\n",
		"inf":   "events: Ir\ntotals: Inf\n",
	} {
		file := filepath.Join(dir, name)
		if err := os.WriteFile(file, []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
		if v, err := fileTotal(file); err == nil {
			t.Errorf("%s: fileTotal = %v, want an error", name, v)
		}
	}
}

func TestParseBaseline(t *testing.T) {
	base, counted, err := parseBaseline("# header\n# counted with: go1.26.8 valgrind-3.19.0 linux/amd64\nwarm lambda apigateway-http 191127\ncold scf total 8584533\n\n")
	if err != nil {
		t.Fatal(err)
	}
	if counted != "go1.26.8 valgrind-3.19.0 linux/amd64" {
		t.Errorf("counted = %q", counted)
	}
	if want := map[string]float64{"warm lambda apigateway-http": 191127, "cold scf total": 8584533}; !reflect.DeepEqual(base, want) {
		t.Errorf("base = %v, want %v", base, want)
	}
	for _, bad := range []string{"warm lambda 12\n", "warm lambda x y\n", "warm lambda x 1\nwarm lambda x 2\n", "nonsense\n",
		"warm lambda x Inf\n", "warm lambda x NaN\n", "warm lambda x 0\n", "warm lambda x -5\n"} {
		if _, _, err := parseBaseline(bad); err == nil {
			t.Errorf("parseBaseline(%q) = nil error", bad)
		}
	}
}

func TestWithinBaseline(t *testing.T) {
	for _, c := range []struct {
		v, base float64
		want    bool
	}{{100, 100, true}, {103, 100, true}, {103.1, 100, false}, {50, 100, true}} {
		if got := withinBaseline(c.v, c.base); got != c.want {
			t.Errorf("withinBaseline(%v, %v) = %v", c.v, c.base, got)
		}
	}
}

func TestCount(t *testing.T) {
	for v, want := range map[float64]string{0: "0", 999: "999", 1000: "1,000", 7774316: "7,774,316", -123456: "-123,456", 1234.5: "1,235"} {
		if got := count(v); got != want {
			t.Errorf("count(%v) = %q, want %q", v, got, want)
		}
	}
}

func TestDumpPath(t *testing.T) {
	dir := t.TempDir()
	for _, name := range []string{"cg.123", "cg.123.1", "cg.123.2", "cg.123.10", "template.db"} {
		if err := os.WriteFile(filepath.Join(dir, name), nil, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	for k, want := range map[int]string{0: "cg.123", 1: "cg.123.1", 2: "cg.123.2", 10: "cg.123.10"} {
		if got := filepath.Base(dumpPath(dir, k)); got != want {
			t.Errorf("dumpPath(%d) = %s, want %s", k, got, want)
		}
	}
	if got := dumpPath(dir, 3); filepath.Base(got) == "cg.123.3" || fileExists(got) {
		t.Errorf("dumpPath(3) = %s, want a path that does not exist", got)
	}
	if parts, final := dumpFiles(dir); len(parts) != 3 || filepath.Base(final) != "cg.123" {
		t.Errorf("dumpFiles = %v, %s; want parts 1, 2, 10 and cg.123", parts, final)
	}
}

func fileExists(path string) bool {
	_, err := os.Stat(path)
	return err == nil
}
