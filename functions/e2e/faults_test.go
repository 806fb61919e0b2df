package e2e

import (
	"bytes"
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	driver "github.com/go-sql-driver/mysql"

	"github.com/roomhook/roomhook/pkg/callback"
	"github.com/roomhook/roomhook/pkg/store"
	"github.com/roomhook/roomhook/pkg/store/storetest/faultproxy"
	"github.com/roomhook/roomhook/scripts/localinvoke"
)

// The fault tests run the built functions under their real runtimes (the Lambda Runtime
// Interface Emulator, scf-go-lib's net/rpc) with the store behind a fault-injecting proxy in
// front of the real server, or, for SQLite, with the database file locked, made read-only or
// taken away. Each fault must be answered 503 with the FAIL packet (ErrorCode 50301) well
// inside Tencent's 2 s, log the raw event exactly once for replay, leave no partial rows, and
// heal without a restart: the same warm instance then stores the same event and new ones.

const (
	// faultStoreTimeout is ROOMHOOK_STORE_TIMEOUT for the fault tests: short, to keep them quick.
	faultStoreTimeout = 500 * time.Millisecond
	// slowDelay is how late the slow store answers each message: well past the budget.
	slowDelay = 2 * faultStoreTimeout
	// tencentWait is Tencent's wait for an answer; every answer must beat it. Only this loose
	// sanity bound is asserted: the machine is shared. The figures are logged.
	tencentWait = 2 * time.Second
	faultClient = "203.0.113.7"
)

// Secrets the functions are given; none may show in a log line or an answer.
var (
	faultToken = "fault-token-" + randomHex(8)
	awsSecret  = "aws-secret-" + randomHex(8)
)

func randomHex(n int) string {
	b := make([]byte, n)
	rand.Read(b)
	return hex.EncodeToString(b)
}

// faultBody is a create-room callback for room at eventTime, written the way no encoder would:
// spaces, a newline after the object, escapes (\u00e9, \t, \") and non-ASCII text, so that a
// raw_body equal to it byte for byte is the raw event and not a re-encoding.
func faultBody(room string, eventTime int64) string {
	return `{ "CallbackCommand": "Room.CallbackAfterCreateRoom", "Operator_Account": "admin",` + "\n" +
		`  "RoomInfo": {"RoomId": "` + room + `", "RoomName": "周会 🚀 <b>&amp;</b> \"faults\"", "RoomType": "Meeting",` +
		` "Owner_Account": 123, "MaxMemberCount": 300, "IsCloudRecordingDisabled": "false",` +
		` "CustomInfo": "caf\u00e9\ttab", "CreateTime": 1703589922},` + "\n" +
		`  "ScheduleInviteeList_Account": ["user2", "user3", "user3"], "EventTime": ` + strconv.FormatInt(eventTime, 10) + "}\n"
}

// faultRoomName is RoomName of faultBody, parsed.
const faultRoomName = `周会 🚀 <b>&amp;</b> "faults"`

// The builds are shared by the fault tests and removed by TestMain.
var built struct {
	once                      sync.Once
	dir, rie, bootstrap, main string
	err                       error
}

func TestMain(m *testing.M) {
	code := m.Run()
	if built.dir != "" {
		os.RemoveAll(built.dir)
	}
	os.Exit(code)
}

// buildFunctions builds the emulator and both functions once for all fault tests.
func buildFunctions(t *testing.T) (rie, bootstrap, scfMain string) {
	t.Helper()
	built.once.Do(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Minute)
		defer cancel()
		if built.dir, built.err = os.MkdirTemp("", "roomhook-e2e-"); built.err != nil {
			return
		}
		if built.rie, built.err = localinvoke.BuildRIE(ctx, built.dir); built.err != nil {
			return
		}
		built.bootstrap, built.main = filepath.Join(built.dir, "bootstrap"), filepath.Join(built.dir, "main")
		if built.err = localinvoke.BuildFunction(ctx, "./functions/lambda", built.bootstrap); built.err != nil {
			return
		}
		built.err = localinvoke.BuildFunction(ctx, "./functions/scf", built.main)
	})
	if built.err != nil {
		t.Fatal(built.err)
	}
	return built.rie, built.bootstrap, built.main
}

// functionEnv is the whole environment of a function under test.
func functionEnv(app int64, storeURL string, extra ...string) []string {
	return append([]string{"PATH=" + os.Getenv("PATH"), "HOME=" + os.Getenv("HOME"),
		"ROOMHOOK_SDKAPPID=" + strconv.FormatInt(app, 10), "ROOMHOOK_CALLBACK_TOKEN=" + faultToken,
		"ROOMHOOK_STORE=" + storeURL, "ROOMHOOK_STORE_TIMEOUT=" + faultStoreTimeout.String(),
		"AWS_ACCESS_KEY_ID=e2e-faults", "AWS_SECRET_ACCESS_KEY=" + awsSecret, "AWS_REGION=us-east-1"}, extra...)
}

