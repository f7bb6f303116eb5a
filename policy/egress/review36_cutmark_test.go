package egress_test

import (
	"errors"
	"fmt"
	"os"
	"testing"
	"time"

	"github.com/ztci/ztci/audit"
	"github.com/ztci/ztci/policy/egress"
)

// TestReview36CutByMarkID: Cut matched a connection's identity id only, so
// a natskill WithOnMark callback handing it a repository's mark id cut
// nothing, and the marked repository's open tunnels lived until the next
// compromise sweep (or for ever without a checker). Cut now also takes the
// mark ids that cover a job (audit.MarkIDs), in any case; another
// repository's id cuts nothing.
func TestReview36CutByMarkID(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		id   string
		want int
	}{
		{name: "repository, other case", id: audit.MarkRepository + "/OCTO/App", want: 1},
		{name: "another repository", id: audit.MarkRepository + "/octo/other", want: 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			loop := newEchoServer(t)
			authority := "echo.allowed.test:" + fmt.Sprint(port(t, loop.addr))
			p, paddr := startProxy(t, testRules(t, port(t, loop.addr)), &recorder{},
				egress.WithResolver(hosts{"echo.allowed.test": loopback}), internalLoopback())
			_, _, open := rawConnect(t, paddr, authority, basic(tokenA))
			echo(t, open, "a")
			if n := p.Cut(tt.id); n != tt.want {
				t.Fatalf("Cut(%q) = %d, want %d", tt.id, n, tt.want)
			}
			if tt.want == 0 {
				echo(t, open, "still open")
				return
			}
			_ = open.SetReadDeadline(time.Now().Add(5 * time.Second))
			if _, err := open.Read(make([]byte, 1)); err == nil || errors.Is(err, os.ErrDeadlineExceeded) {
				t.Error("tunnel of a job of the cut repository still open")
			}
		})
	}
}
