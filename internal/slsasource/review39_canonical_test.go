package slsasource

import (
	"encoding/json"
	"errors"
	"testing"
)

// TestReview39CanonicalDependencyNamesSource: a resolved dependency whose
// repository is the source's in a URL-equivalent spelling (percent-encoded,
// dot segments, default port, user information, ".git", case) is the
// source to a reader that normalises URLs. At another commit or ref it
// names a second source (*ConflictError); at the source's commit it is
// fine; a URL on the source's host that does not parse may be the source
// to a lenient reader and is refused; another repository (one that only
// shares a prefix, or on another host) is not the source.
func TestReview39CanonicalDependencyNamesSource(t *testing.T) {
	t.Parallel()
	const (
		good  = "1111111111111111111111111111111111111111"
		other = "2222222222222222222222222222222222222222"
	)
	pred := func(src, dep, commit string) *Predicate {
		t.Helper()
		raw := `{"buildDefinition":{
			"externalParameters":{"source":{"uri":` + q(t, src+"@refs/heads/main") + `,"digest":{"gitCommit":"` + good + `"}}},
			"resolvedDependencies":[{"uri":` + q(t, src+"@refs/heads/main") + `,"digest":{"gitCommit":"` + good + `"}},
				{"uri":` + q(t, dep) + `,"digest":{"gitCommit":"` + commit + `"}}]}}`
		var p Predicate
		if err := json.Unmarshal([]byte(raw), &p); err != nil {
			t.Fatal(err)
		}
		return &p
	}
	const src = "git+https://git.example/acme/app"
	equivalent := []struct{ name, dep string }{
		{"percent-encoded letter", "git+https://git.example/%61cme/app"},
		{"twice percent-encoded", "git+https://git.example/%2561cme/app"},
		{"dot segment", "git+https://git.example/acme/./app"},
		{"dot-dot segment", "git+https://git.example/other/../acme/app"},
		{"default port", "git+https://git.example:443/acme/app"},
		{"user information", "git+https://someone@git.example/acme/app"},
		{"encoded at", "git+https://git.example/acme/app%40refs/heads/x"},
		{"case", "git+https://GIT.example/ACME/App.git"},
		{"doubled slash", "git+https://git.example//acme//app"},
		{"with ref", "git+https://git.example/%61cme/app@refs/heads/main"},
		{"ssh", "ssh://git@git.example/acme/app.git"},
	}
	for _, tc := range equivalent {
		t.Run(tc.name+" at another commit", func(t *testing.T) {
			t.Parallel()
			_, err := Of(pred(src, tc.dep, other))
			if ce := (*ConflictError)(nil); !errors.As(err, &ce) {
				t.Fatalf("Of = %v, want a *ConflictError", err)
			}
		})
		t.Run(tc.name+" at the source commit", func(t *testing.T) {
			t.Parallel()
			got, err := Of(pred(src, tc.dep, good))
			if err != nil || got.Commit != good {
				t.Fatalf("Of = %+v, %v, want commit %s", got, err, good)
			}
		})
	}
	for _, tc := range []struct{ name, src, dep string }{
		{"shared prefix", src, "git+https://git.example/acme/app-tools"},
		{"shared prefix, encoded", src, "git+https://git.example/%61cme/application"},
		{"sub path", src, "git+https://git.example/acme/app/sub"},
		{"parent", src, "git+https://git.example/acme/app/.."},
		{"other host", src, "git+https://git.example.evil/acme/app"},
		{"other port", src, "git+https://git.example:8443/acme/app"},
		{"unparseable on another host", src, "git+https://other.example/%zz/acme/app"},
		{"not a URL", src, "pkg:golang/git.example/acme/app@v1"},
		{"scheme-less source, other repo", "git.example/acme/app", "https://git.example/acme/lib"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			got, err := Of(pred(tc.src, tc.dep, other))
			if err != nil || got.Commit != good {
				t.Fatalf("Of = %+v, %v, want commit %s", got, err, good)
			}
		})
	}
	for _, tc := range []struct{ name, src, dep string }{
		{"invalid escape", src, "git+https://git.example/%zz/../acme/app"},
		{"control character", src, "git+https://git.example/acme/app\x7f"},
		{"bad port", src, "git+https://git.example:x/acme/app"},
		{"encoded host", src, "git+https://git.%zzexample/acme/app"},
		{"encoded too deep", src, "git+https://git.example/%2525252561cme/app"},
		{"scheme-less source", "git.example/acme/app", "https://git.example/%61cme/app"},
		{"IPv6 host", "git+https://[::1]/acme/app", "git+https://[::1]/%zz/acme/app"},
		{"IPv6 host and port", "git+https://[::1]:8443/acme/app", "git+https://[::1]:8443/%zz/acme/app"},
		{"user information, invalid escape", src, "git+https://u@GIT.example:443/%zz"},
	} {
		t.Run("fail closed: "+tc.name, func(t *testing.T) {
			t.Parallel()
			_, err := Of(pred(tc.src, tc.dep, other))
			if ce := (*ConflictError)(nil); !errors.As(err, &ce) {
				t.Fatalf("Of = %v, want a *ConflictError", err)
			}
		})
	}
}

