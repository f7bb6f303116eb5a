package gate

import (
	"errors"
	"testing"

	"github.com/google/go-containerregistry/pkg/name"
)

// WithRegistries compares hosts as go-containerregistry resolves
// references (Docker Hub under either of its names) and case-insensitively,
// and refuses what is not a host instead of matching nothing.
func TestWithRegistries(t *testing.T) {
	t.Parallel()
	var c config
	if err := WithRegistries("docker.io", "Registry.Example:5000", "[::1]:5000")(&c); err != nil {
		t.Fatal(err)
	}
	for ref, want := range map[string]bool{
		"docker.io/library/nginx:1.27":         true,
		"index.docker.io/library/nginx:1.27":   true,
		"registry.example:5000/app:v1":         true,
		"REGISTRY.example:5000/app:v1":         true,
		"[::1]:5000/app:v1":                    true,
		"registry.example/app:v1":              false, // another port
		"registry.example:5001/app:v1":         false,
		"registry.example.evil:5000/app:v1":    false,
		"registry-1.docker.io/library/nginx:1": false, // not how references name Docker Hub
		"ghcr.io/org/app:v1":                   false,
	} {
		r, err := name.ParseReference(ref, name.StrictValidation)
		if err != nil {
			t.Fatal(err)
		}
		if got := c.registryAllowed(r); got != want {
			t.Errorf("registryAllowed(%s) = %v, want %v", ref, got, want)
		}
	}
	for _, bad := range []string{"", " ghcr.io", "https://ghcr.io", "ghcr.io/org", "ghcr.io:port", "user@ghcr.io"} {
		if err := WithRegistries(bad)(&config{}); !errors.Is(err, ErrConfig) {
			t.Errorf("WithRegistries(%q) = %v, want ErrConfig", bad, err)
		}
	}
	var none config
	r, _ := name.ParseReference("ghcr.io/org/app:v1", name.StrictValidation)
	if !none.registryAllowed(r) {
		t.Error("without WithRegistries every registry is read")
	}
}
