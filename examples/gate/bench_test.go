package main

import (
	"fmt"
	"io"
	"net/http"
	"testing"
	"time"

	"github.com/google/go-containerregistry/pkg/name"

	"github.com/ztci/ztci/attest"
	"github.com/ztci/ztci/audit"
	"github.com/ztci/ztci/identity/oidc"
	"github.com/ztci/ztci/policy"
	"github.com/ztci/ztci/policy/gate"
	"github.com/ztci/ztci/policy/gate/gatetest"
	"github.com/ztci/ztci/verify/image"
)

// BenchmarkDecide measures one verified decision in process (no HTTP):
// token verification, discovery and verification (cold: nothing cached;
// warm: verify's result cache and the registry's verdict cache), policy
// evaluation and an fsync'd audit append. Peers in the same run: the policy
// evaluation alone (what an OPA sidecar would do, without its HTTP hop), the
// job token verification alone and one fsync'd audit append alone: the
// warm decision's floor is the sum of the three; the image path by tag adds
// one tag re-resolve (peer/tag-resolve), by digest it asks the registry
// nothing once warm.
func BenchmarkDecide(b *testing.B) {
	f := newFixture(b)
	imageReq := gate.Request{JobToken: gate.NewToken(f.mainTok), Image: f.release.Image}
	pinnedReq := gate.Request{JobToken: gate.NewToken(f.mainTok), Image: f.pinned()}
	bundleReq := gate.Request{JobToken: gate.NewToken(f.mainTok), Bundles: asRaw(f.release.Bundles), Name: f.release.Name, Digest: f.release.Digest}
	for _, bc := range []struct {
		name  string
		warm  bool
		opts  []gate.Option
		aopts []audit.Option
		req   gate.Request
	}{
		{name: "image/cold", opts: []gate.Option{gate.WithImageOptions(image.WithCache(0, 0))}, req: imageReq},
		{name: "image/warm", warm: true, req: imageReq},
		{name: "image-by-digest/warm", warm: true, req: pinnedReq},
		{name: "bundles/cold", req: bundleReq},
		{name: "bundles/warm", warm: true, req: bundleReq},
		{name: "image/warm/audit-no-fsync", warm: true, aopts: []audit.Option{audit.WithoutSyncUnsafe()}, req: imageReq},
	} {
		b.Run(bc.name, func(b *testing.B) {
			g, err := f.lab.GateWith(b.Context(), bc.warm, newAuditLog(b, bc.aopts...), bc.opts...)
			if err != nil {
				b.Fatal(err)
			}
			b.ReportAllocs()
			defer reportCPU(b)()
			for b.Loop() {
				resp, err := g.Decide(b.Context(), bc.req)
				if err != nil || !resp.Allowed {
					b.Fatalf("%v %+v", err, resp)
				}
			}
		})
	}
	b.Run("peer/policy-only", func(b *testing.B) {
		g, err := f.lab.GateWith(b.Context(), true, newAuditLog(b))
		if err != nil {
			b.Fatal(err)
		}
		resp, err := g.Decide(b.Context(), imageReq)
		if err != nil || !resp.Allowed {
			b.Fatal(err)
		}
		id, err := oidc.NewVerifier(f.lab.IssuerURL(), "ztci-gate")
		if err != nil {
			b.Fatal(err)
		}
		who, err := id.Verify(b.Context(), f.mainTok)
		if err != nil {
			b.Fatal(err)
		}
		// The input the gate builds for this decision, by hand.
		signer := policy.Signer{SAN: gatetest.SignerSAN, Issuer: f.lab.IssuerURL()}
		in := policy.Input{Action: policy.ActionDeploy, Job: policy.JobFromIdentity(who), Artifacts: []policy.Artifact{{
			Name: f.release.Name, Digest: resp.Digest, Verified: true, Signer: signer,
			Attestations: []policy.Attestation{
				{PredicateType: attest.PredicateSLSAProvenanceV1, Signer: signer, Provenance: &policy.Provenance{
					BuilderID: gatetest.BuilderID, BuildType: gatetest.BuildType, SourceRepository: gatetest.SourceURI, SourceRef: "refs/heads/main"}},
				{PredicateType: attest.PredicateCycloneDX, Signer: signer},
			},
		}}}
		eng, err := f.lab.Policy(b.Context())
		if err != nil {
			b.Fatal(err)
		}
		defer eng.Close()
		b.ReportAllocs()
		defer reportCPU(b)()
		for b.Loop() {
			d, err := eng.Evaluate(b.Context(), in)
			if err != nil || !d.Allowed {
				b.Fatalf("%v %+v", err, d)
			}
		}
	})
	b.Run("peer/token-only", func(b *testing.B) {
		v, err := oidc.NewVerifier(f.lab.IssuerURL(), "ztci-gate")
		if err != nil {
			b.Fatal(err)
		}
		b.ReportAllocs()
		defer reportCPU(b)()
		for b.Loop() {
			if _, err := v.Verify(b.Context(), f.mainTok); err != nil {
				b.Fatal(err)
			}
		}
	})
	// The image path also re-resolves the tag on every decision (one
	// manifest GET); in this process the registry's server side runs too,
	// so its CPU counts here as it would not against a remote registry.
	b.Run("peer/tag-resolve", func(b *testing.B) {
		ref, err := name.ParseReference(f.release.Image)
		if err != nil {
			b.Fatal(err)
		}
		// One manifest GET by tag on a kept-alive connection: the request
		// the gate's warm image path makes, without ggcr's per-call ping.
		u := "http://" + ref.Context().RegistryStr() + "/v2/" + ref.Context().RepositoryStr() + "/manifests/" + ref.Identifier()
		client := &http.Client{}
		b.ReportAllocs()
		defer reportCPU(b)()
		for b.Loop() {
			req, err := http.NewRequestWithContext(b.Context(), http.MethodGet, u, nil)
			if err != nil {
				b.Fatal(err)
			}
			req.Header.Set("Accept", "application/vnd.oci.image.manifest.v1+json, application/vnd.oci.image.index.v1+json, application/vnd.docker.distribution.manifest.v2+json")
			resp, err := client.Do(req)
			if err != nil {
				b.Fatal(err)
			}
			_, err = io.Copy(io.Discard, resp.Body)
			_ = resp.Body.Close()
			if err != nil || resp.StatusCode != http.StatusOK {
				b.Fatalf("%v %s", err, resp.Status)
			}
		}
	})
	b.Run("peer/audit-append", func(b *testing.B) {
		lg := newAuditLog(b)
		ev := audit.Event{Source: gate.AuditSource, Action: gate.AuditAction, Outcome: audit.OutcomeAllow,
			Actor: audit.Actor{ID: "https://ci.example#job"}, Resource: f.release.Image, PolicyRevision: "rev"}
		b.ReportAllocs()
		defer reportCPU(b)()
		for i := 0; b.Loop(); i++ {
			ev.ID, ev.Time = fmt.Sprintf("bench-%d", i), time.Now().UTC()
			if err := lg.Write(b.Context(), ev); err != nil {
				b.Fatal(err)
			}
		}
	})
}

// reportCPU reports the process's CPU time per operation (user + system,
// background goroutines such as the audit log's committer included): the
// figure the gate's cost is judged by, which unlike ns/op does not include
// waiting for fsync or for another process's turn on the CPU. Call the
// returned function when the loop is done.
func reportCPU(b *testing.B) func() {
	start := cpuTime()
	return func() {
		if b.N > 0 {
			b.ReportMetric(float64(cpuTime()-start)/float64(b.N), "cpu-ns/op")
		}
	}
}
