package mysql

import (
	"errors"
	"fmt"
	"net"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	driver "github.com/go-sql-driver/mysql"
)

// DefaultMaxOpenConns is the size of the connection pool when the URL has no max_open_conns.
// A function instance serves one request at a time, so two connections cover a Save and a
// concurrent reconnect without letting many warm instances exhaust the server.
const DefaultMaxOpenConns = 2

// maxMaxOpenConns caps max_open_conns; a larger pool per function instance is a mistake.
const maxMaxOpenConns = 100

// lockWaitTimeoutSeconds bounds how long one statement waits for a row lock on the server
// (InnoDB's default is 50 s). A Save's own deadline ends the wait on the client side sooner,
// but the server notices a client that gave up only when the wait ends, and keeps the locks
// that client holds until then. It is longer than any Save budget (ROOMHOOK_STORE_TIMEOUT,
// 1.5 s by default) and shorter than the default read timeout, so a caller without a deadline
// gets the server's clean "lock wait timeout" rather than a broken connection.
const lockWaitTimeoutSeconds = 3

// sessionSQLMode makes every session strict whatever the server's default: a value that does
// not fit its column is an error, never silently truncated, and a table is InnoDB or nothing.
const sessionSQLMode = "'STRICT_ALL_TABLES,NO_ENGINE_SUBSTITUTION'"

// config is what a store URL says, ready for the driver.
type config struct {
	driver       *driver.Config
	maxOpenConns int
}

// where says where the store lives, for error messages: host:port and the database.
func (c *config) where() string {
	return fmt.Sprintf("%s, database %q", c.driver.Addr, c.driver.DBName)
}

// The URL parameters that are passed to the driver. Names are the driver's own, so that a user
// who knows go-sql-driver DSNs finds them; max_open_conns is roomhook's.
const (
	paramTLS             = "tls"
	paramTimeout         = "timeout"
	paramReadTimeout     = "readTimeout"
	paramWriteTimeout    = "writeTimeout"
	paramMaxOpenConns    = "max_open_conns"
	paramRejectReadOnly  = "rejectReadOnly"
	paramCleartext       = "allowCleartextPasswords"
	paramNativePasswords = "allowNativePasswords"
)

var supportedParams = []string{
	paramTLS, paramTimeout, paramReadTimeout, paramWriteTimeout, paramMaxOpenConns,
	paramRejectReadOnly, paramCleartext, paramNativePasswords,
}

// fixedParams are driver parameters roomhook sets itself because the store depends on them. A
// function, built when a URL names an unknown parameter, not a package-level map: package init
// runs at every cold start, for every backend linked.
func fixedParams() map[string]string {
	return map[string]string{
		"parseTime":         "times are stored as integers",
		"interpolateParams": "statements are always sent with server-side parameters",
		"clientFoundRows":   "duplicates are detected by the number of rows changed",
		"multiStatements":   "one statement per call",
		"columnsWithAlias":  "column names are fixed",
		"charset":           "the connection always uses utf8mb4",
		"collation":         "the connection always uses utf8mb4",
		"loc":               "times are stored as integers",
		"timeTruncate":      "times are stored as integers",
		"allowAllFiles":     "roomhook never loads files",
		"allowOldPasswords": "the pre-4.1 password protocol is insecure",
		"strict":            "the driver removed it; roomhook sets a strict sql_mode itself",
	}
}

// urlForm is the shape every URL error message points to.
const urlForm = "mysql://USER:PASSWORD@HOST:PORT/DATABASE?PARAM=VALUE&…"

