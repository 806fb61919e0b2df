package dynamodb

import (
	"encoding/pem"
	"errors"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// env is a getenv over a map, so that these tests need not touch the process environment.
type env map[string]string

func (e env) get(k string) string { return e[k] }

var staticCreds = env{"AWS_ACCESS_KEY_ID": testAccessKeyID, "AWS_SECRET_ACCESS_KEY": testSecretKey}

func with(base env, kv ...string) env {
	e := env{}
	for k, v := range base {
		e[k] = v
	}
	for i := 0; i+1 < len(kv); i += 2 {
		e[kv[i]] = kv[i+1]
	}
	return e
}

func TestSettingsRegionAndEndpoint(t *testing.T) {
	tests := []struct {
		name         string
		loc          location
		env          env
		wantRegion   string
		wantEndpoint string
	}{
		{"nothing", location{}, staticCreds, "", ""},
		{"URL region wins", location{region: "eu-west-1"}, with(staticCreds, "AWS_REGION", "us-east-1", "AWS_DEFAULT_REGION", "ap-south-1"), "eu-west-1", ""},
		{"AWS_REGION before AWS_DEFAULT_REGION", location{}, with(staticCreds, "AWS_REGION", "us-east-1", "AWS_DEFAULT_REGION", "ap-south-1"), "us-east-1", ""},
		{"AWS_DEFAULT_REGION", location{}, with(staticCreds, "AWS_DEFAULT_REGION", "ap-south-1"), "ap-south-1", ""},
		{"URL endpoint wins", location{endpoint: "http://127.0.0.1:1"},
			with(staticCreds, "AWS_ENDPOINT_URL_DYNAMODB", "http://a", "AWS_ENDPOINT_URL", "http://b"), "", "http://127.0.0.1:1"},
		{"service endpoint before global", location{},
			with(staticCreds, "AWS_ENDPOINT_URL_DYNAMODB", "http://a", "AWS_ENDPOINT_URL", "http://b"), "", "http://a"},
		{"global endpoint", location{}, with(staticCreds, "AWS_ENDPOINT_URL", "http://b"), "", "http://b"},
		{"configured endpoints ignored", location{},
			with(staticCreds, "AWS_ENDPOINT_URL", "http://b", "AWS_IGNORE_CONFIGURED_ENDPOINT_URLS", "TRUE"), "", ""},
		{"ignore flag leaves the URL's endpoint", location{endpoint: "http://c"},
			with(staticCreds, "AWS_IGNORE_CONFIGURED_ENDPOINT_URLS", "true"), "", "http://c"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s, err := loadSettings(tt.loc, tt.env.get)
			if err != nil {
				t.Fatal(err)
			}
			if s.region != tt.wantRegion || s.endpoint != tt.wantEndpoint {
				t.Errorf("region, endpoint = %q, %q; want %q, %q", s.region, s.endpoint, tt.wantRegion, tt.wantEndpoint)
			}
		})
	}
}

func TestSettingsStaticCredentials(t *testing.T) {
	s, err := loadSettings(location{}, with(staticCreds, "AWS_SESSION_TOKEN", testSessionToken).get)
	if err != nil {
		t.Fatal(err)
	}
	c, err := s.credentials.Retrieve(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	if c.AccessKeyID != testAccessKeyID || c.SecretAccessKey != testSecretKey || c.SessionToken != testSessionToken {
		t.Errorf("credentials = %+v, want the environment's", c)
	}
}

func TestSettingsRefused(t *testing.T) {
	tests := []struct {
		name string
		env  env
		want string
	}{
		{"no credentials at all", env{"AWS_REGION": "us-east-1"}, "no AWS credentials"},
		{"key id without secret", env{"AWS_ACCESS_KEY_ID": testAccessKeyID}, "AWS_SECRET_ACCESS_KEY is not"},
		{"secret without key id", env{"AWS_SECRET_ACCESS_KEY": testSecretKey, "AWS_SESSION_TOKEN": testSessionToken}, "AWS_ACCESS_KEY_ID is not"},
		{"container endpoint in clear text across a network",
			env{"AWS_CONTAINER_CREDENTIALS_FULL_URI": "http://203.0.113.9/creds", "AWS_CONTAINER_AUTHORIZATION_TOKEN": testSessionToken}, "use https"},
		{"container endpoint not http", env{"AWS_CONTAINER_CREDENTIALS_FULL_URI": "file:///etc/passwd"}, "scheme must be http or https"},
		{"container endpoint not a URL", env{"AWS_CONTAINER_CREDENTIALS_FULL_URI": "http:///creds"}, "is not a URL"},
		{"CA bundle missing", with(staticCreds, "AWS_CA_BUNDLE", "/nonexistent/ca.pem"), "AWS_CA_BUNDLE"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := loadSettings(location{}, tt.env.get)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("err = %v, want one containing %q", err, tt.want)
			}
			for _, secret := range []string{testSecretKey, testSessionToken, testAccessKeyID} {
				if strings.Contains(err.Error(), secret) {
					t.Errorf("err = %q names a secret", err)
				}
			}
		})
	}
}

