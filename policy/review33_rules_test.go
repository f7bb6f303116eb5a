package policy_test

import (
	"context"
	"errors"
	"strings"
	"testing"
	"unicode"

	"github.com/ztci/ztci/identity"
	"github.com/ztci/ztci/policy"
	"github.com/ztci/ztci/secrets"
)

// TestReview33RulesRuleIDRefused: a rule id reaches the audit event's
// violations, Decision.String (logged in Warn and DryRun modes) and the
// reason a secrets broker audits and puts in its DeniedError. A policy
// that builds one from input (sprintf("k8s.%s", [input.x])) let whoever
// writes the input put a newline, an ANSI escape or a bidi override in
// those records, or a megabyte in every one of them. A rule id that is not
// printable UTF-8 of at most policy.MaxRuleBytes is a wrong shape: no
// decision.
func TestReview33RulesRuleIDRefused(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name string
		rule string // a Rego expression
	}{
		{name: "newline", rule: `sprintf("deploy.x\nallow mode=enforce rev=%s", [input.job.id])`},
		{name: "escape", rule: `"deploy.\u001b[32mok"`},
		{name: "bidi override", rule: `"deploy.\u202eko"`},
		{name: "tab", rule: `"deploy.\tx"`},
		{name: "too long", rule: `concat("", ["deploy.", concat("", [x | some _ in numbers.range(1, 4096); x := "x"])])`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			src := fsPolicy("package test\ndecision := {\"allow\": false, \"violations\": [{\"rule\": " + tc.rule + ", \"message\": \"m\"}]}")
			e, err := policy.New(t.Context(), src, policy.WithQuery("data.test.decision"))
			if err != nil {
				t.Fatal(err)
			}
			d, err := e.Evaluate(t.Context(), policy.Input{Job: policy.Job{ID: "j"}})
			var se *policy.ShapeError
			if !errors.Is(err, policy.ErrResultShape) || !errors.As(err, &se) || !errors.Is(err, policy.ErrNoDecision) {
				t.Fatalf("Evaluate = %v, %v; want a ShapeError", d, err)
			}
		})
	}
}

// TestReview33RulesRuleIDAccepted: the ids the library and vendors use
// are unchanged.
func TestReview33RulesRuleIDAccepted(t *testing.T) {
	t.Parallel()
	for _, rule := range []string{"deploy.signer_not_allowed", "acme/k8s:privileged-1", "règle.é", strings.Repeat("x", policy.MaxRuleBytes)} {
		src := fsPolicy("package test\ndecision := {\"allow\": false, \"violations\": [{\"rule\": \"" + rule + "\", \"message\": \"m\"}]}")
		e, err := policy.New(t.Context(), src, policy.WithQuery("data.test.decision"))
		if err != nil {
			t.Fatal(err)
		}
		d, err := e.Evaluate(t.Context(), policy.Input{})
		if err != nil || d.Allowed || len(d.Violations) != 1 || d.Violations[0].Rule != rule {
			t.Fatalf("%q: Evaluate = %v, %v", rule, d, err)
		}
	}
}

// TestReview33RulesSecretsReason: SecretsAuthorizer takes any Evaluator;
// rule ids from one that is not an Engine reach the broker's reason
// (audited, and the DeniedError's text) quoted when they are not
// printable, and clipped.
func TestReview33RulesSecretsReason(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name    string
		allowed bool
		mode    policy.Mode
	}{
		{name: "deny", mode: policy.Enforce},
		{name: "warn", allowed: true, mode: policy.Warn},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			ev := policy.EvaluatorFunc(func(context.Context, policy.Input) (policy.Decision, error) {
				return policy.Decision{Allowed: tc.allowed, Mode: tc.mode, Revision: "r", Violations: []policy.Violation{
					{Rule: "a\nsecrets: secret \"x\" released\x1b[0m\u202e", Message: "m"},
					{Rule: strings.Repeat("y", 1<<16), Message: "m"},
				}}, nil
			})
			d, err := policy.SecretsAuthorizer(ev).Authorize(t.Context(), secrets.Request{Identity: identity.Identity{}, Name: "db"})
			if err != nil {
				t.Fatal(err)
			}
			if d.Allow != tc.allowed {
				t.Fatalf("Allow = %v", d.Allow)
			}
			if strings.ContainsFunc(d.Reason, func(r rune) bool { return !unicode.IsPrint(r) }) {
				t.Fatalf("reason holds a character that is not printable: %q", d.Reason)
			}
			if len(d.Reason) > 4*policy.MaxRuleBytes {
				t.Fatalf("reason is %d bytes", len(d.Reason))
			}
		})
	}
}

// TestReview33RulesMergeNilBundle: a Source that returns no bundle and no
// error (a vendor's SourceFunc) inside Merge panicked on a nil Bundle;
// from a background reload that is the whole process. It is an ErrLoad.
func TestReview33RulesMergeNilBundle(t *testing.T) {
	t.Parallel()
	nilSrc := policy.SourceFunc(func(context.Context) (*policy.Bundle, error) { return nil, nil })
	for _, tc := range []struct {
		name string
		src  policy.Source
	}{
		{name: "first", src: policy.Merge(nilSrc, policy.Builtin())},
		{name: "last", src: policy.Merge(policy.Builtin(), nilSrc)},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			b, err := tc.src.Load(t.Context())
			if !errors.Is(err, policy.ErrLoad) {
				t.Fatalf("Load = %v, %v; want ErrLoad", b, err)
			}
			if _, err := policy.New(t.Context(), tc.src); !errors.Is(err, policy.ErrLoad) {
				t.Fatalf("New = %v; want ErrLoad", err)
			}
		})
	}
}
