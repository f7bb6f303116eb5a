package pep503

import (
	"strings"
	"testing"
)

// FuzzReview33Name: a normalized name is its own normal form, holds no
// '_' or '.', and no run of '-'.
func FuzzReview33Name(f *testing.F) {
	for _, s := range []string{"zope.interface", "Zope._-Interface", "_private.", "...", "Jinja2", "café.Pkg", "\u0130", "\xff-_x", ""} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		n := Name(s)
		if Name(n) != n {
			t.Fatalf("Name(%q) = %q, Name of that %q", s, n, Name(n))
		}
		if strings.ContainsAny(n, "_.") || strings.Contains(n, "--") {
			t.Fatalf("Name(%q) = %q", s, n)
		}
	})
}
