package gate_test

import (
	"bytes"
	"context"
	"crypto/ed25519"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/go-containerregistry/pkg/v1/remote"

	"github.com/ztci/ztci/attest"
	"github.com/ztci/ztci/attest/inventory"
	"github.com/ztci/ztci/audit"
	"github.com/ztci/ztci/identity"
	"github.com/ztci/ztci/policy"
	"github.com/ztci/ztci/policy/gate"
	"github.com/ztci/ztci/policy/gate/gatetest"
	"github.com/ztci/ztci/verify"
	"github.com/ztci/ztci/verify/image"
)

// stallingBody hands over the whole response, then holds Close until the
// request's context ends: the registry answered, and the decision's time
// ran out right after.
type stallingBody struct {
	io.ReadCloser
	r *http.Request
}

func (b stallingBody) Close() error {
	<-b.r.Context().Done()
	return b.ReadCloser.Close()
}

// clock is a settable clock.
type clock struct {
	mu  sync.Mutex
	now time.Time
}

func (c *clock) Now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.now }
func (c *clock) Add(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = c.now.Add(d)
}

// A decision whose time runs out after the registry answered but before the
// attestations were verified is undecided, and that is not remembered: the
// cancelled bundle verifications are not rejections, so no "not verified"
// verdict is cached for the next request (which would deny a good image for
// the verdict cache's lifetime).
func TestReview10CancelledVerificationNotCachedAsRejected(t *testing.T) {
	t.Parallel()
	ctx := t.Context()
	w := newVSAWorld(t)
	img := w.publishMain(t)
	var stall atomic.Bool
	rt := roundTripper(func(r *http.Request) (*http.Response, error) {
		resp, err := http.DefaultTransport.RoundTrip(r)
		if err == nil && stall.Load() && strings.Contains(r.URL.Path, "/referrers/") {
			resp.Body = stallingBody{ReadCloser: resp.Body, r: r}
		}
		return resp, err
	})
	clk := &clock{now: time.Now()}
	// The timeout must cover the first and the last decisions' whole
	// verification (token, registry, bundles) on a loaded machine: at
	// 300 ms they timed out now and then, and the test failed on them,
	// not on what it checks. The stalled decision waits it out whatever
	// it is (its stalled read ends only with the verification's context).
	g, _ := w.gate(t, discard(), gate.WithLimits(gate.Limits{Timeout: 5 * time.Second}),
		gate.WithImageOptions(image.WithTransport(rt), image.WithCache(64, time.Minute), image.WithClock(clk.Now)))
	if d, err := g.Decide(ctx, w.request(t, img.Image)); err != nil || !d.Allowed {
		t.Fatalf("first decision: %s, %v", d, err)
	}
	clk.Add(2 * time.Minute) // the verdict expired; the artifacts stay cached
	stall.Store(true)
	d, err := g.Decide(ctx, w.request(t, img.Image))
	if d.Allowed || !errors.Is(err, gate.ErrUndecided) {
		t.Errorf("decision whose time ran out: %s, %v; want undecided", d, err)
	}
	stall.Store(false)
	if d, err := g.Decide(ctx, w.request(t, img.Image)); err != nil || !d.Allowed {
		t.Fatalf("next decision: %s, %v (source %q); want the image allowed again", d, err, d.VerdictSource)
	}
}

// flakySink refuses writes while down.
type flakySink struct{ down atomic.Bool }

func (s *flakySink) Write(context.Context, audit.Event) error {
	if s.down.Load() {
		return errors.New("audit store unavailable")
	}
	return nil
}

