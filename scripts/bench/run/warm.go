package main

import (
	"bufio"
	"fmt"
	"os"
	"regexp"
	"slices"
	"sort"
	"strconv"
	"strings"

	"github.com/roomhook/roomhook/functions/samples"
)

var benchLine = regexp.MustCompile(`^Benchmark(Warm\S*?)(-\d+)?\s+\d+\s+([\d.]+) ns/op.*?\s(\d+) allocs/op`)

// variantOf names the callback a shape carries. Variants are the callbacks of the samples'
// stories (functions/samples: Story, LiveStory) other than the Room create:
// the floor has one sub-benchmark per variant (BenchmarkWarmFloor/<variant>), and a product
// event shape named <source>-<variant> carries that variant; every other shape carries the
// create, compared with BenchmarkWarmFloor/create-room.
func variantOf(shape string) string {
	best := ""
	for _, s := range slices.Concat(samples.Story[1:], samples.LiveStory) {
		if strings.HasSuffix(shape, "-"+s.Variant) && len(s.Variant) > len(best) {
			best = s.Variant
		}
	}
	if best == "" {
		return samples.Story[0].Variant
	}
	return best
}

// warm compares the medians of BenchmarkWarmProduct/<shape> with the floor's for the same
// callback, BenchmarkWarmFloor/<variant> (BenchmarkWarmFloor when the output has no
// sub-benchmarks): budget ns/op and allocs/op each ≤ the floor's.
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
		fk := "WarmFloor/" + variantOf(shape)
		if len(ns[fk]) == 0 {
			fk = "WarmFloor"
		}
		if len(ns[fk]) == 0 {
			return fmt.Errorf("%s: no BenchmarkWarmFloor lines for %s (%s)", file, shape, fk)
		}
		floorNs, floorAllocs := median(ns[fk]), median(allocs[fk])
		p := median(ns[k])
		row("warm "+label+" ns/op "+shape, fmt.Sprintf("%.0f", p), fmt.Sprintf("%.0f", floorNs), ratio(p, floorNs), "<= floor", p <= floorNs)
		pa := median(allocs[k])
		row("warm "+label+" allocs/op "+shape, fmt.Sprintf("%.0f", pa), fmt.Sprintf("%.0f", floorAllocs), ratio(pa, floorAllocs), "<= floor", pa <= floorAllocs)
	}
	return nil
}
