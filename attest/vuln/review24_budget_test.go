package vuln_test

import (
	"errors"
	"os"
	"runtime"
	"strings"
	"testing"

	"github.com/ztci/ztci/attest/vuln"
	"github.com/ztci/ztci/internal/strictjson"
)

// review24Flood is a vulnerability predicate of n tiny elements at the
// array shape names.
func review24Flood(shape string, n int) []byte {
	elems := strings.TrimSuffix(strings.Repeat("{},", n), ",")
	result := `[` + elems + `]`
	switch shape {
	case "severity":
		result = `[{"id":"CVE-1","severity":[` + elems + `]}]`
	case "annotations":
		result = `[{"id":"CVE-1","annotations":[` + elems + `]}]`
	}
	return []byte(`{"scanner":{"uri":"pkg:github/aquasecurity/trivy","result":` + result + `},"metadata":{"scanFinishedOn":"2026-01-02T03:04:05Z"}}`)
}

// TestReview24PredicateElementBudget: a deploy gate reads the
// vulnerability predicate of an attestation any job can sign.
// `"result":[{},{},…]` of 64 MiB made encoding/json allocate 7.5 GB before
// the predicate was refused; severities and annotations did the same. Such
// a predicate is refused, wrapping ErrInvalidScan and
// strictjson.ErrTooManyElements, before it is decoded.
func TestReview24PredicateElementBudget(t *testing.T) {
	for _, shape := range []string{"result", "severity", "annotations"} {
		t.Run(shape, func(t *testing.T) {
			doc := review24Flood(shape, 1<<20) // 3 MiB
			var before, after runtime.MemStats
			runtime.ReadMemStats(&before)
			_, err := vuln.ParseScan(doc)
			runtime.ReadMemStats(&after)
			if !errors.Is(err, vuln.ErrInvalidScan) || !errors.Is(err, strictjson.ErrTooManyElements) {
				t.Fatalf("err = %v, want ErrInvalidScan and ErrTooManyElements", err)
			}
			if n := after.TotalAlloc - before.TotalAlloc; n > 4*uint64(len(doc)) {
				t.Errorf("allocated %d bytes for a %d-byte predicate", n, len(doc))
			}
		})
	}
}

// BenchmarkReview24ParseScan measures memory on the adversarial shapes and
// on the predicate written from the Trivy report of testdata:
// go test -run '^$' -bench Review24 -benchmem.
func BenchmarkReview24ParseScan(b *testing.B) {
	report, err := os.ReadFile("testdata/trivy-alpine-39-high-critical.json")
	if err != nil {
		b.Fatal(err)
	}
	s, err := vuln.ParseTrivy(report)
	if err != nil {
		b.Fatal(err)
	}
	real, err := vuln.Predicate(*s).PredicateJSON()
	if err != nil {
		b.Fatal(err)
	}
	b.Run("trivy-testdata", func(b *testing.B) {
		b.ReportAllocs()
		b.SetBytes(int64(len(real)))
		for b.Loop() {
			if _, err := vuln.ParseScan(real); err != nil {
				b.Fatal(err)
			}
		}
	})
	for _, shape := range []string{"result", "severity", "annotations"} {
		doc := review24Flood(shape, 4<<20) // 12 MiB
		b.Run("flood-"+shape, func(b *testing.B) {
			b.ReportAllocs()
			b.SetBytes(int64(len(doc)))
			for b.Loop() {
				_, _ = vuln.ParseScan(doc)
			}
		})
	}
}
