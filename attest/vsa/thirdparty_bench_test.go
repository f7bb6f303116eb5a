package vsa_test

import (
	"testing"

	"github.com/ztci/ztci/attest"
	"github.com/ztci/ztci/attest/vsa"
)

// BenchmarkThirdParty measures VerifyThirdParty on the real BCID vector
// (strict envelope, ECDSA P-256 signature, strict statement and predicate,
// every check) beside its parse-only peer: reading the same signed
// statement with attest.ParseStatement and FromStatement, which is what is
// left without the envelope and the signature.
func BenchmarkThirdParty(b *testing.B) {
	env := readFixture(b, "slsa-verifier-gce-vsa.intoto.jsonl")
	want := gceExpect(b)
	payload := gceStatement(b)
	b.Run("verify", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			if _, err := vsa.VerifyThirdParty(b.Context(), env, want); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("parse-only", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			st, err := attest.ParseStatement(payload)
			if err != nil {
				b.Fatal(err)
			}
			if _, err := vsa.FromStatement(st); err != nil {
				b.Fatal(err)
			}
		}
	})
}
