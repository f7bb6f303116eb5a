package inventory_test

import (
	"errors"
	"slices"
	"strings"
	"testing"

	"github.com/ztci/ztci/attest/inventory"
)

func TestParsePURL(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name    string
		in      string
		want    inventory.PURL
		wantKey string
	}{
		{name: "golang module", in: "pkg:golang/golang.org/x/net@v0.33.0", want: inventory.PURL{Type: "golang", Namespace: "golang.org/x", Name: "net", Version: "v0.33.0"}, wantKey: "golang/golang.org/x/net"},
		{name: "golang lower-cased", in: "pkg:golang/github.com/Azure/Go-Autorest@v14.2.0+incompatible", want: inventory.PURL{Type: "golang", Namespace: "github.com/azure", Name: "go-autorest", Version: "v14.2.0+incompatible"}, wantKey: "golang/github.com/azure/go-autorest"},
		{name: "npm scope percent-encoded", in: "pkg:npm/%40angular/core@16.2.0", want: inventory.PURL{Type: "npm", Namespace: "@angular", Name: "core", Version: "16.2.0"}, wantKey: "npm/%40angular/core"},
		{name: "npm scope with a raw @", in: "pkg:npm/@angular/core@16.2.0", want: inventory.PURL{Type: "npm", Namespace: "@angular", Name: "core", Version: "16.2.0"}, wantKey: "npm/%40angular/core"},
		{name: "npm scope without version", in: "pkg:npm/@angular/core", want: inventory.PURL{Type: "npm", Namespace: "@angular", Name: "core"}, wantKey: "npm/%40angular/core"},
		{name: "pypi normalized", in: "pkg:pypi/Django_REST@4.1", want: inventory.PURL{Type: "pypi", Name: "django-rest", Version: "4.1"}, wantKey: "pypi/django-rest"},
		{name: "maven keeps case, qualifiers dropped", in: "pkg:maven/org.Apache/Log4j@2.14.1?type=jar&classifier=sources", want: inventory.PURL{Type: "maven", Namespace: "org.Apache", Name: "Log4j", Version: "2.14.1"}, wantKey: "maven/org.Apache/Log4j"},
		{name: "deb epoch qualifier folded in", in: "pkg:deb/debian/openssl@3.0.11-1?arch=amd64&epoch=1", want: inventory.PURL{Type: "deb", Namespace: "debian", Name: "openssl", Version: "1:3.0.11-1"}, wantKey: "deb/debian/openssl"},
		{name: "type upper case, slashes after scheme, subpath", in: "pkg://NPM/left-pad@1.3.0#lib/index.js", want: inventory.PURL{Type: "npm", Name: "left-pad", Version: "1.3.0"}, wantKey: "npm/left-pad"},
		{name: "encoded version", in: "pkg:golang/example.com/m@%28devel%29", want: inventory.PURL{Type: "golang", Namespace: "example.com", Name: "m", Version: "(devel)"}, wantKey: "golang/example.com/m"},
		{name: "unknown type kept as is", in: "pkg:gem/Rails@7.0.1", want: inventory.PURL{Type: "gem", Name: "Rails", Version: "7.0.1"}, wantKey: "gem/Rails"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			got, err := inventory.ParsePURL(tc.in)
			if err != nil {
				t.Fatal(err)
			}
			if got != tc.want || got.Key() != tc.wantKey {
				t.Fatalf("ParsePURL(%q) = %+v key %q, want %+v key %q", tc.in, got, got.Key(), tc.want, tc.wantKey)
			}
			again, err := inventory.ParsePURL(got.String())
			if err != nil || again != got {
				t.Fatalf("canonical form %q does not read back: %+v, %v", got.String(), again, err)
			}
		})
	}
}

func TestParsePURLRefuses(t *testing.T) {
	t.Parallel()
	tests := []struct{ name, in string }{
		{name: "no scheme", in: "npm/left-pad@1.3.0"},
		{name: "other scheme", in: "purl:npm/left-pad"},
		{name: "no name", in: "pkg:npm"},
		{name: "empty name", in: "pkg:npm/"},
		{name: "type starts with a digit", in: "pkg:1npm/a"},
		{name: "type with a bad character", in: "pkg:n_pm/a"},
		{name: "empty namespace segment", in: "pkg:golang/golang.org//net"},
		{name: "bad percent-encoding", in: "pkg:npm/a%zz"},
		{name: "truncated percent-encoding", in: "pkg:npm/a%2"},
		{name: "encoded slash in namespace", in: "pkg:golang/a%2Fb/c"},
		{name: "encoded control character", in: "pkg:npm/a%0a"},
		{name: "encoded invalid UTF-8", in: "pkg:npm/a%ff"},
		{name: "raw space", in: "pkg:npm/left pad"},
		{name: "raw newline", in: "pkg:npm/left-pad\n"},
		{name: "empty version", in: "pkg:npm/left-pad@"},
		{name: "qualifier without value separator", in: "pkg:npm/a@1?arch"},
		{name: "duplicate qualifier", in: "pkg:npm/a@1?arch=x&ARCH=y"},
		{name: "bad qualifier key", in: "pkg:npm/a@1?a%20b=c"},
		{name: "maven without groupId", in: "pkg:maven/log4j@1.0"},
		{name: "deb non-numeric epoch", in: "pkg:deb/debian/a@1.0?epoch=x"},
		{name: "too long", in: "pkg:npm/" + strings.Repeat("a", inventory.MaxPURLLen)},
		{name: "canonical form too long", in: "pkg:npm/" + strings.Repeat("$", inventory.MaxPURLLen-20)},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			_, err := inventory.ParsePURL(tc.in)
			var pe *inventory.PURLError
			if !errors.Is(err, inventory.ErrInvalidPURL) || !errors.As(err, &pe) {
				t.Fatalf("ParsePURL(%q) err = %v, want a *PURLError", tc.in, err)
			}
		})
	}
}

