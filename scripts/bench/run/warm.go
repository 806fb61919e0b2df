package main

import (
	"bufio"
	"fmt"
	"os"
	"regexp"
	"sort"
	"strconv"
	"strings"
)

var benchLine = regexp.MustCompile(`^Benchmark(Warm\S*?)(-\d+)?\s+\d+\s+([\d.]+) ns/op.*?\s(\d+) allocs/op`)

// warm compares the medians of BenchmarkWarmProduct/<shape> with BenchmarkWarmFloor:
// budget ns/op and allocs/op each ≤ the floor's.
func warm(file, label string) error {
	f, err := os.Open(file)
	if err != nil {
		return err
	}
	defer f.Close()
	ns := map[string][]float64{}
	allocs := map[string][]float64{}
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		m := benchLine.FindStringSubmatch(sc.Text())
		if m == nil {
			continue
		}
		v, _ := strconv.ParseFloat(m[3], 64)
		a, _ := strconv.ParseFloat(m[4], 64)
		ns[m[1]] = append(ns[m[1]], v)
		allocs[m[1]] = append(allocs[m[1]], a)
	}
	floorNs, floorAllocs := median(ns["WarmFloor"]), median(allocs["WarmFloor"])
	if len(ns["WarmFloor"]) == 0 {
		return fmt.Errorf("%s: no BenchmarkWarmFloor lines", file)
	}
	var names []string
	for k := range ns {
		if strings.HasPrefix(k, "WarmProduct/") {
			names = append(names, k)
		}
	}
	if len(names) == 0 {
		return fmt.Errorf("%s: no BenchmarkWarmProduct lines", file)
	}
	sort.Strings(names)
	for _, k := range names {
		shape := strings.TrimPrefix(k, "WarmProduct/")
		p := median(ns[k])
		row("warm "+label+" ns/op "+shape, fmt.Sprintf("%.0f", p), fmt.Sprintf("%.0f", floorNs), ratio(p, floorNs), "<= floor", p <= floorNs)
		pa := median(allocs[k])
		row("warm "+label+" allocs/op "+shape, fmt.Sprintf("%.0f", pa), fmt.Sprintf("%.0f", floorAllocs), ratio(pa, floorAllocs), "<= floor", pa <= floorAllocs)
	}
	return nil
}
