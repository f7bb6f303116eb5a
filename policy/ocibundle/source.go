package ocibundle

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"maps"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/google/go-containerregistry/pkg/name"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/sigstore/sigstore-go/pkg/root"

	"github.com/ztci/ztci/internal/clip"
	"github.com/ztci/ztci/internal/oci"
	"github.com/ztci/ztci/policy"
	"github.com/ztci/ztci/verify"
	"github.com/ztci/ztci/verify/image"
)

// Source is a [policy.Source] that pulls an OPA bundle from an OCI
// registry and returns it only once a Sigstore bundle attached to its
// manifest has verified for the expected signer, and only when it was not
// signed before the bundle it returned last (see [ErrRollback]). Create it
// with [New]. It is safe for concurrent use, starts no goroutines and holds
// only memory (and what [WithFloorStore] stores), so it has no Close.
type Source struct {
	ref    name.Reference
	cfg    *config
	client *oci.Client
	images *image.Verifier

	mu   sync.Mutex
	last *verified // the last bundle admitted, by manifest digest; set under floorMu with the floor

	// floorMu serializes admit, store calls included, so that two Loads
	// cannot both compare against a floor the other is about to raise.
	floorMu sync.Mutex
	floor   Floor // the newest bundle returned; zero before the first
}

// verified is a bundle whose manifest digest verified; it is never handed
// out, only copies of it.
type verified struct {
	digest   v1.Hash
	signedAt time.Time // see signingTime
	bundle   *policy.Bundle
}

var _ policy.Source = (*Source)(nil)

// New returns a Source for the bundle ref names (a tag, followed on every
// Load, or a digest). trust and expect are what verify.New takes: the
// trusted root of the Sigstore that certifies the publisher, and who must
// have signed. expect.Signer is required (a verify.Identity for
// certificate bundles, a verify.PublicKey for keyed ones): without it New
// fails with [ErrConfig], as it does for any argument verify.New refuses.
// expect.PredicateType is the predicate type the publisher's in-toto
// statement about the manifest carries. The statement must name the
// reference's repository (or one [WithRepositoryScope] names) as its
// subject, as cosign attest and attest/attach write it, so that a bundle
// signed for another repository does not load here ([ErrScope]). A message
// signature over the manifest (expect.PredicateType empty) names no
// repository, and New refuses it with [ErrConfig] unless
// [WithUnscopedSignatures] accepts that.
func New(ref name.Reference, trust root.TrustedMaterial, expect verify.Expectation, opts ...Option) (*Source, error) {
	if ref == nil {
		return nil, fmt.Errorf("%w: nil reference", ErrConfig)
	}
	if expect.Signer == nil {
		return nil, fmt.Errorf("%w: no expected signer: a policy bundle is loaded only when its publisher's identity or key is named", ErrConfig)
	}
	cfg, err := makeConfig(opts)
	if err != nil {
		return nil, err
	}
	if !cfg.unscoped {
		if expect.PredicateType == "" {
			return nil, fmt.Errorf("%w: a message signature (no expect.PredicateType) names no repository, so a bundle signed for another one would load here: expect an in-toto statement naming the repository, or accept that with WithUnscopedSignatures", ErrConfig)
		}
		if cfg.scope == nil {
			cfg.scope = []string{ref.Context().Name()}
		}
	}
	if cfg.bindTag {
		tag, ok := ref.(name.Tag)
		switch {
		case !ok:
			return nil, fmt.Errorf("%w: WithTagBinding needs a tag reference, not %s", ErrConfig, ref)
		case cfg.unscoped:
			return nil, fmt.Errorf("%w: WithTagBinding and WithUnscopedSignatures contradict each other", ErrConfig)
		}
		cfg.tag = tag.TagStr()
	}
	v, err := verify.New(trust, expect, cfg.verifyOpts...)
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrConfig, err)
	}
	bv, err := image.VerifyBundles(v)
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrConfig, err)
	}
	// No verdict cache: Source remembers the one digest that verified
	// and verifies any other afresh on every Load. The verifier reads the
	// same registry as the Source's client, so it gets every registry
	// option, the token services trusted with the credentials included.
	iopts := []image.Option{
		image.WithKeychain(cfg.Keychain), image.WithTransport(cfg.Transport),
		image.WithRetryBackoff(cfg.Backoff), image.WithTimeout(cfg.Timeout),
		image.WithLogger(cfg.Log), image.WithCache(0, 0),
	}
	for _, realm := range cfg.TokenRealms {
		iopts = append(iopts, image.WithTokenRealm(realm))
	}
	images, err := image.NewVerifier(bv, iopts...)
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrConfig, err)
	}
	return &Source{ref: ref, cfg: cfg, client: oci.NewClient(cfg.Config, false), images: images}, nil
}