// The same for a bundle verifier that could not audit its verification
// (verify.WithAudit, verify.ErrAudit): the verification does not count for
// this request, and once the audit store is back the image is verified
// again, not denied from a cached verdict of "not verified".
func TestReview10UnauditedVerificationNotCachedAsRejected(t *testing.T) {
	t.Parallel()
	ctx := t.Context()
	w := newVSAWorld(t)
	img := w.publishMain(t)
	trJSON, err := w.lab.TrustedRootJSON()
	if err != nil {
		t.Fatal(err)
	}
	trust, err := verify.ParseTrustedRoot(trJSON)
	if err != nil {
		t.Fatal(err)
	}
	sink := &flakySink{}
	signer := verify.Identity{SAN: gatetest.SignerSAN, Issuer: w.lab.IssuerURL()}
	opts := []verify.Option{verify.WithTlogThreshold(0), verify.WithSCTThreshold(0), verify.WithSignedTimestampThreshold(1),
		verify.WithAudit(sink, "review10-gate")}
	prov, err := verify.New(trust, verify.Expectation{Signer: signer, PredicateType: attest.PredicateSLSAProvenanceV1,
		Provenance: &verify.Provenance{BuilderID: gatetest.BuilderID, BuildType: gatetest.BuildType, SourceRepository: gatetest.SourceURI}}, opts...)
	if err != nil {
		t.Fatal(err)
	}
	sbom, err := verify.New(trust, verify.Expectation{Signer: signer, PredicateType: attest.PredicateCycloneDX}, opts...)
	if err != nil {
		t.Fatal(err)
	}
	g, _ := w.gateWith(t, gate.Verifiers{attest.PredicateSLSAProvenanceV1: prov, attest.PredicateCycloneDX: sbom}, w.lab.PolicyConfig(), discard(),
		gate.WithImageOptions(image.WithCache(64, time.Hour)))
	sink.down.Store(true)
	if d, err := g.Decide(ctx, w.request(t, img.Image)); d.Allowed || !errors.Is(err, gate.ErrUndecided) {
		t.Errorf("verification not audited: %s, %v; want undecided", d, err)
	}
	sink.down.Store(false)
	if d, err := g.Decide(ctx, w.request(t, img.Image)); err != nil || !d.Allowed {
		t.Fatalf("audit store back: %s, %v (source %q); want allowed", d, err, d.VerdictSource)
	}
}

// openLog opens an fsync'd audit log (which, like any sink honouring its
// context, refuses a write whose context has ended) and returns it with a
// function reading back the gate's events.
func openLog(t *testing.T) (*audit.Log, func() []audit.Event) {
	t.Helper()
	path := filepath.Join(t.TempDir(), "audit.log")
	lg, err := audit.Open(t.Context(), path, "ztci.example/gate/review10", ed25519.NewKeyFromSeed(make([]byte, ed25519.SeedSize)))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = lg.Close() })
	return lg, func() []audit.Event {
		t.Helper()
		f, err := os.Open(path)
		if err != nil {
			t.Fatal(err)
		}
		defer f.Close()
		var evs []audit.Event
		if err := audit.ReadEntries(t.Context(), f, func(e audit.Entry) error {
			if e.Event.Action == gate.AuditAction {
				evs = append(evs, e.Event)
			}
			return nil
		}); err != nil {
			t.Fatal(err)
		}
		return evs
	}
}

// A request whose caller goes away mid-verification (a client that
// disconnects), or whose decision deadline passes, is audited all the same:
// one event, an undecided deny. The audit log refuses a write whose context
// has ended, so the event must not be written with the caller's context.
func TestReview10CancelledDecisionAudited(t *testing.T) {
	t.Parallel()
	w := newVSAWorld(t)
	img := w.publishMain(t)
	entered, release := make(chan struct{}, 8), make(chan struct{})
	t.Cleanup(func() { close(release) })
	rt := roundTripper(func(r *http.Request) (*http.Response, error) {
		if strings.Contains(r.URL.Path, "/manifests/") {
			// The registry hangs: the verification ends only when the
			// test does, so the caller's context is what ends each
			// decision (the second joins the first one's flight).
			entered <- struct{}{}
			<-release
		}
		return http.DefaultTransport.RoundTrip(r)
	})
	lg, events := openLog(t)
	g, _ := w.gate(t, lg, gate.WithImageOptions(image.WithTransport(rt)), gate.WithLimits(gate.Limits{Timeout: 500 * time.Millisecond}))

	t.Run("caller gone", func(t *testing.T) {
		ctx, cancel := context.WithCancel(t.Context())
		go func() { <-entered; cancel() }()
		d, err := g.Decide(ctx, w.request(t, img.Image))
		if d.Allowed || !errors.Is(err, gate.ErrUndecided) {
			t.Fatalf("Decide = %s, %v; want undecided", d, err)
		}
		if d.AuditID == "" {
			t.Errorf("no audit id: %v", err)
		}
	})
	t.Run("deadline passed", func(t *testing.T) {
		status, d := post(t, "http://"+serveGate(t, g), "application/json", mustEncode(t, w.request(t, img.Image)))
		if d.Allowed || status != http.StatusServiceUnavailable || d.AuditID == "" {
			t.Fatalf("%d %s (audit %q); want an audited 503", status, d, d.AuditID)
		}
	})
	evs := events()
	if len(evs) != 2 {
		t.Fatalf("%d audit events, want 2: %+v", len(evs), evs)
	}
	for _, ev := range evs {
		if ev.Outcome != audit.OutcomeError {
			t.Errorf("audited %s %q, want an undecided deny", ev.Outcome, ev.Reason)
		}
	}
}

