package image_test

import (
	"bytes"
	"context"
	"crypto"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/sha256"
	"crypto/x509"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"encoding/pem"
	"testing"
	"time"

	"github.com/digitorus/timestamp"
	"github.com/google/go-containerregistry/pkg/name"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/empty"
	"github.com/google/go-containerregistry/pkg/v1/mutate"
	"github.com/google/go-containerregistry/pkg/v1/remote"
	"github.com/google/go-containerregistry/pkg/v1/static"
	"github.com/google/go-containerregistry/pkg/v1/types"

	"github.com/ztci/ztci/attest"
	"github.com/ztci/ztci/attest/ca"
	"github.com/ztci/ztci/attest/tsa"
	"github.com/ztci/ztci/identity"
	"github.com/ztci/ztci/internal/oci/ocitest"
	"github.com/ztci/ztci/verify"
	"github.com/ztci/ztci/verify/image"
)

// legacyWorld writes what cosign writes into its legacy ".sig" and ".att"
// tags, signed by ztci's embedded CA (keyless) or a bare key, logged in a
// Rekor v1 whose only part needed offline is its signing key (the SET), and
// timestamped by the embedded TSA. The layout follows cosign exactly:
//
//   - simple-signing payload: sigstore/sigstore pkg/signature/payload
//     (SimpleContainerImage: critical.identity.docker-reference,
//     critical.image.docker-manifest-digest, critical.type, optional);
//   - layer annotations: cosign pkg/oci/static/signature.go (signature,
//     certificate, chain, bundle, rfc3161timestamp keys) and
//     pkg/oci/internal/signature/layer.go (how cosign reads them back);
//   - bundle annotation: cosign pkg/cosign/bundle/rekor.go (RekorBundle
//     {SignedEntryTimestamp, Payload{body, integratedTime, logIndex, logID}});
//     the SET is the log key's signature over the RFC 8785 JSON of Payload,
//     as cosign's pkg/cosign/verify_test.go createRekorEntry builds it;
//   - ".att" layers: a DSSE envelope as layer content, media type
//     application/vnd.dsse.envelope.v1+json, an empty signature annotation
//     (cosign pkg/oci/static NewAttestation), a Rekor "dsse" 0.0.1 entry
//     (what cosign v3 logs through sigstore-go), the timestamp over the
//     envelope's signature.
//
// Real cosign output (a key pair, with a TSA or a real Rekor v1) is in
// testdata/cosign-legacy (see its README); keyless cosign signing needs
// Fulcio and an OIDC provider, so the keyless + SET cases are generated.
type legacyWorld struct {
	ca          *ca.CA
	tsa         *tsa.TSA
	rekor       *ecdsa.PrivateKey
	logID       string
	trustedRoot []byte
}

func newLegacyWorld(t testing.TB) *legacyWorld {
	t.Helper()
	c, err := ca.New(ca.WithSubjectDomain("https://ci.example", "https://ci.example"))
	if err != nil {
		t.Fatal(err)
	}
	a, err := tsa.New()
	if err != nil {
		t.Fatal(err)
	}
	k, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	der, err := x509.MarshalPKIXPublicKey(&k.PublicKey)
	if err != nil {
		t.Fatal(err)
	}
	id := sha256.Sum256(der)
	tr, err := json.Marshal(attest.NewTrustedRoot().
		AddEmbeddedCA("https://ca.ci.example", c).
		AddEmbeddedTSA("https://tsa.ci.example", a).
		AddTransparencyLog("https://rekor.ci.example", 1, &k.PublicKey, time.Now().Add(-time.Hour)))
	if err != nil {
		t.Fatal(err)
	}
	return &legacyWorld{ca: c, tsa: a, rekor: k, logID: hex.EncodeToString(id[:]), trustedRoot: tr}
}

