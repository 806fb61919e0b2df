package dynamodb

import (
	"bytes"
	"compress/gzip"
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"maps"
	"net"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	ddb "github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/roomhook/roomhook/pkg/callback"
	"github.com/roomhook/roomhook/pkg/store/storetest"
	"github.com/roomhook/roomhook/pkg/store/storetest/v1store"
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
	if _, err := s.Rows(t.Context(), callback.RoomsTable, storetest.SeedSdkAppID, "tandy-test-rest"); err == nil {
		t.Error("Rows after Close succeeded, want an error")
	}

	// Reopened: the same table, the same data.
	s = openURL(t, storeURL(t, table))
	if o, err := s.Save(t.Context(), storetest.SeedEvent()); err != nil || o != callback.OutcomeDuplicate {
		t.Errorf("Save after reopen = %v, %v; want duplicate", o, err)
	}
	if _, err := callback.ReadRoom(t.Context(), s, storetest.SeedSdkAppID, "tandy-test-rest"); err != nil {
		t.Errorf("ReadRoom after reopen: %v", err)
	}
	checkVersionItem(t, table, "4")
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
	checkVersionItem(t, table, "4")
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
	checkVersionItem(t, table, "4")
}

func checkVersionItem(t *testing.T, table, want string) {
	t.Helper()
	item := getItem(t, table, "SCHEMA", "VERSION")
	v, ok := item["version"].(*types.AttributeValueMemberN)
	if !ok || v.Value != want {
		t.Errorf("schema version item = %s, want version %s (N)", canon(item), want)
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
		{"newer", &types.AttributeValueMemberN{Value: "5"}, ErrSchemaTooNew, "version 5"},
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
		b := []byte(`{"CallbackCommand":"Room.CallbackAfterSomethingNew","Pad":"`)
		b = append(b, bytes.Repeat([]byte("x"), n-len(b)-2)...)
		return append(b, '"', '}')
	}
	unknown := func(room string, raw []byte) *callback.Event {
		return &callback.Event{
			SdkAppID: storetest.SeedSdkAppID, Command: "Room.CallbackAfterSomethingNew", RoomID: room,
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
	huge.RoomID, created(huge).RoomInfo.RoomID = "huge", "huge"
	created(huge).RoomInfo.CustomInfo = aws.String(strings.Repeat("c", maxItemBytes))
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
	if _, err := callback.ReadRoom(t.Context(), s, huge.SdkAppID, "huge"); !errors.Is(err, callback.ErrNotFound) {
		t.Errorf("ReadRoom of the refused event: %v, want ErrNotFound", err)
	}
}

// TestItemSizeIsAnUpperBound writes items exactly at DynamoDB's limit by itemSize's count: the
// server must accept them, so Save's own check is never more generous than the server.
func TestItemSizeIsAnUpperBound(t *testing.T) {
	s := open(t)
	row := callback.RoomRow{SdkAppID: storetest.SeedSdkAppID, Info: created(storetest.SeedEvent()).RoomInfo,
		ScheduleInviteeList: []string{"a", "用户", ""}, CallbackCommand: callback.CommandCreateRoom, EventTime: 1, UpdatedAt: 2}
	row.Info.RoomName = aws.String("房间🙂")
	room, err := itemOf(callback.RoomsTable, row.Row())
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
		"room id not UTF-8": func(ev *callback.Event) { ev.RoomID, created(ev).RoomInfo.RoomID = "r\xff", "r\xff" },
		"command not UTF-8": func(ev *callback.Event) { ev.Command = "Room.\xfe" },
		"room id too long": func(ev *callback.Event) {
			ev.RoomID = strings.Repeat("r", 2048)
			created(ev).RoomInfo.RoomID = ev.RoomID
		},
		"command too long": func(ev *callback.Event) { ev.Command = strings.Repeat("c", 1024) },
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

// created returns ev's create-room payload.
func created(ev *callback.Event) *callback.RoomCreated { return ev.Payload.(*callback.RoomCreated) }

// t0 is the EventTime the tests' events start from.
const t0 = 1703589922780

// event builds the event of body as the core would: the payload parsed for a projected
// command, the archive key from it or from the envelope.
func event(t *testing.T, app int64, command, body string) *callback.Event {
	t.Helper()
	c := v1store.Callback{Command: command, Body: body, ClientIP: "198.51.100.7", OptPlatform: "Web"}
	ev, err := c.Event(app, time.UnixMilli(t0+100_000))
	if err != nil {
		t.Fatalf("event %s %s: %v", command, body, err)
	}
	return ev
}

func enterBody(room string, at, count int64, members ...string) string {
	return fmt.Sprintf(`{"CallbackCommand":"Room.CallbackAfterMemberEnter","RoomId":%q,"MemberCount":%d,"Type":"Enter",`+
		`"MemberList_Account":%s,"EventTime":%d}`, room, count, jsonList(members), at)
}

func leaveBody(room string, at, count int64, typ, reason string, members ...string) string {
	return fmt.Sprintf(`{"CallbackCommand":"Room.CallbackAfterMemberLeave","RoomId":%q,"MemberCount":%d,"Type":%q,`+
		`"Reason":%q,"MemberList_Account":%s,"EventTime":%d}`, room, count, typ, reason, jsonList(members), at)
}

func jsonList(list []string) string {
	quoted := make([]string, len(list))
	for i, s := range list {
		quoted[i] = fmt.Sprintf("%q", s)
	}
	return "[" + strings.Join(quoted, ",") + "]"
}

func mustSave(t *testing.T, s *Store, ev *callback.Event, want callback.Outcome) {
	t.Helper()
	if o, err := s.Save(t.Context(), ev); err != nil || o != want {
		t.Fatalf("Save(%s at %d) = %v, %v; want %v", ev.Command, ev.EventTime, o, err, want)
	}
}

// scanAll returns every item of table.
func scanAll(t *testing.T, table string) []map[string]types.AttributeValue {
	t.Helper()
	in := &ddb.ScanInput{TableName: aws.String(table), ConsistentRead: aws.Bool(true)}
	var items []map[string]types.AttributeValue
	for {
		out, err := rawClient(t).Scan(t.Context(), in)
		if err != nil {
			t.Fatalf("Scan: %v", err)
		}
		items = append(items, out.Items...)
		if len(out.LastEvaluatedKey) == 0 {
			return items
		}
		in.ExclusiveStartKey = out.LastEvaluatedKey
	}
}

// canon writes an item as a string that is equal for equal items.
func canon(item map[string]types.AttributeValue) string {
	names := make([]string, 0, len(item))
	for n := range item {
		names = append(names, n)
	}
	slices.Sort(names)
	var b strings.Builder
	for _, n := range names {
		fmt.Fprintf(&b, "%s=%s;", n, canonValue(item[n]))
	}
	return b.String()
}

func canonValue(v types.AttributeValue) string {
	switch v := v.(type) {
	case *types.AttributeValueMemberS:
		return "S" + strconv.Quote(v.Value)
	case *types.AttributeValueMemberN:
		return "N" + v.Value
	case *types.AttributeValueMemberB:
		return "B" + hex.EncodeToString(v.Value)
	case *types.AttributeValueMemberBOOL:
		return fmt.Sprintf("BOOL%v", v.Value)
	case *types.AttributeValueMemberNULL:
		return "NULL"
	case *types.AttributeValueMemberL:
		parts := make([]string, len(v.Value))
		for i, e := range v.Value {
			parts[i] = canonValue(e)
		}
		return "L[" + strings.Join(parts, ",") + "]"
	case *types.AttributeValueMemberM:
		return "M{" + canon(v.Value) + "}"
	}
	return fmt.Sprintf("%T", v)
}

func itemKey(item map[string]types.AttributeValue) string {
	pk, _ := item[attrPK].(*types.AttributeValueMemberS)
	sk, _ := item[attrSK].(*types.AttributeValueMemberS)
	if pk == nil || sk == nil {
		return "?"
	}
	return pk.Value + " | " + sk.Value
}

func str(item map[string]types.AttributeValue, name string) string {
	if v, ok := item[name].(*types.AttributeValueMemberS); ok {
		return v.Value
	}
	return fmt.Sprintf("(not a string: %v)", item[name])
}

func num(item map[string]types.AttributeValue, name string) string {
	if v, ok := item[name].(*types.AttributeValueMemberN); ok {
		return v.Value
	}
	return fmt.Sprintf("(not a number: %v)", item[name])
}

// TestItemLayout pins the keys, attribute names and types of every kind of item: they are a
// contract users query.
func TestItemLayout(t *testing.T) {
	s := open(t)
	app := storetest.SeedSdkAppID
	room := "tandy-test-rest"
	seed := storetest.SeedEvent()
	mustSave(t, s, seed, callback.OutcomeStored)
	mustSave(t, s, event(t, app, callback.CommandMemberEnter, enterBody(room, t0+1000, 2, "user2", "user9")), callback.OutcomeStored)
	mustSave(t, s, event(t, app, callback.CommandMemberLeave, leaveBody(room, t0+2000, 1, "Kicked", "spam", "user2")), callback.OutcomeStored)
	mustSave(t, s, event(t, app, callback.CommandSeatChanged, `{"CallbackCommand":"Mic.CallbackAfterSeatInfoChanged","RoomId":"tandy-test-rest",`+
		`"SeatList":[{"Index":3,"Member_Account":"user9","IsTakenDisabled":false,"IsVideoDisabled":true,"IsAudioDisabled":false},{"Index":12}],"EventTime":1703589925280}`),
		callback.OutcomeStored)
	mustSave(t, s, event(t, app, callback.CommandDestroyRoom, `{"CallbackCommand":"Room.CallbackAfterDestroyRoom","Operator_Account":"admin",`+
		`"RoomId":"tandy-test-rest","EventTime":1703589926780}`), callback.OutcomeStored)
	noTime := &callback.Event{SdkAppID: app, Command: "Group.CallbackAfterSendMsg", ReceivedAt: seed.ReceivedAt, Raw: []byte("{}")}
	mustSave(t, s, noTime, callback.OutcomeIgnored)

	schema := getItem(t, s.table, "SCHEMA", "VERSION")
	checkLayout(t, "schema version item of a new table", schema, "pk:S sk:S version:N")
	if v := num(schema, "version"); v != "4" {
		t.Errorf("version = %s, want 4", v)
	}

	// The room's directory item (version 4), written when the room item was inserted.
	checkLayout(t, "room directory item", getItem(t, s.table, "ROOMS#1400123456", "tandy-test-rest"),
		"pk:S sk:S sdk_app_id:N room_id:S")
	roomItem := getItem(t, s.table, "ROOM#1400123456#tandy-test-rest", "ROOM")
	checkLayout(t, "room item", roomItem, "pk:S sk:S sdk_app_id:N room_id:S room_name:S room_type:S owner_account:S max_member_count:N "+
		"max_seat_count:N is_video_disabled:BOOL is_audio_disabled:BOOL is_message_disabled:BOOL "+
		"is_screen_sharing_disabled:BOOL is_cloud_recording_disabled:BOOL custom_info:S "+
		"schedule_start_time:N schedule_end_time:N room_status:S is_seat_enabled:BOOL take_seat_mode:S "+
		"create_time:N operator_account:S schedule_invitee_list_account:L callback_command:S event_time:N updated_at:N "+
		"member_count:N member_count_at:N destroyed_at:N destroy_operator_account:S")
	if inv := roomItem["schedule_invitee_list_account"].(*types.AttributeValueMemberL).Value; len(inv) != 2 ||
		inv[0].(*types.AttributeValueMemberS).Value != "user2" || inv[1].(*types.AttributeValueMemberS).Value != "user3" {
		t.Errorf("schedule_invitee_list_account = %v, want [user2 user3]", inv)
	}
	for name, want := range map[string]string{"updated_at": fmt.Sprint(t0 + 100_000), "member_count": "1",
		"member_count_at": fmt.Sprint(t0 + 2000), "destroyed_at": fmt.Sprint(t0 + 4000), "event_time": fmt.Sprint(t0 + 4000)} {
		if got := num(roomItem, name); got != want {
			t.Errorf("room %s = %s, want %s", name, got, want)
		}
	}
	if got := str(roomItem, "callback_command"); got != callback.CommandDestroyRoom {
		t.Errorf("room callback_command = %s", got)
	}

	// Member items: one partition of 16 per room, chosen by FNV-1a of the account.
	if memberShard("user2") != 0 || memberShard("user9") != 1 {
		t.Errorf("memberShard(user2, user9) = %d, %d; want 0, 1 (the documented hash)", memberShard("user2"), memberShard("user9"))
	}
	left := getItem(t, s.table, "MEMBERS#1400123456#tandy-test-rest#0", "user2")
	checkLayout(t, "member item (left)", left, "pk:S sk:S sdk_app_id:N room_id:S member_account:S state:S "+
		"entered_at:N left_at:N leave_type:S leave_reason:S event_time:N updated_at:N")
	if str(left, "state") != "left" || str(left, "leave_type") != "Kicked" || str(left, "leave_reason") != "spam" ||
		num(left, "left_at") != fmt.Sprint(t0+2000) || num(left, "entered_at") != fmt.Sprint(t0+1000) {
		t.Errorf("member user2 = %s", canon(left))
	}
	ended := getItem(t, s.table, "MEMBERS#1400123456#tandy-test-rest#1", "user9")
	checkLayout(t, "member item (ended by the destroy)", ended, "pk:S sk:S sdk_app_id:N room_id:S member_account:S state:S "+
		"entered_at:N left_at:N leave_type:S event_time:N updated_at:N")
	if str(ended, "leave_type") != "Destroyed" || num(ended, "left_at") != fmt.Sprint(t0+4000) {
		t.Errorf("member user9 = %s", canon(ended))
	}

	seat := getItem(t, s.table, "SEATS#1400123456#tandy-test-rest", "0000000000000000003")
	checkLayout(t, "seat item", seat, "pk:S sk:S sdk_app_id:N room_id:S seat_index:N member_account:S "+
		"is_taken_disabled:BOOL is_video_disabled:BOOL is_audio_disabled:BOOL event_time:N updated_at:N")
	checkLayout(t, "empty seat item", getItem(t, s.table, "SEATS#1400123456#tandy-test-rest", "0000000000000000012"),
		"pk:S sk:S sdk_app_id:N room_id:S seat_index:N event_time:N updated_at:N")

	wantArchive := "pk:S sk:S gsi1pk:S gsi1sk:S sdk_app_id:N callback_command:S room_id:S event_time:N " +
		"client_ip:S opt_platform:S request_id:S received_at:N body_sha256:S raw_body:B"
	archive := getItem(t, s.table, "ROOM#1400123456#tandy-test-rest",
		"EV#L#0000001703589922780#Room.CallbackAfterCreateRoom#"+seed.Digest())
	checkLayout(t, "archive item", archive, wantArchive)
	for ev, want := range map[*callback.Event]string{
		event(t, app, callback.CommandUpdateRoomAlt, `{"RoomInfo":{"RoomId":"r"},"EventTime":5}`): "EV#L#0000000000000000005#Room.CallbackUpdateRoomInfo#",
		event(t, app, callback.CommandMemberLeave, leaveBody("r", 6, 0, "Leave", "", "u")):        "EV#M#0000000000000000006#Room.CallbackAfterMemberLeave#",
		event(t, app, callback.CommandSeatChanged, `{"RoomId":"r","SeatList":[],"EventTime":7}`):  "EV#S#0000000000000000007#Mic.CallbackAfterSeatInfoChanged#",
		{Command: "Room.CallbackAfterSomethingNew", EventTime: 8, Raw: []byte("{}")}:              "EV#X#0000000000000000008#Room.CallbackAfterSomethingNew#",
	} {
		if got := eventSK(ev, ""); got != want+ev.Digest() {
			t.Errorf("archive sort key of %s = %q, want %q + its body's SHA-256", ev.Command, got, want)
		}
	}
	if v := str(archive, "body_sha256"); v != seed.Digest() || len(v) != 64 {
		t.Errorf("body_sha256 = %q, want %s", v, seed.Digest())
	}
	if v := str(archive, attrGSI1PK); v != "EVENTS#1400123456" {
		t.Errorf("gsi1pk = %q", v)
	}
	if v := str(archive, attrGSI1SK); len(v) != 19+1+26 || v[19] != '#' {
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
		"pk:S sk:S gsi1pk:S gsi1sk:S sdk_app_id:N callback_command:S room_id:S client_ip:S opt_platform:S request_id:S "+
			"received_at:N body_sha256:S raw_body:B")

	// Every save gave its lock back; a lock held looks like this.
	if item := getItem(t, s.table, "ROOM#1400123456#tandy-test-rest", "LOCK"); item != nil {
		t.Errorf("a lock item is left after the saves: %s", canon(item))
	}
	before := time.Now().UnixMilli()
	l, err := s.lockRoom(t.Context(), roomPK(app, room), nil)
	if err != nil {
		t.Fatal(err)
	}
	lock := getItem(t, s.table, "ROOM#1400123456#tandy-test-rest", "LOCK")
	checkLayout(t, "lock item", lock, "pk:S sk:S owner:S expires_at:N")
	if exp, _ := strconv.ParseInt(num(lock, "expires_at"), 10, 64); exp < before+maxLease.Milliseconds() ||
		exp > time.Now().Add(maxLease).UnixMilli() || len(str(lock, "owner")) != 26 {
		t.Errorf("lock item %s: want a 26-character owner and a lease of %v from now", canon(lock), maxLease)
	}
	l.release(t.Context())
	if item := getItem(t, s.table, "ROOM#1400123456#tandy-test-rest", "LOCK"); item != nil {
		t.Errorf("the lock item is left after release: %s", canon(item))
	}

	// Nothing else: every item is one of the above.
	kinds := map[string]int{}
	for _, item := range scanAll(t, s.table) {
		pk, sk := str(item, attrPK), str(item, attrSK)
		switch {
		case pk == "SCHEMA":
			kinds["schema"]++
		case strings.HasPrefix(pk, "MEMBERS#"):
			kinds["member"]++
		case strings.HasPrefix(pk, "SEATS#"):
			kinds["seat"]++
		case strings.HasPrefix(pk, "ROOMS#"):
			kinds["directory"]++
		case sk == "ROOM":
			kinds["room"]++
		case strings.HasPrefix(sk, "EV#"), strings.HasPrefix(sk, "EVENT#NOTIME#"):
			kinds["archive"]++
		default:
			t.Errorf("unexpected item %s", itemKey(item))
		}
	}
	if want := map[string]int{"schema": 1, "directory": 1, "room": 1, "member": 2, "seat": 2, "archive": 6}; !maps.Equal(kinds, want) {
		t.Errorf("items by kind = %v, want %v", kinds, want)
	}
}

// TestSaveInterruptedAfterArchive plays a delivery that archived its event and failed before
// the rows were written (the instance died, the deadline passed): the save fails, the lock is
// given back, and the re-delivery is a duplicate that completes the rows.
func TestSaveInterruptedAfterArchive(t *testing.T) {
	s := open(t)
	app, room := storetest.SeedSdkAppID, "tandy-test-rest"
	put := s.client.putItem
	var broken atomic.Bool
	s.client.putItem = func(ctx context.Context, in *ddb.PutItemInput, o ...func(*ddb.Options)) (*ddb.PutItemOutput, error) {
		pk, sk := str(in.Item, attrPK), str(in.Item, attrSK)
		if broken.Load() && (sk == roomSK || strings.HasPrefix(pk, membersPrefix) || strings.HasPrefix(pk, seatsPrefix)) {
			return nil, errors.New("injected: the instance died")
		}
		return put(ctx, in, o...)
	}
	steps := []*callback.Event{
		storetest.SeedEvent(),
		event(t, app, callback.CommandMemberEnter, enterBody(room, t0+1000, 7, "user2", "user9")),
	}
	for _, ev := range steps {
		broken.Store(true)
		start := time.Now()
		if o, err := s.Save(t.Context(), ev); err == nil || !strings.Contains(err.Error(), "injected") {
			t.Fatalf("interrupted Save(%s) = %v, %v; want the injected error", ev.Command, o, err)
		}
		if item := getItem(t, s.table, roomPK(app, room), lockSK); item != nil {
			t.Errorf("the failed save left its lock: %s", canon(item))
		}
		broken.Store(false)
		mustSave(t, s, ev, callback.OutcomeDuplicate)
		if d := time.Since(start); d > time.Second {
			t.Errorf("the failed save and the re-delivery took %v: the re-delivery waited for a lock", d)
		}
		mustSave(t, s, ev, callback.OutcomeDuplicate)
	}
	got, err := callback.ReadRoom(t.Context(), s, app, room)
	if err != nil {
		t.Fatalf("ReadRoom after the repair: %v", err)
	}
	seed := created(storetest.SeedEvent())
	if got.EventTime != t0 || *got.Info.RoomName != *seed.RoomInfo.RoomName || len(got.ScheduleInviteeList) != 2 ||
		got.MemberCount == nil || *got.MemberCount != 7 || *got.MemberCountAt != t0+1000 {
		t.Errorf("repaired room = %+v, want the seed's with member_count 7", got)
	}
	members, err := callback.ReadMembers(t.Context(), s, app, room)
	if err != nil || len(members) != 2 || members[0].State != callback.MemberIn || members[1].State != callback.MemberIn {
		t.Errorf("repaired members = %v, %v; want user2 and user9 in", members, err)
	}
	if evs, err := s.Events(t.Context(), app); err != nil || len(evs) != 2 {
		t.Errorf("Events = %d items, %v; want 2 (each event archived once)", len(evs), err)
	}
}

// holdKey marks the context of a save whose lock requests TestDuplicateProjectsFirst holds back.
type holdKey struct{}

// TestDuplicateProjectsFirst plays the race that archiving while taking the lock opens: a
// duplicate delivery, at another instance, takes the room before the delivery that archived the
// event, and writes its rows. The duplicate answers OutcomeDuplicate, the archiving delivery OutcomeStored (not
// OutcomeStale: the word the duplicate left says its rows were this event's), and no word is
// left behind. A stale event leaves no word.
func TestDuplicateProjectsFirst(t *testing.T) {
	s := open(t)
	app, room := storetest.SeedSdkAppID, "tandy-test-rest"
	hold := make(chan struct{})
	held := make(chan struct{}, 1)
	put := s.client.putItem
	s.client.putItem = func(ctx context.Context, in *ddb.PutItemInput, o ...func(*ddb.Options)) (*ddb.PutItemOutput, error) {
		if ctx.Value(holdKey{}) != nil && str(in.Item, attrSK) == lockSK {
			select {
			case held <- struct{}{}:
			default:
			}
			<-hold
		}
		return put(ctx, in, o...)
	}
	ev := storetest.SeedEvent()
	type result struct {
		o   callback.Outcome
		err error
	}
	first := make(chan result)
	go func() {
		o, err := s.Save(context.WithValue(t.Context(), holdKey{}, true), ev)
		first <- result{o, err}
	}()
	<-held
	archiveKey := eventSK(ev, "")
	for getItem(t, s.table, roomPK(app, room), archiveKey) == nil {
		time.Sleep(time.Millisecond)
	}
	// The duplicate comes to another instance (one process queues its own saves of a room).
	mustSave(t, openURL(t, storeURL(t, s.table)), storetest.SeedEvent(), callback.OutcomeDuplicate)
	if getItem(t, s.table, roomPK(app, room), "PROJECTED#"+archiveKey) == nil {
		t.Error("the duplicate that wrote the rows first left no word of it")
	}
	close(hold)
	if r := <-first; r.err != nil || r.o != callback.OutcomeStored {
		t.Errorf("the archiving delivery = %v, %v; want stored", r.o, r.err)
	}
	body := strings.Replace(string(ev.Raw), fmt.Sprint(ev.EventTime), fmt.Sprint(ev.EventTime-1), 1)
	if body == string(ev.Raw) {
		t.Fatal("test setup: the seed's body does not hold its EventTime")
	}
	stale, err := (&v1store.Callback{Command: ev.Command, Body: body}).Event(app, ev.ReceivedAt)
	if err != nil {
		t.Fatal(err)
	}
	mustSave(t, s, stale, callback.OutcomeStale)
	mustSave(t, s, stale, callback.OutcomeDuplicate)
	for _, item := range scanAll(t, s.table) {
		if sk := str(item, attrSK); !strings.HasPrefix(sk, eventPrefix) && sk != roomSK && sk != "VERSION" &&
			!strings.HasPrefix(str(item, attrPK), directoryPrefix) {
			t.Errorf("item left after the saves: %s", itemKey(item))
		}
	}
	if r, err := callback.ReadRoom(t.Context(), s, app, room); err != nil || *r.Info.RoomName != *created(ev).RoomInfo.RoomName {
		t.Errorf("room = %+v, %v; want the seed's", r, err)
	}
}

// TestLock: a save takes over a lock whose lease ran out (an instance killed mid-save), waits
// for a live one, gives up at its deadline without writing, and never deletes another's lock.
func TestLock(t *testing.T) {
	s := open(t)
	app, room := storetest.SeedSdkAppID, "tandy-test-rest"
	pk := roomPK(app, room)
	putLock := func(owner string, expires time.Time) {
		item := key(pk, lockSK)
		item[attrOwner] = attrS(owner)
		item[attrExpiresAt] = attrN(expires.UnixMilli())
		putItem(t, s.table, item)
	}
	lockOwner := func() string {
		item := getItem(t, s.table, pk, lockSK)
		if item == nil {
			return ""
		}
		return str(item, attrOwner)
	}

	// A stale lock is taken over at once.
	putLock("killed-instance", time.Now().Add(-time.Millisecond))
	start := time.Now()
	mustSave(t, s, storetest.SeedEvent(), callback.OutcomeStored)
	if d := time.Since(start); d > time.Second {
		t.Errorf("Save over a stale lock took %v", d)
	}
	if o := lockOwner(); o != "" {
		t.Errorf("lock owner after the save = %q, want no lock", o)
	}

	// A live lock is waited for.
	const hold = 600 * time.Millisecond
	putLock("live-instance", time.Now().Add(hold))
	start = time.Now()
	mustSave(t, s, event(t, app, callback.CommandMemberEnter, enterBody(room, t0+1000, 1, "user2")), callback.OutcomeStored)
	if d := time.Since(start); d < hold-50*time.Millisecond {
		t.Errorf("Save under a live lock took %v, want it to wait about %v", d, hold)
	}
	if o := lockOwner(); o != "" {
		t.Errorf("lock owner after the save = %q, want no lock", o)
	}

	// A lock outliving the save's deadline: the save fails and writes no row; its event is
	// archived (the archive item and the lock are written at once), and the next delivery, a
	// duplicate, projects it once the room is free.
	putLock("live-instance", time.Now().Add(time.Minute))
	ctx, cancel := context.WithTimeout(t.Context(), 300*time.Millisecond)
	defer cancel()
	ev := event(t, app, callback.CommandMemberEnter, enterBody(room, t0+2000, 2, "user3"))
	if o, err := s.Save(ctx, ev); err == nil || !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("Save under a lock to its deadline = %v, %v; want context.DeadlineExceeded", o, err)
	}
	if o := lockOwner(); o != "live-instance" {
		t.Errorf("lock owner after the failed save = %q, want live-instance", o)
	}
	if evs, err := s.Events(t.Context(), app); err != nil || len(evs) != 3 {
		t.Errorf("Events = %d items, %v; want 3 (the refused save archived its event)", len(evs), err)
	}
	if ms, err := callback.ReadMembers(t.Context(), s, app, room); err != nil || len(ms) != 1 {
		t.Errorf("members after the refused save = %v, %v; want only user2 (no row written)", ms, err)
	}
	putLock("live-instance", time.Now().Add(-time.Millisecond))
	mustSave(t, s, ev, callback.OutcomeDuplicate)
	if ms, err := callback.ReadMembers(t.Context(), s, app, room); err != nil || len(ms) != 2 {
		t.Errorf("members after the re-delivery = %v, %v; want user2 and user3", ms, err)
	}
	if r, err := callback.ReadRoom(t.Context(), s, app, room); err != nil || r.MemberCount == nil || *r.MemberCount != 2 {
		t.Errorf("room after the re-delivery = %+v, %v; want member_count 2", r, err)
	}

	// A lock taken over after its lease is not given back by its first owner.
	putLock("live-instance", time.Now().Add(-time.Millisecond))
	l, err := s.lockRoom(t.Context(), pk, nil)
	if err != nil {
		t.Fatal(err)
	}
	putLock("next-instance", time.Now().Add(time.Minute))
	l.release(t.Context())
	if o := lockOwner(); o != "next-instance" {
		t.Errorf("lock owner after a late release = %q, want next-instance", o)
	}

	// Taking a lock again with the same token succeeds (the SDK's retry of a write that
	// succeeded but whose answer was lost).
	if _, err := s.client.putItem(t.Context(), &ddb.PutItemInput{
		TableName: aws.String(s.table), Item: map[string]types.AttributeValue{attrPK: attrS(pk), attrSK: attrS(lockSK),
			attrOwner: attrS("next-instance"), attrExpiresAt: attrN(time.Now().Add(time.Minute).UnixMilli())},
		ConditionExpression:      aws.String(condLockFree),
		ExpressionAttributeNames: map[string]string{"#e": attrExpiresAt, "#o": attrOwner},
		ExpressionAttributeValues: map[string]types.AttributeValue{
			":now": attrN(time.Now().UnixMilli()), ":me": attrS("next-instance"),
		},
	}); err != nil {
		t.Errorf("retaking one's own lock: %v", err)
	}
}

func TestLeaseFor(t *testing.T) {
	if d := leaseFor(context.Background()); d != maxLease {
		t.Errorf("lease without a deadline = %v, want %v", d, maxLease)
	}
	for budget, want := range map[time.Duration]time.Duration{
		500 * time.Millisecond: minLease, 1500 * time.Millisecond: minLease, 10 * time.Second: 11 * time.Second, time.Hour: maxLease,
	} {
		ctx, cancel := context.WithTimeout(context.Background(), budget)
		if d := leaseFor(ctx); d > want || d < want-100*time.Millisecond {
			t.Errorf("lease for a %v save = %v, want %v", budget, d, want)
		}
		cancel()
	}
}

// TestPutConditions: a row is written only over the row the save read; a save whose lease ran
// out writes nothing.
func TestPutConditions(t *testing.T) {
	s := open(t)
	app, room := storetest.SeedSdkAppID, "tandy-test-rest"
	mustSave(t, s, storetest.SeedEvent(), callback.OutcomeStored)
	l, err := s.lockRoom(t.Context(), roomPK(app, room), nil)
	if err != nil {
		t.Fatal(err)
	}
	defer l.release(t.Context())
	x := &tx{s: s, app: app, room: room, locks: []*roomLock{l}}
	k := callback.Row{app, room}
	old, err := x.Get(t.Context(), callback.RoomsTable, k)
	if err != nil || old == nil {
		t.Fatalf("Get = %v, %v", old, err)
	}
	next := slices.Clone(old)
	next[callback.RoomsTable.Index("room_name")] = "renamed"

	// Another writer changed the row since it was read.
	other := slices.Clone(old)
	other[callback.RoomsTable.Index("member_count")] = int64(5)
	item, err := itemOf(callback.RoomsTable, other)
	if err != nil {
		t.Fatal(err)
	}
	putItem(t, s.table, item)
	if err := x.Put(t.Context(), callback.RoomsTable, old, next); err == nil || !strings.Contains(err.Error(), "changed during the save") {
		t.Errorf("Put over a changed row: %v, want a refusal", err)
	}
	if err := x.Put(t.Context(), callback.RoomsTable, nil, next); err == nil {
		t.Error("Put of a new row over a stored one succeeded")
	}
	cur, err := x.Get(t.Context(), callback.RoomsTable, k)
	if err != nil {
		t.Fatal(err)
	}
	if err := x.Put(t.Context(), callback.RoomsTable, cur, next); err != nil {
		t.Errorf("Put over the row read: %v", err)
	}
	if got, err := x.Get(t.Context(), callback.RoomsTable, k); err != nil || !slices.EqualFunc(got, next, sameValue) {
		t.Errorf("row after Put = %v, %v; want %v", got, err, next)
	}

	// A lease nearly over: nothing is written.
	l.until = time.Now().Add(leaseGuard / 2)
	if err := x.Put(t.Context(), callback.RoomsTable, next, old); err == nil || !strings.Contains(err.Error(), "lease") {
		t.Errorf("Put after the lease: %v, want a refusal", err)
	}
	// A reader's Tx writes nothing.
	if err := (&tx{s: s, app: app, room: room}).Put(t.Context(), callback.RoomsTable, next, old); err == nil {
		t.Error("Put without a lock succeeded")
	}
}

func sameValue(a, b any) bool {
	la, okA := a.([]string)
	lb, okB := b.([]string)
	if okA || okB {
		return okA && okB && slices.Equal(la, lb)
	}
	return a == b
}

// TestArchivedQueries: the archive as the projection reads it, version 2 items by command and
// time range, the newest time, and version 1 items while the table holds them.
func TestArchivedQueries(t *testing.T) {
	s := open(t)
	app, room := storetest.SeedSdkAppID, "arch"
	enterA := event(t, app, callback.CommandMemberEnter, enterBody(room, t0, 1, "a"))
	enterB := event(t, app, callback.CommandMemberEnter, enterBody(room, t0, 2, "b"))
	enterC := event(t, app, callback.CommandMemberEnter, enterBody(room, t0+5, 3, "c"))
	leave := event(t, app, callback.CommandMemberLeave, leaveBody(room, t0+5, 2, "Leave", "", "a"))
	// A command of another name that starts like the enter command: another group.
	foreign := &callback.Event{SdkAppID: app, Command: callback.CommandMemberEnter + "#0000001703589999999#x", RoomID: room,
		EventTime: t0 + 10, ReceivedAt: time.UnixMilli(t0), Raw: []byte(`{"x":1}`)}
	mustSave(t, s, foreign, callback.OutcomeIgnored)
	for _, ev := range []*callback.Event{enterA, enterB, enterC, leave} {
		mustSave(t, s, ev, callback.OutcomeStored)
	}

	x := &tx{s: s, app: app, room: room}
	enter, leaveCmd := callback.CommandMemberEnter, callback.CommandMemberLeave
	check := func(name string, q callback.ArchiveQuery, want ...*callback.Event) {
		t.Helper()
		checkArchived(t, x, name, q, want...)
	}
	check("enters", callback.ArchiveQuery{Commands: []string{enter}}, enterA, enterB, enterC)
	check("enters from t0+1", callback.ArchiveQuery{Commands: []string{enter}, From: t0 + 1}, enterC)
	check("enters to t0", callback.ArchiveQuery{Commands: []string{enter}, To: t0}, enterA, enterB)
	check("enters at t0+5", callback.ArchiveQuery{Commands: []string{enter}, From: t0 + 5, To: t0 + 5}, enterC)
	check("newest member events", callback.ArchiveQuery{Commands: []string{enter, leaveCmd}, Newest: true}, enterC, leave)
	check("newest enters to t0", callback.ArchiveQuery{Commands: []string{enter}, To: t0, Newest: true}, enterA, enterB)
	check("destroys", callback.ArchiveQuery{Commands: []string{callback.CommandDestroyRoom}})
	check("newest destroy", callback.ArchiveQuery{Commands: []string{callback.CommandDestroyRoom}, Newest: true})
	check("empty range", callback.ArchiveQuery{Commands: []string{enter}, From: t0 + 6, To: t0 + 1})

	// Version 1 items (their layout: sort key by time then command, no digest), one gzipped,
	// one also archived by version 2, and one without EventTime that no query returns.
	old := event(t, app, enter, enterBody(room, t0-100, 1, "old"))
	oldLeave := event(t, app, leaveCmd, leaveBody(room, t0+5, 1, "Kicked", "", "b"))
	v1Item := func(ev *callback.Event, sk string, gzipped bool) map[string]types.AttributeValue {
		item := key(roomPK(app, room), sk)
		item[attrGSI1PK], item[attrGSI1SK] = attrS(appPK(app)), attrS(stamp(s.nextStamp()))
		item[attrSdkAppID], item[attrCommand], item[attrRoomID] = attrN(app), attrS(ev.Command), attrS(room)
		if ev.EventTime != 0 {
			item[attrEventTime] = attrN(ev.EventTime)
		}
		item[attrClientIP], item[attrOptPlatform], item[attrRequestID] = attrS(""), attrS(""), attrS("")
		item[attrReceivedAt] = attrN(t0)
		item[attrRawBody] = &types.AttributeValueMemberB{Value: ev.Raw}
		if gzipped {
			var b bytes.Buffer
			zw := gzip.NewWriter(&b)
			zw.Write(ev.Raw)
			zw.Close()
			item[attrRawBody] = &types.AttributeValueMemberB{Value: b.Bytes()}
			item[attrRawBodyEncoding] = attrS(encodingGzip)
		}
		return item
	}
	putItem(t, s.table, v1Item(old, legacySK(old.EventTime, enter), true))
	putItem(t, s.table, v1Item(oldLeave, legacySK(oldLeave.EventTime, leaveCmd), false))
	putItem(t, s.table, v1Item(enterC, legacySK(enterC.EventTime, enter), false))
	noTime := &callback.Event{SdkAppID: app, Command: enter, RoomID: room, Raw: []byte(`{}`)}
	putItem(t, s.table, v1Item(noTime, noTimePrefix+stamp(s.nextStamp()), false))

	check("enters, no version 1 items", callback.ArchiveQuery{Commands: []string{enter}}, enterA, enterB, enterC)
	s.legacyUntil = t0 + 60_000
	check("enters with version 1", callback.ArchiveQuery{Commands: []string{enter}}, old, enterA, enterB, enterC)
	check("newest with version 1", callback.ArchiveQuery{Commands: []string{enter, leaveCmd}, Newest: true}, enterC, leave, oldLeave)
	check("newest to t0-1 with version 1", callback.ArchiveQuery{Commands: []string{enter, leaveCmd}, To: t0 - 1, Newest: true}, old)
	check("leaves from t0 with version 1", callback.ArchiveQuery{Commands: []string{leaveCmd}, From: t0}, leave, oldLeave)
	s.legacyUntil = t0 - 1000 // version 1 items newer than legacy_until are not looked for
	check("from past legacy_until", callback.ArchiveQuery{Commands: []string{leaveCmd}, From: t0}, leave)
}

// checkArchived checks that x.Archived(q) returns the events want, in any order, each with the
// SHA-256 of its body.
func checkArchived(t *testing.T, x *tx, name string, q callback.ArchiveQuery, want ...*callback.Event) {
	t.Helper()
	got, err := x.Archived(t.Context(), q)
	if err != nil {
		t.Fatalf("%s: %v", name, err)
	}
	key := func(c string, at int64, d string) string { return fmt.Sprintf("%s@%d#%.8s", c, at, d) }
	var g, w []string
	for _, a := range got {
		g = append(g, key(a.Command, a.EventTime, a.Digest))
		if a.Digest != sha256Hex(a.Raw) {
			t.Errorf("%s: %s has digest %s, its body %s", name, a.Command, a.Digest, sha256Hex(a.Raw))
		}
	}
	for _, ev := range want {
		w = append(w, key(ev.Command, ev.EventTime, ev.Digest()))
	}
	slices.Sort(g)
	slices.Sort(w)
	if !slices.Equal(g, w) {
		t.Errorf("%s = %v, want %v", name, g, w)
	}
}

// TestArchivedGroups: each query the projection makes is one Query on its group's key range,
// which holds several commands: Archived returns only those asked for, and a newest read pages
// on only while the items read all share the greatest time.
func TestArchivedGroups(t *testing.T) {
	s := open(t)
	app, room := storetest.SeedSdkAppID, "groups"
	var queries atomic.Int32
	query := s.client.query
	s.client.query = func(ctx context.Context, in *ddb.QueryInput, o ...func(*ddb.Options)) (*ddb.QueryOutput, error) {
		queries.Add(1)
		return query(ctx, in, o...)
	}
	life := func(command string, at int64, name string) *callback.Event {
		info := fmt.Sprintf(`"RoomInfo":{"RoomId":%q,"RoomName":%q}`, room, name)
		if command == callback.CommandDestroyRoom {
			info = fmt.Sprintf(`"RoomId":%q`, room)
		}
		return event(t, app, command, fmt.Sprintf(`{"CallbackCommand":%q,%s,"EventTime":%d}`, command, info, at))
	}
	create := life(callback.CommandCreateRoom, t0, "a")
	update := life(callback.CommandUpdateRoom, t0+3, "b")
	updateAlt := life(callback.CommandUpdateRoomAlt, t0+3, "c")
	destroy := life(callback.CommandDestroyRoom, t0+7, "")
	enter := event(t, app, callback.CommandMemberEnter, enterBody(room, t0+1, 1, "a"))
	unknown := func(command string, at int64) *callback.Event {
		return &callback.Event{SdkAppID: app, Command: command, RoomID: room, EventTime: at,
			ReceivedAt: time.UnixMilli(t0), Raw: []byte(`{"c":"` + command + `"}`)}
	}
	other1, other2 := unknown("Room.CallbackAfterSomethingNew", t0+10), unknown("Room.CallbackAfterSomethingNew#2", t0+10)
	older := unknown("Room.CallbackAfterSomethingNew", t0+2)
	for _, ev := range []*callback.Event{create, update, updateAlt, destroy, enter} {
		if o, err := s.Save(t.Context(), ev); err != nil || (o != callback.OutcomeStored && o != callback.OutcomeStale) {
			t.Fatalf("Save(%s) = %v, %v", ev.Command, o, err)
		}
	}
	for _, ev := range []*callback.Event{other1, other2, older} {
		mustSave(t, s, ev, callback.OutcomeIgnored)
	}

	x := &tx{s: s, app: app, room: room}
	check := func(name string, q callback.ArchiveQuery, queriesWanted int32, want ...*callback.Event) {
		t.Helper()
		queries.Store(0)
		checkArchived(t, x, name, q, want...)
		if n := queries.Load(); n != queriesWanted {
			t.Errorf("%s took %d Queries, want %d", name, n, queriesWanted)
		}
	}
	lifeCommands := []string{callback.CommandCreateRoom, callback.CommandUpdateRoom, callback.CommandUpdateRoomAlt, callback.CommandDestroyRoom}
	check("life", callback.ArchiveQuery{Commands: lifeCommands}, 1, create, update, updateAlt, destroy)
	check("destroys from t0+1", callback.ArchiveQuery{Commands: []string{callback.CommandDestroyRoom}, From: t0 + 1}, 1, destroy)
	check("updates to t0+3", callback.ArchiveQuery{Commands: []string{callback.CommandUpdateRoom}, To: t0 + 3}, 1, update)
	check("newest create (past newer updates and a destroy)", callback.ArchiveQuery{Commands: []string{callback.CommandCreateRoom}, Newest: true}, 2, create)
	check("newest life to t0+5", callback.ArchiveQuery{Commands: lifeCommands, To: t0 + 5, Newest: true}, 1, update, updateAlt)
	check("life and members", callback.ArchiveQuery{Commands: []string{callback.CommandMemberEnter, callback.CommandDestroyRoom}}, 2, enter, destroy)
	check("newest of life and members", callback.ArchiveQuery{Commands: []string{callback.CommandMemberEnter, callback.CommandCreateRoom}, Newest: true}, 3, enter)
	check("another command", callback.ArchiveQuery{Commands: []string{other1.Command}}, 1, older, other1)
	check("newest of another command", callback.ArchiveQuery{Commands: []string{other2.Command}, Newest: true}, 1, other2)
	check("newest of both other commands", callback.ArchiveQuery{Commands: []string{other1.Command, other2.Command}, Newest: true}, 1, other1, other2)
	check("seats", callback.ArchiveQuery{Commands: []string{callback.CommandSeatChanged}}, 1)

	// Many member events at the newest time: the newest read pages on until an older item.
	var at20 []*callback.Event
	for i := range 2*newestPage + 1 {
		ev := event(t, app, callback.CommandMemberLeave, leaveBody(room, t0+20, 0, "Leave", "", fmt.Sprintf("m%d", i)))
		mustSave(t, s, ev, callback.OutcomeStored)
		at20 = append(at20, ev)
	}
	members := []string{callback.CommandMemberEnter, callback.CommandMemberLeave}
	check("newest member events, 9 at one time", callback.ArchiveQuery{Commands: members, Newest: true}, 3, at20...)
	check("newest enter (past 9 newer leaves)", callback.ArchiveQuery{Commands: members[:1], Newest: true}, 3, enter)
	check("newest member events to t0+19", callback.ArchiveQuery{Commands: members, To: t0 + 19, Newest: true}, 1, enter)
}

// TestMemberShards: a room's member items spread over the 4 partitions, and every reader and
// the destroy find them all.
func TestMemberShards(t *testing.T) {
	s := open(t)
	app, room := storetest.SeedSdkAppID, "busy"
	mustSave(t, s, event(t, app, callback.CommandCreateRoom,
		`{"CallbackCommand":"Room.CallbackAfterCreateRoom","RoomInfo":{"RoomId":"busy"},"EventTime":1703589922780}`), callback.OutcomeStored)
	var accounts []string
	shards := map[int]bool{}
	for i := range 48 {
		a := fmt.Sprintf("member-%02d", i)
		accounts = append(accounts, a)
		shards[memberShard(a)] = true
	}
	if len(shards) != memberShards {
		t.Errorf("48 accounts fall in %d shards, want all %d", len(shards), memberShards)
	}
	mustSave(t, s, event(t, app, callback.CommandMemberEnter, enterBody(room, t0+1, 48, accounts...)), callback.OutcomeStored)
	partitions := map[string]int{}
	for _, item := range scanAll(t, s.table) {
		if pk := str(item, attrPK); strings.HasPrefix(pk, "MEMBERS#") {
			partitions[pk]++
			if want := membersPK(app, room, memberShard(str(item, attrSK))); pk != want {
				t.Errorf("member %s in partition %s, want %s", str(item, attrSK), pk, want)
			}
		}
	}
	if len(partitions) != len(shards) {
		t.Errorf("member items in %d partitions, want %d", len(partitions), len(shards))
	}
	mustSave(t, s, event(t, app, callback.CommandDestroyRoom,
		`{"CallbackCommand":"Room.CallbackAfterDestroyRoom","RoomId":"busy","EventTime":1703589922790}`), callback.OutcomeStored)
	members, err := callback.ReadMembers(t.Context(), s, app, room)
	if err != nil || len(members) != 48 {
		t.Fatalf("ReadMembers = %d rows, %v; want 48", len(members), err)
	}
	for _, m := range members {
		if m.State != callback.MemberLeft || m.LeaveType == nil || *m.LeaveType != callback.LeaveDestroyed || *m.LeftAt != t0+10 {
			t.Errorf("member %s after the destroy: %+v", m.MemberAccount, m)
		}
	}
}

// TestMigrationFromV1 opens a table written by roomhook's version-1 code (v1store builds and
// runs it) with several cold starts at once: they agree on one migration, no archive item is
// changed, the rows become the fold of every event version 1 archived (those it archived
// without projecting them included: what a new store holds once it saved the same callbacks),
// every version 1 event delivered again is a duplicate (an event without EventTime is
// archived again, as always) that changes no row, and new events, including one at a version
// 1 key with another body, are stored and fold in on top.
func TestMigrationFromV1(t *testing.T) {
	isolateAWS(t)
	table := tableName()
	dropTable(t, table)
	u := storeURL(t, table)
	const app = 1400123456
	callbacks := v1store.Callbacks()
	v1store.Write(t, u, app, callbacks)
	checkVersionItem(t, table, "1")
	before := map[string]string{}
	for _, item := range scanAll(t, table) {
		before[itemKey(item)] = canon(item)
	}
	fold := v1Fold(t, app)

	start := time.Now()
	stores, ok := storetest.OpenTogether(t, 4, func() (*Store, error) { return Open(t.Context(), u, Options{}) })
	if !ok {
		t.FailNow()
	}
	checkVersionItem(t, table, "4")
	schema := getItem(t, table, schemaPK, schemaSK)
	legacyUntil, _ := strconv.ParseInt(num(schema, attrLegacyUntil), 10, 64)
	if lo, hi := start.Add(legacyMargin).UnixMilli(), time.Now().Add(legacyMargin).UnixMilli(); legacyUntil < lo || legacyUntil > hi {
		t.Errorf("legacy_until = %d, want the migration's time plus %v (%d to %d)", legacyUntil, legacyMargin, lo, hi)
	}
	for i, s := range stores {
		if s.legacyUntil != legacyUntil {
			t.Errorf("cold start %d: legacy_until %d, want the one stored, %d", i, s.legacyUntil, legacyUntil)
		}
	}
	// A later cold start reads the same.
	s := openURL(t, u)
	if s.legacyUntil != legacyUntil {
		t.Errorf("a later cold start: legacy_until %d, want %d", s.legacyUntil, legacyUntil)
	}

	// No archive item was rewritten; the only items written are the rows (no lock left).
	checkV1ArchiveKept(t, table, before)

	// The rows are the fold of every version 1 event: room A's create overlaid by both
	// updates, its count that of the leave, u2 and 144115233775727695 in, u3 kicked, seats 0
	// and 1; room B created again and destroyed.
	checkFold(t, s, app, fold, "after the migration")
	a, err := callback.ReadRoom(t.Context(), s, app, "v1-room-a")
	if err != nil || *a.Info.RoomName != "renamed in v1" || *a.Info.CustomInfo != "custom via the other spelling" ||
		*a.Info.IsVideoDisabled || a.CallbackCommand != callback.CommandUpdateRoomAlt || a.EventTime != t0+1_500 ||
		a.MemberCount == nil || *a.MemberCount != 2 || *a.MemberCountAt != t0+3_000 || a.DestroyedAt != nil {
		t.Errorf("room A after the migration = %+v, %v", a, err)
	}
	b, err := callback.ReadRoom(t.Context(), s, app, "v1-room-b")
	if err != nil || *b.Info.RoomName != "B again" || b.DestroyedAt == nil || *b.DestroyedAt != t0+4_000 ||
		b.DestroyOperatorAccount == nil || *b.DestroyOperatorAccount != "v1-admin" {
		t.Errorf("room B after the migration = %+v, %v", b, err)
	}
	checkMembers(t, s, app, "v1-room-a", map[string]string{
		"u2":                 "in t0+2000",
		"144115233775727695": "in t0+2000",
		"u3":                 "left t0+2001 t0+3000 Kicked spam",
	})
	seats, err := callback.ReadSeats(t.Context(), s, app, "v1-room-a")
	if err != nil || len(seats) != 2 || seats[0].SeatIndex != 0 || *seats[0].MemberAccount != "u2" ||
		seats[1].SeatIndex != 1 || seats[1].MemberAccount != nil {
		t.Errorf("seats of room A after the migration = %+v, %v", seats, err)
	}

	evs, err := s.Events(t.Context(), app)
	if err != nil || len(evs) != len(callbacks) {
		t.Fatalf("Events after the migration = %d, %v; want %d", len(evs), err, len(callbacks))
	}
	for i, ev := range evs {
		if string(ev.Raw) != callbacks[i].Body {
			t.Errorf("event %d: body %s, want %s", i, ev.Raw, callbacks[i].Body)
		}
	}
	arch, err := (&tx{s: s, app: app, room: "v1-room-a"}).Archived(t.Context(), callback.ArchiveQuery{
		Commands: []string{callback.CommandCreateRoom, callback.CommandMemberEnter}})
	if err != nil || len(arch) != 4 {
		t.Errorf("Archived of version 1 room A = %d events, %v; want 4", len(arch), err)
	}
	for _, a := range arch {
		if a.Digest != sha256Hex(a.Raw) {
			t.Errorf("archived %s: digest %s, want the SHA-256 of its body", a.Command, a.Digest)
		}
	}

	// Every version 1 event delivered again is a duplicate and changes no row, updated_at
	// included.
	rowsBefore := map[string][]string{}
	for _, room := range v1Rooms {
		for _, tb := range callback.Tables {
			rowsBefore[room+" "+tb.Name] = fullRowsOf(t, s, tb, app, room)
		}
	}
	for i, c := range callbacks {
		ev, err := c.Event(app, time.Now())
		if err != nil {
			t.Fatal(err)
		}
		want := callback.OutcomeDuplicate
		if ev.EventTime == 0 {
			want = callback.OutcomeIgnored
		}
		if o, err := stores[i%len(stores)].Save(t.Context(), ev); err != nil || o != want {
			t.Errorf("re-delivery %d (%s): %v, %v; want %v", i, c.Command, o, err, want)
		}
	}
	if evs, err := s.Events(t.Context(), app); err != nil || len(evs) != len(callbacks)+1 {
		t.Errorf("Events after the re-deliveries = %d, %v; want %d", len(evs), err, len(callbacks)+1)
	}
	for _, item := range scanAll(t, table) {
		if sk := str(item, attrSK); strings.HasPrefix(sk, eventPrefix) || strings.HasPrefix(sk, projectedPrefix) {
			t.Errorf("a re-delivery wrote %s", itemKey(item))
		}
	}
	for _, room := range v1Rooms {
		for _, tb := range callback.Tables {
			if got, want := fullRowsOf(t, s, tb, app, room), rowsBefore[room+" "+tb.Name]; !slices.Equal(got, want) {
				t.Errorf("%s of %s changed by the re-deliveries:\n got  %v\n want %v", tb.Name, room, got, want)
			}
		}
	}

	// New events: one at a version 1 key with another body, then a destroy, which ends every
	// member still in, those version 1 saw enter included.
	mustSave(t, s, event(t, app, callback.CommandMemberEnter, enterBody("v1-room-a", t0+2000, 9, "u9")), callback.OutcomeStored)
	mustSave(t, s, event(t, app, callback.CommandDestroyRoom,
		fmt.Sprintf(`{"RoomId":"v1-room-a","Operator_Account":"v2-admin","EventTime":%d}`, t0+8_000)), callback.OutcomeStored)
	checkMembers(t, s, app, "v1-room-a", map[string]string{
		"u2":                 "left t0+2000 t0+8000 Destroyed -",
		"144115233775727695": "left t0+2000 t0+8000 Destroyed -",
		"u3":                 "left t0+2001 t0+3000 Kicked spam",
		"u9":                 "left t0+2000 t0+8000 Destroyed -",
	})
	a, err = callback.ReadRoom(t.Context(), s, app, "v1-room-a")
	if err != nil || a.DestroyedAt == nil || *a.DestroyedAt != t0+8_000 || *a.DestroyOperatorAccount != "v2-admin" ||
		*a.Info.RoomName != "renamed in v1" {
		t.Errorf("room A after its destroy = %+v, %v", a, err)
	}
	// Version 1 items are still there, unchanged.
	final := map[string]string{}
	for _, item := range scanAll(t, table) {
		final[itemKey(item)] = canon(item)
	}
	for k, v := range before {
		if strings.Contains(k, " | "+legacyPrefix) && final[k] != v {
			t.Errorf("version 1 archive item %s changed", k)
		}
	}
}

// TestMigrationInterruptedMidRefold: a cold start whose context ends after it refolded the
// first room leaves version 1 (and no lock), and the next cold start refolds every room and
// writes version 3; the rows are the fold of every version 1 event, as after one migration.
func TestMigrationInterruptedMidRefold(t *testing.T) {
	isolateAWS(t)
	table := tableName()
	dropTable(t, table)
	u := storeURL(t, table)
	const app = 1400123456
	v1store.Write(t, u, app, v1store.Callbacks())
	before := map[string]string{}
	for _, item := range scanAll(t, table) {
		before[itemKey(item)] = canon(item)
	}
	fold := v1Fold(t, app)

	ctx, cancel := context.WithCancel(t.Context())
	defer cancel()
	var refolded []string
	refoldAtOnce, refoldHook = 1, func(_ int64, room string) {
		refolded = append(refolded, room)
		cancel()
	}
	t.Cleanup(func() { refoldAtOnce, refoldHook = 8, nil })
	if s, err := Open(ctx, u, Options{}); err == nil {
		s.Close()
		t.Fatal("Open succeeded though its context ended during the refold")
	} else if !errors.Is(err, context.Canceled) {
		t.Errorf("Open = %v; want the end of its context", err)
	}
	if !slices.Equal(refolded, []string{"v1-room-a"}) {
		t.Fatalf("refolded %v before the context ended, want [v1-room-a]", refolded)
	}
	checkVersionItem(t, table, "1")
	checkV1ArchiveKept(t, table, before)
	got := map[string]string{}
	for _, item := range scanAll(t, table) {
		got[itemKey(item)] = canon(item)
	}
	if k := "ROOM#1400123456#v1-room-b | ROOM"; got[k] != before[k] {
		t.Errorf("room B, not refolded, changed:\n before %s\n after  %s", before[k], got[k])
	}
	refoldHook = nil
	s := openURL(t, u)
	checkVersionItem(t, table, "4")
	if s.legacyUntil == 0 {
		t.Error("legacy_until not set by the migration completed")
	}
	checkFold(t, s, app, fold, "after the migration completed")
	checkV1ArchiveKept(t, table, before)
}

// v1Rooms are the rooms v1store.Callbacks tells about.
var v1Rooms = []string{"v1-room-a", "v1-room-b"}

// v1Fold returns rowsOf each table and room of v1Rooms in a new table whose store saved
// v1store.Callbacks(): the rows the fold of every version 1 event gives.
func v1Fold(t *testing.T, app int64) map[string][]string {
	t.Helper()
	fresh := open(t)
	for i, c := range v1store.Callbacks() {
		ev, err := c.Event(app, time.Now())
		if err != nil {
			t.Fatalf("callback %d: %v", i, err)
		}
		if _, err := fresh.Save(t.Context(), ev); err != nil {
			t.Fatalf("callback %d (%s): %v", i, c.Command, err)
		}
	}
	fold := map[string][]string{}
	for _, room := range v1Rooms {
		for _, tb := range callback.Tables {
			fold[room+" "+tb.Name] = rowsOf(t, fresh, tb, app, room)
		}
	}
	return fold
}

// checkFold checks that s holds the rows fold lists (v1Fold), updated_at aside.
func checkFold(t *testing.T, s *Store, app int64, fold map[string][]string, when string) {
	t.Helper()
	for _, room := range v1Rooms {
		for _, tb := range callback.Tables {
			if got, want := rowsOf(t, s, tb, app, room), fold[room+" "+tb.Name]; !slices.Equal(got, want) {
				t.Errorf("%s of %s %s:\n got  %v\n want the fold of the version 1 events (a new store fed them) %v",
					tb.Name, room, when, got, want)
			}
		}
	}
}

// checkV1ArchiveKept checks that every item of the version 1 table before is still there
// unchanged, but for its room items and the schema version item, and that every other item
// is a member or seat item, or the directory item of a room item.
func checkV1ArchiveKept(t *testing.T, table string, before map[string]string) {
	t.Helper()
	after := map[string]string{}
	for _, item := range scanAll(t, table) {
		k := itemKey(item)
		after[k] = canon(item)
		if _, ok := before[k]; !ok {
			if pk := str(item, attrPK); !strings.HasPrefix(pk, membersPrefix) && !strings.HasPrefix(pk, seatsPrefix) &&
				!strings.HasPrefix(pk, directoryPrefix) {
				t.Errorf("the migration wrote item %s", k)
			}
		}
	}
	checkDirectory(t, table)
	for k, v := range before {
		if k == schemaPK+" | "+schemaSK || strings.HasSuffix(k, " | "+roomSK) {
			if _, ok := after[k]; !ok {
				t.Errorf("item %s deleted by the migration", k)
			}
			continue
		}
		if after[k] != v {
			t.Errorf("item %s changed by the migration:\n before %s\n after  %s", k, v, after[k])
		}
	}
}

// checkMembers checks the members of a room: account → "state entered [left type reason]",
// times relative to t0.
func checkMembers(t *testing.T, s *Store, app int64, room string, want map[string]string) {
	t.Helper()
	members, err := callback.ReadMembers(t.Context(), s, app, room)
	if err != nil {
		t.Fatal(err)
	}
	at := func(p *int64) string {
		if p == nil {
			return "-"
		}
		return fmt.Sprintf("t0%+d", *p-t0)
	}
	opt := func(p *string) string {
		if p == nil {
			return "-"
		}
		return *p
	}
	got := map[string]string{}
	for _, m := range members {
		d := m.State + " " + at(m.EnteredAt)
		if m.State != callback.MemberIn || m.LeftAt != nil {
			d += " " + at(m.LeftAt) + " " + opt(m.LeaveType) + " " + opt(m.LeaveReason)
		}
		got[m.MemberAccount] = d
	}
	if !maps.Equal(got, want) {
		t.Errorf("members of %s = %v, want %v", room, got, want)
	}
}

// fullRowsOf is rowsOf with updated_at.
func fullRowsOf(t *testing.T, s *Store, tb *callback.Table, app int64, room string) []string {
	t.Helper()
	rows, err := s.Rows(t.Context(), tb, app, room)
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, r := range rows {
		out = append(out, fmt.Sprintf("%#v", r))
	}
	slices.Sort(out)
	return out
}

// rowsOf returns the rows of t of one room as sorted strings, without updated_at (the time a
// save wrote the row) and, in the gift ledger, without delivery_id (roomhook's id of the
// delivery): a multiset of the rows' contents.
func rowsOf(t *testing.T, s *Store, tb *callback.Table, app int64, room string) []string {
	t.Helper()
	rows, err := s.Rows(t.Context(), tb, app, room)
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, r := range rows {
		for _, name := range []string{"updated_at", "delivery_id"} {
			if i := tb.Index(name); i >= 0 {
				r[i] = nil
			}
		}
		out = append(out, fmt.Sprintf("%#v", r))
	}
	slices.Sort(out)
	return out
}
