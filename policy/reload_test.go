package policy_test

import (
	"errors"
	"testing"
	"testing/synctest"
	"time"

	"github.com/ztci/ztci/policy"
)

func TestReloadInterval(t *testing.T) {
	t.Parallel()
	synctest.Test(t, func(t *testing.T) {
		src := &swappable{rego: allowAll}
		e, err := policy.New(t.Context(), src, policy.WithQuery("data.test.decision"), policy.WithReloadInterval(time.Minute))
		if err != nil {
			t.Fatal(err)
		}
		rev0 := e.Revision()

		src.set("package test\ndecision := {") // broken update
		time.Sleep(time.Minute + time.Second)
		synctest.Wait()
		if !errors.Is(e.LastReloadError(), policy.ErrCompile) || e.Revision() != rev0 {
			t.Fatalf("broken update: %v, %s", e.LastReloadError(), e.Revision())
		}
		if d, err := e.Evaluate(t.Context(), policy.Input{}); err != nil || !d.Allowed {
			t.Fatalf("last good policy not in force: %v %v", d, err)
		}

		src.set(denyAll)
		time.Sleep(time.Minute)
		synctest.Wait()
		if e.LastReloadError() != nil || e.Revision() == rev0 {
			t.Fatalf("good update not loaded: %v", e.LastReloadError())
		}
		if d, err := e.Evaluate(t.Context(), policy.Input{}); err != nil || d.Allowed {
			t.Fatalf("new policy not in force: %v %v", d, err)
		}

		loads := src.loads()
		time.Sleep(time.Minute)
		synctest.Wait()
		if src.loads() != loads+1 {
			t.Fatalf("loads %d, want %d", src.loads(), loads+1)
		}
		// Close stops the reloader; synctest fails the test if its
		// goroutines outlive the bubble.
		if err := e.Close(); err != nil {
			t.Fatal(err)
		}
		time.Sleep(time.Hour)
		if src.loads() != loads+1 {
			t.Fatal("reloading after Close")
		}
	})
}
