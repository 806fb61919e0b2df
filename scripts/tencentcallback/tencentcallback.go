// Package tencentcallback sends a Tencent Cloud Room callback the way Tencent's servers do:
// a POST of the JSON body to the configured URL with Tencent's query string appended —
//
//	?SdkAppid=<n>&CallbackCommand=<cmd>&contenttype=json&ClientIP=<ip>&OptPlatform=<p>
//
// plus &Sign=<hex>&RequestTime=<unix s> when a callback token is configured — and reads the
// answer, which is good only when it is HTTP 200 with exactly Tencent's OK packet. The
// scripts/sendcallback command and scripts/invoke (for the web function) use it, so a local
// run, a test and a check of a deployed URL send the same request.
package tencentcallback

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/roomhook/roomhook/pkg/callback"
)

// OKPacket is the only answer Tencent counts as a success (with HTTP 200).
const OKPacket = `{"ActionStatus":"OK","ErrorInfo":"","ErrorCode":0}`

// Defaults for what the sender cannot know: the bundled samples' app, a loopback client and a
// REST API call, and Tencent's 2-second wait.
const (
	DefaultSdkAppID    = "1400123456"
	DefaultClientIP    = "127.0.0.1"
	DefaultOptPlatform = "RESTAPI"
	DefaultTimeout     = 2 * time.Second
)

// maxAnswer bounds the answer read; Tencent's packet is a few dozen bytes.
const maxAnswer = 1 << 20

// Callback is one delivery to send.
type Callback struct {
	// Body is sent as it is, with Content-Type application/json.
	Body []byte
	// Command is the CallbackCommand of the query string; "" means the body's.
	Command string
	// SdkAppID, ClientIP and OptPlatform fill the query string; "" means the default.
	SdkAppID    string
	ClientIP    string
	OptPlatform string
	// Token is the callback token; "" sends the callback unsigned.
	Token string
	// Now is the RequestTime signed; the zero time means time.Now().
	Now time.Time
}

// BodyCommand returns the CallbackCommand of a callback body, which Tencent repeats in the
// query string.
func BodyCommand(body []byte) (string, error) {
	var doc struct {
		CallbackCommand *string
	}
	if err := json.Unmarshal(body, &doc); err != nil {
		return "", fmt.Errorf("the body is not a JSON object: %w", err)
	}
	if doc.CallbackCommand == nil || *doc.CallbackCommand == "" {
		return "", errors.New("the body has no CallbackCommand")
	}
	return *doc.CallbackCommand, nil
}

// Query returns Tencent's query string for c, parameters in Tencent's order.
func (c *Callback) Query() (string, error) {
	cmd := c.Command
	if cmd == "" {
		var err error
		if cmd, err = BodyCommand(c.Body); err != nil {
			return "", err
		}
	}
	pairs := [][2]string{
		{"SdkAppid", or(c.SdkAppID, DefaultSdkAppID)},
		{"CallbackCommand", cmd},
		{"contenttype", "json"},
		{"ClientIP", or(c.ClientIP, DefaultClientIP)},
		{"OptPlatform", or(c.OptPlatform, DefaultOptPlatform)},
	}
	if c.Token != "" {
		now := c.Now
		if now.IsZero() {
			now = time.Now()
		}
		rt := strconv.FormatInt(now.Unix(), 10)
		pairs = append(pairs, [2]string{"Sign", callback.Sign(c.Token, rt)}, [2]string{"RequestTime", rt})
	}
	var b strings.Builder
	for i, p := range pairs {
		if i > 0 {
			b.WriteByte('&')
		}
		b.WriteString(url.QueryEscape(p[0]) + "=" + url.QueryEscape(p[1]))
	}
	return b.String(), nil
}

