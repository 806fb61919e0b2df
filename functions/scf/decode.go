package main

import (
	"encoding/json"

	"github.com/roomhook/roomhook/pkg/jsonobject"
)

// The JSON names of event's fields, level by level, for keys that match none of them exactly;
// TestEventNames keeps them equal to the struct tags.
var (
	eventNames          = jsonobject.Names{"httpMethod", "queryString", "body", "isBase64Encoded", "requestContext", "Type"}
	requestContextNames = jsonobject.Names{"requestId"}
)

// decode fills ev from payload exactly as json.Unmarshal(payload, ev) does, its error dropped
// (see request): syntax errors leave ev empty, a field of the wrong type is skipped and the rest
// is still decoded.
//
// json.Unmarshal would check the syntax of the whole event in one pass and decode it in a
// second that walks again over the headers and parameters it skips. read does both in one walk
// with jsonobject.Reader. Whatever read cannot settle the way encoding/json would — input that
// is not a valid JSON object, a key encoding/json would match to a field only after undoing
// escapes or ignoring case, a value of the wrong type for its field — goes to json.Unmarshal
// itself, from a fresh event, so the result is exactly the old one. Real events never take that
// path.
func (ev *event) decode(payload []byte) {
	if ev.read(payload) {
		return
	}
	*ev = event{}
	_ = json.Unmarshal(payload, ev)
}

// read decodes payload into ev in one pass and reports whether it could do so as
// json.Unmarshal would. On false, ev holds part of the event.
//
// It keeps encoding/json's rules for a struct: a repeated key sets its field again (a string
// or a bool takes the last value; requestContext is filled member by member; queryString, a
// map, keeps the entries of the first and takes those of the repeat, and a repeated parameter
// takes the last value); null leaves a string, a bool or a struct as it was and empties the
// queryString map; unknown keys are skipped whatever their value.
func (ev *event) read(payload []byte) bool {
	r := jsonobject.NewReader(payload)
	for r.Next() {
		ok := true
		switch string(r.Key()) {
		case "httpMethod":
			ok = jsonobject.IntoString(r.Value(), &ev.HTTPMethod)
		case "queryString":
			ok = ev.QueryString.read(&r)
		case "body":
			ok = jsonobject.IntoString(r.Value(), &ev.Body)
		case "isBase64Encoded":
			ok = jsonobject.IntoBool(r.Value(), &ev.IsBase64Encoded)
		case "requestContext":
			ok = ev.readRequestContext(&r)
		case "Type":
			ok = jsonobject.IntoString(r.Value(), &ev.Type)
		default:
			ok = !eventNames.MayMatch(r.Key())
		}
		if !ok {
			return false
		}
	}
	return r.Err() == nil
}

// read decodes the queryString member r is at into q, as encoding/json decodes a map: every
// parameter through queryValues.UnmarshalJSON, into the map that is there already if any; null
// sets q to nil. Any other value than an object or null is a type error: false.
func (q *queryString) read(r *jsonobject.Reader) bool {
	if !r.Object() {
		if !jsonobject.IsNull(r.Value()) {
			return false
		}
		*q = nil
		return true
	}
	if *q == nil {
		*q = queryString{}
	}
	for r.Next() {
		name := r.KeyString()
		var v queryValues
		v.UnmarshalJSON(r.Value()) // never fails; a broken value ends the loop through r
		(*q)[name] = v
	}
	return true
}

// readRequestContext reads requestContext, the member r is at. A syntax error is left for
// the caller's r.Err.
func (ev *event) readRequestContext(r *jsonobject.Reader) bool {
	if !r.Object() {
		return jsonobject.IsNull(r.Value())
	}
	for r.Next() {
		if string(r.Key()) == "requestId" {
			if !jsonobject.IntoString(r.Value(), &ev.RequestContext.RequestID) {
				return false
			}
		} else if requestContextNames.MayMatch(r.Key()) {
			return false
		}
	}
	return true
}
