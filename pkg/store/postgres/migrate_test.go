package postgres_test

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/roomhook/roomhook/pkg/callback"
	"github.com/roomhook/roomhook/pkg/store/postgres"
	"github.com/roomhook/roomhook/pkg/store/storetest"
	"github.com/roomhook/roomhook/pkg/store/storetest/v1store"
)

const v1App int64 = 1400123456

// v1Schema returns a schema written by roomhook's version-1 code with v1store.Callbacks, and the
// URL that reaches it.
func v1Schema(t *testing.T) (schema, rawURL string) {
	t.Helper()
	schema, rawURL = freshSchema(t)
	v1store.Write(t, rawURL, v1App, v1store.Callbacks())
	if got := versions(t, schema); len(got) != 1 || got[0] != 1 {
		t.Fatalf("the version-1 store holds versions %v, want [1]", got)
	}
	return schema, rawURL
}

// snapshot returns every row of table as JSON, in a fixed order, without the columns named in
// drop.
func snapshot(t *testing.T, schema, table, order string, drop ...string) []string {
	t.Helper()
	expr := `to_jsonb(x)`
	for _, c := range drop {
		expr += ` - '` + c + `'`
	}
	rows, err := admin(t).Query(t.Context(), `SELECT (`+expr+`)::text FROM `+schema+`.`+table+` x ORDER BY `+order)
	if err != nil {
		t.Fatal(err)
	}
	got, err := pgx.CollectRows(rows, pgx.RowTo[string])
	if err != nil {
		t.Fatal(err)
	}
	return got
}

// digests returns, for callback_events and rooms, the number of rows and a digest of their
// values, columns and order.
func digests(t *testing.T, schema string) string {
	t.Helper()
	var events, rooms string
	err := admin(t).QueryRow(t.Context(), `SELECT
		(SELECT count(*) || ' ' || md5(string_agg(md5(to_jsonb(x)::text), '' ORDER BY id)) FROM `+schema+`.callback_events x),
		(SELECT count(*) || ' ' || md5(string_agg(md5(to_jsonb(x)::text), '' ORDER BY sdk_app_id, room_id)) FROM `+schema+`.rooms x)`).
		Scan(&events, &rooms)
	if err != nil {
		t.Fatal(err)
	}
	return "callback_events " + events + ", rooms " + rooms
}

// checkV1Intact checks that schema is still the version-1 store whose digests are want.
func checkV1Intact(t *testing.T, schema, want string) {
	t.Helper()
	if got := versions(t, schema); len(got) != 1 || got[0] != 1 {
		t.Errorf("roomhook_schema holds %v, want [1]", got)
	}
	if got := columns(t, schema, "callback_events"); strings.Contains(got, "body_sha256") {
		t.Errorf("callback_events has body_sha256: %s", got)
	}
	if got := strings.Count(columns(t, schema, "rooms"), ","); got != 23 {
		t.Errorf("rooms has %d columns, want version 1's 24", got+1)
	}
	if got := strings.Join(keys(t, schema), "; "); got != "callback_events PRIMARY KEY id; "+
		"callback_events UNIQUE sdk_app_id,callback_command,room_id,event_time; rooms PRIMARY KEY sdk_app_id,room_id" {
		t.Errorf("keys = %s, want version 1's", got)
	}
	if got := digests(t, schema); got != want {
		t.Errorf("rows changed: %s, want %s", got, want)
	}
}

// checkFold checks that the rows of r are the fold of every event of v1store.Callbacks: as a
// new store holds them once it saved the same callbacks, updated_at aside, and as the story
// the callbacks tell says (v1store.Story).
func checkFold(t *testing.T, r callback.Reader) {
	t.Helper()
	v1store.Check(t, r, v1App, v1Fold(t))
}

// v1Fold returns v1store.Fold of a new store: the rows the fold of every version-1 event gives.
func v1Fold(t *testing.T) []string {
	t.Helper()
	_, u := freshSchema(t)
	return v1store.Fold(t, open(t, u), v1App)
}

