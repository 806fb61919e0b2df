// Package coldstart wires roomhook together once per instance: configuration from the
// environment, the logger, the store and its connection pool, and the callback.Handler every
// warm invocation reuses. Each platform's main calls Build (or BuildWith, to log through the
// platform's own slog handler) and nothing else from here.
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
	// opening is Store while it opens in the background (Options.OpenInBackground), else nil.
	opening *openingStore
}

// WaitStore waits until the store is open and the cold start's warnings are logged, and
// returns the error that kept the store from opening, if any: an error names ROOMHOOK_STORE,
// carries no secret, and means the instance cannot work, as when Build fails. It returns nil
// at once when Build opened the store itself.
func (i *Instance) WaitStore() error {
	if i.opening == nil {
		return nil
	}
	<-i.opening.settled
	return i.opening.err
}

// Options tune BuildWith. The zero value logs JSON lines to os.Stderr.
type Options struct {
	// LogOut receives the JSON log lines when LogHandler is nil; nil means os.Stderr.
	LogOut io.Writer
	// LogHandler, when set, builds the slog.Handler every log line goes through instead of the
	// JSON handler on LogOut: a platform's own handler, such as the Lambda one that adds the
	// invocation's request id. It is called once, with the level ROOMHOOK_LOG_LEVEL sets; the
	// level applies whatever the returned handler does, since BuildWith lets no record below
	// it through. The handler must write one JSON object per line (the core's per-request
	// line and the raw event of a store failure are read back by scripts/replay) and be safe
	// for concurrent use.
	LogHandler func(level slog.Leveler) slog.Handler
	// WrapHandler, when set, wraps the handler every line goes through, level included: a
	// wrapper that must see lines the level drops (package emf's metrics, which count every
	// request whatever the level) can still write them elsewhere.
	WrapHandler func(slog.Handler) slog.Handler
	// OpenInBackground makes BuildWith return as soon as the configuration is read and the
	// store URL names a known backend, and open the store (connect, create or check the schema)
	// on another goroutine. An event function's cold start then connects while the platform's
	// runtime fetches the first event, instead of before: a sooner first answer of a Lambda or
	// SCF cold start on SQLite (docs/performance.md), and an answer within the store budget
	// even when the store is slow to connect. Saves wait for the open, each
	// within its own deadline. The caller must call Instance.WaitStore and stop the process
	// when it returns an error, as it does when BuildWith fails. BuildWith's context bounds
	// the background open too, so it must outlive BuildWith.
	OpenInBackground bool
}

// Build reads the configuration through getenv, logs JSON lines to logOut, opens the store
// (creating its schema if missing) and builds the handler. An error means the function must
// refuse to start; its message names the variable at fault and carries no secret.
func Build(ctx context.Context, getenv func(string) string, logOut io.Writer) (*Instance, error) {
	return BuildWith(ctx, getenv, Options{LogOut: logOut})
}

// BuildWith is Build with the log destination, and when the store opens, chosen by opts.
func BuildWith(ctx context.Context, getenv func(string) string, opts Options) (*Instance, error) {
	cfg, err := config.Load(getenv)
	if err != nil {
		return nil, fmt.Errorf("roomhook: configuration: %w", err)
	}
	handler := logHandler(cfg.LogLevel, opts)
	if opts.WrapHandler != nil {
		handler = opts.WrapHandler(handler)
	}
	logger := slog.New(handler)

	// The open starts before anything else is done, so that as much of it as possible
	// overlaps the platform runtime's start.
	var st callback.Store
	var opening *openingStore
	if opts.OpenInBackground {
		if err := store.CheckURL(cfg.StoreURL); err != nil {
			return nil, fmt.Errorf("roomhook: %s: %w", config.EnvStore, err)
		}
		opening = &openingStore{done: make(chan struct{}), settled: make(chan struct{})}
		go opening.open(ctx, cfg, logger)
		st = opening
	} else {
		if st, err = openStore(ctx, cfg); err != nil {
			return nil, err
		}
		warn(logger, cfg)
	}

	h, err := callback.NewHandler(callback.Options{
		SdkAppIDs:               cfg.SdkAppIDs,
		Tokens:                  cfg.Tokens,
		SignTolerance:           cfg.SignTolerance,
		Store:                   st,
		StoreTimeout:            cfg.StoreTimeout,
		AllowGiftOnStoreFailure: cfg.AllowGiftOnStoreFailure,
		Logger:                  logger,
	})
	if err != nil {
		st.Close()
		return nil, fmt.Errorf("roomhook: %w", err)
	}
	logger.Debug("cold start complete", slog.String("store", storeScheme(cfg.StoreURL)), slog.Int("apps", len(cfg.SdkAppIDs)),
		slog.Int("tokens", len(cfg.Tokens)), slog.Bool("store_opening", opening != nil))
	return &Instance{Handler: h, Logger: logger, Config: cfg, Store: st, opening: opening}, nil
}

