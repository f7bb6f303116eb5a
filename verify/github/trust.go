package github

import (
	"crypto/x509"
	_ "embed" // GitHub's trusted root snapshot
	"encoding/asn1"
	"encoding/json"
	"fmt"
	"reflect"
	"strings"

	"github.com/sigstore/sigstore-go/pkg/root"

	"github.com/ztci/ztci/internal/clip"
	"github.com/ztci/ztci/internal/strictjson"
	"github.com/ztci/ztci/verify"
)

//go:embed trusted_root_github.json
var githubRootJSON []byte

// GitHubTrustedRootSnapshot names the embedded copy of GitHub's own trusted
// root (Fulcio fulcio.githubapp.com and the TSA timestamp.githubapp.com, six
// generations each from 2023-10-27, no transparency log, no CT log): the
// trusted_root.json target of GitHub's TUF repository tuf-repo.github.com,
// as copied by sigstore/sigstore-rust (Apache-2.0). Its newest CA and TSA
// are valid from 2026-06-12 with no end; bundles signed under a later
// generation need a newer root (WithGitHubRoot, for example one that
// verify/tuf keeps current from tuf-repo.github.com).
const GitHubTrustedRootSnapshot = "sigstore/sigstore-rust@948c317 (2026-08-19), crates/sigstore-trust-root/src/trusted_root_github.json (sha256 484cdfe1a7c65479c5ba2a22193d1be90f0020db1997de696ab207434c62fbb7)"

//go:embed tuf_github_root.json
var githubTUFRoot []byte

// GitHubTUFMirror is GitHub's TUF repository. Its trusted_root.json target
// (verify/tuf's default target name) is GitHub's trusted root, so
//
//	client, err := tuf.Open(ctx, github.GitHubTUFMirror, github.GitHubTUFRoot(), cacheDir)
//
// keeps it current, and a Verifier built from client.Root().Material
// (WithGitHubRoot) follows GitHub's CA and TSA rotations; gh does the same
// (cli/cli pkg/cmd/attestation/verification/tuf.go GitHubTUFOptions).
const GitHubTUFMirror = "https://tuf-repo.github.com"

// TenantTrustedRootTarget names the target of GitHubTUFMirror that holds
// the trusted root of the GitHub Enterprise Cloud tenant whose trust domain
// is trustDomain: "<trust domain>.trusted_root.json", the name gh reads
// (cli/cli pkg/cmd/attestation/verification/sigstore.go newGitHubVerifier,
// and pkg/cmd/attestation/trustedroot/trustedroot.go for gh attestation
// trusted-root). Give it to verify/tuf with the GitHub repository:
//
//	target, err := github.TenantTrustedRootTarget(trustDomain)
//	client, err := tuf.Open(ctx, github.GitHubTUFMirror, github.GitHubTUFRoot(), cacheDir, tuf.WithTarget(target))
//
// and build the tenant's Verifier from client.Root().Material
// (WithGitHubRoot). The trust domain is the caller's to obtain: gh asks the
// tenant's REST API (GET /meta, domains.artifact_attestations.trust_domain:
// cli/cli pkg/cmd/attestation/api/client.go GetTrustDomain), and this
// package makes no request. It is the name the tenant's root is fetched
// by, so it is checked rather than trusted: one or more DNS labels (as
// for a tenant name: ASCII letters, digits, inner hyphens) joined by dots,
// at most 253 characters — never a '/', "..", or anything else that could
// name another target or file. Anything else is a verify.ErrConfig.
func TenantTrustedRootTarget(trustDomain string) (string, error) {
	labels := strings.Split(trustDomain, ".")
	ok := len(trustDomain) <= 253
	for _, l := range labels {
		ok = ok && tenantPattern.MatchString(l)
	}
	if !ok {
		return "", fmt.Errorf("%w: github: trust domain %s is not DNS labels joined by dots", verify.ErrConfig, clip.Quote(trustDomain, maxQuote))
	}
	return trustDomain + ".trusted_root.json", nil
}

// GitHubTUFRoot returns a copy of the root.json of GitHubTUFMirror trusted
// out of band: version 9, expiring 2027-01-28, from
// sigstore/sigstore-rust@948c317
// crates/sigstore-trust-root/repository/tuf_github_root.json (Apache-2.0,
// sha256 eb303461e0109458144b6ebcbfd62aaa6f6d7481e9ca77504b85f17761661462).
// A TUF client moves from it to newer roots through the repository's
// signed chain of root versions.
func GitHubTUFRoot() []byte { return append([]byte(nil), githubTUFRoot...) }

