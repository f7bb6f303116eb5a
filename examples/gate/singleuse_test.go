package main

import (
	"bytes"
	"context"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/ztci/ztci/audit"
	"github.com/ztci/ztci/policy/gate"
	"github.com/ztci/ztci/policy/gate/gatetest"
)

// startCommand runs the command (not the demo) over f's lab with args
// added, and returns its address, its audit log's path, its stderr and a
// stop function that shuts it down and reports run's error.
func startCommand(t *testing.T, f *fixture, args ...string) (addr, auditLog string, stderr *safeBuffer, stop func() error) {
	t.Helper()
	dir := t.TempDir()
	tr, err := f.lab.TrustedRootJSON()
	if err != nil {
		t.Fatal(err)
	}
	trPath := filepath.Join(dir, "trusted_root.json")
	if err := os.WriteFile(trPath, tr, 0o644); err != nil {
		t.Fatal(err)
	}
	auditLog = filepath.Join(dir, "audit.log")
	ctx, cancel := context.WithCancel(t.Context())
	stderr = &safeBuffer{}
	ready, errc := make(chan string, 1), make(chan error, 1)
	go func() {
		errc <- run(ctx, append([]string{"--addr", "127.0.0.1:0", "--issuer", f.lab.IssuerURL(), "--trusted-root", trPath,
			"--signer-san", gatetest.SignerSAN, "--builder", gatetest.BuilderID, "--source", gatetest.SourceURI,
			"--allow-registry", f.lab.Registry(), "--tlog-threshold", "0", "--sct-threshold", "0",
			"--signed-timestamp-threshold", "1", "--audit-log", auditLog,
			"--audit-key", filepath.Join(dir, "audit.key")}, args...), stderr, ready)
	}()
	select {
	case addr = <-ready:
	case err := <-errc:
		cancel()
		t.Fatal(err)
	}
	stopped := false
	stop = func() error {
		if stopped {
			return nil
		}
		stopped = true
		cancel()
		return <-errc
	}
	t.Cleanup(func() { _ = stop() })
	return addr, auditLog, stderr, stop
}

func (f *fixture) newToken(t *testing.T) string {
	t.Helper()
	tok, err := f.lab.Token(t.Context(), gatetest.Job{Ref: "refs/heads/main", Protected: true})
	if err != nil {
		t.Fatal(err)
	}
	return tok.Reveal()
}

