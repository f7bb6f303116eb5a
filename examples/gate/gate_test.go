package main

import (
	"bytes"
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/ztci/ztci/audit"
	"github.com/ztci/ztci/identity"
	"github.com/ztci/ztci/policy"
	"github.com/ztci/ztci/policy/gate"
	"github.com/ztci/ztci/policy/gate/gatetest"
	"github.com/ztci/ztci/verify"
)

// fixture is a lab with a released image (main, protected) and an image
// from an unprotected branch, both attested.
type fixture struct {
	lab      *gatetest.Lab
	release  *gatetest.Published
	feature  *gatetest.Published
	mainTok  string // gate token of a job on refs/heads/main (protected)
	branchTk string // gate token of a job on an unprotected branch
}

func newFixture(t testing.TB) *fixture {
	t.Helper()
	ctx := t.Context()
	lab, err := gatetest.Start(ctx)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = lab.Close() })
	f := &fixture{lab: lab}
	if f.release, err = lab.Publish(ctx, gatetest.Job{Ref: "refs/heads/main", Protected: true}, "v1"); err != nil {
		t.Fatal(err)
	}
	if f.feature, err = lab.Publish(ctx, gatetest.Job{Ref: "refs/heads/feature/x", Protected: false}, "feature-x"); err != nil {
		t.Fatal(err)
	}
	tok, err := lab.Token(ctx, gatetest.Job{Ref: "refs/heads/main", Protected: true})
	if err != nil {
		t.Fatal(err)
	}
	f.mainTok = tok.Reveal()
	if tok, err = lab.Token(ctx, gatetest.Job{Ref: "refs/heads/feature/x", Protected: false}); err != nil {
		t.Fatal(err)
	}
	f.branchTk = tok.Reveal()
	return f
}

// pinned is the release image's reference by digest: the form a scheduler
// that pins images sends, which the gate decides on without asking the
// registry what a tag points at.
func (f *fixture) pinned() string { return f.release.Name + "@" + f.release.Digest }

// newAuditLog opens a fresh fsync'd audit log in a temporary directory.
func newAuditLog(t testing.TB, opts ...audit.Option) *audit.Log {
	t.Helper()
	_, key, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	lg, err := audit.Open(context.Background(), filepath.Join(t.TempDir(), "audit.log"), "ztci.example/gate/test", key, opts...)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = lg.Close() })
	return lg
}

