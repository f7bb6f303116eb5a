package secrets_test

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/ztci/ztci/audit"
	"github.com/ztci/ztci/secrets"
)

// A secret name that is empty, too long, not UTF-8 or holds a control or
// invisible character is refused before policy sees it, and the refusal
// is audited (as an event the audit log accepts: UTF-8, bounded).
func TestLeaseRefusesMalformedNames(t *testing.T) {
	t.Parallel()
	asked := 0
	authz := secrets.AuthorizerFunc(func(context.Context, secrets.Request) (secrets.Decision, error) {
		asked++
		return secrets.Decision{Allow: true}, nil
	})
	s := &sink{}
	b, err := secrets.New(authz, newMem("value-of-the-secret"), secrets.WithAudit(s))
	if err != nil {
		t.Fatal(err)
	}
	j, err := b.Begin(t.Context(), spec("j-names"))
	if err != nil {
		t.Fatal(err)
	}
	defer j.End(context.Background())
	for _, name := range []string{"", strings.Repeat("n", secrets.MaxNameLen+1), "prod/db\xff", "prod/db\x00", "prod/\u200bdb", "prod/db\n", "prod\u202e/db"} {
		if _, err := j.Lease(t.Context(), name); !errors.Is(err, secrets.ErrInvalidName) || !errors.Is(err, secrets.ErrDenied) {
			t.Errorf("Lease(%q) = %v, want ErrInvalidName", name, err)
		}
	}
	if asked != 0 {
		t.Errorf("the authorizer was asked %d times about malformed names", asked)
	}
	s.mu.Lock()
	events := s.events
	s.mu.Unlock()
	if len(events) != 7 {
		t.Fatalf("%d audit events, want 7 denies", len(events))
	}
	for _, e := range events {
		if _, err := audit.Encode(e); err != nil || e.Outcome != audit.OutcomeDeny {
			t.Errorf("event %+v: outcome %s, encode %v", e.Resource, e.Outcome, err)
		}
	}
	if _, err := j.Lease(t.Context(), "prod/db-é"); err != nil {
		t.Errorf("a well-formed name: %v", err)
	}
}

// A name longer than a lease registry's field bound is refused as an
// invalid name before policy sees it, rather than allowed by policy and
// then refused by the registry; the longest name accepted is one the
// registry holds.
func TestLeaseNameFitsTheLeaseRegistry(t *testing.T) {
	t.Parallel()
	asked := 0
	authz := secrets.AuthorizerFunc(func(context.Context, secrets.Request) (secrets.Decision, error) {
		asked++
		return secrets.Decision{Allow: true}, nil
	})
	reg := secrets.NewMemoryLeaseRegistry()
	b, err := secrets.New(authz, newMem("value-of-the-secret"), secrets.WithLeaseRegistry(reg, "host", "mem"))
	if err != nil {
		t.Fatal(err)
	}
	j, err := b.Begin(t.Context(), spec("j-long-names"))
	if err != nil {
		t.Fatal(err)
	}
	defer j.End(context.Background())
	for _, n := range []int{secrets.MaxLeaseField + 1, 4096} {
		if _, err := j.Lease(t.Context(), strings.Repeat("n", n)); !errors.Is(err, secrets.ErrInvalidName) || errors.Is(err, secrets.ErrLeaseRegistry) {
			t.Errorf("a %d-byte name: %v, want ErrInvalidName", n, err)
		}
	}
	if asked != 0 {
		t.Errorf("the authorizer was asked %d times about names the registry cannot hold", asked)
	}
	if _, err := j.Lease(t.Context(), strings.Repeat("n", secrets.MaxNameLen)); err != nil {
		t.Errorf("a name of MaxNameLen bytes: %v", err)
	}
}
