package secrets_test

import (
	"context"
	"testing"
	"time"

	"github.com/ztci/ztci/identity"
	"github.com/ztci/ztci/secrets"
)

// TestReview5LedgerLeaseIDOfAnotherJob: a lease id is the backend's
// string, and two jobs' leases may carry the same one (an STS backend that
// names the role it assumed). The revocation of one job's lease must not
// mark another job's live lease revoked, nor may the second job's issue be
// refused as the first's.
func TestReview5LedgerLeaseIDOfAnotherJob(t *testing.T) {
	t.Parallel()
	ledger, err := secrets.NewLeaseLedger("sts")
	if err != nil {
		t.Fatal(err)
	}
	be := secrets.BackendFunc(func(context.Context, secrets.Request) (secrets.Grant, error) {
		return secrets.Grant{LeaseID: "arn:aws:iam::123456789012:role/ci", Value: secrets.NewValue("session-token-value"), TTL: time.Hour}, nil
	})
	b, err := secrets.New(ledger.Authorizer(secrets.AllowNames("aws")), be, secrets.WithAudit(ledger.Sink(nil)))
	if err != nil {
		t.Fatal(err)
	}
	a, err := b.Begin(t.Context(), spec("j-review5-a"))
	if err != nil {
		t.Fatal(err)
	}
	defer a.End(t.Context())
	if _, err := a.Lease(t.Context(), "aws"); err != nil {
		t.Fatal(err)
	}
	other := identity.Identity{Issuer: "https://ci.example.com", Subject: "repo:octo/other:ref:refs/heads/main"}
	bj, err := b.Begin(t.Context(), secrets.JobSpec{ID: "j-review5-b", Identity: other})
	if err != nil {
		t.Fatal(err)
	}
	l, err := bj.Lease(t.Context(), "aws")
	if err != nil {
		t.Errorf("job b's lease refused because job a holds one with the same backend id: %v", err)
	} else if err := l.Revoke(t.Context()); err != nil {
		t.Fatal(err)
	}
	if err := bj.End(t.Context()); err != nil {
		t.Fatal(err)
	}
	facts := ledger.Job("j-review5-a")
	if len(facts) != 1 || !facts[0].RevokedAt.IsZero() {
		t.Fatalf("job a's facts = %+v; want one live lease", facts)
	}
	if fb := ledger.Job("j-review5-b"); err == nil && (len(fb) != 1 || fb[0].RevokedAt.IsZero()) {
		t.Fatalf("job b's facts = %+v; want one revoked lease", fb)
	}
}