// legacySigner is who signs: a key, with the certificate chain the CA
// issued for it (keyless) or none (a cosign key pair).
type legacySigner struct {
	key crypto.Signer
	// opts is how key signs, as cosign's signature.SignerVerifier for it
	// does: crypto.SHA256 (ECDSA, or RSA PKCS #1 v1.5) signs the message's
	// SHA-256, crypto.SHA384 and crypto.SHA512 (ECDSA) its SHA-384 and
	// SHA-512; crypto.Hash(0) is pure Ed25519 over the message itself;
	// &ed25519.Options{Hash: crypto.SHA512} is Ed25519ph over its SHA-512.
	opts  crypto.SignerOpts
	chain []*x509.Certificate // leaf first; nil for a bare key
}

func (w *legacyWorld) keyless(t testing.TB, id identity.Identity) legacySigner {
	t.Helper()
	k, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	chain, err := w.ca.Issue(context.Background(), &k.PublicKey, id)
	if err != nil {
		t.Fatal(err)
	}
	if len(chain) == 1 { // cosign's chain annotation holds Fulcio's chain up to its root
		chain = append(chain, w.ca.Certificate())
	}
	return legacySigner{key: k, opts: crypto.SHA256, chain: chain}
}

func keyed(t testing.TB) legacySigner { return ecdsaSigner(t, elliptic.P256(), crypto.SHA256) }

// ecdsaSigner is an ECDSA key on curve signing the message's digest by h:
// cosign signs with its curve's hash (SHA-256 for P-256, SHA-384 for
// P-384, SHA-512 for P-521) since v2.6, and with SHA-256 whatever the curve
// up to v2.5.
func ecdsaSigner(t testing.TB, curve elliptic.Curve, h crypto.Hash) legacySigner {
	t.Helper()
	k, err := ecdsa.GenerateKey(curve, rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	return legacySigner{key: k, opts: h}
}

// publicPEM is the PEM cosign puts in the Rekor entry: the certificate, or
// the public key.
func (s legacySigner) publicPEM(t testing.TB) []byte {
	if len(s.chain) > 0 {
		return pemCerts(s.chain[:1])
	}
	der, err := x509.MarshalPKIXPublicKey(s.key.Public())
	if err != nil {
		t.Fatal(err)
	}
	return pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: der})
}

func (s legacySigner) sign(t testing.TB, msg []byte) []byte {
	if h := s.opts.HashFunc(); h != 0 {
		d := h.New()
		d.Write(msg)
		msg = d.Sum(nil)
	}
	sig, err := s.key.Sign(rand.Reader, msg, s.opts)
	if err != nil {
		t.Fatal(err)
	}
	return sig
}

func pemCerts(certs []*x509.Certificate) []byte {
	var b []byte
	for _, c := range certs {
		b = append(b, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: c.Raw})...)
	}
	return b
}

// legacyOpts says what a generated layer carries.
type legacyOpts struct {
	noTlog    bool // no bundle annotation
	timestamp bool // an rfc3161timestamp annotation
	// cosign v2 attestations: timestamp over the whole envelope, logged as
	// an "intoto" 0.0.1 entry.
	tsOverEnvelope bool
	intotoV001     bool
}

// simpleSigningPayload is cosign's payload for img, byte for byte.
func simpleSigningPayload(img name.Digest, typ string) []byte {
	return []byte(`{"critical":{"identity":{"docker-reference":"` + img.Context().Name() + `"},"image":{"docker-manifest-digest":"` +
		img.DigestStr() + `"},"type":"` + typ + `"},"optional":null}`)
}

