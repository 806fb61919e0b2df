// Command replay writes events the function could not store back into a store, through the
// same core path as a live delivery, so that a store outage loses nothing.
//
// When a store write fails or times out, the function answers 503 and logs one error-level
// line with "outcome":"rejected:store" that carries everything needed to rebuild the event:
// request_id, sdkappid, command, client_ip, opt_platform, received_at_ms and raw_body. replay
// reads log text — files, or stdin — as CloudWatch Logs, Tencent CLS or plain stderr export
// it: each line may carry a prefix before the JSON object (CloudWatch's
// "TIMESTAMP\tREQUEST_ID\tLEVEL\t"), or hold it as a JSON string inside another object (CLS's
// __CONTENT__); gzip-compressed files are read as such; lines that are not roomhook's are
// skipped. For every line it picks, it rebuilds the request (POST, Tencent's query parameters
// from the logged fields, the body exactly as received, the logged request id) and hands it to
// a callback.Handler with the destination store, whose clock is pinned to the logged arrival
// time: the archive keeps the original received_at, and the rows are those the live delivery
// would have written. The handler checks no signature (the signature was checked when the
// event first arrived; the log holds no Sign) and accepts the logged SdkAppid.
//
// Every command goes the same way: the core parses and projects it (rooms, room_members,
// room_seats), and since the rows are the fold of each room's events in event order, replaying
// late, out of order or twice leaves the rows the live deliveries would have left.
//
// Replay is idempotent: the store's key (SdkAppid + CallbackCommand + RoomId + EventTime + the
// SHA-256 of the body) makes a second replay of an event a duplicate that changes nothing.
// Events without EventTime (only commands roomhook does not project) have no such key; replay
// checks them against the destination's archive by request id, arrival time and body, so they
// too are saved at most once.
//
// With -from-store it re-feeds the archive of one store (its raw events, arrival times and
// request ids) into another through the same path, e.g. to move from the SQLite default to a
// production store.
//
// The destination is ROOMHOOK_STORE, read with the function's rules (package config), and each
// save has the ROOMHOOK_STORE_TIMEOUT budget; ROOMHOOK_STORE must be set (the function's
// default, a SQLite file in the temp dir, is rarely where a replay should go). The other
// ROOMHOOK_* variables are not used.
//
// Output: one line per event on stdout, its outcome first (stored, duplicate, stale, ignored,
// failed; would-replay with -dry-run), then a summary line. Exit status: 0 when no event
// failed, 1 when one did (a store error, an event the core refuses, a picked line cut short),
// 2 for usage and setup errors. A failed replay can be run again as it is.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"strconv"
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

// openTimeoutFloor is the least time opening a store may take: a tool run from an operator's
// machine may be far from the store, and a DynamoDB table may have to be created.
const openTimeoutFloor = 30 * time.Second

const usage = `usage:
  replay [-dry-run] [-outcome LIST] [LOG_FILE...]
  replay [-dry-run] -from-store URL -app SDKAPPID[,SDKAPPID...]

Replays roomhook events into the store named by ROOMHOOK_STORE, through the same
core path as a live delivery. Without -from-store it reads log text from the
files (gzip or plain; "-" or none: stdin) and replays the lines whose outcome is
rejected:store: the events the function could not store. With -from-store it
copies the archive of the given apps from another store.

Flags:
`

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := run(ctx, os.Args[1:], os.Getenv, os.Stdin, os.Stdout, os.Stderr)
	stop()
	os.Exit(code)
}

