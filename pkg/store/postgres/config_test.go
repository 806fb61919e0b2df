package postgres

import (
	"strings"
	"testing"
	"time"

	"github.com/roomhook/roomhook/pkg/callback"
)

// TestParseConfigClientParams: the pool's and pgx's parameters are read and taken out of the
// run-time parameters; the server's own stay.
func TestParseConfigClientParams(t *testing.T) {
	const base = "postgres://u:pw@db.example.com:5432/d?sslmode=disable&application_name=rh&search_path=s"
	defaults := poolConfig{
		maxConns: DefaultMaxConns, maxIdleTime: DefaultMaxConnIdleTime, maxLifetime: time.Hour,
		pingTimeout: DefaultPingTimeout, pingAfter: time.Second, closeGrace: closeGrace,
	}
	tests := []struct {
		name  string
		query string
		want  func(pc *poolConfig)
	}{
		{"none", "", func(*poolConfig) {}},
		{"pool_max_conns", "&pool_max_conns=7", func(pc *poolConfig) { pc.maxConns = 7 }},
		{"pool_max_conns=1", "&pool_max_conns=1", func(pc *poolConfig) { pc.maxConns = 1 }},
		{"pool_max_conns=10000", "&pool_max_conns=10000", func(pc *poolConfig) { pc.maxConns = 10000 }},
		{"pool_max_conn_idle_time", "&pool_max_conn_idle_time=5m", func(pc *poolConfig) { pc.maxIdleTime = 5 * time.Minute }},
		{"idle time 0: never", "&pool_max_conn_idle_time=0s", func(pc *poolConfig) { pc.maxIdleTime = 0 }},
		{"pool_ping_timeout", "&pool_ping_timeout=250ms", func(pc *poolConfig) { pc.pingTimeout = 250 * time.Millisecond }},
		{"pool_max_conn_lifetime", "&pool_max_conn_lifetime=1h30m", func(pc *poolConfig) { pc.maxLifetime = 90 * time.Minute }},
		{"ignored pgx parameters", "&pool_min_conns=1&pool_min_idle_conns=1&pool_health_check_period=1m" +
			"&pool_max_conn_lifetime_jitter=10s&statement_cache_capacity=100&description_cache_capacity=0" +
			"&default_query_exec_mode=exec", func(*poolConfig) {}},
		{"ignored ones, checked only as pgx did", "&pool_min_conns=-1&statement_cache_capacity=-1&pool_health_check_period=-1s",
			func(*poolConfig) {}},
		{"everything", "&pool_max_conns=3&pool_max_conn_idle_time=10s&pool_ping_timeout=1s&default_query_exec_mode=simple_protocol",
			func(pc *poolConfig) { pc.maxConns, pc.maxIdleTime, pc.pingTimeout = 3, 10*time.Second, time.Second }},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			cfg, pc, err := parseConfig(base+tc.query, nil)
			if err != nil {
				t.Fatal(err)
			}
			want := defaults
			tc.want(&want)
			if pc != want {
				t.Errorf("pool config = %+v, want %+v", pc, want)
			}
			if len(cfg.RuntimeParams) != 2 || cfg.RuntimeParams["application_name"] != "rh" || cfg.RuntimeParams["search_path"] != "s" {
				t.Errorf("run-time parameters = %v, want only application_name and search_path", cfg.RuntimeParams)
			}
			if cfg.User != "u" || cfg.Password != "pw" || cfg.Host != "db.example.com" || cfg.Database != "d" || cfg.TLSConfig != nil {
				t.Errorf("connection settings not parsed as libpq does: %+v", cfg)
			}
		})
	}
}

// TestParseConfigInvalid: a bad value is refused, naming the parameter and quoting neither
// the value nor the URL.
func TestParseConfigInvalid(t *testing.T) {
	for _, q := range []string{
		"pool_max_conns=0", "pool_max_conns=-3", "pool_max_conns=two", "pool_max_conns=2147483648", "pool_max_conns=10001", "pool_max_conns=",
		"pool_max_conn_idle_time=60", "pool_max_conn_idle_time=-1m", "pool_max_conn_idle_time=later",
		"pool_ping_timeout=1", "pool_ping_timeout=-1s", "pool_max_conn_lifetime=1d",
		"pool_min_conns=1e3", "pool_min_idle_conns=x", "pool_health_check_period=x", "pool_max_conn_lifetime_jitter=x",
		"statement_cache_capacity=x", "description_cache_capacity=1.5",
		"default_query_exec_mode=prepare", "default_query_exec_mode=",
	} {
		t.Run(q, func(t *testing.T) {
			name, value, _ := strings.Cut(q, "=")
			_, _, err := parseConfig("postgres://u:S3cret@db.example.com/d?"+q, []string{"S3cret"})
			if err == nil {
				t.Fatal("parseConfig succeeded, want an error")
			}
			t.Logf("error: %v", err)
			if !strings.HasPrefix(err.Error(), "postgres: invalid store URL: "+name+" must be ") {
				t.Errorf("err = %q, want it to name %s and say what it must be", err, name)
			}
			for _, leak := range []string{"S3cret", "db.example.com"} {
				if strings.Contains(err.Error(), leak) {
					t.Errorf("err = %q quotes the URL", err)
				}
			}
			if value != "" && len(value) > 2 && strings.Contains(err.Error(), value) {
				t.Errorf("err = %q quotes the value", err)
			}
		})
	}
}

