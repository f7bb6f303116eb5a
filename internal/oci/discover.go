package oci

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"

	"github.com/google/go-containerregistry/pkg/name"
	v1 "github.com/google/go-containerregistry/pkg/v1"

	"github.com/ztci/ztci/internal/clip"
)

// Path says how attestations were found.
type Path string

const (
	// PathReferrersAPI: GET /v2/<repo>/referrers/<digest> answered with an index.
	PathReferrersAPI Path = "referrers-api"
	// PathReferrersTag: the registry answered 404 to the referrers API, and
	// the "sha256-<hex>" tag schema index was read instead.
	PathReferrersTag Path = "referrers-tag"
	// PathLegacyTag: cosign's legacy "sha256-<hex>.sig" / ".att" tags.
	PathLegacyTag Path = "cosign-legacy-tag"
)

// Resolve fetches ref's manifest and pins its digest. A tag is read exactly
// once; everything after uses the digest.
func (c *Client) Resolve(ctx context.Context, ref name.Reference) (name.Digest, *Fetched, error) {
	var want *v1.Hash
	if d, ok := ref.(name.Digest); ok {
		h, err := v1.NewHash(d.DigestStr())
		if err != nil {
			return name.Digest{}, nil, fmt.Errorf("%w: %v", ErrConfig, err)
		}
		if h.Algorithm != "sha256" {
			return name.Digest{}, nil, fmt.Errorf("%w: digest algorithm %q is not supported", ErrConfig, h.Algorithm)
		}
		want = &h
	}
	f, err := c.GetManifest(ctx, ref.Context(), ref.Identifier(), want, acceptManifests, "manifest "+ref.String())
	if err != nil {
		return name.Digest{}, nil, err
	}
	return ref.Context().Digest(f.Digest.String()), f, nil
}

// TagFor returns the tag-schema tag of h ("sha256-<hex>").
func TagFor(h v1.Hash) string { return h.Algorithm + "-" + h.Hex }

// Listing is the result of discovery for one subject.
type Listing struct {
	Path       Path
	Candidates []v1.Descriptor // artifact manifests that may hold a bundle
	Ignored    int             // entries whose artifactType is not a bundle
}

// candidateType reports whether a listed artifact may hold a Sigstore
// bundle. Listings that omit artifactType, or report the config media type
// (go-containerregistry's registry does), are checked after the fetch.
func candidateType(at string) bool {
	return at == "" || at == EmptyMediaType || IsBundleType(at)
}

// Discover lists the attestation artifacts of subject: the referrers API,
// and the tag schema only when the API answered 404.
func (c *Client) Discover(ctx context.Context, repo name.Repository, subject v1.Hash) (*Listing, error) {
	descs, supported, err := c.ReferrersAPI(ctx, repo, subject)
	if err != nil {
		return nil, err
	}
	l := &Listing{Path: PathReferrersAPI}
	if !supported {
		c.cfg.Log.DebugContext(ctx, "referrers API answered 404; reading the tag schema", "repo", repo.Name(), "subject", subject.String())
		l.Path = PathReferrersTag
		descs, err = c.referrersTag(ctx, repo, subject)
		if err != nil {
			return nil, err
		}
	}
	seen := map[v1.Hash]bool{}
	for _, d := range descs {
		if !candidateType(d.ArtifactType) || !IsManifest(string(d.MediaType)) {
			l.Ignored++
			continue
		}
		if seen[d.Digest] {
			continue
		}
		seen[d.Digest] = true
		// The limit counts candidates only: anyone who can push to the
		// repository can list any number of artifacts of other types, and
		// those must not fill it.
		if len(l.Candidates) == MaxReferrers {
			return nil, fmt.Errorf("%w: more than %d candidate attestations", ErrTooManyReferrers, MaxReferrers)
		}
		l.Candidates = append(l.Candidates, d)
	}
	return l, nil
}

