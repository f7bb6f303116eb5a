package secrets

import (
	"context"
	"fmt"
	"io"
	"os"
	"path"
	"path/filepath"
	"strings"

	"github.com/ztci/ztci/internal/clip"
)

// Static is a [Backend] serving fixed values by name, for development and
// tests. It sets no TTL (the broker's lease still ends at the TTL it
// asked for) and its Revoke does nothing (the value outlives the lease;
// only the lease's handle on it ends).
type Static map[string]string

// Issue returns the value called req.Name.
func (s Static) Issue(_ context.Context, req Request) (Grant, error) {
	v, ok := s[req.Name]
	if !ok {
		return Grant{}, fmt.Errorf("%w: %q", ErrNotFound, req.Name)
	}
	return Grant{Value: NewValue(v)}, nil
}

// Revoke does nothing.
func (Static) Revoke(context.Context, string) error { return nil }

// Env returns a [Backend] reading secret name from the environment variable
// prefix+NAME, where NAME is name upper-cased with each '/' replaced by '_'
// (so "db/password" reads PREFIX_DB_PASSWORD). Only names of lower-case
// letters and digits in '/'-separated, non-empty segments are read: any
// other ("db_password", "DB/password", "db-password", "db.password") would
// address the same variable as one of them, and a policy that grants one
// name must not release another's value. Such a name, or an unset or empty
// variable, is [ErrNotFound].
func Env(prefix string) Backend {
	return BackendFunc(func(_ context.Context, req Request) (Grant, error) {
		if !envAddressable(req.Name) {
			return Grant{}, fmt.Errorf("%w: %q is not a name the environment backend reads (lower-case letters and digits in '/'-separated segments)", ErrNotFound, clip.String(req.Name, 128))
		}
		key := prefix + strings.ToUpper(strings.ReplaceAll(req.Name, "/", "_"))
		v := os.Getenv(key)
		if v == "" {
			return Grant{}, fmt.Errorf("%w: environment variable %s", ErrNotFound, key)
		}
		return Grant{Value: NewValue(v)}, nil
	})
}

// envAddressable reports whether name maps to its environment variable
// one to one: segments of [a-z0-9]+ joined by '/'.
func envAddressable(name string) bool {
	for seg := range strings.SplitSeq(name, "/") {
		if seg == "" || strings.Trim(seg, "abcdefghijklmnopqrstuvwxyz0123456789") != "" {
			return false
		}
	}
	return true
}

// maxFileSecret bounds a secret read by [Dir].
const maxFileSecret = 64 << 10

// Dir returns a [Backend] reading secret name from the file of that name
// under dir, such as a mounted Kubernetes Secret volume. The file a lease
// hands out must be one only root or this process's user could have
// written, or another local user who can write under dir could substitute
// a deploy key or a registry credential and have it handed out under the
// name the policy granted. On every Issue:
//
//   - dir is resolved and checked as OpenSSH checks the path to ~/.ssh
//     (StrictModes), as the CA's state directory is: every directory
//     above it, and every symbolic link naming it, owned by root or this
//     process's effective user, and writable by group or others only if
//     sticky (/tmp); dir itself owned by root or this user and not
//     writable by group or others unless it is sticky, as a Kubernetes
//     Secret volume is (a root-owned tmpfs of mode 1777, drwxrwxrwt,
//     mounted read-only);
//   - name must be the file's one spelling: a clean relative path with '/'
//     separators, without "." or ".." elements, empty elements, a trailing
//     slash or a backslash ([ErrNotFound]);
//   - every entry on the way from dir to the file — directories, symbolic
//     links, the file — is owned by root or this user; a directory is not
//     writable by group or others unless sticky; a symbolic link is
//     followed only inside dir (never an absolute target, never out
//     through ".."); in a directory others can write (sticky), a file or
//     link must have a single name, as another user could hard-link one
//     of root's under a name no grant covers;
//   - the file is opened without blocking (a FIFO would hang the lease,
//     whose context a read does not see) and checked on the open
//     descriptor: a regular file, owned by root or this user, not writable
//     by group or others. Any mode that keeps others from writing is
//     accepted (0644, 0400, a Kubernetes defaultMode or an fsGroup's 0440
//     bits).
//
// So the layout the kubelet writes is accepted as it is: dir (1777, root)
// holding, for each key, a root-owned symbolic link to "..data/KEY",
// "..data" a root-owned link to the "..TIMESTAMP" directory (0755, root),
// holding the files (root, 0644 or the mode set). A refusal is
// [ErrUnsafeSecretFile] (wrapping [ErrBackend]); a missing file is
// [ErrNotFound]. Files larger than 64 KiB are refused; one trailing
// "\n", then one trailing "\r", are trimmed. On platforms other than
// Unix only the regular-file rule and the confinement to dir hold: owners
// and ACLs are the operator's to set.
func Dir(dir string) Backend {
	return BackendFunc(func(_ context.Context, req Request) (Grant, error) {
		// The authorizer decided on the name as written: a name that
		// resolves to another file ("db/../prod" under a grant for "db/*",
		// "db//ro" for "db/ro") would hand out a secret nobody granted.
		if !filepath.IsLocal(req.Name) || path.Clean(req.Name) != req.Name || strings.Contains(req.Name, "\\") {
			return Grant{}, fmt.Errorf("%w: %s is not a clean relative file name", ErrNotFound, clip.Quote(req.Name, 128))
		}
		resolved, rootOpen, err := secretRoot(dir)
		if err != nil {
			return Grant{}, err
		}
		root, err := os.OpenRoot(resolved)
		if err != nil {
			return Grant{}, fmt.Errorf("%w: %w", ErrBackend, err)
		}
		defer root.Close()
		inOpen, err := checkSecretPath(root, req.Name, rootOpen)
		if err != nil {
			return Grant{}, err
		}
		f, err := openSecretFile(root, req.Name, inOpen)
		if err != nil {
			return Grant{}, err
		}
		defer f.Close()
		b, err := io.ReadAll(io.LimitReader(f, maxFileSecret+1))
		if err != nil {
			return Grant{}, fmt.Errorf("%w: read %s: %w", ErrBackend, clip.Quote(req.Name, 128), err)
		}
		if len(b) > maxFileSecret {
			clear(b)
			return Grant{}, fmt.Errorf("%w: %s is larger than %d bytes", ErrBackend, clip.Quote(req.Name, 128), maxFileSecret)
		}
		s := strings.TrimSuffix(strings.TrimSuffix(string(b), "\n"), "\r")
		clear(b)
		return Grant{Value: NewValue(s)}, nil
	})
}
