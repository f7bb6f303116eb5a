package image

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"

	"github.com/google/go-containerregistry/pkg/name"
	v1 "github.com/google/go-containerregistry/pkg/v1"

	"github.com/ztci/ztci/internal/oci"
	"github.com/ztci/ztci/verify"
)

// BundleVerifier verifies one Sigstore bundle for an artifact against the
// caller's trust material and expectations (identity, predicate type, ...).
//
// VerifyBundle returns a nil error only when the bundle is valid for the
// artifact digest under those expectations; BundleResult.Signer must then
// name the trusted signer (distinct values are counted for k-of-n). Any
// error rejects that bundle. Implementations must be safe for concurrent use
// and must not keep bundle after returning.
//
// artifact is the image (or platform manifest) digest, except for a bundle
// converted from a cosign legacy ".sig" layer (ConvertLegacy), which signs
// its simple-signing payload: artifact is then the payload's sha256, and the
// payload was checked to name the image before the call.
type BundleVerifier interface {
	VerifyBundle(ctx context.Context, bundle []byte, artifact v1.Hash) (BundleResult, error)
}

// BundleVerifierFunc adapts a function to a BundleVerifier.
type BundleVerifierFunc func(ctx context.Context, bundle []byte, artifact v1.Hash) (BundleResult, error)

// VerifyBundle calls f.
func (f BundleVerifierFunc) VerifyBundle(ctx context.Context, bundle []byte, artifact v1.Hash) (BundleResult, error) {
	return f(ctx, bundle, artifact)
}

// BundleResult is what a BundleVerifier established about a valid bundle.
type BundleResult struct {
	// Signer identifies the trusted signer, e.g. certificate issuer and
	// subject, or a key ID. Required.
	Signer string
	// PredicateType of the verified in-toto statement, if any.
	PredicateType string
	// Result is the full verification result (the verified statement, the
	// signer's claims, the proven times) when the BundleVerifier comes from
	// ztci's verify package; nil for other implementations. It is shared by
	// every cached copy of the verdict: treat it as read-only.
	Result *verify.Result
}

// Verifier verifies images in OCI registries: it pins the reference to a
// digest, discovers attestations, verifies each with a BundleVerifier and
// decides whether the image has at least k distinct trusted signers.
//
// A Verifier holds one set of expectations (its BundleVerifier and
// threshold), so its verdict cache is keyed by image digest and platform
// selection. Artifacts and bundles are content-addressed and fetched once
// per Verifier. It is safe for concurrent use and starts no goroutines
// outside calls.
type Verifier struct {
	bv       BundleVerifier
	cfg      *config
	c        *oci.Client
	verdicts *oci.Cache[*Result]
	content  *oci.Cache[*artifactContent]
}

// NewVerifier returns a Verifier that accepts a bundle when bv does.
func NewVerifier(bv BundleVerifier, opts ...Option) (*Verifier, error) {
	if bv == nil {
		return nil, fmt.Errorf("%w: nil BundleVerifier", ErrConfig)
	}
	cfg, err := makeConfig(opts)
	if err != nil {
		return nil, err
	}
	return &Verifier{
		bv:       bv,
		cfg:      cfg,
		c:        oci.NewClient(cfg.Config, false),
		verdicts: oci.NewCache[*Result](cfg.cacheSize, cfg.cacheTTL, cfg.Now),
		content:  oci.NewCache[*artifactContent](cfg.cacheSize, 0, cfg.Now),
	}, nil
}

// Result is the outcome of verifying one image reference.
type Result struct {
	// Ref is the reference as given; Digest is what it was pinned to. Deploy
	// Digest, never Ref: a tag may have moved since.
	Ref    name.Reference
	Digest name.Digest
	// Targets holds one entry per manifest verified: the image itself, or
	// each selected platform manifest of an index.
	Targets   []Target
	Threshold int
	// Verified is true when every target has at least Threshold distinct
	// verified signers.
	Verified bool
	// Cached is true when the verdict came from the cache.
	Cached bool
}

// Err returns nil when the image is verified, or the *ThresholdError of each
// target that fell short (matching ErrNotVerified).
func (r *Result) Err() error {
	if r.Verified {
		return nil
	}
	var errs []error
	for _, t := range r.Targets {
		if len(t.Signers) < r.Threshold {
			errs = append(errs, &ThresholdError{Digest: t.Digest, Want: r.Threshold, Got: len(t.Signers)})
		}
	}
	if len(errs) == 0 {
		errs = append(errs, &ThresholdError{Digest: r.pinned(), Want: r.Threshold})
	}
	return errors.Join(errs...)
}

