package verify_test

import (
	"errors"
	"testing"
	"time"

	"github.com/sigstore/sigstore-go/pkg/root"

	"github.com/ztci/ztci/attest"
	"github.com/ztci/ztci/attest/ca"
	"github.com/ztci/ztci/attest/tsa"
	"github.com/ztci/ztci/verify"
)

// TestReview27RootScopeTSAVouchesOnlyForItsRoot: NewTrust merged every
// root's timestamp authorities, so a tenant's TSA (root B) proved the
// signing time of a certificate from another root's CA (root A): the
// tenant could timestamp a signature under A's certificate after that
// certificate expired (here: both two hours ago, verified now) and it
// verified. A bundle must now verify under one root alone: the root its
// certificate chains to, with that root's TSAs and logs.
func TestReview27RootScopeTSAVouchesOnlyForItsRoot(t *testing.T) {
	t.Parallel()
	past := (&fixedClock{time.Now().Add(-2 * time.Hour)}).Now
	c, err := ca.New(ca.WithSubjectDomain(rtIssuer, "https://ci.example"), ca.WithClock(past))
	if err != nil {
		t.Fatal(err)
	}
	tenantTSA, err := tsa.New(tsa.WithClock(past))
	if err != nil {
		t.Fatal(err)
	}
	tenantCA, err := ca.New(ca.WithSubjectDomain("https://tenant.example", "https://tenant.example"))
	if err != nil {
		t.Fatal(err)
	}
	ownTSA, err := tsa.New(tsa.WithClock(past))
	if err != nil {
		t.Fatal(err)
	}
	parse := func(tr *attest.TrustedRoot) root.TrustedMaterial {
		t.Helper()
		b, err := tr.MarshalJSON()
		if err != nil {
			t.Fatal(err)
		}
		m, err := verify.ParseTrustedRoot(b)
		if err != nil {
			t.Fatal(err)
		}
		return m
	}
	// Root A: the CA (and a TSA of its own); root B: a tenant's CA and TSA.
	rootA := parse(attest.NewTrustedRoot().AddEmbeddedCA("https://ca.example", c).AddEmbeddedTSA("https://tsa.a.example", ownTSA))
	rootB := parse(attest.NewTrustedRoot().AddEmbeddedCA("https://ca.tenant.example", tenantCA).AddEmbeddedTSA("https://tsa.tenant.example", tenantTSA))

	sign := func(stamps *tsa.TSA) []byte {
		t.Helper()
		s, err := attest.NewCASigner(c.IssuerFor(rtIdentity()), attest.WithEmbeddedTimestampAuthority(stamps.Handler()), attest.WithClock(past))
		if err != nil {
			t.Fatal(err)
		}
		b, err := attest.Sign(t.Context(), s, rtStatement(t, rtArtifact))
		if err != nil {
			t.Fatal(err)
		}
		return b
	}
	for _, tc := range []struct {
		name   string
		stamps *tsa.TSA
		order  []root.TrustedMaterial
		ok     bool
	}{
		{"own root's TSA", ownTSA, []root.TrustedMaterial{rootA, rootB}, true},
		{"own root's TSA, other order", ownTSA, []root.TrustedMaterial{rootB, rootA}, true},
		{"tenant TSA for another root's certificate", tenantTSA, []root.TrustedMaterial{rootA, rootB}, false},
		{"tenant TSA, other order", tenantTSA, []root.TrustedMaterial{rootB, rootA}, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			trust, err := verify.NewTrust(tc.order...)
			if err != nil {
				t.Fatal(err)
			}
			// Nested: a Trust of Trusts is scoped the same way.
			nested, err := verify.NewTrust(trust)
			if err != nil {
				t.Fatal(err)
			}
			b := sign(tc.stamps)
			for _, tm := range []root.TrustedMaterial{trust, nested} {
				v, err := verify.New(tm, rtExpectation(), privateOpts...)
				if err != nil {
					t.Fatal(err)
				}
				_, err = v.Verify(t.Context(), b, verify.ArtifactBytes(rtArtifact))
				switch {
				case tc.ok && err != nil:
					t.Errorf("want verified, got %v", err)
				case !tc.ok && !errors.Is(err, verify.ErrTimestamp):
					t.Errorf("want ErrTimestamp (no TSA of the certificate's root), got %v", err)
				}
			}
		})
	}
}
