package attach

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"mime"
	"net/http"
	"slices"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/google/go-containerregistry/pkg/name"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/remote"
	"github.com/google/go-containerregistry/pkg/v1/static"
	"github.com/google/go-containerregistry/pkg/v1/types"

	"github.com/ztci/ztci/internal/clip"
	"github.com/ztci/ztci/internal/oci"
)

// The tag-schema writer's bounds: attempts at merging an entry that a
// concurrent writer keeps overwriting, and the wait before reading a write
// back, which must be long enough for a concurrent read-modify-write to
// land: at least tagSettle, and twice as long as this writer's own read
// and write took (a concurrent writer talks to the same registry, and
// under load both are slow), up to maxTagSettle.
const (
	tagAttempts  = 16
	tagSettle    = 50 * time.Millisecond
	maxTagSettle = 2 * time.Second
)

// settleFor returns the wait before reading back a write whose
// read-modify-write round took took.
func settleFor(took time.Duration) time.Duration {
	return min(max(tagSettle, 2*took), maxTagSettle)
}

// emptyJSON is the OCI empty descriptor's content, the artifact's config.
const emptyJSON = "{}"

// Attachment describes an attestation attached by Bundle.
type Attachment struct {
	Subject  name.Digest // the image manifest or index the tag resolved to
	Artifact name.Digest // the artifact manifest holding the bundle
	Bundle   v1.Hash     // the bundle blob
	Path     Path        // PathReferrersAPI, or PathReferrersTag when Bundle maintained the tag schema
}

// Bundle pushes a Sigstore bundle as an OCI 1.1 artifact whose subject is
// the image ref names, in the layout cosign v3 and GitHub use: artifactType
// and the single layer's media type are the bundle's media type, the config
// is the OCI empty descriptor, and the manifest is annotated with
// dev.sigstore.bundle.content and dev.sigstore.bundle.predicateType.
//
// A tag in ref is resolved once. Where the registry serves no referrers API,
// Bundle adds the artifact to the "sha256-<hex>" referrers tag index
// (read-modify-write with conditional requests and a read-back; see the
// package documentation for what a registry lets a client guarantee).
//
// Bundle does not verify the bundle: sign with attest, verify with
// verify/image.
//
// With [WithAudit], every call whose options are valid is audited, success
// or failure, and a call whose event the sink refuses fails with
// [ErrUnaudited].
func Bundle(ctx context.Context, ref name.Reference, bundle []byte, opts ...Option) (*Attachment, error) {
	cfg, err := makeConfig(opts)
	if err != nil {
		return nil, err
	}
	start := cfg.Now()
	info, err := oci.SniffBundle(bundle)
	if err == nil {
		err = checkBundleInfo(info)
	}
	if err != nil {
		// info, when the bundle was read, still describes (clipped) what
		// was refused.
		return nil, cfg.audited(ctx, start, ref, info, nil, err)
	}
	att, err := push(ctx, cfg, ref, bundle, info)
	if err := cfg.audited(ctx, start, ref, info, att, err); err != nil {
		return nil, err
	}
	return att, nil
}

// Bounds of what Bundle copies from the bundle into the artifact manifest,
// the referrers tag index entry and so the referrers API answer every
// verifier of the image reads.
const (
	// MaxPredicateTypeLen bounds the in-toto predicateType, copied into
	// the dev.sigstore.bundle.predicateType annotation. With
	// MaxMediaTypeLen, and neither holding a character JSON escapes, it
	// keeps a referrers tag entry under 1 KB, so an index of the most
	// entries a reader takes (4096) stays under the manifest size limit
	// (4 MiB): the index fills by count (ErrTooManyReferrers) before it
	// fills by size.
	MaxPredicateTypeLen = 256
	// MaxMediaTypeLen bounds the bundle's mediaType, copied into the
	// artifactType and the layer's media type.
	MaxMediaTypeLen = 255
)

