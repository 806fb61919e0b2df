// Command query shows what roomhook stored: an app's rooms, one room with the members in it,
// its seats and (for live rooms) admins, metadata and battles, a room's members, the archive
// of callbacks newest first, and the gift ledger. It reads every backend the same way, through
// the store's reader (callback.Reader and callback.Lister), and opens the store read-only: it
// creates nothing, migrates nothing, and refuses a store of another schema version than its
// own with a message that says what to do.
//
// The store is ROOMHOOK_STORE and the app ROOMHOOK_SDKAPPID (or -app), as for the function;
// scripts/query.sh defaults both to those of scripts/invoke-local.sh when ROOMHOOK_STORE is
// unset. Output: aligned tables for people, or with -json one JSON object per line, its keys
// the column names of docs/tables.md plus "table" (the table the row is from). docs/operations.md
// shows each command with its output. Exit status: 0, 1 when the store cannot be opened or
// read or the room asked for by "room" holds nothing, 2 for usage errors.
package main

import (
	"bufio"
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

// openTimeout bounds opening the store: a tool run from an operator's machine may be far from
// it.
const openTimeout = 30 * time.Second

// defaultLimit is how many events or gifts a list shows unless -limit says otherwise.
const defaultLimit = 50

const usage = `usage: query [-json] [-app SDKAPPID] COMMAND [ARGUMENTS]

Shows what roomhook stored in ROOMHOOK_STORE for the app ROOMHOOK_SDKAPPID (or -app).

  rooms [live|destroyed|all]     the app's rooms (default: live)
  room ID                        one room: its row, the members in it now, its seats and,
                                 for live rooms, its admins, metadata and battles
  members ID [in|left|all]       every member the room has seen (default: all)
  events [-room ID] [-since T] [-command C[,C...]] [-limit N]
                                 the archive, newest first (default limit 50; 0: all)
  gifts [-room ID] [-since T] [-limit N]
                                 the gift ledger, newest first (default limit 50; 0: all)

T is a time (2026-12-05T08:00:00Z, 2026-12-05 in UTC) or how long ago (90m, 24h, 7d).
Flags may come before or after the command. Exit status: 0; 1 when the store
cannot be opened or read, or the room holds nothing; 2 for usage errors.

Flags:
`

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := run(ctx, os.Args[1:], os.Getenv, time.Now(), os.Stdout, os.Stderr)
	stop()
	os.Exit(code)
}

// request is a parsed command line.
type request struct {
	command string
	args    []string
	json    bool
	app     int64
	room    *string
	since   time.Time
	cmds    []string
	limit   int
}

func run(ctx context.Context, args []string, getenv func(string) string, now time.Time, stdout, stderr io.Writer) int {
	req, code := parse(args, getenv, now, stderr)
	if code >= 0 {
		return code
	}
	rawURL := strings.TrimSpace(getenv(config.EnvStore))
	if rawURL == "" {
		fmt.Fprintf(stderr, "query: %s is not set: set it to the store to read (scripts/query.sh defaults to scripts/invoke-local.sh's)\n", config.EnvStore)
		return exitUsage
	}
	fmt.Fprintf(stderr, "query: store %s, app %d\n", describeStore(rawURL), req.app)

	octx, cancel := context.WithTimeout(ctx, openTimeout)
	s, err := store.Open(octx, rawURL, store.Options{Timeout: openTimeout, ReadOnly: true})
	cancel()
	if err != nil {
		fmt.Fprintf(stderr, "query: %s: %v%s\n", config.EnvStore, err, store.Advice(err))
		return exitFailed
	}
	defer s.Close()
	src, ok := s.(source)
	if !ok {
		fmt.Fprintln(stderr, "query: this store cannot be read back")
		return exitFailed
	}

	out := bufio.NewWriter(stdout)
	defer out.Flush()
	var w writer = &tableWriter{w: out}
	if req.json {
		w = &jsonWriter{w: out}
	}
	if err := show(ctx, src, req, w); err != nil {
		out.Flush()
		fmt.Fprintf(stderr, "query: %v\n", err)
		return exitFailed
	}
	if err := out.Flush(); err != nil {
		fmt.Fprintf(stderr, "query: %v\n", err)
		return exitFailed
	}
	return exitOK
}

// source is what query reads a store through.
type source interface {
	callback.Reader
	callback.Lister
}

