package dynamodb

import (
	"bytes"
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	ddb "github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/roomhook/roomhook/pkg/callback"
	"github.com/roomhook/roomhook/pkg/store/storetest"
)

// testEnv names the variable holding the DynamoDB-compatible server the tests use.
const testEnv = "ROOMHOOK_TEST_DYNAMODB"

// Dummy credentials, distinctive so that a test can prove they never reach an error message.
const (
	testAccessKeyID  = "AKIDROOMHOOKTEST0001"
	testSecretKey    = "roomhook-secret-key-must-never-be-printed"
	testSessionToken = "roomhook-session-token-must-never-be-printed"
)

// server returns the region and endpoint of the test server, or skips the test. The table
// named in the URL is not used: every test works on a fresh table of its own.
func server(t *testing.T) (region, endpoint string) {
	t.Helper()
	raw := os.Getenv(testEnv)
	if raw == "" {
		t.Skipf("%s is not set; to run the DynamoDB tests start a DynamoDB-compatible server, e.g.\n"+
			"  npm install --prefix \"$HOME/.cache/roomhook-dynalite\" dynalite@4.0.0\n"+
			"  \"$HOME/.cache/roomhook-dynalite/node_modules/.bin/dynalite\" --host 127.0.0.1 --port 18000 --createTableMs 0 --deleteTableMs 0 --updateTableMs 0 &\n"+
			"and set %s='dynamodb://roomhook?region=us-east-1&endpoint=http://127.0.0.1:18000'", testEnv, testEnv)
	}
	loc, err := parseURL(raw)
	if err != nil {
		t.Fatalf("%s: %v", testEnv, err)
	}
	if loc.endpoint == "" {
		// The tests create and delete tables with dummy credentials: a local server only.
		t.Fatalf("%s must name a local server with endpoint=, e.g. dynamodb://roomhook?region=us-east-1&endpoint=http://127.0.0.1:18000", testEnv)
	}
	if loc.region == "" {
		loc.region = "us-east-1"
	}
	return loc.region, loc.endpoint
}

// isolateAWS gives the SDK dummy credentials and nothing else from this machine: no profile,
// no shared files, no instance metadata.
func isolateAWS(t *testing.T) {
	t.Helper()
	dir := t.TempDir()
	for k, v := range map[string]string{
		"AWS_ACCESS_KEY_ID":           testAccessKeyID,
		"AWS_SECRET_ACCESS_KEY":       testSecretKey,
		"AWS_SESSION_TOKEN":           testSessionToken,
		"AWS_PROFILE":                 "",
		"AWS_DEFAULT_PROFILE":         "",
		"AWS_REGION":                  "",
		"AWS_DEFAULT_REGION":          "",
		"AWS_ENDPOINT_URL":            "",
		"AWS_ENDPOINT_URL_DYNAMODB":   "",
		"AWS_CONFIG_FILE":             filepath.Join(dir, "config"),
		"AWS_SHARED_CREDENTIALS_FILE": filepath.Join(dir, "credentials"),
		"AWS_EC2_METADATA_DISABLED":   "true",
	} {
		t.Setenv(k, v)
	}
}

// tableName returns a fresh table name, so that every test starts from an empty table.
func tableName() string { return "roomhook-test-" + strings.ToLower(rand.Text()) }

func storeURL(t *testing.T, table string) string {
	region, endpoint := server(t)
	return fmt.Sprintf("dynamodb://%s?region=%s&endpoint=%s", table, region, endpoint)
}

// rawClient talks to the test server without roomhook's code, as an operator's tool would.
func rawClient(t *testing.T) *ddb.Client {
	t.Helper()
	region, endpoint := server(t)
	return ddb.New(ddb.Options{
		Region:       region,
		BaseEndpoint: aws.String(endpoint),
		Credentials: aws.CredentialsProviderFunc(func(context.Context) (aws.Credentials, error) {
			return aws.Credentials{AccessKeyID: testAccessKeyID, SecretAccessKey: testSecretKey}, nil
		}),
	})
}

// dropTable deletes table when the test ends.
func dropTable(t *testing.T, table string) {
	t.Helper()
	c := rawClient(t)
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		_, err := c.DeleteTable(ctx, &ddb.DeleteTableInput{TableName: aws.String(table)})
		var notFound *types.ResourceNotFoundException
		if err != nil && !errors.As(err, &notFound) {
			t.Errorf("delete table %s: %v", table, err)
		}
	})
}

// open opens a store on a fresh table, closes it and deletes the table when the test ends.
func open(t *testing.T) *Store {
	t.Helper()
	isolateAWS(t)
	table := tableName()
	dropTable(t, table)
	return openURL(t, storeURL(t, table))
}

func openURL(t *testing.T, rawURL string) *Store {
	t.Helper()
	s, err := Open(t.Context(), rawURL, Options{})
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	t.Cleanup(func() {
		if err := s.Close(); err != nil {
			t.Errorf("Close: %v", err)
		}
	})
	return s
}