func mustEncode(t *testing.T, r gate.Request) []byte {
	t.Helper()
	b, err := gate.EncodeRequest(r)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// A panic in a decision's own goroutine — the vendor's token verifier or
// evaluator, or the gate's conversion of what was verified — is an
// undecided deny, audited once, not a request net/http recovers from with
// no audit event and no answer; and it gives back the job's decision slot,
// which would otherwise stay taken until the process restarts (a job, or
// the admission webhook's single identity, made ErrJobBusy for ever after
// Limits.MaxInFlightPerJob panics).
func TestReview10PanicIsAnAuditedUndecidedDeny(t *testing.T) {
	t.Parallel()
	good := gate.NewToken(goodToken)
	inline := gate.Request{JobToken: good, Bundles: []json.RawMessage{bundle(t)}, Name: "a.txt", Digest: artifactDigest}
	panicking := policy.EvaluatorFunc(func(context.Context, policy.Input) (policy.Decision, error) {
		panic("evaluator bug holding " + goodToken)
	})
	panickingTokens := identity.TokenVerifierFunc(func(context.Context, string) (identity.Identity, error) {
		panic("token verifier bug")
	})
	for _, tc := range []struct {
		name   string
		tokens identity.TokenVerifier
		eval   policy.Evaluator
		actor  string
	}{
		{name: "evaluator", tokens: tokens, eval: panicking, actor: "job"},
		{name: "token verifier", tokens: panickingTokens, eval: &allowVerified{}, actor: "unauthenticated"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			sink := &memSink{}
			g, err := gate.New(tc.tokens, gate.Verifiers{attest.PredicateSLSAProvenanceV1: provenanceVerifier(t)}, tc.eval, sink,
				gate.WithLimits(gate.Limits{MaxInFlightPerJob: 1}))
			if err != nil {
				t.Fatal(err)
			}
			for i := range 2 { // the second finds the job's slot free again
				d, err := g.Decide(t.Context(), inline)
				if d.Allowed || !errors.Is(err, gate.ErrUndecided) || errors.Is(err, gate.ErrJobBusy) || d.AuditID == "" {
					t.Fatalf("decision %d: %s, %v (audit %q); want an audited undecided deny", i, d, err, d.AuditID)
				}
				if strings.Contains(err.Error()+d.Error, goodToken) {
					t.Fatal("the panic's value reached the error")
				}
			}
			evs := sink.all()
			if len(evs) != 2 {
				t.Fatalf("%d audit events, want 2", len(evs))
			}
			for _, ev := range evs {
				actor := "job"
				if ev.Actor.ID == "unauthenticated" {
					actor = "unauthenticated"
				}
				if ev.Outcome != audit.OutcomeError || actor != tc.actor {
					t.Errorf("audited %s by %s (%q), want an error by %s", ev.Outcome, actor, ev.Reason, tc.actor)
				}
				if b, _ := json.Marshal(ev); bytes.Contains(b, []byte(goodToken)) {
					t.Error("the panic's value reached the audit event")
				}
			}
			// Over HTTP the caller gets the undecided answer, not a reset
			// connection.
			status, d := post(t, "http://"+serveGate(t, g), "application/json", mustEncode(t, inline))
			if status != http.StatusServiceUnavailable || d.Allowed {
				t.Errorf("HTTP: %d %s; want 503", status, d)
			}
		})
	}
}

