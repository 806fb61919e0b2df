// Command sendcallback sends one Tencent Cloud Room callback to a URL exactly as Tencent's
// servers do (package scripts/tencentcallback) and says whether the answer is the one Tencent
// counts as a success. Use it to check a local server or a deployed function before pointing
// Tencent's console at it. scripts/send-callback.sh builds and runs it.
//
//	sendcallback [flags] URL [BODY_FILE]
//
// The body (BODY_FILE, "-" for standard input, default the -default-body file) is POSTed as it
// is, with Content-Type application/json, to URL with Tencent's query string appended:
// SdkAppid, CallbackCommand (the body's), contenttype=json, ClientIP and OptPlatform, and —
// when ROOMHOOK_CALLBACK_TOKEN is set (its first token, as during a rotation) — Sign and
// RequestTime (now). SdkAppid is the first of ROOMHOOK_SDKAPPID, or 1400123456, the samples'
// app. The token is read from the environment only and never printed, nor is the Sign.
//
// Stdout gets the answer: its status line and body, or with -json one line
// {"statusCode":…,"headers":{…},"body":"…"}. Stderr gets what was sent.
//
// Exit status: 0 when the answer is HTTP 200 with exactly
// {"ActionStatus":"OK","ErrorInfo":"","ErrorCode":0}; 1 for any other answer, or none (refused,
// timed out after -timeout, 2 s by default like Tencent); 2 for usage errors (a bad URL, a body
// that cannot be read or has no CallbackCommand).
package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/signal"
	"syscall"
	"time"

	"github.com/roomhook/roomhook/pkg/config"
	"github.com/roomhook/roomhook/scripts/tencentcallback"
)

const (
	exitOK     = 0
	exitFailed = 1
	exitUsage  = 2
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := run(ctx, os.Args[1:], os.Getenv, os.Stdin, os.Stdout, os.Stderr)
	stop()
	os.Exit(code)
}

func run(ctx context.Context, args []string, getenv func(string) string, stdin io.Reader, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("sendcallback", flag.ContinueOnError)
	fs.SetOutput(stderr)
	sdkAppID := fs.String("sdkappid", "", "SdkAppid to send (default: the first of $"+config.EnvSdkAppID+", else "+tencentcallback.DefaultSdkAppID+")")
	clientIP := fs.String("client-ip", tencentcallback.DefaultClientIP, "ClientIP to send")
	optPlatform := fs.String("opt-platform", tencentcallback.DefaultOptPlatform, "OptPlatform to send")
	command := fs.String("command", "", "CallbackCommand to send (default: the body's)")
	timeout := fs.Duration("timeout", tencentcallback.DefaultTimeout, "how long to wait for the answer (Tencent waits 2s)")
	asJSON := fs.Bool("json", false, `print the answer as one JSON line {"statusCode":…,"headers":{…},"body":"…"}`)
	defaultBody := fs.String("default-body", "", "the body file sent when BODY_FILE is not given")
	fs.Usage = func() {
		fmt.Fprintln(stderr, "usage: sendcallback [flags] URL [BODY_FILE]")
		fmt.Fprintln(stderr, "Signs the callback when "+config.EnvCallbackToken+" is set (its first token).")
		fs.PrintDefaults()
	}
	if err := fs.Parse(args); err != nil {
		return exitUsage
	}
	usage := func(msg string) int {
		fmt.Fprintln(stderr, "sendcallback: "+msg)
		fs.Usage()
		return exitUsage
	}
	if fs.NArg() < 1 || fs.NArg() > 2 {
		return usage("want URL and at most one BODY_FILE")
	}
	if *timeout <= 0 {
		return usage("-timeout must be positive")
	}
	target, bodyFile := fs.Arg(0), fs.Arg(1)
	if bodyFile == "" {
		bodyFile = *defaultBody
	}
	if bodyFile == "" {
		return usage("no BODY_FILE given")
	}
	body, err := readBody(bodyFile, stdin)
	if err != nil {
		fmt.Fprintf(stderr, "sendcallback: %v\n", err)
		return exitUsage
	}

	cb := tencentcallback.Callback{
		Body:        body,
		Command:     *command,
		SdkAppID:    *sdkAppID,
		ClientIP:    *clientIP,
		OptPlatform: *optPlatform,
		Token:       tencentcallback.FirstOf(getenv(config.EnvCallbackToken)),
	}
	if cb.SdkAppID == "" {
		cb.SdkAppID = tencentcallback.FirstOf(getenv(config.EnvSdkAppID))
	}
	full, err := cb.URL(target)
	if err != nil {
		fmt.Fprintf(stderr, "sendcallback: %v\n", err)
		return exitUsage
	}
	signed := "unsigned (" + config.EnvCallbackToken + " is not set)"
	if cb.Token != "" {
		signed = "signed with the first token of " + config.EnvCallbackToken
	}
	fmt.Fprintf(stderr, "sendcallback: POST %s (%d bytes, %s)\n", tencentcallback.Redact(full), len(body), signed)

	began := time.Now()
	ans, err := tencentcallback.Send(ctx, tencentcallback.NewClient(*timeout), target, cb)
	if err != nil {
		fmt.Fprintf(stderr, "sendcallback: no answer: %v\n", err)
		return exitFailed
	}
	elapsed := time.Since(began).Round(time.Millisecond)
	if *asJSON {
		line, err := json.Marshal(ans)
		if err != nil {
			fmt.Fprintf(stderr, "sendcallback: %v\n", err)
			return exitFailed
		}
		fmt.Fprintf(stdout, "%s\n", line)
	} else {
		fmt.Fprintf(stdout, "%d %s\n%s\n", ans.StatusCode, http.StatusText(ans.StatusCode), ans.Body)
	}
	if !ans.OK() {
		fmt.Fprintf(stderr, "sendcallback: not the answer Tencent counts as a success (HTTP 200 with %s), after %s\n",
			tencentcallback.OKPacket, elapsed)
		return exitFailed
	}
	fmt.Fprintf(stderr, "sendcallback: OK after %s\n", elapsed)
	return exitOK
}

// readBody reads the body file, or standard input for "-".
func readBody(name string, stdin io.Reader) ([]byte, error) {
	if name == "-" {
		return io.ReadAll(stdin)
	}
	return os.ReadFile(name)
}