// checkBundleInfo refuses a bundle whose mediaType or predicateType Bundle
// would copy into the registry as something other than bounded, printable
// text: a mediaType over MaxMediaTypeLen bytes, not ASCII printable or not
// a well-formed media type (IsBundleType alone takes any text that starts
// with the Sigstore bundle type), or a predicateType over
// MaxPredicateTypeLen bytes or not one word of printable text (a TypeURI
// has no spaces, controls or format characters); neither may hold a
// character JSON escapes (`"`, `\`, `<`, `>`, `&`), which would multiply
// its size in the index. Unchecked, one bundle's multi-megabyte type would
// fill the referrers tag index (or the registry's referrers answer) past
// what every reader accepts, hiding every other attestation of the image,
// and control text would reach whatever shows the manifest.
func checkBundleInfo(info *oci.BundleInfo) error {
	mt := info.MediaType
	if len(mt) > MaxMediaTypeLen {
		return fmt.Errorf("%w: bundle mediaType is %d bytes, limit %d", ErrConfig, len(mt), MaxMediaTypeLen)
	}
	if _, _, err := mime.ParseMediaType(mt); err != nil || strings.ContainsFunc(mt, func(r rune) bool { return r < 0x20 || r > 0x7e || jsonEscaped(r) }) {
		return fmt.Errorf("%w: bundle mediaType %s is not a printable media type", ErrConfig, clip.Quote(mt, 128))
	}
	pt := info.PredicateType
	if len(pt) > MaxPredicateTypeLen {
		return fmt.Errorf("%w: bundle predicateType is %d bytes, limit %d", ErrConfig, len(pt), MaxPredicateTypeLen)
	}
	if !utf8.ValidString(pt) || strings.ContainsFunc(pt, func(r rune) bool { return !unicode.IsGraphic(r) || unicode.IsSpace(r) || jsonEscaped(r) }) {
		return fmt.Errorf("%w: bundle predicateType %s is not printable text without spaces", ErrConfig, clip.Quote(pt, 128))
	}
	return nil
}

// jsonEscaped reports whether encoding/json writes r, a printable
// character, as more than itself ("\u003c" for "<").
func jsonEscaped(r rune) bool { return strings.ContainsRune("\"\\<>&", r) }

// push does Bundle's work. On error the Attachment it returns holds what
// was done (Subject once resolved, Artifact and Bundle once pushed), for
// the audit event; it is nil when nothing was resolved.
func push(ctx context.Context, cfg *config, ref name.Reference, bundle []byte, info *oci.BundleInfo) (*Attachment, error) {
	c := oci.NewClient(cfg.Config, true) // one auth handshake, push scope, for everything Bundle does
	repo := ref.Context()
	subject, sf, err := c.Resolve(ctx, ref)
	if err != nil {
		return nil, err
	}
	att := &Attachment{Subject: subject}

	// Blob uploads are go-containerregistry's, over the transport that has
	// already authenticated (a *transport.Wrapper, which ggcr uses as is).
	hc, err := c.HTTP(ctx, repo, true)
	if err != nil {
		return att, err
	}
	ropts := append([]remote.Option{remote.WithContext(ctx), remote.WithTransport(hc.Transport)}, cfg.RemoteOptions...)
	bundleDigest := oci.SHA256(bundle)
	pusher, err := remote.NewPusher(ropts...)
	if err != nil {
		return att, fmt.Errorf("%w: remote options: %v", ErrConfig, err)
	}
	blobs := []v1.Layer{
		static.NewLayer([]byte(emptyJSON), EmptyMediaType),
		static.NewLayer(bundle, types.MediaType(info.MediaType)),
	}

	annotations := map[string]string{
		AnnotationContent:     info.Content,
		oci.AnnotationCreated: cfg.Now().UTC().Format(time.RFC3339),
	}
	if info.PredicateType != "" {
		annotations[AnnotationPredicateType] = info.PredicateType
	}
	m := oci.ArtifactManifest{
		SchemaVersion: 2,
		MediaType:     oci.MediaTypeOCIManifest,
		ArtifactType:  info.MediaType,
		Config:        oci.Descriptor{MediaType: EmptyMediaType, Digest: oci.SHA256([]byte(emptyJSON)).String(), Size: int64(len(emptyJSON))},
		Layers: []oci.Descriptor{{
			MediaType:   info.MediaType,
			Digest:      bundleDigest.String(),
			Size:        int64(len(bundle)),
			Annotations: map[string]string{oci.AnnotationTitle: oci.TagFor(bundleDigest) + ".sigstore.json"},
		}},
		Subject:     &oci.Descriptor{MediaType: sf.MediaType, Digest: subject.DigestStr(), Size: int64(len(sf.Body))},
		Annotations: annotations,
	}
	raw, err := json.Marshal(m)
	if err != nil {
		return att, fmt.Errorf("%w: marshal manifest: %v", ErrConfig, err)
	}
	artifact := oci.SHA256(raw)
	write := func() error { return writeArtifact(ctx, c, pusher, repo, blobs, artifact, raw) }
	if err := write(); err != nil {
		return att, err
	}
	att.Artifact, att.Bundle, att.Path = repo.Digest(artifact.String()), bundleDigest, PathReferrersAPI
	// Whether or not the registry claims to index subjects (OCI-Subject),
	// the artifact counts as attached only once the referrers API lists it
	// the way a verifier reads it.
	sh, _ := v1.NewHash(subject.DigestStr())
	supported, err := confirmListed(ctx, c, repo, sh, artifact)
	if err != nil {
		return att, fmt.Errorf("artifact %s was pushed but cannot be listed: %w", artifact, err)
	}
	if supported {
		return att, nil
	}
	att.Path = PathReferrersTag
	entry := oci.Descriptor{
		MediaType:    oci.MediaTypeOCIManifest,
		Digest:       artifact.String(),
		Size:         int64(len(raw)),
		ArtifactType: info.MediaType,
		Annotations:  annotations,
	}
	if err := addToTagSchema(ctx, c, repo, sh, entry, write); err != nil {
		return att, fmt.Errorf("artifact %s was pushed but not listed: %w", artifact, err)
	}
	return att, nil
}

