package gate_test

import (
	"errors"
	"testing"

	"github.com/google/go-containerregistry/pkg/name"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/empty"
	"github.com/google/go-containerregistry/pkg/v1/mutate"
	"github.com/google/go-containerregistry/pkg/v1/random"
	"github.com/google/go-containerregistry/pkg/v1/remote"
	"github.com/google/go-containerregistry/pkg/v1/types"

	"github.com/ztci/ztci/policy/gate"
	"github.com/ztci/ztci/policy/gate/gatetest"
	"github.com/ztci/ztci/verify/image"
)

// An index may list another index, and a runtime descends into it
// (containerd walks nested indexes, and tries an entry without a platform
// for every platform): its manifests are as runnable as the outer ones.
// Here the outer index lists the release's attested amd64 manifest and an
// inner index holding an arm64 manifest nobody attested, which a gate
// verifying every platform (or arm64) used to skip as "not a manifest" and
// allow: an arm64 node would run what no trusted build made. Such an index
// is undecided, as one listing a manifest without a platform is.
func TestReview10NestedIndexNotSkipped(t *testing.T) {
	t.Parallel()
	ctx := t.Context()
	w := newVSAWorld(t)
	good, err := w.lab.Publish(ctx, gatetest.Job{Ref: "refs/heads/main", Protected: true}, "nested-amd64")
	if err != nil {
		t.Fatal(err)
	}
	repo, err := name.NewRepository(good.Name)
	if err != nil {
		t.Fatal(err)
	}
	goodImg, err := remote.Image(repo.Digest(good.Digest), remote.WithContext(ctx))
	if err != nil {
		t.Fatal(err)
	}
	evil, err := random.Image(256, 1)
	if err != nil {
		t.Fatal(err)
	}
	amd64, arm64 := v1.Platform{OS: "linux", Architecture: "amd64"}, v1.Platform{OS: "linux", Architecture: "arm64"}
	inner := mutate.AppendManifests(mutate.IndexMediaType(empty.Index, types.OCIImageIndex),
		mutate.IndexAddendum{Add: evil, Descriptor: v1.Descriptor{Platform: &arm64}})
	for _, tc := range []struct {
		name     string
		good     v1.Platform  // the attested manifest's entry
		platform *v1.Platform // the inner index's entry
		opt      image.Option
	}{
		{name: "all platforms, inner index without a platform", good: amd64, opt: image.WithAllPlatforms()},
		{name: "all platforms, inner index for arm64", good: amd64, platform: &arm64, opt: image.WithAllPlatforms()},
		// Two entries for arm64: a runtime takes the first it prefers,
		// and both are listed for arm64 alike.
		{name: "arm64, inner index for arm64 first", good: arm64, platform: &arm64, opt: image.WithPlatform(arm64)},
		// As a manifest listed without a platform is (ErrPlatformAmbiguous).
		{name: "amd64, inner index without a platform", good: amd64, opt: image.WithPlatform(amd64)},
	} {
		t.Run(tc.name, func(t *testing.T) {
			outer := mutate.AppendManifests(mutate.IndexMediaType(empty.Index, types.OCIImageIndex),
				mutate.IndexAddendum{Add: inner, Descriptor: v1.Descriptor{Platform: tc.platform}},
				mutate.IndexAddendum{Add: goodImg, Descriptor: v1.Descriptor{Platform: &tc.good}})
			d, err := outer.Digest()
			if err != nil {
				t.Fatal(err)
			}
			if err := remote.WriteIndex(repo.Digest(d.String()), outer, remote.WithContext(ctx)); err != nil {
				t.Fatal(err)
			}
			g, _ := w.gate(t, discard(), gate.WithImageOptions(tc.opt))
			dec, err := g.Decide(ctx, w.request(t, repo.Digest(d.String()).String()))
			if dec.Allowed || !errors.Is(err, gate.ErrUndecided) {
				t.Fatalf("Decide = %s, %v; want undecided", dec, err)
			}
		})
	}
}
