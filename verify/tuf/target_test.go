package tuf_test

import (
	"errors"
	"testing"
	"time"

	"github.com/ztci/ztci/verify"
	"github.com/ztci/ztci/verify/github"
	"github.com/ztci/ztci/verify/tuf"
)

// TestTenantTarget: a repository laid out as GitHub's, with its own
// trusted_root.json and a GitHub Enterprise Cloud tenant's
// "<trust domain>.trusted_root.json" (github.TenantTrustedRootTarget),
// serves each client the target it names with WithTarget, in one cache
// directory: the tenant's root to the tenant's client, the default to the
// default one. A trust domain the repository has no target for is no
// trusted root (ErrTUF), never the default's.
func TestTenantTarget(t *testing.T) {
	t.Parallel()
	tenantRoot := otherTrustedRoot(t) // other bytes: another revision
	repo := newTestRepo(t, time.Now(), verify.PublicGoodJSON())
	target, err := github.TenantTrustedRootTarget("octo")
	if err != nil {
		t.Fatal(err)
	}
	if target != "octo.trusted_root.json" {
		t.Fatalf("target %q", target)
	}
	repo.putTargetAs(target, tenantRoot)
	repo.targets.Signed.Version++
	repo.signTargets()
	repo.snapshot.Signed.Version++
	repo.signSnapshot()
	repo.timestamp.Signed.Version++
	repo.signTimestamp()
	srv := repo.serve(t)
	cache := t.TempDir()

	for _, tc := range []struct {
		name string
		opts []tuf.Option
		want []byte
	}{
		{"tenant", []tuf.Option{tuf.WithTarget(target)}, tenantRoot},
		{"default", nil, verify.PublicGoodJSON()},
		{"tenant again, from the cache", []tuf.Option{tuf.WithTarget(target)}, tenantRoot},
	} {
		c, err := tuf.Open(t.Context(), srv.URL, repo.anchor, cache, tc.opts...)
		if err != nil {
			t.Fatalf("%s: %v", tc.name, err)
		}
		r, err := c.Root()
		if err != nil {
			t.Fatalf("%s: %v", tc.name, err)
		}
		if want := revisionOf(tc.want); r.Revision != want {
			t.Errorf("%s: revision %s, want %s", tc.name, r.Revision, want)
		}
		verifyConformance(t, r.Material)
	}

	other, err := github.TenantTrustedRootTarget("other-tenant")
	if err != nil {
		t.Fatal(err)
	}
	if c, err := tuf.Open(t.Context(), srv.URL, repo.anchor, cache, tuf.WithTarget(other)); !errors.Is(err, tuf.ErrTUF) {
		t.Fatalf("a trust domain without a target: %v, %v", c, err)
	}
}
