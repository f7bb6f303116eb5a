package strictjson

// HasNull reports whether the JSON document b holds a null anywhere. A
// schema that allows null nowhere refuses such a document before decoding,
// because encoding/json reads null as "absent" into a pointer and as "zero"
// elsewhere. b must be valid JSON (see [Check]): outside strings an 'n' can
// then only start the literal null.
func HasNull(b []byte) bool {
	inString, escaped := false, false
	for _, c := range b {
		switch {
		case escaped:
			escaped = false
		case inString && c == '\\':
			escaped = true
		case c == '"':
			inString = !inString
		case !inString && c == 'n':
			return true
		}
	}
	return false
}
