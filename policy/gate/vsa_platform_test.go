package gate_test

import (
	"slices"
	"strings"
	"testing"

	v1 "github.com/google/go-containerregistry/pkg/v1"

	"github.com/ztci/ztci/policy/gate"
	"github.com/ztci/ztci/policy/gate/gatetest"
	"github.com/ztci/ztci/verify/image"
)

// A summary vouches for the manifests its gate verified, and a trusting gate
// relies on it only if it covers every manifest that gate verifies: the
// index's platforms are attested one by one, and a gate that checked one
// platform must not stand in for a gate that checks all of them, or the
// index itself.
func TestVSAMultiPlatform(t *testing.T) {
	t.Parallel()
	ctx := t.Context()
	w := newVSAWorld(t)
	amd64 := v1.Platform{OS: "linux", Architecture: "amd64"}
	arm64 := v1.Platform{OS: "linux", Architecture: "arm64"}
	// Each case publishes an index of its own (a new build, new digests),
	// so no summary of one case is found by another.
	publish := func(t *testing.T, tag string) *gatetest.PublishedIndex {
		img, err := w.lab.PublishIndex(ctx, gatetest.Job{Ref: "refs/heads/main", Protected: true}, tag, amd64, arm64)
		if err != nil {
			t.Fatal(err)
		}
		return img
	}
	all := gate.WithImageOptions(image.WithAllPlatforms())
	onlyAMD64 := gate.WithImageOptions(image.WithPlatform(amd64))
	onlyARM64 := gate.WithImageOptions(image.WithPlatform(arm64))

	// issue has a gate with the platform option decide the index and
	// returns the summary it attached (to each manifest it verified).
	issue := func(t *testing.T, img *gatetest.PublishedIndex, platforms gate.Option) (gate.Decision, [][]byte) {
		var attached attachments
		a, _ := w.gate(t, discard(), platforms, gate.WithVSA(w.issuer(&attached)))
		d, err := a.Decide(ctx, w.request(t, img.Image))
		if err != nil || !d.Allowed || d.IssuedVSA == nil || d.Digest != img.Digest {
			t.Fatalf("issuing gate: %+v, %v", d, err)
		}
		return d, attached.all()
	}
	// trusting decides the index at a gate with the platform option that
	// trusts the issuing gate's revision.
	trusting := func(t *testing.T, img *gatetest.PublishedIndex, platforms gate.Option, rev string) gate.Decision {
		b, _ := w.gate(t, discard(), platforms, gate.WithTrustedVSAs(w.trustA(t, rev)))
		d, err := b.Decide(ctx, w.request(t, img.Image))
		if err != nil {
			t.Fatalf("trusting gate: %v", err)
		}
		return d
	}

	t.Run("all platforms", func(t *testing.T) {
		img := publish(t, "all")
		dA, bundles := issue(t, img, all)
		if len(bundles) != 2 || sha(bundles[0]) != sha(bundles[1]) {
			t.Fatalf("attached %d bundles, want one summary on each of the 2 platform manifests", len(bundles))
		}
		st, _ := summaryOf(t, bundles[0])
		var subjects []string
		for _, s := range st.Subject {
			subjects = append(subjects, "sha256:"+s.Digest["sha256"])
		}
		want := []string{img.Platforms["linux/amd64"], img.Platforms["linux/arm64"]}
		slices.Sort(subjects)
		slices.Sort(want)
		if !slices.Equal(subjects, want) {
			t.Fatalf("summary subjects %v, want the platform manifests %v", subjects, want)
		}
		if !strings.Contains(dA.IssuedVSA.Bundle, "sha256:") {
			t.Fatalf("issued %+v", dA.IssuedVSA)
		}
		if d := trusting(t, img, all, dA.PolicyRevision); !d.Allowed || d.VerdictSource != gate.VerdictVSA || d.Digest != img.Digest {
			t.Errorf("a gate verifying all platforms: %+v, want an allow on the summary", d)
		}
		if d := trusting(t, img, onlyARM64, dA.PolicyRevision); !d.Allowed || d.VerdictSource != gate.VerdictVSA {
			t.Errorf("a gate verifying arm64 only: %+v, want an allow on the summary (it covers arm64)", d)
		}
		// The index itself carries no attestation and no summary: the
		// gate that verifies it as itself verifies in full, and denies.
		if d := trusting(t, img, gate.WithImageOptions(), dA.PolicyRevision); d.Allowed || d.VerdictSource == gate.VerdictVSA {
			t.Errorf("a gate verifying the index itself: %+v, want a deny from full verification", d)
		}
	})

	t.Run("one platform", func(t *testing.T) {
		img := publish(t, "amd64")
		dA, bundles := issue(t, img, onlyAMD64)
		st, _ := summaryOf(t, bundles[0])
		if len(bundles) != 1 || len(st.Subject) != 1 || "sha256:"+st.Subject[0].Digest["sha256"] != img.Platforms["linux/amd64"] {
			t.Fatalf("attached %d bundles about %+v, want one about the amd64 manifest", len(bundles), st.Subject)
		}
		if d := trusting(t, img, onlyAMD64, dA.PolicyRevision); !d.Allowed || d.VerdictSource != gate.VerdictVSA {
			t.Errorf("a gate verifying amd64: %+v, want an allow on the summary", d)
		}
		// A summary of amd64 says nothing about arm64: both gates verify
		// the attestations instead (which allow: every platform is attested).
		for name, platforms := range map[string]gate.Option{"arm64": onlyARM64, "all platforms": all} {
			if d := trusting(t, img, platforms, dA.PolicyRevision); !d.Allowed || d.VerdictSource == gate.VerdictVSA || d.TrustedVSA != nil {
				t.Errorf("a gate verifying %s: %+v (verdict %s), want full verification", name, d, d.VerdictSource)
			}
		}
		// Nor about the index: a gate verifying the index itself verifies
		// in full (and denies: the index carries no attestation).
		if d := trusting(t, img, gate.WithImageOptions(), dA.PolicyRevision); d.Allowed || d.TrustedVSA != nil {
			t.Errorf("a gate verifying the index itself: %+v, want a deny from full verification", d)
		}
	})
}
