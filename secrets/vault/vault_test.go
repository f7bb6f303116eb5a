// These tests run against a Vault-API test server written in this file:
// the one documented exception to ztci's "real components, not mocks" rule.
// No Vault or OpenBao server can be installed on the build machines (Debian
// ships neither, the module proxy refuses OpenBao's server module, and Vault
// v1.21.4 does not compile from its published module). The server speaks
// the documented HTTP API for exactly what the backend uses — JWT auth login
// (the token verified by identity/oidc with a bound audience and bound
// claims, as Vault's JWT auth does), KV v2 reads, dynamic-secret leases with
// renew and revoke, response wrapping with single-use unwrap, and accessor
// revocation — so the official client's real requests are checked. The
// PostgreSQL backend (secrets/postgres) is the real-server backend.
package vault_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/hashicorp/vault/api"

	"github.com/ztci/ztci/identity"
	"github.com/ztci/ztci/identity/oidc"
	"github.com/ztci/ztci/secrets"
	"github.com/ztci/ztci/secrets/secretstest"
	"github.com/ztci/ztci/secrets/vault"
)

const (
	rootToken = "root-token-of-the-broker"
	audience  = "https://vault.example.com"
	kvValue   = "kv-deploy-token-value-1234567890"
)

type fakeVault struct {
	verifier *oidc.Verifier
	hang     bool

	mu        sync.Mutex
	n         int
	tokens    map[string]bool
	leases    map[string]bool
	wraps     map[string][]byte // wrapping token -> wrapped response
	accessors map[string]string // accessor -> wrapping token
}

func newFakeVault(t *testing.T, iss *oidc.Issuer) *fakeVault {
	t.Helper()
	v, err := oidc.NewVerifier(iss.URL(), audience, oidc.WithKeySet(iss.KeySet()),
		oidc.WithBoundClaims(map[string][]string{"repository": {"octo/app"}}))
	if err != nil {
		t.Fatal(err)
	}
	return &fakeVault{verifier: v, tokens: map[string]bool{rootToken: true}, leases: map[string]bool{},
		wraps: map[string][]byte{}, accessors: map[string]string{}}
}

func vaultErr(w http.ResponseWriter, code int, msg string) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(code)
	json.NewEncoder(w).Encode(map[string]any{"errors": []string{msg}})
}

