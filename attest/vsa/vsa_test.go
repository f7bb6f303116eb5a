package vsa_test

import (
	"crypto/ecdsa"
	"crypto/sha256"
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"encoding/pem"
	"errors"
	"fmt"
	"math/big"
	"os"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/ztci/ztci/attest"
	"github.com/ztci/ztci/attest/vsa"
)

func readFixture(t testing.TB, name string) []byte {
	t.Helper()
	b, err := os.ReadFile("testdata/" + name)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// gceStatement returns the payload of the real slsa-verifier VSA after
// checking its ECDSA P-256 signature over the DSSE PAE with the published
// key, so the vector is known to be the genuine, unaltered document.
func gceStatement(t testing.TB) []byte {
	t.Helper()
	var env struct {
		Payload     []byte `json:"payload"`
		PayloadType string `json:"payloadType"`
		Signatures  []struct {
			Sig string `json:"sig"`
		} `json:"signatures"`
	}
	if err := json.Unmarshal(readFixture(t, "slsa-verifier-gce-vsa.intoto.jsonl"), &env); err != nil {
		t.Fatal(err)
	}
	blk, _ := pem.Decode(readFixture(t, "slsa-verifier-gce-vsa-key.pem"))
	key, err := x509.ParsePKIXPublicKey(blk.Bytes)
	if err != nil {
		t.Fatal(err)
	}
	pae := fmt.Appendf(nil, "DSSEv1 %d %s %d %s", len(env.PayloadType), env.PayloadType, len(env.Payload), env.Payload)
	h := sha256.Sum256(pae)
	sig, err := base64.StdEncoding.DecodeString(env.Signatures[0].Sig)
	if err != nil {
		t.Fatal(err)
	}
	pk := key.(*ecdsa.PublicKey)
	ok := ecdsa.VerifyASN1(pk, h[:], sig)
	if !ok && len(sig) == 64 { // IEEE P1363 r||s
		ok = ecdsa.Verify(pk, h[:], new(big.Int).SetBytes(sig[:32]), new(big.Int).SetBytes(sig[32:]))
	}
	if !ok {
		t.Fatal("the slsa-verifier VSA vector does not verify with its published key")
	}
	return env.Payload
}

func TestThirdPartyVSA(t *testing.T) {
	t.Parallel()
	st, err := attest.ParseStatement(gceStatement(t))
	if err != nil {
		t.Fatal(err)
	}
	s, err := vsa.FromStatement(st)
	if err != nil {
		t.Fatal(err)
	}
	want := &vsa.Summary{
		Verifier:       vsa.Verifier{ID: "https://bcid.corp.google.com/verifier/bcid_package_enforcer/v0.1"},
		TimeVerified:   time.Date(2024, 6, 12, 7, 24, 34, 351608000, time.UTC),
		ResourceURI:    "gce_image://gke-node-images:gke-12615-gke1418000-cos-101-17162-463-29-c-cgpv1-pre",
		Policy:         attest.ResourceDescriptor{URI: "googlefile:/google_src/files/642513192/depot/google3/production/security/bcid/software/gce_image/gke/vm_images.sw_policy.textproto"},
		Result:         vsa.Passed,
		VerifiedLevels: []string{"BCID_L1", "SLSA_BUILD_LEVEL_2"},
	}
	if !reflect.DeepEqual(s, want) {
		t.Fatalf("summary\n got %#v\nwant %#v", s, want)
	}
	if s.PolicyRevision() != "" {
		t.Fatalf("PolicyRevision = %q, want none (the BCID policy has no digest)", s.PolicyRevision())
	}
}

func TestSpecExample(t *testing.T) {
	t.Parallel()
	st, err := attest.ParseStatement(readFixture(t, "slsa-spec-example.json"))
	if err != nil {
		t.Fatal(err)
	}
	s, err := vsa.FromStatement(st)
	if err != nil {
		t.Fatal(err)
	}
	if s.Result != vsa.Passed || len(s.InputAttestations) != 1 || s.DependencyLevels["SLSA_BUILD_LEVEL_2"] != 7 || s.SLSAVersion != "1.0" {
		t.Fatalf("summary %+v", s)
	}
	if got := s.PolicyRevision(); got != "sha256:1234"+strings.Repeat("0", 60) {
		t.Fatalf("PolicyRevision = %q", got)
	}
	// Writing the summary and reading it back gives the same summary.
	raw, err := vsa.Predicate(*s).PredicateJSON()
	if err != nil {
		t.Fatal(err)
	}
	back, err := vsa.ParsePredicate(raw)
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(back, s) {
		t.Fatalf("round trip\n got %#v\nwant %#v", back, s)
	}
}

// predicateWith is the spec example's predicate with edit applied to its
// decoded form (nil deletes a member).
func predicateWith(t *testing.T, edit map[string]any) []byte {
	t.Helper()
	var st struct {
		Predicate map[string]any `json:"predicate"`
	}
	if err := json.Unmarshal(readFixture(t, "slsa-spec-example.json"), &st); err != nil {
		t.Fatal(err)
	}
	for k, v := range edit {
		if v == nil {
			delete(st.Predicate, k)
		} else {
			st.Predicate[k] = v
		}
	}
	b, err := json.Marshal(st.Predicate)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func TestParsePredicateRefuses(t *testing.T) {
	t.Parallel()
	verifier := map[string]any{"id": "https://v.example"}
	tests := []struct {
		name  string
		edit  map[string]any
		raw   string // used instead of edit when set
		want  error
		field string
	}{
		{name: "no verifier", edit: map[string]any{"verifier": nil}, want: vsa.ErrMissingField, field: "verifier.id"},
		{name: "verifier id not a URI", edit: map[string]any{"verifier": map[string]any{"id": "bcid"}}, want: vsa.ErrBadValue, field: "verifier.id"},
		{name: "verifier unknown member", edit: map[string]any{"verifier": map[string]any{"id": "https://v.example", "trust": "me"}}, want: vsa.ErrUnknownField, field: "verifier.trust"},
		{name: "no time", edit: map[string]any{"timeVerified": nil}, want: vsa.ErrMissingField, field: "timeVerified"},
		{name: "time not RFC 3339", edit: map[string]any{"timeVerified": "12/04/1985"}, want: vsa.ErrBadValue, field: "timeVerified"},
		{name: "time a number", edit: map[string]any{"timeVerified": 482196050}, want: vsa.ErrMalformed, field: "timeVerified"},
		{name: "no resource", edit: map[string]any{"resourceUri": nil}, want: vsa.ErrMissingField, field: "resourceUri"},
		{name: "no policy", edit: map[string]any{"policy": nil}, want: vsa.ErrMissingField, field: "policy.uri"},
		{name: "policy without uri", edit: map[string]any{"policy": map[string]any{"digest": map[string]any{"sha256": strings.Repeat("1", 64)}}}, want: vsa.ErrMissingField, field: "policy.uri"},
		{name: "policy bad digest", edit: map[string]any{"policy": map[string]any{"uri": "https://p", "digest": map[string]any{"sha256": "XYZ"}}}, want: attest.ErrInvalidDigest, field: "policy"},
		{name: "input without digest", edit: map[string]any{"inputAttestations": []any{map[string]any{"uri": "https://a"}}}, want: vsa.ErrMissingField, field: "inputAttestations[0].digest"},
		{name: "inputs not a list", edit: map[string]any{"inputAttestations": "all of them"}, want: vsa.ErrMalformed, field: "inputAttestations"},
		{name: "no result", edit: map[string]any{"verificationResult": nil}, want: vsa.ErrMissingField, field: "verificationResult"},
		{name: "result lower case", edit: map[string]any{"verificationResult": "passed"}, want: vsa.ErrBadValue, field: "verificationResult"},
		{name: "result boolean", edit: map[string]any{"verificationResult": true}, want: vsa.ErrMalformed, field: "verificationResult"},
		{name: "no levels", edit: map[string]any{"verifiedLevels": nil}, want: vsa.ErrMissingField, field: "verifiedLevels"},
		{name: "two build levels", edit: map[string]any{"verifiedLevels": []any{"SLSA_BUILD_LEVEL_3", "SLSA_BUILD_LEVEL_1"}}, want: vsa.ErrBadValue, field: "verifiedLevels[1]"},
		{name: "SLSA_ custom value", edit: map[string]any{"verifiedLevels": []any{"SLSA_GOLD"}}, want: vsa.ErrBadValue, field: "verifiedLevels[0]"},
		{name: "FAILED with PASSED", edit: map[string]any{"verifiedLevels": []any{"FAILED"}}, want: vsa.ErrBadValue, field: "verifiedLevels"},
		{name: "FAILED beside a level", edit: map[string]any{"verificationResult": "FAILED", "verifiedLevels": []any{"FAILED", "SLSA_BUILD_LEVEL_1"}}, want: vsa.ErrBadValue, field: "verifiedLevels"},
		{name: "empty level", edit: map[string]any{"verifiedLevels": []any{""}}, want: vsa.ErrBadValue, field: "verifiedLevels[0]"},
		{name: "negative count", edit: map[string]any{"dependencyLevels": map[string]any{"SLSA_BUILD_LEVEL_1": -1}}, want: vsa.ErrBadValue, field: "dependencyLevels.SLSA_BUILD_LEVEL_1"},
		{name: "fractional count", edit: map[string]any{"dependencyLevels": map[string]any{"SLSA_BUILD_LEVEL_1": 1.5}}, want: vsa.ErrBadValue, field: "dependencyLevels.SLSA_BUILD_LEVEL_1"},
		{name: "count as string", edit: map[string]any{"dependencyLevels": map[string]any{"SLSA_BUILD_LEVEL_1": "1"}}, want: vsa.ErrBadValue, field: "dependencyLevels.SLSA_BUILD_LEVEL_1"},
		{name: "slsa version 2", edit: map[string]any{"slsaVersion": "2.0"}, want: vsa.ErrBadValue, field: "slsaVersion"},
		{name: "unknown member", edit: map[string]any{"verifier": verifier, "scope": "staging only"}, want: vsa.ErrUnknownField, field: "predicate.scope"},
		{name: "v0.2 member name", edit: map[string]any{"resource_uri": "https://x"}, want: vsa.ErrUnknownField, field: "predicate.resource_uri"},
		{name: "member in another case", raw: `{"Verifier":{"id":"https://v"},"verifier":{"id":"https://w"}}`, want: vsa.ErrMalformed, field: "predicate"},
		{name: "repeated member", raw: `{"verificationResult":"FAILED","verificationResult":"PASSED"}`, want: vsa.ErrMalformed, field: "predicate"},
		{name: "not an object", raw: `["PASSED"]`, want: vsa.ErrMalformed, field: "predicate"},
		{name: "trailing data", raw: `{} {}`, want: vsa.ErrMalformed, field: "predicate"},
		{name: "invalid UTF-8", raw: "{\"resourceUri\":\"\xff\"}", want: vsa.ErrMalformed, field: "predicate"},
		{name: "too large", raw: `{"x":"` + strings.Repeat("a", vsa.MaxSize) + `"}`, want: vsa.ErrTooLarge, field: "predicate"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			b := []byte(tt.raw)
			if tt.raw == "" {
				b = predicateWith(t, tt.edit)
			}
			_, err := vsa.ParsePredicate(b)
			var fe *vsa.FieldError
			if !errors.Is(err, tt.want) || !errors.Is(err, vsa.ErrInvalid) || !errors.Is(err, attest.ErrInvalidPredicate) || !errors.As(err, &fe) {
				t.Fatalf("ParsePredicate: %v; want a *FieldError wrapping %v", err, tt.want)
			}
			if fe.Field != tt.field {
				t.Fatalf("field %q, want %q (%v)", fe.Field, tt.field, err)
			}
		})
	}
}

func TestParsePredicateAccepts(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		edit map[string]any
	}{
		{"URI-named extension", map[string]any{"https://example.com/ext": map[string]any{"anything": 1}}},
		{"FAILED result", map[string]any{"verificationResult": "FAILED", "verifiedLevels": []any{"FAILED"}}},
		{"custom levels", map[string]any{"verifiedLevels": []any{"BCID_L1", "SLSA_BUILD_LEVEL_2", "SLSA_SOURCE_LEVEL_3"}}},
		{"no levels verified", map[string]any{"verifiedLevels": []any{}}},
		{"only required members", map[string]any{"inputAttestations": nil, "dependencyLevels": nil, "slsaVersion": nil}},
		{"time with offset", map[string]any{"timeVerified": "1985-04-13T01:20:50.52+02:00"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			s, err := vsa.ParsePredicate(predicateWith(t, tt.edit))
			if err != nil {
				t.Fatal(err)
			}
			if s.TimeVerified.Location() != time.UTC {
				t.Fatalf("time %v not in UTC", s.TimeVerified)
			}
		})
	}
}

