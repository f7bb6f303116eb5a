package image_test

import (
	"errors"
	"fmt"
	"testing"

	"github.com/google/go-containerregistry/pkg/name"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/empty"
	"github.com/google/go-containerregistry/pkg/v1/mutate"
	"github.com/google/go-containerregistry/pkg/v1/random"
	"github.com/google/go-containerregistry/pkg/v1/remote"

	"github.com/ztci/ztci/attest/attach"
	"github.com/ztci/ztci/internal/oci/ocitest"
	"github.com/ztci/ztci/verify/image"
)

var (
	amd64   = v1.Platform{OS: "linux", Architecture: "amd64"}
	arm64   = v1.Platform{OS: "linux", Architecture: "arm64", Variant: "v8"}
	windows = v1.Platform{OS: "windows", Architecture: "amd64"}
)

// pushIndex pushes a two-platform index to ref and returns the digests of
// the index and of each platform manifest.
func pushIndex(t testing.TB, ref name.Reference) (idx name.Digest, children map[string]name.Digest) {
	t.Helper()
	children = map[string]name.Digest{}
	var adds []mutate.IndexAddendum
	for i, p := range []v1.Platform{amd64, arm64} {
		img, err := random.Image(64, 1, random.WithSource(rngSource(int64(100+i))))
		if err != nil {
			t.Fatal(err)
		}
		d, _ := img.Digest()
		children[p.Architecture] = ref.Context().Digest(d.String())
		adds = append(adds, mutate.IndexAddendum{Add: img, Descriptor: v1.Descriptor{Platform: &p}})
	}
	ix := mutate.AppendManifests(empty.Index, adds...)
	if err := remote.WriteIndex(ref, ix); err != nil {
		t.Fatal(err)
	}
	d, _ := ix.Digest()
	return ref.Context().Digest(d.String()), children
}

func TestMultiPlatformIndex(t *testing.T) {
	t.Parallel()
	alice := ocitest.NewSigner("alice")
	for _, kind := range ocitest.AllKinds {
		t.Run(string(kind), func(t *testing.T) {
			t.Parallel()
			reg := ocitest.Start(t, kind, nil)
			tag := reg.Ref(t, "multi:v1")
			idx, children := pushIndex(t, tag)
			// The index and the amd64 manifest are attested; arm64 is not.
			for _, d := range []name.Digest{idx, children["amd64"]} {
				if _, err := attach.Bundle(t.Context(), d, alice.Bundle(t, d.DigestStr()), attachOpts(nil)...); err != nil {
					t.Fatal(err)
				}
			}
			tests := []struct {
				name    string
				opt     image.Option
				want    bool
				targets []string
				wantErr error
			}{
				{name: "index itself", want: true, targets: []string{idx.DigestStr()}},
				{name: "amd64", opt: image.WithPlatform(amd64), want: true, targets: []string{children["amd64"].DigestStr()}},
				{name: "arm64", opt: image.WithPlatform(v1.Platform{OS: "linux", Architecture: "arm64"}), want: false, targets: []string{children["arm64"].DigestStr()}},
				{name: "all platforms", opt: image.WithAllPlatforms(), want: false, targets: []string{children["amd64"].DigestStr(), children["arm64"].DigestStr()}},
				{name: "absent platform", opt: image.WithPlatform(windows), wantErr: image.ErrPlatformNotFound},
			}
			for _, tt := range tests {
				o := opts(nil)
				if tt.opt != nil {
					o = append(o, tt.opt)
				}
				v, err := image.NewVerifier(newTestVerifier(alice), o...)
				if err != nil {
					t.Fatal(err)
				}
				res, err := v.VerifyImage(t.Context(), tag)
				if tt.wantErr != nil {
					if !errors.Is(err, tt.wantErr) {
						t.Errorf("%s: err = %v, want %v", tt.name, err, tt.wantErr)
					}
					continue
				}
				if err != nil {
					t.Fatalf("%s: %v", tt.name, err)
				}
				if res.Verified != tt.want || res.Digest != idx {
					t.Errorf("%s: verified=%v digest=%s, want %v %s", tt.name, res.Verified, res.Digest, tt.want, idx)
				}
				var got []string
				for _, tg := range res.Targets {
					got = append(got, tg.Digest.String())
					if tt.opt != nil && tg.Platform == nil {
						t.Errorf("%s: target %s has no platform", tt.name, tg.Digest)
					}
				}
				if len(got) != len(tt.targets) {
					t.Fatalf("%s: targets %v, want %v", tt.name, got, tt.targets)
				}
				for i := range got {
					if got[i] != tt.targets[i] {
						t.Errorf("%s: target %d = %s, want %s", tt.name, i, got[i], tt.targets[i])
					}
				}
			}
		})
	}
}

