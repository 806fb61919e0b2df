package main

import (
	"debug/elf"
	"fmt"
	"os"
	"sort"
	"strings"
)

// sizePkg prints the bytes an unstripped ELF binary's symbols take in the file (sections
// without file contents, .bss and .noptrbss, are left out), grouped by package, and
// third-party modules by their first three path elements; the top n and the total.
// pclntab and other linker-made tables are not attributed to packages.
func sizePkg(bin string, n int) error {
	f, err := elf.Open(bin)
	if err != nil {
		return err
	}
	defer f.Close()
	syms, err := f.Symbols()
	if err != nil {
		return err
	}
	sum := map[string]uint64{}
	var total uint64
	for _, s := range syms {
		if s.Size == 0 || int(s.Section) >= len(f.Sections) || s.Section == elf.SHN_UNDEF {
			continue
		}
		if f.Sections[s.Section].Type == elf.SHT_NOBITS {
			continue
		}
		p := pkgOf(s.Name)
		sum[p] += s.Size
		total += s.Size
	}
	keys := make([]string, 0, len(sum))
	for k := range sum {
		keys = append(keys, k)
	}
	sort.Slice(keys, func(i, j int) bool { return sum[keys[i]] > sum[keys[j]] })
	for i, k := range keys {
		if i == n {
			break
		}
		fmt.Printf("%10.2f MB  %s\n", float64(sum[k])/(1<<20), k)
	}
	fmt.Printf("%10.2f MB  TOTAL (symbols in file; file %s)\n", float64(total)/(1<<20), fileSize(bin))
	return nil
}

func fileSize(p string) string {
	st, err := os.Stat(p)
	if err != nil {
		return "?"
	}
	return mib(st.Size())
}

func pkgOf(name string) string {
	switch {
	case strings.HasPrefix(name, "go:func."):
		return "(funcdata)"
	case strings.HasPrefix(name, "type:"), strings.HasPrefix(name, "go:type"):
		return "(type descriptors)"
	case strings.HasPrefix(name, "go:"), strings.HasPrefix(name, "runtime."):
		return "runtime"
	}
	slash := strings.LastIndex(name, "/")
	dot := strings.Index(name[slash+1:], ".")
	p := name
	if dot >= 0 {
		p = name[:slash+1+dot]
	}
	parts := strings.Split(p, "/")
	if len(parts) > 3 && strings.Contains(parts[0], ".") {
		p = strings.Join(parts[:3], "/")
	}
	return p
}