// GitHubTrustedRoot returns the embedded snapshot of GitHub's trusted root
// (see GitHubTrustedRootSnapshot). It never touches the network.
func GitHubTrustedRoot() (root.TrustedMaterial, error) {
	return verify.ParseTrustedRoot(githubRootJSON)
}

// Instances: which Sigstore instance's root a bundle was verified against.
const (
	// InstancePublicGood is Sigstore's public-good instance
	// (fulcio.sigstore.dev, rekor.sigstore.dev): actions/attest uses it for
	// public repositories. Bundles must be in Rekor and carry SCTs.
	InstancePublicGood = "public-good"
	// InstanceGitHub is GitHub's own instance (fulcio.githubapp.com,
	// timestamp.githubapp.com): actions/attest uses it for private and
	// internal repositories. Bundles carry a signed timestamp and no log
	// entry.
	InstanceGitHub = "github"
)

// routingBundle is what signingCert reads of a bundle.
type routingBundle struct {
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

// routingSchema weighs a bundle's arrays before signingCert decodes it:
// decoding `"certificates":[{},{},…]` whole would cost encoding/json fifty
// times the bundle's size before verify's own bounded parse is reached.
var routingSchema = strictjson.SchemaOf(reflect.TypeFor[routingBundle]())

// signingCert returns the bundle's signing certificate, read without
// verifying anything (see issues for what it is used for).
func signingCert(bundleJSON []byte) (*x509.Certificate, error) {
	if err := routingSchema.CheckBounded(bundleJSON); err != nil {
		return nil, fmt.Errorf("%w: attestation bundle: %w", verify.ErrMalformedBundle, clip.Error(err, maxReason))
	}
	var b routingBundle
	if err := json.Unmarshal(bundleJSON, &b); err != nil {
		return nil, fmt.Errorf("%w: attestation bundle: %w", verify.ErrMalformedBundle, clip.Error(err, maxReason))
	}
	// gh refuses v0.1 bundles (verification/sigstore.go chooseVerifier):
	// actions/attest writes v0.2 and v0.3, which carry inclusion proofs.
	switch b.MediaType {
	case "application/vnd.dev.sigstore.bundle+json;version=0.2",
		"application/vnd.dev.sigstore.bundle.v0.3+json",
		"application/vnd.dev.sigstore.bundle+json;version=0.3":
	default:
		return nil, fmt.Errorf("%w: attestation bundle media type %s: want bundle v0.2 or v0.3", verify.ErrMalformedBundle, clip.Quote(b.MediaType, maxQuote))
	}
	var der []byte
	vm := b.VerificationMaterial
	switch {
	case vm.Certificate != nil:
		der = vm.Certificate.RawBytes
	case vm.X509CertificateChain != nil && len(vm.X509CertificateChain.Certificates) > 0:
		der = vm.X509CertificateChain.Certificates[0].RawBytes
	}
	if len(der) == 0 {
		return nil, fmt.Errorf("%w: attestation bundle carries no signing certificate (GitHub attestations are signed by a Fulcio certificate)", verify.ErrMalformedBundle)
	}
	c, err := x509.ParseCertificate(der)
	if err != nil {
		return nil, fmt.Errorf("%w: signing certificate: %w", verify.ErrMalformedBundle, clip.Error(err, maxReason))
	}
	// As sigstore-go's VerifyLeafCertificate: a critical SAN holding a name
	// type crypto/x509 does not parse is Fulcio's to interpret.
	keep := c.UnhandledCriticalExtensions[:0:0]
	for _, oid := range c.UnhandledCriticalExtensions {
		if !oid.Equal(oidSAN) {
			keep = append(keep, oid)
		}
	}
	c.UnhandledCriticalExtensions = keep
	return c, nil
}

var oidSAN = asn1.ObjectIdentifier{2, 5, 29, 17}

// issues reports whether one of tm's Fulcio CAs issued leaf: its chain
// verifies (signatures, validity, key usage) at the leaf's notBefore, a time
// the CA itself signed. This chooses the instance, and with it the
// verification policy (log and SCTs, or a signed timestamp); the full
// verification then runs against that instance's root alone, at the proven
// signing time. Unlike gh, which picks by the issuer's organisation name
// (verification/sigstore.go: "sigstore.dev" or "GitHub, Inc."), nothing
// here trusts a name the bundle states.
func issues(tm root.TrustedMaterial, leaf *x509.Certificate) bool {
	for _, ca := range tm.FulcioCertificateAuthorities() {
		if _, err := ca.Verify(leaf, leaf.NotBefore); err == nil {
			return true
		}
	}
	return false
}
