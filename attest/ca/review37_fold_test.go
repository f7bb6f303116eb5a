package ca_test

import (
	"errors"
	"testing"

	"github.com/ztci/ztci/attest/ca"
	"github.com/ztci/ztci/identity"
)

// TestReview37FoldSubjectDomainHostIsASCIIFolded: the subject's host is
// compared with the domain's without ASCII case only. Unicode folding
// (strings.EqualFold) took "ak.example" spelt with the Kelvin sign, or
// "ci.example" as "ci.example" with a long s, for the domain: a host DNS
// never resolves to the domain's, certified as on it.
func TestReview37FoldSubjectDomainHostIsASCIIFolded(t *testing.T) {
	t.Parallel()
	c, err := ca.New(ca.WithSubjectDomain("https://iss.example", "https://ask.example"))
	if err != nil {
		t.Fatal(err)
	}
	k := key(t)
	for _, tc := range []struct {
		name, subject string
		ok            bool
	}{
		{name: "exact", subject: "https://ask.example/x", ok: true},
		{name: "ascii case", subject: "https://ASK.Example/x", ok: true},
		{name: "kelvin sign", subject: "https://as\u212a.example/x"},
		{name: "long s", subject: "https://a\u017fk.example/x"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			_, err := c.Issue(t.Context(), k.Public(), identity.Identity{Issuer: "https://iss.example", Subject: tc.subject})
			if tc.ok {
				if err != nil {
					t.Fatalf("subject %q: %v", tc.subject, err)
				}
				return
			}
			if !errors.Is(err, ca.ErrIdentity) {
				t.Fatalf("subject %q: got %v, want it refused", tc.subject, err)
			}
		})
	}
}
