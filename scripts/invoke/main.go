// Command invoke runs a built roomhook function under its platform's real
// invocation protocol on loopback (see package scripts/localinvoke), sends it
// event files in order and prints each platform response JSON on its own
// line on stdout. The function's logs, and the emulator's, go to stderr.
//
//	go run ./scripts/invoke -platform lambda|scf|web [-build] [-bin PATH] [-rie PATH] [-env KEY=VALUE]... EVENT_FILE...
//
// For the web function (an HTTP server, functions/web) an EVENT_FILE is the
// raw callback body: invoke starts the server on 127.0.0.1 and a free port
// and POSTs each body the way Tencent does (package scripts/tencentcallback:
// Tencent's query string, signed when ROOMHOOK_CALLBACK_TOKEN is set), then
// prints the answer as {"statusCode":…,"headers":{…},"body":"…"} and stops
// the server with SIGTERM, which must shut it down cleanly.
//
// The function runs once and serves every event warm. Its environment is
// PATH, HOME and TMPDIR and every ROOMHOOK_* and AWS_* variable of this
// command's environment, plus the -env entries; nothing else.
//
// Exit status: 0 when every response has statusCode 200 or is the answer of
// a scheduled invocation (a Lambda scheduled event or an SCF timer event,
// which run the archive purge and answer {"archive_purge": {…}}: a purge
// that fails is a function error); 1 when a response has another status,
// when an invocation fails (a function error, a crash) or when the function
// refuses to start; 2 for usage and tooling errors (a missing file, a failed
// build, an event that is not JSON). Messages go to stderr.
package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"path/filepath"
	"slices"
	"strings"
	"syscall"
	"time"

	"github.com/roomhook/roomhook/pkg/config"
	"github.com/roomhook/roomhook/scripts/localinvoke"
	"github.com/roomhook/roomhook/scripts/tencentcallback"
)

const (
	exitOK      = 0
	exitFailed  = 1
	exitTooling = 2
)

// webTimeout is how long invoke waits for the web function's answer: a local
// run includes a cold store, so more than Tencent's 2 s.
const webTimeout = 10 * time.Second

// passedThrough are the caller's variables the function gets besides
// ROOMHOOK_*.
var passedThrough = []string{"PATH", "HOME", "TMPDIR"}

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := run(ctx, os.Args[1:], os.Environ(), os.Stdout, os.Stderr)
	stop()
	os.Exit(code)
}

// envList is a repeatable -env KEY=VALUE flag.
type envList []string

func (e *envList) String() string { return strings.Join(*e, " ") }

func (e *envList) Set(v string) error {
	if k, _, ok := strings.Cut(v, "="); !ok || k == "" {
		return fmt.Errorf("want KEY=VALUE, got %q", v)
	}
	*e = append(*e, v)
	return nil
}

