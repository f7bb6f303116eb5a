package identity_test

import (
	"errors"
	"testing"

	"github.com/ztci/ztci/identity"
)

func TestNewGuardRejectsNilOption(t *testing.T) {
	t.Parallel()
	if _, err := identity.NewGuard(nil, nil); !errors.Is(err, identity.ErrConfig) {
		t.Fatalf("NewGuard(nil Option) = %v, want ErrConfig", err)
	}
}
