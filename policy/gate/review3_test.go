package gate_test

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/ztci/ztci/policy/gate"
)

// TestReview3ContentDeclaredOtherwiseRefused: a body whose headers declare
// anything but plain UTF-8 JSON — a second Content-Type, another charset
// or parameter, a content coding — is refused with 415 before it is read,
// however well-formed the JSON is: a proxy or log reading it by those
// headers would read something else than the gate decides on.
func TestReview3ContentDeclaredOtherwiseRefused(t *testing.T) {
	t.Parallel()
	pol := &allowVerified{}
	var mu sync.Mutex
	refused := 0
	obs := gate.ObserverFunc(func(o gate.Observation) {
		if o.Refused == "content_type" {
			mu.Lock()
			refused++
			mu.Unlock()
		}
	})
	h := newGate(t, pol, &memSink{}, gate.WithObserver(obs)).Handler()
	good, _ := gate.EncodeRequest(gate.Request{JobToken: gate.NewToken(goodToken), Bundles: []json.RawMessage{bundle(t)}, Name: "a.txt", Digest: artifactDigest})
	send := func(hdr http.Header) *httptest.ResponseRecorder {
		req := httptest.NewRequestWithContext(t.Context(), http.MethodPost, gate.PathAdmit, bytes.NewReader(good))
		for k, v := range hdr {
			req.Header[k] = v
		}
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, req)
		return rec
	}
	bad := map[string]http.Header{
		"charset utf-16":         {"Content-Type": {"application/json; charset=utf-16"}},
		"charset latin1":         {"Content-Type": {"application/json; charset=iso-8859-1"}},
		"unknown parameter":      {"Content-Type": {"application/json; profile=x"}},
		"two content types":      {"Content-Type": {"application/json", "text/plain"}},
		"two json content types": {"Content-Type": {"application/json", "application/json"}},
		"gzip":                   {"Content-Type": {"application/json"}, "Content-Encoding": {"gzip"}},
		"identity then br":       {"Content-Type": {"application/json"}, "Content-Encoding": {"identity", "br"}},
		"jsonx":                  {"Content-Type": {"application/jsonx"}},
		"none":                   {},
	}
	for name, hdr := range bad {
		if rec := send(hdr); rec.Code != http.StatusUnsupportedMediaType || rec.Header().Get("Connection") != "close" {
			t.Errorf("%s: status %d (Connection %q), want 415 and close", name, rec.Code, rec.Header().Get("Connection"))
		}
	}
	pol.mu.Lock()
	decided := len(pol.seen)
	pol.mu.Unlock()
	mu.Lock()
	defer mu.Unlock()
	if decided != 0 || refused != len(bad) {
		t.Fatalf("policy asked %d times, %d content_type refusals; want 0 and %d", decided, refused, len(bad))
	}
	for _, ct := range []string{"application/json", "Application/JSON; charset=UTF-8", `application/json; charset="utf-8"`} {
		rec := send(http.Header{"Content-Type": {ct}, "Content-Encoding": {"identity"}})
		var d gate.Decision
		if rec.Code != http.StatusOK || json.Unmarshal(rec.Body.Bytes(), &d) != nil || !d.Allowed {
			t.Errorf("%s: %d %s, want an allow", ct, rec.Code, rec.Body.String())
		}
	}
	if err := gate.CheckJSONContent(http.Header{"Content-Type": {"text/plain"}}); !errors.Is(err, gate.ErrUnsupportedContent) {
		t.Errorf("CheckJSONContent(text/plain) = %v, want ErrUnsupportedContent", err)
	}
}

// countingReader counts the bytes read from it.
type countingReader struct{ n atomic.Int64 }

func (r *countingReader) Read(p []byte) (int, error) {
	r.n.Add(int64(len(p)))
	return len(p), nil
}

// TestReview3DeclaredOversizeRefusedUnread: a Content-Length over the
// limit is refused on its declaration; not a byte of the body is read.
func TestReview3DeclaredOversizeRefusedUnread(t *testing.T) {
	t.Parallel()
	h := newGate(t, &allowVerified{}, &memSink{}, gate.WithLimits(gate.Limits{MaxBody: 64 << 10})).Handler()
	body := &countingReader{}
	req := httptest.NewRequestWithContext(t.Context(), http.MethodPost, gate.PathAdmit, io.NopCloser(body))
	req.ContentLength = 1 << 30
	req.Header.Set("Content-Type", "application/json")
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	if rec.Code != http.StatusRequestEntityTooLarge || body.n.Load() != 0 || rec.Header().Get("Connection") != "close" {
		t.Fatalf("status %d after reading %d bytes (Connection %q); want 413 unread, close", rec.Code, body.n.Load(), rec.Header().Get("Connection"))
	}
}

// TestReview3InvalidUTF8Refused: encoding/json turns a byte that is not
// UTF-8 into U+FFFD inside a string, so a request naming "a.txt\xff" would
// be decided (and audited) as "a.txt\uFFFD", a name no other reader sees.
func TestReview3InvalidUTF8Refused(t *testing.T) {
	t.Parallel()
	for _, b := range []string{
		`{"job_token":"x","image":"registry.example/a:v1` + "\xff" + `"}`,
		`{"job_token":"x` + "\xc0\xaf" + `","image":"registry.example/a:v1"}`,
		`{"job_token":"x","bundles":[{"a":"` + "\xff" + `"}],"name":"a.txt","digest":"` + artifactDigest + `"}`,
	} {
		if _, err := gate.DecodeRequest([]byte(b)); !errors.Is(err, gate.ErrBadRequest) {
			t.Errorf("DecodeRequest(%q) = %v, want ErrBadRequest", b, err)
		}
	}
}
