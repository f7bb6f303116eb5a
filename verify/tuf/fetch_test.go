package tuf_test

import (
	"bytes"
	"errors"
	"net/http"
	"net/http/httptest"
	"sync/atomic"
	"testing"
	"time"

	"github.com/theupdateframework/go-tuf/v2/metadata"

	"github.com/ztci/ztci/verify"
	"github.com/ztci/ztci/verify/tuf"
)

// countingServer counts every request it receives and answers 404.
func countingServer(t *testing.T, tls bool) (*httptest.Server, *atomic.Int64) {
	var n atomic.Int64
	h := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		n.Add(1)
		http.NotFound(w, r)
	})
	var srv *httptest.Server
	if tls {
		srv = httptest.NewTLSServer(h)
	} else {
		srv = httptest.NewServer(h)
	}
	t.Cleanup(srv.Close)
	return srv, &n
}

// redirectTimestamp serves repo, except timestamp.json, which redirects to
// target (an absolute URL or a path).
func redirectTimestamp(repo *testRepo, target string) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/timestamp.json" {
			http.Redirect(w, r, target, http.StatusFound)
			return
		}
		if r.URL.Path == "/moved/timestamp.json" {
			r.URL.Path = "/timestamp.json"
		}
		repo.ServeHTTP(w, r)
	})
}

func TestRedirects(t *testing.T) {
	t.Parallel()
	t.Run("same origin is followed", func(t *testing.T) {
		t.Parallel()
		repo := newTestRepo(t, time.Now(), verify.PublicGoodJSON())
		srv := httptest.NewServer(redirectTimestamp(repo, "/moved/timestamp.json"))
		t.Cleanup(srv.Close)
		if _, err := tuf.Open(t.Context(), srv.URL, repo.anchor, t.TempDir()); err != nil {
			t.Fatal(err)
		}
	})
	t.Run("another origin is refused", func(t *testing.T) {
		t.Parallel()
		repo := newTestRepo(t, time.Now(), verify.PublicGoodJSON())
		other, hits := countingServer(t, false)
		srv := httptest.NewServer(redirectTimestamp(repo, other.URL+"/timestamp.json"))
		t.Cleanup(srv.Close)
		if _, err := tuf.Open(t.Context(), srv.URL, repo.anchor, t.TempDir()); !errors.Is(err, tuf.ErrFetch) {
			t.Fatalf("open: %v, want ErrFetch", err)
		}
		if hits.Load() != 0 {
			t.Errorf("the other origin received %d requests", hits.Load())
		}
	})
	t.Run("https to http is refused", func(t *testing.T) {
		t.Parallel()
		repo := newTestRepo(t, time.Now(), verify.PublicGoodJSON())
		plain, hits := countingServer(t, false)
		srv := httptest.NewTLSServer(redirectTimestamp(repo, plain.URL+"/timestamp.json"))
		t.Cleanup(srv.Close)
		hc := srv.Client()
		if _, err := tuf.Open(t.Context(), srv.URL, repo.anchor, t.TempDir(), tuf.WithHTTPClient(hc)); !errors.Is(err, tuf.ErrFetch) {
			t.Fatalf("open: %v, want ErrFetch", err)
		}
		if hits.Load() != 0 {
			t.Errorf("the plain-http server received %d requests", hits.Load())
		}
		if hc.CheckRedirect != nil {
			t.Error("the caller's http.Client was modified")
		}
	})
	t.Run("https works end to end", func(t *testing.T) {
		t.Parallel()
		repo := newTestRepo(t, time.Now(), verify.PublicGoodJSON())
		srv := httptest.NewTLSServer(repo)
		t.Cleanup(srv.Close)
		if _, err := tuf.Open(t.Context(), srv.URL, repo.anchor, t.TempDir(), tuf.WithHTTPClient(srv.Client())); err != nil {
			t.Fatal(err)
		}
	})
}

