package gate_test

import (
	"errors"
	"testing"

	"github.com/ztci/ztci/policy/gate"
)

// TestReview32RegistryHostGrammar: the gate read a registry host that no
// container runtime reads. go-containerregistry takes any RFC 3986
// authority, so "ɡhcr.io" (a Latin small script g, U+0261) was decided,
// audited, indexed and shown to policy as a look-alike of ghcr.io, and a
// host with the Kelvin sign (U+212A) was lowered by the gate to another,
// ASCII host ("kreg.example"), which it then verified and WithRegistries
// allowed, while the request named the first. The runtimes (containerd,
// CRI-O, Docker: the distribution reference grammar) read only ASCII
// letters, digits and hyphens in dot-separated labels, or an IPv6
// literal, with an optional numeric port. Anything else is now a bad
// request, refused before the token is verified.
func TestReview32RegistryHostGrammar(t *testing.T) {
	t.Parallel()
	ctx := t.Context()
	vs := gate.Verifiers{"https://slsa.dev/provenance/v1": provenanceVerifier(t)}
	anyRegistry, err := gate.New(tokens, vs, &allowVerified{}, &memSink{})
	if err != nil {
		t.Fatal(err)
	}
	allowList, err := gate.New(tokens, vs, &allowVerified{}, &memSink{}, gate.WithRegistries("kreg.example", "ghcr.io", "registry.example"))
	if err != nil {
		t.Fatal(err)
	}
	tok := gate.NewToken(goodToken)
	for _, tc := range []struct{ name, image string }{
		{name: "kelvin sign lowered to ascii", image: "\u212Areg.example/app:v1"},
		{name: "homoglyph host", image: "\u0261hcr.io/acme/app:v1"},
		{name: "unicode host", image: "b\u00fccher.example/app:v1"},
		{name: "trailing dot", image: "registry.example./app:v1"},
		{name: "empty label", image: "registry..example/app:v1"},
		{name: "hyphen at label start", image: "-registry.example/app:v1"},
		{name: "hyphen at label end", image: "registry-.example/app:v1"},
		{name: "underscore", image: "reg_istry.example/app:v1"},
		{name: "empty port", image: "registry.example:/app:v1"},
		{name: "digest", image: "\u212Areg.example/app@sha256:" + zeros64},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			for gname, g := range map[string]*gate.Gate{"any registry": anyRegistry, "WithRegistries": allowList} {
				d, err := g.Decide(ctx, gate.Request{JobToken: tok, Image: tc.image})
				if d.Allowed || !errors.Is(err, gate.ErrBadRequest) {
					t.Errorf("%s: %q: %s, %v; want ErrBadRequest", gname, tc.image, d, err)
				}
			}
		})
	}
}

// WithRegistries refuses a host no image reference may name: it would
// silently match nothing.
func TestReview32RegistryHostGrammarConfig(t *testing.T) {
	t.Parallel()
	for _, host := range []string{"\u0261hcr.io", "\u212Areg.example", "registry.example.", "registry.example:", "reg_istry.example"} {
		_, err := gate.New(tokens, gate.Verifiers{"https://slsa.dev/provenance/v1": provenanceVerifier(t)}, &allowVerified{}, &memSink{},
			gate.WithRegistries(host))
		if !errors.Is(err, gate.ErrConfig) {
			t.Errorf("WithRegistries(%q): %v; want ErrConfig", host, err)
		}
	}
	for _, host := range []string{"registry.example", "REGISTRY.example:5000", "[::1]:5000", "xn--bcher-kva.example", "docker.io"} {
		if _, err := gate.New(tokens, gate.Verifiers{"https://slsa.dev/provenance/v1": provenanceVerifier(t)}, &allowVerified{}, &memSink{},
			gate.WithRegistries(host)); err != nil {
			t.Errorf("WithRegistries(%q): %v", host, err)
		}
	}
}

// The hosts the grammar reads still reach the registry (here, one that
// does not answer): an undecided request, not a bad one.
func TestReview32RegistryHostGrammarAccepts(t *testing.T) {
	t.Parallel()
	ctx := t.Context()
	g, err := gate.New(tokens, gate.Verifiers{"https://slsa.dev/provenance/v1": provenanceVerifier(t)}, &allowVerified{}, &memSink{})
	if err != nil {
		t.Fatal(err)
	}
	for _, image := range []string{
		"registry.example/app:v1", "REGISTRY.Example/app:v1", "registry.example:5000/app:v1", "localhost:1/app:v1",
		"[::1]:1/app:v1", "127.0.0.1:1/app:v1", "xn--bcher-kva.example/app:v1", "a.b-c.d9/app@sha256:" + zeros64,
	} {
		d, err := g.Decide(ctx, gate.Request{JobToken: gate.NewToken(goodToken), Image: image})
		if d.Allowed || errors.Is(err, gate.ErrBadRequest) || !errors.Is(err, gate.ErrUndecided) {
			t.Errorf("%q: %s, %v; want undecided (no registry), not a bad request", image, d, err)
		}
	}
}

const zeros64 = "0000000000000000000000000000000000000000000000000000000000000000"