// A caller that gives up while policy is allowing gets an undecided deny,
// and the log records that, not an allow nobody received (an admission
// webhook past its deadline has already denied the review).
func TestReview10NoAllowRecordedForACallerGone(t *testing.T) {
	t.Parallel()
	lg, events := openLog(t)
	var cancel context.CancelFunc
	allowAndHangUp := policy.EvaluatorFunc(func(context.Context, policy.Input) (policy.Decision, error) {
		cancel()
		return policy.Decision{Allowed: true, PolicyAllowed: true, Revision: "test-rev"}, nil
	})
	g := newGate(t, allowAndHangUp, lg)
	ctx, c := context.WithCancel(t.Context())
	cancel = c
	d, err := g.Decide(ctx, gate.Request{JobToken: gate.NewToken(goodToken), Bundles: []json.RawMessage{bundle(t)}, Name: "a.txt", Digest: artifactDigest})
	if d.Allowed || !errors.Is(err, gate.ErrUndecided) || d.AuditID == "" {
		t.Fatalf("Decide = %s, %v (audit %q); want an audited undecided deny", d, err, d.AuditID)
	}
	if evs := events(); len(evs) != 1 || evs[0].Outcome != audit.OutcomeError || evs[0].ID != d.AuditID {
		t.Fatalf("audit = %+v", evs)
	}
}

// Registries send blob reads to pre-signed storage URLs whose query is a
// credential (S3's X-Amz-Credential and X-Amz-Signature). When the storage
// cannot be reached, net/http's error quotes that URL: the gate's answer
// (Decision.Error, read by the caller) and its log must not carry the query.
func TestReview10PresignedURLNotEchoed(t *testing.T) {
	t.Parallel()
	const canary = "SIGNATURE-CANARY-4d1f"
	w := newVSAWorld(t)
	img := w.publishMain(t)
	rt := roundTripper(func(r *http.Request) (*http.Response, error) {
		switch {
		case r.URL.Host == "storage.example":
			return nil, errors.New("connection reset by peer")
		case strings.Contains(r.URL.Path, "/blobs/"):
			return &http.Response{StatusCode: http.StatusTemporaryRedirect, Request: r, Body: http.NoBody,
				Header: http.Header{"Location": {"https://storage.example/blob?X-Amz-Credential=AKIA" + canary + "&X-Amz-Signature=" + canary}}}, nil
		}
		return http.DefaultTransport.RoundTrip(r)
	})
	var logs safeLog
	g, _ := w.gate(t, discard(), gate.WithImageOptions(image.WithTransport(rt)),
		gate.WithLogger(slog.New(slog.NewTextHandler(&logs, &slog.HandlerOptions{Level: slog.LevelDebug}))))
	d, err := g.Decide(t.Context(), w.request(t, img.Image))
	if d.Allowed || err == nil {
		t.Fatalf("Decide = %s, %v; want undecided", d, err)
	}
	b, _ := json.Marshal(d)
	if strings.Contains(err.Error()+string(b)+logs.String(), canary) {
		t.Fatalf("the pre-signed URL's credential was echoed: %v\n%s\n%s", err, b, logs.String())
	}
	// Where the read failed is the operator's to know (review 21: a
	// registry's error reaches the caller as its category only).
	if !strings.Contains(logs.String(), "storage.example/blob") || strings.Contains(err.Error(), "storage.example") {
		t.Errorf("the log no longer says where the read failed, or the caller is told: %v\n%s", err, logs.String())
	}
}

type safeLog struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *safeLog) Write(p []byte) (int, error) { l.mu.Lock(); defer l.mu.Unlock(); return l.b.Write(p) }
func (l *safeLog) String() string              { l.mu.Lock(); defer l.mu.Unlock(); return l.b.String() }

