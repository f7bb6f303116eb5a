package oci

import (
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"

	"github.com/google/go-containerregistry/pkg/name"
)

// review23Long is registry-chosen text far longer than any error should quote.
var review23Long = strings.Repeat("A", 64<<10)

// review23Check fails unless err is a registry error whose text is bounded
// and holds no control character: errors reach logs, audit events and a
// gate's answer, and the text they quote is the registry's.
func review23Check(t *testing.T, what string, err error) {
	t.Helper()
	if !errors.Is(err, ErrRegistry) {
		t.Errorf("%s: err = %v, want ErrRegistry", what, err)
		return
	}
	msg := err.Error()
	if len(msg) > 1024 {
		t.Errorf("%s: error text is %d bytes", what, len(msg))
	}
	if i := strings.IndexFunc(msg, func(r rune) bool { return r < 0x20 || r == 0x7f }); i >= 0 {
		t.Errorf("%s: control character in the error: %q", what, msg[max(0, i-40):i+1])
	}
}

// TestReview23ParserErrorsQuoteBounded: what a manifest or index says of
// itself (a digest, a media type) is quoted clipped, and a parser's own
// message about it too (go-containerregistry prints a digest's stray byte
// raw: "found non-hex character in hash: \x1b").
func TestReview23ParserErrorsQuoteBounded(t *testing.T) {
	t.Parallel()
	// digest is JSON text: `\u001b` in it is an escape the decoder turns into ESC.
	entry := func(digest string) []byte {
		return fmt.Appendf(nil, `{"schemaVersion":2,"manifests":[{"mediaType":%q,"digest":"%s","size":1}]}`, MediaTypeOCIManifest, digest)
	}
	_, err := ParseIndex(entry(`sha256:\u001b]0;owned\u0007`), MaxReferrers)
	review23Check(t, "index digest with an escape sequence", err)
	_, err = ParseIndex(entry("sha256:"+review23Long), MaxReferrers)
	review23Check(t, "long index digest", err)
	_, err = ParseIndex(fmt.Appendf(nil, `{"schemaVersion":2,"mediaType":"%s\n","manifests":[]}`, review23Long), MaxReferrers)
	review23Check(t, "long index mediaType", err)
	_, err = ParseArtifact(fmt.Appendf(nil, `{"schemaVersion":2,"mediaType":"%s\u001b","config":{},"layers":[]}`, review23Long))
	review23Check(t, "long artifact mediaType", err)
	_, err = manifestMediaType(fmt.Appendf(nil, `{"schemaVersion":2,"mediaType":"x/%s\u001b"}`, review23Long), "")
	review23Check(t, "unsupported manifest mediaType", err)
	_, err = manifestMediaType([]byte(`{"schemaVersion":2,"mediaType":"`+MediaTypeOCIIndex+`","manifests":[]}`), "application/"+review23Long)
	review23Check(t, "Content-Type disagreeing with the body", err)
}

// TestReview23RegistryHeadersQuoteBounded: a hostile registry's headers (a
// manifest's or the referrers API's Content-Type, a Link header) reach an
// error clipped, however long the registry made them.
func TestReview23RegistryHeadersQuoteBounded(t *testing.T) {
	t.Parallel()
	subject := SHA256([]byte("subject"))
	index := `{"schemaVersion":2,"mediaType":"` + MediaTypeOCIIndex + `","manifests":[]}`
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/v2/":
		case "/v2/app/manifests/ct":
			w.Header().Set("Content-Type", "application/"+review23Long)
			fmt.Fprint(w, index)
		case "/v2/ct/referrers/" + subject.String():
			w.Header().Set("Content-Type", "application/"+review23Long)
			fmt.Fprint(w, index)
		case "/v2/link/referrers/" + subject.String():
			w.Header().Set("Content-Type", MediaTypeOCIIndex)
			w.Header().Set("Link", `<https://`+review23Long+`.example/v2/>; rel="next"`)
			fmt.Fprint(w, index)
		case "/v2/badlink/referrers/" + subject.String():
			w.Header().Set("Content-Type", MediaTypeOCIIndex)
			w.Header().Set("Link", review23Long+`; rel="next"`)
			fmt.Fprint(w, index)
		default:
			http.NotFound(w, r)
		}
	}))
	t.Cleanup(srv.Close)
	u, _ := url.Parse(srv.URL)
	repo := func(n string) name.Repository {
		r, err := name.NewRepository(u.Host+"/"+n, name.Insecure)
		if err != nil {
			t.Fatal(err)
		}
		return r
	}
	cfg := DefaultConfig()
	cfg.Keychain = review10Anonymous{}
	c := NewClient(cfg, false)

	_, err := c.GetManifest(t.Context(), repo("app"), "ct", nil, acceptManifests, "manifest")
	review23Check(t, "manifest Content-Type", err)
	for _, n := range []string{"ct", "link", "badlink"} {
		_, _, err := c.ReferrersAPI(t.Context(), repo(n), subject)
		review23Check(t, "referrers "+n, err)
	}
}

// TestReview23TransportErrorsQuoteBounded: go-containerregistry's and
// net/http's errors repeat what the registry sent; WrapTransport keeps
// them in the chain but bounds and quotes their text.
func TestReview23TransportErrorsQuoteBounded(t *testing.T) {
	t.Parallel()
	err := WrapTransport("connect", fmt.Errorf("challenge scheme %s is not bearer\x1b[2J", review23Long))
	review23Check(t, "ggcr error", err)
	err = WrapTransport("get blob", &url.Error{Op: "Get", URL: "https://cdn.example/" + review23Long, Err: errors.New("boom")})
	review23Check(t, "url error", err)
}
