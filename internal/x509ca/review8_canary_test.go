package x509ca_test

import (
	"crypto/ed25519"
	"testing"

	"github.com/ztci/ztci/internal/redact/redacttest"
	"github.com/ztci/ztci/internal/x509ca"
)

const review8Seed = "CANARY-SEED-8f3e1c2d-0123456789a"

func TestReview8StateKey(t *testing.T) {
	key := ed25519.NewKeyFromSeed([]byte(review8Seed))
	redacttest.CheckKey(t, x509ca.State{Key: key}, key)
	redacttest.CheckKey(t, &x509ca.State{Key: key}, key)
}
