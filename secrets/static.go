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
// under dir (e.g. a mounted Kubernetes secret volume). Names cannot escape
// dir (the lookup goes through [os.Root]), and a name must be the file's
// one spelling: a clean relative path with '/' separators, without "." or
// ".." elements, empty elements, a trailing slash or a backslash
// (otherwise [ErrNotFound]); files larger than
// 64 KiB are refused; one trailing newline is trimmed.
func Dir(dir string) Backend {
	return BackendFunc(func(_ context.Context, req Request) (Grant, error) {
		// The authorizer decided on the name as written: a name that
		// resolves to another file ("db/../prod" under a grant for "db/*",
		// "db//ro" for "db/ro") would hand out a secret nobody granted.
		if !filepath.IsLocal(req.Name) || path.Clean(req.Name) != req.Name || strings.Contains(req.Name, "\\") {
			return Grant{}, fmt.Errorf("%w: %q is not a clean relative file name", ErrNotFound, req.Name)
		}
		root, err := os.OpenRoot(dir)
		if err != nil {
			return Grant{}, fmt.Errorf("%w: %w", ErrBackend, err)
		}
		defer root.Close()
		f, err := root.Open(req.Name)
		if err != nil {
			return Grant{}, fmt.Errorf("%w: %q: %w", ErrNotFound, req.Name, err)
		}
		defer f.Close()
		b, err := io.ReadAll(io.LimitReader(f, maxFileSecret+1))
		if err != nil {
			return Grant{}, fmt.Errorf("%w: read %q: %w", ErrBackend, req.Name, err)
		}
		if len(b) > maxFileSecret {
			return Grant{}, fmt.Errorf("%w: %q is larger than %d bytes", ErrBackend, req.Name, maxFileSecret)
		}
		s := strings.TrimSuffix(strings.TrimSuffix(string(b), "\n"), "\r")
		clear(b)
		return Grant{Value: NewValue(s)}, nil
	})
}
