package main

import (
	"slices"
	"strconv"
	"unicode/utf8"

	"github.com/roomhook/roomhook/pkg/callback"
)

// render writes resp in the response shape the invoking service expects:
//
//	API Gateway (REST, HTTP API 1.0 and 2.0), function URLs, and events of unknown shape:
//	  {"statusCode":200,"headers":{…},"body":"…","isBase64Encoded":false}
//	ALB: the same plus "statusDescription":"200 OK"; with multi-value headers on,
//	  "multiValueHeaders":{"Name":["value"]} instead of "headers".
//
// It is a small hand-written encoder: the shape is fixed and tiny, and it runs on every warm
// invocation. Header names are written in sorted order, so the output is deterministic.
func render(t *translation, resp callback.Response) []byte {
	out := make([]byte, 0, 160+len(resp.Body)+len(resp.Body)/8)
	out = append(out, `{"statusCode":`...)
	out = strconv.AppendInt(out, int64(resp.StatusCode), 10)
	alb := t.source == sourceALB
	if alb {
		out = append(out, `,"statusDescription":`...)
		out = appendString(out, statusDescription(resp.StatusCode))
	}
	multi := alb && t.multi
	if multi {
		out = append(out, `,"multiValueHeaders":{`...)
	} else {
		out = append(out, `,"headers":{`...)
	}
	var buf [8]string
	names := buf[:0]
	for name := range resp.Header {
		names = append(names, name)
	}
	slices.Sort(names)
	for i, name := range names {
		if i > 0 {
			out = append(out, ',')
		}
		out = appendString(out, name)
		out = append(out, ':')
		if multi {
			out = append(out, '[')
		}
		out = appendString(out, resp.Header[name])
		if multi {
			out = append(out, ']')
		}
	}
	out = append(out, `},"body":`...)
	out = appendString(out, resp.Body)
	out = append(out, `,"isBase64Encoded":false}`...)
	return out
}

// hexDigits spell \u00XX escapes.
const hexDigits = "0123456789abcdef"

// appendString appends s as a JSON string literal, escaped as encoding/json escapes it without
// HTML escaping: quote, backslash and control characters are escaped, U+2028 and U+2029 are
// written as \u escapes (JavaScript cannot hold them raw in a string), and each byte of invalid
// UTF-8 becomes U+FFFD, so the output is always valid JSON in valid UTF-8.
func appendString[T ~string | ~[]byte](dst []byte, s T) []byte {
	dst = append(dst, '"')
	start := 0
	for i := 0; i < len(s); {
		c := s[i]
		if c < utf8.RuneSelf {
			if c >= 0x20 && c != '"' && c != '\\' {
				i++
				continue
			}
			dst = append(dst, s[start:i]...)
			switch c {
			case '"', '\\':
				dst = append(dst, '\\', c)
			case '\b':
				dst = append(dst, '\\', 'b')
			case '\f':
				dst = append(dst, '\\', 'f')
			case '\n':
				dst = append(dst, '\\', 'n')
			case '\r':
				dst = append(dst, '\\', 'r')
			case '\t':
				dst = append(dst, '\\', 't')
			default:
				dst = append(dst, '\\', 'u', '0', '0', hexDigits[c>>4], hexDigits[c&0xf])
			}
			i++
			start = i
			continue
		}
		// At most utf8.UTFMax bytes are converted, which the compiler does without allocating.
		r, size := utf8.DecodeRuneInString(string(s[i:min(i+utf8.UTFMax, len(s))]))
		switch {
		case r == utf8.RuneError && size == 1:
			dst = append(dst, s[start:i]...)
			dst = append(dst, `\ufffd`...)
		case r == '\u2028' || r == '\u2029':
			dst = append(dst, s[start:i]...)
			dst = append(dst, '\\', 'u', '2', '0', '2', hexDigits[r&0xf])
		default:
			i += size
			continue
		}
		i += size
		start = i
	}
	dst = append(dst, s[start:]...)
	return append(dst, '"')
}