// TestMigrationFromV1 opens, with several instances at once, a store version 1 wrote: the
// schema becomes version 2 with every row kept, each v1 event delivered again is a duplicate
// (one without EventTime is archived again), and new events project onto the v1 archive.
func TestMigrationFromV1(t *testing.T) {
	schema, u := v1Schema(t)
	events, rooms := snapshot(t, schema, "callback_events", "id"), snapshot(t, schema, "rooms", "sdk_app_id, room_id")
	if len(events) != len(v1store.Callbacks()) || len(rooms) != 2 {
		t.Fatalf("the version-1 store has %d events and %d rooms, want %d and 2", len(events), len(rooms), len(v1store.Callbacks()))
	}

	stores, ok := storetest.OpenTogether(t, 6, func() (*postgres.Store, error) {
		return postgres.Open(t.Context(), u, postgres.Options{Timeout: 30 * time.Second})
	})
	if !ok {
		t.FailNow()
	}
	s := stores[0]
	if got := versions(t, schema); len(got) != 1 || got[0] != postgres.SchemaVersion {
		t.Errorf("roomhook_schema holds %v, want [%d]", got, postgres.SchemaVersion)
	}

	// The shape is a new store's.
	freshSchemaName, fresh := freshSchema(t)
	open(t, fresh)
	for _, table := range append([]string{"roomhook_schema", "callback_events"}, tableNames()...) {
		if got, want := columns(t, schema, table), columns(t, freshSchemaName, table); got != want {
			t.Errorf("columns of the migrated %s:\n got %s\nwant %s (a new store's)", table, got, want)
		}
	}
	if got, want := strings.Join(keys(t, schema), "; "), strings.Join(keys(t, freshSchemaName), "; "); got != want {
		t.Errorf("keys of the migrated store:\n got %s\nwant %s (a new store's)", got, want)
	}

	// Every archive row as it was, body_sha256 the body's.
	if got := snapshot(t, schema, "callback_events", "id", "body_sha256"); strings.Join(got, "\n") != strings.Join(events, "\n") {
		t.Errorf("callback_events after the migration:\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(events, "\n"))
	}
	// The rows are the fold of every event version 1 archived, those it did not project
	// included: what a new store holds once it saved the same callbacks.
	checkFold(t, s)
	folded := v1store.Rows(t, s, v1App)
	db := admin(t)
	rows, err := db.Query(t.Context(), `SELECT raw_body, body_sha256 FROM `+schema+`.callback_events`)
	if err != nil {
		t.Fatal(err)
	}
	for rows.Next() {
		var raw []byte
		var digest string
		if err := rows.Scan(&raw, &digest); err != nil {
			t.Fatal(err)
		}
		if sum := sha256.Sum256(raw); digest != hex.EncodeToString(sum[:]) {
			t.Errorf("body_sha256 %s is not the SHA-256 of %q", digest, raw)
		}
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}

	// Each v1 event delivered again, through the instances at once.
	var mu sync.Mutex
	outcomes := map[string]callback.Outcome{}
	cbs := v1store.Callbacks()
	storetest.Together(len(cbs), func(i int) {
		ev, err := cbs[i].Event(v1App, time.Now())
		if err != nil {
			t.Errorf("callback %d: %v", i, err)
			return
		}
		o, err := stores[i%len(stores)].Save(t.Context(), ev)
		if err != nil {
			t.Errorf("redelivery of callback %d (%s): %v", i, cbs[i].Command, err)
			return
		}
		mu.Lock()
		defer mu.Unlock()
		want := callback.OutcomeDuplicate
		if ev.EventTime == 0 {
			want = callback.OutcomeIgnored // no natural key: archived on every delivery
		}
		if o != want {
			t.Errorf("redelivery of callback %d (%s) = %v, want %v", i, cbs[i].Command, o, want)
		}
		outcomes[cbs[i].Command] = o
	})
	var n int
	if err := db.QueryRow(t.Context(), `SELECT count(*) FROM `+schema+`.callback_events`).Scan(&n); err != nil || n != len(events)+1 {
		t.Errorf("%d archived events after the redelivery (%v), want %d (the one without EventTime again)", n, err, len(events)+1)
	}
	if got := v1store.Rows(t, s, v1App); !slices.Equal(got, folded) {
		t.Errorf("rows after the version-1 events again:\n%s\nwant them unchanged:\n%s", strings.Join(got, "\n"), strings.Join(folded, "\n"))
	}

	// New events fold in on top of what version 1 archived: an update over v1's create and
	// updates, a member enter beside v1's members, a destroy that ends every member in.
	const t0 = 1703589922780
	if o, err := s.Save(t.Context(), updateEvent(t, v1App, "v1-room-a", t0+10_000, map[string]any{"TakeSeatMode": "FreeToTake"})); err != nil || o != callback.OutcomeStored {
		t.Fatalf("Save of a new update = %v, %v; want stored", o, err)
	}
	r, err := callback.ReadRoom(t.Context(), s, v1App, "v1-room-a")
	if err != nil {
		t.Fatal(err)
	}
	if r.Info.RoomName == nil || *r.Info.RoomName != "renamed in v1" || r.Info.CustomInfo == nil ||
		*r.Info.CustomInfo != "custom via the other spelling" || r.Info.TakeSeatMode == nil || *r.Info.TakeSeatMode != "FreeToTake" ||
		r.Info.IsVideoDisabled == nil || *r.Info.IsVideoDisabled || r.OperatorAccount == nil || *r.OperatorAccount != "v1-admin" ||
		r.EventTime != t0+10_000 || r.MemberCount == nil || *r.MemberCount != 2 {
		t.Errorf("room after a new update on the v1 archive: %+v", r)
	}
	if o, err := s.Save(t.Context(), enterEvent(t, v1App, "v1-room-a", t0+11_000, 3, "u9")); err != nil || o != callback.OutcomeStored {
		t.Fatalf("Save of a new member enter = %v, %v; want stored", o, err)
	}
	if r, err = callback.ReadRoom(t.Context(), s, v1App, "v1-room-a"); err != nil || r.MemberCount == nil || *r.MemberCount != 3 {
		t.Errorf("member_count after a new enter: %+v, %v; want 3", r, err)
	}
	if o, err := s.Save(t.Context(), destroyEvent(t, v1App, "v1-room-a", t0+12_000)); err != nil || o != callback.OutcomeStored {
		t.Fatalf("Save of a new destroy = %v, %v; want stored", o, err)
	}
	want := []string{
		"v1-room-a: name renamed in v1, custom custom via the other spelling, video disabled false, seats 16, operator v1-admin, " +
			"by Room.CallbackAfterDestroyRoom at t0+12000, members 3 at t0+11000, destroyed at t0+12000 by admin",
		"v1-room-a member 144115233775727695: left, entered t0+2000, left t0+12000 Destroyed -",
		"v1-room-a member u2: left, entered t0+2000, left t0+12000 Destroyed -",
		"v1-room-a member u3: left, entered t0+2001, left t0+3000 Kicked spam",
		"v1-room-a member u9: left, entered t0+11000, left t0+12000 Destroyed -",
		"v1-room-a seat 0: u2, taken disabled false, video disabled true, audio disabled false, at t0+2500",
		"v1-room-a seat 1: -, taken disabled <nil>, video disabled <nil>, audio disabled <nil>, at t0+2500",
		v1store.Story[len(v1store.Story)-1],
	}
	if got := v1store.Describe(t, s, v1App); !slices.Equal(got, want) {
		t.Errorf("rows after new events:\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}

	// Opening again is a no-op.
	s2 := open(t, u)
	if got := versions(t, schema); len(got) != 1 || got[0] != postgres.SchemaVersion {
		t.Errorf("roomhook_schema holds %v after another open, want [%d]", got, postgres.SchemaVersion)
	}
	if _, err := callback.ReadRoom(t.Context(), s2, v1App, "v1-room-b"); err != nil {
		t.Error(err)
	}
}

// TestMigrationFailureKeepsV1: a migration that fails leaves version 1 exactly as it was, and
// the next cold start migrates.
func TestMigrationFailureKeepsV1(t *testing.T) {
	t.Run("a statement fails", func(t *testing.T) {
		schema, u := v1Schema(t)
		before := digests(t, schema)
		db := admin(t)
		if _, err := db.Exec(t.Context(), `CREATE TABLE `+schema+`.room_seats (id INTEGER)`); err != nil {
			t.Fatal(err)
		}
		s, err := postgres.Open(t.Context(), u, postgres.Options{})
		if err == nil {
			s.Close()
			t.Fatal("Open with someone else's room_seats table succeeded, want an error")
		}
		t.Logf("error: %v", err)
		if !strings.Contains(err.Error(), "migrate the schema") || !strings.Contains(err.Error(), `"room_seats" already exists`) {
			t.Errorf("err = %q, want it to say the migration failed on room_seats", err)
		}
		checkV1Intact(t, schema, before)
		if _, err := db.Exec(t.Context(), `DROP TABLE `+schema+`.room_seats`); err != nil {
			t.Fatal(err)
		}
		checkFold(t, open(t, u))
		if got := versions(t, schema); len(got) != 1 || got[0] != postgres.SchemaVersion {
			t.Errorf("roomhook_schema holds %v after the retry, want [%d]", got, postgres.SchemaVersion)
		}
	})

	t.Run("the context ends during the refold", func(t *testing.T) {
		schema, u := v1Schema(t)
		before := digests(t, schema)
		// Cancelled once the first room is refolded: its rows are rolled back with the rest.
		err := openCancelledAtRefold(t, u)
		t.Logf("error: %v", err)
		if !errors.Is(err, context.Canceled) || !strings.Contains(err.Error(), "refold") {
			t.Errorf("err = %v, want it to match context.Canceled and say the refold failed", err)
		}
		checkV1Intact(t, schema, before)
		postgres.SetMigrateHook(t, nil)
		checkFold(t, open(t, u))
	})

	t.Run("the context ends mid-migration", func(t *testing.T) {
		schema, u := v1Schema(t)
		// A large archive, so that filling body_sha256 takes a while.
		db := admin(t)
		if _, err := db.Exec(t.Context(), `INSERT INTO `+schema+`.callback_events
			(sdk_app_id, callback_command, room_id, event_time, client_ip, opt_platform, request_id, received_at, raw_body)
			SELECT 1, 'Group.CallbackAfterSendMsg', 'bulk', g, '', '', '', 0, convert_to(repeat('x', 2000) || g, 'UTF8')
			FROM generate_series(1, 60000) g`); err != nil {
			t.Fatal(err)
		}
		before := digests(t, schema)

		ctx, cancel := context.WithCancel(t.Context())
		defer cancel()
		var steps []string
		postgres.SetMigrateHook(t, func(step string) {
			steps = append(steps, step)
			if step == "fill body_sha256" {
				time.AfterFunc(50*time.Millisecond, cancel)
			}
		})
		s, err := postgres.Open(ctx, u, postgres.Options{Timeout: time.Minute})
		if err == nil {
			s.Close()
			t.Fatal("Open whose context ended during the migration succeeded, want an error")
		}
		t.Logf("error: %v; steps: %v", err, steps)
		if !errors.Is(err, context.Canceled) {
			t.Errorf("err = %v, want it to match context.Canceled", err)
		}
		if last := steps[len(steps)-1]; last != "fill body_sha256" {
			t.Fatalf("the migration reached %q before the context ended, want it stopped filling body_sha256 "+
				"(make the archive larger)", last)
		}
		checkV1Intact(t, schema, before)
		postgres.SetMigrateHook(t, nil)
		checkFold(t, open(t, u))
		var bad int
		if err := db.QueryRow(t.Context(), `SELECT count(*) FROM `+schema+`.callback_events
			WHERE body_sha256 IS DISTINCT FROM encode(sha256(raw_body), 'hex')`).Scan(&bad); err != nil || bad != 0 {
			t.Errorf("%d rows whose body_sha256 is not their body's (%v), want none", bad, err)
		}
	})
}

// openCancelledAtRefold opens u with a context that ends as the migration starts refolding its
// second room, and returns Open's error; an Open that succeeds all the same fails the test.
func openCancelledAtRefold(t *testing.T, u string) error {
	t.Helper()
	ctx, cancel := context.WithCancel(t.Context())
	defer cancel()
	rooms := 0
	postgres.SetMigrateHook(t, func(step string) {
		if step == "refold a room" {
			if rooms++; rooms == 2 {
				cancel()
			}
		}
	})
	s, err := postgres.Open(ctx, u, postgres.Options{Timeout: time.Minute})
	if err == nil {
		s.Close()
		t.Fatal("Open whose context ended during the refold succeeded, want an error")
	}
	return err
}
