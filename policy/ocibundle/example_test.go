package ocibundle_test

import (
	"archive/tar"
	"bytes"
	"compress/gzip"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/google/go-containerregistry/pkg/authn"
	"github.com/google/go-containerregistry/pkg/name"
	ggcrregistry "github.com/google/go-containerregistry/pkg/registry"
	"github.com/google/go-containerregistry/pkg/v1/empty"
	"github.com/google/go-containerregistry/pkg/v1/mutate"
	"github.com/google/go-containerregistry/pkg/v1/remote"
	"github.com/google/go-containerregistry/pkg/v1/static"
	"github.com/google/go-containerregistry/pkg/v1/types"

	"github.com/ztci/ztci/attest"
	"github.com/ztci/ztci/attest/attach"
	"github.com/ztci/ztci/attest/ca"
	"github.com/ztci/ztci/attest/tsa"
	"github.com/ztci/ztci/identity"
	"github.com/ztci/ztci/policy"
	"github.com/ztci/ztci/policy/ocibundle"
	"github.com/ztci/ztci/verify"
)

// publishExample pushes an OPA bundle holding module as the policy at tag,
// in OPA's OCI layout, and returns its manifest digest.
func publishExample(tag name.Reference, module, revision string) name.Digest {
	var tgz bytes.Buffer
	zw := gzip.NewWriter(&tgz)
	tw := tar.NewWriter(zw)
	for p, b := range map[string]string{"/policy.rego": module, "/.manifest": `{"revision":"` + revision + `"}`} {
		tw.WriteHeader(&tar.Header{Name: p, Mode: 0o644, Size: int64(len(b)), Typeflag: tar.TypeReg})
		io.WriteString(tw, b)
	}
	tw.Close()
	zw.Close()
	img := mutate.ConfigMediaType(mutate.MediaType(empty.Image, types.OCIManifestSchema1), types.OCIConfigJSON)
	img, _ = mutate.Append(img, mutate.Addendum{Layer: static.NewLayer(tgz.Bytes(), types.OCILayer)})
	if err := remote.Write(tag, img); err != nil {
		panic(err)
	}
	d, _ := img.Digest()
	return tag.Context().Digest(d.String())
}

// The fleet's policy lives in a registry: the publishing workflow pushes a
// bundle and attaches its signature; every gate replica loads it only once
// the signature verified for that workflow (and was not made before the
// bundle it loaded last), and keeps it when an unsigned bundle takes the
// tag.
func Example() {
	ctx := context.Background()
	srv := httptest.NewServer(ggcrregistry.New(ggcrregistry.Logger(log.New(io.Discard, "", 0))))
	defer srv.Close()
	// name.Insecure (plain http) only for this registry on 127.0.0.1: a real
	// registry is reached over TLS, and no option here turns that off.
	tag, err := name.ParseReference(strings.TrimPrefix(srv.URL, "http://")+"/policies:prod", name.Insecure)
	if err != nil {
		panic(err)
	}

	// The publisher: a private Sigstore (CA and TSA) and the workflow's identity.
	authority, err := ca.New(ca.WithSubjectDomain("https://ci.example", "https://ci.example"))
	if err != nil {
		panic(err)
	}
	timestamps, err := tsa.New()
	if err != nil {
		panic(err)
	}
	workflow := identity.Identity{Issuer: "https://ci.example", Subject: "https://ci.example/acme/policies/publish.yml@refs/heads/main"}
	signer, err := attest.NewCASigner(authority.IssuerFor(workflow), attest.WithEmbeddedTimestampAuthority(timestamps.Handler()))
	if err != nil {
		panic(err)
	}
	const predicateType = "https://example.com/policy-bundle/v1"

	// Publish v1 and sign its manifest digest.
	v1 := publishExample(tag, `package gate
decision := {"allow": true, "violations": []}`, "v1")
	head, _ := remote.Head(v1)
	subject, _ := attest.SubjectFromOCI(v1.Context().Name(), attest.OCIDescriptor{MediaType: string(head.MediaType), Digest: head.Digest.String(), Size: head.Size})
	statement, _ := attest.NewStatement([]attest.ResourceDescriptor{subject}, attest.Custom(predicateType, []byte(`{}`)))
	sig, err := attest.Sign(ctx, signer, statement)
	if err != nil {
		panic(err)
	}
	if _, err := attach.Bundle(ctx, v1, sig, attach.WithKeychain(authn.NewMultiKeychain())); err != nil {
		panic(err)
	}

	// A gate replica: trust the private Sigstore, require the workflow.
	rootJSON, err := json.Marshal(attest.NewTrustedRoot().AddEmbeddedCA("https://ca.ci.example", authority).AddEmbeddedTSA("https://tsa.ci.example", timestamps))
	if err != nil {
		panic(err)
	}
	trust, err := verify.ParseTrustedRoot(rootJSON)
	if err != nil {
		panic(err)
	}
	// The rollback floor (the signing time of the newest bundle loaded)
	// survives the replica's restarts in a file the jobs cannot write: a
	// directory of the gate's own (a temporary one here), never a shared one.
	stateDir, err := os.MkdirTemp("", "gate-state")
	if err != nil {
		panic(err)
	}
	defer os.RemoveAll(stateDir)
	floors, err := ocibundle.NewFileFloorStore(filepath.Join(stateDir, "policy-floor.json"))
	if err != nil {
		panic(err) // no floor store: no rollback protection, so do not start
	}
	src, err := ocibundle.New(tag, trust, verify.Expectation{
		Signer:        verify.Identity{SAN: workflow.Subject, Issuer: workflow.Issuer},
		PredicateType: predicateType,
	},
		ocibundle.WithKeychain(authn.NewMultiKeychain()),
		ocibundle.WithFloorStore(floors),
		// The publishing workflow signs the bundle in force again every
		// night; a replica no longer decides with one signed 3 days ago.
		ocibundle.WithMaxAge(72*time.Hour),
		ocibundle.WithVerifyOptions(verify.WithTlogThreshold(0), verify.WithSCTThreshold(0))) // private Sigstore: no Rekor, no CT log
	if err != nil {
		panic(err)
	}
	gate, err := policy.New(ctx, src, policy.WithQuery("data.gate.decision"))
	if err != nil {
		panic(err)
	}
	defer gate.Close()
	d, err := gate.Evaluate(ctx, policy.Input{})
	if err != nil {
		panic(err) // could not decide: deny
	}
	fmt.Println("allowed:", d.Allowed, "revision is v1@digest:", d.Revision == "v1@"+v1.DigestStr())

	// Someone pushes an unsigned bundle to the tag: refused, v1 stays.
	publishExample(tag, `package gate
decision := {"allow": false, "violations": []}`, "v2")
	err = gate.Reload(ctx)
	fmt.Println("reload refused:", errors.Is(err, ocibundle.ErrUnverified))
	if d, err = gate.Evaluate(ctx, policy.Input{}); err != nil {
		panic(err)
	}
	fmt.Println("allowed:", d.Allowed, "still v1:", d.Revision == "v1@"+v1.DigestStr())
	// Output:
	// allowed: true revision is v1@digest: true
	// reload refused: true
	// allowed: true still v1: true
}
