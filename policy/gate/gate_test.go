package gate_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/ztci/ztci/attest"
	"github.com/ztci/ztci/audit"
	"github.com/ztci/ztci/identity"
	"github.com/ztci/ztci/internal/redact"
	"github.com/ztci/ztci/internal/redact/redacttest"
	"github.com/ztci/ztci/policy"
	"github.com/ztci/ztci/policy/gate"
	"github.com/ztci/ztci/verify"
)

const (
	goodToken = "good-job-token-canary-7f3a"
	// artifactDigest is the subject of testdata/provenance-conformance.
	artifactDigest = "sha256:a0cfc71271d6e278e57cd332ff957c3f7043fdda354c4cbb190a30d56efa01bf"
	conformanceSAN = "https://github.com/sigstore-conformance/extremely-dangerous-public-oidc-beacon/.github/workflows/extremely-dangerous-oidc-beacon.yml@refs/heads/main"
	githubIssuer   = "https://token.actions.githubusercontent.com"
)

// memSink records audit events; failing makes every write fail.
type memSink struct {
	mu      sync.Mutex
	events  []audit.Event
	failing bool
}

func (s *memSink) Write(_ context.Context, ev audit.Event) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.failing {
		return errors.New("sink down")
	}
	s.events = append(s.events, ev)
	return nil
}

func (s *memSink) all() []audit.Event {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]audit.Event(nil), s.events...)
}

var tokens = identity.TokenVerifierFunc(func(_ context.Context, raw string) (identity.Identity, error) {
	if raw != goodToken {
		return identity.Identity{}, errors.New("token rejected")
	}
	return identity.Identity{Issuer: "https://ci.example", Subject: "repo:acme/app:ref:refs/heads/main",
		Claims: identity.Claims{Repository: "acme/app", Ref: "refs/heads/main", RefProtected: true, RunID: "42"}}, nil
})

// allowVerified is a policy that allows exactly the artifacts the gate
// reports as verified, and records what it saw.
type allowVerified struct {
	mu   sync.Mutex
	seen []policy.Input
}

func (p *allowVerified) Evaluate(_ context.Context, in policy.Input) (policy.Decision, error) {
	p.mu.Lock()
	p.seen = append(p.seen, in)
	p.mu.Unlock()
	if len(in.Artifacts) == 1 && in.Artifacts[0].Verified {
		return policy.Decision{Allowed: true, PolicyAllowed: true, Revision: "test-rev"}, nil
	}
	return policy.Decision{Revision: "test-rev", Violations: []policy.Violation{{Rule: "deploy.not_verified", Message: "no verified attestation"}}}, nil
}

func provenanceVerifier(t testing.TB) *verify.Verifier {
	t.Helper()
	trust, err := verify.PublicGood()
	if err != nil {
		t.Fatal(err)
	}
	v, err := verify.New(trust, verify.Expectation{
		Signer:        verify.Identity{SAN: conformanceSAN, Issuer: githubIssuer},
		PredicateType: attest.PredicateSLSAProvenanceV1,
	})
	if err != nil {
		t.Fatal(err)
	}
	return v
}

func bundle(t testing.TB) json.RawMessage {
	t.Helper()
	b, err := os.ReadFile("testdata/provenance-conformance.sigstore.json")
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func newGate(t testing.TB, eval policy.Evaluator, sink audit.Sink, opts ...gate.Option) *gate.Gate {
	t.Helper()
	g, err := gate.New(tokens, gate.Verifiers{attest.PredicateSLSAProvenanceV1: provenanceVerifier(t)}, eval, sink, opts...)
	if err != nil {
		t.Fatal(err)
	}
	return g
}

// serveGate serves g's handler behind gate.NewServer on 127.0.0.1 until
// the test ends and returns its address.
func serveGate(t testing.TB, g *gate.Gate) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	srv := gate.NewServer("", g.Handler())
	go func() { _ = srv.Serve(ln) }()
	t.Cleanup(func() { _ = srv.Close() })
	return ln.Addr().String()
}

