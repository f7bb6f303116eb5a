package attest_test

import (
	"bytes"
	"context"
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/sha256"
	"crypto/sha512"
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

	"github.com/digitorus/timestamp"

	"github.com/ztci/ztci/attest"
	"github.com/ztci/ztci/attest/ca"
	"github.com/ztci/ztci/attest/tsa"
	"github.com/ztci/ztci/identity"
	"github.com/ztci/ztci/internal/itest"
)

// issuerFunc adapts a function to attest.CertificateIssuer.
type issuerFunc func(ctx context.Context, pub crypto.PublicKey) ([]*x509.Certificate, error)

func (f issuerFunc) IssueCertificate(ctx context.Context, pub crypto.PublicKey) ([]*x509.Certificate, error) {
	return f(ctx, pub)
}

// A certificate issuer (a CertificateIssuer, or a Fulcio) that answers with
// a certificate for another key than the one the signer generated made a
// bundle naming an identity and key that never signed, reported as a
// success: sigstore-go checks nothing about the certificate it is handed.
func TestReview28SignEvidenceForeignCertificate(t *testing.T) {
	t.Parallel()
	c, err := ca.New(ca.WithSubjectDomain(testIssuer, "https://ci.example"))
	if err != nil {
		t.Fatal(err)
	}
	other, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	honest := c.IssuerFor(testIdentity())
	foreign, err := honest.IssueCertificate(t.Context(), other.Public())
	if err != nil {
		t.Fatal(err)
	}
	garbage := &x509.Certificate{Raw: []byte("not a certificate")}

	fulcio := func(t *testing.T, der []byte) string {
		t.Helper()
		srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			_, _ = io.Copy(io.Discard, r.Body)
			var resp struct {
				S struct {
					Chain struct {
						Certificates []string `json:"certificates"`
					} `json:"chain"`
				} `json:"signedCertificateEmbeddedSct"`
			}
			resp.S.Chain.Certificates = []string{string(pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}))}
			w.Header().Set("Content-Type", "application/json")
			_ = json.NewEncoder(w).Encode(resp)
		}))
		t.Cleanup(srv.Close)
		return srv.URL
	}
	tokens := identity.TokenSourceFunc(func(context.Context) (string, error) {
		return "eyJhbGciOiJub25lIn0.eyJzdWIiOiJjaSJ9.sig", nil
	})

	for _, tc := range []struct {
		name   string
		signer func(t *testing.T) attest.Signer
	}{
		{"issuer: certificate for another key", func(t *testing.T) attest.Signer {
			s, err := attest.NewCASigner(issuerFunc(func(context.Context, crypto.PublicKey) ([]*x509.Certificate, error) {
				return foreign, nil
			}), attest.WithoutTimestampsUnsafe())
			if err != nil {
				t.Fatal(err)
			}
			return s
		}},
		{"issuer: not a certificate", func(t *testing.T) attest.Signer {
			s, err := attest.NewCASigner(issuerFunc(func(context.Context, crypto.PublicKey) ([]*x509.Certificate, error) {
				return []*x509.Certificate{garbage}, nil
			}), attest.WithoutTimestampsUnsafe())
			if err != nil {
				t.Fatal(err)
			}
			return s
		}},
		{"fulcio: certificate for another key", func(t *testing.T) attest.Signer {
			s, err := attest.NewFulcioSigner(fulcio(t, foreign[0].Raw), tokens, attest.WithoutTimestampsUnsafe())
			if err != nil {
				t.Fatal(err)
			}
			return s
		}},
		{"fulcio: not a certificate", func(t *testing.T) attest.Signer {
			s, err := attest.NewFulcioSigner(fulcio(t, garbage.Raw), tokens, attest.WithoutTimestampsUnsafe())
			if err != nil {
				t.Fatal(err)
			}
			return s
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			b, err := attest.Sign(t.Context(), tc.signer(t), testStatement(t))
			if !errors.Is(err, attest.ErrForeignCertificate) || !errors.Is(err, attest.ErrSign) || b != nil {
				t.Fatalf("Sign = %d bytes, %v; want ErrForeignCertificate", len(b), err)
			}
		})
	}

	// The issuer's own certificate for the signer's key still signs.
	s, err := attest.NewCASigner(honest, attest.WithoutTimestampsUnsafe())
	if err != nil {
		t.Fatal(err)
	}
	if _, err := attest.Sign(t.Context(), s, testStatement(t)); err != nil {
		t.Fatalf("honest issuer: %v", err)
	}
}

