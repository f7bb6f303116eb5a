package attest_test

import (
	"context"
	"crypto"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rand"
	"encoding/hex"
	"io"
	"strings"
	"testing"
	"time"

	"github.com/sigstore/sigstore-go/pkg/bundle"
	"github.com/sigstore/sigstore-go/pkg/root"
	"github.com/sigstore/sigstore-go/pkg/verify"

	"github.com/ztci/ztci/attest"
	"github.com/ztci/ztci/attest/ca"
	"github.com/ztci/ztci/attest/tsa"
	"github.com/ztci/ztci/identity"
)

// kmsKey stands for a KMS or HSM key: the replicas hold a handle that
// offers Public and Sign only, never the private key.
type kmsKey struct{ k crypto.Signer }

func (h kmsKey) Public() crypto.PublicKey { return h.k.Public() }
func (h kmsKey) Sign(r io.Reader, d []byte, o crypto.SignerOpts) ([]byte, error) {
	return h.k.Sign(r, d, o)
}

// TestReplicasShareCAAndTSAKeys: CA and TSA replicas built on one shared
// key each (P-384 for the CA, Ed25519 for the TSA) and the certificates made
// for those keys once sign bundles that verify against the trusted root any
// replica exports — also one started after the signing, as after a restart.
func TestReplicasShareCAAndTSAKeys(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	caPriv, err := ecdsa.GenerateKey(elliptic.P384(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	_, tsaPriv, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tsaRootPriv, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	caKey, tsaKey := kmsKey{caPriv}, kmsKey{tsaPriv}
	epoch := time.Now().Add(-time.Hour)
	caRoot, err := ca.NewRootCertificate(caKey, "fleet CA", epoch, 365*24*time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	tsaChain, err := tsa.NewCertificateChain(tsaKey, tsaRootPriv, "fleet TSA", epoch, 365*24*time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	replica := func() (*ca.CA, *tsa.TSA) {
		c, err := ca.New(ca.WithSubjectDomain("https://ci.example", "https://ci.example"), ca.WithSigner(caKey, caRoot))
		if err != nil {
			t.Fatal(err)
		}
		a, err := tsa.New(tsa.WithSigner(tsaKey, tsaChain))
		if err != nil {
			t.Fatal(err)
		}
		return c, a
	}
	job := identity.Identity{
		Issuer:  "https://ci.example",
		Subject: "https://ci.example/octo-org/app/.ci/build.yml@refs/heads/main",
		Claims:  identity.Claims{Repository: "octo-org/app", Ref: "refs/heads/main"},
	}
	sub, err := attest.SubjectFromReader(ctx, "app.tar.gz", strings.NewReader("the artifact bytes"))
	if err != nil {
		t.Fatal(err)
	}
	st, err := attest.NewStatement([]attest.ResourceDescriptor{sub}, &attest.Provenance{
		BuildDefinition: attest.BuildDefinition{BuildType: "https://ztci.dev/build/v1", ExternalParameters: map[string]any{}},
		RunDetails:      attest.RunDetails{Builder: attest.Builder{ID: "https://ci.example/runners/hosted"}},
	})
	if err != nil {
		t.Fatal(err)
	}

	caA, tsaA := replica()
	signer, err := attest.NewCASigner(caA.IssuerFor(job), attest.WithEmbeddedTimestampAuthority(tsaA.Handler()))
	if err != nil {
		t.Fatal(err)
	}
	bundleJSON, err := attest.Sign(ctx, signer, st)
	if err != nil {
		t.Fatal(err)
	}

	caB, tsaB := replica() // another replica, or replica A after a restart
	trJSON, err := attest.NewTrustedRoot().
		AddEmbeddedCA("https://ca.ci.example", caB).
		AddEmbeddedTSA("https://tsa.ci.example", tsaB).
		MarshalJSON()
	if err != nil {
		t.Fatal(err)
	}
	tr, err := root.NewTrustedRootFromJSON(trJSON)
	if err != nil {
		t.Fatal(err)
	}
	var b bundle.Bundle
	if err := b.UnmarshalJSON(bundleJSON); err != nil {
		t.Fatal(err)
	}
	v, err := verify.NewVerifier(tr, verify.WithSignedTimestamps(1))
	if err != nil {
		t.Fatal(err)
	}
	certID, err := verify.NewShortCertificateIdentity(job.Issuer, "", job.Subject, "")
	if err != nil {
		t.Fatal(err)
	}
	digest, _ := hex.DecodeString(sub.Digest["sha256"])
	if _, err := v.Verify(&b, verify.NewPolicy(verify.WithArtifactDigest("sha256", digest), verify.WithCertificateIdentity(certID))); err != nil {
		t.Fatalf("bundle signed by replica A does not verify with replica B's trusted root: %v", err)
	}
}
