package dynamodb

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/url"
	"os"
	"strings"
	"sync"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/aws/ratelimit"
	"github.com/aws/aws-sdk-go-v2/aws/retry"
	awshttp "github.com/aws/aws-sdk-go-v2/aws/transport/http"
	ddb "github.com/aws/aws-sdk-go-v2/service/dynamodb"

	"github.com/roomhook/roomhook/pkg/callback"
)

// The store proves at compile time that it is a complete backend.
var (
	_ callback.Store  = (*Store)(nil)
	_ callback.Reader = (*Store)(nil)
	_ callback.Lister = (*Store)(nil)
	_ callback.Purger = (*Store)(nil)
)

// DefaultTimeout bounds Open when Options.Timeout is zero. Checking an existing table takes two
// requests; creating a missing one takes DynamoDB a few seconds to several tens of seconds.
const DefaultTimeout = 10 * time.Second

// Bounds on every request the client makes, so that no call hangs whatever its context says.
// A Save is bounded much tighter by its caller's deadline (ROOMHOOK_STORE_TIMEOUT).
const (
	dialTimeout           = 2 * time.Second
	tlsHandshakeTimeout   = 2 * time.Second
	responseHeaderTimeout = 5 * time.Second
	requestTimeout        = 10 * time.Second
	maxAttempts           = 3                      // one try and two retries
	maxRetryBackoff       = 250 * time.Millisecond // a Save has ~1.5 s in all
	// maxIdleConns keeps open as many connections as a save uses at once (a destroy reads a
	// room's 16 member partitions together, and the projection makes up to 16 calls at once),
	// so that the next save does not dial and shake hands again. The SDK keeps 10.
	maxIdleConns = 32
)

// Errors Open and Save return, matched with errors.Is.
var (
	// ErrSchemaTooNew is returned by Open when the table carries a schema version newer than
	// this roomhook knows; writing to it could corrupt data the newer one relies on.
	ErrSchemaTooNew = errors.New("dynamodb: schema version is newer than this roomhook supports")
	// ErrNotRoomhookTable is returned by Open when the table exists with a key schema or index
	// other than roomhook's, so it most likely belongs to something else.
	ErrNotRoomhookTable = errors.New("dynamodb: the table is not a roomhook table")
	// ErrItemTooLarge is returned by Save when an event cannot be stored within DynamoDB's
	// 400 KB item limit, even with the raw body gzip-compressed. Nothing is written.
	ErrItemTooLarge = errors.New("dynamodb: event too large for one DynamoDB item")
	// errClosed is returned by every method after Close.
	errClosed = errors.New("dynamodb: the store is closed")
	// errReadOnly is returned by Save on a store opened with Options.ReadOnly.
	errReadOnly = errors.New("dynamodb: save: the store was opened read-only")
)

// Options tunes Open. The zero value is ready to use.
type Options struct {
	// Timeout bounds Open: loading the AWS configuration, checking (or creating, and waiting
	// for) the table and its schema version item. Zero means DefaultTimeout. A deadline on
	// Open's context applies too, whichever is first.
	Timeout time.Duration
	// ReadOnly opens an existing store to read it (callback.Reader, callback.Lister), as the
	// operators' tools do: it creates nothing and migrates nothing. A store without roomhook's
	// schema is refused with callback.ErrNoSchema, one of an older version with
	// callback.ErrSchemaOlder, one of a newer version with ErrSchemaTooNew. Do not Save to it.
	ReadOnly bool
	// ArchiveRetention, when above zero, is how long the archive keeps an event that its room's
	// fold reads back only beside an event of the same millisecond, or never
	// (callback.AlwaysExpires of its command: seats, admins, metadata, Live member states,
	// gifts, commands roomhook does not project). Save gives the archive item of such an event
	// TimeToLiveAttribute, its received_at plus ArchiveRetention in Unix seconds (rounded up),
	// in the archive write itself: DynamoDB's Time to Live deletes it then for nothing, on a
	// table where it is switched on (template.yaml does; see "Retention" in the package
	// documentation). Every other archive item is left to callback.PurgeArchive (scripts/purge),
	// which decides what its room's fold still reads. Zero (store.Options wires
	// ROOMHOOK_ARCHIVE_RETENTION here): no archive item expires.
	ArchiveRetention time.Duration
}

