package verify_test

import (
	"bytes"
	"crypto/ecdsa"
	"crypto/sha256"
	"crypto/sha512"
	"encoding/hex"
	"encoding/json"
	"errors"
	"testing"
	"time"

	protocommon "github.com/sigstore/protobuf-specs/gen/pb-go/common/v1"
	"github.com/sigstore/sigstore-go/pkg/sign"

	"github.com/ztci/ztci/verify"
)

// TestECDSACurveHash: an ECDSA key verifies with the hash its curve
// implies and no other (P-256 SHA-256, P-384 SHA-384, P-521 SHA-512), what
// cosign v2.6 and later sign with (cosign pkg/cosign/keys.go LoadPrivateKey
// → sigstore signature.LoadDefaultSignerVerifier) and what sigstore-go's
// sign.Bundle writes: message signatures (for the bytes, a stream or the
// digest the bundle names) and DSSE envelopes alike. A signature made with
// the key over another hash (a P-384 or P-521 key over SHA-256, as cosign
// up to v2.5 signed) is refused, and so is a signature by a key of another
// curve.
func TestECDSACurveHash(t *testing.T) {
	t.Parallel()
	e := newEmbedded(t, time.Now)
	digest := func(alg string) verify.Artifact {
		t.Helper()
		var s []byte
		switch alg {
		case "sha256":
			d := sha256.Sum256(rtArtifact)
			s = d[:]
		case "sha384":
			d := sha512.Sum384(rtArtifact)
			s = d[:]
		case "sha512":
			d := sha512.Sum512(rtArtifact)
			s = d[:]
		}
		a, err := verify.ArtifactDigest(alg, hex.EncodeToString(s))
		if err != nil {
			t.Fatal(err)
		}
		return a
	}
	check := func(t *testing.T, name string, key verify.PublicKey, predicateType string, b []byte, a verify.Artifact, want error) {
		t.Helper()
		v, err := verify.New(e.trust, verify.Expectation{Signer: key, PredicateType: predicateType}, privateOpts...)
		if err != nil {
			t.Fatal(err)
		}
		res, err := v.Verify(t.Context(), b, a)
		switch {
		case want == nil && err != nil:
			t.Errorf("%s: %v", name, err)
		case want == nil && (res.Signer.Kind != verify.SignerKey || len(res.Times) != 1 || res.Times[0].By != verify.TimeByTSA):
			t.Errorf("%s: result %+v", name, res)
		case want != nil && !errors.Is(err, want):
			t.Errorf("%s: want %v, got %v", name, want, err)
		}
	}
	curves := []struct {
		name string
		alg  protocommon.PublicKeyDetails
		hash string
		// sha256 is the same curve signing SHA-256 (deprecated in the
		// algorithm registry, what cosign up to v2.5 did); none for P-256.
		sha256 protocommon.PublicKeyDetails
	}{
		{"p256", protocommon.PublicKeyDetails_PKIX_ECDSA_P256_SHA_256, "sha256", 0},
		//lint:ignore SA1019 the deprecated scheme is what must be refused
		{"p384", protocommon.PublicKeyDetails_PKIX_ECDSA_P384_SHA_384, "sha384", protocommon.PublicKeyDetails_PKIX_ECDSA_P384_SHA_256},
		//lint:ignore SA1019 the deprecated scheme is what must be refused
		{"p521", protocommon.PublicKeyDetails_PKIX_ECDSA_P521_SHA_512, "sha512", protocommon.PublicKeyDetails_PKIX_ECDSA_P521_SHA_256},
	}
	keys := make([]*sign.EphemeralKeypair, len(curves))
	for i, c := range curves {
		kp, err := sign.NewEphemeralKeypair(&sign.EphemeralKeypairOptions{Algorithm: c.alg})
		if err != nil {
			t.Fatal(err)
		}
		keys[i] = kp
	}
	for i, c := range curves {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			kp := keys[i]
			pin := verify.PublicKey{Key: kp.GetPublicKey()}
			msg := signWithKey(t, e, kp, &sign.PlainData{Data: rtArtifact})
			env := signWithKey(t, e, kp, &sign.DSSEData{Data: phStatement(rtArtifact), PayloadType: "application/vnd.in-toto+json"})
			check(t, "message, bytes", pin, "", msg, verify.ArtifactBytes(rtArtifact), nil)
			check(t, "message, stream", pin, "", msg, verify.ArtifactReader(bytes.NewReader(rtArtifact)), nil)
			check(t, "message, "+c.hash+" digest", pin, "", msg, digest(c.hash), nil)
			check(t, "message, other artifact", pin, "", msg, verify.ArtifactBytes([]byte("other")), verify.ErrArtifactMismatch)
			check(t, "envelope", pin, phPredicate, env, verify.ArtifactBytes(rtArtifact), nil)
			check(t, "envelope, payload edited", pin, phPredicate, editPayload(t, env), verify.ArtifactBytes(rtArtifact), verify.ErrSignature)
			for j, other := range keys {
				if j == i {
					continue
				}
				op := verify.PublicKey{Key: other.GetPublicKey()}
				check(t, "message, "+curves[j].name+" key", op, "", msg, verify.ArtifactBytes(rtArtifact), verify.ErrSignature)
				check(t, "envelope, "+curves[j].name+" key", op, phPredicate, env, verify.ArtifactBytes(rtArtifact), verify.ErrSignature)
			}
			if c.sha256 == 0 {
				return
			}
			// The same key signing SHA-256 (the bundle says so): refused,
			// for the bytes, a stream, the SHA-256 the signature covers,
			// and as an envelope.
			kp256, err := sign.NewEphemeralKeypair(&sign.EphemeralKeypairOptions{Algorithm: c.sha256})
			if err != nil {
				t.Fatal(err)
			}
			pin256 := verify.PublicKey{Key: kp256.GetPublicKey()}
			msg256 := signWithKey(t, e, kp256, &sign.PlainData{Data: rtArtifact})
			env256 := signWithKey(t, e, kp256, &sign.DSSEData{Data: phStatement(rtArtifact), PayloadType: "application/vnd.in-toto+json"})
			// The test is what it claims: an ECDSA signature over the
			// artifact's SHA-256.
			var doc struct {
				MessageSignature struct {
					Signature []byte `json:"signature"`
				} `json:"messageSignature"`
			}
			if err := json.Unmarshal(msg256, &doc); err != nil {
				t.Fatal(err)
			}
			if sum := sha256.Sum256(rtArtifact); !ecdsa.VerifyASN1(kp256.GetPublicKey().(*ecdsa.PublicKey), sum[:], doc.MessageSignature.Signature) {
				t.Fatal("the SHA-256 bundle is not an ECDSA signature over the artifact's SHA-256")
			}
			check(t, "SHA-256 message, bytes", pin256, "", msg256, verify.ArtifactBytes(rtArtifact), verify.ErrSignature)
			check(t, "SHA-256 message, stream", pin256, "", msg256, verify.ArtifactReader(bytes.NewReader(rtArtifact)), verify.ErrSignature)
			check(t, "SHA-256 message, sha256 digest", pin256, "", msg256, digest("sha256"), verify.ErrSignature)
			check(t, "SHA-256 envelope", pin256, phPredicate, env256, verify.ArtifactBytes(rtArtifact), verify.ErrSignature)
		})
	}
}
