package oidc_test

import (
	"errors"
	"testing"

	"github.com/ztci/ztci/identity/oidc"
)

// TestReview27CheckURIPathQueryFragment: CheckURIPath did not look at the
// query or fragment, and git allows '?' and '#' in a branch name: a URI
// ".../release.yml@refs/heads/x#@refs/heads/main" ends, for a suffix
// match, in refs/heads/main, while a URI parser reads branch x. Refused
// anywhere, also percent-encoded.
func TestReview27CheckURIPathQueryFragment(t *testing.T) {
	t.Parallel()
	const wf = "https://github.com/acme/app/.github/workflows/release.yml"
	for _, tc := range []struct {
		name string
		uri  string
		ok   bool
	}{
		{name: "fragment in the branch", uri: wf + "@refs/heads/x#@refs/heads/main"},
		{name: "query in the branch", uri: wf + "@refs/heads/x?@refs/heads/main"},
		{name: "empty fragment", uri: wf + "@refs/heads/main#"},
		{name: "empty query", uri: wf + "?@refs/heads/main"},
		{name: "%23", uri: wf + "@refs/heads/x%23@refs/heads/main"},
		{name: "%3f", uri: wf + "@refs/heads/x%3f@refs/heads/main"},
		{name: "%2523", uri: wf + "@refs/heads/x%2523y"},
		{name: "query in the authority", uri: "https://github.com?/acme/app"},
		{name: "plain", uri: wf + "@refs/heads/main", ok: true},
		{name: "other escapes", uri: wf + "@refs/heads/100%25-%41", ok: true},
		{name: "not a URL", uri: "repo:acme/app:ref:refs/heads/main", ok: true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			err := oidc.CheckURIPath(tc.uri)
			if tc.ok && err != nil {
				t.Fatalf("CheckURIPath(%q) = %v, want nil", tc.uri, err)
			}
			if !tc.ok && !errors.Is(err, oidc.ErrURIPath) {
				t.Fatalf("CheckURIPath(%q) = %v, want ErrURIPath", tc.uri, err)
			}
		})
	}
}
