package egress_test

import (
	"errors"
	"testing"

	"github.com/ztci/ztci/identity"
	"github.com/ztci/ztci/policy/egress"
)

func TestAllowList(t *testing.T) {
	t.Parallel()
	al, err := egress.NewAllowList(
		egress.Rule{Name: "release-registry", Repositories: []string{"octo/*"}, Workflows: []string{"release"},
			Refs: []string{"refs/tags/v*"}, Hosts: []string{"registry.example.com"}, Ports: []uint16{443}},
		egress.Rule{Name: "go-modules", Repositories: []string{"*"}, Hosts: []string{"proxy.golang.org", "sum.golang.org"}, Ports: []uint16{443}},
		egress.Rule{Name: "github", Repositories: []string{"octo/app"}, Refs: []string{"refs/heads/main"},
			Hosts: []string{"*.github.com", "github.com"}, Ports: []uint16{443, 22}},
	)
	if err != nil {
		t.Fatal(err)
	}
	job := func(repo, workflow, ref string) identity.Identity {
		return identity.Identity{Issuer: "https://ci.example", Subject: repo, Claims: identity.Claims{Repository: repo, Workflow: workflow, Ref: ref}}
	}
	tests := []struct {
		name string
		job  identity.Identity
		dst  egress.Destination
		rule string
		want bool
	}{
		{"release tag may push", job("octo/app", "release", "refs/tags/v1.2.0"), egress.Destination{Host: "registry.example.com", Port: 443}, "release-registry", true},
		{"release from a branch may not", job("octo/app", "release", "refs/heads/main"), egress.Destination{Host: "registry.example.com", Port: 443}, egress.RuleDefaultDeny, false},
		{"other workflow may not", job("octo/app", "build", "refs/tags/v1.2.0"), egress.Destination{Host: "registry.example.com", Port: 443}, egress.RuleDefaultDeny, false},
		{"other org may not", job("evil/app", "release", "refs/tags/v1"), egress.Destination{Host: "registry.example.com", Port: 443}, egress.RuleDefaultDeny, false},
		{"any repository reaches the module proxy", job("evil/app", "", ""), egress.Destination{Host: "proxy.golang.org", Port: 443}, "go-modules", true},
		{"but not on port 80", job("evil/app", "", ""), egress.Destination{Host: "proxy.golang.org", Port: 80}, egress.RuleDefaultDeny, false},
		{"subdomain glob", job("octo/app", "build", "refs/heads/main"), egress.Destination{Host: "api.github.com", Port: 443}, "github", true},
		{"ssh port", job("octo/app", "build", "refs/heads/main"), egress.Destination{Host: "github.com", Port: 22}, "github", true},
		{"lookalike host", job("octo/app", "build", "refs/heads/main"), egress.Destination{Host: "github.com.evil.example", Port: 443}, egress.RuleDefaultDeny, false},
		{"feature branch", job("octo/app", "build", "refs/heads/feature"), egress.Destination{Host: "github.com", Port: 443}, egress.RuleDefaultDeny, false},
		{"job without claims", identity.Identity{Issuer: "https://ci.example", Subject: "x"}, egress.Destination{Host: "proxy.golang.org", Port: 443}, egress.RuleDefaultDeny, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			d, err := al.Decide(t.Context(), tt.job, tt.dst)
			if err != nil || d.Allow != tt.want || d.Rule != tt.rule || d.Reason == "" {
				t.Errorf("got %+v, %v; want allow %v by %s", d, err, tt.want, tt.rule)
			}
		})
	}
}

func TestNewAllowListRejectsMisuse(t *testing.T) {
	t.Parallel()
	ok := egress.Rule{Name: "r", Repositories: []string{"*"}, Hosts: []string{"x.example"}, Ports: []uint16{443}}
	with := func(f func(*egress.Rule)) []egress.Rule {
		r := ok
		f(&r)
		return []egress.Rule{r}
	}
	tests := []struct {
		name  string
		rules []egress.Rule
	}{
		{"no name", with(func(r *egress.Rule) { r.Name = "" })},
		{"duplicate name", []egress.Rule{ok, ok}},
		{"no repositories", with(func(r *egress.Rule) { r.Repositories = nil })},
		{"no hosts", with(func(r *egress.Rule) { r.Hosts = nil })},
		{"no ports", with(func(r *egress.Rule) { r.Ports = nil })},
		{"port zero", with(func(r *egress.Rule) { r.Ports = []uint16{0} })},
		{"empty ref glob", with(func(r *egress.Rule) { r.Refs = []string{""} })},
		{"upper case host", with(func(r *egress.Rule) { r.Hosts = []string{"X.example"} })},
		{"host with path", with(func(r *egress.Rule) { r.Hosts = []string{"x.example/path"} })},
		// A '*' that does not end a label covers hosts anyone can register.
		{"star inside a label", with(func(r *egress.Rule) { r.Hosts = []string{"*github.com"} })},
		{"star as the last label", with(func(r *egress.Rule) { r.Hosts = []string{"github.*"} })},
		{"star mid label", with(func(r *egress.Rule) { r.Hosts = []string{"git*hub.com"} })},
		{"trailing star", with(func(r *egress.Rule) { r.Hosts = []string{"*.github.com*"} })},
		{"double star", with(func(r *egress.Rule) { r.Hosts = []string{"**.github.com"} })},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			if _, err := egress.NewAllowList(tt.rules...); !errors.Is(err, egress.ErrConfig) {
				t.Errorf("err %v, want ErrConfig", err)
			}
		})
	}
	good := with(func(r *egress.Rule) {
		r.Hosts = []string{"*", "*.github.com", "s3-*.amazonaws.com", "a.*.example.com", "::1"}
	})
	if _, err := egress.NewAllowList(good...); err != nil {
		t.Errorf("label-ending globs refused: %v", err)
	}
}
