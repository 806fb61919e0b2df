package main

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"log/slog"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/roomhook/roomhook/functions/samples"
	"github.com/roomhook/roomhook/pkg/callback"
)

// The seed callback the golden events of every shape carry, exactly as the files hold it; the
// other function URL events carry the rest of the samples' story (functions/samples).
const (
	testAppID   = 1400123456
	seedRoomID  = "tandy-test-rest"
	seedQuery   = "SdkAppid=1400123456&CallbackCommand=Room.CallbackAfterCreateRoom&contenttype=json&ClientIP=203.0.113.7&OptPlatform=RESTAPI"
	seedBody    = `{"CallbackCommand":"Room.CallbackAfterCreateRoom","Operator_Account":"admin","RoomInfo":{"RoomId":"tandy-test-rest","RoomName":"tandy-test-rest","RoomType":"Meeting","Owner_Account":"user3","MaxMemberCount":300,"MaxSeatCount":16,"IsVideoDisabled":true,"IsAudioDisabled":true,"IsMessageDisabled":true,"IsScreenSharingDisabled":true,"IsCloudRecordingDisabled":true,"CustomInfo":"custom123","ScheduleStartTime":1703589922,"ScheduleEndTime":1703593522,"RoomStatus":"Running","IsSeatEnabled":true,"TakeSeatMode":"ApplyToTake","CreateTime":1703589922},"ScheduleInviteeList_Account":["user2","user3","user3"],"EventTime":1703589922780}`
	okPacket    = `{"ActionStatus":"OK","ErrorInfo":"","ErrorCode":0}`
	testToken   = "roomhook-test-token"
	lambdaReqID = "7d2f0c4e-1b3a-4c5d-8e9f-0a1b2c3d4e5f"
)

// fixedNow is the handler's clock in tests: a second after the seed's EventTime.
var fixedNow = time.Date(2023, 12, 26, 11, 25, 23, 0, time.UTC)

// golden describes one file of events/: what the adapter must make of it.
type golden struct {
	name      string // file name without .json
	source    source
	multi     bool   // ALB answer must use multiValueHeaders
	requestID string // requestContext.requestId; "" for ALB, which has none
	variant   string // the callback it carries: a variant of functions/samples' Story or LiveStory
}

// live reports whether the golden carries a callback of the samples' Live story (the app-wide
// threshold among them, which concerns no room).
func (g golden) live() bool { return strings.HasPrefix(g.variant, "live-") }

// purgeSample is the one file of events/ that is no callback: the scheduled event that runs the
// archive purge (scripts/invoke-local.sh lambda functions/lambda/events/scheduled-purge.json).
const purgeSample = "scheduled-purge"

