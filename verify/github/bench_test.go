package github_test

import (
	"testing"

	"github.com/ztci/ztci/verify"
	"github.com/ztci/ztci/verify/github"
)

// BenchmarkVerify compares, in one run, this package's Verify (routing by
// the issuing CA, then verify plus gh's case-insensitive checks) with a
// plain verify.Verifier given the same root, policy options and an exact
// expectation: the difference is what the GitHub layer costs.
func BenchmarkVerify(b *testing.B) {
	for _, vc := range []vector{vectors[0], vectors[3]} {
		bundle, art := vc.load(b)
		gv, err := github.New(vc.policy)
		if err != nil {
			b.Fatal(err)
		}
		var tm verify.Expectation
		var opts []verify.Option
		trust, err := verify.PublicGood()
		if vc.instance == github.InstanceGitHub {
			trust, err = github.GitHubTrustedRoot()
			opts = []verify.Option{verify.WithTlogThreshold(0), verify.WithSignedTimestampThreshold(1), verify.WithSCTThreshold(0)}
		}
		if err != nil {
			b.Fatal(err)
		}
		res, err := gv.Verify(b.Context(), bundle, art)
		if err != nil {
			b.Fatal(err)
		}
		tm = verify.Expectation{
			Signer:        verify.Identity{SAN: res.Signer.SAN, Issuer: res.Signer.Issuer, Claims: verify.Claims{SourceRepositoryURI: res.Signer.Claims.SourceRepositoryURI}},
			PredicateType: res.Statement.PredicateType,
		}
		pv, err := verify.New(trust, tm, opts...)
		if err != nil {
			b.Fatal(err)
		}
		b.Run(vc.name+"/github", func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				if _, err := gv.Verify(b.Context(), bundle, art); err != nil {
					b.Fatal(err)
				}
			}
		})
		b.Run(vc.name+"/verify", func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				if _, err := pv.Verify(b.Context(), bundle, art); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// BenchmarkNew: building a Verifier from the embedded roots (each New
// verifies their static chains) against one given roots already made into
// verify.Trusts, in the same run.
func BenchmarkNew(b *testing.B) {
	p := github.Policy{Repo: "sigstore/sigstore-js"}
	b.Run("embedded-roots", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			if _, err := github.New(p); err != nil {
				b.Fatal(err)
			}
		}
	})
	roots := staticRoots(b)
	b.Run("shared-trust", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			if _, err := github.New(p, roots...); err != nil {
				b.Fatal(err)
			}
		}
	})
}
