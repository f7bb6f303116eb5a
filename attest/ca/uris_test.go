package ca_test

import (
	"bytes"
	"context"
	"crypto/ecdsa"
	"crypto/rand"
	"crypto/sha256"
	"crypto/x509"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"encoding/pem"
	"errors"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/sigstore/sigstore-go/pkg/fulcio/certificate"

	"github.com/ztci/ztci/attest/ca"
	"github.com/ztci/ztci/audit"
	"github.com/ztci/ztci/audit/audittest"
	"github.com/ztci/ztci/identity"
)

// TestFulcioURIExtensions: the URI-typed extensions hold the URIs Fulcio's
// ci-provider templates write for the same token, so an expectation written
// the Fulcio way (sigstore-go's certificate.Extensions) matches.
func TestFulcioURIExtensions(t *testing.T) {
	t.Parallel()
	c, err := ca.New(ca.WithServerURL("https://ci.example.com", "https://git.example.com"),
		ca.WithSubjectDomain("https://token.actions.githubusercontent.com", "https://github.com"),
		ca.WithSubjectDomain("https://ghe.example.com/_services/token", "https://ghe.example.com"),
		ca.WithSubjectDomain("https://gitlab.example.com", "https://gitlab.example.com"),
		ca.WithSubjectDomain("https://ci.example.com", "https://git.example.com"),
		ca.WithSubjectDomain("https://ci.other.example", "https://ci.other.example"),
		ca.WithSubjectDomain("https://oidc.codefresh.io", "https://g.codefresh.io"))
	if err != nil {
		t.Fatal(err)
	}
	sha := strings.Repeat("a", 40)
	tests := []struct {
		name string
		id   identity.Identity
		want certificate.Extensions
	}{
		{"github actions", identity.Identity{
			Issuer:  "https://token.actions.githubusercontent.com",
			Subject: "https://github.com/acme/app/.github/workflows/release.yml@refs/heads/main",
			Claims: identity.Claims{Platform: "github-actions", Repository: "acme/app", RepositoryID: "123456", RepositoryOwnerID: "7890", Ref: "refs/heads/main", Commit: sha,
				WorkflowRef: "acme/app/.github/workflows/release.yml@refs/heads/main", RunID: "42", RunAttempt: "1", Event: "push", Runner: "github-hosted"},
		}, certificate.Extensions{
			Issuer:                          "https://token.actions.githubusercontent.com",
			BuildSignerURI:                  "https://github.com/acme/app/.github/workflows/release.yml@refs/heads/main",
			RunnerEnvironment:               "github-hosted",
			SourceRepositoryURI:             "https://github.com/acme/app",
			SourceRepositoryDigest:          sha,
			SourceRepositoryRef:             "refs/heads/main",
			SourceRepositoryIdentifier:      "123456",
			SourceRepositoryOwnerURI:        "https://github.com/acme",
			SourceRepositoryOwnerIdentifier: "7890",
			BuildTrigger:                    "push",
			RunInvocationURI:                "https://github.com/acme/app/actions/runs/42/attempts/1",
		}},
		{"github enterprise server", identity.Identity{
			Issuer:  "https://ghe.example.com/_services/token",
			Subject: "https://ghe.example.com/acme/app/.github/workflows/r.yml@refs/heads/main",
			Claims:  identity.Claims{Platform: "github-actions", Repository: "acme/app", WorkflowRef: "acme/app/.github/workflows/r.yml@refs/heads/main"},
		}, certificate.Extensions{
			Issuer:                   "https://ghe.example.com/_services/token",
			BuildSignerURI:           "https://ghe.example.com/acme/app/.github/workflows/r.yml@refs/heads/main",
			SourceRepositoryURI:      "https://ghe.example.com/acme/app",
			SourceRepositoryOwnerURI: "https://ghe.example.com/acme",
		}},
		{"gitlab", identity.Identity{
			Issuer:  "https://gitlab.example.com",
			Subject: "https://gitlab.example.com/grp/sub/proj//.gitlab-ci.yml@refs/heads/main",
			Claims: identity.Claims{Platform: "gitlab-ci", Repository: "grp/sub/proj", Ref: "refs/heads/main", Commit: sha,
				WorkflowRef: "gitlab.example.com/grp/sub/proj//.gitlab-ci.yml@refs/heads/main", Job: "77", RunID: "9", Event: "push"},
		}, certificate.Extensions{
			Issuer:                   "https://gitlab.example.com",
			BuildSignerURI:           "https://gitlab.example.com/grp/sub/proj//.gitlab-ci.yml@refs/heads/main",
			SourceRepositoryURI:      "https://gitlab.example.com/grp/sub/proj",
			SourceRepositoryDigest:   sha,
			SourceRepositoryRef:      "refs/heads/main",
			SourceRepositoryOwnerURI: "https://gitlab.example.com/grp/sub",
			BuildTrigger:             "push",
			RunInvocationURI:         "https://gitlab.example.com/grp/sub/proj/-/jobs/77",
		}},
		// The ci-provider configuration of identity/internal/fulciotest,
		// which a real Fulcio applies to ztci job tokens.
		{"ztci job token with a configured forge", identity.Identity{
			Issuer:  "https://ci.example.com",
			Subject: "https://git.example.com/octo-org/app/.ztci/release.yml@refs/heads/main",
			Claims: identity.Claims{Platform: "ztci", Repository: "octo-org/app", Ref: "refs/heads/main", Commit: sha,
				WorkflowRef: "octo-org/app/.ztci/release.yml@refs/heads/main", RunID: "4242", RunAttempt: "1", Event: "push", Runner: "hosted"},
		}, certificate.Extensions{
			Issuer:                   "https://ci.example.com",
			BuildSignerURI:           "https://git.example.com/octo-org/app/.ztci/release.yml@refs/heads/main",
			RunnerEnvironment:        "hosted",
			SourceRepositoryURI:      "https://git.example.com/octo-org/app",
			SourceRepositoryDigest:   sha,
			SourceRepositoryRef:      "refs/heads/main",
			SourceRepositoryOwnerURI: "https://git.example.com/octo-org",
			BuildTrigger:             "push",
			RunInvocationURI:         "https://git.example.com/octo-org/app/runs/4242/attempts/1",
		}},
		{"other issuer: its URL is the forge", identity.Identity{
			Issuer:  "https://ci.other.example",
			Subject: "https://ci.other.example/acme/app",
			Claims:  identity.Claims{Platform: "buildkite", Repository: "acme/app", RunID: "5"},
		}, certificate.Extensions{
			Issuer:                   "https://ci.other.example",
			SourceRepositoryURI:      "https://ci.other.example/acme/app",
			SourceRepositoryOwnerURI: "https://ci.other.example/acme",
		}},
		{"repository already a URL", identity.Identity{
			Issuer:  "https://oidc.codefresh.io",
			Subject: "https://g.codefresh.io/acct/pipe",
			Claims:  identity.Claims{Platform: "codefresh", Repository: "https://github.com/acme/app"},
		}, certificate.Extensions{
			Issuer:              "https://oidc.codefresh.io",
			SourceRepositoryURI: "https://github.com/acme/app",
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			chain, err := c.Issue(t.Context(), key(t).Public(), tt.id)
			if err != nil {
				t.Fatal(err)
			}
			got, err := certificate.ParseExtensions(chain[0].Extensions)
			if err != nil {
				t.Fatal(err)
			}
			if got != tt.want {
				t.Errorf("extensions:\n got %+v\nwant %+v", got, tt.want)
			}
		})
	}
}

