package rekorv1_test

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"

	"github.com/ztci/ztci/verify"
	"github.com/ztci/ztci/verify/blob"
	"github.com/ztci/ztci/verify/rekorv1"
)

// Look up the Rekor v1 entry of a detached ".sig" + ".cert" (cosign
// sign-blob output) and verify it offline. The log here replays, byte for
// byte, what a real Rekor v1 answered when the vector was made
// (verify/blob/testdata/README.md).
func ExampleClient_FindEntry() {
	dir := filepath.Join("..", "blob", "testdata", "cosign-v3.1.3-keyless-rekor-v1")
	read := func(name string) []byte {
		b, err := os.ReadFile(filepath.Join(dir, name))
		if err != nil {
			panic(err)
		}
		return b
	}
	log := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch {
		case r.URL.Path == "/api/v1/index/retrieve":
			w.Write(read("rekor-index-retrieve.json"))
		case strings.HasPrefix(r.URL.Path, "/api/v1/log/entries/"):
			w.Write(read("rekor-entry.json"))
		default:
			http.NotFound(w, r)
		}
	}))
	defer log.Close()

	// The detached files: no Rekor entry travels with them.
	sig, err := blob.ParseSignature(read("artifact.sig"))
	if err != nil {
		panic(err)
	}
	cert, err := blob.ParseCertificate(read("artifact.cert"))
	if err != nil {
		panic(err)
	}
	d := &blob.Detached{Signature: sig, Certificate: cert}
	artifact := blob.Bytes(read("artifact"))

	// Online, opt-in: find the entry.
	c, err := rekorv1.New(log.URL)
	if err != nil {
		panic(err)
	}
	e, err := c.FindEntry(context.Background(), d, artifact)
	if err != nil {
		fmt.Println("deny:", err)
		return
	}
	fmt.Println("log index:", e.LogIndex, "inclusion proof:", e.Proof != nil)

	// Offline: verify it, SET and inclusion proof included.
	var id struct{ SAN, Issuer string }
	if err := json.Unmarshal(read("identity.json"), &id); err != nil {
		panic(err)
	}
	trust, err := verify.ParseTrustedRoot(read("trusted_root.json"))
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
	d.Entry = e
	res, err := v.Verify(context.Background(), d, artifact)
	if err != nil {
		fmt.Println("deny:", err)
		return
	}
	fmt.Println("signer:", res.Signer.SAN)
	// Output:
	// log index: 0 inclusion proof: true
	// signer: release@ci.example
}
