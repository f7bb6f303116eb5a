package svid_test

import (
	"context"
	"errors"
	"sync"
	"testing"
	"time"

	"github.com/ztci/ztci/audit"
	"github.com/ztci/ztci/identity/oidc"
	"github.com/ztci/ztci/identity/svid"
)

// eventLog is an audit sink in memory that fails while fail is set.
type eventLog struct {
	mu     sync.Mutex
	events []audit.Event
	fail   bool
}

func (l *eventLog) Write(_ context.Context, e audit.Event) error {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.fail {
		return errors.New("sink down")
	}
	l.events = append(l.events, e)
	return nil
}

// TestRevokeJWTKey: a JWT-SVID of a rotated-out key verifies with the
// issuer's bundle until RevokeJWTKey, and fails right after it (before the
// revocation path, the key stayed trusted for the SVID's TTL plus a
// minute); the revocation is audited; a second revocation is not an error;
// the signing key and a kid in no bundle are refused; the revoked kid
// cannot be rotated back in.
func TestRevokeJWTKey(t *testing.T) {
	t.Parallel()
	ctx := t.Context()
	log := &eventLog{}
	iss, err := svid.NewIssuer(td, svid.WithJWTSigner(caKey(t, "P-256"), "stolen"), svid.WithAudit(log))
	if err != nil {
		t.Fatal(err)
	}
	old, err := iss.JWTSVID(ctx, jobID, time.Time{}, "aud")
	if err != nil {
		t.Fatal(err)
	}
	if err := iss.RevokeJWTKey(ctx, "stolen"); !errors.Is(err, svid.ErrJWTKeyActive) {
		t.Fatalf("revoking the signing key = %v, want ErrJWTKeyActive", err)
	}
	if err := iss.RotateJWTKey(ctx, nil, "next"); err != nil {
		t.Fatal(err)
	}
	if _, err := svid.ParseAndValidateJWT(old.Marshal(), iss, []string{"aud"}); err != nil {
		t.Fatalf("the retired key's SVID before the revocation: %v", err)
	}
	if err := iss.RevokeJWTKey(ctx, "stolen"); err != nil {
		t.Fatal(err)
	}
	if _, err := svid.ParseAndValidateJWT(old.Marshal(), iss, []string{"aud"}); !errors.Is(err, svid.ErrInvalidSVID) {
		t.Fatalf("the revoked key's SVID = %v, want ErrInvalidSVID", err)
	}
	v, err := svid.NewJWTVerifier(iss, "aud")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := v.Verify(ctx, old.Marshal()); err == nil {
		t.Fatal("JWTVerifier accepts the revoked key's SVID")
	}
	if _, ok := iss.JWTBundle().FindJWTAuthority("stolen"); ok {
		t.Fatal("the revoked key is still in the JWT bundle")
	}
	current, err := iss.JWTSVID(ctx, jobID, time.Time{}, "aud")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := v.Verify(ctx, current.Marshal()); err != nil {
		t.Fatalf("the signing key's SVID after the revocation: %v", err)
	}
	if ev := log.events; len(ev) != 3 || ev[1].Action != "identity.svid.jwt.key.revoke" ||
		ev[1].Resource != "jwt-key:stolen" || ev[1].Outcome != audit.OutcomeSuccess {
		t.Fatalf("audit events %+v, want an issuance, the revocation, an issuance", ev)
	}

	if err := iss.RevokeJWTKey(ctx, "stolen"); err != nil {
		t.Fatalf("revoking again = %v, want nil", err)
	}
	if err := iss.RevokeJWTKey(ctx, "never-seen"); !errors.Is(err, svid.ErrJWTKeyUnknown) {
		t.Fatalf("revoking an unknown kid = %v, want ErrJWTKeyUnknown", err)
	}
	if err := iss.RevokeJWTKey(ctx, "next"); !errors.Is(err, svid.ErrJWTKeyActive) {
		t.Fatalf("revoking the new signing key = %v, want ErrJWTKeyActive", err)
	}
	if err := iss.RotateJWTKey(ctx, nil, "stolen"); !errors.Is(err, svid.ErrConfig) {
		t.Fatalf("rotating to the revoked kid = %v, want ErrConfig", err)
	}
}

// TestRevokeJWTKeyAuditFailure: a revocation whose audit fails still takes
// effect, and the error says it was not audited.
func TestRevokeJWTKeyAuditFailure(t *testing.T) {
	t.Parallel()
	ctx := t.Context()
	log := &eventLog{}
	iss, err := svid.NewIssuer(td, svid.WithJWTSigner(caKey(t, "P-256"), "old"), svid.WithAudit(log))
	if err != nil {
		t.Fatal(err)
	}
	if err := iss.RotateJWTKey(ctx, nil, ""); err != nil {
		t.Fatal(err)
	}
	log.fail = true
	if err := iss.RevokeJWTKey(ctx, "old"); !errors.Is(err, svid.ErrIssue) {
		t.Fatalf("RevokeJWTKey with the audit sink down = %v, want ErrIssue", err)
	}
	if _, ok := iss.JWTBundle().FindJWTAuthority("old"); ok {
		t.Fatal("the key stays in the bundle when the audit fails")
	}
}

