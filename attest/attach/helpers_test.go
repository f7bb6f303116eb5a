package attach_test

import (
	"errors"
	"testing"
	"time"

	"github.com/google/go-containerregistry/pkg/authn"
	"github.com/google/go-containerregistry/pkg/v1/remote"

	"github.com/ztci/ztci/attest/attach"
	"github.com/ztci/ztci/audit/audittest"
	"github.com/ztci/ztci/internal/oci/ocitest"
)

// opts are the tests' options: anonymous (tests never read the developer's
// docker config), fast retries, and c counting requests.
func opts(c *ocitest.Counter, extra ...attach.Option) []attach.Option {
	o := []attach.Option{attach.WithKeychain(authn.NewMultiKeychain())}
	if c != nil {
		o = append(o, attach.WithTransport(c))
	}
	o = append(o, attach.WithRetryBackoff(remote.Backoff{Duration: time.Millisecond, Factor: 2, Steps: 3}))
	return append(o, extra...)
}

// TestOptionValidation: a misapplied option fails Bundle before any request.
func TestOptionValidation(t *testing.T) {
	t.Parallel()
	reg := ocitest.Start(t, ocitest.GGCRReferrers, nil)
	img := ocitest.PushImage(t, reg.Ref(t, "app:v1"), 1)
	bundle := ocitest.NewSigner("alice").Bundle(t, img.DigestStr())
	tests := []struct {
		name string
		opt  attach.Option
	}{
		{name: "nil option", opt: nil},
		{name: "nil keychain", opt: attach.WithKeychain(nil)},
		{name: "nil transport", opt: attach.WithTransport(nil)},
		{name: "nil logger", opt: attach.WithLogger(nil)},
		{name: "nil clock", opt: attach.WithClock(nil)},
		{name: "zero timeout", opt: attach.WithTimeout(0)},
		{name: "nil remote option", opt: attach.WithRemoteOptions(nil)},
		{name: "unbounded backoff", opt: attach.WithRetryBackoff(remote.Backoff{Duration: time.Minute, Factor: 10, Steps: 10})},
		{name: "nil audit sink", opt: attach.WithAudit(nil, "attacher")},
		{name: "no audit actor", opt: attach.WithAudit(audittest.NewRecorder(), "")},
		{name: "no steps", opt: attach.WithRetryBackoff(remote.Backoff{Duration: time.Millisecond})},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			c := ocitest.NewCounter()
			_, err := attach.Bundle(t.Context(), img, bundle, opts(c, tt.opt)...)
			if !errors.Is(err, attach.ErrConfig) {
				t.Fatalf("err = %v, want ErrConfig", err)
			}
			if n := c.N.Load(); n != 0 {
				t.Errorf("%d requests before rejecting the option", n)
			}
		})
	}
}
