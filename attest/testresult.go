package attest

import (
	"encoding/json"
	"fmt"

	"github.com/ztci/ztci/internal/clip"
)

// Test results as in the in-toto test-result predicate v0.1.
const (
	TestPassed = "PASSED"
	TestWarned = "WARNED"
	TestFailed = "FAILED"
)

// ErrTestResult: a TestResult has an unknown result value.
var ErrTestResult = fmt.Errorf("%w: test-result: result must be PASSED, WARNED or FAILED", ErrInvalidPredicate)

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

// PredicateJSON validates r and returns its JSON.
func (r *TestResult) PredicateJSON() (json.RawMessage, error) {
	if r == nil {
		return nil, ErrTestResult
	}
	switch r.Result {
	case TestPassed, TestWarned, TestFailed:
	default:
		return nil, fmt.Errorf("%w: got %q", ErrTestResult, clip.String(r.Result, 80))
	}
	for i := range r.Configuration {
		if err := r.Configuration[i].Validate(); err != nil {
			return nil, fmt.Errorf("%w: test-result configuration: %w", ErrInvalidPredicate, err)
		}
	}
	return marshalPredicate(r)
}
