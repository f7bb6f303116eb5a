package ca_test

import (
	"bytes"
	"context"
	"crypto/ecdsa"
	"crypto/rand"
	"crypto/sha256"
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"

	"github.com/ztci/ztci/attest/ca"
	"github.com/ztci/ztci/audit/audittest"
	"github.com/ztci/ztci/identity"
)

// TestCanarySubjectDomainRefusalsQuoteNoSecret: a URI subject off its
// issuer's subject domain is refused, and the refusal quotes the subject,
// which is not a secret. It must quote neither the bearer token that
// authenticated the request (in the Authorization header or the body's
// credentials) nor the password of a subject whose URI carries user info,
// in the response, the debug log or the audit events.
func TestCanarySubjectDomainRefusalsQuoteNoSecret(t *testing.T) {
	t.Parallel()
	const (
		token    = "CANARY-ca-bearer-token-4d1e8b"
		password = "CANARY-subject-password-9a2f"
	)
	var mu sync.Mutex
	var logs bytes.Buffer
	log := slog.New(slog.NewJSONHandler(writer(func(b []byte) (int, error) {
		mu.Lock()
		defer mu.Unlock()
		return logs.Write(b)
	}), &slog.HandlerOptions{Level: slog.LevelDebug}))
	rec := audittest.NewRecorder()
	c, err := ca.New(ca.WithSubjectDomain("https://iss", "https://ci"), ca.WithLogger(log), ca.WithAudit(rec))
	if err != nil {
		t.Fatal(err)
	}
	subjects := map[string]identity.Identity{
		"other host":        {Issuer: "https://iss", Subject: "https://evil.example/wf"},
		"user info":         {Issuer: "https://iss", Subject: "https://ci:" + password + "@ci/wf"},
		"user info, other":  {Issuer: "https://iss", Subject: "https://evil:" + password + "@evil.example/wf"},
		"opaque":            {Issuer: "https://iss", Subject: "repo:acme/app:ref:refs/heads/main"},
		"issuer, no domain": {Issuer: "https://other-iss", Subject: "https://ci/wf"},
		"not its URI form":  {Issuer: "https://iss", Subject: "HTTPS://ci:" + password + "@ci/wf"},
	}
	k := key(t)
	der, _ := x509.MarshalPKIXPublicKey(k.Public())
	pemKey := "-----BEGIN PUBLIC KEY-----\n" + base64.StdEncoding.EncodeToString(der) + "\n-----END PUBLIC KEY-----\n"
	for name, id := range subjects {
		srv := httptest.NewServer(c.Handler(ca.AuthenticatorFunc(func(_ context.Context, tok string) (identity.Identity, error) {
			if tok != token {
				return identity.Identity{}, errors.New("bad token")
			}
			return id, nil
		})))
		sum := sha256.Sum256([]byte(id.Subject))
		proof, _ := ecdsa.SignASN1(rand.Reader, k, sum[:])
		for _, inBody := range []bool{false, true} {
			req := map[string]any{"publicKeyRequest": map[string]any{
				"publicKey": map[string]any{"algorithm": "ECDSA", "content": pemKey}, "proofOfPossession": base64.StdEncoding.EncodeToString(proof)}}
			if inBody {
				req["credentials"] = map[string]any{"oidcIdentityToken": token}
			}
			b, _ := json.Marshal(req)
			r, _ := http.NewRequestWithContext(t.Context(), http.MethodPost, srv.URL+"/api/v2/signingCert", bytes.NewReader(b))
			if !inBody {
				r.Header.Set("Authorization", "Bearer "+token)
			}
			resp, err := http.DefaultClient.Do(r)
			if err != nil {
				t.Fatal(err)
			}
			body, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			if resp.StatusCode != http.StatusBadRequest {
				t.Errorf("%s: status %d (%s), want 400", name, resp.StatusCode, body)
			}
			if strings.Contains(string(body), "CANARY") {
				t.Errorf("%s: the response holds a secret: %s", name, body)
			}
		}
		srv.Close()
	}
	for _, id := range subjects {
		_, err := c.Issue(t.Context(), k.Public(), id)
		if !errors.Is(err, ca.ErrIdentity) || strings.Contains(err.Error(), "CANARY") {
			t.Errorf("Issue(%s): %v", id.Subject, err)
		}
	}
	ev, _ := json.Marshal(rec.Events())
	mu.Lock()
	defer mu.Unlock()
	if logs.Len() == 0 || strings.Contains(logs.String(), "CANARY") {
		t.Errorf("log: %s", logs.String())
	}
	if strings.Contains(string(ev), "CANARY") {
		t.Errorf("audit: %s", ev)
	}
}

type writer func([]byte) (int, error)

func (f writer) Write(b []byte) (int, error) { return f(b) }
