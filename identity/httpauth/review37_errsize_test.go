package httpauth_test

import (
	"bytes"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"log/slog"
	"math/big"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/ztci/ztci/identity/httpauth"
	"github.com/ztci/ztci/identity/mtls"
	"github.com/ztci/ztci/identity/svid"
)

// review37SelfSigned is a client certificate its holder made, naming uri.
func review37SelfSigned(t *testing.T, uri string) *x509.Certificate {
	t.Helper()
	u, err := url.Parse(uri)
	if err != nil {
		t.Fatal(err)
	}
	k, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(1), URIs: []*url.URL{u},
		NotBefore: time.Now().Add(-time.Minute), NotAfter: time.Now().Add(time.Hour),
		KeyUsage: x509.KeyUsageDigitalSignature, ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth},
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, k.Public(), k)
	if err != nil {
		t.Fatal(err)
	}
	c, err := x509.ParseCertificate(der)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// review37Log is a concurrency-safe log buffer.
type review37Log struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (l *review37Log) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.buf.Write(p)
}

func (l *review37Log) Len() int {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.buf.Len()
}

// TestReview37CallerTextBounded: a client certificate is verified after
// its SPIFFE ID is read, and go-spiffe names the ID's trust domain, whole,
// when the bundle has none for it: anyone could present a certificate
// they made with a trust domain of a few hundred kilobytes (a handshake
// carries up to 256 KiB of certificates) and have it repeated in the
// error and the middleware's log line of every request; the request path
// was logged whole too. Both are now clipped.
func TestReview37CallerTextBounded(t *testing.T) {
	t.Parallel()
	ca, err := svid.NewIssuer(td)
	if err != nil {
		t.Fatal(err)
	}
	var logs review37Log
	a, err := httpauth.New(httpauth.WithMTLS(ca, mtls.AuthorizeMemberOf(td)),
		httpauth.WithLogger(slog.New(slog.NewTextHandler(&logs, nil))))
	if err != nil {
		t.Fatal(err)
	}
	const huge = 64 << 10
	const bound = 4 << 10
	cert := review37SelfSigned(t, "spiffe://"+strings.Repeat("a", huge)+".test/job")

	r := httptest.NewRequestWithContext(t.Context(), http.MethodGet, "https://deployer.test/", nil)
	r.TLS = &tls.ConnectionState{PeerCertificates: []*x509.Certificate{cert}}
	id, err := a.Authenticate(r)
	if !errors.Is(err, httpauth.ErrUnauthenticated) || !id.IsZero() {
		t.Fatalf("Authenticate: %v, %v; want ErrUnauthenticated", id, err)
	}
	if n := len(err.Error()); n > bound {
		t.Errorf("Authenticate's error repeats %d bytes of the certificate, want at most %d", n, bound)
	}

	h := a.Middleware(http.HandlerFunc(func(http.ResponseWriter, *http.Request) { t.Error("handler called") }))
	for _, r := range []*http.Request{
		r,
		httptest.NewRequestWithContext(t.Context(), http.MethodGet, "https://deployer.test/"+strings.Repeat("p", huge), nil),
	} {
		before := logs.Len()
		w := httptest.NewRecorder()
		h.ServeHTTP(w, r)
		if w.Code != http.StatusUnauthorized {
			t.Errorf("status %d, want 401", w.Code)
		}
		if n := logs.Len() - before; n > bound {
			t.Errorf("the refusal logged %d bytes, want at most %d", n, bound)
		}
	}
}
