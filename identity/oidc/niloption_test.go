package oidc

import (
	"errors"
	"testing"
)

func TestConstructorsRejectNilOption(t *testing.T) {
	t.Parallel()
	if _, err := NewIssuer("https://ci.example.com", nil); !errors.Is(err, ErrConfig) {
		t.Errorf("NewIssuer(nil Option) = %v, want ErrConfig", err)
	}
	if _, err := NewVerifier("https://ci.example.com", "aud", nil); !errors.Is(err, ErrConfig) {
		t.Errorf("NewVerifier(nil Option) = %v, want ErrConfig", err)
	}
}
