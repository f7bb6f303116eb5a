package identity_test

import (
	"context"
	"errors"
	"testing"

	"github.com/ztci/ztci/identity"
)

// TestReview39PermissionTrailingDot: a segment ending in '.' names what its
// store reads without the dot (Windows trims trailing dots, DNS reads
// "production." as "production"), so "deploy:production." escaped a
// requirement registered for deploy:production while a grant of deploy:*
// allowed it. Such a request is refused as malformed now.
func TestReview39PermissionTrailingDot(t *testing.T) {
	t.Parallel()
	errNoMFA := errors.New("no mfa")
	deny := func(context.Context, identity.Request) error { return errNoMFA }
	g, err := identity.NewGuard([]identity.Grant{{Name: "all", To: identity.MatchIssuer("https://ci.example"),
		Permissions: []string{"deploy:*", "secrets:read:*", "artifacts:push:*"}}},
		identity.WithRequirement("deploy:production", deny),
		identity.WithRequirement("secrets:read:team-a", deny))
	if err != nil {
		t.Fatal(err)
	}
	who := identity.Identity{Issuer: "https://ci.example", Subject: "job"}
	for _, tc := range []struct {
		name string
		p    identity.Permission
	}{
		{name: "env", p: identity.Deploy("production.")},
		{name: "env below", p: identity.Deploy("production.:eu")},
		{name: "dir", p: identity.SecretsRead("team-a./db")},
		{name: "dirs", p: identity.SecretsRead("team-a../db")},
		{name: "secret", p: identity.SecretsRead("team-a.")},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			d, err := g.Check(t.Context(), identity.Request{Who: who, Permission: tc.p})
			if !errors.Is(err, identity.ErrInvalidPermission) || d.Allowed {
				t.Fatalf("Check(%q) = %+v, %v; want refused with ErrInvalidPermission", tc.p, d, err)
			}
		})
	}
	// A dot inside a segment is part of the name.
	for _, p := range []identity.Permission{identity.Deploy("staging.eu"), identity.SecretsRead("team-b/.env"), identity.ArtifactsPush("ghcr.io/org/app")} {
		if d, err := g.Check(t.Context(), identity.Request{Who: who, Permission: p}); err != nil || !d.Allowed {
			t.Errorf("Check(%q) = %+v, %v; want allowed", p, d, err)
		}
	}
}

// TestReview39PermissionRequireAMREmpty: RequireAMR("") (a method left
// unset in a vendor's configuration) was met by any token whose amr
// listed "". An unset method is met by nothing.
func TestReview39PermissionRequireAMREmpty(t *testing.T) {
	t.Parallel()
	req := identity.RequireAMR("")
	for _, tc := range []struct {
		name string
		amr  []string
	}{
		{name: "none"},
		{name: "empty entry", amr: []string{""}},
		{name: "mfa", amr: []string{"mfa", ""}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			err := req(t.Context(), identity.Request{AMR: tc.amr})
			if !errors.Is(err, identity.ErrRequirement) {
				t.Fatalf("RequireAMR(\"\") with amr %q = %v, want ErrRequirement", tc.amr, err)
			}
		})
	}
}

// TestReview39PermissionGrantKindGlob: a grant pattern's resource kind had
// only to hold something besides '*', so "s*:*" granted every permission
// of every kind starting with 's' ("secrets:read:<any>", "scm:<any>"), and
// "*s:*" every kind ending in 's' (artifacts, secrets). The kind is named
// in full now.
func TestReview39PermissionGrantKindGlob(t *testing.T) {
	t.Parallel()
	for _, p := range []string{"s*:*", "*s:*", "secret*:read:*", "*:read:x", "de*ploy:production"} {
		t.Run(p, func(t *testing.T) {
			t.Parallel()
			_, err := identity.NewGuard([]identity.Grant{{Name: "g", To: identity.MatchIssuer("https://ci.example"), Permissions: []string{p}}})
			if !errors.Is(err, identity.ErrConfig) {
				t.Fatalf("NewGuard(%q) = %v, want ErrConfig", p, err)
			}
		})
	}
	for _, p := range []string{"secrets:*", "deploy:staging-*", "artifacts:push:ghcr.io/org/*"} {
		if _, err := identity.NewGuard([]identity.Grant{{Name: "g", To: identity.MatchIssuer("https://ci.example"), Permissions: []string{p}}}); err != nil {
			t.Errorf("NewGuard(%q) = %v, want nil", p, err)
		}
	}
}
