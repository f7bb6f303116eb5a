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
// one summary) and by full re-verification (fetch and verify the provenance
// and the SBOM, evaluate the deploy policy), same image, same registry, same
// run. Both gates run without verdict or result caches, so every decision
// reads the registry and verifies again, as for an image a gate has not seen.
// Besides wall time it reports registry requests per decision and the CPU
// time of the whole process per decision (registry, TSA and issuer
// included, as they run in-process), which a loaded machine disturbs less.
func BenchmarkVSA(b *testing.B) {
	ctx := b.Context()
	w := newVSAWorld(b)
	img, err := w.lab.Publish(ctx, gatetest.Job{Ref: "refs/heads/main", Protected: true}, "v1")
	if err != nil {
		b.Fatal(err)
	}
	var attached attachments
	a, _ := w.gate(b, discard(), gate.WithVSA(w.issuer(&attached)))
	req := w.request(b, img.Image)
	dA, err := a.Decide(ctx, req)
	if err != nil || !dA.Allowed {
		b.Fatal(dA, err)
	}
	var trustingReqs, fullReqs requests
	trusting, _ := w.gate(b, discard(), gate.WithTrustedVSAs(w.trustA(b, dA.PolicyRevision)),
		gate.WithImageOptions(image.WithTransport(&trustingReqs)))
	full, _ := w.gate(b, discard(), gate.WithImageOptions(image.WithTransport(&fullReqs)))
	for _, bc := range []struct {
		name    string
		g       *gate.Gate
		reqs    *requests
		trusted bool
	}{{"trusted-vsa", trusting, &trustingReqs, true}, {"full-verification", full, &fullReqs, false}} {
		b.Run(bc.name, func(b *testing.B) {
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
