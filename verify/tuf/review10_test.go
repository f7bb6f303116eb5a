package tuf_test

import (
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"net/http"
	"testing"
	"testing/synctest"
	"time"

	"github.com/theupdateframework/go-tuf/v2/metadata"

	"github.com/ztci/ztci/verify"
	"github.com/ztci/ztci/verify/tuf"
)

// delegate makes the repository's targets delegate the paths to a new
// role name, signed by its own key, listing target (name → bytes) and
// expiring at expires; it publishes the role and new top-level versions.
func (r *testRepo) delegate(role string, paths []string, target string, b []byte, expires time.Time) {
	s := r.newSigner()
	k := keyOf(r.tb, s)
	id, err := k.ID()
	if err != nil {
		r.tb.Fatal(err)
	}
	r.targets.Signed.Delegations = &metadata.Delegations{
		Keys:  map[string]*metadata.Key{id: k},
		Roles: []metadata.DelegatedRole{{Name: role, KeyIDs: []string{id}, Threshold: 1, Terminating: true, Paths: paths}},
	}
	d := metadata.Targets(expires)
	tf, err := metadata.TargetFile().FromBytes(target, b, "sha256")
	if err != nil {
		r.tb.Fatal(err)
	}
	d.Signed.Targets[target] = tf
	sum := sha256.Sum256(b)
	r.put("targets/"+hex.EncodeToString(sum[:])+"."+target, b)
	if _, err := d.Sign(s); err != nil {
		r.tb.Fatal(err)
	}
	r.put(fmt.Sprintf("%d.%s.json", d.Signed.Version, role), r.bytes(d))
	r.snapshot.Signed.Meta[role+".json"] = metadata.MetaFile(d.Signed.Version)
	r.targets.Signed.Version++
	r.signTargets()
	r.snapshot.Signed.Version++
	r.signSnapshot()
	r.timestamp.Signed.Version++
	r.signTimestamp()
}

// TestReview10DelegatedRoleExpiry: a target that a delegated targets role
// lists (as a repository may delegate per-tenant trusted roots) is vouched
// for by that role too. Root.Expires counted the root, timestamp,
// snapshot and top-level targets only, so the tenant's root stayed usable
// for days after the delegated role that listed it had expired: a
// repository that stopped renewing the role (or an attacker replaying it,
// a freeze) kept a root alive that TUF no longer vouched for. Expires is
// now the role's, Root and Live.Get refuse it from then, and a refresh
// against the frozen role fails.
func TestReview10DelegatedRoleExpiry(t *testing.T) {
	t.Parallel()
	synctest.Test(t, func(t *testing.T) {
		repo := newTestRepo(t, time.Now(), verify.PublicGoodJSON())
		const target = "octo.trusted_root.json"
		roleExpires := time.Now().Add(time.Hour) // timestamp: 7 days, snapshot 30, targets 90, root 365
		repo.delegate("tenants", []string{"*.trusted_root.json"}, target, otherTrustedRoot(t), roleExpires)
		hc := &http.Client{Transport: handlerTransport{repo}}
		c, err := tuf.Open(t.Context(), synctestMirror, repo.anchor, t.TempDir(), tuf.WithHTTPClient(hc), tuf.WithTarget(target))
		if err != nil {
			t.Fatal(err)
		}
		r, err := c.Root()
		if err != nil {
			t.Fatal(err)
		}
		if r.Revision != revisionOf(otherTrustedRoot(t)) {
			t.Fatalf("revision %s, want the delegated target's", r.Revision)
		}
		if !r.Expires.Equal(roleExpires) {
			t.Errorf("Expires %s, want the delegated role's %s (timestamp's: %s)", r.Expires, roleExpires, repo.timestamp.Signed.Expires)
		}
		live, err := tuf.NewLive(c, func(r *tuf.Root) (*tuf.Root, error) { return r, nil })
		if err != nil {
			t.Fatal(err)
		}

		time.Sleep(time.Until(roleExpires) - time.Second)
		if _, err := live.Get(); err != nil {
			t.Fatalf("a second before the role's expiry: %v", err)
		}
		time.Sleep(2 * time.Second)
		if _, err := c.Root(); !errors.Is(err, tuf.ErrExpired) {
			t.Errorf("Client.Root after the role's expiry: %v, want ErrExpired", err)
		}
		if _, err := live.Get(); !errors.Is(err, tuf.ErrExpired) {
			t.Errorf("Live.Get after the role's expiry: %v, want ErrExpired", err)
		}
		if _, err := live.Refresh(t.Context()); !errors.Is(err, tuf.ErrExpired) {
			t.Errorf("refresh with the role frozen: %v, want ErrExpired", err)
		}
	})
}