// Load resolves the reference to a manifest digest once, verifies the
// Sigstore bundles attached to that digest, then fetches the bundle layer
// by the digest the manifest names and reads it with [policy.ReadBundle].
// The returned Bundle's Revision is the manifest digest ("sha256:<hex>"),
// prefixed with the bundle's own .manifest revision and "@" when it has one
// ("v42@sha256:<hex>"); an Engine puts it in every Decision.
//
// A bundle whose proven signing time is earlier than the rollback floor
// (the signing time of the newest bundle returned before, or the floor in
// the [WithFloorStore] store), or equal to it for another bundle than the
// one that set it, is refused with [ErrRollback]; otherwise it raises the
// floor before it is returned. With [WithMaxAge], a bundle signed longer
// ago than the maximum age is refused with [ErrStale], and so is every
// Load that fails while the bundle returned last is that old.
//
// When the reference still resolves to the digest of the last bundle that
// verified, and its signature is within the maximum age, Load returns a
// copy of that bundle after one registry request:
// the content is fixed by the digest, and the trust material and
// expectation by New, so verifying it again could not change the answer.
// It is checked against the floor again (read from the [WithFloorStore]
// store, when there is one), which another replica may have raised since,
// and refused with [ErrRollback] if it is now older. Every other digest is
// verified afresh on every Load. Every error wraps [policy.ErrLoad].
func (s *Source) Load(ctx context.Context) (*policy.Bundle, error) {
	pinned, f, err := s.client.Resolve(ctx, s.ref)
	if err != nil {
		return nil, s.refuse(ctx, "", fmt.Errorf("%w: resolve %s: %w", policy.ErrLoad, s.ref, err))
	}
	s.mu.Lock()
	last := s.last
	s.mu.Unlock()
	if last != nil && last.digest == f.Digest && s.fresh(last) == nil {
		// Its content and signature are fixed by the digest, but not its
		// place above the floor: another replica sharing the store, or a
		// concurrent Load, may have raised the floor since.
		if err := s.readmit(ctx, last); err != nil {
			return nil, s.refuse(ctx, f.Digest.String(), err)
		}
		return clone(last.bundle), nil
	}
	v, signer, err := s.fetch(ctx, pinned, f)
	if err == nil {
		err = s.fresh(v) // before admit: a stale bundle must not raise the floor
	}
	if err != nil {
		return nil, s.refuse(ctx, f.Digest.String(), err)
	}
	if err := s.admit(ctx, v); err != nil {
		return nil, s.refuse(ctx, f.Digest.String(), err)
	}
	s.cfg.Log.LogAttrs(ctx, slog.LevelInfo, "policy bundle verified",
		slog.String("reference", s.ref.String()), slog.String("revision", v.bundle.Revision),
		slog.String("signer", clip.Error(errors.New(signer), maxSignerText).Error()), slog.Time("signed_at", v.signedAt))
	return clone(v.bundle), nil
}

