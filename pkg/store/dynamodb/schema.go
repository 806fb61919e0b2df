package dynamodb

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	ddb "github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/roomhook/roomhook/pkg/callback"
)

// schemaVersion is the version of the item layout described in the package documentation (the
// DynamoDB item layout version: the SQL backends number their schemas on their own). A change
// to it adds a migration step from the previous version and bumps this number; never change a
// released layout in place. Version 4 added the room directory items and the ledger items'
// index keys (Lister).
const schemaVersion = 4

// legacyMargin is added to the migration's time to make legacy_until: it covers the clocks of
// other instances and the version 1 instances still finishing their requests while version 2
// is rolled out. Events up to legacy_until cost one more GetItem (the version 1 duplicate check).
const legacyMargin = 10 * time.Minute

// The table's key design: every key attribute is a string (S), the index projects ALL
// attributes. The table definition in doc.go, template.yaml and docs/stores.md must use exactly
// these names; scripts/deploycheck checks template.yaml against them.
const (
	PartitionKey      = "pk"     // the table's partition (HASH) key
	SortKey           = "sk"     // the table's sort (RANGE) key
	IndexName         = "gsi1"   // the global secondary index listing each app's archive
	IndexPartitionKey = "gsi1pk" // the index's partition (HASH) key
	IndexSortKey      = "gsi1sk" // the index's sort (RANGE) key

	// TimeToLiveAttribute is the attribute the table's Time to Live reads (template.yaml's
	// TimeToLiveSpecification): on an archive item, when it may go, in Unix seconds
	// (Options.ArchiveRetention). A lock item's attribute of that name (attrExpiresAt, the end
	// of its lease) is in Unix ms, a date tens of thousands of years ahead when read as
	// seconds, so Time to Live never deletes a lock: its holder does, or the next save takes it
	// over.
	TimeToLiveAttribute = "expires_at"
)

// Key attribute and index names as the code below uses them, and the schema version item.
const (
	attrPK      = PartitionKey
	attrSK      = SortKey
	attrGSI1PK  = IndexPartitionKey
	attrGSI1SK  = IndexSortKey
	indexByApp  = IndexName
	schemaPK    = "SCHEMA"
	schemaSK    = "VERSION"
	attrVersion = "version"
	// attrLegacyUntil, on the schema version item, says that the table holds version 1 archive
	// items, and up to which EventTime (Unix ms) a delivery may repeat one; see migrateInput.
	attrLegacyUntil = "legacy_until"
)

// Polling while a table is being created: start fast for local servers, back off for DynamoDB.
const (
	pollFirst = 50 * time.Millisecond
	pollMax   = time.Second
)

// createTableInput is roomhook's table: on-demand billing, a string partition and sort key, and
// one index listing each app's archive in archive order.
func createTableInput(table string) *ddb.CreateTableInput {
	return &ddb.CreateTableInput{
		TableName:   aws.String(table),
		BillingMode: types.BillingModePayPerRequest,
		AttributeDefinitions: []types.AttributeDefinition{
			{AttributeName: aws.String(attrPK), AttributeType: types.ScalarAttributeTypeS},
			{AttributeName: aws.String(attrSK), AttributeType: types.ScalarAttributeTypeS},
			{AttributeName: aws.String(attrGSI1PK), AttributeType: types.ScalarAttributeTypeS},
			{AttributeName: aws.String(attrGSI1SK), AttributeType: types.ScalarAttributeTypeS},
		},
		KeySchema: []types.KeySchemaElement{
			{AttributeName: aws.String(attrPK), KeyType: types.KeyTypeHash},
			{AttributeName: aws.String(attrSK), KeyType: types.KeyTypeRange},
		},
		GlobalSecondaryIndexes: []types.GlobalSecondaryIndex{{
			IndexName: aws.String(indexByApp),
			KeySchema: []types.KeySchemaElement{
				{AttributeName: aws.String(attrGSI1PK), KeyType: types.KeyTypeHash},
				{AttributeName: aws.String(attrGSI1SK), KeyType: types.KeyTypeRange},
			},
			Projection: &types.Projection{ProjectionType: types.ProjectionTypeAll},
		}},
	}
}

