package gate_test

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"testing"
	"testing/fstest"
	"time"

	"github.com/ztci/ztci/attest"
	"github.com/ztci/ztci/attest/vsa"
	"github.com/ztci/ztci/audit"
	"github.com/ztci/ztci/audit/audittest"
	"github.com/ztci/ztci/policy"
	"github.com/ztci/ztci/policy/gate"
	"github.com/ztci/ztci/policy/gate/gatetest"
)

const thirdPartyVerifier = "https://verifier.example/slsa"

// thirdPartyResource is the resourceUri convention of the test verifier.
func thirdPartyResource(name, digest string) string { return "oci://" + name + "@" + digest }

// thirdPartyEnvelope is a VSA of name@digest by thirdPartyVerifier at
// level, verified at tv, signed by key as a DSSE envelope (slsa-verifier's
// format).
func thirdPartyEnvelope(t testing.TB, key *ecdsa.PrivateKey, name, digest, level string, tv time.Time) json.RawMessage {
	t.Helper()
	alg, hex, _ := strings.Cut(digest, ":")
	st, err := attest.NewStatement([]attest.ResourceDescriptor{{Name: name, Digest: attest.DigestSet{alg: hex}}}, vsa.Predicate(vsa.Summary{
		Verifier: vsa.Verifier{ID: thirdPartyVerifier}, TimeVerified: tv, ResourceURI: thirdPartyResource(name, digest),
		Policy: attest.ResourceDescriptor{URI: "https://verifier.example/policy"}, Result: vsa.Passed, VerifiedLevels: []string{level},
	}))
	if err != nil {
		t.Fatal(err)
	}
	payload, err := json.Marshal(st)
	if err != nil {
		t.Fatal(err)
	}
	pae := fmt.Appendf(nil, "DSSEv1 %d %s %d %s", len(vsa.PayloadTypeInToto), vsa.PayloadTypeInToto, len(payload), payload)
	h := sha256.Sum256(pae)
	sig, err := key.Sign(rand.Reader, h[:], crypto.SHA256)
	if err != nil {
		t.Fatal(err)
	}
	env, err := json.Marshal(map[string]any{"payloadType": vsa.PayloadTypeInToto, "payload": base64.StdEncoding.EncodeToString(payload),
		"signatures": []map[string]string{{"keyid": "verifier-key-1", "sig": base64.StdEncoding.EncodeToString(sig)}}})
	if err != nil {
		t.Fatal(err)
	}
	return env
}

// requireThirdPartyVSA is a deploy policy: the image's attestations verify
// and a summary by thirdPartyVerifier says SLSA build level 3.
const requireThirdPartyVSA = `package acme.deploy

violations contains {"rule": "acme.unverified", "message": "attestations do not verify"} if {
	not input.artifacts[0].verified
}

violations contains {"rule": "acme.vsa_missing", "message": "no third-party summary at SLSA build level 3"} if {
	not third_party_l3
}

third_party_l3 if {
	some a in input.artifacts[0].attestations
	a.predicate_type == "https://slsa.dev/verification_summary/v1"
	a.predicate.verifier.id == "` + thirdPartyVerifier + `"
	"SLSA_BUILD_LEVEL_3" in a.predicate.verifiedLevels
}

decision := {"allow": count(violations) == 0, "violations": violations}`

