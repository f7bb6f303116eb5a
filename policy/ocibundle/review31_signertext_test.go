package ocibundle_test

import (
	"bytes"
	"log/slog"
	"strings"
	"testing"

	"github.com/ztci/ztci/internal/oci/ocitest"
	"github.com/ztci/ztci/policy/ocibundle"
	"github.com/ztci/ztci/verify"
)

// TestReview31SignerLogBounded: a Load that verified logged the signer as
// the certificate names it, whole. A publisher's certificate whose SAN an
// identity regexp admits (here 2000 bytes of path, which ztci's own CA certifies; a
// permissive CA certifies more) wrote all of it into the
// log on every reload. The signer is now clipped in the log.
func TestReview31SignerLogBounded(t *testing.T) {
	t.Parallel()
	ss := newSigstore(t)
	reg := ocitest.Start(t, ocitest.GGCRReferrers, nil)
	tag := reg.Ref(t, "policies:prod")
	d := pushBundle(t, tag, allowAll, "v1")
	sign(t, ss.certSigner(t, "https://ci.example/acme/policies/"+strings.Repeat("a", 2000)), d, d)
	var logs bytes.Buffer
	src := ss.source(t, tag, verify.Identity{SANRegexp: `https://ci\.example/acme/policies/a+`, Issuer: issuer},
		ocibundle.WithLogger(slog.New(slog.NewTextHandler(&logs, nil))))
	if _, err := src.Load(t.Context()); err != nil {
		t.Fatalf("Load: %.300v", err)
	}
	if n := logs.Len(); n > 1536 {
		t.Errorf("log of %d bytes repeats the certificate's SAN: %.300q", n, logs.String())
	}
}