func TestConformance(t *testing.T) {
	server(t)
	storetest.Run(t, func(t *testing.T) storetest.Backend { return open(t) })
}

// getItem reads one item directly.
func getItem(t *testing.T, table, pk, sk string) map[string]types.AttributeValue {
	t.Helper()
	out, err := rawClient(t).GetItem(t.Context(), &ddb.GetItemInput{
		TableName: aws.String(table), Key: key(pk, sk), ConsistentRead: aws.Bool(true),
	})
	if err != nil {
		t.Fatalf("GetItem(%s, %s): %v", pk, sk, err)
	}
	return out.Item
}

func putItem(t *testing.T, table string, item map[string]types.AttributeValue) {
	t.Helper()
	if _, err := rawClient(t).PutItem(t.Context(), &ddb.PutItemInput{TableName: aws.String(table), Item: item}); err != nil {
		t.Fatalf("PutItem: %v", err)
	}
}

// TestRepairHalfApplied plays a delivery that archived the event and died before the room
// write: the re-delivery is a duplicate, and it completes the room.
func TestRepairHalfApplied(t *testing.T) {
	s := open(t)
	ev := storetest.SeedEvent()
	item, err := archiveItem(ev, stamp(s.nextStamp()))
	if err != nil {
		t.Fatal(err)
	}
	putItem(t, s.table, item)
	if _, err := s.Room(t.Context(), ev.SdkAppID, ev.RoomID); !errors.Is(err, callback.ErrNotFound) {
		t.Fatalf("Room after the half-applied save: %v, want ErrNotFound", err)
	}

	if o, err := s.Save(t.Context(), storetest.SeedEvent()); err != nil || o != callback.OutcomeDuplicate {
		t.Fatalf("re-delivery: Save = %v, %v; want duplicate", o, err)
	}
	got, err := s.Room(t.Context(), ev.SdkAppID, ev.RoomID)
	if err != nil {
		t.Fatalf("Room after the repair: %v", err)
	}
	if got.Room.EventTime != ev.EventTime || *got.Room.RoomInfo.RoomName != *ev.Room.RoomInfo.RoomName ||
		got.Room.CallbackCommand != ev.Command || len(got.Room.ScheduleInviteeList) != 2 {
		t.Errorf("repaired room = %+v, want the seed's", got.Room)
	}
	evs, err := s.Events(t.Context(), ev.SdkAppID)
	if err != nil || len(evs) != 1 {
		t.Errorf("Events = %d items, %v; want 1", len(evs), err)
	}

	// The same when the room already holds an older event: the re-delivery moves it forward.
	newer := storetest.SeedEvent()
	newer.EventTime += 1000
	newer.Room.EventTime = newer.EventTime
	newer.Room.RoomInfo.RoomName = aws.String("newer name")
	item, err = archiveItem(newer, stamp(s.nextStamp()))
	if err != nil {
		t.Fatal(err)
	}
	putItem(t, s.table, item)
	if o, err := s.Save(t.Context(), newer); err != nil || o != callback.OutcomeDuplicate {
		t.Fatalf("re-delivery of the newer event: Save = %v, %v; want duplicate", o, err)
	}
	if got, err := s.Room(t.Context(), ev.SdkAppID, ev.RoomID); err != nil || got.Room.EventTime != newer.EventTime ||
		*got.Room.RoomInfo.RoomName != "newer name" {
		t.Errorf("Room after repairing the newer event = %+v, %v; want the newer event", got, err)
	}
}

// TestRaceWithRedelivery plays the other order: a re-delivery of the event wrote the room
// between this delivery's two steps. This delivery archived the event, so it is the one stored.
func TestRaceWithRedelivery(t *testing.T) {
	s := open(t)
	ev := storetest.SeedEvent()
	room, err := roomItem(ev)
	if err != nil {
		t.Fatal(err)
	}
	putItem(t, s.table, room)
	if o, err := s.Save(t.Context(), ev); err != nil || o != callback.OutcomeStored {
		t.Errorf("Save = %v, %v; want stored", o, err)
	}
	// Another command at the same EventTime is the room's state already: stale.
	other := storetest.SeedEvent()
	other.Command = "Room.CallbackAfterUpdateRoomInfo"
	if o, err := s.Save(t.Context(), other); err != nil || o != callback.OutcomeStale {
		t.Errorf("Save of another command at the same time = %v, %v; want stale", o, err)
	}
}