// A timestamp authority that answers with a genuine token over another
// digest than the signature's (or under another hash algorithm) made a
// bundle whose timestamp proves nothing about the signature, reported as
// a success.
func TestReview28SignEvidenceForeignTimestamp(t *testing.T) {
	t.Parallel()
	a, err := tsa.New()
	if err != nil {
		t.Fatal(err)
	}
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	// hostile re-asks the real TSA for a timestamp over rewrite(imprint).
	hostile := func(rewrite func(*timestamp.Request)) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			body, err := io.ReadAll(r.Body)
			if err != nil {
				http.Error(w, "read", http.StatusBadRequest)
				return
			}
			req, err := timestamp.ParseRequest(body)
			if err != nil {
				http.Error(w, "parse", http.StatusBadRequest)
				return
			}
			rewrite(req)
			q, err := req.Marshal()
			if err != nil {
				http.Error(w, "marshal", http.StatusInternalServerError)
				return
			}
			resp, err := a.Timestamp(r.Context(), q)
			if err != nil {
				http.Error(w, "stamp", http.StatusServiceUnavailable)
				return
			}
			w.Header().Set("Content-Type", "application/timestamp-reply")
			w.WriteHeader(http.StatusCreated)
			_, _ = w.Write(resp)
		})
	}
	for _, tc := range []struct {
		name    string
		rewrite func(*timestamp.Request)
		ok      bool
	}{
		{"same imprint", func(*timestamp.Request) {}, true},
		{"another digest", func(r *timestamp.Request) {
			sum := sha256.Sum256([]byte("another artifact's signature"))
			r.HashedMessage = sum[:]
		}, false},
		{"another algorithm", func(r *timestamp.Request) {
			sum := sha512.Sum512(r.HashedMessage)
			r.HashAlgorithm, r.HashedMessage = crypto.SHA512, sum[:]
		}, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			s, err := attest.NewKeySigner(key, attest.WithEmbeddedTimestampAuthority(hostile(tc.rewrite)))
			if err != nil {
				t.Fatal(err)
			}
			b, err := attest.Sign(t.Context(), s, testStatement(t))
			if tc.ok {
				if err != nil {
					t.Fatalf("honest timestamp: %v", err)
				}
				return
			}
			if !errors.Is(err, attest.ErrForeignTimestamp) || !errors.Is(err, attest.ErrSign) || b != nil {
				t.Fatalf("Sign = %d bytes, %v; want ErrForeignTimestamp", len(b), err)
			}
		})
	}
}

// A timestamp authority's error answer was quoted whole in the signing
// error (sigstore-go reads up to 1 MiB of it): a hostile or broken TSA put
// a megabyte of text it chose, control characters included, into the
// caller's logs and errors.
func TestReview28SignEvidenceServiceErrorClipped(t *testing.T) {
	t.Parallel()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	hostile := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, _ = io.Copy(io.Discard, r.Body)
		w.WriteHeader(http.StatusBadRequest)
		_, _ = w.Write([]byte("\x1b[2J\nlevel=ERROR msg=forged "))
		_, _ = w.Write(bytes.Repeat([]byte("A"), 1<<20))
	})
	s, err := attest.NewKeySigner(key, attest.WithEmbeddedTimestampAuthority(hostile))
	if err != nil {
		t.Fatal(err)
	}
	b, err := attest.Sign(t.Context(), s, testStatement(t))
	if !errors.Is(err, attest.ErrSign) || b != nil {
		t.Fatalf("Sign = %d bytes, %v; want ErrSign", len(b), err)
	}
	if msg := err.Error(); len(msg) > 1024 || strings.ContainsAny(msg, "\x1b\n") {
		t.Fatalf("signing error quotes the TSA's answer: %d bytes, control characters %v", len(msg), strings.ContainsAny(msg, "\x1b\n"))
	}
}

// A transparency log that answers the upload with an entry for another
// artifact (another signature in its body) made a bundle carrying that
// entry, reported as a success: sigstore-go keeps whatever entry the log
// returns.
func TestReview28SignEvidenceForeignLogEntry(t *testing.T) {
	t.Parallel()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	// rekor answers a v2 upload with an entry whose body holds the
	// signature body(sig) names.
	rekor := func(t *testing.T, body func(sig string) []byte) string {
		t.Helper()
		srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			var req struct {
				H struct {
					Signature struct {
						Content string `json:"content"`
					} `json:"signature"`
				} `json:"hashedRekordRequestV002"`
			}
			if err := json.NewDecoder(r.Body).Decode(&req); err != nil {
				http.Error(w, "bad request", http.StatusBadRequest)
				return
			}
			w.Header().Set("Content-Type", "application/json")
			w.WriteHeader(http.StatusCreated)
			_ = json.NewEncoder(w).Encode(map[string]any{
				"logIndex":          "1",
				"kindVersion":       map[string]string{"kind": "hashedrekord", "version": "0.0.2"},
				"canonicalizedBody": body(req.H.Signature.Content),
			})
		}))
		t.Cleanup(srv.Close)
		return srv.URL
	}
	entry := func(sig string) []byte {
		return []byte(`{"apiVersion":"0.0.2","kind":"hashedrekord","spec":{"hashedRekordV002":{"signature":{"content":"` + sig + `"}}}}`)
	}
	other := base64.StdEncoding.EncodeToString([]byte("another artifact's signature"))
	for _, tc := range []struct {
		name string
		body func(sig string) []byte
		ok   bool
	}{
		{"the signature's entry", entry, true},
		{"another signature's entry", func(string) []byte { return entry(other) }, false},
		{"no body", func(string) []byte { return nil }, false},
		{"not JSON", func(sig string) []byte { return []byte("x" + sig) }, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			s, err := attest.NewKeySigner(key, attest.WithRekor(rekor(t, tc.body), 2))
			if err != nil {
				t.Fatal(err)
			}
			b, err := attest.Sign(t.Context(), s, testStatement(t))
			if tc.ok {
				if err != nil {
					t.Fatalf("honest log: %v", err)
				}
				return
			}
			if !errors.Is(err, attest.ErrForeignLogEntry) || !errors.Is(err, attest.ErrSign) || b != nil {
				t.Fatalf("Sign = %d bytes, %v; want ErrForeignLogEntry", len(b), err)
			}
		})
	}
}

// The log-entry check reads real entries: a Rekor v1 dsse entry (its body
// holds the envelope's signatures) passes it. Needs the Rekor v1 servers
// of /tmp/servers.env; skipped without them.
func TestReview28SignEvidenceRekorV1Entry(t *testing.T) {
	rekor := itest.StartRekorV1(t)
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	s, err := attest.NewKeySigner(key, attest.WithRekor(rekor.URL, 1))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := attest.Sign(t.Context(), s, testStatement(t)); err != nil {
		t.Fatalf("real Rekor v1 entry refused: %v", err)
	}
}