func body(t testing.TB, r gate.Request) []byte {
	t.Helper()
	b, err := gate.EncodeRequest(r)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func post(t testing.TB, url string, b []byte) (int, *gate.Decision) {
	t.Helper()
	resp, err := http.Post(url+gate.PathAdmit, "application/json", bytes.NewReader(b))
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var out gate.Decision
	if err := json.NewDecoder(resp.Body).Decode(&out); err != nil {
		t.Fatal(err)
	}
	return resp.StatusCode, &out
}

func TestHandler(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	g, err := f.lab.GateWith(t.Context(), true, newAuditLog(t), gate.WithLimits(gate.Limits{MaxBody: 64 << 10}))
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(g.Handler())
	t.Cleanup(srv.Close)

	tests := []struct {
		name       string
		body       []byte
		wantStatus int
		wantAllow  bool
		wantRules  []string
	}{
		{name: "release image allowed", body: body(t, gate.Request{JobToken: gate.NewToken(f.mainTok), Image: f.release.Image}),
			wantStatus: http.StatusOK, wantAllow: true},
		{name: "inline bundles allowed", body: body(t, gate.Request{JobToken: gate.NewToken(f.mainTok), Bundles: asRaw(f.release.Bundles), Name: f.release.Name, Digest: f.release.Digest}),
			wantStatus: http.StatusOK, wantAllow: true},
		{name: "unprotected branch denied", body: body(t, gate.Request{JobToken: gate.NewToken(f.branchTk), Image: f.feature.Image}),
			wantStatus: http.StatusOK, wantRules: []string{"deploy.source_ref_not_allowed", "deploy.unprotected_ref"}},
		{name: "branch image deployed by main job denied", body: body(t, gate.Request{JobToken: gate.NewToken(f.mainTok), Image: f.feature.Image}),
			wantStatus: http.StatusOK, wantRules: []string{"deploy.source_ref_not_allowed"}},
		{name: "bundles for another digest denied", body: body(t, gate.Request{JobToken: gate.NewToken(f.mainTok), Bundles: asRaw(f.release.Bundles), Name: f.release.Name, Digest: f.feature.Digest}),
			wantStatus: http.StatusOK, wantRules: []string{"deploy.provenance_missing", "deploy.unverified"}},
		{name: "forged token", body: body(t, gate.Request{JobToken: gate.NewToken(f.mainTok[:len(f.mainTok)-4] + "AAAA"), Image: f.release.Image}),
			wantStatus: http.StatusUnauthorized},
		{name: "no token", body: []byte(`{"image":"` + f.release.Image + `"}`), wantStatus: http.StatusUnauthorized},
		{name: "image and bundles", body: body(t, gate.Request{JobToken: gate.NewToken(f.mainTok), Image: f.release.Image, Bundles: asRaw(f.release.Bundles), Name: "x", Digest: f.release.Digest}),
			wantStatus: http.StatusBadRequest},
		{name: "registry not allowed", body: body(t, gate.Request{JobToken: gate.NewToken(f.mainTok), Image: "registry.evil.example/acme/app:v1"}),
			wantStatus: http.StatusBadRequest},
		{name: "unknown field", body: []byte(`{"job_token":"x","image":"a","admin":true}`), wantStatus: http.StatusBadRequest},
		{name: "trailing data", body: []byte(`{"job_token":"x","image":"a"} {}`), wantStatus: http.StatusBadRequest},
		{name: "body too large", body: []byte(`{"job_token":"` + strings.Repeat("a", 128<<10) + `"}`), wantStatus: http.StatusRequestEntityTooLarge},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			status, resp := post(t, srv.URL, tt.body)
			if status != tt.wantStatus {
				t.Fatalf("status %d, want %d (%+v)", status, tt.wantStatus, resp)
			}
			if resp.Allowed != tt.wantAllow {
				t.Fatalf("allowed %v, want %v (%+v)", resp.Allowed, tt.wantAllow, resp)
			}
			if tt.wantAllow && (resp.Digest != f.release.Digest || resp.AuditID == "") {
				t.Errorf("allowed %s (audit %q), want %s", resp.Digest, resp.AuditID, f.release.Digest)
			}
			if got := resp.Rules(); tt.wantRules != nil && !slices.Equal(sorted(got), tt.wantRules) {
				t.Errorf("rules %v, want %v", got, tt.wantRules)
			}
			if strings.Contains(resp.Error, f.mainTok) {
				t.Error("the response reveals the job token")
			}
		})
	}
}

func asRaw(bs [][]byte) []json.RawMessage {
	out := make([]json.RawMessage, 0, len(bs))
	for _, b := range bs {
		out = append(out, json.RawMessage(b))
	}
	return out
}

func sorted(s []string) []string {
	s = slices.Clone(s)
	slices.Sort(s)
	return s
}

// TestOverloaded: with every slot taken, a request is refused at once with
// 503. The token verifier is a double that blocks until released: the only
// way to hold a slot deterministically.
func TestOverloaded(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	entered, release := make(chan struct{}), make(chan struct{})
	block := identity.TokenVerifierFunc(func(ctx context.Context, _ string) (identity.Identity, error) {
		entered <- struct{}{}
		<-release
		return identity.Identity{}, errors.New("refused")
	})
	eval := policy.EvaluatorFunc(func(context.Context, policy.Input) (policy.Decision, error) {
		return policy.Decision{}, errors.New("unreachable")
	})
	g, err := gate.New(block, mustVerifiers(t, f), eval, newAuditLog(t), gate.WithLimits(gate.Limits{MaxInFlight: 1}))
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(g.Handler())
	t.Cleanup(srv.Close)
	b := body(t, gate.Request{JobToken: gate.NewToken("t"), Image: f.release.Image})
	done := make(chan int)
	go func() {
		s, _ := post(t, srv.URL, b)
		done <- s
	}()
	<-entered
	if s, resp := post(t, srv.URL, b); s != http.StatusServiceUnavailable || resp.Allowed {
		t.Errorf("second request: %d %+v, want 503", s, resp)
	}
	close(release)
	if s := <-done; s != http.StatusUnauthorized {
		t.Errorf("first request: %d, want 401", s)
	}
}