// goldens lists every file in events/ but purgeSample; loadGoldens fails when a file is missing from it, so a
// new sample cannot go untested. Every shape carries the seed (create-room); function URL
// events carry the rest of the story, one file per projected command, in EventTime order, then
// the Live room's story (functionurl-live-*), one file per Live command (two for the admin
// change: an add and a delete).
var goldens = []golden{
	{"alb-default", sourceALB, false, "", "create-room"},
	{"alb-multivalue", sourceALB, true, "", "create-room"},
	{"apigateway-http", sourceHTTP, false, "QWx3bGdsSoEF7Pg=", "create-room"},
	{"apigateway-http-base64", sourceHTTP, false, "QWx4Hj2xSoEF9Bw=", "create-room"},
	{"apigateway-http-payload1", sourceHTTPv1, false, "QWx5Tn1pSoEF3Kg=", "create-room"},
	{"apigateway-rest", sourceREST, false, "6b0d5f7e-3c2a-4e8b-9d1f-2a7c4e6b8d90", "create-room"},
	{"functionurl-default", sourceFunctionURL, false, "0f3e2c1b-7a6d-4e59-8c4b-3a2f1e0d9c8b", "create-room"},
	{"functionurl-update-room", sourceFunctionURL, false, "e01b66a4-8f55-49c3-889b-8241c24ecf20", "update-room"},
	{"functionurl-member-enter", sourceFunctionURL, false, "df33e0e9-f6cb-48c2-82b0-c9d00ea27ea3", "member-enter"},
	{"functionurl-update-room-alt", sourceFunctionURL, false, "de48ff5e-a7af-4e3e-827d-5c95a6d78df8", "update-room-alt"},
	{"functionurl-seat-changed", sourceFunctionURL, false, "0c0dd0bc-4b5f-4b5a-8fa8-ea299fdf5bd9", "seat-changed"},
	{"functionurl-member-leave", sourceFunctionURL, false, "e947bcbf-c801-421d-84d5-9715c7cca1ff", "member-leave"},
	{"functionurl-destroy-room", sourceFunctionURL, false, "431cf375-087d-457e-8a4d-e69541fbd618", "destroy-room"},
	// The Live room's story (samples.LiveStory), in EventTime order (the gift, which has none,
	// where its GiftWater.Time puts it): its own room, after the Room story's in this list
	// (tests pick the Room goldens by index).
	{"functionurl-live-create-room", sourceFunctionURL, false, "88aa2683-a1f9-46d3-aa3f-1892efb5c87c", "live-create-room"},
	{"functionurl-live-threshold", sourceFunctionURL, false, "6c70fe85-5987-4561-bed1-69c9e75c81ea", "live-threshold"},
	{"functionurl-live-update-room", sourceFunctionURL, false, "63786b9f-4818-4e9e-afc0-ec62d3442445", "live-update-room"},
	{"functionurl-live-modify-admin-add", sourceFunctionURL, false, "f8e7ef6b-3507-4203-abc6-a4e7b6bf691a", "live-modify-admin-add"},
	{"functionurl-live-set-metadata", sourceFunctionURL, false, "d7d714a0-78fe-462b-a5fd-7db697c6f826", "live-set-metadata"},
	{"functionurl-live-member-online", sourceFunctionURL, false, "37246667-da6c-42e3-a832-32c502558de2", "live-member-online"},
	{"functionurl-live-create-battle", sourceFunctionURL, false, "81169d29-3345-4e78-ac8b-e3fa7c7f72e8", "live-create-battle"},
	{"functionurl-live-start-battle", sourceFunctionURL, false, "e7501e6c-4a37-40f1-a68e-7ba8ef48161b", "live-start-battle"},
	{"functionurl-live-seat-changed", sourceFunctionURL, false, "c0d36854-8fbc-46d8-a443-b0a1536b24d8", "live-seat-changed"},
	{"functionurl-live-send-gift", sourceFunctionURL, false, "e900f952-ea31-409d-891f-54790198fb1c", "live-send-gift"},
	{"functionurl-live-end-battle", sourceFunctionURL, false, "d767a54c-9767-4dc3-ba49-5ca57ca0eefd", "live-end-battle"},
	{"functionurl-live-change-owner", sourceFunctionURL, false, "d7441e45-10fa-4375-a9ad-9ae3678cadf5", "live-change-owner"},
	{"functionurl-live-modify-admin-delete", sourceFunctionURL, false, "17d30aad-72d2-4755-94c2-0d7d9ddcdefa", "live-modify-admin-delete"},
	{"functionurl-live-member-offline", sourceFunctionURL, false, "6d18db54-5a94-4e76-a723-d466a5573ffa", "live-member-offline"},
	{"functionurl-live-del-metadata", sourceFunctionURL, false, "099be421-2105-41c5-9f96-8b4984f32b49", "live-del-metadata"},
	{"functionurl-live-destroy-room", sourceFunctionURL, false, "e1a2b968-022f-47e7-adff-13b85f935437", "live-destroy-room"},
}

// sample is the callback the golden carries.
func (g golden) sample() samples.Sample { return samples.Get(g.variant) }

// pairs is the golden's query string, as Tencent sent it.
func (g golden) pairs() []pair { return queryPairs(g.sample().RawQuery()) }

// signedPairs is the golden's query with a Sign and RequestTime made with token at fixedNow.
func (g golden) signedPairs(token string) []pair {
	rt := strconv.FormatInt(fixedNow.Unix(), 10)
	return append(g.pairs(), pair{"Sign", callback.Sign(token, rt)}, pair{"RequestTime", rt})
}

// goldenFile is a golden with its bytes.
type goldenFile struct {
	golden
	payload []byte
}

