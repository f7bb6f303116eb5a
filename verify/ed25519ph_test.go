package verify_test

import (
	"bytes"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/sha512"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	protocommon "github.com/sigstore/protobuf-specs/gen/pb-go/common/v1"
	"github.com/sigstore/sigstore-go/pkg/sign"
	"google.golang.org/protobuf/encoding/protojson"

	"github.com/ztci/ztci/verify"
)

const phPredicate = "https://example.com/predicate/v1"

// handlerTransport answers every request with h, in process.
type handlerTransport struct{ h http.Handler }

func (t handlerTransport) RoundTrip(r *http.Request) (*http.Response, error) {
	w := httptest.NewRecorder()
	t.h.ServeHTTP(w, r)
	return w.Result(), nil
}

// signWithKey signs content as `cosign sign-blob --new-bundle-format --key`
// and `cosign sign --key` (new bundle format) do, through sigstore-go's
// sign.Bundle with a key of algorithm alg (PKIX_ED25519 for pure Ed25519,
// PKIX_ED25519_PH for Ed25519ph, what cosign v2.6 and later use for an
// Ed25519 key), timestamped by e's TSA.
func signWithKey(t *testing.T, e *embedded, kp *sign.EphemeralKeypair, content sign.Content) []byte {
	t.Helper()
	ta := sign.NewTimestampAuthority(&sign.TimestampAuthorityOptions{URL: "https://tsa.example/api/v1/timestamp", Transport: handlerTransport{e.tsa.Handler()}})
	b, err := sign.Bundle(content, kp, sign.BundleOptions{TimestampAuthorities: []*sign.TimestampAuthority{ta}, Context: t.Context()})
	if err != nil {
		t.Fatal(err)
	}
	out, err := protojson.Marshal(b)
	if err != nil {
		t.Fatal(err)
	}
	return out
}

func ed25519Keypair(t *testing.T, alg protocommon.PublicKeyDetails) *sign.EphemeralKeypair {
	t.Helper()
	kp, err := sign.NewEphemeralKeypair(&sign.EphemeralKeypairOptions{Algorithm: alg})
	if err != nil {
		t.Fatal(err)
	}
	return kp
}

func phStatement(artifact []byte) []byte {
	sum := sha256.Sum256(artifact)
	return fmt.Appendf(nil, `{"_type":"https://in-toto.io/Statement/v1","subject":[{"name":"app","digest":{"sha256":%q}}],"predicateType":%q,"predicate":{"k":"v"}}`,
		hex.EncodeToString(sum[:]), phPredicate)
}

// TestEd25519phPinned: an Ed25519 key verifies exactly the scheme it is
// pinned to, for message signatures (cosign sign-blob) and DSSE envelopes
// (cosign sign, cosign attest) alike: Ed25519ph only with
// PublicKey.Ed25519ph, pure Ed25519 only without, each refusing the other
// with ErrSignature. An Ed25519ph message signature verifies for the
// artifact's bytes, a stream, or its SHA-512 (what it signs), never for
// another artifact or for a SHA-256 digest the signature does not cover;
// an edited envelope payload is refused.
func TestEd25519phPinned(t *testing.T) {
	t.Parallel()
	e := newEmbedded(t, time.Now)
	for _, tc := range []struct {
		name string
		alg  protocommon.PublicKeyDetails
		ph   bool
	}{
		{"pure", protocommon.PublicKeyDetails_PKIX_ED25519, false},
		{"ph", protocommon.PublicKeyDetails_PKIX_ED25519_PH, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			kp := ed25519Keypair(t, tc.alg)
			msg := signWithKey(t, e, kp, &sign.PlainData{Data: rtArtifact})
			if !tc.ph {
				msg = withSHA256Digest(t, msg, rtArtifact)
			}
			env := signWithKey(t, e, kp, &sign.DSSEData{Data: phStatement(rtArtifact), PayloadType: "application/vnd.in-toto+json"})
			right := verify.PublicKey{Key: kp.GetPublicKey(), Ed25519ph: tc.ph}
			wrong := verify.PublicKey{Key: kp.GetPublicKey(), Ed25519ph: !tc.ph}
			sum512 := sha512.Sum512(rtArtifact)
			d512, err := verify.ArtifactDigest("sha512", hex.EncodeToString(sum512[:]))
			if err != nil {
				t.Fatal(err)
			}
			check := func(name string, key verify.PublicKey, predicateType string, b []byte, a verify.Artifact, want error) {
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
			check("message, bytes", right, "", msg, verify.ArtifactBytes(rtArtifact), nil)
			check("message, other artifact", right, "", msg, verify.ArtifactBytes([]byte("other")), verify.ErrArtifactMismatch)
			check("message, other scheme", wrong, "", msg, verify.ArtifactBytes(rtArtifact), verify.ErrSignature)
			check("envelope", right, phPredicate, env, verify.ArtifactBytes(rtArtifact), nil)
			check("envelope, other scheme", wrong, phPredicate, env, verify.ArtifactBytes(rtArtifact), verify.ErrSignature)
			if !tc.ph {
				// Pure Ed25519 signs the bytes, which a stream does not keep.
				check("message, stream", right, "", msg, verify.ArtifactReader(bytes.NewReader(rtArtifact)), verify.ErrSignature)
			} else {
				check("message, stream", right, "", msg, verify.ArtifactReader(bytes.NewReader(rtArtifact)), nil)
				check("message, sha512 digest", right, "", msg, d512, nil)
				sum256 := sha256.Sum256(rtArtifact)
				d256, _ := verify.ArtifactDigest("sha256", hex.EncodeToString(sum256[:]))
				check("message, sha256 digest", right, "", msg, d256, verify.ErrArtifactMismatch)
			}

			// The envelope's payload edited after signing (same subject):
			// the signature refuses it.
			check("envelope, payload edited", right, phPredicate, editPayload(t, env), verify.ArtifactBytes(rtArtifact), verify.ErrSignature)
		})
	}
}