func run(ctx context.Context, args, environ []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("invoke", flag.ContinueOnError)
	fs.SetOutput(stderr)
	platform := fs.String("platform", "", "lambda, scf or web")
	bin := fs.String("bin", "", "the function binary (with -build: where to write it; default a temporary directory)")
	rie := fs.String("rie", "", "lambda: the aws-lambda-rie binary (default: build the version go.mod pins, next to -bin with -build)")
	build := fs.Bool("build", false, "build ./functions/<platform> into -bin first")
	var extraEnv envList
	fs.Var(&extraEnv, "env", "KEY=VALUE to add to the function's environment (repeatable)")
	fs.Usage = func() {
		fmt.Fprintln(stderr, "usage: invoke -platform lambda|scf|web [-build] [-bin PATH] [-rie PATH] [-env KEY=VALUE]... EVENT_FILE...")
		fs.PrintDefaults()
	}
	if err := fs.Parse(args); err != nil {
		return exitTooling
	}
	usage := func(msg string) int {
		fmt.Fprintln(stderr, "invoke: "+msg)
		fs.Usage()
		return exitTooling
	}
	switch {
	case *platform != "lambda" && *platform != "scf" && *platform != "web":
		return usage("-platform must be lambda, scf or web")
	case fs.NArg() == 0:
		return usage("no EVENT_FILE given")
	case *bin == "" && !*build:
		return usage("-bin is required without -build")
	case *rie != "" && *platform != "lambda":
		return usage("-rie is for -platform lambda only")
	}

	// Read every event before starting anything.
	files := fs.Args()
	events := make([][]byte, len(files))
	for i, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			fmt.Fprintf(stderr, "invoke: %v\n", err)
			return exitTooling
		}
		if !json.Valid(b) {
			fmt.Fprintf(stderr, "invoke: %s is not JSON\n", f)
			return exitTooling
		}
		events[i] = b
	}

	tmp, err := os.MkdirTemp("", "roomhook-invoke-")
	if err != nil {
		fmt.Fprintf(stderr, "invoke: %v\n", err)
		return exitTooling
	}
	defer os.RemoveAll(tmp)

	binPath, riePath := *bin, *rie
	if *build {
		if binPath == "" {
			name := map[string]string{"lambda": "bootstrap", "scf": "main", "web": "main"}[*platform]
			binPath = filepath.Join(tmp, name)
		}
		fmt.Fprintf(stderr, "invoke: building ./functions/%s into %s\n", *platform, binPath)
		if err := localinvoke.BuildFunction(ctx, "./functions/"+*platform, binPath); err != nil {
			fmt.Fprintf(stderr, "invoke: %v\n", err)
			return exitTooling
		}
	}
	if *platform == "lambda" && riePath == "" {
		dir := tmp
		if *build {
			dir = filepath.Dir(binPath)
		}
		fmt.Fprintf(stderr, "invoke: building %s into %s\n", localinvoke.RIEPackage, dir)
		if riePath, err = localinvoke.BuildRIE(ctx, dir); err != nil {
			fmt.Fprintf(stderr, "invoke: %v\n", err)
			return exitTooling
		}
	}

	opts := localinvoke.Options{Env: functionEnv(environ, extraEnv), Stderr: stderr}
	if *platform == "web" {
		return runWeb(ctx, binPath, opts, environ, files, events, stdout, stderr)
	}
	var rt localinvoke.Runtime
	if *platform == "lambda" {
		rt, err = localinvoke.StartLambda(ctx, riePath, binPath, opts)
	} else {
		rt, err = localinvoke.StartSCF(ctx, binPath, opts)
	}
	if err != nil {
		fmt.Fprintf(stderr, "invoke: %v\n", err)
		if errors.Is(err, localinvoke.ErrExited) {
			return exitFailed // the function refused to start
		}
		return exitTooling
	}

	code := exitOK
	for i, event := range events {
		resp, err := rt.Invoke(ctx, event)
		if ctx.Err() != nil {
			fmt.Fprintf(stderr, "invoke: %s: %v\n", files[i], ctx.Err())
			code = exitTooling
			break
		}
		if err != nil {
			fmt.Fprintf(stderr, "invoke: %s: %v\n", files[i], err)
			if code == exitOK {
				code = exitFailed
			}
			continue
		}
		var line bytes.Buffer
		if err := json.Compact(&line, resp); err != nil {
			fmt.Fprintf(stderr, "invoke: %s: response is not JSON: %v\n", files[i], err)
			code = exitTooling
			continue
		}
		line.WriteByte('\n')
		if _, err := stdout.Write(line.Bytes()); err != nil {
			fmt.Fprintf(stderr, "invoke: write response: %v\n", err)
			code = exitTooling
		}
		if problem := judge(resp); problem != "" {
			fmt.Fprintf(stderr, "invoke: %s: %s\n", files[i], problem)
			if code == exitOK {
				code = exitFailed
			}
		}
	}
	if err := rt.Close(); err != nil {
		fmt.Fprintf(stderr, "invoke: %v\n", err)
		code = exitTooling
	}
	return code
}