// writeAttempts bounds the rounds of writeArtifact; the waits between
// them double from tagSettle up to maxTagSettle.
const writeAttempts = 6

// writeArtifact uploads blobs and then PUTs the artifact manifest raw,
// whose digest is artifact, redoing both when the registry lost a blob to
// a concurrent writer of the same content.
//
// Writers attaching identical artifacts at once (the empty descriptor is
// every artifact's config; a fleet attaching the same bundle shares its
// blob and manifest too) race in the registry: distribution answers an
// upload committed while another upload of the same digest is being moved
// into place with DIGEST_INVALID, and a manifest PUT that reads a blob in
// that window with MANIFEST_BLOB_UNKNOWN. Those answers, and only those,
// start another round after a wait: every upload checks (HEAD) whether the
// blob is there and uploads it again if not, and the manifest is PUT only
// after every upload succeeded, so the registry still verifies each blob
// against its digest and the manifest against its blobs; nothing is taken
// on trust. After writeAttempts rounds the last error is returned.
func writeArtifact(ctx context.Context, c *oci.Client, pusher *remote.Pusher, repo name.Repository, blobs []v1.Layer, artifact v1.Hash, raw []byte) error {
	wait := tagSettle
	for attempt := 1; ; attempt++ {
		err := putArtifact(ctx, c, pusher, repo, blobs, artifact, raw)
		if err == nil || attempt == writeAttempts || !lostToConcurrentWriter(err) {
			return err
		}
		c.Log().DebugContext(ctx, "blob lost to a concurrent writer of the same content; writing again", "artifact", artifact.String(), "attempt", attempt)
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(wait):
		}
		wait = min(2*wait, maxTagSettle)
	}
}

// putArtifact is one round of writeArtifact.
func putArtifact(ctx context.Context, c *oci.Client, pusher *remote.Pusher, repo name.Repository, blobs []v1.Layer, artifact v1.Hash, raw []byte) error {
	for _, b := range blobs {
		if err := pusher.Upload(ctx, repo, b); err != nil {
			return oci.WrapTransport("upload blob", err)
		}
	}
	resp, err := c.Do(ctx, repo, true, "put artifact manifest", http.MethodPut, c.URL(repo, "manifests", artifact.String()), raw,
		http.Header{"Content-Type": {oci.MediaTypeOCIManifest}}, http.StatusCreated, http.StatusOK, http.StatusAccepted)
	if err != nil {
		return err
	}
	resp.Body.Close()
	return checkStored(resp, artifact, "artifact manifest")
}

// checkStored compares the digest a registry says it stored a manifest PUT
// under (Docker-Content-Digest) with want, the digest of the bytes sent. A
// registry that stored something else (it rewrote the manifest, or
// answers for another one) would leave the digest Bundle reports, or lists
// in the referrers tag, naming nothing: the answer is refused with
// *DigestMismatchError. An unreadable header is refused too; a digest of
// another algorithm than SHA-256 cannot be compared and is let through,
// as GetManifest does.
func checkStored(resp *http.Response, want v1.Hash, what string) error {
	hdr := resp.Header.Get("Docker-Content-Digest")
	if hdr == "" {
		return nil
	}
	h, err := v1.NewHash(hdr)
	if err != nil || (h.Algorithm == "sha256" && h != want) {
		return &DigestMismatchError{What: what + " stored (Docker-Content-Digest header)", Want: want, Got: h}
	}
	return nil
}

