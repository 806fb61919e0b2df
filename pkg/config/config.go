// Package config reads roomhook's configuration from the environment once, at cold start, into
// typed values, with errors that name the variable and never echo a secret.
package config

import (
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"
)

// The environment variables roomhook reads; README.md documents each.
const (
	EnvSdkAppID      = "ROOMHOOK_SDKAPPID"
	EnvCallbackToken = "ROOMHOOK_CALLBACK_TOKEN"
	EnvSignTolerance = "ROOMHOOK_SIGN_TOLERANCE"
	EnvStore         = "ROOMHOOK_STORE"
	EnvStoreTimeout  = "ROOMHOOK_STORE_TIMEOUT"
	EnvLogLevel      = "ROOMHOOK_LOG_LEVEL"
	// EnvGiftOnStoreFailure says how a gift (Live.CallbackBeforeSendGift, which Tencent holds
	// until the answer) is answered when the store fails: refuse (the default) or allow.
	EnvGiftOnStoreFailure = "ROOMHOOK_GIFT_ON_STORE_FAILURE"
	// EnvArchiveRetention is how long archived callbacks are kept (a duration, e.g. 720h or
	// 30d; empty: forever). DynamoDB expires the items no fold reads back by TTL;
	// scripts/purge.sh deletes the rest, and everything on the SQL stores.
	EnvArchiveRetention = "ROOMHOOK_ARCHIVE_RETENTION"
)

// Variables returns the names of every ROOMHOOK_* variable Load reads, in the order of the
// README's configuration table. Deployment files (template.yaml, serverless.yml) are checked
// against it, so a setting added here must be added there too.
func Variables() []string {
	return []string{EnvSdkAppID, EnvCallbackToken, EnvSignTolerance, EnvStore, EnvStoreTimeout, EnvLogLevel,
		EnvGiftOnStoreFailure, EnvArchiveRetention}
}

// Defaults for the optional variables.
const (
	DefaultSignTolerance = 60 * time.Second
	DefaultStoreTimeout  = 1500 * time.Millisecond
	// MinArchiveRetention is the shortest retention allowed: far longer than Tencent takes to
	// deliver a callback, so that every event a fold still needs is delivered before its
	// neighbours may go (docs/operations.md, "Keeping the archive bounded").
	MinArchiveRetention = 24 * time.Hour
)

// Config is roomhook's configuration.
type Config struct {
	SdkAppIDs     []int64
	Tokens        []string // empty: signatures are not checked
	SignTolerance time.Duration
	StoreURL      string
	StoreTimeout  time.Duration
	LogLevel      slog.Level
	// AllowGiftOnStoreFailure: a gift the store failed to keep is allowed (answered OK and
	// logged for replay) instead of refused. docs/operations.md weighs the two.
	AllowGiftOnStoreFailure bool
	// ArchiveRetention is how long archived callbacks are kept; 0: forever.
	ArchiveRetention time.Duration
	// Cloud names the platform when the process runs on a cloud function ("scf", "lambda"),
	// told by the variables the platform sets; "" locally.
	Cloud string
}

// DefaultStoreURL is the SQLite file used when ROOMHOOK_STORE is unset: in the OS temp dir,
// the only writable place inside a cloud function.
func DefaultStoreURL() string {
	return "sqlite://" + filepath.Join(os.TempDir(), "roomhook.db")
}

