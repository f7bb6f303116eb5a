package vsa_test

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"encoding/pem"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/ztci/ztci/attest"
	"github.com/ztci/ztci/attest/vsa"
)

// The real vector's pinned values, as slsa-verifier's own tests
// (verifiers/internal/vsa/verifier_test.go) pass them.
const (
	gceKeyID       = "keystore://76574:prod:vsa_signing_public_key"
	gceFingerprint = "SHA256:Zphi7kubaI7RnOrkqPgkRdVhF5a2JOFB4gor/Zajiiw"
	gceVerifier    = "https://bcid.corp.google.com/verifier/bcid_package_enforcer/v0.1"
	gceResource    = "gce_image://gke-node-images:gke-12615-gke1418000-cos-101-17162-463-29-c-cgpv1-pre"
	gceImageID     = "8970095005306000053"
)

var gceTime = time.Date(2024, 6, 12, 7, 24, 34, 351608000, time.UTC)

func gceKey(t testing.TB) crypto.PublicKey {
	t.Helper()
	blk, _ := pem.Decode(readFixture(t, "slsa-verifier-gce-vsa-key.pem"))
	key, err := x509.ParsePKIXPublicKey(blk.Bytes)
	if err != nil {
		t.Fatal(err)
	}
	return key
}

func gceExpect(t testing.TB) vsa.ThirdPartyExpectations {
	return vsa.ThirdPartyExpectations{
		Key:            gceKey(t),
		KeyID:          gceKeyID,
		SubjectDigests: attest.DigestSet{"gce_image_id": gceImageID},
		VerifierID:     gceVerifier,
		ResourceURI:    gceResource,
		VerifiedLevels: []string{"BCID_L1", "SLSA_BUILD_LEVEL_2"},
	}
}

// rawEnvelope is a DSSE envelope for tests to alter.
type rawEnvelope struct {
	PayloadType string   `json:"payloadType"`
	Payload     string   `json:"payload"`
	Signatures  []rawSig `json:"signatures"`
}

type rawSig struct {
	KeyID string `json:"keyid"`
	Sig   string `json:"sig"`
}

func gceEnvelope(t testing.TB) rawEnvelope {
	t.Helper()
	var e rawEnvelope
	if err := json.Unmarshal(readFixture(t, "slsa-verifier-gce-vsa.intoto.jsonl"), &e); err != nil {
		t.Fatal(err)
	}
	return e
}

