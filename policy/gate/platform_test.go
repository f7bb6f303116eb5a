package gate_test

import (
	"errors"
	"log/slog"
	"maps"
	"slices"
	"testing"
	"time"

	"github.com/google/go-containerregistry/pkg/name"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/empty"
	"github.com/google/go-containerregistry/pkg/v1/mutate"
	"github.com/google/go-containerregistry/pkg/v1/random"
	"github.com/google/go-containerregistry/pkg/v1/remote"
	"github.com/google/go-containerregistry/pkg/v1/types"

	"github.com/ztci/ztci/attest"
	"github.com/ztci/ztci/attest/vsa"
	"github.com/ztci/ztci/attest/vuln"
	"github.com/ztci/ztci/identity"
	"github.com/ztci/ztci/policy/gate"
	"github.com/ztci/ztci/policy/gate/gatetest"
	"github.com/ztci/ztci/verify/image"
)

// mixedIndex pushes, under tag, an index of a build of the Lab's release
// job (SLSA provenance and SBOM attached, as for linux/amd64) and an
// arm64 manifest that carries only an SBOM signed by the release workflow:
// what anyone who can push to the repository and get an SBOM signed (a
// scanning or SBOM service signs what it is given) can assemble. It
// returns the index and the digest of the arm64 manifest.
func mixedIndex(t *testing.T, w *vsaWorld, tag string) (*gatetest.PublishedIndex, string) {
	t.Helper()
	ctx := t.Context()
	main := gatetest.Job{Ref: "refs/heads/main", Protected: true}
	good, err := w.lab.Publish(ctx, main, tag+"-amd64")
	if err != nil {
		t.Fatal(err)
	}
	repo, err := name.NewRepository(good.Name)
	if err != nil {
		t.Fatal(err)
	}
	other, err := random.Image(256, 1)
	if err != nil {
		t.Fatal(err)
	}
	otherTag := repo.Tag(tag + "-arm64")
	if err := remote.Write(otherTag, other, remote.WithContext(ctx)); err != nil {
		t.Fatal(err)
	}
	otherDigest, err := other.Digest()
	if err != nil {
		t.Fatal(err)
	}
	sbomOnly := &gatetest.Published{Image: otherTag.String(), Name: repo.Name(), Digest: otherDigest.String()}
	if err := w.lab.Attach(ctx, main, sbomOnly, func(identity.Identity) (attest.Predicate, error) {
		return attest.CycloneDX([]byte(`{"bomFormat":"CycloneDX","specVersion":"1.5","version":1}`)), nil
	}); err != nil {
		t.Fatal(err)
	}
	return indexOf(t, tag, map[string]*gatetest.Published{"linux/amd64": good, "linux/arm64": sbomOnly}), otherDigest.String()
}

// indexOf pushes, under tag in their repository, an OCI index of the
// images published (by platform, "os/arch"), with what each carries.
func indexOf(t *testing.T, tag string, images map[string]*gatetest.Published) *gatetest.PublishedIndex {
	t.Helper()
	ctx := t.Context()
	idx := mutate.IndexMediaType(empty.Index, types.OCIImageIndex)
	p := &gatetest.PublishedIndex{Platforms: map[string]string{}}
	var repo name.Repository
	for _, pl := range slices.Sorted(maps.Keys(images)) {
		img := images[pl]
		r, err := name.NewRepository(img.Name)
		if err != nil {
			t.Fatal(err)
		}
		repo = r
		m, err := remote.Image(repo.Digest(img.Digest), remote.WithContext(ctx))
		if err != nil {
			t.Fatal(err)
		}
		platform, err := v1.ParsePlatform(pl)
		if err != nil {
			t.Fatal(err)
		}
		idx = mutate.AppendManifests(idx, mutate.IndexAddendum{Add: m, Descriptor: v1.Descriptor{Platform: platform}})
		p.Platforms[pl] = img.Digest
		p.Bundles = append(p.Bundles, img.Bundles...)
	}
	ref := repo.Tag(tag)
	if err := remote.WriteIndex(ref, idx, remote.WithContext(ctx)); err != nil {
		t.Fatal(err)
	}
	d, err := idx.Digest()
	if err != nil {
		t.Fatal(err)
	}
	p.Image, p.Name, p.Digest = ref.String(), repo.Name(), d.String()
	return p
}

