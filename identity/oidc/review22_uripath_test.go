package oidc_test

import (
	"errors"
	"net/url"
	"path"
	"strings"
	"testing"

	"github.com/ztci/ztci/identity"
	"github.com/ztci/ztci/identity/oidc"
)

// TestReview22WorkflowSubjectURIPath: WorkflowSubject refused ".." in the
// workflow path only, not in the repository, nor "%2e", "//", "%2f" or
// "%5c": a subject a verifier that decodes and cleans the path reads as
// another repository's workflow ("acme/app/%2e%2e/%2e%2e/victim/app").
func TestReview22WorkflowSubjectURIPath(t *testing.T) {
	t.Parallel()
	const forge = "https://git.example"
	for name, c := range map[string]identity.Claims{
		"%2e%2e in the repository":  {Repository: "acme/app/%2e%2e/%2e%2e/victim/app", Workflow: ".ztci/release.yml"},
		"%2E. in the workflow path": {Repository: "acme/app", Workflow: "%2E./%2E./victim/app/.ztci/release.yml"},
		"/./ in the repository":     {Repository: "acme/./app", Workflow: ".ztci/release.yml"},
		"// in the workflow path":   {Repository: "acme/app", Workflow: ".ztci//release.yml"},
		"// in the repository":      {Repository: "acme//app", Workflow: ".ztci/release.yml"},
		"%2f in the repository":     {Repository: "victim%2fapp", Workflow: ".ztci/release.yml"},
		"%5c in the workflow_ref":   {Repository: "acme/app", WorkflowRef: "acme/app/.ztci%5crelease.yml@refs/heads/main"},
		"'#' in the workflow path":  {Repository: "acme/app", Workflow: "evil.yml#/.ztci/release.yml"},
		"'?' in the workflow path":  {Repository: "acme/app", Workflow: "evil.yml?/.ztci/release.yml"},
		"double-encoded dot":        {Repository: "acme/app", Workflow: "%252e%252e/x.yml"},
	} {
		sub, err := oidc.WorkflowSubject(forge, c)
		if !errors.Is(err, oidc.ErrConfig) || !errors.Is(err, oidc.ErrURIPath) {
			t.Errorf("%s: WorkflowSubject = %q, %v; want ErrConfig and ErrURIPath", name, sub, err)
		}
	}
	for want, c := range map[string]identity.Claims{
		forge + "/acme/app/.ztci/release.yml": {Repository: "acme/app", WorkflowRef: "acme/app/.ztci/release.yml@refs/heads/feature/x/y"},
		forge + "/acme/app/.ztci/tag.yml":     {Repository: "acme/app", WorkflowRef: "acme/app/.ztci/tag.yml@refs/tags/v1.2.3"},
		forge + "/acme/app/.ztci/pr.yml":      {Repository: "acme/app", WorkflowRef: "acme/app/.ztci/pr.yml@refs/pull/1/merge"},
		forge + "/acme/app.js/ci/100%25.yml":  {Repository: "acme/app.js", Workflow: "ci/100%25.yml"},
		forge + "/acme/app/ci/%41.v1.2.yml":   {Repository: "acme/app", Workflow: "/ci/%41.v1.2.yml"},
	} {
		if sub, err := oidc.WorkflowSubject(forge, c); err != nil || sub != want {
			t.Errorf("%+v: WorkflowSubject = %q, %v; want %q", c, sub, err, want)
		}
	}
}

// uriPathSeeds are URIs CheckURIPath refuses (first) and accepts.
var uriPathSeeds = []struct {
	uri string
	ok  bool
}{
	{"https://github.com/acme/app/.github/workflows/r.yml@refs/heads/%2e%2e/%2e%2e/victim/app", false},
	{"https://h/a/%2E%2e/b", false},
	{"https://h/a/.%2e/b", false},
	{"https://h/a/%2e/b", false},
	{"https://h/a/./b", false},
	{"https://h/a/../b", false},
	{"https://h/a/..", false},
	{"https://h/a//b", false},
	{"https://h//a", false},
	{"https://h/a%2fb", false},
	{"https://h/a%2Fb", false},
	{"https://h/a%5cb", false},
	{`https://h/a\b`, false},
	{"https://h/%252e%252e/b", false},
	{"https://h/%25252525252e", false},
	{"git+https://h/acme/app@refs/heads/%2e%2e", false},
	{"https://h/%zz", false},
	{"https://github.com/acme/app/.github/workflows/r.yml@refs/heads/feature/x", true},
	{"https://github.com/acme/app/.github/workflows/r.yml@refs/tags/v1.2.3", true},
	{"https://github.com/acme/app/.github/workflows/r.yml@refs/pull/1/merge", true},
	{"https://h/a/100%25/%41/b..c/.x/x.", true},
	{"https://h/a/", true},
	{"https://h", true},
	// Review 27: a query or fragment is refused too (a branch "x#@refs/heads/main").
	{"https://h/a?x=/../..#/..//", false},
	{"repo:acme/app:ref:refs/heads/main", true},
}

func TestReview22CheckURIPath(t *testing.T) {
	t.Parallel()
	for _, s := range uriPathSeeds {
		if err := oidc.CheckURIPath(s.uri); (err == nil) != s.ok || (err != nil && !errors.Is(err, oidc.ErrURIPath)) {
			t.Errorf("CheckURIPath(%q) = %v, want ok=%v", s.uri, err, s.ok)
		}
	}
}

// FuzzCheckURIPath: a URI CheckURIPath accepts has a decoded path that
// cleaning leaves as it is, and as many '/' decoded as written.
func FuzzCheckURIPath(f *testing.F) {
	for _, s := range uriPathSeeds {
		f.Add(s.uri)
	}
	f.Fuzz(func(t *testing.T, s string) {
		err := oidc.CheckURIPath(s)
		if err != nil {
			if !errors.Is(err, oidc.ErrURIPath) {
				t.Fatalf("CheckURIPath(%q) = %v, not ErrURIPath", s, err)
			}
			return
		}
		u, perr := url.Parse(s)
		if perr != nil {
			t.Fatalf("CheckURIPath(%q) accepted what url.Parse refuses: %v", s, perr)
		}
		if u.Opaque != "" || u.Path == "" || u.Path == "/" {
			return
		}
		if clean := path.Clean(u.Path); clean != strings.TrimSuffix(u.Path, "/") {
			t.Fatalf("CheckURIPath(%q) accepted path %q, which cleans to %q", s, u.Path, clean)
		}
		if strings.ContainsRune(u.Path, '\\') || strings.Count(u.Path, "/") != strings.Count(u.EscapedPath(), "/") {
			t.Fatalf("CheckURIPath(%q) accepted an encoded separator in %q", s, u.Path)
		}
	})
}
