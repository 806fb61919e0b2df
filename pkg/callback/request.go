package callback

import "net/url"

// Request is the neutral form of one HTTP delivery, built by a platform adapter.
type Request struct {
	// Method is the HTTP method as the gateway reports it.
	Method string
	// Query holds the decoded query parameters, names as sent, repeated names kept in order.
	Query url.Values
	// Body is the request body after the gateway's base64 encoding (if any) is undone: the
	// bytes Tencent sent.
	Body []byte
	// RequestID is the platform's id for this invocation; it is logged and archived.
	RequestID string
}

// Response is the neutral answer an adapter renders into its platform's response type.
type Response struct {
	StatusCode int
	// Header holds the response headers, canonical names (Content-Type, Allow).
	Header map[string]string
	Body   []byte
}