// A gate that verifies every platform manifest of an index decides on each:
// a requirement of its policy (here SLSA provenance) is met only when every
// manifest meets it, never by the attestations of another platform. A node
// of the platform without provenance would run what no trusted build made.
func TestEveryPlatformMeetsThePolicy(t *testing.T) {
	t.Parallel()
	w := newVSAWorld(t)
	img, arm64 := mixedIndex(t, w, "mixed")
	all := gate.WithImageOptions(image.WithAllPlatforms())

	g, p := w.gate(t, discard(), all)
	d, err := g.Decide(t.Context(), w.request(t, img.Image))
	if err != nil {
		t.Fatal(err)
	}
	if d.Allowed || !slices.Contains(d.Rules(), "deploy.provenance_missing") {
		t.Fatalf("index whose arm64 manifest has no provenance: %v (rules %v), want a deny naming deploy.provenance_missing", d, d.Rules())
	}
	if d.Digest != img.Digest {
		t.Errorf("decision digest %s, want the index %s", d.Digest, img.Digest)
	}
	// Policy saw each platform manifest as an artifact of its own, with
	// its own attestations.
	in := p.seen()[0]
	var digests []string
	for _, a := range in.Artifacts {
		digests = append(digests, a.Digest)
		var types []string
		for _, att := range a.Attestations {
			types = append(types, att.PredicateType)
		}
		if a.Digest == arm64 && slices.Contains(types, attest.PredicateSLSAProvenanceV1) {
			t.Errorf("the arm64 manifest's policy input holds provenance: %v", types)
		}
	}
	slices.Sort(digests)
	want := []string{img.Platforms["linux/amd64"], arm64}
	slices.Sort(want)
	if !slices.Equal(digests, want) {
		t.Errorf("policy artifacts %v, want the platform manifests %v", digests, want)
	}

	// A gate verifying amd64 only decides on amd64, which is attested.
	amd, _ := w.gate(t, discard(), gate.WithImageOptions(image.WithPlatform(v1.Platform{OS: "linux", Architecture: "amd64"})))
	if d, err := amd.Decide(t.Context(), w.request(t, img.Image)); err != nil || !d.Allowed {
		t.Errorf("amd64 only: %v, %v; want an allow", d, err)
	}
	// And an index whose every platform is attested is allowed.
	both, err := w.lab.PublishIndex(t.Context(), gatetest.Job{Ref: "refs/heads/main", Protected: true}, "both",
		v1.Platform{OS: "linux", Architecture: "amd64"}, v1.Platform{OS: "linux", Architecture: "arm64"})
	if err != nil {
		t.Fatal(err)
	}
	if d, err := g.Decide(t.Context(), w.request(t, both.Image)); err != nil || !d.Allowed || d.Digest != both.Digest {
		t.Errorf("every platform attested: %v, %v; want an allow of %s", d, err, both.Digest)
	}
}

