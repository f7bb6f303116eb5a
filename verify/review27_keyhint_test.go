package verify_test

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"errors"
	"testing"
	"time"

	"github.com/sigstore/sigstore-go/pkg/root"
	"github.com/sigstore/sigstore/pkg/signature"

	"github.com/ztci/ztci/verify"
)

// TestReview27KeyHintAcrossRoots: two materials holding a key under one
// key id were answered by whichever came first in NewTrust's arguments.
// The Trust now refuses the ambiguous id; an id only one holds resolves.
func TestReview27KeyHintAcrossRoots(t *testing.T) {
	t.Parallel()
	keyed := func(hint string) root.TrustedMaterial {
		k, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
		if err != nil {
			t.Fatal(err)
		}
		sv, err := signature.LoadVerifier(k.Public(), crypto.SHA256)
		if err != nil {
			t.Fatal(err)
		}
		return root.NewTrustedPublicKeyMaterialFromMapping(map[string]*root.ExpiringKey{hint: root.NewExpiringKey(sv, time.Time{}, time.Time{})})
	}
	trust, err := verify.NewTrust(keyed("shared"), keyed("shared"), keyed("own"))
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name, hint string
		ok         bool
	}{
		{"id held by two roots", "shared", false},
		{"id held by one root", "own", true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			_, err := trust.PublicKeyVerifier(tc.hint)
			if tc.ok && err != nil {
				t.Errorf("want the key, got %v", err)
			}
			if !tc.ok && !errors.Is(err, verify.ErrTrustMaterial) {
				t.Errorf("want ErrTrustMaterial, got %v", err)
			}
		})
	}
}