// sigLayer is a ".sig" layer: payload signed by s, with cosign's annotations.
func (w *legacyWorld) sigLayer(t testing.TB, s legacySigner, payload []byte, o legacyOpts) mutate.Addendum {
	t.Helper()
	sig := s.sign(t, payload)
	// cosign logs the digest its key signs (sigstore-go sign.Bundle with
	// the key's default algorithm): SHA-384 for P-384, SHA-512 for P-521
	// and Ed25519ph, SHA-256 otherwise.
	alg, h := "sha256", crypto.SHA256
	switch s.opts.HashFunc() {
	case crypto.SHA384:
		alg, h = "sha384", crypto.SHA384
	case crypto.SHA512:
		alg, h = "sha512", crypto.SHA512
	}
	d := h.New()
	d.Write(payload)
	ann := map[string]string{"dev.cosignproject.cosign/signature": base64.StdEncoding.EncodeToString(sig)}
	w.addCommon(t, ann, s, o, sig, map[string]any{
		"apiVersion": "0.0.1",
		"kind":       "hashedrekord",
		"spec": map[string]any{
			"data": map[string]any{"hash": map[string]any{"algorithm": alg, "value": hex.EncodeToString(d.Sum(nil))}},
			"signature": map[string]any{
				"content":   base64.StdEncoding.EncodeToString(sig),
				"publicKey": map[string]any{"content": base64.StdEncoding.EncodeToString(s.publicPEM(t))},
			},
		},
	})
	return mutate.Addendum{Layer: static.NewLayer(payload, image.MediaTypeSimpleSigning), Annotations: ann}
}

