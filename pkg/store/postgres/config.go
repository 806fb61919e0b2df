package postgres

import (
	"errors"
	"fmt"
	"strconv"
	"time"

	"github.com/jackc/pgx/v5/pgconn"
)

// parseConfig parses connString the way libpq does (pgconn.ParseConfig: the URL, then the PG*
// environment variables, a service file and ~/.pgpass for what it leaves out) and takes out
// of the run-time parameters those that are the pool's or pgx's, not the server's: left in,
// pgconn would send them in the startup packet and the server would refuse the connection.
// The pool settings the URL leaves unset get roomhook's serverless defaults.
func parseConfig(connString string, secrets []string) (*pgconn.Config, poolConfig, error) {
	cfg, err := pgconn.ParseConfig(connString)
	if err != nil {
		return nil, poolConfig{}, parseError(connString, secrets, err)
	}
	pc := poolConfig{
		maxConns:    DefaultMaxConns,
		maxIdleTime: DefaultMaxConnIdleTime,
		maxLifetime: defaultMaxConnLifetime,
		pingTimeout: DefaultPingTimeout,
		pingAfter:   pingAfterIdle,
		closeGrace:  closeGrace,
	}
	for _, p := range clientParams(&pc) {
		v, ok := cfg.RuntimeParams[p.name]
		if !ok {
			continue
		}
		delete(cfg.RuntimeParams, p.name)
		if err := p.set(v); err != nil {
			return nil, poolConfig{}, fmt.Errorf("postgres: invalid store URL: %s %v", p.name, err)
		}
	}
	return cfg, pc, nil
}

// clientParam is a URL parameter meant for the client, not the server.
type clientParam struct {
	name string
	// set checks the value and applies it; its error says what is expected and does not
	// quote the value.
	set func(v string) error
}

// clientParams lists the URL parameters pgxpool and pgx took out of the connection string,
// which roomhook still accepts so that URLs written for earlier versions keep working:
// pool_max_conns, pool_max_conn_idle_time, pool_ping_timeout and pool_max_conn_lifetime set
// pc; the others are checked as pgx checked them and otherwise ignored. default_query_exec_mode
// no longer changes anything: every statement runs on the extended protocol's unnamed
// statement, which needs no prepared-statement support from a pooler.
func clientParams(pc *poolConfig) []clientParam {
	// The ignored ones are checked only as far as pgx did: a whole number, a duration.
	ignoreCount := func(v string) error {
		if _, err := strconv.ParseInt(v, 10, 32); err != nil {
			return errors.New("must be a whole number")
		}
		return nil
	}
	ignoreDuration := func(v string) error {
		if _, err := time.ParseDuration(v); err != nil {
			return errors.New("must be a duration such as 500ms, 30s or 5m")
		}
		return nil
	}
	return []clientParam{
		{"pool_max_conns", func(v string) (err error) {
			if pc.maxConns, err = count(v, 1); err == nil && pc.maxConns > maxPoolConns {
				err = fmt.Errorf("must be at most %d", maxPoolConns)
			}
			return err
		}},
		{"pool_max_conn_idle_time", func(v string) (err error) { pc.maxIdleTime, err = duration(v); return err }},
		{"pool_ping_timeout", func(v string) (err error) { pc.pingTimeout, err = duration(v); return err }},
		{"pool_max_conn_lifetime", func(v string) (err error) { pc.maxLifetime, err = duration(v); return err }},
		{"pool_min_conns", ignoreCount},
		{"pool_min_idle_conns", ignoreCount},
		{"pool_health_check_period", ignoreDuration},
		{"pool_max_conn_lifetime_jitter", ignoreDuration},
		{"statement_cache_capacity", ignoreCount},
		{"description_cache_capacity", ignoreCount},
		{"default_query_exec_mode", func(v string) error {
			switch v {
			case "cache_statement", "cache_describe", "describe_exec", "exec", "simple_protocol":
				return nil
			}
			return errors.New("must be one of cache_statement, cache_describe, describe_exec, exec, simple_protocol")
		}},
	}
}

// count parses a whole number of at least lowest.
// maxPoolConns bounds pool_max_conns: far above any server's max_connections, and low enough
// that the pool's per-connection bookkeeping (one token each) stays small.
const maxPoolConns = 10000

func count(v string, lowest int) (int, error) {
	n, err := strconv.ParseInt(v, 10, 32)
	if err != nil || n < int64(lowest) {
		return 0, fmt.Errorf("must be a whole number, %d or more", lowest)
	}
	return int(n), nil
}

// duration parses a Go duration that is not negative (0 means no limit).
func duration(v string) (time.Duration, error) {
	d, err := time.ParseDuration(v)
	if err != nil || d < 0 {
		return 0, errors.New("must be a duration such as 500ms, 30s or 5m, 0 or more")
	}
	return d, nil
}
