package slsasource

import (
	"encoding/json"
	"errors"
	"testing"
)

// TestReview34SchemeNormalizeRepo: only a real URI scheme at the start is
// dropped (RFC 3986: ALPHA *( ALPHA / DIGIT / "+" / "-" / "." ) "://"),
// never a prefix a builder wrote before text it copied, and the normal
// form is a fixed point. The policy package checks lib.normalize_repo
// agrees (TestReview34RepoNormalizeAgrees).
func TestReview34SchemeNormalizeRepo(t *testing.T) {
	t.Parallel()
	for _, c := range []struct{ Name, In, Want string }{
		{Name: "git+https", In: "git+https://github.com/acme/app", Want: "github.com/acme/app"},
		{Name: "https .git/", In: "https://github.com/acme/app.git/", Want: "github.com/acme/app"},
		{Name: "ssh", In: "ssh://git@github.com/acme/app.git", Want: "git@github.com/acme/app"},
		{Name: "git+ssh", In: "git+ssh://github.com/acme/app", Want: "github.com/acme/app"},
		{Name: "upper-case scheme", In: "HTTPS://github.com/acme/app", Want: "github.com/acme/app"},
		{Name: "bare", In: "github.com/acme/app", Want: "github.com/acme/app"},
		{Name: "bare git+", In: "git+github.com/acme/app", Want: "github.com/acme/app"},
		{Name: "path before ://", In: "a/x://github.com/acme/app", Want: "a/x://github.com/acme/app"},
		{Name: "owner before ://", In: "github.com/attacker/x://github.com/acme/app", Want: "github.com/attacker/x://github.com/acme/app"},
		{Name: "empty scheme", In: "://github.com/acme/app", Want: "://github.com/acme/app"},
		{Name: "digit-first scheme", In: "1x://github.com/acme/app", Want: "1x://github.com/acme/app"},
		{Name: "space before scheme", In: " https://github.com/acme/app", Want: " https://github.com/acme/app"},
		{Name: "scheme with @", In: "a@b://github.com/acme/app", Want: "a@b://github.com/acme/app"},
		{Name: "scheme after https", In: "https://a/x://github.com/acme/app", Want: "a/x://github.com/acme/app"},
		{Name: "two schemes", In: "https://https://github.com/acme/app", Want: "https://https://github.com/acme/app"},
		{Name: "scheme after git+", In: "https://git+github.com/acme/app", Want: "https://git+github.com/acme/app"},
		{Name: "slash .git", In: "github.com/acme/app/.git", Want: "github.com/acme/app/.git"},
		{Name: ".git.git", In: "github.com/acme/app.git.git", Want: "github.com/acme/app.git.git"},
		{Name: "two slashes", In: "https://github.com/acme/app//", Want: "https://github.com/acme/app//"},
		{Name: "only scheme", In: "https://", Want: ""},
		{Name: "only .git", In: ".git/", Want: ""},
		{Name: "git+git+https", In: "git+git+https://github.com/acme/app", Want: "github.com/acme/app"},
		{Name: "gitx suffix", In: "github.com/acme/app.gitx", Want: "github.com/acme/app.gitx"},
	} {
		t.Run(c.Name, func(t *testing.T) {
			t.Parallel()
			got := NormalizeRepo(c.In)
			if got != c.Want {
				t.Fatalf("NormalizeRepo(%q) = %q, want %q", c.In, got, c.Want)
			}
			if again := NormalizeRepo(got); again != got {
				t.Fatalf("NormalizeRepo(NormalizeRepo(%q)) = %q, not %q", c.In, again, got)
			}
		})
	}
}

// A builder-written prefix before attacker-written text that holds "://"
// must not be dropped: the provenance would name the victim's repository.
func TestReview34SchemeOfRefusesForgedPrefix(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct{ name, uri, workflow string }{
		{name: "path before ://", uri: "git+https://github.com/acme/app@refs/heads/main", workflow: "attacker/x://github.com/acme/app"},
		{name: "empty scheme", uri: "git+https://github.com/acme/app@refs/heads/main", workflow: "://github.com/acme/app"},
		{name: "uri without scheme", uri: "a/x://github.com/acme/app@refs/heads/main", workflow: "github.com/acme/app"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			var p Predicate
			src, _ := json.Marshal(map[string]any{"uri": tc.uri})
			wf, _ := json.Marshal(map[string]any{"repository": tc.workflow, "ref": "refs/heads/main"})
			p.BuildDefinition.ExternalParameters = map[string]json.RawMessage{"source": src, "workflow": wf}
			_, err := Of(&p)
			var conflict *ConflictError
			if !errors.As(err, &conflict) {
				t.Fatalf("Of(%q, %q) = %v, want a *ConflictError", tc.uri, tc.workflow, err)
			}
		})
	}
}
