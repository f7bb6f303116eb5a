package attest_test

import (
	"errors"
	"testing"

	"github.com/ztci/ztci/attest"
)

// A test-result predicate states each test's outcome once, in names that
// display as what they are, and links a run over https only: a name holding
// a newline or a bidi override displayed as another test (or a second
// line), a name in both passedTests and failedTests read as passed by a
// policy checking one list, and a url of any scheme ("javascript:",
// "http://user:token@…") was signed.
func TestReview29TestResultRefused(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name string
		r    attest.TestResult
		want error
	}{
		{name: "newline in name", r: attest.TestResult{Result: attest.TestPassed, PassedTests: []string{"TestA\nfailedTests: TestB"}}, want: attest.ErrTestName},
		{name: "NUL in name", r: attest.TestResult{Result: attest.TestFailed, FailedTests: []string{"TestA\x00"}}, want: attest.ErrTestName},
		{name: "C1 control in name", r: attest.TestResult{Result: attest.TestWarned, WarnedTests: []string{"Test\u0085A"}}, want: attest.ErrTestName},
		{name: "bidi override in name", r: attest.TestResult{Result: attest.TestPassed, PassedTests: []string{"Test\u202eliaF"}}, want: attest.ErrTestName},
		{name: "line separator in name", r: attest.TestResult{Result: attest.TestPassed, PassedTests: []string{"TestA\u2028TestB"}}, want: attest.ErrTestName},
		{name: "not UTF-8", r: attest.TestResult{Result: attest.TestPassed, PassedTests: []string{"Test\xff"}}, want: attest.ErrTestName},
		{name: "passed and failed", r: attest.TestResult{Result: attest.TestPassed, PassedTests: []string{"TestA"}, FailedTests: []string{"TestA"}}, want: attest.ErrTestName},
		{name: "passed and warned", r: attest.TestResult{Result: attest.TestWarned, PassedTests: []string{"TestA"}, WarnedTests: []string{"TestA"}}, want: attest.ErrTestName},
		{name: "warned and failed", r: attest.TestResult{Result: attest.TestFailed, WarnedTests: []string{"TestA"}, FailedTests: []string{"TestB", "TestA"}}, want: attest.ErrTestName},
		{name: "http url", r: attest.TestResult{Result: attest.TestPassed, URL: "http://ci.example/run/1"}, want: attest.ErrTestURL},
		{name: "javascript url", r: attest.TestResult{Result: attest.TestPassed, URL: "javascript:alert(1)"}, want: attest.ErrTestURL},
		{name: "relative url", r: attest.TestResult{Result: attest.TestPassed, URL: "/run/1"}, want: attest.ErrTestURL},
		{name: "no host", r: attest.TestResult{Result: attest.TestPassed, URL: "https:///run/1"}, want: attest.ErrTestURL},
		{name: "user info", r: attest.TestResult{Result: attest.TestPassed, URL: "https://bot:token@ci.example/run/1"}, want: attest.ErrTestURL},
		{name: "control in url", r: attest.TestResult{Result: attest.TestPassed, URL: "https://ci.example/run/1\n"}, want: attest.ErrTestURL},
		{name: "bidi in url", r: attest.TestResult{Result: attest.TestPassed, URL: "https://ci.example/\u202e1/nur"}, want: attest.ErrTestURL},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			raw, err := tc.r.PredicateJSON()
			if !errors.Is(err, tc.want) || !errors.Is(err, attest.ErrInvalidPredicate) || raw != nil {
				t.Errorf("PredicateJSON: %v, want %v", err, tc.want)
			}
			if _, err := attest.NewStatement([]attest.ResourceDescriptor{{Name: "a", Digest: map[string]string{"sha256": review29Sum}}}, &tc.r); !errors.Is(err, tc.want) {
				t.Errorf("NewStatement: %v, want %v", err, tc.want)
			}
		})
	}
}

const review29Sum = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"

// What the predicate allows stays allowed: names with spaces, slashes and
// other scripts, a name repeated in one list, an https url with a port,
// query and fragment, and no url.
func TestReview29TestResultAccepted(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name string
		r    attest.TestResult
	}{
		{name: "go subtests", r: attest.TestResult{Result: attest.TestFailed, PassedTests: []string{"TestA/case_1", "TestA/case 2"}, FailedTests: []string{"TestB"}}},
		{name: "other scripts", r: attest.TestResult{Result: attest.TestPassed, PassedTests: []string{"テスト", "Prüfung › Fall"}}},
		{name: "repeated in one list", r: attest.TestResult{Result: attest.TestPassed, PassedTests: []string{"TestA", "TestA"}}},
		{name: "https url", r: attest.TestResult{Result: attest.TestWarned, URL: "https://ci.example:8443/run/1?attempt=2#logs", WarnedTests: []string{"TestC"}}},
		{name: "no url", r: attest.TestResult{Result: attest.TestPassed}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			if _, err := tc.r.PredicateJSON(); err != nil {
				t.Errorf("PredicateJSON: %v", err)
			}
		})
	}
}
