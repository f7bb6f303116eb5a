package oci

import (
	"encoding/json"
	"errors"
	"testing"
)

// Seeds are shapes real registries serve: the cosign v3 referrers entry,
// ggcr's listing (artifactType = config media type), docker manifest lists.
var indexSeeds = []string{
	`{"schemaVersion":2,"mediaType":"application/vnd.oci.image.index.v1+json","manifests":[]}`,
	`{"schemaVersion":2,"mediaType":"application/vnd.oci.image.index.v1+json","manifests":[{"mediaType":"application/vnd.oci.image.manifest.v1+json","digest":"sha256:f0d625b5510b3feedd814dea7b2da07038b2a6f0573f9d2089c4d9c9be77ceb8","size":895,"artifactType":"application/vnd.dev.sigstore.bundle.v0.3+json","annotations":{"dev.sigstore.bundle.content":"dsse-envelope","dev.sigstore.bundle.predicateType":"https://slsa.dev/provenance/v1"}}]}`,
	`{"schemaVersion":2,"manifests":[{"mediaType":"application/vnd.oci.image.manifest.v1+json","digest":"sha256:f0d625b5510b3feedd814dea7b2da07038b2a6f0573f9d2089c4d9c9be77ceb8","size":895,"artifactType":"application/vnd.oci.empty.v1+json"}]}`,
	`{"schemaVersion":2,"mediaType":"application/vnd.docker.distribution.manifest.list.v2+json","manifests":[{"mediaType":"application/vnd.docker.distribution.manifest.v2+json","digest":"sha256:f0d625b5510b3feedd814dea7b2da07038b2a6f0573f9d2089c4d9c9be77ceb8","size":1,"platform":{"os":"linux","architecture":"arm64","variant":"v8"}}]}`,
	`{"schemaVersion":2,"manifests":[{"digest":"sha512:00","size":-1}]}`,
	`{"schemaVersion":2,"manifests":null} {}`,
}

func FuzzParseIndex(f *testing.F) {
	for _, s := range indexSeeds {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		ds, err := ParseIndex(b, 8)
		if err != nil {
			if !errors.Is(err, ErrMalformed) && !errors.Is(err, ErrTooManyReferrers) {
				t.Fatalf("untyped error %v", err)
			}
			return
		}
		if len(ds) > 8 {
			t.Fatalf("%d entries over the limit", len(ds))
		}
		for _, d := range ds {
			if d.Digest.Algorithm != "sha256" || len(d.Digest.Hex) != 64 || d.Size < 0 {
				t.Fatalf("accepted Descriptor %+v", d)
			}
		}
	})
}

var manifestSeeds = []string{
	`{"schemaVersion":2,"mediaType":"application/vnd.oci.image.manifest.v1+json","artifactType":"application/vnd.dev.sigstore.bundle.v0.3+json","config":{"mediaType":"application/vnd.oci.empty.v1+json","digest":"sha256:44136fa355b3678a1146ad16f7e8649e94fb4fc21fe77e8310c060f61caaff8a","size":2},"layers":[{"mediaType":"application/vnd.dev.sigstore.bundle.v0.3+json","digest":"sha256:cafed00dcafed00dcafed00dcafed00dcafed00dcafed00dcafed00dcafed00d","size":4971}],"subject":{"mediaType":"application/vnd.oci.image.index.v1+json","digest":"sha256:c00010ffc00010ffc00010ffc00010ffc00010ffc00010ffc00010ffc00010ff","size":7}}`,
	`{"schemaVersion":2,"mediaType":"application/vnd.docker.distribution.manifest.v2+json","config":{"mediaType":"application/vnd.docker.container.image.v1+json","digest":"sha256:44136fa355b3678a1146ad16f7e8649e94fb4fc21fe77e8310c060f61caaff8a","size":2},"layers":[]}`,
	`{"schemaVersion":1,"layers":[]}`,
	`{"schemaVersion":2,"subject":{"digest":"md5:00"}}`,
}

