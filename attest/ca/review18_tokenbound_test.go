package ca_test

import (
	"context"
	"crypto/ecdsa"
	"crypto/rand"
	"crypto/sha256"
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"encoding/pem"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/ztci/ztci/attest/ca"
	"github.com/ztci/ztci/identity"
	"github.com/ztci/ztci/identity/oidc"
)

var review18Now = time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)

func review18CA(t *testing.T, opts ...ca.Option) *ca.CA {
	t.Helper()
	base := []ca.Option{ca.WithClock(func() time.Time { return review18Now }), ca.WithSubjectDomain("https://iss", "https://ci")}
	c, err := ca.New(append(base, opts...)...)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

var review18ID = identity.Identity{Issuer: "https://iss", Subject: "https://ci/wf"}

// TestReview18CertificateBoundByToken: a certificate exchanged for a token
// is never valid after the token's exp (a token with three minutes left
// got the CA's whole ten) nor before its iat or nbf, and the CA's own
// lifetime and the root's expiry still bound it.
func TestReview18CertificateBoundByToken(t *testing.T) {
	t.Parallel()
	for name, tc := range map[string]struct {
		opts           []ca.Option
		tok            ca.Token
		wantNB, wantNA time.Time
	}{
		"exp caps": {
			tok:    ca.Token{Expiry: review18Now.Add(3*time.Minute + 500*time.Millisecond), IssuedAt: review18Now.Add(-time.Minute)},
			wantNB: review18Now, wantNA: review18Now.Add(3 * time.Minute),
		},
		"CA lifetime still caps": {
			tok:    ca.Token{Expiry: review18Now.Add(time.Hour)},
			wantNB: review18Now, wantNA: review18Now.Add(ca.DefaultCertValidity),
		},
		"root still caps": {
			opts:   []ca.Option{ca.WithRootValidity(2 * time.Minute)},
			tok:    ca.Token{Expiry: review18Now.Add(time.Hour)},
			wantNB: review18Now, wantNA: review18Now.Add(2 * time.Minute),
		},
		"iat ahead of the CA's clock": {
			tok:    ca.Token{Expiry: review18Now.Add(5 * time.Minute), IssuedAt: review18Now.Add(20 * time.Second)},
			wantNB: review18Now.Add(20 * time.Second), wantNA: review18Now.Add(5 * time.Minute),
		},
		"nbf after iat": {
			tok:    ca.Token{Expiry: review18Now.Add(5 * time.Minute), IssuedAt: review18Now, NotBefore: review18Now.Add(10 * time.Second)},
			wantNB: review18Now.Add(10 * time.Second), wantNA: review18Now.Add(5 * time.Minute),
		},
	} {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			c := review18CA(t, tc.opts...)
			tc.tok.Identity = review18ID
			chain, err := c.IssueToken(t.Context(), key(t).Public(), tc.tok)
			if err != nil {
				t.Fatal(err)
			}
			leaf := chain[0]
			if !leaf.NotBefore.Equal(tc.wantNB) || !leaf.NotAfter.Equal(tc.wantNA) {
				t.Errorf("valid %v to %v, want %v to %v", leaf.NotBefore, leaf.NotAfter, tc.wantNB, tc.wantNA)
			}
			if leaf.NotAfter.After(tc.tok.Expiry) {
				t.Errorf("certificate outlives the token: NotAfter %v, exp %v", leaf.NotAfter, tc.tok.Expiry)
			}
			// The same through the Issuer attest's CA signer calls.
			chain, err = c.IssuerForToken(tc.tok).IssueCertificate(t.Context(), key(t).Public())
			if err != nil {
				t.Fatalf("IssuerForToken: %v", err)
			}
			if !chain[0].NotAfter.Equal(tc.wantNA) {
				t.Errorf("IssuerForToken: NotAfter %v, want %v", chain[0].NotAfter, tc.wantNA)
			}
		})
	}
}

// TestReview18TokenWithoutLifetimeRefused: no expiry, an expired token, or
// less than a whole second left, gives no certificate.
func TestReview18TokenWithoutLifetimeRefused(t *testing.T) {
	t.Parallel()
	c := review18CA(t)
	for name, exp := range map[string]time.Time{
		"no exp":    {},
		"expired":   review18Now.Add(-time.Second),
		"now":       review18Now,
		"half left": review18Now.Add(500 * time.Millisecond),
	} {
		_, err := c.IssueToken(t.Context(), key(t).Public(), ca.Token{Identity: review18ID, Expiry: exp})
		if !errors.Is(err, ca.ErrTokenValidity) || !errors.Is(err, ca.ErrInvalidRequest) {
			t.Errorf("%s: %v, want ErrTokenValidity", name, err)
		}
	}
}

// TestReview18EmailNeedsVerification: an email subject is certified for a
// token only when its issuer verified that address.
func TestReview18EmailNeedsVerification(t *testing.T) {
	t.Parallel()
	c := review18CA(t)
	email := identity.Identity{Issuer: "https://accounts.example", Subject: "dev@example.com"}
	exp := review18Now.Add(time.Minute)
	if _, err := c.IssueToken(t.Context(), key(t).Public(), ca.Token{Identity: email, Expiry: exp}); !errors.Is(err, ca.ErrEmailUnverified) || !errors.Is(err, ca.ErrIdentity) {
		t.Errorf("unverified email: %v, want ErrEmailUnverified", err)
	}
	chain, err := c.IssueToken(t.Context(), key(t).Public(), ca.Token{Identity: email, Expiry: exp, EmailVerified: true})
	if err != nil || len(chain[0].EmailAddresses) != 1 || chain[0].EmailAddresses[0] != email.Subject {
		t.Errorf("verified email: %v", err)
	}
}

