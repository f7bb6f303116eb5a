//go:build unix

package secrets_test

import (
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"

	"github.com/ztci/ztci/secrets"
)

// review37Nobody is the uid a file "another user" owns is given.
const review37Nobody = 65534

func review37Chown(t *testing.T, path string) {
	t.Helper()
	if os.Geteuid() != 0 {
		t.Skip("giving a file to another user needs root")
	}
	if err := os.Lchown(path, review37Nobody, review37Nobody); err != nil {
		t.Fatal(err)
	}
}

func review37Chmod(t *testing.T, path string, mode fs.FileMode) {
	t.Helper()
	if err := os.Chmod(path, mode); err != nil {
		t.Fatal(err)
	}
}

// review37Records lists the lease records in dir (by name, not by glob).
func review37Records(t *testing.T, dir string) []string {
	t.Helper()
	ents, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, e := range ents {
		if strings.HasSuffix(e.Name(), ".leases") {
			names = append(names, e.Name())
		}
	}
	return names
}

// review37Crash leaves in dir the record of a job that holds one lease of
// be and never ended, and returns the record's path.
func review37Crash(t *testing.T, be *memBackend, dir, jobID string) string {
	t.Helper()
	b := newBroker(t, be, secrets.WithJournal(dir))
	j, err := b.Begin(t.Context(), spec(jobID))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := j.Lease(t.Context(), "db"); err != nil {
		t.Fatal(err)
	}
	recs := review37Records(t, dir)
	if len(recs) != 1 {
		t.Fatalf("setup: records %v", recs)
	}
	return filepath.Join(dir, recs[0])
}

// TestReview37JournalFileDirRefused: WithJournal refused only a
// world-writable directory. A directory a group may write, or that
// another user owns, or that sits in a directory others may write (and so
// replace), let them delete or rewrite a record and hide a lease from the
// restart sweep: a credential that outlives its job. WithJournal now
// checks the path as OpenSSH checks ~/.ssh ([secrets.ErrUnsafeJournal]).
func TestReview37JournalFileDirRefused(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name  string
		setup func(t *testing.T, dir string) string
	}{
		{name: "group-writable directory", setup: func(t *testing.T, dir string) string {
			review37Chmod(t, dir, 0o770)
			return dir
		}},
		{name: "other-writable directory", setup: func(t *testing.T, dir string) string {
			review37Chmod(t, dir, 0o703)
			return dir
		}},
		{name: "sticky world-writable directory", setup: func(t *testing.T, dir string) string {
			review37Chmod(t, dir, 0o777|fs.ModeSticky)
			return dir
		}},
		{name: "directory another user owns", setup: func(t *testing.T, dir string) string {
			review37Chown(t, dir)
			return dir
		}},
		{name: "in a world-writable directory", setup: func(t *testing.T, dir string) string {
			sub := filepath.Join(dir, "leases")
			if err := os.Mkdir(sub, 0o700); err != nil {
				t.Fatal(err)
			}
			review37Chmod(t, dir, 0o777)
			return sub
		}},
		{name: "link to a group-writable directory", setup: func(t *testing.T, dir string) string {
			shared := t.TempDir()
			review37Chmod(t, shared, 0o770)
			link := filepath.Join(dir, "leases")
			if err := os.Symlink(shared, link); err != nil {
				t.Fatal(err)
			}
			return link
		}},
		{name: "not a directory", setup: func(t *testing.T, dir string) string {
			path := filepath.Join(dir, "f")
			if err := os.WriteFile(path, nil, 0o600); err != nil {
				t.Fatal(err)
			}
			return path
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			dir := tc.setup(t, t.TempDir())
			_, err := secrets.New(secrets.AllowNames("db"), newMem("value-of-the-secret"), secrets.WithJournal(dir))
			if !errors.Is(err, secrets.ErrUnsafeJournal) || !errors.Is(err, secrets.ErrConfig) {
				t.Errorf("New(WithJournal(%s)) = %v, want ErrUnsafeJournal", tc.name, err)
			}
		})
	}
}

