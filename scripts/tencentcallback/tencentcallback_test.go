package tencentcallback

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/roomhook/roomhook/pkg/callback"
)

const body = `{"CallbackCommand":"Room.CallbackAfterCreateRoom","RoomInfo":{"RoomId":"r1"},"EventTime":1}`

// tencentExample is Tencent's own check vector: token xxxxyyyy at RequestTime 1669872112.
var tencentExample = time.Unix(1669872112, 0)

func TestQuery(t *testing.T) {
	tests := []struct {
		name string
		cb   Callback
		want string
	}{
		{"defaults", Callback{Body: []byte(body)},
			"SdkAppid=1400123456&CallbackCommand=Room.CallbackAfterCreateRoom&contenttype=json&ClientIP=127.0.0.1&OptPlatform=RESTAPI"},
		{"given", Callback{Body: []byte(body), SdkAppID: "1400000001", ClientIP: "2001:db8::1", OptPlatform: "Web", Command: "Room.Other"},
			"SdkAppid=1400000001&CallbackCommand=Room.Other&contenttype=json&ClientIP=2001%3Adb8%3A%3A1&OptPlatform=Web"},
		{"signed", Callback{Body: []byte(body), Token: "xxxxyyyy", Now: tencentExample},
			"SdkAppid=1400123456&CallbackCommand=Room.CallbackAfterCreateRoom&contenttype=json&ClientIP=127.0.0.1&OptPlatform=RESTAPI" +
				"&Sign=17773bc39a671d7b9aa835458704d2a6db81360a5940292b587d6d760d484061&RequestTime=1669872112"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := tt.cb.Query()
			if err != nil || got != tt.want {
				t.Errorf("Query() = %q, %v\nwant %q", got, err, tt.want)
			}
		})
	}
	// Signed now when Now is zero.
	q, err := (&Callback{Body: []byte(body), Token: "t"}).Query()
	if err != nil {
		t.Fatal(err)
	}
	v, _ := url.ParseQuery(q)
	rt, err := strconv.ParseInt(v.Get("RequestTime"), 10, 64)
	if err != nil || v.Get("Sign") != callback.Sign("t", v.Get("RequestTime")) || max(rt-time.Now().Unix(), time.Now().Unix()-rt) > 5 {
		t.Errorf("signed at %q with %q", v.Get("RequestTime"), v.Get("Sign"))
	}
}

func TestURL(t *testing.T) {
	const q = "SdkAppid=1400123456&CallbackCommand=Room.CallbackAfterCreateRoom&contenttype=json&ClientIP=127.0.0.1&OptPlatform=RESTAPI"
	tests := []struct {
		base, want string
	}{
		{"https://example.com/callback", "https://example.com/callback?" + q},
		{"https://example.com", "https://example.com?" + q},
		{"https://example.com/release/callback?", "https://example.com/release/callback?" + q},
		{"https://example.com/cb?key=v", "https://example.com/cb?key=v&" + q},
		{"https://example.com/cb?key=v&", "https://example.com/cb?key=v&" + q},
		{"http://127.0.0.1:9000/#frag", "http://127.0.0.1:9000/?" + q},
	}
	cb := Callback{Body: []byte(body)}
	for _, tt := range tests {
		if got, err := cb.URL(tt.base); err != nil || got != tt.want {
			t.Errorf("URL(%q) = %q, %v\nwant %q", tt.base, got, err, tt.want)
		}
	}
	for _, bad := range []string{"", "example.com/callback", "ftp://example.com/", "https://", "http://[::1"} {
		if got, err := cb.URL(bad); err == nil {
			t.Errorf("URL(%q) = %q, want an error", bad, got)
		}
	}
	if _, err := (&Callback{Body: []byte(`{"RoomInfo":{}}`)}).URL("https://example.com/"); err == nil {
		t.Error("a body without CallbackCommand gave a URL")
	}
}

func TestBodyCommand(t *testing.T) {
	if got, err := BodyCommand([]byte(body)); err != nil || got != "Room.CallbackAfterCreateRoom" {
		t.Errorf("BodyCommand = %q, %v", got, err)
	}
	for _, bad := range []string{``, `[]`, `{"CallbackCommand":""}`, `{"CallbackCommand":1}`, `{}`, `RoomId=1`} {
		if got, err := BodyCommand([]byte(bad)); err == nil {
			t.Errorf("BodyCommand(%s) = %q, want an error", bad, got)
		}
	}
}

