package main

import (
	"context"
	"encoding/json"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync/atomic"
	"time"

	"github.com/roomhook/roomhook/functions/samples"
	"github.com/roomhook/roomhook/pkg/callback"
	"github.com/roomhook/roomhook/scripts/localinvoke"
)

const (
	appID     = "1400123456"
	token     = "roomhook-bench-token"
	seedQuery = "SdkAppid=1400123456&CallbackCommand=Room.CallbackAfterCreateRoom&contenttype=json&ClientIP=203.0.113.7&OptPlatform=RESTAPI"
	seedRoom  = `"RoomId":"tandy-test-rest"`
	seedTime  = `"EventTime":1703589922780`
)

// runID keeps the rooms of one run apart from earlier runs' in a persistent database.
var runID = strconv.FormatInt(time.Now().UnixNano(), 36)

var seq atomic.Int64

// uniqueBody is the seed callback for a new room: each request is a real insert, not a
// duplicate the store answers from its idempotency key.
func uniqueBody(seed string) string {
	i := seq.Add(1)
	b := strings.Replace(seed, seedRoom, `"RoomId":"bench-`+runID+"-"+strconv.FormatInt(i, 10)+`"`, 1)
	return strings.Replace(b, seedTime, `"EventTime":`+strconv.FormatInt(1703589922780+i, 10), 1)
}

// signedQuery is the seed query with Sign and RequestTime for now.
func signedQuery() url.Values {
	q, _ := url.ParseQuery(seedQuery)
	rt := strconv.FormatInt(time.Now().Unix(), 10)
	q.Set("RequestTime", rt)
	q.Set("Sign", callback.Sign(token, rt))
	return q
}

// eventMaker makes fresh signed events from a platform's golden event.
type eventMaker struct {
	tmpl map[string]any
	body string
	scf  bool
}

func newEventMaker(root string, scf bool) (*eventMaker, error) {
	file := filepath.Join(root, "functions/lambda/events/apigateway-http.json")
	if scf {
		file = filepath.Join(root, "functions/scf/events/apigateway-trigger.json")
	}
	raw, err := os.ReadFile(file)
	if err != nil {
		return nil, err
	}
	var m map[string]any
	if err := json.Unmarshal(raw, &m); err != nil {
		return nil, err
	}
	body, _ := m["body"].(string)
	if !strings.Contains(body, seedRoom) || !strings.Contains(body, seedTime) {
		return nil, fmt.Errorf("%s: body is not the seed callback", file)
	}
	return &eventMaker{tmpl: m, body: body, scf: scf}, nil
}

func (e *eventMaker) next() []byte { return e.nextWith(callback.CommandCreateRoom, uniqueBody(e.body)) }

// nextWith is the platform's event carrying body, a callback of command, signed now.
func (e *eventMaker) nextWith(command, body string) []byte {
	m := make(map[string]any, len(e.tmpl))
	for k, v := range e.tmpl {
		m[k] = v
	}
	q := signedQuery()
	q.Set("CallbackCommand", command)
	flat := map[string]string{}
	for k := range q {
		flat[k] = q.Get(k)
	}
	if e.scf {
		m["queryString"] = flat
	} else {
		m["rawQueryString"] = q.Encode()
		m["queryStringParameters"] = flat
	}
	m["body"] = body
	b, _ := json.Marshal(m)
	return b
}

// lifecycleMaker makes the mixed lifecycle load: rooms living the samples' story
// (functions/samples: create, update in both spellings, two members entering, a seat change, a
// member kicked, destroy), each callback in EventTime order, four rooms at different stages at
// any time, every room new.
type lifecycleMaker struct {
	ev    *eventMaker
	rooms [4]struct {
		id   string
		base int64 // EventTime of the room's create
		step int   // the next callback of the story
	}
	turn int
}

func newLifecycleMaker(ev *eventMaker) *lifecycleMaker {
	l := &lifecycleMaker{ev: ev}
	for i := range l.rooms {
		l.rooms[i].step = i * len(samples.Story) / len(l.rooms) // staggered
		l.newRoom(i)
	}
	return l
}

func (l *lifecycleMaker) newRoom(i int) {
	n := seq.Add(1)
	l.rooms[i].id = "bench-" + runID + "-lc-" + strconv.FormatInt(n, 10)
	l.rooms[i].base = samples.Story[0].EventTime + n*1_000_000
}