// TestReview37JournalFileRecordRefused: Recover read whatever a record's
// name held: a link to another file, a record another user owns or may
// write (who chose which leases it names, and which it hides), or a FIFO,
// on which it blocked for ever at start-up. Recover now refuses such a
// record ([secrets.ErrUnsafeJournal], wrapping ErrJournal), leaves it for
// inspection and revokes nothing it names, and still recovers the others.
func TestReview37JournalFileRecordRefused(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name string
		// plant turns the record at path into an unsafe one.
		plant func(t *testing.T, path string)
	}{
		{name: "record another user owns", plant: review37Chown},
		{name: "group-writable record", plant: func(t *testing.T, path string) { review37Chmod(t, path, 0o620) }},
		{name: "other-writable record", plant: func(t *testing.T, path string) { review37Chmod(t, path, 0o602) }},
		{name: "symbolic link to a record", plant: func(t *testing.T, path string) {
			elsewhere := filepath.Join(t.TempDir(), filepath.Base(path))
			if err := os.Rename(path, elsewhere); err != nil {
				t.Fatal(err)
			}
			if err := os.Symlink(elsewhere, path); err != nil {
				t.Fatal(err)
			}
		}},
		{name: "FIFO", plant: func(t *testing.T, path string) {
			if err := os.Remove(path); err != nil {
				t.Fatal(err)
			}
			if err := syscall.Mkfifo(path, 0o600); err != nil {
				t.Skip("mkfifo:", err)
			}
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			dir := t.TempDir()
			be := newMem("value-of-the-secret")
			planted := review37Crash(t, be, dir, "r37-planted")
			tc.plant(t, planted)
			// A sound record beside it is still recovered.
			other := t.TempDir()
			sound := review37Crash(t, be, other, "r37-sound")
			if err := os.Rename(sound, filepath.Join(dir, filepath.Base(sound))); err != nil {
				t.Fatal(err)
			}
			liveBefore := be.liveCount()

			b := newBroker(t, be, secrets.WithJournal(dir))
			n, err := b.Recover(t.Context())
			if !errors.Is(err, secrets.ErrUnsafeJournal) || !errors.Is(err, secrets.ErrJournal) {
				t.Errorf("Recover = %v, want ErrUnsafeJournal", err)
			}
			if n != 1 || be.liveCount() != liveBefore-1 {
				t.Errorf("Recover revoked %d leases (%d of %d live), want only the sound record's one", n, be.liveCount(), liveBefore)
			}
			if recs := review37Records(t, dir); len(recs) != 1 || recs[0] != filepath.Base(planted) {
				t.Errorf("records left: %v, want only the refused %s", recs, filepath.Base(planted))
			}
		})
	}
}

// TestReview37JournalFileGlobName: Recover found records with
// filepath.Glob(dir + "/*.leases"), so a journal directory whose name
// holds glob metacharacters ("jobs[1]") matched another directory's
// records ("jobs1": leases of another broker revoked) and none of its own
// (its crashed job's lease never revoked). Recover now lists the directory.
func TestReview37JournalFileGlobName(t *testing.T) {
	t.Parallel()
	root := t.TempDir()
	mine, look := filepath.Join(root, "jobs[1]"), filepath.Join(root, "jobs1")
	for _, d := range []string{mine, look} {
		if err := os.Mkdir(d, 0o700); err != nil {
			t.Fatal(err)
		}
	}
	be := newMem("value-of-the-secret")
	review37Crash(t, be, mine, "r37-mine")
	review37Crash(t, be, look, "r37-other-broker")

	b := newBroker(t, be, secrets.WithJournal(mine))
	n, err := b.Recover(t.Context())
	if err != nil || n != 1 {
		t.Fatalf("Recover = %d, %v; want 1, nil", n, err)
	}
	if recs := review37Records(t, mine); len(recs) != 0 {
		t.Errorf("own record not recovered: %v", recs)
	}
	if recs := review37Records(t, look); len(recs) != 1 {
		t.Errorf("another directory's record was touched: %v", recs)
	}
	if be.liveCount() != 1 {
		t.Errorf("%d leases live, want the other broker's one", be.liveCount())
	}
}

// TestReview37JournalFileHappy: a private directory, named directly or
// through a symbolic link (resolved and checked once, by WithJournal),
// holds records made 0600 by this user, and Recover reads them back.
func TestReview37JournalFileHappy(t *testing.T) {
	t.Parallel()
	real := t.TempDir()
	link := filepath.Join(t.TempDir(), "leases")
	if err := os.Symlink(real, link); err != nil {
		t.Fatal(err)
	}
	for _, dir := range []string{real, link} {
		be := newMem("value-of-the-secret")
		path := review37Crash(t, be, dir, "r37-happy")
		fi, err := os.Lstat(path)
		if err != nil {
			t.Fatal(err)
		}
		if fi.Mode() != 0o600 || fi.Sys().(*syscall.Stat_t).Uid != uint32(os.Geteuid()) {
			t.Errorf("record: mode %v, uid %d; want 0600 and %d", fi.Mode(), fi.Sys().(*syscall.Stat_t).Uid, os.Geteuid())
		}
		b := newBroker(t, be, secrets.WithJournal(dir))
		if n, err := b.Recover(t.Context()); n != 1 || err != nil {
			t.Errorf("Recover(%s) = %d, %v; want 1, nil", dir, n, err)
		}
		if be.liveCount() != 0 || len(review37Records(t, real)) != 0 {
			t.Errorf("after Recover(%s): %d live, records %v", dir, be.liveCount(), review37Records(t, real))
		}
	}
}
