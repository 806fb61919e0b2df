package deploycheck

import (
	"bytes"
	"context"
	"debug/elf"
	"encoding/json"
	"go/ast"
	"go/parser"
	"go/token"
	"maps"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/awslabs/goformation/v7"
	"github.com/awslabs/goformation/v7/cloudformation"
	"github.com/awslabs/goformation/v7/cloudformation/dynamodb"
	"github.com/awslabs/goformation/v7/cloudformation/serverless"
	"github.com/awslabs/goformation/v7/intrinsics"
	"gopkg.in/yaml.v3"

	"github.com/roomhook/roomhook/pkg/config"
	"github.com/roomhook/roomhook/pkg/emf"
	store "github.com/roomhook/roomhook/pkg/store/dynamodb"
	"github.com/roomhook/roomhook/scripts/localinvoke"
)

// Names template.yaml gives its resources.
const (
	functionID = "RoomhookFunction"
	purgeID    = "PurgeFunction" // the archive purge, with ArchiveRetention set (purge_test.go)
	tableID    = "RoomhookTable"
	urlID      = "RoomhookFunctionUrl"
)

// newerThanGoformation are properties CloudFormation has and goformation v7.14.9's typed model
// lacks (it refuses unknown properties): the test reads them from the raw template and removes
// them before goformation parses it. Drop an entry once goformation knows it.
var newerThanGoformation = map[string][]string{
	"AWS::Lambda::Permission": {"InvokedViaFunctionUrl"},
}

// intrinsicNames are the intrinsic functions goformation resolves by default.
var intrinsicNames = []string{"Fn::Base64", "Fn::And", "Fn::Equals", "Fn::If", "Fn::Not", "Fn::Or", "Fn::FindInMap",
	"Fn::GetAtt", "Fn::GetAZs", "Fn::ImportValue", "Fn::Join", "Fn::Select", "Fn::Split", "Fn::Sub", "Ref", "Fn::Cidr", "Fn::Transform"}

// keepIntrinsics makes goformation keep every intrinsic function as its long form in JSON,
// {"Fn::Sub":"…"}, in a string: its default resolves Ref against parameter defaults and drops
// Fn::GetAtt, which would hide exactly what the checks look at.
var keepIntrinsics = func() *intrinsics.ProcessorOptions {
	o := &intrinsics.ProcessorOptions{IntrinsicHandlerOverrides: map[string]intrinsics.IntrinsicHandler{}}
	for _, name := range intrinsicNames {
		o.IntrinsicHandlerOverrides[name] = func(name string, input, _ any) any {
			return intrinsic(name, input)
		}
	}
	return o
}()

// intrinsic renders an intrinsic function as keepIntrinsics does. Fn::GetAtt's two forms,
// !GetAtt Res.Attr and [Res, Attr], render alike, as "Res.Attr".
func intrinsic(name string, arg any) string {
	if parts, ok := arg.([]any); ok && name == "Fn::GetAtt" && len(parts) == 2 {
		res, _ := parts[0].(string)
		attr, _ := parts[1].(string)
		arg = res + "." + attr
	}
	b, _ := json.Marshal(map[string]any{name: arg})
	return string(b)
}

// samTemplate is template.yaml twice: typed by goformation, and raw (long-form intrinsics, the
// properties goformation lacks kept).
type samTemplate struct {
	typed *cloudformation.Template
	raw   map[string]any
}

