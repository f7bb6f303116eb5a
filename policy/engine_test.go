package policy_test

import (
	"context"
	"encoding/json"
	"errors"
	"slices"
	"strings"
	"sync"
	"testing"
	"testing/fstest"
	"time"

	"github.com/ztci/ztci/audit"
	"github.com/ztci/ztci/policy"
)

func TestDeployGate(t *testing.T) {
	t.Parallel()
	e := newBuiltin(t)
	unsigned := deployInput()
	unsigned.Artifacts[0].Signer = policy.Signer{SAN: "https://github.com/evil/app/.github/workflows/x.yml@refs/heads/main", Issuer: ghIssuer}
	unprotected := deployInput()
	unprotected.Job.Protected = false
	critical := deployInput()
	critical.Artifacts[0].Attestations[1].Scan.Critical = 1
	for _, tc := range []struct {
		name  string
		in    policy.Input
		allow bool
		rules []string
	}{
		{name: "good", in: deployInput(), allow: true},
		{name: "signer not allowed", in: unsigned, rules: []string{"deploy.signer_not_allowed"}},
		{name: "unprotected ref", in: unprotected, rules: []string{"deploy.unprotected_ref"}},
		{name: "critical findings", in: critical, rules: []string{"deploy.critical_findings"}},
		{name: "empty input", in: policy.Input{}, rules: []string{"ztci.unknown_action"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			d, err := e.Evaluate(t.Context(), tc.in)
			if err != nil {
				t.Fatal(err)
			}
			if d.Allowed != tc.allow || d.PolicyAllowed != tc.allow || !slices.Equal(rules(d), tc.rules) {
				t.Fatalf("got %v %v, want allow=%v rules=%v", d, rules(d), tc.allow, tc.rules)
			}
			if d.Revision != e.Revision() || !strings.HasPrefix(d.Revision, "sha256:") || d.Mode != policy.Enforce {
				t.Fatalf("revision/mode: %+v", d)
			}
		})
	}
}

func TestSecretsInput(t *testing.T) {
	t.Parallel()
	e := newBuiltin(t)
	in := deployInput()
	for _, tc := range []struct {
		name    string
		names   []string
		ref     string
		allowed bool
	}{
		{name: "granted", names: []string{"prod/db-password"}, ref: "refs/heads/main", allowed: true},
		{name: "other secret", names: []string{"prod/db-password", "staging/key"}, ref: "refs/heads/main"},
		{name: "other ref", names: []string{"prod/db-password"}, ref: "refs/heads/feature"},
		{name: "no names", ref: "refs/heads/main"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			si := policy.Input{Action: policy.ActionSecretsRelease, Job: in.Job, Secrets: &policy.SecretsRequest{Names: tc.names}}
			si.Job.Ref = tc.ref
			d, err := e.Evaluate(t.Context(), si)
			if err != nil {
				t.Fatal(err)
			}
			if d.Allowed != tc.allowed {
				t.Fatalf("got %v", d)
			}
		})
	}
}

// fsPolicy is a one-module policy answering data.test.decision.
func fsPolicy(rego string) policy.Source {
	return policy.FS(fstest.MapFS{"test/p.rego": {Data: []byte(rego)}})
}

func TestBadPolicy(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name    string
		src     policy.Source
		want    error
		compile bool
	}{
		{name: "syntax error", src: fsPolicy("package test\ndecision := {"), want: policy.ErrCompile, compile: true},
		{name: "type error", src: fsPolicy("package test\ndecision := x if { x := count(1) }"), want: policy.ErrCompile, compile: true},
		{name: "unsafe var", src: fsPolicy("package test\ndecision if { x }"), want: policy.ErrCompile, compile: true},
		{name: "network builtin", src: fsPolicy(`package test
decision := http.send({"method": "GET", "url": "http://127.0.0.1:1"}).body`), want: policy.ErrCompile, compile: true},
		{name: "environment builtin", src: fsPolicy("package test\ndecision := opa.runtime().env"), want: policy.ErrCompile, compile: true},
		{name: "no modules", src: policy.FS(fstest.MapFS{"data.json": {Data: []byte(`{}`)}}), want: policy.ErrLoad},
		{name: "only tests", src: policy.FS(fstest.MapFS{"p_test.rego": {Data: []byte("package t\ntest_x if true")}}), want: policy.ErrLoad},
		{name: "bad data", src: policy.FS(fstest.MapFS{"p.rego": {Data: []byte("package test\ndecision := 1")}, "data.json": {Data: []byte(`{`)}}), want: policy.ErrLoad},
		{name: "missing dir", src: policy.Dir("/nonexistent/policy"), want: policy.ErrLoad},
		{name: "missing bundle", src: policy.BundleFile("/nonexistent/bundle.tar.gz"), want: policy.ErrLoad},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			e, err := policy.New(t.Context(), tc.src, policy.WithQuery("data.test.decision"))
			if !errors.Is(err, tc.want) || e != nil {
				t.Fatalf("got %v, %v; want %v", e, err, tc.want)
			}
			var ce *policy.CompileError
			if errors.As(err, &ce) != tc.compile || (tc.compile && len(ce.Problems) == 0) {
				t.Fatalf("CompileError: %v", err)
			}
		})
	}
}

