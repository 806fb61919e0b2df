package main

import (
	"bufio"
	"cmp"
	"context"
	"database/sql"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	ddb "github.com/aws/aws-sdk-go-v2/service/dynamodb"
	driver "github.com/go-sql-driver/mysql"
	"github.com/jackc/pgx/v5/pgconn"

	"github.com/roomhook/roomhook/pkg/callback"
	"github.com/roomhook/roomhook/pkg/store"
	"github.com/roomhook/roomhook/scripts/localinvoke"
)

// burst: the scale of a popular live room. Per store backend, functions/web on loopback and a
// fresh store (a new SQLite file, PostgreSQL schema, MySQL database or DynamoDB table), then
//
//	A: n Live.CallbackAfterMemberStateChanged events for ONE room (new per run), each one
//	   viewer (viewer-00000, …) going Online with EventCause Enter, EventTime spread over a
//	   minute (base + i·6 ms), sent in a shuffled order by `senders` concurrent senders, one
//	   keep-alive connection each;
//	B: the same n events spread over 100 rooms (n/100 viewers each), the same order and senders.
//
// Per phase: events/s over the phase's wall time, p50/p99 answer latency, answers other than
// 200 OK; then the rows, read in this process through pkg/store: every viewer must be `in`.
// Budgets: every answer OK, none lost, p99 ≤ 100 ms (both phases), and one room's events/s at
// least half of the spread events/s.
func burst(ctx context.Context, dir string, n, senders int) error {
	if n < 1 || senders < 1 {
		return fmt.Errorf("burst: need at least one event and one sender (got %d, %d)", n, senders)
	}
	bins, err := build(ctx, dir, false)
	if err != nil {
		return err
	}
	eachStore("burst", "sqlite://"+filepath.Join(dir, "burst-"+runID+".db"), func(name, _, url string) error {
		return burstOne(ctx, dir, bins, name, url, n, senders)
	})
	return nil
}

const (
	burstRooms = 100           // phase B's rooms
	burstStep  = 6             // ms between two viewers' EventTime: 10,000 in a minute
	burstBase  = 1767225600000 // 2026-01-01T00:00:00Z, EventTime of viewer-00000
	burstSeed  = 0x6275727374  // the shuffle: the same send order every run and phase
	burstCmd   = callback.CommandLiveMemberState
	burstP99   = 100 * time.Millisecond
	burstRatio = 0.5
)

// burstPhase is what one phase measured.
type burstPhase struct {
	events   int
	wall     time.Duration
	ds       []time.Duration
	done     []time.Duration // when each answer arrived, from the phase's start
	notOK    int             // answers other than 200 with ActionStatus OK, transport errors included
	firstBad string          // the first of them, for the notes
	lost     int             // viewers not `in` in the rows read afterwards
}

func (p *burstPhase) rate() float64 { return float64(p.events) / p.wall.Seconds() }

// drift is events/s over the first and over the last tenth of the phase's answers: a save whose
// cost grows with the room's size shows as a last tenth slower than the first.
func (p *burstPhase) drift() (first, last float64) {
	t := append([]time.Duration(nil), p.done...)
	slices.Sort(t)
	k := len(t) / 10
	if k < 1 {
		return 0, 0
	}
	return float64(k) / t[k-1].Seconds(), float64(k) / (t[len(t)-1] - t[len(t)-1-k]).Seconds()
}

func (p *burstPhase) summary() string {
	s := fmt.Sprintf("%.0f ev/s, p99 %s", p.rate(), ms(percentile(p.ds, 99)))
	if p.notOK > 0 {
		s += fmt.Sprintf(", %d not OK", p.notOK)
	}
	if p.lost > 0 {
		s += fmt.Sprintf(", %d lost", p.lost)
	}
	return s
}

func (p *burstPhase) pass() bool {
	return p.notOK == 0 && p.lost == 0 && percentile(p.ds, 99) <= burstP99
}

// burstBody is viewer i of room going Online.
func burstBody(room string, i int) string {
	return fmt.Sprintf(`{"CallbackCommand":%q,"RoomId":%q,"EventType":"Online","EventCause":"Enter","MemberList":[{"Member_Account":%q}],"EventTime":%d}`,
		burstCmd, room, burstViewer(i), burstBase+int64(i)*burstStep)
}

