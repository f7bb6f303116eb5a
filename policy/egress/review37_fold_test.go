package egress

import (
	"encoding/base64"
	"errors"
	"testing"

	"github.com/ztci/ztci/identity"
)

// TestReview37FoldProxyAuthorizationScheme: the Proxy-Authorization
// scheme is an ASCII token compared without ASCII case only, as net/http
// compares it. strings.EqualFold took "Ba\u017fic" (long s) for Basic.
func TestReview37FoldProxyAuthorizationScheme(t *testing.T) {
	t.Parallel()
	basic := base64.StdEncoding.EncodeToString([]byte("x:tok"))
	for _, tc := range []struct {
		name, header string
		ok           bool
	}{
		{name: "basic", header: "Basic " + basic, ok: true},
		{name: "basic upper", header: "BASIC " + basic, ok: true},
		{name: "bearer lower", header: "bearer tok", ok: true},
		{name: "basic long s", header: "Ba\u017fic " + basic},
		{name: "basic long s upper", header: "BA\u017fIC " + basic},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			_, err := parseProxyAuthorization(tc.header)
			if tc.ok {
				if err != nil {
					t.Fatalf("%q: %v", tc.header, err)
				}
				return
			}
			if !errors.Is(err, ErrBadCredentials) {
				t.Fatalf("%q: got %v, want ErrBadCredentials", tc.header, err)
			}
		})
	}
}

// TestReview37FoldRuleEventsASCIIOnly: a rule's Events name a job's
// trigger up to ASCII case only. claims.NormalEvent lowers with Unicode
// mapping, so an event claim "chec\u212a_run" (Kelvin sign), which no
// platform sends for check_run, was named by a rule for check_run, and
// "wor\u212aflow_run" by a rule for workflow_run got that rule's branch
// allowances though workflow_run is untrusted. The untrusted list still
// folds broadly: it names triggers to distrust.
func TestReview37FoldRuleEventsASCIIOnly(t *testing.T) {
	t.Parallel()
	job := func(event string) identity.Identity {
		return identity.Identity{Issuer: "https://ci.example", Subject: "repo:octo/app:x",
			Claims: identity.Claims{Repository: "octo/app", Ref: "refs/heads/main", Event: event}}
	}
	al, err := NewAllowList(
		Rule{Name: "checks", Repositories: []string{"octo/app"}, Events: []string{"check_run"},
			Hosts: []string{"checks.example"}, Ports: []uint16{443}},
		Rule{Name: "after-ci", Repositories: []string{"octo/app"}, Events: []string{"workflow_run"},
			Refs: []string{"refs/heads/main"}, Hosts: []string{"deploy.example"}, Ports: []uint16{443}},
	)
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name, event, host string
		allow             bool
	}{
		{name: "check_run", event: "check_run", host: "checks.example", allow: true},
		{name: "check_run ascii case", event: "Check_Run", host: "checks.example", allow: true},
		{name: "check_run kelvin sign", event: "chec\u212a_run", host: "checks.example"},
		{name: "workflow_run", event: "workflow_run", host: "deploy.example", allow: true},
		{name: "workflow_run kelvin sign", event: "wor\u212aflow_run", host: "deploy.example"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			d, err := al.Decide(t.Context(), job(tc.event), Destination{Host: tc.host, Port: 443})
			if err != nil {
				t.Fatal(err)
			}
			if d.Allow != tc.allow {
				t.Fatalf("event %q to %s: got %+v, want allow %v", tc.event, tc.host, d, tc.allow)
			}
		})
	}
}