func TestBadOptions(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name string
		opt  policy.Option
	}{
		{name: "query not a ref", opt: policy.WithQuery("1 + 1")},
		{name: "query outside data", opt: policy.WithQuery("input.x")},
		{name: "query with variable", opt: policy.WithQuery("data.x[y]")},
		{name: "mode", opt: policy.WithMode("audit")},
		{name: "interval", opt: policy.WithReloadInterval(0)},
		{name: "nil sink", opt: policy.WithAudit(nil)},
		{name: "nil checker", opt: policy.WithCompromiseChecker(nil)},
		{name: "nil logger", opt: policy.WithLogger(nil)},
		{name: "nil clock", opt: policy.WithClock(nil)},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			if _, err := policy.New(t.Context(), policy.Builtin(), tc.opt); !errors.Is(err, policy.ErrInvalidOption) {
				t.Fatalf("got %v", err)
			}
		})
	}
	if _, err := policy.New(t.Context(), nil); !errors.Is(err, policy.ErrInvalidOption) {
		t.Fatalf("nil source: %v", err)
	}
}

func TestBadResult(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name  string
		rego  string
		want  error
		path  string
		input policy.Input
	}{
		{name: "undefined", rego: "package test\nother := 1", want: policy.ErrUndefined},
		{name: "undefined for this input", rego: `package test
decision := {"allow": true, "violations": []} if input.action == "x"`, want: policy.ErrUndefined},
		{name: "not an object", rego: "package test\ndecision := true", want: policy.ErrResultShape, path: "decision"},
		{name: "allow missing", rego: `package test
decision := {"violations": []}`, want: policy.ErrResultShape, path: "decision.allow"},
		{name: "allow not boolean", rego: `package test
decision := {"allow": "yes", "violations": []}`, want: policy.ErrResultShape, path: "decision.allow"},
		{name: "violations missing", rego: `package test
decision := {"allow": true, "violation": []}`, want: policy.ErrResultShape, path: "decision.violations"},
		{name: "member beside allow and violations", rego: `package test
decision := {"allow": true, "violations": [], "deny": true}`, want: policy.ErrResultShape, path: "decision.deny"},
		{name: "violation not object", rego: `package test
decision := {"allow": false, "violations": ["no"]}`, want: policy.ErrResultShape, path: "decision.violations[0]"},
		{name: "rule missing", rego: `package test
decision := {"allow": false, "violations": [{"message": "m"}]}`, want: policy.ErrResultShape, path: "decision.violations[0].rule"},
		{name: "message not string", rego: `package test
decision := {"allow": false, "violations": [{"rule": "r", "message": 1}]}`, want: policy.ErrResultShape, path: "decision.violations[0].message"},
		{name: "builtin error", rego: `package test
decision := {"allow": to_number(input.action) > 0, "violations": []}`, want: policy.ErrEvaluation, input: policy.Input{Action: "NaN?"}},
		{name: "conflict", rego: `package test
decision := {"allow": true, "violations": []}
decision := {"allow": false, "violations": []} if input.action == "x"`, want: policy.ErrEvaluation, input: policy.Input{Action: "x"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			e, err := policy.New(t.Context(), fsPolicy(tc.rego), policy.WithQuery("data.test.decision"))
			if err != nil {
				t.Fatal(err)
			}
			d, err := e.Evaluate(t.Context(), tc.input)
			if !errors.Is(err, tc.want) || !errors.Is(err, policy.ErrNoDecision) || d.Allowed {
				t.Fatalf("got %v, %v; want %v", d, err, tc.want)
			}
			var se *policy.ShapeError
			if errors.As(err, &se) != (tc.path != "") || (se != nil && se.Path != tc.path) {
				t.Fatalf("ShapeError %+v, want path %q", se, tc.path)
			}
		})
	}
}

