package jsonobject

// The decoders below fill a struct field from a member's raw value as encoding/json would:
// null leaves the field as it is, a value of the right type replaces it, and any other value
// is a type error (false), on which a caller falls back to encoding/json for its exact error.

// IntoString decodes raw into *dst as encoding/json decodes into a string field.
func IntoString(raw []byte, dst *string) bool {
	if IsNull(raw) {
		return true
	}
	s, ok := String(raw)
	if ok {
		*dst = s
	}
	return ok
}

// IntoBool decodes raw into *dst as encoding/json decodes into a bool field.
func IntoBool(raw []byte, dst *bool) bool {
	switch string(raw) {
	case "true":
		*dst = true
	case "false":
		*dst = false
	case "null":
	default:
		return false
	}
	return true
}

// IsNull reports whether raw is the JSON literal null.
func IsNull(raw []byte) bool { return string(raw) == "null" }
