package attach_test

import (
	"errors"
	"math/rand"
	"testing"

	"github.com/google/go-containerregistry/pkg/authn"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/random"
	"github.com/google/go-containerregistry/pkg/v1/remote"

	"github.com/ztci/ztci/attest"
	"github.com/ztci/ztci/attest/attach"
	"github.com/ztci/ztci/identity"
)

// A tag re-pushed between the job's push and Attest does not redirect the
// attestations: they name, and are attached to, the image the job built.
func TestAttestNamesTheBuiltImage(t *testing.T) {
	ctx := t.Context()
	tag, stop := exampleRegistry(true)
	defer stop()
	ps := newPrivateSigstore()
	built, err := random.Image(64, 1, random.WithSource(rand.NewSource(3)))
	if err != nil {
		t.Fatal(err)
	}
	if err := remote.Write(tag, built); err != nil {
		t.Fatal(err)
	}
	// Someone else re-pushes the tag (exampleRegistry's image).
	other, err := random.Image(64, 1, random.WithSource(rand.NewSource(4)))
	if err != nil {
		t.Fatal(err)
	}
	if err := remote.Write(tag, other); err != nil {
		t.Fatal(err)
	}
	signer, err := attest.NewCASigner(ps.ca.IssuerFor(identity.Identity{Issuer: "https://ci.example", Subject: "https://ci.example/release"}),
		attest.WithEmbeddedTimestampAuthority(ps.tsa.Handler()))
	if err != nil {
		t.Fatal(err)
	}
	preds := []attest.Predicate{
		attest.Custom(examplePredicate, []byte(`{"passed":true}`)),
		attest.Custom(examplePredicate, []byte(`{"passed":true,"suite":"e2e"}`)),
	}
	atts, err := attach.Attest(ctx, tag.Context(), built, signer, preds, attach.WithKeychain(authn.NewMultiKeychain()))
	if err != nil {
		t.Fatal(err)
	}
	want, err := built.Digest()
	if err != nil {
		t.Fatal(err)
	}
	if len(atts) != len(preds) {
		t.Fatalf("%d attachments for %d predicates", len(atts), len(preds))
	}
	for i, a := range atts {
		if a.Subject.DigestStr() != want.String() {
			t.Errorf("attachment %d names %s, want the built %s", i, a.Subject.DigestStr(), want)
		}
	}
}

// brokenImage cannot describe itself, as a lazily computed image whose
// layers fail to read.
type brokenImage struct{ v1.Image }

func (brokenImage) Digest() (v1.Hash, error) { return v1.Hash{}, errors.New("layer read failed") }

func TestAttestRefusesWhatItCannotName(t *testing.T) {
	tag, stop := exampleRegistry(true)
	defer stop()
	ps := newPrivateSigstore()
	signer, err := attest.NewCASigner(ps.ca.IssuerFor(identity.Identity{Issuer: "https://ci.example", Subject: "https://ci.example/release"}),
		attest.WithEmbeddedTimestampAuthority(ps.tsa.Handler()))
	if err != nil {
		t.Fatal(err)
	}
	img, err := random.Image(64, 1)
	if err != nil {
		t.Fatal(err)
	}
	pred := []attest.Predicate{attest.Custom(examplePredicate, []byte(`{}`))}
	for name, call := range map[string]func() ([]*attach.Attachment, error){
		"no predicates": func() ([]*attach.Attachment, error) {
			return attach.Attest(t.Context(), tag.Context(), img, signer, nil)
		},
		"nil predicate": func() ([]*attach.Attachment, error) {
			return attach.Attest(t.Context(), tag.Context(), img, signer, []attest.Predicate{nil})
		},
		"no signer": func() ([]*attach.Attachment, error) { return attach.Attest(t.Context(), tag.Context(), img, nil, pred) },
		"no image": func() ([]*attach.Attachment, error) {
			return attach.Attest(t.Context(), tag.Context(), nil, signer, pred)
		},
		"undescribable": func() ([]*attach.Attachment, error) {
			return attach.Attest(t.Context(), tag.Context(), brokenImage{img}, signer, pred)
		},
	} {
		atts, err := call()
		if !errors.Is(err, attach.ErrConfig) || len(atts) != 0 {
			t.Errorf("%s: %d attachments, err %v; want none and ErrConfig", name, len(atts), err)
		}
	}
}