func mustVerifiers(t *testing.T, f *fixture) map[string]*verify.Verifier {
	t.Helper()
	vs, err := f.lab.Verifiers(false)
	if err != nil {
		t.Fatal(err)
	}
	return vs
}

func TestHealthAndMetrics(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	m, err := newMetrics()
	if err != nil {
		t.Fatal(err)
	}
	g, err := f.lab.GateWith(t.Context(), true, newAuditLog(t), gate.WithObserver(m))
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(g.Handler())
	t.Cleanup(srv.Close)
	msrv := httptest.NewServer(m.handler())
	t.Cleanup(msrv.Close)
	post(t, srv.URL, body(t, gate.Request{JobToken: gate.NewToken(f.mainTok), Image: f.release.Image}))
	post(t, srv.URL, body(t, gate.Request{JobToken: gate.NewToken(f.branchTk), Image: f.feature.Image}))
	for url, want := range map[string][]string{
		srv.URL + gate.PathHealthz: {"ok"},
		msrv.URL + pathMetrics: {
			`ztci_gate_decisions_total{ztci_gate_decision="allow"} 1`,
			`ztci_gate_decisions_total{ztci_gate_decision="deny"} 1`,
			`ztci_gate_denials_total{ztci_gate_rule="deploy.unprotected_ref"} 1`,
			`ztci_gate_decision_duration_seconds_count{ztci_gate_decision="allow"} 1`,
		},
	} {
		resp, err := http.Get(url)
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		for _, w := range want {
			if resp.StatusCode != http.StatusOK || !strings.Contains(string(b), w) {
				t.Errorf("GET %s: %d, want %q in\n%s", url, resp.StatusCode, w, b)
			}
		}
		if strings.Contains(string(b), f.mainTok) {
			t.Errorf("GET %s reveals a token", url)
		}
	}
}

// TestServe runs the command's server with a trusted root file, decides one
// request over loopback, then shuts down gracefully when ctx ends.
func TestServe(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	dir := t.TempDir()
	tr, err := f.lab.TrustedRootJSON()
	if err != nil {
		t.Fatal(err)
	}
	trPath := filepath.Join(dir, "trusted_root.json")
	if err := os.WriteFile(trPath, tr, 0o644); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(t.Context())
	ready, errc := make(chan string, 1), make(chan error, 1)
	go func() {
		errc <- run(ctx, []string{"--addr", "127.0.0.1:0", "--issuer", f.lab.IssuerURL(), "--trusted-root", trPath,
			"--signer-san", gatetest.SignerSAN, "--builder", gatetest.BuilderID, "--source", gatetest.SourceURI,
			"--allow-registry", f.lab.Registry(), "--tlog-threshold", "0", "--sct-threshold", "0",
			"--signed-timestamp-threshold", "1", "--audit-log", filepath.Join(dir, "audit.log"),
			"--audit-key", filepath.Join(dir, "audit.key")}, io.Discard, ready)
	}()
	var addr string
	select {
	case addr = <-ready:
	case err := <-errc:
		t.Fatal(err)
	}
	status, resp := post(t, "http://"+addr, body(t, gate.Request{JobToken: gate.NewToken(f.mainTok), Image: f.release.Image}))
	if status != http.StatusOK || !resp.Allowed {
		t.Fatalf("%d %+v", status, resp)
	}
	cancel()
	if err := <-errc; err != nil {
		t.Fatalf("shutdown: %v", err)
	}
	log, err := os.ReadFile(filepath.Join(dir, "audit.log"))
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Contains(log, []byte(resp.AuditID)) {
		t.Error("the decision is not in the audit log")
	}
}

func TestRunFlags(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		args []string
	}{
		{name: "nothing", args: nil},
		{name: "no registry", args: []string{"--issuer", "https://i", "--trusted-root", "x", "--signer-san", "s", "--builder", "b", "--source", "s"}},
		{name: "stray argument", args: []string{"extra"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			if err := run(t.Context(), tt.args, io.Discard, nil); err == nil {
				t.Fatal("run accepted incomplete flags")
			}
		})
	}
}

