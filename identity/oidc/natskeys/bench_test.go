package natskeys_test

import (
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/ztci/ztci/identity/oidc"
	"github.com/ztci/ztci/internal/itest"
)

// BenchmarkJWKS serves one replica's JWKS holding three replicas' keys
// from a NATS-backed store, against the same three keys in a
// MemoryKeyStore, in the same run.
func BenchmarkJWKS(b *testing.B) {
	c := itest.StartNATSCluster(b, 1)
	js := connect(b, c.URLs())
	mem := oidc.NewMemoryKeyStore(nil)
	var natsIss, memIss []*oidc.Issuer
	for _, kind := range []string{"P-256", "P-384", "Ed25519"} {
		key := genKey(b, kind)
		for _, st := range []struct {
			store oidc.KeyStore
			out   *[]*oidc.Issuer
		}{{newStore(b, js), &natsIss}, {mem, &memIss}} {
			iss, err := oidc.NewIssuer(issuerURL, oidc.WithSigner(key, ""), oidc.WithKeyStore(st.store))
			if err != nil {
				b.Fatal(err)
			}
			publish(b, iss)
			*st.out = append(*st.out, iss)
		}
	}
	req := httptest.NewRequest(http.MethodGet, oidc.JWKSPath, nil)
	for _, bc := range []struct {
		name string
		iss  *oidc.Issuer
	}{{"MemoryKeyStore", memIss[0]}, {"natskeys", natsIss[0]}} {
		b.Run(bc.name, func(b *testing.B) {
			waitForKeys(b, []replica{{iss: bc.iss, addr: serveAddr(b, bc.iss)}}, 3)
			h := bc.iss.Handler()
			b.ReportAllocs()
			for b.Loop() {
				w := httptest.NewRecorder()
				h.ServeHTTP(w, req)
				if w.Code != http.StatusOK {
					b.Fatal(w.Code)
				}
			}
		})
	}
}

func serveAddr(b testing.TB, iss *oidc.Issuer) string {
	srv := httptest.NewServer(iss.Handler())
	b.Cleanup(srv.Close)
	return srv.Listener.Addr().String()
}
