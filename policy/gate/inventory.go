package gate

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"

	"github.com/google/go-containerregistry/pkg/name"

	"github.com/ztci/ztci/attest/inventory"
	"github.com/ztci/ztci/identity"
	"github.com/ztci/ztci/policy"
	"github.com/ztci/ztci/verify"
)

// ErrNotIndexed: policy allowed the artifact but its admission could not be
// recorded in the inventory (see [WithInventory]) — the store failed, or a
// verified SBOM could not be read. The decision is a deny: an admission
// that cannot be indexed would be invisible to incident response.
var ErrNotIndexed = fmt.Errorf("%w: admission not indexed", ErrUndecided)

// WithInventory records every allowed decision in s before it is audited as
// an allow: the artifact digest, the image reference, the SLSA builders of
// the verified provenances, the job, the policy revision, the decision id
// (the audit event id), the packages of the verified SBOM attestations
// (SPDX 2.x or CycloneDX 1.4–1.6; never a rejected or revoked attestation),
// the signers of the verified attestations the decision relied on (issuer
// and SAN, or key hint), and the policy input the decision was evaluated
// on, so that a signer revocation or a policy revision can find and
// re-evaluate it (package drift). An input larger than
// [inventory.MaxPolicyInput] is not kept (logged; the admission is still
// recorded, and a policy revision reports it as not re-evaluable). Denied
// decisions are not recorded.
//
// Fail closed: when s refuses the admission, or a verified SBOM does not
// read (a malformed package URL, an unsupported format version), the
// decision is a deny with an error wrapping [ErrNotIndexed] (so
// [ErrUndecided]), audited like every undecidable request. A record that
// succeeded before the audit sink failed stays in the index, so the index
// may name a decision that was not allowed, never miss one that was: the
// audit log is the authority on what was allowed.
func WithInventory(s inventory.Store) Option {
	return func(c *config) error {
		if s == nil {
			return fmt.Errorf("%w: nil inventory store", ErrConfig)
		}
		c.inventory = s
		return nil
	}
}

// recordAdmission records an allowed decision about art in the inventory,
// when one is configured; in is the policy input it was evaluated on, ref
// the request's image as parseImage read it (registry host in lower case,
// defaults written out, as "index.docker.io/library/alpine:3", so that the
// inventory holds one spelling of an image, as policy, the audit log and
// the summaries do), nil for inline bundles.
func (g *Gate) recordAdmission(ctx context.Context, id identity.Identity, ref name.Reference, art policy.Artifact, in policy.Input, verified []*verify.Result, revision, decisionID string) error {
	if g.cfg.inventory == nil {
		return nil
	}
	a, err := Admission(art, verified)
	if err != nil {
		// The artifact's own SBOM does not read: its pusher's mistake,
		// described (inventory quotes and bounds what it cites).
		g.cfg.log.ErrorContext(ctx, "allowed admission could not be indexed; denying", "digest", art.Digest, "err", err)
		return fmt.Errorf("%w: %w", ErrNotIndexed, err)
	}
	a.DecisionID, a.Job, a.PolicyRevision, a.Time = decisionID, id.ID(), revision, g.cfg.now().UTC()
	if ref != nil {
		a.Image = ref.Name()
	}
	// The document decideFor evaluated (after markLeases: one artifact,
	// or one per platform manifest). policy.Input holds no secret values.
	if a.PolicyInput, err = json.Marshal(in); err == nil && len(a.PolicyInput) > inventory.MaxPolicyInput {
		g.cfg.log.WarnContext(ctx, "policy input too large to keep in the inventory; a policy revision cannot re-evaluate this admission",
			"digest", art.Digest, "bytes", len(a.PolicyInput), "max", inventory.MaxPolicyInput)
		a.PolicyInput = nil
	}
	if err == nil {
		err = g.cfg.inventory.Record(ctx, a)
	}
	if err != nil {
		// The store's error may carry its DSN with a password: withheld.
		return withhold(ErrNotIndexed, "allowed admission could not be indexed; denying", fmt.Errorf("%s: %w", art.Digest, err))
	}
	return nil
}

// Admission returns the inventory's view of an admitted artifact: its
// digest and name, the builders of its verified SLSA provenances (each
// once, in their order), the
// packages of every verified SBOM among verified (the attestations that
// counted for policy) and the signers of verified (issuer and SAN of a
// certificate, key hint of a keyed signature; duplicates merged). A
// verified SBOM that does not read is an error (wrapping
// [inventory.ErrInvalidSBOM]): indexing it partly would hide packages from
// incident response. The caller fills in the decision id, job, policy
// revision, policy input and time.
func Admission(art policy.Artifact, verified []*verify.Result) (inventory.Admission, error) {
	a := inventory.Admission{Digest: art.Digest, Image: art.Name}
	// Every provenance's builder, not only the first: a builder
	// revocation's query must find an artifact that builder built even
	// when another one built it too (or built it again).
	for _, att := range art.Attestations {
		if att.Provenance != nil && att.Provenance.BuilderID != "" && !slices.Contains(a.Builders, att.Provenance.BuilderID) {
			a.Builders = append(a.Builders, att.Provenance.BuilderID)
		}
	}
	for _, r := range verified {
		if r == nil {
			continue
		}
		if sg := (inventory.Signer{Issuer: r.Signer.Issuer, SAN: r.Signer.SAN, KeyID: keyID(r.Signer)}); (sg.SAN != "" || sg.KeyID != "") && !slices.Contains(a.Signers, sg) {
			a.Signers = append(a.Signers, sg)
		}
		if r.Statement == nil || !inventory.IsSBOM(r.Statement.PredicateType) {
			continue
		}
		pkgs, err := inventory.Packages(r.Statement.PredicateType, r.Statement.Predicate)
		if err != nil {
			return inventory.Admission{}, err
		}
		a.Packages = append(a.Packages, pkgs...)
	}
	return a, nil
}