// function is one running function instance under its platform's runtime.
type function struct {
	platform string
	app      int64
	rt       localinvoke.Runtime
	out      *lockedWriter

	mu      sync.Mutex
	answers [][]byte // every response payload
	signs   []string // every Sign sent
}

// startFunction starts platform's function with env. Under SCF the cold start happens now;
// under Lambda the emulator starts the function on the first invocation.
func startFunction(t *testing.T, platform string, app int64, env []string, bins ...string) *function {
	t.Helper()
	rie, bootstrap, scfMain := buildFunctions(t)
	if len(bins) == 2 {
		bootstrap, scfMain = bins[0], bins[1]
	}
	f := &function{platform: platform, app: app, out: &lockedWriter{w: &strings.Builder{}}}
	var err error
	opts := localinvoke.Options{Env: env, Stderr: f.out}
	if platform == "lambda" {
		f.rt, err = localinvoke.StartLambda(t.Context(), rie, bootstrap, opts)
	} else {
		f.rt, err = localinvoke.StartSCF(t.Context(), scfMain, opts)
	}
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { f.close() })
	return f
}

// close stops the instance; afterwards its whole output is in f.out.
func (f *function) close() {
	if err := f.rt.Close(); err != nil {
		fmt.Fprintf(os.Stderr, "close %s runtime: %v\n", f.platform, err)
	}
}

// answer is what the platform returned for one delivery.
type answer struct {
	status      int
	contentType string
	body        string
	took        time.Duration // from sending the event to the platform's answer
}

// deliver sends body as Tencent would, signed, wrapped in the platform's HTTP event (an HTTP
// API 2.0 event on Lambda, a function URL event on SCF).
func (f *function) deliver(t *testing.T, body string) answer {
	t.Helper()
	rt := strconv.FormatInt(time.Now().Unix(), 10)
	sign := callback.Sign(faultToken, rt)
	q := url.Values{"SdkAppid": {strconv.FormatInt(f.app, 10)}, "CallbackCommand": {callback.CommandCreateRoom},
		"contenttype": {"json"}, "ClientIP": {faultClient}, "OptPlatform": {"Web"}, "RequestTime": {rt}, "Sign": {sign}}
	var event []byte
	if f.platform == "lambda" {
		event, _ = json.Marshal(map[string]any{
			"version": "2.0", "routeKey": "$default", "rawPath": "/", "rawQueryString": q.Encode(),
			"headers":        map[string]string{"content-type": "application/json"},
			"requestContext": map[string]any{"http": map[string]any{"method": "POST", "path": "/"}, "requestId": "e2e-faults", "stage": "$default"},
			"body":           body, "isBase64Encoded": false,
		})
	} else {
		qs := map[string]string{}
		for k, v := range q {
			qs[k] = v[0]
		}
		event, _ = json.Marshal(map[string]any{"httpMethod": "POST", "path": "/",
			"headers": map[string]string{"content-type": "application/json"}, "queryString": qs, "body": body})
	}
	start := time.Now()
	out, err := f.rt.Invoke(t.Context(), event)
	took := time.Since(start)
	f.mu.Lock()
	f.signs = append(f.signs, sign)
	f.answers = append(f.answers, out)
	f.mu.Unlock()
	if err != nil {
		t.Fatalf("%s invoke: %v\n%s", f.platform, err, f.out.String())
	}
	var r struct {
		StatusCode int               `json:"statusCode"`
		Headers    map[string]string `json:"headers"`
		Body       string            `json:"body"`
		Base64     bool              `json:"isBase64Encoded"`
	}
	if err := json.Unmarshal(out, &r); err != nil || r.Base64 {
		t.Fatalf("%s answered %s (%v)", f.platform, out, err)
	}
	return answer{status: r.StatusCode, contentType: r.Headers["Content-Type"], body: r.Body, took: took}
}

const okPacket = `{"ActionStatus":"OK","ErrorInfo":"","ErrorCode":0}`

func wantOK(t *testing.T, a answer, what string) {
	t.Helper()
	if a.status != 200 || a.body != okPacket || a.contentType != "application/json" {
		t.Fatalf("%s: answered %d %q %q, want 200 with the OK packet", what, a.status, a.contentType, a.body)
	}
}

// wantFail checks a FAIL answer with status and code, within Tencent's wait.
func wantFail(t *testing.T, a answer, status, code int, what string) {
	t.Helper()
	var p struct {
		ActionStatus string
		ErrorInfo    string
		ErrorCode    int
	}
	if a.status != status || a.contentType != "application/json" || json.Unmarshal([]byte(a.body), &p) != nil ||
		p.ActionStatus != "FAIL" || p.ErrorCode != code || p.ErrorInfo == "" {
		t.Fatalf("%s: answered %d %q %q, want %d with a FAIL packet, ErrorCode %d", what, a.status, a.contentType, a.body, status, code)
	}
	if a.took >= tencentWait {
		t.Errorf("%s: the answer took %v, not inside Tencent's %v", what, a.took, tencentWait)
	}
}