// maxSignerText bounds the signer a verified Load logs: it is what the
// certificate names, and a CA certifies what it is asked to.
const maxSignerText = 512

// maxErrorText bounds the text of an error Load returns: room for the
// rejections of a few attached bundles.
const maxErrorText = 4 << 10

// refuse logs a failed Load. While the bundle returned last is past the
// maximum age, every failure is ErrStale as well: the Engine keeps its
// policy on an ordinary error, and a registry that cannot be reached (or
// is kept from answering) must not keep an old policy in force for ever.
//
// The error is clipped (and quoted unless printable ASCII): it can quote
// what the registry sent (a media type, a status text) from any part of
// the client, and an Engine logs and audits it on every reload, and writes
// it into every decision it refuses once the policy in force expired.
func (s *Source) refuse(ctx context.Context, digest string, err error) error {
	if !errors.Is(err, ErrStale) {
		s.mu.Lock()
		last := s.last
		s.mu.Unlock()
		if last != nil {
			if serr := s.fresh(last); serr != nil {
				err = fmt.Errorf("%w (the bundle in force), and this load failed: %w", serr, err)
			}
		}
	}
	err = clip.Error(err, maxErrorText)
	s.cfg.Log.LogAttrs(ctx, slog.LevelWarn, "policy bundle refused",
		slog.String("reference", s.ref.String()), slog.String("digest", digest), slog.Any("error", err))
	return err
}

// fetch verifies the signature on the pinned manifest and proves its
// signing time, then reads the bundle it names. Nothing of the layer is
// read before the signature verified.
func (s *Source) fetch(ctx context.Context, pinned name.Digest, f *oci.Fetched) (*verified, string, error) {
	res, err := s.images.VerifyImage(ctx, pinned)
	if err != nil {
		return nil, "", fmt.Errorf("%w: verify %s: %w", policy.ErrLoad, pinned.DigestStr(), err)
	}
	if !res.Verified || len(res.Targets) != 1 || len(res.Targets[0].Signers) == 0 {
		ue := &UnverifiedError{Digest: pinned.DigestStr()}
		for _, t := range res.Targets {
			for _, a := range t.Attestations {
				if a.Err != nil {
					ue.Rejected = append(ue.Rejected, a.Err)
				}
			}
		}
		return nil, "", ue
	}
	scoped, ue := s.inScope(f.Digest, res.Targets[0])
	if len(scoped) == 0 {
		return nil, "", ue
	}
	signer := scoped[0].Signer
	signedAt, err := signingTime(pinned.DigestStr(), scoped)
	if err != nil {
		return nil, "", err
	}
	layer, err := parseManifest(f.Body)
	if err != nil {
		return nil, "", fmt.Errorf("%s: %w", pinned.DigestStr(), err)
	}
	raw, err := s.client.GetBlob(ctx, pinned.Context(), layer, s.cfg.maxBundle, "policy bundle layer")
	if err != nil {
		return nil, "", fmt.Errorf("%w: %s: %w", policy.ErrLoad, pinned.DigestStr(), err)
	}
	b, err := policy.ReadBundle(bytes.NewReader(raw))
	if err != nil {
		return nil, "", fmt.Errorf("%s: %w", pinned.DigestStr(), err)
	}
	b.Revision = revision(b.Revision, f.Digest)
	if len(b.Revision) > policy.MaxRevisionBytes {
		return nil, "", fmt.Errorf("%w: %s: the bundle's revision and digest are longer than %d bytes", ErrFormat, pinned.DigestStr(), policy.MaxRevisionBytes)
	}
	return &verified{digest: f.Digest, signedAt: signedAt, bundle: b}, signer, nil
}

