package main

import (
	"net/http"
	"net/url"
	"strconv"

	"github.com/roomhook/roomhook/pkg/callback"
)

// fromALB reads an Application Load Balancer event. Unlike API Gateway, ALB passes query
// parameter names and values as they were on the URL, still percent-encoded, so they are
// decoded here (a name or value that is not a valid encoding is kept as sent). When the target
// group has multi-value headers switched on, the event carries multiValueHeaders and
// multiValueQueryStringParameters, and the load balancer then only reads multiValueHeaders
// from the response: multi reports that mode.
func fromALB(ev *event) (req callback.Request, multi bool) {
	multi = bool(ev.MultiValueHeaders) || ev.MultiValueQueryStringParameters != nil
	var q url.Values
	switch {
	case len(ev.MultiValueQueryStringParameters) > 0:
		q = make(url.Values, len(ev.MultiValueQueryStringParameters))
		for k, vs := range ev.MultiValueQueryStringParameters {
			name := unescape(k)
			for _, v := range vs {
				q[name] = append(q[name], unescape(v))
			}
		}
	default:
		if m := ev.singleParams(); len(m) > 0 {
			q = make(url.Values, len(m))
			for k, v := range m {
				name := unescape(k)
				q[name] = append(q[name], unescape(v))
			}
		}
	}
	return callback.Request{Method: ev.HTTPMethod, Query: q}, multi
}

// unescape decodes one query component as a browser form encodes it ('+' is a space), or
// returns it unchanged when it is not a valid encoding.
func unescape(s string) string {
	u, err := url.QueryUnescape(s)
	if err != nil {
		return s
	}
	return u
}

// statusDescription is the status line ALB needs in the response, e.g. "200 OK".
func statusDescription(code int) string {
	return strconv.Itoa(code) + " " + http.StatusText(code)
}
