package deploycheck

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"os"
	"os/exec"
	"regexp"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	ddb "github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/awslabs/goformation/v7/cloudformation/serverless"

	"github.com/roomhook/roomhook/functions/samples"
	"github.com/roomhook/roomhook/pkg/coldstart"
	"github.com/roomhook/roomhook/pkg/config"
	"github.com/roomhook/roomhook/pkg/store"
	storeddb "github.com/roomhook/roomhook/pkg/store/dynamodb"
)

// The archive purge on AWS: template.yaml's PurgeFunction, present when the ArchiveRetention
// parameter is set, is RoomhookFunction's bootstrap invoked once a day by an EventBridge schedule
// (functions/lambda runs one purge pass for a scheduled event), with a role allowing exactly
// what a pass does.

// purgeGrants is exactly what PurgeFunction's role allows, as grant renders each (action,
// resource, condition): what a purge pass calls (TestPurgeCallsMatchThePolicy watches one on a
// DynamoDB-compatible server). scripts/deploycheck/aws/check.py (PURGE_GRANTS) says the same.
var purgeGrants = []string{
	"dynamodb:DeleteItem on the table",
	"dynamodb:DescribeTable on the table",
	"dynamodb:GetItem on the table",
	"dynamodb:PutItem on the table, partition key SCHEMA only",
	"dynamodb:Query on the index " + storeddb.IndexName,
	"dynamodb:Query on the table",
}

// dailySchedule is an EventBridge schedule expression firing once a day.
var dailySchedule = regexp.MustCompile(`^(cron\(([0-5]?[0-9]) (1?[0-9]|2[0-3]) \* \* \? \*\)|rate\(1 day\))$`)

// TestTemplatePurgeFunction: the parameter and its condition, the variable on both functions,
// and PurgeFunction as RoomhookFunction built and configured again, with the longest timeout, one
// execution at a time and a daily schedule as its only event.
func TestTemplatePurgeFunction(t *testing.T) {
	tpl := loadTemplate(t)
	p, ok := tpl.typed.Parameters["ArchiveRetention"]
	if !ok || p.Type != "String" || p.Default != "" || p.AllowedPattern == nil {
		t.Fatalf("parameter ArchiveRetention %+v: want an optional String with an AllowedPattern", p)
	}
	pattern := regexp.MustCompile(*p.AllowedPattern)
	// Every value the pattern lets through must be one the functions accept: the callback
	// function reads the variable too, and would not start with a value config refuses.
	for _, v := range []string{"", "1d", "30d", "365d", "9999d"} {
		if !pattern.MatchString(v) {
			t.Errorf("ArchiveRetention's pattern refuses %q", v)
		} else if _, err := config.ParseRetention(v); v != "" && err != nil {
			t.Errorf("ArchiveRetention %q: %v", v, err)
		}
	}
	for _, v := range []string{"0d", "00d", "1h", "23h", "24h", "720h", "1.5h", "10000d", "30 days", "30D", "-24h", "1w",
		"forever", "30d ", "d", "h"} {
		if pattern.MatchString(v) {
			t.Errorf("ArchiveRetention's pattern accepts %q, which roomhook refuses at cold start", v)
		}
	}
	for _, want := range []string{config.EnvArchiveRetention, "24h", "forever", "PurgeFunction"} {
		if !strings.Contains(deref(p.Description), want) {
			t.Errorf("parameter ArchiveRetention's description does not say %q", want)
		}
	}
	conds := tpl.raw["Conditions"].(map[string]any)
	if !jsonEqual(conds["HasRetention"], map[string]any{"Fn::Not": []any{map[string]any{"Fn::Equals": []any{map[string]any{"Ref": "ArchiveRetention"}, ""}}}}) {
		t.Errorf("condition HasRetention %v", conds["HasRetention"])
	}
	if c := tpl.rawResource(t, purgeID)["Condition"]; c != "HasRetention" {
		t.Errorf("%s under condition %v, want HasRetention: no retention, no purge", purgeID, c)
	}

	fn, purge := tpl.function(t), tpl.serverlessFunction(t, purgeID)
	if got := fn.Environment.Variables[config.EnvArchiveRetention]; got != intrinsic("Ref", "ArchiveRetention") {
		t.Errorf("%s: %s = %s, want the ArchiveRetention parameter (DynamoDB's Time to Live needs it there)", functionID, config.EnvArchiveRetention, got)
	}
	vars := func(id string) any {
		return tpl.rawResource(t, id)["Properties"].(map[string]any)["Environment"].(map[string]any)["Variables"]
	}
	if !jsonEqual(vars(purgeID), vars(functionID)) {
		t.Errorf("%s's variables %v differ from %s's %v: the cold start reads the same configuration", purgeID, vars(purgeID), functionID, vars(functionID))
	}
	same := func(f *serverless.Function) string {
		b, _ := json.Marshal([]any{f.CodeUri, f.Handler, f.Runtime, f.Architectures, f.PackageType, f.AWSCloudFormationMetadata, f.MemorySize})
		return string(b)
	}
	if same(purge) != same(fn) {
		t.Errorf("%s's code, handler, runtime, architectures, package, build and memory %s differ from %s's %s", purgeID, same(purge), functionID, same(fn))
	}
	if purge.Timeout == nil || *purge.Timeout != 900 {
		t.Errorf("%s: Timeout %v, want 900 (s), Lambda's longest: a pass stops a margin before it", purgeID, purge.Timeout)
	}
	if purge.ReservedConcurrentExecutions == nil || *purge.ReservedConcurrentExecutions != 1 {
		t.Errorf("%s: ReservedConcurrentExecutions %v, want 1: one pass at a time", purgeID, purge.ReservedConcurrentExecutions)
	}
	if purge.Role != nil {
		t.Errorf("%s: Role %s: want the role SAM builds from Policies", purgeID, *purge.Role)
	}
	if len(purge.Events) != 1 {
		t.Fatalf("%s: %d events, want its daily schedule alone", purgeID, len(purge.Events))
	}
	for name, ev := range purge.Events {
		if ev.Type != "Schedule" || ev.Properties == nil || ev.Properties.ScheduleEvent == nil {
			t.Fatalf("%s event %s: %+v, want Type Schedule (an EventBridge rule sending its scheduled event)", purgeID, name, ev)
		}
		s := ev.Properties.ScheduleEvent
		if !dailySchedule.MatchString(s.Schedule) || (s.Enabled != nil && !*s.Enabled) || s.Input != nil {
			t.Errorf("%s event %s: schedule %q, enabled %v, input %v; want once a day, on, the scheduled event itself", purgeID, name, s.Schedule, s.Enabled, s.Input)
		}
	}
}

