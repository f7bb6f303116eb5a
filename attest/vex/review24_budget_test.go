package vex_test

import (
	"errors"
	"runtime"
	"strings"
	"testing"

	"github.com/ztci/ztci/attest/vex"
	"github.com/ztci/ztci/internal/strictjson"
)

// review24Flood is an OpenVEX document of n tiny elements at the array
// shape names.
func review24Flood(shape string, n int) []byte {
	elems := strings.TrimSuffix(strings.Repeat("{},", n), ",")
	switch shape {
	case "statements":
		return []byte(minimal(elems))
	case "products":
		return []byte(minimal(`{"vulnerability":{"name":"CVE-1"},"status":"fixed","products":[` + elems + `]}`))
	case "aliases":
		return []byte(minimal(`{"vulnerability":{"name":"CVE-1","aliases":[` + strings.TrimSuffix(strings.Repeat(`"",`, n), ",") + `]},"status":"fixed"}`))
	}
	panic(shape)
}

// TestReview24VEXElementBudget: a gate reads OpenVEX from an attestation
// any job can sign; `"statements":[{},{},…]` made encoding/json allocate
// tens of bytes per input byte before the document was refused. Such a
// document is refused, wrapping ErrInvalid and
// strictjson.ErrTooManyElements, before it is decoded.
func TestReview24VEXElementBudget(t *testing.T) {
	for _, shape := range []string{"statements", "products", "aliases"} {
		t.Run(shape, func(t *testing.T) {
			doc := review24Flood(shape, 1<<20) // 3 MiB
			var before, after runtime.MemStats
			runtime.ReadMemStats(&before)
			_, err := vex.Parse(doc)
			runtime.ReadMemStats(&after)
			if !errors.Is(err, vex.ErrInvalid) || !errors.Is(err, strictjson.ErrTooManyElements) {
				t.Fatalf("err = %v, want ErrInvalid and ErrTooManyElements", err)
			}
			if n := after.TotalAlloc - before.TotalAlloc; n > 4*uint64(len(doc)) {
				t.Errorf("allocated %d bytes for a %d-byte document", n, len(doc))
			}
		})
	}
}

// BenchmarkReview24Parse measures memory on the adversarial shapes:
// go test -run '^$' -bench Review24 -benchmem.
func BenchmarkReview24Parse(b *testing.B) {
	for _, shape := range []string{"statements", "products", "aliases"} {
		doc := review24Flood(shape, 4<<20) // 12 MiB
		b.Run("flood-"+shape, func(b *testing.B) {
			b.ReportAllocs()
			b.SetBytes(int64(len(doc)))
			for b.Loop() {
				_, _ = vex.Parse(doc)
			}
		})
	}
}
