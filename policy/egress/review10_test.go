package egress_test

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"strconv"
	"strings"
	"testing"

	"github.com/ztci/ztci/audit"
	"github.com/ztci/ztci/identity"
	"github.com/ztci/ztci/policy/egress"
)

// TestRefsRefuseUntrustedTriggers: GitHub runs a pull_request_target
// workflow, and a workflow_run workflow after one, with the base branch's
// ref for code a pull request from anyone may control. Matched by its ref
// alone, such a job got every allowance of the protected branch: here the
// deploy host of refs/heads/main. A rule whose Events name the trigger
// still serves it (a deploy on workflow_run after CI on main); Events
// restrict every job of the rule.
func TestRefsRefuseUntrustedTriggers(t *testing.T) {
	t.Parallel()
	al, err := egress.NewAllowList(
		egress.Rule{Name: "main-deploy", Repositories: []string{"octo/app"}, Refs: []string{"refs/heads/main"},
			Hosts: []string{"deploy.example.com"}, Ports: []uint16{443}},
		egress.Rule{Name: "deploy-after-ci", Repositories: []string{"octo/app"}, Refs: []string{"refs/heads/main"},
			Events: []string{" Workflow_Run"}, Hosts: []string{"registry.example.com"}, Ports: []uint16{443}},
	)
	if err != nil {
		t.Fatal(err)
	}
	job := func(event string) identity.Identity {
		return identity.Identity{Issuer: "https://ci.example", Subject: "repo:octo/app:ref:refs/heads/main",
			Claims: identity.Claims{Repository: "octo/app", Workflow: "build", Ref: "refs/heads/main", RefProtected: true, Event: event}}
	}
	deploy := egress.Destination{Host: "deploy.example.com", Port: 443}
	registry := egress.Destination{Host: "registry.example.com", Port: 443}
	for _, tt := range []struct {
		name  string
		job   identity.Identity
		dst   egress.Destination
		allow bool
	}{
		{"push to main", job("push"), deploy, true},
		{"no event claim", job(""), deploy, true},
		{"pull_request_target", job("pull_request_target"), deploy, false},
		{"workflow_run", job("workflow_run"), deploy, false},
		{"case and space", job(" Pull_Request_Target "), deploy, false},
		{"workflow_run named in events", job("workflow_run"), registry, true},
		{"pull_request_target not named", job("pull_request_target"), registry, false},
		{"push not named", job("push"), registry, false},
	} {
		d, err := al.Decide(t.Context(), tt.job, tt.dst)
		if err != nil || d.Allow != tt.allow {
			t.Errorf("%s: %+v, %v; want allow %v", tt.name, d, err, tt.allow)
		}
	}
	if d, _ := al.Decide(t.Context(), job("pull_request_target"), deploy); !strings.Contains(d.Reason, "started by") {
		t.Errorf("the reason does not say why the ref did not count: %s", d.Reason)
	}
	if _, err := egress.NewAllowList(egress.Rule{Name: "r", Repositories: []string{"*"}, Events: []string{" "},
		Hosts: []string{"x.example"}, Ports: []uint16{443}}); !errors.Is(err, egress.ErrConfig) {
		t.Errorf("a blank event: %v, want ErrConfig", err)
	}
}

// TestCloseRecordFitsWhateverTheError: the close record of a forwarded
// request carried the relay's error as it was, and net/http's errors quote
// what they refuse: a job's Upgrade value (non-printable, up to the
// header limit, four times as long escaped) or a destination's malformed
// header line (up to the 1 MiB header bound). Over audit.MaxEventSize, the
// record was refused by the audit log: the allowed connection kept its
// open event but lost its close, with the bytes it moved (here a 256 KiB
// upload to a destination that answered with such a line). A job's
// Upgrade is now refused before anything is dialled
// (TestReview26ForwardedUpgradeNeverReachesDestination), so only the
// destination's line is left to test.
func TestCloseRecordFitsWhateverTheError(t *testing.T) {
	t.Parallel()
	const upload = 256 << 10
	dst := serveTCP(t, func(c net.Conn) {
		req, err := http.ReadRequest(bufio.NewReader(c))
		if err != nil {
			return
		}
		_, _ = io.Copy(io.Discard, req.Body)
		_, _ = io.WriteString(c, "HTTP/1.1 200 OK\r\n"+strings.Repeat("\x01", 200<<10)+"\r\n\r\n")
	})
	authority := "up.allowed.test:" + fmt.Sprint(port(t, dst))
	for _, tt := range []struct {
		name, req string
		up        int64
	}{
		{"header line of the destination", "POST http://" + authority + "/ HTTP/1.1\r\nHost: x\r\nProxy-Authorization: " + basic(tokenA) +
			"\r\nContent-Length: " + strconv.Itoa(upload) + "\r\n\r\n" + strings.Repeat("s", upload), upload},
	} {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			rec := &encodingSink{}
			_, paddr := startProxy(t, testRules(t, port(t, dst)), rec,
				egress.WithResolver(hosts{"up.allowed.test": loopback}), internalLoopback())
			c, err := net.Dial("tcp", paddr)
			if err != nil {
				t.Fatal(err)
			}
			defer c.Close()
			if resp, _ := plainRequest(t, c, bufio.NewReader(c), tt.req); resp.StatusCode != http.StatusBadGateway {
				t.Errorf("status %d, want 502", resp.StatusCode)
			}
			closed := rec.waitFor(t, egress.ActionClose, audit.OutcomeFailure, "egress:"+authority, 1)[0]
			if closed.Attributes[egress.AttrEnd] != "error" || closed.Attributes["error"] == "" {
				t.Errorf("close event %+v", closed.Attributes)
			}
			if n, _ := strconv.ParseInt(closed.Attributes[egress.AttrBytesUp], 10, 64); n < tt.up {
				t.Errorf("the close event records %d bytes up, want at least %d", n, tt.up)
			}
		})
	}
}
