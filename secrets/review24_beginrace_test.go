package secrets_test

import (
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/ztci/ztci/secrets"
)

// A kill switch's RevokeIdentity may run while a job of that identity is
// being begun: it finds the job as soon as the broker tracks it, and must
// be able to end it then. Before the fix, Begin tracked the job before it
// had set up what End calls, and End panicked on a nil func.
func TestReview24RevokeIdentityDuringBegin(t *testing.T) {
	t.Parallel()
	ctx := t.Context()
	// A hold of 1ns: RevokeIdentity refuses new jobs of the identity for
	// the hold only, and this test needs jobs begun while it runs.
	b := newBroker(t, newMem("value-of-the-secret"), secrets.WithRevokedHold(time.Nanosecond))
	var wg sync.WaitGroup
	stop := make(chan struct{})
	panicked := make(chan any, 1)
	for range 2 {
		wg.Go(func() {
			defer func() {
				if r := recover(); r != nil {
					select {
					case panicked <- r:
					default:
					}
				}
			}()
			for {
				select {
				case <-stop:
					return
				default:
				}
				_, _ = b.RevokeIdentity(ctx, job.ID())
			}
		})
	}
	for i := range 100000 {
		j, err := b.Begin(ctx, spec(fmt.Sprintf("j-%d", i)))
		if errors.Is(err, secrets.ErrCompromised) {
			continue // begun within a hold
		}
		if err != nil {
			t.Fatal(err)
		}
		if err := j.End(ctx); err != nil {
			t.Fatal(err)
		}
		if len(panicked) > 0 {
			break
		}
	}
	close(stop)
	wg.Wait()
	select {
	case r := <-panicked:
		t.Fatalf("RevokeIdentity during Begin panicked: %v", r)
	default:
	}
}
