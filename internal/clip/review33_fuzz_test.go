package clip

import (
	"errors"
	"strconv"
	"strings"
	"testing"
	"unicode/utf8"
)

// FuzzReview33Clip: String keeps at most n bytes of s, cut at a rune
// boundary (valid UTF-8 in, valid UTF-8 out), and says "…" when it cut;
// Quote and Error never let a control character or a bidirectional
// override through and unquote to what String kept.
func FuzzReview33Clip(f *testing.F) {
	for _, s := range []string{"", "abc", "héllo wörld", "a\nb\u202ec", "\xff\xfe", "日本語テキスト", "\"quoted\"", "x…"} {
		for _, n := range []int{0, 1, 2, 3, 5, 64} {
			f.Add(s, n)
		}
	}
	f.Fuzz(func(t *testing.T, s string, n int) {
		if n < 0 || n > 1<<16 {
			return
		}
		c := String(s, n)
		if len(s) <= n {
			if c != s {
				t.Fatalf("String(%q, %d) = %q, not s", s, n, c)
			}
		} else {
			kept, ok := strings.CutSuffix(c, "…")
			if !ok || len(kept) > n || !strings.HasPrefix(s, kept) {
				t.Fatalf("String(%q, %d) = %q", s, n, c)
			}
			if utf8.ValidString(s) && !utf8.ValidString(c) {
				t.Fatalf("String(%q, %d) = %q: invalid UTF-8", s, n, c)
			}
		}
		q := Quote(s, n)
		if u, err := strconv.Unquote(q); err != nil || (utf8.ValidString(c) && u != c) {
			t.Fatalf("Quote(%q, %d) = %q: unquotes to %q, %v", s, n, q, u, err)
		}
		e := Error(errors.New(s), n).Error()
		for _, out := range []string{q, e} {
			if strings.ContainsFunc(out, func(r rune) bool {
				return r < 0x20 || r == 0x7f || (r >= 0x202a && r <= 0x202e) || (r >= 0x2066 && r <= 0x2069)
			}) {
				t.Fatalf("Quote/Error(%q, %d) = %q: holds a control character", s, n, out)
			}
		}
	})
}
