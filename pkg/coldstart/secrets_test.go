package coldstart

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/json"
	"fmt"
	"log/slog"
	"math/big"
	"net/url"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/roomhook/roomhook/pkg/callback"
	"github.com/roomhook/roomhook/pkg/store/storetest/faultproxy"
)

// The secrets no log line and no answer may ever hold: the callback token, a valid Sign, and
// the store's password.
const (
	secretToken    = "tok-S3cret-4f1c9e"
	secretPassword = "s3cret-pw"
)

// secretSigns are the valid signatures the test sends, added as they are made.
type secretSigns []string

// leaks returns the secrets s holds.
func leaks(s string, signs secretSigns) []string {
	var found []string
	for _, secret := range append([]string{secretToken, secretPassword}, signs...) {
		if strings.Contains(s, secret) {
			found = append(found, secret)
		}
	}
	return found
}

// TestColdStartFailuresKeepSecrets starts the function with stores it cannot open, each URL
// holding a password, and a token configured: neither the error (what the platform shows as
// the failed start) nor any log line may hold a secret.
func TestColdStartFailuresKeepSecrets(t *testing.T) {
	urls := []string{
		"postgres://u:" + secretPassword + "@127.0.0.1:1/db?connect_timeout=2",
		"postgresql://u:" + secretPassword + "@127.0.0.1:1/db?sslmode=bogus",
		"postgres://u:" + secretPassword + "@[::1/db",
		"mysql://u:" + secretPassword + "@127.0.0.1:1/db",
		"mysql://u:" + secretPassword + "@127.0.0.1:3306/db?bogus=1",
		"mysql://u:" + secretPassword + "@127.0.0.1:3306/db?tls=maybe",
		"dynamodb://roomhook?region=us-east-1&endpoint=http://u:" + secretPassword + "@127.0.0.1:1",
		"sqlite://u:" + secretPassword + "@host/db",
		"ftp://u:" + secretPassword + "@host/x",
		"u:" + secretPassword + "@host/x",
	}
	if pg := os.Getenv("ROOMHOOK_TEST_POSTGRES"); pg != "" {
		// A server that is there, with trust authentication (any password is accepted): a
		// database that does not exist, and a user that does not.
		urls = append(urls, withPassword(t, pg, "", "roomhook_no_such_db"), withPassword(t, pg, "roomhook_no_such_user", ""))
	} else {
		t.Log("ROOMHOOK_TEST_POSTGRES not set: cold starts against a live PostgreSQL are left out; set it to e.g. postgres://postgres@127.0.0.1:5432/test?sslmode=disable")
	}
	if my := os.Getenv("ROOMHOOK_TEST_MYSQL"); my != "" {
		// A live server refusing the login: the password is wrong.
		urls = append(urls, withPassword(t, my, "", ""))
	} else {
		t.Log("ROOMHOOK_TEST_MYSQL not set: a cold start refused by a live MySQL is left out; set it to e.g. mysql://root@127.0.0.1:3306/test")
	}
	for _, u := range urls {
		scheme, _, _ := strings.Cut(u, ":")
		t.Run(scheme, func(t *testing.T) {
			logs := &bytes.Buffer{}
			inst, err := Build(context.Background(), mapEnv(map[string]string{
				"ROOMHOOK_SDKAPPID": "1400123456", "ROOMHOOK_CALLBACK_TOKEN": secretToken,
				"ROOMHOOK_STORE": u, "ROOMHOOK_STORE_TIMEOUT": "2s", "ROOMHOOK_LOG_LEVEL": "debug",
			}), logs)
			if err == nil {
				inst.Store.Close()
				t.Fatalf("started with %s", scheme)
			}
			if found := leaks(err.Error()+logs.String(), nil); len(found) > 0 {
				t.Fatalf("the cold start leaked %v:\nerror: %v\nlogs: %s", found, err, logs)
			}
			t.Logf("refused: %v", err)
			if !strings.Contains(err.Error(), "ROOMHOOK_STORE") {
				t.Errorf("the error does not name ROOMHOOK_STORE: %v", err)
			}
		})
	}
}

// withPassword returns rawURL with the password secretPassword, and the user or the database
// path replaced when given.
func withPassword(t *testing.T, rawURL, user, db string) string {
	t.Helper()
	u, err := url.Parse(rawURL)
	if err != nil {
		t.Fatal(err)
	}
	if user == "" {
		user = u.User.Username()
	}
	u.User = url.UserPassword(user, secretPassword)
	if db != "" {
		u.Path = "/" + db
	}
	return u.String()
}

// secretsRequest is one delivery of TestRequestsKeepSecrets.
type secretsRequest struct {
	name   string
	method string
	query  url.Values
	body   string
	want   string // the logged outcome
}