func (r *Result) pinned() v1.Hash {
	h, _ := v1.NewHash(r.Digest.DigestStr())
	return h
}

// Path says how attestations were found.
type Path = oci.Path

// The discovery paths.
const (
	// PathReferrersAPI: GET /v2/<repo>/referrers/<digest> answered with an index.
	PathReferrersAPI = oci.PathReferrersAPI
	// PathReferrersTag: the registry answered 404 to the referrers API, and
	// the "sha256-<hex>" tag schema index was read instead.
	PathReferrersTag = oci.PathReferrersTag
	// PathLegacyTag: cosign's legacy "sha256-<hex>.sig" / ".att" tags.
	PathLegacyTag = oci.PathLegacyTag
)

// Target is the verification of one manifest.
type Target struct {
	Digest       v1.Hash
	Platform     *v1.Platform // set for a platform manifest of an index
	Path         Path         // how the attestations were discovered
	Attestations []Attestation
	Signers      []string // distinct signers whose bundles verified
	Ignored      int      // listed artifacts that are not Sigstore bundles
}

// Attestation is the outcome for one candidate attestation.
type Attestation struct {
	Artifact v1.Hash // artifact manifest (legacy: the cosign tag's manifest)
	// Bundle is the bundle blob, or for a cosign legacy layer that layer
	// (the bundle converted from it is not stored); zero when it could not
	// be fetched.
	Bundle v1.Hash
	Path   Path
	// Format is the encoding the attestation came in, and so the one that
	// proved it when Err is nil; empty for a legacy layer of a media type
	// this package does not read (ErrLegacyFormat).
	Format        Format
	Signer        string
	PredicateType string
	// Result is the BundleVerifier's full result for a verified bundle (see
	// BundleResult.Result); nil when Err is set or the verifier gave none.
	Result *verify.Result
	// Err is nil when the bundle verified; otherwise it wraps ErrAttestation.
	Err error
}

// Threshold is the number of distinct trusted signers v requires per
// image ([WithThreshold]). A caller that verifies the same attestations by
// another route (bundles handed to it directly) applies it there too, so
// the route cannot lower the requirement.
func (v *Verifier) Threshold() int { return v.cfg.threshold }

// VerifyImage verifies the image ref names. A non-nil error means no
// decision could be made (the registry failed or misbehaved) and must be
// treated as deny; a Result with Verified false is a decision.
//
// With WithAudit, every call is audited — a verdict, cached or not, and a
// call that could not decide — and a call whose event the sink refuses
// fails with ErrUnaudited instead of returning its verdict.
func (v *Verifier) VerifyImage(ctx context.Context, ref name.Reference) (*Result, error) {
	if v.cfg.audit == nil {
		return v.verifyImage(ctx, ref)
	}
	start := v.cfg.Now()
	res, err := v.verifyImage(ctx, ref)
	if aerr := v.cfg.audit.sink.Write(ctx, v.auditEvent(start, ref, res, err)); aerr != nil {
		return nil, fmt.Errorf("%w: verification of %s: %w", ErrUnaudited, ref, aerr)
	}
	return res, err
}

func (v *Verifier) verifyImage(ctx context.Context, ref name.Reference) (*Result, error) {
	sel := v.selection()
	if d, ok := ref.(name.Digest); ok {
		if r, ok := v.verdicts.Get(cacheKey(d, sel)); ok {
			return r.withRef(ref), nil
		}
	}
	var pinned name.Digest
	var targets []Target
	if d, ok := ref.(name.Digest); ok && v.cfg.platform == nil && !v.cfg.allPlatforms {
		// Already pinned, and verified as itself: the manifest is not
		// needed (attestations bind to the digest, not to the registry's copy).
		h, err := v1.NewHash(d.DigestStr())
		if err != nil || h.Algorithm != "sha256" {
			return nil, fmt.Errorf("%w: digest %q is not a sha256 digest", ErrConfig, d.DigestStr())
		}
		pinned, targets = d, []Target{{Digest: h}}
	} else {
		p, f, err := v.c.Resolve(ctx, ref)
		if err != nil {
			return nil, err
		}
		pinned = p
		if r, ok := v.verdicts.Get(cacheKey(pinned, sel)); ok {
			return r.withRef(ref), nil
		}
		if targets, err = v.targets(f); err != nil {
			return nil, err
		}
	}
	key := cacheKey(pinned, sel)
	res := &Result{Ref: ref, Digest: pinned, Threshold: v.cfg.threshold, Verified: true}
	repo := ref.Context()
	for _, t := range targets {
		if err := v.verifyTarget(ctx, repo, &t); err != nil {
			return nil, err
		}
		if len(t.Signers) < v.cfg.threshold {
			res.Verified = false
		}
		res.Targets = append(res.Targets, t)
	}
	v.verdicts.Put(key, res.clone(), 0)
	return res, nil
}