// ensureTable checks that the table exists with roomhook's keys, creating it when it is missing
// (if create; else a missing table is callback.ErrNoSchema) and waiting until it can be used. A
// concurrent cold start creating the same table is fine: both wait for the one table.
func (s *Store) ensureTable(ctx context.Context, where string, create bool) error {
	out, err := s.client.describeTable(ctx, &ddb.DescribeTableInput{TableName: aws.String(s.table)})
	var notFound *types.ResourceNotFoundException
	if errors.As(err, &notFound) && !create {
		return fmt.Errorf("dynamodb: %s does not exist: %w", where, callback.ErrNoSchema)
	}
	if errors.As(err, &notFound) {
		_, err = s.client.createTable(ctx, createTableInput(s.table))
		var inUse *types.ResourceInUseException
		if err != nil && !errors.As(err, &inUse) { // in use: another instance just created it
			return fmt.Errorf("dynamodb: create %s: %w", where, err)
		}
		out, err = s.client.describeTable(ctx, &ddb.DescribeTableInput{TableName: aws.String(s.table)})
	}
	if err != nil {
		return fmt.Errorf("dynamodb: describe %s: %w", where, err)
	}

	delay := pollFirst
	for {
		desc := out.Table
		if desc == nil {
			return fmt.Errorf("dynamodb: describe %s: empty answer", where)
		}
		switch desc.TableStatus {
		case types.TableStatusActive, types.TableStatusUpdating:
			return checkKeys(desc, where)
		case types.TableStatusCreating:
			// Wait below.
		default:
			return fmt.Errorf("dynamodb: %s is %s, not usable", where, desc.TableStatus)
		}
		t := time.NewTimer(delay)
		select {
		case <-ctx.Done():
			t.Stop()
			return fmt.Errorf("dynamodb: %s is still being created: %w (raise the store's open timeout, "+
				"or create the table beforehand, e.g. with template.yaml)", where, context.Cause(ctx))
		case <-t.C:
		}
		delay = min(2*delay, pollMax)
		out, err = s.client.describeTable(ctx, &ddb.DescribeTableInput{TableName: aws.String(s.table)})
		if err != nil {
			return fmt.Errorf("dynamodb: describe %s: %w", where, err)
		}
	}
}

// checkKeys refuses a table whose keys or index differ from createTableInput's: its items would
// not be roomhook's, and roomhook's writes would fail or, worse, succeed in someone else's data.
func checkKeys(desc *types.TableDescription, where string) error {
	attrTypes := map[string]types.ScalarAttributeType{}
	for _, a := range desc.AttributeDefinitions {
		attrTypes[aws.ToString(a.AttributeName)] = a.AttributeType
	}
	want := createTableInput("")
	if !sameKeys(desc.KeySchema, want.KeySchema, attrTypes) {
		return fmt.Errorf("%w: %s has key schema %s, want pk (string, partition key) and sk (string, sort key)",
			ErrNotRoomhookTable, where, keyString(desc.KeySchema))
	}
	wantIndex := want.GlobalSecondaryIndexes[0]
	for _, gsi := range desc.GlobalSecondaryIndexes {
		if aws.ToString(gsi.IndexName) != indexByApp {
			continue
		}
		if !sameKeys(gsi.KeySchema, wantIndex.KeySchema, attrTypes) {
			return fmt.Errorf("%w: index %s of %s has key schema %s, want gsi1pk (string, partition key) and gsi1sk (string, sort key)",
				ErrNotRoomhookTable, indexByApp, where, keyString(gsi.KeySchema))
		}
		if gsi.Projection == nil || gsi.Projection.ProjectionType != types.ProjectionTypeAll {
			return fmt.Errorf("%w: index %s of %s must project ALL attributes", ErrNotRoomhookTable, indexByApp, where)
		}
		return nil
	}
	return fmt.Errorf("%w: %s has no global secondary index %s (gsi1pk, gsi1sk; projection ALL)",
		ErrNotRoomhookTable, where, indexByApp)
}

