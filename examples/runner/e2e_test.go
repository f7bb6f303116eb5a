package main

import (
	"bytes"
	"encoding/json"
	"errors"
	"log/slog"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/ztci/ztci/policy/compliance"
	"github.com/ztci/ztci/policy/compliance/compliancetest"
	"github.com/ztci/ztci/policy/gate"
)

// canary is the secret value the release job leases. It must never appear
// in any output: the progress and job log, the diagnostics, the JSON
// summary, the audit log, the lease journal.
const canary = "canary-8c1f0e9a-do-not-print-7d2b"

// TestEndToEnd runs the runner's whole flow in process (the same code as
// `go run ./examples/runner`) and checks its outcome.
func TestEndToEnd(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	var out, diag bytes.Buffer
	sum, err := Run(t.Context(), Config{
		Out:         &out,
		SecretValue: canary,
		Dir:         dir,
		Logger:      slog.New(slog.NewJSONHandler(&diag, &slog.HandlerOptions{Level: slog.LevelDebug})),
	})
	if err != nil {
		if strings.Contains(err.Error(), canary) {
			t.Error("the error reveals the secret")
		}
		t.Fatalf("Run: %v\n%s", err, out.String())
	}
	summary, err := json.Marshal(sum)
	if err != nil {
		t.Fatal(err)
	}

	t.Run("allowed job allowed", func(t *testing.T) {
		t.Parallel()
		rel := sum.Jobs[0]
		if rel.Name != "release" || rel.Gate == nil || !rel.Gate.Allowed || rel.Gate.Outcome != "allow" {
			t.Fatalf("release job: %+v", rel.Gate)
		}
		if len(rel.Secrets) != 1 || !rel.Secrets[0].Granted || rel.Secrets[0].Expires == "" {
			t.Errorf("release job secrets: %+v", rel.Secrets)
		}
		if !rel.LeasesRevoked {
			t.Error("release job's lease not revoked when it ended")
		}
		if rel.Gate.Digest != rel.Digest {
			t.Errorf("gate verified %s, job pushed %s", rel.Gate.Digest, rel.Digest)
		}
		want := []string{"https://cyclonedx.org/bom", "https://slsa.dev/provenance/v1", "https://ztci.dev/secrets-provenance/v1"}
		var got []string
		for _, a := range rel.Gate.Attestations {
			if a.Verified {
				got = append(got, a.PredicateType)
			}
		}
		slices.Sort(got)
		if !slices.Equal(got, want) {
			t.Errorf("verified attestations %v, want %v", got, want)
		}
	})

	t.Run("secrets provenance names the release job's lease", func(t *testing.T) {
		t.Parallel()
		rel, tam := sum.Jobs[0], sum.Jobs[1]
		if len(rel.Credentials) != 1 || len(rel.Secrets) != 1 {
			t.Fatalf("release job credentials %+v, secrets %+v", rel.Credentials, rel.Secrets)
		}
		c := rel.Credentials[0]
		if c.LeaseID != rel.Secrets[0].LeaseID || c.Secret != SecretName || c.Backend != "demo" || c.DecisionID == "" || c.PolicyRevision == "" {
			t.Errorf("release job's credential %+v, want its lease %s", c, rel.Secrets[0].LeaseID)
		}
		if tam.Credentials == nil || len(tam.Credentials) != 0 {
			t.Errorf("tampered job (denied its secret) states credentials %+v, want an empty list", tam.Credentials)
		}
	})

	t.Run("build with a compromised lease denied naming the lease", func(t *testing.T) {
		t.Parallel()
		chk := sum.CompromiseCheck
		if chk == nil || chk.Response == nil || chk.Response.Allowed || chk.LeaseID != sum.Jobs[0].Secrets[0].LeaseID {
			t.Fatalf("compromise check: %+v", chk)
		}
		if rules := chk.Response.Rules(); !slices.Equal(rules, []string{"deploy.credential_compromised"}) {
			t.Fatalf("denied by %v, want deploy.credential_compromised only", rules)
		}
		if v := chk.Response.Violations[0]; v.Value != chk.LeaseID || !strings.Contains(v.Message, chk.LeaseID) {
			t.Errorf("violation %+v does not name lease %s", v, chk.LeaseID)
		}
		if chk.Response.Digest != sum.Jobs[0].Digest {
			t.Errorf("asked about %s, the release build is %s", chk.Response.Digest, sum.Jobs[0].Digest)
		}
	})

	t.Run("admitted job's compliance report", func(t *testing.T) {
		t.Parallel()
		c := sum.Jobs[0].Compliance
		if c == nil {
			t.Fatal("no compliance report for the admitted job")
		}
		for _, want := range []string{"SSDF-PS.2.1", "SSDF-PS.3.2", "SLSA-BUILD-L1.provenance-exists", "SLSA-BUILD-L2.provenance-authentic", "SSDF-PO.5.1", "PCI-DSS-6.5.4"} {
			if !slices.Contains(c.Passed, want) {
				t.Errorf("control %s not passed: %+v", want, c)
			}
		}
		// The job attaches no vulnerability scan: the scan controls are
		// not assessed, not passed.
		if len(c.Failed) != 0 || slices.Contains(c.Passed, "SSDF-RV.1.1") || c.NotAssessed == 0 {
			t.Errorf("compliance %+v", c)
		}
		if sum.Jobs[1].Compliance != nil {
			t.Error("a denied job has a compliance report")
		}
		raw, err := os.ReadFile(c.OSCALPath)
		if err != nil {
			t.Fatal(err)
		}
		if err := compliancetest.ValidateOSCAL(raw); err != nil {
			t.Errorf("the OSCAL assessment results do not validate against NIST's schema: %v", err)
		}
		doc, err := compliance.ParseOSCAL(raw)
		if err != nil {
			t.Fatalf("the OSCAL assessment results do not read: %v", err)
		}
		res := doc.AssessmentResults.Results[0]
		if len(res.Observations) != 1 || len(res.Observations[0].RelevantEvidence) != 3 {
			t.Errorf("observations %+v", res.Observations)
		}
		if !strings.Contains(out.String(), "compliance (NIST SSDF, SLSA build track, PCI DSS 6): "+c.Summary) {
			t.Error("the progress does not show the compliance summary")
		}
	})

	t.Run("admission index answers where the vulnerable module is deployed", func(t *testing.T) {
		t.Parallel()
		rel := sum.Jobs[0]
		ix := rel.Index
		if ix == nil || len(ix.Admissions) != 1 {
			t.Fatalf("index answer %+v, want the one admitted build", ix)
		}
		a := ix.Admissions[0]
		if a.Digest != rel.Digest || a.DecisionID != rel.Gate.AuditID || !slices.Equal(a.Builders, []string{BuilderID}) || a.PolicyRevision == "" {
			t.Errorf("admission %+v, want digest %s and decision %s", a, rel.Digest, rel.Gate.AuditID)
		}
		if len(a.Packages) != 1 || a.Packages[0].PURL != "pkg:golang/golang.org/x/net@v0.30.0" {
			t.Errorf("matching packages %+v, want x/net v0.30.0 only", a.Packages)
		}
		if sum.Jobs[1].Index != nil {
			t.Error("a denied job has an index answer")
		}
		if !strings.Contains(out.String(), "admission index: where is "+ix.Query+" deployed? 1 admitted artifact(s)") {
			t.Error("the progress does not show the index answer")
		}
	})

	t.Run("tampered job denied for the right reason", func(t *testing.T) {
		t.Parallel()
		tam := sum.Jobs[1]
		if tam.Gate == nil || tam.Gate.Allowed || tam.Gate.Outcome != "deny" {
			t.Fatalf("tampered job: %+v", tam.Gate)
		}
		rules := tam.Gate.Rules()
		for _, want := range []string{"deploy.unprotected_ref", "deploy.source_ref_not_allowed"} {
			if !slices.Contains(rules, want) {
				t.Errorf("tampered job denied by %v, want %s among them", rules, want)
			}
		}
		// Its signature is genuine: the deny is the policy's, not a
		// verification failure.
		if !tam.Gate.Verified || slices.Contains(rules, "deploy.unverified") {
			t.Errorf("tampered job's attestations should verify: %+v", tam.Gate)
		}
		if len(tam.Secrets) != 1 || tam.Secrets[0].Granted || !strings.Contains(tam.Secrets[0].Reason, "secrets.not_granted") {
			t.Errorf("tampered job secrets: %+v", tam.Secrets)
		}
	})

	t.Run("modified image denied", func(t *testing.T) {
		t.Parallel()
		chk := sum.ImageCheck
		if chk == nil || chk.Response.Allowed {
			t.Fatalf("modified image: %+v", chk)
		}
		if rules := chk.Response.Rules(); !slices.Contains(rules, "deploy.unverified") {
			t.Errorf("modified image denied by %v, want deploy.unverified", rules)
		}
		if chk.Response.Digest == sum.Jobs[0].Digest {
			t.Error("the gate verified the old digest, not what the tag points at now")
		}
	})

	t.Run("audit log verifies", func(t *testing.T) {
		t.Parallel()
		a := sum.Audit
		if !a.Verified || !a.InclusionVerified || a.Entries == 0 || a.Checkpoints == 0 || a.VerifierKey == "" {
			t.Fatalf("audit: %+v", a)
		}
		if a.Path != filepath.Join(dir, "audit.log") {
			t.Errorf("audit log at %s, want in %s", a.Path, dir)
		}
	})

	t.Run("canary absent from every output", func(t *testing.T) {
		t.Parallel()
		outputs := map[string][]byte{"progress and job log": out.Bytes(), "diagnostics": diag.Bytes(), "JSON summary": summary}
		err := filepath.WalkDir(dir, func(path string, d os.DirEntry, err error) error {
			if err != nil || d.IsDir() {
				return err
			}
			b, err := os.ReadFile(path)
			outputs[path] = b
			return err
		})
		if err != nil {
			t.Fatal(err)
		}
		if _, ok := outputs[filepath.Join(dir, "audit.log")]; !ok {
			t.Fatal("no audit log file")
		}
		for what, b := range outputs {
			if bytes.Contains(b, []byte(canary)) {
				t.Errorf("%s contains the secret", what)
			}
		}
		// The job did print it; the redactor masked it in the streamed log.
		if !strings.Contains(out.String(), "--token=***") {
			t.Errorf("the job's masked log line is missing:\n%s", out.String())
		}
		if !sum.Audit.SecretAbsent {
			t.Error("the runner's own audit scan found the secret")
		}
	})
}