// withRef returns a copy of a cached result for ref; callers may modify
// what they get without touching the cache.
func (r *Result) withRef(ref name.Reference) *Result {
	c := r.clone()
	c.Ref, c.Cached = ref, true
	return c
}

func (r *Result) clone() *Result {
	c := *r
	c.Targets = make([]Target, len(r.Targets))
	for i, t := range r.Targets {
		t.Attestations = slices.Clone(t.Attestations)
		t.Signers = slices.Clone(t.Signers)
		if t.Platform != nil {
			p := *t.Platform
			t.Platform = &p
		}
		c.Targets[i] = t
	}
	return &c
}

// cacheKey names a verdict: repository, digest and platform selection (a
// digest reference may also carry a tag, which does not matter once pinned).
func cacheKey(d name.Digest, sel string) string {
	return d.Context().Name() + "@" + d.DigestStr() + sel
}

func (v *Verifier) selection() string {
	switch {
	case v.cfg.allPlatforms:
		return "|all"
	case v.cfg.platform != nil:
		return "|" + v.cfg.platform.String()
	}
	return "|self"
}

// targets picks the manifests to verify from the pinned manifest.
func (v *Verifier) targets(f *oci.Fetched) ([]Target, error) {
	if oci.IsManifest(f.MediaType) || (v.cfg.platform == nil && !v.cfg.allPlatforms) {
		return []Target{{Digest: f.Digest}}, nil
	}
	children, err := oci.ParseIndex(f.Body, MaxReferrers)
	if err != nil {
		return nil, err
	}
	var out []Target
	for _, c := range children {
		selected := v.cfg.allPlatforms || c.Platform == nil || runsAs(*c.Platform, *v.cfg.platform)
		switch {
		case oci.IsIndex(string(c.MediaType)) && !notRunnable(c.Platform) && selected:
			// A runtime descends into an index an index lists
			// (containerd walks nested indexes, an entry without a
			// platform for every platform), so its manifests are as
			// runnable as this index's own; skipped as "not a
			// manifest", one nobody attested would run beside, or
			// instead of, the manifests verified. Which one a node
			// picks, only the runtime's walk says: ambiguous, as a
			// manifest listed without a platform is.
			return nil, fmt.Errorf("%w: the index lists another index, %s, whose manifests a runtime may run", ErrPlatformAmbiguous, c.Digest)
		case !oci.IsManifest(string(c.MediaType)) || notRunnable(c.Platform):
			continue
		case c.Platform == nil && v.cfg.platform != nil:
			// A runtime picks such a manifest by its config's platform
			// (containerd does), so it may be the one a node of this
			// platform runs; which, only the config says.
			return nil, fmt.Errorf("%w: manifest %s names no platform in the index", ErrPlatformAmbiguous, c.Digest)
		case selected:
			out = append(out, Target{Digest: c.Digest, Platform: c.Platform})
		}
	}
	if v.cfg.platform != nil && len(out) > 1 {
		return nil, fmt.Errorf("%w: %d manifests satisfy %s", ErrPlatformAmbiguous, len(out), v.cfg.platform)
	}
	if len(out) == 0 {
		want := "any platform"
		if v.cfg.platform != nil {
			want = v.cfg.platform.String()
		}
		return nil, fmt.Errorf("%w: %s", ErrPlatformNotFound, want)
	}
	return out, nil
}

