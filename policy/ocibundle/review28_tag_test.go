package ocibundle_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/google/go-containerregistry/pkg/authn"
	"github.com/google/go-containerregistry/pkg/name"
	"github.com/google/go-containerregistry/pkg/v1/remote"

	"github.com/ztci/ztci/attest"
	"github.com/ztci/ztci/attest/attach"
	"github.com/ztci/ztci/policy"
	"github.com/ztci/ztci/policy/ocibundle"
	"github.com/ztci/ztci/verify"
)

// signForTags attaches to target a statement about target whose subject
// names its repository once per tag, annotated with the tag (none: one
// subject without annotation, as cosign attest writes it).
func signForTags(t testing.TB, s attest.Signer, target name.Digest, tags ...string) {
	t.Helper()
	ctx := context.Background()
	d, err := remote.Head(target)
	if err != nil {
		t.Fatal(err)
	}
	sub, err := attest.SubjectFromOCI(target.Context().Name(), attest.OCIDescriptor{MediaType: string(d.MediaType), Digest: d.Digest.String(), Size: d.Size})
	if err != nil {
		t.Fatal(err)
	}
	subjects := []attest.ResourceDescriptor{sub}
	if len(tags) > 0 {
		subjects = nil
		for _, tag := range tags {
			s := sub
			s.Annotations = map[string]any{ocibundle.RefNameAnnotation: tag}
			subjects = append(subjects, s)
		}
	}
	st, err := attest.NewStatement(subjects, attest.Custom(predicate, []byte(`{"purpose":"policy"}`)))
	if err != nil {
		t.Fatal(err)
	}
	b, err := attest.Sign(ctx, s, st)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := attach.Bundle(ctx, target, b, attach.WithKeychain(authn.NewMultiKeychain()),
		attach.WithRetryBackoff(remote.Backoff{Duration: time.Millisecond, Factor: 2, Steps: 2})); err != nil {
		t.Fatal(err)
	}
}

// TestReview28TagBinding: a signature named the repository but not the
// tag, so whoever can push to the repository could point the prod tag at
// the bundle the publisher signed for staging (a permissive policy under
// test), and, staging being signed after prod's bundle, it passed the
// rollback floor and loaded for prod. With WithTagBinding the signed
// subject must be annotated with the Source's tag
// (org.opencontainers.image.ref.name): the staging bundle is refused
// (ErrTag inside ErrUnverified), its signature does not count for the
// floor, and a bundle signed for both tags (a promotion) loads.
func TestReview28TagBinding(t *testing.T) {
	t.Parallel()
	l := newRollbackLab(t)
	repo := l.tag.Context()
	prod, staging := repo.Tag("prod"), repo.Tag("staging")
	signer := l.ss.certSigner(t, publisher)

	pd := pushBundle(t, prod, denyAll, "prod-1")
	signForTags(t, signer, pd, "prod")
	src := l.ss.source(t, prod, publisherID, ocibundle.WithTagBinding())
	e := newEngine(t, src)

	sd := pushBundle(t, staging, allowAll, "staging-1")
	signForTags(t, signer, sd, "staging")
	if _, err := l.ss.source(t, staging, publisherID, ocibundle.WithTagBinding()).Load(t.Context()); err != nil {
		t.Fatalf("staging loads its own bundle: %v", err)
	}

	// The attacker points prod at the staging bundle.
	if err := remote.Tag(prod, mustGet(t, sd)); err != nil {
		t.Fatal(err)
	}
	err := e.Reload(t.Context())
	if !errors.Is(err, ocibundle.ErrTag) || !errors.Is(err, ocibundle.ErrUnverified) || !errors.Is(err, policy.ErrLoad) {
		t.Fatalf("staging bundle under the prod tag: got %v, want ErrTag", err)
	}
	if dec, err := e.Evaluate(t.Context(), policy.Input{}); err != nil || dec.Allowed {
		t.Fatalf("prod policy after the refusal: %+v %v, want prod-1 (deny) in force", dec, err)
	}
	// Without the option the tag is not bound (the documented default).
	if _, err := l.ss.source(t, prod, publisherID).Load(t.Context()); err != nil {
		t.Errorf("unbound Source: %v", err)
	}
	// A subject with no annotation (cosign attest) does not count either.
	nd := pushBundle(t, prod, allowAll, "unannotated")
	signForTags(t, signer, nd)
	if _, err := l.ss.source(t, prod, publisherID, ocibundle.WithTagBinding()).Load(t.Context()); !errors.Is(err, ocibundle.ErrTag) {
		t.Errorf("unannotated subject: got %v, want ErrTag", err)
	}

	// Promotion: the publisher signs the staging bundle for prod too.
	if err := remote.Tag(prod, mustGet(t, sd)); err != nil {
		t.Fatal(err)
	}
	signForTags(t, signer, sd, "staging", "prod")
	if err := e.Reload(t.Context()); err != nil {
		t.Fatalf("promoted bundle: %v", err)
	}
}

// TestReview28TagBindingConfig: tag binding needs a tag and a statement
// that names the repository.
func TestReview28TagBindingConfig(t *testing.T) {
	t.Parallel()
	ss := newSigstore(t)
	for _, tc := range []struct {
		name string
		ref  string
		opts []ocibundle.Option
	}{
		{"digest", "registry.example/policies@sha256:" + "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef", nil},
		{"unscoped", "registry.example/policies:prod", []ocibundle.Option{ocibundle.WithUnscopedSignatures()}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			opts := append([]ocibundle.Option{ocibundle.WithTagBinding()}, tc.opts...)
			ref, err := name.ParseReference(tc.ref)
			if err != nil {
				t.Fatal(err)
			}
			if _, err := ocibundle.New(ref, ss.trust, expectation(), testOpts(opts...)...); !errors.Is(err, ocibundle.ErrConfig) {
				t.Errorf("got %v, want ErrConfig", err)
			}
		})
	}
}

func mustGet(t testing.TB, d name.Digest) *remote.Descriptor {
	t.Helper()
	desc, err := remote.Get(d)
	if err != nil {
		t.Fatal(err)
	}
	return desc
}

func expectation() verify.Expectation {
	return verify.Expectation{Signer: publisherID, PredicateType: predicate}
}
