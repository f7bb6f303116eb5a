package blob_test

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"

	"github.com/ztci/ztci/verify"
	"github.com/ztci/ztci/verify/blob"
)

// Verify a blob signed by cosign sign-blob (keyless, logged in Rekor v1),
// offline, from the ".sig", ".cert" and "--bundle" files cosign wrote.
func ExampleVerifier_Verify() {
	dir := filepath.Join("testdata", "cosign-v3.1.3-keyless-rekor-v1")
	read := func(name string) []byte {
		b, err := os.ReadFile(filepath.Join(dir, name))
		if err != nil {
			panic(err)
		}
		return b
	}
	var id struct{ SAN, Issuer string }
	if err := json.Unmarshal(read("identity.json"), &id); err != nil {
		panic(err)
	}

	trust, err := verify.ParseTrustedRoot(read("trusted_root.json")) // that Fulcio and that Rekor
	if err != nil {
		panic(err)
	}
	vv, err := verify.New(trust, verify.Expectation{Signer: verify.Identity{SAN: id.SAN, Issuer: id.Issuer}},
		verify.WithSCTThreshold(0)) // this test Fulcio logs to no CT log; keep the default (one SCT) for a production Fulcio
	if err != nil {
		panic(err)
	}
	v, err := blob.NewVerifier(vv)
	if err != nil {
		panic(err)
	}

	// The signature and certificate files, and the Rekor entry from the
	// bundle file (verify/rekorv1 looks it up when there is no bundle).
	sig, err := blob.ParseSignature(read("artifact.sig"))
	if err != nil {
		panic(err)
	}
	cert, err := blob.ParseCertificate(read("artifact.cert"))
	if err != nil {
		panic(err)
	}
	bundle, err := blob.ParseCosignBundle(read("artifact.bundle.json"))
	if err != nil {
		panic(err)
	}
	d := &blob.Detached{Signature: sig, Certificate: cert, Entry: bundle.Entry}

	res, err := v.Verify(context.Background(), d, blob.Bytes(read("artifact")))
	if err != nil {
		fmt.Println("deny:", err)
		return
	}
	fmt.Println("signer:", res.Signer.SAN)
	fmt.Println("signed at:", res.Times[0].Time.Format("2006-01-02 15:04:05"), "by", res.Times[0].By)

	// Another artifact is refused: the log entry names its hash.
	_, err = v.Verify(context.Background(), d, blob.Bytes([]byte("another artifact")))
	fmt.Println(err != nil)
	// Output:
	// signer: release@ci.example
	// signed at: 2026-12-05 08:48:04 by tlog
	// true
}
