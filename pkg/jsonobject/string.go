package jsonobject

import (
	"unicode/utf16"
	"unicode/utf8"
)

// String returns the value of the JSON string literal raw (with its quotes, as Value returns
// it), decoded exactly as encoding/json decodes it into a Go string: escapes undone, and each
// byte of invalid UTF-8 and each \u escape of an unpaired surrogate replaced by U+FFFD. ok is
// false when raw is not exactly one valid string literal (null included: the caller decides
// what a null means).
//
// A literal without escapes and in valid UTF-8, the common case, costs one scan and the copy
// into the string.
func String(raw []byte) (s string, ok bool) {
	if len(raw) < 2 || raw[0] != '"' || raw[len(raw)-1] != '"' {
		return "", false
	}
	in := raw[1 : len(raw)-1]
	for i := 0; i < len(in); {
		c := in[i]
		switch {
		case c >= utf8.RuneSelf:
			r, size := utf8.DecodeRune(in[i:])
			if r == utf8.RuneError && size == 1 {
				return decode(in)
			}
			i += size
		case plain[c]:
			i++
		case c == '\\':
			return decode(in)
		default: // a quote or a control character
			return "", false
		}
	}
	return string(in), true
}

// decode is String's path for literals that need changing: in is the literal between its
// quotes.
func decode(in []byte) (string, bool) {
	b, ok := appendUnquoted(make([]byte, 0, len(in)), in)
	if !ok {
		return "", false
	}
	return string(b), true
}

// appendUnquoted appends the value of the string literal whose text between the quotes is in,
// and reports false if in is not a valid literal's text. It follows encoding/json's unquote.
func appendUnquoted(b, in []byte) ([]byte, bool) {
	for i := 0; i < len(in); {
		c := in[i]
		switch {
		case c >= utf8.RuneSelf:
			r, size := utf8.DecodeRune(in[i:]) // (RuneError, 1) for a bad byte: U+FFFD
			b = utf8.AppendRune(b, r)
			i += size
		case plain[c]:
			b = append(b, c)
			i++
		case c == '\\':
			if i+1 >= len(in) {
				return b, false
			}
			switch e := in[i+1]; e {
			case '"', '\\', '/':
				b = append(b, e)
			case 'b':
				b = append(b, '\b')
			case 'f':
				b = append(b, '\f')
			case 'n':
				b = append(b, '\n')
			case 'r':
				b = append(b, '\r')
			case 't':
				b = append(b, '\t')
			case 'u':
				r := u4(in[i:])
				if r < 0 {
					return b, false
				}
				i += 6
				if utf16.IsSurrogate(r) {
					// A pair takes both escapes; anything else leaves the next escape (if
					// any) to be read on its own, and this half becomes U+FFFD.
					r2 := u4(in[i:])
					if r = utf16.DecodeRune(r, r2); r != utf8.RuneError {
						i += 6
					}
				}
				b = utf8.AppendRune(b, r)
				continue
			default:
				return b, false
			}
			i += 2
		default: // a quote or a control character
			return b, false
		}
	}
	return b, true
}

// u4 reads the \uXXXX escape at the start of s; it returns -1 if there is none.
func u4(s []byte) rune {
	if len(s) < 6 || s[0] != '\\' || s[1] != 'u' {
		return -1
	}
	var r rune
	for _, c := range s[2:6] {
		switch {
		case '0' <= c && c <= '9':
			c -= '0'
		case 'a' <= c && c <= 'f':
			c -= 'a' - 10
		case 'A' <= c && c <= 'F':
			c -= 'A' - 10
		default:
			return -1
		}
		r = r<<4 | rune(c)
	}
	return r
}