func TestOversizedResponseRefused(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name          string
		contentLength bool
	}{
		{name: "with Content-Length", contentLength: true},
		{name: "streamed", contentLength: false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			repo := newTestRepo(t, time.Now(), verify.PublicGoodJSON())
			srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				if r.URL.Path != "/timestamp.json" {
					repo.ServeHTTP(w, r)
					return
				}
				big := bytes.Repeat([]byte(" "), 1<<20) // go-tuf allows 16 KiB for a timestamp
				if tt.contentLength {
					w.Header().Set("Content-Length", "1048576")
				}
				_, _ = w.Write(big)
			}))
			t.Cleanup(srv.Close)
			if _, err := tuf.Open(t.Context(), srv.URL, repo.anchor, t.TempDir()); !errors.Is(err, tuf.ErrFetch) {
				t.Fatalf("open: %v, want ErrFetch", err)
			}
		})
	}
}

func TestOpenConfigErrors(t *testing.T) {
	t.Parallel()
	repo := newTestRepo(t, time.Now(), verify.PublicGoodJSON())
	tests := []struct {
		name   string
		mirror string
		anchor []byte
		cache  string
		opts   []tuf.Option
	}{
		{name: "plain http off loopback", mirror: "http://tuf.example.com", anchor: repo.anchor, cache: "x"},
		{name: "plain http to a name", mirror: "http://localhost:1", anchor: repo.anchor, cache: "x"},
		{name: "other scheme", mirror: "file:///tmp/repo", anchor: repo.anchor, cache: "x"},
		{name: "credentials in URL", mirror: "https://user:pw@tuf.example.com", anchor: repo.anchor, cache: "x"},
		{name: "query in URL", mirror: "https://tuf.example.com/?a=b", anchor: repo.anchor, cache: "x"},
		{name: "anchor not a root", mirror: "https://tuf.example.com", anchor: []byte("{}"), cache: "x"},
		{name: "anchor not signed by itself", mirror: "https://tuf.example.com", anchor: unsignedRoot(t, repo), cache: "x"},
		{name: "no cache directory", mirror: "https://tuf.example.com", anchor: repo.anchor},
		{name: "nil http client", mirror: "https://tuf.example.com", anchor: repo.anchor, cache: "x", opts: []tuf.Option{tuf.WithHTTPClient(nil)}},
		{name: "nil logger", mirror: "https://tuf.example.com", anchor: repo.anchor, cache: "x", opts: []tuf.Option{tuf.WithLogger(nil)}},
		{name: "interval under a minute", mirror: "https://tuf.example.com", anchor: repo.anchor, cache: "x", opts: []tuf.Option{tuf.WithRefreshInterval(time.Second)}},
		{name: "zero fetch timeout", mirror: "https://tuf.example.com", anchor: repo.anchor, cache: "x", opts: []tuf.Option{tuf.WithFetchTimeout(0)}},
		{name: "target escapes", mirror: "https://tuf.example.com", anchor: repo.anchor, cache: "x", opts: []tuf.Option{tuf.WithTarget("../trusted_root.json")}},
		{name: "target absolute", mirror: "https://tuf.example.com", anchor: repo.anchor, cache: "x", opts: []tuf.Option{tuf.WithTarget("/trusted_root.json")}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			cache := tt.cache
			if cache != "" {
				cache = t.TempDir()
			}
			if _, err := tuf.Open(t.Context(), tt.mirror, tt.anchor, cache, tt.opts...); !errors.Is(err, tuf.ErrConfig) {
				t.Fatalf("open: %v, want ErrConfig", err)
			}
		})
	}
}

func unsignedRoot(t *testing.T, repo *testRepo) []byte {
	m, err := metadata.Root().FromBytes(repo.anchor)
	if err != nil {
		t.Fatal(err)
	}
	m.ClearSignatures()
	b, err := m.ToBytes(false)
	if err != nil {
		t.Fatal(err)
	}
	return b
}
