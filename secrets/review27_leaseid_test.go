package secrets_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"sync"
	"testing"

	"github.com/ztci/ztci/secrets"
)

// oddIDBackend names each lease by the id it is given.
type oddIDBackend struct {
	id string

	mu      sync.Mutex
	revoked []string
}

func (b *oddIDBackend) Issue(context.Context, secrets.Request) (secrets.Grant, error) {
	return secrets.Grant{LeaseID: b.id, Value: secrets.NewValue("value-of-the-secret")}, nil
}

func (b *oddIDBackend) Revoke(_ context.Context, id string) error {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.revoked = append(b.revoked, id)
	return nil
}

// A backend (a vendor's, or a Vault whose mount path an operator named)
// that names a lease by an id holding a newline, invalid UTF-8 or
// megabytes had it quoted as given in the broker's errors and log lines
// (a forged line), and in the journal and audit. Without a lease registry
// nothing checked it. Such a grant is revoked by that id at the backend
// and refused with ErrBadLeaseID.
func TestReview27BadBackendLeaseID(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		id   string
	}{
		{name: "newline", id: "lease-1\nlevel=INFO msg=\"lease revoked\" forged=true"},
		{name: "not UTF-8", id: "lease-\xff\xfe"},
		{name: "too long", id: "lease-" + strings.Repeat("a", secrets.MaxLeaseField)},
		{name: "escape", id: "lease-\x1b[2Kforged"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			be := &oddIDBackend{id: tt.id}
			var logged bytes.Buffer
			b := newBroker(t, be, secrets.WithJournal(t.TempDir()), secrets.WithAudit(&sink{}),
				secrets.WithLogger(slog.New(slog.NewTextHandler(&logged, &slog.HandlerOptions{Level: slog.LevelDebug}))))
			j, err := b.Begin(t.Context(), spec("j-r27-leaseid"))
			if err != nil {
				t.Fatal(err)
			}
			l, err := j.Lease(t.Context(), "db")
			if l != nil || !errors.Is(err, secrets.ErrBadLeaseID) || !errors.Is(err, secrets.ErrBackend) {
				t.Fatalf("Lease = %v, %v; want ErrBadLeaseID", l, err)
			}
			endErr := j.End(t.Context())
			if endErr != nil {
				t.Fatalf("End: %v", endErr)
			}
			be.mu.Lock()
			revoked := append([]string(nil), be.revoked...)
			be.mu.Unlock()
			found := false
			for _, id := range revoked {
				found = found || id == tt.id
			}
			if !found {
				t.Errorf("the grant was not revoked by its id at the backend")
			}
			for _, s := range []string{err.Error(), fmt.Sprintf("%+v", err), logged.String()} {
				if strings.Contains(s, tt.id) {
					t.Errorf("the unusable lease id reached an error or the log")
				}
			}
		})
	}
}
