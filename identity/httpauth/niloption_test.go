package httpauth_test

import (
	"errors"
	"testing"

	"github.com/ztci/ztci/identity/httpauth"
)

func TestNewRejectsNilOption(t *testing.T) {
	t.Parallel()
	if _, err := httpauth.New(nil); !errors.Is(err, httpauth.ErrConfig) {
		t.Fatalf("New(nil Option) = %v, want ErrConfig", err)
	}
}
