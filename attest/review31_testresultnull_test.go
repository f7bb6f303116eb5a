package attest_test

import (
	"errors"
	"testing"

	"github.com/ztci/ztci/attest"
)

// TestReview31TestResultNullName: an empty test name, and a JSON null in a
// test list (which encoding/json reads as an empty name), are refused with
// ErrTestName by the typed builder and by Custom(PredicateTestResult, ...);
// a null configuration entry is refused as the empty descriptor it reads as.
func TestReview31TestResultNullName(t *testing.T) {
	t.Parallel()
	subj := []attest.ResourceDescriptor{{Name: "app", Digest: map[string]string{"sha256": "0000000000000000000000000000000000000000000000000000000000000000"}}}
	for _, tc := range []struct {
		name  string
		typed *attest.TestResult
		json  string
		want  error
	}{
		{name: "typed empty passed", typed: &attest.TestResult{Result: attest.TestPassed, PassedTests: []string{"TestA", ""}}, want: attest.ErrTestName},
		{name: "typed empty warned", typed: &attest.TestResult{Result: attest.TestWarned, WarnedTests: []string{""}}, want: attest.ErrTestName},
		{name: "typed empty failed", typed: &attest.TestResult{Result: attest.TestFailed, FailedTests: []string{""}}, want: attest.ErrTestName},
		{name: "typed ok", typed: &attest.TestResult{Result: attest.TestFailed, PassedTests: []string{"TestA"}, FailedTests: []string{"TestB"}}},
		{name: "custom null passed", json: `{"result":"PASSED","passedTests":["TestA",null]}`, want: attest.ErrTestName},
		{name: "custom null warned", json: `{"result":"WARNED","warnedTests":[null]}`, want: attest.ErrTestName},
		{name: "custom null failed", json: `{"result":"FAILED","failedTests":[null,"TestB"]}`, want: attest.ErrTestName},
		{name: "custom empty failed", json: `{"result":"FAILED","failedTests":[""]}`, want: attest.ErrTestName},
		{name: "custom null configuration", json: `{"result":"PASSED","configuration":[null]}`, want: attest.ErrInvalidPredicate},
		{name: "custom null list", json: `{"result":"PASSED","passedTests":null}`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			var p attest.Predicate = tc.typed
			if tc.typed == nil {
				p = attest.Custom(attest.PredicateTestResult, []byte(tc.json))
			}
			_, err := p.PredicateJSON()
			_, serr := attest.NewStatement(subj, p)
			if tc.want == nil {
				if err != nil || serr != nil {
					t.Fatalf("PredicateJSON = %v, NewStatement = %v, want no error", err, serr)
				}
				return
			}
			if !errors.Is(err, tc.want) || !errors.Is(err, attest.ErrInvalidPredicate) {
				t.Fatalf("PredicateJSON = %v, want %v", err, tc.want)
			}
			if !errors.Is(serr, tc.want) {
				t.Fatalf("NewStatement = %v, want %v", serr, tc.want)
			}
		})
	}
}
