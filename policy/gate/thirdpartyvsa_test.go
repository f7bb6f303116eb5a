package gate_test

import (
	"bytes"
	"context"
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"encoding/pem"
	"errors"
	"os"
	"testing"
	"testing/fstest"
	"time"

	"github.com/ztci/ztci/attest/vsa"
	"github.com/ztci/ztci/policy"
	"github.com/ztci/ztci/policy/gate"
)

// The real third-party VSA slsa-verifier tests with (Google's BCID
// verifier, a GKE node image), kept with its NOTICE in attest/vsa/testdata.
const (
	bcidEnvelope = "../../attest/vsa/testdata/slsa-verifier-gce-vsa.intoto.jsonl"
	bcidKeyPEM   = "../../attest/vsa/testdata/slsa-verifier-gce-vsa-key.pem"
	bcidVerifier = "https://bcid.corp.google.com/verifier/bcid_package_enforcer/v0.1"
	bcidKeyID    = "keystore://76574:prod:vsa_signing_public_key"
)

var bcidTime = time.Date(2024, 6, 12, 7, 24, 34, 351608000, time.UTC)

// bcidArtifact is the GKE node image as a gate names it.
var bcidArtifact = policy.Artifact{Name: "gke-12615-gke1418000-cos-101-17162-463-29-c-cgpv1-pre", Digest: "gce_image_id:8970095005306000053", Verified: true}

func readFile(t testing.TB, path string) []byte {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func bcidKey(t testing.TB) crypto.PublicKey {
	t.Helper()
	blk, _ := pem.Decode(readFile(t, bcidKeyPEM))
	k, err := x509.ParsePKIXPublicKey(blk.Bytes)
	if err != nil {
		t.Fatal(err)
	}
	return k
}

func bcidTrust(t testing.TB) gate.ThirdPartyVSATrust {
	return gate.ThirdPartyVSATrust{
		VerifierID:     bcidVerifier,
		Key:            bcidKey(t),
		KeyID:          bcidKeyID,
		ResourceURI:    func(name, _ string) string { return "gce_image://gke-node-images:" + name },
		VerifiedLevels: []string{"SLSA_BUILD_LEVEL_1"},
		MaxAge:         24 * time.Hour,
	}
}

func TestThirdPartyVSAsCheck(t *testing.T) {
	t.Parallel()
	rotated, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	old := bcidTrust(t)
	old.Key, old.KeyID = &rotated.PublicKey, ""
	tp, err := gate.NewThirdPartyVSAs(old, bcidTrust(t)) // the second pin of the verifier verifies it
	if err != nil {
		t.Fatal(err)
	}
	env := readFile(t, bcidEnvelope)
	atts, report, err := tp.Check(t.Context(), bcidTime.Add(time.Hour), bcidArtifact, [][]byte{env})
	if err != nil {
		t.Fatal(err)
	}
	if len(atts) != 1 || len(report) != 1 || report[0].Err != nil || !report[0].Verified {
		t.Fatalf("atts %+v, report %+v", atts, report)
	}
	if r := report[0]; r.Signer != bcidVerifier+" (key "+bcidKeyID+")" || r.PredicateType != vsa.PredicateType {
		t.Errorf("report = %+v", r)
	}
	a := atts[0]
	p := a.Predicate
	verifier, _ := p["verifier"].(map[string]any)
	if a.PredicateType != vsa.PredicateType || verifier["id"] != bcidVerifier || p["resourceUri"] != "gce_image://gke-node-images:"+bcidArtifact.Name ||
		p["timeVerified"] != "2024-06-12T07:24:34.351608Z" || p["verificationResult"] != "PASSED" || a.Signer != (policy.Signer{}) {
		t.Errorf("attestation = %+v", a)
	}
	if levels, _ := p["verifiedLevels"].([]any); len(levels) != 2 || levels[1] != "SLSA_BUILD_LEVEL_2" {
		t.Errorf("verifiedLevels = %v", p["verifiedLevels"])
	}
}

// TestThirdPartyVSAsRejects: an envelope that does not verify under the
// pins for this artifact is reported with its reason and never reaches
// policy.
func TestThirdPartyVSAsRejects(t *testing.T) {
	t.Parallel()
	env := readFile(t, bcidEnvelope)
	tests := []struct {
		name  string
		trust func(tr *gate.ThirdPartyVSATrust)
		art   policy.Artifact
		now   time.Time
		env   []byte
		want  error
	}{
		{name: "untrusted verifier", trust: func(tr *gate.ThirdPartyVSATrust) { tr.VerifierID = "https://other.example/verifier" }, want: gate.ErrThirdPartyVSAUntrusted},
		{name: "stale", now: bcidTime.Add(25 * time.Hour), want: vsa.ErrStale},
		{name: "other artifact", art: policy.Artifact{Name: bcidArtifact.Name, Digest: "gce_image_id:1"}, want: vsa.ErrSubjectMismatch},
		{name: "other resource", art: policy.Artifact{Name: "other-image", Digest: bcidArtifact.Digest}, want: vsa.ErrResourceMismatch},
		{name: "level floor", trust: func(tr *gate.ThirdPartyVSATrust) { tr.VerifiedLevels = []string{"SLSA_BUILD_LEVEL_3"} }, want: vsa.ErrLevels},
		{name: "key id", trust: func(tr *gate.ThirdPartyVSATrust) { tr.KeyID = "keystore://76574:prod:another" }, want: vsa.ErrKeyID},
		{name: "tampered", env: bytes.Replace(env, []byte(`"payload":"eyJf`), []byte(`"payload":"eyJF`), 1), want: vsa.ErrSignature},
		{name: "not an envelope", env: []byte(`{}`), want: gate.ErrThirdPartyVSAUntrusted},
		{name: "no digest algorithm", art: policy.Artifact{Name: bcidArtifact.Name, Digest: "8970095005306000053"}, want: gate.ErrThirdPartyVSA},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			tr := bcidTrust(t)
			if tt.trust != nil {
				tt.trust(&tr)
			}
			tp, err := gate.NewThirdPartyVSAs(tr)
			if err != nil {
				t.Fatal(err)
			}
			art, now, e := bcidArtifact, bcidTime.Add(time.Hour), env
			if tt.art.Digest != "" {
				art = tt.art
			}
			if !tt.now.IsZero() {
				now = tt.now
			}
			if tt.env != nil {
				e = tt.env
			}
			atts, report, err := tp.Check(t.Context(), now, art, [][]byte{e})
			if err != nil {
				t.Fatal(err)
			}
			if len(atts) != 0 || len(report) != 1 || report[0].Verified || report[0].Error == "" {
				t.Fatalf("atts %+v, report %+v", atts, report)
			}
			if err := report[0].Err; !errors.Is(err, tt.want) || !errors.Is(err, gate.ErrThirdPartyVSA) {
				t.Fatalf("err = %v, want %v", err, tt.want)
			}
			// The caller is told the category only: the error may carry
			// what the envelope or the verifier's dependencies wrote.
			if report[0].Error != tt.want.Error() {
				t.Errorf("report says %q, want %q", report[0].Error, tt.want)
			}
		})
	}
}