// A summary of an index verified platform by platform keeps each fact with
// the manifest it was verified for, and a trusting gate decides on each
// platform manifest as full verification does: its policy requiring a
// scan is not met on arm64 by the scan of amd64, on the summary either.
func TestVSAFactsStayWithTheirPlatform(t *testing.T) {
	t.Parallel()
	ctx := t.Context()
	w := newVSAWorld(t)
	main := gatetest.Job{Ref: "refs/heads/main", Protected: true}
	amd, err := w.lab.Publish(ctx, main, "facts-amd64")
	if err != nil {
		t.Fatal(err)
	}
	scan := vuln.Predicate(vuln.Scan{Scanner: vuln.Scanner{Name: "trivy", Version: "0.58.0", URI: "pkg:github/aquasecurity/trivy"}, Time: time.Now().UTC()})
	if err := w.lab.Attach(ctx, main, amd, func(identity.Identity) (attest.Predicate, error) { return scan, nil }); err != nil {
		t.Fatal(err)
	}
	arm, err := w.lab.Publish(ctx, main, "facts-arm64")
	if err != nil {
		t.Fatal(err)
	}
	img := indexOf(t, "facts", map[string]*gatetest.Published{"linux/amd64": amd, "linux/arm64": arm})
	vs, err := w.lab.ReleaseVerifiers(false)
	if err != nil {
		t.Fatal(err)
	}
	all := gate.WithImageOptions(image.WithAllPlatforms())

	// Gate A requires no scan: every platform has provenance, it allows
	// and issues its summary of both manifests, and its result, which
	// lists no control that needs a scan: arm64 has none.
	var attached attachments
	a, _ := w.gateWith(t, vs, w.lab.PolicyConfig(), discard(), all, gate.WithVSA(w.issuer(&attached)), gate.WithSVR(w.svrIssuer(t, &attached)))
	dA, err := a.Decide(ctx, w.request(t, img.Image))
	if err != nil || !dA.Allowed || dA.IssuedVSA == nil || dA.IssuedSVR == nil {
		t.Fatalf("issuing gate: %v, %v", dA, err)
	}
	const scanControl = "SSDF-RV.1.1" // needs vulnerability-scan evidence
	if slices.Contains(dA.IssuedSVR.Properties, scanControl) {
		t.Errorf("result about both platforms lists %s, which only amd64's evidence passes: %v", scanControl, dA.IssuedSVR.Properties)
	}
	amdOnly, _ := w.gateWith(t, vs, w.lab.PolicyConfig(), discard(),
		gate.WithImageOptions(image.WithPlatform(v1.Platform{OS: "linux", Architecture: "amd64"})), gate.WithSVR(w.svrIssuer(t, &attached)))
	if d, err := amdOnly.Decide(ctx, w.request(t, img.Image)); err != nil || d.IssuedSVR == nil || !slices.Contains(d.IssuedSVR.Properties, scanControl) {
		t.Errorf("result about amd64: %v, %v; want it to list %s", d.IssuedSVR, err, scanControl)
	}

	requireScan := w.lab.PolicyConfig()
	requireScan.Deploy.RequireScan = true
	full, _ := w.gateWith(t, vs, requireScan, discard(), all)
	want, err := full.Decide(ctx, w.request(t, img.Image))
	if err != nil || want.Allowed || !slices.Equal(want.Rules(), []string{"deploy.scan_missing"}) {
		t.Fatalf("full verification requiring a scan: %v (rules %v), %v; want a deny by deploy.scan_missing (arm64 has none)", want, want.Rules(), err)
	}
	b, _ := w.gateWith(t, vs, requireScan, discard(), all, gate.WithTrustedVSAs(w.trustA(t, dA.PolicyRevision)))
	d, err := b.Decide(ctx, w.request(t, img.Image))
	if err != nil || d.Allowed || d.TrustedVSA != nil || !slices.Equal(d.Rules(), want.Rules()) {
		t.Fatalf("trusting gate requiring a scan: %v (rules %v), %v; want full verification's deny", d, d.Rules(), err)
	}

	// A trusting gate without that requirement decides on the summary,
	// each platform manifest with its own facts.
	c, pol := w.gateWith(t, vs, w.lab.PolicyConfig(), discard(), all, gate.WithTrustedVSAs(w.trustA(t, dA.PolicyRevision)))
	d, err = c.Decide(ctx, w.request(t, img.Image))
	if err != nil || !d.Allowed || d.TrustedVSA == nil || d.Digest != img.Digest {
		t.Fatalf("trusting gate: %v, %v; want an allow on the summary", d, err)
	}
	in := pol.seen()[0]
	if len(in.Artifacts) != 2 {
		t.Fatalf("policy saw %d artifacts, want one per platform manifest", len(in.Artifacts))
	}
	for _, art := range in.Artifacts {
		var scans int
		for _, att := range art.Attestations {
			if att.PredicateType == vuln.PredicateType {
				scans++
			}
		}
		if want := map[string]int{amd.Digest: 1, arm.Digest: 0}[art.Digest]; scans != want || art.VSA == nil {
			t.Errorf("artifact %s: %d scans (want %d), summary %+v", art.Digest, scans, want, art.VSA)
		}
	}

	// A newer summary of both manifests whose facts do not say which
	// manifest they are about (as gates wrote them before) cannot be
	// split by manifest: it is not relied on, and the gate takes gate A's.
	var issued []byte
	for _, b := range attached.all() {
		if sha(b) == dA.IssuedVSA.Bundle {
			issued = b
		}
	}
	st, sum := summaryOf(t, issued)
	for _, in := range sum.InputAttestations {
		delete(in.Annotations, gate.VSAAnnotationManifest)
	}
	sum.TimeVerified = time.Now()
	unplaced, err := attest.NewStatement(st.Subject, vsa.Predicate(*sum))
	if err != nil {
		t.Fatal(err)
	}
	signer, err := attest.NewKeySigner(w.key, attest.WithEmbeddedTimestampAuthority(w.tsa.Handler()))
	if err != nil {
		t.Fatal(err)
	}
	b2, err := attest.Sign(ctx, signer, unplaced)
	if err != nil {
		t.Fatal(err)
	}
	attach(t, amd, b2)
	attach(t, arm, b2)
	logs := &reasons{}
	e, _ := w.gateWith(t, vs, requireScan, discard(), all, gate.WithTrustedVSAs(w.trustA(t, dA.PolicyRevision)), gate.WithLogger(slog.New(logs)))
	d, err = e.Decide(ctx, w.request(t, img.Image))
	if err != nil || d.Allowed || (d.TrustedVSA != nil && d.TrustedVSA.Bundle == sha(b2)) || !logs.contain(gate.ErrVSAPolicyInput) {
		t.Fatalf("summary of two manifests with unplaced facts: %v (summary %+v), %v, reasons %v; want it ignored", d, d.TrustedVSA, err, logs.all())
	}
}

