package image_test

import (
	"fmt"

	v1 "github.com/google/go-containerregistry/pkg/v1"

	"github.com/ztci/ztci/verify/image"
)

// A layer of a cosign legacy ".sig" tag becomes a Sigstore bundle that any
// BundleVerifier checks (VerifyImage does this itself with WithLegacyTags);
// a signature whose payload names another image is refused before that.
func ExampleConvertLegacy() {
	img, _ := v1.NewHash("sha256:2f0249ebb962c1281b791aafe68ec39caa2751eecad1c6a5042cbdc43548d764")
	payload := []byte(`{"critical":{"identity":{"docker-reference":"registry.example/app"},"image":{"docker-manifest-digest":"` +
		img.String() + `"},"type":"cosign container image signature"},"optional":null}`)
	layer := v1.Descriptor{
		MediaType:   image.MediaTypeSimpleSigning,
		Annotations: map[string]string{image.AnnotationSignature: "MEUCIQDXkREZ7yk7UEYMoYOhgl8LACNeEoWI3zIkc7EM54TolQ=="},
	}

	lb, err := image.ConvertLegacy(layer, payload, img)
	if err != nil {
		panic(err)
	}
	fmt.Println(lb.Format, "signs", lb.Artifact)
	// then: bundleVerifier.VerifyBundle(ctx, lb.Bundle, lb.Artifact)

	other, _ := v1.NewHash("sha256:e50f88df1b11f94627e35bed9f34214392363508a2b07146d0a94516da97e4c0")
	_, err = image.ConvertLegacy(layer, payload, other)
	fmt.Println(err)
	// Output:
	// cosign-legacy-sig signs sha256:8fdb022f05d952fdf3d160f6ebddb2de9167e3075d86f3437e10fe742562b773
	// image: cosign legacy payload: critical.image.docker-manifest-digest is sha256:2f0249ebb962c1281b791aafe68ec39caa2751eecad1c6a5042cbdc43548d764, want "sha256:e50f88df1b11f94627e35bed9f34214392363508a2b07146d0a94516da97e4c0"
}
