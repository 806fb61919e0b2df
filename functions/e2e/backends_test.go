package e2e

import (
	"context"
	"crypto/rand"
	"encoding/json"
	"math/big"
	"net/url"
	"os"
	"path/filepath"
	"reflect"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/roomhook/roomhook/functions/samples"
	"github.com/roomhook/roomhook/pkg/callback"
	"github.com/roomhook/roomhook/pkg/store"
	"github.com/roomhook/roomhook/scripts/localinvoke"
)

const seedBody = `{"CallbackCommand":"Room.CallbackAfterCreateRoom","Operator_Account":"admin","RoomInfo":{"RoomId":"tandy-test-rest","RoomName":"tandy-test-rest","RoomType":"Meeting","Owner_Account":"user3","MaxMemberCount":300,"MaxSeatCount":16,"IsVideoDisabled":true,"IsAudioDisabled":true,"IsMessageDisabled":true,"IsScreenSharingDisabled":true,"IsCloudRecordingDisabled":true,"CustomInfo":"custom123","ScheduleStartTime":1703589922,"ScheduleEndTime":1703593522,"RoomStatus":"Running","IsSeatEnabled":true,"TakeSeatMode":"ApplyToTake","CreateTime":1703589922},"ScheduleInviteeList_Account":["user2","user3","user3"],"EventTime":1703589922780}`

// delivery is one callback as Tencent sends it, before a platform wraps it.
type delivery struct {
	name       string
	method     string
	command    string // query CallbackCommand
	body       string
	signed     bool
	wantStatus int
}

// deliveries is the sequence every backend receives, in order: stored, duplicate, stale, newer,
// a destroy, unknown commands, a Unicode room, and rejections that must leave nothing.
func deliveries() []delivery {
	create := callback.CommandCreateRoom
	newer := strings.Replace(strings.Replace(seedBody, `1703589922780`, `1703589999000`, 1), `"RoomName":"tandy-test-rest"`, `"RoomName":"renamed"`, 1)
	older := strings.Replace(strings.Replace(seedBody, `1703589922780`, `1703589900000`, 1), `"RoomName":"tandy-test-rest"`, `"RoomName":"stale"`, 1)
	unicode := strings.NewReplacer(`"RoomId":"tandy-test-rest"`, `"RoomId":"周会-🚀"`, `"RoomName":"tandy-test-rest"`, `"RoomName":"周会 🚀 weekly"`,
		`"CustomInfo":"custom123"`, `"CustomInfo":"`+strings.Repeat("x", 4096)+`"`, `"IsCloudRecordingDisabled":true`, `"IsCloudRecordingDisabled":"false"`,
		`"Owner_Account":"user3"`, `"Owner_Account":123`).Replace(seedBody)
	sparse := `{"CallbackCommand":"Room.CallbackAfterCreateRoom","RoomInfo":{"RoomId":"sparse"},"EventTime":1703589922780}`
	return []delivery{
		{"create", "POST", create, seedBody, true, 200},
		{"duplicate", "POST", create, seedBody, true, 200},
		{"older", "POST", create, older, true, 200},
		{"newer", "POST", create, newer, true, 200},
		{"unicode, 4 KiB custom info, lenient types", "POST", create, unicode, true, 200},
		{"only required fields", "POST", create, sparse, true, 200},
		{"destroy", "POST", callback.CommandDestroyRoom, `{"CallbackCommand":"Room.CallbackAfterDestroyRoom","Operator_Account":"admin","RoomId":"tandy-test-rest","EventTime":1703590000000}`, true, 200},
		{"unknown command without time", "POST", "Group.CallbackAfterCreateGroup", `{"CallbackCommand":"Group.CallbackAfterCreateGroup","GroupId":"g1"}`, true, 200},
		{"unknown command without time, again", "POST", "Group.CallbackAfterCreateGroup", `{"CallbackCommand":"Group.CallbackAfterCreateGroup","GroupId":"g1"}`, true, 200},
		{"unsigned", "POST", create, strings.Replace(seedBody, "tandy-test-rest", "forged", -1), false, 401},
		{"GET", "GET", create, seedBody, true, 405},
		{"not an object", "POST", create, `[1,2]`, true, 400},
		{"RoomId missing", "POST", create, `{"CallbackCommand":"Room.CallbackAfterCreateRoom","RoomInfo":{},"EventTime":1}`, true, 400},
	}
}

const token = "e2e-token"