// TestServicesValidate: real-service flags that cannot work are refused
// before anything starts.
func TestServicesValidate(t *testing.T) {
	t.Setenv("VAULT_TOKEN", "broker-token-for-validation")
	tests := []struct {
		name string
		s    Services
		want error
	}{
		{name: "embedded", s: Services{}},
		{name: "vault bad kv", s: Services{Vault: "https://vault.example", VaultKV: "secret"}, want: ErrConfig},
		{name: "fulcio without trusted root", s: Services{Fulcio: "https://fulcio.example"}, want: ErrConfig},
		{name: "tsa without trusted root", s: Services{TSA: "https://tsa.example/api/v1/timestamp"}, want: ErrConfig},
		{name: "registry without repository", s: Services{Registry: "registry.example"}, want: ErrConfig},
		{name: "fulcio with trusted root", s: Services{Fulcio: "https://fulcio.example", TrustedRoot: "tr.json"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			err := tt.s.Validate()
			if (tt.want == nil) != (err == nil) || (tt.want != nil && !errors.Is(err, tt.want)) {
				t.Fatalf("Validate() = %v, want %v", err, tt.want)
			}
		})
	}
}

// TestGateTokensSingleUse: the runner's deploy gate accepts each job token
// once. Presented again, the token is refused before anything is decided,
// whatever became of its first request (here an image that is not there).
func TestGateTokensSingleUse(t *testing.T) {
	t.Parallel()
	e, err := newEnv(t.Context(), Config{Dir: t.TempDir(), SecretValue: canary, Logger: discard()})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := e.close(); err != nil {
			t.Error(err)
		}
	})
	tok, err := e.mint(t.Context(), jobClaims(releaseJob, "1", strings.Repeat("0", 40)), audienceGate)
	if err != nil {
		t.Fatal(err)
	}
	req := gate.Request{JobToken: gate.NewToken(tok.Reveal()), Image: e.repo + ":absent"}
	if _, err := e.gate.Decide(t.Context(), req); errors.Is(err, gate.ErrUnauthenticated) {
		t.Fatalf("first presentation refused: %v", err)
	}
	if _, err := e.gate.Decide(t.Context(), req); !errors.Is(err, gate.ErrUnauthenticated) {
		t.Fatalf("second presentation of the token: %v, want %v", err, gate.ErrUnauthenticated)
	}
}