// TestReview39CanonicalRepo: the one canonical form writer and reader
// compare.
func TestReview39CanonicalRepo(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct{ name, uri, want string }{
		{"plain", "git+https://git.example/acme/app", "git.example/acme/app"},
		{"everything", "git+https://u:p@GIT.example:443/x/../%2561cme/./App.git@refs/heads/main", "git.example/acme/app"},
		{"other port kept", "https://git.example:8443/acme/app", "git.example:8443/acme/app"},
		{"no host", "acme/app", ""},
		{"unparseable", "https://git.example/%zz", ""},
		{"too deep", "https://git.example/%2525252561cme/app", ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			if got := CanonicalRepo(tc.uri); got != tc.want {
				t.Fatalf("CanonicalRepo(%q) = %q, want %q", tc.uri, got, tc.want)
			}
		})
	}
}

func q(t *testing.T, s string) string {
	t.Helper()
	b, err := json.Marshal(s)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// FuzzReview39CanonicalDependency: a dependency MayNameSource takes for
// the source, at another commit, always makes Of refuse the provenance;
// CanonicalRepo is a fixed point of its own output read as https.
func FuzzReview39CanonicalDependency(f *testing.F) {
	for _, s := range [][2]string{
		{"git+https://git.example/acme/app", "git+https://git.example/%61cme/app"},
		{"git+https://git.example/acme/app", "git+https://u@git.example:443/x/../acme/./app.git@main"},
		{"git.example/acme/app", "https://git.example/%zz"},
		{"ssh://git@git.example/acme/app", "git+https://git.example/acme/app-tools"},
	} {
		f.Add(s[0], s[1])
	}
	f.Fuzz(func(t *testing.T, src, dep string) {
		if c := CanonicalRepo(src); c != "" {
			if cc := CanonicalRepo("https://" + c); cc != "" && cc != c {
				t.Fatalf("CanonicalRepo(%q) = %q, read again %q", src, c, cc)
			}
		}
		var p Predicate
		s, _ := json.Marshal(map[string]any{"uri": src, "digest": map[string]string{"gitCommit": "1111"}})
		p.BuildDefinition.ExternalParameters = map[string]json.RawMessage{"source": s}
		p.BuildDefinition.ResolvedDependencies = make([]struct {
			URI    string            `json:"uri"`
			Digest map[string]string `json:"digest"`
		}, 2)
		p.BuildDefinition.ResolvedDependencies[0].URI = "" // not a place: only the source states the source
		p.BuildDefinition.ResolvedDependencies[1].URI = dep
		p.BuildDefinition.ResolvedDependencies[1].Digest = map[string]string{"gitCommit": "2222"}
		repo, _ := SplitGitURI(src)
		_, err := Of(&p)
		var ce *ConflictError
		if err != nil && !errors.As(err, &ce) {
			t.Fatalf("Of: %v", err)
		}
		if err == nil && repo != "" && MayNameSource(repo, dep) {
			t.Fatalf("Of(source %q, dependency %q at another commit) = nil, want a *ConflictError", src, dep)
		}
	})
}
