package tsa_test

import (
	"context"
	"crypto"
	"crypto/sha256"
	"crypto/x509"
	"fmt"
	"time"

	"github.com/digitorus/timestamp"

	"github.com/ztci/ztci/attest/tsa"
)

// The embedded timestamp authority answers RFC 3161 queries; its Handler
// serves the same over the Sigstore TSA HTTP API. A timestamp proves a
// signature existed while its short-lived certificate was valid.
func ExampleTSA_Timestamp() {
	// The TSA's clock is injectable; an hour ago shows that the token
	// carries that time, not the moment of the call.
	at := time.Now().Add(-time.Hour).UTC().Truncate(time.Second)
	authority, err := tsa.New(tsa.WithClock(func() time.Time { return at }))
	if err != nil {
		panic(err)
	}
	signature := []byte("a signature over an artifact")
	sum := sha256.Sum256(signature)
	query, err := (&timestamp.Request{HashAlgorithm: crypto.SHA256, HashedMessage: sum[:], Certificates: true}).Marshal()
	if err != nil {
		panic(err)
	}
	resp, err := authority.Timestamp(context.Background(), query)
	if err != nil {
		panic(err)
	}
	ts, err := timestamp.ParseResponse(resp)
	if err != nil {
		panic(err)
	}
	fmt.Println("proven at the TSA's time:", ts.Time.Equal(at))
	fmt.Println("over our signature:", string(ts.HashedMessage) == string(sum[:]))

	chain := authority.CertChain()
	roots, inter := x509.NewCertPool(), x509.NewCertPool()
	roots.AddCert(chain[len(chain)-1])
	for _, c := range chain[1 : len(chain)-1] {
		inter.AddCert(c)
	}
	_, err = ts.Certificates[0].Verify(x509.VerifyOptions{Roots: roots, Intermediates: inter,
		CurrentTime: at, KeyUsages: []x509.ExtKeyUsage{x509.ExtKeyUsageTimeStamping}})
	fmt.Println("signed by the TSA's chain:", err == nil)
	// Output:
	// proven at the TSA's time: true
	// over our signature: true
	// signed by the TSA's chain: true
}
