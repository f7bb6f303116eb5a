package asciifold_test

import (
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/ztci/ztci/internal/asciifold"
)

func isASCII(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] >= utf8.RuneSelf {
			return false
		}
	}
	return true
}

func TestEqual(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		a, b string
		want bool
	}{
		{name: "equal", a: "acme/app", b: "acme/app", want: true},
		{name: "ascii case", a: "ACME/App", b: "acme/aPP", want: true},
		{name: "empty", a: "", b: "", want: true},
		{name: "kelvin sign is not k", a: "\u212aube", b: "kube"},
		{name: "long s is not s", a: "\u017fecret", b: "secret"},
		{name: "long s is not S", a: "\u017fECRET", b: "SECRET"},
		{name: "dotted I is not i", a: "\u0130d", b: "id"},
		{name: "length", a: "ab", b: "abc"},
		{name: "non-letter bytes exact", a: "a@b", b: "a`b"},
		{name: "non-ASCII equal exactly", a: "caf\u00e9", b: "caf\u00e9", want: true},
		{name: "non-ASCII case not folded", a: "caf\u00c9", b: "caf\u00e9"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			if got := asciifold.Equal(tt.a, tt.b); got != tt.want {
				t.Errorf("Equal(%q, %q) = %v, want %v", tt.a, tt.b, got, tt.want)
			}
		})
	}
}

func TestLower(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name, in, want string
	}{
		{name: "lower already", in: "acme/app", want: "acme/app"},
		{name: "upper", in: "ACME/App", want: "acme/app"},
		{name: "kelvin sign kept", in: "\u212aUBE", want: "\u212aube"},
		{name: "dotted I kept", in: "\u0130D", want: "\u0130d"},
		{name: "long s kept", in: "\u017f", want: "\u017f"},
		{name: "empty", in: "", want: ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			if got := asciifold.Lower(tt.in); got != tt.want {
				t.Errorf("Lower(%q) = %q, want %q", tt.in, got, tt.want)
			}
		})
	}
}

func TestAffixes(t *testing.T) {
	t.Parallel()
	if !asciifold.HasPrefix("PKG:oci/app", "pkg:OCI/") || asciifold.HasPrefix("p\u212ag:oci/", "pkg:oci/") || asciifold.HasPrefix("pk", "pkg") {
		t.Error("HasPrefix")
	}
	if !asciifold.HasSuffix("a.GHE.com", ".ghe.COM") || asciifold.HasSuffix("a.ghe.co\u212a", ".ghe.cok") || asciifold.HasSuffix("om", "com") {
		t.Error("HasSuffix")
	}
}

// FuzzEqual checks Equal and Lower against strings.EqualFold and
// strings.ToLower on ASCII input, and that Equal never folds a non-ASCII
// byte: where it holds, the inputs lowered by Lower are byte-equal.
func FuzzEqual(f *testing.F) {
	f.Add("Acme/App", "acme/app")
	f.Add("\u212a", "k")
	f.Add("\u017f", "S")
	f.Add("\u0130", "i")
	f.Fuzz(func(t *testing.T, a, b string) {
		eq := asciifold.Equal(a, b)
		if eq != (asciifold.Lower(a) == asciifold.Lower(b)) {
			t.Fatalf("Equal(%q, %q) = %v disagrees with Lower", a, b, eq)
		}
		if isASCII(a) && isASCII(b) {
			if eq != strings.EqualFold(a, b) {
				t.Fatalf("Equal(%q, %q) = %v, strings.EqualFold says %v", a, b, eq, !eq)
			}
			if asciifold.Lower(a) != strings.ToLower(a) {
				t.Fatalf("Lower(%q) = %q, strings.ToLower says %q", a, asciifold.Lower(a), strings.ToLower(a))
			}
		}
		if eq && !isASCII(a) {
			// Every non-ASCII byte is where it was, and the same.
			for i := 0; i < len(a); i++ {
				if (a[i] >= utf8.RuneSelf || b[i] >= utf8.RuneSelf) && a[i] != b[i] {
					t.Fatalf("Equal(%q, %q) folded a non-ASCII byte", a, b)
				}
			}
		}
		if asciifold.HasPrefix(a, b) != (len(a) >= len(b) && asciifold.Equal(a[:len(b)], b)) {
			t.Fatal("HasPrefix")
		}
	})
}
