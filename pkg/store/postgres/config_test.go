package postgres

import (
	"fmt"
	"hash/fnv"
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

// TestRowParams: a row's parameters are one per column, typed by the column's kind, nil as
// NULL; a value of another kind is an error naming the column, not a guess.
func TestRowParams(t *testing.T) {
	oids := map[callback.ColumnKind]uint32{
		callback.KindText: oidText, callback.KindInt: oidInt8, callback.KindBool: oidBool, callback.KindList: oidJSONB,
		callback.KindInts: oidJSONB,
	}
	samples := map[callback.ColumnKind]any{
		callback.KindText: "a'b", callback.KindInt: int64(-7), callback.KindBool: true, callback.KindList: []string{"<u&1>", "u2"},
		callback.KindInts: []int64{3, -9223372036854775808, 9223372036854775807},
	}
	texts := map[callback.ColumnKind]string{
		callback.KindText: "a'b", callback.KindInt: "-7", callback.KindBool: "t", callback.KindList: `["<u&1>","u2"]`,
		callback.KindInts: `[3,-9223372036854775808,9223372036854775807]`,
	}
	for _, tb := range callback.Tables {
		for _, null := range []bool{false, true} {
			p := &params{}
			for _, c := range tb.Columns {
				v := samples[c.Kind]
				if null && c.Nullable {
					v = nil
				}
				if err := p.value(tb, c, v); err != nil {
					t.Fatalf("%s.%s: %v", tb.Name, c.Name, err)
				}
			}
			for i, c := range tb.Columns {
				want := texts[c.Kind]
				if null && c.Nullable {
					if p.values[i] != nil {
						t.Errorf("%s.%s: nil is %q, want NULL", tb.Name, c.Name, p.values[i])
					}
				} else if string(p.values[i]) != want {
					t.Errorf("%s.%s is sent as %q, want %q", tb.Name, c.Name, p.values[i], want)
				}
				if p.oids[i] != oids[c.Kind] || p.formats[i] != formatText {
					t.Errorf("%s.%s is sent as type %d format %d, want %d, text", tb.Name, c.Name, p.oids[i], p.formats[i], oids[c.Kind])
				}
			}
		}
	}
	for _, bad := range []struct {
		col string
		v   any
	}{{"room_name", int64(1)}, {"max_member_count", "1"}, {"is_video_disabled", int64(1)}, {"callback_command", nil},
		{"schedule_invitee_list_account", "[]"}, {"event_time", 1}, {"category", []string{"1"}}, {"category", "[1]"}} {
		c := callback.RoomsTable.Columns[callback.RoomsTable.Index(bad.col)]
		if err := (&params{}).value(callback.RoomsTable, c, bad.v); err == nil || !strings.Contains(err.Error(), "rooms."+bad.col) {
			t.Errorf("%s = %#v: err = %v, want one naming rooms.%s", bad.col, bad.v, err, bad.col)
		}
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
	if d := string(e.values[9]); d != (&callback.Event{}).Digest() || e.oids[9] != oidText {
		t.Errorf("body_sha256 of an empty body = %q (type %d), want the digest as text", d, e.oids[9])
	}
}

// TestStatements: the SQL texts are built from the descriptors, with $n placeholders in the
// order Put binds them.
func TestStatements(t *testing.T) {
	st := statementsOf(callback.MembersTable)
	for got, want := range map[string]string{
		st.Get: "SELECT sdk_app_id, room_id, member_account, state, entered_at, left_at, leave_type, leave_reason, " +
			"event_time, updated_at FROM room_members WHERE sdk_app_id = $1 AND room_id = $2 AND member_account = $3",
		st.Insert: "INSERT INTO room_members (sdk_app_id, room_id, member_account, state, entered_at, left_at, leave_type, " +
			"leave_reason, event_time, updated_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)",
		st.Update: "UPDATE room_members SET state = $1, entered_at = $2, left_at = $3, leave_type = $4, leave_reason = $5, " +
			"event_time = $6, updated_at = $7 WHERE sdk_app_id = $8 AND room_id = $9 AND member_account = $10",
	} {
		if got != want {
			t.Errorf("statement:\n got %s\nwant %s", got, want)
		}
	}
	if st := statementsOf(callback.RoomsTable); !strings.Contains(st.Room, "schedule_invitee_list_account::text") ||
		!strings.HasSuffix(st.Room, "FROM rooms WHERE sdk_app_id = $1 AND room_id = $2") {
		t.Errorf("rooms of a room: %s", st.Room)
	}
	q, p := archiveQuery(7, "r", callback.ArchiveQuery{Commands: []string{"a", "b"}, From: 5, To: 9, Newest: true})
	// One branch per command, each an equality on the key's prefix; every value named once.
	branch := func(c string) string {
		return "sdk_app_id = $1 AND room_id = $2 AND callback_command = " + c + " AND event_time IS NOT NULL AND " +
			"event_time >= $4 AND event_time <= $5"
	}
	newest := "(SELECT MAX(t) FROM (SELECT MAX(event_time) AS t FROM callback_events WHERE " + branch("$3") +
		" UNION ALL SELECT MAX(event_time) AS t FROM callback_events WHERE " + branch("$6") + ") newest)"
	want := "SELECT callback_command, event_time, body_sha256, raw_body FROM callback_events WHERE " + branch("$3") +
		" AND event_time = " + newest + " UNION ALL SELECT callback_command, event_time, body_sha256, raw_body FROM " +
		"callback_events WHERE " + branch("$6") + " AND event_time = " + newest
	if q != want || len(p.values) != 6 {
		t.Errorf("archive query with %d parameters:\n got %s\nwant %s", len(p.values), q, want)
	}
}

// TestColumnReader: a row is read by its columns' kinds; a NULL where the column is not
// nullable, or a list that is not one, is an error.
func TestColumnReader(t *testing.T) {
	tb := callback.SeatsTable
	r := &row{values: [][]byte{[]byte("1"), []byte("r"), []byte("3"), nil, []byte("t"), []byte("f"), nil, []byte("9"), []byte("10")}}
	got := make(callback.Row, len(tb.Columns))
	for i, c := range tb.Columns {
		got[i] = r.column(tb, c)
	}
	if err := r.done(); err != nil {
		t.Fatal(err)
	}
	if err := callback.CheckRow(tb, got); err != nil || got[4] != true || got[5] != false || got[3] != nil || got[2] != int64(3) {
		t.Errorf("row = %#v (%v)", got, err)
	}
	r = &row{values: [][]byte{nil}}
	r.column(tb, tb.Columns[0])
	if err := r.done(); err == nil || !strings.Contains(err.Error(), "room_seats.sdk_app_id") {
		t.Errorf("NULL sdk_app_id: err = %v, want one naming the column", err)
	}
	list := callback.RoomsTable.Columns[callback.RoomsTable.Index("schedule_invitee_list_account")]
	for text, want := range map[string]any{`[]`: []string{}, `["a", "b"]`: []string{"a", "b"}} {
		r = &row{values: [][]byte{[]byte(text)}}
		if v := r.column(callback.RoomsTable, list); fmt.Sprintf("%#v", v) != fmt.Sprintf("%#v", want) || r.done() != nil {
			t.Errorf("list %s = %#v, want %#v", text, v, want)
		}
	}
	r = &row{values: [][]byte{[]byte(`{"a":1}`)}}
	r.column(callback.RoomsTable, list)
	if err := r.done(); err == nil {
		t.Error("a list that is an object: no error")
	}

	// A list of integers, as JSONB's text gives it back: [] is an empty list, NULL none.
	ints := callback.RoomsTable.Columns[callback.RoomsTable.Index("category")]
	for text, want := range map[string]any{`[]`: []int64{}, `[3, 14, -15]`: []int64{3, 14, -15},
		`[9223372036854775807]`: []int64{9223372036854775807}} {
		r = &row{values: [][]byte{[]byte(text)}}
		if v := r.column(callback.RoomsTable, ints); fmt.Sprintf("%#v", v) != fmt.Sprintf("%#v", want) || r.done() != nil {
			t.Errorf("integers %s = %#v, want %#v", text, v, want)
		}
	}
	r = &row{values: [][]byte{nil}}
	if v := r.column(callback.RoomsTable, ints); v != nil || r.done() != nil {
		t.Errorf("integers NULL = %#v, want nil", v)
	}
	for _, bad := range []string{`[1.5]`, `[9223372036854775808]`, `{"a":1}`} {
		r = &row{values: [][]byte{[]byte(bad)}}
		r.column(callback.RoomsTable, ints)
		if err := r.done(); err == nil || !strings.Contains(err.Error(), "rooms.category") {
			t.Errorf("integers %s: err = %v, want one naming rooms.category", bad, err)
		}
	}
}

// TestRoomLockKey: FNV-1a, 64 bits, of the app id in decimal, a NUL and the room id, split in
// halves.
func TestRoomLockKey(t *testing.T) {
	h := fnv.New64a()
	h.Write([]byte("1400123456\x00room-1"))
	sum := h.Sum64()
	if c, o := roomLock(1400123456, "room-1"); c != int32(sum>>32) || o != int32(sum) {
		t.Errorf("roomLock = %d, %d; want %d, %d", c, o, int32(sum>>32), int32(sum))
	}
}

// TestCheckRowText: every string a row holds is checked, a list's too; the error names the
// table and column.
func TestCheckRowText(t *testing.T) {
	row := (&callback.RoomRow{SdkAppID: 1, Info: callback.RoomInfo{RoomID: "r"}, CallbackCommand: "c",
		ScheduleInviteeList: []string{"ok", "bad\x00"}}).Row()
	if err := checkRowText(callback.RoomsTable, row); err == nil || err.Error() !=
		"rooms.schedule_invitee_list_account holds a NUL character, which PostgreSQL text cannot store" {
		t.Errorf("err = %v", err)
	}
	row = (&callback.MemberRow{SdkAppID: 1, RoomID: "r", MemberAccount: "m", State: "in", LeaveReason: ptrTo("\xff")}).Row()
	if err := checkRowText(callback.MembersTable, row); err == nil || err.Error() !=
		"room_members.leave_reason is not valid UTF-8, which PostgreSQL text cannot store" {
		t.Errorf("err = %v", err)
	}
	if err := checkRowText(callback.MembersTable, (&callback.MemberRow{MemberAccount: "é"}).Row()); err != nil {
		t.Errorf("a valid row: %v", err)
	}
}

func ptrTo[T any](v T) *T { return &v }

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
