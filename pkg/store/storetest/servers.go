package storetest

import (
	"crypto/rand"
	"math/big"
	"os"
	"path/filepath"
	"testing"
)

// StoreURLs returns the stores a tool's end-to-end test runs on, by backend name: a new SQLite
// file in the test's temporary directory, and each server whose variable is set
// (ROOMHOOK_TEST_POSTGRES, ROOMHOOK_TEST_MYSQL, ROOMHOOK_TEST_DYNAMODB; .ci/run sets them all),
// logging the ones left out. The DynamoDB-compatible server takes any credentials: dummies are
// set when the environment has none.
func StoreURLs(t *testing.T) map[string]string {
	t.Helper()
	out := map[string]string{"sqlite": "sqlite://" + filepath.Join(t.TempDir(), "store.db")}
	for name, env := range map[string]string{"postgres": "ROOMHOOK_TEST_POSTGRES", "mysql": "ROOMHOOK_TEST_MYSQL",
		"dynamodb": "ROOMHOOK_TEST_DYNAMODB"} {
		if u := os.Getenv(env); u != "" {
			out[name] = u
		} else {
			t.Logf("%s not set: the %s backend is left out", env, name)
		}
	}
	if os.Getenv("AWS_ACCESS_KEY_ID") == "" {
		t.Setenv("AWS_ACCESS_KEY_ID", "storetest")
		t.Setenv("AWS_SECRET_ACCESS_KEY", "storetest")
	}
	return out
}

// FreshApp returns an SDKAppID no other test run uses, so that tests sharing a server's store
// need no cleaning: a random one above 2^41, far from real SDKAppIDs.
func FreshApp(t *testing.T) int64 {
	t.Helper()
	n, err := rand.Int(rand.Reader, big.NewInt(1<<40))
	if err != nil {
		t.Fatal(err)
	}
	return 1<<41 + n.Int64()
}
