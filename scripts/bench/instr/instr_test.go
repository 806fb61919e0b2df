package instr

import (
	"errors"
	"strings"
	"testing"
)

func TestRun(t *testing.T) {
	calls := map[string]int{}
	mk := func(name string) Case { return Case{name, func() error { calls[name]++; return nil }} }
	var out strings.Builder
	before := marks
	if err := Run(&out, 3, []Case{mk("a"), mk("b")}); err != nil {
		t.Fatal(err)
	}
	if want := map[string]int{"a": Warmup + 9, "b": Warmup + 9}; calls["a"] != want["a"] || calls["b"] != want["b"] {
		t.Errorf("calls = %v, want %v (warm-up, then n and 2n)", calls, want)
	}
	if got := marks - before; got != 2*DumpsPerCase {
		t.Errorf("%d marks for two cases, want %d: scripts/bench/run reads DumpsPerCase dumps per case", got, 2*DumpsPerCase)
	}
	if out.String() != CaseLine+"a\n"+CaseLine+"b\n" {
		t.Errorf("output %q", out.String())
	}
	boom := errors.New("boom")
	err := Run(&out, 1, []Case{{"c", func() error { return boom }}})
	if !errors.Is(err, boom) || !strings.Contains(err.Error(), "c") {
		t.Errorf("a failing case: %v", err)
	}
}

func TestSteps(t *testing.T) {
	var order []string
	var out strings.Builder
	before := marks
	step := func(name string) Case { return Case{name, func() error { order = append(order, name); return nil }} }
	if err := Steps(&out, []Case{step("open"), step("first-request")}); err != nil {
		t.Fatal(err)
	}
	if strings.Join(order, ",") != "open,first-request" || marks-before != 3 {
		t.Errorf("order %v, %d marks; want each step once between three marks", order, marks-before)
	}
	if out.String() != StepLine+"open\n"+StepLine+"first-request\n" {
		t.Errorf("output %q", out.String())
	}
}

func TestOnly(t *testing.T) {
	cases := []Case{{Name: "product/a"}, {Name: "floor/a"}, {Name: "product/b"}}
	got, err := Only(cases, "^product/")
	if err != nil || len(got) != 2 || got[0].Name != "product/a" || got[1].Name != "product/b" {
		t.Errorf("Only = %v, %v", got, err)
	}
	if all, _ := Only(cases, ""); len(all) != 3 {
		t.Errorf("an empty pattern keeps %d", len(all))
	}
	if _, err := Only(cases, "("); err == nil {
		t.Error("a bad pattern: no error")
	}
}