// parse reads the command line; code is -1 when the request is good, else the exit status.
func parse(args []string, getenv func(string) string, now time.Time, stderr io.Writer) (req request, code int) {
	fs := flag.NewFlagSet("query", flag.ContinueOnError)
	fs.SetOutput(stderr)
	jsonOut := fs.Bool("json", false, "print one JSON object per line instead of tables")
	app := fs.String("app", "", "the SDKAppID to read (default: ROOMHOOK_SDKAPPID)")
	room := fs.String("room", "", "events, gifts: only this room's")
	since := fs.String("since", "", "events, gifts: only those received at or after T")
	commands := fs.String("command", "", "events: only these callback commands, comma-separated")
	limit := fs.Int("limit", defaultLimit, "events, gifts: show the newest N (0: all)")
	fs.Usage = func() {
		fmt.Fprint(stderr, usage)
		fs.PrintDefaults()
	}
	fail := func(format string, a ...any) (request, int) {
		fmt.Fprintf(stderr, "query: "+format+"\n", a...)
		return request{}, exitUsage
	}

	// Flags may follow the command and its arguments: parse, take one argument, go on.
	var pos []string
	for rest := args; ; {
		if err := fs.Parse(rest); err != nil {
			if errors.Is(err, flag.ErrHelp) {
				return request{}, exitOK
			}
			return request{}, exitUsage
		}
		left := fs.Args()
		if n := len(rest) - len(left); n > 0 && rest[n-1] == "--" {
			pos = append(pos, left...) // after "--" everything is an argument: a room "-x"
			break
		}
		if len(left) == 0 {
			break
		}
		pos, rest = append(pos, left[0]), left[1:]
	}
	if len(pos) == 0 {
		fs.Usage()
		return request{}, exitUsage
	}
	req = request{command: pos[0], args: pos[1:], json: *jsonOut, limit: *limit}
	set := map[string]bool{}
	fs.Visit(func(f *flag.Flag) { set[f.Name] = true })

	switch req.command {
	case "rooms":
		if len(req.args) > 1 || len(req.args) == 1 && !oneOf(req.args[0], "live", "destroyed", "all") {
			return fail("rooms takes live, destroyed or all")
		}
	case "room":
		if len(req.args) != 1 {
			return fail("room takes one room ID")
		}
	case "members":
		if len(req.args) < 1 || len(req.args) > 2 || len(req.args) == 2 && !oneOf(req.args[1], "in", "left", "all") {
			return fail("members takes a room ID, then in, left or all")
		}
	case "events", "gifts":
		if len(req.args) > 0 {
			return fail("%s takes no arguments but flags (-room ID, -since T, -limit N): %q", req.command, req.args[0])
		}
	default:
		return fail("unknown command %q: want rooms, room, members, events or gifts", req.command)
	}
	lists := req.command == "events" || req.command == "gifts"
	for _, f := range []string{"room", "since", "limit", "command"} {
		if set[f] && (!lists || f == "command" && req.command != "events") {
			return fail("-%s does not go with %s", f, req.command)
		}
	}
	if set["room"] {
		req.room = room
	}
	if *since != "" {
		t, err := parseSince(*since, now)
		if err != nil {
			return fail("-since: %v", err)
		}
		req.since = t
	}
	if *limit < 0 {
		return fail("-limit: %d is negative; 0 shows all", *limit)
	}
	for _, c := range strings.Split(*commands, ",") {
		if c = strings.TrimSpace(c); c != "" {
			req.cmds = append(req.cmds, c)
		}
	}

	appText := strings.TrimSpace(*app)
	from := "-app"
	if appText == "" {
		appText, from = strings.TrimSpace(getenv(config.EnvSdkAppID)), config.EnvSdkAppID
	}
	if appText == "" {
		return fail("%s is not set: set it, or pass -app SDKAPPID", config.EnvSdkAppID)
	}
	// The function's rules for an SDKAppID (package config), one app at a time.
	cfg, err := config.Load(func(k string) string {
		if k == config.EnvSdkAppID {
			return appText
		}
		return ""
	})
	if err != nil {
		return fail("%s: %v", from, err)
	}
	if len(cfg.SdkAppIDs) != 1 {
		return fail("%s lists %d apps: choose one with -app", from, len(cfg.SdkAppIDs))
	}
	req.app = cfg.SdkAppIDs[0]
	return req, -1
}

func oneOf(s string, choices ...string) bool {
	for _, c := range choices {
		if s == c {
			return true
		}
	}
	return false
}

// parseSince reads T: an RFC 3339 time, a date or date and time in UTC, or how long before now.
func parseSince(s string, now time.Time) (time.Time, error) {
	if days, ok := strings.CutSuffix(s, "d"); ok {
		if n, err := strconv.Atoi(days); err == nil && n >= 0 {
			return now.AddDate(0, 0, -n), nil
		}
	}
	if d, err := time.ParseDuration(s); err == nil {
		if d < 0 {
			return time.Time{}, fmt.Errorf("%q: a duration is how long ago, so it cannot be negative", s)
		}
		return now.Add(-d), nil
	}
	for _, layout := range []string{time.RFC3339Nano, "2006-01-02T15:04:05", "2006-01-02 15:04:05", "2006-01-02"} {
		if t, err := time.ParseInLocation(layout, s, time.UTC); err == nil {
			return t, nil
		}
	}
	return time.Time{}, fmt.Errorf("%q is neither a time (2026-12-05T08:00:00Z, 2026-12-05) nor a duration (90m, 24h, 7d)", s)
}

// describeStore names the store without what its URL may hold of secrets: the scheme, host and
// path, never the user information or the query (a PostgreSQL URL may carry password=…).
func describeStore(rawURL string) string {
	scheme, rest, ok := strings.Cut(rawURL, "://")
	if !ok {
		return "(a URL without a scheme)"
	}
	if strings.EqualFold(scheme, "sqlite") {
		return rawURL // a file path, nothing secret
	}
	// The user information first: a password may hold a raw '?', '#' or '/' (the MySQL URL
	// reader splits at the last '@'), so cutting the query first could leave part of it.
	if at := strings.LastIndexByte(rest, '@'); at >= 0 {
		rest = rest[at+1:]
	}
	if i := strings.IndexAny(rest, "?#"); i >= 0 {
		rest = rest[:i]
	}
	return scheme + "://" + rest
}
