// Package clip shortens untrusted text before it is quoted in an error or
// an audit event, so that a hostile input cannot make either arbitrarily
// large. It is the one copy of what used to be a truncate helper in every
// package that quotes input.
package clip

import (
	"strconv"
	"strings"
	"unicode/utf8"
)

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

// Quote returns s, text an untrusted party chose, quoted (no control
// character survives) and clipped to n bytes, for an error or a log.
func Quote(s string, n int) string { return strconv.Quote(String(s, n)) }

// Error wraps err, whose text may repeat what an untrusted party sent (a
// server's reason phrase, the URL it redirected to, a member name of its
// answer), for an error that reaches logs and audit events: the text is
// kept when at most n bytes of printable ASCII, otherwise quoted (no
// control character survives) and clipped to n bytes. err stays in the
// chain for errors.Is and errors.As.
func Error(err error, n int) error { return clipped{err: err, n: n} }

type clipped struct {
	err error
	n   int
}

func (c clipped) Error() string {
	msg := c.err.Error()
	if len(msg) <= c.n && !strings.ContainsFunc(msg, func(r rune) bool { return r < 0x20 || r > 0x7e }) {
		return msg
	}
	return Quote(msg, c.n)
}

func (c clipped) Unwrap() error { return c.err }
