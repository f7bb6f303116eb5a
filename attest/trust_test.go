package attest_test

import (
	"errors"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/sigstore/sigstore-go/pkg/root"
	"github.com/sigstore/sigstore-go/pkg/verify"

	"github.com/ztci/ztci/attest"
	"github.com/ztci/ztci/attest/ca"
	"github.com/ztci/ztci/attest/tsa"
)

// TestRotationKeepsOldBundlesVerifiable signs before and after rotating both
// the CA and the TSA, reloads them from disk, and verifies both bundles with
// sigstore-go against one exported trusted root.
func TestRotationKeepsOldBundlesVerifiable(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	clk := &clock{t: time.Now().Add(-3 * time.Hour)}
	c, err := ca.New(ca.WithSubjectDomain(testIssuer, "https://ci.example"), ca.WithDir(filepath.Join(dir, "ca")), ca.WithClock(clk.Now))
	if err != nil {
		t.Fatal(err)
	}
	a, err := tsa.New(tsa.WithDir(filepath.Join(dir, "tsa")), tsa.WithClock(clk.Now))
	if err != nil {
		t.Fatal(err)
	}
	signAt := func(c *ca.CA, a *tsa.TSA) []byte {
		s, err := attest.NewCASigner(c.IssuerFor(testIdentity()), attest.WithEmbeddedTimestampAuthority(a.Handler()), attest.WithClock(clk.Now))
		if err != nil {
			t.Fatal(err)
		}
		b, err := attest.Sign(t.Context(), s, testStatement(t))
		if err != nil {
			t.Fatal(err)
		}
		return b
	}
	before := signAt(c, a)
	clk.t = clk.t.Add(time.Hour)
	if err := c.Rotate(); err != nil {
		t.Fatal(err)
	}
	if err := a.Rotate(); err != nil {
		t.Fatal(err)
	}
	clk.t = clk.t.Add(time.Minute)
	// Reload from disk, as a restarted service would.
	c2, err := ca.New(ca.WithSubjectDomain(testIssuer, "https://ci.example"), ca.WithDir(filepath.Join(dir, "ca")), ca.WithClock(clk.Now))
	if err != nil {
		t.Fatal(err)
	}
	a2, err := tsa.New(tsa.WithDir(filepath.Join(dir, "tsa")), tsa.WithClock(clk.Now))
	if err != nil {
		t.Fatal(err)
	}
	after := signAt(c2, a2)

	path := filepath.Join(dir, "trusted_root.json")
	if err := attest.NewTrustedRoot().AddEmbeddedCA("https://ca.example", c2).AddEmbeddedTSA("https://tsa.example", a2).WriteFile(path); err != nil {
		t.Fatal(err)
	}
	trJSON, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	tr, err := root.NewTrustedRootFromJSON(trJSON)
	if err != nil {
		t.Fatal(err)
	}
	if n := len(tr.FulcioCertificateAuthorities()); n != 2 {
		t.Fatalf("%d certificate authorities, want current and retired", n)
	}
	for name, b := range map[string][]byte{"before rotation": before, "after rotation": after} {
		if _, err := verifyBundle(t, b, trJSON, verify.WithSignedTimestamps(1)); err != nil {
			t.Errorf("%s: %v", name, err)
		}
	}
}

func TestTrustedRootErrors(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		tr   *attest.TrustedRoot
	}{
		{name: "empty", tr: attest.NewTrustedRoot()},
		{name: "CA without certificates", tr: attest.NewTrustedRoot().AddCertificateAuthority("x", nil, time.Now(), time.Time{})},
		{name: "TSA without root", tr: attest.NewTrustedRoot().AddTimestampAuthority("x", nil, time.Now(), time.Time{})},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			if _, err := tt.tr.MarshalJSON(); !errors.Is(err, attest.ErrTrustedRoot) {
				t.Fatalf("got %v, want ErrTrustedRoot", err)
			}
		})
	}
}
