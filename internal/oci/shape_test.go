package oci

import (
	"errors"
	"testing"
)

// TestManifestMediaTypeRefusesTheOtherKind: the Content-Type header is not
// covered by the digest, so a body that is an index to one reader and an
// image manifest to another (both kinds' members, or one kind's members
// under the other's media type) is refused, as containerd refuses it;
// and so is a body whose mediaType encoding/json reads from "MediaType"
// or from the last of two.
func TestManifestMediaTypeRefusesTheOtherKind(t *testing.T) {
	t.Parallel()
	const (
		child    = `{"mediaType":"application/vnd.oci.image.manifest.v1+json","digest":"sha256:44136fa355b3678a1146ad16f7e8649e94fb4fc21fe77e8310c060f61caaff8a","size":2,"platform":{"os":"linux","architecture":"amd64"}}`
		config   = `{"mediaType":"application/vnd.oci.image.config.v1+json","digest":"sha256:44136fa355b3678a1146ad16f7e8649e94fb4fc21fe77e8310c060f61caaff8a","size":2}`
		both     = `{"schemaVersion":2,"config":` + config + `,"layers":[],"manifests":[` + child + `]}`
		listOnly = `{"schemaVersion":2,"manifests":[` + child + `]}`
		imgOnly  = `{"schemaVersion":2,"config":` + config + `,"layers":[]}`
	)
	for _, tt := range []struct {
		name, body, ct string
	}{
		{"both kinds as a manifest", both, MediaTypeOCIManifest},
		{"both kinds as an index", both, MediaTypeOCIIndex},
		{"an index's members as a manifest", listOnly, MediaTypeOCIManifest},
		{"an index's members as a Docker manifest", listOnly, mtDockerManifest},
		{"a manifest's members as an index", imgOnly, MediaTypeOCIIndex},
		{"a manifest's members as a Docker list", imgOnly, mtDockerList},
		{"a manifest declaring the index type", `{"schemaVersion":2,"mediaType":"` + MediaTypeOCIIndex + `","config":` + config + `,"manifests":[]}`, ""},
		{"MediaType", `{"schemaVersion":2,"mediaType":"` + MediaTypeOCIIndex + `","MediaType":"` + MediaTypeOCIManifest + `","manifests":[]}`, ""},
		{"mediaType twice", `{"schemaVersion":2,"mediaType":"` + MediaTypeOCIIndex + `","mediaType":"` + MediaTypeOCIManifest + `","layers":[]}`, ""},
	} {
		if mt, err := manifestMediaType([]byte(tt.body), tt.ct); !errors.Is(err, ErrMalformed) {
			t.Errorf("%s: manifestMediaType = %q, %v; want ErrMalformed", tt.name, mt, err)
		}
	}
	for _, tt := range []struct{ body, ct, want string }{
		{listOnly, MediaTypeOCIIndex, MediaTypeOCIIndex},
		{imgOnly, MediaTypeOCIManifest, MediaTypeOCIManifest},
		{imgOnly, mtDockerManifest, mtDockerManifest},
		{`{"schemaVersion":2,"mediaType":"` + MediaTypeOCIManifest + `","config":` + config + `,"layers":[],"annotations":{"k":"1","K":"2"}}`, "", MediaTypeOCIManifest},
	} {
		if mt, err := manifestMediaType([]byte(tt.body), tt.ct); err != nil || mt != tt.want {
			t.Errorf("manifestMediaType(%s, %q) = %q, %v; want %q", tt.body, tt.ct, mt, err, tt.want)
		}
	}
}
