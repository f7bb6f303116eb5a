package main

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"testing"
	"time"

	"github.com/ztci/ztci/internal/itest"
)

// TestRealRegistry runs the flow against a real distribution registry
// (Debian docker-registry 2.8.2, which has no referrers API): the runner's
// --registry flag. Attestations go through the referrers tag schema and the
// gate decides the same way.
func TestRealRegistry(t *testing.T) {
	t.Parallel()
	bin := itest.Binary(t, "ZTCI_DOCKER_REGISTRY")
	dir := t.TempDir()
	addr := itest.Addr(itest.FreePort(t))
	cfg := filepath.Join(dir, "config.yml")
	conf := fmt.Sprintf("version: 0.1\nlog:\n  level: error\nstorage:\n  filesystem:\n    rootdirectory: %s\n  delete:\n    enabled: true\nhttp:\n  addr: %s\n",
		filepath.Join(dir, "storage"), addr)
	if err := os.WriteFile(cfg, []byte(conf), 0o600); err != nil {
		t.Fatal(err)
	}
	p := itest.Start(t, exec.Command(bin, "serve", cfg))
	p.WaitHTTP(t, "http://"+addr+"/v2/", 10*time.Second)

	sum, err := Run(t.Context(), Config{Dir: t.TempDir(), SecretValue: canary,
		Services: Services{Registry: addr + "/acme/app"}})
	if err != nil {
		t.Fatal(err)
	}
	if !sum.Jobs[0].Gate.Allowed {
		t.Errorf("release job on a real registry: %+v", sum.Jobs[0].Gate)
	}
	if rules := sum.Jobs[1].Gate.Rules(); !slices.Contains(rules, "deploy.unprotected_ref") {
		t.Errorf("tampered job: %v", rules)
	}
	if rules := sum.ImageCheck.Response.Rules(); !slices.Contains(rules, "deploy.unverified") {
		t.Errorf("modified image: %v", rules)
	}
	if sum.Services["registry"] != addr+"/acme/app" {
		t.Errorf("services: %v", sum.Services)
	}
}
