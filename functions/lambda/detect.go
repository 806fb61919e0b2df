package main

import (
	"encoding/base64"
	"encoding/json"
	"net/url"
	"strings"

	"github.com/roomhook/roomhook/pkg/callback"
)

// source is the kind of event that invoked the function, told from the event itself.
type source int

const (
	sourceUnknown     source = iota // not JSON, or no shape this adapter knows
	sourceREST                      // API Gateway REST API (APIGatewayProxyRequest)
	sourceHTTPv1                    // API Gateway HTTP API, payload format 1.0 (the REST shape)
	sourceHTTP                      // API Gateway HTTP API, payload format 2.0 (APIGatewayV2HTTPRequest)
	sourceFunctionURL               // Lambda function URL (LambdaFunctionURLRequest, the 2.0 shape)
	sourceALB                       // Application Load Balancer target group (ALBTargetGroupRequest)
	sourceSchedule                  // EventBridge scheduled event: the archive purge, not a callback
)

// String names the source in log lines; the names match the golden files' prefixes in events/.
func (s source) String() string {
	switch s {
	case sourceREST:
		return "apigateway-rest"
	case sourceHTTPv1:
		return "apigateway-http-1.0"
	case sourceHTTP:
		return "apigateway-http"
	case sourceFunctionURL:
		return "functionurl"
	case sourceALB:
		return "alb"
	case sourceSchedule:
		return "schedule"
	}
	return "unknown"
}

// event holds the union of the few fields roomhook needs from every event shape it accepts.
// The payload is decoded into it exactly once, as json.Unmarshal would decode it (decode.go);
// everything else in the event (headers, identity, authorizer, …) is skipped without being
// built.
type event struct {
	Version    string `json:"version"`    // "2.0" for HTTP API 2.0 and function URLs, "1.0" for HTTP API 1.0
	HTTPMethod string `json:"httpMethod"` // REST, HTTP API 1.0, ALB

	RawQueryString                  string          `json:"rawQueryString"`        // 2.0: as sent, still encoded
	QueryStringParameters           json.RawMessage `json:"queryStringParameters"` // REST and 2.0: decoded; ALB: still encoded; see singleParams
	MultiValueQueryStringParameters url.Values      `json:"multiValueQueryStringParameters"`
	MultiValueHeaders               presence        `json:"multiValueHeaders"` // ALB: tells the response shape

	Body            string `json:"body"`
	IsBase64Encoded bool   `json:"isBase64Encoded"`

	RequestContext struct {
		RequestID  string `json:"requestId"`
		DomainName string `json:"domainName"`
		HTTP       struct {
			Method string `json:"method"`
		} `json:"http"`
		ELB struct {
			TargetGroupArn string `json:"targetGroupArn"`
		} `json:"elb"`
	} `json:"requestContext"`

	// An EventBridge event: "aws.events" and "Scheduled Event" for the one a schedule rule
	// (SAM's Schedule event) sends.
	Source     string `json:"source"`
	DetailType string `json:"detail-type"`
}

// presence records whether a JSON object was given for a field, without building it.
type presence bool

// UnmarshalJSON keeps only the fact that an object was there; null and other values count as
// absent. b is not retained.
func (p *presence) UnmarshalJSON(b []byte) error {
	*p = len(b) > 0 && b[0] == '{'
	return nil
}

// translation is the outcome of reading one payload: the neutral request, where it came from,
// how the response must be rendered, and what the adapter noticed for its log line.
type translation struct {
	req       callback.Request
	source    source
	multi     bool  // ALB with multi-value headers on: answer with multiValueHeaders
	decodeErr error // why the payload is of unknown shape, when it is not JSON of an object
	badBase64 bool  // the body was flagged base64 and did not decode
}

