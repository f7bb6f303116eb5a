//go:build unix

package main

import (
	"context"
	"errors"
	"io"
	"os"
	"path/filepath"
	"syscall"
	"testing"

	"github.com/ztci/ztci/policy/gate/gatetest"
)

// The audit key signs the gate's checkpoints and defaults to a file in the
// working directory (gate-audit.key): one that another user planted there
// first (read as root, whatever its bits), a symbolic link to a key file
// the attacker can read, or a FIFO that blocks the gate's start forever
// must not become the audit log's key. The file checked is the file read:
// opened without following a link, then checked by its descriptor, as
// attest/ca checks its own key.
func TestReview37AuditKeyFileRefused(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name  string
		setup func(t *testing.T, dir string) string
	}{
		{name: "symbolic link to a key", setup: func(t *testing.T, dir string) string {
			target := filepath.Join(dir, "real.key")
			if _, err := loadOrCreateKey(target); err != nil {
				t.Fatal(err)
			}
			link := filepath.Join(dir, "gate-audit.key")
			if err := os.Symlink(target, link); err != nil {
				t.Fatal(err)
			}
			return link
		}},
		{name: "owned by another user", setup: func(t *testing.T, dir string) string {
			if os.Geteuid() != 0 {
				t.Skip("chown to another user needs root")
			}
			p := filepath.Join(dir, "gate-audit.key")
			if _, err := loadOrCreateKey(p); err != nil {
				t.Fatal(err)
			}
			if err := os.Chown(p, 65534, 65534); err != nil {
				t.Fatal(err)
			}
			return p
		}},
		{name: "fifo", setup: func(t *testing.T, dir string) string {
			p := filepath.Join(dir, "gate-audit.key")
			if err := syscall.Mkfifo(p, 0o600); err != nil {
				t.Fatal(err)
			}
			return p
		}},
		{name: "directory", setup: func(t *testing.T, dir string) string {
			p := filepath.Join(dir, "gate-audit.key")
			if err := os.Mkdir(p, 0o700); err != nil {
				t.Fatal(err)
			}
			return p
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			path := tc.setup(t, t.TempDir())
			if _, err := loadOrCreateKey(path); !errors.Is(err, ErrUnsafeAuditFile) {
				t.Fatalf("loadOrCreateKey = %v, want ErrUnsafeAuditFile", err)
			}
		})
	}
}

// An audit log another user created first in the (shared) working
// directory stays theirs to rewrite: the gate refuses to start on it.
func TestReview37AuditLogNotOwnedRefused(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("chown to another user needs root")
	}
	t.Parallel()
	f := newFixture(t)
	dir := t.TempDir()
	tr, err := f.lab.TrustedRootJSON()
	if err != nil {
		t.Fatal(err)
	}
	trPath := filepath.Join(dir, "trusted_root.json")
	if err := os.WriteFile(trPath, tr, 0o644); err != nil {
		t.Fatal(err)
	}
	logPath := filepath.Join(dir, "gate-audit.log")
	if err := os.WriteFile(logPath, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.Chown(logPath, 65534, 65534); err != nil {
		t.Fatal(err)
	}
	// Without the check the gate would serve: then it is stopped and the
	// test fails instead of waiting for ever.
	ctx, cancel := context.WithCancel(t.Context())
	defer cancel()
	ready := make(chan string, 2)
	go func() {
		if _, ok := <-ready; ok {
			cancel()
		}
	}()
	err = run(ctx, []string{"--addr", "127.0.0.1:0", "--issuer", f.lab.IssuerURL(), "--trusted-root", trPath,
		"--signer-san", gatetest.SignerSAN, "--builder", gatetest.BuilderID, "--source", gatetest.SourceURI,
		"--allow-registry", f.lab.Registry(), "--tlog-threshold", "0", "--sct-threshold", "0",
		"--signed-timestamp-threshold", "1", "--audit-log", logPath,
		"--audit-key", filepath.Join(dir, "gate-audit.key")}, io.Discard, ready)
	if !errors.Is(err, ErrUnsafeAuditFile) {
		t.Fatalf("run with another user's audit log = %v, want ErrUnsafeAuditFile", err)
	}
}