// parseURL turns a mysql:// store URL into a driver configuration. The URL is never handed to
// the driver as a DSN and no error repeats the user information: the password stays in
// cfg.Passwd.
//
// The user information ends at the URL's last '@', so a password may hold '@', '/', '?', '#'
// or ':' unencoded; a '%' in it must be written %25. Everything after that '@' is parsed as
// host[:port]/database[?params] and may appear in errors.
func parseURL(rawURL string, defaultTimeout time.Duration) (*config, error) {
	scheme, rest, ok := strings.Cut(rawURL, "://")
	if !ok || !strings.EqualFold(scheme, "mysql") {
		return nil, fmt.Errorf("mysql: the store URL must start with mysql://; want %s", urlForm)
	}
	at := strings.LastIndexByte(rest, '@')
	if at < 0 {
		return nil, fmt.Errorf("mysql: the store URL has no user; want %s", urlForm)
	}
	userinfo, hostPart := rest[:at], rest[at+1:]

	rawUser, rawPass, _ := strings.Cut(userinfo, ":")
	user, err := url.PathUnescape(rawUser)
	if err != nil {
		return nil, errors.New("mysql: the user name in the store URL holds a malformed percent-escape; write '%' as %25")
	}
	if user == "" {
		return nil, fmt.Errorf("mysql: the store URL has no user; want %s", urlForm)
	}
	pass, err := url.PathUnescape(rawPass)
	if err != nil {
		// url's error would quote the escape, and with it part of the password.
		return nil, errors.New("mysql: the password in the store URL holds a malformed percent-escape; write '%' as %25")
	}

	if strings.ContainsAny(hostPart, "#") {
		return nil, errors.New("mysql: the store URL must not have a #fragment after the host")
	}
	hostDB, rawQuery, _ := strings.Cut(hostPart, "?")
	hostPort, rawDB, ok := strings.Cut(hostDB, "/")
	if !ok {
		return nil, fmt.Errorf("mysql: the store URL names no database; want %s", urlForm)
	}
	addr, err := parseHostPort(hostPort)
	if err != nil {
		return nil, err
	}
	if strings.Contains(rawDB, "/") {
		return nil, fmt.Errorf("mysql: the store URL's path must be /DATABASE, nothing more; want %s", urlForm)
	}
	dbName, err := url.PathUnescape(rawDB)
	if err != nil {
		return nil, fmt.Errorf("mysql: the database name in the store URL: %v", err)
	}
	if dbName == "" {
		return nil, fmt.Errorf("mysql: the store URL names no database; want %s", urlForm)
	}

	cfg := driver.NewConfig()
	// The driver prints connection trouble ("[mysql] … i/o timeout") as plain text on stderr,
	// outside roomhook's JSON log lines and their level. Every such failure also reaches Save
	// or Open as an error, which the caller reports, so the driver's copy is dropped.
	cfg.Logger = discardLogger{}
	cfg.User = user
	cfg.Passwd = pass
	cfg.Net = "tcp"
	cfg.Addr = addr
	cfg.DBName = dbName
	// The behaviour the store relies on, set explicitly rather than trusted to defaults.
	cfg.ParseTime = false
	cfg.InterpolateParams = false
	cfg.ClientFoundRows = false
	cfg.MultiStatements = false
	cfg.AllowAllFiles = false
	cfg.Timeout = defaultTimeout
	cfg.ReadTimeout = defaultTimeout
	cfg.WriteTimeout = defaultTimeout
	// Sent as one SET right after connecting. The character set is set here as well as in the
	// handshake (whose default is utf8mb4) because some servers ignore the client's handshake
	// character set.
	cfg.Params = map[string]string{
		"character_set_client":     "utf8mb4",
		"character_set_connection": "utf8mb4",
		"character_set_results":    "utf8mb4",
		"sql_mode":                 sessionSQLMode,
		"innodb_lock_wait_timeout": strconv.Itoa(lockWaitTimeoutSeconds),
	}
	c := &config{driver: cfg, maxOpenConns: DefaultMaxOpenConns}

	query, err := url.ParseQuery(rawQuery)
	if err != nil {
		return nil, fmt.Errorf("mysql: the store URL's parameters: %v", err)
	}
	names := make([]string, 0, len(query))
	for name := range query {
		names = append(names, name)
	}
	slices.Sort(names) // the first bad parameter reported is always the same one
	for _, name := range names {
		values := query[name]
		if len(values) != 1 {
			return nil, fmt.Errorf("mysql: store URL parameter %s is given %d times", name, len(values))
		}
		if err := c.set(name, values[0]); err != nil {
			return nil, err
		}
	}
	return c, nil
}

