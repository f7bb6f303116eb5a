package natskeys_test

import (
	"context"
	"crypto"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"runtime"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/go-jose/go-jose/v4"
	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/ztci/ztci/identity"
	"github.com/ztci/ztci/identity/oidc"
	"github.com/ztci/ztci/identity/oidc/natskeys"
	"github.com/ztci/ztci/internal/itest"
)

// The fleet's issuer URL: every replica serves it (a load balancer would
// route it); each verifier below is pinned to one replica by its dialer.
const issuerURL = "http://127.0.0.1:8443"

var job = oidc.Job{Claims: identity.Claims{Repository: "octo-org/app", Ref: "refs/heads/main"}}

func connect(t testing.TB, urls string) jetstream.JetStream {
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

// newStore opens a store on js, retrying while a bucket just created on a
// cluster elects its stream's leader.
func newStore(t testing.TB, js jetstream.JetStream, opts ...natskeys.Option) *natskeys.Store {
	t.Helper()
	s := itest.Create(t, "natskeys.New", func(ctx context.Context) (*natskeys.Store, error) { return natskeys.New(ctx, js, opts...) })
	t.Cleanup(func() { _ = s.Close() })
	return s
}

// publish calls iss.Publish until it succeeds (the bucket's stream may still
// be electing a leader right after creation).
func publish(t testing.TB, iss *oidc.Issuer) {
	t.Helper()
	itest.Create(t, "Publish", func(ctx context.Context) (struct{}, error) { return struct{}{}, iss.Publish(ctx) })
}

func genKey(t testing.TB, kind string) crypto.Signer {
	t.Helper()
	var k crypto.Signer
	var err error
	switch kind {
	case "P-256":
		k, err = ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	case "P-384":
		k, err = ecdsa.GenerateKey(elliptic.P384(), rand.Reader)
	case "Ed25519":
		_, k, err = ed25519.GenerateKey(rand.Reader)
	case "RSA-2048":
		k, err = rsa.GenerateKey(rand.Reader, 2048)
	}
	if err != nil || k == nil {
		t.Fatalf("key %s: %v", kind, err)
	}
	return k
}

// replica is one issuer process of the fleet, served over HTTP.
type replica struct {
	iss   *oidc.Issuer
	store *natskeys.Store
	addr  string
}

// verifierAt returns a verifier that fetches the issuer's discovery
// document and JWKS from this replica only.
func (r replica) verifierAt(t testing.TB) *oidc.Verifier {
	t.Helper()
	tr := &http.Transport{DialContext: func(ctx context.Context, network, _ string) (net.Conn, error) {
		return (&net.Dialer{}).DialContext(ctx, network, r.addr)
	}}
	t.Cleanup(tr.CloseIdleConnections)
	v, err := oidc.NewVerifier(issuerURL, "gate", oidc.WithHTTPClient(&http.Client{Transport: tr, Timeout: 10 * time.Second}))
	if err != nil {
		t.Fatal(err)
	}
	return v
}

func (r replica) jwksKeys(t testing.TB) (int, []string) {
	t.Helper()
	resp, err := http.Get("http://" + r.addr + oidc.JWKSPath)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var set struct {
		Keys []struct {
			Kid string `json:"kid"`
		} `json:"keys"`
	}
	if resp.StatusCode != http.StatusOK {
		return resp.StatusCode, nil
	}
	if err := json.NewDecoder(resp.Body).Decode(&set); err != nil {
		t.Fatal(err)
	}
	var kids []string
	for _, k := range set.Keys {
		kids = append(kids, k.Kid)
	}
	return resp.StatusCode, kids
}

func startReplica(t testing.TB, js jetstream.JetStream, signer crypto.Signer, opts ...natskeys.Option) replica {
	t.Helper()
	store := newStore(t, js, opts...)
	iopts := []oidc.Option{oidc.WithKeyStore(store)}
	if signer != nil {
		iopts = append(iopts, oidc.WithSigner(signer, ""))
	}
	iss, err := oidc.NewIssuer(issuerURL, iopts...)
	if err != nil {
		t.Fatal(err)
	}
	publish(t, iss)
	srv := httptest.NewServer(iss.Handler())
	t.Cleanup(srv.Close)
	return replica{iss: iss, store: store, addr: srv.Listener.Addr().String()}
}

// waitForKeys polls until every replica's JWKS holds n keys.
func waitForKeys(t testing.TB, rs []replica, n int) {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for _, r := range rs {
		for {
			code, kids := r.jwksKeys(t)
			if code == http.StatusOK && len(kids) == n {
				break
			}
			if time.Now().After(deadline) {
				t.Fatalf("replica %s serves %d keys (status %d), want %d", r.addr, len(kids), code, n)
			}
			time.Sleep(20 * time.Millisecond)
		}
	}
}

func TestThreeReplicasVerifyAnywhere(t *testing.T) {
	c := itest.StartNATSCluster(t, 3)
	var rs []replica
	for i, kind := range []string{"P-256", "Ed25519", "RSA-2048"} {
		rs = append(rs, startReplica(t, connect(t, c.URLsFrom(i)), genKey(t, kind), natskeys.WithReplicas(3)))
	}
	waitForKeys(t, rs, 3)
	var verifiers []*oidc.Verifier
	for _, r := range rs {
		verifiers = append(verifiers, r.verifierAt(t))
	}
	// Every replica mints concurrently; every token goes to a verifier
	// bound to each replica's JWKS.
	var wg sync.WaitGroup
	var ok, failed atomic.Int64
	var firstErr atomic.Value
	for mi, r := range rs {
		wg.Go(func() {
			for n := range 20 {
				tok, err := r.iss.Mint(t.Context(), job, "gate")
				if err != nil {
					failed.Add(1)
					firstErr.CompareAndSwap(nil, fmt.Errorf("mint at replica %d: %w", mi, err))
					continue
				}
				for vi, v := range verifiers {
					if _, err := v.Verify(t.Context(), tok.Reveal()); err != nil {
						failed.Add(1)
						firstErr.CompareAndSwap(nil, fmt.Errorf("token %d of replica %d at replica %d's JWKS: %w", n, mi, vi, err))
						continue
					}
					ok.Add(1)
				}
			}
		})
	}
	wg.Wait()
	t.Logf("%d verifications across 3 replicas, %d failed", ok.Load(), failed.Load())
	if failed.Load() != 0 || ok.Load() != 3*20*3 {
		t.Fatalf("%d failed: %v", failed.Load(), firstErr.Load())
	}
}

func TestRestartKeepsOutstandingTokens(t *testing.T) {
	c := itest.StartNATSCluster(t, 3)
	for _, tc := range []struct {
		name   string
		bucket string
		signer crypto.Signer // nil: a fresh in-memory key per process
	}{
		{"same KMS signer", "restart_kms", genKey(t, "P-384")},
		{"fresh in-memory key, old one still published", "restart_mem", nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			opts := []natskeys.Option{natskeys.WithReplicas(3), natskeys.WithBucket(tc.bucket)}
			before := startReplica(t, connect(t, c.URLsFrom(0)), tc.signer, opts...)
			tok, err := before.iss.Mint(t.Context(), job, "gate")
			if err != nil {
				t.Fatal(err)
			}
			_ = before.store.Close() // the process goes away
			after := startReplica(t, connect(t, c.URLsFrom(1)), tc.signer, opts...)
			want := 2
			if tc.signer != nil {
				want = 1 // the same key, the same kid
			}
			waitForKeys(t, []replica{after}, want)
			if _, err := after.verifierAt(t).Verify(t.Context(), tok.Reveal()); err != nil {
				t.Errorf("token minted before the restart: %v", err)
			}
		})
	}
}

