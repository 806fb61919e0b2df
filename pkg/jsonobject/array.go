package jsonobject

// Strings returns the value of raw, a JSON array of strings as Value returns it (no space
// around it), decoded exactly as encoding/json decodes it into a nil []string: null is nil,
// [] is an empty slice that is not nil, a null element is "", each string as String decodes
// it. ok is false when raw is anything else (an element of another kind included: a type
// error for encoding/json).
func Strings(raw []byte) (s []string, ok bool) {
	if string(raw) == "null" {
		return nil, true
	}
	if len(raw) < 2 || raw[0] != '[' {
		return nil, false
	}
	s = []string{}
	i := skipSpace(raw, 1)
	if i < len(raw) && raw[i] == ']' {
		return s, i+1 == len(raw)
	}
	for i < len(raw) {
		var end int
		var p problem
		switch raw[i] {
		case '"':
			if end, p = scanString(raw, i); p != fine {
				return nil, false
			}
			v, ok := String(raw[i:end])
			if !ok {
				return nil, false
			}
			s = append(s, v)
		case 'n':
			if end, p = scanLiteral(raw, i, "null"); p != fine {
				return nil, false
			}
			s = append(s, "")
		default:
			return nil, false
		}
		if i = skipSpace(raw, end); i >= len(raw) {
			return nil, false
		}
		switch raw[i] {
		case ',':
			i = skipSpace(raw, i+1)
		case ']':
			return s, i+1 == len(raw)
		default:
			return nil, false
		}
	}
	return nil, false
}
