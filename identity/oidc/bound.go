package oidc

import (
	"fmt"
	"sort"

	"github.com/ztci/ztci/identity"
)

// boundRule is one bound-claims rule: the raw claim must be a string (or a
// list of strings, any of which may match) equal to, or glob-matching, one of
// the allowed values.
type boundRule struct {
	claim   string
	allowed []string
	glob    bool
}

func (b boundRule) check(c map[string]any) error {
	var got []string
	switch v := c[b.claim].(type) {
	case string:
		got = []string{v}
	case bool:
		got = []string{fmt.Sprint(v)}
	case []any:
		for _, x := range v {
			if s, ok := x.(string); ok {
				got = append(got, s)
			}
		}
	}
	for _, g := range got {
		for _, a := range b.allowed {
			if g == a || (b.glob && identity.Glob(a, g)) {
				return nil
			}
		}
	}
	kind := "one of"
	if b.glob {
		kind = "a match for one of"
	}
	return &ClaimError{Claim: b.claim, Want: fmt.Sprintf("%s %q", kind, b.allowed), Got: fmt.Sprint(got), Err: ErrBoundClaims}
}

// WithBoundClaims requires, for every claim in bound, that the token's raw
// claim equals one of the listed values (Vault JWT auth's bound_claims with
// bound_claims_type "string"). A claim that is a list matches when any
// element matches. Verifier only; may be repeated (all rules must hold).
func WithBoundClaims(bound map[string][]string) Option {
	return boundOption("WithBoundClaims", bound, false)
}

// WithBoundClaimsGlob is [WithBoundClaims] where each allowed value is a
// glob in which '*' matches any run of characters (bound_claims_type "glob").
// Verifier only.
func WithBoundClaimsGlob(bound map[string][]string) Option {
	return boundOption("WithBoundClaimsGlob", bound, true)
}

func boundOption(name string, bound map[string][]string, glob bool) Option {
	return func(c *config) error {
		only(c, forVerifier, name)
		if len(bound) == 0 {
			return fmt.Errorf("%w: %s: no claims", ErrConfig, name)
		}
		keys := make([]string, 0, len(bound))
		for k := range bound {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		for _, k := range keys {
			if k == "" || len(bound[k]) == 0 {
				return fmt.Errorf("%w: %s: claim %q has no allowed values", ErrConfig, name, k)
			}
			c.bound = append(c.bound, boundRule{claim: k, allowed: append([]string(nil), bound[k]...), glob: glob})
		}
		return nil
	}
}