func burstViewer(i int) string { return fmt.Sprintf("viewer-%05d", i) }

func burstOne(ctx context.Context, dir string, bins *binaries, name, st string, n, senders int) error {
	st, drop, err := freshStore(ctx, name, st)
	if err != nil {
		return fmt.Errorf("fresh store: %w", err)
	}
	defer drop()
	logPath := filepath.Join(dir, "burst-"+name+"-"+runID+".log")
	logFile, err := os.Create(logPath)
	if err != nil {
		return err
	}
	defer logFile.Close()
	srv, err := localinvoke.StartWeb(ctx, bins.web, localinvoke.Options{
		Env: append(storeEnv(st), "ROOMHOOK_LOG_LEVEL=info"), Stderr: logFile})
	if err != nil {
		return err
	}
	defer srv.Close()
	tr := &http.Transport{MaxIdleConnsPerHost: senders, MaxConnsPerHost: senders, DisableCompression: true}
	client := &http.Client{Transport: tr, Timeout: 10 * time.Second}
	defer tr.CloseIdleConnections()
	base := strings.TrimRight(srv.URL(), "/") + "/callback?"

	// Warm-up, not measured: one event per sender, each to a room of its own, so that both
	// phases start with the connections and the store's pool open.
	warm := make([]string, senders)
	for k := range warm {
		warm[k] = burstBody(fmt.Sprintf("burst-%s-warm-%d", runID, k), k)
	}
	if w := sendBurst(client, base, warm, senders); w.notOK > 0 {
		return fmt.Errorf("warm-up: %d of %d not OK, first: %s", w.notOK, senders, w.firstBad)
	}

	order := rand.New(rand.NewPCG(burstSeed, burstSeed)).Perm(n)
	phase := func(label string, room func(i int) string) (*burstPhase, error) {
		bodies := make([]string, n)
		want := map[string][]string{}
		for k, i := range order {
			r := room(i)
			bodies[k] = burstBody(r, i)
			want[r] = append(want[r], burstViewer(i))
		}
		p := sendBurst(client, base, bodies, senders)
		lost, err := lostViewers(ctx, st, want)
		if err != nil {
			return nil, fmt.Errorf("%s: read the rows: %w", label, err)
		}
		p.lost = lost
		first, last := p.drift()
		note("burst %s %s: %d events from %d senders in %v: %.0f ev/s (first tenth %.0f, last tenth %.0f), p50 %s p99 %s max %s; %d not OK, %d of %d viewers lost",
			name, label, n, senders, p.wall.Round(time.Millisecond), p.rate(), first, last, ms(percentile(p.ds, 50)), ms(percentile(p.ds, 99)),
			ms(percentile(p.ds, 100)), p.notOK, p.lost, n)
		if p.notOK > 0 {
			note("burst %s %s: first answer not OK: %s", name, label, p.firstBad)
		}
		return p, nil
	}
	one, err := phase("one room", func(int) string { return "burst-" + runID + "-one" })
	if err != nil {
		return err
	}
	spread, err := phase(fmt.Sprintf("%d rooms", burstRooms), func(i int) string {
		return fmt.Sprintf("burst-%s-spread-%03d", runID, i%burstRooms)
	})
	if err != nil {
		return err
	}
	if one.notOK+spread.notOK > 0 {
		logFile.Sync()
		noteLogProblems(logPath, name)
	}
	budget := "p99 <= 100 ms, all OK, none lost"
	row(fmt.Sprintf("burst one room %s (%d events, %d senders)", name, n, senders), one.summary(), "-", "-", budget, one.pass())
	row(fmt.Sprintf("burst %d rooms %s (%d events, %d senders)", burstRooms, name, n, senders), spread.summary(), "-", "-", budget, spread.pass())
	r := one.rate() / spread.rate()
	row(fmt.Sprintf("burst ratio %s (one room / %d rooms, ev/s)", name, burstRooms), fmt.Sprintf("%.0f ev/s", one.rate()),
		fmt.Sprintf("%.0f ev/s", spread.rate()), ratio(one.rate(), spread.rate()), ">= 0.5", r >= burstRatio)
	return nil
}

