package exchange_test

import (
	"errors"
	"testing"

	"github.com/ztci/ztci/identity/exchange"
)

// TestReview18FlagPlaceholders: the boolean claims are conditions, not
// names: {environment_protected} is refused as {ref_protected} is (a
// segment "true" names no environment, and an unprotected job's empty
// value is no segment).
func TestReview18FlagPlaceholders(t *testing.T) {
	t.Parallel()
	for _, tmpl := range []string{
		"/ci/{environment_protected}/{repository...}",
		"/ci/{ref_protected}/{repository...}",
	} {
		if _, err := exchange.ParseTemplate(tmpl); !errors.Is(err, exchange.ErrTemplate) {
			t.Errorf("%s: %v, want ErrTemplate", tmpl, err)
		}
	}
	if _, err := exchange.ParseTemplate("/ci/{environment}/{repository...}"); err != nil {
		t.Errorf("environment placeholder: %v", err)
	}
}
