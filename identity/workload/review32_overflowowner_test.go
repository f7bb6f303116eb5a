package workload

import "testing"

// TestReview32OverflowUIDOwnsNothing: a job running as nobody (the
// overflow uid, 65534) trusted every socket path entry and serving
// process that appeared owned by nobody, as its own. In a user namespace
// every uid without a mapping (any host user's) appears as that uid, and
// outside one nobody is shared by unrelated daemons and jobs: either could
// have put its own Workload API at the path. The overflow uid is now
// trusted only when WithSocketOwner names it.
func TestReview32OverflowUIDOwnsNothing(t *testing.T) {
	t.Parallel()
	const nobody, me = 65534, 1000
	tests := []struct {
		name   string
		euid   uint32
		owners []uint32
		uid    uint32
		want   bool
	}{
		{name: "nobody runs as nobody", euid: nobody, uid: nobody},
		{name: "nobody named by WithSocketOwner", euid: nobody, owners: []uint32{nobody}, uid: nobody, want: true},
		{name: "root", euid: nobody, uid: 0, want: true},
		{name: "own uid", euid: me, uid: me, want: true},
		{name: "nobody seen by another uid", euid: me, uid: nobody},
		{name: "another uid", euid: me, uid: me + 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			if got := ownerTrust(tt.owners, tt.euid, nobody)(tt.uid); got != tt.want {
				t.Errorf("euid %d, owners %v: trusted(%d) = %v, want %v", tt.euid, tt.owners, tt.uid, got, tt.want)
			}
		})
	}
}
