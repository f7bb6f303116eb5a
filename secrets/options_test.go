package secrets_test

import (
	"errors"
	"testing"

	"github.com/ztci/ztci/secrets"
)

// Every unusable argument or option makes New fail with ErrConfig, never a
// panic or an untyped error.
func TestNewRejectsMisuse(t *testing.T) {
	t.Parallel()
	authz, backend := secrets.AllowNames("db"), newMem("v")
	for name, f := range map[string]func() error{
		"nil authorizer":         func() error { _, err := secrets.New(nil, backend); return err },
		"nil backend":            func() error { _, err := secrets.New(authz, nil); return err },
		"nil option":             func() error { _, err := secrets.New(authz, backend, nil); return err },
		"nil audit sink":         func() error { _, err := secrets.New(authz, backend, secrets.WithAudit(nil)); return err },
		"nil compromise checker": func() error { _, err := secrets.New(authz, backend, secrets.WithCompromiseChecker(nil)); return err },
		"nil masker":             func() error { _, err := secrets.New(authz, backend, secrets.WithMasker(nil)); return err },
		"nil logger":             func() error { _, err := secrets.New(authz, backend, secrets.WithLogger(nil)); return err },
		"nil clock":              func() error { _, err := secrets.New(authz, backend, secrets.WithClock(nil)); return err },
		"zero ttl":               func() error { _, err := secrets.New(authz, backend, secrets.WithTTL(0)); return err },
		"heartbeat without registry": func() error {
			_, err := secrets.New(authz, backend, secrets.WithLeaseHeartbeat(secrets.DefaultLeaseHeartbeat))
			return err
		},
	} {
		if err := f(); !errors.Is(err, secrets.ErrConfig) {
			t.Errorf("%s: %v, want ErrConfig", name, err)
		}
	}
}