// grant renders one statement's action on one resource as purgeGrants does.
func grant(action string, resource any, condition any) string {
	var on string
	switch {
	case jsonEqual(resource, map[string]any{"Fn::GetAtt": tableID + ".Arn"}):
		on = "the table"
	case jsonEqual(resource, map[string]any{"Fn::Sub": "${" + tableID + ".Arn}/index/" + storeddb.IndexName}):
		on = "the index " + storeddb.IndexName
	default:
		b, _ := json.Marshal(resource)
		on = string(b)
	}
	g := action + " on " + on
	switch {
	case condition == nil:
	case jsonEqual(condition, map[string]any{"ForAllValues:StringEquals": map[string]any{"dynamodb:LeadingKeys": []any{"SCHEMA"}}}):
		g += ", partition key SCHEMA only"
	default:
		b, _ := json.Marshal(condition)
		g += " if " + string(b)
	}
	return g
}

// TestTemplatePurgePolicy: PurgeFunction's role allows exactly purgeGrants, each an operation the
// DynamoDB store calls.
func TestTemplatePurgePolicy(t *testing.T) {
	tpl := loadTemplate(t)
	props := tpl.rawResource(t, purgeID)["Properties"].(map[string]any)
	docs, _ := props["Policies"].([]any)
	if len(docs) != 1 {
		t.Fatalf("%s: Policies %v, want one inline policy document", purgeID, props["Policies"])
	}
	var got []string
	for _, st := range docs[0].(map[string]any)["Statement"].([]any) {
		st := st.(map[string]any)
		if st["Effect"] != "Allow" {
			t.Errorf("statement %v: want Allow statements only", st)
		}
		for _, a := range st["Action"].([]any) {
			got = append(got, grant(a.(string), st["Resource"], st["Condition"]))
		}
	}
	slices.Sort(got)
	if !slices.Equal(got, purgeGrants) {
		t.Errorf("%s's role allows\n  %s\nwant exactly\n  %s", purgeID, strings.Join(got, "\n  "), strings.Join(purgeGrants, "\n  "))
	}
	calls := storeCalls(t)
	for _, g := range purgeGrants {
		op := strings.TrimPrefix(strings.Fields(g)[0], "dynamodb:")
		if !slices.Contains(calls, op) {
			t.Errorf("purgeGrants grants %s, which pkg/store/dynamodb never calls", op)
		}
	}
}

