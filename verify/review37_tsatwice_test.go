package verify_test

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"errors"
	"testing"
	"time"

	"github.com/digitorus/timestamp"

	"github.com/ztci/ztci/attest"
	"github.com/ztci/ztci/attest/tsa"
	"github.com/ztci/ztci/verify"
)

// TestReview37TSATwiceOneAuthority: sigstore-go counts signed timestamps
// toward WithSignedTimestampThreshold once per TSA URI, and a timestamp
// takes the URI of the first trusted TSA whose chain and validity window
// admit it. A trust material that lists one TSA (one signing certificate)
// twice, under two URIs with consecutive windows (a move, or two roots
// naming it their own way), let one TSA's two timestamps, taken either
// side of the boundary, count as two authorities. One TSA must count
// once, whatever URIs the material gives it (ErrTimestamp); two
// timestamps from two TSAs still meet a threshold of two.
func TestReview37TSATwiceOneAuthority(t *testing.T) {
	t.Parallel()
	base := time.Now().Add(-24 * time.Hour).Truncate(time.Second)
	clock := base
	newTSA := func() *tsa.TSA {
		a, err := tsa.New(tsa.WithClock(func() time.Time { return clock }))
		if err != nil {
			t.Fatal(err)
		}
		return a
	}
	one, other := newTSA(), newTSA()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	artifact := []byte("review37 artifact")
	digest := sha256.Sum256(artifact)
	sig, err := key.Sign(rand.Reader, digest[:], crypto.SHA256)
	if err != nil {
		t.Fatal(err)
	}
	stamp := func(a *tsa.TSA, at time.Time) string {
		clock = at
		sum := sha256.Sum256(sig)
		q, err := (&timestamp.Request{HashAlgorithm: crypto.SHA256, HashedMessage: sum[:], Certificates: true}).Marshal()
		if err != nil {
			t.Fatal(err)
		}
		ts, err := a.Timestamp(t.Context(), q)
		if err != nil {
			t.Fatal(err)
		}
		return base64.StdEncoding.EncodeToString(ts)
	}
	boundary := base.Add(2 * time.Hour)
	early, late := stamp(one, base.Add(time.Hour)), stamp(one, base.Add(3*time.Hour))
	otherLate := stamp(other, base.Add(3*time.Hour))
	chain, otherChain := one.Authorities()[0].Chain, other.Authorities()[0].Chain
	trJSON, err := attest.NewTrustedRoot().
		AddTimestampAuthority("https://tsa.example/old", chain, base.Add(-time.Hour), boundary).
		AddTimestampAuthority("https://tsa.example/new", chain, boundary, time.Time{}).
		AddTimestampAuthority("https://other-tsa.example", otherChain, base.Add(-time.Hour), time.Time{}).
		MarshalJSON()
	if err != nil {
		t.Fatal(err)
	}
	trust, err := verify.ParseTrustedRoot(trJSON)
	if err != nil {
		t.Fatal(err)
	}
	v, err := verify.New(trust, verify.Expectation{Signer: verify.PublicKey{Key: key.Public()}},
		verify.WithTlogThreshold(0), verify.WithSignedTimestampThreshold(2))
	if err != nil {
		t.Fatal(err)
	}
	bundleWith := func(stamps ...string) []byte {
		var ts []any
		for _, s := range stamps {
			ts = append(ts, map[string]any{"signedTimestamp": s})
		}
		b, err := json.Marshal(map[string]any{
			"mediaType": "application/vnd.dev.sigstore.bundle.v0.3+json",
			"verificationMaterial": map[string]any{
				"publicKey":                 map[string]any{"hint": "review37"},
				"timestampVerificationData": map[string]any{"rfc3161Timestamps": ts},
			},
			"messageSignature": map[string]any{
				"messageDigest": map[string]any{"algorithm": "SHA2_256", "digest": base64.StdEncoding.EncodeToString(digest[:])},
				"signature":     base64.StdEncoding.EncodeToString(sig),
			},
		})
		if err != nil {
			t.Fatal(err)
		}
		return b
	}
	tests := []struct {
		name   string
		stamps []string
		ok     bool
	}{
		{"two TSAs", []string{early, otherLate}, true},
		{"one TSA under two URIs", []string{early, late}, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			res, err := v.Verify(t.Context(), bundleWith(tt.stamps...), verify.ArtifactBytes(artifact))
			if tt.ok {
				if err != nil {
					t.Fatalf("want success, got %v", err)
				}
				return
			}
			if !errors.Is(err, verify.ErrTimestamp) {
				t.Fatalf("want ErrTimestamp, got %v (%v)", err, res)
			}
		})
	}
}
