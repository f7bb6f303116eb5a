package oidc_test

import (
	"encoding/json"
	"errors"
	"io"
	"net/http/httptest"
	"slices"
	"testing"

	"github.com/ztci/ztci/identity"
	"github.com/ztci/ztci/identity/oidc"
)

// TestReview18EnvironmentProtected: the issuer wrote ref_protected but not
// whether the job's environment is protected, so a consumer of its tokens
// could not tell a vendor's guarded "production" from any job naming it.
// It writes GitLab's environment_protected ("true"/"false") for a job with
// an environment, the verifier reads it back, discovery lists it, and a
// flag without the environment it qualifies is refused.
func TestReview18EnvironmentProtected(t *testing.T) {
	t.Parallel()
	iss, err := oidc.NewIssuer("https://ci.example.com")
	if err != nil {
		t.Fatal(err)
	}
	v, err := oidc.NewVerifier("https://ci.example.com", "aud", oidc.WithKeySet(iss.KeySet()))
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		env       string
		protected bool
		want      any // the raw claim; nil: absent
	}{
		{env: "production", protected: true, want: "true"},
		{env: "production", want: "false"},
		{},
	} {
		tok, err := iss.Mint(t.Context(), oidc.Job{Claims: identity.Claims{
			Repository: "acme/app", Environment: tc.env, EnvironmentProtected: tc.protected,
		}}, "aud")
		if err != nil {
			t.Fatal(err)
		}
		got, err := v.VerifyToken(t.Context(), tok.Reveal())
		if err != nil {
			t.Fatal(err)
		}
		if raw, ok := got.Raw["environment_protected"]; raw != tc.want || ok != (tc.want != nil) {
			t.Errorf("%+v: raw environment_protected = %#v, want %#v", tc, raw, tc.want)
		}
		if got.Identity.Claims.EnvironmentProtected != tc.protected {
			t.Errorf("%+v: verified EnvironmentProtected = %v", tc, got.Identity.Claims.EnvironmentProtected)
		}
	}
	_, err = iss.Mint(t.Context(), oidc.Job{Subject: "s", Claims: identity.Claims{Repository: "acme/app", EnvironmentProtected: true}}, "aud")
	if !errors.Is(err, oidc.ErrConfig) {
		t.Errorf("EnvironmentProtected without Environment: %v, want ErrConfig", err)
	}

	srv := httptest.NewServer(iss.Handler())
	defer srv.Close()
	resp, err := srv.Client().Get(srv.URL + oidc.DiscoveryPath)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	var doc struct {
		Claims []string `json:"claims_supported"`
	}
	if err := json.Unmarshal(b, &doc); err != nil || !slices.Contains(doc.Claims, "environment_protected") {
		t.Errorf("discovery claims %v (%v): want environment_protected", doc.Claims, err)
	}
}
