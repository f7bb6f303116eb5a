package rekorv1_test

import (
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/ztci/ztci/verify"
	"github.com/ztci/ztci/verify/blob"
	"github.com/ztci/ztci/verify/rekorv1"
)

func TestNewRefuses(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name string
		url  string
		opts []rekorv1.Option
	}{
		{"plain http off loopback", "http://rekor.example", nil},
		{"user info", "https://u:p@rekor.example", nil},
		{"query", "https://rekor.example?x=1", nil},
		{"no host", "https://", nil},
		{"another scheme", "ftp://rekor.example", nil},
		{"nil option", "https://rekor.example", []rekorv1.Option{nil}},
		{"zero timeout", "https://rekor.example", []rekorv1.Option{rekorv1.WithTimeout(0)}},
		{"no candidates", "https://rekor.example", []rekorv1.Option{rekorv1.WithMaxCandidates(0)}},
		{"nil transport", "https://rekor.example", []rekorv1.Option{rekorv1.WithTransport(nil)}},
		{"nil logger", "https://rekor.example", []rekorv1.Option{rekorv1.WithLogger(nil)}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			if _, err := rekorv1.New(tc.url, tc.opts...); !errors.Is(err, rekorv1.ErrConfig) {
				t.Fatalf("%v", err)
			}
		})
	}
}

// entryAnswer is what Rekor v1 answers for an entry with body.
func entryAnswer(body []byte) (uuid string, answer []byte) {
	h := sha256.New()
	h.Write([]byte{0})
	h.Write(body)
	uuid = hex.EncodeToString(h.Sum(nil))
	answer, _ = json.Marshal(map[string]any{uuid: map[string]any{
		"body": base64.StdEncoding.EncodeToString(body), "integratedTime": 1700000000, "logIndex": 7,
		"logID":        strings.Repeat("ab", 32),
		"verification": map[string]any{"signedEntryTimestamp": base64.StdEncoding.EncodeToString([]byte("set"))},
	}})
	return uuid, answer
}

// hostile is a server that answers the search with uuids and each entry
// with entries[uuid] (or what serve returns), counting entry requests.
type hostile struct {
	search  func(w http.ResponseWriter)
	entry   func(w http.ResponseWriter, uuid string)
	fetched atomic.Int32
}

func (h *hostile) start(t *testing.T) *rekorv1.Client {
	t.Helper()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch {
		case r.Method == http.MethodPost && r.URL.Path == "/api/v1/index/retrieve":
			h.search(w)
		case r.Method == http.MethodGet && strings.HasPrefix(r.URL.Path, "/api/v1/log/entries/"):
			h.fetched.Add(1)
			h.entry(w, strings.TrimPrefix(r.URL.Path, "/api/v1/log/entries/"))
		default:
			http.NotFound(w, r)
		}
	}))
	t.Cleanup(srv.Close)
	c, err := rekorv1.New(srv.URL)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func writeJSON(w http.ResponseWriter, v any) {
	w.Header().Set("Content-Type", "application/json")
	_ = json.NewEncoder(w).Encode(v)
}

// TestHostileLog: a log that answers wrongly never yields an entry; each
// answer is refused with a typed error.
func TestHostileLog(t *testing.T) {
	t.Parallel()
	d := &blob.Detached{Signature: []byte("sig")}
	a := blob.Bytes([]byte("artifact"))
	notThis := []byte(`{"apiVersion":"0.0.1","kind":"hashedrekord","spec":{}}`)
	uuid, answer := entryAnswer(notThis)
	otherUUID, otherAnswer := entryAnswer([]byte(`{"apiVersion":"0.0.1","kind":"rekord","spec":{}}`))

	other := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		t.Errorf("a redirect reached another origin: %s", r.URL)
	}))
	t.Cleanup(other.Close)

	many := make([]string, 40)
	for i := range many {
		many[i] = uuid
	}
	cases := []struct {
		name    string
		search  func(w http.ResponseWriter)
		entry   func(w http.ResponseWriter, uuid string)
		want    error
		fetched int32
	}{
		{name: "nothing found", search: func(w http.ResponseWriter) { writeJSON(w, []string{}) }, want: rekorv1.ErrNotFound},
		{name: "search fails", search: func(w http.ResponseWriter) { http.Error(w, "down", http.StatusServiceUnavailable) }, want: rekorv1.ErrUnavailable},
		{name: "search is not JSON", search: func(w http.ResponseWriter) { fmt.Fprint(w, "<html>") }, want: rekorv1.ErrResponse},
		{name: "search answer too large", search: func(w http.ResponseWriter) {
			fmt.Fprint(w, `["`+strings.Repeat("a", rekorv1.MaxResponseSize)+`"]`)
		}, want: rekorv1.ErrResponse},
		{name: "UUID with a path", search: func(w http.ResponseWriter) { writeJSON(w, []string{"../../../admin"}) }, want: rekorv1.ErrResponse},
		{name: "answer is another entry", search: func(w http.ResponseWriter) { writeJSON(w, []string{uuid}) },
			entry: func(w http.ResponseWriter, _ string) { w.Write(otherAnswer) }, want: rekorv1.ErrResponse, fetched: 1},
		{name: "body does not hash to the UUID", search: func(w http.ResponseWriter) { writeJSON(w, []string{otherUUID}) },
			entry: func(w http.ResponseWriter, _ string) {
				w.Write([]byte(strings.Replace(string(answer), uuid, otherUUID, 1)))
			}, want: rekorv1.ErrResponse, fetched: 1},
		{name: "entry without SET", search: func(w http.ResponseWriter) { writeJSON(w, []string{uuid}) },
			entry: func(w http.ResponseWriter, _ string) {
				w.Write([]byte(strings.Replace(string(answer), `"signedEntryTimestamp"`, `"x"`, 1)))
			}, want: rekorv1.ErrResponse, fetched: 1},
		{name: "entry of another signature", search: func(w http.ResponseWriter) { writeJSON(w, []string{uuid}) },
			entry: func(w http.ResponseWriter, _ string) { w.Write(answer) }, want: blob.ErrEntryMismatch, fetched: 1},
		{name: "candidates are bounded", search: func(w http.ResponseWriter) { writeJSON(w, many) },
			entry: func(w http.ResponseWriter, _ string) { w.Write(answer) }, want: rekorv1.ErrNotFound, fetched: rekorv1.DefaultMaxCandidates},
		{name: "redirect to another origin", search: func(w http.ResponseWriter) { writeJSON(w, []string{uuid}) },
			entry: func(w http.ResponseWriter, u string) {
				w.Header().Set("Location", other.URL+"/api/v1/log/entries/"+u)
				w.WriteHeader(http.StatusFound)
			}, want: rekorv1.ErrUnavailable, fetched: 1},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			h := &hostile{search: tc.search, entry: tc.entry}
			e, err := h.start(t).FindEntry(t.Context(), d, a)
			if e != nil || !errors.Is(err, tc.want) || !errors.Is(err, rekorv1.ErrLookup) || !errors.Is(err, verify.ErrTlog) {
				t.Fatalf("entry %v, error %v: want %v", e, err, tc.want)
			}
			if got := h.fetched.Load(); got != tc.fetched {
				t.Errorf("fetched %d entries, want %d", got, tc.fetched)
			}
		})
	}
}