// TestJobTimeoutAndTemporaryDir: a job's lease expires no later than the
// job's deadline (Config.JobTimeout), and the summary of a run in a
// temporary directory names no audit log path that is gone once Run
// returns.
func TestJobTimeoutAndTemporaryDir(t *testing.T) {
	t.Parallel()
	sum, err := Run(t.Context(), Config{SecretValue: canary, JobTimeout: time.Minute})
	if err != nil {
		t.Fatal(err)
	}
	end := time.Now() // the release job started before this
	rel := sum.Jobs[0]
	if len(rel.Secrets) != 1 || !rel.Secrets[0].Granted {
		t.Fatalf("release job secrets: %+v", rel.Secrets)
	}
	exp, err := time.Parse(time.RFC3339, rel.Secrets[0].Expires)
	if err != nil {
		t.Fatal(err)
	}
	if limit := end.Add(time.Minute).Truncate(time.Second).Add(time.Second); exp.After(limit) {
		t.Errorf("lease expires %v, after the job's deadline (%v at the latest)", exp, limit)
	}
	if p := sum.Services["audit"]; filepath.IsAbs(p) || sum.Audit.Path != "" {
		t.Errorf("services.audit %q, audit.path %q: a temporary directory is removed when Run returns", p, sum.Audit.Path)
	}
}
