package dynamodb

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"net"
	"net/url"
	"os"
	"slices"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/credentials/endpointcreds"
)

// settings is what the store takes from the environment besides its URL. It is read here, not
// by the SDK's config.LoadDefaultConfig, on purpose: that loader links every credential source
// the SDK knows (shared files and profiles, SSO, STS assume-role and web identity, login,
// processes, EC2 instance metadata) with their service clients. Measured with scripts/bench.sh
// (docs/performance.md), that is more binary in each function and more package initialisation
// at every cold start, whether the store is DynamoDB or not, for sources a function never uses. A
// function gets its role's credentials from environment variables (Lambda) or from a container
// credentials endpoint (Lambda Managed Instances, ECS, EKS Pod Identity); both are supported.
type settings struct {
	region      string
	endpoint    string // "" = the region's DynamoDB endpoint
	credentials aws.CredentialsProvider
	caBundle    *x509.CertPool // nil = the system's roots
	fips        bool           // AWS_USE_FIPS_ENDPOINT=true
	dualStack   bool           // AWS_USE_DUALSTACK_ENDPOINT=true
}

// The address the ECS agent serves AWS_CONTAINER_CREDENTIALS_RELATIVE_URI on.
var containerCredentialsHost = "http://169.254.170.2" // a variable so tests can point it at loopback

// loadSettings reads, in the SDK's order of precedence:
//
//   - region: region= in the URL, then AWS_REGION (Lambda sets it), then AWS_DEFAULT_REGION;
//   - endpoint: endpoint= in the URL, then AWS_ENDPOINT_URL_DYNAMODB, then AWS_ENDPOINT_URL,
//     unless AWS_IGNORE_CONFIGURED_ENDPOINT_URLS=true;
//   - credentials: AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY and AWS_SESSION_TOKEN (how Lambda
//     passes the function role's), else the container credentials endpoint named by
//     AWS_CONTAINER_CREDENTIALS_FULL_URI or AWS_CONTAINER_CREDENTIALS_RELATIVE_URI, with the
//     token of AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE (re-read for every refresh) or
//     AWS_CONTAINER_AUTHORIZATION_TOKEN;
//   - AWS_CA_BUNDLE: a PEM file of the certificate authorities to trust instead of the system's;
//   - AWS_USE_FIPS_ENDPOINT and AWS_USE_DUALSTACK_ENDPOINT (true or false), as the SDK reads them.
//
// Errors name variables, never their values (a token or a key must not reach a log line), with
// the exception of the CA bundle's path, which is not secret.
func loadSettings(loc location, getenv func(string) string) (settings, error) {
	var s settings
	s.region = firstSet(loc.region, getenv("AWS_REGION"), getenv("AWS_DEFAULT_REGION"))
	s.endpoint = loc.endpoint
	if s.endpoint == "" && !strings.EqualFold(getenv("AWS_IGNORE_CONFIGURED_ENDPOINT_URLS"), "true") {
		s.endpoint = firstSet(getenv("AWS_ENDPOINT_URL_DYNAMODB"), getenv("AWS_ENDPOINT_URL"))
	}

	var err error
	if s.fips, err = envBool(getenv, "AWS_USE_FIPS_ENDPOINT"); err != nil {
		return settings{}, err
	}
	if s.dualStack, err = envBool(getenv, "AWS_USE_DUALSTACK_ENDPOINT"); err != nil {
		return settings{}, err
	}
	if s.credentials, err = credentialsFrom(getenv); err != nil {
		return settings{}, err
	}
	if path := getenv("AWS_CA_BUNDLE"); path != "" {
		pem, err := os.ReadFile(path)
		if err != nil {
			return settings{}, fmt.Errorf("AWS_CA_BUNDLE: %w", err)
		}
		s.caBundle = x509.NewCertPool()
		if !s.caBundle.AppendCertsFromPEM(pem) {
			return settings{}, fmt.Errorf("AWS_CA_BUNDLE: %q holds no PEM certificate", path)
		}
	}
	return s, nil
}

