package policytest_test

import (
	"errors"
	"testing"
	"testing/fstest"
	"time"

	"github.com/ztci/ztci/policy"
	"github.com/ztci/ztci/policy/policytest"
)

func TestResults(t *testing.T) {
	t.Parallel()
	fsys := fstest.MapFS{
		"acme/gate.rego": {Data: []byte(`package acme.gate
allow if input.repo in data.acme.repos`)},
		"acme/data.json": {Data: []byte(`{"repos": ["acme/app"]}`)},
		"acme/gate_test.rego": {Data: []byte(`package acme.gate_test
import data.acme.gate
test_allows_app if gate.allow with input as {"repo": "acme/app"}
test_wrongly_expects_evil if gate.allow with input as {"repo": "evil/app"}
test_errors if to_number("x") == 1
todo_test_later if false
test_uses_library if data.ztci.main.decision.allow == false with input as {}`)},
	}
	rs, err := policytest.Results(t.Context(), fsys, policytest.With(policy.Builtin()))
	if err != nil {
		t.Fatal(err)
	}
	type outcome struct{ pass, skip, err bool }
	got := map[string]outcome{}
	for _, r := range rs {
		got[r.Name] = outcome{r.Pass, r.Skip, r.Err != nil}
	}
	want := map[string]outcome{
		"data.acme.gate_test.test_allows_app":           {pass: true},
		"data.acme.gate_test.test_wrongly_expects_evil": {},
		"data.acme.gate_test.test_errors":               {err: true},
		"data.acme.gate_test.todo_test_later":           {skip: true},
		"data.acme.gate_test.test_uses_library":         {pass: true},
	}
	for name, w := range want {
		if got[name] != w {
			t.Errorf("%s: got %+v, want %+v", name, got[name], w)
		}
	}
	if len(rs) != len(want) {
		t.Errorf("got %d results: %+v", len(rs), rs)
	}

	only, err := policytest.Results(t.Context(), fsys, policytest.Filter("allows"))
	if err != nil || len(only) != 1 || !only[0].Pass {
		t.Fatalf("filter: %+v %v", only, err)
	}
}

func TestResultsErrors(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name string
		fsys fstest.MapFS
		want error
	}{
		{name: "no tests", fsys: fstest.MapFS{"p.rego": {Data: []byte("package p\nx := 1")}}, want: policytest.ErrNoTests},
		{name: "does not compile", fsys: fstest.MapFS{"p_test.rego": {Data: []byte("package p\ntest_x if {")}}, want: policy.ErrCompile},
		{name: "denied builtin", fsys: fstest.MapFS{"p_test.rego": {Data: []byte("package p\ntest_x if opa.runtime()")}}, want: policy.ErrCompile},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			if _, err := policytest.Results(t.Context(), tc.fsys); !errors.Is(err, tc.want) {
				t.Fatalf("got %v, want %v", err, tc.want)
			}
		})
	}
}

func TestOptionErrors(t *testing.T) {
	t.Parallel()
	fsys := fstest.MapFS{"p_test.rego": {Data: []byte("package p\ntest_ok if 1 + 1 == 2")}}
	for name, opt := range map[string]policytest.Option{
		"nil option":     nil,
		"nil source":     policytest.With(nil),
		"bad filter":     policytest.Filter("("),
		"zero timeout":   policytest.Timeout(0),
		"negative limit": policytest.Timeout(-time.Second),
	} {
		if _, err := policytest.Results(t.Context(), fsys, opt); !errors.Is(err, policy.ErrInvalidOption) {
			t.Errorf("%s: got %v, want ErrInvalidOption", name, err)
		}
	}
}

func TestRun(t *testing.T) {
	t.Parallel()
	policytest.Run(t, fstest.MapFS{"p_test.rego": {Data: []byte("package p\ntest_ok if 1 + 1 == 2")}})
}