// runsAs reports whether a runtime on a node of platform want may pick an
// index entry that names platform p. They are compared as containerd
// compares them (platforms.Normalize, then os, architecture and variant),
// not byte for byte: containerd takes "Linux/x86_64", "linux/aarch64/v8"
// or an entry with no os for linux/amd64, linux/arm64 and a Linux node's
// own os, and of several such entries runs the first listed. Compared as
// spelt, such an entry was skipped while an attested "linux/amd64" beside
// it was verified, and the node ran the skipped one. A want without a
// variant takes any variant; os version and features are compared as
// v1.Platform.Satisfies compares them.
func runsAs(p, want v1.Platform) bool {
	got, norm := normalPlatform(p, want.OS), normalPlatform(want, want.OS)
	rest, wantRest := p, want
	rest.OS, rest.Architecture, rest.Variant = "", "", ""
	wantRest.OS, wantRest.Architecture, wantRest.Variant = "", "", ""
	return got.OS == norm.OS && got.Architecture == norm.Architecture &&
		(want.Variant == "" || got.Variant == norm.Variant) && rest.Satisfies(wantRest)
}

// normalPlatform is p as containerd's platforms.Normalize writes it: os
// and architecture in lower case, their aliases ("macos", "x86_64",
// "aarch64", "armhf", …) by their names, and each architecture's default
// variant spelt one way. An empty os is nodeOS: containerd reads it as its
// own.
func normalPlatform(p v1.Platform, nodeOS string) v1.Platform {
	p.OS = strings.ToLower(p.OS)
	switch p.OS {
	case "":
		p.OS = strings.ToLower(nodeOS)
	case "macos":
		p.OS = "darwin"
	}
	p.Architecture, p.Variant = strings.ToLower(p.Architecture), strings.ToLower(p.Variant)
	switch p.Architecture {
	case "i386":
		p.Architecture, p.Variant = "386", ""
	case "x86_64", "x86-64", "amd64":
		p.Architecture = "amd64"
		if p.Variant == "v1" {
			p.Variant = ""
		}
	case "aarch64", "arm64":
		p.Architecture = "arm64"
		switch p.Variant {
		case "8", "v8", "v8.0":
			p.Variant = ""
		case "9", "9.0", "v9.0":
			p.Variant = "v9"
		}
	case "armhf":
		p.Architecture, p.Variant = "arm", "v7"
	case "armel":
		p.Architecture, p.Variant = "arm", "v6"
	case "arm":
		switch p.Variant {
		case "", "7":
			p.Variant = "v7"
		case "5", "6", "8":
			p.Variant = "v" + p.Variant
		}
	}
	return p
}

// notRunnable reports whether an index entry's platform is one no runtime
// selects: "unknown/unknown", which BuildKit gives the attestation
// manifests it adds to an index. An entry without a platform is runnable:
// a runtime reads its platform from its config.
func notRunnable(p *v1.Platform) bool {
	return p != nil && p.OS == "unknown" && p.Architecture == "unknown"
}

// verifyTarget discovers and verifies the attestations of one manifest.
func (v *Verifier) verifyTarget(ctx context.Context, repo name.Repository, t *Target) error {
	l, err := v.c.Discover(ctx, repo, t.Digest)
	if err != nil {
		return err
	}
	t.Path, t.Ignored = l.Path, l.Ignored
	signers := map[string]bool{}
	record := func(a Attestation) {
		if a.Err == nil {
			if !signers[a.Signer] {
				signers[a.Signer] = true
				t.Signers = append(t.Signers, a.Signer)
			}
		}
		t.Attestations = append(t.Attestations, a)
	}
	for _, d := range l.Candidates {
		if v.cfg.onlyTypes != nil && !slices.Contains(v.cfg.onlyTypes, d.Annotations[oci.AnnotationPredicateType]) {
			t.Ignored++
			continue
		}
		ac, err := v.fetchArtifact(ctx, repo, d)
		if err != nil {
			if undecidable(err) {
				return err
			}
			record(Attestation{Artifact: d.Digest, Path: l.Path, Format: FormatBundle, Err: fmt.Errorf("%w: %w", ErrArtifactFetch, err)})
			continue
		}
		if ac.unrelated {
			t.Ignored++
			continue
		}
		a := Attestation{Artifact: d.Digest, Bundle: ac.bundleDigest, Path: l.Path, Format: FormatBundle}
		switch {
		case ac.subject == nil:
			a.Err = &SubjectMismatchError{Want: t.Digest}
		case *ac.subject != t.Digest:
			a.Err = &SubjectMismatchError{Want: t.Digest, Got: *ac.subject}
		case ac.err != nil:
			a.Err = ac.err
		default:
			if err := v.verifyBundle(ctx, ac.bundle, t.Digest, &a); err != nil {
				return err
			}
		}
		record(a)
	}
	if v.cfg.legacyTags {
		layers, err := v.c.LegacyLayers(ctx, repo, t.Digest)
		if err != nil {
			return err
		}
		for _, ll := range layers {
			a, err := v.verifyLegacyLayer(ctx, repo, ll, t.Digest)
			if err != nil {
				return err
			}
			record(a)
		}
	}
	return nil
}