func FuzzParseArtifact(f *testing.F) {
	for _, s := range manifestSeeds {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		p, err := ParseArtifact(b)
		if err != nil {
			if !errors.Is(err, ErrMalformed) {
				t.Fatalf("untyped error %v", err)
			}
			return
		}
		if p.Subject != nil && (p.Subject.Algorithm != "sha256" || len(p.Subject.Hex) != 64) {
			t.Fatalf("accepted subject %v", p.Subject)
		}
		if len(p.Layers) > 64 {
			t.Fatalf("%d layers", len(p.Layers))
		}
	})
}

func FuzzManifestMediaType(f *testing.F) {
	for _, s := range append(manifestSeeds, indexSeeds...) {
		f.Add([]byte(s), "application/vnd.oci.image.manifest.v1+json")
		f.Add([]byte(s), "")
	}
	for _, s := range []string{
		`{"schemaVersion":2,"config":{},"layers":[],"manifests":[]}`,
		`{"schemaVersion":2,"manifests":[{"digest":"sha256:00"}]}`,
		`{"schemaVersion":2,"MediaType":"application/vnd.oci.image.index.v1+json","manifests":[]}`,
	} {
		f.Add([]byte(s), MediaTypeOCIManifest)
		f.Add([]byte(s), mtDockerList)
	}
	f.Fuzz(func(t *testing.T, b []byte, ct string) {
		mt, err := manifestMediaType(b, ct)
		if err != nil {
			if !errors.Is(err, ErrMalformed) {
				t.Fatalf("untyped error %v", err)
			}
			return
		}
		if !IsIndex(mt) && !IsManifest(mt) {
			t.Fatalf("accepted media type %q", mt)
		}
		// The kind must not hang on the header alone: an accepted body
		// holds only its kind's members, under their exact names.
		var shape map[string]json.RawMessage
		if json.Unmarshal(b, &shape) != nil {
			t.Fatalf("accepted %q, which is not a JSON object", b)
		}
		_, manifests := shape["manifests"]
		_, config := shape["config"]
		_, layers := shape["layers"]
		if IsIndex(mt) && (config || layers) || IsManifest(mt) && manifests {
			t.Fatalf("accepted %q as %s", b, mt)
		}
	})
}

func FuzzSniffBundle(f *testing.F) {
	st, _ := json.Marshal(map[string]string{"predicateType": "https://slsa.dev/provenance/v1"})
	env, _ := json.Marshal(map[string]any{"payloadType": inTotoPayloadType, "payload": st})
	f.Add([]byte(`{"mediaType":"application/vnd.dev.sigstore.bundle.v0.3+json","dsseEnvelope":` + string(env) + `}`))
	f.Add([]byte(`{"mediaType":"application/vnd.dev.sigstore.bundle+json;version=0.2","messageSignature":{}}`))
	f.Add([]byte(`{"mediaType":"application/json"}`))
	f.Fuzz(func(t *testing.T, b []byte) {
		info, err := SniffBundle(b)
		if err != nil {
			if !errors.Is(err, ErrConfig) && !errors.Is(err, ErrTooLarge) {
				t.Fatalf("untyped error %v", err)
			}
			return
		}
		if !IsBundleType(info.MediaType) || (info.Content != "dsse-envelope" && info.Content != "message-signature") {
			t.Fatalf("accepted %+v", info)
		}
	})
}

func FuzzNextLink(f *testing.F) {
	const cur = "http://127.0.0.1:5000/v2/app/referrers/sha256:00"
	f.Add(`</v2/app/referrers/sha256:00?n=10&last=x>; rel="next"`)
	f.Add(`<http://evil.example/v2/x>; rel="next"`)
	f.Add(`<a>; rel="prev", <b>; rel="next"`)
	f.Add(`garbage`)
	f.Fuzz(func(t *testing.T, link string) {
		next, err := nextLink(cur, link)
		if err != nil {
			if !errors.Is(err, ErrMalformed) {
				t.Fatalf("untyped error %v", err)
			}
			return
		}
		if next != "" && !hasPrefix(next, "http://127.0.0.1:5000/") {
			t.Fatalf("followed a link off the registry: %q", next)
		}
	})
}

func hasPrefix(s, p string) bool { return len(s) >= len(p) && s[:len(p)] == p }
