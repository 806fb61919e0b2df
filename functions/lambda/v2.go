package main

import (
	"net/url"

	"github.com/roomhook/roomhook/pkg/callback"
)

// fromV2 reads the payload format 2.0 shape shared by HTTP APIs and function URLs. Its
// queryStringParameters joins the values of a repeated name with commas, which would hide a
// repeated SdkAppid or Sign from the core; rawQueryString, the query exactly as sent, is parsed
// instead so every value stays separate. queryStringParameters is only used by hand-written
// events that have no rawQueryString.
//
// A pair of rawQueryString that does not parse (a bad percent escape, a semicolon) is left
// out, as net/http does; the core then answers as if the parameter was missing.
func fromV2(ev *event) callback.Request {
	var q url.Values
	if ev.RawQueryString != "" {
		q, _ = url.ParseQuery(ev.RawQueryString)
	} else {
		q = single(ev.singleParams())
	}
	return callback.Request{Method: ev.RequestContext.HTTP.Method, Query: q}
}
