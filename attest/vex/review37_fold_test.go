package vex_test

import (
	"testing"

	"github.com/ztci/ztci/attest"
	"github.com/ztci/ztci/attest/vex"
)

// TestReview37FoldMatchPURLASCIIOnly: names a registry compares without
// case (PyPI, NuGet) and package URL types fold ASCII letters only.
// strings.ToLower mapped the Kelvin sign to "k" and "İ" (U+0130) to "i",
// so a not_affected statement about pkg:pypi/\u212aeras, a name PyPI
// refuses, lifted findings on keras, and pkg:pyp\u0130/keras was a PyPI
// package URL; go-vex and the registries read neither so.
func TestReview37FoldMatchPURLASCIIOnly(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name, pattern, purl string
		want                bool
	}{
		{name: "pypi ascii case", pattern: "pkg:pypi/Keras", purl: "pkg:pypi/keras", want: true},
		{name: "pypi kelvin sign", pattern: "pkg:pypi/\u212aeras", purl: "pkg:pypi/keras"},
		{name: "pypi dotted capital I", pattern: "pkg:pypi/l\u0130b", purl: "pkg:pypi/lib"},
		{name: "nuget ascii case", pattern: "pkg:nuget/Newtonsoft.Json", purl: "pkg:nuget/newtonsoft.json", want: true},
		{name: "nuget kelvin sign", pattern: "pkg:nuget/\u212aestrel", purl: "pkg:nuget/kestrel"},
		{name: "type ascii case", pattern: "pkg:PyPI/keras", purl: "pkg:pypi/keras", want: true},
		{name: "type dotted capital I", pattern: "pkg:pyp\u0130/keras", purl: "pkg:pypi/keras"},
		{name: "type kelvin sign", pattern: "pkg:\u212aotlin/x", purl: "pkg:kotlin/x"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			if got := vex.MatchPURL(tc.pattern, tc.purl); got != tc.want {
				t.Errorf("MatchPURL(%q, %q) = %v, want %v", tc.pattern, tc.purl, got, tc.want)
			}
		})
	}
}

// TestReview37FoldForDigestVersion: a pkg:oci product names the artifact
// by its digest compared without ASCII case only. strings.EqualFold took
// the version "\u017fha256:<hex>" (long s), which names no image, for the
// artifact's digest, and the statement applied.
func TestReview37FoldForDigestVersion(t *testing.T) {
	t.Parallel()
	hex := "c0ffee00000000000000000000000000000000000000000000000000000000aa"
	a := vex.Artifact{Digest: attest.Digest{Algorithm: "sha256", Value: hex}}
	for _, tc := range []struct {
		name, id string
		want     bool
	}{
		{name: "digest", id: "pkg:oci/app@sha256%3A" + hex, want: true},
		{name: "ascii case", id: "pkg:oci/app@SHA256%3A" + hex, want: true},
		{name: "long s", id: "pkg:oci/app@\u017fha256%3A" + hex},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			s := vex.Statement{Status: vex.StatusNotAffected, Products: []vex.Product{{Component: vex.Component{ID: tc.id}}}}
			if _, ok := s.For(a); ok != tc.want {
				t.Errorf("For with product %q = %v, want %v", tc.id, ok, tc.want)
			}
		})
	}
}
