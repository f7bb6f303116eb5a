package egress_test

import (
	"errors"
	"fmt"
	"net/http"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/ztci/ztci/audit"
	"github.com/ztci/ztci/policy/egress"
)

// TestReview31RepositoryMark: the proxy asked its compromise checker about
// the job's identity id only, so a kill-switch mark on the job's
// repository neither refused its tunnels nor cut the open ones. A mark on
// any of the job's mark ids (audit.MarkIDs) does both. The test identities' claims name no platform,
// so their repositories' mark ids have an empty one.
func TestReview31RepositoryMark(t *testing.T) {
	t.Parallel()
	loop := newEchoServer(t)
	authority := "echo.allowed.test:" + fmt.Sprint(port(t, loop.addr))
	rec := &recorder{}
	kill, err := audit.NewKillSwitch(rec)
	if err != nil {
		t.Fatal(err)
	}
	_, paddr := startProxy(t, testRules(t, port(t, loop.addr)), rec, egress.WithResolver(hosts{"echo.allowed.test": loopback}),
		internalLoopback(), egress.WithCompromiseChecker(kill), egress.WithLimits(egress.Limits{CompromiseRecheck: 20 * time.Millisecond}))
	_, _, open := rawConnect(t, paddr, authority, basic(tokenA))
	echo(t, open, "a")
	if err := kill.Mark(t.Context(), audit.MarkRepository+"/octo/app", "repository compromised", "test", time.Time{}); err != nil {
		t.Fatal(err)
	}
	_ = open.SetReadDeadline(time.Now().Add(5 * time.Second))
	if _, err := open.Read(make([]byte, 1)); err == nil || errors.Is(err, os.ErrDeadlineExceeded) {
		t.Error("tunnel of a job of the marked repository still open")
	}
	resp, body, _ := rawConnect(t, paddr, authority, basic(tokenA))
	if resp.StatusCode != http.StatusForbidden || !strings.Contains(body, egress.RuleCompromised) {
		t.Errorf("job of the marked repository: status %d, body %q; want refused as compromised", resp.StatusCode, body)
	}
}
