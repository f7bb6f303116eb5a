package attach

import (
	"context"
	"fmt"

	"github.com/google/go-containerregistry/pkg/name"
	"github.com/google/go-containerregistry/pkg/v1/partial"

	"github.com/ztci/ztci/attest"
)

// Attest signs one in-toto statement per predicate about the image or index
// a job built and pushed to repo, and attaches each bundle to it with
// [Bundle]. built is the job's own value (a go-containerregistry v1.Image or
// v1.ImageIndex): its manifest's digest, size and media type make the
// statement's subject and name the attachment's subject, so no tag is read.
// A tag re-pushed between the push and Attest cannot make the job attest,
// or attach its bundles to, an image it did not build.
//
// The attachments are returned in the order of preds. On error Attest stops
// and returns those already attached: they are attestations of built (a
// verifier's policy decides whether a partial set suffices). Signing errors
// are attest's ([attest.ErrInvalidStatement], [attest.ErrInvalidPredicate],
// the signer's); attaching errors are [Bundle]'s.
func Attest(ctx context.Context, repo name.Repository, built partial.Describable, s attest.Signer, preds []attest.Predicate, opts ...Option) ([]*Attachment, error) {
	if built == nil || s == nil || len(preds) == 0 {
		return nil, fmt.Errorf("%w: Attest needs the built image, a signer and at least one predicate", ErrConfig)
	}
	subject, digest, err := subjectOf(repo, built)
	if err != nil {
		return nil, err
	}
	var atts []*Attachment
	for _, p := range preds {
		if p == nil {
			return atts, fmt.Errorf("%w: nil predicate", ErrConfig)
		}
		st, err := attest.NewStatement([]attest.ResourceDescriptor{subject}, p)
		if err != nil {
			return atts, err
		}
		b, err := attest.Sign(ctx, s, st)
		if err != nil {
			return atts, err
		}
		att, err := Bundle(ctx, digest, b, opts...)
		if err != nil {
			return atts, err
		}
		atts = append(atts, att)
	}
	return atts, nil
}

// subjectOf returns the in-toto subject for built in repo, and its digest
// reference.
func subjectOf(repo name.Repository, built partial.Describable) (attest.ResourceDescriptor, name.Digest, error) {
	d, err := built.Digest()
	if err != nil {
		return attest.ResourceDescriptor{}, name.Digest{}, describeError("digest", err)
	}
	size, err := built.Size()
	if err != nil {
		return attest.ResourceDescriptor{}, name.Digest{}, describeError("size", err)
	}
	mt, err := built.MediaType()
	if err != nil {
		return attest.ResourceDescriptor{}, name.Digest{}, describeError("media type", err)
	}
	subject, err := attest.SubjectFromOCI(repo.Name(), attest.OCIDescriptor{MediaType: string(mt), Digest: d.String(), Size: size})
	if err != nil {
		return attest.ResourceDescriptor{}, name.Digest{}, fmt.Errorf("%w: %w", ErrConfig, err)
	}
	return subject, repo.Digest(d.String()), nil
}

// describeError reports that built could not describe itself (a lazily
// computed image whose layers cannot be read, say): nothing was signed.
func describeError(what string, err error) error {
	return fmt.Errorf("%w: the built image's %s: %w", ErrConfig, what, err)
}
