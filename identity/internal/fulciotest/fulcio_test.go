package fulciotest

import (
	"bytes"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/asn1"
	"encoding/json"
	"encoding/pem"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"testing"
	"time"

	"github.com/ztci/ztci/identity"
	"github.com/ztci/ztci/identity/oidc"
	"github.com/ztci/ztci/internal/itest"
)

// fulcioConfig makes Fulcio trust issuer as a "ci-provider": its
// ci-issuer-metadata templates map our GitHub-compatible claim names onto
// Fulcio's certificate extensions, as Fulcio's own config does for GitHub.
func fulcioConfig(issuer string) string {
	return fmt.Sprintf(`oidc-issuers:
  %[1]q:
    issuer-url: %[1]q
    client-id: sigstore
    type: ci-provider
    ci-provider: ztci-job
ci-issuer-metadata:
  ztci-job:
    default-template-values:
      url: "https://git.example.com"
      environment: ""
    extension-templates:
      github-workflow-trigger: "event_name"
      github-workflow-sha: "sha"
      github-workflow-name: "workflow"
      github-workflow-repository: "repository"
      github-workflow-ref: "ref"
      build-signer-uri: "{{ .url }}/{{ .job_workflow_ref }}"
      runner-environment: "runner_environment"
      source-repository-uri: "{{ .url }}/{{ .repository }}"
      source-repository-digest: "sha"
      source-repository-ref: "ref"
      build-config-uri: "{{ .url }}/{{ .workflow_ref }}"
      build-trigger: "event_name"
      run-invocation-uri: "{{ .url }}/{{ .repository }}/runs/{{ .run_id }}/attempts/{{ .run_attempt }}"
      deployment-environment: "environment"
    subject-alternative-name-template: "{{ .url }}/{{ .job_workflow_ref }}"
`, issuer)
}

// Fulcio extension OIDs (https://github.com/sigstore/fulcio/blob/main/docs/oid-info.md).
var (
	oidIssuerV2          = asn1.ObjectIdentifier{1, 3, 6, 1, 4, 1, 57264, 1, 8}
	oidBuildSignerURI    = asn1.ObjectIdentifier{1, 3, 6, 1, 4, 1, 57264, 1, 9}
	oidRunnerEnvironment = asn1.ObjectIdentifier{1, 3, 6, 1, 4, 1, 57264, 1, 11}
	oidSourceRepoURI     = asn1.ObjectIdentifier{1, 3, 6, 1, 4, 1, 57264, 1, 12}
	oidSourceRepoDigest  = asn1.ObjectIdentifier{1, 3, 6, 1, 4, 1, 57264, 1, 13}
	oidSourceRepoRef     = asn1.ObjectIdentifier{1, 3, 6, 1, 4, 1, 57264, 1, 14}
	oidBuildTrigger      = asn1.ObjectIdentifier{1, 3, 6, 1, 4, 1, 57264, 1, 20}
	oidRunInvocationURI  = asn1.ObjectIdentifier{1, 3, 6, 1, 4, 1, 57264, 1, 21}
	oidDeploymentEnv     = asn1.ObjectIdentifier{1, 3, 6, 1, 4, 1, 57264, 1, 23}
)

