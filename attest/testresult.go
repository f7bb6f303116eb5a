package attest

import (
	"encoding/json"
	"fmt"
	"net/url"
	"reflect"
	"sync"

	"github.com/ztci/ztci/internal/clip"
	"github.com/ztci/ztci/internal/strictjson"
)

// Test results as in the in-toto test-result predicate v0.1.
const (
	TestPassed = "PASSED"
	TestWarned = "WARNED"
	TestFailed = "FAILED"
)

// Test-result errors.
var (
	// ErrTestResult: a TestResult has an unknown result value.
	ErrTestResult = fmt.Errorf("%w: test-result: result must be PASSED, WARNED or FAILED", ErrInvalidPredicate)
	// ErrTestName: a test name in a TestResult is empty (a JSON null in
	// a test list reads as one), holds a control, line separator or
	// bidirectional formatting character or is not UTF-8 (it would
	// display as another name, or as several), or appears in
	// more than one of PassedTests, WarnedTests and FailedTests (a policy
	// reading one list and a person reading another would disagree about
	// its outcome).
	ErrTestName = fmt.Errorf("%w: test-result: unusable test name", ErrInvalidPredicate)
	// ErrTestURL: a TestResult's URL is not an absolute https URL with a
	// host and without user info (a credential would be signed into a
	// public attestation).
	ErrTestURL = fmt.Errorf("%w: test-result: url must be an absolute https URL without user info", ErrInvalidPredicate)
)

// TestResult is the in-toto test-result predicate
// (https://in-toto.io/attestation/test-result/v0.1).
type TestResult struct {
	Result        string               `json:"result"`
	Configuration []ResourceDescriptor `json:"configuration,omitempty"`
	URL           string               `json:"url,omitempty"`
	PassedTests   []string             `json:"passedTests,omitempty"`
	WarnedTests   []string             `json:"warnedTests,omitempty"`
	FailedTests   []string             `json:"failedTests,omitempty"`
}

// PredicateType returns PredicateTestResult.
func (r *TestResult) PredicateType() string { return PredicateTestResult }

// PredicateJSON validates r and returns its JSON. Besides the result value
// ([ErrTestResult]), each test name must be non-empty plain UTF-8 text and appear in
// one list only ([ErrTestName]), and URL, if set, must be an absolute https
// URL without user info ([ErrTestURL]).
func (r *TestResult) PredicateJSON() (json.RawMessage, error) {
	if err := r.validate(); err != nil {
		return nil, err
	}
	return marshalPredicate(r)
}

// testResultSchema is the member names of the predicate, which
// checkTestResult decodes into TestResult with encoding/json.
var testResultSchema = sync.OnceValue(func() *strictjson.Schema { return strictjson.SchemaOf(reflect.TypeFor[TestResult]()) })

// checkTestResult reads a test-result predicate given as JSON (through
// [Custom]) as TestResult and makes PredicateJSON's checks. A member spelt
// in another case ("FailedTests") is refused with [ErrMalformedJSON]:
// encoding/json would read it as the real member, a reader matching names
// exactly would not.
func checkTestResult(b []byte) error {
	// checkObject validated b; the schema walk needs no second pass.
	if err := testResultSchema().CheckUnvalidated(b); err != nil {
		return fmt.Errorf("%w: %w: %w", ErrPredicateNotJSON, ErrMalformedJSON, err)
	}
	var r TestResult
	if err := json.Unmarshal(b, &r); err != nil {
		return fmt.Errorf("%w: test-result: %w", ErrInvalidPredicate, err)
	}
	return r.validate()
}

func (r *TestResult) validate() error {
	if r == nil {
		return ErrTestResult
	}
	switch r.Result {
	case TestPassed, TestWarned, TestFailed:
	default:
		return fmt.Errorf("%w: got %q", ErrTestResult, clip.String(r.Result, 80))
	}
	for i := range r.Configuration {
		if err := r.Configuration[i].Validate(); err != nil {
			return fmt.Errorf("%w: test-result configuration: %w", ErrInvalidPredicate, err)
		}
	}
	if r.URL != "" {
		u, err := url.Parse(r.URL)
		if err != nil || u.Scheme != "https" || u.Opaque != "" || u.Hostname() == "" || u.User != nil || !plainText(r.URL) {
			return fmt.Errorf("%w: got %s", ErrTestURL, clip.Quote(r.URL, 80))
		}
	}
	outcome := make(map[string]string, len(r.PassedTests)+len(r.WarnedTests)+len(r.FailedTests))
	for _, l := range []struct {
		list  string
		names []string
	}{{"passedTests", r.PassedTests}, {"warnedTests", r.WarnedTests}, {"failedTests", r.FailedTests}} {
		for i, n := range l.names {
			if n == "" {
				// Names no test: a policy requiring "no failed tests"
				// and one counting them would disagree, and a JSON null
				// in the list (which encoding/json reads as "") was
				// signed as an empty name no reader can match.
				return fmt.Errorf("%w: %s[%d] is empty or null", ErrTestName, l.list, i)
			}
			if !plainText(n) {
				return fmt.Errorf("%w: %s holds %s", ErrTestName, l.list, clip.Quote(n, 80))
			}
			if prev, ok := outcome[n]; ok && prev != l.list {
				return fmt.Errorf("%w: %s is in both %s and %s", ErrTestName, clip.Quote(n, 80), prev, l.list)
			}
			outcome[n] = l.list
		}
	}
	return nil
}
