package main

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"

	"github.com/roomhook/roomhook/pkg/callback"
	"github.com/tencentyun/scf-go-lib/functioncontext"
)

// function is the scf-go-lib Handler: it translates the event into a callback.Request, lets
// the core answer, and renders the answer as the integration response. It holds no
// validation and no status logic: every refusal, whatever the event looked like, is the
// core's. A timer trigger's event runs the archive purge instead.
type function struct {
	handler *callback.Handler
	// purge runs the archive purge of a timer event and returns its answer (Instance.Purge); nil
	// makes a timer event a function error.
	purge func(context.Context) ([]byte, error)
}

// Invoke answers one invocation. For a callback it returns an error only if the answer cannot
// be encoded, which cannot happen: an event that is not JSON or not of a known shape is still
// passed to the core (with whatever was found, at worst an empty Method, which it answers 405),
// because a Go error would make SCF report a function error and the gateway answer with its own
// error page instead of a FAIL packet. A timer event runs the archive purge and answers with its
// result; a purge that fails is a function error, which SCF retries and counts.
func (f *function) Invoke(ctx context.Context, payload []byte) ([]byte, error) {
	var ev event
	ev.decode(payload) // once, as request does
	if ev.timer() {
		if f.purge == nil {
			return nil, errors.New("roomhook: a timer event, but this function has no archive purge wired")
		}
		return f.purge(ctx)
	}
	return render(f.handler.Handle(ctx, ev.request(ctx)))
}

// request decodes the event, once, into the neutral request.
func request(ctx context.Context, payload []byte) callback.Request {
	var ev event
	// Decoded as json.Unmarshal decodes it, with its error dropped on purpose (decode.go).
	// encoding/json checks the syntax before it fills anything, so a payload that is not JSON
	// leaves ev empty; a field of the wrong type is skipped and the rest is still decoded.
	// Either way the core sees what was found and decides the answer.
	ev.decode(payload)
	return ev.request(ctx)
}

// request builds the neutral request from the decoded event.
func (ev *event) request(ctx context.Context) callback.Request {
	req := callback.Request{
		Method:    ev.HTTPMethod,
		Query:     ev.QueryString.values(),
		Body:      body(ev),
		RequestID: ev.RequestContext.RequestID,
	}
	if fc, ok := functioncontext.FromContext(ctx); ok && fc.RequestID != "" {
		req.RequestID = fc.RequestID
	}
	return req
}

// body returns the bytes the caller sent. When the gateway flagged the body as base64 and it
// does not decode, the result is nil: never a JSON object, so the core refuses it (400)
// whatever the text was. (The undecoded text itself could happen to be a JSON object, e.g. a
// wrong flag on a plain body, and the core would then accept bytes the gateway said were
// something else.)
func body(ev *event) []byte {
	if !ev.IsBase64Encoded {
		return []byte(ev.Body)
	}
	b, err := base64.StdEncoding.DecodeString(ev.Body)
	if err != nil {
		return nil
	}
	return b
}

// integrationResponse is the answer both the API gateway and function URLs expect; anything
// else makes the gateway answer with an error of its own.
type integrationResponse struct {
	IsBase64Encoded bool              `json:"isBase64Encoded"`
	StatusCode      int               `json:"statusCode"`
	Headers         map[string]string `json:"headers"`
	Body            string            `json:"body"`
}

// render encodes the core's answer. The body is the acknowledgement packet, JSON text, so it
// travels as a plain string.
func render(r callback.Response) ([]byte, error) {
	headers := r.Header
	if headers == nil {
		headers = map[string]string{}
	}
	return json.Marshal(integrationResponse{StatusCode: r.StatusCode, Headers: headers, Body: string(r.Body)})
}
