package ocibundle_test

import (
	"errors"
	"testing"

	"github.com/google/go-containerregistry/pkg/name"

	"github.com/ztci/ztci/policy"
	"github.com/ztci/ztci/policy/ocibundle"
	"github.com/ztci/ztci/verify"
)

// TestReview17ScopeCopiedBundle: only the signer identity was checked, so
// a bundle the publisher signed for another repository (a permissive
// policy for a sandbox) loaded from the production repository once anyone
// who can push there copied its manifest, layer and signature. Now the
// signed statement must name the Source's repository as the manifest's
// subject (ErrScope inside ErrUnverified); WithRepositoryScope names
// another (a mirror), WithUnscopedSignatures accepts any.
func TestReview17ScopeCopiedBundle(t *testing.T) {
	t.Parallel()
	l := newRollbackLab(t)
	sandbox := l.tag.Context().Registry.Repo("sandbox").Tag("live")
	img := artifact(t, tarball(t, allowAll, "sandbox-1", nil))
	sd, _ := push(t, sandbox, img)
	sign(t, l.ss.certSigner(t, publisher), sd, sd)

	// The attacker copies it, signature and all, into production.
	pd, _ := push(t, l.tag, img)
	sign(t, l.ss.certSigner(t, publisher), pd, sd)

	if _, err := l.ss.source(t, sandbox, publisherID).Load(t.Context()); err != nil {
		t.Fatalf("sandbox loads its own bundle: %v", err)
	}
	_, err := l.ss.source(t, l.tag, publisherID).Load(t.Context())
	if !errors.Is(err, ocibundle.ErrScope) || !errors.Is(err, ocibundle.ErrUnverified) || !errors.Is(err, policy.ErrLoad) {
		t.Fatalf("sandbox bundle copied to production: got %v, want ErrScope", err)
	}
	if _, err := l.ss.source(t, l.tag, publisherID, ocibundle.WithRepositoryScope(sandbox.Context().Name())).Load(t.Context()); err != nil {
		t.Errorf("a mirror of the sandbox repository: %v", err)
	}
	if _, err := l.ss.source(t, l.tag, publisherID, ocibundle.WithUnscopedSignatures()).Load(t.Context()); err != nil {
		t.Errorf("unscoped: %v", err)
	}
}

// TestReview17ScopeSigningTime: a signature for another repository is no
// endorsement here, for the rollback floor either: an old production
// bundle whose content the publisher later signed for a sandbox moved
// back into production counted the sandbox signature as its signing time
// and passed the floor.
func TestReview17ScopeSigningTime(t *testing.T) {
	t.Parallel()
	l := newRollbackLab(t)
	old := l.publish(t, allowAll, "r1")
	l.publish(t, denyAll, "r2")
	src := l.ss.source(t, l.tag, publisherID)
	if _, err := src.Load(t.Context()); err != nil {
		t.Fatal(err)
	}

	sandbox := l.tag.Context().Registry.Repo("sandbox").Tag("live")
	sd, _ := push(t, sandbox, old)
	sign(t, l.ss.certSigner(t, publisher), sd, sd) // later than r2
	pd, _ := push(t, l.tag, old)
	sign(t, l.ss.certSigner(t, publisher), pd, sd)
	if _, err := src.Load(t.Context()); !errors.Is(err, ocibundle.ErrRollback) {
		t.Fatalf("old bundle with a later sandbox signature: got %v, want ErrRollback", err)
	}
}

// TestReview17ScopeConfig: a message signature names no repository, so it
// needs WithUnscopedSignatures; the two scope options contradict each
// other; a scope is a repository, not a tag.
func TestReview17ScopeConfig(t *testing.T) {
	t.Parallel()
	ss := newSigstore(t)
	ref := name.MustParseReference("registry.example/policies:prod")
	build := func(expect verify.Expectation, opts ...ocibundle.Option) error {
		_, err := ocibundle.New(ref, ss.trust, expect, testOpts(opts...)...)
		return err
	}
	message := verify.Expectation{Signer: publisherID}
	statement := verify.Expectation{Signer: publisherID, PredicateType: predicate}
	for _, tt := range []struct {
		name   string
		expect verify.Expectation
		opts   []ocibundle.Option
		ok     bool
	}{
		{"message signature", message, nil, false},
		{"message signature, unscoped", message, []ocibundle.Option{ocibundle.WithUnscopedSignatures()}, true},
		{"statement", statement, nil, true},
		{"mirror", statement, []ocibundle.Option{ocibundle.WithRepositoryScope("docker.io/acme/policies")}, true},
		{"both", statement, []ocibundle.Option{ocibundle.WithRepositoryScope("registry.example/policies"), ocibundle.WithUnscopedSignatures()}, false},
		{"no repository", statement, []ocibundle.Option{ocibundle.WithRepositoryScope()}, false},
		{"a tag", statement, []ocibundle.Option{ocibundle.WithRepositoryScope("registry.example/policies:prod")}, false},
	} {
		err := build(tt.expect, tt.opts...)
		if tt.ok != (err == nil) || err != nil && !errors.Is(err, ocibundle.ErrConfig) {
			t.Errorf("%s: %v", tt.name, err)
		}
	}
}