// A digest in another algorithm than sha256 is the caller's mistake, as it
// is for inline bundles: a bad request, refused before any registry is
// asked, not an undecided request that reads like a registry outage.
func TestReview10NonSHA256DigestIsABadRequest(t *testing.T) {
	t.Parallel()
	hex := strings.Repeat("ab", 64)
	for _, img := range []string{
		"r.example/acme/app@sha512:" + hex,
		"r.example/acme/app:v1@sha512:" + hex,
	} {
		sink := &memSink{}
		g := newGate(t, &allowVerified{}, sink, gate.WithRegistries("r.example"))
		d, err := g.Decide(t.Context(), gate.Request{JobToken: gate.NewToken(goodToken), Image: img})
		if d.Allowed || !errors.Is(err, gate.ErrBadRequest) {
			t.Errorf("%s: %s, %v; want a bad request", img, d, err)
		}
		if evs := sink.all(); len(evs) != 1 || evs[0].Outcome != audit.OutcomeDeny {
			t.Errorf("%s: audit %+v", img, evs)
		}
	}
}

// DNS names are case-insensitive, and so is WithRegistries: a reference
// whose registry host is spelled in capitals is the same registry, read the
// same, and the gate decides on it under one spelling. Otherwise policy
// (a rule about a repository), the audit event and the inventory see a name
// the usual spelling does not match, and a rule denying
// registry.example/acme/app is passed by REGISTRY.EXAMPLE/acme/app.
func TestReview10RegistryHostCaseCanonical(t *testing.T) {
	t.Parallel()
	w := newVSAWorld(t)
	img := w.publishMain(t)
	// registry.example is the Lab's registry, over https as any registry
	// with a DNS name is reached.
	rt := roundTripper(func(r *http.Request) (*http.Response, error) {
		if !strings.EqualFold(r.URL.Hostname(), "registry.example") {
			return nil, fmt.Errorf("unexpected host %q", r.URL.Host)
		}
		c := r.Clone(r.Context())
		c.URL.Scheme, c.URL.Host, c.Host = "http", w.lab.Registry(), ""
		resp, err := http.DefaultTransport.RoundTrip(c)
		if err == nil {
			resp.Request = r
		}
		return resp, err
	})
	const denied = "registry.example/acme/app"
	var mu sync.Mutex
	var names []string
	denyRepo := policy.EvaluatorFunc(func(_ context.Context, in policy.Input) (policy.Decision, error) {
		for _, a := range in.Artifacts {
			mu.Lock()
			names = append(names, a.Name)
			mu.Unlock()
			if a.Name == denied {
				return policy.Decision{Revision: "r", Violations: []policy.Violation{{Rule: "test.repo_denied"}}}, nil
			}
		}
		return policy.Decision{Allowed: true, PolicyAllowed: true, Revision: "r"}, nil
	})
	vs, err := w.lab.Verifiers(false)
	if err != nil {
		t.Fatal(err)
	}
	sink := &memSink{}
	g, err := gate.New(w.tokens, vs, denyRepo, sink, gate.WithRegistries("registry.example"), gate.WithImageOptions(image.WithTransport(rt)))
	if err != nil {
		t.Fatal(err)
	}
	for _, ref := range []string{"registry.example/acme/app@" + img.Digest, "REGISTRY.EXAMPLE/acme/app@" + img.Digest, "Registry.Example/acme/app:v1"} {
		d, err := g.Decide(t.Context(), w.request(t, ref))
		if err != nil || d.Allowed || !slices.Equal(d.Rules(), []string{"test.repo_denied"}) {
			t.Errorf("%s: %s, %v; want denied by the repository rule", ref, d, err)
		}
	}
	for _, n := range names {
		if n != denied {
			t.Errorf("policy saw %q", n)
		}
	}
	for _, ev := range sink.all() {
		if !strings.HasPrefix(ev.Resource, denied+"@") {
			t.Errorf("audited resource %q", ev.Resource)
		}
	}
	// The inventory holds the image under the one spelling too.
	store := inventory.NewMemory()
	allow := policy.EvaluatorFunc(func(context.Context, policy.Input) (policy.Decision, error) {
		return policy.Decision{Allowed: true, PolicyAllowed: true, Revision: "r"}, nil
	})
	g, err = gate.New(w.tokens, vs, allow, &memSink{}, gate.WithRegistries("registry.example"),
		gate.WithImageOptions(image.WithTransport(rt)), gate.WithInventory(store))
	if err != nil {
		t.Fatal(err)
	}
	if d, err := g.Decide(t.Context(), w.request(t, "Registry.Example/acme/app:v1")); err != nil || !d.Allowed {
		t.Fatalf("allowing gate: %s, %v", d, err)
	}
	res, err := store.Query(t.Context(), inventory.Query{Digest: img.Digest})
	if err != nil || len(res.Admissions) != 1 || res.Admissions[0].Image != denied+":v1" {
		t.Errorf("inventory: %+v, %v; want one admission of %s:v1", res, err, denied)
	}
}

