package policy_test

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/ztci/ztci/policy"
)

// fakeClock is a clock tests move by hand.
type fakeClock struct {
	mu  sync.Mutex
	now time.Time
}

func (c *fakeClock) Now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.now }

func (c *fakeClock) advance(d time.Duration) { c.mu.Lock(); c.now = c.now.Add(d); c.mu.Unlock() }

func wantDecides(t *testing.T, e *policy.Engine, step string) {
	t.Helper()
	if d, err := e.Evaluate(t.Context(), policy.Input{}); err != nil || !d.Allowed {
		t.Fatalf("%s: %v %v, want the policy in force", step, d, err)
	}
}

func wantExpired(t *testing.T, e *policy.Engine, step string) {
	t.Helper()
	d, err := e.Evaluate(t.Context(), policy.Input{})
	if !errors.Is(err, policy.ErrNoDecision) || !errors.Is(err, policy.ErrExpired) || d.Allowed {
		t.Fatalf("%s: %v %v, want ErrNoDecision wrapping ErrExpired", step, d, err)
	}
}

// TestReview22DirMaxAge: a Dir (or BundleFile) whose reload kept failing
// (a policy update that does not compile, a directory made unreadable)
// kept the last good policy in force for ever; only policy/ocibundle had
// a maximum age. With WithMaxAge the Engine stops deciding once no load
// has succeeded for that long, reloads failing with ErrExpired, until a
// reload succeeds; a failure within the age still keeps the policy.
func TestReview22DirMaxAge(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	file := filepath.Join(dir, "p.rego")
	write := func(s string) {
		t.Helper()
		if err := os.WriteFile(file, []byte(s), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	write(allowAll)
	clk := &fakeClock{now: time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)}
	e, err := policy.New(t.Context(), policy.Dir(dir), policy.WithQuery("data.test.decision"),
		policy.WithMaxAge(time.Hour), policy.WithClock(clk.Now))
	if err != nil {
		t.Fatal(err)
	}
	defer e.Close()

	clk.advance(50 * time.Minute)
	if err := e.Reload(t.Context()); err != nil { // unchanged: renews
		t.Fatal(err)
	}
	clk.advance(50 * time.Minute)
	wantDecides(t, e, "renewed by an unchanged reload")

	write("package test\ndecision := {")
	if err := e.Reload(t.Context()); err == nil || errors.Is(err, policy.ErrExpired) {
		t.Fatalf("reload within the age: %v, want an ordinary load error", err)
	}
	wantDecides(t, e, "failure within the age")

	clk.advance(20 * time.Minute)
	wantExpired(t, e, "past the age, before any reload")
	if err := e.Reload(t.Context()); !errors.Is(err, policy.ErrExpired) || !errors.Is(err, policy.ErrCompile) {
		t.Fatalf("reload past the age: %v, want ErrExpired and the load error", err)
	}
	if err := e.LastReloadError(); !errors.Is(err, policy.ErrExpired) {
		t.Fatalf("LastReloadError: %v", err)
	}
	wantExpired(t, e, "past the age, reload failed")

	write(allowAll)
	if err := e.Reload(t.Context()); err != nil {
		t.Fatal(err)
	}
	wantDecides(t, e, "reloaded")
}

// hangingSource loads once, then blocks every later Load until its
// context ends.
type hangingSource struct {
	mu     sync.Mutex
	loaded bool
}

func (s *hangingSource) Load(ctx context.Context) (*policy.Bundle, error) {
	s.mu.Lock()
	first := !s.loaded
	s.loaded = true
	s.mu.Unlock()
	if !first {
		<-ctx.Done()
		return nil, ctx.Err()
	}
	return &policy.Bundle{Modules: map[string]string{"p.rego": allowAll}}, nil
}

// TestReview22HungLoadExpires: a Load that never returns (a hung network
// file system under Dir) fails no reload, so a bound checked on reload
// alone would never trip. Evaluate checks the age itself.
func TestReview22HungLoadExpires(t *testing.T) {
	t.Parallel()
	clk := &fakeClock{now: time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)}
	e, err := policy.New(t.Context(), &hangingSource{}, policy.WithQuery("data.test.decision"),
		policy.WithMaxAge(time.Hour), policy.WithReloadInterval(time.Millisecond), policy.WithClock(clk.Now))
	if err != nil {
		t.Fatal(err)
	}
	defer e.Close()
	wantDecides(t, e, "fresh")
	time.Sleep(20 * time.Millisecond) // the background reload is now blocked in Load
	clk.advance(2 * time.Hour)
	wantExpired(t, e, "load hung past the age")
}

// TestReview22MaxAgeOptions: a reload interval no shorter than the
// maximum age would expire the policy between every two reloads, and a
// maximum age that is not positive bounds nothing.
func TestReview22MaxAgeOptions(t *testing.T) {
	t.Parallel()
	for name, opts := range map[string][]policy.Option{
		"interval equal": {policy.WithMaxAge(time.Minute), policy.WithReloadInterval(time.Minute)},
		"interval above": {policy.WithReloadInterval(time.Hour), policy.WithMaxAge(time.Minute)},
		"zero":           {policy.WithMaxAge(0)},
		"negative":       {policy.WithMaxAge(-time.Second)},
	} {
		e, err := policy.New(t.Context(), &failingSource{}, append(opts, policy.WithQuery("data.test.decision"))...)
		if !errors.Is(err, policy.ErrInvalidOption) {
			if e != nil {
				e.Close()
			}
			t.Errorf("%s: %v, want ErrInvalidOption", name, err)
		}
	}
}
