package attest_test

import (
	"errors"
	"testing"

	"github.com/ztci/ztci/attest"
	"github.com/ztci/ztci/internal/strictjson"
)

// TestReview15ProvenanceCase: ParseProvenance decoded the predicate into
// Provenance with encoding/json, which matches member names
// case-insensitively with Unicode simple folding, after a check that
// refused only two members of one object equal under folding. A lone
// "ID" in runDetails.builder was read as the builder id, and
// "reſolvedDependencies" (U+017F) as the dependency that names the source,
// where the specification, an OPA policy over the predicate, jq, and
// verify (which refuses a provenance member name in another case before
// CheckProvenance or ReadProvenance read it) find no such member: the same
// signed predicate named a builder or a source to one reader and none to
// the other.
func TestReview15ProvenanceCase(t *testing.T) {
	t.Parallel()
	const commit = "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
	for name, doc := range map[string]string{
		"builder ID": `{"buildDefinition":{"buildType":"https://t.example/b","externalParameters":{}},
			"runDetails":{"builder":{"ID":"https://evil.example/builder"}}}`,
		"long s dependency": "{\"buildDefinition\":{\"buildType\":\"https://t.example/b\",\"externalParameters\":{}," +
			"\"re\u017folvedDependencies\":[{\"uri\":\"git+https://github.com/evil/x@refs/heads/main\",\"digest\":{\"gitCommit\":\"" + commit + "\"}}]}," +
			"\"runDetails\":{\"builder\":{\"id\":\"https://b.example\"}}}",
		"escaped descriptor member": `{"buildDefinition":{"buildType":"https://t.example/b","externalParameters":{},
			"resolvedDependencies":[{"name":"src","digest":{"gitCommit":"` + commit + `"},"\u0055RI":"git+https://github.com/evil/x"}]},
			"runDetails":{"builder":{"id":"https://b.example"}}}`,
		"metadata": `{"buildDefinition":{"buildType":"https://t.example/b","externalParameters":{}},
			"runDetails":{"builder":{"id":"https://b.example"},"metadata":{"InvocationID":"x"}}}`,
	} {
		p, err := attest.ParseProvenance([]byte(doc))
		var me *strictjson.MemberError
		if !errors.Is(err, attest.ErrInvalidPredicate) || !errors.Is(err, attest.ErrMalformedJSON) || !errors.As(err, &me) {
			t.Errorf("%s: ParseProvenance = %+v, %v; want ErrMalformedJSON naming the member", name, p, err)
		}
	}
	// Free-form members keep their names: externalParameters, internal
	// parameters and annotations are read by exact key.
	ok := `{"buildDefinition":{"buildType":"https://t.example/b","externalParameters":{"ID":"x","Workflow":{"Ref":"y"}},
		"internalParameters":{"BuildType":1}},"runDetails":{"builder":{"id":"https://b.example","version":{"ID":"1"}}}}`
	if p, err := attest.ParseProvenance([]byte(ok)); err != nil || p.RunDetails.Builder.ID != "https://b.example" {
		t.Fatalf("ParseProvenance = %+v, %v", p, err)
	}
}
