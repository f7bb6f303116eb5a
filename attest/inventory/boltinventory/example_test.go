package boltinventory_test

import (
	"context"
	"fmt"
	"os"
	"path/filepath"

	"github.com/ztci/ztci/attest/inventory"
	"github.com/ztci/ztci/attest/inventory/boltinventory"
	"github.com/ztci/ztci/attest/inventory/inventorytest"
)

// The index survives a restart: record, close, reopen, query.
func Example() {
	ctx := context.Background()
	dir, err := os.MkdirTemp("", "inventory")
	if err != nil {
		fmt.Println(err)
		return
	}
	defer os.RemoveAll(dir)
	path := filepath.Join(dir, "inventory.db")

	s, err := boltinventory.Open(path)
	if err != nil {
		fmt.Println(err)
		return
	}
	err = s.Record(ctx, inventory.Admission{DecisionID: "decision-1", Digest: inventorytest.Digest("app"),
		Image: "registry.example/app:v1", Time: inventorytest.T0,
		Packages: []inventory.Package{{PURL: "pkg:pypi/Jinja2@3.1.2"}}})
	if err != nil {
		fmt.Println(err)
		return
	}
	s.Close()

	s, err = boltinventory.Open(path)
	if err != nil {
		fmt.Println(err)
		return
	}
	defer s.Close()
	res, err := s.Query(ctx, inventory.Query{Package: "pkg:pypi/jinja2", Ranges: []inventory.Range{{Fixed: "3.1.3"}}})
	if err != nil {
		fmt.Println(err)
		return
	}
	for _, a := range res.Admissions {
		fmt.Println(a.Image, a.Packages[0].PURL, a.DecisionID)
	}
	// Output:
	// registry.example/app:v1 pkg:pypi/jinja2@3.1.2 decision-1
}