func TestDecideInline(t *testing.T) {
	t.Parallel()
	ctx := t.Context()
	sink := &memSink{}
	pol := &allowVerified{}
	g := newGate(t, pol, sink)

	d, err := g.Decide(ctx, gate.Request{JobToken: gate.NewToken(goodToken), Bundles: []json.RawMessage{bundle(t)}, Name: "a.txt", Digest: artifactDigest})
	if err != nil || !d.Allowed || d.Outcome != gate.OutcomeAllow || !d.Verified || d.Digest != artifactDigest {
		t.Fatalf("Decide = %+v, %v; want a verified allow", d, err)
	}
	if len(pol.seen) != 1 || len(pol.seen[0].Artifacts[0].Attestations) != 1 {
		t.Fatalf("policy saw %+v", pol.seen)
	}
	att := pol.seen[0].Artifacts[0].Attestations[0]
	if att.Signer.SAN != conformanceSAN || att.Provenance == nil || att.Provenance.BuilderID == "" {
		t.Fatalf("attestation for policy = %+v", att)
	}
	if att.Signer.Claims.Runner != "hosted" {
		t.Fatalf("runner claim %q, want github-hosted mapped to hosted", att.Signer.Claims.Runner)
	}
	evs := sink.all()
	if len(evs) != 1 || evs[0].Outcome != audit.OutcomeAllow || evs[0].ID != d.AuditID || evs[0].PolicyRevision != "test-rev" {
		t.Fatalf("audit = %+v", evs)
	}

	// The same bundle for another digest proves nothing about it: no
	// verified attestation, so the artifact is not verified and policy denies.
	other := "sha256:" + strings.Repeat("b", 64)
	d, err = g.Decide(ctx, gate.Request{JobToken: gate.NewToken(goodToken), Bundles: []json.RawMessage{bundle(t)}, Name: "a.txt", Digest: other})
	if err != nil || d.Allowed || d.Verified || len(d.Attestations) != 1 || d.Attestations[0].Verified {
		t.Fatalf("other digest: %+v, %v", d, err)
	}
	if d.String() != "deny "+other+" [deploy.not_verified] rev=test-rev" {
		t.Fatalf("String() = %q", d.String())
	}
}

// A bundle whose statement claims a predicate type the gate has no verifier
// for is not verified by any other verifier.
func TestDecideRoutesByPredicateType(t *testing.T) {
	t.Parallel()
	g, err := gate.New(tokens, gate.Verifiers{attest.PredicateSPDX: provenanceVerifier(t)}, &allowVerified{}, &memSink{})
	if err != nil {
		t.Fatal(err)
	}
	d, err := g.Decide(t.Context(), gate.Request{JobToken: gate.NewToken(goodToken), Bundles: []json.RawMessage{bundle(t)}, Name: "a.txt", Digest: artifactDigest})
	if err != nil || d.Allowed || d.Verified {
		t.Fatalf("Decide = %+v, %v", d, err)
	}
	if !strings.Contains(d.Attestations[0].Error, gate.ErrUnexpectedPredicateType.Error()) {
		t.Fatalf("attestation error %q", d.Attestations[0].Error)
	}
}

func TestDecideFailsClosed(t *testing.T) {
	t.Parallel()
	good := gate.NewToken(goodToken)
	inline := gate.Request{JobToken: good, Bundles: []json.RawMessage{bundle(t)}, Name: "a.txt", Digest: artifactDigest}
	brokenPolicy := policy.EvaluatorFunc(func(context.Context, policy.Input) (policy.Decision, error) {
		return policy.Decision{Allowed: true}, errors.New("engine down")
	})
	tests := []struct {
		name    string
		eval    policy.Evaluator
		failing bool
		req     gate.Request
		want    error
		audited bool
	}{
		{"no token", &allowVerified{}, false, gate.Request{Bundles: inline.Bundles, Name: "a", Digest: artifactDigest}, gate.ErrUnauthenticated, true},
		{"bad token", &allowVerified{}, false, gate.Request{JobToken: gate.NewToken("forged-canary-token"), Image: "r.example/a:b"}, gate.ErrUnauthenticated, true},
		{"image and bundles", &allowVerified{}, false, gate.Request{JobToken: good, Image: "r.example/a:b", Bundles: inline.Bundles}, gate.ErrBadRequest, true},
		{"neither", &allowVerified{}, false, gate.Request{JobToken: good}, gate.ErrBadRequest, true},
		{"md5 digest", &allowVerified{}, false, gate.Request{JobToken: good, Bundles: inline.Bundles, Name: "a", Digest: "md5:00"}, gate.ErrBadRequest, true},
		{"bad reference", &allowVerified{}, false, gate.Request{JobToken: good, Image: "UPPER/case:tag"}, gate.ErrBadRequest, true},
		{"policy error", brokenPolicy, false, inline, gate.ErrUndecided, true},
		{"audit down", &allowVerified{}, true, inline, gate.ErrUndecided, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			sink := &memSink{failing: tt.failing}
			g := newGate(t, tt.eval, sink)
			d, err := g.Decide(t.Context(), tt.req)
			if !errors.Is(err, tt.want) || d.Allowed || d.Outcome != gate.OutcomeError {
				t.Fatalf("Decide = %+v, %v; want a refusal wrapping %v", d, err, tt.want)
			}
			evs := sink.all()
			if tt.audited && (len(evs) != 1 || evs[0].ID != d.AuditID || evs[0].Outcome == audit.OutcomeAllow) {
				t.Fatalf("audit = %+v (decision audit id %q)", evs, d.AuditID)
			}
			for _, ev := range evs {
				if b, _ := json.Marshal(ev); bytes.Contains(b, []byte("canary")) {
					t.Fatalf("a token reached the audit event: %s", b)
				}
			}
			if strings.Contains(err.Error()+d.Error, "canary") {
				t.Fatal("a token reached the error")
			}
		})
	}
}