// TestMakefilePurge: `sam build` runs build-PurgeFunction for PurgeFunction; it must build what
// build-RoomhookFunction builds (TestMakefile checks that one), into the directory SAM gives it.
func TestMakefilePurge(t *testing.T) {
	if _, err := exec.LookPath("make"); err != nil {
		t.Skip("no make")
	}
	dry := func(target string) string {
		out, err := exec.Command("make", "-n", "-C", repo, target, "ARTIFACTS_DIR=/sam/artifacts").CombinedOutput()
		if err != nil {
			t.Fatalf("make -n %s: %v\n%s", target, err, out)
		}
		return strings.ReplaceAll(string(out), repo, "REPO")
	}
	purge, fn := dry("build-"+purgeID), dry("build-"+functionID)
	if purge != fn || !strings.Contains(purge, "-o /sam/artifacts/bootstrap ./functions/lambda") {
		t.Errorf("make build-%s runs\n%s\nwant what make build-%s runs\n%s", purgeID, purge, functionID, fn)
	}
}

// recorder is a DynamoDB endpoint in front of another that notes each request as a grant, in
// purgeGrants' words, and anything not of table.
type recorder struct {
	table string
	mu    sync.Mutex
	seen  map[string]bool
	other []string
}

func (r *recorder) note(req *http.Request, body []byte) {
	op := strings.TrimPrefix(req.Header.Get("X-Amz-Target"), "DynamoDB_20120810.")
	var in struct {
		TableName string
		IndexName string
		Item      map[string]map[string]any
	}
	_ = json.Unmarshal(body, &in)
	r.mu.Lock()
	defer r.mu.Unlock()
	if in.TableName != r.table {
		r.other = append(r.other, op+" on "+in.TableName)
		return
	}
	g := "dynamodb:" + op + " on the table"
	switch {
	case in.IndexName != "":
		g = "dynamodb:" + op + " on the index " + in.IndexName
	case op == "PutItem" && in.Item[storeddb.PartitionKey]["S"] == "SCHEMA":
		g += ", partition key SCHEMA only"
	}
	r.seen[g] = true
}