// statementAbout is an in-toto statement about img.
func statementAbout(t testing.TB, img name.Digest, predicateType string) []byte {
	t.Helper()
	st, err := attest.NewStatement([]attest.ResourceDescriptor{{Name: img.Context().Name(), Digest: attest.DigestSet{"sha256": ocitest.HexOf(img)}}},
		attest.Custom(predicateType, []byte(`{"passed":true}`)))
	if err != nil {
		t.Fatal(err)
	}
	b, err := json.Marshal(st)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// attLayer is an ".att" layer: statement in a DSSE envelope signed by s.
func (w *legacyWorld) attLayer(t testing.TB, s legacySigner, statement []byte, o legacyOpts) mutate.Addendum {
	t.Helper()
	sig := s.sign(t, ocitest.PAE(attest.PayloadType, statement))
	env, err := json.Marshal(map[string]any{
		"payloadType": attest.PayloadType,
		"payload":     base64.StdEncoding.EncodeToString(statement),
		"signatures":  []map[string]string{{"keyid": "", "sig": base64.StdEncoding.EncodeToString(sig)}},
	})
	if err != nil {
		t.Fatal(err)
	}
	envSum, payloadSum := sha256.Sum256(env), sha256.Sum256(statement)
	ann := map[string]string{"dev.cosignproject.cosign/signature": "", "predicateType": "custom"}
	stamped := sig
	if o.tsOverEnvelope {
		stamped = env
	}
	if o.intotoV001 {
		w.addCommon(t, ann, s, o, stamped, map[string]any{
			"apiVersion": "0.0.1",
			"kind":       "intoto",
			"spec": map[string]any{
				"content": map[string]any{
					"hash":        map[string]any{"algorithm": "sha256", "value": hex.EncodeToString(envSum[:])},
					"payloadHash": map[string]any{"algorithm": "sha256", "value": hex.EncodeToString(payloadSum[:])},
				},
				"publicKey": base64.StdEncoding.EncodeToString(s.publicPEM(t)),
			},
		})
		return mutate.Addendum{Layer: static.NewLayer(env, image.MediaTypeDSSE), Annotations: ann}
	}
	w.addCommon(t, ann, s, o, stamped, map[string]any{
		"apiVersion": "0.0.1",
		"kind":       "dsse",
		"spec": map[string]any{
			"envelopeHash": map[string]any{"algorithm": "sha256", "value": hex.EncodeToString(envSum[:])},
			"payloadHash":  map[string]any{"algorithm": "sha256", "value": hex.EncodeToString(payloadSum[:])},
			"signatures": []map[string]any{{
				"signature": base64.StdEncoding.EncodeToString(sig),
				"verifier":  base64.StdEncoding.EncodeToString(s.publicPEM(t)),
			}},
		},
	})
	return mutate.Addendum{Layer: static.NewLayer(env, image.MediaTypeDSSE), Annotations: ann}
}

// addCommon adds the certificate, chain, Rekor bundle (body logged, SET
// signed by the log key) and timestamp (over sig) annotations.
func (w *legacyWorld) addCommon(t testing.TB, ann map[string]string, s legacySigner, o legacyOpts, sig []byte, body map[string]any) {
	t.Helper()
	if len(s.chain) > 0 {
		ann["dev.sigstore.cosign/certificate"] = string(pemCerts(s.chain[:1]))
		ann["dev.sigstore.cosign/chain"] = string(pemCerts(s.chain[1:]))
	}
	if !o.noTlog {
		b, err := json.Marshal(body) // map keys sorted, no spaces: canonical here
		if err != nil {
			t.Fatal(err)
		}
		payload := map[string]any{
			"body":           base64.StdEncoding.EncodeToString(b),
			"integratedTime": time.Now().Unix(),
			"logIndex":       int64(4242),
			"logID":          w.logID,
		}
		canon, err := json.Marshal(payload)
		if err != nil {
			t.Fatal(err)
		}
		sum := sha256.Sum256(canon)
		set, err := ecdsa.SignASN1(rand.Reader, w.rekor, sum[:])
		if err != nil {
			t.Fatal(err)
		}
		rb, err := json.Marshal(map[string]any{"SignedEntryTimestamp": set, "Payload": payload})
		if err != nil {
			t.Fatal(err)
		}
		ann["dev.sigstore.cosign/bundle"] = string(rb)
	}
	if o.timestamp {
		q, err := timestamp.CreateRequest(bytes.NewReader(sig), &timestamp.RequestOptions{Hash: crypto.SHA256, Certificates: true})
		if err != nil {
			t.Fatal(err)
		}
		resp, err := w.tsa.Timestamp(context.Background(), q)
		if err != nil {
			t.Fatal(err)
		}
		ts, err := json.Marshal(map[string][]byte{"SignedRFC3161Timestamp": resp})
		if err != nil {
			t.Fatal(err)
		}
		ann["dev.sigstore.cosign/rfc3161timestamp"] = string(ts)
	}
}

// pushLegacy writes layers as cosign's legacy tag for img ("sig" or "att").
func pushLegacy(t testing.TB, img name.Digest, suffix string, layers ...mutate.Addendum) {
	t.Helper()
	m, err := mutate.Append(mutate.MediaType(empty.Image, types.OCIManifestSchema1), layers...)
	if err != nil {
		t.Fatal(err)
	}
	if err := remote.Write(img.Context().Tag("sha256-"+ocitest.HexOf(img)+"."+suffix), m); err != nil {
		t.Fatal(err)
	}
}

// gate is an image.Verifier reading legacy tags with one verify.Verifier.
func (w *legacyWorld) gate(t testing.TB, expect verify.Expectation, vopts ...verify.Option) *image.Verifier {
	t.Helper()
	trust, err := verify.ParseTrustedRoot(w.trustedRoot)
	if err != nil {
		t.Fatal(err)
	}
	vv, err := verify.New(trust, expect, append([]verify.Option{verify.WithSCTThreshold(0)}, vopts...)...)
	if err != nil {
		t.Fatal(err)
	}
	bv, err := image.VerifyBundles(vv)
	if err != nil {
		t.Fatal(err)
	}
	v, err := image.NewVerifier(bv, opts(nil, image.WithLegacyTags())...)
	if err != nil {
		t.Fatal(err)
	}
	return v
}

func staticLayer(b []byte, mt types.MediaType) v1.Layer { return static.NewLayer(b, mt) }

func (s legacySigner) public() verify.PublicKey { return verify.PublicKey{Key: s.key.Public()} }

// pinned is s's key pinned to the algorithm s signs with: Ed25519ph when s
// prehashes an Ed25519 signature, the key's default otherwise.
func (s legacySigner) pinned() verify.PublicKey {
	o, ph := s.opts.(*ed25519.Options)
	return verify.PublicKey{Key: s.key.Public(), Ed25519ph: ph && o.Hash == crypto.SHA512}
}