// Store is a callback.Store, callback.Reader, callback.Lister and callback.Purger on one
// DynamoDB table. It is safe for concurrent use; build it once per process and share it.
type Store struct {
	client api
	table  string
	conns  connTracker
	// layout is the item layout version the store writes: schemaVersion, but in tests that make
	// a table of an older version with the code's own steps (openVersion), which must write what
	// that version wrote (version 3: no room directory items, no index keys on ledger items).
	layout int64
	// readOnly: opened with Options.ReadOnly; Save refuses to write.
	readOnly bool
	// retention is Options.ArchiveRetention: above zero, the archive items of the commands
	// callback.AlwaysExpires names carry their expiry time (expiresAt).
	retention time.Duration
	// legacyUntil is the schema version item's legacy_until: 0 when the table holds no
	// version 1 archive items; set by Open, read-only after.
	legacyUntil int64

	life   sync.RWMutex // held for reading by every call, for writing by Close
	closed bool

	mu        sync.Mutex
	lastStamp int64 // the last archive stamp handed out, Unix ns; see nextStamp

	// turns queues this process's saves of one room for its lock (lockRoom).
	turns roomTurns
}

// Open opens the table a dynamodb:// URL names, creating it (on-demand billing) when it does
// not exist and waiting until it is ACTIVE, then checks or writes its schema version item,
// migrating a table of an older version in place ("Migration" in the package documentation).
// With Options.ReadOnly it only reads the table's description and the version item (see
// "Read-only" in the package documentation).
//
// The URL is dynamodb://TABLE?region=REGION&endpoint=URL; see the package documentation.
// Credentials and, without region=, the region come from the environment (see loadSettings:
// what Lambda sets, or a container credentials endpoint). Open fails with
// ErrSchemaTooNew when the table was written by a newer roomhook, and with ErrNotRoomhookTable
// when its key schema is not roomhook's. Errors name the table, the region and the endpoint,
// never credentials.
func Open(ctx context.Context, rawURL string, opts Options) (*Store, error) {
	return openVersion(ctx, rawURL, opts, schemaVersion)
}

// openVersion is Open bringing the table to schema version target: schemaVersion, but in tests
// that make a table of an older version with the code's own steps (openAtVersion).
func openVersion(ctx context.Context, rawURL string, opts Options, target int64) (*Store, error) {
	loc, err := parseURL(rawURL)
	if err != nil {
		return nil, err
	}
	timeout := opts.Timeout
	if timeout <= 0 {
		timeout = DefaultTimeout
	}
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()

	env, err := loadSettings(loc, os.Getenv)
	if err != nil {
		return nil, fmt.Errorf("dynamodb: table %q: %w", loc.table, err)
	}
	if env.region == "" {
		return nil, fmt.Errorf("dynamodb: table %q: no AWS region: add ?region=… to the store URL or set AWS_REGION", loc.table)
	}

	s := &Store{table: loc.table, layout: target, readOnly: opts.ReadOnly, retention: opts.ArchiveRetention}
	// The SDK's own buildable client with tighter timeouts and every connection tracked, so
	// that Close can release them.
	httpClient := awshttp.NewBuildableClient().
		WithTimeout(requestTimeout).
		WithDialerOptions(func(d *net.Dialer) { d.Timeout = dialTimeout }).
		WithTransportOptions(func(tr *http.Transport) {
			tr.TLSHandshakeTimeout = tlsHandshakeTimeout
			tr.MaxIdleConnsPerHost = maxIdleConns
			tr.MaxIdleConns = max(tr.MaxIdleConns, maxIdleConns)
			tr.ResponseHeaderTimeout = responseHeaderTimeout
			tr.DialContext = s.conns.track(tr.DialContext)
			if c := env.tlsConfig(); c != nil {
				tr.TLSClientConfig = c
			}
		})
	cfg := aws.Config{
		Region:      env.region,
		Credentials: env.credentials,
		HTTPClient:  httpClient,
		Retryer: func() aws.Retryer {
			return retry.NewStandard(func(o *retry.StandardOptions) {
				o.MaxAttempts = maxAttempts
				o.MaxBackoff = maxRetryBackoff
				// No client-side retry quota: attempts are already bounded, and a drained
				// quota would turn a short outage into "retry quota exceeded" for a while.
				o.RateLimiter = ratelimit.None
			})
		},
	}
	if env.endpoint != "" {
		cfg.BaseEndpoint = aws.String(env.endpoint)
	}
	s.client = newAPI(ddb.NewFromConfig(cfg, func(o *ddb.Options) {
		if env.fips {
			o.EndpointOptions.UseFIPSEndpoint = aws.FIPSEndpointStateEnabled
		}
		if env.dualStack {
			o.EndpointOptions.UseDualStackEndpoint = aws.DualStackEndpointStateEnabled
		}
	}))

	where := fmt.Sprintf("table %q in %s", loc.table, env.region)
	if env.endpoint != "" { // endpoint= or AWS_ENDPOINT_URL…
		where += " at " + redactEndpoint(env.endpoint)
	}
	if opts.ReadOnly {
		// A tool reading the store: it must not create the table nor migrate it, so it reads
		// the table as it is or refuses it.
		err = s.ensureTable(ctx, where, false)
		if err == nil {
			err = s.checkVersion(ctx, where, target)
		}
	} else {
		err = s.ensureTable(ctx, where, true)
		if err == nil {
			err = s.ensureVersion(ctx, where, target)
		}
	}
	if err != nil {
		s.Close()
		return nil, err
	}
	return s, nil
}

