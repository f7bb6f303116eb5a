//go:build unix

package secrets_test

import (
	"errors"
	"os"
	"path/filepath"
	"syscall"
	"testing"
	"time"

	"github.com/ztci/ztci/secrets"
)

// review38Issue asks Dir(dir) for name. A read that blocks (a FIFO) would
// never return: the bound only keeps such a regression from hanging the
// run; the assertions are on what Issue returns.
func review38Issue(t *testing.T, dir, name string) (string, error) {
	t.Helper()
	type res struct {
		v   string
		err error
	}
	done := make(chan res, 1)
	go func() {
		g, err := secrets.Dir(dir).Issue(t.Context(), secrets.Request{Name: name})
		if err != nil {
			done <- res{err: err}
			return
		}
		done <- res{v: g.Value.Reveal()}
	}()
	guard := time.NewTimer(30 * time.Second)
	defer guard.Stop()
	select {
	case r := <-done:
		return r.v, r.err
	case <-guard.C:
		t.Fatalf("Issue(%q) did not return: a read blocked", name)
		return "", nil
	}
}

// review38Write writes path (and its parents, 0700) with mode perm, set
// past the umask.
func review38Write(t *testing.T, path, value string, perm os.FileMode) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, []byte(value+"\n"), perm); err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(path, perm); err != nil {
		t.Fatal(err)
	}
}

func review38Chmod(t *testing.T, path string, mode os.FileMode) {
	t.Helper()
	if err := os.Chmod(path, mode); err != nil {
		t.Fatal(err)
	}
}

func review38Symlink(t *testing.T, target, link string) {
	t.Helper()
	if err := os.Symlink(target, link); err != nil {
		t.Fatal(err)
	}
}

// review38K8sVolume lays dir out as the kubelet writes a Secret volume:
// dir 1777, a "..TIMESTAMP" directory 0755 holding the files (0644), the
// link "..data" to it, and for each key a link "KEY" -> "..data/KEY"
// (for the nested item "sub/key", the link "sub" -> "..data/sub").
func review38K8sVolume(t *testing.T, dir string) {
	t.Helper()
	ts := filepath.Join(dir, "..2026_12_08_01_40_00.123456789")
	review38Write(t, filepath.Join(ts, "token"), "kubernetes-token-value", 0o644)
	review38Write(t, filepath.Join(ts, "sub", "key"), "nested-key-value", 0o644)
	review38Chmod(t, filepath.Join(ts, "sub"), 0o755)
	review38Chmod(t, ts, 0o755)
	review38Symlink(t, filepath.Base(ts), filepath.Join(dir, "..data"))
	review38Symlink(t, "..data/token", filepath.Join(dir, "token"))
	review38Symlink(t, "..data/sub", filepath.Join(dir, "sub"))
	review38Chmod(t, dir, 0o777|os.ModeSticky)
}

// TestReview38SecretDirAccepted: what Dir must keep serving — a private
// directory of private files, a read-only mode, and the Kubernetes Secret
// volume layout (sticky world-writable root of links into "..data").
func TestReview38SecretDirAccepted(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name   string
		layout func(t *testing.T, dir string)
		secret string
		want   string
	}{
		{name: "private file", secret: "db/password", want: "private-value", layout: func(t *testing.T, dir string) {
			review38Write(t, filepath.Join(dir, "db", "password"), "private-value", 0o600)
		}},
		{name: "read-only 0444 in 0755", secret: "api", want: "readonly-value", layout: func(t *testing.T, dir string) {
			review38Write(t, filepath.Join(dir, "api"), "readonly-value", 0o444)
			review38Chmod(t, dir, 0o755)
		}},
		{name: "kubernetes key", secret: "token", want: "kubernetes-token-value", layout: review38K8sVolume},
		{name: "kubernetes nested item", secret: "sub/key", want: "nested-key-value", layout: review38K8sVolume},
		{name: "link inside the root", secret: "alias", want: "target-value", layout: func(t *testing.T, dir string) {
			review38Write(t, filepath.Join(dir, "a", "target"), "target-value", 0o600)
			review38Symlink(t, "a/../a/target", filepath.Join(dir, "alias"))
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			dir := t.TempDir()
			tt.layout(t, dir)
			got, err := review38Issue(t, dir, tt.secret)
			if err != nil || got != tt.want {
				t.Fatalf("got %q, %v; want %q", got, err, tt.want)
			}
		})
	}
	t.Run("directory through a link", func(t *testing.T) {
		t.Parallel()
		base := t.TempDir()
		review38Write(t, filepath.Join(base, "real", "db"), "linked-dir-value", 0o600)
		review38Symlink(t, "real", filepath.Join(base, "mount"))
		got, err := review38Issue(t, filepath.Join(base, "mount"), "db")
		if err != nil || got != "linked-dir-value" {
			t.Fatalf("got %q, %v", got, err)
		}
	})
}

