package jsonobject

// maxDepth is encoding/json's nesting limit: a document may hold up to this many arrays and
// objects inside one another (the outermost counted); one more is a syntax error.
const maxDepth = 10000

// problem says why a scan stopped; zero means it did not.
type problem uint8

const (
	fine        problem = iota
	cutShort            // the input ends inside a value
	badByte             // a byte that cannot be there
	tooDeep             // more than maxDepth arrays and objects inside one another
	notAnObject         // valid JSON, but not an object (only at the top level)
)

// plain marks the bytes that a string holds as they are: everything but the quote, the
// backslash and the control characters. Bytes of multi-byte UTF-8 (and invalid UTF-8, which
// encoding/json accepts inside strings) are plain.
var plain = func() (t [256]bool) {
	for c := 0x20; c < 256; c++ {
		t[c] = c != '"' && c != '\\'
	}
	return t
}()

// space reports whether c is JSON whitespace. encoding/json allows exactly these four.
func space(c byte) bool { return c == ' ' || c == '\n' || c == '\r' || c == '\t' }

// skipSpace returns the index of the first byte at or after i that is not whitespace.
func skipSpace(data []byte, i int) int {
	for i < len(data) && space(data[i]) {
		i++
	}
	return i
}

// scanString walks the string literal whose opening quote is data[i] and returns the index
// just past its closing quote.
func scanString(data []byte, i int) (int, problem) {
	i++ // the opening quote
	for {
		for i < len(data) && plain[data[i]] {
			i++
		}
		if i >= len(data) {
			return i, cutShort
		}
		switch data[i] {
		case '"':
			return i + 1, fine
		case '\\':
			i++
			if i >= len(data) {
				return i, cutShort
			}
			switch data[i] {
			case '"', '\\', '/', 'b', 'f', 'n', 'r', 't':
				i++
			case 'u':
				for k := 1; k <= 4; k++ {
					if i+k >= len(data) {
						return i + k, cutShort
					}
					if !hex(data[i+k]) {
						return i + k, badByte
					}
				}
				i += 5
			default:
				return i, badByte
			}
		default: // a control character
			return i, badByte
		}
	}
}

func hex(c byte) bool { return '0' <= c && c <= '9' || 'a' <= c && c <= 'f' || 'A' <= c && c <= 'F' }

func digit(c byte) bool { return '0' <= c && c <= '9' }

// scanNumber walks the number starting at data[i] ('-' or a digit) by the JSON grammar:
// -? (0 | [1-9][0-9]*) (. [0-9]+)? ([eE] [+-]? [0-9]+)?. What may follow it is the caller's to
// check, so "01" stops after the 0 and the 1 is then a byte that cannot be there.
func scanNumber(data []byte, i int) (int, problem) {
	if data[i] == '-' {
		i++
	}
	switch {
	case i >= len(data):
		return i, cutShort
	case data[i] == '0':
		i++
	case digit(data[i]):
		for i++; i < len(data) && digit(data[i]); i++ {
		}
	default:
		return i, badByte
	}
	if i < len(data) && data[i] == '.' {
		if i++; i >= len(data) {
			return i, cutShort
		}
		if !digit(data[i]) {
			return i, badByte
		}
		for i++; i < len(data) && digit(data[i]); i++ {
		}
	}
	if i < len(data) && (data[i] == 'e' || data[i] == 'E') {
		if i++; i < len(data) && (data[i] == '+' || data[i] == '-') {
			i++
		}
		if i >= len(data) {
			return i, cutShort
		}
		if !digit(data[i]) {
			return i, badByte
		}
		for i++; i < len(data) && digit(data[i]); i++ {
		}
	}
	return i, fine
}

// scanLiteral walks true, false or null, whichever word starts at data[i].
func scanLiteral(data []byte, i int, word string) (int, problem) {
	for k := 0; k < len(word); k++ {
		if i+k >= len(data) {
			return i + k, cutShort
		}
		if data[i+k] != word[k] {
			return i + k, badByte
		}
	}
	return i + len(word), fine
}

// scanMemberKey walks what comes before a member's value: the key string starting at data[i]
// (whitespace already skipped), whitespace, the colon and whitespace. It returns the index of
// the value's first byte.
func scanMemberKey(data []byte, i int) (int, problem) {
	if i >= len(data) {
		return i, cutShort
	}
	if data[i] != '"' {
		return i, badByte
	}
	i, p := scanString(data, i)
	if p != fine {
		return i, p
	}
	i = skipSpace(data, i)
	if i >= len(data) {
		return i, cutShort
	}
	if data[i] != ':' {
		return i, badByte
	}
	return skipSpace(data, i+1), fine
}

// scanValue walks the value starting at data[i] (whitespace already skipped), nested arrays and
// objects included, and returns the index just past it. depth is the number of arrays and
// objects the value is inside.
//
// Nesting is followed in a loop, not by recursion, with one bit per open array or object
// saying which of the two it is; only past 64 levels does the walk call itself, once per 64,
// so even encoding/json's 10000 levels take a small, bounded stack.
func scanValue(data []byte, i, depth int) (int, problem) {
	var objects uint64 // bit k: the container open at level k (from 0) is an object
	n := 0             // containers open in this call
	var p problem
	for {
		// A value starts at data[i].
		if i >= len(data) {
			return i, cutShort
		}
		switch c := data[i]; c {
		case '{', '[':
			if depth+n >= maxDepth {
				return i, tooDeep
			}
			if n == 64 {
				if i, p = scanValue(data, i, depth+n); p != fine {
					return i, p
				}
				break
			}
			if i = skipSpace(data, i+1); i >= len(data) {
				return i, cutShort
			}
			if c == '{' {
				if data[i] == '}' {
					i++
					break
				}
				objects |= 1 << n
				n++
				if i, p = scanMemberKey(data, i); p != fine {
					return i, p
				}
				continue
			}
			if data[i] == ']' {
				i++
				break
			}
			objects &^= 1 << n
			n++
			continue
		case '"':
			if i, p = scanString(data, i); p != fine {
				return i, p
			}
		case 't':
			if i, p = scanLiteral(data, i, "true"); p != fine {
				return i, p
			}
		case 'f':
			if i, p = scanLiteral(data, i, "false"); p != fine {
				return i, p
			}
		case 'n':
			if i, p = scanLiteral(data, i, "null"); p != fine {
				return i, p
			}
		default:
			if c != '-' && !digit(c) {
				return i, badByte
			}
			if i, p = scanNumber(data, i); p != fine {
				return i, p
			}
		}
		// A value has ended at i: close what it ends, up to the next value.
		for {
			if n == 0 {
				return i, fine
			}
			if i = skipSpace(data, i); i >= len(data) {
				return i, cutShort
			}
			c := data[i]
			if objects&(1<<(n-1)) != 0 {
				if c == '}' {
					i++
					n--
					continue
				}
				if c == ',' {
					i, p = scanMemberKey(data, skipSpace(data, i+1))
					if p != fine {
						return i, p
					}
					break
				}
			} else {
				if c == ']' {
					i++
					n--
					continue
				}
				if c == ',' {
					i = skipSpace(data, i+1)
					break
				}
			}
			return i, badByte
		}
	}
}
