// Package depcheck holds the test that keeps each ztci package paying only for
// its own job (STYLE.md rule 3): a vendor who imports identity must not link
// OPA, sigstore-go or go-containerregistry, and so on.
package depcheck

import (
	"os/exec"
	"slices"
	"strings"
	"testing"
)

// Heavy dependencies, by module path prefix.
const (
	opa        = "github.com/open-policy-agent/opa"
	sigstoreGo = "github.com/sigstore/sigstore-go"
	ggcr       = "github.com/google/go-containerregistry"
	nats       = "github.com/nats-io"
	pgx        = "github.com/jackc/pgx"
	vault      = "github.com/hashicorp/vault"
	prometheus = "github.com/prometheus"
)

// sigstoreGoLinks is the one piece of go-containerregistry that sigstore-go
// itself links (pkg/sign and pkg/verify → sigstore/pkg/signature/payload →
// ggcr/pkg/name, an image-reference parser with no further ggcr imports), so
// attest and verify cannot avoid it. The rest of ggcr stays forbidden.
const sigstoreGoLinks = ggcr + "/pkg/name"

// allowed lists exact packages exempt from a package's forbidden prefixes.
var allowed = map[string][]string{
	"github.com/ztci/ztci/attest": {sigstoreGoLinks},
	"github.com/ztci/ztci/verify": {sigstoreGoLinks},
}

// backends are linked only by the subpackages named after them.
var backends = []string{nats, pgx, vault}

// forbidden maps a package (exact import path) to the dependencies it must not
// link. Subpackages are listed separately: a backend subpackage such as
// secrets/vault may link what its parent must not.
var forbidden = map[string][]string{
	"github.com/ztci/ztci/audit":    append([]string{opa, sigstoreGo, ggcr, prometheus}, backends...),
	"github.com/ztci/ztci/identity": append([]string{opa, sigstoreGo, ggcr, prometheus}, backends...),
	"github.com/ztci/ztci/secrets":  append([]string{opa, sigstoreGo, ggcr, prometheus}, backends...),
	"github.com/ztci/ztci/policy":   append([]string{sigstoreGo, ggcr}, backends...),
	"github.com/ztci/ztci/attest":   append([]string{opa, ggcr}, backends...),
	"github.com/ztci/ztci/verify":   append([]string{opa, ggcr}, backends...),
	"github.com/ztci/ztci/registry": append([]string{opa}, backends...),
}

func TestDependencies(t *testing.T) {
	for pkg, bad := range forbidden {
		t.Run(pkg, func(t *testing.T) {
			t.Parallel()
			out, err := exec.CommandContext(t.Context(), "go", "list", "-deps", pkg).CombinedOutput()
			if err != nil {
				if strings.Contains(string(out), "no Go files") || strings.Contains(string(out), "cannot find") ||
					strings.Contains(string(out), "is not in std") || strings.Contains(string(out), "no required module") {
					t.Skipf("%s does not exist yet", pkg)
				}
				t.Fatalf("go list -deps %s: %v\n%s", pkg, err, out)
			}
			for dep := range strings.SplitSeq(string(out), "\n") {
				if slices.Contains(allowed[pkg], dep) {
					continue
				}
				for _, b := range bad {
					if dep == b || strings.HasPrefix(dep, b+"/") {
						t.Errorf("%s links %s (forbidden: %s)", pkg, dep, b)
					}
				}
			}
		})
	}
}