// slowPolicy iterates 25 million times before it can decide.
const slowPolicy = `package test
n := numbers.range(1, 5000)
slow if {
	some i in n
	some j in n
	i * j == -1
}
default slow := false
decision := {"allow": slow == false, "violations": []}`

func TestDeadline(t *testing.T) {
	t.Parallel()
	e, err := policy.New(t.Context(), fsPolicy(slowPolicy), policy.WithQuery("data.test.decision"))
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(t.Context(), 50*time.Millisecond)
	defer cancel()
	d, err := e.Evaluate(ctx, policy.Input{})
	if !errors.Is(err, policy.ErrEvaluation) || !errors.Is(err, context.DeadlineExceeded) || d.Allowed {
		t.Fatalf("got %v, %v", d, err)
	}
	ctx, cancel = context.WithCancel(t.Context())
	cancel()
	if _, err := e.Evaluate(ctx, policy.Input{}); !errors.Is(err, context.Canceled) || !errors.Is(err, policy.ErrNoDecision) {
		t.Fatalf("cancelled: %v", err)
	}
}

func TestModes(t *testing.T) {
	t.Parallel()
	deny := deployInput()
	deny.Job.Protected = false
	for _, tc := range []struct {
		name    string
		mode    policy.Mode
		in      policy.Input
		allowed bool
		policy  bool
	}{
		{name: "enforce allow", mode: policy.Enforce, in: deployInput(), allowed: true, policy: true},
		{name: "enforce deny", mode: policy.Enforce, in: deny},
		{name: "warn deny", mode: policy.Warn, in: deny, allowed: true},
		{name: "dry-run deny", mode: policy.DryRun, in: deny, allowed: true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			rec := &recorder{}
			e := newBuiltin(t, policy.WithMode(tc.mode), policy.WithAudit(rec))
			d, err := e.Evaluate(t.Context(), tc.in)
			if err != nil {
				t.Fatal(err)
			}
			if d.Allowed != tc.allowed || d.PolicyAllowed != tc.policy || d.Mode != tc.mode {
				t.Fatalf("got %+v", d)
			}
			if !tc.policy && !slices.Equal(rules(d), []string{"deploy.unprotected_ref"}) {
				t.Fatalf("violations not reported: %v", d)
			}
			ev := rec.all()
			if len(ev) != 1 || ev[0].Attributes["mode"] != string(tc.mode) || ev[0].Attributes["policy_allowed"] != map[bool]string{true: "true", false: "false"}[tc.policy] {
				t.Fatalf("audit: %+v", ev)
			}
		})
	}
}

func TestDryRunNeverBlocks(t *testing.T) {
	t.Parallel()
	rec := &recorder{}
	e, err := policy.New(t.Context(), fsPolicy("package test\ndecision := 1"), policy.WithQuery("data.test.decision"),
		policy.WithMode(policy.DryRun), policy.WithAudit(rec))
	if err != nil {
		t.Fatal(err)
	}
	d, err := e.Evaluate(t.Context(), policy.Input{})
	if err != nil || !d.Allowed || d.PolicyAllowed || !slices.Equal(rules(d), []string{"ztci.no_decision"}) {
		t.Fatalf("got %+v, %v", d, err)
	}
	if ev := rec.all(); len(ev) != 1 || ev[0].Outcome != audit.OutcomeAllow || !strings.Contains(ev[0].Reason, "could not decide") {
		t.Fatalf("audit: %+v", ev)
	}
	rec.err = errors.New("sink down")
	if d, err := e.Evaluate(t.Context(), policy.Input{}); err != nil || !d.Allowed {
		t.Fatalf("dry-run with failing sink: %v %v", d, err)
	}
}

type compromised map[string]bool

func (c compromised) Compromised(id string) bool { return c[id] }

