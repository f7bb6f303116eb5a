package attest_test

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/sigstore/sigstore-go/pkg/bundle"
	"github.com/sigstore/sigstore-go/pkg/root"
	"github.com/sigstore/sigstore-go/pkg/verify"

	"github.com/ztci/ztci/attest"
	"github.com/ztci/ztci/attest/ca"
	"github.com/ztci/ztci/attest/tsa"
	"github.com/ztci/ztci/identity"
)

// A CI job attests to what it built, signs with the embedded CA and TSA, and
// exports the trusted root any Sigstore verifier can use. Fully offline.
func Example() {
	ctx := context.Background()

	// 1. The statement: subject digests streamed from the artifact, and
	// SLSA provenance describing the job.
	sub, err := attest.SubjectFromReader(ctx, "app.tar.gz", strings.NewReader("the artifact bytes"))
	if err != nil {
		panic(err)
	}
	started := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	finished := started.Add(90 * time.Second)
	st, err := attest.NewStatement([]attest.ResourceDescriptor{sub}, &attest.Provenance{
		BuildDefinition: attest.BuildDefinition{
			BuildType:          "https://ztci.dev/build/v1",
			ExternalParameters: map[string]any{"ref": "refs/heads/main"},
		},
		RunDetails: attest.RunDetails{
			Builder:  attest.Builder{ID: "https://ci.example/runners/hosted"},
			Metadata: &attest.BuildMetadata{InvocationID: "run-42", StartedOn: &started, FinishedOn: &finished},
		},
	})
	if err != nil {
		fmt.Println(err)
		return
	}

	// 2. A private Sigstore in the library: CA + TSA, in memory here
	// (ca.WithDir / tsa.WithDir persist them).
	authority, err := ca.New(ca.WithSubjectDomain("https://ci.example", "https://ci.example"))
	if err != nil {
		panic(err)
	}
	stamps, err := tsa.New()
	if err != nil {
		panic(err)
	}
	job := identity.Identity{
		Issuer:  "https://ci.example",
		Subject: "https://ci.example/octo-org/app/.ci/build.yml@refs/heads/main",
		Claims:  identity.Claims{Repository: "octo-org/app", Ref: "refs/heads/main"},
	}
	signer, err := attest.NewCASigner(authority.IssuerFor(job), attest.WithEmbeddedTimestampAuthority(stamps.Handler()))
	if err != nil {
		panic(err)
	}
	bundleJSON, err := attest.Sign(ctx, signer, st)
	if err != nil {
		fmt.Println(err)
		return
	}

	// 3. The trusted root for verifiers (write it with WriteFile).
	trustedRootJSON, err := attest.NewTrustedRoot().
		AddEmbeddedCA("https://ca.ci.example", authority).
		AddEmbeddedTSA("https://tsa.ci.example", stamps).
		MarshalJSON()
	if err != nil {
		panic(err)
	}

	// Any Sigstore verifier now accepts the bundle; here, plain sigstore-go.
	// Every error on the way is a deny: a verifier, identity or digest that
	// was not built must never stand in for one that was.
	tr, err := root.NewTrustedRootFromJSON(trustedRootJSON)
	if err != nil {
		panic(err)
	}
	var b bundle.Bundle
	if err := b.UnmarshalJSON(bundleJSON); err != nil {
		panic(err)
	}
	// The private CA and TSA log nowhere: the TSA's timestamp proves the
	// time. For Fulcio or public-good keep transparency-log and SCT checks.
	v, err := verify.NewVerifier(tr, verify.WithSignedTimestamps(1))
	if err != nil {
		panic(err)
	}
	certID, err := verify.NewShortCertificateIdentity(job.Issuer, "", job.Subject, "")
	if err != nil {
		panic(err)
	}
	digest, err := hex.DecodeString(sub.Digest["sha256"])
	if err != nil {
		panic(err)
	}
	res, err := v.Verify(&b, verify.NewPolicy(verify.WithArtifactDigest("sha256", digest), verify.WithCertificateIdentity(certID)))
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println("predicate:", res.Statement.GetPredicateType())
	fmt.Println("signed by:", res.Signature.Certificate.SubjectAlternativeName)
	fmt.Println("repository:", res.Signature.Certificate.SourceRepositoryURI)
	// Output:
	// predicate: https://slsa.dev/provenance/v1
	// signed by: https://ci.example/octo-org/app/.ci/build.yml@refs/heads/main
	// repository: https://ci.example/octo-org/app
}

