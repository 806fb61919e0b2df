// Package coldstart wires roomhook together once per instance: configuration from the
// environment, the logger, the store and its connection pool, and the callback.Handler every
// warm invocation reuses. Each platform's main calls Build and nothing else from here.
package coldstart

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/roomhook/roomhook/pkg/callback"
	"github.com/roomhook/roomhook/pkg/config"
	"github.com/roomhook/roomhook/pkg/store"
)

// Instance is what a cold start builds.
type Instance struct {
	Handler *callback.Handler
	Logger  *slog.Logger
	Config  config.Config
	Store   callback.Store
}

// Build reads the configuration through getenv, logs JSON lines to logOut, opens the store
// (creating its schema if missing) and builds the handler. An error means the function must
// refuse to start; its message names the variable at fault and carries no secret.
func Build(ctx context.Context, getenv func(string) string, logOut io.Writer) (*Instance, error) {
	cfg, err := config.Load(getenv)
	if err != nil {
		return nil, fmt.Errorf("roomhook: configuration: %w", err)
	}
	logger := slog.New(slog.NewJSONHandler(logOut, &slog.HandlerOptions{Level: cfg.LogLevel}))

	if len(cfg.Tokens) == 0 {
		logger.Warn("callback signatures are not checked: set " + config.EnvCallbackToken +
			" to the token configured in Tencent's console so forged callbacks are refused")
	}
	if cfg.Cloud != "" && ephemeralSQLite(cfg.StoreURL) {
		logger.Warn("the SQLite store lives in this instance's /tmp and is lost when the instance is recycled; set " +
			config.EnvStore + " to a PostgreSQL, MySQL or DynamoDB URL for production")
	}

	// Opening the store and checking its schema share the store write budget: a cold start
	// that cannot reach the store fails fast, with a message, rather than hanging.
	octx, cancel := context.WithTimeout(ctx, openBudget(cfg))
	defer cancel()
	st, err := store.Open(octx, cfg.StoreURL, store.Options{Timeout: cfg.StoreTimeout})
	if err != nil {
		return nil, fmt.Errorf("roomhook: %s: %w", config.EnvStore, err)
	}
	h, err := callback.NewHandler(callback.Options{
		SdkAppIDs:     cfg.SdkAppIDs,
		Tokens:        cfg.Tokens,
		SignTolerance: cfg.SignTolerance,
		Store:         st,
		StoreTimeout:  cfg.StoreTimeout,
		Logger:        logger,
	})
	if err != nil {
		st.Close()
		return nil, fmt.Errorf("roomhook: %w", err)
	}
	logger.Debug("cold start complete", slog.String("store", storeScheme(cfg.StoreURL)), slog.Int("apps", len(cfg.SdkAppIDs)), slog.Int("tokens", len(cfg.Tokens)))
	return &Instance{Handler: h, Logger: logger, Config: cfg, Store: st}, nil
}

// openBudget is how long a cold start may spend opening the store: a few write budgets, since
// it includes connecting and creating the schema once.
func openBudget(cfg config.Config) time.Duration {
	return 4 * cfg.StoreTimeout
}

// storeScheme names the backend for the log without any part of the URL that could hold a
// credential.
func storeScheme(rawURL string) string {
	scheme, _, _ := strings.Cut(rawURL, "://")
	return scheme
}

// ephemeralSQLite reports whether the store is a SQLite file in the temp dir: inside a cloud
// function that is the instance's own /tmp, gone when the instance is recycled. (A file on a
// mounted file system such as CFS or EFS outlives the instance and is not warned about.)
func ephemeralSQLite(rawURL string) bool {
	scheme, path, _ := strings.Cut(rawURL, "://")
	if !strings.EqualFold(scheme, "sqlite") {
		return false
	}
	abs, err := filepath.Abs(path)
	if err != nil {
		return true
	}
	for _, tmp := range []string{os.TempDir(), "/tmp"} {
		if rel, err := filepath.Rel(tmp, abs); err == nil && !strings.HasPrefix(rel, "..") {
			return true
		}
	}
	return false
}
