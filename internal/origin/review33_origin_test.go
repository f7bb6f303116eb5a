package origin_test

import (
	"errors"
	"net/http"
	"testing"

	"github.com/ztci/ztci/internal/origin"
)

type recorder struct{ sent int }

func (r *recorder) RoundTrip(*http.Request) (*http.Response, error) {
	r.sent++
	return &http.Response{StatusCode: http.StatusNoContent, Body: http.NoBody}, nil
}

// TestReview33OriginUnicodeHost: Of lower-cased a host with Unicode
// casing, where "İ" becomes "i", while net/http dials the host's IDNA
// (UTS #46) form, where "İ" becomes "i̇", a different name: a transport
// pinned to https://xi.example sent its credential to xn--…, a host
// anyone may register, for a URL a server put in an answer. A host that
// is not ASCII has no origin: Same is false and Pin refuses it.
func TestReview33OriginUnicodeHost(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct{ name, pin, url string }{
		{"dotted capital I", "https://xi.example/", "https://x\u0130.example/token"},
		{"kelvin sign", "https://key.example/", "https://\u212aey.example/"},
		{"non-ASCII pin host", "https://x\u0130.example/", "https://xi.example/"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			p := parse(t, tc.pin)
			u := parse(t, tc.url)
			if origin.Same(p, u) {
				t.Errorf("Same(%s, %s)", p, u)
			}
			rec := &recorder{}
			req, err := http.NewRequestWithContext(t.Context(), http.MethodGet, tc.url, nil)
			if err != nil {
				t.Fatal(err)
			}
			resp, err := origin.Pin(p, rec).RoundTrip(req)
			if err == nil {
				resp.Body.Close()
			}
			if !errors.Is(err, origin.ErrRefused) || rec.sent != 0 {
				t.Errorf("Pin(%s) for %s: err %v, sent %d", p, tc.url, err, rec.sent)
			}
		})
	}
}
