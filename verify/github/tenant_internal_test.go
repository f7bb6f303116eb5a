package github

import (
	"bytes"
	"encoding/asn1"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/ztci/ztci/verify"
)

// FuzzPolicyHost: whatever Host a caller gives, a policy that compiles is
// about github.com or about exactly one lowercase ghe.com tenant, and every
// URI and issuer it derives is on that host: no other domain, path, port,
// user info or non-ASCII character gets into a URL or regexp.
func FuzzPolicyHost(f *testing.F) {
	for _, s := range []string{"", "github.com", "GitHub.com", "octo.ghe.com", "Octo.GHE.com", "a.octo.ghe.com", "octo.ghe.com.", "octo.ghe.com/x", "-a.ghe.com", "\u212a.ghe.com", "ghe.com", "x.ghe.co"} {
		f.Add(s)
	}
	valid := regexp.MustCompile(`^(github\.com|[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?\.ghe\.com)$`)
	f.Fuzz(func(t *testing.T, h string) {
		p := Policy{Host: h, Repo: "o/r"}
		c, err := p.compile()
		if err != nil {
			return
		}
		host, tenant, ok := p.host()
		if !ok || !valid.MatchString(host) || (tenant == "") != (host == defaultHost) {
			t.Fatalf("Host %q compiled to host %q tenant %q", h, host, tenant)
		}
		if c.tenant != tenant {
			t.Fatalf("compiled tenant %q, host() %q", c.tenant, tenant)
		}
		for _, fc := range c.folded {
			if !strings.HasPrefix(fc.want, "https://"+host+"/") {
				t.Fatalf("Host %q: %s wants %q", h, fc.field, fc.want)
			}
		}
		id := c.expect.Signer.(verify.Identity)
		issuer := GitHubOIDCIssuer
		if tenant != "" {
			issuer = TenantOIDCIssuer(tenant)
		}
		if id.IssuerRegexp != "(?i:"+regexp.QuoteMeta(issuer)+")" || !strings.HasPrefix(id.SANRegexp, "(?i:"+regexp.QuoteMeta("https://"+host+"/")) {
			t.Fatalf("Host %q: issuer %q SAN %q", h, id.IssuerRegexp, id.SANRegexp)
		}
	})
}

// FuzzSigningCert: signingCert reads an untrusted bundle to choose its
// instance. Whatever the bytes, it does not panic; it refuses with
// verify.ErrMalformedBundle anything but a v0.2 or v0.3 bundle whose
// signing certificate parses; and the certificate it returns is the
// first one the bundle carries, byte for byte (what verify checks next),
// with only an unhandled critical SAN cleared.
func FuzzSigningCert(f *testing.F) {
	for _, name := range []string{"sigstore-js-2.1.0-bundle.json", "custom-issuer.sigstore.json", "reusable-workflow-attestation.sigstore.json"} {
		b, err := os.ReadFile(filepath.Join("testdata", name))
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
	}
	lines, err := os.ReadFile(filepath.Join("testdata", "github_provenance_demo-0.0.12-py3-none-any-bundle.jsonl"))
	if err != nil {
		f.Fatal(err)
	}
	for l := range bytes.Lines(lines) {
		f.Add(l)
	}
	for _, s := range []string{
		`{}`,
		`{"mediaType":"application/vnd.dev.sigstore.bundle+json;version=0.1","verificationMaterial":{"certificate":{"rawBytes":"AA=="}}}`,
		`{"mediaType":"application/vnd.dev.sigstore.bundle.v0.3+json","verificationMaterial":{"certificate":{"rawBytes":"AA=="}}}`,
		`{"mediaType":"application/vnd.dev.sigstore.bundle+json;version=0.2","verificationMaterial":{"x509CertificateChain":{"certificates":[]}}}`,
		`{"mediaType":"application/vnd.dev.sigstore.bundle.v0.3+json","verificationMaterial":{"publicKey":{"hint":"x"}}}`,
		`[`,
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		c, err := signingCert(b)
		if err != nil {
			if c != nil || !errors.Is(err, verify.ErrMalformedBundle) {
				t.Fatalf("signingCert = %v, %v: want nil and ErrMalformedBundle", c, err)
			}
			return
		}
		var probe struct {
			MediaType            string `json:"mediaType"`
			VerificationMaterial struct {
				Certificate *struct {
					RawBytes []byte `json:"rawBytes"`
				} `json:"certificate"`
				X509CertificateChain *struct {
					Certificates []struct {
						RawBytes []byte `json:"rawBytes"`
					} `json:"certificates"`
				} `json:"x509CertificateChain"`
			} `json:"verificationMaterial"`
		}
		if err := json.Unmarshal(b, &probe); err != nil {
			t.Fatalf("accepted %q, which does not decode: %v", b, err)
		}
		switch probe.MediaType {
		case "application/vnd.dev.sigstore.bundle+json;version=0.2", "application/vnd.dev.sigstore.bundle.v0.3+json", "application/vnd.dev.sigstore.bundle+json;version=0.3":
		default:
			t.Fatalf("accepted media type %q", probe.MediaType)
		}
		vm := probe.VerificationMaterial
		var first []byte
		if vm.Certificate != nil {
			first = vm.Certificate.RawBytes
		} else if vm.X509CertificateChain != nil && len(vm.X509CertificateChain.Certificates) > 0 {
			first = vm.X509CertificateChain.Certificates[0].RawBytes
		}
		if !bytes.Equal(c.Raw, first) {
			t.Fatalf("returned a certificate other than the bundle's first")
		}
		if slices.ContainsFunc(c.UnhandledCriticalExtensions, func(o asn1.ObjectIdentifier) bool { return o.Equal(oidSAN) }) {
			t.Fatalf("unhandled critical SAN kept")
		}
	})
}
