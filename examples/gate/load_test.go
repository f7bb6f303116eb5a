package main

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"runtime"
	"runtime/debug"
	"slices"
	"strconv"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/ztci/ztci/audit"
	"github.com/ztci/ztci/policy/gate"
	"github.com/ztci/ztci/verify/image"
)

// Load test bounds: per scenario at most 2000 warm requests (a tenth of that
// cold) and 10 s, from loadConcurrency clients, so that `go test ./...` stays
// short. ZTCI_LOAD_REQUESTS=20000 sets the warm count and allows 20 s.
const loadConcurrency = 16

func loadMaxTime() time.Duration {
	if os.Getenv("ZTCI_LOAD_REQUESTS") != "" {
		return 20 * time.Second
	}
	return 10 * time.Second
}

// loadRequests returns the warm request count; cold scenarios run a tenth.
func loadRequests(t testing.TB, cold bool) int {
	n := 2000
	if s := os.Getenv("ZTCI_LOAD_REQUESTS"); s != "" {
		var err error
		if n, err = strconv.Atoi(s); err != nil || n < 10 {
			t.Fatalf("ZTCI_LOAD_REQUESTS=%q: want a number ≥ 10", s)
		}
	}
	if cold {
		return n / 10
	}
	return n
}

type loadResult struct {
	requests, errors int
	elapsed          time.Duration
	p50, p99, max    time.Duration
	heapGrowth       int64         // live heap after, minus before (bytes)
	heap             uint64        // live heap after (bytes)
	cpu              time.Duration // process CPU time (user+system), clients included
	firstErr         string
}

func (r loadResult) String() string {
	return fmt.Sprintf("%d req in %v = %.0f req/s, p50 %v, p99 %v, max %v, CPU %v/req (server+client), errors %d, live heap %.1f MiB (growth %+.1f MiB)",
		r.requests, r.elapsed.Round(time.Millisecond), float64(r.requests)/r.elapsed.Seconds(),
		r.p50.Round(time.Microsecond), r.p99.Round(time.Microsecond), r.max.Round(time.Microsecond),
		(r.cpu / time.Duration(max(r.requests, 1))).Round(time.Microsecond), r.errors, float64(r.heap)/(1<<20), float64(r.heapGrowth)/(1<<20))
}

func liveHeap() uint64 {
	runtime.GC()
	var m runtime.MemStats
	runtime.ReadMemStats(&m)
	return m.HeapAlloc
}

// runLoad posts body to url n times (or until maxTime) from conc clients with
// keep-alive connections. A request counts as an error unless it returns 200
// with the wanted verdict.
func runLoad(ctx context.Context, url string, body []byte, wantAllowed bool, n, conc int, maxTime time.Duration) loadResult {
	tr := &http.Transport{MaxIdleConnsPerHost: conc, MaxConnsPerHost: conc}
	defer tr.CloseIdleConnections()
	client := &http.Client{Transport: tr, Timeout: 10 * time.Second}
	want := []byte(`"allowed":` + strconv.FormatBool(wantAllowed))
	before := liveHeap()
	ctx, cancel := context.WithTimeout(ctx, maxTime)
	defer cancel()
	var (
		next     atomic.Int64
		errs     atomic.Int64
		firstErr atomic.Value
		mu       sync.Mutex
		lat      = make([]time.Duration, 0, n)
		wg       sync.WaitGroup
	)
	cpu0 := cpuTime()
	start := time.Now()
	for range conc {
		wg.Go(func() {
			mine := make([]time.Duration, 0, n/conc+1)
			defer func() {
				mu.Lock()
				lat = append(lat, mine...)
				mu.Unlock()
			}()
			for next.Add(1) <= int64(n) && ctx.Err() == nil {
				t0 := time.Now()
				req, _ := http.NewRequestWithContext(ctx, http.MethodPost, url, bytes.NewReader(body))
				req.Header.Set("Content-Type", "application/json")
				resp, err := client.Do(req)
				var b []byte
				if err == nil {
					b, err = io.ReadAll(resp.Body)
					resp.Body.Close()
					if err == nil && (resp.StatusCode != http.StatusOK || !bytes.Contains(b, want)) {
						err = fmt.Errorf("status %d: %.300s", resp.StatusCode, b)
					}
				}
				if err != nil {
					if ctx.Err() != nil {
						return // the time bound, not an error of the gate
					}
					errs.Add(1)
					firstErr.CompareAndSwap(nil, err.Error())
					continue
				}
				mine = append(mine, time.Since(t0))
			}
		})
	}
	wg.Wait()
	elapsed := time.Since(start)
	slices.Sort(lat)
	r := loadResult{requests: len(lat) + int(errs.Load()), errors: int(errs.Load()), elapsed: elapsed, cpu: cpuTime() - cpu0}
	if len(lat) > 0 {
		r.p50, r.p99, r.max = lat[len(lat)/2], lat[len(lat)*99/100], lat[len(lat)-1]
	}
	r.heap = liveHeap()
	r.heapGrowth = int64(r.heap) - int64(before)
	if s, ok := firstErr.Load().(string); ok {
		r.firstErr = s
	}
	return r
}

