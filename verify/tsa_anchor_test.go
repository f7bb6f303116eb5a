package verify_test

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/sigstore/sigstore-go/pkg/bundle"
	"github.com/sigstore/sigstore-go/pkg/root"

	"github.com/ztci/ztci/attest"
	"github.com/ztci/ztci/attest/tsa"
	"github.com/ztci/ztci/verify"
)

// TestAnchoredTSAAgreesWithSigstore compares every timestamp authority of a
// Trust with sigstore-go's plain one on every RFC 3161 timestamp found in
// the conformance bundles (trusted, untrusted, outside validity, payload
// mismatch, with and without embedded certificates), against every trusted
// root there, and on timestamps from attest's TSA under validFor windows
// that include or exclude them.
func TestAnchoredTSAAgreesWithSigstore(t *testing.T) {
	t.Parallel()
	var stamps []stamp
	roots := map[string]root.TrustedMaterial{}
	pg, err := verify.PublicGood()
	if err != nil {
		t.Fatal(err)
	}
	roots["public-good"] = pg
	entries, err := os.ReadDir(conformanceDir)
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range entries {
		dir := filepath.Join(conformanceDir, e.Name())
		if b, err := os.ReadFile(filepath.Join(dir, "trusted_root.json")); err == nil {
			if tm, err := verify.ParseTrustedRoot(b); err == nil {
				roots[e.Name()] = tm
			}
		}
		b, err := os.ReadFile(filepath.Join(dir, "bundle.sigstore.json"))
		if err != nil {
			continue
		}
		var bun bundle.Bundle
		if bun.UnmarshalJSON(b) != nil {
			continue
		}
		tss, _ := bun.Timestamps()
		sc, err := bun.SignatureContent()
		if err != nil {
			continue
		}
		for _, ts := range tss {
			stamps = append(stamps, stamp{ts, sc.Signature()})
		}
	}
	// attest's TSA, timestamping a signature now.
	a, err := tsa.New()
	if err != nil {
		t.Fatal(err)
	}
	now := time.Now()
	for name, window := range map[string][2]time.Time{
		"open":           {now.Add(-time.Hour), {}},
		"ended":          {now.Add(-2 * time.Hour), now.Add(-time.Hour)},
		"not yet":        {now.Add(time.Hour), {}},
		"inclusive past": {now.Add(-time.Hour), now.Add(time.Hour)},
	} {
		chain := a.Authorities()[0].Chain
		trJSON, err := attest.NewTrustedRoot().AddTimestampAuthority("https://tsa.example", chain, window[0], window[1]).MarshalJSON()
		if err != nil {
			t.Fatal(err)
		}
		tm, err := verify.ParseTrustedRoot(trJSON)
		if err != nil {
			t.Fatal(err)
		}
		roots["attest-tsa-"+name] = tm
	}
	stamps = append(stamps, attestStamps(t, a)...)
	if len(stamps) < 10 {
		t.Fatalf("only %d timestamps found", len(stamps))
	}
	accepted := 0
	for name, tm := range roots {
		trust, err := verify.NewTrust(tm)
		if err != nil {
			t.Fatal(err)
		}
		ours, raw := trust.TimestampingAuthorities(), tm.TimestampingAuthorities()
		for i := range raw {
			for j, s := range stamps {
				_, errOurs := ours[i].Verify(s.ts, s.sig)
				_, errRaw := raw[i].Verify(s.ts, s.sig)
				if (errOurs == nil) != (errRaw == nil) {
					t.Errorf("root %s TSA %d stamp %d: ours err=%v, sigstore-go err=%v", name, i, j, errOurs, errRaw)
				}
				if errRaw == nil {
					accepted++
				}
			}
		}
	}
	if accepted == 0 {
		t.Fatal("no timestamp accepted anywhere: the comparison proves nothing")
	}
	t.Logf("%d timestamps × %d roots, %d accepted by both", len(stamps), len(roots), accepted)
}

// attestStamps signs a bundle with attest's key signer and the given TSA and
// returns its timestamp with the signature it covers.
func attestStamps(t *testing.T, a *tsa.TSA) []stamp {
	t.Helper()
	e := &embedded{tsa: a}
	key := mustKey(t)
	s, err := attest.NewKeySigner(key, attest.WithEmbeddedTimestampAuthority(e.tsa.Handler()))
	if err != nil {
		t.Fatal(err)
	}
	b, err := attest.Sign(t.Context(), s, rtStatement(t, rtArtifact))
	if err != nil {
		t.Fatal(err)
	}
	var bun bundle.Bundle
	if err := bun.UnmarshalJSON(b); err != nil {
		t.Fatal(err)
	}
	tss, _ := bun.Timestamps()
	sc, _ := bun.SignatureContent()
	var out []stamp
	for _, ts := range tss {
		out = append(out, stamp{ts, sc.Signature()})
		// The same timestamp over another signature must fail in both.
		out = append(out, stamp{ts, append([]byte("x"), sc.Signature()...)})
	}
	return out
}

func mustKey(t *testing.T) *ecdsa.PrivateKey {
	t.Helper()
	k, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	return k
}

// stamp is an RFC 3161 timestamp and the signature it covers.
type stamp struct{ ts, sig []byte }
