package ocibundle_test

import (
	"crypto/tls"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"sync/atomic"
	"testing"

	"github.com/google/go-containerregistry/pkg/authn"

	"github.com/ztci/ztci/internal/oci/ocitest"
	"github.com/ztci/ztci/policy/ocibundle"
)

type review23Keychain struct{}

func (review23Keychain) Resolve(authn.Resource) (authn.Authenticator, error) {
	return &authn.Basic{Username: "ci", Password: "pw"}, nil
}

// WithTokenRealm reached the client that resolves the reference but not
// the verifier that reads the signatures attached to it: with a registry
// whose token service is on another origin (the case the option exists
// for), the manifest resolved and every referrer read then failed the
// credential guard, so no bundle ever loaded. Both now share it.
func TestReview23TokenRealmReachesVerifier(t *testing.T) {
	t.Parallel()
	tokens := httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if _, _, ok := r.BasicAuth(); !ok {
			http.Error(w, "no credentials", http.StatusUnauthorized)
			return
		}
		fmt.Fprint(w, `{"token":"review23-token"}`)
	}))
	t.Cleanup(tokens.Close)
	tu, _ := url.Parse(tokens.URL)
	// go-containerregistry refuses a realm that is a loopback IP literal.
	realm := "https://localhost:" + tu.Port()
	var locked atomic.Bool
	reg := ocitest.Start(t, ocitest.GGCRReferrers, func(h http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if locked.Load() && r.Header.Get("Authorization") != "Bearer review23-token" {
				w.Header().Set("WWW-Authenticate", fmt.Sprintf(`Bearer realm=%q,service="reg"`, realm+"/token"))
				w.WriteHeader(http.StatusUnauthorized)
				return
			}
			h.ServeHTTP(w, r)
		})
	})
	ss := newSigstore(t)
	tag := reg.Ref(t, "policies:prod")
	d := pushBundle(t, tag, allowAll, "r1")
	sign(t, ss.certSigner(t, publisher), d, d)
	locked.Store(true)

	tr := http.DefaultTransport.(*http.Transport).Clone()
	tr.TLSClientConfig = &tls.Config{InsecureSkipVerify: true} // the test server's certificate does not name localhost
	src := ss.source(t, tag, publisherID, ocibundle.WithKeychain(review23Keychain{}), ocibundle.WithTransport(tr),
		ocibundle.WithTokenRealm(realm))
	if _, err := src.Load(t.Context()); err != nil {
		t.Fatalf("Load through a token service on another origin: %v", err)
	}
}
