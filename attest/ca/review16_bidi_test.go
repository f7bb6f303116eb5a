package ca_test

import (
	"errors"
	"strings"
	"testing"

	"github.com/ztci/ztci/attest/ca"
	"github.com/ztci/ztci/identity"
)

// TestReview16BidiControlsInClaims: certifiable refused C0/C1 controls and
// the line separators, not the Unicode bidirectional formatting
// characters, which git accepts in a branch name. A job on the branch
// "refs/heads/\u202Eniam" (anyone who may push a branch) got a certificate
// whose Source Repository Ref (.14) and Build Signer URI (.9) a terminal,
// a browser or `openssl x509 -text` print as "refs/heads/main": the
// person checking the certificate reads the protected branch while every
// comparison sees another (Trojan Source, CVE-2021-42574).
func TestReview16BidiControlsInClaims(t *testing.T) {
	t.Parallel()
	c, err := ca.New(ca.WithSubjectDomain("https://iss", "https://ci"), ca.WithServerURL("https://iss", "https://git.example"))
	if err != nil {
		t.Fatal(err)
	}
	base := identity.Identity{Issuer: "https://iss", Subject: "https://ci/wf",
		Claims: identity.Claims{Repository: "acme/app", Ref: "refs/heads/main", Commit: strings.Repeat("a", 40), Event: "push", Runner: "hosted"}}
	pub := key(t).Public()
	for name, mutate := range map[string]func(*identity.Identity){
		"ref with RLO":                func(id *identity.Identity) { id.Claims.Ref = "refs/heads/\u202eniam" },
		"ref with RLI":                func(id *identity.Identity) { id.Claims.Ref = "refs/heads/\u2067x\u2069" },
		"workflow ref with LRO":       func(id *identity.Identity) { id.Claims.WorkflowRef = "acme/app/.ci/release.yml@refs/heads/\u202dmain" },
		"repository with ALM":         func(id *identity.Identity) { id.Claims.Repository = "acme/\u061capp" },
		"event with RLM":              func(id *identity.Identity) { id.Claims.Event = "push\u200f" },
		"owner id with PDI":           func(id *identity.Identity) { id.Claims.RepositoryOwnerID = "1\u2069" },
		"repository id with embedded": func(id *identity.Identity) { id.Claims.RepositoryID = "\u202a1\u202c" },
	} {
		id := base
		mutate(&id)
		if chain, err := c.Issue(t.Context(), pub, id); !errors.Is(err, ca.ErrIdentity) {
			t.Errorf("%s: %d certificates, %v; want ErrIdentity", name, len(chain), err)
		} else if strings.ContainsAny(err.Error(), "\u202e\u2067\u2069\u202d\u061c\u200f\u202a\u202c") {
			t.Errorf("%s: the refusal carries the formatting character: %q", name, err)
		}
	}
	// An email subject is an IA5String in the SAN: a formatting character
	// or any non-ASCII is an identity the CA cannot certify (ErrIdentity,
	// a 400), not an internal error.
	for _, s := range []string{"a\u202eb@example.com", "a\u0085b@example.com", "\u00fc@example.com"} {
		if chain, err := c.Issue(t.Context(), pub, identity.Identity{Issuer: "https://iss", Subject: s}); !errors.Is(err, ca.ErrIdentity) {
			t.Errorf("email %q: %d certificates, %v; want ErrIdentity", s, len(chain), err)
		}
	}
	// Right-to-left text itself is not refused: only the characters that
	// reorder what is displayed.
	id := base
	id.Claims.Ref = "refs/heads/שלום"
	chain, err := c.Issue(t.Context(), pub, id)
	if err != nil {
		t.Fatal(err)
	}
	if got := ext(t, chain[0], ca.OIDSourceRepositoryRef); got != id.Claims.Ref {
		t.Fatalf("ref extension %q, want %q", got, id.Claims.Ref)
	}
}
