package verify_test

import (
	"encoding/json"
	"errors"
	"strings"
	"testing"

	"github.com/ztci/ztci/attest"
	"github.com/ztci/ztci/verify"
)

// TestProvenanceTwoSources: a provenance names its source in
// externalParameters (source, workflow) and in its first resolved
// dependency, which slsa-verifier takes as the source. ReadProvenance
// preferred externalParameters, so a provenance naming the trusted
// repository there and another in resolvedDependencies[0] was judged by
// one source here and by the other elsewhere. It is refused; places that
// agree (as every builder writes them) still read.
func TestProvenanceTwoSources(t *testing.T) {
	t.Parallel()
	const good = "git+https://github.com/octo-org/octo-repo@refs/heads/main"
	commitA, commitB := strings.Repeat("a", 40), strings.Repeat("b", 40)
	dep := func(uri, commit string) []attest.ResourceDescriptor {
		return []attest.ResourceDescriptor{{URI: uri, Digest: attest.DigestSet{"gitCommit": commit}}}
	}
	source := func(uri, commit string) map[string]any {
		return map[string]any{"source": map[string]any{"uri": uri, "digest": map[string]any{"sha1": commit}}}
	}
	workflow := func(repo, ref string) map[string]any {
		return map[string]any{"workflow": map[string]any{"repository": repo, "ref": ref, "path": ".github/workflows/release.yml"}}
	}
	for _, tc := range []struct {
		name  string
		ext   map[string]any
		deps  []attest.ResourceDescriptor
		agree bool
	}{
		{"source and dependency agree", source(good, commitA), dep(good, commitA), true},
		{"workflow and dependency agree", workflow("https://github.com/octo-org/octo-repo", "refs/heads/main"), dep(good, commitA), true},
		{"source repository differs", source(good, commitA), dep("git+https://github.com/evil/repo@refs/heads/main", commitA), false},
		{"source ref differs", source(good, commitA), dep("git+https://github.com/octo-org/octo-repo@refs/heads/dev", commitA), false},
		{"source commit differs", source(good, commitA), dep(good, commitB), false},
		{"workflow repository differs", workflow("https://github.com/octo-org/octo-repo", "refs/heads/main"), dep("git+https://github.com/evil/repo@refs/heads/main", commitA), false},
		{"dependency commit stated twice", source(good, ""), []attest.ResourceDescriptor{{URI: good, Digest: attest.DigestSet{"gitCommit": commitA, "sha1": commitB}}}, false},
		{"source commit stated twice", map[string]any{"source": map[string]any{"uri": good, "digest": map[string]any{"gitCommit": commitA, "sha1": commitB}}}, nil, false},
		{"commit stated twice alike", source(good, commitA), []attest.ResourceDescriptor{{URI: good, Digest: attest.DigestSet{"gitCommit": commitA, "sha1": commitA}}}, true},
		{"refs differ where the preferred place has none", map[string]any{
			"source":   map[string]any{"uri": "git+https://github.com/octo-org/octo-repo"},
			"workflow": map[string]any{"repository": "https://github.com/octo-org/octo-repo", "ref": "refs/heads/main"},
		}, dep("git+https://github.com/octo-org/octo-repo@refs/heads/dev", commitA), false},
		{"workflow ref differs", workflow("https://github.com/octo-org/octo-repo", "refs/tags/v1.0.0"), dep(good, commitA), false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			// Marshalled here, not written by attest, which refuses to
			// write two sources (attest.ErrProvenanceSources).
			pred, err := json.Marshal(&attest.Provenance{
				BuildDefinition: attest.BuildDefinition{BuildType: "t", ExternalParameters: tc.ext, ResolvedDependencies: tc.deps},
				RunDetails:      attest.RunDetails{Builder: attest.Builder{ID: rtBuilder}},
			})
			if err != nil {
				t.Fatal(err)
			}
			st := &attest.Statement{Type: attest.StatementTypeV1, Subject: []attest.ResourceDescriptor{{Name: "a", Digest: attest.DigestSet{"sha256": strings.Repeat("a", 64)}}},
				PredicateType: attest.PredicateSLSAProvenanceV1, Predicate: pred}
			f, err := verify.ReadProvenance(st)
			var pm *verify.ProvenanceMismatchError
			switch {
			case tc.agree && (err != nil || normalize(f.SourceRepository) != "github.com/octo-org/octo-repo" || f.SourceRef != "refs/heads/main" || f.SourceDigest != commitA):
				t.Errorf("ReadProvenance = %+v, %v; want the one source", f, err)
			case !tc.agree && (!errors.As(err, &pm) || pm.Field != "source"):
				t.Errorf("ReadProvenance = %+v, %v; want a refusal of two sources", f, err)
			}
			_, err = verify.CheckProvenance(st, verify.Provenance{BuilderID: rtBuilder, SourceRepository: "github.com/octo-org/octo-repo"})
			if (err == nil) != tc.agree {
				t.Errorf("CheckProvenance: %v", err)
			}
		})
	}
}

func normalize(repo string) string {
	repo = strings.TrimPrefix(repo, "git+")
	if _, r, ok := strings.Cut(repo, "://"); ok {
		return r
	}
	return repo
}

// FuzzReadProvenance: ReadProvenance reads any predicate without panicking,
// and a source it reads is the one every place names (seeded with places
// that agree and disagree).
func FuzzReadProvenance(f *testing.F) {
	for _, s := range []string{
		`{"buildDefinition":{"buildType":"t","externalParameters":{"source":{"uri":"git+https://github.com/o/r@refs/heads/main","digest":{"sha1":"aa"}}},"resolvedDependencies":[{"uri":"git+https://github.com/o/r@refs/heads/main","digest":{"sha1":"aa"}}]},"runDetails":{"builder":{"id":"b"}}}`,
		`{"buildDefinition":{"buildType":"t","externalParameters":{"source":{"uri":"git+https://github.com/o/r@refs/heads/main"}},"resolvedDependencies":[{"uri":"git+https://github.com/evil/r@refs/heads/main"}]},"runDetails":{"builder":{"id":"b"}}}`,
		`{"buildDefinition":{"buildType":"t","externalParameters":{"workflow":{"repository":"https://github.com/o/r","ref":"refs/tags/v1"}},"resolvedDependencies":[{"uri":"git+https://github.com/o/r@refs/heads/x"}]},"runDetails":{"builder":{"id":"b"}}}`,
		`{"buildDefinition":{"buildType":"t","externalParameters":{"workflow":"w"},"resolvedDependencies":[{"uri":"git+ssh://git@h/o/r@a@b"}]},"runDetails":{"builder":{"id":"b"}}}`,
		`{"buildDefinition":{"externalParameters":{"source":{"uri":5}}}}`,
		`{"buildDefinition":{"buildType":"t","externalParameters":{},"resolvedDependencies":[{"uri":"git+https://h/o/r@main","digest":{"gitCommit":"aa","sha1":"bb"}}]},"runDetails":{"builder":{"id":"b"}}}`,
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		st := &attest.Statement{PredicateType: attest.PredicateSLSAProvenanceV1, Predicate: b}
		fa, errA := verify.ReadProvenance(st)
		fb, errB := verify.ReadProvenance(st)
		if (errA == nil) != (errB == nil) || (errA == nil && (fa.SourceRepository != fb.SourceRepository || fa.SourceRef != fb.SourceRef || fa.SourceDigest != fb.SourceDigest)) {
			t.Fatalf("two readings of one predicate: %+v, %v and %+v, %v", fa, errA, fb, errB)
		}
	})
}