func sameKeys(got, want []types.KeySchemaElement, attrTypes map[string]types.ScalarAttributeType) bool {
	if len(got) != len(want) {
		return false
	}
	for i := range want {
		name := aws.ToString(got[i].AttributeName)
		if name != aws.ToString(want[i].AttributeName) || got[i].KeyType != want[i].KeyType ||
			attrTypes[name] != types.ScalarAttributeTypeS {
			return false
		}
	}
	return true
}

func keyString(keys []types.KeySchemaElement) string {
	s := "("
	for i, k := range keys {
		if i > 0 {
			s += ", "
		}
		s += aws.ToString(k.AttributeName) + " " + string(k.KeyType)
	}
	return s + ")"
}

// schemaKey is the key of the schema version item. Every other item's partition key starts with
// one of the prefixes of items.go ("ROOM#", "ROOMS#", "MEMBERS#", …), so it cannot collide with
// them.
func schemaKey() map[string]types.AttributeValue {
	return map[string]types.AttributeValue{
		attrPK: &types.AttributeValueMemberS{Value: schemaPK},
		attrSK: &types.AttributeValueMemberS{Value: schemaSK},
	}
}

// ensureVersion reads the schema version item and brings the table to version target:
//   - no item (a table just created, by Open or by template.yaml): write version target;
//   - an older version: migrate (see migrate: version 1's rooms refolded, version 2's Live
//     archive items moved to their groups, the gift ledger built from the archive, one refold
//     of every room concerned; to version 4, each room's directory item and each ledger item's
//     index keys), then write version target (migrateInput);
//   - version target: read legacy_until, if the table was migrated from version 1;
//   - a newer version: ErrSchemaTooNew.
//
// Every write is conditional on what was read, so cold starts racing on one table agree on one
// item: the loser reads what the winner wrote. target is schemaVersion but in tests, which make
// a table of an older version with the code's own steps.
func (s *Store) ensureVersion(ctx context.Context, where string, target int64) error {
	const attempts = 3 // two writers at most can win against one reader: new, then migrated
	for range attempts {
		out, err := s.client.getItem(ctx, &ddb.GetItemInput{
			TableName:      aws.String(s.table),
			Key:            schemaKey(),
			ConsistentRead: aws.Bool(true),
		})
		if err != nil {
			return fmt.Errorf("dynamodb: read the schema version of %s: %w", where, err)
		}
		var put *ddb.PutItemInput
		if out.Item == nil {
			item := schemaKey()
			item[attrVersion] = attrN(target)
			put = &ddb.PutItemInput{
				TableName:           aws.String(s.table),
				Item:                item,
				ConditionExpression: aws.String("attribute_not_exists(pk)"),
			}
		} else {
			v, legacyUntil, err := readVersion(out.Item, where, target)
			if err != nil {
				return err
			}
			if v == target {
				s.legacyUntil = legacyUntil
				return nil
			}
			put = migrateInput(s.table, v, target, legacyUntil, time.Now())
			// Fold in what the older versions archived without projecting it, before the
			// version item says target: the store's Tx reads the version 1 items while
			// legacyUntil is set.
			s.legacyUntil = legacyUntilOf(put)
			if err := s.migrate(ctx, where, v, target); err != nil {
				return err
			}
		}
		_, err = s.client.putItem(ctx, put)
		if err == nil {
			s.legacyUntil = legacyUntilOf(put)
			return nil
		}
		if !isConditionFailed(err) {
			return fmt.Errorf("dynamodb: write the schema version of %s: %w", where, err)
		}
		// Another instance wrote it first: read what it wrote.
	}
	return fmt.Errorf("dynamodb: the schema version item of %s kept changing while it was written", where)
}

