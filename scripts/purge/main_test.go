package main

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/roomhook/roomhook/pkg/callback"
	"github.com/roomhook/roomhook/pkg/store"
	"github.com/roomhook/roomhook/pkg/store/storetest"
)

var now = time.Date(2026, 12, 5, 12, 0, 0, 0, time.UTC)

func purge(t *testing.T, env map[string]string, args ...string) (code int, stdout, stderr string) {
	t.Helper()
	var out, errOut bytes.Buffer
	code = run(t.Context(), args, func(k string) string { return env[k] }, now, &out, &errOut)
	return code, out.String(), errOut.String()
}

func TestUsage(t *testing.T) {
	env := map[string]string{"ROOMHOOK_STORE": "sqlite:///nonexistent/r.db", "ROOMHOOK_SDKAPPID": "1400123456",
		"ROOMHOOK_ARCHIVE_RETENTION": "30d"}
	without := func(k string) map[string]string {
		m := map[string]string{}
		for key, v := range env {
			if key != k {
				m[key] = v
			}
		}
		return m
	}
	for _, tc := range []struct {
		env  map[string]string
		args []string
		want string
	}{
		{env, []string{"now"}, `unexpected argument "now"`},
		{env, []string{"-batch", "0"}, "-batch: 0 is not between 1 and 10000"},
		{env, []string{"-pause", "-1s"}, "-pause: -1s is negative"},
		{env, []string{"-retention", "1h"}, `-retention: "1h" is shorter than 24h`},
		{without("ROOMHOOK_ARCHIVE_RETENTION"), nil, "no retention: set ROOMHOOK_ARCHIVE_RETENTION"},
		{map[string]string{"ROOMHOOK_STORE": "sqlite:///x.db", "ROOMHOOK_SDKAPPID": "1", "ROOMHOOK_ARCHIVE_RETENTION": "soon"}, nil,
			`ROOMHOOK_ARCHIVE_RETENTION: "soon" is not a duration`},
		{without("ROOMHOOK_SDKAPPID"), nil, "ROOMHOOK_SDKAPPID is required"},
		{env, []string{"-app", "x1"}, `"x1" is not an SDKAppID`},
		{without("ROOMHOOK_STORE"), nil, "ROOMHOOK_STORE is not set"},
	} {
		code, stdout, stderr := purge(t, tc.env, tc.args...)
		if code != exitUsage || !strings.Contains(stderr, tc.want) || stdout != "" {
			t.Errorf("purge %q = exit %d, stdout %q, stderr %q; want exit 2 and %q", tc.args, code, stdout, stderr, tc.want)
		}
	}
	if code, _, stderr := purge(t, env, "-h"); code != exitOK || !strings.Contains(stderr, "-dry-run") {
		t.Errorf("-h: exit %d, %q", code, stderr)
	}
}

// TestRefusesWhatItWouldHaveToCreate: a missing store is refused, not created.
func TestRefusesWhatItWouldHaveToCreate(t *testing.T) {
	path := filepath.Join(t.TempDir(), "missing.db")
	code, _, stderr := purge(t, map[string]string{"ROOMHOOK_STORE": "sqlite://" + path, "ROOMHOOK_SDKAPPID": "1400123456",
		"ROOMHOOK_ARCHIVE_RETENTION": "30d"})
	if code != exitFailed || !strings.Contains(stderr, "holds no roomhook schema") {
		t.Errorf("missing store: exit %d, %q", code, stderr)
	}
	if _, err := os.Stat(path); !os.IsNotExist(err) {
		t.Errorf("purge created %s (%v)", path, err)
	}
}

var summary = regexp.MustCompile(`app (\d+): examined (\d+), (?:deleted|would delete) (\d+), kept (\d+)`)

// counts reads the one summary line of an app.
func counts(t *testing.T, stdout string) (examined, deleted, kept int) {
	t.Helper()
	m := summary.FindStringSubmatch(stdout)
	if m == nil {
		t.Fatalf("no summary line in %q", stdout)
	}
	atoi := func(s string) int { n, _ := strconv.Atoi(s); return n }
	return atoi(m[2]), atoi(m[3]), atoi(m[4])
}

