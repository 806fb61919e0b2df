// Package jsonobject reads the members of one JSON object in a single pass, without building
// anything: a Reader yields each member's key and the raw bytes of its value, and checks the
// syntax of every byte it walks over on the way, values it skips included.
//
// It exists for the adapters' event envelopes. An API Gateway event is kilobytes of headers,
// identity and context of which roomhook reads a dozen small fields; encoding/json.Unmarshal
// validates the whole event in one pass and then walks it again to decode, re-scanning every
// part it skips. A Reader walks it once, and the caller decodes only the members it wants
// (small ones may still go through encoding/json, on the member's own bytes).
//
// What a Reader accepts is exactly what encoding/json accepts as valid JSON (json.Valid), with
// the same whitespace rules and the same nesting limit (10000 arrays and objects); a string may
// hold invalid UTF-8, as encoding/json allows. The decoders beside it give the values as
// encoding/json would put them in Go: String (and Reader.KeyString) for a string, with U+FFFD
// for each bad byte and each unpaired surrogate escape, Strings for a []string. Names gives the
// rest of encoding/json's rules a caller needs to stay exact: which keys it may match to a
// struct field only after undoing escapes or ignoring case.
//
// Walking allocates nothing, except the error returned for input that is not valid (the
// decoders allocate the strings they return), and nothing here panics, whatever the input.
package jsonobject