func TestSend(t *testing.T) {
	var got *http.Request
	var gotBody string
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		got = r
		b, _ := io.ReadAll(r.Body)
		gotBody = string(b)
		w.Header().Set("Content-Type", "application/json")
		_, _ = io.WriteString(w, OKPacket)
	}))
	defer srv.Close()

	ans, err := Send(context.Background(), nil, srv.URL+"/cb?x=1", Callback{Body: []byte(body), Token: "xxxxyyyy", Now: tencentExample})
	if err != nil {
		t.Fatal(err)
	}
	if !ans.OK() {
		t.Errorf("answer %+v is not OK", ans)
	}
	want := "x=1&SdkAppid=1400123456&CallbackCommand=Room.CallbackAfterCreateRoom&contenttype=json&ClientIP=127.0.0.1&OptPlatform=RESTAPI" +
		"&Sign=17773bc39a671d7b9aa835458704d2a6db81360a5940292b587d6d760d484061&RequestTime=1669872112"
	if got.Method != "POST" || got.URL.Path != "/cb" || got.URL.RawQuery != want ||
		got.Header.Get("Content-Type") != "application/json" || gotBody != body {
		t.Errorf("sent %s %s?%s (%s) %q", got.Method, got.URL.Path, got.URL.RawQuery, got.Header.Get("Content-Type"), gotBody)
	}
	line, err := ans.MarshalJSON()
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(string(line), `{"statusCode":200,"headers":{`) ||
		!strings.Contains(string(line), `"Content-Type":"application/json"`) ||
		!strings.HasSuffix(string(line), `"body":"{\"ActionStatus\":\"OK\",\"ErrorInfo\":\"\",\"ErrorCode\":0}"}`) {
		t.Errorf("JSON %s", line)
	}
}

func TestAnswerOK(t *testing.T) {
	for _, a := range []Answer{
		{StatusCode: 200, Body: []byte(OKPacket + "\n")},
		{StatusCode: 200, Body: []byte(`{"ActionStatus":"OK","ErrorCode":0,"ErrorInfo":""}`)},
		{StatusCode: 201, Body: []byte(OKPacket)},
		{StatusCode: 503, Body: []byte(`{"ActionStatus":"FAIL","ErrorInfo":"store","ErrorCode":50301}`)},
	} {
		if a.OK() {
			t.Errorf("%d %s counted as OK", a.StatusCode, a.Body)
		}
	}
}

func TestSendRedirectAndTimeout(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/slow" {
			time.Sleep(500 * time.Millisecond)
		}
		http.Redirect(w, r, "/elsewhere", http.StatusFound)
	}))
	defer srv.Close()
	ans, err := Send(context.Background(), nil, srv.URL+"/", Callback{Body: []byte(body)})
	if err != nil || ans.StatusCode != http.StatusFound || ans.OK() {
		t.Errorf("a redirect: %+v, %v; want the 302 itself, not OK", ans, err)
	}
	_, err = Send(context.Background(), NewClient(100*time.Millisecond), srv.URL+"/slow", Callback{Body: []byte(body), Token: "xxxxyyyy", Now: tencentExample})
	if err == nil {
		t.Fatal("no timeout")
	}
	if strings.Contains(err.Error(), "17773bc39a671d7b") || strings.Contains(err.Error(), "xxxxyyyy") || !strings.Contains(err.Error(), "Sign=…") {
		t.Errorf("the error shows the signature or token, or no redacted URL: %v", err)
	}
}

func TestRedact(t *testing.T) {
	in := `POST "http://h/?a=1&Sign=abc123&RequestTime=1" and http://h/?Sign=def`
	want := `POST "http://h/?a=1&Sign=…&RequestTime=1" and http://h/?Sign=…`
	if got := Redact(in); got != want {
		t.Errorf("Redact = %q, want %q", got, want)
	}
}

func TestFirstOf(t *testing.T) {
	for in, want := range map[string]string{"": "", "a": "a", " a , b": "a", ",,b,c": "b", " , ": ""} {
		if got := FirstOf(in); got != want {
			t.Errorf("FirstOf(%q) = %q, want %q", in, got, want)
		}
	}
}
