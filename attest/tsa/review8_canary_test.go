package tsa_test

import (
	"crypto/ed25519"
	"testing"
	"time"

	"github.com/ztci/ztci/attest/tsa"
	"github.com/ztci/ztci/internal/redact/redacttest"
)

const review8Seed = "CANARY-SEED-8f3e1c2d-0123456789a"

func TestReview8TSASignerKey(t *testing.T) {
	key := ed25519.NewKeyFromSeed([]byte(review8Seed))
	chain, err := tsa.NewCertificateChain(key, key, "canary", time.Now().Add(-time.Minute), time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	a, err := tsa.New(tsa.WithSigner(key, chain))
	if err != nil {
		t.Fatal(err)
	}
	redacttest.CheckKey(t, a, key)
}
