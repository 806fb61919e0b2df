// Command zipdist builds a roomhook function for upload and writes its zip:
// the binary, named bootstrap (Lambda, provided.al2023) or main (SCF event
// and web functions), plus for an SCF web function the executable
// scf_bootstrap that starts it (functions/web/scf_bootstrap). Every entry
// has mode 0755 and a fixed timestamp, so the same source gives a
// byte-identical zip. With -dir it also writes the same files, same modes
// and times, into a directory (replacing it): what the Serverless
// Framework's scf component uploads. scripts/build.sh runs it.
//
//	go run ./scripts/zipdist -platform lambda|scf|web -arch amd64|arm64 -o dist/lambda-arm64.zip [-dir dist/lambda-arm64]
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
var binaryName = map[string]string{"lambda": "bootstrap", "scf": "main", "web": "main"}

// extraFiles are the files a platform needs besides the binary: zip entry
// name → source, relative to the module root.
var extraFiles = map[string][]entry{
	"web": {{name: "scf_bootstrap", src: "functions/web/scf_bootstrap"}},
}

// entry is one file of the zip.
type entry struct {
	name    string // name in the zip
	src     string // where its content comes from
	content []byte
}

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := run(ctx, os.Args[1:], os.Stderr)
	stop()
	os.Exit(code)
}

func run(ctx context.Context, args []string, stderr io.Writer) int {
	fs := flag.NewFlagSet("zipdist", flag.ContinueOnError)
	fs.SetOutput(stderr)
	platform := fs.String("platform", "", "lambda, scf or web")
	arch := fs.String("arch", "", "amd64 or arm64")
	out := fs.String("o", "", "the zip to write")
	pkg := fs.String("pkg", "", "the main package to build (default ./functions/<platform>)")
	dir := fs.String("dir", "", "also write the zip's files into this directory (replaced)")
	if err := fs.Parse(args); err != nil {
		return 2
	}
	name, ok := binaryName[*platform]
	switch {
	case !ok:
		fmt.Fprintln(stderr, "zipdist: -platform must be lambda, scf or web")
		return 2
	case *arch != "amd64" && *arch != "arm64":
		fmt.Fprintln(stderr, "zipdist: -arch must be amd64 or arm64")
		return 2
	case *out == "" || fs.NArg() > 0:
		fmt.Fprintln(stderr, "usage: zipdist -platform lambda|scf|web -arch amd64|arm64 -o OUT.zip [-dir DIR] [-pkg PACKAGE]")
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
	entries, err := collect(ctx, name, bin, extraFiles[*platform])
	if err != nil {
		fmt.Fprintf(stderr, "zipdist: %v\n", err)
		return 1
	}
	if err := writeZipFile(*out, entries, modified); err != nil {
		fmt.Fprintf(stderr, "zipdist: %v\n", err)
		return 1
	}
	if *dir != "" {
		if err := writeDir(*dir, entries, modified); err != nil {
			fmt.Fprintf(stderr, "zipdist: %v\n", err)
			return 1
		}
	}
	return 0
}

// collect reads the binary and the platform's extra files (relative to the
// module root) into zip entries, the binary first.
func collect(ctx context.Context, name, bin string, extra []entry) ([]entry, error) {
	content, err := os.ReadFile(bin)
	if err != nil {
		return nil, err
	}
	entries := []entry{{name: name, src: bin, content: content}}
	if len(extra) == 0 {
		return entries, nil
	}
	root, err := localinvoke.ModuleRoot(ctx)
	if err != nil {
		return nil, err
	}
	for _, e := range extra {
		if e.content, err = os.ReadFile(filepath.Join(root, e.src)); err != nil {
			return nil, err
		}
		entries = append(entries, e)
	}
	return entries, nil
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
// the entries, in order.
func writeZipFile(zipPath string, entries []entry, modified time.Time) (err error) {
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
	if err := writeZip(f, entries, modified); err != nil {
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

// writeZip writes a zip of executable entries, in the order given. Nothing
// in it depends on the host, the time or the file system: same input, same
// bytes.
func writeZip(w io.Writer, entries []entry, modified time.Time) error {
	if len(entries) == 0 {
		return errors.New("no entries")
	}
	zw := zip.NewWriter(w)
	for _, e := range entries {
		if e.name == "" {
			return errors.New("empty entry name")
		}
		fh := &zip.FileHeader{Name: e.name, Method: zip.Deflate, Modified: modified}
		fh.SetMode(0o755) // a Unix mode: the platforms keep the executable bit
		fw, err := zw.CreateHeader(fh)
		if err != nil {
			return err
		}
		if _, err := fw.Write(e.content); err != nil {
			return err
		}
	}
	return zw.Close()
}

// writeDir replaces dir with a directory holding exactly the entries, mode
// 0755 and the zip's timestamp, written beside it first and then renamed
// into place.
func writeDir(dir string, entries []entry, modified time.Time) error {
	parent := filepath.Dir(dir)
	if err := os.MkdirAll(parent, 0o755); err != nil {
		return err
	}
	tmp, err := os.MkdirTemp(parent, ".zipdist-dir-*")
	if err != nil {
		return err
	}
	defer os.RemoveAll(tmp) // gone after the rename; cleans up after a failure
	for _, e := range entries {
		p := filepath.Join(tmp, e.name)
		if err := os.WriteFile(p, e.content, 0o755); err != nil {
			return err
		}
		if err := os.Chmod(p, 0o755); err != nil { // whatever the umask
			return err
		}
		if err := os.Chtimes(p, modified, modified); err != nil {
			return err
		}
	}
	if err := os.Chmod(tmp, 0o755); err != nil {
		return err
	}
	if err := os.RemoveAll(dir); err != nil {
		return err
	}
	return os.Rename(tmp, dir)
}
