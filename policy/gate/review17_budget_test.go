package gate_test

import (
	"bytes"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/ztci/ztci/audit"
	"github.com/ztci/ztci/policy/gate"
	"github.com/ztci/ztci/policy/gate/gatetest"
	"github.com/ztci/ztci/verify/image"
)

// bigSBOM is a CycloneDX document of about n bytes.
func bigSBOM(n int) []byte {
	var b bytes.Buffer
	b.WriteString(`{"bomFormat":"CycloneDX","specVersion":"1.5","components":[`)
	for i := 0; b.Len() < n; i++ {
		if i > 0 {
			b.WriteByte(',')
		}
		fmt.Fprintf(&b, `{"type":"library","name":"review17-component-%06d","version":"1.0.%d"}`, i, i)
	}
	b.WriteString(`]}`)
	return b.Bytes()
}

// wantBudgetRefusal checks that d is a deny for the budget and that the
// sink holds its one audit event saying so.
func wantBudgetRefusal(t *testing.T, d gate.Decision, err error, events []audit.Event) {
	t.Helper()
	if d.Allowed || !errors.Is(err, gate.ErrBudgetExceeded) || !errors.Is(err, gate.ErrUndecided) {
		t.Fatalf("decision over budget: %s, %v; want undecided, ErrBudgetExceeded", d, err)
	}
	for _, ev := range events {
		if ev.ID == d.AuditID {
			if ev.Outcome == audit.OutcomeAllow || ev.Reason != "could not decide: budget_exceeded" {
				t.Errorf("audit event %s %q; want the budget named", ev.Outcome, ev.Reason)
			}
			return
		}
	}
	t.Errorf("decision %s not audited (audit id %q)", d, d.AuditID)
}

// Whoever can push to a repository could make every decision about its
// image read hundreds of referrers of up to 8 MiB each: one image
// verification reads at most Limits.MaxFetchBytes from the registry, and
// past it the request is undecided, never decided on what fitted (the
// attestations read before the budget ran out would have allowed it).
func TestReview17FetchBudget(t *testing.T) {
	t.Parallel()
	ctx := t.Context()
	w := newVSAWorld(t, gatetest.WithSBOM(bigSBOM(600<<10)))
	img := w.publishMain(t)

	if g, _ := w.gate(t, discard()); true {
		if d, err := g.Decide(ctx, w.request(t, img.Image)); err != nil || !d.Allowed {
			t.Fatalf("default budget: %s, %v; want allowed", d, err)
		}
	}
	sink := &memSink{}
	g, _ := w.gate(t, sink, gate.WithLimits(gate.Limits{MaxFetchBytes: 256 << 10}),
		gate.WithImageOptions(image.WithCache(64, time.Hour)))
	for range 2 { // refused again, not from a verdict cached of what fitted
		d, err := g.Decide(ctx, w.request(t, img.Image))
		wantBudgetRefusal(t, d, err, sink.all())
	}
}

// One image verification hands at most Limits.MaxVerifiedBundles bundles
// to a verifier; the Lab's image carries two.
func TestReview17BundleBudget(t *testing.T) {
	t.Parallel()
	ctx := t.Context()
	w := newVSAWorld(t)
	img := w.publishMain(t)
	sink := &memSink{}
	g, _ := w.gate(t, sink, gate.WithLimits(gate.Limits{MaxVerifiedBundles: 1}))
	d, err := g.Decide(ctx, w.request(t, img.Image))
	wantBudgetRefusal(t, d, err, sink.all())

	g2, _ := w.gate(t, discard(), gate.WithLimits(gate.Limits{MaxVerifiedBundles: 2}))
	if d, err := g2.Decide(ctx, w.request(t, img.Image)); err != nil || !d.Allowed {
		t.Fatalf("within the budget: %s, %v; want allowed", d, err)
	}
	if _, err := gate.New(w.tokens, gate.Verifiers{"x": w.vsaVerifier(t, w.key)}, &allowVerified{}, discard(),
		gate.WithLimits(gate.Limits{MaxFetchBytes: -1})); !errors.Is(err, gate.ErrConfig) {
		t.Errorf("negative MaxFetchBytes: %v; want ErrConfig", err)
	}
}

// Requests that share one verification (a flight) share its budget: every
// one of them is refused for it and audited, and none waits for more than
// the one verification.
func TestReview17BudgetSharedFlight(t *testing.T) {
	t.Parallel()
	ctx := t.Context()
	w := newVSAWorld(t, gatetest.WithSBOM(bigSBOM(600<<10)))
	img := w.publishMain(t)
	var referrers atomic.Int64
	rt := roundTripper(func(r *http.Request) (*http.Response, error) {
		if strings.Contains(r.URL.Path, "/referrers/") {
			referrers.Add(1)
			time.Sleep(200 * time.Millisecond) // let the others join
		}
		return http.DefaultTransport.RoundTrip(r)
	})
	sink := &memSink{}
	g, _ := w.gate(t, sink, gate.WithLimits(gate.Limits{MaxFetchBytes: 256 << 10}), gate.WithImageOptions(image.WithTransport(rt)))
	const n = 6
	reqs := make([]gate.Request, n)
	for i := range reqs {
		reqs[i] = w.request(t, img.Image)
	}
	type result struct {
		d   gate.Decision
		err error
	}
	results := make([]result, n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() {
			d, err := g.Decide(ctx, reqs[i])
			results[i] = result{d, err}
		})
	}
	wg.Wait()
	for _, r := range results {
		wantBudgetRefusal(t, r.d, r.err, sink.all())
	}
	if got := len(sink.all()); got != n {
		t.Errorf("%d audit events for %d requests", got, n)
	}
	t.Logf("referrers listed %d times for %d requests", referrers.Load(), n)
}