// query builds Tencent's query string for d.
func query(app, command string, signed bool) url.Values {
	q := url.Values{"SdkAppid": {app}, "CallbackCommand": {command}, "contenttype": {"json"}, "ClientIP": {"203.0.113.7"}, "OptPlatform": {"Web"}}
	if signed {
		rt := strconv.FormatInt(time.Now().Unix(), 10)
		q.Set("RequestTime", rt)
		q.Set("Sign", callback.Sign(token, rt))
	}
	return q
}

// lambdaEvent wraps d as an HTTP API (payload 2.0) event.
func lambdaEvent(app string, d delivery) []byte {
	b, _ := json.Marshal(map[string]any{
		"version": "2.0", "routeKey": "$default", "rawPath": "/", "rawQueryString": query(app, d.command, d.signed).Encode(),
		"headers":        map[string]string{"content-type": "application/json"},
		"requestContext": map[string]any{"http": map[string]any{"method": d.method, "path": "/"}, "requestId": "e2e", "stage": "$default"},
		"body":           d.body, "isBase64Encoded": false,
	})
	return b
}

// scfEvent wraps d as an SCF function URL event.
func scfEvent(app string, d delivery) []byte {
	qs := map[string]string{}
	for k, v := range query(app, d.command, d.signed) {
		qs[k] = v[0]
	}
	b, _ := json.Marshal(map[string]any{"httpMethod": d.method, "path": "/", "headers": map[string]string{"content-type": "application/json"}, "queryString": qs, "body": d.body})
	return b
}

// kept is what a backend holds for one app, without what differs by nature between runs
// (request ids, arrival times, the app, updated_at): the archive, and every room's rows.
type kept struct {
	Events []callback.Event
	Rooms  map[string]string // samples.Rows.String of the room's rows
}

func read(ctx context.Context, t *testing.T, storeURL string, app int64) kept {
	t.Helper()
	s, err := store.Open(ctx, storeURL, store.Options{Timeout: 10 * time.Second})
	if err != nil {
		t.Fatalf("open %s: %v", scheme(storeURL), err)
	}
	defer s.Close()
	r := s.(callback.Reader)
	evs, err := r.Events(ctx, app)
	if err != nil {
		t.Fatal(err)
	}
	k := kept{Rooms: map[string]string{}}
	for _, ev := range evs {
		ev.RequestID, ev.ReceivedAt = "", time.Time{}
		k.Events = append(k.Events, ev)
		if _, done := k.Rooms[ev.RoomID]; done || ev.RoomID == "" {
			continue
		}
		rows, err := samples.Read(ctx, r, app, ev.RoomID)
		if err != nil {
			t.Fatalf("room %q: %v", ev.RoomID, err)
		}
		if rows.Room == nil {
			t.Fatalf("room %q: archived, and no row", ev.RoomID)
		}
		k.Rooms[ev.RoomID] = withoutApp(rows).String()
	}
	return k
}

// withoutApp returns rows with the app left out, so that stores of different apps compare.
func withoutApp(rows samples.Rows) samples.Rows {
	if rows.Room != nil {
		rows.Room.SdkAppID = 0
	}
	for _, m := range rows.Members {
		m.SdkAppID = 0
	}
	for _, s := range rows.Seats {
		s.SdkAppID = 0
	}
	for _, a := range rows.Admins {
		a.SdkAppID = 0
	}
	for _, m := range rows.Metadata {
		m.SdkAppID = 0
	}
	for _, b := range rows.Battles {
		b.SdkAppID = 0
	}
	for _, g := range rows.Gifts {
		g.SdkAppID = 0
	}
	return rows
}

func scheme(u string) string { s, _, _ := strings.Cut(u, "://"); return s }

// freshApp returns an SdkAppID no earlier run used, so runs against shared servers never see
// each other's rows.
func freshApp(t *testing.T) int64 {
	n, err := rand.Int(rand.Reader, big.NewInt(1<<40))
	if err != nil {
		t.Fatal(err)
	}
	return 1<<41 + n.Int64()
}

