package attest_test

import (
	"context"
	"errors"
	"net/http"
	"testing"
	"testing/synctest"
	"time"

	"github.com/ztci/ztci/attest"
)

// review29Hang is a service that never answers: it holds each request until
// the request's context ends, as a network transport does for a server
// that accepted the connection and sends nothing.
type review29Hang struct{}

func (review29Hang) RoundTrip(r *http.Request) (*http.Response, error) {
	if r.Body != nil {
		_ = r.Body.Close()
	}
	<-r.Context().Done()
	return nil, context.Cause(r.Context())
}

func (review29Hang) ServeHTTP(_ http.ResponseWriter, r *http.Request) { <-r.Context().Done() }

// review29Signers are signers each of whose requests goes to a service that
// never answers: a timestamp authority by URL, the embedded one, Fulcio and
// Rekor (v1, v2).
func review29Signers(t *testing.T, timeout time.Duration) []struct {
	name string
	s    *attest.BundleSigner
} {
	t.Helper()
	hang := review29Hang{}
	opts := []attest.Option{attest.WithTransport(hang), attest.WithTimeout(timeout)}
	tokens := attest.TokenSourceFunc(func(context.Context) (string, error) {
		return "e30.eyJzdWIiOiJqb2IifQ.c2ln", nil // {"sub":"job"}
	})
	var out []struct {
		name string
		s    *attest.BundleSigner
	}
	add := func(name string, s *attest.BundleSigner, err error) {
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		out = append(out, struct {
			name string
			s    *attest.BundleSigner
		}{name, s})
	}
	s, err := attest.NewKeySigner(review4Key(t), append(opts, attest.WithTimestampAuthority("https://tsa.example/api/v1/timestamp"))...)
	add("timestamp authority", s, err)
	s, err = attest.NewKeySigner(review4Key(t), append(opts, attest.WithEmbeddedTimestampAuthority(hang))...)
	add("embedded timestamp authority", s, err)
	s, err = attest.NewFulcioSigner("https://fulcio.example", tokens, append(opts, attest.WithoutTimestampsUnsafe())...)
	add("fulcio", s, err)
	s, err = attest.NewKeySigner(review4Key(t), append(opts, attest.WithRekor("https://rekor.example", 1))...)
	add("rekor v1", s, err)
	s, err = attest.NewKeySigner(review4Key(t), append(opts, attest.WithRekor("https://rekor.example", 2))...)
	add("rekor v2", s, err)
	return out
}

// A signing call whose context is cancelled returns at once, with ErrSign
// and the context's error, even if a timestamp authority, Fulcio or a log
// never answers: sigstore-go's timestamp and Fulcio clients sent their
// requests without the caller's context, so the call (and the job) waited
// for the timeout (30 s by default) and, with the embedded authority,
// which had none, for ever.
func TestReview29TSAClientCancelledContext(t *testing.T) {
	t.Parallel()
	synctest.Test(t, func(t *testing.T) {
		for _, tc := range review29Signers(t, time.Hour) {
			ctx, cancel := context.WithCancel(t.Context())
			done := make(chan error, 1)
			go func() {
				b, err := tc.s.SignPayload(ctx, attest.PayloadType, []byte("{}"))
				if b != nil {
					err = errors.New("a bundle")
				}
				done <- err
			}()
			synctest.Wait()
			cancel()
			synctest.Wait()
			select {
			case err := <-done:
				if !errors.Is(err, attest.ErrSign) || !errors.Is(err, context.Canceled) {
					t.Errorf("%s: %v, want ErrSign and context.Canceled", tc.name, err)
				}
			default:
				t.Errorf("%s: signing still waits after its context was cancelled", tc.name)
				<-done // the timeout ends it
			}
		}
	})
}

// WithTimeout bounds every request, the embedded timestamp authority's too
// (it had no timeout at all): a service that never answers fails the call
// with ErrSign and context.DeadlineExceeded once the timeout passes.
func TestReview29TSAClientTimeout(t *testing.T) {
	t.Parallel()
	synctest.Test(t, func(t *testing.T) {
		for _, tc := range review29Signers(t, time.Minute) {
			start := time.Now()
			b, err := tc.s.SignPayload(t.Context(), attest.PayloadType, []byte("{}"))
			if b != nil || !errors.Is(err, attest.ErrSign) || !errors.Is(err, context.DeadlineExceeded) {
				t.Errorf("%s: %v, want ErrSign and context.DeadlineExceeded", tc.name, err)
			}
			// Fake time: one timeout per attempt (sigstore-go retries a
			// 5xx only, so one here), never more than a few.
			if d := time.Since(start); d > 5*time.Minute {
				t.Errorf("%s: returned after %v, timeout 1m", tc.name, d)
			}
		}
	})
}

// The caller's deadline, shorter than the timeout, ends the call too.
func TestReview29TSAClientDeadline(t *testing.T) {
	t.Parallel()
	synctest.Test(t, func(t *testing.T) {
		for _, tc := range review29Signers(t, time.Hour) {
			ctx, cancel := context.WithTimeout(t.Context(), time.Second)
			b, err := tc.s.SignPayload(ctx, attest.PayloadType, []byte("{}"))
			cancel()
			if b != nil || !errors.Is(err, attest.ErrSign) || !errors.Is(err, context.DeadlineExceeded) {
				t.Errorf("%s: %v, want ErrSign and context.DeadlineExceeded", tc.name, err)
			}
		}
	})
}
