package tuf_test

import (
	"bytes"
	"errors"
	"net/http"
	"net/http/httptest"
	"sync/atomic"
	"testing"
	"time"

	"github.com/theupdateframework/go-tuf/v2/metadata"

	"github.com/ztci/ztci/verify"
	"github.com/ztci/ztci/verify/tuf"
)

// TestReview31DownloadBoundDespiteSignedLength: go-tuf reads a snapshot or
// a targets role up to the length the timestamp or the snapshot states,
// unbounded. Those are signed by the online timestamp and snapshot keys; a
// holder of one of them (with the mirror) could state 1 TiB and stream
// until the process ran out of memory. Every download is bounded by the
// client's own ceiling, whatever the signed metadata says.
func TestReview31DownloadBoundDespiteSignedLength(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		// file is the path streamed oversized; set states its length.
		file string
		set  func(r *testRepo)
	}{
		{
			name: "snapshot length in the timestamp",
			file: "/1.snapshot.json",
			set: func(r *testRepo) {
				r.timestamp.Signed.Meta["snapshot.json"].Length = 1 << 40
				r.signTimestamp()
			},
		},
		{
			name: "targets length in the snapshot",
			file: "/1.targets.json",
			set: func(r *testRepo) {
				r.snapshot.Signed.Meta["targets.json"].Length = 1 << 40
				r.signSnapshot()
				r.signTimestamp()
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			repo := newTestRepo(t, time.Now(), verify.PublicGoodJSON())
			tt.set(repo)
			var served atomic.Int64
			chunk := bytes.Repeat([]byte(" "), 64<<10)
			srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				if r.URL.Path != tt.file {
					repo.ServeHTTP(w, r)
					return
				}
				// Far more than any metadata needs, yet finite so that an
				// unbounded client ends (with a length mismatch) rather
				// than hangs.
				for range (tuf.MaxDownloadSize + 4<<20) / len(chunk) {
					n, err := w.Write(chunk)
					served.Add(int64(n))
					if err != nil {
						return
					}
				}
			}))
			t.Cleanup(srv.Close)
			_, err := tuf.Open(t.Context(), srv.URL, repo.anchor, t.TempDir())
			if !errors.Is(err, tuf.ErrFetch) {
				t.Fatalf("open: %v, want ErrFetch (a download larger than MaxDownloadSize)", err)
			}
			var dl *metadata.ErrLengthOrHashMismatch
			if errors.As(err, &dl) {
				t.Fatalf("open: %v: the whole stream was read", err)
			}
		})
	}
}