// requestsForEveryOutcome builds a delivery for every outcome the core logs but the store's
// failure: each is signed with the secret token (a valid Sign in the query) unless the case is
// about the signature.
func requestsForEveryOutcome(app int64, signs *secretSigns, room string) []secretsRequest {
	now := time.Now()
	body := func(roomID string, at int64) string {
		return fmt.Sprintf(`{"CallbackCommand":"Room.CallbackAfterCreateRoom","Operator_Account":"admin","RoomInfo":{"RoomId":%q,"RoomName":"n"},"EventTime":%d}`, roomID, at)
	}
	q := func(edit func(url.Values)) url.Values {
		rt := strconv.FormatInt(now.Unix(), 10)
		sign := callback.Sign(secretToken, rt)
		*signs = append(*signs, sign)
		v := url.Values{"SdkAppid": {strconv.FormatInt(app, 10)}, "CallbackCommand": {callback.CommandCreateRoom},
			"contenttype": {"json"}, "ClientIP": {"203.0.113.7"}, "OptPlatform": {"Web"}, "RequestTime": {rt}, "Sign": {sign}}
		if edit != nil {
			edit(v)
		}
		return v
	}
	far := strconv.FormatInt(now.Add(time.Hour).Unix(), 10)
	farSign := callback.Sign(secretToken, far)
	*signs = append(*signs, farSign)
	unknown := `{"CallbackCommand":"Group.CallbackAfterSendMsg","RoomId":"` + room + `","EventTime":5}`
	return []secretsRequest{
		{"stored", "POST", q(nil), body(room, 2000), "stored"},
		{"duplicate", "POST", q(nil), body(room, 2000), "duplicate"},
		{"stale", "POST", q(nil), body(room, 1000), "stale"},
		{"ignored", "POST", q(func(v url.Values) { v.Set("CallbackCommand", "Group.CallbackAfterSendMsg") }), unknown, "ignored"},
		{"GET", "GET", q(nil), body(room, 3000), "rejected:method"},
		{"too large", "POST", q(nil), `{"x":"` + strings.Repeat("a", callback.MaxBodyBytes) + `"}`, "rejected:too_large"},
		{"repeated parameter", "POST", q(func(v url.Values) { v.Add("sdkappid", v.Get("SdkAppid")) }), body(room, 3000), "rejected:repeated_param"},
		{"parameter not UTF-8", "POST", q(func(v url.Values) { v.Set("ClientIP", "\xff") }), body(room, 3000), "rejected:param_value"},
		{"SdkAppid missing", "POST", q(func(v url.Values) { v.Del("SdkAppid") }), body(room, 3000), "rejected:sdkappid_missing"},
		{"SdkAppid unknown", "POST", q(func(v url.Values) { v.Set("SdkAppid", "1400999999") }), body(room, 3000), "rejected:sdkappid_unknown"},
		{"Sign missing", "POST", q(func(v url.Values) { v.Del("Sign") }), body(room, 3000), "rejected:sign_missing"},
		{"RequestTime far", "POST", q(func(v url.Values) { v.Set("RequestTime", far); v.Set("Sign", farSign) }), body(room, 3000), "rejected:sign_time"},
		{"Sign of another token", "POST", q(func(v url.Values) { v.Set("Sign", callback.Sign("other", v.Get("RequestTime"))) }), body(room, 3000), "rejected:sign_mismatch"},
		{"contenttype", "POST", q(func(v url.Values) { v.Set("contenttype", "xml") }), body(room, 3000), "rejected:contenttype"},
		{"command missing", "POST", q(func(v url.Values) { v.Del("CallbackCommand") }), body(room, 3000), "rejected:command_missing"},
		{"command mismatch", "POST", q(func(v url.Values) { v.Set("CallbackCommand", "Group.CallbackAfterSendMsg") }), body(room, 3000), "rejected:command_mismatch"},
		{"body not JSON", "POST", q(nil), "RoomId=" + room, "rejected:body"},
		{"field missing", "POST", q(nil), `{"CallbackCommand":"Room.CallbackAfterCreateRoom","RoomInfo":{},"EventTime":1}`, "rejected:field"},
		{"field twice", "POST", q(nil), strings.Replace(body(room, 3000), `"RoomName":"n"`, `"RoomName":"n","RoomName":"m"`, 1), "rejected:"},
	}
}

