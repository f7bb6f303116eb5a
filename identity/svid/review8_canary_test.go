package svid_test

import (
	"crypto/ed25519"
	"testing"

	"github.com/spiffe/go-spiffe/v2/spiffeid"
	"github.com/ztci/ztci/identity/svid"
	"github.com/ztci/ztci/internal/redact/redacttest"
)

const review8Seed = "CANARY-SEED-8f3e1c2d-0123456789a"

func TestReview8IssuerCAKey(t *testing.T) {
	key := ed25519.NewKeyFromSeed([]byte(review8Seed))
	iss, err := svid.NewIssuer(spiffeid.RequireTrustDomainFromString("example.org"), svid.WithCASigner(key))
	if err != nil {
		t.Fatal(err)
	}
	redacttest.CheckKey(t, iss, key)
}