// checkVersion is ensureVersion of a store opened read-only: it reads the schema version item
// and writes nothing. A table without the item (a table created beforehand that no function has
// opened yet) holds no roomhook schema (callback.ErrNoSchema); an older version is
// callback.ErrSchemaOlder, since reading it as version target would misread it (no room
// directory, no ledger index keys before version 4) and migrating it is not a reader's job; a
// newer one ErrSchemaTooNew.
func (s *Store) checkVersion(ctx context.Context, where string, target int64) error {
	out, err := s.client.getItem(ctx, &ddb.GetItemInput{
		TableName:      aws.String(s.table),
		Key:            schemaKey(),
		ConsistentRead: aws.Bool(true),
	})
	if err != nil {
		return fmt.Errorf("dynamodb: read the schema version of %s: %w", where, err)
	}
	if out.Item == nil {
		return fmt.Errorf("dynamodb: %s has no schema version item (pk=%s, sk=%s): %w", where, schemaPK, schemaSK,
			callback.ErrNoSchema)
	}
	v, legacyUntil, err := readVersion(out.Item, where, target)
	if err != nil {
		return err
	}
	if v < target {
		return fmt.Errorf("dynamodb: %s has DynamoDB item layout version %d, this roomhook reads version %d: %w; "+
			"upgrade it by starting a function of this version or running scripts/migrate", where, v, target,
			callback.ErrSchemaOlder)
	}
	s.legacyUntil = legacyUntil
	return nil
}

// migrateInput is the write that moves a table from version from to version to, once migrate
// has done its work. No version 2 item is rewritten but the Live family's archive items that
// version 2 archived in group X (moved to their own group); the version 1 archive items of the
// Room family stay where they are, and legacy_until (Unix ms) tells every instance that they
// exist and up to which EventTime a delivery may repeat one of them: the time of the
// migration from version 1 plus legacyMargin, kept as it is by later migrations (legacyUntil,
// 0 for none). The write is conditional on the version read, so racing cold starts agree on
// one legacy_until.
func migrateInput(table string, from, to, legacyUntil int64, now time.Time) *ddb.PutItemInput {
	item := schemaKey()
	item[attrVersion] = attrN(to)
	if from == 1 {
		legacyUntil = now.Add(legacyMargin).UnixMilli()
	}
	if legacyUntil != 0 {
		item[attrLegacyUntil] = attrN(legacyUntil)
	}
	return &ddb.PutItemInput{
		TableName:                 aws.String(table),
		Item:                      item,
		ConditionExpression:       aws.String("#v = :from"),
		ExpressionAttributeNames:  map[string]string{"#v": attrVersion},
		ExpressionAttributeValues: map[string]types.AttributeValue{":from": attrN(from)},
	}
}

// legacyUntilOf returns the legacy_until a write of the schema version item sets (0: none).
func legacyUntilOf(put *ddb.PutItemInput) int64 {
	n, ok := put.Item[attrLegacyUntil].(*types.AttributeValueMemberN)
	if !ok {
		return 0
	}
	v, _ := strconv.ParseInt(n.Value, 10, 64)
	return v
}

// readVersion reads the schema version item: its version, which must be one this code knows
// (up to target), and legacy_until (0 when absent).
func readVersion(item map[string]types.AttributeValue, where string, target int64) (version, legacyUntil int64, err error) {
	n, ok := item[attrVersion].(*types.AttributeValueMemberN)
	if !ok {
		return 0, 0, fmt.Errorf("dynamodb: the schema version item (pk=%s, sk=%s) of %s has no numeric version; "+
			"the table is not a roomhook table", schemaPK, schemaSK, where)
	}
	v, err := strconv.ParseInt(n.Value, 10, 64)
	switch {
	case err != nil || v < 1:
		return 0, 0, fmt.Errorf("dynamodb: %s has unknown schema version %s", where, n.Value)
	case v > target:
		return 0, 0, fmt.Errorf("%w: %s has version %d, this roomhook knows up to %d; upgrade roomhook",
			ErrSchemaTooNew, where, v, target)
	}
	d := decoder{item: item}
	if p := d.optInt(attrLegacyUntil); p != nil {
		legacyUntil = *p
	}
	if d.err != nil {
		return 0, 0, fmt.Errorf("dynamodb: the schema version item of %s: %w", where, d.err)
	}
	return v, legacyUntil, nil
}
