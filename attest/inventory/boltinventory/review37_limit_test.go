package boltinventory_test

import (
	"errors"
	"fmt"
	"path/filepath"
	"testing"
	"time"

	bolt "go.etcd.io/bbolt"

	"github.com/ztci/ztci/attest/inventory"
	"github.com/ztci/ztci/attest/inventory/boltinventory"
	"github.com/ztci/ztci/attest/inventory/inventorytest"
)

// TestReview37QueryDecodesOnlyTheAdmissionsItReturns: a query by digest,
// builder, signer, key or revision decoded every matching admission's
// package list (up to twice MaxPackages entries each) and only then kept
// the Limit newest, so a revocation's query over a builder's many
// admissions held all their packages in memory at once. Packages are now
// read only for the admissions the result holds: here the oldest
// admission's package list is unreadable, and a query whose limit leaves
// it out answers (one that includes it still fails closed).
func TestReview37QueryDecodesOnlyTheAdmissionsItReturns(t *testing.T) {
	t.Parallel()
	path := filepath.Join(t.TempDir(), "inv.db")
	s, err := boltinventory.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	for i := range 5 {
		a := inventorytest.Admission(fmt.Sprintf("d-%d", i), fmt.Sprint(i), fmt.Sprintf("pkg:npm/p@1.0.%d", i))
		a.Builders, a.Time = []string{"https://ci.example/b"}, inventorytest.T0.Add(time.Duration(i)*time.Minute)
		if err := s.Record(t.Context(), a); err != nil {
			t.Fatal(err)
		}
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	db, err := bolt.Open(path, 0o600, nil)
	if err != nil {
		t.Fatal(err)
	}
	if err := db.Update(func(tx *bolt.Tx) error { return tx.Bucket([]byte("packages")).Put([]byte("d-0"), []byte{0xff}) }); err != nil {
		t.Fatal(err)
	}
	if err := db.Close(); err != nil {
		t.Fatal(err)
	}
	s = open(t, path)
	res, err := s.Query(t.Context(), inventory.Query{Builder: "https://ci.example/b", Limit: 3})
	if err != nil {
		t.Fatalf("query with a limit that leaves out d-0: %v", err)
	}
	if got := fmt.Sprint(ids(res)); got != "[d-4 d-3 d-2]" || !res.Truncated || len(res.Admissions[0].Packages) != 1 {
		t.Fatalf("got %s truncated=%v %+v", got, res.Truncated, res.Admissions)
	}
	if res, err := s.Query(t.Context(), inventory.Query{Builder: "https://ci.example/b", Limit: 4}); err != nil || !res.Truncated {
		t.Fatalf("query whose limit stops just before d-0: %+v, %v", res, err)
	}
	if _, err := s.Query(t.Context(), inventory.Query{Builder: "https://ci.example/b", Limit: 5}); !errors.Is(err, inventory.ErrUnavailable) {
		t.Fatalf("query whose limit reaches d-0: %v, want ErrUnavailable", err)
	}
}

func ids(r inventory.Result) []string {
	var out []string
	for _, a := range r.Admissions {
		out = append(out, a.DecisionID)
	}
	return out
}