func loadTemplate(t *testing.T) samTemplate {
	t.Helper()
	data, err := os.ReadFile(filepath.Join(repo, "template.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	rawJSON, err := intrinsics.ProcessYAML(data, &intrinsics.ProcessorOptions{NoProcess: true})
	if err != nil {
		t.Fatal(err)
	}
	var raw map[string]any
	if err := json.Unmarshal(rawJSON, &raw); err != nil {
		t.Fatal(err)
	}
	typed, err := goformation.ParseYAMLWithOptions(withoutNewerProperties(t, data), keepIntrinsics)
	if err != nil {
		t.Fatalf("goformation cannot parse template.yaml: %v", err)
	}
	return samTemplate{typed: typed, raw: raw}
}

// withoutNewerProperties returns the template without the properties in newerThanGoformation.
func withoutNewerProperties(t *testing.T, data []byte) []byte {
	t.Helper()
	var doc yaml.Node
	if err := yaml.Unmarshal(data, &doc); err != nil {
		t.Fatal(err)
	}
	resources := mapValue(doc.Content[0], "Resources")
	for i := 0; resources != nil && i+1 < len(resources.Content); i += 2 {
		res := resources.Content[i+1]
		typ := mapValue(res, "Type")
		props := mapValue(res, "Properties")
		if typ == nil || props == nil {
			continue
		}
		for _, drop := range newerThanGoformation[typ.Value] {
			for j := 0; j+1 < len(props.Content); j += 2 {
				if props.Content[j].Value == drop {
					props.Content = slices.Delete(props.Content, j, j+2)
					break
				}
			}
		}
	}
	out, err := yaml.Marshal(&doc)
	if err != nil {
		t.Fatal(err)
	}
	return out
}

func mapValue(n *yaml.Node, key string) *yaml.Node {
	if n == nil || n.Kind != yaml.MappingNode {
		return nil
	}
	for i := 0; i+1 < len(n.Content); i += 2 {
		if n.Content[i].Value == key {
			return n.Content[i+1]
		}
	}
	return nil
}

// rawProps returns the raw Properties of a resource.
func (s samTemplate) rawResource(t *testing.T, id string) map[string]any {
	t.Helper()
	res, ok := s.raw["Resources"].(map[string]any)[id].(map[string]any)
	if !ok {
		t.Fatalf("template.yaml has no resource %s", id)
	}
	return res
}

// function is the callback function, RoomhookFunction.
func (s samTemplate) function(t *testing.T) *serverless.Function {
	t.Helper()
	return s.serverlessFunction(t, functionID)
}

// serverlessFunction returns one of the template's two functions, checking there are no others:
// the callback function and the archive purge's.
func (s samTemplate) serverlessFunction(t *testing.T, id string) *serverless.Function {
	t.Helper()
	fns := s.typed.GetAllServerlessFunctionResources()
	if _, purge := fns[purgeID]; len(fns) != 2 || !purge {
		t.Fatalf("template.yaml has %d AWS::Serverless::Function resources, want %s and %s", len(fns), functionID, purgeID)
	}
	fn, err := s.typed.GetServerlessFunctionWithName(id)
	if err != nil {
		t.Fatal(err)
	}
	return fn
}

func TestTemplateFunction(t *testing.T) {
	tpl := loadTemplate(t)
	if tr := tpl.typed.Transform; tr == nil || tr.String == nil || *tr.String != "AWS::Serverless-2016-10-31" {
		t.Errorf("Transform %+v, want AWS::Serverless-2016-10-31", tr)
	}
	fn := tpl.function(t)

	// As built by the Makefile and scripts/build.sh lambda.
	if deref(fn.Runtime) != "provided.al2023" || deref(fn.Handler) != artifacts["lambda"][0] || !slices.Equal(fn.Architectures, []string{"arm64"}) {
		t.Errorf("Runtime %q, Handler %q, Architectures %v; want provided.al2023, bootstrap, [arm64]",
			deref(fn.Runtime), deref(fn.Handler), fn.Architectures)
	}
	if fn.CodeUri == nil || deref(fn.CodeUri.String) != "." || fn.AWSCloudFormationMetadata["BuildMethod"] != "makefile" {
		t.Errorf("CodeUri %+v, Metadata %v; want CodeUri . built by the Makefile at the root", fn.CodeUri, fn.AWSCloudFormationMetadata)
	}
	if fn.PackageType != nil && *fn.PackageType != "Zip" {
		t.Errorf("PackageType %s", *fn.PackageType)
	}

	// Tencent waits 2 s; the function's timeout bounds a stuck call just above, the store's
	// budget lies below it.
	vars := fn.Environment.Variables
	if fn.Timeout == nil || *fn.Timeout > 3 || fn.MemorySize == nil || *fn.MemorySize != 128 {
		t.Errorf("Timeout %v, MemorySize %v; want at most 3 (s) and 128 (MB)", fn.Timeout, fn.MemorySize)
	} else {
		checkStoreTimeout(t, "template.yaml", vars, time.Duration(*fn.Timeout)*time.Second)
	}
	checkVariables(t, "template.yaml", vars, emf.Variables()...)
	if got, want := vars[config.EnvStore], intrinsic("Fn::Sub", "dynamodb://${"+tableID+"}?region=${AWS::Region}"); got != want {
		t.Errorf("%s = %s, want %s", config.EnvStore, got, want)
	}
	if got := vars[config.EnvSdkAppID]; got != intrinsic("Ref", "SdkAppId") {
		t.Errorf("%s = %s, want the SdkAppId parameter", config.EnvSdkAppID, got)
	}
	// The token from the NoEcho parameter, or from Secrets Manager.
	token := tpl.rawResource(t, functionID)["Properties"].(map[string]any)["Environment"].(map[string]any)["Variables"].(map[string]any)[config.EnvCallbackToken]
	wantToken := map[string]any{"Fn::If": []any{"HasTokenSecret",
		map[string]any{"Fn::Sub": "{{resolve:secretsmanager:${CallbackTokenSecret}}}"},
		map[string]any{"Ref": "CallbackToken"}}}
	if !jsonEqual(token, wantToken) {
		t.Errorf("%s = %v, want %v", config.EnvCallbackToken, token, wantToken)
	}

	params := tpl.typed.Parameters
	if p, ok := params["CallbackToken"]; !ok || p.NoEcho == nil || !*p.NoEcho || p.Type != "String" {
		t.Errorf("parameter CallbackToken %+v: want a NoEcho String", p)
	}
	if p, ok := params["CallbackTokenSecret"]; !ok || p.Type != "String" || p.Default != "" {
		t.Errorf("parameter CallbackTokenSecret %+v: want an optional String", p)
	}
	sdk, ok := params["SdkAppId"]
	if !ok || sdk.Type != "String" || sdk.AllowedPattern == nil || sdk.Default != nil {
		t.Fatalf("parameter SdkAppId %+v: want a required String with an AllowedPattern", sdk)
	}
	pattern := regexp.MustCompile(*sdk.AllowedPattern)
	for _, v := range []string{"1400123456", "1400123456,1400000001"} {
		if !pattern.MatchString(v) {
			t.Errorf("SdkAppId's pattern refuses %q", v)
		}
	}
	for _, v := range []string{"", "0123", "1400123456, 1400000001", "abc", "1400123456,"} {
		if pattern.MatchString(v) {
			t.Errorf("SdkAppId's pattern accepts %q, which roomhook refuses at cold start", v)
		}
	}
	conds := tpl.raw["Conditions"].(map[string]any)
	if !jsonEqual(conds["HasTokenSecret"], map[string]any{"Fn::Not": []any{map[string]any{"Fn::Equals": []any{map[string]any{"Ref": "CallbackTokenSecret"}, ""}}}}) {
		t.Errorf("condition HasTokenSecret %v", conds["HasTokenSecret"])
	}
}

func TestTemplateRoutes(t *testing.T) {
	tpl := loadTemplate(t)
	fn := tpl.function(t)

	// The HTTP API route: POST /callback.
	if len(fn.Events) != 1 {
		t.Fatalf("%d events, want the HTTP API route only", len(fn.Events))
	}
	var path string
	for name, ev := range fn.Events {
		if ev.Type != "HttpApi" || ev.Properties == nil || ev.Properties.HttpApiEvent == nil {
			t.Fatalf("event %s: %+v, want Type HttpApi", name, ev)
		}
		h := ev.Properties.HttpApiEvent
		path = deref(h.Path)
		if path != "/callback" || deref(h.Method) != "POST" || (h.PayloadFormatVersion != nil && *h.PayloadFormatVersion != "2.0") {
			t.Errorf("event %s: %s %s (payload %v), want POST /callback", name, deref(h.Method), path, h.PayloadFormatVersion)
		}
	}
	cb, ok := tpl.typed.Outputs["CallbackUrl"]
	want := intrinsic("Fn::Sub", "https://${ServerlessHttpApi}.execute-api.${AWS::Region}.${AWS::URLSuffix}"+path)
	if !ok || cb.Value != want {
		t.Errorf("output CallbackUrl %+v, want %s", cb, want)
	}
	checkOutputDescription(t, "CallbackUrl", cb)

	// The optional public function URL: a parameter, a condition, the URL and both permissions
	// a public URL needs, all under the condition.
	p, ok := tpl.typed.Parameters["FunctionUrl"]
	if !ok || p.Default != "false" || !jsonEqual(p.AllowedValues, []any{"false", "true"}) {
		t.Errorf("parameter FunctionUrl %+v: want false or true, default false", p)
	}
	if c := tpl.raw["Conditions"].(map[string]any)["HasFunctionUrl"]; !jsonEqual(c, map[string]any{"Fn::Equals": []any{map[string]any{"Ref": "FunctionUrl"}, "true"}}) {
		t.Errorf("condition HasFunctionUrl %v", c)
	}
	u, err := tpl.typed.GetLambdaUrlWithName(urlID)
	if err != nil {
		t.Fatal(err)
	}
	if u.AuthType != "NONE" || u.TargetFunctionArn != intrinsic("Fn::GetAtt", functionID+".Arn") || u.AWSCloudFormationCondition != "HasFunctionUrl" {
		t.Errorf("function URL %+v: want AuthType NONE on %s, condition HasFunctionUrl", u, functionID)
	}
	perms := tpl.typed.GetAllLambdaPermissionResources()
	actions := map[string]bool{}
	for id, perm := range perms {
		actions[perm.Action] = true
		raw := tpl.rawResource(t, id)["Properties"].(map[string]any)
		if perm.AWSCloudFormationCondition != "HasFunctionUrl" || perm.Principal != "*" || perm.FunctionName != intrinsic("Ref", functionID) {
			t.Errorf("permission %s: %+v; want the public function URL's, under HasFunctionUrl", id, perm)
		}
		switch perm.Action {
		case "lambda:InvokeFunctionUrl":
			if deref(perm.FunctionUrlAuthType) != "NONE" {
				t.Errorf("permission %s: FunctionUrlAuthType %v, want NONE", id, perm.FunctionUrlAuthType)
			}
		case "lambda:InvokeFunction":
			// Public, but only through the function URL: never a bare public invoke.
			if raw["InvokedViaFunctionUrl"] != true {
				t.Errorf("permission %s lets anyone invoke the function directly: want InvokedViaFunctionUrl: true", id)
			}
		default:
			t.Errorf("permission %s: unexpected action %s", id, perm.Action)
		}
	}
	if len(perms) != 2 || !actions["lambda:InvokeFunctionUrl"] || !actions["lambda:InvokeFunction"] {
		t.Errorf("permissions %v, want lambda:InvokeFunctionUrl and lambda:InvokeFunction", actions)
	}
	fu, ok := tpl.typed.Outputs["FunctionCallbackUrl"]
	if !ok || deref(fu.Condition) != "HasFunctionUrl" || fu.Value != intrinsic("Fn::GetAtt", urlID+".FunctionUrl") {
		t.Errorf("output FunctionCallbackUrl %+v: want the URL's FunctionUrl under HasFunctionUrl", fu)
	}
	checkOutputDescription(t, "FunctionCallbackUrl", fu)
}

// checkOutputDescription: the output tells what Tencent appends to the URL pasted.
func checkOutputDescription(t *testing.T, name string, o cloudformation.Output) {
	t.Helper()
	for _, want := range []string{"?SdkAppid=…&CallbackCommand=…&contenttype=json&ClientIP=…&OptPlatform=…", "Sign", "RequestTime", "Tencent"} {
		if !strings.Contains(deref(o.Description), want) {
			t.Errorf("output %s's description %q does not say %q", name, deref(o.Description), want)
		}
	}
}

// TestTemplateTable: the table has exactly the key design the DynamoDB store creates and checks.
func TestTemplateTable(t *testing.T) {
	tpl := loadTemplate(t)
	tables := tpl.typed.GetAllDynamoDBTableResources()
	if len(tables) != 1 {
		t.Fatalf("%d DynamoDB tables, want 1", len(tables))
	}
	tbl, err := tpl.typed.GetDynamoDBTableWithName(tableID)
	if err != nil {
		t.Fatal(err)
	}
	if tbl.AWSCloudFormationDeletionPolicy != "Retain" || tbl.AWSCloudFormationUpdateReplacePolicy != "Retain" {
		t.Errorf("DeletionPolicy %q, UpdateReplacePolicy %q; want Retain: the archive outlives the stack",
			tbl.AWSCloudFormationDeletionPolicy, tbl.AWSCloudFormationUpdateReplacePolicy)
	}
	if deref(tbl.BillingMode) != "PAY_PER_REQUEST" || tbl.ProvisionedThroughput != nil {
		t.Errorf("BillingMode %v, want PAY_PER_REQUEST", tbl.BillingMode)
	}
	if p := tbl.PointInTimeRecoverySpecification; p == nil || p.PointInTimeRecoveryEnabled == nil || !*p.PointInTimeRecoveryEnabled {
		t.Error("point-in-time recovery is off")
	}
	if tbl.TableName != nil {
		t.Errorf("TableName %q: let CloudFormation name it, so two stacks never collide", *tbl.TableName)
	}
	attrs := map[string]string{}
	for _, a := range tbl.AttributeDefinitions {
		attrs[a.AttributeName] = a.AttributeType
	}
	wantAttrs := map[string]string{store.PartitionKey: "S", store.SortKey: "S", store.IndexPartitionKey: "S", store.IndexSortKey: "S"}
	if !jsonEqual(attrs, wantAttrs) {
		t.Errorf("AttributeDefinitions %v, want %v", attrs, wantAttrs)
	}
	if got := keys(tbl.KeySchema); !slices.Equal(got, []string{store.PartitionKey + " HASH", store.SortKey + " RANGE"}) {
		t.Errorf("KeySchema %v", got)
	}
	if len(tbl.GlobalSecondaryIndexes) != 1 || len(tbl.LocalSecondaryIndexes) != 0 {
		t.Fatalf("%d global and %d local secondary indexes, want the one GSI %s", len(tbl.GlobalSecondaryIndexes), len(tbl.LocalSecondaryIndexes), store.IndexName)
	}
	gsi := tbl.GlobalSecondaryIndexes[0]
	if gsi.IndexName != store.IndexName || !slices.Equal(keys(gsi.KeySchema), []string{store.IndexPartitionKey + " HASH", store.IndexSortKey + " RANGE"}) ||
		gsi.Projection == nil || deref(gsi.Projection.ProjectionType) != "ALL" {
		t.Errorf("index %s %v, projection %+v; want %s (%s HASH, %s RANGE), ALL", gsi.IndexName, keys(gsi.KeySchema), gsi.Projection,
			store.IndexName, store.IndexPartitionKey, store.IndexSortKey)
	}
}

func keys(ks []dynamodb.Table_KeySchema) []string {
	var out []string
	for _, k := range ks {
		out = append(out, k.AttributeName+" "+k.KeyType)
	}
	return out
}

// storeOnlyForTools are DynamoDB calls of the store package the function never makes: the table
// comes from the template (CreateTable runs only when it is missing), and BatchGetItem reads an
// app's rooms for scripts/query. (Query serves both: the function queries the table for a room's
// archive and members, tools query gsi1, which the policy's resource leaves out.)
var storeOnlyForTools = []string{"BatchGetItem", "CreateTable"}

// TestTemplatePolicy: the function's role allows exactly the DynamoDB actions the store makes at
// run time, on the table alone.
func TestTemplatePolicy(t *testing.T) {
	used := storeCalls(t)
	var want []string
	for _, call := range used {
		if !slices.Contains(storeOnlyForTools, call) {
			want = append(want, "dynamodb:"+call)
		}
	}
	for _, call := range storeOnlyForTools {
		if !slices.Contains(used, call) {
			t.Errorf("the store no longer calls %s: drop it from storeOnlyForTools", call)
		}
	}
	if len(want) == 0 {
		t.Fatal("found no DynamoDB call in pkg/store/dynamodb")
	}

	fn := loadTemplate(t).function(t)
	if fn.Role != nil {
		t.Fatalf("Role %s: want the role SAM builds from Policies", *fn.Role)
	}
	if fn.Policies == nil || fn.Policies.IAMPolicyDocumentArray == nil || len(*fn.Policies.IAMPolicyDocumentArray) != 1 {
		t.Fatalf("Policies %+v: want one inline policy document", fn.Policies)
	}
	doc := (*fn.Policies.IAMPolicyDocumentArray)[0]
	statements := doc.Statement
	if len(statements) != 1 {
		t.Fatalf("policy statements %v: want one", doc.Statement)
	}
	st := statements[0].(map[string]any)
	var actions []string
	for _, a := range st["Action"].([]any) {
		actions = append(actions, a.(string))
	}
	slices.Sort(actions)
	slices.Sort(want)
	if st["Effect"] != "Allow" || !slices.Equal(actions, want) {
		t.Errorf("policy allows %v, want exactly %v (what pkg/store/dynamodb calls at run time)", actions, want)
	}
	if st["Resource"] != intrinsic("Fn::GetAtt", tableID+".Arn") {
		t.Errorf("policy resource %v, want the table's ARN only", st["Resource"])
	}
}

// storeCalls lists the DynamoDB operations pkg/store/dynamodb calls: the store reaches the SDK
// client only through the method values newAPI (client.go) binds to the fields of its api
// struct, so the operations are the methods bound there whose fields some s.client.<field>(…)
// call uses.
func storeCalls(t *testing.T) []string {
	t.Helper()
	dir := filepath.Join(repo, "pkg/store/dynamodb")
	paths, err := filepath.Glob(filepath.Join(dir, "*.go"))
	if err != nil {
		t.Fatal(err)
	}
	fset := token.NewFileSet()
	bound := map[string]string{} // api field -> SDK method
	var used []string            // api fields called
	for _, p := range paths {
		if strings.HasSuffix(p, "_test.go") {
			continue
		}
		f, err := parser.ParseFile(fset, p, nil, 0)
		if err != nil {
			t.Fatal(err)
		}
		ast.Inspect(f, func(n ast.Node) bool {
			switch n := n.(type) {
			case *ast.FuncDecl:
				if n.Name.Name != "newAPI" {
					return true
				}
				ast.Inspect(n, func(m ast.Node) bool {
					kv, ok := m.(*ast.KeyValueExpr)
					if !ok {
						return true
					}
					key, ok1 := kv.Key.(*ast.Ident)
					val, ok2 := kv.Value.(*ast.SelectorExpr)
					if ok1 && ok2 {
						bound[key.Name] = val.Sel.Name
					}
					return true
				})
				return false
			case *ast.CallExpr:
				sel, ok := n.Fun.(*ast.SelectorExpr)
				if !ok {
					return true
				}
				if inner, ok := sel.X.(*ast.SelectorExpr); ok && inner.Sel.Name == "client" && !slices.Contains(used, sel.Sel.Name) {
					used = append(used, sel.Sel.Name)
				}
			}
			return true
		})
	}
	if len(bound) == 0 {
		t.Fatal("found no newAPI binding the DynamoDB client's methods in pkg/store/dynamodb")
	}
	var calls []string
	for _, field := range used {
		method, ok := bound[field]
		if !ok {
			t.Errorf("the store calls s.client.%s, which newAPI does not bind", field)
			continue
		}
		calls = append(calls, method)
	}
	for field, method := range bound {
		if !slices.Contains(used, field) {
			t.Errorf("newAPI binds %s (%s) but the store never calls it: drop it, it links the operation for nothing", field, method)
		}
	}
	slices.Sort(calls)
	return calls
}

// TestTemplateAWSModels runs scripts/deploycheck/aws/check.sh: cfn-lint, and aws-sam-translator's
// transform of template.yaml with the assertions on its CloudFormation (runtime, timeouts, the
// function URL's permissions, the role's least privilege) and their self-test. It skips when
// cfn-lint or aws-sam-translator is missing, and with -short (7 s); .ci/run runs the script with
// --require, so CI never skips it.
func TestTemplateAWSModels(t *testing.T) {
	if testing.Short() {
		t.Skip("skipped with -short: .ci/run runs scripts/deploycheck/aws/check.sh --require")
	}
	if _, err := exec.LookPath("cfn-lint"); err != nil {
		t.Skip("cfn-lint is not installed (pip install cfn-lint aws-sam-translator)")
	}
	if err := exec.Command("python3", "-c", "import samtranslator").Run(); err != nil {
		t.Skip("aws-sam-translator is not installed (pip install cfn-lint aws-sam-translator)")
	}
	out, err := exec.Command(filepath.Join(repo, "scripts/deploycheck/aws/check.sh"), "--require").CombinedOutput()
	if err != nil {
		t.Errorf("scripts/deploycheck/aws/check.sh: %v\n%s", err, out)
	}
}

// TestTemplateLogGroup: each function's log group is the one Lambda writes to, ages out, exists
// exactly when its function does, and outlives the stack like the table (a failed save's log
// line carries the raw callback; the purge's lines record what the retention deleted).
func TestTemplateLogGroup(t *testing.T) {
	tpl := loadTemplate(t)
	groups := tpl.typed.GetAllLogsLogGroupResources()
	if len(groups) != 2 {
		t.Fatalf("%d log groups, want one for each function", len(groups))
	}
	fns := map[string]string{} // function -> its log group
	for id, g := range groups {
		for _, fn := range []string{functionID, purgeID} {
			if deref(g.LogGroupName) == intrinsic("Fn::Sub", "/aws/lambda/${"+fn+"}") {
				fns[fn] = id
				if cond := tpl.rawResource(t, fn)["Condition"]; g.AWSCloudFormationCondition != deref(asString(cond)) {
					t.Errorf("log group %s under condition %q, its function %s under %v", id, g.AWSCloudFormationCondition, fn, cond)
				}
			}
		}
		if !slices.Contains(slices.Collect(maps.Values(fns)), id) {
			t.Errorf("log group %s: LogGroupName %s, want /aws/lambda/${<a function>} (where Lambda writes)", id, deref(g.LogGroupName))
		}
		if g.RetentionInDays == nil {
			t.Errorf("log group %s keeps its lines forever: set RetentionInDays", id)
		}
		if g.AWSCloudFormationDeletionPolicy != "Retain" || g.AWSCloudFormationUpdateReplacePolicy != "Retain" {
			t.Errorf("log group %s: DeletionPolicy %q, UpdateReplacePolicy %q; want Retain", id,
				g.AWSCloudFormationDeletionPolicy, g.AWSCloudFormationUpdateReplacePolicy)
		}
	}
	if len(fns) != 2 {
		t.Errorf("log groups of %v, want one of %s and one of %s", fns, functionID, purgeID)
	}
	if out, ok := tpl.typed.Outputs["LogGroup"]; !ok || fns[functionID] == "" || out.Value != intrinsic("Ref", fns[functionID]) {
		t.Errorf("output LogGroup %+v, want Ref %s, the callback function's", out, fns[functionID])
	}
}

// asString is v as a *string when it is one.
func asString(v any) *string {
	s, ok := v.(string)
	if !ok {
		return nil
	}
	return &s
}

// TestTemplateAlarms: the two alarms read the metrics the function's lines carry (package emf):
// the namespace and the service dimension the function is given, the metric names the code
// writes, and they exist only when the metrics are on.
func TestTemplateAlarms(t *testing.T) {
	tpl := loadTemplate(t)
	vars := tpl.rawResource(t, functionID)["Properties"].(map[string]any)["Environment"].(map[string]any)["Variables"].(map[string]any)
	want := map[string]string{"StoreFailuresAlarm": emf.MetricStoreFailures, "SignatureRefusalsAlarm": emf.MetricSignatureRefusals}
	alarms := 0
	for id, res := range tpl.raw["Resources"].(map[string]any) {
		res := res.(map[string]any)
		if res["Type"] != "AWS::CloudWatch::Alarm" {
			continue
		}
		alarms++
		props := res["Properties"].(map[string]any)
		if props["MetricName"] != want[id] {
			t.Errorf("alarm %s reads %v, want %q", id, props["MetricName"], want[id])
		}
		if props["Namespace"] != vars[emf.EnvNamespace] {
			t.Errorf("alarm %s: namespace %v, the function's %v", id, props["Namespace"], vars[emf.EnvNamespace])
		}
		dims, _ := props["Dimensions"].([]any)
		if len(dims) != 1 || dims[0].(map[string]any)["Name"] != emf.DimService ||
			!jsonEqual(dims[0].(map[string]any)["Value"], vars[emf.EnvService]) {
			t.Errorf("alarm %s: dimensions %v, want service = the function's %s %v", id, dims, emf.EnvService, vars[emf.EnvService])
		}
		if !jsonEqual(props["AlarmActions"], []any{map[string]any{"Fn::If": []any{"HasAlarmTopic",
			map[string]any{"Ref": "AlarmTopicArn"}, map[string]any{"Ref": "AWS::NoValue"}}}}) {
			t.Errorf("alarm %s: AlarmActions %v, want the topic when AlarmTopicArn names one", id, props["AlarmActions"])
		}
		if res["Condition"] != "HasMetrics" || props["Statistic"] != "Sum" || props["TreatMissingData"] != "notBreaching" {
			t.Errorf("alarm %s: condition %v, statistic %v, missing data %v", id, res["Condition"], props["Statistic"], props["TreatMissingData"])
		}
	}
	if alarms != len(want) {
		t.Errorf("%d alarms, want %d", alarms, len(want))
	}
	if !jsonEqual(vars[emf.EnvDisabled], map[string]any{"Fn::If": []any{"HasMetrics", "false", "true"}}) {
		t.Errorf("%s = %v, want it to follow the Metrics parameter", emf.EnvDisabled, vars[emf.EnvDisabled])
	}
}

// TestMakefile: `sam build` runs the Makefile's build-RoomhookFunction; it must build with
// localinvoke's flags for the template's architecture, into bootstrap, and give the very binary
// scripts/build.sh puts in dist/lambda-arm64.zip.
func TestMakefile(t *testing.T) {
	data, err := os.ReadFile(filepath.Join(repo, "Makefile"))
	if err != nil {
		t.Fatal(err)
	}
	recipe := makeRecipe(t, string(data), "build-"+functionID)
	var cmd string
	for _, line := range recipe {
		if strings.Contains(line, " build ") {
			cmd = line
		}
	}
	words := shellWords(t, cmd)
	build := slices.Index(words, "build")
	out := slices.Index(words, "-o")
	if build < 0 || out < build || out+2 >= len(words)+1 || len(words) != out+3 {
		t.Fatalf("recipe line %q: want ENV… $(GO) build FLAGS… -o $(ARTIFACTS_DIR)/bootstrap ./functions/lambda", cmd)
	}
	env := words[:build-1]
	if !slices.Equal(env, []string{"CGO_ENABLED=0", "GOOS=linux", "GOARCH=arm64"}) {
		t.Errorf("environment %v, want CGO_ENABLED=0 GOOS=linux GOARCH=arm64", env)
	}
	fn := loadTemplate(t).function(t)
	if arch := map[string]string{"arm64": "arm64", "x86_64": "amd64"}[fn.Architectures[0]]; !slices.Contains(env, "GOARCH="+arch) {
		t.Errorf("the Makefile builds %v for Architectures %v", env, fn.Architectures)
	}
	if flags := words[build+1 : out]; !slices.Equal(flags, localinvoke.BuildFlags()) {
		t.Errorf("the Makefile builds with %q, localinvoke with %q", flags, localinvoke.BuildFlags())
	}
	if words[out+1] != "$(ARTIFACTS_DIR)/"+deref(fn.Handler) || words[out+2] != "./functions/lambda" {
		t.Errorf("the Makefile writes %s from %s, want $(ARTIFACTS_DIR)/%s from ./functions/lambda", words[out+1], words[out+2], deref(fn.Handler))
	}

	if testing.Short() {
		t.Skip("the build itself is skipped with -short")
	}
	if _, err := exec.LookPath("make"); err != nil {
		t.Skip("no make")
	}
	artifacts := t.TempDir()
	mk := exec.Command("make", "-C", repo, "build-"+functionID)
	mk.Env = append(os.Environ(), "ARTIFACTS_DIR="+artifacts) // as sam build passes it
	if out, err := mk.CombinedOutput(); err != nil {
		t.Fatalf("make build-%s: %v\n%s", functionID, err, out)
	}
	got, err := os.ReadFile(filepath.Join(artifacts, "bootstrap"))
	if err != nil {
		t.Fatal(err)
	}
	checkELF(t, "bootstrap", got, elf.EM_AARCH64)
	ref := filepath.Join(t.TempDir(), "bootstrap")
	if err := localinvoke.BuildFunctionFor(context.Background(), "./functions/lambda", ref, "linux", "arm64"); err != nil {
		t.Fatal(err)
	}
	want, err := os.ReadFile(ref)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got, want) {
		t.Error("the Makefile's bootstrap differs from scripts/build.sh's")
	}
	if out, err := exec.Command("make", "-C", repo, "build-"+functionID).CombinedOutput(); err == nil || !strings.Contains(string(out), "ARTIFACTS_DIR is not set") {
		t.Errorf("make without ARTIFACTS_DIR: %v, %s; want a refusal", err, out)
	}
}

// makeRecipe returns the recipe lines of target, tabs and variables as written.
func makeRecipe(t *testing.T, makefile, target string) []string {
	t.Helper()
	var lines []string
	in := false
	for _, line := range strings.Split(makefile, "\n") {
		switch {
		case strings.HasPrefix(line, target+":"):
			in = true
		case in && strings.HasPrefix(line, "\t"):
			lines = append(lines, strings.TrimPrefix(line, "\t"))
		case in:
			in = false
		}
	}
	if len(lines) == 0 {
		t.Fatalf("the Makefile has no recipe for %s", target)
	}
	return lines
}

// shellWords splits a command line as the shell would, for the quoting the Makefile uses
// (double quotes, no escapes).
func shellWords(t *testing.T, line string) []string {
	t.Helper()
	var words []string
	var cur strings.Builder
	inWord, quoted := false, false
	for _, r := range line {
		switch {
		case r == '"':
			quoted, inWord = !quoted, true
		case (r == ' ' || r == '\t') && !quoted:
			if inWord {
				words = append(words, cur.String())
				cur.Reset()
				inWord = false
			}
		default:
			cur.WriteRune(r)
			inWord = true
		}
	}
	if quoted {
		t.Fatalf("unbalanced quotes in %q", line)
	}
	if inWord {
		words = append(words, cur.String())
	}
	return words
}

// checkVariables: every variable a deployment file sets is one roomhook reads (with the
// platform's own, such as the Lambda function's metrics), and every one roomhook reads is set (the required ROOMHOOK_SDKAPPID above all), so none is forgotten when a
// setting is added.
func checkVariables(t *testing.T, file string, vars map[string]string, platform ...string) {
	t.Helper()
	known := append(config.Variables(), platform...)
	for name := range vars {
		if !slices.Contains(known, name) {
			t.Errorf("%s sets %s, which roomhook does not read", file, name)
		}
	}
	for _, name := range known {
		if _, ok := vars[name]; !ok {
			t.Errorf("%s does not set %s", file, name)
		}
	}
	if vars[config.EnvSdkAppID] == "" {
		t.Errorf("%s leaves the required %s empty", file, config.EnvSdkAppID)
	}
}

// checkStoreTimeout: the store's write budget is a literal duration, below the function's
// timeout and Tencent's 2 s.
func checkStoreTimeout(t *testing.T, file string, vars map[string]string, fnTimeout time.Duration) {
	t.Helper()
	d, err := time.ParseDuration(vars[config.EnvStoreTimeout])
	if err != nil {
		t.Errorf("%s: %s = %q: %v", file, config.EnvStoreTimeout, vars[config.EnvStoreTimeout], err)
		return
	}
	if d >= fnTimeout || d >= 2*time.Second {
		t.Errorf("%s: %s = %s, want below the function timeout (%s) and Tencent's 2s", file, config.EnvStoreTimeout, d, fnTimeout)
	}
}

func deref[T any](p *T) T {
	var zero T
	if p == nil {
		return zero
	}
	return *p
}

// jsonEqual compares two values by their JSON form.
func jsonEqual(a, b any) bool {
	x, err1 := json.Marshal(a)
	y, err2 := json.Marshal(b)
	return err1 == nil && err2 == nil && bytes.Equal(x, y)
}