// sendBurst posts bodies, each with a freshly signed query, from senders goroutines sharing
// client (one keep-alive connection each), in the order given.
func sendBurst(client *http.Client, base string, bodies []string, senders int) *burstPhase {
	p := &burstPhase{events: len(bodies)}
	var next atomic.Int64
	var mu sync.Mutex
	var wg sync.WaitGroup
	t0 := time.Now()
	for range senders {
		wg.Go(func() {
			var ds, done []time.Duration
			var bad int
			var firstBad string
			for {
				k := int(next.Add(1)) - 1
				if k >= len(bodies) {
					break
				}
				q := signedQuery()
				q.Set("CallbackCommand", burstCmd)
				u := base + q.Encode()
				t := time.Now()
				resp, err := client.Post(u, "application/json", strings.NewReader(bodies[k]))
				if err != nil {
					bad++
					if firstBad == "" {
						firstBad = err.Error()
					}
					continue
				}
				b, _ := io.ReadAll(resp.Body)
				resp.Body.Close()
				now := time.Now()
				ds = append(ds, now.Sub(t))
				done = append(done, now.Sub(t0))
				if resp.StatusCode != 200 || !strings.Contains(string(b), `"ActionStatus":"OK"`) {
					bad++
					if firstBad == "" {
						firstBad = fmt.Sprintf("%d %s", resp.StatusCode, strings.TrimSpace(string(b)))
					}
				}
			}
			mu.Lock()
			p.ds = append(p.ds, ds...)
			p.done = append(p.done, done...)
			p.notOK += bad
			if p.firstBad == "" {
				p.firstBad = firstBad
			}
			mu.Unlock()
		})
	}
	wg.Wait()
	p.wall = time.Since(t0)
	return p
}

// lostViewers opens the store in this process and counts the viewers of want (room → accounts)
// whose member row is missing or not `in`.
func lostViewers(ctx context.Context, st string, want map[string][]string) (int, error) {
	s, err := store.Open(ctx, st, store.Options{Timeout: 30 * time.Second})
	if err != nil {
		return 0, err
	}
	defer s.Close()
	r, ok := s.(callback.Reader)
	if !ok {
		return 0, fmt.Errorf("the store is no callback.Reader")
	}
	lost := 0
	for room, accounts := range want {
		rows, err := callback.ReadMembers(ctx, r, appIDInt(), room)
		if err != nil {
			return 0, fmt.Errorf("room %s: %w", room, err)
		}
		in := make(map[string]bool, len(rows))
		for _, m := range rows {
			in[m.MemberAccount] = m.State == callback.MemberIn
		}
		for _, a := range accounts {
			if !in[a] {
				lost++
			}
		}
	}
	return lost, nil
}

func appIDInt() int64 { n, _ := strconv.ParseInt(appID, 10, 64); return n }

// noteLogProblems puts the function's first warning and error lines on stderr.
func noteLogProblems(path, name string) {
	f, err := os.Open(path)
	if err != nil {
		return
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 64<<10), 1<<20)
	shown := 0
	for sc.Scan() && shown < 5 {
		l := sc.Text()
		if strings.Contains(l, `"level":"WARN"`) || strings.Contains(l, `"level":"ERROR"`) {
			note("burst %s function log: %s", name, l)
			shown++
		}
	}
}

// freshStore returns a store URL like st naming a new, empty store of the run — a SQLite file
// (st names it already), a PostgreSQL schema, a MySQL/MariaDB database or a DynamoDB table —
// and a function that removes it.
func freshStore(ctx context.Context, backend, st string) (string, func(), error) {
	name := "roomhook_burst_" + runID
	switch backend {
	case "sqlite":
		path := strings.TrimPrefix(st, "sqlite://")
		return st, func() {
			for _, suffix := range []string{"", "-wal", "-shm"} {
				os.Remove(path + suffix)
			}
		}, nil
	case "postgres":
		return freshPostgres(ctx, st, name)
	case "mysql":
		return freshMySQL(ctx, st, name)
	case "dynamodb":
		return freshDynamoDB(st, name)
	}
	return "", nil, fmt.Errorf("no fresh store for %s", backend)
}

