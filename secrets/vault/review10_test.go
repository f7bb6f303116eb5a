package vault_test

import (
	"encoding/json"
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/ztci/ztci/identity/oidc"
	"github.com/ztci/ztci/secrets"
	"github.com/ztci/ztci/secrets/vault"
)

// zeroTTL stands in front of the fake Vault and answers a TTL of 0: as
// lease_duration for reads under /v1/zero/, as wrap_info.ttl for KV reads
// under the mount "zerowrap" (served from the fake's "secret" mount).
type zeroTTL struct{ next http.Handler }

func (z zeroTTL) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	zeroLease := strings.HasPrefix(r.URL.Path, "/v1/zero/")
	zeroWrap := strings.HasPrefix(r.URL.Path, "/v1/zerowrap/")
	if !zeroLease && !zeroWrap {
		z.next.ServeHTTP(w, r)
		return
	}
	if zeroWrap {
		r.URL.Path = "/v1/secret/" + strings.TrimPrefix(r.URL.Path, "/v1/zerowrap/")
	}
	rec := httptest.NewRecorder()
	z.next.ServeHTTP(rec, r)
	var body map[string]any
	if err := json.Unmarshal(rec.Body.Bytes(), &body); err != nil || rec.Code != http.StatusOK {
		w.WriteHeader(http.StatusInternalServerError)
		return
	}
	if zeroLease {
		body["lease_duration"] = 0
	}
	if wi, ok := body["wrap_info"].(map[string]any); ok {
		wi["ttl"] = 0
	}
	reply(w, body)
}

func (f *fakeVault) liveWraps() int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return len(f.wraps)
}

// TestReview10ZeroTTLRefused: a Vault lease answered with lease_duration 0
// (or a wrapping token with ttl 0) became a Grant with TTL 0, which the
// broker reads as "the backend sets no expiry": a lease that never expired
// in the broker and was renewable as such. It is revoked and refused.
func TestReview10ZeroTTLRefused(t *testing.T) {
	t.Parallel()
	masker := secrets.NewRedactor()
	iss, err := oidc.NewIssuer("https://ci.example.com", oidc.WithMasker(masker))
	if err != nil {
		t.Fatal(err)
	}
	fake := newFakeVault(t, iss)
	srv := httptest.NewServer(zeroTTL{fake})
	t.Cleanup(srv.Close)
	c := client(t, srv.URL)
	be, err := vault.New(c, vault.JWTAuth{Role: "ci"}, map[string]vault.Source{
		"db":      vault.Dynamic("zero/creds/ci", "password"),
		"wrapped": vault.KV("zerowrap", "ci/deploy", "token").Wrapped(time.Minute),
	})
	if err != nil {
		t.Fatal(err)
	}
	b, err := secrets.New(secrets.AllowNames("db", "wrapped"), be, secrets.WithMasker(masker))
	if err != nil {
		t.Fatal(err)
	}
	f := &fixture{fake: fake, iss: iss, masker: masker, client: c, broker: b}
	j := f.job(t, "r10-zero", good, audience)
	for _, name := range []string{"db", "wrapped"} {
		l, err := j.Lease(t.Context(), name)
		if err == nil {
			t.Errorf("%s: a lease with a TTL of 0 was granted (expires %v)", name, l.ExpiresAt())
			continue
		}
		var de *vault.DurationError
		if !errors.Is(err, vault.ErrLeaseDuration) || !errors.As(err, &de) || de.Seconds != 0 {
			t.Errorf("%s: got %v, want a *DurationError of 0 seconds", name, err)
		}
	}
	if n := fake.liveLeases(); n != 0 {
		t.Errorf("%d refused Vault leases left live", n)
	}
	if n := fake.liveWraps(); n != 0 {
		t.Errorf("%d refused wrapping tokens left live", n)
	}
}

// TestReview10WrappedDynamicRefused: a Dynamic source made Wrapped handed
// the job a wrapping token whose answer holds a Vault lease the broker
// never sees: the broker's lease was the wrapping token's accessor, so
// once the job unwrapped it, revoking at the job's end revoked nothing and
// the database credential lived on until its Vault TTL. New refuses it.
func TestReview10WrappedDynamicRefused(t *testing.T) {
	t.Parallel()
	srv := httptest.NewServer(http.NotFoundHandler())
	t.Cleanup(srv.Close)
	_, err := vault.New(client(t, srv.URL), vault.JWTAuth{Role: "ci"}, map[string]vault.Source{
		"db": vault.Dynamic("database/creds/ci", "password").Wrapped(time.Minute),
	})
	if !errors.Is(err, vault.ErrConfig) {
		t.Fatalf("New with a wrapped Dynamic source: %v, want ErrConfig", err)
	}
	if _, err := vault.New(client(t, srv.URL), vault.JWTAuth{Role: "ci"}, map[string]vault.Source{
		"deploy": vault.KV("secret", "ci/deploy", "token").Wrapped(time.Minute),
	}); err != nil {
		t.Fatalf("a wrapped KV source is refused: %v", err)
	}
}