func TestTableCreatedAndReused(t *testing.T) {
	isolateAWS(t)
	table := tableName()
	dropTable(t, table)
	c := rawClient(t)
	var notFound *types.ResourceNotFoundException
	if _, err := c.DescribeTable(t.Context(), &ddb.DescribeTableInput{TableName: aws.String(table)}); !errors.As(err, &notFound) {
		t.Fatalf("DescribeTable before Open: %v, want ResourceNotFoundException", err)
	}

	s, err := Open(t.Context(), storeURL(t, table), Options{})
	if err != nil {
		t.Fatalf("Open of a missing table: %v", err)
	}
	out, err := c.DescribeTable(t.Context(), &ddb.DescribeTableInput{TableName: aws.String(table)})
	if err != nil {
		t.Fatal(err)
	}
	d := out.Table
	if d.TableStatus != types.TableStatusActive {
		t.Errorf("table status = %s, want ACTIVE", d.TableStatus)
	}
	if d.BillingModeSummary == nil || d.BillingModeSummary.BillingMode != types.BillingModePayPerRequest {
		t.Errorf("billing mode = %+v, want PAY_PER_REQUEST", d.BillingModeSummary)
	}
	if got := keyString(d.KeySchema); got != "(pk HASH, sk RANGE)" {
		t.Errorf("key schema = %s", got)
	}
	if len(d.GlobalSecondaryIndexes) != 1 || aws.ToString(d.GlobalSecondaryIndexes[0].IndexName) != "gsi1" ||
		keyString(d.GlobalSecondaryIndexes[0].KeySchema) != "(gsi1pk HASH, gsi1sk RANGE)" ||
		d.GlobalSecondaryIndexes[0].Projection.ProjectionType != types.ProjectionTypeAll {
		t.Errorf("indexes = %+v, want gsi1 (gsi1pk, gsi1sk) projecting ALL", d.GlobalSecondaryIndexes)
	}
	if o, err := s.Save(t.Context(), storetest.SeedEvent()); err != nil || o != callback.OutcomeStored {
		t.Fatalf("Save = %v, %v", o, err)
	}
	openConns := func() int {
		s.conns.mu.Lock()
		defer s.conns.mu.Unlock()
		return len(s.conns.conns)
	}
	// Whether a connection is still open here depends on the server's keep-alive (dynalite may
	// close it after the answer), so only the state after Close is asserted.
	if err := s.Close(); err != nil {
		t.Errorf("Close: %v", err)
	}
	if n := openConns(); n != 0 {
		t.Errorf("%d connections still open after Close", n)
	}
	if _, err := s.Save(t.Context(), storetest.SeedEvent()); err == nil {
		t.Error("Save after Close succeeded, want an error")
	}
	if _, err := s.Room(t.Context(), storetest.SeedSdkAppID, "tandy-test-rest"); err == nil {
		t.Error("Room after Close succeeded, want an error")
	}

	// Reopened: the same table, the same data.
	s = openURL(t, storeURL(t, table))
	if o, err := s.Save(t.Context(), storetest.SeedEvent()); err != nil || o != callback.OutcomeDuplicate {
		t.Errorf("Save after reopen = %v, %v; want duplicate", o, err)
	}
	if _, err := s.Room(t.Context(), storetest.SeedSdkAppID, "tandy-test-rest"); err != nil {
		t.Errorf("Room after reopen: %v", err)
	}
	checkVersionItem(t, table, "1")
}

// TestTableCreatedBeforehand opens a table created the way template.yaml creates it: the keys and
// index, no items. Open adds the schema version.
func TestTableCreatedBeforehand(t *testing.T) {
	isolateAWS(t)
	table := tableName()
	dropTable(t, table)
	if _, err := rawClient(t).CreateTable(t.Context(), createTableInput(table)); err != nil {
		t.Fatal(err)
	}
	s := openURL(t, storeURL(t, table))
	checkVersionItem(t, table, "1")
	if o, err := s.Save(t.Context(), storetest.SeedEvent()); err != nil || o != callback.OutcomeStored {
		t.Errorf("Save = %v, %v", o, err)
	}
}

// TestConcurrentOpen plays several cold starts racing on a missing table: all succeed.
func TestConcurrentOpen(t *testing.T) {
	isolateAWS(t)
	table := tableName()
	dropTable(t, table)
	u := storeURL(t, table)
	var wg sync.WaitGroup
	for i := range 4 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			s, err := Open(t.Context(), u, Options{})
			if err != nil {
				t.Errorf("Open %d: %v", i, err)
				return
			}
			s.Close()
		}()
	}
	wg.Wait()
	checkVersionItem(t, table, "1")
}

func checkVersionItem(t *testing.T, table, want string) {
	t.Helper()
	item := getItem(t, table, "SCHEMA", "VERSION")
	v, ok := item["version"].(*types.AttributeValueMemberN)
	if !ok || v.Value != want {
		t.Errorf("schema version item = %v, want version %s (N)", item, want)
	}
}

