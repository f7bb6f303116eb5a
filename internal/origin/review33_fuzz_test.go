package origin_test

import (
	"net/url"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/ztci/ztci/internal/origin"
)

// FuzzReview33Of: an origin is ASCII, carries no userinfo, path, query or
// fragment, and is the same for two URLs only when their hosts are equal
// without ASCII case; Secure never holds for a scheme other than https
// and loopback http.
func FuzzReview33Of(f *testing.F) {
	for _, s := range []string{
		"https://Example.COM/x", "https://example.com:443", "http://[::1%25lo]:80/", "https://user:pw@h/p?q#f",
		"https://x\u0130.example/", "https://example.com./", "HTTPS://h:0443", "http://127.0.0.1", "file:///etc/passwd",
	} {
		f.Add(s, "https://example.com/")
	}
	f.Fuzz(func(t *testing.T, a, b string) {
		ua, err := url.Parse(a)
		if err != nil {
			return
		}
		ub, err := url.Parse(b)
		if err != nil {
			return
		}
		o := origin.Of(ua)
		for i := 0; i < len(o); i++ {
			if o[i] >= utf8.RuneSelf {
				t.Fatalf("Of(%q) = %q: not ASCII", a, o)
			}
		}
		if ua.User != nil && ua.User.String() != "" && strings.Contains(o, ua.User.String()+"@") {
			t.Fatalf("Of(%q) = %q: holds the userinfo", a, o)
		}
		if origin.Same(ua, ub) && !strings.EqualFold(ua.Hostname(), ub.Hostname()) {
			t.Fatalf("Same(%q, %q) with hosts %q and %q", a, b, ua.Hostname(), ub.Hostname())
		}
		if origin.Secure(ua) {
			s := strings.ToLower(ua.Scheme)
			if s != "https" && (s != "http" || !origin.Loopback(ua)) {
				t.Fatalf("Secure(%q)", a)
			}
		}
	})
}
