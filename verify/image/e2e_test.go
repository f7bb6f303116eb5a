package image_test

import (
	"encoding/base64"
	"encoding/json"
	"errors"
	"testing"

	"github.com/google/go-containerregistry/pkg/name"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/sigstore/sigstore-go/pkg/bundle"
	"github.com/sigstore/sigstore-go/pkg/testing/ca"

	"github.com/ztci/ztci/attest"
	"github.com/ztci/ztci/attest/attach"
	"github.com/ztci/ztci/internal/oci/ocitest"
	"github.com/ztci/ztci/verify"
	"github.com/ztci/ztci/verify/image"
)

const (
	testIssuer    = "https://ci.example/oidc"
	testPredicate = "https://ztci.dev/test/v1"
)

// sigstoreBundle signs an in-toto statement about digest with a
// certificate for san from sigstore-go's in-memory Sigstore (Fulcio-style
// CA and RFC 3161 TSA) and returns a Sigstore bundle v0.3 JSON.
func sigstoreBundle(t testing.TB, vs *ca.VirtualSigstore, san string, digest name.Digest) []byte {
	t.Helper()
	b, err := signBundle(vs, san, digest)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func signBundle(vs *ca.VirtualSigstore, san string, digest name.Digest) ([]byte, error) {
	h, err := v1.NewHash(digest.DigestStr())
	if err != nil {
		return nil, err
	}
	st, _ := json.Marshal(map[string]any{
		"_type":         "https://in-toto.io/Statement/v1",
		"subject":       []any{map[string]any{"name": digest.Context().Name(), "digest": map[string]string{"sha256": h.Hex}}},
		"predicateType": testPredicate,
		"predicate":     map[string]any{"ok": true},
	})
	e, err := vs.Attest(san, testIssuer, st)
	if err != nil {
		return nil, err
	}
	vc, _ := e.VerificationContent()
	cert := vc.(*bundle.Certificate).Certificate()
	sc, _ := e.SignatureContent()
	env := sc.(*bundle.Envelope).Envelope
	tss, _ := e.Timestamps()
	var ts []map[string]string
	for _, b := range tss {
		ts = append(ts, map[string]string{"signedTimestamp": base64.StdEncoding.EncodeToString(b)})
	}
	return json.Marshal(map[string]any{
		"mediaType": attest.BundleMediaType,
		"verificationMaterial": map[string]any{
			"certificate":               map[string]string{"rawBytes": base64.StdEncoding.EncodeToString(cert.Raw)},
			"tlogEntries":               []any{},
			"timestampVerificationData": map[string]any{"rfc3161Timestamps": ts},
		},
		"dsseEnvelope": map[string]any{
			"payload":     env.Payload,
			"payloadType": env.PayloadType,
			"signatures":  []any{map[string]string{"sig": env.Signatures[0].Sig}},
		},
	})
}

// sigstoreVerifier expects a certificate for san from vs, with the TSA
// proving the signing time (the in-memory Sigstore has no CT log, and the
// bundles carry no Rekor entry).
func sigstoreVerifier(t testing.TB, vs *ca.VirtualSigstore, sans ...string) image.BundleVerifier {
	t.Helper()
	var vvs []*verify.Verifier
	for _, san := range sans {
		v, err := verify.New(vs, verify.Expectation{
			Signer:        verify.Identity{SAN: san, Issuer: testIssuer},
			PredicateType: testPredicate,
		}, verify.WithTlogThreshold(0), verify.WithSCTThreshold(0))
		if err != nil {
			t.Fatal(err)
		}
		vvs = append(vvs, v)
	}
	bv, err := image.VerifyBundles(vvs...)
	if err != nil {
		t.Fatal(err)
	}
	return bv
}

// TestEndToEndWithVerify: an image pushed to each real registry, attested
// with Sigstore bundles, verified with package verify through both
// discovery paths, with k-of-n over distinct identities.
func TestEndToEndWithVerify(t *testing.T) {
	t.Parallel()
	vs, err := ca.NewVirtualSigstore()
	if err != nil {
		t.Fatal(err)
	}
	const builder, reviewer, stranger = "builder@ci.example", "reviewer@ci.example", "stranger@ci.example"
	for _, kind := range ocitest.AllKinds {
		t.Run(string(kind), func(t *testing.T) {
			t.Parallel()
			reg := ocitest.Start(t, kind, nil)
			tag := reg.Ref(t, "app:v1")
			img := ocitest.PushImage(t, tag, 1)
			for _, san := range []string{builder, reviewer, stranger} {
				if _, err := attach.Bundle(t.Context(), tag, sigstoreBundle(t, vs, san, img), attachOpts(nil)...); err != nil {
					t.Fatal(err)
				}
			}
			tests := []struct {
				name    string
				trusted []string
				k       int
				want    bool
			}{
				{name: "builder", trusted: []string{builder}, k: 1, want: true},
				{name: "2 of builder, reviewer", trusted: []string{builder, reviewer}, k: 2, want: true},
				{name: "3 of builder, reviewer, nobody", trusted: []string{builder, reviewer, "nobody@ci.example"}, k: 3, want: false},
				{name: "nobody", trusted: []string{"nobody@ci.example"}, k: 1, want: false},
			}
			for _, tt := range tests {
				v, err := image.NewVerifier(sigstoreVerifier(t, vs, tt.trusted...), opts(nil, image.WithThreshold(tt.k))...)
				if err != nil {
					t.Fatal(err)
				}
				res, err := v.VerifyImage(t.Context(), tag)
				if err != nil {
					t.Fatalf("%s: %v", tt.name, err)
				}
				if res.Verified != tt.want {
					t.Errorf("%s: verified = %v, want %v (%v)", tt.name, res.Verified, tt.want, res.Err())
				}
				if got := res.Targets[0].Path; got != kind.WantPath() {
					t.Errorf("%s: path %s, want %s", tt.name, got, kind.WantPath())
				}
				for _, a := range res.Targets[0].Attestations {
					if a.Err != nil && !errors.Is(a.Err, verify.ErrVerification) {
						t.Errorf("%s: rejection %v does not wrap verify.ErrVerification", tt.name, a.Err)
					}
				}
			}
			// A valid bundle about another image, attached to this one, is refused by verify.
			other := ocitest.PushImage(t, reg.Ref(t, "app:other"), 2)
			if _, err := attach.Bundle(t.Context(), img, sigstoreBundle(t, vs, builder, other), attachOpts(nil)...); err != nil {
				t.Fatal(err)
			}
			v, _ := image.NewVerifier(sigstoreVerifier(t, vs, builder), opts(nil)...)
			res, err := v.VerifyImage(t.Context(), img)
			if err != nil || !res.Verified {
				t.Fatalf("VerifyImage: %v %v", err, res)
			}
			var mismatches int
			for _, a := range res.Targets[0].Attestations {
				if errors.Is(a.Err, verify.ErrArtifactMismatch) {
					mismatches++
				}
			}
			if mismatches != 1 {
				t.Errorf("%d artifact mismatches, want 1", mismatches)
			}
		})
	}
}
