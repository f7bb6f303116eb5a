package attest_test

import (
	"errors"
	"testing"

	"github.com/ztci/ztci/attest"
)

// TestReview30CustomTestResult: Custom with the test-result predicate type
// is held to the checks TestResult.PredicateJSON makes; it was the way
// around them (policy/gate/gatetest/release.go signs through it).
func TestReview30CustomTestResult(t *testing.T) {
	t.Parallel()
	subj := []attest.ResourceDescriptor{{Name: "app", Digest: map[string]string{"sha256": "0000000000000000000000000000000000000000000000000000000000000000"}}}
	for _, tc := range []struct {
		name string
		json string
		want error
	}{
		{"ok", `{"result":"PASSED","configuration":[{"name":"go test","uri":"https://example.com/ci.yml"}],"url":"https://ci.example.com/run/1","passedTests":["TestA","TestB"],"failedTests":["TestC"]}`, nil},
		{"ok minimal", `{"result":"FAILED"}`, nil},
		{"bad result", `{"result":"passed"}`, attest.ErrTestResult},
		{"no result", `{"passedTests":["TestA"]}`, attest.ErrTestResult},
		{"bidi name", `{"result":"PASSED","passedTests":["TestA\u202e"]}`, attest.ErrTestName},
		{"newline name", `{"result":"PASSED","passedTests":["TestA\nTestB"]}`, attest.ErrTestName},
		{"name in two lists", `{"result":"PASSED","passedTests":["TestA"],"failedTests":["TestA"]}`, attest.ErrTestName},
		{"http url", `{"result":"PASSED","url":"http://ci.example.com/run/1"}`, attest.ErrTestURL},
		{"userinfo url", `{"result":"PASSED","url":"https://user:tok@ci.example.com/run/1"}`, attest.ErrTestURL},
		{"relative url", `{"result":"PASSED","url":"/run/1"}`, attest.ErrTestURL},
		// encoding/json would read "FailedTests" as failedTests; a reader
		// matching names exactly would not: the name would be in no list
		// for one and in two for the other.
		{"case-variant member", `{"result":"PASSED","passedTests":["TestA"],"FailedTests":["TestA"]}`, attest.ErrMalformedJSON},
		{"wrong type", `{"result":"PASSED","passedTests":"TestA"}`, attest.ErrInvalidPredicate},
		{"bad configuration", `{"result":"PASSED","configuration":[{}]}`, attest.ErrInvalidPredicate},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			p := attest.Custom(attest.PredicateTestResult, []byte(tc.json))
			_, err := p.PredicateJSON()
			if tc.want == nil {
				if err != nil {
					t.Fatalf("PredicateJSON: %v", err)
				}
				if _, err := attest.NewStatement(subj, p); err != nil {
					t.Fatalf("NewStatement: %v", err)
				}
				return
			}
			if !errors.Is(err, tc.want) {
				t.Fatalf("PredicateJSON = %v, want %v", err, tc.want)
			}
			if !errors.Is(err, attest.ErrInvalidPredicate) {
				t.Fatalf("PredicateJSON = %v, want it to wrap ErrInvalidPredicate", err)
			}
			if _, err := attest.NewStatement(subj, p); !errors.Is(err, tc.want) {
				t.Fatalf("NewStatement = %v, want %v", err, tc.want)
			}
		})
	}
}