// judge says what is wrong with a response ("" when nothing is): an HTTP response (a callback's
// answer) must have status 200. The answer of a scheduled invocation, the archive purge's
// {"archive_purge": {…}} (coldstart.PurgeAnswer), has no status: it is a success as it is,
// complete or cut short by the deadline, since a purge that fails is a function error instead,
// which run counts as a failure before it gets here.
func judge(resp []byte) string {
	var r struct {
		StatusCode   json.RawMessage `json:"statusCode"`
		ArchivePurge json.RawMessage `json:"archive_purge"`
	}
	if json.Unmarshal(resp, &r) == nil && r.StatusCode == nil && bytes.HasPrefix(r.ArchivePurge, []byte("{")) {
		return ""
	}
	status, err := localinvoke.StatusCode(resp)
	switch {
	case err != nil:
		return err.Error()
	case status != 200:
		return fmt.Sprintf("status %d", status)
	}
	return ""
}

// functionEnv is the function's environment: PATH, HOME, TMPDIR and every
// ROOMHOOK_* and AWS_* variable of environ, then extra. The AWS_ ones carry
// credentials, region and profile for a dynamodb:// store, as a Lambda role
// would on AWS.
func functionEnv(environ, extra []string) []string {
	var env []string
	for _, kv := range environ {
		k, _, ok := strings.Cut(kv, "=")
		if !ok {
			continue
		}
		if strings.HasPrefix(k, "ROOMHOOK_") || strings.HasPrefix(k, "AWS_") || slices.Contains(passedThrough, k) {
			env = append(env, kv)
		}
	}
	return append(env, extra...)
}

// runWeb starts the web function on loopback, sends each body as Tencent
// would and prints each answer; the exit status is run's.
func runWeb(ctx context.Context, binPath string, opts localinvoke.Options, environ, files []string, bodies [][]byte, stdout, stderr io.Writer) int {
	srv, err := localinvoke.StartWeb(ctx, binPath, opts)
	if err != nil {
		fmt.Fprintf(stderr, "invoke: %v\n", err)
		if errors.Is(err, localinvoke.ErrExited) {
			return exitFailed // the function refused to start
		}
		return exitTooling
	}
	fmt.Fprintf(stderr, "invoke: web function listening at %s\n", srv.URL())
	getenv := func(key string) string {
		v := ""
		for _, kv := range append(environ, opts.Env...) {
			if k, val, ok := strings.Cut(kv, "="); ok && k == key {
				v = val
			}
		}
		return v
	}
	code := exitOK
	for i, body := range bodies {
		cb := tencentcallback.Callback{
			Body:     body,
			SdkAppID: tencentcallback.FirstOf(getenv(config.EnvSdkAppID)),
			Token:    tencentcallback.FirstOf(getenv(config.EnvCallbackToken)),
		}
		ans, err := tencentcallback.Send(ctx, tencentcallback.NewClient(webTimeout), srv.URL(), cb)
		if ctx.Err() != nil {
			fmt.Fprintf(stderr, "invoke: %s: %v\n", files[i], ctx.Err())
			code = exitTooling
			break
		}
		if err != nil {
			fmt.Fprintf(stderr, "invoke: %s: %v\n", files[i], err)
			if code == exitOK {
				code = exitFailed
			}
			continue
		}
		line, err := json.Marshal(ans)
		if err != nil {
			fmt.Fprintf(stderr, "invoke: %s: %v\n", files[i], err)
			code = exitTooling
			continue
		}
		if _, err := fmt.Fprintf(stdout, "%s\n", line); err != nil {
			fmt.Fprintf(stderr, "invoke: write response: %v\n", err)
			code = exitTooling
		}
		if ans.StatusCode != 200 {
			fmt.Fprintf(stderr, "invoke: %s: status %d\n", files[i], ans.StatusCode)
			if code == exitOK {
				code = exitFailed
			}
		}
	}
	if err := srv.Close(); err != nil {
		fmt.Fprintf(stderr, "invoke: %v\n", err)
		code = exitTooling
	}
	return code
}
