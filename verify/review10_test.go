package verify_test

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/ztci/ztci/attest"
	"github.com/ztci/ztci/identity"
	"github.com/ztci/ztci/verify"
)

// review10Provenance signs, with the embedded CA and TSA as rtIdentity, a
// SLSA v1 provenance about rtArtifact whose source is stated in ext
// (externalParameters) and deps (resolvedDependencies), as third-party
// builders state it.
func review10Provenance(t *testing.T, e *embedded, ext map[string]any, deps []attest.ResourceDescriptor) []byte {
	t.Helper()
	sub, err := attest.SubjectFromReader(context.Background(), "app.tar", strings.NewReader(string(rtArtifact)))
	if err != nil {
		t.Fatal(err)
	}
	st, err := attest.NewStatement([]attest.ResourceDescriptor{sub}, &attest.Provenance{
		BuildDefinition: attest.BuildDefinition{BuildType: "https://ztci.dev/build/v1", ExternalParameters: ext, ResolvedDependencies: deps},
		RunDetails:      attest.RunDetails{Builder: attest.Builder{ID: rtBuilder}},
	})
	if err != nil {
		t.Fatal(err)
	}
	s, err := attest.NewCASigner(e.ca.IssuerFor(rtIdentity()), attest.WithEmbeddedTimestampAuthority(e.tsa.Handler()))
	if err != nil {
		t.Fatal(err)
	}
	b, err := attest.Sign(context.Background(), s, st)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// TestReview10SourceRefHoldingAt: a git ref may hold '@' ("x@refs/tags/v1.2.3"
// is a branch anyone who may push a branch can create), and builders write
// the source as "git+https://host/repo@" + ref. Read at the last '@', such a
// build from a branch read as a build from the tag refs/tags/v1.2.3 and
// passed SourceRef and SourceVersionTag expectations that a tag rule was
// meant to guard. The ref is everything after the first '@' past the host:
// the whole branch name.
func TestReview10SourceRefHoldingAt(t *testing.T) {
	t.Parallel()
	e := newEmbedded(t, time.Now)
	const repo = "git+https://github.com/octo-org/octo-repo"
	const branch = "refs/heads/x@refs/tags/v1.2.3"
	src := repo + "@" + branch
	for _, tc := range []struct {
		name string
		ext  map[string]any
		deps []attest.ResourceDescriptor
	}{
		// container-based and generic builders: externalParameters.source.uri
		{"source.uri", map[string]any{"source": map[string]any{"uri": src}}, nil},
		// slsa-github-generator style: the first resolved dependency
		{"resolvedDependencies", map[string]any{}, []attest.ResourceDescriptor{{URI: src, Digest: attest.DigestSet{"gitCommit": strings.Repeat("b", 40)}}}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			b := review10Provenance(t, e, tc.ext, tc.deps)
			expect := func(p verify.Provenance) verify.Expectation {
				x := rtExpectation()
				x.Provenance = &p
				return x
			}
			for _, p := range []verify.Provenance{
				{BuilderID: rtBuilder, SourceRef: "refs/tags/v1.2.3"},
				{BuilderID: rtBuilder, SourceVersionTag: "v1"},
				{BuilderID: rtBuilder, SourceVersionTag: "v1.2.3", SourceRef: "refs/tags/v1.2.3"},
			} {
				v, err := verify.New(e.trust, expect(p), privateOpts...)
				if err != nil {
					t.Fatal(err)
				}
				_, err = v.Verify(t.Context(), b, verify.ArtifactBytes(rtArtifact))
				var pm *verify.ProvenanceMismatchError
				if !errors.Is(err, verify.ErrProvenanceMismatch) || !errors.As(err, &pm) || pm.Got != branch {
					t.Errorf("%+v: a build of branch %q verified as a tag build (err %v)", p, branch, err)
				}
			}
			// The branch is read whole, with its repository.
			v, err := verify.New(e.trust, expect(verify.Provenance{BuilderID: rtBuilder, SourceRepository: "github.com/octo-org/octo-repo", SourceRef: branch}), privateOpts...)
			if err != nil {
				t.Fatal(err)
			}
			res, err := v.Verify(t.Context(), b, verify.ArtifactBytes(rtArtifact))
			if err != nil {
				t.Fatalf("the branch build, expected as such: %v", err)
			}
			f, err := verify.ReadProvenance(res.Statement)
			if err != nil || f.SourceRepository != repo || f.SourceRef != branch {
				t.Errorf("ReadProvenance = %+v, %v; want %s at %s", f, err, repo, branch)
			}
		})
	}
}

// TestReview10SourceURIUserinfo: an '@' before the path is user
// information (ssh's "git@"), not the start of a ref; one in the path is.
func TestReview10SourceURIUserinfo(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct{ uri, repo, ref string }{
		{"git+ssh://git@github.com/octo-org/octo-repo@refs/heads/main", "git+ssh://git@github.com/octo-org/octo-repo", "refs/heads/main"},
		{"git+https://github.com/octo-org/octo-repo@refs/heads/a@b", "git+https://github.com/octo-org/octo-repo", "refs/heads/a@b"},
		{"git+https://user@github.com/octo-org/octo-repo", "git+https://user@github.com/octo-org/octo-repo", ""},
		{"git+https://github.com/octo-org/octo-repo", "git+https://github.com/octo-org/octo-repo", ""},
	} {
		st, err := attest.NewStatement([]attest.ResourceDescriptor{{Name: "a", Digest: attest.DigestSet{"sha256": strings.Repeat("a", 64)}}}, &attest.Provenance{
			BuildDefinition: attest.BuildDefinition{BuildType: "t", ExternalParameters: map[string]any{"source": map[string]any{"uri": tc.uri}}},
			RunDetails:      attest.RunDetails{Builder: attest.Builder{ID: rtBuilder}},
		})
		if err != nil {
			t.Fatal(err)
		}
		f, err := verify.ReadProvenance(st)
		if err != nil || f.SourceRepository != tc.repo || f.SourceRef != tc.ref {
			t.Errorf("%s: read %q at %q (%v), want %q at %q", tc.uri, f.SourceRepository, f.SourceRef, err, tc.repo, tc.ref)
		}
	}
}