func TestThirdPartyVSAsLimit(t *testing.T) {
	t.Parallel()
	tp, err := gate.NewThirdPartyVSAs(bcidTrust(t))
	if err != nil {
		t.Fatal(err)
	}
	envs := make([][]byte, gate.MaxThirdPartyVSAs+1)
	for i := range envs {
		envs[i] = readFile(t, bcidEnvelope)
	}
	atts, report, err := tp.Check(t.Context(), bcidTime, bcidArtifact, envs)
	if err != nil || len(atts) != gate.MaxThirdPartyVSAs || len(report) != len(envs) ||
		!errors.Is(report[gate.MaxThirdPartyVSAs].Err, gate.ErrThirdPartyVSALimit) {
		t.Fatalf("%d attestations, report %+v, err %v", len(atts), report[len(report)-1], err)
	}
	ctx, cancel := context.WithCancel(t.Context())
	cancel()
	if _, _, err := tp.Check(ctx, bcidTime, bcidArtifact, envs); !errors.Is(err, context.Canceled) {
		t.Fatalf("cancelled: err = %v", err)
	}
}

func TestNewThirdPartyVSAsConfig(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct {
		name  string
		trust func(tr *gate.ThirdPartyVSATrust)
	}{
		{"no verifier id", func(tr *gate.ThirdPartyVSATrust) { tr.VerifierID = "" }},
		{"no key", func(tr *gate.ThirdPartyVSATrust) { tr.Key = nil }},
		{"bad hash", func(tr *gate.ThirdPartyVSATrust) { tr.Hash = crypto.MD5 }},
		{"no resource URI", func(tr *gate.ThirdPartyVSATrust) { tr.ResourceURI = nil }},
		{"no max age", func(tr *gate.ThirdPartyVSATrust) { tr.MaxAge = 0 }},
		{"bad level", func(tr *gate.ThirdPartyVSATrust) { tr.VerifiedLevels = []string{"SLSA_BUILD"} }},
	} {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			tr := bcidTrust(t)
			tt.trust(&tr)
			if _, err := gate.NewThirdPartyVSAs(tr); !errors.Is(err, gate.ErrConfig) {
				t.Fatalf("err = %v, want ErrConfig", err)
			}
		})
	}
	if _, err := gate.NewThirdPartyVSAs(); !errors.Is(err, gate.ErrConfig) {
		t.Fatalf("no pins: err = %v, want ErrConfig", err)
	}
}