// TestReview38SecretDirRefused: a secret file another local user could
// have written, planted or swapped is refused (ErrUnsafeSecretFile), and a
// FIFO at a secret's path no longer hangs the lease. Before, Dir read
// whatever os.Root opened: a FIFO blocked Issue forever (ReadAll does not
// see ctx), and a group-writable file or directory, or another user's
// file, was handed out under the granted name.
func TestReview38SecretDirRefused(t *testing.T) {
	t.Parallel()
	root := os.Geteuid() == 0
	tests := []struct {
		name     string
		needRoot bool
		secret   string
		layout   func(t *testing.T, dir string)
	}{
		{name: "fifo", secret: "deploy-key", layout: func(t *testing.T, dir string) {
			if err := syscall.Mkfifo(filepath.Join(dir, "deploy-key"), 0o600); err != nil {
				t.Fatal(err)
			}
		}},
		{name: "link to a fifo", secret: "deploy-key", layout: func(t *testing.T, dir string) {
			if err := syscall.Mkfifo(filepath.Join(dir, "pipe"), 0o600); err != nil {
				t.Fatal(err)
			}
			review38Symlink(t, "pipe", filepath.Join(dir, "deploy-key"))
		}},
		{name: "relative link out of the root", secret: "deploy-key", layout: func(t *testing.T, dir string) {
			review38Write(t, filepath.Join(filepath.Dir(dir), "outside"), "outside-value", 0o600)
			review38Symlink(t, "../outside", filepath.Join(dir, "deploy-key"))
		}},
		{name: "absolute link out of the root", secret: "deploy-key", layout: func(t *testing.T, dir string) {
			out := filepath.Join(filepath.Dir(dir), "outside")
			review38Write(t, out, "outside-value", 0o600)
			review38Symlink(t, out, filepath.Join(dir, "deploy-key"))
		}},
		{name: "absolute link back into the root", secret: "deploy-key", layout: func(t *testing.T, dir string) {
			review38Write(t, filepath.Join(dir, "real"), "real-value", 0o600)
			review38Symlink(t, filepath.Join(dir, "real"), filepath.Join(dir, "deploy-key"))
		}},
		{name: "group-writable file", secret: "deploy-key", layout: func(t *testing.T, dir string) {
			review38Write(t, filepath.Join(dir, "deploy-key"), "planted-value", 0o620)
		}},
		{name: "other-writable file", secret: "deploy-key", layout: func(t *testing.T, dir string) {
			review38Write(t, filepath.Join(dir, "deploy-key"), "planted-value", 0o602)
		}},
		{name: "group-writable file behind a link", secret: "deploy-key", layout: func(t *testing.T, dir string) {
			review38Write(t, filepath.Join(dir, "d", "k"), "planted-value", 0o660)
			review38Symlink(t, "d/k", filepath.Join(dir, "deploy-key"))
		}},
		{name: "group-writable directory", secret: "deploy-key", layout: func(t *testing.T, dir string) {
			review38Write(t, filepath.Join(dir, "deploy-key"), "value-in-open-dir", 0o600)
			review38Chmod(t, dir, 0o770)
		}},
		{name: "group-writable subdirectory", secret: "ci/deploy-key", layout: func(t *testing.T, dir string) {
			review38Write(t, filepath.Join(dir, "ci", "deploy-key"), "value-in-open-dir", 0o600)
			review38Chmod(t, filepath.Join(dir, "ci"), 0o770)
		}},
		{name: "world-writable directory above", secret: "deploy-key", layout: func(t *testing.T, dir string) {
			review38Write(t, filepath.Join(dir, "deploy-key"), "value-under-open-dir", 0o600)
			review38Chmod(t, filepath.Dir(dir), 0o777)
		}},
		{name: "hard link in a sticky directory", secret: "other-name", layout: func(t *testing.T, dir string) {
			review38K8sVolume(t, dir)
			real := filepath.Join(dir, "..2026_12_08_01_40_00.123456789", "token")
			if err := os.Link(real, filepath.Join(dir, "other-name")); err != nil {
				t.Fatal(err)
			}
		}},
		{name: "other user's file", needRoot: true, secret: "deploy-key", layout: func(t *testing.T, dir string) {
			p := filepath.Join(dir, "deploy-key")
			review38Write(t, p, "other-users-value", 0o600)
			review38Chown(t, p)
		}},
		{name: "other user's link in a sticky directory", needRoot: true, secret: "other-name", layout: func(t *testing.T, dir string) {
			review38K8sVolume(t, dir)
			p := filepath.Join(dir, "other-name")
			review38Symlink(t, "..data/token", p)
			if err := os.Lchown(p, 65534, 65534); err != nil {
				t.Fatal(err)
			}
		}},
		{name: "other user's directory", needRoot: true, secret: "ci/deploy-key", layout: func(t *testing.T, dir string) {
			review38Write(t, filepath.Join(dir, "ci", "deploy-key"), "value-in-others-dir", 0o600)
			review38Chown(t, filepath.Join(dir, "ci"))
		}},
		{name: "other user's secret directory", needRoot: true, secret: "deploy-key", layout: func(t *testing.T, dir string) {
			review38Write(t, filepath.Join(dir, "deploy-key"), "value-in-others-dir", 0o600)
			review38Chown(t, dir)
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if tt.needRoot && !root {
				t.Skip("needs root to give a file to another user")
			}
			t.Parallel()
			dir := filepath.Join(t.TempDir(), "secrets")
			if err := os.Mkdir(dir, 0o700); err != nil {
				t.Fatal(err)
			}
			tt.layout(t, dir)
			got, err := review38Issue(t, dir, tt.secret)
			if !errors.Is(err, secrets.ErrUnsafeSecretFile) || !errors.Is(err, secrets.ErrBackend) || got != "" {
				t.Fatalf("got %q, %v; want ErrUnsafeSecretFile", got, err)
			}
			t.Log(err)
		})
	}
}

// review38Chown gives path to uid/gid 65534 (nobody).
func review38Chown(t *testing.T, path string) {
	t.Helper()
	if err := os.Chown(path, 65534, 65534); err != nil {
		t.Fatal(err)
	}
}