// Close waits for the calls in flight, then closes the store's connections. Later calls
// return an error.
func (s *Store) Close() error {
	s.life.Lock()
	defer s.life.Unlock()
	s.closed = true
	s.conns.closeAll()
	return nil
}

// begin starts a call: it fails once the store is closed, and otherwise keeps Close waiting
// until the matching end.
func (s *Store) begin() error {
	s.life.RLock()
	if s.closed {
		s.life.RUnlock()
		return errClosed
	}
	return nil
}

func (s *Store) end() { s.life.RUnlock() }

// connTracker remembers the open connections its dial function made.
type connTracker struct {
	mu    sync.Mutex
	conns map[*trackedConn]struct{}
}

type dialFunc = func(ctx context.Context, network, addr string) (net.Conn, error)

func (t *connTracker) track(dial dialFunc) dialFunc {
	return func(ctx context.Context, network, addr string) (net.Conn, error) {
		c, err := dial(ctx, network, addr)
		if err != nil {
			return nil, err
		}
		tc := &trackedConn{Conn: c, tracker: t}
		t.mu.Lock()
		if t.conns == nil {
			t.conns = map[*trackedConn]struct{}{}
		}
		t.conns[tc] = struct{}{}
		t.mu.Unlock()
		return tc, nil
	}
}

func (t *connTracker) closeAll() {
	t.mu.Lock()
	conns := make([]*trackedConn, 0, len(t.conns))
	for c := range t.conns {
		conns = append(conns, c)
	}
	t.mu.Unlock()
	for _, c := range conns {
		c.Close()
	}
}

type trackedConn struct {
	net.Conn
	tracker *connTracker
}

func (c *trackedConn) Close() error {
	c.tracker.mu.Lock()
	delete(c.tracker.conns, c)
	c.tracker.mu.Unlock()
	return c.Conn.Close()
}

// redactEndpoint returns an endpoint fit for an error message: endpoint= cannot hold user
// information, but AWS_ENDPOINT_URL_DYNAMODB, which the SDK reads, might.
func redactEndpoint(ep string) string {
	u, err := url.Parse(ep)
	if err != nil {
		return "(an endpoint that is not a URL)"
	}
	u.User = nil
	return u.String()
}

// location is what a dynamodb:// URL says.
type location struct {
	table    string
	region   string // "" = AWS_REGION or AWS_DEFAULT_REGION (loadSettings)
	endpoint string // "" = the region's DynamoDB endpoint
}

