// Package policytest runs Rego unit tests (the test_* rules of *_test.rego
// files, as `opa test` does) from a Go test, so that users test their own
// policies with `go test` and no opa binary.
//
//	//go:embed policies
//	var policies embed.FS
//
//	func TestPolicies(t *testing.T) {
//		sub, _ := fs.Sub(policies, "policies")
//		policytest.Run(t, sub, policytest.With(policy.Builtin()))
//	}
//
// Tests are compiled with the same capabilities as [policy.New] (no
// network, no opa.runtime, no JSON schema builtins, which read local
// files, no builtins that ignore the deadline) and with builtin errors raised, so a test that
// passes here exercises the policy as the evaluator will run it.
package policytest

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"io/fs"
	"maps"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/open-policy-agent/opa/v1/ast"
	"github.com/open-policy-agent/opa/v1/storage/inmem"
	"github.com/open-policy-agent/opa/v1/tester"

	"github.com/ztci/ztci/policy"
	"github.com/ztci/ztci/policy/internal/caps"
)

// ErrNoTests is returned when the policy has no test rules to run, which
// almost always means the wrong directory was given.
var ErrNoTests = errors.New("policytest: no test rules found")

// Option configures [Run] and [Results]. A nil Option, or one given an
// unusable value, makes them fail with an error wrapping
// [policy.ErrInvalidOption] before any test runs.
type Option func(*config) error

type config struct {
	extra   []policy.Source
	filter  string
	timeout time.Duration
}

// With adds modules and data the tests need, for example [policy.Builtin]
// when the policy imports the built-in library, or [policy.Data] for
// configuration. Their own *_test.rego files are not run.
func With(src policy.Source) Option {
	return func(c *config) error {
		if src == nil {
			return fmt.Errorf("%w: policytest.With: nil source", policy.ErrInvalidOption)
		}
		c.extra = append(c.extra, src)
		return nil
	}
}

// Filter runs only tests whose "package.name" matches the regular
// expression re (as `opa test --run`). A pattern that does not compile is
// refused rather than matching nothing, which would look like a pass.
func Filter(re string) Option {
	return func(c *config) error {
		if _, err := regexp.Compile(re); err != nil {
			return fmt.Errorf("%w: policytest.Filter: %w", policy.ErrInvalidOption, err)
		}
		c.filter = re
		return nil
	}
}

// Timeout bounds each test rule (default 10s); d must be positive.
func Timeout(d time.Duration) Option {
	return func(c *config) error {
		if d <= 0 {
			return fmt.Errorf("%w: policytest.Timeout: %v is not positive", policy.ErrInvalidOption, d)
		}
		c.timeout = d
		return nil
	}
}

// Result is the outcome of one test rule.
type Result struct {
	// Name is "package.rule", e.g. "data.acme.deploy_test.test_denies_unsigned".
	Name string
	// Location is "file:line" of the rule.
	Location string
	// Pass, Skip: the outcome. A test that neither passed nor was skipped
	// failed; Err is set if it failed with an error rather than undefined
	// or false.
	Pass, Skip bool
	Err        error
	// Output holds what the test printed (print()).
	Output string

	file string
	row  int
}

// withoutTests drops the *_test.rego files of a supporting source: only
// the tests in the fsys given to Run or Results are run.
func withoutTests(src policy.Source) policy.Source {
	return policy.SourceFunc(func(ctx context.Context) (*policy.Bundle, error) {
		b, err := src.Load(ctx)
		if err != nil {
			return nil, err
		}
		out := *b
		out.Modules = maps.Clone(b.Modules)
		maps.DeleteFunc(out.Modules, func(p, _ string) bool { return strings.HasSuffix(p, "_test.rego") })
		return &out, nil
	})
}

// Run runs the test rules of the *_test.rego files in fsys (laid out as for
// [policy.FS]) and reports each as a subtest of t. It fails t if the policy
// does not compile or has no tests.
func Run(t *testing.T, fsys fs.FS, opts ...Option) {
	t.Helper()
	rs, err := Results(t.Context(), fsys, opts...)
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range rs {
		t.Run(r.Name, func(t *testing.T) {
			if r.Output != "" {
				t.Log(r.Output)
			}
			switch {
			case r.Skip:
				t.Skipf("%s: skipped (todo_ rule)", r.Location)
			case r.Err != nil:
				t.Errorf("%s: %v", r.Location, r.Err)
			case !r.Pass:
				t.Errorf("%s: test rule is false or undefined", r.Location)
			}
		})
	}
}

// Results runs the tests like [Run] and returns their outcomes, in file
// and line order.
func Results(ctx context.Context, fsys fs.FS, opts ...Option) ([]Result, error) {
	c := config{timeout: 10 * time.Second}
	for _, o := range opts {
		if o == nil {
			return nil, fmt.Errorf("%w: policytest: nil Option", policy.ErrInvalidOption)
		}
		if err := o(&c); err != nil {
			return nil, err
		}
	}
	srcs := []policy.Source{policy.FS(fsys)}
	for _, x := range c.extra {
		srcs = append(srcs, withoutTests(x))
	}
	b, err := policy.Merge(srcs...).Load(ctx)
	if err != nil {
		return nil, err
	}
	mods := make(map[string]*ast.Module, len(b.Modules))
	for _, p := range slices.Sorted(maps.Keys(b.Modules)) {
		m, err := ast.ParseModuleWithOpts(p, b.Modules[p], ast.ParserOptions{RegoVersion: ast.RegoV1})
		if err != nil {
			return nil, fmt.Errorf("policytest: %w: %w", policy.ErrCompile, err)
		}
		mods[p] = m
	}
	store := inmem.NewFromObject(b.Data)
	txn, err := store.NewTransaction(ctx)
	if err != nil {
		return nil, fmt.Errorf("policytest: %w", err)
	}
	defer store.Abort(ctx, txn)
	runner := tester.NewRunner().
		SetCompiler(ast.NewCompiler().WithCapabilities(caps.Capabilities()).WithEnablePrintStatements(true)).
		SetStore(store).
		SetModules(mods).
		SetDefaultRegoVersion(ast.RegoV1).
		RaiseBuiltinErrors(true).
		CapturePrintOutput(true).
		SetTimeout(c.timeout)
	if c.filter != "" {
		runner = runner.Filter(c.filter)
	}
	ch, err := runner.RunTests(ctx, txn)
	if err != nil {
		return nil, fmt.Errorf("policytest: %w: %w", policy.ErrCompile, err)
	}
	var out []Result
	for r := range ch {
		res := Result{
			Name:   r.Package + "." + r.Name,
			Pass:   r.Pass(),
			Skip:   r.Skip,
			Err:    r.Error,
			Output: string(r.Output),
		}
		if r.Location != nil {
			res.Location = fmt.Sprintf("%s:%d", r.Location.File, r.Location.Row)
			res.file, res.row = r.Location.File, r.Location.Row
		}
		out = append(out, res)
	}
	slices.SortFunc(out, func(a, b Result) int {
		return cmp.Or(strings.Compare(a.file, b.file), a.row-b.row, strings.Compare(a.Name, b.Name))
	})
	if len(out) == 0 {
		return nil, ErrNoTests
	}
	return out, nil
}
