package svid_test

import (
	"errors"
	"testing"

	"github.com/ztci/ztci/identity/svid"
)

func TestNewIssuerRejectsNilOption(t *testing.T) {
	t.Parallel()
	if _, err := svid.NewIssuer(td, nil); !errors.Is(err, svid.ErrConfig) {
		t.Fatalf("NewIssuer(nil Option) = %v, want ErrConfig", err)
	}
}
