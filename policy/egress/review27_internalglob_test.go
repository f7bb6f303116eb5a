package egress_test

import (
	"errors"
	"net/netip"
	"testing"

	"github.com/ztci/ztci/identity"
	"github.com/ztci/ztci/policy/egress"
)

// TestReview27InternalGlobWidth: a WithInternalHosts glob whose fixed
// part is one label or a public suffix pairs the internal prefixes with
// names any job author can register; it is refused at construction.
func TestReview27InternalGlobWidth(t *testing.T) {
	t.Parallel()
	rules := testRules(t, 443)
	tests := []struct {
		name string
		host string
		ok   bool
	}{
		{name: "one label tld", host: "*.dev"},
		{name: "one label com", host: "*.com"},
		{name: "one label internal", host: "*.corp"},
		{name: "mid wildcard one label", host: "registry.*.com"},
		{name: "two wildcards one label", host: "*.*.dev"},
		{name: "icann public suffix", host: "*.co.uk"},
		{name: "private public suffix", host: "*.pages.dev"},
		{name: "private public suffix github", host: "*.github.io"},
		{name: "trailing dot", host: "*.com."},
		{name: "empty label", host: "*.corp..example"},
		{name: "registrable domain", host: "*.corp.example", ok: true},
		{name: "under public suffix domain", host: "*.mycorp.co.uk", ok: true},
		{name: "mid wildcard two labels", host: "registry.*.corp.example", ok: true},
		{name: "exact single label", host: "registry", ok: true},
		{name: "exact name", host: "registry.corp.example", ok: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			_, err := egress.New(verifier, identity.MatchID(jobA.ID()), rules, &recorder{}, egress.WithInternalHosts([]string{tt.host}, netip.MustParsePrefix("10.0.0.0/8")))
			if tt.ok && err != nil {
				t.Fatalf("WithInternalHosts(%q): %v", tt.host, err)
			}
			if !tt.ok && !errors.Is(err, egress.ErrConfig) {
				t.Fatalf("WithInternalHosts(%q): err = %v, want ErrConfig", tt.host, err)
			}
		})
	}
}
