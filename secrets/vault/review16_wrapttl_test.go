package vault_test

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"
	"time"

	"github.com/ztci/ztci/identity"
	"github.com/ztci/ztci/identity/oidc"
	"github.com/ztci/ztci/secrets"
	"github.com/ztci/ztci/secrets/vault"
)

// wrapTTLVault records the X-Vault-Wrap-TTL of every read in front of the
// fake Vault (which grants the wrapping TTL asked for).
type wrapTTLVault struct {
	next http.Handler
	mu   sync.Mutex
	asks []string
}

func (v *wrapTTLVault) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if ttl := r.Header.Get("X-Vault-Wrap-TTL"); ttl != "" {
		v.mu.Lock()
		v.asks = append(v.asks, ttl)
		v.mu.Unlock()
	}
	v.next.ServeHTTP(w, r)
}

// TestReview16WrapTTLBoundedByLease: a wrapped source asked Vault for its
// configured wrapping TTL whatever the broker asked for the lease, so a
// broker bounded by WithTTL(30s), or a job with 20 s left, handed out a
// wrapping token good for an hour: if the revocation at the job's end
// failed (Vault unreachable from the runner), whoever had intercepted the
// token could unwrap the secret long after the job. The wrapping TTL is at
// most the lease's, in whole seconds; under a second is refused without
// asking Vault.
func TestReview16WrapTTLBoundedByLease(t *testing.T) {
	t.Parallel()
	masker := secrets.NewRedactor()
	iss, err := oidc.NewIssuer("https://ci.example.com", oidc.WithMasker(masker))
	if err != nil {
		t.Fatal(err)
	}
	fake := newFakeVault(t, iss)
	wv := &wrapTTLVault{next: fake}
	srv := httptest.NewServer(wv)
	t.Cleanup(srv.Close)
	c := client(t, srv.URL)
	be, err := vault.New(c, vault.JWTAuth{Role: "ci"}, map[string]vault.Source{
		"wrapped": vault.KV("secret", "ci/deploy", "token").Wrapped(time.Hour),
	})
	if err != nil {
		t.Fatal(err)
	}
	b, err := secrets.New(secrets.AllowNames("wrapped"), be, secrets.WithMasker(masker), secrets.WithTTL(30*time.Second))
	if err != nil {
		t.Fatal(err)
	}
	f := &fixture{fake: fake, iss: iss, masker: masker, client: c, broker: b}
	last := func() string {
		wv.mu.Lock()
		defer wv.mu.Unlock()
		if len(wv.asks) == 0 {
			return ""
		}
		return wv.asks[len(wv.asks)-1]
	}

	j := f.job(t, "r16-wrap-ttl", good, audience)
	l, err := j.Lease(t.Context(), "wrapped")
	if err != nil {
		t.Fatal(err)
	}
	if got := last(); got != "30s" {
		t.Errorf("wrapping TTL asked of Vault = %q, want the lease's 30s", got)
	}
	if left := time.Until(l.ExpiresAt()); left > 30*time.Second {
		t.Errorf("wrapped lease expires in %v, more than the 30s asked", left)
	}

	// A job with 20 s left gets a wrapping token for at most 20 s.
	tok, err := iss.Mint(t.Context(), oidc.Job{Claims: good}, audience)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(t.Context(), 20*time.Second)
	defer cancel()
	who := identity.Identity{Issuer: iss.URL(), Subject: "repo:" + good.Repository, Claims: good}
	j2, err := b.Begin(ctx, secrets.JobSpec{ID: "r16-wrap-deadline", Identity: who, Token: secrets.NewValue(tok.Reveal())})
	if err != nil {
		t.Fatal(err)
	}
	defer j2.End(context.Background())
	if _, err := j2.Lease(ctx, "wrapped"); err != nil {
		t.Fatal(err)
	}
	if got := last(); got != "19s" && got != "20s" {
		t.Errorf("wrapping TTL asked of Vault = %q with 20s left to the job", got)
	}

	// Under a second left: refused without asking Vault for a wrapping.
	n := len(wv.asks)
	ctx3, cancel3 := context.WithTimeout(t.Context(), 1500*time.Millisecond)
	defer cancel3()
	j3, err := b.Begin(ctx3, secrets.JobSpec{ID: "r16-wrap-short", Identity: who, Token: secrets.NewValue(tok.Reveal())})
	if err != nil {
		t.Fatal(err)
	}
	defer j3.End(context.Background())
	time.Sleep(600 * time.Millisecond)
	if _, err := j3.Lease(context.WithoutCancel(ctx3), "wrapped"); !errors.Is(err, vault.ErrLeaseDuration) {
		t.Fatalf("lease with under a second left: %v, want ErrLeaseDuration", err)
	}
	wv.mu.Lock()
	defer wv.mu.Unlock()
	if len(wv.asks) != n {
		t.Errorf("Vault was asked for a wrapping of %q", wv.asks[n:])
	}
}