func run(ctx context.Context, args []string, getenv func(string) string, stdin io.Reader, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("replay", flag.ContinueOnError)
	fs.SetOutput(stderr)
	dryRun := fs.Bool("dry-run", false, "list what would be replayed; write nothing and do not open ROOMHOOK_STORE")
	outcomes := fs.String("outcome", storeFailure, "comma-separated outcomes of the log lines to replay; any: every roomhook line that carries a raw_body")
	refusedGifts := fs.Bool("refused-gifts", false, "also replay the gifts the function refused when its store failed (Tencent did not send them)")
	fromStore := fs.String("from-store", "", "read the events from this store URL's archive instead of logs (needs -app)")
	apps := fs.String("app", "", "with -from-store: the SdkAppid(s) whose archive to copy, comma-separated")
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
		fmt.Fprintf(stderr, "replay: "+format+"\n", a...)
		return exitUsage
	}
	sel, err := parseSelection(*outcomes)
	if err != nil {
		return fail("%v", err)
	}
	sel.refusedGifts = *refusedGifts
	var appIDs []int64
	switch {
	case *fromStore != "" && fs.NArg() > 0:
		return fail("-from-store reads a store, not log files: drop %s", fs.Arg(0))
	case *fromStore != "" && *apps == "":
		return fail("-from-store needs -app SDKAPPID: the archive is read one app at a time")
	case *fromStore == "" && *apps != "":
		return fail("-app goes with -from-store; log lines name their own app")
	case *fromStore != "":
		for _, a := range strings.Split(*apps, ",") {
			id, err := strconv.ParseInt(strings.TrimSpace(a), 10, 64)
			if err != nil || id <= 0 {
				return fail("-app: %q is not an SdkAppid", a)
			}
			appIDs = append(appIDs, id)
		}
	}

	// The function's configuration rules, for the store and its write budget. The apps come
	// from the events themselves, so ROOMHOOK_SDKAPPID is neither needed nor used.
	cfg, err := config.Load(func(k string) string {
		if k == config.EnvSdkAppID {
			return "1"
		}
		return getenv(k)
	})
	if err != nil {
		return fail("%v", err)
	}
	var dest callback.Store
	if !*dryRun {
		if strings.TrimSpace(getenv(config.EnvStore)) == "" {
			return fail("%s is not set: set it to the store to replay into (for the function's default, the SQLite file, write %s explicitly)",
				config.EnvStore, config.DefaultStoreURL())
		}
		dest, err = openStore(ctx, cfg.StoreURL, cfg.StoreTimeout)
		if err != nil {
			return fail("%s: %v", config.EnvStore, err)
		}
		defer dest.Close()
	}

	r := newReplayer(dest, cfg.StoreTimeout, stdout, *dryRun)
	failed := false
	replay := func(e entry) {
		if !r.replay(ctx, e) {
			failed = true
		}
	}
	if *fromStore != "" {
		if err := copyStore(ctx, *fromStore, appIDs, cfg.StoreTimeout, replay); err != nil {
			fmt.Fprintln(stdout, r.summary())
			return fail("-from-store: %v", err)
		}
	} else {
		var stats lineStats
		names := fs.Args()
		if len(names) == 0 {
			names = []string{"-"}
		}
		for _, name := range names {
			if ctx.Err() != nil {
				break
			}
			if err := readInput(name, stdin, sel, &stats, func(e entry) {
				if ctx.Err() == nil {
					replay(e)
				}
			}); err != nil {
				fmt.Fprintln(stdout, r.summary())
				return fail("%v", err)
			}
		}
		fmt.Fprintf(stderr, "replay: read %d lines: %d picked, %d roomhook lines with other outcomes, %d other lines\n",
			stats.lines, stats.picked, stats.others, stats.unrelated)
		if stats.refused > 0 {
			fmt.Fprintf(stderr, "replay: %d refused gifts left out (Tencent did not send them; -refused-gifts replays them too)\n", stats.refused)
		}
	}
	fmt.Fprintln(stdout, r.summary())
	if ctx.Err() != nil {
		fmt.Fprintln(stderr, "replay: interrupted; run it again to finish (events already replayed come out as duplicates)")
		return exitFailed
	}
	if failed {
		return exitFailed
	}
	return exitOK
}

// readInput reads one log file, "-" being stdin.
func readInput(name string, stdin io.Reader, sel selection, stats *lineStats, pick func(entry)) error {
	if name == "-" {
		return readLogs(stdin, "stdin", sel, stats, pick)
	}
	f, err := os.Open(name)
	if err != nil {
		return err
	}
	defer f.Close()
	return readLogs(f, name, sel, stats, pick)
}

// openStore opens a store by URL. Its errors never carry the URL's credentials.
func openStore(ctx context.Context, rawURL string, timeout time.Duration) (callback.Store, error) {
	budget := max(4*timeout, openTimeoutFloor)
	octx, cancel := context.WithTimeout(ctx, budget)
	defer cancel()
	return store.Open(octx, rawURL, store.Options{Timeout: budget})
}

// copyStore reads the archive of each app from the store at srcURL, in archive order, and
// passes every event on.
func copyStore(ctx context.Context, srcURL string, apps []int64, timeout time.Duration, pick func(entry)) error {
	src, err := openStore(ctx, srcURL, timeout)
	if err != nil {
		return err
	}
	defer src.Close()
	reader, ok := src.(callback.Reader)
	if !ok {
		return errors.New("this store cannot be read back")
	}
	scheme, _, _ := strings.Cut(srcURL, "://")
	for _, app := range apps {
		evs, err := reader.Events(ctx, app)
		if err != nil {
			return fmt.Errorf("read the archive of app %d: %w", app, err)
		}
		for _, ev := range evs {
			if ctx.Err() != nil {
				return nil
			}
			pick(entry{
				from:        scheme + "://",
				requestID:   ev.RequestID,
				sdkAppID:    ev.SdkAppID,
				command:     ev.Command,
				roomID:      ev.RoomID,
				clientIP:    ev.ClientIP,
				optPlatform: ev.OptPlatform,
				receivedAt:  ev.ReceivedAt,
				raw:         ev.Raw,
			})
		}
	}
	return nil
}
