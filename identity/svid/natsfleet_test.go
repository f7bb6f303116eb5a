package svid_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
	"github.com/spiffe/go-spiffe/v2/svid/jwtsvid"

	"github.com/ztci/ztci/identity/oidc"
	"github.com/ztci/ztci/identity/oidc/natskeys"
	"github.com/ztci/ztci/identity/svid"
	"github.com/ztci/ztci/internal/itest"
)

// The JWT-SVID keys live in a bucket of their own, apart from the OIDC
// issuer's.
const svidBucket = "ztci_svid_jwt_keys"

// connectJS opens a NATS connection preferring the first of urls.
func connectJS(t testing.TB, urls string) jetstream.JetStream {
	t.Helper()
	nc, err := nats.Connect(urls, nats.DontRandomize(), nats.ErrorHandler(func(*nats.Conn, *nats.Subscription, error) {}),
		nats.MaxReconnects(-1), nats.ReconnectWait(50*time.Millisecond), nats.Timeout(time.Second))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(nc.Close)
	js, err := jetstream.New(nc)
	if err != nil {
		t.Fatal(err)
	}
	return js
}

// natsReplica is one SVID issuer replica on its own NATS connection.
func natsReplica(t testing.TB, js jetstream.JetStream, opts ...svid.Option) (*svid.Issuer, *natskeys.Store) {
	t.Helper()
	// Retried while a bucket just created on the cluster elects its
	// stream's leader.
	store := itest.Create(t, "natskeys.New", func(ctx context.Context) (*natskeys.Store, error) {
		return natskeys.New(ctx, js, natskeys.WithBucket(svidBucket), natskeys.WithReplicas(3),
			natskeys.WithRefresh(200*time.Millisecond), natskeys.WithMaxStaleness(time.Second))
	})
	t.Cleanup(func() { _ = store.Close() })
	iss, err := svid.NewIssuer(td, append([]svid.Option{svid.WithJWTKeyStore(store)}, opts...)...)
	if err != nil {
		t.Fatal(err)
	}
	itest.Create(t, "PublishJWTKey", func(ctx context.Context) (struct{}, error) { return struct{}{}, iss.PublishJWTKey(ctx) })
	return iss, store
}