// set applies one URL parameter. Errors name the parameter but not its value.
func (c *config) set(name, value string) error {
	cfg := c.driver
	var err error
	switch name {
	case paramTLS:
		switch v := strings.ToLower(value); v {
		case "true", "false", "skip-verify", "preferred":
			cfg.TLSConfig = v
		default:
			return errors.New("mysql: store URL parameter tls must be true, false, skip-verify or preferred")
		}
	case paramTimeout:
		cfg.Timeout, err = parseDuration(name, value)
	case paramReadTimeout:
		cfg.ReadTimeout, err = parseDuration(name, value)
	case paramWriteTimeout:
		cfg.WriteTimeout, err = parseDuration(name, value)
	case paramMaxOpenConns:
		n, convErr := strconv.Atoi(value)
		if convErr != nil || n < 1 || n > maxMaxOpenConns {
			return fmt.Errorf("mysql: store URL parameter %s must be a whole number from 1 to %d", name, maxMaxOpenConns)
		}
		c.maxOpenConns = n
	case paramRejectReadOnly:
		cfg.RejectReadOnly, err = parseBool(name, value)
	case paramCleartext:
		cfg.AllowCleartextPasswords, err = parseBool(name, value)
	case paramNativePasswords:
		cfg.AllowNativePasswords, err = parseBool(name, value)
	default:
		if why, ok := fixedParams()[name]; ok {
			return fmt.Errorf("mysql: store URL parameter %s cannot be set: roomhook fixes it (%s)", name, why)
		}
		return fmt.Errorf("mysql: unknown store URL parameter %q; supported: %s",
			name, strings.Join(supportedParams, ", "))
	}
	return err
}

func parseDuration(name, value string) (time.Duration, error) {
	d, err := time.ParseDuration(value)
	if err != nil || d <= 0 {
		return 0, fmt.Errorf("mysql: store URL parameter %s must be a positive Go duration such as 5s or 1500ms", name)
	}
	return d, nil
}

func parseBool(name, value string) (bool, error) {
	switch strings.ToLower(value) {
	case "true", "1":
		return true, nil
	case "false", "0":
		return false, nil
	}
	return false, fmt.Errorf("mysql: store URL parameter %s must be true or false", name)
}

// parseHostPort checks host[:port] or [ipv6][:port] and returns host:port, 3306 by default.
func parseHostPort(s string) (string, error) {
	var host, port string
	if strings.HasPrefix(s, "[") {
		end := strings.IndexByte(s, ']')
		if end < 0 {
			return "", errors.New("mysql: the store URL's IPv6 host has no closing ']'")
		}
		host = s[1:end]
		after := s[end+1:]
		if after != "" {
			p, ok := strings.CutPrefix(after, ":")
			if !ok {
				return "", errors.New("mysql: the store URL has something other than :PORT after the IPv6 host")
			}
			port = p
			if port == "" {
				return "", errors.New("mysql: the store URL has an empty port")
			}
		}
		if net.ParseIP(host) == nil || !strings.Contains(host, ":") {
			return "", fmt.Errorf("mysql: the store URL's host [%s] is not an IPv6 address", host)
		}
	} else {
		switch strings.Count(s, ":") {
		case 0:
			host = s
		case 1:
			host, port, _ = strings.Cut(s, ":")
			if port == "" {
				return "", errors.New("mysql: the store URL has an empty port")
			}
		default:
			return "", errors.New("mysql: the store URL's host has several ':'; write an IPv6 address in brackets, [::1]:3306")
		}
		if host == "" {
			return "", fmt.Errorf("mysql: the store URL has no host; want %s", urlForm)
		}
		for _, r := range host {
			if !(r == '.' || r == '-' || r == '_' || '0' <= r && r <= '9' || 'a' <= r && r <= 'z' || 'A' <= r && r <= 'Z') {
				return "", fmt.Errorf("mysql: the store URL's host %q holds a character a host name cannot", host)
			}
		}
	}
	if port == "" {
		port = "3306"
	} else if n, err := strconv.Atoi(port); err != nil || n < 1 || n > 65535 || port[0] == '+' {
		return "", fmt.Errorf("mysql: the store URL's port %q is not a number from 1 to 65535", port)
	}
	return net.JoinHostPort(host, port), nil
}
