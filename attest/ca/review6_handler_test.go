package ca_test

import (
	"context"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/ztci/ztci/attest/ca"
	"github.com/ztci/ztci/identity"
)

// TestReview6SigningCertAmbiguousRequest: encoding/json read the request
// case-insensitively and kept the last of repeated members, so a body
// naming two tokens, two keys or two CSRs meant one request to this CA and
// another to Fulcio's protojson (or to a proxy that logs or filters it).
// Such a body is refused before any token is looked at, and the answer
// quotes none of it.
func TestReview6SigningCertAmbiguousRequest(t *testing.T) {
	t.Parallel()
	c, err := ca.New(ca.WithSubjectDomain("https://iss", "https://ci"))
	if err != nil {
		t.Fatal(err)
	}
	var calls atomic.Int32
	h := c.Handler(ca.AuthenticatorFunc(func(context.Context, string) (identity.Identity, error) {
		calls.Add(1)
		return identity.Identity{Issuer: "https://iss", Subject: "https://ci/wf"}, nil
	}))
	for name, body := range map[string]string{
		"token twice":      `{"credentials":{"oidcIdentityToken":"secret-one","oidcIdentityToken":"secret-two"}}`,
		"token case pair":  `{"credentials":{"oidcIdentityToken":"secret-one","OIDCIdentityToken":"secret-two"}}`,
		"credentials case": `{"Credentials":{"oidcIdentityToken":"secret-one"}}`,
		"csr case pair":    `{"credentials":{"oidcIdentityToken":"secret-one"},"certificateSigningRequest":"AAAA","CertificateSigningRequest":"BBBB"}`,
		"not unicode":      "{\"credentials\":{\"oidcIdentityToken\":\"secret-\xff\"}}",
	} {
		req := httptest.NewRequest(http.MethodPost, "/api/v2/signingCert", strings.NewReader(body))
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, req)
		if rec.Code != http.StatusBadRequest {
			t.Errorf("%s: status %d, want 400: %s", name, rec.Code, rec.Body)
		}
		if strings.Contains(rec.Body.String(), "secret-") {
			t.Errorf("%s: answer quotes the body: %s", name, rec.Body)
		}
	}
	if n := calls.Load(); n != 0 {
		t.Errorf("the authenticator was asked %d times about an ambiguous request", n)
	}
}
