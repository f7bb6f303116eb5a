package ocibundle_test

import (
	"bytes"
	"errors"
	"log/slog"
	"net/http"
	"strings"
	"testing"

	"github.com/ztci/ztci/internal/oci/ocitest"
	"github.com/ztci/ztci/policy"
	"github.com/ztci/ztci/policy/ocibundle"
)

// A registry's answer reached Load's error whole: a manifest of up to the
// 4 MiB limit whose mediaType is a few megabytes of text was quoted in the
// error, which an Engine logs, audits and, once the policy in force
// expired, writes into every refused decision, on every reload. Load's
// errors are now clipped, and quoted when not printable ASCII, whatever
// part of the client they come from; errors.Is still sees the sentinels.
func TestReview23RegistryTextClipped(t *testing.T) {
	t.Parallel()
	huge := `{"schemaVersion":2,"mediaType":"application/x\u001b[2J` + strings.Repeat("A", 2<<20) + `"}`
	reg := ocitest.Start(t, ocitest.GGCRReferrers, func(h http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if strings.HasSuffix(r.URL.Path, "/manifests/prod") {
				w.Write([]byte(huge))
				return
			}
			h.ServeHTTP(w, r)
		})
	})
	ss := newSigstore(t)
	var logs bytes.Buffer
	src := ss.source(t, reg.Ref(t, "policies:prod"), publisherID,
		ocibundle.WithLogger(slog.New(slog.NewTextHandler(&logs, nil))))
	_, err := src.Load(t.Context())
	if !errors.Is(err, policy.ErrLoad) || !errors.Is(err, ocibundle.ErrRegistry) {
		t.Fatalf("Load = %.200v, want ErrLoad and ErrRegistry", err)
	}
	if msg := err.Error(); len(msg) > 8<<10 || strings.ContainsRune(msg, 0x1b) {
		t.Errorf("error of %d bytes quotes the registry's text: %.200q", len(msg), msg)
	}
	if n := logs.Len(); n > 16<<10 || bytes.ContainsRune(logs.Bytes(), 0x1b) {
		t.Errorf("log of %d bytes quotes the registry's text", n)
	}
}
