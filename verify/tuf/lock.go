package tuf

import (
	"context"
	"errors"
	"fmt"
	"os"
	"time"

	"github.com/ztci/ztci/internal/x509ca"
)

// Bounds of the poll for a cache lock held by another client: the wait
// itself is bounded by the caller's context and WithFetchTimeout.
const (
	lockPollMin = time.Millisecond
	lockPollMax = 100 * time.Millisecond
)

// lockCache takes the exclusive advisory lock of the cache directory dir
// (resolved by secureDir): the file dir+".lock", beside it in the checked
// layout directory, created 0600 if missing and opened as every cached file
// is (x509ca.OpenStateFile: no symbolic link, no FIFO, a regular file this
// user owns that others cannot write; else ErrUnsafeCache). Every Client,
// in this process or another, holds it from staging the cache to promoting
// into it, so two never interleave. It waits, polling, until the lock is
// free or ctx ends (ErrFetch, with ctx's error). The returned func
// releases it.
func lockCache(ctx context.Context, dir string) (func(), error) {
	path := dir + ".lock"
	// O_EXCL: an existing name, a symbolic link included, is not followed
	// nor truncated; OpenStateFile then checks whatever is there.
	if f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600); err == nil {
		if err := f.Close(); err != nil {
			return nil, fmt.Errorf("%w: cache lock: %w", ErrTUF, err)
		}
	} else if !errors.Is(err, os.ErrExist) {
		return nil, fmt.Errorf("%w: cache lock: %w", ErrTUF, err)
	}
	f, err := x509ca.OpenStateFile(path)
	if errors.Is(err, x509ca.ErrUnsafeKeyFile) {
		return nil, fmt.Errorf("%w: cache lock: %w", ErrUnsafeCache, err)
	}
	if err != nil {
		return nil, fmt.Errorf("%w: cache lock: %w", ErrTUF, err)
	}
	for delay := lockPollMin; ; delay = min(2*delay, lockPollMax) {
		ok, err := tryLockFile(f)
		if err != nil {
			f.Close()
			return nil, fmt.Errorf("%w: cache lock %s: %w", ErrTUF, path, err)
		}
		if ok {
			return func() {
				_ = unlockFile(f)
				f.Close()
			}, nil
		}
		t := time.NewTimer(delay)
		select {
		case <-ctx.Done():
			t.Stop()
			f.Close()
			return nil, fmt.Errorf("%w: waiting for the cache lock %s (another client is updating the cache): %w", ErrFetch, path, context.Cause(ctx))
		case <-t.C:
		}
	}
}
