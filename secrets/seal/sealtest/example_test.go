package sealtest_test

import (
	"context"
	"fmt"

	"github.com/ztci/ztci/secrets/seal"
	"github.com/ztci/ztci/secrets/seal/sealtest"
)

// Check a wrapper outside a test, e.g. at start-up against a staging KMS.
func ExampleTestKeyWrapper() {
	k, _ := seal.GenerateKey("local-2026-02")
	err := sealtest.TestKeyWrapper(context.Background(), k)
	fmt.Println("conforms:", err == nil)
	// Output: conforms: true
}