// TestDecideWithThirdPartyVSAs: through Decide on a real registry, a
// deploy rule that requires a third-party summary allows the image with a
// verified one and denies it without, with a stale one, one by another key
// or one about another image; each envelope is listed and the audit event
// counts them.
func TestDecideWithThirdPartyVSAs(t *testing.T) {
	t.Parallel()
	w := newVSAWorld(t)
	p, err := w.lab.Publish(t.Context(), gatetest.Job{Ref: "refs/heads/main", Protected: true}, "v1")
	if err != nil {
		t.Fatal(err)
	}
	key, forger := newKey(t), newKey(t)
	tp, err := gate.NewThirdPartyVSAs(gate.ThirdPartyVSATrust{VerifierID: thirdPartyVerifier, Key: key.Public(), KeyID: "verifier-key-1",
		ResourceURI: thirdPartyResource, MaxAge: time.Hour})
	if err != nil {
		t.Fatal(err)
	}
	eng, err := policy.New(t.Context(), policy.FS(fstest.MapFS{"acme/deploy.rego": {Data: []byte(requireThirdPartyVSA)}}),
		policy.WithQuery("data.acme.deploy.decision"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = eng.Close() })
	vs, err := w.lab.Verifiers(false)
	if err != nil {
		t.Fatal(err)
	}
	rec := audittest.NewRecorder()
	g, err := gate.New(w.tokens, vs, eng, rec, gate.WithRegistries(w.lab.Registry()), gate.WithThirdPartyVSAs(tp))
	if err != nil {
		t.Fatal(err)
	}
	now := time.Now()
	good := thirdPartyEnvelope(t, key, p.Name, p.Digest, "SLSA_BUILD_LEVEL_3", now)
	tests := []struct {
		name              string
		vsas              []json.RawMessage
		allow             bool
		verified, refused int
	}{
		{name: "verified summary", vsas: []json.RawMessage{good}, allow: true, verified: 1},
		{name: "no summary", allow: false},
		{name: "level too low", vsas: []json.RawMessage{thirdPartyEnvelope(t, key, p.Name, p.Digest, "SLSA_BUILD_LEVEL_2", now)}, allow: false, verified: 1},
		{name: "stale", vsas: []json.RawMessage{thirdPartyEnvelope(t, key, p.Name, p.Digest, "SLSA_BUILD_LEVEL_3", now.Add(-2*time.Hour))}, allow: false, refused: 1},
		{name: "forged", vsas: []json.RawMessage{thirdPartyEnvelope(t, forger, p.Name, p.Digest, "SLSA_BUILD_LEVEL_3", now)}, allow: false, refused: 1},
		{name: "other image", vsas: []json.RawMessage{thirdPartyEnvelope(t, key, p.Name, "sha256:"+strings.Repeat("0", 64), "SLSA_BUILD_LEVEL_3", now)}, allow: false, refused: 1},
		{name: "one forged, one good", vsas: []json.RawMessage{thirdPartyEnvelope(t, forger, p.Name, p.Digest, "SLSA_BUILD_LEVEL_3", now), good}, allow: true, verified: 1, refused: 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			req := w.request(t, p.Image)
			req.ThirdPartyVSAs = tt.vsas
			d, err := g.Decide(t.Context(), req)
			if err != nil {
				t.Fatal(err)
			}
			if d.Allowed != tt.allow || !d.Verified {
				t.Fatalf("decision = %+v, want allow=%v", d, tt.allow)
			}
			var verified, refused int
			for _, a := range d.Attestations {
				if a.PredicateType != vsa.PredicateType {
					continue
				}
				if a.Verified {
					verified++
				} else if a.Error != "" {
					refused++
				}
			}
			if verified != tt.verified || refused != tt.refused {
				t.Errorf("listed %d verified, %d refused; want %d, %d: %+v", verified, refused, tt.verified, tt.refused, d.Attestations)
			}
			var ev audit.Event
			for _, e := range rec.Events() {
				if e.ID == d.AuditID {
					ev = e
				}
			}
			if tt.vsas == nil {
				if _, ok := ev.Attributes["third_party_vsas_verified"]; ok {
					t.Errorf("audit attributes %v for a request without summaries", ev.Attributes)
				}
				return
			}
			if ev.Attributes["third_party_vsas_verified"] != fmt.Sprint(tt.verified) || ev.Attributes["third_party_vsas_rejected"] != fmt.Sprint(tt.refused) {
				t.Errorf("audit attributes = %v", ev.Attributes)
			}
		})
	}
}

// TestDecideThirdPartyVSAsRefused: summaries sent to a gate that trusts no
// third-party verifier, or too many of them, make a bad request.
func TestDecideThirdPartyVSAsRefused(t *testing.T) {
	t.Parallel()
	w := newVSAWorld(t)
	p, err := w.lab.Publish(t.Context(), gatetest.Job{Ref: "refs/heads/main", Protected: true}, "v1")
	if err != nil {
		t.Fatal(err)
	}
	key := newKey(t)
	tp, err := gate.NewThirdPartyVSAs(gate.ThirdPartyVSATrust{VerifierID: thirdPartyVerifier, Key: key.Public(), ResourceURI: thirdPartyResource, MaxAge: time.Hour})
	if err != nil {
		t.Fatal(err)
	}
	env := thirdPartyEnvelope(t, key, p.Name, p.Digest, "SLSA_BUILD_LEVEL_3", time.Now())
	plain, _ := w.gate(t, discard())
	trusting, _ := w.gate(t, discard(), gate.WithThirdPartyVSAs(tp))
	for _, tt := range []struct {
		name string
		g    *gate.Gate
		n    int
	}{
		{"gate without WithThirdPartyVSAs", plain, 1},
		{"too many", trusting, gate.MaxThirdPartyVSAs + 1},
	} {
		t.Run(tt.name, func(t *testing.T) {
			req := w.request(t, p.Image)
			for range tt.n {
				req.ThirdPartyVSAs = append(req.ThirdPartyVSAs, env)
			}
			d, err := tt.g.Decide(t.Context(), req)
			if !errors.Is(err, gate.ErrBadRequest) || d.Allowed {
				t.Fatalf("decision %+v, err %v; want ErrBadRequest", d, err)
			}
		})
	}
	vs, err := w.lab.Verifiers(false)
	if err != nil {
		t.Fatal(err)
	}
	eng, err := w.lab.Policy(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = eng.Close() })
	if _, err := gate.New(w.tokens, vs, eng, discard(), gate.WithThirdPartyVSAs(nil)); !errors.Is(err, gate.ErrConfig) {
		t.Fatalf("WithThirdPartyVSAs(nil): err = %v", err)
	}
}
