//go:build linux || darwin || freebsd

package workload

import (
	"errors"
	"net"
	"os"
	"path/filepath"
	"testing"
)

// TestReview28PeerCredCheckSocketPeer: on every platform with a peer
// credential socket option (SO_PEERCRED on Linux, LOCAL_PEERCRED on macOS
// and FreeBSD), Open's per-connection check reads the serving process's
// uid from the connection made and refuses it when the trust set excludes
// it; before, macOS and FreeBSD accepted every server (only the path check
// ran), so a socket another user bound at the agent's name after that check
// served the job its CA and keys.
func TestReview28PeerCredCheckSocketPeer(t *testing.T) {
	t.Parallel()
	dir, err := os.MkdirTemp("", "r28") // short: sun_path is 104 bytes on macOS
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(dir) })
	path := filepath.Join(dir, "s.sock")
	l, err := net.Listen("unix", path)
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	c, err := net.Dial("unix", path)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	me := uint32(os.Geteuid())
	a, b := net.Pipe()
	defer a.Close()
	defer b.Close()
	tests := []struct {
		name    string
		conn    net.Conn
		trusted func(uint32) bool
		wantErr bool
	}{
		{name: "served by an untrusted uid", conn: c, trusted: func(uid uint32) bool { return uid != me }, wantErr: true},
		{name: "nobody trusted", conn: c, trusted: func(uint32) bool { return false }, wantErr: true},
		{name: "served by us", conn: c, trusted: trustedOwner(nil)},
		{name: "not a unix socket", conn: a, trusted: func(uint32) bool { return true }, wantErr: true},
	}
	for _, tt := range tests {
		err := checkSocketPeer(tt.conn, tt.trusted)
		if tt.wantErr && !errors.Is(err, ErrTransport) {
			t.Errorf("%s: checkSocketPeer = %v, want ErrTransport", tt.name, err)
		}
		if !tt.wantErr && err != nil {
			t.Errorf("%s: checkSocketPeer = %v, want nil", tt.name, err)
		}
	}
}