// TestSameRowsOnEveryBackend sends the same deliveries through both real runtimes to every
// reachable backend and requires each to keep exactly the same events and rooms as SQLite.
func TestSameRowsOnEveryBackend(t *testing.T) {
	if testing.Short() {
		t.Skip("builds both functions and the Runtime Interface Emulator; skipped with -short")
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Minute)
	defer cancel()
	dir := t.TempDir()
	rie, err := localinvoke.BuildRIE(ctx, dir)
	if err != nil {
		t.Fatal(err)
	}
	bootstrap, scfMain := filepath.Join(dir, "bootstrap"), filepath.Join(dir, "main")
	if err := localinvoke.BuildFunction(ctx, "./functions/lambda", bootstrap); err != nil {
		t.Fatal(err)
	}
	if err := localinvoke.BuildFunction(ctx, "./functions/scf", scfMain); err != nil {
		t.Fatal(err)
	}

	backends := []struct{ name, url string }{{"sqlite", "sqlite://" + filepath.Join(dir, "e2e.db")}}
	for _, b := range []struct{ name, env string }{{"postgres", "ROOMHOOK_TEST_POSTGRES"}, {"mysql", "ROOMHOOK_TEST_MYSQL"}, {"dynamodb", "ROOMHOOK_TEST_DYNAMODB"}} {
		if u := os.Getenv(b.env); u != "" {
			backends = append(backends, struct{ name, url string }{b.name, u})
		} else {
			t.Logf("%s not set: the %s backend is left out of the comparison", b.env, b.name)
		}
	}

	// The test reads the DynamoDB-compatible server too; its credentials are dummies, as in the
	// functions' environment above.
	if os.Getenv("AWS_ACCESS_KEY_ID") == "" {
		t.Setenv("AWS_ACCESS_KEY_ID", "e2e")
		t.Setenv("AWS_SECRET_ACCESS_KEY", "e2e")
	}

	var reference *kept
	for _, b := range backends {
		for _, platform := range []string{"lambda", "scf"} {
			t.Run(b.name+"/"+platform, func(t *testing.T) {
				app := freshApp(t)
				appID := strconv.FormatInt(app, 10)
				env := []string{"PATH=" + os.Getenv("PATH"), "HOME=" + os.Getenv("HOME"),
					"ROOMHOOK_SDKAPPID=" + appID, "ROOMHOOK_CALLBACK_TOKEN=" + token, "ROOMHOOK_STORE=" + b.url,
					"ROOMHOOK_STORE_TIMEOUT=5s", "AWS_ACCESS_KEY_ID=e2e", "AWS_SECRET_ACCESS_KEY=e2e", "AWS_REGION=us-east-1"}
				logs := &lockedWriter{w: &strings.Builder{}}
				var rt localinvoke.Runtime
				var err error
				wrap := lambdaEvent
				if platform == "lambda" {
					rt, err = localinvoke.StartLambda(ctx, rie, bootstrap, localinvoke.Options{Env: env, Stderr: logs})
				} else {
					rt, err = localinvoke.StartSCF(ctx, scfMain, localinvoke.Options{Env: env, Stderr: logs})
					wrap = scfEvent
				}
				if err != nil {
					t.Fatal(err)
				}
				for _, d := range deliveries() {
					out, err := rt.Invoke(ctx, wrap(appID, d))
					if err != nil {
						rt.Close()
						t.Fatalf("%s: %v", d.name, err)
					}
					if status, err := localinvoke.StatusCode(out); err != nil || status != d.wantStatus {
						rt.Close()
						t.Fatalf("%s: status %d (%v), want %d: %s", d.name, status, err, d.wantStatus, out)
					}
				}
				if err := rt.Close(); err != nil {
					t.Logf("close: %v", err)
				}
				got := read(ctx, t, b.url, app)
				for i := range got.Events {
					got.Events[i].SdkAppID = 0 // differs per run by design
				}
				if len(got.Events) != 8 || len(got.Rooms) != 3 {
					t.Fatalf("kept %d events and %d rooms, want 8 and 3\n%s", len(got.Events), len(got.Rooms), logs.w)
				}
				if room := got.Rooms["tandy-test-rest"]; !strings.Contains(room, ` room_name="renamed" `) ||
					!strings.Contains(room, ` destroyed_at=1703590000000 destroy_operator_account="admin"`) {
					t.Fatalf("room not at its newest create, then destroyed: %s", room)
				}
				if reference == nil {
					reference = &got
					return
				}
				if !reflect.DeepEqual(*reference, got) {
					t.Fatalf("%s via %s kept something else than the reference:\n got  %+v\n want %+v", b.name, platform, got, *reference)
				}
			})
		}
	}
}

// lockedWriter collects the function's output, written from the runtime's goroutines.
type lockedWriter struct {
	mu sync.Mutex
	w  *strings.Builder
}

func (l *lockedWriter) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.w.Write(p)
}
