package attach_test

import (
	"sync"
	"testing"
	"time"

	"github.com/google/go-containerregistry/pkg/v1/remote"

	"github.com/ztci/ztci/attest/attach"
	"github.com/ztci/ztci/internal/oci/ocitest"
)

// TestReview35BlobRaceIdenticalWriters: many writers attaching the same
// bundle (identical bundle and empty-descriptor blobs) at once to one real
// distribution registry all succeed: a blob upload that loses a concurrent
// commit of the same digest, or a manifest PUT that sees the blob missing
// meanwhile, is re-checked and redone instead of failing the attachment.
func TestReview35BlobRaceIdenticalWriters(t *testing.T) {
	t.Parallel()
	const writers, rounds = 12, 4
	reg := ocitest.Start(t, ocitest.DockerRegistry, nil)
	for round := range rounds {
		img := ocitest.PushImage(t, reg.Ref(t, "app:v1"), int64(round+1))
		bundle := ocitest.NewSigner("alice").Bundle(t, img.DigestStr())
		var wg sync.WaitGroup
		start := make(chan struct{})
		errs := make([]error, writers)
		for i := range writers {
			wg.Go(func() {
				<-start
				// The default backoff: distribution answers a read of the
				// referrers tag 500 while a concurrent writer rewrites it,
				// which the transport retries.
				_, errs[i] = attach.Bundle(t.Context(), img, bundle,
					opts(nil, attach.WithRetryBackoff(remote.Backoff{Duration: 100 * time.Millisecond, Factor: 3, Jitter: 0.1, Steps: 4}))...)
			})
		}
		close(start)
		wg.Wait()
		for i, err := range errs {
			if err != nil {
				t.Errorf("round %d writer %d: %v", round, i, err)
			}
		}
	}
}
