package dynamodb

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	ddb "github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/roomhook/roomhook/pkg/callback"
	"github.com/roomhook/roomhook/pkg/store/storetest"
)

// openReadOnly opens u read-only; the store, if any, is closed when the test ends.
func openReadOnly(t *testing.T, u string) (*Store, error) {
	t.Helper()
	s, err := Open(t.Context(), u, Options{ReadOnly: true})
	if err == nil {
		t.Cleanup(func() { s.Close() })
	}
	return s, err
}

// TestReadOnly: a read-only open reads a current table as it is, and refuses, writing nothing, a
// missing table (not created), a table without the version item, an older version (not
// migrated), a newer one and a foreign table.
func TestReadOnly(t *testing.T) {
	isolateAWS(t)
	const app = storetest.SeedSdkAppID
	const upgrade = "upgrade it by starting a function of this version or running scripts/migrate"

	t.Run("current", func(t *testing.T) {
		s := open(t)
		seed := storetest.SeedEvent()
		mustSave(t, s, seed, callback.OutcomeStored)
		mustSave(t, s, liveEvent(t, callback.CommandLiveGift, liveBody(t, "live-send-gift"), "req-gift", seed.ReceivedAt), callback.OutcomeStored)
		before := snapshot(t, s.table)
		r, err := openReadOnly(t, storeURL(t, s.table))
		if err != nil {
			t.Fatalf("read-only Open of a current table: %v", err)
		}
		if rows, err := r.Rows(t.Context(), callback.RoomsTable, app, seed.RoomID); err != nil || len(rows) != 1 {
			t.Errorf("Rows = %v, %v; want the seed's room", rows, err)
		}
		if evs, err := r.Events(t.Context(), app); err != nil || len(evs) != 2 {
			t.Errorf("Events = %d, %v; want 2", len(evs), err)
		}
		if rows, err := r.AppRooms(t.Context(), app); err != nil || len(rows) != 1 {
			t.Errorf("AppRooms = %v, %v; want the seed's room", rows, err)
		}
		if rows, err := r.Gifts(t.Context(), callback.ListQuery{SdkAppID: app}); err != nil || len(rows) != 1 {
			t.Errorf("Gifts = %v, %v; want the gift", rows, err)
		}
		if evs, err := r.Archive(t.Context(), callback.ListQuery{SdkAppID: app, Limit: 1}); err != nil || len(evs) != 1 ||
			evs[0].Command != callback.CommandLiveGift {
			t.Errorf("Archive(limit 1) = %v, %v; want the gift", eventLines(evs), err)
		}
		// A delivery again, which a writable store answers as a duplicate, is refused.
		if o, err := r.Save(t.Context(), storetest.SeedEvent()); !errors.Is(err, errReadOnly) {
			t.Errorf("Save on a read-only store = %v, %v; want it refused", o, err)
		}
		// The purge's reads work (a dry run), its deletes are refused.
		expired, _, err := r.Expired(t.Context(), app, seed.ReceivedAt.Add(time.Hour), "", 10)
		if err != nil || len(expired) != 2 {
			t.Fatalf("Expired on a read-only store = %d, %v; want the 2 events", len(expired), err)
		}
		if n, err := r.Delete(t.Context(), app, []string{expired[0].ArchiveID}); n != 0 || !errors.Is(err, errReadOnlyDelete) {
			t.Errorf("Delete on a read-only store = %d, %v; want it refused", n, err)
		}
		if after := snapshot(t, s.table); !mapsEqual(after, before) {
			t.Error("the read-only store changed the table")
		}
	})

	t.Run("missing table", func(t *testing.T) {
		table := tableName()
		dropTable(t, table)
		_, err := openReadOnly(t, storeURL(t, table))
		if !errors.Is(err, callback.ErrNoSchema) || !strings.Contains(err.Error(), "does not exist") {
			t.Errorf("read-only Open of a missing table = %v; want ErrNoSchema", err)
		}
		var notFound *types.ResourceNotFoundException
		if _, err := rawClient(t).DescribeTable(t.Context(), &ddb.DescribeTableInput{TableName: aws.String(table)}); !errors.As(err, &notFound) {
			t.Errorf("DescribeTable after the read-only Open = %v; want the table still missing", err)
		}
	})

	t.Run("no version item", func(t *testing.T) {
		table := tableName()
		dropTable(t, table)
		if _, err := rawClient(t).CreateTable(t.Context(), createTableInput(table)); err != nil {
			t.Fatal(err)
		}
		_, err := openReadOnly(t, storeURL(t, table))
		if !errors.Is(err, callback.ErrNoSchema) {
			t.Errorf("read-only Open of a table without the version item = %v; want ErrNoSchema", err)
		}
		if n := len(scanAll(t, table)); n != 0 {
			t.Errorf("the read-only Open wrote %d items", n)
		}
	})

	t.Run("older", func(t *testing.T) {
		table := tableName()
		dropTable(t, table)
		u := storeURL(t, table)
		v3 := openAtVersionT(t, u, 3)
		mustSave(t, v3, storetest.SeedEvent(), callback.OutcomeStored)
		before := snapshot(t, table)
		_, err := openReadOnly(t, u)
		if !errors.Is(err, callback.ErrSchemaOlder) || !strings.Contains(err.Error(), "version 3") ||
			!strings.Contains(err.Error(), upgrade) {
			t.Errorf("read-only Open of a version 3 table = %v; want ErrSchemaOlder naming version 3 and how to upgrade", err)
		}
		if after := snapshot(t, table); !mapsEqual(after, before) {
			t.Error("the read-only Open changed the version 3 table")
		}
		checkVersionItem(t, table, "3")
	})

	t.Run("newer", func(t *testing.T) {
		s := open(t)
		item := key(schemaPK, schemaSK)
		item[attrVersion] = attrN(5)
		putItem(t, s.table, item)
		if _, err := openReadOnly(t, storeURL(t, s.table)); !errors.Is(err, ErrSchemaTooNew) {
			t.Errorf("read-only Open of a version 5 table = %v; want ErrSchemaTooNew", err)
		}
	})

	t.Run("foreign table", func(t *testing.T) {
		table := tableName()
		dropTable(t, table)
		in := createTableInput(table)
		in.GlobalSecondaryIndexes = nil
		in.AttributeDefinitions = in.AttributeDefinitions[:2]
		if _, err := rawClient(t).CreateTable(t.Context(), in); err != nil {
			t.Fatal(err)
		}
		if _, err := openReadOnly(t, storeURL(t, table)); !errors.Is(err, ErrNotRoomhookTable) {
			t.Errorf("read-only Open of a table without gsi1 = %v; want ErrNotRoomhookTable", err)
		}
	})
}
