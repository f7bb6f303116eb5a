package gate_test

import (
	"net/http"
	"os"
	"path/filepath"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/ztci/ztci/attest/secretsprov"
	"github.com/ztci/ztci/policy/gate"
	"github.com/ztci/ztci/policy/gate/gatetest"
	"github.com/ztci/ztci/verify/image"
)

// requests counts the registry requests of a gate.
type requests struct{ n atomic.Int64 }

func (r *requests) RoundTrip(req *http.Request) (*http.Response, error) {
	r.n.Add(1)
	return http.DefaultTransport.RoundTrip(req)
}

// cpuTime is the process's user + system CPU time so far.
func cpuTime(b *testing.B) time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		b.Fatal(err)
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// BenchmarkVSA: a later gate's decision about an image that an earlier gate
// allowed and summarised, taken from the trusted VSA (fetch and verify the
// one summary, evaluate the gate's deploy policy on it) and by full
// re-verification (fetch and verify every attestation, evaluate the deploy
// policy), same image, same registry, same run. Three images: the Lab's
// minimal one (SLSA provenance and an SBOM naming only the application), a
// full release (provenance, SBOM, vulnerability scan, test result and
// secrets provenance: five attestations) with leases checked, and the same
// release whose SBOM is a real one, twice (testdata/sbom): cyclonedx-gomod's
// SBOM of a Go application (187 KB, 150 components) and the CycloneDX Maven
// plugin's SBOM of a Java service shipped as a container image (Keycloak
// 10.0.2: 2.2 MB, 903 components). Both gates run without
// verdict or result caches, so every decision reads the registry and
// verifies again, as for an image a gate has not seen. Besides wall time it
// reports registry requests per decision and the CPU time of the whole
// process per decision (registry, TSA and issuer included, as they run
// in-process), which a loaded machine disturbs less.
func BenchmarkVSA(b *testing.B) {
	ctx := b.Context()
	realSBOM, err := os.ReadFile(filepath.Join("testdata", "sbom", "proton-bridge-v1.8.0.bom.json"))
	if err != nil {
		b.Fatal(err)
	}
	serviceSBOM, err := os.ReadFile(filepath.Join("testdata", "sbom", "keycloak-10.0.2.bom.json"))
	if err != nil {
		b.Fatal(err)
	}
	w, wReal, wService := newVSAWorld(b), newVSAWorld(b, gatetest.WithSBOM(realSBOM)), newVSAWorld(b, gatetest.WithSBOM(serviceSBOM))
	main := gatetest.Job{Ref: "refs/heads/main", Protected: true}
	creds := []secretsprov.Credential{lease("ztci_db", "db/ro"), lease("ztci_deploy", "prod/deploy")}
	minimal, err := w.lab.Publish(ctx, main, "v1")
	if err != nil {
		b.Fatal(err)
	}
	release, err := w.lab.PublishRelease(ctx, main, "release", creds...)
	if err != nil {
		b.Fatal(err)
	}
	realRelease, err := wReal.lab.PublishRelease(ctx, main, "release", creds...)
	if err != nil {
		b.Fatal(err)
	}
	serviceRelease, err := wService.lab.PublishRelease(ctx, main, "release", creds...)
	if err != nil {
		b.Fatal(err)
	}
	releaseGate := func(w *vsaWorld) func(opts ...gate.Option) *gate.Gate {
		cfg := w.lab.PolicyConfig()
		cfg.Deploy.RequireScan, cfg.Deploy.RequireSecretsProvenance = true, true
		cfg.Deploy.ProductionSecrets = []string{"prod/*"}
		leases := gate.WithRevocations(gate.Revocations{Leases: &marks{}})
		return func(opts ...gate.Option) *gate.Gate {
			g, _ := w.releaseGate(b, cfg, discard(), append(opts, leases)...)
			return g
		}
	}
	for _, im := range []struct {
		name string
		w    *vsaWorld
		img  *gatetest.Published
		gate func(opts ...gate.Option) *gate.Gate
	}{
		{"2-attestations", w, minimal, func(opts ...gate.Option) *gate.Gate { g, _ := w.gate(b, discard(), opts...); return g }},
		{"5-attestations", w, release, releaseGate(w)},
		{"5-attestations-real-sbom", wReal, realRelease, releaseGate(wReal)},
		{"5-attestations-service-sbom", wService, serviceRelease, releaseGate(wService)},
	} {
		benchmarkVSA(b, im.name, im.w, im.img, im.gate)
	}
}

// benchmarkVSA runs the trusted-VSA and the full-verification decision
// about img as two sub-benchmarks of b.
func benchmarkVSA(b *testing.B, name string, w *vsaWorld, img *gatetest.Published, newGate func(opts ...gate.Option) *gate.Gate) {
	ctx := b.Context()
	var attached attachments
	req := w.request(b, img.Image)
	dA, err := newGate(gate.WithVSA(w.issuer(&attached))).Decide(ctx, req)
	if err != nil || !dA.Allowed || len(dA.Attestations) != len(img.Bundles) {
		b.Fatal(dA, err)
	}
	var trustingReqs, fullReqs requests
	trusting := newGate(gate.WithTrustedVSAs(w.trustA(b, dA.PolicyRevision)), gate.WithImageOptions(image.WithTransport(&trustingReqs)))
	full := newGate(gate.WithImageOptions(image.WithTransport(&fullReqs)))
	for _, bc := range []struct {
		name    string
		g       *gate.Gate
		reqs    *requests
		trusted bool
	}{{"trusted-vsa", trusting, &trustingReqs, true}, {"full-verification", full, &fullReqs, false}} {
		b.Run(name+"/"+bc.name, func(b *testing.B) {
			b.ReportAllocs()
			bc.reqs.n.Store(0)
			cpu := cpuTime(b)
			for b.Loop() {
				d, err := bc.g.Decide(ctx, req)
				if err != nil || !d.Allowed || (d.TrustedVSA != nil) != bc.trusted {
					b.Fatal(d, err)
				}
			}
			b.ReportMetric(float64(cpuTime(b)-cpu)/float64(b.N), "cpu-ns/op")
			b.ReportMetric(float64(bc.reqs.n.Load())/float64(b.N), "requests/op")
		})
	}
}