// withSHA256Digest sets the message digest of a message-signature bundle
// to the artifact's SHA-256, keeping the signature: sigstore-go v1.3.0's
// sign.Bundle writes the data itself there for a pure Ed25519 key, which
// has no prehash; a pure Ed25519 signature signs the data, not the digest,
// so it still verifies.
func withSHA256Digest(t *testing.T, b, artifact []byte) []byte {
	t.Helper()
	var doc map[string]any
	if err := json.Unmarshal(b, &doc); err != nil {
		t.Fatal(err)
	}
	sum := sha256.Sum256(artifact)
	doc["messageSignature"].(map[string]any)["messageDigest"] = map[string]any{"algorithm": "SHA2_256", "digest": base64.StdEncoding.EncodeToString(sum[:])}
	out, err := json.Marshal(doc)
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// editPayload changes the predicate of the statement in a DSSE bundle,
// keeping its signature.
func editPayload(t *testing.T, b []byte) []byte {
	t.Helper()
	var doc map[string]any
	if err := json.Unmarshal(b, &doc); err != nil {
		t.Fatal(err)
	}
	env := doc["dsseEnvelope"].(map[string]any)
	p, err := base64.StdEncoding.DecodeString(env["payload"].(string))
	if err != nil {
		t.Fatal(err)
	}
	edited := bytes.Replace(p, []byte(`{"k":"v"}`), []byte(`{"k":"w"}`), 1)
	if bytes.Equal(edited, p) {
		t.Fatal("nothing edited")
	}
	env["payload"] = base64.StdEncoding.EncodeToString(edited)
	out, err := json.Marshal(doc)
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// TestEd25519phNeedsEd25519Key: Ed25519ph on an ECDSA or RSA key is a
// *KeyAlgorithmError from New (an invalid expectation), never ignored.
func TestEd25519phNeedsEd25519Key(t *testing.T) {
	t.Parallel()
	e := newEmbedded(t, time.Now)
	ec, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	rk, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	for _, k := range []any{ec.Public(), rk.Public()} {
		v, err := verify.New(e.trust, verify.Expectation{Signer: verify.PublicKey{Key: k, Ed25519ph: true}}, privateOpts...)
		var ke *verify.KeyAlgorithmError
		if v != nil || !errors.As(err, &ke) || ke.Algorithm != "Ed25519ph" || !strings.Contains(ke.Key, "PublicKey") ||
			!errors.Is(err, verify.ErrInvalidExpectation) || !errors.Is(err, verify.ErrVerification) {
			t.Errorf("%T: verifier=%v err=%v, want a *KeyAlgorithmError", k, v, err)
		}
	}
}
