package image_test

import (
	"bytes"
	"errors"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/ztci/ztci/attest/attach"
	"github.com/ztci/ztci/internal/oci/ocitest"
	"github.com/ztci/ztci/verify/image"
)

// fault rewrites a response of the real in-process registry. Faults are
// injected this way because a well-behaved registry cannot be made to
// misbehave; everything else in these tests is the real registry.
type fault func(r *http.Request, rec *httptest.ResponseRecorder) (status int, hdr http.Header, body []byte)

// faulty is a fault and the requests it applies to.
type faulty struct {
	match func(*http.Request) bool
	f     fault
}

func withFault(match func(*http.Request) bool, f fault) faulty { return faulty{match, f} }

// wrap returns a handler wrapper applying the fault while on is true, so
// setup (push, attach) runs against the clean registry.
func (fy faulty) wrap(on *atomic.Bool) func(http.Handler) http.Handler {
	return func(h http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if !on.Load() || !fy.match(r) {
				h.ServeHTTP(w, r)
				return
			}
			rec := httptest.NewRecorder()
			h.ServeHTTP(rec, r)
			status, hdr, body := fy.f(r, rec)
			for k, v := range hdr {
				w.Header()[k] = v
			}
			w.Header().Set("Content-Length", strconv.Itoa(len(body)))
			w.WriteHeader(status)
			_, _ = w.Write(body)
		})
	}
}

func isGet(kind string) func(*http.Request) bool {
	return func(r *http.Request) bool {
		return r.Method == http.MethodGet && strings.Contains(r.URL.Path, "/"+kind+"/")
	}
}

func passThrough(mutate func([]byte) []byte) fault {
	return func(_ *http.Request, rec *httptest.ResponseRecorder) (int, http.Header, []byte) {
		return rec.Code, rec.Header().Clone(), mutate(rec.Body.Bytes())
	}
}

func status(code int, calls *atomic.Int64) fault {
	return func(_ *http.Request, rec *httptest.ResponseRecorder) (int, http.Header, []byte) {
		calls.Add(1)
		return code, http.Header{"Content-Type": {"application/json"}}, []byte(`{"errors":[{"code":"UNAVAILABLE"}]}`)
	}
}

