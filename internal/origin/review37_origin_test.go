package origin_test

import (
	"errors"
	"net/http"
	"testing"

	"github.com/ztci/ztci/internal/origin"
)

// TestReview37OriginZone: Of lower-cased an IPv6 literal's zone with its
// address, but a zone is an interface name, which the kernel compares
// exactly: a transport pinned to https://[fe80::1%25eth0] sent its
// credential to the same address on interface ETH0. The address is still
// compared without case.
func TestReview37OriginZone(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name, pin, url string
		same           bool
	}{
		{"zone in another case", "https://[fe80::1%25eth0]/", "https://[fe80::1%25ETH0]/", false},
		{"another zone", "https://[fe80::1%25eth0]/", "https://[fe80::1%25eth1]/", false},
		{"address in another case", "https://[fe80::a%25eth0]/", "https://[FE80::A%25eth0]:443/", true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			p, u := parse(t, tc.pin), parse(t, tc.url)
			if got := origin.Same(p, u); got != tc.same {
				t.Fatalf("Same(%s, %s) = %v, want %v", p, u, got, tc.same)
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
			if refused := errors.Is(err, origin.ErrRefused) && rec.sent == 0; refused == tc.same {
				t.Fatalf("Pin(%s) for %s: err %v, sent %d", p, tc.url, err, rec.sent)
			}
		})
	}
}