// freshPostgres creates schema name on st's server and returns st with search_path set to it.
func freshPostgres(ctx context.Context, st, name string) (string, func(), error) {
	u, err := url.Parse(st)
	if err != nil {
		return "", nil, fmt.Errorf("ROOMHOOK_TEST_POSTGRES is not a URL")
	}
	q := u.Query()
	admin := *u
	aq := url.Values{}
	for k, v := range q {
		if !strings.HasPrefix(k, "pool_") { // roomhook's own parameters, not the server's
			aq[k] = v
		}
	}
	admin.RawQuery = aq.Encode()
	exec := func(ctx context.Context, sql string) error {
		conn, err := pgconn.Connect(ctx, admin.String())
		if err != nil {
			return err
		}
		defer conn.Close(context.Background())
		_, err = conn.Exec(ctx, sql).ReadAll()
		return err
	}
	if err := exec(ctx, "CREATE SCHEMA "+name); err != nil {
		return "", nil, err
	}
	q.Set("search_path", name)
	u.RawQuery = q.Encode()
	return u.String(), func() {
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		if err := exec(ctx, "DROP SCHEMA "+name+" CASCADE"); err != nil {
			note("burst: drop schema %s: %v", name, err)
		}
	}, nil
}

// freshMySQL creates database name on st's server and returns st naming it.
func freshMySQL(ctx context.Context, st, name string) (string, func(), error) {
	u, err := url.Parse(st)
	if err != nil || u.User == nil {
		return "", nil, fmt.Errorf("ROOMHOOK_TEST_MYSQL must have the form mysql://USER@HOST:PORT/DATABASE")
	}
	c := driver.NewConfig()
	c.User = u.User.Username()
	c.Passwd, _ = u.User.Password()
	c.Net = "tcp"
	c.Addr = u.Host
	if u.Port() == "" {
		c.Addr = u.Host + ":3306"
	}
	if t := u.Query().Get("tls"); t != "" {
		c.TLSConfig = t
	}
	conn, err := driver.NewConnector(c)
	if err != nil {
		return "", nil, err
	}
	db := sql.OpenDB(conn)
	if _, err := db.ExecContext(ctx, "CREATE DATABASE "+name+" CHARACTER SET utf8mb4"); err != nil {
		db.Close()
		return "", nil, err
	}
	u.Path = "/" + name
	return u.String(), func() {
		defer db.Close()
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		if _, err := db.ExecContext(ctx, "DROP DATABASE IF EXISTS "+name); err != nil {
			note("burst: drop database %s: %v", name, err)
		}
	}, nil
}

// freshDynamoDB returns st naming table name, which the function creates at its cold start, and
// a function that deletes the table. The credentials are the environment's, else storeEnv's
// placeholders (for this process's own reads too).
func freshDynamoDB(st, name string) (string, func(), error) {
	_, query, _ := strings.Cut(strings.TrimPrefix(st, "dynamodb://"), "?")
	for _, kv := range storeEnv(st) {
		if k, v, _ := strings.Cut(kv, "="); strings.HasPrefix(k, "AWS_") {
			if _, ok := os.LookupEnv(k); !ok {
				os.Setenv(k, v)
			}
		}
	}
	q, err := url.ParseQuery(query)
	if err != nil {
		return "", nil, fmt.Errorf("ROOMHOOK_TEST_DYNAMODB: malformed query")
	}
	region := q.Get("region")
	if region == "" {
		region = cmp.Or(os.Getenv("AWS_REGION"), os.Getenv("AWS_DEFAULT_REGION"))
	}
	opts := ddb.Options{Region: region, Credentials: credentials.NewStaticCredentialsProvider(
		os.Getenv("AWS_ACCESS_KEY_ID"), os.Getenv("AWS_SECRET_ACCESS_KEY"), os.Getenv("AWS_SESSION_TOKEN"))}
	if ep := q.Get("endpoint"); ep != "" {
		opts.BaseEndpoint = aws.String(ep)
	}
	fresh := "dynamodb://" + name
	if query != "" {
		fresh += "?" + query
	}
	return fresh, func() {
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		if _, err := ddb.New(opts).DeleteTable(ctx, &ddb.DeleteTableInput{TableName: aws.String(name)}); err != nil {
			note("burst: delete table %s: %v", name, err)
		}
	}, nil
}
