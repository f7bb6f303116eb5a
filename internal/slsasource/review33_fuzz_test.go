package slsasource

import (
	"encoding/json"
	"errors"
	"strings"
	"testing"
	"unicode/utf8"
)

// FuzzReview33Source: SplitGitURI loses nothing (repo, '@', ref is the
// URI) and cuts at the first '@' of the path after a real scheme at its
// start, so a ref never reads as a shorter one; NormalizeRepo is a fixed
// point (idempotent); Of either refuses a provenance whose places
// disagree or returns the repository every place names (compared as
// NormalizeRepo compares them), never panicking on any predicate.
func FuzzReview33Source(f *testing.F) {
	for _, s := range []string{
		"git+https://github.com/acme/app@refs/heads/main", "git+https://github.com/acme/app.git/@x@refs/tags/v1",
		"https://user@github.com/acme/app", "git+https://github.com", "github.com/acme/app", "ssh://a://b/c@d", "",
		"a/x://github.com/acme/app@main", "https://https://github.com/acme/app.git/.git", "git+://x/y@z",
	} {
		f.Add(s, s, "refs/heads/main", "0123456789abcdef0123456789abcdef01234567")
	}
	f.Fuzz(func(t *testing.T, uri, dep, ref, commit string) {
		repo, r := SplitGitURI(uri)
		if r != "" && repo+"@"+r != uri || r == "" && repo != uri && repo+"@" != uri {
			t.Fatalf("SplitGitURI(%q) = %q, %q", uri, repo, r)
		}
		if i := schemeLen(repo); i > 0 {
			if j := strings.IndexByte(repo[i:], '/'); j >= 0 && strings.Contains(repo[i+j:], "@") {
				t.Fatalf("SplitGitURI(%q): repository %q holds an '@' after its host", uri, repo)
			}
		}
		for _, s := range []string{uri, dep, repo, ref} {
			if n := NormalizeRepo(s); NormalizeRepo(n) != n {
				t.Fatalf("NormalizeRepo(NormalizeRepo(%q)) = %q, not %q", s, NormalizeRepo(n), n)
			}
		}
		if !utf8.ValidString(uri) || !utf8.ValidString(dep) {
			return // JSON carries Unicode text; encoding/json would replace the bytes
		}
		var p Predicate
		src, _ := json.Marshal(map[string]any{"uri": uri, "digest": map[string]string{"gitCommit": commit}})
		wf, _ := json.Marshal(map[string]any{"repository": dep, "ref": ref})
		p.BuildDefinition.ExternalParameters = map[string]json.RawMessage{"source": src, "workflow": wf}
		got, err := Of(&p)
		var conflict *ConflictError
		if err != nil {
			if !errors.As(err, &conflict) {
				t.Fatalf("Of: %v", err)
			}
			return
		}
		if uri != "" && dep != "" && NormalizeRepo(got.Repo) != NormalizeRepo(dep) {
			t.Fatalf("Of(%q, %q) = %+v, the workflow names another repository", uri, dep, got)
		}
	})
}
