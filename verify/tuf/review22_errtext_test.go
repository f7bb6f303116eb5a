package tuf_test

import (
	"encoding/json"
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/ztci/ztci/verify"
	"github.com/ztci/ztci/verify/tuf"
)

// review22Marker stands for text the repository chose: it must never come
// back on a line of its own.
const review22Marker = "level=INFO msg=verified"

// TestReview22RepositoryTextWithheld: a repository's metadata is its text
// until verified, and go-tuf's errors repeat some of it (the "_type" it
// read, before any signature is checked); so do net/http's (the URL a
// redirect names). Open's and Refresh's errors reach logs (the refresher
// logs every failure): they must stay short and free of control
// characters, and keep their sentinel.
func TestReview22RepositoryTextWithheld(t *testing.T) {
	t.Parallel()
	for name, tc := range map[string]struct {
		typ  string // the timestamp's "_type", or
		host string // the host a redirect names
		want error
	}{
		"escape in _type":   {typ: "\u001b[2J\n" + review22Marker, want: tuf.ErrTUF},
		"long _type":        {typ: strings.Repeat("A", 256<<10), want: tuf.ErrTUF},
		"long redirect URL": {host: strings.Repeat("a", 200<<10) + ".example", want: tuf.ErrFetch},
	} {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			repo := newTestRepo(t, time.Now(), verify.PublicGoodJSON())
			var h http.Handler = repo
			if tc.typ != "" {
				var ts map[string]any
				if err := json.Unmarshal(repo.bytes(repo.timestamp), &ts); err != nil {
					t.Fatal(err)
				}
				ts["signed"].(map[string]any)["_type"] = tc.typ
				b, err := json.Marshal(ts)
				if err != nil {
					t.Fatal(err)
				}
				repo.put("timestamp.json", b)
			} else {
				h = http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
					if strings.HasSuffix(r.URL.Path, "/timestamp.json") {
						http.Redirect(w, r, "https://"+tc.host+"/timestamp.json", http.StatusFound)
						return
					}
					repo.ServeHTTP(w, r)
				})
			}
			srv := serveHandler(t, h)
			_, err := tuf.Open(t.Context(), srv, repo.anchor, t.TempDir())
			if !errors.Is(err, tc.want) {
				t.Fatalf("Open: %.300q, want %v", err, tc.want)
			}
			msg := err.Error()
			if len(msg) > 2048 {
				t.Errorf("error is %d bytes: %.200q...", len(msg), msg)
			}
			if strings.ContainsFunc(msg, func(r rune) bool { return r < 0x20 || r == 0x7f }) {
				t.Errorf("error carries control characters: %.400q", msg)
			}
		})
	}
}

func serveHandler(t *testing.T, h http.Handler) string {
	srv := httptest.NewServer(h)
	t.Cleanup(srv.Close)
	return srv.URL
}