// inScope returns the attestations of t that verified and sign a
// statement naming a repository of the scope as the subject with digest d
// (any verified one WithUnscopedSignatures); the others are the
// rejections of the returned error. Only these count, for the signing time
// too: the same manifest signed later for a sandbox is no new endorsement
// of it here.
func (s *Source) inScope(d v1.Hash, t image.Target) ([]image.Attestation, *UnverifiedError) {
	ue := &UnverifiedError{Digest: d.String()}
	var ok []image.Attestation
	for _, a := range t.Attestations {
		switch {
		case a.Err != nil:
			ue.Rejected = append(ue.Rejected, a.Err)
		case s.cfg.unscoped:
			ok = append(ok, a)
		default:
			switch repo, tag := s.names(a.Result, d); {
			case repo && tag:
				ok = append(ok, a)
			case repo:
				ue.Rejected = append(ue.Rejected, fmt.Errorf("%w: attached bundle %s verified, but its statement's subject %s in %s is not annotated %s %q",
					ErrTag, a.Bundle, d, strings.Join(s.cfg.scope, " or "), RefNameAnnotation, s.cfg.tag))
			default:
				ue.Rejected = append(ue.Rejected, fmt.Errorf("%w: attached bundle %s verified, but its statement does not name %s in %s",
					ErrScope, a.Bundle, d, strings.Join(s.cfg.scope, " or ")))
			}
		}
	}
	return ok, ue
}

// names reports whether r's statement has a subject with digest d whose
// name is a repository of the scope (repo), and whether one of those is
// annotated with the Source's tag, or WithTagBinding is off (tag).
func (s *Source) names(r *verify.Result, d v1.Hash) (repo, tag bool) {
	if r == nil || r.Statement == nil {
		return false, false
	}
	for _, sub := range r.Statement.Subject {
		if sub.Digest[d.Algorithm] != d.Hex {
			continue
		}
		if n, err := scopeName(sub.Name); err == nil && slices.Contains(s.cfg.scope, n) {
			repo = true
			if s.cfg.tag == "" || sub.Annotations[RefNameAnnotation] == s.cfg.tag {
				return true, true
			}
		}
	}
	return repo, false
}

// scopeName is a repository's name as go-containerregistry normalises it,
// so that "docker.io/x" and "index.docker.io/library/x" are one; a name
// with a tag or digest is not a repository.
func scopeName(repo string) (string, error) {
	r, err := name.NewRepository(repo)
	if err != nil {
		return "", err
	}
	return r.Name(), nil
}

// fresh refuses v when WithMaxAge is set and v's signature is older.
func (s *Source) fresh(v *verified) error {
	if s.cfg.maxAge == 0 {
		return nil
	}
	if age := s.cfg.now().Sub(v.signedAt); age > s.cfg.maxAge {
		return fmt.Errorf("%w: %s signed at %s, %s ago, over the maximum age of %s", ErrStale, v.digest,
			v.signedAt.Format(time.RFC3339), age.Round(time.Second), s.cfg.maxAge)
	}
	return nil
}

// revision names a verified bundle: its manifest digest, after the
// bundle's own revision when it declares one. The digest comes last so
// that it is found after the last "@" whatever the revision holds.
func revision(manifestRev string, d v1.Hash) string {
	if manifestRev == "" {
		return d.String()
	}
	return manifestRev + "@" + d.String()
}

// clone copies b deeply, so that no caller shares the remembered bundle.
func clone(b *policy.Bundle) *policy.Bundle {
	data, _ := cloneValue(b.Data).(map[string]any)
	return &policy.Bundle{Modules: maps.Clone(b.Modules), Data: data, Revision: b.Revision}
}

// cloneValue copies the containers of a JSON-shaped value; the leaves
// (strings, json.Number, booleans, nil) are immutable.
func cloneValue(v any) any {
	switch v := v.(type) {
	case map[string]any:
		out := make(map[string]any, len(v))
		for k, e := range v {
			out[k] = cloneValue(e)
		}
		return out
	case []any:
		out := make([]any, len(v))
		for i, e := range v {
			out[i] = cloneValue(e)
		}
		return out
	default:
		return v
	}
}