func credentialsFrom(getenv func(string) string) (aws.CredentialsProvider, error) {
	id, secret := getenv("AWS_ACCESS_KEY_ID"), getenv("AWS_SECRET_ACCESS_KEY")
	switch {
	case id != "" && secret != "":
		return credentials.NewStaticCredentialsProvider(id, secret, getenv("AWS_SESSION_TOKEN")), nil
	case id != "":
		return nil, errors.New("AWS_ACCESS_KEY_ID is set but AWS_SECRET_ACCESS_KEY is not")
	case secret != "":
		return nil, errors.New("AWS_SECRET_ACCESS_KEY is set but AWS_ACCESS_KEY_ID is not")
	}

	endpoint := getenv("AWS_CONTAINER_CREDENTIALS_FULL_URI")
	if rel := getenv("AWS_CONTAINER_CREDENTIALS_RELATIVE_URI"); rel != "" {
		endpoint = containerCredentialsHost + rel // the SDK's precedence: relative first
	}
	if endpoint == "" {
		return nil, errors.New("no AWS credentials: set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY " +
			"(Lambda sets them from the function's role), or run where AWS_CONTAINER_CREDENTIALS_FULL_URI " +
			"or AWS_CONTAINER_CREDENTIALS_RELATIVE_URI is set; shared config files and profiles are not read")
	}
	if err := checkCredentialsEndpoint(endpoint); err != nil {
		return nil, err
	}
	tokenFile, token := getenv("AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE"), getenv("AWS_CONTAINER_AUTHORIZATION_TOKEN")
	provider := endpointcreds.New(endpoint, func(o *endpointcreds.Options) {
		switch {
		case tokenFile != "":
			// The file is rotated by the platform, so it is read at every refresh.
			o.AuthorizationTokenProvider = endpointcreds.TokenProviderFunc(func() (string, error) {
				b, err := os.ReadFile(tokenFile)
				if err != nil {
					return "", fmt.Errorf("AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE: %w", err)
				}
				return strings.TrimSpace(string(b)), nil
			})
		case token != "":
			o.AuthorizationToken = token
		}
	})
	// Refreshed 4–5 minutes before they expire, as the SDK's own loader does: a request signed
	// just before expiry could otherwise reach DynamoDB after it and fail.
	return aws.NewCredentialsCache(provider, func(o *aws.CredentialsCacheOptions) {
		o.ExpiryWindow = 5 * time.Minute
		o.ExpiryWindowJitterFrac = 0.2
	}), nil
}

// envBool reads an AWS boolean setting: unset, true or false (any case).
func envBool(getenv func(string) string, name string) (bool, error) {
	switch v := getenv(name); {
	case v == "" || strings.EqualFold(v, "false"):
		return false, nil
	case strings.EqualFold(v, "true"):
		return true, nil
	}
	return false, fmt.Errorf("%s must be true or false", name)
}

// containerAgentIPs are container credential agents' link-local addresses, which may be
// reached over http. Parsed when an endpoint is checked, not at package init, which runs at
// every cold start, for every backend linked.
func containerAgentIPs() []net.IP {
	return []net.IP{
		net.ParseIP("169.254.170.2"),  // ECS
		net.ParseIP("169.254.170.23"), // EKS Pod Identity, IPv4
		net.ParseIP("fd00:ec2::23"),   // EKS Pod Identity, IPv6
	}
}

// lookupIP resolves a credentials endpoint's host name; a variable so tests need no DNS.
var lookupIP = func(host string) ([]net.IP, error) {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	addrs, err := net.DefaultResolver.LookupIPAddr(ctx, host)
	ips := make([]net.IP, len(addrs))
	for i, a := range addrs {
		ips[i] = a.IP
	}
	return ips, err
}

// checkCredentialsEndpoint admits what the SDK admits: https anywhere, http only to a loopback
// address or a container agent's address (compared as IPs, so any spelling matches), or to a
// host name all of whose addresses are such, so that credentials are never fetched in clear
// text across a network.
func checkCredentialsEndpoint(endpoint string) error {
	const what = "AWS_CONTAINER_CREDENTIALS_FULL_URI / _RELATIVE_URI"
	u, err := url.Parse(endpoint)
	if err != nil {
		return fmt.Errorf("%s is not a URL", what)
	}
	if u.Scheme != "http" && u.Scheme != "https" {
		return fmt.Errorf("%s: scheme must be http or https", what)
	}
	if u.Host == "" {
		return fmt.Errorf("%s is not a URL", what)
	}
	if u.Scheme == "https" {
		return nil
	}
	refused := fmt.Errorf("%s: an http endpoint must be a loopback address or the container agent's "+
		"(169.254.170.2, 169.254.170.23, fd00:ec2::23); use https", what)
	ips := []net.IP{net.ParseIP(u.Hostname())}
	if ips[0] == nil {
		if ips, err = lookupIP(u.Hostname()); err != nil || len(ips) == 0 {
			return refused
		}
	}
	agents := containerAgentIPs()
	for _, ip := range ips {
		if !ip.IsLoopback() && !slices.ContainsFunc(agents, ip.Equal) {
			return refused
		}
	}
	return nil
}

// tlsConfig is the client's TLS configuration: the CA bundle's roots, or nil for Go's defaults.
func (s settings) tlsConfig() *tls.Config {
	if s.caBundle == nil {
		return nil
	}
	return &tls.Config{RootCAs: s.caBundle, MinVersion: tls.VersionTLS12}
}

func firstSet(vs ...string) string {
	for _, v := range vs {
		if v != "" {
			return v
		}
	}
	return ""
}