func (f *fakeVault) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	var body map[string]any
	if r.Body != nil {
		raw, _ := io.ReadAll(io.LimitReader(r.Body, 1<<20))
		_ = json.Unmarshal(raw, &body)
	}
	if f.hang {
		// The body is read, so the server notices the client hanging up.
		select {
		case <-r.Context().Done():
		case <-time.After(time.Minute):
		}
		return
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	path := r.URL.Path
	switch path {
	case "/v1/auth/jwt/login":
		if body["role"] != "ci" {
			vaultErr(w, http.StatusBadRequest, "role not found")
			return
		}
		jwt, _ := body["jwt"].(string)
		if _, err := f.verifier.Verify(r.Context(), jwt); err != nil {
			vaultErr(w, http.StatusBadRequest, "error validating token")
			return
		}
		f.n++
		tok := fmt.Sprintf("hvs.job-token-%d", f.n)
		f.tokens[tok] = true
		reply(w, map[string]any{"auth": map[string]any{"client_token": tok, "lease_duration": 300, "renewable": false}})
		return
	case "/v1/sys/wrapping/unwrap":
		tok, _ := body["token"].(string)
		if tok == "" {
			tok = r.Header.Get("X-Vault-Token")
		}
		resp, ok := f.wraps[tok]
		if !ok {
			vaultErr(w, http.StatusBadRequest, "wrapping token is not valid or does not exist")
			return
		}
		delete(f.wraps, tok)
		w.Header().Set("Content-Type", "application/json")
		w.Write(resp)
		return
	}
	if !f.tokens[r.Header.Get("X-Vault-Token")] {
		vaultErr(w, http.StatusForbidden, "permission denied")
		return
	}
	var resp map[string]any
	switch {
	case path == "/v1/secret/data/ci/deploy" && r.Method == http.MethodGet:
		resp = map[string]any{"data": map[string]any{"data": map[string]any{"token": kvValue}, "metadata": map[string]any{"version": 3}}}
	case strings.HasSuffix(path, "/creds/ci") && r.Method == http.MethodGet:
		// Vault derives a lease id from the mount path: a mount named
		// "ztci_db" or "wrap-accessor:db" yields ids that begin so.
		f.n++
		id := fmt.Sprintf("%s/lease%d", strings.TrimPrefix(path, "/v1/"), f.n)
		f.leases[id] = true
		ttl := 3600
		if strings.HasPrefix(path, "/v1/huge/") {
			ttl = math.MaxInt64 / 1000 // seconds: overflows time.Duration
		}
		resp = map[string]any{"lease_id": id, "lease_duration": ttl, "renewable": true,
			"data": map[string]any{"username": fmt.Sprintf("v-ci-%d", f.n), "password": fmt.Sprintf("dyn-password-%d-abcdefgh", f.n)}}
	case path == "/v1/sys/leases/renew":
		id, _ := body["lease_id"].(string)
		if !f.leases[id] {
			vaultErr(w, http.StatusBadRequest, "lease not found")
			return
		}
		inc, _ := body["increment"].(float64)
		reply(w, map[string]any{"lease_id": id, "lease_duration": int(inc), "renewable": true})
		return
	case path == "/v1/auth/token/revoke-self":
		delete(f.tokens, r.Header.Get("X-Vault-Token"))
		w.WriteHeader(http.StatusNoContent)
		return
	case path == "/v1/sys/leases/revoke":
		id, _ := body["lease_id"].(string)
		delete(f.leases, id)
		w.WriteHeader(http.StatusNoContent)
		return
	case path == "/v1/auth/token/revoke-accessor":
		acc, _ := body["accessor"].(string)
		tok, ok := f.accessors[acc]
		if !ok {
			vaultErr(w, http.StatusBadRequest, "invalid accessor")
			return
		}
		delete(f.accessors, acc)
		delete(f.wraps, tok)
		w.WriteHeader(http.StatusNoContent)
		return
	default:
		vaultErr(w, http.StatusNotFound, "")
		return
	}
	if ttl := r.Header.Get("X-Vault-Wrap-TTL"); ttl != "" {
		d, err := time.ParseDuration(ttl)
		if err != nil {
			vaultErr(w, http.StatusBadRequest, "bad wrap ttl")
			return
		}
		raw, _ := json.Marshal(resp)
		f.n++
		tok, acc := fmt.Sprintf("hvs.wrapping-%d", f.n), fmt.Sprintf("accessor-%d", f.n)
		f.wraps[tok], f.accessors[acc] = raw, tok
		resp = map[string]any{"wrap_info": map[string]any{"token": tok, "accessor": acc, "ttl": int(d.Seconds()),
			"creation_time": time.Now().Format(time.RFC3339), "creation_path": strings.TrimPrefix(path, "/v1/")}}
	}
	reply(w, resp)
}

func reply(w http.ResponseWriter, v any) {
	w.Header().Set("Content-Type", "application/json")
	json.NewEncoder(w).Encode(v)
}

func (f *fakeVault) liveLeases() int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return len(f.leases)
}

type fixture struct {
	fake   *fakeVault
	iss    *oidc.Issuer
	masker *secrets.Redactor
	client *api.Client
	broker *secrets.Broker
}

func client(t *testing.T, addr string) *api.Client {
	t.Helper()
	cfg := api.DefaultConfig()
	cfg.Address = addr
	cfg.MaxRetries = 0
	c, err := api.NewClient(cfg)
	if err != nil {
		t.Fatal(err)
	}
	c.SetToken(rootToken)
	return c
}