// TestReview10RegexpCannotEscapeAnchors: New anchors SANRegexp and
// IssuerRegexp as ^(?:re)$; a regexp with an unbalanced ')' closed that
// group early, so "https://ci.example/octo-org/.*)|(.*" became
// "^(?:https://ci.example/octo-org/.*)|(.*)$" and admitted every signer.
// Such a regexp is now an invalid expectation, and the anchored ones still
// refuse an intruder.
func TestReview10RegexpCannotEscapeAnchors(t *testing.T) {
	t.Parallel()
	e := newEmbedded(t, time.Now)
	// Another workflow of the same CI, and the expected workflow's name
	// under another issuer.
	intruders := map[string][]byte{}
	for _, id := range []identity.Identity{
		{Issuer: rtIssuer, Subject: "https://ci.example/mallory/app/.github/workflows/x.yml@refs/heads/main"},
		{Issuer: "https://evil.example", Subject: rtSubject},
	} {
		s, err := attest.NewCASigner(e.ca.IssuerFor(id), attest.WithEmbeddedTimestampAuthority(e.tsa.Handler()))
		if err != nil {
			t.Fatal(err)
		}
		if intruders[id.Issuer+" "+id.Subject], err = attest.Sign(t.Context(), s, rtStatement(t, rtArtifact)); err != nil {
			t.Fatal(err)
		}
	}
	for _, id := range []verify.Identity{
		{SANRegexp: `https://ci\.example/octo-org/.*)|(.*`, Issuer: rtIssuer},
		{SAN: rtSubject, IssuerRegexp: `https://issuer\.example)|(.*`},
		{SANRegexp: `x)|(?:.*`, IssuerRegexp: `.*`},
	} {
		v, err := verify.New(e.trust, verify.Expectation{Signer: id, PredicateType: attest.PredicateSLSAProvenanceV1}, privateOpts...)
		if err == nil {
			for who, b := range intruders {
				if _, verr := v.Verify(t.Context(), b, verify.ArtifactBytes(rtArtifact)); verr == nil {
					t.Errorf("SANRegexp %q IssuerRegexp %q: accepted by New, and verifies %s", id.SANRegexp, id.IssuerRegexp, who)
				}
			}
			t.Errorf("SANRegexp %q IssuerRegexp %q: accepted by New", id.SANRegexp, id.IssuerRegexp)
			continue
		}
		if !errors.Is(err, verify.ErrInvalidExpectation) {
			t.Errorf("%+v: %v, want ErrInvalidExpectation", id, err)
		}
	}
	// Balanced regexps still compile, anchored: a prefix is not enough.
	v, err := verify.New(e.trust, verify.Expectation{
		Signer:        verify.Identity{SANRegexp: `https://ci\.example/mallory`, IssuerRegexp: `(https://issuer\.example)|(x)`},
		PredicateType: attest.PredicateSLSAProvenanceV1,
	}, privateOpts...)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := v.Verify(t.Context(), intruders[rtIssuer+" https://ci.example/mallory/app/.github/workflows/x.yml@refs/heads/main"], verify.ArtifactBytes(rtArtifact)); !errors.Is(err, verify.ErrIdentityMismatch) {
		t.Errorf("prefix regexp: %v, want ErrIdentityMismatch", err)
	}
}

// A branch may be named "x@refs/tags/v1.2.3", and its workflow's SAN then
// ends "release.yml@refs/heads/x@refs/tags/v1.2.3", which a regexp written
// for tag builds of any workflow (".../workflows/.*@refs/tags/v.*")
// matches. A SAN with two '@' matches only an exact SAN.
func TestSANRegexpRefusesTwoAts(t *testing.T) {
	t.Parallel()
	e := newEmbedded(t, time.Now)
	const san = "https://ci.example/octo-org/app/.github/workflows/release.yml@refs/heads/x@refs/tags/v1.2.3"
	s, err := attest.NewCASigner(e.ca.IssuerFor(identity.Identity{Issuer: rtIssuer, Subject: san}), attest.WithEmbeddedTimestampAuthority(e.tsa.Handler()))
	if err != nil {
		t.Fatal(err)
	}
	b, err := attest.Sign(t.Context(), s, rtStatement(t, rtArtifact))
	if err != nil {
		t.Fatal(err)
	}
	verifyAs := func(id verify.Identity) error {
		v, err := verify.New(e.trust, verify.Expectation{Signer: id, PredicateType: attest.PredicateSLSAProvenanceV1}, privateOpts...)
		if err != nil {
			t.Fatal(err)
		}
		_, err = v.Verify(t.Context(), b, verify.ArtifactBytes(rtArtifact))
		return err
	}
	if err := verifyAs(verify.Identity{SANRegexp: `https://ci\.example/octo-org/app/\.github/workflows/.*@refs/tags/v.*`, Issuer: rtIssuer}); !errors.Is(err, verify.ErrIdentityMismatch) {
		t.Errorf("tag regexp against a branch named like a tag: %v, want ErrIdentityMismatch", err)
	}
	if err := verifyAs(verify.Identity{SAN: san, Issuer: rtIssuer}); err != nil {
		t.Errorf("the exact SAN: %v", err)
	}
}
