package attest

import (
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"

	rekortilespb "github.com/sigstore/rekor-tiles/v2/pkg/generated/protobuf"
	"github.com/sigstore/rekor/pkg/generated/client/entries"
	"github.com/sigstore/rekor/pkg/generated/models"
)

// The clients newRekor builds speak each log's upload API: the v1 entry
// POST (answered 201 with the entry by UUID) and the v2 one (201 with the
// transparency log entry), at the configured base URL's path.
func TestReview4RekorClientsUpload(t *testing.T) {
	t.Parallel()
	var paths []string
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		paths = append(paths, r.Method+" "+r.URL.Path)
		_, _ = io.Copy(io.Discard, r.Body)
		w.Header().Set("Content-Type", "application/json")
		switch r.URL.Path {
		case "/api/v1/log/entries":
			w.Header().Set("ETag", "abc")
			w.WriteHeader(http.StatusCreated)
			_ = json.NewEncoder(w).Encode(map[string]any{"abc": map[string]any{
				"body": "e30=", "integratedTime": 1, "logID": "00", "logIndex": 7}})
		case "/base/api/v2/log/entries":
			w.WriteHeader(http.StatusCreated)
			_, _ = io.WriteString(w, `{"logIndex":"9"}`)
		default:
			http.NotFound(w, r)
		}
	}))
	t.Cleanup(srv.Close)
	u, _ := url.Parse(srv.URL)
	hc := pinnedClient(u, nil, 5*time.Second)

	params := entries.NewCreateLogEntryParamsWithContext(t.Context())
	params.SetProposedEntry(&models.Hashedrekord{APIVersion: new("0.0.1"), Spec: map[string]any{}})
	got, err := rekorV1Client(u, hc).Entries.CreateLogEntry(params)
	if err != nil || got.ETag != "abc" || *got.Payload["abc"].LogIndex != 7 {
		t.Fatalf("v1 upload: %v %+v", err, got)
	}

	bu, _ := url.Parse(srv.URL + "/base")
	tle, err := rekorV2Writer{base: bu, hc: hc}.Add(t.Context(), &rekortilespb.HashedRekordRequestV002{})
	if err != nil || tle.GetLogIndex() != 9 {
		t.Fatalf("v2 upload: %v %v", err, tle)
	}
	if want := "POST /api/v1/log/entries,POST /base/api/v2/log/entries"; strings.Join(paths, ",") != want {
		t.Fatalf("requests %v, want %s", paths, want)
	}
}

// An answer longer than maxLogResponse is an error, not read to the end.
func TestReview4RekorAnswerBounded(t *testing.T) {
	t.Parallel()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.WriteHeader(http.StatusCreated)
		chunk := []byte(strings.Repeat(" ", 1<<16))
		for range maxLogResponse/len(chunk) + 2 {
			if _, err := w.Write(chunk); err != nil {
				return
			}
		}
	}))
	t.Cleanup(srv.Close)
	u, _ := url.Parse(srv.URL)
	_, err := rekorV2Writer{base: u, hc: pinnedClient(u, nil, 5*time.Second)}.Add(t.Context(), &rekortilespb.HashedRekordRequestV002{})
	if err == nil || !strings.Contains(err.Error(), "larger than") {
		t.Fatalf("oversized answer: %v", err)
	}
}