func TestNewerSchemaRefused(t *testing.T) {
	s := open(t)
	s.Close()
	for _, tc := range []struct {
		name    string
		version types.AttributeValue
		wantErr error
		wantMsg string
	}{
		{"newer", &types.AttributeValueMemberN{Value: "2"}, ErrSchemaTooNew, "version 2"},
		{"zero", &types.AttributeValueMemberN{Value: "0"}, nil, "unknown schema version 0"},
		{"not a number", &types.AttributeValueMemberS{Value: "1"}, nil, "no numeric version"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			item := key(schemaPK, schemaSK)
			item["version"] = tc.version
			putItem(t, s.table, item)
			s2, err := Open(t.Context(), storeURL(t, s.table), Options{})
			if err == nil {
				s2.Close()
				t.Fatal("Open succeeded, want an error")
			}
			if tc.wantErr != nil && !errors.Is(err, tc.wantErr) {
				t.Errorf("err = %v, want %v", err, tc.wantErr)
			}
			if !strings.Contains(err.Error(), tc.wantMsg) {
				t.Errorf("err = %q, want it to contain %q", err, tc.wantMsg)
			}
		})
	}
}

func TestForeignTableRefused(t *testing.T) {
	isolateAWS(t)
	c := rawClient(t)
	noIndex := createTableInput("")
	noIndex.GlobalSecondaryIndexes = nil
	noIndex.AttributeDefinitions = noIndex.AttributeDefinitions[:2]
	keysOnly := createTableInput("")
	keysOnly.GlobalSecondaryIndexes[0].Projection.ProjectionType = types.ProjectionTypeKeysOnly
	numberKey := createTableInput("")
	numberKey.AttributeDefinitions[1].AttributeType = types.ScalarAttributeTypeN
	for _, tc := range []struct {
		name string
		in   *ddb.CreateTableInput
	}{
		{"other keys", &ddb.CreateTableInput{
			AttributeDefinitions: []types.AttributeDefinition{{AttributeName: aws.String("id"), AttributeType: types.ScalarAttributeTypeS}},
			KeySchema:            []types.KeySchemaElement{{AttributeName: aws.String("id"), KeyType: types.KeyTypeHash}},
			BillingMode:          types.BillingModePayPerRequest,
		}},
		{"no index", noIndex},
		{"index without all attributes", keysOnly},
		{"numeric sort key", numberKey},
	} {
		t.Run(tc.name, func(t *testing.T) {
			table := tableName()
			dropTable(t, table)
			tc.in.TableName = aws.String(table)
			if _, err := c.CreateTable(t.Context(), tc.in); err != nil {
				t.Fatal(err)
			}
			s, err := Open(t.Context(), storeURL(t, table), Options{})
			if err == nil {
				s.Close()
				t.Fatal("Open succeeded, want an error")
			}
			if !errors.Is(err, ErrNotRoomhookTable) {
				t.Errorf("err = %v, want ErrNotRoomhookTable", err)
			}
			out, err := c.Scan(t.Context(), &ddb.ScanInput{TableName: aws.String(table), Select: types.SelectCount})
			if err != nil || out.Count != 0 {
				t.Errorf("foreign table holds %v items (%v) after Open, want 0", out.Count, err)
			}
		})
	}
}

func TestEndpointGone(t *testing.T) {
	isolateAWS(t)
	start := time.Now()
	s, err := Open(t.Context(), "dynamodb://roomhook?region=us-east-1&endpoint=http://127.0.0.1:1", Options{Timeout: 5 * time.Second})
	if err == nil {
		s.Close()
		t.Fatal("Open against a closed port succeeded, want an error")
	}
	if d := time.Since(start); d > 3*time.Second {
		t.Errorf("Open took %v to fail, want well under its 5 s timeout", d)
	}
	for _, want := range []string{`table "roomhook"`, "http://127.0.0.1:1", "connection refused"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("err = %q, want it to contain %q", err, want)
		}
	}
}

// TestEndpointSilent: a server that accepts connections and never answers costs Open its
// timeout, not more.
func TestEndpointSilent(t *testing.T) {
	isolateAWS(t)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	var (
		mu    sync.Mutex
		conns []net.Conn
	)
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			mu.Lock()
			conns = append(conns, c)
			mu.Unlock()
		}
	}()
	defer func() {
		mu.Lock()
		defer mu.Unlock()
		for _, c := range conns {
			c.Close()
		}
	}()

	start := time.Now()
	u := "dynamodb://roomhook?region=us-east-1&endpoint=http://" + ln.Addr().String()
	s, err := Open(t.Context(), u, Options{Timeout: 300 * time.Millisecond})
	if err == nil {
		s.Close()
		t.Fatal("Open against a silent server succeeded, want an error")
	}
	if d := time.Since(start); d > 2*time.Second {
		t.Errorf("Open took %v to fail, want about its 300 ms timeout", d)
	}
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("err = %v, want it to wrap context.DeadlineExceeded", err)
	}
}