// TestParseConfigEnvironment: libpq's environment variables still fill in what the URL leaves
// out, and a pool parameter cannot come from them.
func TestParseConfigEnvironment(t *testing.T) {
	t.Setenv("PGPASSWORD", "from-env")
	t.Setenv("PGAPPNAME", "env-app")
	t.Setenv("PGCONNECT_TIMEOUT", "7")
	cfg, pc, err := parseConfig("postgres://u@db.example.com/d?sslmode=disable", nil)
	if err != nil {
		t.Fatal(err)
	}
	if cfg.Password != "from-env" || cfg.RuntimeParams["application_name"] != "env-app" || cfg.ConnectTimeout != 7*time.Second {
		t.Errorf("password %q, application_name %q, connect timeout %v; want them from PGPASSWORD, PGAPPNAME, PGCONNECT_TIMEOUT",
			cfg.Password, cfg.RuntimeParams["application_name"], cfg.ConnectTimeout)
	}
	if pc.maxConns != DefaultMaxConns {
		t.Errorf("maxConns = %d, want the default", pc.maxConns)
	}
}

// TestRoomParams: the upsert's parameters are the key, then one per room column, typed as the
// column is.
func TestRoomParams(t *testing.T) {
	ev := &callback.Event{SdkAppID: 1, Command: callback.CommandCreateRoom, RoomID: "r", EventTime: 5,
		Room: &callback.RoomCreated{RoomInfo: callback.RoomInfo{RoomID: "r"}, EventTime: 5}}
	invitees := `["a"]`
	p := roomParams(ev, &invitees)
	if len(p.values) != len(roomColumns)+2 || len(p.oids) != len(p.values) || len(p.formats) != len(p.values) {
		t.Fatalf("%d values, %d oids, %d formats for %d columns", len(p.values), len(p.oids), len(p.formats), len(roomColumns)+2)
	}
	want := map[string]uint32{
		"room_name": oidText, "max_member_count": oidInt8, "is_video_disabled": oidBool, "is_seat_enabled": oidBool,
		"create_time": oidInt8, "operator_account": oidText, inviteesColumn: oidJSONB, "callback_command": oidText,
		"event_time": oidInt8, "updated_at": oidInt8,
	}
	for i, c := range roomColumns {
		if oid, ok := want[c]; ok && p.oids[i+2] != oid {
			t.Errorf("%s is sent as type %d, want %d", c, p.oids[i+2], oid)
		}
	}
	if p.values[2] != nil {
		t.Errorf("an absent RoomName is %q, want NULL", p.values[2])
	}

	e := eventParams(&callback.Event{Command: "X"})
	if e.values[3] != nil {
		t.Errorf("an absent EventTime is %q, want NULL", e.values[3])
	}
	if raw := e.values[8]; raw == nil || len(raw) != 0 || e.formats[8] != formatBinary || e.oids[8] != oidBytea {
		t.Errorf("a nil body is %v (format %d, type %d), want an empty binary bytea", raw, e.formats[8], e.oids[8])
	}
	if e.values[2] == nil {
		t.Error("an empty RoomId is NULL, want ''")
	}
}

// TestRowReader: values are parsed from PostgreSQL's text form, and a short row, a NULL in a
// NOT NULL read or a value that does not parse is an error, not a zero.
func TestRowReader(t *testing.T) {
	r := &row{values: [][]byte{[]byte("-42"), nil, []byte("t"), []byte("f"), nil, []byte("x"), []byte{}}}
	if n := r.int8(); n != -42 {
		t.Errorf("int8 = %d", n)
	}
	if p := r.int8Ptr(); p != nil {
		t.Errorf("int8Ptr of NULL = %v", *p)
	}
	if b := r.bool(); !b {
		t.Error("bool of t = false")
	}
	if b := r.boolPtr(); b == nil || *b {
		t.Errorf("boolPtr of f = %v", b)
	}
	if s := r.textPtr(); s != nil {
		t.Errorf("textPtr of NULL = %q", *s)
	}
	if s := r.text(); s != "x" {
		t.Errorf("text = %q", s)
	}
	if b := r.bytes(); b == nil || len(b) != 0 {
		t.Errorf("bytes of '' = %v, want empty, not nil", b)
	}
	if err := r.done(); err != nil {
		t.Errorf("done: %v", err)
	}

	for name, read := range map[string]func(r *row){
		"NULL int8":      func(r *row) { r.int8() },
		"NULL text":      func(r *row) { r.text() },
		"bad int8":       func(r *row) { r.int8(); r.int8() },
		"bad bool":       func(r *row) { r.int8(); r.int8(); r.bool() },
		"too few read":   func(r *row) {},
		"too many read":  func(r *row) { r.textPtr(); r.textPtr(); r.textPtr(); r.textPtr() },
		"bad int8Ptr":    func(r *row) { r.int8(); r.int8Ptr() },
		"bad bool again": func(r *row) { r.textPtr(); r.textPtr(); r.boolPtr() },
	} {
		r := &row{values: [][]byte{nil, []byte("1.5"), []byte("yes")}}
		if name != "NULL int8" && name != "NULL text" {
			r.values[0] = []byte("1")
		}
		read(r)
		if err := r.done(); err == nil {
			t.Errorf("%s: no error", name)
		}
	}
}