// verifiesWithin polls until s verifies with bundles, which learn of
// another replica's key through the bucket's watch.
func verifiesWithin(t testing.TB, s *jwtsvid.SVID, bundles *svid.Issuer, d time.Duration) {
	t.Helper()
	deadline := time.Now().Add(d)
	for {
		_, err := svid.ParseAndValidateJWT(s.Marshal(), bundles, []string{"aud"})
		if err == nil {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("JWT-SVID does not verify with the other replica's bundle after %v: %v", d, err)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// TestJWTSVIDKeysSharedOverNATS (issue #13 item 2): two SVID issuer
// replicas on separate connections to a 3-node NATS cluster, each signing
// with its own in-memory key, publish their keys in one natskeys bucket. A
// JWT-SVID from replica A verifies with replica B's bundle; after A
// rotates, A's earlier SVID still verifies with B's bundle until it
// expires; once the cluster is gone, a rotation that cannot publish is
// refused (the current key goes on signing), A stops issuing when its
// publication no longer covers an SVID, and B's bundle falls back to B's
// own key.
func TestJWTSVIDKeysSharedOverNATS(t *testing.T) {
	c := itest.StartNATSCluster(t, 3)
	const ttl = 3 * time.Second
	a, _ := natsReplica(t, connectJS(t, c.URLsFrom(0)), svid.WithJWTTTL(ttl))
	b, _ := natsReplica(t, connectJS(t, c.URLsFrom(1)), svid.WithJWTTTL(ttl))
	ctx := t.Context()

	first, err := a.JWTSVID(ctx, jobID, time.Time{}, "aud")
	if err != nil {
		t.Fatal(err)
	}
	verifiesWithin(t, first, b, 5*time.Second)
	fromB, err := b.JWTSVID(ctx, jobID, time.Time{}, "aud")
	if err != nil {
		t.Fatal(err)
	}
	verifiesWithin(t, fromB, a, 5*time.Second)
	if n := len(b.JWTBundle().JWTAuthorities()); n != 2 {
		t.Fatalf("B's bundle holds %d keys, want A's and B's", n)
	}

	if err := a.RotateJWTKey(ctx, nil, ""); err != nil {
		t.Fatal(err)
	}
	second, err := a.JWTSVID(ctx, jobID, time.Time{}, "aud")
	if err != nil {
		t.Fatal(err)
	}
	if k1, _ := headerKID(t, first); func() bool { k2, _ := headerKID(t, second); return k1 == k2 }() {
		t.Fatal("rotation did not change A's signing key")
	}
	verifiesWithin(t, second, b, 5*time.Second)
	if _, err := svid.ParseAndValidateJWT(first.Marshal(), b, []string{"aud"}); err != nil {
		t.Fatalf("A's SVID from before the rotation, with B's bundle: %v", err)
	}
	if n := len(b.JWTBundle().JWTAuthorities()); n != 3 {
		t.Fatalf("B's bundle holds %d keys, want A's old and new keys and B's", n)
	}
	// Right up to its expiry (go-jose then allows a minute of leeway,
	// which the key's grace covers).
	time.Sleep(time.Until(first.Expiry) - 200*time.Millisecond)
	for name, bundles := range map[string]*svid.Issuer{"A": a, "B": b} {
		if _, err := svid.ParseAndValidateJWT(first.Marshal(), bundles, []string{"aud"}); err != nil {
			t.Fatalf("A's SVID from before the rotation, at its expiry, with %s's bundle: %v", name, err)
		}
	}

	// The cluster goes away: B's store goes stale after a second, and A
	// issues only while its last publication covers the SVID (one SVID
	// lifetime after its last renewal).
	for _, n := range c.Nodes {
		n.Kill(t)
	}
	// A rotation cannot publish its key: it is refused and the current key
	// goes on signing.
	if err := a.RotateJWTKey(ctx, nil, ""); !errors.Is(err, oidc.ErrNotPublished) {
		t.Fatalf("RotateJWTKey during the outage = %v, want ErrNotPublished", err)
	}
	secondKID, _ := headerKID(t, second)
	deadline := time.Now().Add(3*ttl + 5*time.Second)
	for {
		s, err := a.JWTSVID(ctx, jobID, time.Time{}, "aud")
		if errors.Is(err, oidc.ErrNotPublished) && errors.Is(err, svid.ErrIssue) {
			break
		}
		if err != nil {
			t.Fatalf("JWTSVID during the outage: %v, want nil or ErrNotPublished", err)
		}
		if kid, _ := headerKID(t, s); kid != secondKID {
			t.Fatalf("A signs with %q after a failed rotation, want the current key %q", kid, secondKID)
		}
		if time.Now().After(deadline) {
			t.Fatal("A went on issuing JWT-SVIDs long after the key store stopped answering")
		}
		time.Sleep(100 * time.Millisecond)
	}
	if _, err := b.FleetJWTBundle(ctx); !errors.Is(err, oidc.ErrKeyStore) {
		t.Fatalf("FleetJWTBundle with the store stale = %v, want ErrKeyStore", err)
	}
	if n := len(b.JWTBundle().JWTAuthorities()); n != 1 {
		t.Fatalf("B's fallback bundle holds %d keys, want B's own only", n)
	}
}

// TestJWTSVIDSharedKMSKeyOverNATS: replicas that share one KMS key publish
// one record under one kid, and each one's bundle holds that single key.
func TestJWTSVIDSharedKMSKeyOverNATS(t *testing.T) {
	c := itest.StartNATSCluster(t, 3)
	key := kms{caKey(t, "P-256")}
	a, _ := natsReplica(t, connectJS(t, c.URLsFrom(0)), svid.WithJWTSigner(key, ""))
	b, _ := natsReplica(t, connectJS(t, c.URLsFrom(2)), svid.WithJWTSigner(key, ""))
	s, err := a.JWTSVID(t.Context(), jobID, time.Time{}, "aud")
	if err != nil {
		t.Fatal(err)
	}
	verifiesWithin(t, s, b, 5*time.Second)
	for name, iss := range map[string]*svid.Issuer{"A": a, "B": b} {
		if n := len(iss.JWTBundle().JWTAuthorities()); n != 1 {
			t.Fatalf("%s's bundle holds %d keys, want the one shared key", name, n)
		}
	}
}

// TestRevokeJWTKeyOverNATS: replica A rotates out a key and revokes it; the
// key's SVID fails with A's bundle at once and with B's (another
// connection, another natskeys Store) once B's store has the revocation,
// where before it verified until its record lapsed.
func TestRevokeJWTKeyOverNATS(t *testing.T) {
	c := itest.StartNATSCluster(t, 3)
	a, _ := natsReplica(t, connectJS(t, c.URLsFrom(0)))
	b, _ := natsReplica(t, connectJS(t, c.URLsFrom(1)))
	ctx := t.Context()
	stolen, err := a.JWTSVID(ctx, jobID, time.Time{}, "aud")
	if err != nil {
		t.Fatal(err)
	}
	verifiesWithin(t, stolen, b, 5*time.Second)
	kid, _ := headerKID(t, stolen)
	if err := a.RotateJWTKey(ctx, nil, ""); err != nil {
		t.Fatal(err)
	}
	if err := a.RevokeJWTKey(ctx, kid); err != nil {
		t.Fatal(err)
	}
	if _, err := svid.ParseAndValidateJWT(stolen.Marshal(), a, []string{"aud"}); !errors.Is(err, svid.ErrInvalidSVID) {
		t.Fatalf("the revoked key's SVID with A's bundle = %v, want ErrInvalidSVID", err)
	}
	deadline := time.Now().Add(5 * time.Second)
	for {
		if _, err := svid.ParseAndValidateJWT(stolen.Marshal(), b, []string{"aud"}); err != nil {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("B's bundle still verifies the revoked key's SVID")
		}
		time.Sleep(20 * time.Millisecond)
	}
	fleet, err := b.FleetJWTBundle(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if _, ok := fleet.FindJWTAuthority(kid); ok || len(fleet.JWTAuthorities()) != 2 {
		t.Fatalf("B's bundle holds %d keys (revoked one: %v), want A's new key and B's", len(fleet.JWTAuthorities()), ok)
	}
}