// lostToConcurrentWriter reports whether err is a registry's answer that a
// concurrent write of the same digest-addressed content explains: a blob
// upload refused as not matching its digest or lost, or a manifest whose
// blobs (or, for an index, manifests) the registry does not see.
func lostToConcurrentWriter(err error) bool {
	var se *oci.StatusError
	if !errors.As(err, &se) || se.StatusCode == http.StatusUnauthorized || se.StatusCode == http.StatusForbidden {
		return false
	}
	return se.HasCode(oci.CodeDigestInvalid) || se.HasCode(oci.CodeManifestBlobUnknown) || se.HasCode(oci.CodeBlobUnknown) ||
		se.HasCode(oci.CodeBlobUploadUnknown) || se.HasCode(oci.CodeBlobUploadInvalid)
}

// listAttempts bounds the reads of the referrers API that confirm an
// artifact is listed, for registries that index subjects asynchronously;
// the waits between them double from tagSettle up to maxTagSettle.
const listAttempts = 6

// confirmListed reads the referrers API of subject until it lists artifact
// as a verifier would take it (an image manifest whose artifactType, if
// any, may be a Sigstore bundle's), within listAttempts reads. supported is
// false when the first read answered 404: the registry has no referrers
// API and the tag schema is to be maintained. An artifact never listed is
// ErrNotListed.
func confirmListed(ctx context.Context, c *oci.Client, repo name.Repository, subject, artifact v1.Hash) (supported bool, err error) {
	wait := tagSettle
	for attempt := range listAttempts {
		descs, supported, err := c.ReferrersAPI(ctx, repo, subject)
		if err != nil {
			return true, err
		}
		if !supported {
			if attempt == 0 {
				return false, nil
			}
			return true, fmt.Errorf("%w: the referrers API answered 404 after answering an index", ErrReferrersAPI)
		}
		if slices.ContainsFunc(descs, func(d v1.Descriptor) bool {
			return d.Digest == artifact && oci.IsManifest(string(d.MediaType)) &&
				(d.ArtifactType == "" || d.ArtifactType == EmptyMediaType || oci.IsBundleType(d.ArtifactType))
		}) {
			return true, nil
		}
		if attempt == listAttempts-1 {
			break
		}
		c.Log().DebugContext(ctx, "artifact not listed by the referrers API yet", "subject", subject.String(), "attempt", attempt)
		select {
		case <-ctx.Done():
			return true, ctx.Err()
		case <-time.After(wait):
		}
		wait = min(2*wait, maxTagSettle)
	}
	return true, fmt.Errorf("%w: by the referrers API of %s after %d reads", ErrNotListed, subject, listAttempts)
}