// parseURL reads dynamodb://TABLE?region=REGION&endpoint=URL. It never puts user information or
// the value of an unknown parameter into an error.
func parseURL(rawURL string) (location, error) {
	const want = "want dynamodb://TABLE?region=REGION&endpoint=URL"
	scheme, rest, ok := strings.Cut(rawURL, "://")
	if !ok || !strings.EqualFold(scheme, "dynamodb") {
		return location{}, fmt.Errorf("dynamodb: the store URL must start with dynamodb://; %s", want)
	}
	table, query, _ := strings.Cut(rest, "?")
	if strings.ContainsAny(table, "@:") {
		return location{}, fmt.Errorf("dynamodb: the store URL takes a table name, not user@host or a port; %s", want)
	}
	if i := strings.IndexByte(table, '#'); i >= 0 || strings.Contains(query, "#") {
		return location{}, fmt.Errorf("dynamodb: the store URL has a fragment (#…); %s", want)
	}
	if table == "" || strings.Contains(table, "/") {
		return location{}, fmt.Errorf("dynamodb: the store URL needs one table name before any '?'; %s", want)
	}
	if err := checkTableName(table); err != nil {
		return location{}, err
	}
	values, err := url.ParseQuery(query)
	if err != nil {
		return location{}, fmt.Errorf("dynamodb: the store URL's query is malformed; %s", want)
	}
	loc := location{table: table}
	for name, vs := range values {
		if len(vs) != 1 {
			return location{}, fmt.Errorf("dynamodb: store URL parameter %q given %d times, want once", name, len(vs))
		}
		switch name {
		case "region":
			loc.region = vs[0]
			if err := checkRegion(loc.region); err != nil {
				return location{}, err
			}
		case "endpoint":
			loc.endpoint, err = checkEndpoint(vs[0])
			if err != nil {
				return location{}, err
			}
		default:
			return location{}, fmt.Errorf("dynamodb: unknown store URL parameter %q; known: region, endpoint", name)
		}
	}
	return loc, nil
}

// checkTableName applies DynamoDB's rules: 3 to 255 of a-z, A-Z, 0-9, '_', '-' and '.'.
func checkTableName(name string) error {
	if len(name) < 3 || len(name) > 255 {
		return fmt.Errorf("dynamodb: table name %q must be 3 to 255 characters long", name)
	}
	for _, c := range name {
		switch {
		case 'a' <= c && c <= 'z', 'A' <= c && c <= 'Z', '0' <= c && c <= '9', c == '_', c == '-', c == '.':
		default:
			return fmt.Errorf("dynamodb: table name %q may hold only letters, digits, '_', '-' and '.'", name)
		}
	}
	return nil
}

// checkRegion accepts what an AWS region name (or a local server's made-up one) looks like.
func checkRegion(region string) error {
	if region == "" {
		return errors.New("dynamodb: empty region= in the store URL; leave it out to use AWS_REGION")
	}
	for _, c := range region {
		switch {
		case 'a' <= c && c <= 'z', 'A' <= c && c <= 'Z', '0' <= c && c <= '9', c == '-':
		default:
			return fmt.Errorf("dynamodb: region %q in the store URL may hold only letters, digits and '-'", region)
		}
	}
	return nil
}

// checkEndpoint accepts an http or https URL with a host and nothing that could hold a secret.
func checkEndpoint(raw string) (string, error) {
	const want = "want e.g. endpoint=http://127.0.0.1:8000 (URL-encode it when it has a query)"
	u, err := url.Parse(raw)
	if err != nil || u.Host == "" || (u.Scheme != "http" && u.Scheme != "https") {
		return "", fmt.Errorf("dynamodb: endpoint= in the store URL is not an http(s) URL with a host; %s", want)
	}
	if u.User != nil {
		return "", errors.New("dynamodb: endpoint= in the store URL must not hold user information; " +
			"credentials come from the environment (AWS_ACCESS_KEY_ID, …)")
	}
	if u.RawQuery != "" || u.Fragment != "" {
		return "", fmt.Errorf("dynamodb: endpoint= in the store URL must not have a query or fragment; %s", want)
	}
	return raw, nil
}
