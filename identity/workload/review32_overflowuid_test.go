package workload_test

import (
	"errors"
	"testing"

	"github.com/spiffe/go-spiffe/v2/spiffeid"

	wl "github.com/ztci/ztci/identity/workload"
)

// TestReview32UIDRefusesOverflowUID: the kernel reports the uid of a
// caller whose uid has no mapping in the server's user namespace (a host
// process calling a server in a rootless container, through a
// bind-mounted socket) as the overflow uid, 65534 ("nobody"), in
// SO_PEERCRED. A UID attestor that mapped nobody (a common uid to run jobs
// under) to a job's ID gave that ID to every such caller, root on the host
// included. UID now refuses the overflow uid.
func TestReview32UIDRefusesOverflowUID(t *testing.T) {
	t.Parallel()
	const nobody = 65534
	job := spiffeid.RequireFromPath(td, "/job/nobody")
	a := wl.UID(map[int]spiffeid.ID{nobody: job, 1000: job})
	tests := []struct {
		name string
		uid  int
		want error
	}{
		{name: "overflow uid", uid: nobody, want: wl.ErrNotAttested},
		{name: "mapped uid", uid: 1000},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			id, err := a.Attest(t.Context(), wl.Caller{UID: tt.uid, GID: tt.uid, PID: 4242, HasCredentials: true})
			if !errors.Is(err, tt.want) || (err == nil) != (tt.want == nil) {
				t.Fatalf("Attest(uid %d) = %v, %v; want %v", tt.uid, id, err, tt.want)
			}
		})
	}
}
