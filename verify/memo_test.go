package verify_test

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"testing"
	"time"

	"github.com/sigstore/sigstore-go/pkg/root"

	"github.com/ztci/ztci/attest"
	"github.com/ztci/ztci/attest/ca"
	"github.com/ztci/ztci/verify"
)

// TestChainMemoNeverAdmitsWhatX509Rejects compares the memoizing CA in a
// Trust with sigstore-go's plain FulcioCertificateAuthority at times around
// every validity boundary (leaf, root, and the trusted root's validFor),
// with the memo primed by a success first: both must agree at every time.
func TestChainMemoNeverAdmitsWhatX509Rejects(t *testing.T) {
	t.Parallel()
	c, err := ca.New(ca.WithSubjectDomain(rtIssuer, "https://ci.example"))
	if err != nil {
		t.Fatal(err)
	}
	key, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	chain, err := c.Issue(t.Context(), key.Public(), rtIdentity())
	if err != nil {
		t.Fatal(err)
	}
	leaf := chain[0]
	rootCert := c.Roots()[0].Cert
	mid := leaf.NotBefore.Add(leaf.NotAfter.Sub(leaf.NotBefore) / 2)
	tests := []struct {
		name       string
		start, end time.Time // the trusted root's validFor for the CA
	}{
		{name: "open-ended CA", start: rootCert.NotBefore},
		{name: "CA validity ends mid-certificate", start: rootCert.NotBefore, end: mid},
		{name: "CA validity starts mid-certificate", start: mid},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			trJSON, err := attest.NewTrustedRoot().AddCertificateAuthority("https://ca.example", append(chain[1:len(chain):len(chain)], rootCert), tt.start, tt.end).MarshalJSON()
			if err != nil {
				t.Fatal(err)
			}
			tm, err := verify.ParseTrustedRoot(trJSON)
			if err != nil {
				t.Fatal(err)
			}
			trust, err := verify.NewTrust(tm)
			if err != nil {
				t.Fatal(err)
			}
			memo := trust.FulcioCertificateAuthorities()[0]
			raw := tm.FulcioCertificateAuthorities()[0]
			if _, ok := raw.(*root.FulcioCertificateAuthority); !ok {
				t.Fatalf("unexpected CA type %T", raw)
			}
			var times []time.Time
			for _, b := range []time.Time{leaf.NotBefore, leaf.NotAfter, mid, rootCert.NotBefore, rootCert.NotAfter, tt.start, tt.end} {
				if b.IsZero() {
					continue
				}
				times = append(times, b.Add(-time.Second), b, b.Add(time.Second))
			}
			// Prime the memo with a success, then probe every time twice
			// (the second probe is a memo hit whenever the first succeeded).
			if _, err := memo.Verify(leaf, mid.Add(-time.Second)); err != nil && tt.start.Before(mid) {
				t.Fatalf("priming: %v", err)
			}
			for range 2 {
				for _, at := range times {
					_, errMemo := memo.Verify(leaf, at)
					_, errRaw := raw.Verify(leaf, at)
					if (errMemo == nil) != (errRaw == nil) {
						t.Fatalf("at %s: memo err=%v, x509 err=%v", at.Format(time.RFC3339), errMemo, errRaw)
					}
				}
			}
		})
	}
}

// A certificate from another CA never matches a remembered chain.
func TestChainMemoIsPerCertificate(t *testing.T) {
	t.Parallel()
	good, err := ca.New(ca.WithSubjectDomain(rtIssuer, "https://ci.example"))
	if err != nil {
		t.Fatal(err)
	}
	evil, err := ca.New(ca.WithSubjectDomain(rtIssuer, "https://ci.example"))
	if err != nil {
		t.Fatal(err)
	}
	key, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	goodChain, err := good.Issue(t.Context(), key.Public(), rtIdentity())
	if err != nil {
		t.Fatal(err)
	}
	evilChain, err := evil.Issue(t.Context(), key.Public(), rtIdentity())
	if err != nil {
		t.Fatal(err)
	}
	trJSON, err := attest.NewTrustedRoot().AddEmbeddedCA("https://ca.example", good).MarshalJSON()
	if err != nil {
		t.Fatal(err)
	}
	tm, err := verify.ParseTrustedRoot(trJSON)
	if err != nil {
		t.Fatal(err)
	}
	trust, err := verify.NewTrust(tm)
	if err != nil {
		t.Fatal(err)
	}
	memo := trust.FulcioCertificateAuthorities()[0]
	at := goodChain[0].NotBefore.Add(time.Minute)
	if _, err := memo.Verify(goodChain[0], at); err != nil {
		t.Fatal(err)
	}
	// Same subject, same key, same validity: different bytes, other issuer.
	forged, _ := x509.ParseCertificate(evilChain[0].Raw)
	if _, err := memo.Verify(forged, at); err == nil {
		t.Fatal("certificate from an untrusted CA accepted after a memo hit")
	}
}
