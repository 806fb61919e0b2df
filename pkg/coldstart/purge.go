package coldstart

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"time"

	"github.com/roomhook/roomhook/pkg/callback"
	"github.com/roomhook/roomhook/pkg/config"
)

// The scheduled archive purge: an event function invoked by a schedule (an EventBridge rule on
// Lambda, a timer trigger on SCF) runs one pass of callback.PurgeArchive over every app it
// serves, with the retention ROOMHOOK_ARCHIVE_RETENTION sets. It lives here, beside the wiring,
// because it needs what only the cold start holds: the configuration, the logger, and the store
// once it is open (Instance.Store is a stand-in while the store opens in the background, and the
// stand-in saves but does not purge). Both platforms' adapters call Instance.Purge and return its
// answer; nothing else of the purge is theirs.

// PurgeLine is the message of the log line a purge pass writes for each app.
const PurgeLine = "archive purge"

// maxPurgeMargin is the most a pass leaves between its own end and the invocation's deadline:
// time for the store call in flight to give up once its context ends (a PostgreSQL query is
// cancelled over a second connection, a DynamoDB request is aborted), the log lines and the
// answer, so that the platform never kills the function mid-pass and reports a timeout for what
// is a pass cut short. A tenth of the invocation's time when that is less (a few seconds' run).
const maxPurgeMargin = 10 * time.Second

// PurgeAnswer is what a scheduled invocation answers: {"archive_purge": {…}}. The key names the
// answer, so that a reader (scripts/invoke, a test console) tells it from an HTTP response.
type PurgeAnswer struct {
	ArchivePurge PurgeResult `json:"archive_purge"`
}

// PurgeResult sums up one purge pass.
type PurgeResult struct {
	// Retention is ROOMHOOK_ARCHIVE_RETENTION as a Go duration ("720h0m0s"); "" when it is not
	// set, and then nothing was deleted.
	Retention string `json:"retention"`
	// Cutoff is now minus the retention (RFC 3339, UTC, milliseconds): the pass looked at the
	// archive rows received before it. Empty when the retention is not set.
	Cutoff string `json:"cutoff,omitempty"`
	// Complete is true when every app's pass reached the end of its archive. A pass cut short by
	// the invocation's deadline is not an error: what it deleted stays deleted, and the next run
	// starts over (reading again what this one kept).
	Complete bool `json:"complete"`
	// Apps holds one entry per app of ROOMHOOK_SDKAPPID, in its order.
	Apps []AppPurge `json:"apps"`
}

// AppPurge is one app's part of a pass: callback.PurgeStats, how long it took, and whether it
// reached the end of the app's archive.
type AppPurge struct {
	App        int64   `json:"app"`
	Examined   int     `json:"examined"`
	Deleted    int     `json:"deleted"`
	Kept       int     `json:"kept"`
	DurationMS float64 `json:"duration_ms"`
	Complete   bool    `json:"complete"`
}

// Purge runs one purge pass and returns its answer, PurgeAnswer as JSON. It waits for the store
// to open (OpenInBackground) and ends a margin before ctx's deadline, the invocation's.
//
// Without ROOMHOOK_ARCHIVE_RETENTION it deletes nothing, logs a warning saying so and succeeds:
// a schedule left on while the retention is unset is a configuration to fix, not a failure to
// retry. An error means the store failed (or could not be opened): the app it failed for is
// logged at level error, the other apps are purged all the same (one app's failure must not
// hold back the others' retention), and the caller must make the invocation fail, so that the
// platform's retries and error alarms see it. The error carries no secret.
func (i *Instance) Purge(ctx context.Context) ([]byte, error) {
	var st callback.Store
	if i.Config.ArchiveRetention > 0 {
		if err := i.WaitStore(); err != nil {
			return nil, err
		}
		st = i.Store
		if i.opening != nil {
			st = i.opening.st
		}
	}
	res, err := purgePass(ctx, st, i.Config, i.Logger, time.Now())
	if err != nil {
		return nil, err
	}
	return json.Marshal(PurgeAnswer{ArchivePurge: res})
}

