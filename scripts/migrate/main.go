// Command migrate brings the store ROOMHOOK_STORE names to the schema this roomhook writes,
// ahead of a deployment, with a budget of its own.
//
// A function migrates its store at cold start, in place, within its open budget (four times
// ROOMHOOK_STORE_TIMEOUT). A large version-1 archive (from about 20,000 events on a server) takes
// longer than that to rewrite: each cold start would give up, roll back and try again. Run this
// once first, from a machine that reaches the store:
//
//	ROOMHOOK_STORE='postgres://…' go run ./scripts/migrate -timeout 30m
//
// It opens the store (which migrates it, exactly as a cold start would; running it again, or
// beside starting functions, is safe) and closes it. Exit status: 0 when the store is at the
// current version, 1 when it could not be opened or migrated (the store is left as it was, or,
// on MySQL, part-way and completed by the next open), 2 for usage errors. Errors never carry the
// URL's password.
package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"os"
	"time"

	"github.com/roomhook/roomhook/pkg/store"
)

func main() {
	os.Exit(run(context.Background(), os.Args[1:], os.Getenv, os.Stdout, os.Stderr))
}

func run(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("migrate", flag.ContinueOnError)
	fs.SetOutput(stderr)
	timeout := fs.Duration("timeout", 30*time.Minute, "how long the migration may take")
	if err := fs.Parse(args); err != nil {
		return 2
	}
	if fs.NArg() != 0 || *timeout <= 0 {
		fmt.Fprintln(stderr, "usage: ROOMHOOK_STORE=URL migrate [-timeout 30m]")
		return 2
	}
	url := getenv("ROOMHOOK_STORE")
	if url == "" {
		fmt.Fprintln(stderr, "migrate: ROOMHOOK_STORE is not set: name the store to migrate")
		return 2
	}
	start := time.Now()
	s, err := store.Open(ctx, url, store.Options{Timeout: *timeout})
	if err != nil {
		fmt.Fprintf(stderr, "migrate: ROOMHOOK_STORE: %v\n", err)
		return 1
	}
	if err := s.Close(); err != nil {
		fmt.Fprintf(stderr, "migrate: close: %v\n", err)
		return 1
	}
	fmt.Fprintf(stdout, "the store is at the current schema version (%.1f s)\n", time.Since(start).Seconds())
	return 0
}