func TestNoRegion(t *testing.T) {
	isolateAWS(t)
	s, err := Open(t.Context(), "dynamodb://roomhook", Options{})
	if err == nil {
		s.Close()
		t.Fatal("Open without any region succeeded, want an error")
	}
	if !strings.Contains(err.Error(), "AWS_REGION") || !strings.Contains(err.Error(), "region=") {
		t.Errorf("err = %q, want it to say how to set the region", err)
	}
}

func TestRegionFromEnvironment(t *testing.T) {
	isolateAWS(t)
	region, endpoint := server(t)
	t.Setenv("AWS_REGION", region)
	table := tableName()
	dropTable(t, table)
	s := openURL(t, "dynamodb://"+table+"?endpoint="+endpoint)
	if o, err := s.Save(t.Context(), storetest.SeedEvent()); err != nil || o != callback.OutcomeStored {
		t.Errorf("Save = %v, %v", o, err)
	}
}

// archiveOverhead is the size of ev's archive item without its raw body.
func archiveOverhead(t *testing.T, ev *callback.Event) int {
	t.Helper()
	c := *ev
	c.Raw = nil
	item, err := archiveItem(&c, stamp(time.Now().UnixNano()))
	if err != nil {
		t.Fatal(err)
	}
	return itemSize(item)
}

func TestBigRawBodies(t *testing.T) {
	s := open(t)
	body := func(n int) []byte { // compressible, JSON-like, exactly n bytes
		b := []byte(`{"CallbackCommand":"Room.CallbackAfterMemberEnter","Pad":"`)
		b = append(b, bytes.Repeat([]byte("x"), n-len(b)-2)...)
		return append(b, '"', '}')
	}
	unknown := func(room string, raw []byte) *callback.Event {
		return &callback.Event{
			SdkAppID: storetest.SeedSdkAppID, Command: "Room.CallbackAfterMemberEnter", RoomID: room,
			EventTime: 1703589923000, RequestID: "req-big", ReceivedAt: time.UnixMilli(1703589923456), Raw: raw,
		}
	}
	var want []*callback.Event

	// Just under: the item fits with the body verbatim.
	under := unknown("under", nil)
	under.Raw = body(itemBudget - archiveOverhead(t, under))
	if o, err := s.Save(t.Context(), under); err != nil || o != callback.OutcomeIgnored {
		t.Fatalf("Save of a %d-byte body = %v, %v; want ignored", len(under.Raw), o, err)
	}
	want = append(want, under)
	item := getItem(t, s.table, roomPK(under.SdkAppID, "under"), eventSK(under, ""))
	if _, ok := item[attrRawBodyEncoding]; ok || !bytes.Equal(item[attrRawBody].(*types.AttributeValueMemberB).Value, under.Raw) {
		t.Errorf("a body that fits is not stored verbatim (raw_body_encoding %v)", item[attrRawBodyEncoding])
	}
	if size := itemSize(item); size != itemBudget {
		t.Errorf("item size = %d, want exactly the budget %d (test setup)", size, itemBudget)
	}

	// Just over, and the core's largest body: gzip-compressed, flagged, read back verbatim.
	for _, ev := range []*callback.Event{unknown("over", nil), unknown("max", body(callback.MaxBodyBytes))} {
		if ev.Raw == nil {
			ev.Raw = body(itemBudget - archiveOverhead(t, ev) + 1)
		}
		if o, err := s.Save(t.Context(), ev); err != nil || o != callback.OutcomeIgnored {
			t.Fatalf("Save of a %d-byte body = %v, %v; want ignored", len(ev.Raw), o, err)
		}
		want = append(want, ev)
		item := getItem(t, s.table, roomPK(ev.SdkAppID, ev.RoomID), eventSK(ev, ""))
		if enc, _ := item[attrRawBodyEncoding].(*types.AttributeValueMemberS); enc == nil || enc.Value != "gzip" {
			t.Errorf("%d-byte body: raw_body_encoding = %v, want gzip", len(ev.Raw), item[attrRawBodyEncoding])
		}
	}

	// Incompressible and too large: a clear error, nothing written.
	noise := make([]byte, callback.MaxBodyBytes)
	rand.Read(noise)
	_, err := s.Save(t.Context(), unknown("noise", noise))
	if !errors.Is(err, ErrItemTooLarge) {
		t.Errorf("Save of 1 MiB of noise: err = %v, want ErrItemTooLarge", err)
	}
	// A room item over the limit is refused before anything is written.
	huge := storetest.SeedEvent()
	huge.RoomID, huge.Room.RoomInfo.RoomID = "huge", "huge"
	huge.Room.RoomInfo.CustomInfo = aws.String(strings.Repeat("c", maxItemBytes))
	huge.Raw = body(maxItemBytes + 1000)
	if _, err := s.Save(t.Context(), huge); !errors.Is(err, ErrItemTooLarge) {
		t.Errorf("Save of a room over the limit: err = %v, want ErrItemTooLarge", err)
	}

	evs, err := s.Events(t.Context(), storetest.SeedSdkAppID)
	if err != nil {
		t.Fatal(err)
	}
	if len(evs) != len(want) {
		t.Fatalf("Events = %d items, want %d", len(evs), len(want))
	}
	for i := range want {
		if !bytes.Equal(evs[i].Raw, want[i].Raw) || evs[i].RoomID != want[i].RoomID {
			t.Errorf("Events[%d] = room %q, %d-byte body; want room %q, its %d-byte body verbatim",
				i, evs[i].RoomID, len(evs[i].Raw), want[i].RoomID, len(want[i].Raw))
		}
	}
	if _, err := s.Room(t.Context(), huge.SdkAppID, "huge"); !errors.Is(err, callback.ErrNotFound) {
		t.Errorf("Room of the refused event: %v, want ErrNotFound", err)
	}
}