func (e rawEnvelope) bytes(t testing.TB) []byte {
	t.Helper()
	b, err := json.Marshal(e)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// signEnvelope signs payload with key (ECDSA in ASN.1 DER, RSA PKCS #1
// v1.5 SHA-256, Ed25519) under keyID.
func signEnvelope(t testing.TB, key crypto.Signer, keyID string, payload []byte) []byte {
	t.Helper()
	pae := fmt.Appendf(nil, "DSSEv1 %d %s %d %s", len(vsa.PayloadTypeInToto), vsa.PayloadTypeInToto, len(payload), payload)
	var sig []byte
	var err error
	switch k := key.(type) {
	case ed25519.PrivateKey:
		sig, err = k.Sign(rand.Reader, pae, crypto.Hash(0))
	case *ecdsa.PrivateKey:
		h := crypto.SHA256
		if k.Curve == elliptic.P384() {
			h = crypto.SHA384
		}
		d := h.New()
		d.Write(pae)
		sig, err = k.Sign(rand.Reader, d.Sum(nil), h)
	default:
		d := sha256.Sum256(pae)
		sig, err = key.Sign(rand.Reader, d[:], crypto.SHA256)
	}
	if err != nil {
		t.Fatal(err)
	}
	return rawEnvelope{
		PayloadType: vsa.PayloadTypeInToto,
		Payload:     base64.StdEncoding.EncodeToString(payload),
		Signatures:  []rawSig{{KeyID: keyID, Sig: base64.StdEncoding.EncodeToString(sig)}},
	}.bytes(t)
}

// TestVerifyThirdPartyRealVector: the real Google BCID VSA verifies under
// every key id arrangement slsa-verifier's tests accept.
func TestVerifyThirdPartyRealVector(t *testing.T) {
	t.Parallel()
	if fp, err := vsa.KeyFingerprint(gceKey(t)); err != nil || fp != gceFingerprint {
		t.Fatalf("KeyFingerprint = %q, %v; slsa-verifier computes %q", fp, err, gceFingerprint)
	}
	tests := []struct {
		name     string
		envKeyID string // the envelope's keyid
		pinned   string
		wantID   string
	}{
		{name: "key id pinned", envKeyID: gceKeyID, pinned: gceKeyID, wantID: gceKeyID},
		{name: "fingerprint in envelope, none pinned", envKeyID: gceFingerprint, pinned: "", wantID: gceFingerprint},
		{name: "no key ids", envKeyID: "", pinned: "", wantID: gceFingerprint},
		{name: "key id only pinned", envKeyID: "", pinned: gceFingerprint, wantID: gceFingerprint},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			e := gceEnvelope(t)
			e.Signatures[0].KeyID = tt.envKeyID
			want := gceExpect(t)
			want.KeyID = tt.pinned
			got, err := vsa.VerifyThirdParty(t.Context(), e.bytes(t), want)
			if err != nil {
				t.Fatal(err)
			}
			if got.KeyID != tt.wantID || got.Summary.Verifier.ID != gceVerifier || !got.Summary.TimeVerified.Equal(gceTime) ||
				len(got.Subjects) != 1 || got.Subjects[0].Digest["gce_image_id"] != gceImageID || string(got.Payload) != string(gceStatement(t)) {
				t.Errorf("got %+v", got)
			}
		})
	}
	// The fixture itself, unchanged.
	if _, err := vsa.VerifyThirdParty(t.Context(), readFixture(t, "slsa-verifier-gce-vsa.intoto.jsonl"), gceExpect(t)); err != nil {
		t.Fatal(err)
	}
}

