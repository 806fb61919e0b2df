package callback

import (
	"net/http"
	"strings"
)

// Kind classifies a failure; exactly one table (statusOf) maps kinds to HTTP status.
type Kind int

const (
	KindInvalid          Kind = iota + 1 // the request cannot be a valid callback: 400
	KindUnauthorized                     // Sign/RequestTime missing, wrong or too far off: 401
	KindForbidden                        // SdkAppid missing or not ours: 403
	KindMethodNotAllowed                 // not POST: 405
	KindTooLarge                         // body over MaxBodyBytes: 413
	KindInternal                         // a bug (a recovered panic): 500
	KindUnavailable                      // the store failed or timed out: 503
)

// statusOf is the single place where a kind becomes an HTTP status.
func statusOf(k Kind) int {
	switch k {
	case KindInvalid:
		return http.StatusBadRequest
	case KindUnauthorized:
		return http.StatusUnauthorized
	case KindForbidden:
		return http.StatusForbidden
	case KindMethodNotAllowed:
		return http.StatusMethodNotAllowed
	case KindTooLarge:
		return http.StatusRequestEntityTooLarge
	case KindUnavailable:
		return http.StatusServiceUnavailable
	}
	return http.StatusInternalServerError
}

// Error is a refusal: a kind (which decides the status), the ErrorCode of the FAIL packet, a
// reason word for the log line, and a short message safe to send back (never a secret, never
// the body).
type Error struct {
	Kind    Kind
	Code    int
	Reason  string
	Message string
}

func (e *Error) Error() string { return e.Message }

// The ErrorCodes of FAIL packets; README.md lists them. The first three digits are the HTTP
// status, so a code read alone in Tencent's console still tells the class of failure.
var (
	errContentType     = &Error{KindInvalid, 40001, "contenttype", "contenttype must be json"}
	errBody            = &Error{KindInvalid, 40002, "body", "body is not a JSON object in UTF-8"}
	errCommandMissing  = &Error{KindInvalid, 40004, "command_missing", "CallbackCommand missing from the query string"}
	errCommandMismatch = &Error{KindInvalid, 40005, "command_mismatch", "CallbackCommand in the query string and the body differ"}
	errRepeatedParam   = &Error{KindInvalid, 40006, "repeated_param", "a query parameter is repeated"}
	errParamValue      = &Error{KindInvalid, 40007, "param_value", "a query parameter has an invalid value"}
	errSignMissing     = &Error{KindUnauthorized, 40101, "sign_missing", "Sign and RequestTime are required"}
	errSignTime        = &Error{KindUnauthorized, 40102, "sign_time", "RequestTime is invalid or outside the accepted window"}
	errSignMismatch    = &Error{KindUnauthorized, 40103, "sign_mismatch", "Sign does not match"}
	errAppMissing      = &Error{KindForbidden, 40301, "sdkappid_missing", "SdkAppid missing from the query string"}
	errAppUnknown      = &Error{KindForbidden, 40302, "sdkappid_unknown", "SdkAppid is not served here"}
	errMethod          = &Error{KindMethodNotAllowed, 40501, "method", "method not allowed; use POST"}
	errTooLarge        = &Error{KindTooLarge, 41301, "too_large", "body exceeds 1 MiB"}
	errInternal        = &Error{KindInternal, 50001, "panic", "internal error"}
	errStore           = &Error{KindUnavailable, 50301, "store", "the event could not be stored; retry later"}
)

// Unverified reports whether outcome ("rejected:<reason>") is a refusal made before the
// signature was verified: its query string, CallbackCommand included, may be anyone's. Package
// emf does not let such a request name a command in its metrics.
func Unverified(outcome string) bool {
	reason, refused := strings.CutPrefix(outcome, "rejected:")
	if !refused {
		return false
	}
	for _, e := range []*Error{errMethod, errTooLarge, errRepeatedParam, errParamValue, errAppMissing, errAppUnknown,
		errSignMissing, errSignTime, errSignMismatch} {
		if e.Reason == reason {
			return true
		}
	}
	return false
}

// errDuplicate reports a field the parser reads that appears twice in one object (40008),
// naming the field by its path ("RoomInfo.RoomId"), never by the sender's spelling.
func errDuplicate(path string) *Error {
	return &Error{KindInvalid, 40008, "duplicate_field", path + " appears twice in the body"}
}

// errField reports a missing or mistyped field (40003), naming the field but not its value.
func errField(detail string) *Error {
	return &Error{KindInvalid, 40003, "field", detail}
}