// TestItemSizeIsAnUpperBound writes items exactly at DynamoDB's limit by itemSize's count: the
// server must accept them, so Save's own check is never more generous than the server.
func TestItemSizeIsAnUpperBound(t *testing.T) {
	s := open(t)
	ev := storetest.SeedEvent()
	ev.Room.RoomInfo.RoomName = aws.String("房间🙂")
	ev.Room.ScheduleInviteeList = []string{"a", "用户", ""}
	room, err := roomItem(ev)
	if err != nil {
		t.Fatal(err)
	}
	room["pad"] = attrS(strings.Repeat("é", (maxItemBytes-itemSize(room)-len("pad"))/2))
	if size := itemSize(room); size > maxItemBytes || size < maxItemBytes-1 {
		t.Fatalf("test setup: item size %d, want %d", size, maxItemBytes)
	}
	putItem(t, s.table, room)

	// The server does enforce the limit, so the check above means something.
	room["pad"] = attrS(strings.Repeat("x", maxItemBytes))
	_, err = rawClient(t).PutItem(t.Context(), &ddb.PutItemInput{TableName: aws.String(s.table), Item: room})
	if err == nil || !strings.Contains(err.Error(), "maximum allowed size") {
		t.Errorf("PutItem of an item over 400 KB: %v, want the server to refuse it", err)
	}
}

// TestItemLayout pins the keys, attribute names and types: they are a contract users query.
func TestItemLayout(t *testing.T) {
	s := open(t)
	ev := storetest.SeedEvent()
	if _, err := s.Save(t.Context(), ev); err != nil {
		t.Fatal(err)
	}
	noTime := &callback.Event{SdkAppID: ev.SdkAppID, Command: "Group.CallbackAfterSendMsg", ReceivedAt: ev.ReceivedAt, Raw: []byte("{}")}
	if _, err := s.Save(t.Context(), noTime); err != nil {
		t.Fatal(err)
	}

	room := getItem(t, s.table, "ROOM#1400123456#tandy-test-rest", "ROOM")
	wantRoom := "pk:S sk:S sdk_app_id:N room_id:S room_name:S room_type:S owner_account:S max_member_count:N " +
		"max_seat_count:N is_video_disabled:BOOL is_audio_disabled:BOOL is_message_disabled:BOOL " +
		"is_screen_sharing_disabled:BOOL is_cloud_recording_disabled:BOOL custom_info:S " +
		"schedule_start_time:N schedule_end_time:N room_status:S is_seat_enabled:BOOL take_seat_mode:S " +
		"create_time:N operator_account:S schedule_invitee_list_account:L callback_command:S event_time:N updated_at:N"
	checkLayout(t, "room item", room, wantRoom)
	if inv := room[attrInvitees].(*types.AttributeValueMemberL).Value; len(inv) != 2 ||
		inv[0].(*types.AttributeValueMemberS).Value != "user2" || inv[1].(*types.AttributeValueMemberS).Value != "user3" {
		t.Errorf("schedule_invitee_list_account = %v, want [user2 user3]", inv)
	}
	if v := room[attrUpdatedAt].(*types.AttributeValueMemberN).Value; v != fmt.Sprint(ev.ReceivedAt.UnixMilli()) {
		t.Errorf("updated_at = %s, want Unix ms %d", v, ev.ReceivedAt.UnixMilli())
	}

	archive := getItem(t, s.table, "ROOM#1400123456#tandy-test-rest", "EVENT#0000001703589922780#Room.CallbackAfterCreateRoom")
	wantArchive := "pk:S sk:S gsi1pk:S gsi1sk:S sdk_app_id:N callback_command:S room_id:S event_time:N " +
		"client_ip:S opt_platform:S request_id:S received_at:N raw_body:B"
	checkLayout(t, "archive item", archive, wantArchive)
	if v := archive[attrGSI1PK].(*types.AttributeValueMemberS).Value; v != "EVENTS#1400123456" {
		t.Errorf("gsi1pk = %q", v)
	}
	if v := archive[attrGSI1SK].(*types.AttributeValueMemberS).Value; len(v) != 19+1+26 || v[19] != '#' {
		t.Errorf("gsi1sk = %q, want 19 digits, '#', 26 random characters", v)
	}

	// The event without EventTime: its own unique sort key, no event_time attribute.
	out, err := rawClient(t).Query(t.Context(), &ddb.QueryInput{
		TableName:              aws.String(s.table),
		KeyConditionExpression: aws.String("pk = :p AND begins_with(sk, :s)"),
		ExpressionAttributeValues: map[string]types.AttributeValue{
			":p": attrS("ROOM#1400123456#"), ":s": attrS("EVENT#NOTIME#"),
		},
	})
	if err != nil || len(out.Items) != 1 {
		t.Fatalf("Query for the event without EventTime = %v, %v; want 1 item", out, err)
	}
	checkLayout(t, "archive item without EventTime", out.Items[0],
		"pk:S sk:S gsi1pk:S gsi1sk:S sdk_app_id:N callback_command:S room_id:S client_ip:S opt_platform:S request_id:S received_at:N raw_body:B")
}