// TestDemo serves `gate --demo`, decides its two prepared requests and
// shuts down, removing its files.
func TestDemo(t *testing.T) {
	t.Parallel()
	ctx, cancel := context.WithCancel(t.Context())
	var out safeBuffer
	ready, errc := make(chan string, 1), make(chan error, 1)
	go func() { errc <- run(ctx, []string{"--demo", "--addr", "127.0.0.1:0"}, &out, ready) }()
	var addr string
	select {
	case addr = <-ready:
	case err := <-errc:
		t.Fatal(err)
	}
	var files []string
	for _, f := range strings.Fields(out.String()) {
		if strings.HasPrefix(f, "@") {
			files = append(files, strings.TrimPrefix(f, "@"))
		}
	}
	if len(files) != 2 {
		t.Fatalf("demo printed %q", out.String())
	}
	for i, want := range []bool{true, false} {
		b, err := os.ReadFile(files[i])
		if err != nil {
			t.Fatal(err)
		}
		if status, resp := post(t, "http://"+addr, b); status != http.StatusOK || resp.Allowed != want {
			t.Errorf("%s: %d %+v", files[i], status, resp)
		}
		// The demo's tokens are single-use, like the command's.
		if status, resp := post(t, "http://"+addr, b); status != http.StatusUnauthorized || resp.Allowed {
			t.Errorf("%s again: %d %+v, want 401", files[i], status, resp)
		}
	}
	cancel()
	if err := <-errc; err != nil {
		t.Fatalf("shutdown: %v", err)
	}
	if _, err := os.Stat(filepath.Dir(files[0])); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("demo directory left behind: %v", err)
	}
}

type safeBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *safeBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *safeBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// TestAuditsEveryDecision: allow, deny and refusals (a registry the gate
// does not read, a token that does not verify) are each audited once; a
// refusal of an unauthenticated caller names no job.
func TestAuditsEveryDecision(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	var (
		mu     sync.Mutex
		events []audit.Event
	)
	sink := audit.SinkFunc(func(_ context.Context, e audit.Event) error {
		mu.Lock()
		defer mu.Unlock()
		events = append(events, e)
		return nil
	})
	g, err := f.lab.GateWith(t.Context(), true, sink)
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range []gate.Request{
		{JobToken: gate.NewToken(f.mainTok), Image: f.release.Image},
		{JobToken: gate.NewToken(f.branchTk), Image: f.feature.Image},
		{JobToken: gate.NewToken(f.mainTok), Image: "registry.evil.example/acme/app:v1"},
		{JobToken: gate.NewToken("not-a-token"), Image: f.release.Image},
	} {
		_, _ = g.Decide(t.Context(), r)
	}
	var got []audit.Outcome
	for _, e := range events {
		got = append(got, e.Outcome)
		if e.Action != gate.AuditAction || e.Actor.ID == "" {
			t.Errorf("event %+v", e)
		}
	}
	if want := []audit.Outcome{audit.OutcomeAllow, audit.OutcomeDeny, audit.OutcomeDeny, audit.OutcomeDeny}; !slices.Equal(got, want) {
		t.Errorf("audited %v, want %v", got, want)
	}
	if len(events) == 4 && (events[2].Actor.ID == "unauthenticated" || events[3].Actor.ID != "unauthenticated") {
		t.Errorf("actors %q, %q: want the job, then unauthenticated", events[2].Actor.ID, events[3].Actor.ID)
	}
}

// TestAuditKeyPermissions: the audit key is stored unencrypted, so one that
// group or others may read is refused (as attest/ca refuses its key); the
// key the gate creates is 0600 and loads again.
func TestAuditKeyPermissions(t *testing.T) {
	t.Parallel()
	if runtime.GOOS == "windows" {
		t.Skip("POSIX permissions")
	}
	path := filepath.Join(t.TempDir(), "audit.key")
	created, err := loadOrCreateKey(path)
	if err != nil {
		t.Fatal(err)
	}
	fi, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	if fi.Mode().Perm() != 0o600 {
		t.Fatalf("created with %v, want 0600", fi.Mode().Perm())
	}
	loaded, err := loadOrCreateKey(path)
	if err != nil || !loaded.Equal(created) {
		t.Fatalf("reload: %v", err)
	}
	if err := os.Chmod(path, 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := loadOrCreateKey(path); err == nil || !strings.Contains(err.Error(), "permissions") {
		t.Fatalf("loaded a world-readable key: %v", err)
	}
}