// TestRequestsKeepSecrets runs requests of every outcome — stored, duplicate, stale, ignored,
// each rejection, and store failures (a closed store; with ROOMHOOK_TEST_POSTGRES, also a
// server gone from under a password-bearing URL) — through an instance built by BuildWith
// with a token configured, a valid Sign in the requests and, on PostgreSQL, a password in the
// store URL (trust authentication accepts any), at debug level; then requires that no log line
// (cold start included) and no answer holds the token, a Sign value or the password.
func TestRequestsKeepSecrets(t *testing.T) {
	type backend struct {
		name  string
		url   string
		proxy *faultproxy.Proxy // between the instance and the server, to take the server away
	}
	backends := []backend{{name: "sqlite", url: "sqlite://" + filepath.Join(t.TempDir(), "secrets.db")}}
	if pg := os.Getenv("ROOMHOOK_TEST_POSTGRES"); pg != "" {
		u, err := url.Parse(withPassword(t, pg, "", ""))
		if err != nil {
			t.Fatal(err)
		}
		p, err := faultproxy.New(u.Host)
		if err != nil {
			t.Fatal(err)
		}
		defer p.Close()
		u.Host = p.Addr()
		backends = append(backends, backend{"postgres", u.String(), p})
	} else {
		t.Log("ROOMHOOK_TEST_POSTGRES not set: only SQLite is used, whose URL holds no password; set it to e.g. postgres://postgres@127.0.0.1:5432/test?sslmode=disable")
	}
	for _, b := range backends {
		t.Run(b.name, func(t *testing.T) {
			n, _ := rand.Int(rand.Reader, big.NewInt(1<<40))
			app := 1<<44 + n.Int64()
			logs := &bytes.Buffer{}
			var level string
			inst, err := BuildWith(context.Background(), mapEnv(map[string]string{
				"ROOMHOOK_SDKAPPID": strconv.FormatInt(app, 10), "ROOMHOOK_CALLBACK_TOKEN": "other-token," + secretToken,
				"ROOMHOOK_STORE": b.url, "ROOMHOOK_STORE_TIMEOUT": "3s", "ROOMHOOK_LOG_LEVEL": "debug",
				"AWS_LAMBDA_FUNCTION_NAME": "roomhook",
			}), Options{LogHandler: func(l slog.Leveler) slog.Handler {
				level = l.Level().String()
				return slog.NewJSONHandler(logs, &slog.HandlerOptions{Level: slog.LevelDebug})
			}})
			if err != nil {
				t.Fatal(err)
			}
			if level != "DEBUG" {
				t.Errorf("the log handler was built for level %s, want ROOMHOOK_LOG_LEVEL's DEBUG", level)
			}
			var signs secretSigns
			var answers []string
			var wantOutcomes []string
			send := func(r secretsRequest) {
				resp := inst.Handler.Handle(context.Background(), callback.Request{Method: r.method, Query: r.query, Body: []byte(r.body), RequestID: "req-" + r.name})
				answers = append(answers, fmt.Sprintf("%d %v %s", resp.StatusCode, resp.Header, resp.Body))
				wantOutcomes = append(wantOutcomes, r.want)
			}
			reqs := requestsForEveryOutcome(app, &signs, "secret-room")
			for _, r := range reqs {
				send(r)
			}
			// The store fails: the server is gone (PostgreSQL), then the store is closed.
			failing := reqs[0]
			failing.body = strings.Replace(failing.body, "secret-room", "secret-room-2", 1)
			failing.want = "rejected:store"
			if b.proxy != nil {
				if err := b.proxy.Set(faultproxy.Refuse()); err != nil {
					t.Fatal(err)
				}
				send(failing)
				b.proxy.Set(faultproxy.Pass())
			}
			inst.Store.Close()
			send(failing)

			// Every outcome came out as intended: the test covers what it says.
			var got []string
			for _, line := range strings.Split(strings.TrimSpace(logs.String()), "\n") {
				var l struct{ Msg, Outcome string }
				if err := json.Unmarshal([]byte(line), &l); err != nil {
					t.Fatalf("log line not JSON: %s", line)
				}
				if l.Msg == "callback" {
					got = append(got, l.Outcome)
				}
			}
			if len(got) != len(wantOutcomes) {
				t.Fatalf("%d callback lines for %d requests:\n%s", len(got), len(wantOutcomes), logs)
			}
			for i := range got {
				if !strings.HasPrefix(got[i], wantOutcomes[i]) {
					t.Errorf("request %d logged %q, want %q", i, got[i], wantOutcomes[i])
				}
			}
			if n := strings.Count(logs.String(), `"raw_body"`); n != len(wantOutcomes)-len(reqs) {
				t.Errorf("%d store failure lines with the raw event, want %d", n, len(wantOutcomes)-len(reqs))
			}
			all := logs.String() + strings.Join(answers, "\n")
			if found := leaks(all, signs); len(found) > 0 {
				t.Fatalf("secrets %v reached a log line or an answer:\n%s", found, all)
			}
		})
	}
}