// openStore opens the store cfg names. Opening and checking the schema get a few write
// budgets (openBudget): a cold start that cannot reach the store fails fast, with a message
// naming the variable, rather than hanging.
func openStore(ctx context.Context, cfg config.Config) (callback.Store, error) {
	octx, cancel := context.WithTimeout(ctx, openBudget(cfg))
	defer cancel()
	st, err := store.Open(octx, cfg.StoreURL, store.Options{Timeout: openBudget(cfg), Ephemeral: ephemeral(cfg),
		ArchiveRetention: cfg.ArchiveRetention})
	if err != nil {
		return nil, fmt.Errorf("roomhook: %s: %w", config.EnvStore, err)
	}
	return st, nil
}

// warn logs what a cold start should tell the operator about the configuration.
func warn(logger *slog.Logger, cfg config.Config) {
	if len(cfg.Tokens) == 0 {
		logger.Warn("callback signatures are not checked: set " + config.EnvCallbackToken +
			" to the token configured in Tencent's console so forged callbacks are refused")
	}
	if ephemeral(cfg) {
		logger.Warn("the SQLite store lives in this instance's /tmp and is lost when the instance is recycled; set " +
			config.EnvStore + " to a PostgreSQL, MySQL or DynamoDB URL for production")
	}
}

// openingStore is the store while it opens in the background. Its Save waits for the open
// (or for the save's deadline, whichever is first) and then saves through the opened store.
type openingStore struct {
	done    chan struct{} // closed when the open has finished, st or err set
	settled chan struct{} // closed after done, once the cold start's warnings are logged
	st      callback.Store
	err     error
}

var _ callback.Store = (*openingStore)(nil)

// open opens the store and records the outcome, then, if it opened, logs the cold start's
// warnings; it runs once, on its own goroutine. The warnings come last because they are the
// slowest lines an instance writes: the first line through slog runs code never run before
// (docs/performance.md), which on the main goroutine delayed the runtime's start and, first on
// this one, the open, which the first event waits for. After the open they overlap the event's
// own checks (and may land in the log after the first answer, or with the next invocation if
// the platform freezes the instance in between).
func (o *openingStore) open(ctx context.Context, cfg config.Config, logger *slog.Logger) {
	defer close(o.settled)
	start := time.Now()
	o.st, o.err = openStore(ctx, cfg)
	close(o.done)
	if o.err != nil {
		// The instance is stopping (WaitStore): no warning may delay that, or an event waiting
		// for the store would more often be answered before the process exits.
		return
	}
	logger.Debug("store open", slog.String("store", storeScheme(cfg.StoreURL)),
		slog.Float64("duration_ms", float64(time.Since(start).Microseconds())/1000))
	warn(logger, cfg)
}

// Save saves through the store once it is open. While the open has failed it returns that
// error: the core answers the event with a failure (and logs it for replay), and the process,
// told by WaitStore, is stopping.
func (o *openingStore) Save(ctx context.Context, ev *callback.Event) (callback.Outcome, error) {
	select {
	case <-o.done:
	case <-ctx.Done():
		return 0, fmt.Errorf("the store is still opening: %w", ctx.Err())
	}
	if o.err != nil {
		return 0, o.err
	}
	return o.st.Save(ctx, ev)
}

// Close waits for the open (and its warnings) and closes the store if it opened.
func (o *openingStore) Close() error {
	<-o.settled
	if o.st == nil {
		return nil
	}
	return o.st.Close()
}

// logHandler returns the handler the instance logs through: opts.LogHandler's behind a level
// gate, or a JSON handler on opts.LogOut (os.Stderr when nil).
func logHandler(level slog.Level, opts Options) slog.Handler {
	if opts.LogHandler != nil {
		if h := opts.LogHandler(level); h != nil {
			return &levelGate{min: level, next: h}
		}
	}
	out := opts.LogOut
	if out == nil {
		out = os.Stderr
	}
	return slog.NewJSONHandler(out, &slog.HandlerOptions{Level: level})
}

// levelGate drops records below min before they reach next, so ROOMHOOK_LOG_LEVEL holds even
// for a handler with a level of its own (the stricter of the two wins).
type levelGate struct {
	min  slog.Level
	next slog.Handler
}

func (g *levelGate) Enabled(ctx context.Context, l slog.Level) bool {
	return l >= g.min && g.next.Enabled(ctx, l)
}

func (g *levelGate) Handle(ctx context.Context, r slog.Record) error {
	if r.Level < g.min {
		return nil
	}
	return g.next.Handle(ctx, r)
}

func (g *levelGate) WithAttrs(attrs []slog.Attr) slog.Handler {
	return &levelGate{min: g.min, next: g.next.WithAttrs(attrs)}
}

func (g *levelGate) WithGroup(name string) slog.Handler {
	return &levelGate{min: g.min, next: g.next.WithGroup(name)}
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

// ephemeral reports whether the store is a SQLite file that dies with this cloud function
// instance: it is warned about, and SQLite makes no fsync on it, since only a host failure, which
// takes the file along, could make an fsync matter (sqlite.Options.Ephemeral).
func ephemeral(cfg config.Config) bool {
	return cfg.Cloud != "" && ephemeralSQLite(cfg.StoreURL)
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
