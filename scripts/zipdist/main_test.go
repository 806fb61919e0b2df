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
	if err := writeZip(&a, "bootstrap", content, modified); err != nil {
		t.Fatal(err)
	}
	time.Sleep(1100 * time.Millisecond) // a zip that took the clock would differ now
	if err := writeZip(&b, "bootstrap", content, modified); err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(a.Bytes(), b.Bytes()) {
		t.Fatal("two zips of the same content differ")
	}
	zr, err := zip.NewReader(bytes.NewReader(a.Bytes()), int64(a.Len()))
	if err != nil {
		t.Fatal(err)
	}
	if len(zr.File) != 1 {
		t.Fatalf("%d entries, want 1", len(zr.File))
	}
	f := zr.File[0]
	if f.Name != "bootstrap" || f.Mode() != 0o755 || !f.Modified.Equal(modified) {
		t.Errorf("entry %s, mode %v, modified %v", f.Name, f.Mode(), f.Modified)
	}
	rc, err := f.Open()
	if err != nil {
		t.Fatal(err)
	}
	defer rc.Close()
	var got bytes.Buffer
	if _, err := got.ReadFrom(rc); err != nil || !bytes.Equal(got.Bytes(), content) {
		t.Errorf("content differs (%v)", err)
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
		{"-platform", "web", "-arch", "amd64", "-o", "x.zip"},
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
