package attest_test

import (
	"bytes"
	"crypto/ed25519"
	"crypto/rand"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"

	"github.com/digitorus/timestamp"

	"github.com/ztci/ztci/attest"
	"github.com/ztci/ztci/attest/tsa"
)

// review31Replayer is a timestamp authority in front of a real one that
// answers every query after the first with the first answer (a recorded
// response replayed), or, with strip, forwards queries without their nonce
// (a TSA that echoes none). It records whether each query carried a nonce.
type review31Replayer struct {
	next  http.Handler
	strip bool

	mu     sync.Mutex
	first  []byte
	nonces []bool
}

func (h *review31Replayer) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	q, _ := io.ReadAll(io.LimitReader(r.Body, 1<<16))
	req, err := timestamp.ParseRequest(q)
	if err != nil {
		http.Error(w, "bad query", http.StatusBadRequest)
		return
	}
	h.mu.Lock()
	h.nonces = append(h.nonces, req.Nonce != nil)
	first := h.first
	h.mu.Unlock()
	if first != nil && !h.strip {
		w.Header().Set("Content-Type", "application/timestamp-reply")
		w.WriteHeader(http.StatusCreated)
		_, _ = w.Write(first)
		return
	}
	if h.strip {
		req.Nonce = nil
		if q, err = req.Marshal(); err != nil {
			http.Error(w, "marshal", http.StatusInternalServerError)
			return
		}
	}
	r2 := r.Clone(r.Context())
	r2.Body = io.NopCloser(bytes.NewReader(q))
	r2.ContentLength = int64(len(q))
	rec := httptest.NewRecorder()
	h.next.ServeHTTP(rec, r2)
	h.mu.Lock()
	if h.first == nil && rec.Code == http.StatusCreated {
		h.first = rec.Body.Bytes()
	}
	h.mu.Unlock()
	for k, v := range rec.Header() {
		w.Header()[k] = v
	}
	w.WriteHeader(rec.Code)
	_, _ = w.Write(rec.Body.Bytes())
}

// TestReview31TSANonce: the signer's timestamp queries carried no nonce, so
// a recorded answer replayed for the same signature (an Ed25519 key signs
// the same statement to the same signature) was put in the bundle, with
// the earlier time it states. Each query now carries a fresh nonce and an
// answer that does not echo it is refused with ErrTimestampNonce, for a
// timestamp authority by URL and the embedded one.
func TestReview31TSANonce(t *testing.T) {
	t.Parallel()
	_, key, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	a, err := tsa.New()
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name  string
		strip bool
		url   bool
	}{
		{name: "replayed answer, embedded"},
		{name: "replayed answer, by URL", url: true},
		{name: "nonce not echoed, embedded", strip: true},
		{name: "nonce not echoed, by URL", strip: true, url: true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			h := &review31Replayer{next: a.Handler(), strip: tc.strip}
			opt := attest.WithEmbeddedTimestampAuthority(h)
			if tc.url {
				srv := httptest.NewServer(h)
				defer srv.Close()
				opt = attest.WithTimestampAuthority(srv.URL + "/api/v1/timestamp")
			}
			s, err := attest.NewKeySigner(key, opt)
			if err != nil {
				t.Fatal(err)
			}
			st := testStatement(t)
			first, firstErr := attest.Sign(t.Context(), s, st)
			second, err := attest.Sign(t.Context(), s, st)
			if tc.strip {
				if first != nil || !errors.Is(firstErr, attest.ErrTimestampNonce) || !errors.Is(firstErr, attest.ErrForeignTimestamp) {
					t.Fatalf("Sign = %v, want ErrTimestampNonce", firstErr)
				}
			} else if firstErr != nil {
				t.Fatalf("first Sign: %v", firstErr)
			}
			if second != nil || !errors.Is(err, attest.ErrTimestampNonce) || !errors.Is(err, attest.ErrSign) {
				t.Fatalf("second Sign = %v, want ErrTimestampNonce", err)
			}
			h.mu.Lock()
			defer h.mu.Unlock()
			for i, n := range h.nonces {
				if !n {
					t.Fatalf("query %d carried no nonce", i)
				}
			}
		})
	}
}
