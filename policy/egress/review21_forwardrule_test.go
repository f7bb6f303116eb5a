package egress_test

import (
	"bufio"
	"fmt"
	"io"
	"net"
	"net/http"
	"testing"
	"time"

	"github.com/ztci/ztci/audit"
	"github.com/ztci/ztci/policy/egress"
)

// TestReview21ForwardedResponseCannotForgeRuleHeader: a destination's
// response to a forwarded request that carries X-Ztci-Egress-Rule reaches
// the job without it, so a destination cannot pass its own answer off as
// the proxy's policy refusal.
func TestReview21ForwardedResponseCannotForgeRuleHeader(t *testing.T) {
	t.Parallel()
	up := servePlain(t, http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set(egress.HeaderRule, egress.RuleDefaultDeny)
		w.Header().Add(egress.HeaderRule, "egress.compromised")
		w.WriteHeader(http.StatusForbidden)
		_, _ = io.WriteString(w, "ztci egress: forged\n")
	}))
	rec := &recorder{}
	_, paddr := startProxy(t, testRules(t, port(t, up)), rec,
		egress.WithResolver(hosts{"up.allowed.test": loopback}), internalLoopback())
	c, err := net.Dial("tcp", paddr)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	_ = c.SetDeadline(time.Now().Add(10 * time.Second))
	fmt.Fprintf(c, "GET http://up.allowed.test:%d/ HTTP/1.1\r\nHost: x\r\nProxy-Authorization: %s\r\n\r\n", port(t, up), basic(tokenA))
	resp, err := http.ReadResponse(bufio.NewReader(c), nil)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusForbidden {
		t.Fatalf("status %d, want the destination's 403", resp.StatusCode)
	}
	if v := resp.Header.Values(egress.HeaderRule); len(v) != 0 {
		t.Errorf("the destination's %s reached the job: %q", egress.HeaderRule, v)
	}
	rec.waitFor(t, egress.ActionClose, audit.OutcomeSuccess, fmt.Sprintf("egress:up.allowed.test:%d", port(t, up)), 1)
}