// TestVerifyThirdPartyRejects: each mutation of the real vector or of the
// expectations is refused with the sentinel naming the failed check.
func TestVerifyThirdPartyRejects(t *testing.T) {
	t.Parallel()
	other, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	payload := string(gceStatement(t))
	// resigned signs the real payload with edit applied, with own key.
	resigned := func(t *testing.T, old, new string) []byte {
		if !strings.Contains(payload, old) {
			t.Fatalf("payload has no %q", old)
		}
		return signEnvelope(t, other, "", []byte(strings.Replace(payload, old, new, 1)))
	}
	tests := []struct {
		name   string
		env    func(t *testing.T) []byte
		expect func(w *vsa.ThirdPartyExpectations)
		want   error
	}{
		{name: "subject digest", expect: func(w *vsa.ThirdPartyExpectations) { w.SubjectDigests = attest.DigestSet{"gce_image_id": "1"} }, want: vsa.ErrSubjectMismatch},
		{name: "subject algorithm", expect: func(w *vsa.ThirdPartyExpectations) { w.SubjectDigests = attest.DigestSet{"sha256": gceImageID} }, want: vsa.ErrSubjectMismatch},
		{name: "second subject digest", expect: func(w *vsa.ThirdPartyExpectations) { w.SubjectDigests["sha256"] = strings.Repeat("a", 64) }, want: vsa.ErrSubjectMismatch},
		{name: "verifier id", expect: func(w *vsa.ThirdPartyExpectations) { w.VerifierID = strings.Replace(gceVerifier, "v0.1", "v0.2", 1) }, want: vsa.ErrVerifierMismatch},
		{name: "resource uri", expect: func(w *vsa.ThirdPartyExpectations) { w.ResourceURI = gceResource + "x" }, want: vsa.ErrResourceMismatch},
		{name: "higher SLSA level", expect: func(w *vsa.ThirdPartyExpectations) { w.VerifiedLevels = []string{"SLSA_BUILD_LEVEL_3"} }, want: vsa.ErrLevels},
		{name: "absent SLSA track", expect: func(w *vsa.ThirdPartyExpectations) { w.VerifiedLevels = []string{"SLSA_SOURCE_LEVEL_1"} }, want: vsa.ErrLevels},
		{name: "absent custom level", expect: func(w *vsa.ThirdPartyExpectations) { w.VerifiedLevels = []string{"BCID_L2"} }, want: vsa.ErrLevels},
		{name: "expired", expect: func(w *vsa.ThirdPartyExpectations) {
			w.MaxAge, w.Now = time.Hour, gceTime.Add(time.Hour+time.Nanosecond)
		}, want: vsa.ErrStale},
		{name: "from the future", expect: func(w *vsa.ThirdPartyExpectations) {
			w.MaxAge, w.Now = time.Hour, gceTime.Add(-vsa.MaxThirdPartySkew-time.Nanosecond)
		}, want: vsa.ErrStale},
		{name: "wrong key", expect: func(w *vsa.ThirdPartyExpectations) { w.Key, w.KeyID = &other.PublicKey, gceKeyID }, want: vsa.ErrSignature},
		{name: "wrong hash", expect: func(w *vsa.ThirdPartyExpectations) { w.Hash = crypto.SHA512 }, want: vsa.ErrSignature},
		{name: "key id mismatch", expect: func(w *vsa.ThirdPartyExpectations) { w.KeyID = "keystore://76574:prod:another_key_id" }, want: vsa.ErrKeyID},
		{name: "key id needed but not pinned", expect: func(w *vsa.ThirdPartyExpectations) { w.KeyID = "" }, want: vsa.ErrKeyID},
		{name: "tampered payload", env: func(t *testing.T) []byte {
			e := gceEnvelope(t)
			e.Payload = base64.StdEncoding.EncodeToString([]byte(strings.Replace(payload, "SLSA_BUILD_LEVEL_2", "SLSA_BUILD_LEVEL_3", 1)))
			return e.bytes(t)
		}, want: vsa.ErrSignature},
		{name: "tampered payload type", env: func(t *testing.T) []byte {
			e := gceEnvelope(t)
			e.PayloadType = "application/json"
			return e.bytes(t)
		}, want: vsa.ErrEnvelope},
		{name: "no signatures", env: func(t *testing.T) []byte {
			e := gceEnvelope(t)
			e.Signatures = nil
			return e.bytes(t)
		}, want: vsa.ErrEnvelope},
		{name: "unknown envelope member", env: func(t *testing.T) []byte {
			return []byte(strings.Replace(string(gceEnvelope(t).bytes(t)), `{"payloadType"`, `{"extra":1,"payloadType"`, 1))
		}, want: vsa.ErrEnvelope},
		{name: "repeated envelope member", env: func(t *testing.T) []byte {
			return []byte(strings.Replace(string(gceEnvelope(t).bytes(t)), `{"payloadType"`, `{"payloadType":"x","payloadType"`, 1))
		}, want: vsa.ErrEnvelope},
		{name: "member in another case", env: func(t *testing.T) []byte {
			return []byte(strings.Replace(string(gceEnvelope(t).bytes(t)), `"payload":`, `"Payload":`, 1))
		}, want: vsa.ErrEnvelope},
		{name: "unknown signature member", env: func(t *testing.T) []byte {
			return []byte(strings.Replace(string(gceEnvelope(t).bytes(t)), `"keyid"`, `"cert":"x","keyid"`, 1))
		}, want: vsa.ErrEnvelope},
		{name: "too large", env: func(t *testing.T) []byte {
			return append(gceEnvelope(t).bytes(t), make([]byte, vsa.MaxEnvelopeSize)...)
		}, want: vsa.ErrEnvelope},
		{name: "result FAILED", env: func(t *testing.T) []byte { return resigned(t, `"PASSED"`, `"FAILED"`) },
			expect: func(w *vsa.ThirdPartyExpectations) { w.Key, w.KeyID = &other.PublicKey, "" }, want: vsa.ErrNotPassed},
		{name: "legacy statement type", env: func(t *testing.T) []byte { return resigned(t, "Statement/v1", "Statement/v0.1") },
			expect: func(w *vsa.ThirdPartyExpectations) { w.Key, w.KeyID = &other.PublicKey, "" }, want: vsa.ErrStatement},
		{name: "other predicate type", env: func(t *testing.T) []byte { return resigned(t, "verification_summary/v1", "provenance/v1") },
			expect: func(w *vsa.ThirdPartyExpectations) { w.Key, w.KeyID = &other.PublicKey, "" }, want: vsa.ErrPredicateType},
		{name: "unknown predicate member", env: func(t *testing.T) []byte { return resigned(t, `"timeVerified"`, `"verifiedBy":1,"timeVerified"`) },
			expect: func(w *vsa.ThirdPartyExpectations) { w.Key, w.KeyID = &other.PublicKey, "" }, want: vsa.ErrUnknownField},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			env := readFixture(t, "slsa-verifier-gce-vsa.intoto.jsonl")
			if tt.env != nil {
				env = tt.env(t)
			}
			want := gceExpect(t)
			if tt.expect != nil {
				tt.expect(&want)
			}
			got, err := vsa.VerifyThirdParty(t.Context(), env, want)
			if !errors.Is(err, tt.want) || !errors.Is(err, vsa.ErrUnverified) || got != nil {
				t.Fatalf("err = %v, want %v", err, tt.want)
			}
			var ce *vsa.CheckError
			if errors.As(err, &ce) && (ce.Check == "" || ce.Want == "") {
				t.Errorf("CheckError without check or want: %+v", ce)
			}
		})
	}
}