func TestConflictingPlatformOptions(t *testing.T) {
	t.Parallel()
	_, err := image.NewVerifier(newTestVerifier(), image.WithPlatform(amd64), image.WithAllPlatforms())
	if !errors.Is(err, image.ErrConfig) {
		t.Fatalf("err = %v, want ErrConfig", err)
	}
}

func TestAmbiguousPlatform(t *testing.T) {
	t.Parallel()
	reg := ocitest.Start(t, ocitest.GGCRReferrers, nil)
	tag := reg.Ref(t, "arm:v1")
	var adds []mutate.IndexAddendum
	for i, variant := range []string{"v7", "v8"} {
		p := v1.Platform{OS: "linux", Architecture: "arm64", Variant: variant}
		adds = append(adds, mutate.IndexAddendum{Add: ocitest.RandomImage(t, int64(200+i)), Descriptor: v1.Descriptor{Platform: &p}})
	}
	if err := remote.WriteIndex(tag, mutate.AppendManifests(empty.Index, adds...)); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name    string
		p       v1.Platform
		wantErr error
	}{
		{name: "no variant matches both", p: v1.Platform{OS: "linux", Architecture: "arm64"}, wantErr: image.ErrPlatformAmbiguous},
		{name: "variant picks one", p: v1.Platform{OS: "linux", Architecture: "arm64", Variant: "v8"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			v, _ := image.NewVerifier(newTestVerifier(), opts(nil, image.WithPlatform(tt.p))...)
			res, err := v.VerifyImage(t.Context(), tag)
			if tt.wantErr != nil {
				if !errors.Is(err, tt.wantErr) {
					t.Fatalf("err = %v, want %v", err, tt.wantErr)
				}
				return
			}
			if err != nil || len(res.Targets) != 1 || res.Targets[0].Platform.Variant != "v8" {
				t.Fatalf("VerifyImage = %+v, %v", res, err)
			}
		})
	}
}

// An index entry without a platform is a manifest a runtime picks by its
// config's platform (containerd does), so it may be what a node runs:
// WithAllPlatforms verifies it too (here it is unattested: the index is
// not verified), and WithPlatform cannot tell whether it is the one for
// its platform (ErrPlatformAmbiguous). BuildKit's attestation manifests,
// "unknown/unknown", are no runtime's platform and are left out.
func TestIndexEntriesWithoutPlatform(t *testing.T) {
	t.Parallel()
	alice := ocitest.NewSigner("alice")
	reg := ocitest.Start(t, ocitest.GGCRReferrers, nil)
	tag := reg.Ref(t, "mixed:v1")
	amd := ocitest.RandomImage(t, 300)
	unknown := v1.Platform{OS: "unknown", Architecture: "unknown"}
	ix := mutate.AppendManifests(empty.Index,
		mutate.IndexAddendum{Add: amd, Descriptor: v1.Descriptor{Platform: &amd64}},
		mutate.IndexAddendum{Add: ocitest.RandomImage(t, 301), Descriptor: v1.Descriptor{Platform: &unknown}})
	if err := remote.WriteIndex(tag, ix); err != nil {
		t.Fatal(err)
	}
	d, _ := amd.Digest()
	if _, err := attach.Bundle(t.Context(), tag.Context().Digest(d.String()), alice.Bundle(t, d.String()), attachOpts(nil)...); err != nil {
		t.Fatal(err)
	}
	verifyAll := func(ref name.Reference, o image.Option) (*image.Result, error) {
		v, err := image.NewVerifier(newTestVerifier(alice), opts(nil, o)...)
		if err != nil {
			t.Fatal(err)
		}
		return v.VerifyImage(t.Context(), ref)
	}
	res, err := verifyAll(tag, image.WithAllPlatforms())
	if err != nil || !res.Verified || len(res.Targets) != 1 {
		t.Fatalf("attestation manifest beside amd64: %+v, %v; want amd64 alone, verified", res, err)
	}

	noPlatform := reg.Ref(t, "mixed:v2")
	if err := remote.WriteIndex(noPlatform, mutate.AppendManifests(ix, mutate.IndexAddendum{Add: ocitest.RandomImage(t, 302)})); err != nil {
		t.Fatal(err)
	}
	if res, err := verifyAll(noPlatform, image.WithAllPlatforms()); err != nil || res.Verified || len(res.Targets) != 2 {
		t.Errorf("all platforms with an unattested manifest without platform: %+v, %v; want it verified too, and the index not", res, err)
	}
	if _, err := verifyAll(noPlatform, image.WithPlatform(amd64)); !errors.Is(err, image.ErrPlatformAmbiguous) {
		t.Errorf("amd64 beside a manifest without platform: %v; want ErrPlatformAmbiguous", err)
	}
}