func checkLayout(t *testing.T, what string, item map[string]types.AttributeValue, want string) {
	t.Helper()
	if item == nil {
		t.Fatalf("%s is missing", what)
	}
	wantSet := map[string]bool{}
	for _, f := range strings.Fields(want) {
		wantSet[f] = true
	}
	for name, v := range item {
		typ := strings.TrimPrefix(fmt.Sprintf("%T", v), "*types.AttributeValueMember")
		if !wantSet[name+":"+typ] {
			t.Errorf("%s has attribute %s of type %s, not in the layout", what, name, typ)
		}
		delete(wantSet, name+":"+typ)
	}
	for f := range wantSet {
		t.Errorf("%s lacks attribute %s", what, f)
	}
}

func TestSaveRejectsInconsistentEvent(t *testing.T) {
	s := open(t)
	for name, mutate := range map[string]func(*callback.Event){
		"room id":           func(ev *callback.Event) { ev.RoomID = "other" },
		"event time":        func(ev *callback.Event) { ev.EventTime++ },
		"room id not UTF-8": func(ev *callback.Event) { ev.RoomID, ev.Room.RoomInfo.RoomID = "r\xff", "r\xff" },
		"command not UTF-8": func(ev *callback.Event) { ev.Command = "Room.\xfe" },
		"room id too long":  func(ev *callback.Event) { ev.RoomID = strings.Repeat("r", 2048); ev.Room.RoomInfo.RoomID = ev.RoomID },
		"command too long":  func(ev *callback.Event) { ev.Command = strings.Repeat("c", 1024) },
	} {
		ev := storetest.SeedEvent()
		mutate(ev)
		if o, err := s.Save(t.Context(), ev); err == nil {
			t.Errorf("%s: Save = %v, nil; want an error", name, o)
		}
	}
	if _, err := s.Save(t.Context(), nil); err == nil {
		t.Error("Save(nil) succeeded, want an error")
	}
	evs, err := s.Events(t.Context(), storetest.SeedSdkAppID)
	if err != nil || len(evs) != 0 {
		t.Errorf("Events after rejected saves = %d items, %v; want none", len(evs), err)
	}
}

// TestCredentialsNeverInErrors collects every kind of error Open and Save return and checks
// that none carries the secret key or session token (nor the key id, for good measure).
func TestCredentialsNeverInErrors(t *testing.T) {
	s := open(t)
	var errs []error
	add := func(err error) {
		if err == nil {
			t.Error("expected an error, got nil")
			return
		}
		errs = append(errs, err)
	}
	_, err := Open(t.Context(), "dynamodb://roomhook?region=us-east-1&endpoint=http://127.0.0.1:1", Options{Timeout: 2 * time.Second})
	add(err)
	_, err = Open(t.Context(), "dynamodb://roomhook?endpoint=http://"+testAccessKeyID+":"+testSecretKey+"@127.0.0.1:1", Options{})
	add(err)
	_, err = Open(t.Context(), "dynamodb://"+testAccessKeyID+":"+testSecretKey+"@roomhook", Options{})
	add(err)
	_, err = Open(t.Context(), "dynamodb://roomhook?secret_key="+testSecretKey, Options{})
	add(err)
	ctx, cancel := context.WithCancel(t.Context())
	cancel()
	_, err = s.Save(ctx, storetest.SeedEvent())
	add(err)
	noise := make([]byte, callback.MaxBodyBytes)
	rand.Read(noise)
	_, err = s.Save(t.Context(), &callback.Event{SdkAppID: 1, Command: "X", Raw: noise})
	add(err)
	item := key(schemaPK, schemaSK)
	item["version"] = &types.AttributeValueMemberN{Value: "9"}
	putItem(t, s.table, item)
	_, err = Open(t.Context(), storeURL(t, s.table), Options{})
	add(err)
	// An endpoint with user information from the SDK's own variable, which roomhook does not check.
	t.Setenv("AWS_ENDPOINT_URL_DYNAMODB", "http://"+testAccessKeyID+":"+testSecretKey+"@127.0.0.1:1")
	_, err = Open(t.Context(), "dynamodb://roomhook?region=us-east-1", Options{Timeout: 2 * time.Second})
	add(err)
	if err != nil && !strings.Contains(err.Error(), "at http://127.0.0.1:1") {
		t.Errorf("err = %q, want it to name the endpoint from AWS_ENDPOINT_URL_DYNAMODB", err)
	}
	t.Setenv("AWS_ENDPOINT_URL_DYNAMODB", "")
	// A server that refuses the request (a table name it does not accept).
	_, err = s.client.describeTable(t.Context(), &ddb.DescribeTableInput{TableName: aws.String("x")})
	add(err)

	for _, err := range errs {
		msg := fmt.Sprintf("%v %+v", err, err)
		for _, secret := range []string{testSecretKey, testSessionToken, testAccessKeyID} {
			if strings.Contains(msg, secret) {
				t.Errorf("error %q contains a credential", msg)
			}
		}
	}
}

