package attach_test

import (
	"io"
	"net/http"
	"strings"
	"testing"

	"github.com/ztci/ztci/attest/attach"
	"github.com/ztci/ztci/audit/audittest"
	"github.com/ztci/ztci/internal/oci"
	"github.com/ztci/ztci/internal/oci/ocitest"
)

// review23Bounded fails unless s is at most n bytes of printable text.
func review23Bounded(t *testing.T, what, s string, n int) {
	t.Helper()
	if len(s) > n {
		t.Errorf("%s is %d bytes", what, len(s))
	}
	if i := strings.IndexFunc(s, func(r rune) bool { return r < 0x20 || r == 0x7f }); i >= 0 {
		t.Errorf("%s holds a control character: %q", what, s[max(0, i-40):i+1])
	}
}

// TestReview23AuditReasonIsQuoted: whoever can push the referrers tag
// writes an index whose entry's digest is a terminal escape sequence; the
// attach fails, and the audit event's reason quotes that text instead of
// carrying it raw (a log viewer would run it).
func TestReview23AuditReasonIsQuoted(t *testing.T) {
	t.Parallel()
	ix := `{"schemaVersion":2,"mediaType":"` + oci.MediaTypeOCIIndex + `","manifests":[{"mediaType":"` +
		oci.MediaTypeOCIManifest + `","digest":"sha256:\u001b]0;owned\u0007","size":1}]}`
	hostile := func(h http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if r.Method == http.MethodGet && strings.Contains(r.URL.Path, "/manifests/sha256-") {
				w.Header().Set("Content-Type", oci.MediaTypeOCIIndex)
				_, _ = io.WriteString(w, ix)
				return
			}
			h.ServeHTTP(w, r)
		})
	}
	reg := ocitest.Start(t, ocitest.GGCRNoReferrers, hostile)
	img := ocitest.PushImage(t, reg.Ref(t, "app:v1"), 1)
	rec := audittest.NewRecorder()
	_, err := attach.Bundle(t.Context(), img, ocitest.NewSigner("alice").Bundle(t, img.DigestStr()), opts(nil, attach.WithAudit(rec, "attacher"))...)
	if err == nil {
		t.Fatal("attach over a malformed referrers tag succeeded")
	}
	ev := onlyEvent(t, rec)
	review23Bounded(t, "reason", ev.Reason, 4*600)
	review23Bounded(t, "error", err.Error(), 4096)
}

// TestReview23AuditMediaTypeIsClipped: the bundle's mediaType is its own
// claim, checked by prefix only; the event carries it clipped like the
// predicate type.
func TestReview23AuditMediaTypeIsClipped(t *testing.T) {
	t.Parallel()
	reg := ocitest.Start(t, ocitest.GGCRReferrers, nil)
	img := ocitest.PushImage(t, reg.Ref(t, "app:v1"), 1)
	bundle := `{"mediaType":"application/vnd.dev.sigstore.bundle.v0.3+json;x=` + strings.Repeat("A", 64<<10) + `","messageSignature":{}}`
	rec := audittest.NewRecorder()
	_, _ = attach.Bundle(t.Context(), img, []byte(bundle), opts(nil, attach.WithAudit(rec, "attacher"))...)
	ev := onlyEvent(t, rec)
	if !strings.HasPrefix(ev.Attributes["media_type"], "application/vnd.dev.sigstore.bundle") {
		t.Fatalf("media_type = %.80q", ev.Attributes["media_type"])
	}
	review23Bounded(t, "media_type", ev.Attributes["media_type"], 512)
}
