package gate_test

import (
	"net/http"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

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
// policy), same image, same registry, same run. Two images: the Lab's
// minimal one (SLSA provenance and SBOM) and a full release (provenance,
// SBOM, vulnerability scan, test result and secrets provenance: five
// attestations), with leases checked. Both gates run without verdict or
// result caches, so every decision reads the registry and verifies again,
// as for an image a gate has not seen. Besides wall time it reports
// registry requests per decision and the CPU time of the whole process per
// decision (registry, TSA and issuer included, as they run in-process),
// which a loaded machine disturbs less.
func BenchmarkVSA(b *testing.B) {
	ctx := b.Context()
	w := newVSAWorld(b)
	main := gatetest.Job{Ref: "refs/heads/main", Protected: true}
	minimal, err := w.lab.Publish(ctx, main, "v1")
	if err != nil {
		b.Fatal(err)
	}
	release, err := w.lab.PublishRelease(ctx, main, "release", lease("ztci_db", "db/ro"), lease("ztci_deploy", "prod/deploy"))
	if err != nil {
		b.Fatal(err)
	}
	releaseCfg := w.lab.PolicyConfig()
	releaseCfg.Deploy.RequireScan, releaseCfg.Deploy.RequireSecretsProvenance = true, true
	releaseCfg.Deploy.ProductionSecrets = []string{"prod/*"}
	leases := gate.WithRevocations(gate.Revocations{Leases: &marks{}})
	for _, im := range []struct {
		name string
		img  *gatetest.Published
		gate func(opts ...gate.Option) *gate.Gate
	}{
		{"2-attestations", minimal, func(opts ...gate.Option) *gate.Gate { g, _ := w.gate(b, discard(), opts...); return g }},
		{"5-attestations", release, func(opts ...gate.Option) *gate.Gate {
			g, _ := w.releaseGate(b, releaseCfg, discard(), append(opts, leases)...)
			return g
		}},
	} {
		var attached attachments
		req := w.request(b, im.img.Image)
		dA, err := im.gate(gate.WithVSA(w.issuer(&attached))).Decide(ctx, req)
		if err != nil || !dA.Allowed || len(dA.Attestations) != len(im.img.Bundles) {
			b.Fatal(dA, err)
		}
		var trustingReqs, fullReqs requests
		trusting := im.gate(gate.WithTrustedVSAs(w.trustA(b, dA.PolicyRevision)), gate.WithImageOptions(image.WithTransport(&trustingReqs)))
		full := im.gate(gate.WithImageOptions(image.WithTransport(&fullReqs)))
		for _, bc := range []struct {
			name    string
			g       *gate.Gate
			reqs    *requests
			trusted bool
		}{{"trusted-vsa", trusting, &trustingReqs, true}, {"full-verification", full, &fullReqs, false}} {
			b.Run(im.name+"/"+bc.name, func(b *testing.B) {
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
}
