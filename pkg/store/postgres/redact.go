package postgres

import (
	"context"
	"errors"
	"net/url"
	"sort"
	"strings"

	"github.com/jackc/pgx/v5/pgconn"
)

// mask replaces a password wherever it appears in an error text.
const mask = "xxxxx"

// storeError is every error the store returns about the database. Its text has the
// configuration's passwords masked, and it unwraps only to what is safe and useful to match:
// the server's *pgconn.PgError, a context error, or a sentinel of this package. pgconn's
// connect and parse errors are not kept, because they carry the configuration, password
// included, in exported fields.
type storeError struct {
	msg   string
	cause error
}

func (e *storeError) Error() string { return e.msg }
func (e *storeError) Unwrap() error { return e.cause }

// wrapError returns prefix + ": " + err's text with every secret masked, unwrapping to
// err's safe cause.
func wrapError(secrets []string, err error, prefix string) error {
	return &storeError{msg: redact(prefix+": "+err.Error(), secrets), cause: safeCause(err)}
}

// safeCause returns what of err's chain callers may match with errors.Is or errors.As.
func safeCause(err error) error {
	var pgErr *pgconn.PgError
	switch {
	case errors.As(err, &pgErr):
		return pgErr
	case errors.Is(err, context.DeadlineExceeded):
		return context.DeadlineExceeded
	case errors.Is(err, context.Canceled):
		return context.Canceled
	}
	return nil
}

// parseError reports a URL pgconn could not parse. pgconn's message quotes the whole URL with the
// passwords it recognises masked, on a best-effort basis for malformed input; this keeps only
// the reason after the quoted URL, then masks every password candidate found in the URL.
func parseError(connString string, secrets []string, err error) error {
	reason := "check its syntax, and percent-encode reserved characters (@ : / ? # & %) in the password"
	var pe *pgconn.ParseConfigError
	if errors.As(err, &pe) && !strings.Contains(connString, "`") {
		// The text is "cannot parse `URL`: reason"; without a backtick in the URL, the first
		// "`: " ends the quoted URL.
		if _, after, ok := strings.Cut(pe.Error(), "`: "); ok && after != "" {
			reason = after
		}
	}
	return &storeError{msg: redact("postgres: invalid store URL: "+reason, secrets)}
}

// urlSecrets returns every string of connString that may be a password: the userinfo password
// as a well-formed URI has it, and as a malformed one (an unencoded '/', '?' or '@' in the
// password) may mean it; and the password and sslpassword query values. Each comes raw and
// percent-decoded. The list over-approximates on purpose: masking too much only makes a
// message less readable.
func urlSecrets(connString string) []string {
	_, rest, ok := strings.Cut(connString, "://")
	if !ok {
		return nil
	}
	var out []string
	add := func(s string) {
		if s == "" {
			return
		}
		out = append(out, s)
		if d, err := url.PathUnescape(s); err == nil && d != s {
			out = append(out, d)
		}
		if d, err := url.QueryUnescape(s); err == nil && d != s {
			out = append(out, d)
		}
	}
	// Userinfo ends at the first '@' before any '/' (how pgconn and libpq read it) or, in a
	// malformed URI, at the last '@' of all.
	var userinfos []string
	if i := strings.IndexAny(rest, "@/"); i >= 0 && rest[i] == '@' {
		userinfos = append(userinfos, rest[:i])
	}
	if i := strings.LastIndexByte(rest, '@'); i >= 0 {
		userinfos = append(userinfos, rest[:i])
	}
	for _, ui := range userinfos {
		if _, pw, ok := strings.Cut(ui, ":"); ok {
			add(pw)
			// A reserved character left unencoded splits the password between userinfo,
			// host, path and query; each piece may then appear on its own.
			for _, piece := range strings.FieldsFunc(pw, func(r rune) bool { return strings.ContainsRune("@/?#", r) }) {
				add(piece)
			}
		}
	}
	if _, query, ok := strings.Cut(rest, "?"); ok {
		query, _, _ = strings.Cut(query, "#")
		for _, kv := range strings.Split(query, "&") {
			k, v, _ := strings.Cut(kv, "=")
			if dk, err := url.QueryUnescape(k); err == nil {
				k = dk
			}
			switch strings.ToLower(strings.TrimSpace(k)) {
			case "password", "sslpassword":
				add(v)
			}
		}
	}
	return out
}

// redact masks every secret in s, longest first so that a password containing another is
// masked whole.
func redact(s string, secrets []string) string {
	sorted := append([]string(nil), secrets...)
	sort.Slice(sorted, func(i, j int) bool { return len(sorted[i]) > len(sorted[j]) })
	for _, sec := range sorted {
		if sec != "" {
			s = strings.ReplaceAll(s, sec, mask)
		}
	}
	return s
}