func setup(t *testing.T) *fixture {
	t.Helper()
	masker := secrets.NewRedactor()
	// The job token comes from identity's issuer, which registers every
	// minted token with the redactor.
	iss, err := oidc.NewIssuer("https://ci.example.com", oidc.WithMasker(masker))
	if err != nil {
		t.Fatal(err)
	}
	fake := newFakeVault(t, iss)
	srv := httptest.NewServer(fake)
	t.Cleanup(srv.Close)
	c := client(t, srv.URL)
	be, err := vault.New(c, vault.JWTAuth{Role: "ci"}, map[string]vault.Source{
		"deploy":  vault.KV("secret", "ci/deploy", "token"),
		"db":      vault.Dynamic("database/creds/ci", "password"),
		"wrapped": vault.KV("secret", "ci/deploy", "token").Wrapped(time.Minute),
		"missing": vault.KV("secret", "ci/nothing", "token"),
	})
	if err != nil {
		t.Fatal(err)
	}
	b, err := secrets.New(secrets.AllowNames("deploy", "db", "wrapped", "missing"), be, secrets.WithMasker(masker))
	if err != nil {
		t.Fatal(err)
	}
	return &fixture{fake: fake, iss: iss, masker: masker, client: c, broker: b}
}

func (f *fixture) job(t *testing.T, id string, claims identity.Claims, aud string) *secrets.Job {
	t.Helper()
	tok, err := f.iss.Mint(t.Context(), oidc.Job{Claims: claims}, aud)
	if err != nil {
		t.Fatal(err)
	}
	who := identity.Identity{Issuer: f.iss.URL(), Subject: "repo:" + claims.Repository, Claims: claims}
	j, err := f.broker.Begin(t.Context(), secrets.JobSpec{ID: id, Identity: who, Token: secrets.NewValue(tok.Reveal())})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { j.End(context.Background()) })
	return j
}

var good = identity.Claims{Repository: "octo/app", Ref: "refs/heads/main"}

func TestKV(t *testing.T) {
	t.Parallel()
	f := setup(t)
	j := f.job(t, "kv", good, audience)
	l, err := j.Lease(t.Context(), "deploy")
	if err != nil {
		t.Fatal(err)
	}
	v, err := l.Value()
	if err != nil || v.Reveal() != kvValue {
		t.Fatalf("Value = %v, %v", v, err)
	}
	if _, err := j.Lease(t.Context(), "missing"); !errors.Is(err, secrets.ErrNotFound) {
		t.Fatalf("missing KV secret: got %v", err)
	}
	var out strings.Builder
	w := f.masker.NewWriter(&out)
	fmt.Fprintf(w, "value %s\n", kvValue)
	w.Close()
	if strings.Contains(out.String(), kvValue) {
		t.Fatal("leased KV value not masked")
	}
}

func TestLoginRefused(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name   string
		claims identity.Claims
		aud    string
		want   error
	}{
		{name: "wrong audience", claims: good, aud: "https://other.example.com", want: vault.ErrLoginDenied},
		{name: "claim outside bound claims", claims: identity.Claims{Repository: "evil/fork", Ref: "refs/heads/main"}, aud: audience, want: vault.ErrLoginDenied},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			f := setup(t)
			j := f.job(t, "refused", tt.claims, tt.aud)
			_, err := j.Lease(t.Context(), "deploy")
			if !errors.Is(err, tt.want) || !errors.Is(err, secrets.ErrDenied) {
				t.Fatalf("got %v, want %v", err, tt.want)
			}
		})
	}
	t.Run("no token", func(t *testing.T) {
		t.Parallel()
		f := setup(t)
		j, _ := f.broker.Begin(t.Context(), secrets.JobSpec{ID: "no-token", Identity: identity.Identity{Subject: "x"}})
		defer j.End(t.Context())
		if _, err := j.Lease(t.Context(), "deploy"); !errors.Is(err, vault.ErrNoToken) {
			t.Fatalf("got %v, want ErrNoToken", err)
		}
	})
}

func TestDynamicLease(t *testing.T) {
	t.Parallel()
	f := setup(t)
	j := f.job(t, "dyn", good, audience)
	l, err := j.Lease(t.Context(), "db")
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(l.ID(), "database/creds/ci/") || !l.Renewable() || f.fake.liveLeases() != 1 {
		t.Fatalf("lease %v renewable=%v live=%d", l, l.Renewable(), f.fake.liveLeases())
	}
	// The broker asks for at most its own TTL (15 minutes by default),
	// whatever the job asks: Vault's lease now ends then.
	exp, err := l.Renew(t.Context(), 2*time.Hour)
	if d := time.Until(exp); err != nil || d <= 14*time.Minute || d > 15*time.Minute {
		t.Fatalf("Renew = %v, %v; want the broker's TTL of 15m from now", exp, err)
	}
	if err := j.End(t.Context()); err != nil {
		t.Fatal(err)
	}
	if f.fake.liveLeases() != 0 {
		t.Fatal("Vault lease not revoked when the job ended")
	}
	if _, err := l.Value(); !errors.Is(err, secrets.ErrRevoked) {
		t.Fatalf("read after revoke: %v", err)
	}
}