func loadGoldens(t testing.TB) []goldenFile {
	t.Helper()
	files, err := filepath.Glob(filepath.Join("events", "*.json"))
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, f := range files {
		if name := strings.TrimSuffix(filepath.Base(f), ".json"); name != purgeSample {
			names = append(names, name)
		}
	}
	var want []string
	for _, g := range goldens {
		want = append(want, g.name)
	}
	slices.Sort(names)
	slices.Sort(want)
	if !slices.Equal(names, want) {
		t.Fatalf("events/ holds %v; the goldens table lists %v", names, want)
	}
	out := make([]goldenFile, 0, len(goldens))
	for _, g := range goldens {
		b, err := os.ReadFile(filepath.Join("events", g.name+".json"))
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, goldenFile{g, b})
	}
	return out
}

// memStore is a callback.Store that keeps saved events in memory (and discards them when
// discard is set, for benchmarks): the store itself is measured and tested elsewhere.
type memStore struct {
	mu      sync.Mutex
	discard bool
	events  []callback.Event
}

func (s *memStore) Save(_ context.Context, ev *callback.Event) (callback.Outcome, error) {
	if s.discard {
		return callback.OutcomeStored, nil
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.events = append(s.events, *ev)
	return callback.OutcomeStored, nil
}

func (s *memStore) Close() error { return nil }

// newAdapter builds the adapter as main does, around st, with the test clock and, when
// tokens are given, signature checks on; it logs nothing.
func newAdapter(t testing.TB, st callback.Store, tokens ...string) *adapter {
	return newLoggingAdapter(t, st, nil, tokens...)
}

// newLoggingAdapter is newAdapter logging through log (nil: nothing).
func newLoggingAdapter(t testing.TB, st callback.Store, log *slog.Logger, tokens ...string) *adapter {
	t.Helper()
	h, err := callback.NewHandler(callback.Options{
		SdkAppIDs:     []int64{testAppID},
		Tokens:        tokens,
		SignTolerance: time.Minute,
		Store:         st,
		StoreTimeout:  5 * time.Second,
		Now:           func() time.Time { return fixedNow },
		Logger:        log,
	})
	if err != nil {
		t.Fatal(err)
	}
	return &adapter{handler: h, log: log}
}

// response is every field the adapter may write; decoding refuses any other.
type response struct {
	StatusCode        int                 `json:"statusCode"`
	StatusDescription *string             `json:"statusDescription"`
	Headers           map[string]string   `json:"headers"`
	MultiValueHeaders map[string][]string `json:"multiValueHeaders"`
	Body              *string             `json:"body"`
	IsBase64Encoded   *bool               `json:"isBase64Encoded"`
}

// parseResponse decodes out and checks what holds for every response of the given shape: the
// right header field, a statusDescription for ALB only, a body, isBase64Encoded false.
func parseResponse(t *testing.T, out []byte, src source, multi bool) response {
	t.Helper()
	var r response
	dec := json.NewDecoder(bytes.NewReader(out))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&r); err != nil {
		t.Fatalf("response is not the expected JSON: %v\n%s", err, out)
	}
	if dec.More() {
		t.Fatalf("trailing data after the response: %s", out)
	}
	if r.Body == nil || r.IsBase64Encoded == nil || *r.IsBase64Encoded {
		t.Errorf("response needs a body and isBase64Encoded false: %s", out)
	}
	if src == sourceALB {
		if want := statusDescription(r.StatusCode); r.StatusDescription == nil || *r.StatusDescription != want {
			t.Errorf("ALB response statusDescription = %v, want %q", r.StatusDescription, want)
		}
	} else if r.StatusDescription != nil {
		t.Errorf("non-ALB response has a statusDescription: %s", out)
	}
	if multi {
		if r.MultiValueHeaders == nil || r.Headers != nil {
			t.Errorf("multi-value ALB response must use multiValueHeaders only: %s", out)
		}
	} else if r.Headers == nil || r.MultiValueHeaders != nil {
		t.Errorf("response must use headers only: %s", out)
	}
	return r
}

// header returns the value of one response header, from whichever field the shape uses.
func (r response) header(name string) string {
	if v, ok := r.Headers[name]; ok {
		return v
	}
	if vs := r.MultiValueHeaders[name]; len(vs) == 1 {
		return vs[0]
	}
	return ""
}

// packet decodes the acknowledgement in the response body.
func (r response) packet(t *testing.T) (status string, code int) {
	t.Helper()
	var p struct {
		ActionStatus string
		ErrorInfo    string
		ErrorCode    int
	}
	if r.Body == nil || json.Unmarshal([]byte(*r.Body), &p) != nil {
		t.Fatalf("response body is not an acknowledgement packet: %v", r.Body)
	}
	return p.ActionStatus, p.ErrorCode
}

