package main

import (
	"archive/zip"
	"bytes"
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"time"
)

// size: uncompressed binary and zip sizes, product vs floor, built for this machine with
// the release flags; the zip is written as scripts/zipdist writes one (deflate, mode 0755).
// Budget: binary ≤ floor + 12 MB (MiB).
func size(ctx context.Context, dir string) error {
	bins, err := build(ctx, dir, false)
	if err != nil {
		return err
	}
	for _, p := range []struct{ name, prod, floor string }{
		{"lambda", bins.lambda, bins.floorLambda},
		{"scf", bins.scf, bins.floorSCF},
	} {
		pb, pz, err := sizes(p.prod)
		if err != nil {
			return err
		}
		fb, fz, err := sizes(p.floor)
		if err != nil {
			return err
		}
		row("size "+p.name+" binary", mib(pb), mib(fb), fmt.Sprintf("+%s", mib(pb-fb)), "<= floor + 12 MB", pb <= fb+12<<20)
		row("size "+p.name+" zip", mib(pz), mib(fz), fmt.Sprintf("+%s", mib(pz-fz)), "info", true)
	}
	return nil
}

func mib(n int64) string { return fmt.Sprintf("%.2f MB", float64(n)/(1<<20)) }

func sizes(bin string) (binSize, zipSize int64, err error) {
	f, err := os.Open(bin)
	if err != nil {
		return 0, 0, err
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return 0, 0, err
	}
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	h := &zip.FileHeader{Name: filepath.Base(bin), Method: zip.Deflate, Modified: time.Unix(315532800, 0).UTC()}
	h.SetMode(0o755)
	w, err := zw.CreateHeader(h)
	if err != nil {
		return 0, 0, err
	}
	if _, err := io.Copy(w, f); err != nil {
		return 0, 0, err
	}
	if err := zw.Close(); err != nil {
		return 0, 0, err
	}
	return st.Size(), int64(buf.Len()), nil
}
