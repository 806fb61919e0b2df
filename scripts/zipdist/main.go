// Command zipdist builds a roomhook function for upload and writes its zip:
// the binary alone, named bootstrap (Lambda, provided.al2023) or main (SCF),
// with mode 0755 and a fixed timestamp, so the same source gives a
// byte-identical zip. scripts/build.sh runs it.
//
//	go run ./scripts/zipdist -platform lambda|scf -arch amd64|arm64 -o dist/lambda-arm64.zip
//
// The build is localinvoke.BuildFunctionFor with GOOS=linux: the same flags
// as local runs (CGO_ENABLED=0 -trimpath -tags lambda.norpc
// -ldflags "-s -w -buildid="). The timestamp is SOURCE_DATE_EPOCH when set,
// else 1980-01-01 00:00:00 UTC, the earliest a zip can hold.
package main

import (
	"archive/zip"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"path/filepath"
	"strconv"
	"syscall"
	"time"

	"github.com/roomhook/roomhook/scripts/localinvoke"
)

// binaryName is the file name each platform runs.
var binaryName = map[string]string{"lambda": "bootstrap", "scf": "main"}

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := run(ctx, os.Args[1:], os.Stderr)
	stop()
	os.Exit(code)
}

func run(ctx context.Context, args []string, stderr io.Writer) int {
	fs := flag.NewFlagSet("zipdist", flag.ContinueOnError)
	fs.SetOutput(stderr)
	platform := fs.String("platform", "", "lambda or scf")
	arch := fs.String("arch", "", "amd64 or arm64")
	out := fs.String("o", "", "the zip to write")
	pkg := fs.String("pkg", "", "the main package to build (default ./functions/<platform>)")
	if err := fs.Parse(args); err != nil {
		return 2
	}
	name, ok := binaryName[*platform]
	switch {
	case !ok:
		fmt.Fprintln(stderr, "zipdist: -platform must be lambda or scf")
		return 2
	case *arch != "amd64" && *arch != "arm64":
		fmt.Fprintln(stderr, "zipdist: -arch must be amd64 or arm64")
		return 2
	case *out == "" || fs.NArg() > 0:
		fmt.Fprintln(stderr, "usage: zipdist -platform lambda|scf -arch amd64|arm64 -o OUT.zip [-pkg PACKAGE]")
		return 2
	}
	if *pkg == "" {
		*pkg = "./functions/" + *platform
	}
	modified, err := timestamp(os.Getenv("SOURCE_DATE_EPOCH"))
	if err != nil {
		fmt.Fprintf(stderr, "zipdist: %v\n", err)
		return 2
	}

	tmp, err := os.MkdirTemp("", "roomhook-zipdist-")
	if err != nil {
		fmt.Fprintf(stderr, "zipdist: %v\n", err)
		return 1
	}
	defer os.RemoveAll(tmp)
	bin := filepath.Join(tmp, name)
	if err := localinvoke.BuildFunctionFor(ctx, *pkg, bin, "linux", *arch); err != nil {
		fmt.Fprintf(stderr, "zipdist: %v\n", err)
		return 1
	}
	if err := writeZipFile(*out, name, bin, modified); err != nil {
		fmt.Fprintf(stderr, "zipdist: %v\n", err)
		return 1
	}
	return 0
}

// timestamp returns the time every zip entry carries.
func timestamp(sourceDateEpoch string) (time.Time, error) {
	if sourceDateEpoch == "" {
		return time.Date(1980, 1, 1, 0, 0, 0, 0, time.UTC), nil
	}
	sec, err := strconv.ParseInt(sourceDateEpoch, 10, 64)
	if err != nil || sec < 315532800 { // zip times start in 1980
		return time.Time{}, fmt.Errorf("SOURCE_DATE_EPOCH=%q is not a Unix time from 1980 on", sourceDateEpoch)
	}
	return time.Unix(sec, 0).UTC(), nil
}

// writeZipFile writes zipPath (atomically: a temporary file renamed) with
// one entry, name, holding the file src.
func writeZipFile(zipPath, name, src string, modified time.Time) (err error) {
	content, err := os.ReadFile(src)
	if err != nil {
		return err
	}
	dir := filepath.Dir(zipPath)
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	f, err := os.CreateTemp(dir, ".zipdist-*")
	if err != nil {
		return err
	}
	defer func() {
		if err != nil {
			f.Close()
			os.Remove(f.Name())
		}
	}()
	if err := writeZip(f, name, content, modified); err != nil {
		return err
	}
	if err := f.Chmod(0o644); err != nil {
		return err
	}
	if err := f.Close(); err != nil {
		return err
	}
	return os.Rename(f.Name(), zipPath)
}

// writeZip writes a zip with one executable entry. Nothing in it depends on
// the host, the time or the file system: same input, same bytes.
func writeZip(w io.Writer, name string, content []byte, modified time.Time) error {
	if name == "" {
		return errors.New("empty entry name")
	}
	zw := zip.NewWriter(w)
	fh := &zip.FileHeader{Name: name, Method: zip.Deflate, Modified: modified}
	fh.SetMode(0o755) // a Unix mode: the platforms keep the executable bit
	fw, err := zw.CreateHeader(fh)
	if err != nil {
		return err
	}
	if _, err := fw.Write(content); err != nil {
		return err
	}
	return zw.Close()
}
