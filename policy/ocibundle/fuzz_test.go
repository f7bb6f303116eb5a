package ocibundle

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

const (
	seedLayer  = `{"mediaType":"application/vnd.oci.image.layer.v1.tar+gzip","digest":"sha256:0000000000000000000000000000000000000000000000000000000000000000","size":12}`
	seedConfig = `{"mediaType":"application/vnd.oci.image.config.v1+json","digest":"sha256:1111111111111111111111111111111111111111111111111111111111111111","size":2}`
	seedEmpty  = `{"mediaType":"application/vnd.oci.empty.v1+json","digest":"sha256:44136fa355b3678a1146ad16f7e8649e94fb4fc21fe77e8310c060f61caaff8a","size":2}`
)

func manifestSeed(mediaType, config string, layers ...string) string {
	return `{"schemaVersion":2,"mediaType":"` + mediaType + `","config":` + config + `,"layers":[` + strings.Join(layers, ",") + `]}`
}

// FuzzParseManifest: the manifest comes from an untrusted registry (it is
// parsed only after its digest verified, but the parser must hold for any
// bytes). It never panics, fails only with ErrFormat, and what it accepts
// is one sha256 layer of OPA's media type.
func FuzzParseManifest(f *testing.F) {
	for _, s := range []string{
		manifestSeed(MediaTypeManifest, seedConfig, seedLayer),
		manifestSeed(MediaTypeManifest, seedEmpty, seedLayer),
		manifestSeed(MediaTypeManifest, seedConfig),
		manifestSeed(MediaTypeManifest, seedConfig, seedLayer, seedLayer),
		manifestSeed("application/vnd.docker.distribution.manifest.v2+json", seedConfig, seedLayer),
		manifestSeed(MediaTypeManifest, seedConfig, strings.Replace(seedLayer, "tar+gzip", "tar", 1)),
		manifestSeed(MediaTypeManifest, seedConfig, strings.Replace(seedLayer, `"size":12`, `"size":-1`, 1)),
		manifestSeed(MediaTypeManifest, seedConfig, strings.Replace(seedLayer, "sha256:", "sha512:", 1)),
		`{"schemaVersion":2,"mediaType":"application/vnd.oci.image.index.v1+json","manifests":[]}`,
		manifestSeed(MediaTypeManifest, seedConfig, seedLayer) + `{}`,
		`null`, ``, `[]`,
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		d, err := parseManifest(b)
		if err != nil {
			if !errors.Is(err, ErrFormat) {
				t.Fatalf("error %v does not wrap ErrFormat", err)
			}
			return
		}
		if string(d.MediaType) != MediaTypeLayer || d.Digest.Algorithm != "sha256" || len(d.Digest.Hex) != 64 || d.Size < 0 {
			t.Fatalf("accepted %+v", d)
		}
	})
}

// TestParseManifestSeeds pins the verdict on each kind of seed.
func TestParseManifestSeeds(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		in   string
		ok   bool
	}{
		{"OPA layout", manifestSeed(MediaTypeManifest, seedConfig, seedLayer), true},
		{"oras empty config", manifestSeed(MediaTypeManifest, seedEmpty, seedLayer), true},
		{"no layer", manifestSeed(MediaTypeManifest, seedConfig), false},
		{"two layers", manifestSeed(MediaTypeManifest, seedConfig, seedLayer, seedLayer), false},
		{"docker manifest", manifestSeed("application/vnd.docker.distribution.manifest.v2+json", seedConfig, seedLayer), false},
		{"no media type", manifestSeed("", seedConfig, seedLayer), false},
		{"other config", manifestSeed(MediaTypeManifest, strings.Replace(seedConfig, "image.config.v1+json", "unknown.config.v1+json", 1), seedLayer), false},
		{"uncompressed layer", manifestSeed(MediaTypeManifest, seedConfig, strings.Replace(seedLayer, "tar+gzip", "tar", 1)), false},
		{"negative size", manifestSeed(MediaTypeManifest, seedConfig, strings.Replace(seedLayer, `"size":12`, `"size":-1`, 1)), false},
		{"sha512 layer", manifestSeed(MediaTypeManifest, seedConfig, strings.Replace(seedLayer, "sha256:", "sha512:", 1)), false},
		{"index", `{"schemaVersion":2,"mediaType":"application/vnd.oci.image.index.v1+json","manifests":[]}`, false},
		{"trailing data", manifestSeed(MediaTypeManifest, seedConfig, seedLayer) + `{}`, false},
		{"schema 1", strings.Replace(manifestSeed(MediaTypeManifest, seedConfig, seedLayer), `"schemaVersion":2`, `"schemaVersion":1`, 1), false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			_, err := parseManifest([]byte(tt.in))
			if (err == nil) != tt.ok || (err != nil && !errors.Is(err, ErrFormat)) {
				t.Fatalf("parseManifest = %v, want ok=%v", err, tt.ok)
			}
		})
	}
}

// FuzzFileFloorStore: the floor file is read back after a restart; whatever
// it holds, ReadFloor never panics and never returns the zero floor (which
// would lift the rollback check) for a file that exists.
func FuzzFileFloorStore(f *testing.F) {
	for _, s := range []string{
		`{"signedAt":"2026-12-06T10:00:00Z","digest":"sha256:aa"}`,
		`{"signedAt":"0001-01-01T00:00:00Z"}`, `{}`, ``, `null`, `{"signedAt":"2026-12-06T10:00:00Z"} `,
	} {
		f.Add([]byte(s))
	}
	path := filepath.Join(f.TempDir(), "floor.json")
	s, err := NewFileFloorStore(path)
	if err != nil {
		f.Fatal(err)
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		if err := os.WriteFile(path, b, 0o600); err != nil {
			t.Fatal(err)
		}
		fl, err := s.ReadFloor(t.Context())
		if err == nil && fl.SignedAt.IsZero() {
			t.Fatalf("%q read as no floor", b)
		}
	})
}