// Load reads the configuration through getenv (os.Getenv in main, a map in tests). All
// problems are reported together, so a user fixes them in one deploy.
func Load(getenv func(string) string) (Config, error) {
	c := Config{
		SignTolerance: DefaultSignTolerance,
		StoreURL:      strings.TrimSpace(getenv(EnvStore)),
		StoreTimeout:  DefaultStoreTimeout,
		LogLevel:      slog.LevelInfo,
	}
	var errs []error

	apps := strings.TrimSpace(getenv(EnvSdkAppID))
	if apps == "" {
		errs = append(errs, fmt.Errorf("%s is required: set it to your app's SDKAppID (a comma-separated list for several apps)", EnvSdkAppID))
	}
	for _, a := range splitList(apps) {
		id, err := strconv.ParseInt(a, 10, 64)
		// A leading zero or sign would never match what Tencent sends.
		if err != nil || id <= 0 || a[0] == '0' || a[0] == '+' {
			errs = append(errs, fmt.Errorf("%s: %q is not an SDKAppID (a positive decimal number)", EnvSdkAppID, a))
			continue
		}
		c.SdkAppIDs = append(c.SdkAppIDs, id)
	}

	// Tokens are secrets: errors about them never quote them.
	c.Tokens = splitList(getenv(EnvCallbackToken))

	if v := strings.TrimSpace(getenv(EnvSignTolerance)); v != "" {
		// RequestTime is in whole seconds, so the tolerance is too: a fraction would be
		// rounded away silently (500ms would accept only the same second).
		d, err := time.ParseDuration(v)
		if err != nil || d < time.Second || d%time.Second != 0 {
			errs = append(errs, fmt.Errorf("%s: %q is not a whole number of seconds of at least 1s (e.g. 60s)", EnvSignTolerance, v))
		} else {
			c.SignTolerance = d
		}
	}
	if c.StoreURL == "" {
		c.StoreURL = DefaultStoreURL()
	}
	if v := strings.TrimSpace(getenv(EnvStoreTimeout)); v != "" {
		d, err := time.ParseDuration(v)
		if err != nil || d <= 0 {
			errs = append(errs, fmt.Errorf("%s: %q is not a positive Go duration (e.g. 1500ms)", EnvStoreTimeout, v))
		} else {
			c.StoreTimeout = d
		}
	}
	if v := strings.TrimSpace(getenv(EnvLogLevel)); v != "" {
		if err := c.LogLevel.UnmarshalText([]byte(v)); err != nil {
			errs = append(errs, fmt.Errorf("%s: %q is not one of debug, info, warn, error", EnvLogLevel, v))
		}
	}
	switch v := strings.TrimSpace(getenv(EnvGiftOnStoreFailure)); v {
	case "", "refuse":
	case "allow":
		c.AllowGiftOnStoreFailure = true
	default:
		errs = append(errs, fmt.Errorf("%s: %q is not refuse or allow", EnvGiftOnStoreFailure, v))
	}
	if v := strings.TrimSpace(getenv(EnvArchiveRetention)); v != "" {
		d, err := ParseRetention(v)
		if err != nil {
			errs = append(errs, fmt.Errorf("%s: %w", EnvArchiveRetention, err))
		} else {
			c.ArchiveRetention = d
		}
	}
	switch {
	case getenv("SCF_FUNCTIONNAME") != "":
		c.Cloud = "scf"
	case getenv("AWS_LAMBDA_FUNCTION_NAME") != "":
		c.Cloud = "lambda"
	}
	return c, errors.Join(errs...)
}

// ParseRetention reads an archive retention: a Go duration (720h) or a number of days (30d), at
// least MinArchiveRetention.
func ParseRetention(v string) (time.Duration, error) {
	d, err := time.ParseDuration(v)
	if days, ok := strings.CutSuffix(v, "d"); ok && err != nil {
		n, perr := strconv.Atoi(days)
		if perr == nil && n >= 0 && n <= 100*365 {
			d, err = time.Duration(n)*24*time.Hour, nil
		}
	}
	switch {
	case err != nil:
		return 0, fmt.Errorf("%q is not a duration (720h) or a number of days (30d)", v)
	case d < MinArchiveRetention:
		return 0, fmt.Errorf("%q is shorter than %s: a shorter retention could delete what a callback still on its way needs", v, "24h")
	}
	return d, nil
}

// splitList splits a comma-separated list, trimming blanks and dropping empty items.
func splitList(s string) []string {
	var out []string
	for _, item := range strings.Split(s, ",") {
		if item = strings.TrimSpace(item); item != "" {
			out = append(out, item)
		}
	}
	return out
}
