package blob_test

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/sha256"
	"crypto/x509"
	"encoding/json"
	"errors"
	"testing"
	"time"

	"github.com/ztci/ztci/attest"
	"github.com/ztci/ztci/attest/ca"
	"github.com/ztci/ztci/verify"
	"github.com/ztci/ztci/verify/blob"
)

// A certificate that expired before the log integrated the signature, or
// a signature with no proof of time at all, does not verify: the
// certificate's validity is checked at a time a trusted log or TSA proves,
// never at "now" nor at a time the files claim. (Pins the class; no
// regression was found.)
func TestReview37ExpiredCertificateNeedsProvenTime(t *testing.T) {
	t.Parallel()
	issued := time.Now().Add(-2 * time.Hour)
	c, err := ca.New(ca.WithSubjectDomain("https://ci.example", "https://ci.example"),
		ca.WithClock(func() time.Time { return issued }), ca.WithCertValidity(10*time.Minute))
	if err != nil {
		t.Fatal(err)
	}
	logKey, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	der, err := x509.MarshalPKIXPublicKey(&logKey.PublicKey)
	if err != nil {
		t.Fatal(err)
	}
	id := sha256.Sum256(der)
	tr, err := json.Marshal(attest.NewTrustedRoot().
		AddEmbeddedCA("https://ca.ci.example", c).
		AddTransparencyLog("https://rekor.ci.example", 1, &logKey.PublicKey, time.Now().Add(-24*time.Hour)))
	if err != nil {
		t.Fatal(err)
	}
	w := &world{ca: c, rekor: logKey, logID: id[:], trustedRoot: tr}
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	chain, err := c.Issue(context.Background(), &key.PublicKey, release)
	if err != nil {
		t.Fatal(err)
	}
	// Logged now, well after the certificate's 10 minutes.
	f := w.signBlob(t, signer{key: key, cert: chain[0].Raw}, artifact, nil)
	trust, err := verify.ParseTrustedRoot(tr)
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name   string
		opts   []verify.Option
		bundle bool
		want   error
	}{
		{name: "logged after expiry", bundle: true, want: verify.ErrTlog},
		{name: "no entry, no timestamp, log not required", opts: []verify.Option{verify.WithTlogThreshold(0)}, want: verify.ErrTimestamp},
		{name: "no entry", want: verify.ErrTlog},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			vv, err := verify.New(trust, expectIdentity(release), append([]verify.Option{verify.WithSCTThreshold(0)}, tc.opts...)...)
			if err != nil {
				t.Fatal(err)
			}
			v, err := blob.NewVerifier(vv)
			if err != nil {
				t.Fatal(err)
			}
			res, err := v.Verify(t.Context(), detached(t, f, tc.bundle), blob.Bytes(artifact))
			if res != nil || !errors.Is(err, tc.want) {
				t.Fatalf("Verify = %v, %v; want %v", res, err, tc.want)
			}
		})
	}
}