// A container credentials endpoint on loopback (as Lambda Managed Instances and EKS Pod
// Identity serve one): the token comes from the file, re-read at every refresh, or from the
// variable, and the credentials from the endpoint.
func TestSettingsContainerCredentials(t *testing.T) {
	var gotAuth []string
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		gotAuth = append(gotAuth, r.Header.Get("Authorization"))
		w.Header().Set("Content-Type", "application/json")
		exp := time.Now().Add(time.Hour).UTC().Format(time.RFC3339)
		_, _ = w.Write([]byte(`{"AccessKeyId":"` + testAccessKeyID + `","SecretAccessKey":"` + testSecretKey +
			`","Token":"` + testSessionToken + `","Expiration":"` + exp + `"}`))
	}))
	defer srv.Close()
	tokenFile := filepath.Join(t.TempDir(), "token")
	if err := os.WriteFile(tokenFile, []byte("from-file\n"), 0o600); err != nil {
		t.Fatal(err)
	}

	for _, tc := range []struct {
		name     string
		env      env
		wantAuth string
	}{
		{"token file", env{"AWS_CONTAINER_CREDENTIALS_FULL_URI": srv.URL + "/creds",
			"AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE": tokenFile, "AWS_CONTAINER_AUTHORIZATION_TOKEN": "ignored"}, "from-file"},
		{"token variable", env{"AWS_CONTAINER_CREDENTIALS_FULL_URI": srv.URL + "/creds",
			"AWS_CONTAINER_AUTHORIZATION_TOKEN": "from-variable"}, "from-variable"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			gotAuth = nil
			s, err := loadSettings(location{}, tc.env.get)
			if err != nil {
				t.Fatal(err)
			}
			c, err := s.credentials.Retrieve(t.Context())
			if err != nil {
				t.Fatal(err)
			}
			if c.AccessKeyID != testAccessKeyID || c.SecretAccessKey != testSecretKey || c.SessionToken != testSessionToken || !c.CanExpire {
				t.Errorf("credentials = %+v, want the endpoint's, expiring", c)
			}
			if len(gotAuth) != 1 || gotAuth[0] != tc.wantAuth {
				t.Errorf("Authorization headers = %q, want [%q]", gotAuth, tc.wantAuth)
			}
			// Cached: a second Retrieve does not ask again before expiry.
			if _, err := s.credentials.Retrieve(t.Context()); err != nil || len(gotAuth) != 1 {
				t.Errorf("second Retrieve: err %v, %d requests; want cached", err, len(gotAuth))
			}
		})
	}
}

// The relative URI (the ECS agent's address plus a path) comes before the full one, as in the
// SDK.
func TestSettingsRelativeURIFirst(t *testing.T) {
	var got []string
	serve := func(name string) *httptest.Server {
		return httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			got = append(got, name+" "+r.URL.Path)
			_, _ = w.Write([]byte(`{"AccessKeyId":"a","SecretAccessKey":"s","Token":"t","Expiration":"` +
				time.Now().Add(time.Hour).UTC().Format(time.RFC3339) + `"}`))
		}))
	}
	agent, full := serve("agent"), serve("full")
	defer agent.Close()
	defer full.Close()
	old := containerCredentialsHost
	containerCredentialsHost = agent.URL // the test's stand-in for http://169.254.170.2
	defer func() { containerCredentialsHost = old }()

	s, err := loadSettings(location{}, env{"AWS_CONTAINER_CREDENTIALS_RELATIVE_URI": "/v2/credentials/x",
		"AWS_CONTAINER_CREDENTIALS_FULL_URI": full.URL + "/full"}.get)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.credentials.Retrieve(t.Context()); err != nil {
		t.Fatal(err)
	}
	if len(got) != 1 || got[0] != "agent /v2/credentials/x" {
		t.Errorf("requests %q, want one to the agent's relative URI", got)
	}
}

// Credentials close to expiry are fetched again rather than used until the last second.
func TestSettingsContainerCredentialsRefreshEarly(t *testing.T) {
	calls := 0
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		calls++
		_, _ = w.Write([]byte(`{"AccessKeyId":"a","SecretAccessKey":"s","Token":"t","Expiration":"` +
			time.Now().Add(3*time.Minute).UTC().Format(time.RFC3339) + `"}`))
	}))
	defer srv.Close()
	s, err := loadSettings(location{}, env{"AWS_CONTAINER_CREDENTIALS_FULL_URI": srv.URL}.get)
	if err != nil {
		t.Fatal(err)
	}
	for range 2 {
		if _, err := s.credentials.Retrieve(t.Context()); err != nil {
			t.Fatal(err)
		}
	}
	if calls != 2 {
		t.Errorf("%d requests for credentials expiring in 3 minutes, want 2 (inside the 5-minute refresh window)", calls)
	}
}

