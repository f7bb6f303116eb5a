package vault

import (
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/hashicorp/vault/api"
)

// A client whose timeout is negative (Vault's "none") has no bound: the
// backend's copy (and Unwrap's) bounds every request anyway,
// so a Vault that trickles its answer cannot hold a login or a revocation
// (run under context.WithoutCancel) forever. A client's own timeout is kept.
func TestReview4RequestsAreBoundedInTime(t *testing.T) {
	t.Parallel()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {}))
	t.Cleanup(srv.Close)
	for _, tc := range []struct {
		timeout, want time.Duration
	}{{0, DefaultTimeout}, {-1, DefaultTimeout}, {3 * time.Second, 3 * time.Second}} {
		c, err := api.NewClient(&api.Config{Address: srv.URL, Timeout: tc.timeout})
		if err != nil {
			t.Fatal(err)
		}
		own, err := withoutRedirects(c)
		if err != nil {
			t.Fatal(err)
		}
		if got := own.ClientTimeout(); got != tc.want {
			t.Errorf("client timeout %v: the backend's copy has %v, want %v", tc.timeout, got, tc.want)
		}
		b, err := New(c, JWTAuth{Role: "ci"}, map[string]Source{"s": KV("secret", "p", "f")})
		if err != nil {
			t.Fatal(err)
		}
		if got := b.client.ClientTimeout(); got != tc.want {
			t.Errorf("client timeout %v: the backend's client has %v, want %v", tc.timeout, got, tc.want)
		}
	}
}
