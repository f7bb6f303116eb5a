package gate_test

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/sigstore/sigstore-go/pkg/root"
	"github.com/sigstore/sigstore-go/pkg/sign"
	"github.com/sigstore/sigstore/pkg/signature"
	"google.golang.org/protobuf/encoding/protojson"

	"github.com/ztci/ztci/attest"
	"github.com/ztci/ztci/attest/tsa"
	"github.com/ztci/ztci/policy/gate"
	"github.com/ztci/ztci/verify"
	"github.com/ztci/ztci/verify/image"
)

type review16Transport struct{ h http.Handler }

func (t review16Transport) RoundTrip(r *http.Request) (*http.Response, error) {
	w := httptest.NewRecorder()
	t.h.ServeHTTP(w, r)
	return w.Result(), nil
}

type review16Marks map[string]bool

func (m review16Marks) Compromised(id string) bool { return m[id] }

// review16KeyLab is one signing key behind trust material that, like
// cosign's for a --key, answers every hint with that key: the bundle's
// hint (unsigned) names nothing.
type review16KeyLab struct {
	verifier    *verify.Verifier
	fingerprint string
	bundle      func(hint string) json.RawMessage
}

func newReview16KeyLab(t *testing.T) review16KeyLab {
	t.Helper()
	stamps, err := tsa.New()
	if err != nil {
		t.Fatal(err)
	}
	trJSON, err := attest.NewTrustedRoot().AddEmbeddedTSA("https://tsa.example", stamps).MarshalJSON()
	if err != nil {
		t.Fatal(err)
	}
	tr, err := verify.ParseTrustedRoot(trJSON)
	if err != nil {
		t.Fatal(err)
	}
	kp, err := sign.NewEphemeralKeypair(nil)
	if err != nil {
		t.Fatal(err)
	}
	sv, err := signature.LoadDefaultVerifier(kp.GetPublicKey())
	if err != nil {
		t.Fatal(err)
	}
	keys := root.NewTrustedPublicKeyMaterial(func(string) (root.TimeConstrainedVerifier, error) {
		return root.NewExpiringKey(sv, time.Time{}, time.Time{}), nil
	})
	trust, err := verify.NewTrust(tr, keys)
	if err != nil {
		t.Fatal(err)
	}
	v, err := verify.New(trust, verify.Expectation{PredicateType: attest.PredicateSLSAProvenanceV1}, verify.WithAnySignerUnsafe(),
		verify.WithTlogThreshold(0), verify.WithSCTThreshold(0), verify.WithSignedTimestampThreshold(1))
	if err != nil {
		t.Fatal(err)
	}
	fp, err := verify.KeyFingerprint(kp.GetPublicKey())
	if err != nil {
		t.Fatal(err)
	}
	hex := strings.TrimPrefix(artifactDigest, "sha256:")
	return review16KeyLab{verifier: v, fingerprint: fp, bundle: func(hint string) json.RawMessage {
		st := fmt.Appendf(nil, `{"_type":"https://in-toto.io/Statement/v1","subject":[{"name":"app","digest":{"sha256":%q}}],"predicateType":%q,"predicate":{}}`,
			hex, attest.PredicateSLSAProvenanceV1)
		ta := sign.NewTimestampAuthority(&sign.TimestampAuthorityOptions{URL: "https://tsa.example/api/v1/timestamp", Transport: review16Transport{stamps.Handler()}})
		b, err := sign.Bundle(&sign.DSSEData{Data: st, PayloadType: "application/vnd.in-toto+json"}, kp,
			sign.BundleOptions{TimestampAuthorities: []*sign.TimestampAuthority{ta}, Context: t.Context()})
		if err != nil {
			t.Fatal(err)
		}
		out, err := protojson.Marshal(b)
		if err != nil {
			t.Fatal(err)
		}
		var m map[string]any
		if err := json.Unmarshal(out, &m); err != nil {
			t.Fatal(err)
		}
		m["verificationMaterial"].(map[string]any)["publicKey"].(map[string]any)["hint"] = hint
		if out, err = json.Marshal(m); err != nil {
			t.Fatal(err)
		}
		return out
	}}
}

func (l review16KeyLab) gate(t *testing.T, opts ...gate.Option) *gate.Gate {
	t.Helper()
	g, err := gate.New(tokens, gate.Verifiers{attest.PredicateSLSAProvenanceV1: l.verifier}, &allowVerified{}, &memSink{}, opts...)
	if err != nil {
		t.Fatal(err)
	}
	return g
}

// TestReview16OneKeyIsOneSignerWhateverItsHints: the gate counted a keyed
// signer by the bundle's key hint, which the bundle chooses and is not
// signed. Behind trust material that answers every hint with its one key,
// one key holder who sent its bundle twice under two hints was two
// distinct signers and met a threshold of two alone (image.WithThreshold;
// verify/image counts the key that verified, SignerInfo.KeyFingerprint).
func TestReview16OneKeyIsOneSignerWhateverItsHints(t *testing.T) {
	t.Parallel()
	l := newReview16KeyLab(t)
	req := gate.Request{JobToken: gate.NewToken(goodToken), Name: "registry.example/acme/app", Digest: artifactDigest,
		Bundles: []json.RawMessage{l.bundle("holder-a"), l.bundle("holder-b")}}
	d, err := l.gate(t, gate.WithImageOptions(image.WithThreshold(2))).Decide(t.Context(), req)
	if err != nil {
		t.Fatalf("Decide: %v", err)
	}
	for _, a := range d.Attestations {
		if !a.Verified {
			t.Fatalf("attestation not verified: %+v", a)
		}
		if a.Signer != l.fingerprint {
			t.Errorf("signer %q; want the key that verified, %q", a.Signer, l.fingerprint)
		}
	}
	if d.Allowed || d.Verified {
		t.Fatalf("one key under two hints met a threshold of two: %+v", d)
	}
	// The threshold of one is met by it, as before.
	if d, err := l.gate(t).Decide(t.Context(), req); err != nil || !d.Allowed {
		t.Fatalf("threshold 1: %+v, %v; want allowed", d, err)
	}
}

// TestReview16RevokedKeyUnderAnotherHint: a key revoked by its
// fingerprint (verify.KeyFingerprint, as Revocations documents) was
// checked against the bundle's hint only, so a bundle signed by the
// revoked key under any other hint went on counting.
func TestReview16RevokedKeyUnderAnotherHint(t *testing.T) {
	t.Parallel()
	l := newReview16KeyLab(t)
	g := l.gate(t, gate.WithRevocations(gate.Revocations{Keys: review16Marks{l.fingerprint: true}}))
	d, err := g.Decide(t.Context(), gate.Request{JobToken: gate.NewToken(goodToken), Name: "registry.example/acme/app",
		Digest: artifactDigest, Bundles: []json.RawMessage{l.bundle("not-the-revoked-one")}})
	if err != nil {
		t.Fatalf("Decide: %v", err)
	}
	if d.Allowed || d.Verified || len(d.Attestations) != 1 || d.Attestations[0].Verified {
		t.Fatalf("a revoked key's bundle counted under another hint: %+v", d)
	}
	if !strings.Contains(d.Attestations[0].Error, "revoked") {
		t.Errorf("attestation error %q; want revoked", d.Attestations[0].Error)
	}
}