// PyPI names compare as PEP 503 says (lower case, every run of '-', '_'
// and '.' one '-'); other types keep their separators, and only the
// case-insensitive ones (nuget among them, as NuGet compares ids) are
// lower-cased.
func TestParsePURLNormalizesNames(t *testing.T) {
	t.Parallel()
	tests := []struct{ in, wantKey string }{
		{"pkg:pypi/zope.interface@5.5", "pypi/zope-interface"},
		{"pkg:pypi/zope_interface", "pypi/zope-interface"},
		{"pkg:pypi/Zope-Interface", "pypi/zope-interface"},
		{"pkg:pypi/zope--interface", "pypi/zope-interface"},
		{"pkg:pypi/Zope._-Interface", "pypi/zope-interface"},
		{"pkg:pypi/zope%2Einterface", "pypi/zope-interface"},
		{"pkg:pypi/ruamel.yaml.clib", "pypi/ruamel-yaml-clib"},
		{"pkg:pypi/_private.", "pypi/-private-"},
		{"pkg:pypi/...", "pypi/-"},
		{"pkg:pypi/Jinja2", "pypi/jinja2"},
		{"pkg:pypi/caf%C3%A9.Pkg", "pypi/caf%C3%A9-pkg"},
		{"pkg:npm/lodash.merge", "npm/lodash.merge"},
		{"pkg:npm/Left_Pad", "npm/left_pad"},
		{"pkg:golang/gopkg.in/yaml.v3", "golang/gopkg.in/yaml.v3"},
		{"pkg:cargo/serde_json", "cargo/serde_json"},
		{"pkg:gem/Foo__Bar.baz", "gem/Foo__Bar.baz"},
		{"pkg:maven/org.apache.commons/Commons_Lang3", "maven/org.apache.commons/Commons_Lang3"},
		{"pkg:nuget/Newtonsoft.Json", "nuget/newtonsoft.json"},
		{"pkg:nuget/newtonsoft.json@13.0.1", "nuget/newtonsoft.json"},
		{"pkg:nuget/System.Text.Json", "nuget/system.text.json"},
		{"pkg:deb/debian/python3-zope.interface", "deb/debian/python3-zope.interface"},
		{"pkg:conda/zope.interface", "conda/zope.interface"},
	}
	for _, tc := range tests {
		t.Run(tc.in, func(t *testing.T) {
			t.Parallel()
			got, err := inventory.ParsePURL(tc.in)
			if err != nil {
				t.Fatal(err)
			}
			if got.Key() != tc.wantKey {
				t.Fatalf("ParsePURL(%q).Key() = %q, want %q", tc.in, got.Key(), tc.wantKey)
			}
			again, err := inventory.ParsePURL(got.String())
			if err != nil || again != got {
				t.Fatalf("canonical form %q does not read back: %+v, %v", got.String(), again, err)
			}
		})
	}
}

// Keys written under the earlier pypi rule (lower case, '_' to '-') and
// nuget keys written in the id's own case are re-derived as ParsePURL
// derives them now; others are unchanged.
func TestCanonicalKey(t *testing.T) {
	t.Parallel()
	tests := []struct{ stored, want string }{
		{"nuget/Newtonsoft.Json", "nuget/newtonsoft.json"},
		{"pypi/zope.interface", "pypi/zope-interface"},
		{"pypi/zope--interface", "pypi/zope-interface"},
		{"pypi/zope-interface", "pypi/zope-interface"},
		{"npm/%40angular/core", "npm/%40angular/core"},
		{"maven/org.Apache/Log4j", "maven/org.Apache/Log4j"},
		{"golang/golang.org/x/net", "golang/golang.org/x/net"},
	}
	for _, tc := range tests {
		if got, err := inventory.CanonicalKey(tc.stored); err != nil || got != tc.want {
			t.Errorf("CanonicalKey(%q) = %q, %v; want %q", tc.stored, got, err, tc.want)
		}
	}
	for _, bad := range []string{"pypi/a%zz", "pypi", "npm/a@1.0", "maven/log4j"} {
		var pe *inventory.PURLError
		if _, err := inventory.CanonicalKey(bad); !errors.As(err, &pe) {
			t.Errorf("CanonicalKey(%q) err = %v, want a *PURLError", bad, err)
		}
	}
}

func TestCanonicalEntriesMergesWhatMigrationJoins(t *testing.T) {
	t.Parallel()
	got, err := inventory.CanonicalEntries([]inventory.Entry{
		{Key: "pypi/zope.interface", Type: "pypi", Version: "5.5"},
		{Key: "npm/left-pad", Type: "npm", Version: "1.3.0"},
		{Key: "pypi/zope-interface", Type: "pypi", Version: "5.5"},
		{Key: "pypi/zope-interface", Type: "pypi", Version: "6.0"},
	})
	want := []inventory.Entry{{Key: "pypi/zope-interface", Type: "pypi", Version: "5.5"},
		{Key: "npm/left-pad", Type: "npm", Version: "1.3.0"}, {Key: "pypi/zope-interface", Type: "pypi", Version: "6.0"}}
	if err != nil || !slices.Equal(got, want) {
		t.Fatalf("CanonicalEntries = %+v, %v; want %+v", got, err, want)
	}
	if _, err := inventory.CanonicalEntries([]inventory.Entry{{Key: "pypi/a%zz", Type: "pypi"}}); !errors.Is(err, inventory.ErrInvalidPURL) {
		t.Fatalf("a malformed key: err = %v, want ErrInvalidPURL", err)
	}
}