// logLines returns the JSON log lines the function wrote so far.
func (f *function) logLines() []map[string]any {
	var lines []map[string]any
	for _, l := range strings.Split(f.out.String(), "\n") {
		if !strings.HasPrefix(l, "{") {
			continue
		}
		var m map[string]any
		if json.Unmarshal([]byte(l), &m) == nil {
			lines = append(lines, m)
		}
	}
	return lines
}

// linesFor returns the callback log lines of room with outcome.
func (f *function) linesFor(room, outcome string) []map[string]any {
	var out []map[string]any
	for _, l := range f.logLines() {
		if l["msg"] == "callback" && l["room_id"] == room && l["outcome"] == outcome {
			out = append(out, l)
		}
	}
	return out
}

// waitLine waits for the log line of room with outcome: output travels through a pipe and may
// arrive a moment after the answer.
func (f *function) waitLine(t *testing.T, room, outcome string) map[string]any {
	t.Helper()
	deadline := time.Now().Add(3 * time.Second)
	for {
		if ls := f.linesFor(room, outcome); len(ls) > 0 {
			return ls[0]
		}
		if time.Now().After(deadline) {
			t.Fatalf("no %q log line for room %q; output:\n%s", outcome, room, f.out.String())
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// checkRejections runs once the instance is closed (all its output written): every failed
// delivery left exactly one error line, rejected:store, carrying the raw event byte for byte
// and what a replay needs; no other line is at error level.
func (f *function) checkRejections(t *testing.T, failed map[string]string) {
	t.Helper()
	total := 0
	for _, l := range f.logLines() {
		if l["level"] == "ERROR" {
			total++
			if l["outcome"] != "rejected:store" {
				t.Errorf("an error line that is not a store rejection: %v", l)
			}
		}
	}
	if total != len(failed) {
		t.Errorf("%d error lines, want %d (one per failed delivery)", total, len(failed))
	}
	for room, body := range failed {
		ls := f.linesFor(room, "rejected:store")
		if len(ls) != 1 {
			t.Errorf("room %q: %d rejected:store lines, want exactly 1", room, len(ls))
			continue
		}
		l := ls[0]
		if l["level"] != "ERROR" || l["raw_body"] != body {
			t.Errorf("room %q: line at %v with raw_body %q, want ERROR and the body sent, byte for byte %q", room, l["level"], l["raw_body"], body)
		}
		for k, want := range map[string]any{"command": callback.CommandCreateRoom, "sdkappid": float64(f.app),
			"client_ip": faultClient, "opt_platform": "Web"} {
			if l[k] != want {
				t.Errorf("room %q: %s = %v, want %v", room, k, l[k], want)
			}
		}
		for _, k := range []string{"request_id", "error"} {
			if s, _ := l[k].(string); s == "" {
				t.Errorf("room %q: no %s in %v", room, k, l)
			}
		}
		if ms, _ := l["received_at_ms"].(float64); time.Since(time.UnixMilli(int64(ms))) > 10*time.Minute {
			t.Errorf("room %q: received_at_ms %v is not the arrival time", room, l["received_at_ms"])
		}
	}
}

// checkNoSecrets looks for every secret in everything the function printed and answered.
func (f *function) checkNoSecrets(t *testing.T, secrets ...string) {
	t.Helper()
	f.mu.Lock()
	all := append(append([]string{}, secrets...), f.signs...)
	answers := bytes.Join(f.answers, []byte("\n"))
	f.mu.Unlock()
	out := f.out.String()
	for _, s := range all {
		if s == "" {
			continue
		}
		if strings.Contains(out, s) {
			t.Errorf("the function's output holds a secret (%.6s…)", s)
		}
		if bytes.Contains(answers, []byte(s)) {
			t.Errorf("an answer holds a secret (%.6s…)", s)
		}
	}
}

// handlerMillis is the handler's own duration_ms in a log line.
func handlerMillis(l map[string]any) float64 {
	v, _ := l["duration_ms"].(float64)
	return v
}

// reader reads a backend directly, not through the proxy.
type reader struct {
	s callback.Store
	r callback.Reader
}

func openReader(t *testing.T, storeURL string) *reader {
	t.Helper()
	s, err := store.Open(t.Context(), storeURL, store.Options{Timeout: 10 * time.Second})
	if err != nil {
		t.Fatalf("open %s for reading: %v", scheme(storeURL), err)
	}
	t.Cleanup(func() { s.Close() })
	return &reader{s: s, r: s.(callback.Reader)}
}

// keptRoom is what the store holds for one room of the app.
type keptRoom struct {
	archive []callback.Event
	room    *callback.RoomRow
}

func (r *reader) room(t *testing.T, app int64, room string) keptRoom {
	t.Helper()
	evs, err := r.r.Events(t.Context(), app)
	if err != nil {
		t.Fatal(err)
	}
	var k keptRoom
	for _, ev := range evs {
		if ev.RoomID == room {
			k.archive = append(k.archive, ev)
		}
	}
	rec, err := callback.ReadRoom(t.Context(), r.r, app, room)
	switch {
	case err == nil:
		k.room = rec
	case !errors.Is(err, callback.ErrNotFound):
		t.Fatal(err)
	}
	return k
}

func wantNothing(t *testing.T, k keptRoom, what string) {
	t.Helper()
	if len(k.archive) != 0 || k.room != nil {
		t.Fatalf("%s: the store kept %d archive rows and room %v, want nothing", what, len(k.archive), k.room != nil)
	}
}

// wantStored checks that the room's event is archived exactly once, verbatim, and projected.
func wantStored(t *testing.T, k keptRoom, body string, eventTime int64, what string) {
	t.Helper()
	if len(k.archive) != 1 {
		t.Fatalf("%s: %d archive rows, want exactly 1", what, len(k.archive))
	}
	ev := k.archive[0]
	if string(ev.Raw) != body || ev.EventTime != eventTime || ev.ClientIP != faultClient || ev.OptPlatform != "Web" {
		t.Fatalf("%s: archived %q (EventTime %d, %s, %s), want the body sent", what, ev.Raw, ev.EventTime, ev.ClientIP, ev.OptPlatform)
	}
	if k.room == nil {
		t.Fatalf("%s: the room is missing", what)
	}
	if r := k.room; r.EventTime != eventTime || r.Info.RoomName == nil || *r.Info.RoomName != faultRoomName {
		t.Fatalf("%s: room at EventTime %d named %v, want %d %q", what, r.EventTime, r.Info.RoomName, eventTime, faultRoomName)
	}
}

// wantNoOrphans checks the whole app: every create-room event in the archive has its room.
func (r *reader) wantNoOrphans(t *testing.T, app int64) {
	t.Helper()
	evs, err := r.r.Events(t.Context(), app)
	if err != nil {
		t.Fatal(err)
	}
	for _, ev := range evs {
		if ev.Command != callback.CommandCreateRoom {
			continue
		}
		if _, err := callback.ReadRoom(t.Context(), r.r, app, ev.RoomID); err != nil {
			t.Errorf("archived event of room %q without its room: %v", ev.RoomID, err)
		}
	}
}

// matrix collects the measured answer times for the log.
type matrix struct {
	mu   sync.Mutex
	rows []string
}

func (m *matrix) add(backend, fault, platform string, a answer, line map[string]any) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.rows = append(m.rows, fmt.Sprintf("%-9s %-30s %-7s %3d  %9.1f  %10.1f",
		backend, fault, platform, a.status, float64(a.took.Microseconds())/1000, handlerMillis(line)))
}

func (m *matrix) String() string {
	m.mu.Lock()
	defer m.mu.Unlock()
	return fmt.Sprintf("answers under faults (ROOMHOOK_STORE_TIMEOUT=%v):\n%-9s %-30s %-7s %s\n%s", faultStoreTimeout,
		"backend", "fault", "runtime", "HTTP  answer ms  handler ms", strings.Join(m.rows, "\n"))
}

// serverBackend is a store server the function reaches through the proxy.
type serverBackend struct {
	name   string
	direct string // the server's URL, for the test's own reads
	target string // host:port the proxy forwards to
	// functionURL is the store URL the function gets: through the proxy, with password.
	functionURL func(proxyAddr string) string
	password    string
	// cut lands inside a Save: after the archive write, before what makes it durable (the
	// COMMIT on SQL servers, the room write on DynamoDB).
	cut faultproxy.Fault
	// transactional: a failed Save leaves nothing. DynamoDB makes conditional writes one by
	// one, so a failure between them leaves the archive item without the room, until a
	// re-delivery.
	transactional bool
	// lease is how long a room lock a failed save's late request took may block the room:
	// DynamoDB's lock lease (3 s with the faults' 500 ms budget, see pkg/store/dynamodb), which
	// a lock write the proxy held past the save's deadline starts when it lands. The SQL
	// servers' locks end with their transaction.
	lease time.Duration
}

// serverBackends returns the servers whose variable is set.
func serverBackends(t *testing.T) []serverBackend {
	var out []serverBackend
	if raw := os.Getenv("ROOMHOOK_TEST_POSTGRES"); raw == "" {
		t.Log("ROOMHOOK_TEST_POSTGRES not set: the PostgreSQL fault tests are skipped")
	} else {
		u, err := url.Parse(raw)
		if err != nil {
			t.Fatalf("ROOMHOOK_TEST_POSTGRES: %v", err)
		}
		// Trust authentication ignores a password, so one can be set to see that it never shows.
		pw := "pg-s3cret-" + randomHex(6)
		out = append(out, serverBackend{
			name: "postgres", direct: raw, target: u.Host, password: pw, transactional: true,
			functionURL: func(proxy string) string {
				v := *u
				v.User = url.UserPassword(u.User.Username(), pw)
				v.Host = proxy
				return v.String()
			},
			// A save sends "commit" last in its batch of writes (a Parse message holding "commit\x00").
			cut: faultproxy.CutBefore([]byte("commit\x00")),
		})
	}
	if raw := os.Getenv("ROOMHOOK_TEST_MYSQL"); raw == "" {
		t.Log("ROOMHOOK_TEST_MYSQL not set: the MySQL fault tests are skipped")
	} else {
		u, err := url.Parse(raw)
		if err != nil {
			t.Fatalf("ROOMHOOK_TEST_MYSQL: %v", err)
		}
		user, pw := mysqlUserWithPassword(t, u)
		out = append(out, serverBackend{
			name: "mysql", direct: raw, target: u.Host, password: pw, transactional: true,
			functionURL: func(proxy string) string {
				v := *u
				if pw != "" {
					v.User = url.UserPassword(user, pw)
				}
				v.Host = proxy
				return v.String()
			},
			// go-sql-driver ends a transaction with COM_QUERY (0x03) "COMMIT".
			cut: faultproxy.CutBefore([]byte("\x03COMMIT")),
		})
	}
	if raw := os.Getenv("ROOMHOOK_TEST_DYNAMODB"); raw == "" {
		t.Log("ROOMHOOK_TEST_DYNAMODB not set: the DynamoDB fault tests are skipped")
	} else {
		u, err := url.Parse(raw)
		if err != nil {
			t.Fatalf("ROOMHOOK_TEST_DYNAMODB: %v", err)
		}
		ep, err := url.Parse(u.Query().Get("endpoint"))
		if err != nil || ep.Host == "" {
			t.Fatalf("ROOMHOOK_TEST_DYNAMODB needs endpoint=http://HOST:PORT for the proxy to stand in front of")
		}
		out = append(out, serverBackend{
			name: "dynamodb", direct: raw, target: ep.Host,
			functionURL: func(proxy string) string {
				v := *u
				q := v.Query()
				q.Set("endpoint", "http://"+proxy)
				v.RawQuery = q.Encode()
				return v.String()
			},
			// Only the room item carries the attribute room_type (the archive item holds the
			// body as bytes, the lock item its owner and lease). The whole HTTP request is held
			// back and the connection reset, never half a request sent: a request cut in the
			// middle crashes dynalite (its request error handler throws).
			cut:   faultproxy.CutHTTPRequest([]byte(`"room_type"`)),
			lease: 3*time.Second + faultStoreTimeout,
		})
	}
	return out
}

// mysqlUserWithPassword creates a user with a password for the run (the test server's root
// has none) and drops it afterwards. Without the privilege to do so it returns the URL's own
// user and no password, and the password check is skipped.
func mysqlUserWithPassword(t *testing.T, u *url.URL) (user, password string) {
	cfg := driver.NewConfig()
	cfg.User = u.User.Username()
	cfg.Passwd, _ = u.User.Password()
	cfg.Net, cfg.Addr, cfg.DBName = "tcp", u.Host, strings.TrimPrefix(u.Path, "/")
	db, err := sql.Open("mysql", cfg.FormatDSN())
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	user, password = "rh_faults_"+randomHex(4), "my-s3cret-"+randomHex(6)
	for _, stmt := range []string{
		fmt.Sprintf("CREATE USER '%s'@'127.0.0.1' IDENTIFIED BY '%s'", user, password),
		fmt.Sprintf("GRANT ALL PRIVILEGES ON `%s`.* TO '%s'@'127.0.0.1'", cfg.DBName, user),
	} {
		if _, err := db.ExecContext(t.Context(), stmt); err != nil {
			t.Logf("MySQL: cannot create a user with a password (%v); the function uses the URL's user and the password check is skipped", err)
			return u.User.Username(), ""
		}
	}
	t.Cleanup(func() {
		db, err := sql.Open("mysql", cfg.FormatDSN())
		if err == nil {
			db.Exec(fmt.Sprintf("DROP USER IF EXISTS '%s'@'127.0.0.1'", user))
			db.Close()
		}
	})
	return user, password
}

// serverFault is one fault of the store's server.
type serverFault struct {
	name  string
	fault func(b serverBackend) faultproxy.Fault
	// settle is how long after the failed delivery bytes the proxy held may still reach the
	// server; the test looks at the server only then.
	settle time.Duration
}

var serverFaults = []serverFault{
	{"gone (refused, reset)", func(serverBackend) faultproxy.Fault { return faultproxy.Refuse() }, 0},
	{"hanging (blackhole)", func(serverBackend) faultproxy.Fault { return faultproxy.Blackhole() }, 0},
	{"slow (delay > timeout)", func(serverBackend) faultproxy.Fault { return faultproxy.Delay(slowDelay) }, slowDelay + faultStoreTimeout},
	{"cut mid-transaction", func(b serverBackend) faultproxy.Fault { return b.cut }, 0},
}

var platforms = []string{"lambda", "scf"}

// TestStoreServerFaults puts each fault between the warm function and its real store server,
// on both runtimes and every reachable server.
func TestStoreServerFaults(t *testing.T) {
	if testing.Short() {
		t.Skip("builds both functions and the Runtime Interface Emulator; skipped with -short")
	}
	backends := serverBackends(t)
	if len(backends) == 0 {
		t.Skip("no store server configured (ROOMHOOK_TEST_POSTGRES, ROOMHOOK_TEST_MYSQL, ROOMHOOK_TEST_DYNAMODB)")
	}
	// The test reads the DynamoDB-compatible server too, with dummy credentials.
	if os.Getenv("AWS_ACCESS_KEY_ID") == "" {
		t.Setenv("AWS_ACCESS_KEY_ID", "e2e")
		t.Setenv("AWS_SECRET_ACCESS_KEY", "e2e")
	}
	m := &matrix{}
	t.Cleanup(func() { t.Log(m) })
	for _, b := range backends {
		for _, platform := range platforms {
			t.Run(b.name+"/"+platform, func(t *testing.T) { runServerFaults(t, b, platform, m) })
		}
	}
}

func runServerFaults(t *testing.T, b serverBackend, platform string, m *matrix) {
	proxy, err := faultproxy.New(b.target)
	if err != nil {
		t.Fatal(err)
	}
	defer proxy.Close()
	app := freshApp(t)
	rd := openReader(t, b.direct)
	// The proxy passes while the instance starts: the cold start opens the store through it.
	f := startFunction(t, platform, app, functionEnv(app, b.functionURL(proxy.Addr())))
	eventTime := time.Now().UnixMilli()
	next := func() int64 { eventTime += 1000; return eventTime }

	base := next()
	wantOK(t, f.deliver(t, faultBody("baseline", base)), "first delivery (cold start)")
	wantStored(t, rd.room(t, app, "baseline"), faultBody("baseline", base), base, "baseline")

	failed := map[string]string{}
	for i, sf := range serverFaults {
		ok := t.Run(sf.name, func(t *testing.T) {
			defer proxy.Set(faultproxy.Pass())
			room, fresh := fmt.Sprintf("fault-%d", i), fmt.Sprintf("fresh-%d", i)
			et := next()
			body := faultBody(room, et)
			cutsBefore := len(proxy.Cuts())

			if err := proxy.Set(sf.fault(b)); err != nil {
				t.Fatal(err)
			}
			a := f.deliver(t, body)
			failedAt := time.Now()
			wantFail(t, a, 503, 50301, "under the fault")
			failed[room] = body
			line := f.waitLine(t, room, "rejected:store")
			m.add(b.name, sf.name, platform, a, line)
			t.Logf("answered 503 in %v (handler %.1f ms): %v", a.took.Round(time.Millisecond), handlerMillis(line), line["error"])

			if err := proxy.Set(faultproxy.Pass()); err != nil {
				t.Fatal(err)
			}
			settle := sf.settle
			if settle > 0 {
				// A late lock write blocks the room for its lease; the next delivery waits it
				// out, as Tencent's retry would come later.
				settle += b.lease
			}
			time.Sleep(time.Until(failedAt.Add(settle)))
			k := rd.room(t, app, room)
			switch {
			case b.transactional:
				wantNothing(t, k, "after the failed delivery")
			case k.room != nil || len(k.archive) > 1:
				t.Fatalf("after the failed delivery: %d archive items and room %v, want at most the archive item", len(k.archive), k.room != nil)
			}
			if sf.name == "cut mid-transaction" {
				cuts := proxy.Cuts()[cutsBefore:]
				if len(cuts) == 0 {
					t.Fatal("the proxy cut no connection")
				}
				if b.transactional && !bytes.Contains(cuts[0].Forwarded, []byte(body)) {
					t.Fatalf("the cut connection did not carry the archive insert before the cut: %q", cuts[0].Forwarded)
				}
				if !b.transactional && len(k.archive) != 1 {
					t.Fatalf("the cut did not land between the two writes: %d archive items", len(k.archive))
				}
				t.Logf("%d connection(s) cut (%v)", len(cuts), cuts[0].Fault)
			}
			t.Logf("what the server kept of the failed delivery: %d archive rows, room %v", len(k.archive), k.room != nil)

			// The same warm instance, healed: the same event again, then a new one.
			wantOK(t, f.deliver(t, body), "the same event after healing")
			wantStored(t, rd.room(t, app, room), body, et, "the same event after healing")
			if b.transactional {
				f.waitLine(t, room, "stored")
			}
			fet := next()
			wantOK(t, f.deliver(t, faultBody(fresh, fet)), "a new event after healing")
			wantStored(t, rd.room(t, app, fresh), faultBody(fresh, fet), fet, "a new event after healing")
		})
		if !ok {
			break
		}
	}
	if !t.Failed() {
		// The server restarts (or fails over): every open connection drops, including the
		// one the last Save used a moment ago, and the server is back at once. Nothing is
		// lost and nothing fails: the next event is stored on a new connection.
		t.Run("restarted", func(t *testing.T) {
			room, et := "restarted", next()
			body := faultBody(room, et)
			if err := proxy.Set(faultproxy.Refuse()); err != nil {
				t.Fatal(err)
			}
			if err := proxy.Set(faultproxy.Pass()); err != nil {
				t.Fatal(err)
			}
			a := f.deliver(t, body)
			wantOK(t, a, "right after the server dropped every connection")
			m.add(b.name, "restarted (all conns dropped)", platform, a, f.waitLine(t, room, "stored"))
			wantStored(t, rd.room(t, app, room), body, et, "right after the server dropped every connection")
		})
	}
	f.close()
	rd.wantNoOrphans(t, app)
	f.checkRejections(t, failed)
	f.checkNoSecrets(t, faultToken, awsSecret, b.password)
	if t.Failed() {
		t.Logf("function output:\n%s", f.out.String())
	}
}

// sqliteFault is one fault of a SQLite store's file; inject returns the heal, or skips.
type sqliteFault struct {
	name   string
	inject func(t *testing.T, dir, path string) (heal func())
}

var sqliteFaults = []sqliteFault{
	{"locked by another writer", func(t *testing.T, dir, path string) func() {
		// Another process's write transaction, held past the budget. The driver is the one
		// the store registers ("sqlite", modernc.org/sqlite).
		db, err := sql.Open("sqlite", "file:"+path+"?_busy_timeout=100")
		if err != nil {
			t.Fatal(err)
		}
		conn, err := db.Conn(t.Context())
		if err != nil {
			t.Fatal(err)
		}
		if _, err := conn.ExecContext(t.Context(), "BEGIN IMMEDIATE"); err != nil {
			t.Fatal(err)
		}
		return func() {
			conn.ExecContext(context.Background(), "ROLLBACK")
			conn.Close()
			db.Close()
		}
	}},
	{"file read-only", func(t *testing.T, dir, path string) func() {
		// A running instance keeps the descriptors it opened, so a chmod changes nothing for
		// it; what a file system gone read-only or full does is fail the writes. The immutable
		// flag does that to open files (it needs root and ext4, xfs, btrfs or the like).
		files := []string{path, path + "-wal"}
		if out, err := exec.Command("chattr", append([]string{"+i"}, files...)...).CombinedOutput(); err != nil {
			exec.Command("chattr", append([]string{"-i"}, files...)...).Run()
			t.Skipf("cannot make the database immutable (chattr +i needs root and a file system with the flag): %v %s", err, out)
		}
		return func() {
			if out, err := exec.Command("chattr", append([]string{"-i"}, files...)...).CombinedOutput(); err != nil {
				t.Fatalf("chattr -i: %v %s", err, out)
			}
		}
	}},
	{"directory gone", func(t *testing.T, dir, path string) func() {
		if err := os.Rename(dir, dir+".away"); err != nil {
			t.Fatal(err)
		}
		return func() {
			if err := os.Rename(dir+".away", dir); err != nil {
				t.Fatal(err)
			}
		}
	}},
}

// TestSQLiteFaults makes the SQLite file of a warm function unusable in each way a file can
// be, on both runtimes.
func TestSQLiteFaults(t *testing.T) {
	if testing.Short() {
		t.Skip("builds both functions and the Runtime Interface Emulator; skipped with -short")
	}
	m := &matrix{}
	t.Cleanup(func() { t.Log(m) })
	for _, platform := range platforms {
		t.Run(platform, func(t *testing.T) {
			dir := filepath.Join(t.TempDir(), "store")
			if err := os.Mkdir(dir, 0o755); err != nil {
				t.Fatal(err)
			}
			path := filepath.Join(dir, "roomhook.db")
			storeURL := "sqlite://" + path
			app := freshApp(t)
			env := functionEnv(app, storeURL)
			// The test's reader creates the file first: the function's cold start then opens
			// an existing store, as in production, and creating a schema with several fsyncs
			// is not raced against a 500 ms budget on a busy disk.
			rd := openReader(t, storeURL)
			f := startFunction(t, platform, app, env)
			eventTime := time.Now().UnixMilli()
			next := func() int64 { eventTime += 1000; return eventTime }

			base := next()
			wantOK(t, f.deliver(t, faultBody("baseline", base)), "first delivery (cold start)")
			wantStored(t, rd.room(t, app, "baseline"), faultBody("baseline", base), base, "baseline")

			failed := map[string]string{}
			for i, sf := range sqliteFaults {
				t.Run(sf.name, func(t *testing.T) {
					room, fresh := fmt.Sprintf("fault-%d", i), fmt.Sprintf("fresh-%d", i)
					et := next()
					body := faultBody(room, et)
					heal := sf.inject(t, dir, path)
					a := f.deliver(t, body)
					heal()
					wantFail(t, a, 503, 50301, "under the fault")
					failed[room] = body
					line := f.waitLine(t, room, "rejected:store")
					m.add("sqlite", sf.name, platform, a, line)
					t.Logf("answered 503 in %v (handler %.1f ms): %v", a.took.Round(time.Millisecond), handlerMillis(line), line["error"])
					wantNothing(t, rd.room(t, app, room), "after the failed delivery")

					wantOK(t, f.deliver(t, body), "the same event after healing")
					wantStored(t, rd.room(t, app, room), body, et, "the same event after healing")
					fet := next()
					wantOK(t, f.deliver(t, faultBody(fresh, fet)), "a new event after healing")
					wantStored(t, rd.room(t, app, fresh), faultBody(fresh, fet), fet, "a new event after healing")
				})
			}

			// Removed for good: the warm instance refuses every event (nothing it wrote now
			// could be found again) until a new instance starts with a new file.
			room, et := "removed", next()
			body := faultBody(room, et)
			if err := os.RemoveAll(dir); err != nil {
				t.Fatal(err)
			}
			a := f.deliver(t, body)
			wantFail(t, a, 503, 50301, "with the directory removed")
			failed[room] = body
			line := f.waitLine(t, room, "rejected:store")
			m.add("sqlite", "directory removed for good", platform, a, line)
			rd.wantNoOrphans(t, app) // the removed file, still open for reading
			f.close()
			f.checkRejections(t, failed)
			f.checkNoSecrets(t, faultToken, awsSecret)

			if err := os.Mkdir(dir, 0o755); err != nil {
				t.Fatal(err)
			}
			rd = openReader(t, storeURL) // a new, empty store, as an operator restores it
			g := startFunction(t, platform, app, env)
			wantOK(t, g.deliver(t, body), "the same event to a new instance")
			k := rd.room(t, app, room)
			wantStored(t, k, body, et, "the same event to a new instance")
			if t.Failed() {
				t.Logf("function output:\n%s", f.out.String())
			}
		})
	}
}

// TestPanicBecomes500 proves end to end that a panic below the handler is answered 500 with a
// FAIL packet, logged, and survived by the instance. Production code has no way to panic on
// purpose, so the functions are built with one extra file (go build -overlay, production
// sources untouched) that adds a store scheme, panicky://PATH: SQLite, except that saving a
// room whose id starts with "panic" is a nil map write, the kind of bug that panics.
func TestPanicBecomes500(t *testing.T) {
	if testing.Short() {
		t.Skip("builds both functions and the Runtime Interface Emulator; skipped with -short")
	}
	buildFunctions(t) // the shared builds, before GOFLAGS below could reach them
	root, err := localinvoke.ModuleRoot(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	src, err := filepath.Abs(filepath.Join("testdata", "panicky_store.go.txt"))
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	overlay := filepath.Join(dir, "overlay.json")
	b, _ := json.Marshal(map[string]any{"Replace": map[string]string{filepath.Join(root, "pkg", "store", "zz_e2e_panicky.go"): src}})
	if err := os.WriteFile(overlay, b, 0o644); err != nil {
		t.Fatal(err)
	}
	t.Setenv("GOFLAGS", strings.TrimSpace(os.Getenv("GOFLAGS")+" -overlay="+overlay))
	bootstrap, scfMain := filepath.Join(dir, "bootstrap"), filepath.Join(dir, "main")
	for pkg, out := range map[string]string{"./functions/lambda": bootstrap, "./functions/scf": scfMain} {
		if err := localinvoke.BuildFunction(t.Context(), pkg, out); err != nil {
			t.Fatal(err)
		}
	}

	for _, platform := range platforms {
		t.Run(platform, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "roomhook.db")
			app := freshApp(t)
			f := startFunction(t, platform, app, functionEnv(app, "panicky://"+path, "ROOMHOOK_LOG_LEVEL=debug"), bootstrap, scfMain)
			et := time.Now().UnixMilli()
			wantOK(t, f.deliver(t, faultBody("before", et)), "before the panic")
			a := f.deliver(t, faultBody("panic-now", et+1))
			wantFail(t, a, 500, 50001, "a panicking store")
			t.Logf("answered 500 in %v", a.took.Round(time.Millisecond))
			wantOK(t, f.deliver(t, faultBody("after", et+2)), "after the panic")
			f.close()

			var line map[string]any
			for _, l := range f.logLines() {
				if l["outcome"] == "rejected:panic" {
					if line != nil {
						t.Errorf("more than one panic line")
					}
					line = l
				}
			}
			if line == nil {
				t.Fatalf("no rejected:panic log line; output:\n%s", f.out.String())
			}
			if msg, _ := line["panic"].(string); line["level"] != "ERROR" || !strings.Contains(msg, "assignment to entry in nil map") {
				t.Errorf("panic line %v, want ERROR with the panic's message", line)
			}
			if st, _ := line["stack"].(string); !strings.Contains(st, "panicky") {
				t.Errorf("panic line without the stack of the panicking code: %v", line["stack"])
			}
			// The instance survived: one cold start served all three.
			starts := 0
			for _, l := range f.logLines() {
				if l["msg"] == "cold start complete" {
					starts++
				}
			}
			if starts != 1 {
				t.Errorf("%d cold starts, want 1: the panic must not end the instance", starts)
			}
			f.checkNoSecrets(t, faultToken, awsSecret)
			rd := openReader(t, "sqlite://"+path)
			wantStored(t, rd.room(t, app, "before"), faultBody("before", et), et, "before the panic")
			wantStored(t, rd.room(t, app, "after"), faultBody("after", et+2), et+2, "after the panic")
			wantNothing(t, rd.room(t, app, "panic-now"), "the event whose save panicked")
			if t.Failed() {
				t.Logf("function output:\n%s", f.out.String())
			}
		})
	}
}

// String returns what was written so far.
func (l *lockedWriter) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.w.String()
}
