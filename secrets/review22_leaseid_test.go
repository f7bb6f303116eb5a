package secrets_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/ztci/ztci/secrets"
)

// tokenNamedBackend names each lease by its secret, as a backend whose
// credential only revokes itself (a token deleted with itself) might.
type tokenNamedBackend struct {
	mu      sync.Mutex
	value   string
	revoked []string
}

func (b *tokenNamedBackend) Issue(_ context.Context, req secrets.Request) (secrets.Grant, error) {
	return secrets.Grant{LeaseID: "token/" + b.value, Value: secrets.NewValue(b.value)}, nil
}

func (b *tokenNamedBackend) Revoke(_ context.Context, id string) error {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.revoked = append(b.revoked, id)
	return fmt.Errorf("backend: cannot revoke %s", id) // quotes the id, as backends do
}

// TestReview22SecretLeaseIDRefused: Grant.LeaseID "must not be secret",
// but nothing held a backend to it. One that named a lease by its token
// had the token written to the lease journal, the fleet's registry, audit
// events, the broker's log and the job's errors. Such a grant is now
// revoked by that id at the backend only and refused with
// ErrSecretLeaseID; the id appears nowhere else.
func TestReview22SecretLeaseIDRefused(t *testing.T) {
	t.Parallel()
	const canary = "CANARY-leaseid-token-5b2c9e"
	be := &tokenNamedBackend{value: canary}
	dir := t.TempDir()
	var logged bytes.Buffer
	events := &sink{}
	reg := &recordingRegistry{}
	b := newBroker(t, be, secrets.WithJournal(dir), secrets.WithAudit(events),
		secrets.WithLogger(slog.New(slog.NewTextHandler(&logged, &slog.HandlerOptions{Level: slog.LevelDebug}))),
		secrets.WithLeaseRegistry(reg, "owner-1", "tokens"), secrets.WithRevokeRetry(1, 1))
	j, err := b.Begin(t.Context(), spec("j-r22-leaseid"))
	if err != nil {
		t.Fatal(err)
	}
	l, err := j.Lease(t.Context(), "db")
	if l != nil || !errors.Is(err, secrets.ErrSecretLeaseID) || !errors.Is(err, secrets.ErrBackend) || !errors.Is(err, secrets.ErrRevoke) {
		t.Fatalf("Lease = %v, %v; want ErrSecretLeaseID (a backend error) and ErrRevoke", l, err)
	}
	endErr := j.End(t.Context())
	be.mu.Lock()
	tried := strings.Join(be.revoked, " ")
	be.mu.Unlock()
	if !strings.Contains(tried, "token/"+canary) {
		t.Errorf("the grant was not revoked by its id at the backend: %s", tried)
	}
	var seen []string
	seen = append(seen, err.Error(), fmt.Sprintf("%+v", err), fmt.Sprint(endErr), logged.String())
	for _, e := range events.events {
		seen = append(seen, fmt.Sprintf("%+v", e))
	}
	for _, r := range reg.records() {
		seen = append(seen, fmt.Sprintf("%+v", r))
	}
	files, _ := filepath.Glob(filepath.Join(dir, "*"))
	for _, f := range files {
		data, _ := os.ReadFile(f)
		seen = append(seen, string(data))
	}
	for _, s := range seen {
		if strings.Contains(s, canary) {
			t.Fatalf("the secret, named as a lease id, leaked: %s", s)
		}
	}
}