// revokeFailStore is a MemoryKeyStore whose Revoke fails while fail is set.
type revokeFailStore struct {
	*oidc.MemoryKeyStore
	fail bool
}

func (s *revokeFailStore) Revoke(ctx context.Context, kid string) error {
	if s.fail {
		return errors.New("store down")
	}
	return s.MemoryKeyStore.Revoke(ctx, kid)
}

// TestRevokeJWTKeyFleet: with a shared key store, a key A revoked leaves
// B's bundle too (B would otherwise trust it until its record lapsed, up to
// two TTLs and a minute on), its record cannot be published again, and B
// may revoke a key of A's it holds only through the store. A store that
// fails the revocation leaves A without the key all the same, and says so.
func TestRevokeJWTKeyFleet(t *testing.T) {
	t.Parallel()
	ctx := t.Context()
	clk := &clock{}
	keys := &revokeFailStore{MemoryKeyStore: oidc.NewMemoryKeyStore(clk.now)}
	a, err := svid.NewIssuer(td, svid.WithJWTKeyStore(keys), svid.WithClock(clk.now), svid.WithJWTSigner(caKey(t, "P-256"), "a1"))
	if err != nil {
		t.Fatal(err)
	}
	log := &eventLog{}
	b, err := svid.NewIssuer(td, svid.WithJWTKeyStore(keys), svid.WithClock(clk.now), svid.WithJWTSigner(caKey(t, "P-256"), "b1"), svid.WithAudit(log))
	if err != nil {
		t.Fatal(err)
	}
	for _, iss := range []*svid.Issuer{a, b} {
		if err := iss.PublishJWTKey(ctx); err != nil {
			t.Fatal(err)
		}
	}
	if err := a.RotateJWTKey(ctx, nil, "a2"); err != nil {
		t.Fatal(err)
	}
	if err := b.RotateJWTKey(ctx, nil, "b2"); err != nil {
		t.Fatal(err)
	}

	if err := a.RevokeJWTKey(ctx, "a1"); err != nil {
		t.Fatal(err)
	}
	for name, iss := range map[string]*svid.Issuer{"A": a, "B": b} {
		fleet, err := iss.FleetJWTBundle(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if _, ok := fleet.FindJWTAuthority("a1"); ok {
			t.Errorf("%s's bundle holds the revoked key a1", name)
		}
		if _, ok := fleet.FindJWTAuthority("a2"); !ok {
			t.Errorf("%s's bundle lost A's signing key", name)
		}
	}
	all, _ := keys.Keys(ctx)
	for _, k := range all {
		if k.ID == "a1" {
			k.NotAfter = k.NotAfter.Add(time.Minute) // a late renewal
			if err := keys.Publish(ctx, k); !errors.Is(err, oidc.ErrKeyRevoked) {
				t.Fatalf("publishing the revoked kid again = %v, want ErrKeyRevoked", err)
			}
		}
	}

	// B revokes its own b1 while the store fails: B drops it at once, A
	// once the retry reaches the store.
	keys.fail = true
	if err := b.RevokeJWTKey(ctx, "b1"); !errors.Is(err, oidc.ErrKeyStore) {
		t.Fatalf("RevokeJWTKey with the store failing = %v, want ErrKeyStore", err)
	}
	if _, ok := b.JWTBundle().FindJWTAuthority("b1"); ok {
		t.Fatal("B still trusts b1 after revoking it with the store down")
	}
	if ev := log.events; len(ev) != 1 || ev[0].Outcome != audit.OutcomeFailure {
		t.Fatalf("audit events %+v, want the failed revocation", ev)
	}
	keys.fail = false
	if err := b.RevokeJWTKey(ctx, "b1"); err != nil { // the retry
		t.Fatal(err)
	}
	if _, ok := a.JWTBundle().FindJWTAuthority("b1"); ok {
		t.Fatal("A still trusts b1 after B's retried revocation")
	}
	// A fleet key of another replica: A revokes B's signing key b2 (its
	// host was broken into); B can no longer publish it.
	if err := a.RevokeJWTKey(ctx, "b2"); err != nil {
		t.Fatal(err)
	}
	clk.advance(svid.DefaultJWTTTL) // B's renewal is due
	if _, err := b.JWTSVID(ctx, jobID, time.Time{}, "aud"); !errors.Is(err, oidc.ErrNotPublished) {
		t.Fatalf("B signing with its revoked key = %v, want ErrNotPublished", err)
	}
}