func TestFromStatementRefusesOtherTypes(t *testing.T) {
	t.Parallel()
	st, err := attest.NewStatement([]attest.ResourceDescriptor{{Name: "a", Digest: attest.DigestSet{"sha256": strings.Repeat("a", 64)}}},
		attest.Custom("https://slsa.dev/verification_summary/v0.2", predicateWith(t, nil)))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := vsa.FromStatement(st); !errors.Is(err, vsa.ErrPredicateType) {
		t.Fatalf("FromStatement(v0.2) = %v, want ErrPredicateType", err)
	}
	if _, err := vsa.FromStatement(nil); !errors.Is(err, vsa.ErrInvalid) {
		t.Fatalf("FromStatement(nil) = %v", err)
	}
}

func TestPredicateValidatesAndCopies(t *testing.T) {
	t.Parallel()
	good := vsa.Summary{
		Verifier:       vsa.Verifier{ID: "https://gate.example/ztci"},
		TimeVerified:   time.Date(2026, 1, 2, 3, 4, 5, 0, time.FixedZone("X", 3600)),
		ResourceURI:    "pkg:oci/app@sha256%3Aabc?repository_url=registry.example/app",
		Policy:         attest.ResourceDescriptor{URI: "https://policy.example/deploy", Annotations: map[string]any{vsa.AnnotationPolicyRevision: "rev-7"}},
		Result:         vsa.Passed,
		VerifiedLevels: []string{"SLSA_BUILD_LEVEL_3"},
	}
	p := vsa.Predicate(good)
	good.VerifiedLevels[0] = "SLSA_GOLD" // the predicate holds its own copy
	raw, err := p.PredicateJSON()
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(raw), `"timeVerified":"2026-01-02T02:04:05Z"`) || !strings.Contains(string(raw), `"SLSA_BUILD_LEVEL_3"`) {
		t.Fatalf("predicate %s", raw)
	}
	s, err := vsa.ParsePredicate(raw)
	if err != nil || s.PolicyRevision() != "rev-7" {
		t.Fatalf("ParsePredicate = %+v, %v", s, err)
	}
	bad := good
	bad.VerifiedLevels = nil
	if _, err := vsa.Predicate(bad).PredicateJSON(); !errors.Is(err, vsa.ErrMissingField) {
		t.Fatalf("no levels: %v", err)
	}
	bad = good
	bad.VerifiedLevels = []string{"SLSA_BUILD_LEVEL_1"}
	bad.InputAttestations = []attest.ResourceDescriptor{{URI: "https://a"}}
	if _, err := vsa.Predicate(bad).PredicateJSON(); !errors.Is(err, vsa.ErrMissingField) {
		t.Fatalf("input without digest: %v", err)
	}
}