// review18Verifier is a TokenVerifier that accepts "good" with claims.
type review18Verifier struct {
	id  identity.Identity
	exp time.Time
	raw map[string]any
}

func (v review18Verifier) VerifyToken(_ context.Context, raw string) (*oidc.Verified, error) {
	if raw != "good" {
		return nil, errors.New("bad token")
	}
	return &oidc.Verified{Identity: v.id, Expiry: v.exp, IssuedAt: review18Now, Raw: v.raw}, nil
}

// review18Request posts a signing-certificate request for subject to h
// and returns the status, the leaf (on 200) and the body.
func review18Request(t *testing.T, h http.Handler, subject string) (int, *x509.Certificate, string) {
	t.Helper()
	srv := httptest.NewServer(h)
	t.Cleanup(srv.Close)
	k := key(t)
	der, _ := x509.MarshalPKIXPublicKey(k.Public())
	sum := sha256.Sum256([]byte(subject))
	proof, _ := ecdsa.SignASN1(rand.Reader, k, sum[:])
	body, _ := json.Marshal(map[string]any{"publicKeyRequest": map[string]any{
		"publicKey":         map[string]any{"algorithm": "ECDSA", "content": string(pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: der}))},
		"proofOfPossession": base64.StdEncoding.EncodeToString(proof)}})
	req, _ := http.NewRequestWithContext(t.Context(), http.MethodPost, srv.URL+"/api/v2/signingCert", strings.NewReader(string(body)))
	req.Header.Set("Authorization", "Bearer good")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != http.StatusOK {
		return resp.StatusCode, nil, string(b)
	}
	var out struct {
		SignedCertificateEmbeddedSct struct {
			Chain struct {
				Certificates []string `json:"certificates"`
			} `json:"chain"`
		} `json:"signedCertificateEmbeddedSct"`
	}
	if err := json.Unmarshal(b, &out); err != nil || len(out.SignedCertificateEmbeddedSct.Chain.Certificates) == 0 {
		t.Fatalf("response %s: %v", b, err)
	}
	blk, _ := pem.Decode([]byte(out.SignedCertificateEmbeddedSct.Chain.Certificates[0]))
	leaf, err := x509.ParseCertificate(blk.Bytes)
	if err != nil {
		t.Fatal(err)
	}
	return resp.StatusCode, leaf, string(b)
}

// TestReview18HandlerBoundByToken: the Fulcio handler over an OIDC
// verifier issues no certificate outliving the token it was given, and
// certifies an email only when the token's email claim is that subject and
// email_verified is true. A plain Authenticator, which cannot say an email
// was verified, gets no email certificate at all: it had one for any
// address its issuer let a caller write as a subject.
func TestReview18HandlerBoundByToken(t *testing.T) {
	t.Parallel()
	exp := review18Now.Add(90 * time.Second)
	c := review18CA(t)
	status, leaf, body := review18Request(t, c.Handler(ca.OIDCAuthenticator(review18Verifier{id: review18ID, exp: exp})), review18ID.Subject)
	if status != http.StatusOK || !leaf.NotAfter.Equal(exp) {
		t.Fatalf("URI subject: %d %s, want 200 and NotAfter %v", status, body, exp)
	}

	email := identity.Identity{Issuer: "https://accounts.example", Subject: "dev@example.com"}
	for name, tc := range map[string]struct {
		raw  map[string]any
		want int
	}{
		"verified":            {map[string]any{"email": email.Subject, "email_verified": true}, http.StatusOK},
		"verified as string":  {map[string]any{"email": email.Subject, "email_verified": "true"}, http.StatusOK},
		"not verified":        {map[string]any{"email": email.Subject, "email_verified": false}, http.StatusBadRequest},
		"no email_verified":   {map[string]any{"email": email.Subject}, http.StatusBadRequest},
		"another email":       {map[string]any{"email": "other@example.com", "email_verified": true}, http.StatusBadRequest},
		"no email claim":      {map[string]any{"email_verified": true}, http.StatusBadRequest},
		"email_verified junk": {map[string]any{"email": email.Subject, "email_verified": "yes"}, http.StatusBadRequest},
	} {
		status, _, body := review18Request(t, c.Handler(ca.OIDCAuthenticator(review18Verifier{id: email, exp: exp, raw: tc.raw})), email.Subject)
		if status != tc.want {
			t.Errorf("%s: %d %s, want %d", name, status, body, tc.want)
		}
	}

	plain := ca.AuthenticatorFunc(func(context.Context, string) (identity.Identity, error) { return email, nil })
	if status, _, body := review18Request(t, c.Handler(plain), email.Subject); status != http.StatusBadRequest || !strings.Contains(body, "not verified") {
		t.Errorf("plain Authenticator, email subject: %d %s, want 400", status, body)
	}
}
