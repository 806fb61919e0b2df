package main

import (
	"encoding/json"
	"net/url"

	"github.com/roomhook/roomhook/pkg/jsonobject"
)

// The JSON names of event's fields, level by level, for keys that match none of them exactly;
// TestEventNames keeps them equal to the struct tags.
var (
	eventNames          = jsonobject.Names{"version", "httpMethod", "rawQueryString", "queryStringParameters", "multiValueQueryStringParameters", "multiValueHeaders", "body", "isBase64Encoded", "requestContext", "source", "detail-type"}
	requestContextNames = jsonobject.Names{"requestId", "domainName", "http", "elb"}
	httpNames           = jsonobject.Names{"method"}
	elbNames            = jsonobject.Names{"targetGroupArn"}
)

// decode fills ev from payload exactly as json.Unmarshal(payload, ev) does, and fails exactly
// when it fails, with the same error.
//
// json.Unmarshal checks the syntax of the whole event in one pass and decodes it in a second,
// which walks again over the kilobytes of headers and context it skips; on a REST event that is
// most of the adapter's time. read does both in one walk with jsonobject.Reader, checking every
// byte and decoding only event's fields. Whatever read cannot settle the way encoding/json
// would — input that is not a valid JSON object, a key encoding/json would match to a field
// only after undoing escapes or ignoring case, a value of the wrong type for its field — goes
// to json.Unmarshal itself, from a fresh event, so its result and its error are exactly the
// old ones. Real events never take that path.
func (ev *event) decode(payload []byte) error {
	if ev.read(payload) {
		return nil
	}
	*ev = event{}
	return json.Unmarshal(payload, ev)
}

// read decodes payload into ev in one pass and reports whether it could do so as
// json.Unmarshal would. On false, ev holds part of the event.
//
// It keeps encoding/json's rules for a struct: a repeated key sets its field again (a string
// or a bool takes the last value; requestContext and the objects in it are filled member by
// member, so a repeat adds to the first; multiValueQueryStringParameters, a map, keeps the
// entries of the first and takes those of the repeat); null leaves a string, a bool or a
// struct as it was, and sets a map to nil; unknown keys are skipped whatever their value.
func (ev *event) read(payload []byte) bool {
	r := jsonobject.NewReader(payload)
	for r.Next() {
		ok := true
		switch string(r.Key()) {
		case "version":
			ok = jsonobject.IntoString(r.Value(), &ev.Version)
		case "httpMethod":
			ok = jsonobject.IntoString(r.Value(), &ev.HTTPMethod)
		case "rawQueryString":
			ok = jsonobject.IntoString(r.Value(), &ev.RawQueryString)
		case "queryStringParameters":
			// The raw value, null included, as json.RawMessage keeps it; not copied: the
			// event does not outlive the payload.
			ev.QueryStringParameters = r.Value()
		case "multiValueQueryStringParameters":
			ok = readValues(&r, &ev.MultiValueQueryStringParameters)
		case "multiValueHeaders":
			ok = ev.MultiValueHeaders.UnmarshalJSON(r.Value()) == nil
		case "body":
			ok = jsonobject.IntoString(r.Value(), &ev.Body)
		case "isBase64Encoded":
			ok = jsonobject.IntoBool(r.Value(), &ev.IsBase64Encoded)
		case "requestContext":
			ok = ev.readRequestContext(&r)
		case "source":
			ok = jsonobject.IntoString(r.Value(), &ev.Source)
		case "detail-type":
			ok = jsonobject.IntoString(r.Value(), &ev.DetailType)
		default:
			ok = !eventNames.MayMatch(r.Key())
		}
		if !ok {
			return false
		}
	}
	return r.Err() == nil
}

// readRequestContext reads requestContext, the member r is at. A syntax error is left for
// the caller's r.Err.
func (ev *event) readRequestContext(r *jsonobject.Reader) bool {
	if !r.Object() {
		return jsonobject.IsNull(r.Value())
	}
	rc := &ev.RequestContext
	for r.Next() {
		ok := true
		switch string(r.Key()) {
		case "requestId":
			ok = jsonobject.IntoString(r.Value(), &rc.RequestID)
		case "domainName":
			ok = jsonobject.IntoString(r.Value(), &rc.DomainName)
		case "http":
			ok = readOne(r, "method", httpNames, &rc.HTTP.Method)
		case "elb":
			ok = readOne(r, "targetGroupArn", elbNames, &rc.ELB.TargetGroupArn)
		default:
			ok = !requestContextNames.MayMatch(r.Key())
		}
		if !ok {
			return false
		}
	}
	return true
}

// readOne reads an object of one string field, the member r is at, into dst. names holds the
// field's name, for MayMatch.
func readOne(r *jsonobject.Reader, name string, names jsonobject.Names, dst *string) bool {
	if !r.Object() {
		return jsonobject.IsNull(r.Value())
	}
	for r.Next() {
		if string(r.Key()) == name {
			if !jsonobject.IntoString(r.Value(), dst) {
				return false
			}
		} else if names.MayMatch(r.Key()) {
			return false
		}
	}
	return true
}

// readValues decodes a url.Values member, the one r is at, into dst as encoding/json decodes
// a map field: null sets dst to nil; an object adds its names to the map dst holds (a new one
// if nil), a repeated name taking the last list; each list as jsonobject.Strings decodes it.
// Anything else is a type error for encoding/json: false.
func readValues(r *jsonobject.Reader, dst *url.Values) bool {
	if !r.Object() {
		if !jsonobject.IsNull(r.Value()) {
			return false
		}
		*dst = nil
		return true
	}
	if *dst == nil {
		*dst = url.Values{}
	}
	for r.Next() {
		name := r.KeyString()
		vs, ok := jsonobject.Strings(r.Value())
		if !ok {
			return false
		}
		(*dst)[name] = vs
	}
	return true
}