// TestVerifyThirdPartyLevels mirrors slsa-verifier's matchVerifiedLevels
// on the real vector (BCID_L1, SLSA_BUILD_LEVEL_2).
func TestVerifyThirdPartyLevels(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct {
		levels []string
		ok     bool
	}{
		{nil, true},
		{[]string{}, true},
		{[]string{"SLSA_BUILD_LEVEL_0"}, true},
		{[]string{"SLSA_BUILD_LEVEL_1"}, true},
		{[]string{"SLSA_BUILD_LEVEL_2", "BCID_L1"}, true},
		{[]string{"SLSA_BUILD_LEVEL_3"}, false},
		{[]string{"SLSA_SOURCE_LEVEL_0"}, false},
		{[]string{"BCID_L1", "BCID_L2"}, false},
		{[]string{"bcid_l1"}, false},
	} {
		t.Run(fmt.Sprint(tt.levels), func(t *testing.T) {
			t.Parallel()
			want := gceExpect(t)
			want.VerifiedLevels = tt.levels
			_, err := vsa.VerifyThirdParty(t.Context(), readFixture(t, "slsa-verifier-gce-vsa.intoto.jsonl"), want)
			if tt.ok != (err == nil) || (err != nil && !errors.Is(err, vsa.ErrLevels)) {
				t.Fatalf("err = %v, want ok=%v", err, tt.ok)
			}
		})
	}
}

// TestVerifyThirdPartyKeyTypes: RSA, Ed25519 and ECDSA P-384 keys, and an
// ECDSA signature in IEEE P1363 form, as slsa-verifier accepts them.
func TestVerifyThirdPartyKeyTypes(t *testing.T) {
	t.Parallel()
	rsaKey, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	_, edKey, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	p384, err := ecdsa.GenerateKey(elliptic.P384(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	payload := gceStatement(t)
	for _, tt := range []struct {
		name string
		key  crypto.Signer
	}{
		{"rsa", rsaKey}, {"ed25519", edKey}, {"ecdsa-p384", p384},
	} {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			want := gceExpect(t)
			want.Key, want.KeyID = tt.key.Public(), "key-1"
			if _, err := vsa.VerifyThirdParty(t.Context(), signEnvelope(t, tt.key, "key-1", payload), want); err != nil {
				t.Fatal(err)
			}
			// Another key of the same type does not verify it.
			want.Key = gceExpectKeyLike(t, tt.key)
			if _, err := vsa.VerifyThirdParty(t.Context(), signEnvelope(t, tt.key, "key-1", payload), want); !errors.Is(err, vsa.ErrSignature) {
				t.Fatalf("other key: err = %v", err)
			}
		})
	}
	// The real vector's signature is P1363 already; re-encode it as DER.
	e := gceEnvelope(t)
	raw, _ := base64.StdEncoding.DecodeString(e.Signatures[0].Sig)
	der := derSig(raw)
	e.Signatures[0].Sig = base64.StdEncoding.EncodeToString(der)
	if _, err := vsa.VerifyThirdParty(t.Context(), e.bytes(t), gceExpect(t)); err != nil {
		t.Fatalf("DER signature: %v", err)
	}
}