func TestRealFulcioTrustsOurIssuer(t *testing.T) {
	bin := itest.Binary(t, "ZTCI_FULCIO")

	// Our issuer, served on 127.0.0.1.
	srv := httptest.NewServer(nil)
	defer srv.Close()
	iss, err := oidc.NewIssuer(srv.URL)
	if err != nil {
		t.Fatal(err)
	}
	srv.Config.Handler = iss.Handler()

	dir := t.TempDir()
	cfg := filepath.Join(dir, "config.yaml")
	if err := os.WriteFile(cfg, []byte(fulcioConfig(srv.URL)), 0o600); err != nil {
		t.Fatal(err)
	}
	sockDir, err := os.MkdirTemp("", "fulcio") // short path for the unix socket
	if err != nil {
		t.Fatal(err)
	}
	defer os.RemoveAll(sockDir)
	port, grpcPort, metricsPort := itest.FreePort(t), itest.FreePort(t), itest.FreePort(t)
	cmd := exec.CommandContext(t.Context(), bin, "serve",
		"--ca=ephemeralca", "--ct-log-url=", "--config-path="+cfg,
		"--host=127.0.0.1", "--port="+strconv.Itoa(port),
		"--grpc-host=127.0.0.1", "--grpc-port="+strconv.Itoa(grpcPort),
		"--metrics-port="+strconv.Itoa(metricsPort),
		"--legacy-unix-domain-socket="+filepath.Join(sockDir, "legacy.sock"))
	cmd.Dir = dir
	p := itest.Start(t, cmd)
	base := "http://" + itest.Addr(port)
	p.WaitHTTP(t, base+"/api/v2/configuration", 30*time.Second)

	job := oidc.Job{Claims: identity.Claims{
		Platform: "ztci", Repository: "octo-org/app", Ref: "refs/heads/main", RefProtected: true,
		Commit: "0123456789abcdef0123456789abcdef01234567", Workflow: "release",
		WorkflowRef: "octo-org/app/.ztci/release.yml@refs/heads/main", Job: "sign", RunID: "4242",
		RunAttempt: "1", Event: "push", Actor: "octocat", Runner: "hosted", Environment: "production",
	}}
	tok, err := iss.Mint(t.Context(), job, "sigstore")
	if err != nil {
		t.Fatal(err)
	}

	// Proof of possession: a stdlib PKCS#10 CSR signed by the new key.
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	csrDER, err := x509.CreateCertificateRequest(rand.Reader, &x509.CertificateRequest{Subject: pkix.Name{CommonName: "ztci"}}, key)
	if err != nil {
		t.Fatal(err)
	}
	body, _ := json.Marshal(map[string]any{
		"credentials":               map[string]string{"oidcIdentityToken": tok.Reveal()},
		"certificateSigningRequest": pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE REQUEST", Bytes: csrDER}),
	})
	req, _ := http.NewRequestWithContext(t.Context(), http.MethodPost, base+"/api/v2/signingCert", bytes.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	respBody, _ := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	if resp.StatusCode != http.StatusOK && resp.StatusCode != http.StatusCreated {
		t.Fatalf("Fulcio: %s: %s\n%s", resp.Status, respBody, p.Output())
	}
	var out struct {
		Detached struct {
			Chain struct {
				Certificates []string `json:"certificates"`
			} `json:"chain"`
		} `json:"signedCertificateDetachedSct"`
		Embedded struct {
			Chain struct {
				Certificates []string `json:"certificates"`
			} `json:"chain"`
		} `json:"signedCertificateEmbeddedSct"`
	}
	if err := json.Unmarshal(respBody, &out); err != nil {
		t.Fatal(err)
	}
	chain := append(out.Detached.Chain.Certificates, out.Embedded.Chain.Certificates...)
	if len(chain) == 0 {
		t.Fatalf("no certificate in %s", respBody)
	}
	blk, _ := pem.Decode([]byte(chain[0]))
	if blk == nil {
		t.Fatalf("leaf is not PEM: %q", chain[0])
	}
	leaf, err := x509.ParseCertificate(blk.Bytes)
	if err != nil {
		t.Fatal(err)
	}
	if !leaf.PublicKey.(*ecdsa.PublicKey).Equal(key.Public()) {
		t.Fatal("certificate is for another key")
	}
	wantSAN := "https://git.example.com/" + job.Claims.WorkflowRef
	if len(leaf.URIs) != 1 || leaf.URIs[0].String() != wantSAN {
		t.Fatalf("SAN = %v, want %s", leaf.URIs, wantSAN)
	}
	want := map[string]string{
		oidIssuerV2.String():          srv.URL,
		oidBuildSignerURI.String():    wantSAN,
		oidRunnerEnvironment.String(): "hosted",
		oidSourceRepoURI.String():     "https://git.example.com/octo-org/app",
		oidSourceRepoDigest.String():  job.Claims.Commit,
		oidSourceRepoRef.String():     "refs/heads/main",
		oidBuildTrigger.String():      "push",
		oidRunInvocationURI.String():  "https://git.example.com/octo-org/app/runs/4242/attempts/1",
		oidDeploymentEnv.String():     "production",
	}
	got := map[string]string{}
	for _, e := range leaf.Extensions {
		var s string
		if _, err := asn1.Unmarshal(e.Value, &s); err == nil {
			got[e.Id.String()] = s
		}
	}
	for oid, w := range want {
		if got[oid] != w {
			t.Errorf("extension %s = %q, want %q", oid, got[oid], w)
		}
	}
	t.Logf("Fulcio issued %s, valid until %s, with %d extensions", leaf.URIs[0], leaf.NotAfter.Format(time.RFC3339), len(leaf.Extensions))
}
