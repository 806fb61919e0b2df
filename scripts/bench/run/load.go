package main

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/roomhook/roomhook/scripts/localinvoke"
)

// load: functions/web under a loopback Go load generator with c connections, per backend
// (SQLite, and PostgreSQL when ROOMHOOK_TEST_POSTGRES is set). Phases: 10,000 requests, RSS;
// a timed phase for req/s and p99; then up to 100,000 requests in all, RSS. Every request is
// the seed callback for a new room, with Tencent's signed query string.
// Budgets: RSS after 100,000 within 10 % of RSS after 10,000, and under 64 MB.
func load(ctx context.Context, dir string, d time.Duration, conns int) error {
	bins, err := build(ctx, dir, false)
	if err != nil {
		return err
	}
	seed, err := os.ReadFile(filepath.Join(bins.root, "functions/web/events/callback-create-room.json"))
	if err != nil {
		return err
	}
	backends := []struct{ name, env, url string }{
		{"sqlite", "", "sqlite://" + filepath.Join(dir, "load-"+runID+".db")},
		{"postgres", "ROOMHOOK_TEST_POSTGRES", ""},
	}
	for _, b := range backends {
		st := b.url
		if b.env != "" {
			st = os.Getenv(b.env)
		}
		if st == "" {
			skipRow("load web "+b.name, b.env+" unset")
			note("load %s skipped: %s is not set", b.name, b.env)
			continue
		}
		if err := loadOne(ctx, bins, b.name, st, strings.TrimSpace(string(seed)), d, conns); err != nil {
			note("load %s: %v", b.name, err)
			row("load web "+b.name, "error", "-", "-", "runs", false)
		}
	}
	return nil
}

func loadOne(ctx context.Context, bins *binaries, name, st, seed string, d time.Duration, conns int) error {
	srv, err := localinvoke.StartWeb(ctx, bins.web, localinvoke.Options{
		Env: append(productEnv(st), "ROOMHOOK_LOG_LEVEL=info"), Stderr: io.Discard})
	if err != nil {
		return err
	}
	defer srv.Close()
	tr := &http.Transport{MaxIdleConnsPerHost: conns, MaxConnsPerHost: conns, DisableCompression: true}
	client := &http.Client{Transport: tr, Timeout: 10 * time.Second}
	defer tr.CloseIdleConnections()
	base := strings.TrimRight(srv.URL(), "/") + "/callback?"

	var failed atomic.Int64
	// run sends requests from conns workers until stop says so; it returns the latencies.
	run := func(stop func(n int64) bool) []time.Duration {
		var sent atomic.Int64
		var mu sync.Mutex
		var all []time.Duration
		var wg sync.WaitGroup
		for range conns {
			wg.Go(func() {
				var ds []time.Duration
				for !stop(sent.Add(1)) {
					body := uniqueBody(seed)
					u := base + signedQuery().Encode()
					t := time.Now()
					resp, err := client.Post(u, "application/json", strings.NewReader(body))
					if err != nil {
						failed.Add(1)
						continue
					}
					io.Copy(io.Discard, resp.Body)
					resp.Body.Close()
					ds = append(ds, time.Since(t))
					if resp.StatusCode != 200 {
						failed.Add(1)
					}
				}
				mu.Lock()
				all = append(all, ds...)
				mu.Unlock()
			})
		}
		wg.Wait()
		return all
	}
	total := 0
	warm := run(func(n int64) bool { return n > 10000 })
	total += len(warm)
	rss10k, err := rss(srv.PID())
	if err != nil {
		return err
	}
	deadline := time.Now().Add(d)
	t0 := time.Now()
	timed := run(func(int64) bool { return time.Now().After(deadline) })
	el := time.Since(t0)
	total += len(timed)
	rest := run(func(n int64) bool { return n > int64(100000-total) })
	total += len(rest)
	rss100k, err := rss(srv.PID())
	if err != nil {
		return err
	}
	if f := failed.Load(); f > 0 {
		return fmt.Errorf("load %s: %d requests failed or were not 200", name, f)
	}
	rps := float64(len(timed)) / el.Seconds()
	note("load %s: %d requests in all; timed phase %d requests in %v; RSS %d kB at 10k, %d kB at %dk",
		name, total, len(timed), el.Round(time.Millisecond), rss10k, rss100k, total/1000)
	row(fmt.Sprintf("web %s req/s (%d conns, %v)", name, conns, d), fmt.Sprintf("%.0f", rps), "-", "-", "info", true)
	row(fmt.Sprintf("web %s p99 (%d conns)", name, conns), ms(percentile(timed, 99)), "-", "-", "info (p50 "+ms(percentile(timed, 50))+")", true)
	growth := float64(rss100k)/float64(rss10k) - 1
	row(fmt.Sprintf("web %s RSS 100k vs 10k", name), mb(rss100k), mb(rss10k)+" (10k)", fmt.Sprintf("%+.1f%%", growth*100),
		"within 10 %", growth <= 0.10 && growth >= -0.10)
	row(fmt.Sprintf("web %s RSS after 100k", name), mb(rss100k), "-", "-", "< 64 MB", rss100k < 64*1024)
	return nil
}

func mb(kb int64) string { return fmt.Sprintf("%.1f MB", float64(kb)/1024) }

// rss is VmRSS of pid in kB.
func rss(pid int) (int64, error) {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return 0, err
	}
	for _, l := range strings.Split(string(b), "\n") {
		if v, ok := strings.CutPrefix(l, "VmRSS:"); ok {
			return strconv.ParseInt(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(v), "kB")), 10, 64)
		}
	}
	return 0, fmt.Errorf("no VmRSS for pid %d", pid)
}