// TestPurgeCallsMatchThePolicy runs the purge as PurgeFunction does (the cold start's store, then
// Instance.Purge) against the DynamoDB-compatible server of ROOMHOOK_TEST_DYNAMODB, through a
// proxy that notes every request: on a table as template.yaml creates it, which no function has
// opened yet, then on the same table holding an archive older than the retention. What it calls
// must be exactly purgeGrants: no AccessDenied on AWS, and nothing more allowed than it uses.
func TestPurgeCallsMatchThePolicy(t *testing.T) {
	raw := os.Getenv("ROOMHOOK_TEST_DYNAMODB")
	if raw == "" {
		t.Skip("ROOMHOOK_TEST_DYNAMODB is not set")
	}
	u, err := url.Parse(raw)
	if err != nil {
		t.Fatalf("ROOMHOOK_TEST_DYNAMODB: %v", err)
	}
	q := u.Query()
	endpoint, region := q.Get("endpoint"), q.Get("region")
	if endpoint == "" || region == "" {
		t.Skip("ROOMHOOK_TEST_DYNAMODB names no endpoint and region: the test runs on a local server only")
	}
	if os.Getenv("AWS_ACCESS_KEY_ID") == "" {
		t.Setenv("AWS_ACCESS_KEY_ID", "deploycheck")
		t.Setenv("AWS_SECRET_ACCESS_KEY", "deploycheck")
	}
	ctx, cancel := context.WithTimeout(t.Context(), 2*time.Minute)
	defer cancel()
	suffix := make([]byte, 6)
	_, _ = rand.Read(suffix)
	table := "deploycheck-purge-" + hex.EncodeToString(suffix)

	// The table as template.yaml's RoomhookTable: created, no schema version item yet.
	client := ddb.New(ddb.Options{Region: region, BaseEndpoint: aws.String(endpoint),
		Credentials: credentials.NewStaticCredentialsProvider(os.Getenv("AWS_ACCESS_KEY_ID"), os.Getenv("AWS_SECRET_ACCESS_KEY"), "")})
	s := func(v string) *string { return aws.String(v) }
	_, err = client.CreateTable(ctx, &ddb.CreateTableInput{
		TableName:   s(table),
		BillingMode: types.BillingModePayPerRequest,
		AttributeDefinitions: []types.AttributeDefinition{
			{AttributeName: s(storeddb.PartitionKey), AttributeType: types.ScalarAttributeTypeS},
			{AttributeName: s(storeddb.SortKey), AttributeType: types.ScalarAttributeTypeS},
			{AttributeName: s(storeddb.IndexPartitionKey), AttributeType: types.ScalarAttributeTypeS},
			{AttributeName: s(storeddb.IndexSortKey), AttributeType: types.ScalarAttributeTypeS},
		},
		KeySchema: []types.KeySchemaElement{
			{AttributeName: s(storeddb.PartitionKey), KeyType: types.KeyTypeHash},
			{AttributeName: s(storeddb.SortKey), KeyType: types.KeyTypeRange},
		},
		GlobalSecondaryIndexes: []types.GlobalSecondaryIndex{{
			IndexName: s(storeddb.IndexName),
			KeySchema: []types.KeySchemaElement{
				{AttributeName: s(storeddb.IndexPartitionKey), KeyType: types.KeyTypeHash},
				{AttributeName: s(storeddb.IndexSortKey), KeyType: types.KeyTypeRange},
			},
			Projection: &types.Projection{ProjectionType: types.ProjectionTypeAll},
		}},
	})
	if err != nil {
		t.Fatalf("create table %s: %v", table, err)
	}
	t.Cleanup(func() {
		_, _ = client.DeleteTable(context.Background(), &ddb.DeleteTableInput{TableName: s(table)})
	})
	waiter := ddb.NewTableExistsWaiter(client, func(o *ddb.TableExistsWaiterOptions) { o.MinDelay = 50 * time.Millisecond })
	if err := waiter.Wait(ctx, &ddb.DescribeTableInput{TableName: s(table)}, time.Minute); err != nil {
		t.Fatal(err)
	}

	rec := &recorder{table: table, seen: map[string]bool{}}
	target, err := url.Parse(endpoint)
	if err != nil {
		t.Fatal(err)
	}
	proxy := httputil.NewSingleHostReverseProxy(target)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		body, err := io.ReadAll(req.Body)
		if err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		rec.note(req, body)
		req.Body = io.NopCloser(bytes.NewReader(body))
		proxy.ServeHTTP(w, req)
	}))
	defer srv.Close()

	env := map[string]string{
		config.EnvSdkAppID:         "1400123456",
		config.EnvStore:            "dynamodb://" + table + "?region=" + region + "&endpoint=" + srv.URL,
		config.EnvArchiveRetention: "24h",
		"AWS_ACCESS_KEY_ID":        os.Getenv("AWS_ACCESS_KEY_ID"),
		"AWS_SECRET_ACCESS_KEY":    os.Getenv("AWS_SECRET_ACCESS_KEY"),
		"AWS_REGION":               region,
	}
	pass := func() coldstart.PurgeResult {
		t.Helper()
		inst, err := coldstart.BuildWith(ctx, func(k string) string { return env[k] }, coldstart.Options{LogOut: io.Discard, OpenInBackground: true})
		if err != nil {
			t.Fatal(err)
		}
		defer inst.Store.Close()
		out, err := inst.Purge(ctx)
		if err != nil {
			t.Fatalf("purge: %v", err)
		}
		var a coldstart.PurgeAnswer
		if err := json.Unmarshal(out, &a); err != nil {
			t.Fatal(err)
		}
		return a.ArchivePurge
	}

	if r := pass(); !r.Complete || r.Apps[0].Examined != 0 {
		t.Fatalf("first pass on an empty table: %+v", r)
	}
	// An archive received ten days ago, saved beside the proxy as the callback function would.
	st, err := store.Open(ctx, "dynamodb://"+table+"?region="+region+"&endpoint="+endpoint, store.Options{ArchiveRetention: 24 * time.Hour})
	if err != nil {
		t.Fatal(err)
	}
	err = samples.Deliver(ctx, st, time.Now().Add(-10*24*time.Hour), append(slices.Clone(samples.Story), samples.LiveStory...)...)
	st.Close()
	if err != nil {
		t.Fatal(err)
	}
	if r := pass(); !r.Complete || r.Apps[0].Deleted == 0 || r.Apps[0].Kept == 0 {
		t.Fatalf("second pass: %+v, want some rows deleted and some kept", r)
	}

	var got []string
	for g := range rec.seen {
		got = append(got, g)
	}
	slices.Sort(got)
	if !slices.Equal(got, purgeGrants) {
		t.Errorf("a purge calls\n  %s\nPurgeFunction's role allows\n  %s", strings.Join(got, "\n  "), strings.Join(purgeGrants, "\n  "))
	}
	if len(rec.other) > 0 {
		t.Errorf("requests beyond the table: %v", rec.other)
	}
}