// pair is one query parameter as Tencent means it (decoded).
type pair struct{ name, value string }

func seedPairs() []pair { return queryPairs(seedQuery) }

// queryPairs splits a query string whose names and values need no decoding.
func queryPairs(raw string) []pair {
	var ps []pair
	for _, kv := range strings.Split(raw, "&") {
		k, v, _ := strings.Cut(kv, "=")
		ps = append(ps, pair{k, v})
	}
	return ps
}

func pairsToValues(ps []pair) url.Values {
	q := url.Values{}
	for _, p := range ps {
		q[p.name] = append(q[p.name], p.value)
	}
	return q
}

// mutable is a golden event as a generic JSON tree, changed the way each platform would
// have written the change.
type mutable map[string]any

func parseMutable(t testing.TB, payload []byte) mutable {
	t.Helper()
	var m mutable
	if err := json.Unmarshal(payload, &m); err != nil {
		t.Fatal(err)
	}
	return m
}

func (m mutable) bytes(t testing.TB) []byte {
	t.Helper()
	b, err := json.Marshal(map[string]any(m))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func (m mutable) ctx() map[string]any {
	rc, _ := m["requestContext"].(map[string]any)
	return rc
}

func (m mutable) isALB() bool { _, ok := m.ctx()["elb"]; return ok }

func (m mutable) isV2() bool { _, ok := m["rawQueryString"]; return ok }

// setMethod changes the HTTP method everywhere the shape records it.
func (m mutable) setMethod(method string) {
	if _, ok := m["httpMethod"]; ok {
		m["httpMethod"] = method
	}
	rc := m.ctx()
	if _, ok := rc["httpMethod"]; ok {
		rc["httpMethod"] = method
	}
	if h, ok := rc["http"].(map[string]any); ok {
		h["method"] = method
	}
}

// setQuery replaces the query string with ps, written as the platform writes it: decoded
// maps for API Gateway, rawQueryString plus comma-joined parameters for 2.0, still
// percent-encoded names and values for ALB. It reports false when the shape cannot carry ps
// (a repeated name in an ALB event without multi-value parameters: the load balancer only
// passes the last value).
func (m mutable) setQuery(ps []pair) bool {
	enc := func(s string) string { return s }
	if m.isALB() {
		enc = url.QueryEscape
	}
	single := map[string]any{}
	multi := map[string]any{}
	joined := map[string]string{}
	var raw []string
	for _, p := range ps {
		k, v := enc(p.name), enc(p.value)
		if _, dup := single[k]; dup && m.isALB() && m["multiValueQueryStringParameters"] == nil {
			return false
		}
		single[k] = v
		list, _ := multi[k].([]any)
		multi[k] = append(list, v)
		if j, ok := joined[k]; ok {
			joined[k] = j + "," + v
		} else {
			joined[k] = v
		}
		raw = append(raw, url.QueryEscape(p.name)+"="+url.QueryEscape(p.value))
	}
	switch {
	case m.isV2():
		m["rawQueryString"] = strings.Join(raw, "&")
		qsp := map[string]any{}
		for k, v := range joined {
			qsp[k] = v
		}
		m["queryStringParameters"] = qsp
	case m.isALB():
		if _, ok := m["multiValueQueryStringParameters"]; ok {
			m["multiValueQueryStringParameters"] = multi
		} else {
			m["queryStringParameters"] = single
		}
	default:
		m["queryStringParameters"] = single
		m["multiValueQueryStringParameters"] = multi
	}
	return true
}

// setBody replaces the body, base64-encoded when the event says the gateway encoded it.
func (m mutable) setBody(b []byte) {
	if enc, _ := m["isBase64Encoded"].(bool); enc {
		m["body"] = base64.StdEncoding.EncodeToString(b)
		return
	}
	m["body"] = string(b)
}

// signedPairs is the seed query with a Sign and RequestTime made with token at fixedNow.
func signedPairs(token string) []pair {
	rt := strconv.FormatInt(fixedNow.Unix(), 10)
	return append(seedPairs(), pair{"Sign", callback.Sign(token, rt)}, pair{"RequestTime", rt})
}