// translate decodes payload once (decode.go) and builds the neutral request.
//
// A payload that is not JSON, or is JSON of no shape listed in source, becomes a request with
// no method, no query and no body: the core's first check refuses it (405 with a FAIL packet),
// and the adapter renders that answer in the HTTP API 2.0 shape, which every proxying caller
// understands. The adapter itself never decides a status and never returns a function error.
func translate(payload []byte) translation {
	var ev event
	if err := ev.decode(payload); err != nil {
		return translation{decodeErr: err}
	}
	return ev.translation()
}

// translation builds the neutral request from the decoded event.
func (ev *event) translation() translation {
	t := translation{source: detect(ev)}
	switch t.source {
	case sourceREST, sourceHTTPv1:
		t.req = fromV1(ev)
	case sourceHTTP, sourceFunctionURL:
		t.req = fromV2(ev)
	case sourceALB:
		t.req, t.multi = fromALB(ev)
	default: // unknown, or a schedule: no request for the core
		return t
	}
	t.req.RequestID = ev.RequestContext.RequestID
	t.req.Body, t.badBase64 = body(ev)
	return t
}

// detect tells the event's shape from the event itself:
//   - requestContext.elb.targetGroupArn is only in ALB events;
//   - version "2.0" (or requestContext.http.method) marks the 2.0 shape, shared by HTTP APIs
//     and function URLs; a function URL's domain name holds ".lambda-url.";
//   - httpMethod at the top level (or version "1.0") is the REST shape, also used by HTTP APIs
//     with payload format 1.0;
//   - source "aws.events" with detail-type "Scheduled Event", and none of the above, is the
//     event of an EventBridge schedule: the archive purge.
//
// A callback can never be taken for a scheduled event: whatever a caller sends through a
// function URL, an API gateway or a load balancer (body, query, headers, path) lands inside
// the event AWS builds, under body, headers and the like, never as one of its top-level keys;
// and an event of an HTTP shape is that shape whatever else it holds, the HTTP cases coming
// first. Only a principal allowed to invoke the function itself (the schedule's rule, an
// operator) can send a scheduled event. It is checked last: a callback pays only for decoding
// two more top-level names, which its events never hold.
func detect(ev *event) source {
	switch {
	case ev.RequestContext.ELB.TargetGroupArn != "":
		return sourceALB
	case ev.Version == "2.0" || (ev.HTTPMethod == "" && ev.RequestContext.HTTP.Method != ""):
		if strings.Contains(ev.RequestContext.DomainName, ".lambda-url.") {
			return sourceFunctionURL
		}
		return sourceHTTP
	case ev.Version == "1.0":
		return sourceHTTPv1
	case ev.HTTPMethod != "":
		return sourceREST
	case ev.Source == "aws.events" && ev.DetailType == "Scheduled Event":
		return sourceSchedule
	}
	return sourceUnknown
}

// body returns the request body as Tencent sent it, undoing the gateway's base64 encoding when
// the event says it applied one. A body flagged base64 that does not decode (standard alphabet,
// padded, as every AWS gateway writes it) becomes an empty body, which the core refuses as not
// a JSON object (400); passing the undecoded text on instead could let a mis-flagged body
// through, and the signature and parser must only ever see the bytes the gateway received.
func body(ev *event) (b []byte, badBase64 bool) {
	if !ev.IsBase64Encoded {
		return []byte(ev.Body), false
	}
	b, err := base64.StdEncoding.DecodeString(ev.Body)
	if err != nil {
		return []byte{}, true
	}
	return b, false
}

// singleParams decodes queryStringParameters. It is kept raw in the event because most events
// carry a better source (multiValueQueryStringParameters, rawQueryString) and building a map
// nobody reads is most of what decoding it would cost. A value of the wrong shape reads as no
// parameters: the core then answers as if they were missing.
func (ev *event) singleParams() map[string]string {
	if len(ev.QueryStringParameters) == 0 {
		return nil
	}
	var m map[string]string
	if json.Unmarshal(ev.QueryStringParameters, &m) != nil {
		return nil
	}
	return m
}
