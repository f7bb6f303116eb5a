package vault_test

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/ztci/ztci/identity/oidc"
	"github.com/ztci/ztci/secrets"
	"github.com/ztci/ztci/secrets/vault"
)

// liveJobTokens counts the login tokens Vault still honours.
func (f *fakeVault) liveJobTokens() int {
	f.mu.Lock()
	defer f.mu.Unlock()
	n := 0
	for tok := range f.tokens {
		if strings.HasPrefix(tok, "hvs.job-token-") {
			n++
		}
	}
	return n
}

// byNamespace is a Vault with namespaces: each request goes to the fake
// of its X-Vault-Namespace header ("" is the root namespace).
type byNamespace map[string]*fakeVault

func (v byNamespace) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	f, ok := v[strings.Trim(r.Header.Get("X-Vault-Namespace"), "/")]
	if !ok {
		vaultErr(w, http.StatusNotFound, "no such namespace")
		return
	}
	f.ServeHTTP(w, r)
}

// The job logs in and reads in the broker's client's namespace: a clone
// of the client without its headers sent the login and the read to the
// root namespace (another tenant's JWT role and mounts), and the broker
// then renewed and revoked the lease in its own namespace, where the id
// is unknown and revoking it "succeeds": the credential outlived the job.
func TestReview23JobLoginKeepsNamespace(t *testing.T) {
	t.Parallel()
	iss, err := oidc.NewIssuer("https://ci.example.com")
	if err != nil {
		t.Fatal(err)
	}
	tenant, root := newFakeVault(t, iss), newFakeVault(t, iss)
	srv := httptest.NewServer(byNamespace{"team-a": tenant, "": root})
	t.Cleanup(srv.Close)
	c := client(t, srv.URL)
	c.SetNamespace("team-a")
	be, err := vault.New(c, vault.JWTAuth{Role: "ci"}, map[string]vault.Source{"db": vault.Dynamic("database/creds/ci", "password")})
	if err != nil {
		t.Fatal(err)
	}
	b, err := secrets.New(secrets.AllowNames("db"), be)
	if err != nil {
		t.Fatal(err)
	}
	f := &fixture{iss: iss, broker: b}
	j := f.job(t, "ns", good, audience)
	_, lerr := j.Lease(t.Context(), "db")
	eerr := j.End(t.Context())
	if n := root.liveLeases(); n != 0 {
		t.Fatalf("%d lease(s) created in the root namespace outlive the job (Lease: %v, End: %v)", n, lerr, eerr)
	}
	if lerr != nil || eerr != nil {
		t.Fatalf("Lease: %v, End: %v", lerr, eerr)
	}
	root.mu.Lock()
	defer root.mu.Unlock()
	if root.n != 0 {
		t.Fatalf("the root namespace saw %d login(s) or read(s)", root.n)
	}
}

// A login token that no Vault lease hangs on (a KV read, wrapped or not,
// or a failed read) is revoked at once, not left with the job's policies
// until its token_ttl; one that a dynamic secret's lease hangs on is kept
// (Vault would revoke the lease with it).
func TestReview23LoginTokenRevokedWhenUnneeded(t *testing.T) {
	t.Parallel()
	f := setup(t)
	j := f.job(t, "login", good, audience)
	for _, name := range []string{"deploy", "wrapped", "missing"} {
		_, _ = j.Lease(t.Context(), name)
		if n := f.fake.liveJobTokens(); n != 0 {
			t.Fatalf("after Lease(%q): %d login token(s) left live", name, n)
		}
	}
	l, err := j.Lease(t.Context(), "wrapped")
	if err != nil {
		t.Fatal(err)
	}
	// The wrapping token is not the login token's child: it still unwraps.
	v, err := l.Value()
	if err != nil {
		t.Fatal(err)
	}
	if got, err := vault.Unwrap(t.Context(), f.client, v, "token"); err != nil || got.Reveal() != kvValue {
		t.Fatalf("Unwrap after the login token's revocation: %v", err)
	}
	if _, err := j.Lease(t.Context(), "db"); err != nil {
		t.Fatal(err)
	}
	if n := f.fake.liveJobTokens(); n != 1 {
		t.Fatalf("%d live login tokens; want the dynamic lease's one", n)
	}
}

// hangAfterCreate is a Vault whose dynamic secret is created but whose
// answer never arrives (the caller's context ends first); a revoked token
// takes the leases it created with it, as in Vault.
type hangAfterCreate struct {
	*fakeVault
	mu      sync.Mutex
	byToken map[string][]string // login token -> lease ids it created
}

func (h *hangAfterCreate) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	tok := r.Header.Get("X-Vault-Token")
	switch {
	case strings.HasSuffix(r.URL.Path, "/creds/ci"):
		rec := httptest.NewRecorder()
		h.fakeVault.ServeHTTP(rec, r)
		var s struct {
			LeaseID string `json:"lease_id"`
		}
		_ = json.Unmarshal(rec.Body.Bytes(), &s)
		h.mu.Lock()
		h.byToken[tok] = append(h.byToken[tok], s.LeaseID)
		h.mu.Unlock()
		<-r.Context().Done()
		return
	case r.URL.Path == "/v1/auth/token/revoke-self":
		h.mu.Lock()
		ids := h.byToken[tok]
		delete(h.byToken, tok)
		h.mu.Unlock()
		h.fakeVault.mu.Lock()
		for _, id := range ids {
			delete(h.fakeVault.leases, id)
		}
		h.fakeVault.mu.Unlock()
	}
	h.fakeVault.ServeHTTP(w, r)
}

// A read whose answer the job's context cut off may still have created a
// dynamic secret whose lease id nobody learnt: revoking the login token
// revokes it with the token, rather than leave it for its TTL.
func TestReview23CutOffReadLeavesNoLease(t *testing.T) {
	t.Parallel()
	iss, err := oidc.NewIssuer("https://ci.example.com")
	if err != nil {
		t.Fatal(err)
	}
	h := &hangAfterCreate{fakeVault: newFakeVault(t, iss), byToken: map[string][]string{}}
	srv := httptest.NewServer(h)
	t.Cleanup(srv.Close)
	be, err := vault.New(client(t, srv.URL), vault.JWTAuth{Role: "ci"}, map[string]vault.Source{"db": vault.Dynamic("database/creds/ci", "password")})
	if err != nil {
		t.Fatal(err)
	}
	b, err := secrets.New(secrets.AllowNames("db"), be)
	if err != nil {
		t.Fatal(err)
	}
	j := (&fixture{iss: iss, broker: b}).job(t, "cut", good, audience)
	ctx, cancel := context.WithTimeout(t.Context(), 300*time.Millisecond)
	defer cancel()
	if _, err := j.Lease(ctx, "db"); err == nil {
		t.Fatal("Lease succeeded without an answer")
	}
	if err := j.End(t.Context()); err != nil {
		t.Fatal(err)
	}
	if n := h.liveLeases(); n != 0 {
		t.Fatalf("%d dynamic secret(s) created by a cut-off read outlive the job", n)
	}
}