// verifyLegacyLayer verifies one layer of a cosign legacy tag: a Sigstore
// bundle as it is, a simple-signing or DSSE layer through the bundle
// ConvertLegacy makes of it, by the same BundleVerifier. The error is for
// failures that leave the verdict undecidable.
func (v *Verifier) verifyLegacyLayer(ctx context.Context, repo name.Repository, ll oci.LegacyLayer, img v1.Hash) (Attestation, error) {
	a := Attestation{Artifact: ll.Manifest, Bundle: ll.Layer.Digest, Path: PathLegacyTag}
	isBundle := oci.IsBundleType(string(ll.Layer.MediaType))
	switch {
	case isBundle:
		a.Format = FormatBundle
	case ll.Layer.MediaType == MediaTypeSimpleSigning:
		a.Format = FormatCosignLegacySig
	case ll.Layer.MediaType == MediaTypeDSSE:
		a.Format = FormatCosignLegacyAtt
	default: // no format this package reads
		a.Err = fmt.Errorf("%w: layer %s has media type %s", ErrLegacyFormat, ll.Layer.Digest, quoteType(string(ll.Layer.MediaType)))
		return a, nil
	}
	b, err := v.c.GetBlob(ctx, repo, ll.Layer, MaxBundleSize, "cosign legacy layer")
	if undecidable(err) {
		return a, err
	}
	switch {
	case err != nil:
		a.Err = fmt.Errorf("%w: %w", ErrArtifactFetch, err)
	case isBundle:
		return a, v.verifyBundle(ctx, b, img, &a)
	default:
		lb, err := ConvertLegacy(ll.Layer, b, img)
		if err == nil && v.cfg.legacyDockerRef && lb.Format == FormatCosignLegacySig {
			err = matchDockerReference(lb.DockerReference, repo, img)
		}
		if err != nil {
			a.Err = err
			return a, nil
		}
		return a, v.verifyLegacy(ctx, lb, &a)
	}
	return a, nil
}

// verifyBundle records the BundleVerifier's verdict on a. A failure that
// says nothing about the bundle is returned instead, and makes the image
// undecidable like a registry outage: the call's context ended (the
// verification was cut short, not refused: with the artifacts already in
// the content cache, a deadline reached right after discovery made every
// bundle "rejected"), or the verifier could not audit it
// (verify.ErrAudit). Recorded as rejections, they would make a verdict of
// "not verified" that the verdict cache keeps, denying a good image for
// its lifetime after the outage ended.
func (v *Verifier) verifyBundle(ctx context.Context, bundle []byte, artifact v1.Hash, a *Attestation) error {
	br, err := v.bv.VerifyBundle(ctx, bundle, artifact)
	if err := notCompleted(ctx, err); err != nil {
		return err
	}
	settle(br, err, a)
	return nil
}

// notCompleted returns err, wrapped, when a bundle verification that failed
// with it did not complete (see verifyBundle); nil otherwise.
func notCompleted(ctx context.Context, err error) error {
	if err == nil {
		return nil
	}
	if cerr := ctx.Err(); cerr != nil || errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) || errors.Is(err, verify.ErrAudit) {
		return fmt.Errorf("bundle verification not completed: %w", errors.Join(err, cerr))
	}
	return nil
}

// settle records a BundleVerifier's verdict on a.
func settle(br BundleResult, err error, a *Attestation) {
	switch {
	case err != nil:
		a.Err = fmt.Errorf("%w: %w", ErrBundleRejected, err)
	case br.Signer == "":
		a.Err = fmt.Errorf("%w: verifier returned no signer", ErrBundleRejected)
	default:
		a.Signer, a.PredicateType, a.Result = br.Signer, br.PredicateType, br.Result
	}
}