// URL returns base, an http(s) URL, with Tencent's query string appended: after "?" when base
// has no query, after "&" when it has one (base's own parameters are kept, in front).
func (c *Callback) URL(base string) (string, error) {
	u, err := url.Parse(base)
	if err != nil {
		return "", fmt.Errorf("URL %q: %w", base, err)
	}
	if (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return "", fmt.Errorf("URL %q: want http://HOST/… or https://HOST/…", base)
	}
	q, err := c.Query()
	if err != nil {
		return "", err
	}
	if own := strings.TrimRight(u.RawQuery, "&"); own != "" {
		q = own + "&" + q
	}
	u.RawQuery, u.ForceQuery, u.Fragment, u.RawFragment = q, false, "", ""
	return u.String(), nil
}

// Answer is what the endpoint answered.
type Answer struct {
	StatusCode int
	Header     http.Header
	Body       []byte
}

// OK reports whether Tencent would count the answer as a success: HTTP 200 and exactly the OK
// packet.
func (a *Answer) OK() bool {
	return a.StatusCode == http.StatusOK && string(a.Body) == OKPacket
}

// MarshalJSON renders the answer as the other local invokes print theirs:
// {"statusCode":200,"headers":{"Content-Type":"application/json",…},"body":"…"}, a repeated
// header's values joined with ", ".
func (a *Answer) MarshalJSON() ([]byte, error) {
	headers := make(map[string]string, len(a.Header))
	for k, v := range a.Header {
		headers[k] = strings.Join(v, ", ")
	}
	return json.Marshal(struct {
		StatusCode int               `json:"statusCode"`
		Headers    map[string]string `json:"headers"`
		Body       string            `json:"body"`
	}{a.StatusCode, headers, string(a.Body)})
}

// NewClient returns the client Send uses by default: the given overall timeout, proxies from
// the environment (never for loopback), and redirects not followed — Tencent does not follow
// them, so a redirect is an answer, and not a good one.
func NewClient(timeout time.Duration) *http.Client {
	return &http.Client{
		Timeout: timeout,
		CheckRedirect: func(*http.Request, []*http.Request) error {
			return http.ErrUseLastResponse
		},
	}
}

// Send POSTs c to base (see URL) with client, or NewClient(DefaultTimeout) when client is nil.
// An error means there was no answer: a bad URL or body, a refused connection, a timeout.
func Send(ctx context.Context, client *http.Client, base string, c Callback) (*Answer, error) {
	target, err := c.URL(base)
	if err != nil {
		return nil, err
	}
	if client == nil {
		client = NewClient(DefaultTimeout)
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, target, bytes.NewReader(c.Body))
	if err != nil {
		return nil, err
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("User-Agent", "roomhook-sendcallback")
	resp, err := client.Do(req)
	if err != nil {
		// The error quotes the URL, and with it the Sign.
		return nil, errors.New(Redact(err.Error()))
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, maxAnswer))
	if err != nil {
		return nil, fmt.Errorf("read the answer: %s", Redact(err.Error()))
	}
	return &Answer{StatusCode: resp.StatusCode, Header: resp.Header.Clone(), Body: body}, nil
}

// signValue matches the value of a Sign parameter in a URL or a message quoting one.
var signValue = regexp.MustCompile(`([?&]Sign=)[^&\s"]*`)

// Redact returns s with every Sign value in it replaced by "…": a signature is valid for as
// long as Tencent's tolerance, so it is not printed.
func Redact(s string) string {
	return signValue.ReplaceAllString(s, "${1}…")
}

// FirstOf returns the first item of a comma-separated list, as roomhook reads
// ROOMHOOK_SDKAPPID and ROOMHOOK_CALLBACK_TOKEN: blanks trimmed, empty items skipped.
func FirstOf(list string) string {
	items := strings.Split(list, ",")
	i := slices.IndexFunc(items, func(s string) bool { return strings.TrimSpace(s) != "" })
	if i < 0 {
		return ""
	}
	return strings.TrimSpace(items[i])
}

func or(s, def string) string {
	if s == "" {
		return def
	}
	return s
}
