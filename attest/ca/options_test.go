package ca_test

import (
	"errors"
	"testing"

	"github.com/ztci/ztci/attest/ca"
)

// TestOptionsRejectMisuse: an unusable option value or a nil Option fails
// New with ErrConfig instead of being applied or ignored.
func TestOptionsRejectMisuse(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		opt  ca.Option
	}{
		{"nil option", nil},
		{"nil clock", ca.WithClock(nil)},
		{"zero cert validity", ca.WithCertValidity(0)},
		{"negative root validity", ca.WithRootValidity(-1)},
		{"empty dir", ca.WithDir("")},
		{"empty name", ca.WithName("")},
		{"nil logger", ca.WithLogger(nil)},
		{"nil audit sink", ca.WithAudit(nil)},
		{"relative server URL", ca.WithServerURL("https://ci.example", "git.example")},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			if _, err := ca.New(tt.opt); !errors.Is(err, ca.ErrConfig) {
				t.Fatalf("New(%s) = %v, want ErrConfig", tt.name, err)
			}
		})
	}
}