func TestNewRejectsMisuse(t *testing.T) {
	t.Parallel()
	v := provenanceVerifier(t)
	vs := gate.Verifiers{attest.PredicateSLSAProvenanceV1: v}
	tests := []struct {
		name string
		fn   func() (*gate.Gate, error)
	}{
		{"nil tokens", func() (*gate.Gate, error) { return gate.New(nil, vs, &allowVerified{}, &memSink{}) }},
		{"no verifiers", func() (*gate.Gate, error) { return gate.New(tokens, nil, &allowVerified{}, &memSink{}) }},
		{"nil verifier", func() (*gate.Gate, error) {
			return gate.New(tokens, gate.Verifiers{"x": nil}, &allowVerified{}, &memSink{})
		}},
		{"nil eval", func() (*gate.Gate, error) { return gate.New(tokens, vs, nil, &memSink{}) }},
		{"nil sink", func() (*gate.Gate, error) { return gate.New(tokens, vs, &allowVerified{}, nil) }},
		{"nil option", func() (*gate.Gate, error) { return gate.New(tokens, vs, &allowVerified{}, &memSink{}, nil) }},
		{"nil logger", func() (*gate.Gate, error) {
			return gate.New(tokens, vs, &allowVerified{}, &memSink{}, gate.WithLogger(nil))
		}},
		{"empty registries", func() (*gate.Gate, error) {
			return gate.New(tokens, vs, &allowVerified{}, &memSink{}, gate.WithRegistries())
		}},
		{"negative limit", func() (*gate.Gate, error) {
			return gate.New(tokens, vs, &allowVerified{}, &memSink{}, gate.WithLimits(gate.Limits{MaxBody: -1}))
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if _, err := tt.fn(); !errors.Is(err, gate.ErrConfig) {
				t.Fatalf("err = %v, want ErrConfig", err)
			}
		})
	}
}

func TestDecodeRequestStrict(t *testing.T) {
	t.Parallel()
	bad := []string{
		`{"JOB_TOKEN":"x","image":"r/a:b"}`,
		`{"job_token":"x","Image":"r/a:b"}`,
		`{"job_token":"x","image":"r/a:b","image":"evil/a:b"}`,
		`{"job_token":"x","image":"r/a:b","extra":1}`,
		`{"job_token":"x","image":"r/a:b"} {}`,
		`[{"job_token":"x"}]`,
		`null`,
		``,
		// Ambiguity at every depth, not only in the top-level object.
		`{"job_token":"x","\u0069mage":"r/a:b","image":"evil/a:b"}`,
		`{"job_token":"x","bundles":[{"mediaType":"m","mediaType":"n"}],"name":"r/a","digest":"sha256:00"}`,
		`{"job_token":"x","bundles":[{"mediaType":"m","MediaType":"n"}],"name":"r/a","digest":"sha256:00"}`,
	}
	for _, b := range bad {
		if _, err := gate.DecodeRequest([]byte(b)); !errors.Is(err, gate.ErrBadRequest) {
			t.Errorf("DecodeRequest(%s) = %v, want ErrBadRequest", b, err)
		}
	}
	req, err := gate.DecodeRequest([]byte(`{"job_token":"x","image":"r/a:b"}`))
	if err != nil || req.JobToken.Reveal() != "x" || req.Image != "r/a:b" {
		t.Fatalf("DecodeRequest = %+v, %v", req, err)
	}
	// A bundle is not held to the Request's member names: its "Digest" or
	// "Image" is not a Request member in another case (verify judges it).
	withBundle := `{"job_token":"x","bundles":[{"mediaType":"m","Image":1,"messageSignature":{"messageDigest":{"algorithm":"SHA2_256","Digest":"x"}}}],"name":"r/a","digest":"sha256:00"}`
	if req, err := gate.DecodeRequest([]byte(withBundle)); err != nil || len(req.Bundles) != 1 || req.Name != "r/a" {
		t.Fatalf("DecodeRequest(bundle) = %+v, %v", req, err)
	}
}

