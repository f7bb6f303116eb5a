package clip_test

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/ztci/ztci/internal/clip"
)

func TestString(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		in   string
		n    int
		want string
	}{
		{"short", 10, "short"},
		{"exactly10!", 10, "exactly10!"},
		{"abcdefghijkl", 4, "abcd…"},
		{"aäb", 2, "a…"}, // ä is two bytes: never split
		{"äää", 1, "…"},
		{"", 0, ""},
	} {
		if got := clip.String(tc.in, tc.n); got != tc.want {
			t.Errorf("String(%q, %d) = %q, want %q", tc.in, tc.n, got, tc.want)
		}
	}
}

func FuzzString(f *testing.F) {
	f.Add("aäb€c", 3)
	f.Add("plain", 2)
	f.Fuzz(func(t *testing.T, s string, n int) {
		if n < 0 || n > 1<<16 {
			return
		}
		got := clip.String(s, n)
		if utf8.ValidString(s) && !utf8.ValidString(got) {
			t.Fatalf("String(%q, %d) = %q: invalid UTF-8", s, n, got)
		}
		if len(s) > n && len(got) > n+len("…") {
			t.Fatalf("String(%q, %d) = %q: too long", s, n, got)
		}
	})
}

func TestError(t *testing.T) {
	inner := context.DeadlineExceeded
	if got := clip.Error(inner, 200).Error(); got != inner.Error() {
		t.Errorf("short printable text changed: %q", got)
	}
	err := clip.Error(fmt.Errorf("%w: \x1b[2J level=INFO msg=verified %s", inner, strings.Repeat("x", 500)), 64)
	if got := err.Error(); strings.Contains(got, "\x1b") || len(got) > 80 {
		t.Errorf("hostile text kept: %q", got)
	}
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Error("the wrapped error left the chain")
	}
}