// A reference naming a tag and a digest ("repo:v1@sha256:…") is pulled by
// its digest: containerd (reference.ParseDockerRef) and go-containerregistry
// drop the tag. The gate must pin, verify and report that digest, never
// what the tag names: here v1 names an attested image, and the digest an
// unattested one that a node would run.
func TestTagBesideDigestIsDecidedOnTheDigest(t *testing.T) {
	t.Parallel()
	ctx := t.Context()
	w := newVSAWorld(t)
	good := w.publishMain(t)
	repo, err := name.NewRepository(good.Name)
	if err != nil {
		t.Fatal(err)
	}
	other, err := random.Image(256, 1)
	if err != nil {
		t.Fatal(err)
	}
	if err := remote.Write(repo.Tag("other"), other, remote.WithContext(ctx)); err != nil {
		t.Fatal(err)
	}
	od, err := other.Digest()
	if err != nil {
		t.Fatal(err)
	}
	g, _ := w.gate(t, discard())
	d, err := g.Decide(ctx, w.request(t, good.Image+"@"+od.String()))
	if err != nil || d.Allowed || d.Verified || d.Digest != od.String() {
		t.Errorf("v1@<unattested digest>: %s verified=%v, %v; want a deny of %s", d, d.Verified, err, od)
	}
	d, err = g.Decide(ctx, w.request(t, repo.Tag("other").String()+"@"+good.Digest))
	if err != nil || !d.Allowed || d.Digest != good.Digest {
		t.Errorf("other@<attested digest>: %s, %v; want an allow of %s", d, err, good.Digest)
	}
}

// An index entry is for a platform when a runtime runs it there, however
// it is spelt: containerd reads "Linux/x86_64" as linux/amd64 and runs the
// first entry that matches. A gate verifying linux/amd64 skipped that
// entry (compared byte for byte) and allowed the index on the attested
// "linux/amd64" listed after it, which no amd64 node would run.
func TestPlatformSpellingCannotHideAManifest(t *testing.T) {
	t.Parallel()
	ctx := t.Context()
	w := newVSAWorld(t)
	good := w.publishMain(t)
	repo, err := name.NewRepository(good.Name)
	if err != nil {
		t.Fatal(err)
	}
	evil, err := random.Image(256, 1)
	if err != nil {
		t.Fatal(err)
	}
	if err := remote.Write(repo.Tag("evil"), evil, remote.WithContext(ctx)); err != nil {
		t.Fatal(err)
	}
	ed, err := evil.Digest()
	if err != nil {
		t.Fatal(err)
	}
	img := indexOf(t, "spelt", map[string]*gatetest.Published{"linux/amd64": good,
		"Linux/x86_64": {Image: repo.Tag("evil").String(), Name: repo.Name(), Digest: ed.String()}})
	amd, _ := w.gate(t, discard(), gate.WithImageOptions(image.WithPlatform(v1.Platform{OS: "linux", Architecture: "amd64"})))
	d, err := amd.Decide(ctx, w.request(t, img.Image))
	if d.Allowed || !errors.Is(err, image.ErrPlatformAmbiguous) {
		t.Errorf("index listing Linux/x86_64 before linux/amd64: %s, %v; want undecided (ErrPlatformAmbiguous)", d, err)
	}
}