func TestWithServerURLValidates(t *testing.T) {
	t.Parallel()
	for _, u := range []string{"git.example.com", "http://git.example.com", "https://git.example.com/", "https://u:p@git.example.com", "https://git.example.com?x=1"} {
		if _, err := ca.New(ca.WithServerURL("https://ci.example.com", u)); !errors.Is(err, ca.ErrConfig) {
			t.Errorf("WithServerURL(%q): %v, want ErrConfig", u, err)
		}
	}
	if _, err := ca.New(ca.WithServerURL("https://ci.example.com", "http://127.0.0.1:3000")); err != nil {
		t.Errorf("loopback http: %v", err)
	}
}

// TestIssueAudited: every certificate is audited with the identity, serial
// and SANs, never key material or the caller's token; a sink failure
// means no certificate.
func TestIssueAudited(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	rec := audittest.NewRecorder()
	c, err := ca.New(ca.WithDir(dir), ca.WithAudit(rec), ca.WithSubjectDomain("https://ci.example.com", "https://git.example.com"))
	if err != nil {
		t.Fatal(err)
	}
	const canaryToken = "eyJ-canary-token-b1c2d3"
	id := identity.Identity{Issuer: "https://ci.example.com", Subject: "https://git.example.com/acme/app/.ztci/release.yml",
		Claims: identity.Claims{Platform: "ztci", Repository: "acme/app"}}
	k := key(t)
	// Through the Fulcio handler, with a bearer token.
	h := c.Handler(ca.AuthenticatorFunc(func(_ context.Context, tok string) (identity.Identity, error) {
		if tok != canaryToken {
			return identity.Identity{}, errors.New("bad token")
		}
		return id, nil
	}))
	status, leaf := signingCert(t, h, canaryToken, k, id.Subject)
	if status != http.StatusOK {
		t.Fatalf("signingCert: %d", status)
	}
	evs := rec.Events()
	if len(evs) != 1 {
		t.Fatalf("%d events, want 1", len(evs))
	}
	e := evs[0]
	serial := leaf.SerialNumber.Text(16)
	if e.Action != "ca.certificate.issue" || e.Outcome != audit.OutcomeSuccess || e.Actor.ID != id.ID() ||
		e.Attributes["serial"] != serial || e.Attributes["san"] != id.Subject || e.Resource != "certificate:"+serial {
		t.Errorf("event %+v", e)
	}
	enc, err := audit.Encode(e)
	if err != nil {
		t.Fatal(err)
	}
	keyPEM, err := os.ReadFile(filepath.Join(dir, "ca.key"))
	if err != nil {
		t.Fatal(err)
	}
	blk, _ := pem.Decode(keyPEM)
	for name, canary := range map[string][]byte{
		"bearer token":      []byte(canaryToken),
		"CA key PEM body":   bytes.Split(keyPEM, []byte("\n"))[1][:32],
		"CA key (hex)":      []byte(hex.EncodeToString(blk.Bytes)[64:96]),
		"certificate (b64)": []byte(base64.StdEncoding.EncodeToString(leaf.Raw)[:32]),
	} {
		if bytes.Contains(enc, canary) {
			t.Errorf("%s appears in the audit event", name)
		}
	}

	rec.Fail(errors.New("sink down"))
	if chain, err := c.Issue(t.Context(), k.Public(), id); !errors.Is(err, ca.ErrUnavailable) || chain != nil {
		t.Fatalf("sink failing: got %d certificates, err %v; want none and ErrUnavailable", len(chain), err)
	}
	if status, _ := signingCert(t, h, canaryToken, k, id.Subject); status != http.StatusServiceUnavailable {
		t.Errorf("handler with sink failing: %d, want 503", status)
	}
	if _, err := ca.New(ca.WithAudit(nil)); !errors.Is(err, ca.ErrConfig) {
		t.Errorf("WithAudit(nil): %v", err)
	}
}

