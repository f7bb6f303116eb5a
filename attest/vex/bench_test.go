package vex_test

import (
	"encoding/json"
	"testing"

	"github.com/ztci/ztci/attest"
	"github.com/ztci/ztci/attest/vex"
)

// BenchmarkParse measures the strict parser on go-vex's five-statement
// document beside its floor in the same run: encoding/json decoding the
// same bytes into an untyped value, without any check.
func BenchmarkParse(b *testing.B) {
	in := readFixture(b, "go-vex-v0.2.0.json")
	b.Run("vex.Parse", func(b *testing.B) {
		b.ReportAllocs()
		b.SetBytes(int64(len(in)))
		for b.Loop() {
			if _, err := vex.Parse(in); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("json.Unmarshal_any", func(b *testing.B) {
		b.ReportAllocs()
		b.SetBytes(int64(len(in)))
		for b.Loop() {
			var v any
			if err := json.Unmarshal(in, &v); err != nil {
				b.Fatal(err)
			}
		}
	})
}

func BenchmarkFor(b *testing.B) {
	d, err := vex.Parse(readFixture(b, "go-vex-v0.2.0.json"))
	if err != nil {
		b.Fatal(err)
	}
	a := vex.Artifact{Digest: attest.Digest{Algorithm: "sha256", Value: alpine}}
	b.ReportAllocs()
	for b.Loop() {
		if len(d.For(a)) != 5 {
			b.Fatal("want 5 statements")
		}
	}
}
