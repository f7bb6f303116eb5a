package policytest_test

import (
	"context"
	"fmt"
	"testing/fstest"

	"github.com/ztci/ztci/policy/policytest"
)

// In a Go test, call policytest.Run(t, fsys); Results returns the outcomes
// for inspection.
func ExampleResults() {
	fsys := fstest.MapFS{
		"gate.rego":      {Data: []byte("package gate\nallow if input.ref == \"refs/heads/main\"")},
		"gate_test.rego": {Data: []byte("package gate_test\nimport data.gate\ntest_main if gate.allow with input as {\"ref\": \"refs/heads/main\"}\ntest_feature_denied if not gate.allow with input as {\"ref\": \"refs/heads/x\"}")},
	}
	rs, err := policytest.Results(context.Background(), fsys)
	if err != nil {
		panic(err)
	}
	for _, r := range rs {
		fmt.Println(r.Name, r.Pass)
	}
	// Output:
	// data.gate_test.test_main true
	// data.gate_test.test_feature_denied true
}