// TestPurgeEveryBackend: on each backend, a generated lifecycle received long ago is purged as
// the rule says while new callbacks arrive: a dry run deletes nothing, the purge deletes what the
// dry run counted and only archive rows received before the retention, the rows stay as they
// were, every callback saved beside it is kept, and a second run deletes nothing.
func TestPurgeEveryBackend(t *testing.T) {
	for name, url := range storetest.StoreURLs(t) {
		t.Run(name, func(t *testing.T) {
			app := storetest.FreshApp(t)
			rooms, deliveries := storetest.Lifecycle(4, app) // received in December 2023
			s, err := store.Open(t.Context(), url, store.Options{Timeout: time.Minute})
			if err != nil {
				t.Fatal(err)
			}
			defer s.Close()
			for _, ev := range deliveries {
				if _, err := s.Save(t.Context(), ev); err != nil {
					t.Fatalf("Save: %v", err)
				}
			}
			r := s.(callback.Reader)
			rows := func() string {
				var b strings.Builder
				for _, room := range rooms {
					for _, tb := range callback.Tables {
						got, err := r.Rows(t.Context(), tb, app, room)
						if err != nil {
							t.Fatal(err)
						}
						lines := make([]string, len(got))
						for i, row := range got {
							lines[i] = fmt.Sprint(tb.Name, row)
						}
						slices.Sort(lines)
						b.WriteString(strings.Join(lines, "\n"))
					}
				}
				return b.String()
			}
			archive := func() []callback.Event {
				evs, err := r.Events(t.Context(), app)
				if err != nil {
					t.Fatal(err)
				}
				return evs
			}
			before, old := rows(), archive()
			env := map[string]string{"ROOMHOOK_STORE": url, "ROOMHOOK_SDKAPPID": strconv.FormatInt(app, 10),
				"ROOMHOOK_ARCHIVE_RETENTION": "30d"}

			code, stdout, stderr := purge(t, env, "-dry-run")
			if code != exitOK {
				t.Fatalf("dry run: exit %d: %s", code, stderr)
			}
			examined, wouldDelete, kept := counts(t, stdout)
			if examined != len(old) || wouldDelete+kept != examined || wouldDelete == 0 || kept == 0 {
				t.Fatalf("dry run: %q over %d archived events", stdout, len(old))
			}
			if got := archive(); len(got) != len(old) {
				t.Fatalf("the dry run deleted %d events", len(old)-len(got))
			}

			// New callbacks arrive while the purge runs: received now, so never expired.
			var wg sync.WaitGroup
			var saveErr error
			wg.Add(1)
			go func() {
				defer wg.Done()
				for i := range 40 {
					ev := storetest.SeedEvent()
					ev.SdkAppID, ev.RequestID, ev.ReceivedAt = app, fmt.Sprintf("req-now-%d", i), time.Now()
					ev.Raw = []byte(strings.Replace(string(ev.Raw), "tandy weekly", fmt.Sprintf("weekly %d", i), 1))
					ev.EventTime += int64(i) + 1
					ev.Raw = []byte(strings.Replace(string(ev.Raw), "1703589922780", strconv.FormatInt(ev.EventTime, 10), 1))
					p, err := callback.ParsePayload(ev.Command, ev.Raw)
					if err != nil {
						saveErr = err
						return
					}
					ev.Payload = p
					if _, err := s.Save(t.Context(), ev); err != nil {
						saveErr = err
						return
					}
				}
			}()
			code, stdout, stderr = purge(t, env, "-batch", "5", "-pause", "0")
			wg.Wait()
			if saveErr != nil {
				t.Fatalf("a save beside the purge: %v", saveErr)
			}
			if code != exitOK {
				t.Fatalf("purge: exit %d: %s", code, stderr)
			}
			if e, d, k := counts(t, stdout); e != examined || d != wouldDelete || k != kept {
				t.Errorf("purge: %q; the dry run said examined %d, delete %d, keep %d", stdout, examined, wouldDelete, kept)
			}
			after := archive()
			fresh := 0
			for _, ev := range after {
				if strings.HasPrefix(ev.RequestID, "req-now-") {
					fresh++
					continue
				}
				if !slices.ContainsFunc(old, func(o callback.Event) bool { return o.RequestID == ev.RequestID }) {
					t.Errorf("an event no one saved is archived: %s", ev.RequestID)
				}
			}
			if fresh != 40 || len(after)-fresh != kept {
				t.Errorf("after the purge: %d new events (want 40) and %d old ones (want %d kept)", fresh, len(after)-fresh, kept)
			}
			// The rows of the lifecycle's rooms are as they were (the seed room the load wrote to
			// is not one of them).
			if got := rows(); got != before {
				t.Errorf("the purge changed the rows")
			}
			code, stdout, _ = purge(t, env)
			if _, d, _ := counts(t, stdout); code != exitOK || d != 0 {
				t.Errorf("a second purge: exit %d, %q; want nothing deleted", code, stdout)
			}
		})
	}
}