func TestCompromisedIdentity(t *testing.T) {
	t.Parallel()
	in := deployInput()
	for _, mode := range []policy.Mode{policy.Enforce, policy.Warn, policy.DryRun} {
		t.Run(string(mode), func(t *testing.T) {
			t.Parallel()
			rec := &recorder{}
			e := newBuiltin(t, policy.WithMode(mode), policy.WithAudit(rec),
				policy.WithCompromiseChecker(compromised{in.Job.ID: true}))
			d, err := e.Evaluate(t.Context(), in)
			if err != nil || d.Allowed || !slices.Equal(rules(d), []string{policy.RuleCompromised}) {
				t.Fatalf("got %+v, %v", d, err)
			}
			if ev := rec.all(); len(ev) != 1 || ev[0].Outcome != audit.OutcomeDeny || ev[0].Actor.ID != in.Job.ID {
				t.Fatalf("audit: %+v", ev)
			}
			other := deployInput()
			other.Job.ID = "https://token.actions.githubusercontent.com#repo:acme/other"
			if d, err := e.Evaluate(t.Context(), other); err != nil || !d.Allowed {
				t.Fatalf("other identity: %v %v", d, err)
			}
		})
	}
}

func TestAuditEvent(t *testing.T) {
	t.Parallel()
	const canary = "CANARY-s3cr3t-value-7f3a"
	rec := &recorder{}
	now := time.Date(2026, 11, 22, 12, 0, 0, 0, time.UTC)
	// A policy that echoes input into violation values and messages.
	e, err := policy.New(t.Context(), fsPolicy(`package test
decision := {"allow": false, "violations": [{"rule": "echo", "message": sprintf("%v", [input]), "value": input}]}`),
		policy.WithQuery("data.test.decision"), policy.WithAudit(rec), policy.WithClock(func() time.Time { return now }))
	if err != nil {
		t.Fatal(err)
	}
	in := deployInput()
	in.Pipeline = &policy.Pipeline{Raw: map[string]any{"env": map[string]any{"TOKEN": canary}}}
	in.Secrets = &policy.SecretsRequest{Names: []string{"prod/db-password"}}
	d, err := e.Evaluate(t.Context(), in)
	if err != nil || d.Allowed {
		t.Fatalf("got %v %v", d, err)
	}
	ev := rec.all()
	if len(ev) != 1 {
		t.Fatalf("events: %+v", ev)
	}
	got := ev[0]
	if got.Action != policy.ActionEvaluate || got.Outcome != audit.OutcomeDeny || got.PolicyRevision != d.Revision ||
		!got.Time.Equal(now) || got.Resource != policy.ActionDeploy || got.Correlation.RunID != "9001" ||
		!strings.HasPrefix(got.Attributes["input_digest"], "sha256:") || !slices.Equal(got.Violations, []string{"echo"}) {
		t.Fatalf("event: %+v", got)
	}
	raw, _ := json.Marshal(got)
	if strings.Contains(string(raw), canary) {
		t.Fatalf("audit event leaks input values: %s", raw)
	}
	// The same input has the same digest; a different one does not.
	if _, err := e.Evaluate(t.Context(), in); err != nil {
		t.Fatal(err)
	}
	in.Job.Ref = "refs/heads/other"
	if _, err := e.Evaluate(t.Context(), in); err != nil {
		t.Fatal(err)
	}
	ev = rec.all()
	if ev[1].Attributes["input_digest"] != got.Attributes["input_digest"] || ev[2].Attributes["input_digest"] == got.Attributes["input_digest"] {
		t.Fatal("input digest is not a function of the input")
	}
}

func TestAuditFailureFailsClosed(t *testing.T) {
	t.Parallel()
	rec := &recorder{err: errors.New("disk full")}
	e := newBuiltin(t, policy.WithAudit(rec))
	d, err := e.Evaluate(t.Context(), deployInput())
	if !errors.Is(err, policy.ErrAudit) || !errors.Is(err, policy.ErrNoDecision) || d.Allowed {
		t.Fatalf("got %v %v", d, err)
	}
}

func TestClosed(t *testing.T) {
	t.Parallel()
	e := newBuiltin(t)
	if err := e.Close(); err != nil {
		t.Fatal(err)
	}
	if _, err := e.Evaluate(t.Context(), deployInput()); !errors.Is(err, policy.ErrClosed) {
		t.Fatalf("got %v", err)
	}
	if err := e.Reload(t.Context()); !errors.Is(err, policy.ErrClosed) {
		t.Fatalf("reload: %v", err)
	}
}

// swappable is a Source whose module the test replaces.
type swappable struct {
	mu   sync.Mutex
	rego string
	n    int
}

func (s *swappable) set(rego string) { s.mu.Lock(); s.rego = rego; s.mu.Unlock() }

func (s *swappable) Load(ctx context.Context) (*policy.Bundle, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.n++
	return &policy.Bundle{Modules: map[string]string{"p.rego": s.rego}}, nil
}