func ExampleParseStatement() {
	st, err := attest.ParseStatement([]byte(`{
		"_type": "https://in-toto.io/Statement/v1",
		"subject": [{"name": "app", "digest": {"sha256": "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"}}],
		"predicateType": "https://in-toto.io/attestation/test-result/v0.1",
		"predicate": {"result": "PASSED"}
	}`))
	fmt.Println(st.Subject[0].Name, st.PredicateType, err)

	_, err = attest.ParseStatement([]byte(`{"_type": "https://in-toto.io/Statement/v1", "subject": [], "predicateType": "x", "predicate": {}}`))
	fmt.Println(errors.Is(err, attest.ErrSubjectRequired), errors.Is(err, attest.ErrInvalidStatement))
	// Output:
	// app https://in-toto.io/attestation/test-result/v0.1 <nil>
	// true true
}

func ExampleParseDigest() {
	d, err := attest.ParseDigest("sha256:e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855")
	fmt.Println(d.Algorithm, err)
	_, err = attest.ParseDigest("sha256:E3B0")
	fmt.Println(errors.Is(err, attest.ErrDigestEncoding))
	_, err = attest.ParseDigest("sha256:e3b0")
	var le *attest.DigestLengthError
	fmt.Println(errors.As(err, &le), le.Want, le.Got)
	// Output:
	// sha256 <nil>
	// true
	// true [64] 4
}

func ExampleSubjectFromReader() {
	sub, _ := attest.SubjectFromReader(context.Background(), "hello.txt", strings.NewReader("hello"), attest.AlgSHA256, attest.AlgSHA512)
	fmt.Println(sub.Name, sub.Digest["sha256"])
	fmt.Println(len(sub.Digest["sha512"]))
	// Output:
	// hello.txt 2cf24dba5fb0a30e26e83b2ac5b9e29e1b161e5c1fa7425e73043362938b9824
	// 128
}

func ExampleSubjectFromOCI() {
	sub, err := attest.SubjectFromOCI("registry.example/app", attest.OCIDescriptor{
		MediaType: "application/vnd.oci.image.manifest.v1+json",
		Digest:    "sha256:e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
	})
	out, _ := json.Marshal(sub)
	fmt.Println(string(out), err)
	// Output:
	// {"name":"registry.example/app","digest":{"sha256":"e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"},"mediaType":"application/vnd.oci.image.manifest.v1+json"} <nil>
}

func ExampleSPDX() {
	sub := attest.ResourceDescriptor{Name: "app", Digest: attest.DigestSet{"sha256": strings.Repeat("ab", 32)}}
	st, err := attest.NewStatement([]attest.ResourceDescriptor{sub}, attest.SPDX([]byte(`{"spdxVersion":"SPDX-2.3","SPDXID":"SPDXRef-DOCUMENT","name":"app"}`)))
	fmt.Println(st.PredicateType, err)
	_, err = attest.NewStatement([]attest.ResourceDescriptor{sub}, attest.CycloneDX([]byte(`<bom/>`)))
	fmt.Println(errors.Is(err, attest.ErrPredicateNotJSON))
	// Output:
	// https://spdx.dev/Document/v2.3 <nil>
	// true
}

func ExampleNewKeySigner() {
	key, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	signer, _ := attest.NewKeySigner(key)
	sub := attest.ResourceDescriptor{Name: "app", Digest: attest.DigestSet{"sha256": strings.Repeat("ab", 32)}}
	st, _ := attest.NewStatement([]attest.ResourceDescriptor{sub}, &attest.TestResult{Result: attest.TestPassed, PassedTests: []string{"unit"}})
	bundleJSON, err := attest.Sign(context.Background(), signer, st)
	var b struct {
		MediaType string `json:"mediaType"`
	}
	_ = json.Unmarshal(bundleJSON, &b)
	fmt.Println(b.MediaType, err)
	// Output:
	// application/vnd.dev.sigstore.bundle.v0.3+json <nil>
}
