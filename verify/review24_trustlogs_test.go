package verify_test

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"encoding/json"
	"errors"
	"testing"

	"github.com/sigstore/sigstore-go/pkg/root"

	"github.com/ztci/ztci/verify"
)

// review24Root is the public-good trusted root with edit applied to its
// first log of kind ("tlogs" or "ctlogs").
func review24Root(t *testing.T, kind string, edit func(pk map[string]any)) root.TrustedMaterial {
	t.Helper()
	var doc map[string]any
	if err := json.Unmarshal(verify.PublicGoodJSON(), &doc); err != nil {
		t.Fatal(err)
	}
	logs := doc[kind].([]any)
	edit(logs[0].(map[string]any)["publicKey"].(map[string]any))
	b, err := json.Marshal(doc)
	if err != nil {
		t.Fatal(err)
	}
	tm, err := verify.ParseTrustedRoot(b)
	if err != nil {
		t.Fatal(err)
	}
	return tm
}

// A private root carrying a stale copy of a public-good log (no end date
// where the current root closed the window, or another key behind the
// log's id) must not override the current description by coming later
// (or earlier) among NewTrust's arguments: the combination is refused.
func TestReview24NewTrustRefusesConflictingLogs(t *testing.T) {
	t.Parallel()
	pg, err := verify.PublicGood()
	if err != nil {
		t.Fatal(err)
	}
	closed := func(pk map[string]any) {
		pk["validFor"].(map[string]any)["end"] = "2022-01-01T00:00:00Z"
	}
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	der, err := x509.MarshalPKIXPublicKey(&key.PublicKey)
	if err != nil {
		t.Fatal(err)
	}
	otherKey := func(pk map[string]any) { pk["rawBytes"] = der } // json encodes []byte as base64
	cases := map[string]root.TrustedMaterial{
		"rekor window closed": review24Root(t, "tlogs", closed),
		"rekor key replaced":  review24Root(t, "tlogs", otherKey),
		"ct window closed":    review24Root(t, "ctlogs", closed),
		"ct key replaced":     review24Root(t, "ctlogs", otherKey),
	}
	for name, other := range cases {
		for _, order := range [][]root.TrustedMaterial{{pg, other}, {other, pg}} {
			if _, err := verify.NewTrust(order...); !errors.Is(err, verify.ErrTrustMaterial) {
				t.Errorf("%s: NewTrust = %v, want ErrTrustMaterial", name, err)
			}
		}
	}
	// The same description twice (the same root given twice, or a private
	// root copying a log as it is) is fine.
	if _, err := verify.NewTrust(pg, pg, review24Root(t, "tlogs", func(map[string]any) {})); err != nil {
		t.Fatalf("NewTrust with agreeing descriptions: %v", err)
	}
}