const (
	allowAll = `package test
decision := {"allow": true, "violations": []}`
	denyAll = `package test
decision := {"allow": false, "violations": [{"rule": "closed", "message": "closed for maintenance"}]}`
)

func TestReloadKeepsLastGood(t *testing.T) {
	t.Parallel()
	src := &swappable{rego: allowAll}
	rec := &recorder{}
	e, err := policy.New(t.Context(), src, policy.WithQuery("data.test.decision"), policy.WithAudit(rec))
	if err != nil {
		t.Fatal(err)
	}
	rev0 := e.Revision()
	for _, broken := range []string{"package test\ndecision := {", "", "package other\nx := 1"} {
		src.set(broken)
		err := e.Reload(t.Context())
		if broken == "package other\nx := 1" {
			// Compiles, but no longer defines the decision: evaluations
			// report it, the evaluator never runs an empty policy.
			if err != nil {
				t.Fatal(err)
			}
			if _, err := e.Evaluate(t.Context(), policy.Input{}); !errors.Is(err, policy.ErrUndefined) {
				t.Fatalf("got %v", err)
			}
			continue
		}
		if !errors.Is(err, policy.ErrLoad) || !errors.Is(e.LastReloadError(), policy.ErrLoad) || e.Revision() != rev0 {
			t.Fatalf("broken update %q: %v, revision %s", broken, err, e.Revision())
		}
		if d, err := e.Evaluate(t.Context(), policy.Input{}); err != nil || !d.Allowed || d.Revision != rev0 {
			t.Fatalf("last good policy not kept: %v %v", d, err)
		}
	}
	src.set(denyAll)
	if err := e.Reload(t.Context()); err != nil || e.LastReloadError() != nil || e.Revision() == rev0 {
		t.Fatalf("good update: %v", err)
	}
	if d, _ := e.Evaluate(t.Context(), policy.Input{}); d.Allowed || d.Revision != e.Revision() {
		t.Fatalf("new policy not in force: %v", d)
	}
	var fails int
	for _, ev := range rec.all() {
		if ev.Action == policy.ActionReload && ev.Outcome == audit.OutcomeFailure {
			fails++
		}
	}
	if fails != 2 {
		t.Fatalf("reload failures audited: %d", fails)
	}
}

func TestConcurrentEvaluateAndReload(t *testing.T) {
	t.Parallel()
	src := &swappable{rego: allowAll}
	e, err := policy.New(t.Context(), src, policy.WithQuery("data.test.decision"))
	if err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	for range 4 {
		wg.Go(func() {
			for range 200 {
				d, err := e.Evaluate(t.Context(), deployInput())
				if err != nil || (d.Allowed != (len(d.Violations) == 0)) {
					t.Errorf("inconsistent decision %v %v", d, err)
					return
				}
			}
		})
	}
	for i := range 20 {
		src.set([]string{allowAll, denyAll, "package test\ndecision := {"}[i%3])
		_ = e.Reload(t.Context())
	}
	wg.Wait()
}

func (s *swappable) loads() int { s.mu.Lock(); defer s.mu.Unlock(); return s.n }

func TestAuditErrorCarriesNoInputValues(t *testing.T) {
	t.Parallel()
	const canary = "CANARY-not-a-number-41c9"
	rec := &recorder{}
	e, err := policy.New(t.Context(), fsPolicy(`package test
decision := {"allow": to_number(input.artifacts[0].name) > 0, "violations": []}`), policy.WithQuery("data.test.decision"), policy.WithAudit(rec))
	if err != nil {
		t.Fatal(err)
	}
	_, err = e.Evaluate(t.Context(), policy.Input{Artifacts: []policy.Artifact{{Name: canary}}})
	if !errors.Is(err, policy.ErrEvaluation) {
		t.Fatalf("got %v", err)
	}
	ev := rec.all()
	raw, _ := json.Marshal(ev)
	if len(ev) != 1 || ev[0].Outcome != audit.OutcomeError || strings.Contains(string(raw), canary) {
		t.Fatalf("audit: %s", raw)
	}
}

// TestZeroEngineDenies: an Engine not made by New has no policy; Evaluate
// is an error (a deny), not a nil-pointer panic.
func TestZeroEngineDenies(t *testing.T) {
	t.Parallel()
	var e policy.Engine
	d, err := e.Evaluate(t.Context(), deployInput())
	if !errors.Is(err, policy.ErrNoDecision) || d.Allowed {
		t.Fatalf("got %v, %v", d, err)
	}
}