// logCounter counts error records and keeps their messages.
type logCounter struct {
	mu   sync.Mutex
	errs []string
}

func (l *logCounter) Enabled(context.Context, slog.Level) bool { return true }
func (l *logCounter) WithAttrs([]slog.Attr) slog.Handler       { return l }
func (l *logCounter) WithGroup(string) slog.Handler            { return l }
func (l *logCounter) Handle(_ context.Context, r slog.Record) error {
	if r.Level >= slog.LevelError {
		var b strings.Builder
		b.WriteString(r.Message)
		r.Attrs(func(a slog.Attr) bool { fmt.Fprintf(&b, " %s=%v", a.Key, a.Value); return true })
		l.mu.Lock()
		l.errs = append(l.errs, b.String())
		l.mu.Unlock()
	}
	return nil
}

func (l *logCounter) count() int { l.mu.Lock(); defer l.mu.Unlock(); return len(l.errs) }

func TestUntrustedRecordsIgnored(t *testing.T) {
	c := itest.StartNATSCluster(t, 1)
	js := connect(t, c.URLs())
	logs := &logCounter{}
	good := startReplica(t, js, genKey(t, "P-256"), natskeys.WithLogger(slog.New(logs)), natskeys.WithRefresh(200*time.Millisecond))
	kv, err := js.KeyValue(t.Context(), natskeys.DefaultBucket)
	if err != nil {
		t.Fatal(err)
	}
	now := time.Now()
	other := genKey(t, "P-256")
	valid := func(kid string, key crypto.PublicKey, alg oidc.Algorithm) []byte {
		b, err := json.Marshal(oidc.PublishedKey{ID: kid, Algorithm: alg, Key: key, NotBefore: now, NotAfter: now.Add(time.Hour)})
		if err != nil {
			t.Fatal(err)
		}
		return b
	}
	priv, _ := json.Marshal(map[string]any{"jwk": json.RawMessage(mustJWK(t, other, "leaked")), "nbf": now, "exp": now.Add(time.Hour)})
	for _, bad := range []struct {
		name  string
		key   string
		value []byte
	}{
		{"not JSON", natskeys.Key("garbage"), []byte("{not json")},
		{"valid record under another kid's key", natskeys.Key("victim"), valid("attacker", other.Public(), oidc.ES256)},
		{"private key", natskeys.Key("leaked"), priv},
		{"repeated member", natskeys.Key("dup"), []byte(`{"jwk":{},"jwk":{},"nbf":"2026-01-01T00:00:00Z","exp":"2026-01-01T01:00:00Z"}`)},
		{"alg that does not fit", natskeys.Key("misfit"), []byte(strings.Replace(string(valid("misfit", other.Public(), oidc.ES256)), `"ES256"`, `"RS256"`, 1))},
		{"too far ahead", natskeys.Key("far"), mustRecord(t, "far", other.Public(), now, now.Add(oidc.MaxKeyHorizon+time.Hour))},
	} {
		if _, err := kv.Put(t.Context(), bad.key, bad.value); err != nil {
			t.Fatalf("%s: put: %v", bad.name, err)
		}
	}
	if _, err := kv.Put(t.Context(), natskeys.Key("huge"), make([]byte, oidc.MaxPublishedKeySize+1)); err == nil {
		t.Error("the bucket accepted a record over the size limit")
	}
	deadline := time.Now().Add(30 * time.Second)
	for logs.count() < 6 {
		if time.Now().After(deadline) {
			t.Fatalf("only %d records refused: %q", logs.count(), logs.errs)
		}
		time.Sleep(20 * time.Millisecond)
	}
	keys, err := good.store.Keys(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	if len(keys) != 1 {
		t.Errorf("the key set widened to %d keys: %+v", len(keys), keys)
	}
	if _, kids := good.jwksKeys(t); len(kids) != 1 {
		t.Errorf("JWKS holds %v", kids)
	}
	for _, l := range logs.errs {
		if strings.Contains(l, `"d"`) {
			t.Errorf("a log line holds private key material: %s", l)
		}
	}
	// The fleet still works: a token of the good replica verifies.
	tok, err := good.iss.Mint(t.Context(), job, "gate")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := good.verifierAt(t).Verify(t.Context(), tok.Reveal()); err != nil {
		t.Error(err)
	}
}

// mustJWK encodes k's private JWK, "d" included, as a leaked key would be.
func mustJWK(t testing.TB, k crypto.Signer, kid string) []byte {
	t.Helper()
	b, err := json.Marshal(jose.JSONWebKey{Key: k, KeyID: kid, Algorithm: "ES256", Use: "sig"})
	if err != nil || !strings.Contains(string(b), `"d":`) {
		t.Fatalf("private JWK: %s, %v", b, err)
	}
	return b
}

func mustRecord(t testing.TB, kid string, pub crypto.PublicKey, nbf, exp time.Time) []byte {
	t.Helper()
	// MarshalJSON checks only the shape, so a record too far ahead encodes.
	b, err := json.Marshal(oidc.PublishedKey{ID: kid, Algorithm: oidc.ES256, Key: pub, NotBefore: nbf, NotAfter: exp})
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// clock is a settable time source.
type clock struct {
	mu  sync.Mutex
	now time.Time
}

func (c *clock) Now() time.Time      { c.mu.Lock(); defer c.mu.Unlock(); return c.now }
func (c *clock) Add(d time.Duration) { c.mu.Lock(); c.now = c.now.Add(d); c.mu.Unlock() }

func TestStaleKeySetFailsClosedAndRecovers(t *testing.T) {
	c := itest.StartNATSCluster(t, 1)
	js := connect(t, c.URLs())
	clk := &clock{now: time.Now()}
	store := newStore(t, js, natskeys.WithClock(clk.Now), natskeys.WithRefresh(100*time.Millisecond),
		natskeys.WithMaxStaleness(time.Minute), natskeys.WithTimeout(500*time.Millisecond))
	iss, err := oidc.NewIssuer(issuerURL, oidc.WithKeyStore(store), oidc.WithClock(clk.Now))
	if err != nil {
		t.Fatal(err)
	}
	publish(t, iss)
	srv := httptest.NewServer(iss.Handler())
	defer srv.Close()
	r := replica{iss: iss, store: store, addr: srv.Listener.Addr().String()}
	tok, err := iss.Mint(t.Context(), job, "gate")
	if err != nil {
		t.Fatal(err)
	}

	c.Nodes[0].Kill(t)
	clk.Add(59 * time.Second) // within the bound: the last good set is served
	if code, kids := r.jwksKeys(t); code != http.StatusOK || len(kids) != 1 {
		t.Errorf("within the staleness bound: status %d, %d keys", code, len(kids))
	}
	clk.Add(2 * time.Second) // past it: no key set at all
	if _, err := store.Keys(t.Context()); !errors.Is(err, natskeys.ErrUnavailable) || !errors.Is(err, oidc.ErrKeyStore) {
		t.Errorf("Keys past the staleness bound = %v, want ErrUnavailable", err)
	}
	if code, _ := r.jwksKeys(t); code != http.StatusServiceUnavailable {
		t.Errorf("JWKS past the staleness bound: status %d, want 503", code)
	}
	// The issuer itself still mints while its publication covers a token.
	if _, err := iss.Mint(t.Context(), job, "gate"); err != nil {
		t.Errorf("Mint within the publication: %v", err)
	}

	c.Nodes[0].Restart(t)
	c.Nodes[0].WaitHealthy(t, 30*time.Second)
	deadline := time.Now().Add(30 * time.Second)
	for {
		if _, err := store.Keys(t.Context()); err == nil {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("the store did not recover after the server came back")
		}
		time.Sleep(50 * time.Millisecond)
	}
	if _, err := r.verifierAt(t).Verify(t.Context(), tok.Reveal()); err != nil {
		t.Errorf("after recovery: %v", err)
	}
}

func TestConflictingKidRefused(t *testing.T) {
	c := itest.StartNATSCluster(t, 1)
	js := connect(t, c.URLs())
	a, b := newStore(t, js), newStore(t, js)
	now := time.Now()
	k1 := oidc.PublishedKey{ID: "shared-kid", Algorithm: oidc.ES256, Key: genKey(t, "P-256").Public(), NotBefore: now, NotAfter: now.Add(time.Hour)}
	k2 := k1
	k2.Key = genKey(t, "P-256").Public()
	if err := a.Publish(t.Context(), k1); err != nil {
		t.Fatal(err)
	}
	if err := b.Publish(t.Context(), k2); !errors.Is(err, oidc.ErrKeyConflict) {
		t.Errorf("publishing another key under a live kid = %v, want ErrKeyConflict", err)
	}
	// The same key from another replica (a shared KMS key) extends it.
	longer := k1
	longer.NotAfter = now.Add(2 * time.Hour)
	if err := b.Publish(t.Context(), longer); err != nil {
		t.Fatal(err)
	}
	shorter := k1
	shorter.NotAfter = now.Add(time.Minute)
	if err := a.Publish(t.Context(), shorter); err != nil {
		t.Fatal(err)
	}
	keys, err := b.Keys(t.Context())
	if err != nil || len(keys) != 1 || !keys[0].NotAfter.Equal(longer.NotAfter.Truncate(0)) {
		t.Errorf("after extend and a shorter publish: %+v, %v", keys, err)
	}
}

// TestCloseLeavesNoGoroutines opens a store (its watch running), closes it
// and checks every goroutine it started has ended. Not parallel.
func TestCloseLeavesNoGoroutines(t *testing.T) {
	c := itest.StartNATSCluster(t, 1)
	js := connect(t, c.URLs())
	warm := newStore(t, js) // the connection's own goroutines start here
	_ = warm.Close()
	before := runtime.NumGoroutine()
	s := newStore(t, js, natskeys.WithRefresh(100*time.Millisecond))
	if _, err := s.Keys(t.Context()); err != nil {
		t.Fatal(err)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Keys(t.Context()); !errors.Is(err, natskeys.ErrUnavailable) {
		t.Errorf("Keys after Close = %v, want ErrUnavailable", err)
	}
	deadline := time.Now().Add(10 * time.Second)
	for runtime.NumGoroutine() > before {
		if time.Now().After(deadline) {
			buf := make([]byte, 1<<16)
			t.Fatalf("%d goroutines after Close, %d before:\n%s", runtime.NumGoroutine(), before, buf[:runtime.Stack(buf, true)])
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// TestScheduledRotationAcrossReplicas runs two rotating replicas on a
// 3-node cluster with a shared fake clock for three hours of minting: each
// token is verified against the other replica's JWKS (after that replica's
// store has caught up through NATS), none may fail, withdrawn keys lapse
// from both JWKS and are swept from the bucket.
func TestScheduledRotationAcrossReplicas(t *testing.T) {
	c := itest.StartNATSCluster(t, 3)
	clk := &clock{now: time.Now()}
	const ttl, every = 10 * time.Minute, 30 * time.Minute
	var rs []replica
	for i := range 2 {
		store := newStore(t, connect(t, c.URLsFrom(i)), natskeys.WithReplicas(3), natskeys.WithBucket("rotation"),
			natskeys.WithClock(clk.Now), natskeys.WithRefresh(100*time.Millisecond), natskeys.WithMaxStaleness(24*time.Hour))
		iss, err := oidc.NewIssuer(issuerURL, oidc.WithKeyStore(store), oidc.WithClock(clk.Now), oidc.WithTTL(ttl), oidc.WithRotation(every))
		if err != nil {
			t.Fatal(err)
		}
		publish(t, iss)
		rs = append(rs, replica{iss: iss, store: store})
	}
	type minted struct {
		raw string
		exp time.Time
		by  int
	}
	var live []minted
	kids := map[string]bool{}
	verified := 0
	for step := range 3 * 60 {
		for i, r := range rs {
			tok, err := r.iss.Mint(t.Context(), job, "gate")
			if err != nil {
				t.Fatalf("step %d: replica %d: %v", step, i, err)
			}
			live = append(live, minted{raw: tok.Reveal(), exp: tok.Expiry(), by: i})
		}
		// Both replicas serve the same set once NATS has delivered.
		var sets [2]*oidc.KeySet
		var agreed []string // the kids both replicas served when they agreed
		deadline := time.Now().Add(30 * time.Second)
		for {
			a, b := jwksKids(t, rs[0].iss), jwksKids(t, rs[1].iss)
			if strings.Join(a, ",") == strings.Join(b, ",") {
				for _, k := range a {
					kids[k] = true
				}
				agreed = a
				break
			}
			if time.Now().After(deadline) {
				t.Fatalf("step %d: replicas disagree: %v vs %v", step, a, b)
			}
			time.Sleep(5 * time.Millisecond)
		}
		for i, r := range rs {
			ks, err := oidc.ParseKeySet(r.iss.JWKS())
			if err != nil {
				t.Fatal(err)
			}
			sets[i] = ks
		}
		now := clk.Now()
		keep := live[:0]
		for _, m := range live {
			if !now.Before(m.exp) {
				continue
			}
			keep = append(keep, m)
			v, err := oidc.NewVerifier(issuerURL, "gate", oidc.WithKeySet(sets[1-m.by]), oidc.WithClock(clk.Now))
			if err != nil {
				t.Fatal(err)
			}
			if _, err := v.Verify(t.Context(), m.raw); err != nil {
				t.Fatalf("step %d: token of replica %d at the other replica: %v (both served %v; now replica 0 serves %v, replica 1 %v)",
					step, m.by, err, agreed, jwksKids(t, rs[0].iss), jwksKids(t, rs[1].iss))
			}
			verified++
		}
		live = keep
		clk.Add(time.Minute)
	}
	final := jwksKids(t, rs[0].iss)
	t.Logf("%d keys over three hours, %d verifications, 0 failed; %d keys served at the end", len(kids), verified, len(final))
	if len(kids) < 2*(3*60/30) {
		t.Errorf("only %d keys in three hours with a %v rotation", len(kids), every)
	}
	if len(final) > 2*4 {
		t.Errorf("%d keys still served: withdrawn keys did not lapse", len(final))
	}
	// Expired records are swept from the bucket by the replicas' reads.
	kv, err := connect(t, c.URLs()).KeyValue(t.Context(), "rotation")
	if err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(30 * time.Second)
	for {
		stored, err := kv.Keys(t.Context())
		if err == nil && len(stored) <= len(final) {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("the bucket still holds %d records (%v), %d live", len(stored), err, len(final))
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func jwksKids(t testing.TB, iss *oidc.Issuer) []string {
	t.Helper()
	var set struct {
		Keys []struct {
			Kid string `json:"kid"`
		} `json:"keys"`
	}
	if err := json.Unmarshal(iss.JWKS(), &set); err != nil {
		t.Fatal(err)
	}
	var kids []string
	for _, k := range set.Keys {
		kids = append(kids, k.Kid)
	}
	slices.Sort(kids)
	return kids
}

// TestSharedKMSKeyAcrossReplicas: three replicas sign with one KMS key and
// publish it at the same time (compare-and-set races on one record); the
// fleet serves one key, and every replica's token verifies everywhere.
func TestSharedKMSKeyAcrossReplicas(t *testing.T) {
	c := itest.StartNATSCluster(t, 3)
	kms := genKey(t, "P-256")
	rs := make([]replica, 3)
	var wg sync.WaitGroup
	for i := range rs {
		js := connect(t, c.URLsFrom(i))
		store := newStore(t, js, natskeys.WithReplicas(3), natskeys.WithBucket("shared_kms"))
		iss, err := oidc.NewIssuer(issuerURL, oidc.WithSigner(kms, "kms-key-1"), oidc.WithKeyStore(store))
		if err != nil {
			t.Fatal(err)
		}
		srv := httptest.NewServer(iss.Handler())
		t.Cleanup(srv.Close)
		rs[i] = replica{iss: iss, store: store, addr: srv.Listener.Addr().String()}
	}
	for _, r := range rs {
		wg.Go(func() { publish(t, r.iss) })
	}
	wg.Wait()
	waitForKeys(t, rs, 1)
	for i, r := range rs {
		tok, err := r.iss.Mint(t.Context(), job, "gate")
		if err != nil {
			t.Fatal(err)
		}
		for j, other := range rs {
			if _, err := other.verifierAt(t).Verify(t.Context(), tok.Reveal()); err != nil {
				t.Errorf("token of replica %d at replica %d: %v", i, j, err)
			}
		}
	}
}

// TestRevokedKidNeverServedAgain: a kid revoked through one store leaves
// every store's key set (another's through the watch, a new one's through
// its first read) and no store publishes it again: not a renewal of the
// revoked record, not a kid revoked before it was ever published.
// Revoking again is not an error; an invalid kid is refused.
func TestRevokedKidNeverServedAgain(t *testing.T) {
	c := itest.StartNATSCluster(t, 1)
	a, b := newStore(t, connect(t, c.URLs())), newStore(t, connect(t, c.URLs()))
	now := time.Now()
	k := oidc.PublishedKey{ID: "stolen", Algorithm: oidc.ES256, Key: genKey(t, "P-256").Public(), NotBefore: now, NotAfter: now.Add(time.Hour)}
	if err := a.Publish(t.Context(), k); err != nil {
		t.Fatal(err)
	}
	served := func(s *natskeys.Store, kid string) bool {
		keys, err := s.Keys(t.Context())
		if err != nil {
			t.Fatal(err)
		}
		return slices.ContainsFunc(keys, func(k oidc.PublishedKey) bool { return k.ID == kid })
	}
	deadline := time.Now().Add(5 * time.Second)
	for !served(b, "stolen") {
		if time.Now().After(deadline) {
			t.Fatal("b never saw the published key")
		}
		time.Sleep(20 * time.Millisecond)
	}

	if err := a.Revoke(t.Context(), "stolen"); err != nil {
		t.Fatal(err)
	}
	if served(a, "stolen") {
		t.Fatal("the revoking store still serves the key")
	}
	for served(b, "stolen") {
		if time.Now().After(deadline.Add(5 * time.Second)) {
			t.Fatal("another store still serves the revoked key")
		}
		time.Sleep(20 * time.Millisecond)
	}
	late := k
	late.NotAfter = now.Add(2 * time.Hour)
	for name, s := range map[string]*natskeys.Store{"revoking": a, "other": b, "new": newStore(t, connect(t, c.URLs()))} {
		if served(s, "stolen") {
			t.Errorf("%s store serves the revoked key", name)
		}
		if err := s.Publish(t.Context(), late); !errors.Is(err, oidc.ErrKeyRevoked) {
			t.Errorf("%s store: publishing the revoked kid = %v, want ErrKeyRevoked", name, err)
		}
	}

	if err := b.Revoke(t.Context(), "stolen"); err != nil {
		t.Fatalf("revoking again = %v", err)
	}
	if err := b.Revoke(t.Context(), "never-published"); err != nil {
		t.Fatal(err)
	}
	early := k
	early.ID = "never-published"
	if err := a.Publish(t.Context(), early); !errors.Is(err, oidc.ErrKeyRevoked) {
		t.Errorf("publishing a kid revoked before its first publish = %v, want ErrKeyRevoked", err)
	}
	if err := a.Revoke(t.Context(), ""); !errors.Is(err, oidc.ErrKeyRecord) {
		t.Errorf("revoking an empty kid = %v, want ErrKeyRecord", err)
	}
}