func post(t testing.TB, url, contentType string, body []byte) (int, gate.Decision) {
	t.Helper()
	resp, err := http.Post(url+gate.PathAdmit, contentType, bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var d gate.Decision
	if err := json.NewDecoder(resp.Body).Decode(&d); err != nil {
		t.Fatal(err)
	}
	return resp.StatusCode, d
}

func TestHandler(t *testing.T) {
	t.Parallel()
	var mu sync.Mutex
	refused := map[string]int{}
	obs := gate.ObserverFunc(func(o gate.Observation) {
		mu.Lock()
		defer mu.Unlock()
		if o.Refused != "" {
			refused[o.Refused]++
		}
	})
	srv := httptest.NewServer(newGate(t, &allowVerified{}, &memSink{}, gate.WithObserver(obs), gate.WithLimits(gate.Limits{MaxBody: 64 << 10})).Handler())
	t.Cleanup(srv.Close)
	good, _ := gate.EncodeRequest(gate.Request{JobToken: gate.NewToken(goodToken), Bundles: []json.RawMessage{bundle(t)}, Name: "a.txt", Digest: artifactDigest})

	if code, d := post(t, srv.URL, "application/json", good); code != http.StatusOK || !d.Allowed {
		t.Fatalf("honest request: %d %+v", code, d)
	}
	if code, d := post(t, srv.URL, "application/json; charset=utf-8", good); code != http.StatusOK || !d.Allowed {
		t.Fatalf("with charset: %d %+v", code, d)
	}
	for _, ct := range []string{"text/plain", "", "application/x-www-form-urlencoded", "application/jsonp"} {
		if code, d := post(t, srv.URL, ct, good); code != http.StatusUnsupportedMediaType || d.Allowed {
			t.Fatalf("content type %q: %d %+v", ct, code, d)
		}
	}
	if code, _ := post(t, srv.URL, "application/json", bytes.Repeat([]byte(" "), 65<<10)); code != http.StatusRequestEntityTooLarge {
		t.Fatalf("large body: %d", code)
	}
	if code, _ := post(t, srv.URL, "application/json", []byte(`{"job_token":"x","IMAGE":"r/a:b"}`)); code != http.StatusBadRequest {
		t.Fatalf("case-variant member: %d", code)
	}
	mu.Lock()
	defer mu.Unlock()
	if refused["content_type"] != 4 || refused["too_large"] != 1 || refused["bad_request"] != 1 {
		t.Fatalf("observed refusals %v", refused)
	}
}

// 64 and more connections that send headers and a few body bytes and then
// stall take no decision slot: honest requests are decided meanwhile, and
// the stalled ones are cut off at the body deadline.
func TestStalledClientsDoNotStarveTheGate(t *testing.T) {
	t.Parallel()
	const stalled = 96
	g := newGate(t, &allowVerified{}, &memSink{}, gate.WithLimits(gate.Limits{MaxInFlight: 4, BodyTimeout: 2 * time.Second}))
	addr := serveGate(t, g)
	url := "http://" + addr

	conns := make([]net.Conn, 0, stalled)
	for range stalled {
		c, err := net.Dial("tcp", addr)
		if err != nil {
			t.Fatal(err)
		}
		conns = append(conns, c)
		fmt.Fprintf(c, "POST %s HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 100000\r\n\r\n{\"job_", gate.PathAdmit)
	}
	t.Cleanup(func() {
		for _, c := range conns {
			_ = c.Close()
		}
	})
	time.Sleep(100 * time.Millisecond) // let the server start reading every stalled body

	good, _ := gate.EncodeRequest(gate.Request{JobToken: gate.NewToken(goodToken), Bundles: []json.RawMessage{bundle(t)}, Name: "a.txt", Digest: artifactDigest})
	for i := range 8 {
		if code, d := post(t, url, "application/json", good); code != http.StatusOK || !d.Allowed {
			t.Fatalf("honest request %d under %d stalled connections: %d %+v", i, stalled, code, d)
		}
	}
	// A stalled body is answered 408 at the body deadline.
	_ = conns[0].SetReadDeadline(time.Now().Add(10 * time.Second))
	buf := make([]byte, 64)
	n, _ := conns[0].Read(buf)
	if !bytes.HasPrefix(buf[:n], []byte("HTTP/1.1 408")) {
		t.Fatalf("stalled connection got %q, want a 408", buf[:n])
	}
}

// TestTokenRedacts: a Request's job token never reaches text, by any fmt
// verb, slog handler, json.Marshal or wrapping error, alone or inside the
// Request.
func TestTokenRedacts(t *testing.T) {
	t.Parallel()
	const canary = "eyJ.canary-7c3e9f.sig"
	tok := gate.NewToken(canary)
	redacttest.Check(t, tok, canary, redact.Marker)
	redacttest.Check(t, gate.Request{JobToken: tok, Image: "r/a:b"}, canary, "")
}