func TestCheckCredentialsEndpoint(t *testing.T) {
	old := lookupIP
	defer func() { lookupIP = old }()
	lookupIP = func(host string) ([]net.IP, error) {
		switch host {
		case "localhost", "ip6-localhost":
			return []net.IP{net.ParseIP("127.0.0.1"), net.ParseIP("::1")}, nil
		case "agent.internal":
			return []net.IP{net.ParseIP("169.254.170.23")}, nil
		case "mixed.example":
			return []net.IP{net.ParseIP("127.0.0.1"), net.ParseIP("203.0.113.9")}, nil
		case "public.example":
			return []net.IP{net.ParseIP("203.0.113.9")}, nil
		}
		return nil, errors.New("no such host")
	}
	for _, tc := range []struct {
		endpoint string
		ok       bool
	}{
		{"https://creds.example.com/x", true},
		{"http://127.0.0.1:9911/x", true},
		{"http://127.9.9.9/x", true},
		{"http://[::1]:8080/x", true},
		{"http://169.254.170.2/v2/credentials/x", true},
		{"http://169.254.170.23/v1/credentials", true},
		{"http://[fd00:ec2::23]/v1/credentials", true},
		{"http://[FD00:EC2::23]/v1/credentials", true},
		{"http://[fd00:ec2:0:0:0:0:0:23]/v1/credentials", true},
		{"http://[::ffff:169.254.170.2]/x", true},
		{"http://localhost:9911/x", true},
		{"http://ip6-localhost/x", true},
		{"http://agent.internal/x", true},
		{"http://203.0.113.9/x", false},
		{"http://169.254.169.254/latest", false},
		{"http://mixed.example/x", false},
		{"http://public.example/x", false},
		{"http://unknown.example/x", false},
		{"http://169.254.170.2@evil.example/x", false},
		{"ftp://127.0.0.1/x", false},
	} {
		err := checkCredentialsEndpoint(tc.endpoint)
		if (err == nil) != tc.ok {
			t.Errorf("%s: err = %v, want ok %v", tc.endpoint, err, tc.ok)
		}
	}
}

func TestSettingsEndpointVariants(t *testing.T) {
	s, err := loadSettings(location{}, with(staticCreds, "AWS_USE_FIPS_ENDPOINT", "TRUE", "AWS_USE_DUALSTACK_ENDPOINT", "true").get)
	if err != nil || !s.fips || !s.dualStack {
		t.Errorf("fips %v, dual-stack %v, err %v; want both on", s.fips, s.dualStack, err)
	}
	s, err = loadSettings(location{}, with(staticCreds, "AWS_USE_FIPS_ENDPOINT", "false").get)
	if err != nil || s.fips || s.dualStack {
		t.Errorf("fips %v, dual-stack %v, err %v; want both off", s.fips, s.dualStack, err)
	}
	if _, err := loadSettings(location{}, with(staticCreds, "AWS_USE_FIPS_ENDPOINT", "yes").get); err == nil ||
		!strings.Contains(err.Error(), "AWS_USE_FIPS_ENDPOINT must be true or false") {
		t.Errorf("AWS_USE_FIPS_ENDPOINT=yes: err = %v", err)
	}
}

// AWS_CA_BUNDLE: a server whose certificate only the bundle vouches for is trusted with it and
// refused without it.
func TestSettingsCABundle(t *testing.T) {
	srv := httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {}))
	defer srv.Close()
	dir := t.TempDir()
	bundle := filepath.Join(dir, "ca.pem")
	cert := pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: srv.Certificate().Raw})
	if err := os.WriteFile(bundle, cert, 0o600); err != nil {
		t.Fatal(err)
	}
	notPEM := filepath.Join(dir, "empty.pem")
	if err := os.WriteFile(notPEM, []byte("not a certificate"), 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := loadSettings(location{}, with(staticCreds, "AWS_CA_BUNDLE", notPEM).get); err == nil ||
		!strings.Contains(err.Error(), "holds no PEM certificate") {
		t.Errorf("bundle without certificates: err = %v", err)
	}

	get := func(s settings) error {
		c := &http.Client{Transport: &http.Transport{TLSClientConfig: s.tlsConfig()}, Timeout: 5 * time.Second}
		resp, err := c.Get(srv.URL)
		if err == nil {
			resp.Body.Close()
		}
		return err
	}
	trusting, err := loadSettings(location{}, with(staticCreds, "AWS_CA_BUNDLE", bundle).get)
	if err != nil {
		t.Fatal(err)
	}
	if err := get(trusting); err != nil {
		t.Errorf("with the bundle: %v", err)
	}
	plain, err := loadSettings(location{}, staticCreds.get)
	if err != nil {
		t.Fatal(err)
	}
	if err := get(plain); err == nil || !strings.Contains(err.Error(), "certificate") {
		t.Errorf("without the bundle: err = %v, want a certificate error", err)
	}
}
