package oci

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"runtime"
	"testing"
	"time"

	"github.com/google/go-containerregistry/pkg/authn"
	"github.com/google/go-containerregistry/pkg/name"
)

// review10Stalling is a registry whose answer to path stalls: its headers
// and status are sent (when status is not 0), then nothing more until the
// test ends. Every other path answers /v2/ with a Bearer challenge whose
// realm is the registry's own /token.
func review10Stalling(t *testing.T, path string, status int) name.Repository {
	t.Helper()
	stall := make(chan struct{})
	var srv *httptest.Server
	srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == path {
			if status != 0 {
				w.WriteHeader(status)
				w.(http.Flusher).Flush()
			}
			select {
			case <-stall:
			case <-r.Context().Done():
			}
			return
		}
		w.Header().Set("WWW-Authenticate", fmt.Sprintf(`Bearer realm=%q,service="reg"`, srv.URL+"/token"))
		w.WriteHeader(http.StatusUnauthorized)
	}))
	t.Cleanup(srv.Close)
	t.Cleanup(func() { close(stall) }) // runs first: the handlers return, Close returns
	u, _ := url.Parse(srv.URL)
	repo, err := name.NewRepository(u.Host + "/app")
	if err != nil {
		t.Fatal(err)
	}
	return repo
}

type review10Anonymous struct{}

func (review10Anonymous) Resolve(authn.Resource) (authn.Authenticator, error) {
	return authn.Anonymous, nil
}

// The auth handshake (go-containerregistry's /v2/ ping and token exchange)
// is bounded by the per-request timeout, like every other request: its
// clients set no timeout and the ping reads its answer to the end, so a
// registry that never finished an answer held HTTP, and every caller of the
// same repository waiting behind it, for as long as the caller's context
// allowed (for ever under context.Background).
func TestReview10HandshakeBoundedByTimeout(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct {
		name   string
		path   string
		status int
		kc     authn.Keychain
	}{
		{"ping answer never ends", "/v2/", http.StatusOK, review10Anonymous{}},
		{"ping never answers", "/v2/", 0, review10Anonymous{}},
		{"token exchange never answers", "/token", 0, review4Keychain{authn.AuthConfig{Username: "ci", Password: "pw"}}},
		{"token answer never ends", "/token", http.StatusOK, review4Keychain{authn.AuthConfig{Username: "ci", Password: "pw"}}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			repo := review10Stalling(t, tt.path, tt.status)
			cfg := DefaultConfig()
			cfg.Keychain = tt.kc
			cfg.Timeout = 200 * time.Millisecond
			done := make(chan struct{})
			start := time.Now()
			go func() {
				defer close(done)
				_, _ = NewClient(cfg, false).HTTP(context.Background(), repo, false)
			}()
			select {
			case <-done:
				if d := time.Since(start); d > 3*time.Second {
					t.Fatalf("the handshake took %v with a %v timeout", d, cfg.Timeout)
				}
			case <-time.After(5 * time.Second):
				t.Fatalf("the handshake still waits after 5 s with a %v timeout", cfg.Timeout)
			}
		})
	}
}

// A registry's manifest or referrers page nested as deep as its size
// allows ("[[[[…", 4 MiB) cost the strict member walk that runs before
// the decoder a frame per byte: about 1.5 GiB allocated per page. The walk
// stops at encoding/json's depth limit; the answer is ErrMalformed.
// Not parallel: it measures the process's allocation.
func TestReview10DeepManifestBounded(t *testing.T) {
	for name, parse := range map[string]func([]byte) error{
		"index":    func(b []byte) error { _, err := ParseIndex(b, MaxReferrers); return err },
		"artifact": func(b []byte) error { _, err := ParseArtifact(b); return err },
	} {
		for _, unit := range []string{"[", `{"manifests":`, `{"layers":[`} {
			doc := bytes.Repeat([]byte(unit), MaxManifestSize/len(unit))
			var before, after runtime.MemStats
			runtime.GC()
			runtime.ReadMemStats(&before)
			err := parse(doc)
			runtime.ReadMemStats(&after)
			if !errors.Is(err, ErrMalformed) {
				t.Errorf("%s of %q×%d: %v, want ErrMalformed", name, unit, len(doc)/len(unit), err)
			}
			if got := after.TotalAlloc - before.TotalAlloc; got > 16<<20 {
				t.Errorf("%s of a %d-byte manifest of %q allocated %d MiB", name, len(doc), unit, got>>20)
			}
		}
	}
}
