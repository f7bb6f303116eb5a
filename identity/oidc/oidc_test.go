package oidc

import (
	"errors"
	"fmt"
	"log/slog"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/ztci/ztci/identity"
	"github.com/ztci/ztci/internal/redact"
	"github.com/ztci/ztci/internal/redact/redacttest"
)

// The verifier is the identity package's one token-verifier seam.
var _ identity.TokenVerifier = (*Verifier)(nil)

var testJob = Job{Claims: identity.Claims{
	Platform: "ztci", Repository: "octo-org/octo-repo", Ref: "refs/heads/main", RefProtected: true,
	Commit: "0123456789abcdef0123456789abcdef01234567", Workflow: "build", Job: "test", RunID: "42",
	RunAttempt: "1", Event: "push", Actor: "octocat", Runner: "hosted",
}}

func TestMintVerifyOverHTTP(t *testing.T) {
	t.Parallel()
	// Every issuer algorithm family; RS384/RS512/PS384/PS512 verification is
	// covered by the Wycheproof and RFC 7520 vectors (RSA key generation is slow).
	for _, alg := range []Algorithm{ES256, ES384, ES512, EdDSA, RS256, PS256} {
		t.Run(string(alg), func(t *testing.T) {
			t.Parallel()
			srv := httptest.NewServer(nil)
			defer srv.Close()
			masked := map[string]bool{}
			iss, err := NewIssuer(srv.URL, WithAlgorithm(alg), WithMasker(identity.MaskerFunc(func(v string) { masked[v] = true })))
			if err != nil {
				t.Fatal(err)
			}
			srv.Config.Handler = iss.Handler()
			tok, err := iss.Mint(t.Context(), testJob, "vault") // several audiences: review21_azp_test.go
			if err != nil {
				t.Fatal(err)
			}
			if !masked[tok.Reveal()] {
				t.Error("minted token was not registered with the masker")
			}
			v, err := NewVerifier(srv.URL, "vault")
			if err != nil {
				t.Fatal(err)
			}
			id, err := v.Verify(t.Context(), tok.Reveal())
			if err != nil {
				t.Fatal(err)
			}
			want := testJob.Claims
			if id.Claims != want || id.Subject != "repo:octo-org/octo-repo:ref:refs/heads/main" || id.Issuer != srv.URL {
				t.Errorf("identity = %+v, want claims %+v", id, want)
			}
			if _, err := v.Verify(t.Context(), tok.Reveal()[:len(tok.Reveal())-4]+"AAAA"); !errors.Is(err, ErrSignature) && !errors.Is(err, ErrMalformed) {
				t.Errorf("tampered signature: err = %v", err)
			}
		})
	}
}

func TestTokenRedacts(t *testing.T) {
	t.Parallel()
	iss, err := NewIssuer("https://ci.example.com")
	if err != nil {
		t.Fatal(err)
	}
	tok, err := iss.Mint(t.Context(), testJob, "aud")
	if err != nil {
		t.Fatal(err)
	}
	// Every verb, slog text and JSON, json.Marshal and wrapping errors,
	// with the minted JWT as the canary.
	redacttest.Check(t, tok, tok.Reveal(), "oidc.Token("+redact.Marker+")")
	// The jti is not secret and stays in the logs.
	var buf strings.Builder
	slog.New(slog.NewJSONHandler(&buf, nil)).Info("minted", "token", tok)
	if !strings.Contains(buf.String(), tok.ID()) {
		t.Errorf("slog lost the jti: %s", buf.String())
	}
}

func sprintAll(v any) string {
	return fmt.Sprintf("%v %+v %#v %s %q %x", v, v, v, v, v, v)
}
