package main

import (
	"net/url"

	"github.com/roomhook/roomhook/pkg/callback"
)

// fromV1 reads the REST shape (API Gateway REST APIs, and HTTP APIs with payload format 1.0).
// The gateway has already decoded the query parameters. multiValueQueryStringParameters keeps
// every value of a repeated name, so it is preferred; queryStringParameters (last value only)
// is the fallback for events that carry nothing else.
func fromV1(ev *event) callback.Request {
	q := ev.MultiValueQueryStringParameters
	if len(q) == 0 {
		q = single(ev.singleParams())
	}
	return callback.Request{Method: ev.HTTPMethod, Query: q}
}

// single turns a one-value-per-name map into url.Values.
func single(m map[string]string) url.Values {
	if len(m) == 0 {
		return nil
	}
	q := make(url.Values, len(m))
	for k, v := range m {
		q[k] = []string{v}
	}
	return q
}