// Docker Hub spelled in capitals is Docker Hub: go-containerregistry maps
// only "docker.io" to index.docker.io, so "Docker.IO" was refused by
// WithRegistries("docker.io") and, without it, read from another host.
func TestReview10DockerHubHostCase(t *testing.T) {
	t.Parallel()
	var mu sync.Mutex
	var hosts []string
	rt := roundTripper(func(r *http.Request) (*http.Response, error) {
		mu.Lock()
		hosts = append(hosts, r.URL.Host)
		mu.Unlock()
		return nil, errors.New("offline")
	})
	g := newGate(t, &allowVerified{}, &memSink{}, gate.WithRegistries("docker.io"),
		gate.WithImageOptions(image.WithTransport(rt), image.WithRetryBackoff(remote.Backoff{Steps: 1})))
	_, err := g.Decide(t.Context(), gate.Request{JobToken: gate.NewToken(goodToken), Image: "Docker.IO/library/app:v1"})
	if errors.Is(err, gate.ErrBadRequest) || !errors.Is(err, gate.ErrUndecided) {
		t.Fatalf("Decide: %v; want Docker Hub asked (and undecided, offline)", err)
	}
	mu.Lock()
	defer mu.Unlock()
	if len(hosts) == 0 {
		t.Error("no registry asked")
	}
	for _, h := range hosts {
		if h != "index.docker.io" {
			t.Errorf("asked %q", h)
		}
	}
}

// Inline bundles left unverified because the caller's time ran out were not
// judged: the request is undecided (an error in the log), not a deny for
// bundles "rejected" by a cancelled context.
func TestReview10InlineCancelledIsUndecided(t *testing.T) {
	t.Parallel()
	sink := &memSink{}
	g := newGate(t, &allowVerified{}, sink)
	ctx, cancel := context.WithCancel(t.Context())
	cancel()
	d, err := g.Decide(ctx, gate.Request{JobToken: gate.NewToken(goodToken), Bundles: []json.RawMessage{bundle(t)}, Name: "a.txt", Digest: artifactDigest})
	if d.Allowed || !errors.Is(err, gate.ErrUndecided) || len(d.Violations) > 0 {
		t.Fatalf("Decide = %s, %v; want undecided", d, err)
	}
	if evs := sink.all(); len(evs) != 1 || evs[0].Outcome != audit.OutcomeError {
		t.Fatalf("audit = %+v", evs)
	}
}

// The audit event of a refused request names what it asked about, clipped:
// clipped mid-character it was not UTF-8, which the audit log refuses, so a
// request whose image (or name) had a multi-byte character at the cut was
// refused with no trace in the log.
func TestReview10LongReferenceRefusalAudited(t *testing.T) {
	t.Parallel()
	for _, req := range []gate.Request{
		{JobToken: gate.NewToken(goodToken), Image: "r.example/" + strings.Repeat("a", 501) + "é:v1"},
		{JobToken: gate.NewToken(goodToken), Bundles: []json.RawMessage{bundle(t)}, Name: strings.Repeat("a", 511) + "é", Digest: "md5:00"},
		{JobToken: gate.NewToken("forged-canary-token"), Image: strings.Repeat("€", 200)},
	} {
		lg, events := openLog(t)
		g := newGate(t, &allowVerified{}, lg)
		d, err := g.Decide(t.Context(), req)
		if d.Allowed || err == nil || errors.Is(err, gate.ErrUndecided) || d.AuditID == "" {
			t.Errorf("Decide = %s, %v (audit %q); want an audited refusal", d, err, d.AuditID)
		}
		if evs := events(); len(evs) != 1 || evs[0].Outcome != audit.OutcomeDeny {
			t.Errorf("audit = %+v", evs)
		}
	}
}