// addToTagSchema adds entry to the referrers tag index of subject.
//
// The distribution API has no compare-and-swap that every registry honours:
// a tag PUT is last-writer-wins. So each round reads the index (keeping every
// entry it does not understand byte for byte), appends, and PUTs with
// If-Match on the ETag it read (If-None-Match: * when creating), so a
// registry that implements conditional requests answers 412 instead of
// losing a concurrent writer's entry. Registries that ignore the headers
// (distribution 2.8.2, ggcr's registry) are covered by a read-back after a
// settle delay that grows with the registry's answer time (settleFor): a write lost to a concurrent writer is detected and
// redone. What no client can guarantee there: a writer whose whole
// read-modify-write straddles our PUT and read-back can still drop our entry
// later; the artifact itself remains in the registry.
func addToTagSchema(ctx context.Context, c *oci.Client, repo name.Repository, subject v1.Hash, entry oci.Descriptor, rewrite func() error) error {
	tag := oci.TagFor(subject)
	url := c.URL(repo, "manifests", tag)
	for attempt := 0; attempt < tagAttempts; attempt++ {
		start := time.Now()
		entries, etag, err := readTagIndex(ctx, c, repo, tag)
		if err != nil {
			return err
		}
		if slices.ContainsFunc(entries, func(e rawEntry) bool { return sameEntry(e.desc, entry) }) {
			return nil // listed already, or our write survived the settle delay
		}
		if attempt > 0 {
			c.Log().DebugContext(ctx, "referrers tag entry lost to a concurrent writer; merging again", "tag", tag, "attempt", attempt)
		}
		raws := make([]json.RawMessage, 0, len(entries)+1)
		for _, e := range entries {
			if e.desc.Digest != entry.Digest {
				raws = append(raws, e.raw)
			}
		}
		eb, _ := json.Marshal(entry)
		raws = append(raws, eb)
		body, err := json.Marshal(struct {
			SchemaVersion int               `json:"schemaVersion"`
			MediaType     string            `json:"mediaType"`
			Manifests     []json.RawMessage `json:"manifests"`
		}{2, oci.MediaTypeOCIIndex, raws})
		if err != nil {
			return fmt.Errorf("%w: marshal referrers index: %v", ErrConfig, err)
		}
		hdr := http.Header{"Content-Type": {oci.MediaTypeOCIIndex}}
		switch {
		case etag != "":
			hdr.Set("If-Match", etag)
		case entries == nil:
			hdr.Set("If-None-Match", "*")
		}
		resp, err := c.Do(ctx, repo, true, "put referrers tag", http.MethodPut, url, body, hdr,
			http.StatusCreated, http.StatusOK, http.StatusAccepted, http.StatusPreconditionFailed)
		switch {
		case err != nil && lostToConcurrentWriter(err) && attempt < tagAttempts-1:
			// The registry does not see a manifest the index lists
			// while a concurrent writer of the same manifest rewrites
			// it: write ours again (idempotent, digest-addressed) and
			// redo the merge after the settle wait below. A manifest
			// that stays missing ends the loop with the registry's
			// error after tagAttempts rounds.
			c.Log().DebugContext(ctx, "referrers tag lists a manifest the registry lost to a concurrent writer; writing again", "tag", tag, "attempt", attempt)
			if err := rewrite(); err != nil {
				return err
			}
		case err != nil:
			return err
		default:
			resp.Body.Close()
			if resp.StatusCode == http.StatusPreconditionFailed {
				c.Log().DebugContext(ctx, "referrers tag changed concurrently; retrying", "tag", tag, "attempt", attempt)
				continue
			}
			if err := checkStored(resp, oci.SHA256(body), "referrers tag "+tag); err != nil {
				return err
			}
		}
		// Read back after a settle delay; the next round returns when the
		// entry survived and redoes the merge when it was overwritten.
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(settleFor(time.Since(start))):
		}
	}
	return fmt.Errorf("%w: %s after %d attempts", ErrTagSchemaConflict, tag, tagAttempts)
}

type rawEntry struct {
	desc oci.Descriptor
	raw  json.RawMessage
}

// sameEntry reports whether e lists the artifact as entry does. The digest
// alone is not enough: whoever can push the tag can list our artifact
// under another media type or artifactType, or without the predicateType
// annotation verifiers filter on, and a verifier would skip it; such an
// entry is replaced, not taken as ours.
func sameEntry(e, entry oci.Descriptor) bool {
	return e.Digest == entry.Digest && e.MediaType == entry.MediaType && e.Size == entry.Size &&
		e.ArtifactType == entry.ArtifactType && e.Platform == nil && maps.Equal(e.Annotations, entry.Annotations)
}

// readTagIndex reads the referrers tag index, keeping each entry's JSON. A
// tag that exists but is not an OCI index is an error: overwriting it could
// destroy someone else's data.
func readTagIndex(ctx context.Context, c *oci.Client, repo name.Repository, tag string) ([]rawEntry, string, error) {
	f, err := c.GetManifest(ctx, repo, tag, nil, oci.MediaTypeOCIIndex, "referrers tag "+tag)
	if errors.Is(err, ErrNotFound) {
		return nil, "", nil
	}
	if err != nil {
		return nil, "", err
	}
	if f.MediaType != oci.MediaTypeOCIIndex {
		return nil, "", fmt.Errorf("%w: referrers tag %s holds %s, want an OCI index", ErrMalformed, tag, f.MediaType)
	}
	if _, err := oci.ParseIndex(f.Body, oci.MaxReferrerEntries-1); err != nil {
		return nil, "", err
	}
	var ix struct {
		Manifests []json.RawMessage `json:"manifests"`
	}
	if err := json.Unmarshal(f.Body, &ix); err != nil {
		return nil, "", fmt.Errorf("%w: referrers tag: %v", ErrMalformed, err)
	}
	out := make([]rawEntry, 0, len(ix.Manifests))
	for _, r := range ix.Manifests {
		var d oci.Descriptor
		_ = json.Unmarshal(r, &d) // validated by parseIndex above
		out = append(out, rawEntry{desc: d, raw: bytes.Clone(r)})
	}
	if out == nil {
		out = []rawEntry{}
	}
	return out, f.ETag, nil
}
