package mediatype

import "strings"

// PlainJSON reports whether the Content-Type value ct reads as
// application/json with no parameter but charset=utf-8 without decoding
// anything: parameters split at ';', optional whitespace (SP, HTAB)
// trimmed, a quoted value taken as spelt. mime.ParseMediaType alone is not
// enough: it merges RFC 2231 parameters into the plain one
// ("charset=utf-16; charset*=utf-8'en'utf-8" is utf-8 to it, utf-16 to a
// reader without RFC 2231), drops those it cannot decode
// ("charset*=utf-16'en'x"), unescapes quoted pairs and trims Unicode
// spaces, so it would accept a header in which another reader finds
// another charset. The servers that read JSON bodies (the deploy gate, its
// webhook, the embedded CA) require both readings.
func PlainJSON(ct string) bool {
	const ows = " \t"
	mt, params, _ := strings.Cut(ct, ";")
	if !strings.EqualFold(strings.Trim(mt, ows), "application/json") {
		return false
	}
	for p := range strings.SplitSeq(params, ";") {
		if p = strings.Trim(p, ows); p == "" {
			continue
		}
		k, v, _ := strings.Cut(p, "=")
		if v = strings.Trim(v, ows); len(v) >= 2 && v[0] == '"' && v[len(v)-1] == '"' {
			v = v[1 : len(v)-1]
		}
		if !strings.EqualFold(strings.Trim(k, ows), "charset") || !strings.EqualFold(v, "utf-8") {
			return false
		}
	}
	return true
}