// gceExpectKeyLike returns a fresh public key of k's type.
func gceExpectKeyLike(t *testing.T, k crypto.Signer) crypto.PublicKey {
	t.Helper()
	var s crypto.Signer
	var err error
	switch k := k.(type) {
	case *rsa.PrivateKey:
		s, err = rsa.GenerateKey(rand.Reader, 2048)
	case ed25519.PrivateKey:
		_, s, err = ed25519.GenerateKey(rand.Reader)
	case *ecdsa.PrivateKey:
		s, err = ecdsa.GenerateKey(k.Curve, rand.Reader)
	}
	if err != nil {
		t.Fatal(err)
	}
	return s.Public()
}

// derSig encodes a P-256 r||s signature as ASN.1 DER.
func derSig(raw []byte) []byte {
	integer := func(b []byte) []byte {
		for len(b) > 1 && b[0] == 0 && b[1] < 0x80 {
			b = b[1:]
		}
		if b[0] >= 0x80 {
			b = append([]byte{0}, b...)
		}
		return append([]byte{0x02, byte(len(b))}, b...)
	}
	body := append(integer(raw[:32]), integer(raw[32:])...)
	return append([]byte{0x30, byte(len(body))}, body...)
}

// TestVerifyThirdPartyExpectations: unusable expectations fail before the
// envelope is read.
func TestVerifyThirdPartyExpectations(t *testing.T) {
	t.Parallel()
	small, err := rsa.GenerateKey(rand.Reader, 1024)
	if err != nil {
		t.Fatal(err)
	}
	p224, err := ecdsa.GenerateKey(elliptic.P224(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	for _, tt := range []struct {
		name   string
		expect func(w *vsa.ThirdPartyExpectations)
	}{
		{"no key", func(w *vsa.ThirdPartyExpectations) { w.Key = nil }},
		{"private key", func(w *vsa.ThirdPartyExpectations) { w.Key = small }},
		{"small RSA key", func(w *vsa.ThirdPartyExpectations) { w.Key = &small.PublicKey }},
		{"P-224", func(w *vsa.ThirdPartyExpectations) { w.Key = &p224.PublicKey }},
		{"MD5", func(w *vsa.ThirdPartyExpectations) { w.Hash = crypto.MD5 }},
		{"no subject", func(w *vsa.ThirdPartyExpectations) { w.SubjectDigests = nil }},
		{"empty digest", func(w *vsa.ThirdPartyExpectations) { w.SubjectDigests = attest.DigestSet{"sha256": ""} }},
		{"no verifier", func(w *vsa.ThirdPartyExpectations) { w.VerifierID = "" }},
		{"no resource", func(w *vsa.ThirdPartyExpectations) { w.ResourceURI = "" }},
		{"bad SLSA level", func(w *vsa.ThirdPartyExpectations) { w.VerifiedLevels = []string{"SLSA_BUILD_3"} }},
		{"empty level", func(w *vsa.ThirdPartyExpectations) { w.VerifiedLevels = []string{""} }},
		{"negative max age", func(w *vsa.ThirdPartyExpectations) { w.MaxAge = -time.Second }},
	} {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			want := gceExpect(t)
			tt.expect(&want)
			if _, err := vsa.VerifyThirdParty(t.Context(), nil, want); !errors.Is(err, vsa.ErrExpectations) {
				t.Fatalf("err = %v, want ErrExpectations", err)
			}
			if err := want.Validate(); !errors.Is(err, vsa.ErrExpectations) {
				t.Fatalf("Validate: err = %v, want ErrExpectations", err)
			}
		})
	}
}

func TestVerifyThirdPartyFresh(t *testing.T) {
	t.Parallel()
	want := gceExpect(t)
	if err := want.Validate(); err != nil {
		t.Fatal(err)
	}
	want.MaxAge, want.Now = time.Hour, gceTime.Add(time.Hour)
	if _, err := vsa.VerifyThirdParty(t.Context(), readFixture(t, "slsa-verifier-gce-vsa.intoto.jsonl"), want); err != nil {
		t.Fatal(err)
	}
}