func TestWrappedSingleUse(t *testing.T) {
	t.Parallel()
	f := setup(t)
	j := f.job(t, "wrap", good, audience)
	l, err := j.Lease(t.Context(), "wrapped")
	if err != nil {
		t.Fatal(err)
	}
	if !l.SingleUse() {
		t.Fatal("wrapped lease is not single-use")
	}
	wrapping, err := l.Value()
	if err != nil {
		t.Fatal(err)
	}
	if _, err := l.Value(); !errors.Is(err, secrets.ErrAlreadyRead) {
		t.Fatalf("second read: %v", err)
	}
	jobClient := client(t, f.client.Address())
	v, err := vault.Unwrap(t.Context(), jobClient, wrapping, "token")
	if err != nil || v.Reveal() != kvValue {
		t.Fatalf("Unwrap = %v, %v", v, err)
	}
	if _, err := vault.Unwrap(t.Context(), jobClient, wrapping, "token"); !errors.Is(err, vault.ErrUnwrap) {
		t.Fatalf("second unwrap: got %v, want ErrUnwrap", err)
	}

	// An unused wrapping token dies with the lease.
	l2, err := j.Lease(t.Context(), "wrapped")
	if err != nil {
		t.Fatal(err)
	}
	w2, _ := l2.Value()
	if err := l2.Revoke(t.Context()); err != nil {
		t.Fatal(err)
	}
	if _, err := vault.Unwrap(t.Context(), jobClient, w2, "token"); !errors.Is(err, vault.ErrUnwrap) {
		t.Fatalf("unwrap after revoke: got %v, want ErrUnwrap", err)
	}
}

func TestBackendUnavailable(t *testing.T) {
	t.Parallel()
	t.Run("down", func(t *testing.T) {
		t.Parallel()
		f := setup(t)
		srv := httptest.NewServer(http.NotFoundHandler())
		addr := srv.URL
		srv.Close() // nothing listens there any more
		be, _ := vault.New(client(t, addr), vault.JWTAuth{Role: "ci"}, map[string]vault.Source{"deploy": vault.KV("secret", "ci/deploy", "token")})
		b, _ := secrets.New(secrets.AllowNames("deploy"), be)
		f.broker = b
		j := f.job(t, "down", good, audience)
		if _, err := j.Lease(t.Context(), "deploy"); !errors.Is(err, secrets.ErrBackend) {
			t.Fatalf("got %v, want ErrBackend", err)
		}
	})
	t.Run("hangs", func(t *testing.T) {
		t.Parallel()
		f := setup(t)
		f.fake.hang = true
		j := f.job(t, "hang", good, audience)
		ctx, cancel := context.WithTimeout(t.Context(), 200*time.Millisecond)
		defer cancel()
		if _, err := j.Lease(ctx, "deploy"); !errors.Is(err, context.DeadlineExceeded) || !errors.Is(err, secrets.ErrBackend) {
			t.Fatalf("got %v, want the context deadline", err)
		}
	})
}

// TestNoTokenInErrors checks that a refused login does not echo the job's
// token.
func TestNoTokenInErrors(t *testing.T) {
	t.Parallel()
	f := setup(t)
	tok, _ := f.iss.Mint(t.Context(), oidc.Job{Claims: good}, "https://other.example.com")
	j, _ := f.broker.Begin(t.Context(), secrets.JobSpec{ID: "canary", Identity: identity.Identity{Subject: "x"}, Token: secrets.NewValue(tok.Reveal())})
	defer j.End(t.Context())
	_, err := j.Lease(t.Context(), "deploy")
	if err == nil || strings.Contains(fmt.Sprintf("%v %+v", err, err), tok.Reveal()) {
		t.Fatalf("error %v", err)
	}
}