// TestSingleUseTokens: the command accepts a job token once. A replay is
// refused with 401 and "gate: job token not verified" (the documented
// refusal) and audited as a deny of an unauthenticated caller; a token
// spent on a request the gate could not decide is spent all the same
// (fail closed: the job retries with a new token); a request refused
// before the gate reads its token (415) does not spend it.
func TestSingleUseTokens(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	addr, auditLog, stderr, stop := startCommand(t, f)
	base := "http://" + addr

	expect := func(name string, b []byte, wantStatus int, wantAllow bool, wantErr string) {
		t.Helper()
		status, d := post(t, base, b)
		if status != wantStatus || d.Allowed != wantAllow || (wantErr != "" && d.Error != wantErr) {
			t.Errorf("%s: %d %+v, want %d allowed=%v error %q", name, status, d, wantStatus, wantAllow, wantErr)
		}
	}
	// 1. Allowed once, then a replay of the same request is refused.
	tok := f.newToken(t)
	req := body(t, gate.Request{JobToken: gate.NewToken(tok), Image: f.release.Image})
	expect("first use", req, http.StatusOK, true, "")
	expect("replay", req, http.StatusUnauthorized, false, gate.ErrUnauthenticated.Error())
	// The replay of a pinned reference, or a dry run, is no other token.
	expect("replay by digest", body(t, gate.Request{JobToken: gate.NewToken(tok), Image: f.pinned()}), http.StatusUnauthorized, false, gate.ErrUnauthenticated.Error())
	expect("replay as dry run", body(t, gate.Request{JobToken: gate.NewToken(tok), Image: f.release.Image, DryRun: true}), http.StatusUnauthorized, false, gate.ErrUnauthenticated.Error())

	// 2. A request the gate could not decide (the tag is not in the
	// registry) spends its token: the retry needs a new one.
	undecided := f.newToken(t)
	expect("undecided", body(t, gate.Request{JobToken: gate.NewToken(undecided), Image: f.release.Name + ":no-such-tag"}), http.StatusServiceUnavailable, false, "")
	expect("retry of the undecided token", body(t, gate.Request{JobToken: gate.NewToken(undecided), Image: f.release.Image}), http.StatusUnauthorized, false, gate.ErrUnauthenticated.Error())

	// 3. Refused before the token is read: not spent.
	fresh := f.newToken(t)
	freshReq := body(t, gate.Request{JobToken: gate.NewToken(fresh), Image: f.release.Image})
	resp, err := http.Post(base+gate.PathAdmit, "text/plain", bytes.NewReader(freshReq))
	if err != nil {
		t.Fatal(err)
	}
	_, _ = io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusUnsupportedMediaType {
		t.Fatalf("text/plain: %d, want 415", resp.StatusCode)
	}
	expect("after a 415", freshReq, http.StatusOK, true, "")

	if err := stop(); err != nil {
		t.Fatalf("shutdown: %v", err)
	}
	// Every request that reached the gate is audited once, in order; the
	// replays as denies of an unauthenticated caller.
	lf, err := os.Open(auditLog)
	if err != nil {
		t.Fatal(err)
	}
	defer lf.Close()
	var events []audit.Event
	if err := audit.ReadEntries(t.Context(), lf, func(e audit.Entry) error {
		if e.Event.Action == gate.AuditAction {
			events = append(events, e.Event)
		}
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	type summary struct {
		outcome audit.Outcome
		reason  string
		actor   string
	}
	var got []summary
	for _, e := range events {
		s := summary{outcome: e.Outcome, reason: e.Reason, actor: "job"}
		if e.Actor.ID == "unauthenticated" {
			s.actor = "unauthenticated"
		}
		got = append(got, s)
	}
	refused := summary{audit.OutcomeDeny, "refused: unauthenticated", "unauthenticated"}
	want := []summary{
		{audit.OutcomeAllow, "verified and allowed by policy", "job"},
		refused, refused, refused,
		{audit.OutcomeError, "could not decide: undecided", "job"},
		refused,
		{audit.OutcomeAllow, "verified and allowed by policy", "job"},
	}
	if !slices.Equal(got, want) {
		t.Errorf("audited\n%v\nwant\n%v", got, want)
	}
	if n := strings.Count(stderr.String(), "already used"); n != 4 {
		t.Errorf("%d replay warnings, want 4:\n%s", n, stderr.String())
	}
	raw, err := os.ReadFile(auditLog)
	if err != nil {
		t.Fatal(err)
	}
	for _, secret := range []string{tok, undecided, fresh} {
		if strings.Contains(stderr.String(), secret) || bytes.Contains(raw, []byte(secret)) {
			t.Error("a job token reached the log or the audit log")
		}
	}
}

// TestSingleUseOff: --single-use=false accepts a token again (for a
// deployment that enforces single use in front of the gate);
// --replay-cache-size must be positive when single use is on.
func TestSingleUseOff(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	addr, _, _, _ := startCommand(t, f, "--single-use=false")
	req := body(t, gate.Request{JobToken: gate.NewToken(f.mainTok), Image: f.release.Image})
	for i := range 2 {
		if status, d := post(t, "http://"+addr, req); status != http.StatusOK || !d.Allowed {
			t.Fatalf("use %d: %d %+v", i+1, status, d)
		}
	}
	if err := run(t.Context(), []string{"--demo", "--replay-cache-size", "0"}, io.Discard, nil); err == nil || !strings.Contains(err.Error(), "replay-cache-size") {
		t.Errorf("--replay-cache-size 0: %v", err)
	}
}

// TestSingleUseCacheFull: a cache full of unexpired token ids refuses new
// tokens (401) instead of forgetting a spent one.
func TestSingleUseCacheFull(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	addr, _, stderr, _ := startCommand(t, f, "--replay-cache-size", "1")
	if status, d := post(t, "http://"+addr, body(t, gate.Request{JobToken: gate.NewToken(f.newToken(t)), Image: f.release.Image})); status != http.StatusOK || !d.Allowed {
		t.Fatalf("first token: %d %+v", status, d)
	}
	if status, d := post(t, "http://"+addr, body(t, gate.Request{JobToken: gate.NewToken(f.newToken(t)), Image: f.release.Image})); status != http.StatusUnauthorized || d.Allowed {
		t.Fatalf("second token with a full cache: %d %+v, want 401", status, d)
	}
	if !strings.Contains(stderr.String(), "single-use cache is full") {
		t.Errorf("no log line for the full cache:\n%s", stderr.String())
	}
}
