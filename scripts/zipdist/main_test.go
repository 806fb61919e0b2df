package main

import (
	"archive/zip"
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func TestWriteZipIsReproducible(t *testing.T) {
	content := bytes.Repeat([]byte("roomhook\x00"), 1000)
	modified, err := timestamp("")
	if err != nil {
		t.Fatal(err)
	}
	var a, b bytes.Buffer
	entries := []entry{{name: "main", content: content}, {name: "scf_bootstrap", content: []byte("#!/bin/bash\nexec ./main\n")}}
	if err := writeZip(&a, entries, modified); err != nil {
		t.Fatal(err)
	}
	time.Sleep(1100 * time.Millisecond) // a zip that took the clock would differ now
	if err := writeZip(&b, entries, modified); err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(a.Bytes(), b.Bytes()) {
		t.Fatal("two zips of the same content differ")
	}
	zr, err := zip.NewReader(bytes.NewReader(a.Bytes()), int64(a.Len()))
	if err != nil {
		t.Fatal(err)
	}
	if len(zr.File) != len(entries) {
		t.Fatalf("%d entries, want %d", len(zr.File), len(entries))
	}
	for i, f := range zr.File {
		if f.Name != entries[i].name || f.Mode() != 0o755 || !f.Modified.Equal(modified) {
			t.Errorf("entry %s, mode %v, modified %v; want %s, 0755, %v", f.Name, f.Mode(), f.Modified, entries[i].name, modified)
		}
		rc, err := f.Open()
		if err != nil {
			t.Fatal(err)
		}
		var got bytes.Buffer
		if _, err := got.ReadFrom(rc); err != nil || !bytes.Equal(got.Bytes(), entries[i].content) {
			t.Errorf("%s: content differs (%v)", f.Name, err)
		}
		rc.Close()
	}
	if err := writeZip(&b, nil, modified); err == nil {
		t.Error("a zip without entries was written")
	}
}

func TestWriteDir(t *testing.T) {
	modified, _ := timestamp("")
	dir := filepath.Join(t.TempDir(), "dist", "web-amd64")
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "stale"), []byte("old"), 0o644); err != nil {
		t.Fatal(err)
	}
	entries := []entry{{name: "main", content: []byte("binary")}, {name: "scf_bootstrap", content: []byte("script")}}
	if err := writeDir(dir, entries, modified); err != nil {
		t.Fatal(err)
	}
	des, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, de := range des {
		names = append(names, de.Name())
		fi, err := de.Info()
		if err != nil {
			t.Fatal(err)
		}
		if fi.Mode().Perm() != 0o755 || !fi.ModTime().Equal(modified) {
			t.Errorf("%s: mode %v, modified %v", de.Name(), fi.Mode(), fi.ModTime())
		}
	}
	if strings.Join(names, " ") != "main scf_bootstrap" {
		t.Errorf("files %v, want main and scf_bootstrap only", names)
	}
	leftovers, _ := filepath.Glob(filepath.Join(filepath.Dir(dir), ".zipdist-*"))
	if len(leftovers) > 0 {
		t.Errorf("temporary files left: %v", leftovers)
	}
}

func TestTimestamp(t *testing.T) {
	if got, err := timestamp("1700000000"); err != nil || got.Unix() != 1700000000 {
		t.Errorf("timestamp(1700000000) = %v, %v", got, err)
	}
	for _, bad := range []string{"x", "-1", "100"} {
		if _, err := timestamp(bad); err == nil {
			t.Errorf("timestamp(%q) succeeded", bad)
		}
	}
}

func TestRunBuildsReproducibleZips(t *testing.T) {
	dir := t.TempDir()
	var zips [][]byte
	for i, arch := range []string{"arm64", "arm64", "amd64"} {
		out := filepath.Join(dir, "out", arch+string(rune('a'+i))+".zip")
		var stderr bytes.Buffer
		code := run(context.Background(), []string{"-platform", "lambda", "-arch", arch, "-o", out,
			"-pkg", "./scripts/localinvoke/testdata/echo-lambda"}, &stderr)
		if code != 0 {
			t.Fatalf("run: exit %d: %s", code, stderr.String())
		}
		b, err := os.ReadFile(out)
		if err != nil {
			t.Fatal(err)
		}
		zips = append(zips, b)
	}
	if !bytes.Equal(zips[0], zips[1]) {
		t.Error("two builds of the same source give different zips")
	}
	if bytes.Equal(zips[0], zips[2]) {
		t.Error("arm64 and amd64 zips are the same")
	}
	zr, err := zip.NewReader(bytes.NewReader(zips[0]), int64(len(zips[0])))
	if err != nil {
		t.Fatal(err)
	}
	if len(zr.File) != 1 || zr.File[0].Name != "bootstrap" || zr.File[0].Mode() != 0o755 {
		t.Errorf("zip entries: %+v", zr.File)
	}
}

func TestRunUsage(t *testing.T) {
	for _, args := range [][]string{
		{},
		{"-platform", "container", "-arch", "amd64", "-o", "x.zip"},
		{"-platform", "scf", "-arch", "386", "-o", "x.zip"},
		{"-platform", "scf", "-arch", "amd64"},
		{"-platform", "scf", "-arch", "amd64", "-o", "x.zip", "extra"},
	} {
		var stderr bytes.Buffer
		if code := run(context.Background(), args, &stderr); code != 2 || !strings.Contains(stderr.String(), "zipdist") {
			t.Errorf("run(%q) = %d, %q; want 2 and a message", args, code, stderr.String())
		}
	}
}
