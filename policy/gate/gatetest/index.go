package gatetest

import (
	"context"
	"fmt"

	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/empty"
	"github.com/google/go-containerregistry/pkg/v1/mutate"
	"github.com/google/go-containerregistry/pkg/v1/remote"
	"github.com/google/go-containerregistry/pkg/v1/types"
)

// PublishedIndex is a multi-platform image the Lab published: Digest is the
// index's, and Platforms maps each platform ("linux/amd64") to the digest
// of its manifest. Bundles are every platform's attestations.
type PublishedIndex struct {
	Published
	Platforms map[string]string
}

// PublishIndex does what a multi-platform release job on j does: it builds
// one image per platform, pushes them and an OCI index listing them under
// tag, and signs and attaches SLSA provenance and a CycloneDX SBOM to each
// platform manifest — not to the index, as per-platform builds attest. A
// gate verifies it with image.WithPlatform or image.WithAllPlatforms.
func (l *Lab) PublishIndex(ctx context.Context, j Job, tag string, platforms ...v1.Platform) (*PublishedIndex, error) {
	if len(platforms) == 0 {
		return nil, fmt.Errorf("gatetest: PublishIndex needs at least one platform")
	}
	id, ref, err := l.releaseJob(ctx, j, tag)
	if err != nil {
		return nil, err
	}
	p := &PublishedIndex{Platforms: map[string]string{}}
	idx := mutate.IndexMediaType(empty.Index, types.OCIImageIndex)
	for _, pl := range platforms {
		img, err := imageWith(fmt.Appendf(nil, "#!/bin/sh\necho 'built for %s from %s@%s'\n", pl.String(), j.Ref, id.Claims.Commit))
		if err != nil {
			return nil, err
		}
		d, err := img.Digest()
		if err != nil {
			return nil, err
		}
		if err := remote.Write(ref.Context().Digest(d.String()), img, remote.WithContext(ctx)); err != nil {
			return nil, err
		}
		bundles, err := l.attestImage(ctx, id, ref, img)
		if err != nil {
			return nil, err
		}
		p.Bundles = append(p.Bundles, bundles...)
		p.Platforms[pl.String()] = d.String()
		idx = mutate.AppendManifests(idx, mutate.IndexAddendum{Add: img, Descriptor: v1.Descriptor{Platform: &pl}})
	}
	if err := remote.WriteIndex(ref, idx, remote.WithContext(ctx)); err != nil {
		return nil, err
	}
	d, err := idx.Digest()
	if err != nil {
		return nil, err
	}
	p.Image, p.Name, p.Digest = ref.String(), ref.Context().Name(), d.String()
	return p, nil
}
