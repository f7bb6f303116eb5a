package slsasource

import (
	"encoding/json"
	"errors"
	"testing"
)

// TestReview37DepsSecondSourceConflicts: a provenance whose resolved
// dependencies name the source repository a second time, at another commit
// or ref, states two sources; a reader that looks the repository up among
// the dependencies (rather than at index 0) takes the other one. Of refuses
// it with a *ConflictError, as it refuses places that disagree, and never
// picks the first of two commits.
func TestReview37DepsSecondSourceConflicts(t *testing.T) {
	t.Parallel()
	const (
		good  = "1111111111111111111111111111111111111111"
		other = "2222222222222222222222222222222222222222"
	)
	tests := []struct {
		name       string
		pred       string
		wantCommit string // "" means a *ConflictError
	}{
		{"source commit, same repo at another commit later", `{"buildDefinition":{
			"externalParameters":{"source":{"uri":"git+https://github.com/acme/app@refs/heads/main","digest":{"gitCommit":"` + good + `"}}},
			"resolvedDependencies":[{"uri":"git+https://github.com/acme/app@refs/heads/main","digest":{"gitCommit":"` + good + `"}},
				{"uri":"git+https://github.com/acme/app.git","digest":{"gitCommit":"` + other + `"}}]}}`, ""},
		{"no commit in the places, two dependencies disagree", `{"buildDefinition":{
			"externalParameters":{"source":{"uri":"git+https://github.com/acme/app@refs/heads/main"}},
			"resolvedDependencies":[{"uri":""},
				{"uri":"git+https://github.com/acme/app","digest":{"gitCommit":"` + good + `"}},
				{"uri":"https://github.com/acme/app.git/","digest":{"sha1":"` + other + `"}}]}}`, ""},
		{"same repo at another ref later", `{"buildDefinition":{
			"externalParameters":{"source":{"uri":"git+https://github.com/acme/app@refs/heads/main","digest":{"gitCommit":"` + good + `"}}},
			"resolvedDependencies":[{"uri":"git+https://github.com/acme/app@refs/heads/main","digest":{"gitCommit":"` + good + `"}},
				{"uri":"git+https://github.com/acme/app@refs/heads/evil","digest":{"gitCommit":"` + good + `"}}]}}`, ""},
		{"dependency states gitCommit and another sha1", `{"buildDefinition":{
			"externalParameters":{"source":{"uri":"git+https://github.com/acme/app@refs/heads/main"}},
			"resolvedDependencies":[{"uri":""},
				{"uri":"git+https://github.com/acme/app","digest":{"gitCommit":"` + good + `","sha1":"` + other + `"}}]}}`, ""},
		{"the source listed twice alike", `{"buildDefinition":{
			"externalParameters":{"source":{"uri":"git+https://github.com/acme/app@refs/heads/main","digest":{"gitCommit":"` + good + `"}}},
			"resolvedDependencies":[{"uri":"git+https://github.com/acme/app@refs/heads/main","digest":{"gitCommit":"` + good + `"}},
				{"uri":"git+https://github.com/acme/lib","digest":{"gitCommit":"` + other + `"}},
				{"uri":"git+https://github.com/acme/app","digest":{"sha1":"` + good + `"}}]}}`, good},
		{"commit from a later dependency when the places state none", `{"buildDefinition":{
			"externalParameters":{"source":{"uri":"git+https://github.com/acme/app@refs/heads/main"}},
			"resolvedDependencies":[{"uri":""},
				{"uri":"git+https://github.com/acme/app","digest":{"gitCommit":"` + good + `"}}]}}`, good},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			var p Predicate
			if err := json.Unmarshal([]byte(tt.pred), &p); err != nil {
				t.Fatal(err)
			}
			src, err := Of(&p)
			if tt.wantCommit == "" {
				if c := (*ConflictError)(nil); !errors.As(err, &c) {
					t.Fatalf("Of = %+v, %v; want a *ConflictError", src, err)
				}
				return
			}
			if err != nil || src.Commit != tt.wantCommit || src.Ref != "refs/heads/main" {
				t.Fatalf("Of = %+v, %v; want commit %s on refs/heads/main", src, err, tt.wantCommit)
			}
		})
	}
}
