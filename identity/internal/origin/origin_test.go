package origin

import (
	"net/url"
	"testing"
)

func TestSame(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		a, b string
		want bool
	}{
		{"identical", "https://a.test/x", "https://a.test/y?q", true},
		{"default port explicit", "https://a.test", "https://A.TEST:443/", true},
		{"http default port", "http://127.0.0.1/", "http://127.0.0.1:80/x", true},
		{"downgrade", "https://a.test", "http://a.test", false},
		{"other port", "https://a.test", "https://a.test:8443", false},
		{"other host", "https://a.test", "https://b.test", false},
		{"userinfo ignored", "https://a.test", "https://u:p@a.test", true},
		{"ipv6", "https://[::1]:8443/", "https://[::1]:8443/x", true},
		{"no host", "https:///x", "https:///x", false},
		{"relative", "/x", "/x", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			a, _ := url.Parse(tt.a)
			b, _ := url.Parse(tt.b)
			if got := Same(a, b); got != tt.want {
				t.Fatalf("Same(%s, %s) = %v (%q, %q)", tt.a, tt.b, got, Of(a), Of(b))
			}
		})
	}
}

func TestLoopback(t *testing.T) {
	t.Parallel()
	for s, want := range map[string]bool{
		"http://127.0.0.1:8080": true, "http://[::1]/": true, "http://localhost": true, "http://127.9.9.9": true,
		"http://localhost.evil.test": false, "http://10.0.0.1": false, "http://example.com": false, "http://0.0.0.0": false,
	} {
		u, _ := url.Parse(s)
		if got := Loopback(u); got != want {
			t.Errorf("Loopback(%s) = %v, want %v", s, got, want)
		}
	}
}
