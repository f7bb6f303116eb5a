package vault_test

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
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

// ttlVault stands in front of the fake Vault, whose dynamic leases last
// an hour as a role's default_ttl would. It records the increment of every
// renewal; leases under the mount "fixed" are answered not renewable, and
// renewals of leases under "stretch" are answered an hour whatever the
// increment.
type ttlVault struct {
	next http.Handler

	mu         sync.Mutex
	increments []int
}

func (v *ttlVault) renewals() []int {
	v.mu.Lock()
	defer v.mu.Unlock()
	return append([]int(nil), v.increments...)
}

func (v *ttlVault) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	raw, _ := io.ReadAll(r.Body)
	r.Body = io.NopCloser(bytes.NewReader(raw))
	var req struct {
		LeaseID   string `json:"lease_id"`
		Increment int    `json:"increment"`
	}
	renew := r.URL.Path == "/v1/sys/leases/renew" && json.Unmarshal(raw, &req) == nil
	if renew {
		v.mu.Lock()
		v.increments = append(v.increments, req.Increment)
		v.mu.Unlock()
	}
	rec := httptest.NewRecorder()
	v.next.ServeHTTP(rec, r)
	var body map[string]any
	if rec.Code != http.StatusOK || json.Unmarshal(rec.Body.Bytes(), &body) != nil {
		for k, vs := range rec.Header() {
			w.Header()[k] = vs
		}
		w.WriteHeader(rec.Code)
		w.Write(rec.Body.Bytes())
		return
	}
	switch {
	case strings.HasPrefix(r.URL.Path, "/v1/fixed/"):
		body["renewable"] = false
	case renew && strings.HasPrefix(req.LeaseID, "stretch/"):
		body["lease_duration"] = 3600
	}
	reply(w, body)
}

func ttlSetup(t *testing.T) (*fixture, *ttlVault, *vault.Backend) {
	t.Helper()
	masker := secrets.NewRedactor()
	iss, err := oidc.NewIssuer("https://ci.example.com", oidc.WithMasker(masker))
	if err != nil {
		t.Fatal(err)
	}
	fake := newFakeVault(t, iss)
	tv := &ttlVault{next: fake}
	srv := httptest.NewServer(tv)
	t.Cleanup(srv.Close)
	c := client(t, srv.URL)
	be, err := vault.New(c, vault.JWTAuth{Role: "ci"}, map[string]vault.Source{
		"db":      vault.Dynamic("database/creds/ci", "password"),
		"fixed":   vault.Dynamic("fixed/creds/ci", "password"),
		"stretch": vault.Dynamic("stretch/creds/ci", "password"),
	})
	if err != nil {
		t.Fatal(err)
	}
	b, err := secrets.New(secrets.AllowNames("db", "fixed", "stretch"), be, secrets.WithMasker(masker))
	if err != nil {
		t.Fatal(err)
	}
	return &fixture{fake: fake, iss: iss, masker: masker, client: c, broker: b}, tv, be
}

// TestReview11LeaseNoLongerThanAsked: a dynamic secret's Vault lease got
// its role's default TTL (an hour here), whatever the broker asked (15
// minutes, or what was left to the job's deadline): the lease was handed
// out for an hour, so a revocation failing at the job's end left the
// credential live for the hour. The lease is renewed down to the ask; one
// that cannot be is revoked and refused.
func TestReview11LeaseNoLongerThanAsked(t *testing.T) {
	t.Parallel()
	f, tv, _ := ttlSetup(t)
	j := f.job(t, "r11-ask", good, audience)
	l, err := j.Lease(t.Context(), "db")
	if err != nil {
		t.Fatal(err)
	}
	if d := time.Until(l.ExpiresAt()); d > 15*time.Minute {
		t.Errorf("lease handed out for %v, more than the broker's TTL of 15m", d)
	}
	if got := tv.renewals(); len(got) != 1 || got[0] > 900 || got[0] < 899 {
		t.Errorf("renewals asked of Vault: %v, want one down to the 900 s asked", got)
	}
	for _, name := range []string{"fixed", "stretch"} {
		_, err := j.Lease(t.Context(), name)
		var de *vault.DurationError
		if !errors.Is(err, vault.ErrLeaseDuration) || !errors.As(err, &de) || de.Seconds != 3600 || de.Asked == 0 {
			t.Errorf("%s: an hour-long lease: %v, want a *DurationError of 3600 s longer than asked", name, err)
		}
	}
	if err := j.End(t.Context()); err != nil {
		t.Fatal(err)
	}
	if n := f.fake.liveLeases(); n != 0 {
		t.Errorf("%d Vault leases left live", n)
	}
}

// TestReview11RenewUnderASecond: Renew sent int(ttl.Seconds()), so a ttl
// under a second (what the broker asks when less than a second is left to
// the job's deadline) reached Vault as increment 0, which Vault reads as
// "the lease's default TTL": the last renewal of a job stretched its lease
// to the role's default instead of ending it with the job.
func TestReview11RenewUnderASecond(t *testing.T) {
	t.Parallel()
	f, tv, be := ttlSetup(t)
	j := f.job(t, "r11-sub", good, audience)
	l, err := j.Lease(t.Context(), "db")
	if err != nil {
		t.Fatal(err)
	}
	before := len(tv.renewals())
	_, err = be.Renew(t.Context(), l.ID(), 900*time.Millisecond)
	var de *vault.DurationError
	if !errors.Is(err, vault.ErrLeaseDuration) || !errors.As(err, &de) || de.Field != "increment" {
		t.Errorf("Renew(900ms): %v, want a *DurationError for the increment", err)
	}
	if got := tv.renewals()[before:]; len(got) != 0 {
		t.Errorf("Vault was asked to renew with increments %v", got)
	}
	if d, err := be.Renew(t.Context(), l.ID(), 1500*time.Millisecond); err != nil || d != time.Second {
		t.Errorf("Renew(1.5s) = %v, %v; want 1s, rounded down", d, err)
	}
}
