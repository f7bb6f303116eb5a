package image

import (
	"context"
	"errors"
	"fmt"

	v1 "github.com/google/go-containerregistry/pkg/v1"

	"github.com/ztci/ztci/verify"
)

// VerifyBundles adapts ztci's offline bundle verification to the
// BundleVerifier seam. A bundle is accepted when one of verifiers accepts it
// for the image digest; give one verify.Verifier per trusted signer (each
// with its own verify.Expectation) to require k of those n signers with
// WithThreshold(k), or one Verifier whose identity regexp admits several.
//
// The signer counted for k-of-n is the verified certificate identity (SAN
// and OIDC issuer) or, for keyed bundles, the key: "key " and the
// verify.KeyFingerprint of the key the accepting verify.Verifier pins
// (verify.Verifier.PinnedKey), so that one key is one signer however many
// of the verifiers pin it (with different expectations, say), as one
// certificate identity is. A bundle's own key hint is not trusted. A keyed
// bundle accepted through a verify.Verifier that pins no key (its trust
// material's keys, WithAnySignerUnsafe) counts as the key the material
// answered with (verify.SignerInfo.KeyFingerprint), whichever verifier
// accepted it and whatever hint named it.
//
// A certificate identity is its SAN, ref included: a SANRegexp that admits
// several refs or workflow files of one repository (".../app/.*") makes
// whoever can push a branch or tag to it as many signers as refs they
// push. For k-of-n, give each trusted signer its own Verifier with an
// exact SAN (ref included).
//
// Audit: each verify.Verifier made with verify.WithAudit writes one
// verify.bundle event per bundle it is asked about, and verifiers are
// asked in order until one accepts: a bundle accepted by the third writes
// two failures (one per verifier that refused it) and one success. These
// are per-bundle events, distinct from the Verifier's own per-image
// verdict (WithAudit, verify.image): see the package documentation. A
// verifier whose event its sink does not accept ends the bundle's
// verification with its verify.ErrAudit, even when a later verifier would
// have accepted it, and makes the image undecidable.
func VerifyBundles(verifiers ...*verify.Verifier) (BundleVerifier, error) {
	if len(verifiers) == 0 {
		return nil, fmt.Errorf("%w: VerifyBundles needs at least one verify.Verifier", ErrConfig)
	}
	for i, v := range verifiers {
		if v == nil {
			return nil, fmt.Errorf("%w: verify.Verifier %d is nil", ErrConfig, i)
		}
	}
	return verifyAdapter(verifiers), nil
}

type verifyAdapter []*verify.Verifier

func (va verifyAdapter) VerifyBundle(ctx context.Context, bundle []byte, artifact v1.Hash) (BundleResult, error) {
	a, err := verify.ArtifactDigest(artifact.Algorithm, artifact.Hex)
	if err != nil {
		return BundleResult{}, err
	}
	return va.verify(ctx, bundle, a)
}

func (va verifyAdapter) verify(ctx context.Context, bundle []byte, a verify.Artifact) (BundleResult, error) {
	var errs []error
	for i, v := range va {
		res, err := v.Verify(ctx, bundle, a)
		if errors.Is(err, verify.ErrAudit) {
			// This verifier's refusal left no trail: the attempt does
			// not count, and another verifier's success must not hide it.
			return BundleResult{}, err
		}
		if err != nil {
			errs = append(errs, err)
			continue
		}
		br := BundleResult{Result: res}
		if res.Statement != nil {
			br.PredicateType = res.Statement.PredicateType
		}
		switch res.Signer.Kind {
		case verify.SignerCertificate:
			br.Signer = res.Signer.Issuer + " " + res.Signer.SAN
		default:
			// Counted by index, two verifiers pinning one key (one for
			// provenance, one for a VSA) made its holder two signers of a
			// k-of-n threshold: the key is the signer, not the verifier.
			// Nor by the verifier that accepted it without pinning a
			// key (WithAnySignerUnsafe): one key's SLSA bundle accepted
			// by one and its VSA by another were two signers. The key
			// the trust material answered with is.
			switch fp, ok := v.PinnedKey(); {
			case ok:
				br.Signer = "key " + fp
			case res.Signer.KeyFingerprint != "":
				br.Signer = "key " + res.Signer.KeyFingerprint
			default:
				br.Signer = fmt.Sprintf("key #%d", i)
			}
		}
		return br, nil
	}
	return BundleResult{}, errors.Join(errs...)
}
