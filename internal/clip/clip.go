// Package clip shortens untrusted text before it is quoted in an error or
// an audit event, so that a hostile input cannot make either arbitrarily
// large. It is the one copy of what used to be a truncate helper in every
// package that quotes input.
package clip

import "unicode/utf8"

// String returns s if it is at most n bytes long; otherwise its first n
// bytes, cut back to a rune boundary so the result stays valid UTF-8
// where s was, followed by "…".
func String(s string, n int) string {
	if len(s) <= n {
		return s
	}
	for n > 0 && !utf8.RuneStart(s[n]) {
		n--
	}
	return s[:n] + "…"
}
