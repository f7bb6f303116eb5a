package inventory_test

import (
	"context"
	"fmt"
	"time"

	"github.com/ztci/ztci/attest/inventory"
	"github.com/ztci/ztci/attest/inventory/inventorytest"
)

// Record two admissions, then ask which admitted artifacts contain
// golang.org/x/net below 0.33.0, who built them and which decision let
// them through.
func Example() {
	ctx := context.Background()
	store := inventory.NewMemory()
	t0 := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
	for _, a := range []inventory.Admission{
		{DecisionID: "decision-1", Digest: inventorytest.Digest("app v1"), Image: "registry.example/app:v1",
			Builders: []string{"https://ci.example/builder@v1"}, Job: "spiffe://example.org/ci/deploy", PolicyRevision: "rev-7", Time: t0,
			Packages: []inventory.Package{{PURL: "pkg:golang/golang.org/x/net@v0.30.0"}, {PURL: "pkg:golang/github.com/google/uuid@v1.6.0"}}},
		{DecisionID: "decision-2", Digest: inventorytest.Digest("app v2"), Image: "registry.example/app:v2",
			Builders: []string{"https://ci.example/builder@v1"}, Job: "spiffe://example.org/ci/deploy", PolicyRevision: "rev-8", Time: t0.Add(time.Hour),
			Packages: []inventory.Package{{PURL: "pkg:golang/golang.org/x/net@v0.35.0"}}},
	} {
		if err := store.Record(ctx, a); err != nil {
			fmt.Println(err)
			return
		}
	}
	res, err := store.Query(ctx, inventory.Query{
		Package: "pkg:golang/golang.org/x/net",
		Ranges:  []inventory.Range{{Fixed: "0.33.0"}},
	})
	if err != nil {
		fmt.Println(err)
		return
	}
	for _, a := range res.Admissions {
		fmt.Println(a.Image, a.Packages[0].PURL, "built by", a.Builders, "admitted by", a.DecisionID, "under", a.PolicyRevision)
	}
	// Output:
	// registry.example/app:v1 pkg:golang/golang.org/x/net@v0.30.0 built by [https://ci.example/builder@v1] admitted by decision-1 under rev-7
}

// Versions are ordered by each ecosystem's own rules.
func ExampleCompareVersions() {
	for _, c := range [][3]string{
		{"pypi", "1.0.dev0", "1.0a1"},
		{"maven", "1.0-SNAPSHOT", "1.0"},
		{"deb", "1:0.9", "2.0"},
		{"golang", "v1.2.3", "1.2.3"},
		{"gem", "1.0.0.a", "1.0"},
		{"composer", "1.0.0-RC1", "1.0.0-patch1"},
	} {
		n, _ := inventory.CompareVersions(c[0], c[1], c[2])
		fmt.Println(c[0], c[1], "vs", c[2], n)
	}
	_, err := inventory.CompareVersions("conan", "1.0", "2.0")
	fmt.Println(err)
	// Output:
	// pypi 1.0.dev0 vs 1.0a1 -1
	// maven 1.0-SNAPSHOT vs 1.0 -1
	// deb 1:0.9 vs 2.0 1
	// golang v1.2.3 vs 1.2.3 0
	// gem 1.0.0.a vs 1.0 -1
	// composer 1.0.0-RC1 vs 1.0.0-patch1 -1
	// inventory: invalid input: no version ordering for this package type: "conan" (ask for exact versions instead)
}
