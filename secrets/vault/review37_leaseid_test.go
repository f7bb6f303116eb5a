package vault_test

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"
	"time"

	"github.com/ztci/ztci/secrets"
	"github.com/ztci/ztci/secrets/vault"
)

// leaseIDVault answers a dynamic read with the lease id it is told to, and
// records which lease ids the broker's token revoked or renewed.
type leaseIDVault struct {
	leaseID string

	mu        sync.Mutex
	touched   []string // lease ids sent to sys/leases/revoke or renew
	loggedOut int
}

func (v *leaseIDVault) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	var body struct {
		LeaseID   string `json:"lease_id"`
		Increment int    `json:"increment"`
	}
	raw, _ := io.ReadAll(io.LimitReader(r.Body, 1<<20))
	_ = json.Unmarshal(raw, &body)
	w.Header().Set("Content-Type", "application/json")
	v.mu.Lock()
	defer v.mu.Unlock()
	switch r.URL.Path {
	case "/v1/auth/jwt/login":
		reply(w, map[string]any{"auth": map[string]any{"client_token": "hvs.job-login-token"}})
	case "/v1/database/creds/ci", "/v1/ns1/database/creds/ci":
		reply(w, map[string]any{"lease_id": v.leaseID, "lease_duration": 3600, "renewable": true,
			"data": map[string]any{"password": "dynamic-password-abcdef123"}})
	case "/v1/sys/leases/revoke":
		v.touched = append(v.touched, body.LeaseID)
		w.WriteHeader(http.StatusNoContent)
	case "/v1/sys/leases/renew":
		v.touched = append(v.touched, body.LeaseID)
		reply(w, map[string]any{"lease_id": body.LeaseID, "lease_duration": body.Increment, "renewable": true})
	case "/v1/auth/token/revoke-self":
		v.loggedOut++
		w.WriteHeader(http.StatusNoContent)
	default:
		vaultErr(w, http.StatusNotFound, "")
	}
}

// TestReview37LeaseIDUnderPathRead: Vault names a lease by the path that
// created it (path/<id>, with ".<namespace id>" in a namespace). A lease id
// answered for a read that is not under the path read — another tenant's
// lease, a token's lease under auth/, a sys/ path — names something this
// read did not create: it is refused, and never renewed or revoked with the
// broker's token (which would renew or end someone else's lease when this
// job ends); the job's login token, and with it whatever the read created,
// is revoked instead.
func TestReview37LeaseIDUnderPathRead(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name, path, leaseID string
		ok                  bool
	}{
		{"under the path", "database/creds/ci", "database/creds/ci/l1", true},
		{"in a namespace", "database/creds/ci", "database/creds/ci/l1.Hx9a", true},
		{"namespace in the path", "ns1/database/creds/ci", "database/creds/ci/l1.Hx9a", true},
		{"another role", "database/creds/ci", "database/creds/admin/l1", false},
		{"another mount", "database/creds/ci", "tenant-b/creds/ci/l1", false},
		{"a token lease", "database/creds/ci", "auth/jwt/login/h5e1", false},
		{"a sys path", "database/creds/ci", "sys/leases/lookup/x", false},
		{"the path itself", "database/creds/ci", "database/creds/ci", false},
		{"trailing slash", "database/creds/ci", "database/creds/ci/", false},
		{"dot dot", "database/creds/ci", "database/creds/ci/../admin/l1", false},
		{"dot dot last", "database/creds/ci", "database/creds/ci/..", false},
		{"a suffix of a segment", "database/creds/ci", "s/ci/l1", false},
		{"deeper", "database/creds/ci", "database/creds/ci/x/l1", false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			fake := &leaseIDVault{leaseID: tc.leaseID}
			srv := httptest.NewServer(fake)
			t.Cleanup(srv.Close)
			be, err := vault.New(client(t, srv.URL), vault.JWTAuth{Role: "ci"},
				map[string]vault.Source{"db": vault.Dynamic(tc.path, "password")})
			if err != nil {
				t.Fatal(err)
			}
			g, err := be.Issue(t.Context(), secrets.Request{Name: "db", LeaseID: "ztci_reserved", Token: secrets.NewValue("job-jwt"),
				TTL: 10 * time.Minute})
			fake.mu.Lock()
			touched, loggedOut := fake.touched, fake.loggedOut
			fake.mu.Unlock()
			if tc.ok {
				if err != nil || g.LeaseID != tc.leaseID {
					t.Fatalf("Issue = %q, %v; want lease %q", g.LeaseID, err, tc.leaseID)
				}
				return
			}
			if !errors.Is(err, vault.ErrLeaseID) || !errors.Is(err, secrets.ErrBackend) {
				t.Fatalf("Issue = lease %q, %v; want ErrLeaseID", g.LeaseID, err)
			}
			if len(touched) != 0 {
				t.Fatalf("the broker's token renewed or revoked %q, which the read did not create", touched)
			}
			if loggedOut != 1 {
				t.Fatalf("login token revoked %d times, want 1", loggedOut)
			}
		})
	}
}

