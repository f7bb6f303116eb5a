package gate_test

import (
	"testing"

	"github.com/google/go-containerregistry/pkg/name"
	"github.com/google/go-containerregistry/pkg/v1/remote"

	"github.com/ztci/ztci/policy/gate"
)

// TestReview5VSAOfAnotherRepositoryIgnored: gate A verifies acme/app@D and
// issues its summary there (resourceUri "pkg:oci/app@D?repository_url=
// <registry>/acme/app"). The same manifest pushed to acme/copy, with A's
// summary copied beside it and none of the attestations, is not decided
// on that summary: it is about another repository, whose attestations A
// verified; acme/copy has none, and full verification denies.
func TestReview5VSAOfAnotherRepositoryIgnored(t *testing.T) {
	t.Parallel()
	ctx := t.Context()
	w := newVSAWorld(t)
	img, dA, attached := w.summarisedMain(t)

	src, err := name.NewDigest(img.Name+"@"+img.Digest, name.StrictValidation)
	if err != nil {
		t.Fatal(err)
	}
	m, err := remote.Image(src, remote.WithContext(ctx))
	if err != nil {
		t.Fatal(err)
	}
	copyTag, err := name.NewTag(w.lab.Registry()+"/acme/copy:v1", name.StrictValidation)
	if err != nil {
		t.Fatal(err)
	}
	if err := remote.Write(copyTag, m, remote.WithContext(ctx)); err != nil {
		t.Fatal(err)
	}
	if err := gate.RegistryAttacher().Attach(ctx, copyTag.Context().Digest(img.Digest), attached.all()[0]); err != nil {
		t.Fatal(err)
	}

	b, _ := w.gate(t, discard(), gate.WithTrustedVSAs(w.trustA(t, dA.PolicyRevision)))
	d, err := b.Decide(ctx, w.request(t, copyTag.String()))
	if err != nil || d.Allowed || d.TrustedVSA != nil {
		t.Fatalf("Decide(%s) = %s (trusted %+v), %v; want the summary of acme/app ignored and a deny by full verification",
			copyTag, d, d.TrustedVSA, err)
	}
	// The summary still answers for the repository it is about.
	d, err = b.Decide(ctx, w.request(t, img.Image))
	if err != nil || !d.Allowed || d.TrustedVSA == nil {
		t.Fatalf("Decide(%s) = %s, %v; want an allow on A's summary", img.Image, d, err)
	}
}
