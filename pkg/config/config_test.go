package config

import (
	"log/slog"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"
)

func env(m map[string]string) func(string) string { return func(k string) string { return m[k] } }

func TestLoadDefaults(t *testing.T) {
	c, err := Load(env(map[string]string{EnvSdkAppID: "1400123456"}))
	if err != nil {
		t.Fatal(err)
	}
	want := Config{
		SdkAppIDs:     []int64{1400123456},
		SignTolerance: 60 * time.Second,
		StoreURL:      DefaultStoreURL(),
		StoreTimeout:  1500 * time.Millisecond,
		LogLevel:      slog.LevelInfo,
	}
	if !reflect.DeepEqual(c, want) {
		t.Fatalf("got %+v\nwant %+v", c, want)
	}
	if !strings.HasPrefix(c.StoreURL, "sqlite://") {
		t.Fatalf("default store %q", c.StoreURL)
	}
}

func TestLoadEverything(t *testing.T) {
	c, err := Load(env(map[string]string{
		EnvSdkAppID:           " 1400123456, 1400000001 ",
		EnvCallbackToken:      "new,old",
		EnvSignTolerance:      "2m",
		EnvStore:              "sqlite:///tmp/x.db",
		EnvStoreTimeout:       "800ms",
		EnvLogLevel:           "debug",
		EnvGiftOnStoreFailure: " allow ",
		EnvArchiveRetention:   "30d",
		"SCF_FUNCTIONNAME":    "roomhook",
	}))
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(c.SdkAppIDs, []int64{1400123456, 1400000001}) || !reflect.DeepEqual(c.Tokens, []string{"new", "old"}) ||
		c.SignTolerance != 2*time.Minute || c.StoreURL != "sqlite:///tmp/x.db" || c.StoreTimeout != 800*time.Millisecond ||
		c.LogLevel != slog.LevelDebug || c.Cloud != "scf" || !c.AllowGiftOnStoreFailure || c.ArchiveRetention != 30*24*time.Hour {
		t.Fatalf("%+v", c)
	}
	c, _ = Load(env(map[string]string{EnvSdkAppID: "1", "AWS_LAMBDA_FUNCTION_NAME": "f", EnvGiftOnStoreFailure: "refuse"}))
	if c.Cloud != "lambda" || c.AllowGiftOnStoreFailure {
		t.Fatalf("cloud = %q, allow gifts %v", c.Cloud, c.AllowGiftOnStoreFailure)
	}
}

func TestLoadErrors(t *testing.T) {
	tests := []struct {
		name string
		env  map[string]string
		want []string // substrings of the error
	}{
		{"sdkappid missing", map[string]string{}, []string{EnvSdkAppID, "required"}},
		{"sdkappid not a number", map[string]string{EnvSdkAppID: "abc"}, []string{EnvSdkAppID, `"abc"`}},
		{"sdkappid leading zero", map[string]string{EnvSdkAppID: "01400"}, []string{EnvSdkAppID}},
		{"sdkappid zero", map[string]string{EnvSdkAppID: "0"}, []string{EnvSdkAppID}},
		{"tolerance", map[string]string{EnvSdkAppID: "1", EnvSignTolerance: "60"}, []string{EnvSignTolerance}},
		{"tolerance below a second", map[string]string{EnvSdkAppID: "1", EnvSignTolerance: "500ms"}, []string{EnvSignTolerance}},
		{"tolerance with a fraction", map[string]string{EnvSdkAppID: "1", EnvSignTolerance: "1.5s"}, []string{EnvSignTolerance}},
		{"store timeout negative", map[string]string{EnvSdkAppID: "1", EnvStoreTimeout: "-1s"}, []string{EnvStoreTimeout}},
		{"log level", map[string]string{EnvSdkAppID: "1", EnvLogLevel: "loud"}, []string{EnvLogLevel}},
		{"gift answer", map[string]string{EnvSdkAppID: "1", EnvGiftOnStoreFailure: "Allow"}, []string{EnvGiftOnStoreFailure}},
		{"retention", map[string]string{EnvSdkAppID: "1", EnvArchiveRetention: "a month"}, []string{EnvArchiveRetention, "30d"}},
		{"retention too short", map[string]string{EnvSdkAppID: "1", EnvArchiveRetention: "23h"}, []string{EnvArchiveRetention, "shorter than 24h"}},
		{"all at once", map[string]string{EnvSignTolerance: "x", EnvLogLevel: "y"}, []string{EnvSdkAppID, EnvSignTolerance, EnvLogLevel}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Load(env(tt.env))
			if err == nil {
				t.Fatal("accepted")
			}
			for _, w := range tt.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q lacks %q", err, w)
				}
			}
		})
	}
}

func TestTokensNeverInErrors(t *testing.T) {
	_, err := Load(env(map[string]string{EnvCallbackToken: "s3cr3t-token", EnvSignTolerance: "bad"}))
	if err == nil || strings.Contains(err.Error(), "s3cr3t-token") {
		t.Fatalf("err = %v", err)
	}
}

func TestVariablesAreWhatLoadReads(t *testing.T) {
	read := map[string]bool{}
	_, _ = Load(func(k string) string {
		read[k] = true
		return ""
	})
	vars := Variables()
	for _, v := range vars {
		if !read[v] {
			t.Errorf("Variables lists %s, which Load does not read", v)
		}
	}
	for k := range read {
		if strings.HasPrefix(k, "ROOMHOOK_") && !slices.Contains(vars, k) {
			t.Errorf("Load reads %s, which Variables does not list", k)
		}
	}
}

func TestParseRetention(t *testing.T) {
	for in, want := range map[string]time.Duration{"24h": 24 * time.Hour, "720h": 720 * time.Hour, "1d": 24 * time.Hour,
		"90d": 90 * 24 * time.Hour, "36h30m": 36*time.Hour + 30*time.Minute} {
		if got, err := ParseRetention(in); err != nil || got != want {
			t.Errorf("ParseRetention(%q) = %v, %v; want %v", in, got, err, want)
		}
	}
	for _, in := range []string{"", "0", "0d", "12h", "-30d", "30 d", "1.5d", "d", "99999999d", "forever"} {
		if got, err := ParseRetention(in); err == nil {
			t.Errorf("ParseRetention(%q) = %v, want an error", in, got)
		}
	}
}
