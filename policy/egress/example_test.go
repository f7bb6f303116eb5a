package egress_test

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"net/url"
	"strings"
	"sync"
	"time"

	"github.com/ztci/ztci/audit"
	"github.com/ztci/ztci/identity"
	"github.com/ztci/ztci/policy"
	"github.com/ztci/ztci/policy/egress"
)

// A runner starts a proxy for its job, allowing one internal API, and gives
// the job the proxy URL with its token. The job's HTTP client (here Go's;
// curl and git read the same URL from HTTPS_PROXY/http_proxy) reaches the
// API and is refused elsewhere, and every connection is audited. Once the
// job is marked compromised in the kill switch, it reaches nothing.
func Example() {
	api := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		_, _ = io.WriteString(w, "artifact v1\n")
	}))
	defer api.Close()
	port := api.Listener.Addr().(*net.TCPAddr).Port

	job := identity.Identity{Issuer: "https://ci.example", Subject: "repo:octo/app:ref:refs/heads/main",
		Claims: identity.Claims{Repository: "octo/app", RepositoryID: "1296269", Ref: "refs/heads/main", RunID: "7"}}
	// The job's token is a JWT: the proxy ends the job's connections at its
	// exp. In production an *oidc.Verifier checks the CI's job tokens.
	const jobToken = "eyJhbGciOiJFUzI1NiJ9.eyJleHAiOjQxMDI0NDQ4MDB9.c2lnbmF0dXJl" // {"exp":4102444800}
	tokens := identity.TokenVerifierFunc(func(_ context.Context, raw string) (identity.Identity, error) {
		if raw != jobToken {
			return identity.Identity{}, errors.New("unknown token")
		}
		return job, nil
	})
	// Issuers and RepositoryIDs confine the rule to octo/app as this CI
	// issued it: not another platform's octo/app, nor a repository
	// registered again under that name.
	rules, err := egress.NewAllowList(egress.Rule{
		Name: "internal-api", Repositories: []string{"octo/app"}, Refs: []string{"refs/heads/main"},
		Issuers: []string{"https://ci.example"}, RepositoryIDs: []string{"1296269"},
		Hosts: []string{"api.internal.test"}, Ports: []uint16{uint16(port)},
	})
	if err != nil {
		panic(err)
	}
	var mu sync.Mutex
	var events []audit.Event
	sink := audit.SinkFunc(func(_ context.Context, e audit.Event) error {
		mu.Lock()
		defer mu.Unlock()
		events = append(events, e)
		return nil
	})
	// The internal API lives on loopback here: name it, and let the proxy
	// reach that one address for that name only.
	internalDNS := egress.ResolverFunc(func(context.Context, string, string) ([]netip.Addr, error) {
		return []netip.Addr{netip.MustParseAddr("127.0.0.1")}, nil
	})
	// The kill switch the runner's detectors and operators mark (an
	// audit/natskill Switch in a fleet): a marked job's connections are cut
	// and new ones refused.
	marks, err := audit.NewJSONLines(io.Discard) // in production: the node's audit log
	if err != nil {
		panic(err)
	}
	killSwitch, err := audit.NewKillSwitch(marks)
	if err != nil {
		panic(err)
	}
	p, err := egress.New(tokens, identity.MatchID(job.ID()), rules, sink,
		egress.WithCompromiseChecker(killSwitch),
		egress.WithResolver(internalDNS), egress.WithInternalHosts([]string{"api.internal.test"}, netip.MustParsePrefix("127.0.0.1/32")))
	if err != nil {
		panic(err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		panic(err)
	}
	go func() { _ = p.Serve(ln) }()

	// The job's side: HTTPS_PROXY=http://job:<job token>@<proxy>. The URL
	// holds the token: register it with the job's log redactor, and keep the
	// proxy on the job's own host or network namespace (127.0.0.1 here), as
	// the proxy connection itself is plain http.
	proxy, err := url.Parse("http://job:" + jobToken + "@" + ln.Addr().String())
	if err != nil {
		panic(err)
	}
	client := &http.Client{Transport: &http.Transport{Proxy: http.ProxyURL(proxy)}}
	portStr := fmt.Sprint(port)
	get := func(u string) {
		resp, err := client.Get(u)
		if err != nil {
			panic(err)
		}
		body, err := io.ReadAll(resp.Body)
		resp.Body.Close()
		if err != nil {
			panic(err)
		}
		fmt.Printf("%d %s", resp.StatusCode, strings.ReplaceAll(string(body), portStr, "PORT"))
	}
	get("http://api.internal.test:" + portStr + "/v1")
	get("http://exfil.example:" + portStr + "/")

	// A detector reports the job: from now on the allowed API is refused too.
	if err := killSwitch.Mark(context.Background(), job.ID(), "runtime alert", "falco", time.Time{}); err != nil {
		panic(err) // a mark not recorded protects nothing: retry, or page someone
	}
	get("http://api.internal.test:" + portStr + "/v1")

	// Close waits for the connections' close records; an error means some
	// were not audited.
	if err := p.Close(); err != nil {
		panic(err)
	}
	for _, e := range events {
		fmt.Println(e.Action, e.Outcome, e.Actor.Claims["repository"], strings.ReplaceAll(e.Resource, portStr, "PORT"), e.Attributes[egress.AttrRule])
	}
	// Output:
	// 200 artifact v1
	// 403 ztci egress: exfil.example:PORT denied: no rule allows repository "octo/app" (workflow "", ref "refs/heads/main") to reach exfil.example:PORT (rule egress.default_deny)
	// 403 ztci egress: api.internal.test:PORT denied: the job's identity is marked compromised (rule egress.compromised)
	// egress.connect allow octo/app egress:api.internal.test:PORT internal-api
	// egress.close success octo/app egress:api.internal.test:PORT internal-api
	// egress.connect deny octo/app egress:exfil.example:PORT egress.default_deny
	// egress.connect deny octo/app egress:api.internal.test:PORT egress.compromised
}

// A vendor that distrusts more run triggers than the default in the policy
// library (here issue_comment, whose jobs GitHub runs on the default branch
// for a comment anyone may write) passes the same list to the allow-list:
// a job issue_comment started then gets no allowance that rests on its ref.
func ExampleWithUntrustedTriggers() {
	library := policy.LibraryConfig{UntrustedTriggers: []string{"pull_request_target", "workflow_run", "issue_comment"}}
	// engine, err := policy.New(ctx, policy.BuiltinWith(library))
	rules, err := egress.NewAllowListWith([]egress.Rule{{
		Name: "release-registry", Repositories: []string{"octo/app"}, Refs: []string{"refs/heads/main"},
		Hosts: []string{"registry.example.com"}, Ports: []uint16{443},
	}}, egress.WithUntrustedTriggers(library.UntrustedTriggers))
	if err != nil {
		panic(err)
	}
	registry := egress.Destination{Host: "registry.example.com", Port: 443}
	for _, event := range []string{"push", "issue_comment"} {
		job := identity.Identity{Issuer: "https://ci.example", Subject: "repo:octo/app:ref:refs/heads/main",
			Claims: identity.Claims{Repository: "octo/app", Ref: "refs/heads/main", Event: event}}
		d, err := rules.Decide(context.Background(), job, registry)
		if err != nil {
			panic(err)
		}
		fmt.Println(event, d.Allow, d.Rule)
	}
	// Output:
	// push true release-registry
	// issue_comment false egress.default_deny
}