func TestBadRegistryBehaviour(t *testing.T) {
	t.Parallel()
	alice := ocitest.NewSigner("alice")
	flipLast := func(b []byte) []byte { c := bytes.Clone(b); c[len(c)-2] ^= 1; return c }
	big := bytes.Repeat([]byte(" "), image.MaxManifestSize+1)

	var calls [8]atomic.Int64
	tests := []struct {
		name string
		wrap faulty
		// wantErr: VerifyImage fails (no decision); else wantAtt: the one
		// attestation fails with it and the image is not verified.
		wantErr   []error
		wantAtt   []error
		wantCalls int64 // >0: requests the fault saw (bounded retries)
		callIdx   int
	}{
		{
			name:    "referrers API 500 is an error, never a fallback",
			wrap:    withFault(isGet("referrers"), status(500, &calls[0])),
			wantErr: []error{image.ErrReferrersAPI, image.ErrUnavailable}, wantCalls: 3, callIdx: 0,
		},
		{
			name:    "referrers API 429 forever: bounded retries",
			wrap:    withFault(isGet("referrers"), status(429, &calls[1])),
			wantErr: []error{image.ErrReferrersAPI, image.ErrUnavailable}, wantCalls: 3, callIdx: 1,
		},
		{
			name:    "referrers API 401",
			wrap:    withFault(isGet("referrers"), status(401, &calls[2])),
			wantErr: []error{image.ErrReferrersAPI, image.ErrDenied},
		},
		{
			name: "referrers API answers HTML",
			wrap: withFault(isGet("referrers"), func(*http.Request, *httptest.ResponseRecorder) (int, http.Header, []byte) {
				return 200, http.Header{"Content-Type": {"text/html"}}, []byte("<html>")
			}),
			wantErr: []error{image.ErrReferrersAPI},
		},
		{
			name: "referrers API answers an oversized index",
			wrap: withFault(isGet("referrers"), passThrough(func(b []byte) []byte {
				return append(bytes.Clone(big), b...)
			})),
			wantErr: []error{image.ErrReferrersAPI, image.ErrTooLarge},
		},
		{
			name:    "referrers API answers malformed JSON",
			wrap:    withFault(isGet("referrers"), passThrough(func(b []byte) []byte { return b[:len(b)/2] })),
			wantErr: []error{image.ErrReferrersAPI, image.ErrMalformed},
		},
		{
			name: "image manifest with a lying Docker-Content-Digest",
			wrap: withFault(func(r *http.Request) bool { return r.Method == "GET" && strings.HasSuffix(r.URL.Path, "/manifests/v1") },
				func(_ *http.Request, rec *httptest.ResponseRecorder) (int, http.Header, []byte) {
					h := rec.Header().Clone()
					h.Set("Docker-Content-Digest", "sha256:"+strings.Repeat("0", 64))
					return rec.Code, h, rec.Body.Bytes()
				}),
			wantErr: []error{image.ErrDigestMismatch},
		},
		{
			name:    "oversized image manifest",
			wrap:    withFault(func(r *http.Request) bool { return strings.HasSuffix(r.URL.Path, "/manifests/v1") }, passThrough(func(b []byte) []byte { return append(b, big...) })),
			wantErr: []error{image.ErrTooLarge},
		},
		{
			name: "blob redirect loop",
			wrap: withFault(isGet("blobs"), func(r *http.Request, _ *httptest.ResponseRecorder) (int, http.Header, []byte) {
				return http.StatusTemporaryRedirect, http.Header{"Location": {r.URL.Path}}, nil
			}),
			wantErr: []error{image.ErrTooManyRedirects},
		},
		{
			name:    "bundle blob with the wrong digest",
			wrap:    withFault(isGet("blobs"), passThrough(flipLast)),
			wantAtt: []error{image.ErrArtifactFetch, image.ErrDigestMismatch},
		},
		{
			name:    "bundle blob longer than its descriptor",
			wrap:    withFault(isGet("blobs"), passThrough(func(b []byte) []byte { return append(bytes.Clone(b), ' ') })),
			wantAtt: []error{image.ErrArtifactFetch, image.ErrTooLarge},
		},
		{
			name: "artifact manifest with the wrong digest",
			wrap: withFault(func(r *http.Request) bool {
				return r.Method == "GET" && strings.Contains(r.URL.Path, "/manifests/sha256:")
			}, passThrough(func(b []byte) []byte {
				return bytes.Replace(b, []byte(`"schemaVersion":2`), []byte(`"schemaVersion":2 `), 1)
			})),
			wantAtt: []error{image.ErrArtifactFetch, image.ErrDigestMismatch},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			var on atomic.Bool
			reg := ocitest.Start(t, ocitest.GGCRReferrers, tt.wrap.wrap(&on))
			tag := reg.Ref(t, "app:v1")
			img := ocitest.PushImage(t, tag, 1)
			if _, err := attach.Bundle(t.Context(), img, alice.Bundle(t, img.DigestStr()), attachOpts(nil)...); err != nil {
				t.Fatal(err)
			}
			v, _ := image.NewVerifier(newTestVerifier(alice), opts(nil)...)
			before := calls[tt.callIdx].Load()
			on.Store(true)
			res, err := v.VerifyImage(t.Context(), tag)
			if len(tt.wantErr) > 0 {
				if err == nil {
					t.Fatalf("VerifyImage succeeded: %+v", res)
				}
				for _, want := range tt.wantErr {
					if !errors.Is(err, want) {
						t.Errorf("err = %v, want errors.Is %v", err, want)
					}
				}
				if tt.wantCalls > 0 {
					if got := calls[tt.callIdx].Load() - before; got != tt.wantCalls {
						t.Errorf("fault saw %d requests, want %d (bounded retries)", got, tt.wantCalls)
					}
				}
				return
			}
			if err != nil {
				t.Fatalf("VerifyImage: %v", err)
			}
			if res.Verified {
				t.Fatalf("verified despite %s", tt.name)
			}
			atts := res.Targets[0].Attestations
			if len(atts) != 1 {
				t.Fatalf("attestations = %+v", atts)
			}
			for _, want := range tt.wantAtt {
				if !errors.Is(atts[0].Err, want) {
					t.Errorf("attestation err = %v, want errors.Is %v", atts[0].Err, want)
				}
			}
		})
	}
}

// TestSlowRegistryTimesOut: a registry that never answers the referrers
// request is cut off by the per-request timeout.
func TestSlowRegistryTimesOut(t *testing.T) {
	t.Parallel()
	var on atomic.Bool
	stall := make(chan struct{})
	t.Cleanup(func() { close(stall) })
	reg := ocitest.Start(t, ocitest.GGCRReferrers, func(h http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if on.Load() && strings.Contains(r.URL.Path, "/referrers/") {
				select {
				case <-stall:
				case <-r.Context().Done():
				}
				return
			}
			h.ServeHTTP(w, r)
		})
	})
	img := ocitest.PushImage(t, reg.Ref(t, "app:v1"), 1)
	warm := ocitest.PushImage(t, reg.Ref(t, "app:warm"), 2)
	v, _ := image.NewVerifier(newTestVerifier(), opts(nil, image.WithTimeout(time.Second))...)
	// Warm up the connection (ping) before the registry stalls.
	if _, err := v.VerifyImage(t.Context(), warm); err != nil {
		t.Fatal(err)
	}
	on.Store(true)
	_, err := v.VerifyImage(t.Context(), img)
	if !errors.Is(err, image.ErrReferrersAPI) {
		t.Fatalf("err = %v, want ErrReferrersAPI (timeout)", err)
	}
}