// purgePass is Purge's pass on st at now. st is not used when cfg has no retention.
func purgePass(ctx context.Context, st callback.Store, cfg config.Config, logger *slog.Logger, now time.Time) (PurgeResult, error) {
	res := PurgeResult{Complete: true, Apps: []AppPurge{}}
	if cfg.ArchiveRetention <= 0 {
		logger.LogAttrs(ctx, slog.LevelWarn, PurgeLine+": "+config.EnvArchiveRetention+
			" is not set, so the archive is kept forever and nothing is deleted; set it (e.g. 30d) "+
			"or remove the schedule that runs the purge")
		return res, nil
	}
	p, ok := st.(callback.Purger)
	if !ok {
		// Every backend implements Purger (the conformance suite checks it); this is a store
		// wired by hand, in a test or a fork.
		return res, fmt.Errorf("roomhook: %s: the store (%T) cannot purge its archive", PurgeLine, st)
	}
	cutoff := now.Add(-cfg.ArchiveRetention)
	res.Retention = cfg.ArchiveRetention.String()
	res.Cutoff = cutoff.UTC().Format("2006-01-02T15:04:05.000Z07:00")

	pctx, cancel := purgeContext(ctx)
	defer cancel()
	var errs []error
	// The apps take turns going first, one day after another, so that an app whose pass takes
	// the whole invocation does not keep the others from ever being purged.
	apps := slices.Clone(cfg.SdkAppIDs)
	if n := len(apps); n > 1 {
		first := int(now.Unix()/86400) % n
		apps = append(apps[first:], apps[:first]...)
	}
	for _, app := range apps {
		start := time.Now()
		// The pause between steps leaves the store's capacity to the saves beside the purge
		// (DynamoDB's write units, SQLite's one writer), as scripts/purge does.
		stats, err := callback.PurgeArchive(pctx, p, app, cutoff, callback.PurgeOptions{Pause: purgePause})
		// A store call that failed because the pass's time ran out is a pass cut short, not a
		// store failure; PurgeArchive returns the stats up to it.
		cutShort := err != nil && pctx.Err() != nil
		a := AppPurge{App: app, Examined: stats.Examined, Deleted: stats.Deleted, Kept: stats.Kept,
			DurationMS: float64(time.Since(start).Microseconds()) / 1000, Complete: err == nil}
		res.Apps = append(res.Apps, a)
		res.Complete = res.Complete && a.Complete
		attrs := []slog.Attr{slog.Int64("app", a.App), slog.Int("examined", a.Examined), slog.Int("deleted", a.Deleted),
			slog.Int("kept", a.Kept), slog.Float64("duration_ms", a.DurationMS), slog.Bool("complete", a.Complete),
			slog.String("cutoff", res.Cutoff)}
		if err != nil && !cutShort {
			logger.LogAttrs(ctx, slog.LevelError, PurgeLine, append(attrs, slog.String("error", err.Error()))...)
			errs = append(errs, fmt.Errorf("roomhook: %s of app %d: %w", PurgeLine, app, err))
			continue
		}
		logger.LogAttrs(ctx, slog.LevelInfo, PurgeLine, attrs...)
	}
	return res, errors.Join(errs...)
}

// purgePause is waited between the purge's steps (callback.PurgeOptions.Pause).
const purgePause = 50 * time.Millisecond

// purgeContext is ctx ending a margin before ctx's deadline (see maxPurgeMargin); ctx itself when
// it has none, as in a local run.
func purgeContext(ctx context.Context) (context.Context, context.CancelFunc) {
	deadline, ok := ctx.Deadline()
	if !ok {
		return context.WithCancel(ctx)
	}
	margin := min(time.Until(deadline)/10, maxPurgeMargin)
	return context.WithDeadline(ctx, deadline.Add(-margin))
}
