package policy_test

import (
	"strings"
	"testing"

	"github.com/open-policy-agent/opa/v1/rego"

	"github.com/ztci/ztci/internal/slsasource"
	"github.com/ztci/ztci/policy"
)

// review34RepoInputs are repository texts on which one normalisation could
// drift from the other: schemes real and not, "://" after other text,
// stacked schemes and "git+", trailing "/" and ".git" in every order.
var review34RepoInputs = []string{
	"", "/", ".git", ".git/", "/.git", "git+", "://", "https://", "git+https://",
	"github.com/acme/app", "github.com/acme/app/", "github.com/acme/app.git", "github.com/acme/app.git/",
	"github.com/acme/app/.git", "github.com/acme/app.git.git", "github.com/acme/app//", "github.com/acme/app.gitx",
	"git+https://github.com/acme/app", "https://github.com/acme/app", "http://github.com/acme/app",
	"ssh://git@github.com/acme/app.git", "git+ssh://github.com/acme/app", "HTTPS://github.com/acme/app",
	"svn+https://github.com/acme/app", "a.b-c+d://github.com/acme/app", "git+github.com/acme/app",
	"git+git+https://github.com/acme/app", "https://https://github.com/acme/app", "https://git+github.com/acme/app",
	"a/x://github.com/acme/app", "github.com/attacker/x://github.com/acme/app", "://github.com/acme/app",
	"1x://github.com/acme/app", " https://github.com/acme/app", "a@b://github.com/acme/app",
	"https://a/x://github.com/acme/app", "git+://github.com/acme/app", "https:/github.com/acme/app",
	"https:github.com/acme/app", "git@github.com:acme/app.git", "https://github.com/acme/app@refs/heads/main",
	"https://github.com/ACME/App.GIT", "https://github.com/acme/app\n", "https://github.com/acme/app/.git/.git//",
	"x-://y", "x.://y", "x+://y", "-x://y", "+x://y", ".x://y", "é://github.com/acme/app", "https://é/app.git",
}

// TestReview34RepoNormalizeAgrees: lib.normalize_repo, which deploy's
// source rules use, gives what slsasource.NormalizeRepo, which verify
// uses, gives for every input, and both are fixed points; a policy and the
// verifier that read one repository differently judge two.
func TestReview34RepoNormalizeAgrees(t *testing.T) {
	t.Parallel()
	b, err := policy.Builtin().Load(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	opts := []func(*rego.Rego){
		rego.Query("x := [data.ztci.lib.normalize_repo(s) | some s in input]"),
		rego.StrictBuiltinErrors(true),
	}
	for path, src := range b.Modules {
		if !strings.HasSuffix(path, "_test.rego") {
			opts = append(opts, rego.Module(path, src))
		}
	}
	pq, err := rego.New(opts...).PrepareForEval(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	in := make([]any, 0, 2*len(review34RepoInputs))
	for _, s := range review34RepoInputs {
		in = append(in, s, slsasource.NormalizeRepo(s))
	}
	rs, err := pq.Eval(t.Context(), rego.EvalInput(in))
	if err != nil {
		t.Fatal(err)
	}
	if len(rs) != 1 {
		t.Fatalf("%d results", len(rs))
	}
	got, _ := rs[0].Bindings["x"].([]any)
	if len(got) != len(in) {
		t.Fatalf("lib.normalize_repo gave %d results for %d inputs", len(got), len(in))
	}
	for i, s := range in {
		s := s.(string)
		want := slsasource.NormalizeRepo(s)
		if got[i] != want {
			t.Errorf("lib.normalize_repo(%q) = %q, slsasource.NormalizeRepo = %q", s, got[i], want)
		}
		if again := slsasource.NormalizeRepo(want); again != want {
			t.Errorf("NormalizeRepo(NormalizeRepo(%q)) = %q, not %q", s, again, want)
		}
	}
}