func TestParseURL(t *testing.T) {
	tests := []struct {
		name    string
		url     string
		want    location
		wantErr string
	}{
		{"table only", "dynamodb://roomhook", location{table: "roomhook"}, ""},
		{"region", "dynamodb://roomhook?region=ap-guangzhou-1", location{table: "roomhook", region: "ap-guangzhou-1"}, ""},
		{"all", "dynamodb://Room_hook.v1-x?region=us-east-1&endpoint=http://127.0.0.1:18000",
			location{table: "Room_hook.v1-x", region: "us-east-1", endpoint: "http://127.0.0.1:18000"}, ""},
		{"encoded endpoint", "DynamoDB://roomhook?endpoint=https%3A%2F%2Fvpce-1.dynamodb.us-east-1.vpce.amazonaws.com",
			location{table: "roomhook", endpoint: "https://vpce-1.dynamodb.us-east-1.vpce.amazonaws.com"}, ""},
		{"other scheme", "mysql://roomhook", location{}, "must start with dynamodb://"},
		{"no scheme", "roomhook", location{}, "must start with dynamodb://"},
		{"no table", "dynamodb://?region=us-east-1", location{}, "needs one table name"},
		{"path", "dynamodb://roomhook/events", location{}, "needs one table name"},
		{"short table", "dynamodb://ab", location{}, "3 to 255"},
		{"bad table", "dynamodb://room%20hook", location{}, "may hold only"},
		{"user info", "dynamodb://user:pass@roomhook", location{}, "not user@host"},
		{"port", "dynamodb://roomhook:8000", location{}, "not user@host or a port"},
		{"fragment", "dynamodb://roomhook#x", location{}, "fragment"},
		{"unknown parameter", "dynamodb://roomhook?regoin=us-east-1", location{}, `unknown store URL parameter "regoin"`},
		{"repeated parameter", "dynamodb://roomhook?region=a&region=b", location{}, "given 2 times"},
		{"empty region", "dynamodb://roomhook?region=", location{}, "empty region"},
		{"bad region", "dynamodb://roomhook?region=us_east/1", location{}, "may hold only"},
		{"endpoint not a URL", "dynamodb://roomhook?endpoint=127.0.0.1:8000", location{}, "not an http(s) URL"},
		{"endpoint other scheme", "dynamodb://roomhook?endpoint=ftp://h", location{}, "not an http(s) URL"},
		{"endpoint user info", "dynamodb://roomhook?endpoint=http://u:p@h", location{}, "must not hold user information"},
		{"malformed query", "dynamodb://roomhook?region=%zz", location{}, "malformed"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, err := parseURL(tc.url)
			if tc.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
					t.Fatalf("parseURL(%q) = %+v, %v; want an error containing %q", tc.url, got, err, tc.wantErr)
				}
				if strings.Contains(err.Error(), "pass") {
					t.Errorf("error %q repeats the password", err)
				}
				return
			}
			if err != nil || got != tc.want {
				t.Errorf("parseURL(%q) = %+v, %v; want %+v", tc.url, got, err, tc.want)
			}
		})
	}
}

// TestArchiveOrderSurvivesAStillClock: stamps keep increasing even when the clock does not.
func TestArchiveOrderSurvivesAStillClock(t *testing.T) {
	var s Store
	s.lastStamp = time.Now().Add(time.Hour).UnixNano() // the clock stepped back an hour
	a, b := s.nextStamp(), s.nextStamp()
	if b <= a || stamp(a) >= stamp(b) {
		t.Errorf("stamps %d, %d (%s, %s) do not increase", a, b, stamp(a), stamp(b))
	}
}