func TestConformance(t *testing.T) {
	t.Parallel()
	f := setup(t)
	be, err := vault.New(f.client, vault.JWTAuth{Role: "ci"}, map[string]vault.Source{
		"db":      vault.Dynamic("database/creds/ci", "password"),
		"deploy":  vault.KV("secret", "ci/deploy", "token"),
		"wrapped": vault.KV("secret", "ci/deploy", "token").Wrapped(time.Minute),
	})
	if err != nil {
		t.Fatal(err)
	}
	for _, name := range []string{"db", "deploy", "wrapped"} {
		t.Run(name, func(t *testing.T) {
			tok, err := f.iss.Mint(t.Context(), oidc.Job{Claims: good}, audience)
			if err != nil {
				t.Fatal(err)
			}
			secretstest.TestBackend(t, be, secrets.Request{Name: name, Token: secrets.NewValue(tok.Reveal())})
		})
	}
}

// TestLeaseOwnershipNotFromID checks that leases of mounts whose names begin
// like the broker's own ids are revoked: which ids need no Vault call is
// recorded when they are handed out, never read off the id.
func TestLeaseOwnershipNotFromID(t *testing.T) {
	t.Parallel()
	for _, mount := range []string{"ztci_db", "wrap-accessor:db"} {
		t.Run(mount, func(t *testing.T) {
			t.Parallel()
			f := setup(t)
			be, err := vault.New(f.client, vault.JWTAuth{Role: "ci"}, map[string]vault.Source{"db": vault.Dynamic(mount+"/creds/ci", "password")})
			if err != nil {
				t.Fatal(err)
			}
			f.broker, _ = secrets.New(secrets.AllowNames("db"), be)
			j := f.job(t, "owned", good, audience)
			l, err := j.Lease(t.Context(), "db")
			if err != nil {
				t.Fatal(err)
			}
			if !strings.HasPrefix(l.ID(), mount) || f.fake.liveLeases() != 1 {
				t.Fatalf("lease %s, live %d", l.ID(), f.fake.liveLeases())
			}
			if err := j.End(t.Context()); err != nil {
				t.Fatal(err)
			}
			if n := f.fake.liveLeases(); n != 0 {
				t.Fatalf("lease of mount %q not revoked (%d live) while revocation reported success", mount, n)
			}
		})
	}
	t.Run("recovered id revoked at Vault", func(t *testing.T) {
		t.Parallel()
		f := setup(t)
		j := f.job(t, "recover", good, audience)
		l, err := j.Lease(t.Context(), "db")
		if err != nil {
			t.Fatal(err)
		}
		// A backend in a new process knows nothing of the id.
		fresh, _ := vault.New(f.client, vault.JWTAuth{Role: "ci"}, map[string]vault.Source{"db": vault.Dynamic("database/creds/ci", "password")})
		if err := fresh.Revoke(t.Context(), l.ID()); err != nil || f.fake.liveLeases() != 0 {
			t.Fatalf("Revoke in a fresh backend = %v, live %d", err, f.fake.liveLeases())
		}
	})
}

// TestHugeLeaseDuration checks a lease_duration that overflows
// time.Duration is refused with a typed error and the lease revoked.
func TestHugeLeaseDuration(t *testing.T) {
	t.Parallel()
	f := setup(t)
	be, _ := vault.New(f.client, vault.JWTAuth{Role: "ci"}, map[string]vault.Source{"db": vault.Dynamic("huge/creds/ci", "password")})
	f.broker, _ = secrets.New(secrets.AllowNames("db"), be)
	j := f.job(t, "huge", good, audience)
	_, err := j.Lease(t.Context(), "db")
	var de *vault.DurationError
	if !errors.Is(err, vault.ErrLeaseDuration) || !errors.Is(err, secrets.ErrBackend) || !errors.As(err, &de) || de.Field != "lease_duration" {
		t.Fatalf("got %v, want a *DurationError for lease_duration", err)
	}
	if n := f.fake.liveLeases(); n != 0 {
		t.Fatalf("refused lease left live in Vault (%d)", n)
	}
}
