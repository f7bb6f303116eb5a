package tsa_test

import (
	"errors"
	"testing"

	"github.com/ztci/ztci/attest/tsa"
)

// TestOptionsRejectMisuse: an unusable option value or a nil Option fails
// New with ErrConfig instead of being applied or ignored.
func TestOptionsRejectMisuse(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		opt  tsa.Option
	}{
		{"nil option", nil},
		{"nil clock", tsa.WithClock(nil)},
		{"zero validity", tsa.WithValidity(0)},
		{"empty dir", tsa.WithDir("")},
		{"nil logger", tsa.WithLogger(nil)},
		{"nil audit sink", tsa.WithAudit(nil)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			a, err := tsa.New(tt.opt)
			if !errors.Is(err, tsa.ErrConfig) || a != nil {
				t.Fatalf("New(%s) = %v, %v; want nil, ErrConfig", tt.name, a, err)
			}
		})
	}
}
