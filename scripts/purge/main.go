// Command purge keeps the archive bounded: it deletes the archived callbacks received longer ago
// than the retention (ROOMHOOK_ARCHIVE_RETENTION, or -retention), except those a room's rows
// still depend on, in small batches, never a row of the projection. The rule is
// callback.PurgeArchive's (pkg/callback/retention.go); docs/operations.md ("Keeping the archive
// bounded") says what stays and how to schedule it.
//
// It is safe to run while callbacks arrive (each batch is one short delete; what it deletes no
// save reads), idempotent (a second run deletes nothing new) and can be stopped at any time.
// With -dry-run it deletes nothing and says what would go. It works on every backend; on
// DynamoDB most of the archive expires by itself (TTL) and the purge deletes the rest.
//
// The store is ROOMHOOK_STORE and the apps ROOMHOOK_SDKAPPID (a list: each is purged) or
// -app; scripts/purge.sh defaults both to scripts/invoke-local.sh's when ROOMHOOK_STORE is
// unset. The store must be at this version's schema: purge never creates or migrates one.
// Output: one line per app on stdout. Exit status: 0, 1 when the store failed (or the run was
// interrupted: run it again), 2 for usage errors.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"strings"
	"syscall"
	"time"

	"github.com/roomhook/roomhook/pkg/callback"
	"github.com/roomhook/roomhook/pkg/config"
	"github.com/roomhook/roomhook/pkg/store"
)

const (
	exitOK     = 0
	exitFailed = 1
	exitUsage  = 2
)

// openTimeout bounds opening the store: the tool may run far from it.
const openTimeout = 30 * time.Second

const usage = `usage: purge [-dry-run] [-retention D] [-app SDKAPPID[,...]] [-batch N] [-pause D]

Deletes the archived callbacks of ROOMHOOK_STORE received longer ago than the
retention (ROOMHOOK_ARCHIVE_RETENTION, or -retention: 720h, 30d; at least 24h),
except those a room's rows still depend on. Never a row of rooms, members,
seats, admins, metadata, battles or gifts. Safe beside a running function;
a second run deletes nothing new. Exit status: 0; 1 when the store failed or
the run was interrupted (run it again); 2 for usage errors.

Flags:
`

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := run(ctx, os.Args[1:], os.Getenv, time.Now(), os.Stdout, os.Stderr)
	stop()
	os.Exit(code)
}

func run(ctx context.Context, args []string, getenv func(string) string, now time.Time, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("purge", flag.ContinueOnError)
	fs.SetOutput(stderr)
	dryRun := fs.Bool("dry-run", false, "delete nothing; count what would be deleted")
	retentionFlag := fs.String("retention", "", "keep this long (default: ROOMHOOK_ARCHIVE_RETENTION)")
	appsFlag := fs.String("app", "", "the SDKAppID(s) to purge, comma-separated (default: ROOMHOOK_SDKAPPID)")
	batch := fs.Int("batch", callback.DefaultPurgeBatch, "archive rows read and deleted per step")
	pause := fs.Duration("pause", 50*time.Millisecond, "wait between steps, so that saves keep their pace")
	fs.Usage = func() {
		fmt.Fprint(stderr, usage)
		fs.PrintDefaults()
	}
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return exitOK
		}
		return exitUsage
	}
	fail := func(format string, a ...any) int {
		fmt.Fprintf(stderr, "purge: "+format+"\n", a...)
		return exitUsage
	}
	if fs.NArg() > 0 {
		return fail("unexpected argument %q", fs.Arg(0))
	}
	if *batch < 1 || *batch > 10000 {
		return fail("-batch: %d is not between 1 and 10000", *batch)
	}
	if *pause < 0 {
		return fail("-pause: %v is negative", *pause)
	}

	retentionText, from := strings.TrimSpace(*retentionFlag), "-retention"
	if retentionText == "" {
		retentionText, from = strings.TrimSpace(getenv(config.EnvArchiveRetention)), config.EnvArchiveRetention
	}
	if retentionText == "" {
		return fail("no retention: set %s (e.g. 30d) or pass -retention; without one the archive is kept forever", config.EnvArchiveRetention)
	}
	retention, err := config.ParseRetention(retentionText)
	if err != nil {
		return fail("%s: %v", from, err)
	}
	appsText := strings.TrimSpace(*appsFlag)
	if appsText == "" {
		appsText = getenv(config.EnvSdkAppID)
	}
	// The function's rules for the apps and the store URL (package config).
	cfg, err := config.Load(func(k string) string {
		switch k {
		case config.EnvSdkAppID:
			return appsText
		case config.EnvStore:
			return getenv(k)
		}
		return ""
	})
	if err != nil {
		return fail("%v", err)
	}
	rawURL := strings.TrimSpace(getenv(config.EnvStore))
	if rawURL == "" {
		return fail("%s is not set: set it to the store to purge (scripts/purge.sh defaults to scripts/invoke-local.sh's)", config.EnvStore)
	}

	p, err := open(ctx, rawURL)
	if err != nil {
		fmt.Fprintf(stderr, "purge: %s: %v\n", config.EnvStore, err)
		return exitFailed
	}
	defer p.Close()

	cutoff := now.Add(-retention)
	verb := "deleted"
	if *dryRun {
		verb = "would delete"
	}
	fmt.Fprintf(stderr, "purge: archive received before %s (retention %s)\n", cutoff.UTC().Format(time.RFC3339), retention)
	failed := false
	for _, app := range cfg.SdkAppIDs {
		start := time.Now()
		st, err := callback.PurgeArchive(ctx, p, app, cutoff, callback.PurgeOptions{Batch: *batch, Pause: *pause, DryRun: *dryRun})
		fmt.Fprintf(stdout, "app %d: examined %d, %s %d, kept %d (their rooms' rows still read them) in %s\n",
			app, st.Examined, verb, st.Deleted, st.Kept, time.Since(start).Round(time.Millisecond))
		if err != nil {
			failed = true
			if ctx.Err() != nil {
				fmt.Fprintln(stderr, "purge: interrupted; run it again to go on (what was deleted stays deleted)")
				break
			}
			fmt.Fprintf(stderr, "purge: app %d: %v\n", app, err)
		}
	}
	if failed {
		return exitFailed
	}
	return exitOK
}

// purger is what purge needs of a store.
type purger interface {
	callback.Purger
	Close() error
}

// open opens the store for the purge: first read-only, so that a store without roomhook's
// schema or of another version is refused, never created or migrated; then for writing.
func open(ctx context.Context, rawURL string) (purger, error) {
	octx, cancel := context.WithTimeout(ctx, openTimeout)
	defer cancel()
	check, err := store.Open(octx, rawURL, store.Options{Timeout: openTimeout, ReadOnly: true})
	if err != nil {
		return nil, fmt.Errorf("%w%s", err, store.Advice(err))
	}
	check.Close()
	s, err := store.Open(octx, rawURL, store.Options{Timeout: openTimeout})
	if err != nil {
		return nil, err
	}
	p, ok := s.(purger)
	if !ok {
		s.Close()
		return nil, errors.New("this store cannot purge its archive")
	}
	return p, nil
}