// signingCert calls the handler's POST /api/v2/signingCert with a public
// key and its proof of possession over subject.
func signingCert(t *testing.T, h http.Handler, token string, k *ecdsa.PrivateKey, subject string) (int, *x509.Certificate) {
	t.Helper()
	der, _ := x509.MarshalPKIXPublicKey(k.Public())
	pemKey := string(pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: der}))
	sum := sha256.Sum256([]byte(subject))
	proof, _ := ecdsa.SignASN1(rand.Reader, k, sum[:])
	body, _ := json.Marshal(map[string]any{"publicKeyRequest": map[string]any{
		"publicKey": map[string]any{"algorithm": "ECDSA", "content": pemKey}, "proofOfPossession": base64.StdEncoding.EncodeToString(proof)}})
	req := httptest.NewRequestWithContext(t.Context(), http.MethodPost, "/api/v2/signingCert", bytes.NewReader(body))
	req.Header.Set("Authorization", "Bearer "+token)
	req.Header.Set("Content-Type", "application/json")
	w := httptest.NewRecorder()
	h.ServeHTTP(w, req)
	if w.Code != http.StatusOK {
		if strings.Contains(w.Body.String(), token) {
			t.Errorf("response echoes the token")
		}
		return w.Code, nil
	}
	var out struct {
		SCT struct {
			Chain struct {
				Certificates []string `json:"certificates"`
			} `json:"chain"`
		} `json:"signedCertificateEmbeddedSct"`
	}
	if err := json.Unmarshal(w.Body.Bytes(), &out); err != nil || len(out.SCT.Chain.Certificates) == 0 {
		t.Fatalf("response %s: %v", w.Body, err)
	}
	blk, _ := pem.Decode([]byte(out.SCT.Chain.Certificates[0]))
	leaf, err := x509.ParseCertificate(blk.Bytes)
	if err != nil {
		t.Fatal(err)
	}
	return w.Code, leaf
}
