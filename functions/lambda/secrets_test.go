package main

import (
	"context"
	"crypto/rand"
	"encoding/json"
	"errors"
	"fmt"
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
	"github.com/roomhook/roomhook/scripts/localinvoke"
)

// The secrets no line the function prints and no answer may hold.
const (
	runtimeSecretToken = "tok-S3cret-9b2e7d"
	runtimeSecretPW    = "s3cret-pw"
)

// TestSecretsUnderTheRuntime runs the built function under the Lambda Runtime Interface
// Emulator with Lambda's JSON log format (so the lines go through lambdacontext's handler),
// a token configured and a store URL holding a password: a cold start that fails, then a warm
// instance answering accepted and rejected requests and, with ROOMHOOK_TEST_POSTGRES, a store
// failure (the server taken away behind a proxy). Nothing the function prints, nothing the
// emulator reports and no answer may hold the token, a Sign value or the password; every
// callback line is one JSON object in Lambda's format with the invocation's requestId.
func TestSecretsUnderTheRuntime(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the function and the Runtime Interface Emulator; skipped with -short")
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	bin := t.TempDir()
	rie, err := localinvoke.BuildRIE(ctx, bin)
	if err != nil {
		t.Fatal(err)
	}
	bootstrap := filepath.Join(bin, "bootstrap")
	if err := localinvoke.BuildFunction(ctx, "./functions/lambda", bootstrap); err != nil {
		t.Fatal(err)
	}
	secrets := []string{runtimeSecretToken, runtimeSecretPW}
	check := func(t *testing.T, what, s string) {
		t.Helper()
		for _, secret := range secrets {
			if strings.Contains(s, secret) {
				t.Errorf("%s holds the secret %q:\n%s", what, secret, s)
			}
		}
	}
	env := func(app int64, store string) []string {
		return []string{"PATH=" + os.Getenv("PATH"), "HOME=" + os.Getenv("HOME"),
			"AWS_LAMBDA_LOG_FORMAT=JSON",
			"ROOMHOOK_SDKAPPID=" + strconv.FormatInt(app, 10),
			"ROOMHOOK_CALLBACK_TOKEN=" + runtimeSecretToken,
			"ROOMHOOK_STORE=" + store,
			"ROOMHOOK_STORE_TIMEOUT=1s",
			"ROOMHOOK_LOG_LEVEL=debug"}
	}
	files := loadGoldens(t)

	t.Run("cold start fails", func(t *testing.T) {
		out := &syncBuffer{}
		rt, err := localinvoke.StartLambda(ctx, rie, bootstrap, localinvoke.Options{
			Env: env(testAppID, "postgres://u:"+runtimeSecretPW+"@127.0.0.1:1/db"), Stderr: out})
		if err != nil {
			t.Fatal(err)
		}
		resp, err := rt.Invoke(ctx, files[0].payload)
		// The store fails to open on its own goroutine while the runtime hands over the event:
		// mostly the process exits first and the platform reports the exit, but this event (not
		// signed) needs no store to be refused, so its answer may come first. Never a 200.
		var fe *localinvoke.FunctionError
		switch {
		case err == nil:
			if status, serr := localinvoke.StatusCode(resp); serr != nil || status == 200 {
				t.Errorf("answered %s (%v) with a store that cannot be opened", resp, serr)
			}
			check(t, "the answer", string(resp))
		case !errors.As(err, &fe) || !fe.Exited:
			t.Errorf("got %v %s, want the function to refuse to start", err, resp)
		default:
			check(t, "the platform's error", err.Error())
		}
		// Either way the process stops, saying why, just before it exits.
		for deadline := time.Now().Add(5 * time.Second); !strings.Contains(out.String(), "ROOMHOOK_STORE") && time.Now().Before(deadline); {
			time.Sleep(10 * time.Millisecond)
		}
		rt.Close() // the emulator's output is complete after Close
		if !strings.Contains(out.String(), "ROOMHOOK_STORE") {
			t.Errorf("the output does not say ROOMHOOK_STORE is at fault:\n%s", out)
		}
		check(t, "the output", out.String())
	})

	t.Run("warm", func(t *testing.T) {
		n, _ := rand.Int(rand.Reader, big.NewInt(1<<40))
		app := 1<<45 + n.Int64()
		storeURL := "sqlite://" + filepath.Join(t.TempDir(), "secrets.db")
		var proxy *faultproxy.Proxy
		if pg := os.Getenv("ROOMHOOK_TEST_POSTGRES"); pg != "" {
			u, err := url.Parse(pg)
			if err != nil {
				t.Fatal(err)
			}
			if proxy, err = faultproxy.New(u.Host); err != nil {
				t.Fatal(err)
			}
			defer proxy.Close()
			// Trust authentication accepts any password.
			u.User, u.Host = url.UserPassword(u.User.Username(), runtimeSecretPW), proxy.Addr()
			storeURL = u.String()
		} else {
			t.Log("ROOMHOOK_TEST_POSTGRES not set: the warm instance uses SQLite (no password in its URL) and no store failure; set it to e.g. postgres://postgres@127.0.0.1:5432/test?sslmode=disable")
		}
		out := &syncBuffer{}
		rt, err := localinvoke.StartLambda(ctx, rie, bootstrap, localinvoke.Options{Env: env(app, storeURL), Stderr: out})
		if err != nil {
			t.Fatal(err)
		}
		defer rt.Close()

		now := time.Now()
		sign := callback.Sign(runtimeSecretToken, strconv.FormatInt(now.Unix(), 10))
		secrets = append(secrets, sign)
		appPairs := func(ps []pair) []pair {
			for i := range ps {
				if ps[i].name == "SdkAppid" {
					ps[i].value = strconv.FormatInt(app, 10)
				}
			}
			return ps
		}
		type invocation struct {
			name   string
			golden int
			edit   func(m mutable)
			status int
		}
		invs := []invocation{
			{"stored", 0, func(m mutable) { m.setBody(withRoom("secret-a", 1)) }, 200},
			{"duplicate", 1, func(m mutable) { m.setBody(withRoom("secret-a", 1)) }, 200},
			{"unsigned", 2, func(m mutable) { m.setQuery(appPairs(seedPairs())); m.setBody(withRoom("secret-b", 2)) }, 401},
			{"Sign of another token", 3, func(m mutable) {
				m.setQuery(appPairs(signedPairsAt("other-token", now)))
				m.setBody(withRoom("secret-b", 2))
			}, 401},
			{"GET", 4, func(m mutable) { m.setMethod("GET") }, 405},
			{"unknown app", 5, func(m mutable) { m.setQuery(signedPairsAt(runtimeSecretToken, now)) }, 403},
			{"body not JSON", 6, func(m mutable) { m.setBody([]byte("RoomId=x")) }, 400},
		}
		if proxy != nil {
			invs = append(invs, invocation{"store failure", 0, func(m mutable) { m.setBody(withRoom("secret-c", 3)) }, 503})
		}
		var answers []string
		for _, inv := range invs {
			if inv.status == 503 {
				if err := proxy.Set(faultproxy.Refuse()); err != nil {
					t.Fatal(err)
				}
			}
			m := parseMutable(t, files[inv.golden%len(files)].payload)
			m.setQuery(appPairs(signedPairsAt(runtimeSecretToken, now)))
			inv.edit(m)
			resp, err := rt.Invoke(ctx, m.bytes(t))
			if err != nil {
				t.Fatalf("%s: %v", inv.name, err)
			}
			if status, err := localinvoke.StatusCode(resp); err != nil || status != inv.status {
				t.Errorf("%s: status %d (%v), want %d: %s", inv.name, status, err, inv.status, resp)
			}
			answers = append(answers, string(resp))
		}
		if err := rt.Close(); err != nil {
			t.Errorf("close: %v", err)
		}

		logs := out.String()
		check(t, "the output", logs)
		check(t, "the answers", strings.Join(answers, "\n"))
		// One callback line per invocation, in Lambda's JSON format, with its requestId.
		lines, stored, failed := 0, 0, 0
		for _, line := range strings.Split(logs, "\n") {
			var l struct {
				Message   string `json:"message"`
				Timestamp string `json:"timestamp"`
				Level     string `json:"level"`
				RequestID string `json:"request_id"`
				LambdaID  string `json:"requestId"`
				Outcome   string `json:"outcome"`
				RawBody   string `json:"raw_body"`
			}
			if json.Unmarshal([]byte(line), &l) != nil || l.Message != "callback" {
				continue
			}
			lines++
			if l.Timestamp == "" || l.Level == "" || l.RequestID == "" || l.LambdaID != l.RequestID {
				t.Errorf("callback line not in Lambda's JSON format with the invocation's requestId: %s", line)
			}
			switch l.Outcome {
			case "stored":
				stored++
			case "rejected:store":
				failed++
				if !strings.Contains(l.RawBody, "secret-c") {
					t.Errorf("the store failure line lacks the raw event: %s", line)
				}
			}
		}
		if lines != len(invs) || stored != 1 || (proxy != nil) != (failed == 1) {
			t.Errorf("%d callback lines (%d stored, %d store failures) for %d invocations:\n%s", lines, stored, failed, len(invs), logs)
		}
		t.Logf("%d invocations, %d callback lines; %s", len(invs), lines, fmt.Sprint("store ", strings.SplitN(storeURL, ":", 2)[0]))
	})
}