// TestThirdPartyVSAPolicy: a deploy rule requires a BCID summary at build
// level 2; the verified summary satisfies it, a stale one does not.
func TestThirdPartyVSAPolicy(t *testing.T) {
	t.Parallel()
	eval, err := policy.New(t.Context(), policy.FS(fstest.MapFS{"acme/deploy.rego": {Data: []byte(`package acme.deploy

violations contains {"rule": "acme.bcid_vsa_missing", "message": "no BCID verification summary at SLSA build level 2"} if {
	not bcid_vsa
}

bcid_vsa if {
	some a in input.artifacts[0].attestations
	a.predicate_type == "https://slsa.dev/verification_summary/v1"
	a.predicate.verifier.id == "` + bcidVerifier + `"
	"SLSA_BUILD_LEVEL_2" in a.predicate.verifiedLevels
}

decision := {"allow": count(violations) == 0, "violations": violations}`)}}), policy.WithQuery("data.acme.deploy.decision"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { eval.Close() })
	tp, err := gate.NewThirdPartyVSAs(bcidTrust(t))
	if err != nil {
		t.Fatal(err)
	}
	for _, tt := range []struct {
		name  string
		now   time.Time
		allow bool
	}{
		{"fresh", bcidTime.Add(time.Hour), true},
		{"stale", bcidTime.Add(48 * time.Hour), false},
	} {
		t.Run(tt.name, func(t *testing.T) {
			atts, _, err := tp.Check(t.Context(), tt.now, bcidArtifact, [][]byte{readFile(t, bcidEnvelope)})
			if err != nil {
				t.Fatal(err)
			}
			art := bcidArtifact
			art.Attestations = atts
			d, err := eval.Evaluate(t.Context(), policy.Input{Action: policy.ActionDeploy, Artifacts: []policy.Artifact{art}})
			if err != nil {
				t.Fatal(err)
			}
			if d.Allowed != tt.allow || (!tt.allow && (len(d.Violations) != 1 || d.Violations[0].Rule != "acme.bcid_vsa_missing")) {
				t.Fatalf("decision = %+v, want allow=%v", d, tt.allow)
			}
		})
	}
}

// FuzzThirdPartyVSAsCheck: whatever the envelope, Check rejects it with
// ErrThirdPartyVSA or admits the BCID summary Google's key signed.
func FuzzThirdPartyVSAsCheck(f *testing.F) {
	env := readFile(f, bcidEnvelope)
	f.Add(env)
	f.Add(bytes.Replace(env, []byte(`"payload"`), []byte(`"payload":"e30=","payload"`), 1))
	f.Add([]byte(`{"payload":"eyJwcmVkaWNhdGUiOnsidmVyaWZpZXIiOnsiaWQiOiJodHRwczovL2JjaWQuY29ycC5nb29nbGUuY29tL3ZlcmlmaWVyL2JjaWRfcGFja2FnZV9lbmZvcmNlci92MC4xIn19fQ=="}`))
	tp, err := gate.NewThirdPartyVSAs(bcidTrust(f))
	if err != nil {
		f.Fatal(err)
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		atts, report, err := tp.Check(t.Context(), bcidTime, bcidArtifact, [][]byte{b})
		if err != nil || len(report) != 1 {
			t.Fatalf("report %+v, err %v", report, err)
		}
		if len(atts) == 0 {
			if !errors.Is(report[0].Err, gate.ErrThirdPartyVSA) {
				t.Fatalf("rejection outside ErrThirdPartyVSA: %v", report[0].Err)
			}
			return
		}
		if v, _ := atts[0].Predicate["verifier"].(map[string]any); v["id"] != bcidVerifier || atts[0].Predicate["timeVerified"] != "2024-06-12T07:24:34.351608Z" {
			t.Fatalf("admitted a summary the key never signed: %v", atts[0].Predicate)
		}
	})
}