// sameIDVault answers every dynamic read with the same lease id and every
// wrapped read with the same accessor, and records revocations.
type sameIDVault struct {
	mu        sync.Mutex
	logins    int
	revoked   []string // lease ids and accessors revoked
	loggedOut []string // login tokens revoked
}

func (v *sameIDVault) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	var body struct {
		LeaseID  string `json:"lease_id"`
		Accessor string `json:"accessor"`
	}
	raw, _ := io.ReadAll(io.LimitReader(r.Body, 1<<20))
	_ = json.Unmarshal(raw, &body)
	v.mu.Lock()
	defer v.mu.Unlock()
	switch r.URL.Path {
	case "/v1/auth/jwt/login":
		v.logins++
		reply(w, map[string]any{"auth": map[string]any{"client_token": fmt.Sprintf("hvs.job-login-%d", v.logins)}})
	case "/v1/database/creds/ci":
		reply(w, map[string]any{"lease_id": "database/creds/ci/l1", "lease_duration": 60, "renewable": true,
			"data": map[string]any{"password": "dynamic-password-abcdef123"}})
	case "/v1/secret/data/ci":
		reply(w, map[string]any{"wrap_info": map[string]any{"token": "hvs.wrapping-abcdef", "accessor": "acc-1", "ttl": 60}})
	case "/v1/sys/leases/revoke":
		v.revoked = append(v.revoked, body.LeaseID)
		w.WriteHeader(http.StatusNoContent)
	case "/v1/auth/token/revoke-accessor":
		v.revoked = append(v.revoked, body.Accessor)
		w.WriteHeader(http.StatusNoContent)
	case "/v1/auth/token/revoke-self":
		v.loggedOut = append(v.loggedOut, r.Header.Get("X-Vault-Token"))
		w.WriteHeader(http.StatusNoContent)
	default:
		vaultErr(w, http.StatusNotFound, "")
	}
}

// TestReview37LeaseIDAnsweredTwice: a lease id (or wrapping accessor) that
// Vault answers while this backend still holds a lease by it is not a new
// lease. Granting it again made one job's end revoke the other's lease,
// and recorded the second login token over the first, so the first job's
// login token (with its Vault policies) was never revoked. The second
// answer is refused and nothing is revoked by its id.
func TestReview37LeaseIDAnsweredTwice(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct{ name, source, id, revokedBy string }{
		{"dynamic", "db", "database/creds/ci/l1", "database/creds/ci/l1"},
		{"wrapped", "wrapped", "wrap-accessor:acc-1", "acc-1"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			fake := &sameIDVault{}
			srv := httptest.NewServer(fake)
			t.Cleanup(srv.Close)
			be, err := vault.New(client(t, srv.URL), vault.JWTAuth{Role: "ci"}, map[string]vault.Source{
				"db":      vault.Dynamic("database/creds/ci", "password"),
				"wrapped": vault.KV("secret", "ci", "token").Wrapped(time.Minute),
			})
			if err != nil {
				t.Fatal(err)
			}
			ctx := t.Context()
			first, err := be.Issue(ctx, secrets.Request{Name: tc.source, LeaseID: "ztci_a", Token: secrets.NewValue("job-jwt-a")})
			if err != nil || first.LeaseID != tc.id {
				t.Fatalf("first Issue = %q, %v", first.LeaseID, err)
			}
			second, err := be.Issue(ctx, secrets.Request{Name: tc.source, LeaseID: "ztci_b", Token: secrets.NewValue("job-jwt-b")})
			if !errors.Is(err, vault.ErrLeaseID) {
				t.Fatalf("second Issue with the same id = %q, %v; want ErrLeaseID", second.LeaseID, err)
			}
			fake.mu.Lock()
			revoked := len(fake.revoked)
			fake.mu.Unlock()
			if revoked != 0 {
				t.Fatalf("refusing the second answer revoked %q, the first job's lease", fake.revoked)
			}
			if err := be.Revoke(ctx, first.LeaseID); err != nil {
				t.Fatal(err)
			}
			fake.mu.Lock()
			defer fake.mu.Unlock()
			if len(fake.revoked) != 1 || fake.revoked[0] != tc.revokedBy {
				t.Fatalf("revoked %q, want [%q]", fake.revoked, tc.revokedBy)
			}
			// Every login token is revoked exactly once: the second at its
			// refusal, the first (for a dynamic lease) with its lease, or
			// (wrapped) right after the read.
			want := map[string]int{"hvs.job-login-1": 1, "hvs.job-login-2": 1}
			got := map[string]int{}
			for _, tok := range fake.loggedOut {
				got[tok]++
			}
			if fmt.Sprint(got) != fmt.Sprint(want) {
				t.Fatalf("login tokens revoked: %v, want %v", got, want)
			}
		})
	}
}
