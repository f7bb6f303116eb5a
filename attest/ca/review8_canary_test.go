package ca_test

import (
	"crypto/ed25519"
	"testing"
	"time"

	"github.com/ztci/ztci/attest/ca"
	"github.com/ztci/ztci/internal/redact/redacttest"
)

const review8Seed = "CANARY-SEED-8f3e1c2d-0123456789a"

func TestReview8CASignerKey(t *testing.T) {
	key := ed25519.NewKeyFromSeed([]byte(review8Seed))
	root, err := ca.NewRootCertificate(key, "canary root", time.Now().Add(-time.Minute), time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	c, err := ca.New(ca.WithSigner(key, root))
	if err != nil {
		t.Fatal(err)
	}
	redacttest.CheckKey(t, c, key)
}
