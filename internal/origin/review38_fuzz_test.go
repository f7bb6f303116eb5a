package origin_test

import (
	"bufio"
	"bytes"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/ztci/ztci/internal/origin"
)

// FuzzReview38OfRequest: whatever a caller puts in a request's Host,
// URL.Opaque and URL.Path, when OfRequest says it is for an origin, the
// HTTP/1 request net/http writes for it names that origin to the server:
// the host a server reads (the request line's authority in absolute form,
// else the Host field) is that origin's, or none.
func FuzzReview38OfRequest(f *testing.F) {
	for _, s := range [][3]string{
		{"", "", "/x"},
		{"fulcio.example", "", "/x"},
		{"FULCIO.example:443", "", "/x"},
		{"attacker.example", "", "/x"},
		{"fulcio.example@attacker.example", "", "/x"},
		{"", "//attacker.example/x", "/x"},
		{"", "//fulcio.example/x", "/x"},
		{"", "https://attacker.example/x", "/x"},
		{"", "*", "/x"},
		{"", "", "https://attacker.example/x"},
		{"", "", "//attacker.example/x"},
		{"", "", ""},
		{"[::1%eth0]", "", "/x"},
	} {
		f.Add(s[0], s[1], s[2])
	}
	const want = "https://fulcio.example:443"
	f.Fuzz(func(t *testing.T, host, opaque, path string) {
		r, err := http.NewRequest(http.MethodGet, "https://fulcio.example/x", nil)
		if err != nil {
			t.Fatal(err)
		}
		r.Host, r.URL.Opaque, r.URL.Path, r.URL.RawPath = host, opaque, path, ""
		if origin.OfRequest(r) != want {
			return
		}
		var buf bytes.Buffer
		if err := r.Write(&buf); err != nil {
			return // nothing sent
		}
		sr, err := http.ReadRequest(bufio.NewReader(&buf))
		if err != nil {
			return // a server refuses it
		}
		if !strings.HasPrefix(sr.RequestURI, "/") && sr.RequestURI != "" {
			u, err := url.Parse(sr.RequestURI)
			if err == nil && u.Host != "" && origin.Of(u) != want {
				t.Fatalf("request line %q names %s", sr.RequestURI, origin.Of(u))
			}
		}
		if sr.Host != "" && origin.Of(&url.URL{Scheme: "https", Host: sr.Host}) != want {
			t.Fatalf("server reads host %q for Host %q, Opaque %q, Path %q", sr.Host, host, opaque, path)
		}
	})
}