// ReferrersAPI reads every page of the referrers API. supported is false
// only when the first request answered 404; every other failure is an error
// wrapping ErrReferrersAPI.
func (c *Client) ReferrersAPI(ctx context.Context, repo name.Repository, subject v1.Hash) (descs []v1.Descriptor, supported bool, err error) {
	next := c.URL(repo, "referrers", subject.String())
	for page := 0; next != ""; page++ {
		if page == maxReferrersPages {
			return nil, true, fmt.Errorf("%w: more than %d pages", ErrTooManyReferrers, maxReferrersPages)
		}
		resp, err := c.Do(ctx, repo, false, "list referrers", http.MethodGet, next, nil,
			http.Header{"Accept": {MediaTypeOCIIndex}}, http.StatusOK, http.StatusNotFound)
		if err != nil {
			return nil, false, fmt.Errorf("%w: %w", ErrReferrersAPI, err)
		}
		if resp.StatusCode == http.StatusNotFound {
			_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 64<<10))
			resp.Body.Close()
			if page == 0 {
				return nil, false, nil
			}
			return nil, true, fmt.Errorf("%w: page %d answered 404", ErrReferrersAPI, page+1)
		}
		if ct := baseMediaType(resp.Header.Get("Content-Type")); ct != MediaTypeOCIIndex {
			resp.Body.Close()
			return nil, true, fmt.Errorf("%w: answered Content-Type %s, want %s", ErrReferrersAPI, quote(ct), MediaTypeOCIIndex)
		}
		link := resp.Header.Get("Link")
		b, err := readBounded(ctx, resp, "referrers index", MaxManifestSize)
		if err != nil {
			return nil, true, fmt.Errorf("%w: %w", ErrReferrersAPI, err)
		}
		ds, err := ParseIndex(b, MaxReferrerEntries-len(descs))
		if err != nil {
			return nil, true, fmt.Errorf("%w: %w", ErrReferrersAPI, err)
		}
		descs = append(descs, ds...)
		next, err = nextLink(next, link)
		if err != nil {
			return nil, true, fmt.Errorf("%w: %w", ErrReferrersAPI, err)
		}
	}
	return descs, true, nil
}

// nextLink returns the rel="next" target of a Link header, resolved against
// cur; it must stay on the same host.
func nextLink(cur, link string) (string, error) {
	if link == "" {
		return "", nil
	}
	for part := range strings.SplitSeq(link, ",") {
		target, params, ok := strings.Cut(strings.TrimSpace(part), ";")
		if !ok || !strings.Contains(strings.ReplaceAll(params, " ", ""), `rel="next"`) {
			continue
		}
		target = strings.TrimSpace(target)
		if !strings.HasPrefix(target, "<") || !strings.HasSuffix(target, ">") {
			return "", fmt.Errorf("%w: Link header %s", ErrMalformed, quote(link))
		}
		base, err := url.Parse(cur)
		if err != nil {
			return "", fmt.Errorf("%w: %v", ErrMalformed, clip.Error(err, maxQuote))
		}
		u, err := base.Parse(target[1 : len(target)-1])
		if err != nil {
			return "", fmt.Errorf("%w: Link header: %v", ErrMalformed, clip.Error(err, maxQuote))
		}
		if u.Host != base.Host || u.Scheme != base.Scheme {
			return "", fmt.Errorf("%w: Link header points to another host %s", ErrMalformed, quote(u.Host))
		}
		return u.String(), nil
	}
	return "", nil
}

// referrersTag reads the tag schema index; a 404 means no referrers.
func (c *Client) referrersTag(ctx context.Context, repo name.Repository, subject v1.Hash) ([]v1.Descriptor, error) {
	f, err := c.GetManifest(ctx, repo, TagFor(subject), nil, MediaTypeOCIIndex, "referrers tag "+TagFor(subject))
	if errors.Is(err, ErrNotFound) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	if f.MediaType != MediaTypeOCIIndex {
		return nil, fmt.Errorf("%w: referrers tag %s holds %s, want an OCI index", ErrMalformed, TagFor(subject), f.MediaType)
	}
	return ParseIndex(f.Body, MaxReferrerEntries)
}

// LegacyLayers reads cosign's legacy ".sig" and ".att" tags for subject and
// returns their layers; absent tags contribute nothing.
func (c *Client) LegacyLayers(ctx context.Context, repo name.Repository, subject v1.Hash) ([]LegacyLayer, error) {
	var out []LegacyLayer
	for _, suffix := range []string{".sig", ".att"} {
		tag := TagFor(subject) + suffix
		f, err := c.GetManifest(ctx, repo, tag, nil, MediaTypeOCIManifest+", "+mtDockerManifest, "cosign tag "+tag)
		if errors.Is(err, ErrNotFound) {
			continue
		}
		if err != nil {
			return nil, err
		}
		if !IsManifest(f.MediaType) {
			return nil, fmt.Errorf("%w: cosign tag %s holds %s", ErrMalformed, tag, f.MediaType)
		}
		a, err := ParseArtifact(f.Body)
		if err != nil {
			return nil, err
		}
		for _, l := range a.Layers {
			out = append(out, LegacyLayer{Manifest: f.Digest, Layer: l})
		}
	}
	return out, nil
}

// LegacyLayer is one layer of a cosign legacy tag and the manifest holding it.
type LegacyLayer struct {
	Manifest v1.Hash
	Layer    v1.Descriptor
}
