package vex_test

import (
	"testing"

	"github.com/ztci/ztci/attest"
	"github.com/ztci/ztci/attest/vex"
)

// TestReview21MayMatchPURL: the loose match names what a package URL may
// name spelled otherwise (the policy library's purl_may_name), and
// nothing of another type, name or version.
func TestReview21MayMatchPURL(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		pattern, purl string
		want          bool
	}{
		{"pkg:golang/golang.org/x/net@0.1.0", "pkg:golang/golang.org/x/net@v0.1.0", true},
		{"pkg:golang/github.com/Foo/bar?type=module", "pkg:golang/github.com/foo/bar@v1.2.0", true},
		{"pkg:golang/github.com/!foo/bar@v1.2", "pkg:golang/github.com/foo/bar@v1.2.0", true},
		{"pkg:pypi/Zope_Interface@5.0", "pkg:pypi/zope.interface@5.0.0", true},
		{"pkg:deb/debian/xz-utils@1:5.6.0-1", "pkg:deb/debian/xz-utils@5.6.0.1?arch=amd64", true},
		{"pkg:golang/golang.org/x/net@0.1.1", "pkg:golang/golang.org/x/net@v0.1.0", false},
		{"pkg:golang/golang.org/x/net", "pkg:npm/golang.org/x/net", false},
		{"pkg:golang/golang.org/x/netx", "pkg:golang/golang.org/x/net", false},
		{"not a purl", "pkg:golang/golang.org/x/net", false},
	} {
		if got := vex.MayMatchPURL(tc.pattern, tc.purl); got != tc.want {
			t.Errorf("MayMatchPURL(%q, %q) = %v, want %v", tc.pattern, tc.purl, got, tc.want)
		}
	}
}

// TestReview21MayFor: a statement may be about an image named by a tagged
// package URL, a package, or a product nothing places; not about another
// image's name or digest. For stays exact.
func TestReview21MayFor(t *testing.T) {
	t.Parallel()
	hex := "c0ffee00000000000000000000000000000000000000000000000000000000aa"
	a := vex.Artifact{Digest: attest.Digest{Algorithm: "sha256", Value: hex}, PURL: "pkg:oci/app@sha256%3A" + hex + "?repository_url=registry.example/acme/app"}
	other := "d0ffee00000000000000000000000000000000000000000000000000000000aa"
	for _, tc := range []struct {
		product vex.Product
		may     bool
	}{
		{vex.Product{Component: vex.Component{ID: "pkg:oci/app?repository_url=registry.example/acme/app&tag=v1"}}, true},
		{vex.Product{Component: vex.Component{ID: "pkg:oci/acme/APP"}}, true},
		{vex.Product{Component: vex.Component{ID: "pkg:npm/lodash@4.17.20"}}, true},
		{vex.Product{Component: vex.Component{ID: "urn:example:app", Identifiers: map[string]string{"cpe23": "cpe:2.3:a:acme:app:*:*:*:*:*:*:*:*"}}}, true},
		{vex.Product{Component: vex.Component{ID: "pkg:oci/other?tag=v1"}}, false},
		{vex.Product{Component: vex.Component{ID: "pkg:oci/app@sha256%3A" + other}}, false},
		{vex.Product{Component: vex.Component{ID: "urn:example:app", Hashes: map[string]string{"sha-256": other}}}, false},
	} {
		s := vex.Statement{Status: vex.StatusAffected, Products: []vex.Product{tc.product}}
		if _, ok := s.MayFor(a); ok != tc.may {
			t.Errorf("MayFor with product %+v = %v, want %v", tc.product.Component, ok, tc.may)
		}
		if _, ok := s.For(a); ok {
			t.Errorf("For with product %+v names the artifact", tc.product.Component)
		}
	}
}
