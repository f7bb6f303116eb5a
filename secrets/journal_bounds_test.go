package secrets_test

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/ztci/ztci/secrets"
	"github.com/ztci/ztci/secrets/seal"
)

// TestJournalWritesOnlyWhatRecoverReads: the broker never records a lease
// in a form Recover refuses to read (a line or a file over the reader's
// bounds), which would leave the lease, and every other lease of the job,
// live after a crash. A record it cannot keep readable fails the request
// before the backend is asked.
func TestJournalWritesOnlyWhatRecoverReads(t *testing.T) {
	t.Parallel()
	allowAll := secrets.AuthorizerFunc(func(context.Context, secrets.Request) (secrets.Decision, error) {
		return secrets.Decision{Allow: true, Reason: "test"}, nil
	})
	key, err := seal.GenerateKey("k1")
	if err != nil {
		t.Fatal(err)
	}
	env, _ := seal.NewLocal(key)
	for _, sealed := range []bool{false, true} {
		for _, tc := range []struct {
			name   string
			secret string // name of the secret asked for
			churn  int    // leases taken and revoked first, until the file is full
		}{
			// A name of MaxNameLen bytes that JSON writes six bytes a
			// byte (\u003c): its issue line is over the line bound.
			{"long line", strings.Repeat("<", secrets.MaxNameLen), 0},
			{"full file", "db", 600},
		} {
			t.Run(tc.name+map[bool]string{false: " plain", true: " sealed"}[sealed], func(t *testing.T) {
				t.Parallel()
				be := newMem("value-of-the-secret")
				dir := t.TempDir()
				opts := []secrets.Option{secrets.WithJournal(dir)}
				if sealed {
					opts = append(opts, secrets.WithJournalEncrypter(env))
				}
				crashed, err := secrets.New(allowAll, be, opts...)
				if err != nil {
					t.Fatal(err)
				}
				j, err := crashed.Begin(context.Background(), spec("j-bounds"))
				if err != nil {
					t.Fatal(err)
				}
				filler := strings.Repeat("f", secrets.MaxNameLen)
				for i := range tc.churn {
					l, err := j.Lease(t.Context(), filler)
					if err != nil {
						if !errors.Is(err, secrets.ErrJournal) {
							t.Fatalf("lease %d: %v", i, err)
						}
						break
					}
					if err := l.Revoke(t.Context()); err != nil {
						t.Fatalf("revoke %d: %v", i, err)
					}
					if i == tc.churn-1 {
						t.Fatalf("%d leases of %d-byte names did not fill the record", tc.churn, len(filler))
					}
				}
				_, err = j.Lease(t.Context(), tc.secret)
				if tc.churn == 0 && !errors.Is(err, secrets.ErrJournal) {
					t.Fatalf("a name whose record is over the line bound: %v, want ErrJournal", err)
				}
				if err != nil && !errors.Is(err, secrets.ErrJournal) {
					t.Fatal(err)
				}
				// The process dies here.
				restarted, err := secrets.New(allowAll, be, opts...)
				if err != nil {
					t.Fatal(err)
				}
				if _, err := restarted.Recover(t.Context()); err != nil || be.liveCount() != 0 {
					t.Fatalf("Recover: %v; %d credentials left live", err, be.liveCount())
				}
			})
		}
	}
}