// A platform is matched as containerd matches it (platforms.Normalize):
// "Linux/x86_64", "linux/aarch64/8" and an entry without an os are what a
// linux/amd64 or linux/arm64 node runs. Compared byte for byte, an
// unattested "Linux/x86_64" listed before an attested "linux/amd64" was
// skipped and the index verified on the attested one, while containerd,
// taking the first entry that matches, ran the unattested one.
func TestPlatformMatchedAsARuntimeMatchesIt(t *testing.T) {
	t.Parallel()
	alice := ocitest.NewSigner("alice")
	reg := ocitest.Start(t, ocitest.GGCRReferrers, nil)
	good := ocitest.RandomImage(t, 400)
	gd, _ := good.Digest()
	goodRef := reg.Ref(t, "spelt:good")
	if err := remote.Write(goodRef, good); err != nil {
		t.Fatal(err)
	}
	if _, err := attach.Bundle(t.Context(), goodRef.Context().Digest(gd.String()), alice.Bundle(t, gd.String()), attachOpts(nil)...); err != nil {
		t.Fatal(err)
	}
	entry := func(img v1.Image, p v1.Platform) mutate.IndexAddendum {
		return mutate.IndexAddendum{Add: img, Descriptor: v1.Descriptor{Platform: &p}}
	}
	arm64v8 := v1.Platform{OS: "linux", Architecture: "arm64", Variant: "v8"}
	tests := []struct {
		name    string
		want    v1.Platform
		entries []mutate.IndexAddendum
		wantErr error // nil: verified on good alone
	}{
		{name: "alias listed first", want: amd64, wantErr: image.ErrPlatformAmbiguous, entries: []mutate.IndexAddendum{
			entry(ocitest.RandomImage(t, 401), v1.Platform{OS: "Linux", Architecture: "x86_64"}), entry(good, amd64)}},
		{name: "no os listed first", want: amd64, wantErr: image.ErrPlatformAmbiguous, entries: []mutate.IndexAddendum{
			entry(ocitest.RandomImage(t, 402), v1.Platform{Architecture: "amd64"}), entry(good, amd64)}},
		{name: "default variant spelt out", want: arm64v8, wantErr: image.ErrPlatformAmbiguous, entries: []mutate.IndexAddendum{
			entry(ocitest.RandomImage(t, 403), v1.Platform{OS: "linux", Architecture: "aarch64"}), entry(good, arm64v8)}},
		{name: "only an alias", want: amd64, entries: []mutate.IndexAddendum{
			entry(good, v1.Platform{OS: "LINUX", Architecture: "X86_64"}), entry(ocitest.RandomImage(t, 404), arm64v8)}},
		{name: "another variant", want: arm64v8, entries: []mutate.IndexAddendum{
			entry(good, v1.Platform{OS: "linux", Architecture: "arm64"}), entry(ocitest.RandomImage(t, 405), v1.Platform{OS: "linux", Architecture: "arm64", Variant: "v9"})}},
	}
	for i, tt := range tests {
		ref := reg.Ref(t, fmt.Sprintf("spelt:v%d", i))
		if err := remote.WriteIndex(ref, mutate.AppendManifests(empty.Index, tt.entries...)); err != nil {
			t.Fatal(err)
		}
		v, err := image.NewVerifier(newTestVerifier(alice), opts(nil, image.WithPlatform(tt.want))...)
		if err != nil {
			t.Fatal(err)
		}
		res, err := v.VerifyImage(t.Context(), ref)
		switch {
		case tt.wantErr != nil:
			if !errors.Is(err, tt.wantErr) {
				t.Errorf("%s: %+v, %v; want %v", tt.name, res, err, tt.wantErr)
			}
		case err != nil || !res.Verified || len(res.Targets) != 1 || res.Targets[0].Digest != gd:
			t.Errorf("%s: %+v, %v; want verified on %s alone", tt.name, res, err, gd)
		}
	}
}
