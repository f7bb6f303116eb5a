// Package secretstest is a conformance suite for [secrets.Backend]
// implementations, in the spirit of testing/slogtest: a vendor plugging in
// their own backend runs [TestBackend] against it (and a real server) to
// check the contract the broker relies on.
package secretstest

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"testing"
	"time"

	"github.com/ztci/ztci/secrets"
)

// NewLeaseID returns a lease id of the form the broker reserves.
func NewLeaseID() string {
	var b [12]byte
	_, _ = rand.Read(b[:])
	return "ztci_" + hex.EncodeToString(b[:])
}

// TestBackend checks b's contract with a request for a secret b serves
// (req.Name; req.LeaseID is filled in if empty):
//
//   - Issue returns a non-empty value;
//   - Revoke succeeds, and revoking again, or revoking an id b never issued,
//     also succeeds (the broker retries and recovers after crashes);
//   - a renewable grant renews while live;
//   - a name b does not serve is an error wrapping [secrets.ErrNotFound];
//   - Issue with a cancelled context fails, or (for backends that never
//     block) grants something that revokes cleanly.
func TestBackend(t *testing.T, b secrets.Backend, req secrets.Request) {
	t.Helper()
	ctx := t.Context()
	if req.LeaseID == "" {
		req.LeaseID = NewLeaseID()
	}
	g, err := b.Issue(ctx, req)
	if err != nil {
		t.Fatalf("Issue(%q): %v", req.Name, err)
	}
	if g.Value.IsZero() {
		t.Errorf("Issue(%q): empty value", req.Name)
	}
	id := g.LeaseID
	if id == "" {
		id = req.LeaseID
	}
	if r, ok := b.(secrets.Renewer); ok && g.Renewable {
		got, err := r.Renew(ctx, id, time.Minute)
		if err != nil || got <= 0 {
			t.Errorf("Renew(%s) of a live lease = %v, %v", id, got, err)
		}
	}
	if err := b.Revoke(ctx, id); err != nil {
		t.Errorf("Revoke(%s): %v", id, err)
	}
	if err := b.Revoke(ctx, id); err != nil {
		t.Errorf("Revoke(%s) again: %v; revocation must be idempotent", id, err)
	}
	if err := b.Revoke(ctx, NewLeaseID()); err != nil {
		t.Errorf("Revoke of an id never issued: %v; must succeed (nothing to revoke)", err)
	}

	missing := req
	missing.Name = "secretstest-no-such-secret"
	missing.LeaseID = NewLeaseID()
	if _, err := b.Issue(ctx, missing); !errors.Is(err, secrets.ErrNotFound) {
		t.Errorf("Issue of an unknown name: got %v, want an error wrapping secrets.ErrNotFound", err)
	}

	done, cancel := context.WithCancel(ctx)
	cancel()
	cancelled := req
	cancelled.LeaseID = NewLeaseID()
	if g, err := b.Issue(done, cancelled); err == nil {
		// A backend with nothing to wait for (a map) may answer anyway.
		t.Logf("Issue with a cancelled context succeeded; acceptable only for backends that never block")
		id := g.LeaseID
		if id == "" {
			id = cancelled.LeaseID
		}
		if err := b.Revoke(ctx, id); err != nil {
			t.Errorf("Revoke(%s): %v", id, err)
		}
	}
}