// next returns the next callback of the next room, with its command.
func (l *lifecycleMaker) next() (command string, event []byte) {
	r := &l.rooms[l.turn%len(l.rooms)]
	l.turn++
	s := samples.Story[r.step]
	body := strings.ReplaceAll(s.Body, strconv.Quote(samples.RoomID), strconv.Quote(r.id))
	at := r.base + s.EventTime - samples.Story[0].EventTime
	body = strings.Replace(body, `"EventTime":`+strconv.FormatInt(s.EventTime, 10), `"EventTime":`+strconv.FormatInt(at, 10), 1)
	if r.step++; r.step == len(samples.Story) {
		r.step = 0
		l.newRoom((l.turn - 1) % len(l.rooms))
	}
	return s.Command, l.ev.nextWith(s.Command, body)
}

// binaries are the function binaries, built once per work directory.
type binaries struct {
	root                                    string
	lambda, scf, web, floorLambda, floorSCF string
	// floorSQLite and floorStores are the Lambda floor with the SQLite store, or every store,
	// imported but not called (scripts/bench/floor/lambdasqlite, lambdastores).
	floorSQLite, floorStores string
	rie                      string
}

func build(ctx context.Context, dir string, withRIE bool) (*binaries, error) {
	root, err := localinvoke.ModuleRoot(ctx)
	if err != nil {
		return nil, err
	}
	b := &binaries{root: root,
		lambda: filepath.Join(dir, "product-lambda", "bootstrap"), scf: filepath.Join(dir, "product-scf", "main"),
		web: filepath.Join(dir, "product-web", "main"), floorLambda: filepath.Join(dir, "floor-lambda", "bootstrap"),
		floorSCF:    filepath.Join(dir, "floor-scf", "main"),
		floorSQLite: filepath.Join(dir, "floor-lambda-sqlite", "bootstrap"), floorStores: filepath.Join(dir, "floor-lambda-stores", "bootstrap")}
	for out, pkg := range map[string]string{
		b.lambda: "./functions/lambda", b.scf: "./functions/scf", b.web: "./functions/web",
		b.floorLambda: "./scripts/bench/floor/lambda", b.floorSCF: "./scripts/bench/floor/scf",
		b.floorSQLite: "./scripts/bench/floor/lambdasqlite", b.floorStores: "./scripts/bench/floor/lambdastores",
	} {
		if _, err := os.Stat(out); err == nil {
			continue
		}
		note("building %s", pkg)
		if err := localinvoke.BuildFunction(ctx, pkg, out); err != nil {
			return nil, err
		}
	}
	if withRIE {
		rie := filepath.Join(dir, "rie", "aws-lambda-rie")
		if _, err := os.Stat(rie); err != nil {
			if rie, err = localinvoke.BuildRIE(ctx, filepath.Join(dir, "rie")); err != nil {
				return nil, err
			}
		}
		b.rie = rie
	}
	return b, nil
}

// productEnv is the product's environment with store URL st.
func productEnv(st string) []string {
	return []string{"ROOMHOOK_SDKAPPID=" + appID, "ROOMHOOK_CALLBACK_TOKEN=" + token, "ROOMHOOK_STORE=" + st,
		"TMPDIR=" + os.TempDir(), "HOME=" + os.TempDir()}
}

// isOK reports whether a platform response is the 200 OK answer.
func isOK(out []byte) bool {
	var r struct {
		StatusCode int    `json:"statusCode"`
		Body       string `json:"body"`
	}
	return json.Unmarshal(out, &r) == nil && r.StatusCode == 200 && strings.Contains(r.Body, `"ActionStatus":"OK"`)
}

// storeEnv is productEnv plus, for a DynamoDB store, AWS credentials from the caller's
// environment, or placeholders a local DynamoDB-compatible server (dynalite) accepts: the
// Lambda emulator sets empty ones, and the SDK would go looking for an instance role.
func storeEnv(st string) []string {
	env := productEnv(st)
	if strings.HasPrefix(st, "dynamodb://") {
		for _, kv := range [][2]string{{"AWS_ACCESS_KEY_ID", "bench"}, {"AWS_SECRET_ACCESS_KEY", "bench"}, {"AWS_SESSION_TOKEN", ""}} {
			v, ok := os.LookupEnv(kv[0])
			if !ok {
				v = kv[1]
			}
			env = append(env, kv[0]+"="+v)
		}
	}
	return env
}
