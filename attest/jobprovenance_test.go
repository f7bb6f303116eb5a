package attest_test

import (
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/ztci/ztci/attest"
	"github.com/ztci/ztci/identity"
)

var releaseJob = identity.Identity{
	Issuer: "https://ci.example", Subject: "repo:acme/app:ref:refs/heads/main",
	Claims: identity.Claims{Repository: "acme/app", Ref: "refs/heads/main", Commit: strings.Repeat("a", 40),
		WorkflowRef: "acme/app/.ztci/release.yml@refs/heads/main", RunID: "42", RunAttempt: "1", Event: "push"},
}

var releaseBuild = attest.Build{
	BuilderID: "https://ci.example/runners/hosted@v1",
	BuildType: "https://ci.example/build/v1",
	SourceURI: "git+https://git.example/acme/app",
}

// The source a provenance states is the one in the verified identity; a
// build step cannot substitute another, and a job without a verified ref and
// commit gets no provenance.
func ExampleJobProvenance() {
	prov, err := attest.JobProvenance(releaseJob, releaseBuild)
	if err != nil {
		panic(err)
	}
	src, _ := json.Marshal(prov.BuildDefinition.ExternalParameters["source"])
	fmt.Println(string(src))
	fmt.Println(prov.RunDetails.Builder.ID, prov.RunDetails.Metadata.InvocationID)

	b := releaseBuild
	b.Parameters = map[string]any{"source": "git+https://evil.example/other"}
	_, err = attest.JobProvenance(releaseJob, b)
	fmt.Println(errors.Is(err, attest.ErrJobProvenance))
	// Output:
	// {"digest":{"gitCommit":"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"},"uri":"git+https://git.example/acme/app@refs/heads/main"}
	// https://ci.example/runners/hosted@v1 42/1
	// true
}

func TestJobProvenanceRefuses(t *testing.T) {
	t.Parallel()
	noCommit := releaseJob
	noCommit.Claims.Commit = ""
	badCommit := releaseJob
	badCommit.Claims.Commit = "main"
	noRepo := releaseJob
	noRepo.Claims.Repository = ""
	atRef := releaseJob
	atRef.Claims.Ref = "refs/heads/evil@refs/heads/main"
	const src = "git+https://git.example/acme/app"
	tests := []struct {
		name string
		id   identity.Identity
		b    attest.Build
	}{
		{"zero identity", identity.Identity{}, releaseBuild},
		{"no commit", noCommit, releaseBuild},
		{"commit not a hash", badCommit, releaseBuild},
		{"no builder", releaseJob, attest.Build{BuildType: "t", SourceURI: src}},
		{"no source", releaseJob, attest.Build{BuilderID: "b", BuildType: "t"}},
		{"caller sets ref", releaseJob, attest.Build{BuilderID: "b", BuildType: "t", SourceURI: src, Parameters: map[string]any{"ref": "refs/heads/evil"}}},
		{"finished before started", releaseJob, attest.Build{BuilderID: "b", BuildType: "t", SourceURI: src,
			StartedOn: time.Unix(100, 0), FinishedOn: time.Unix(50, 0)}},
		// The source's repository is the identity's: the runner adds the
		// host, it cannot name another repository, and an identity
		// without one gets no provenance.
		{"no repository", noRepo, releaseBuild},
		{"source names another repository", releaseJob, attest.Build{BuilderID: "b", BuildType: "t", SourceURI: "git+https://git.example/evil/app"}},
		{"source is a prefix of the repository", releaseJob, attest.Build{BuilderID: "b", BuildType: "t", SourceURI: "git+https://git.example/acme/ap"}},
		{"source not a URL", releaseJob, attest.Build{BuilderID: "b", BuildType: "t", SourceURI: "acme/app"}},
		// A credential in the source URI would be published, signed.
		{"source with password", releaseJob, attest.Build{BuilderID: "b", BuildType: "t", SourceURI: "git+https://x-access-token:tok3n@git.example/acme/app"}},
		{"source with token user", releaseJob, attest.Build{BuilderID: "b", BuildType: "t", SourceURI: "git+https://tok3n@git.example/acme/app"}},
		{"source with query", releaseJob, attest.Build{BuilderID: "b", BuildType: "t", SourceURI: "git+https://git.example/acme/app?token=tok3n"}},
		// "<uri>@<ref>" is split at the last '@' by verifiers: a branch
		// named "evil@refs/heads/main" would read back as refs/heads/main.
		{"ref with @", atRef, releaseBuild},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			_, err := attest.JobProvenance(tt.id, tt.b)
			if !errors.Is(err, attest.ErrJobProvenance) {
				t.Fatalf("err = %v, want ErrJobProvenance", err)
			}
			if strings.Contains(err.Error(), "tok3n") {
				t.Fatalf("the error quotes the credential: %v", err)
			}
		})
	}
}

func TestJobProvenanceSigns(t *testing.T) {
	t.Parallel()
	prov, err := attest.JobProvenance(releaseJob, releaseBuild)
	if err != nil {
		t.Fatal(err)
	}
	subj := attest.ResourceDescriptor{Name: "app", Digest: attest.DigestSet{"sha256": strings.Repeat("b", 64)}}
	st, err := attest.NewStatement([]attest.ResourceDescriptor{subj}, prov)
	if err != nil {
		t.Fatal(err)
	}
	if st.PredicateType != attest.PredicateSLSAProvenanceV1 {
		t.Fatalf("predicate type %q", st.PredicateType)
	}
}

// Source URIs that locate the identity's repository are accepted: with a
// ".git" suffix or a trailing slash, under a path prefix, or over ssh with
// a user name.
func TestJobProvenanceSourceForms(t *testing.T) {
	t.Parallel()
	for _, uri := range []string{
		"git+https://git.example/acme/app",
		"git+https://git.example/acme/app.git",
		"git+https://git.example/acme/app/",
		"git+https://ghe.example/scm/acme/app",
		"git+ssh://git@git.example/acme/app.git",
	} {
		b := releaseBuild
		b.SourceURI = uri
		prov, err := attest.JobProvenance(releaseJob, b)
		if err != nil {
			t.Errorf("%s: %v", uri, err)
			continue
		}
		src := prov.BuildDefinition.ExternalParameters["source"].(map[string]any)
		if got := src["uri"]; got != uri+"@refs/heads/main" {
			t.Errorf("%s: source.uri = %v", uri, got)
		}
	}
}