// TestLoad drives the gate over loopback with verified decisions, cold
// (every request discovers and verifies from scratch) and warm (verify's
// result cache and the registry's verdict cache), for an image reference and
// for inline bundles. It asserts zero errors and a bounded live heap, never
// timings: the numbers are logged (go test -run TestLoad -v).
func TestLoad(t *testing.T) {
	if testing.Short() {
		t.Skip("load test skipped in -short mode")
	}
	f := newFixture(t)
	scenarios := []struct {
		name        string
		resultCache bool
		opts        []gate.Option
		auditOpts   []audit.Option
		req         gate.Request
		requests    int
		conc        int // default loadConcurrency
		gcPercent   int // 0: the process's GOGC
	}{
		{name: "image/cold", opts: []gate.Option{gate.WithImageOptions(image.WithCache(0, 0))},
			req: gate.Request{JobToken: gate.NewToken(f.mainTok), Image: f.release.Image}, requests: loadRequests(t, true)},
		{name: "image/warm", resultCache: true,
			req: gate.Request{JobToken: gate.NewToken(f.mainTok), Image: f.release.Image}, requests: loadRequests(t, false)},
		{name: "image-by-digest/warm", resultCache: true,
			req: gate.Request{JobToken: gate.NewToken(f.mainTok), Image: f.pinned()}, requests: loadRequests(t, false)},
		{name: "bundles/cold",
			req: gate.Request{JobToken: gate.NewToken(f.mainTok), Bundles: asRaw(f.release.Bundles), Name: f.release.Name, Digest: f.release.Digest}, requests: loadRequests(t, true)},
		{name: "bundles/warm", resultCache: true,
			req: gate.Request{JobToken: gate.NewToken(f.mainTok), Bundles: asRaw(f.release.Bundles), Name: f.release.Name, Digest: f.release.Digest}, requests: loadRequests(t, false)},
		// One client: the latency of a decision without queueing behind 15
		// others on two cores.
		{name: "image/warm/1-client", resultCache: true, conc: 1,
			req: gate.Request{JobToken: gate.NewToken(f.mainTok), Image: f.release.Image}, requests: loadRequests(t, true)},
		// The same with the collector's target the gate command sets
		// (defaultGCPercent), when GOGC does not say otherwise.
		{name: "image-by-digest/warm/gogc-400", resultCache: true, gcPercent: defaultGCPercent,
			req: gate.Request{JobToken: gate.NewToken(f.mainTok), Image: f.pinned()}, requests: loadRequests(t, false)},
		{name: "image-by-digest/warm/1-client", resultCache: true, conc: 1,
			req: gate.Request{JobToken: gate.NewToken(f.mainTok), Image: f.pinned()}, requests: loadRequests(t, true)},
		// Its peer: the same without fsync, so the latency the disk's
		// flush adds to one decision shows next to it.
		{name: "image-by-digest/warm/1-client/audit-no-fsync-peer", resultCache: true, conc: 1, auditOpts: []audit.Option{audit.WithoutSyncUnsafe()},
			req: gate.Request{JobToken: gate.NewToken(f.mainTok), Image: f.pinned()}, requests: loadRequests(t, true)},
		// Peer in the same run: the warm image path with an audit log that
		// skips fsync, to show what durability costs per decision.
		{name: "image/warm/audit-no-fsync-peer", resultCache: true, auditOpts: []audit.Option{audit.WithoutSyncUnsafe()},
			req: gate.Request{JobToken: gate.NewToken(f.mainTok), Image: f.release.Image}, requests: loadRequests(t, false)},
	}
	for _, sc := range scenarios {
		t.Run(sc.name, func(t *testing.T) {
			lg := newAuditLog(t, sc.auditOpts...)
			// Every client presents one job's token, so that job may have
			// as many decisions in flight as the gate.
			lim := gate.Limits{MaxBody: 1 << 20, MaxInFlight: 2 * loadConcurrency, MaxInFlightPerJob: 2 * loadConcurrency, Timeout: 10 * time.Second}
			opts := append([]gate.Option{gate.WithLimits(lim)}, sc.opts...)
			g, err := f.lab.GateWith(t.Context(), sc.resultCache, lg, opts...)
			if err != nil {
				t.Fatal(err)
			}
			srv := httptest.NewServer(g.Handler())
			defer srv.Close()
			b := body(t, sc.req)
			// One request first, so the warm scenarios measure warm
			// decisions and connection set-up is out of the numbers.
			if status, resp := post(t, srv.URL, b); status != http.StatusOK || !resp.Allowed {
				t.Fatalf("warm-up: %d %+v", status, resp)
			}
			conc := sc.conc
			if conc == 0 {
				conc = loadConcurrency
			}
			if sc.gcPercent != 0 && os.Getenv("GOGC") == "" {
				defer debug.SetGCPercent(debug.SetGCPercent(sc.gcPercent))
			}
			r := runLoad(t.Context(), srv.URL+gate.PathAdmit, b, true, sc.requests, conc, loadMaxTime())
			t.Logf("%s: %v", sc.name, r)
			if r.errors != 0 {
				t.Errorf("%d errors, first: %s", r.errors, r.firstErr)
			}
			if r.requests == 0 {
				t.Fatal("no request completed")
			}
			// Bounded memory: the caches are bounded and nothing per
			// request may be retained.
			if r.heapGrowth > 64<<20 {
				t.Errorf("live heap grew by %d bytes over %d requests", r.heapGrowth, r.requests)
			}
			if got := lg.Size(); got < uint64(r.requests-r.errors) {
				t.Errorf("audit log has %d entries for %d decisions", got, r.requests)
			}
		})
	}
	// Peer in the same run: the same clients posting the same body to a
	// handler that reads it and answers a fixed allow, with the gate's
	// server limits. What this costs per request (client, loopback TCP,
	// net/http on both sides) is spent before the gate decides anything; the
	// decision floors (BenchmarkDecide's peers) come on top.
	t.Run("peer/http-only", func(t *testing.T) {
		b := body(t, gate.Request{JobToken: gate.NewToken(f.mainTok), Image: f.release.Image})
		allow := []byte(`{"allowed":true,"outcome":"allow"}`)
		srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if _, err := io.Copy(io.Discard, http.MaxBytesReader(w, r.Body, 1<<20)); err != nil {
				http.Error(w, err.Error(), http.StatusBadRequest)
				return
			}
			w.Header().Set("Content-Type", "application/json")
			w.Write(allow)
		}))
		defer srv.Close()
		r := runLoad(t.Context(), srv.URL, b, true, loadRequests(t, false), loadConcurrency, loadMaxTime())
		t.Logf("peer/http-only: %v", r)
		if r.errors != 0 {
			t.Errorf("%d errors, first: %s", r.errors, r.firstErr)
		}
	})
}

// cpuTime is the process's user+system CPU time: unlike latency on a shared
// machine, it does not grow with other processes' load.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