// artifactContent is a fetched attestation artifact, cached by its digest.
type artifactContent struct {
	unrelated    bool // not a Sigstore bundle artifact
	subject      *v1.Hash
	bundleDigest v1.Hash
	bundle       []byte
	err          error // the artifact is not a usable bundle artifact
}

// fetchArtifact fetches an artifact manifest and its bundle, by digest, once.
func (v *Verifier) fetchArtifact(ctx context.Context, repo name.Repository, d v1.Descriptor) (*artifactContent, error) {
	key := repo.Name() + "@" + d.Digest.String()
	if ac, ok := v.content.Get(key); ok {
		return ac, nil
	}
	if d.Size > MaxManifestSize {
		return nil, &TooLargeError{What: "artifact manifest", Limit: MaxManifestSize, Got: d.Size}
	}
	f, err := v.c.GetManifest(ctx, repo, d.Digest.String(), &d.Digest, oci.MediaTypeOCIManifest, "artifact manifest")
	if err != nil {
		return nil, err
	}
	if int64(len(f.Body)) != d.Size {
		return nil, fmt.Errorf("%w: artifact manifest is %d bytes, listed as %d", ErrMalformed, len(f.Body), d.Size)
	}
	p, err := oci.ParseArtifact(f.Body)
	if err != nil {
		return nil, err
	}
	ac := &artifactContent{subject: p.Subject}
	if !oci.IsBundleType(p.ArtifactType) {
		ac.unrelated = true
		v.content.Put(key, ac, len(f.Body))
		return ac, nil
	}
	var layers []v1.Descriptor
	for _, l := range p.Layers {
		if oci.IsBundleType(string(l.MediaType)) {
			layers = append(layers, l)
		}
	}
	if len(layers) != 1 {
		ac.err = fmt.Errorf("%w: %d bundle layers, want 1", ErrNoBundle, len(layers))
		v.content.Put(key, ac, len(f.Body))
		return ac, nil
	}
	ac.bundleDigest = layers[0].Digest
	b, err := v.c.GetBlob(ctx, repo, layers[0], MaxBundleSize, "bundle blob")
	if err != nil {
		return nil, err
	}
	ac.bundle = b
	v.content.Put(key, ac, len(b)+len(f.Body))
	return ac, nil
}

// VerifyImages verifies refs with at most WithParallelism images in flight.
// results[i] belongs to refs[i] and is nil when that image could not be
// decided; err joins an *ImageError for each of those.
func (v *Verifier) VerifyImages(ctx context.Context, refs []name.Reference) (results []*Result, err error) {
	results = make([]*Result, len(refs))
	errs := make([]error, len(refs))
	next := make(chan int)
	var wg sync.WaitGroup
	for range min(v.cfg.parallelism, len(refs)) {
		wg.Go(func() {
			for i := range next {
				r, err := v.VerifyImage(ctx, refs[i])
				if err != nil {
					errs[i] = &ImageError{Ref: refs[i], Err: err}
				}
				results[i] = r
			}
		})
	}
	for i := range refs {
		next <- i
	}
	close(next)
	wg.Wait()
	return results, errors.Join(errs...)
}

// ImageError ties a VerifyImages failure to its reference.
type ImageError struct {
	Ref name.Reference
	Err error
}

func (e *ImageError) Error() string { return e.Ref.String() + ": " + e.Err.Error() }
func (e *ImageError) Unwrap() error { return e.Err }

// undecidable reports failures that say nothing about the attestation (the
// registry is unavailable, denies access, loops, or the caller gave up):
// they abort the verification instead of counting as a rejected attestation,
// so a transient outage is never cached as a verdict.
func undecidable(err error) bool {
	return errors.Is(err, ErrUnavailable) || errors.Is(err, ErrDenied) || errors.Is(err, ErrTooManyRedirects) ||
		errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) ||
		(errors.Is(err, ErrRegistry) && !errors.Is(err, ErrNotFound) && !errors.Is(err, ErrDigestMismatch) &&
			!errors.Is(err, ErrTooLarge) && !errors.Is(err, ErrMalformed) && !errors.Is(err, ErrStatus))
}
