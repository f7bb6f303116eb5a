package rekorv1_test

import (
	"bytes"
	"crypto"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/sha256"
	"crypto/sha512"
	"crypto/x509"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"encoding/pem"
	"errors"
	"fmt"
	"io"
	"math/big"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

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
	url     string // the server's, once started

	mu      sync.Mutex
	queries []string // the search requests' bodies, in order
}

func (h *hostile) start(t *testing.T) *rekorv1.Client {
	t.Helper()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch {
		case r.Method == http.MethodPost && r.URL.Path == "/api/v1/index/retrieve":
			q, _ := io.ReadAll(io.LimitReader(r.Body, 1<<16))
			h.mu.Lock()
			h.queries = append(h.queries, string(q))
			h.mu.Unlock()
			h.search(w)
		case r.Method == http.MethodGet && strings.HasPrefix(r.URL.Path, "/api/v1/log/entries/"):
			h.fetched.Add(1)
			h.entry(w, strings.TrimPrefix(r.URL.Path, "/api/v1/log/entries/"))
		default:
			http.NotFound(w, r)
		}
	}))
	t.Cleanup(srv.Close)
	h.url = srv.URL
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

	// Many entries of other signatures, each its own.
	many := make([]string, 40)
	answers := map[string][]byte{}
	for i := range many {
		u, ans := entryAnswer(fmt.Appendf(nil, `{"apiVersion":"0.0.1","kind":"hashedrekord","spec":{"n":%d}}`, i))
		many[i], answers[u] = u, ans
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
			entry: func(w http.ResponseWriter, u string) { w.Write(answers[u]) }, want: rekorv1.ErrNotFound, fetched: rekorv1.DefaultMaxCandidates},
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

// selfSigned is a certificate for key's public key (the scheme is all
// FindEntry reads from it).
func selfSigned(t *testing.T, key crypto.Signer) []byte {
	t.Helper()
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(1), NotBefore: time.Now(), NotAfter: time.Now().Add(time.Hour)}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, key.Public(), key)
	if err != nil {
		t.Fatal(err)
	}
	return der
}

// TestSearchOrder: FindEntry searches by each digest the artifact carries,
// the signing key's first when the certificate (its key) or the signature
// (64 bytes: Ed25519ph) tells it, then SHA-256, SHA-512 and SHA-384; SHA-384
// by the certificate (Rekor v1 refuses SHA-384 hashes), not at all without
// one. A log that lists nothing costs one search per digest and no fetch.
func TestSearchOrder(t *testing.T) {
	t.Parallel()
	artifact := []byte("artifact")
	s256, s384, s512 := sha256.Sum256(artifact), sha512.Sum384(artifact), sha512.Sum512(artifact)
	h256 := "sha256:" + hex.EncodeToString(s256[:])
	h384 := "sha384:" + hex.EncodeToString(s384[:])
	h512 := "sha512:" + hex.EncodeToString(s512[:])
	key := func(curve elliptic.Curve) crypto.Signer {
		k, err := ecdsa.GenerateKey(curve, rand.Reader)
		if err != nil {
			t.Fatal(err)
		}
		return k
	}
	_, edKey, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	p256, p384, p521, ed := selfSigned(t, key(elliptic.P256())), selfSigned(t, key(elliptic.P384())), selfSigned(t, key(elliptic.P521())), selfSigned(t, edKey)
	digest := func(s string) blob.Artifact {
		a, err := blob.Digest(s)
		if err != nil {
			t.Fatal(err)
		}
		return a
	}
	const byCert = "certificate"
	for _, tc := range []struct {
		name string
		cert []byte
		sig  int
		a    blob.Artifact
		want []string
	}{
		{"key, DER-sized signature", nil, 71, blob.Bytes(artifact), []string{h256, h512}},
		{"key, 64-byte signature (Ed25519ph)", nil, 64, blob.Bytes(artifact), []string{h512, h256}},
		{"key, SHA-384 only: not searchable", nil, 103, digest(h384), nil},
		{"key, SHA-512 only", nil, 71, digest(h512), []string{h512}},
		{"P-256 certificate", p256, 71, blob.Bytes(artifact), []string{h256, h512, byCert}},
		{"P-384 certificate", p384, 103, blob.Bytes(artifact), []string{byCert, h256, h512}},
		{"P-521 certificate", p521, 139, blob.Bytes(artifact), []string{h512, h256, byCert}},
		{"Ed25519 certificate", ed, 64, blob.Bytes(artifact), []string{h512, h256, byCert}},
		{"P-384 certificate, SHA-384 only", p384, 103, digest(h384), []string{byCert}},
		{"unparsable certificate", []byte("not DER"), 64, blob.Bytes(artifact), []string{h256, h512, byCert}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			d := &blob.Detached{Signature: make([]byte, tc.sig), Certificate: tc.cert}
			h := &hostile{search: func(w http.ResponseWriter) { writeJSON(w, []string{}) }}
			if _, err := h.start(t).FindEntry(t.Context(), d, tc.a); !errors.Is(err, rekorv1.ErrNotFound) {
				t.Fatal(err)
			}
			var got []string
			for _, q := range h.queries {
				var sq struct {
					Hash      string
					PublicKey *struct {
						Format  string
						Content []byte
					}
				}
				if err := json.Unmarshal([]byte(q), &sq); err != nil {
					t.Fatal(err)
				}
				switch {
				case sq.Hash != "" && sq.PublicKey == nil:
					got = append(got, sq.Hash)
				case sq.Hash == "" && sq.PublicKey != nil:
					blk, rest := pem.Decode(sq.PublicKey.Content)
					if sq.PublicKey.Format != "x509" || blk == nil || blk.Type != "CERTIFICATE" || !bytes.Equal(blk.Bytes, tc.cert) || len(rest) != 0 {
						t.Fatalf("search by another key: %s", q)
					}
					got = append(got, byCert)
				default:
					t.Fatalf("search %s", q)
				}
			}
			if !slices.Equal(got, tc.want) {
				t.Errorf("searches %q, want %q", got, tc.want)
			}
			if h.fetched.Load() != 0 {
				t.Errorf("fetched %d entries", h.fetched.Load())
			}
		})
	}
}

// TestCandidatesBoundAllSearches: WithMaxCandidates bounds the entries
// fetched in all searches together, and no search is sent once it is
// reached.
func TestCandidatesBoundAllSearches(t *testing.T) {
	t.Parallel()
	var uuids []string
	answers := map[string][]byte{}
	for i := range 6 {
		u, ans := entryAnswer(fmt.Appendf(nil, `{"apiVersion":"0.0.1","kind":"hashedrekord","spec":{"n":%d}}`, i))
		uuids, answers[u] = append(uuids, u), ans
	}
	var searches atomic.Int32
	h := &hostile{
		search: func(w http.ResponseWriter) { // two new entries a search
			i := int(searches.Add(1)-1) * 2
			writeJSON(w, uuids[i:i+2])
		},
		entry: func(w http.ResponseWriter, u string) { w.Write(answers[u]) },
	}
	h.start(t)
	c, err := rekorv1.New(h.url, rekorv1.WithMaxCandidates(3))
	if err != nil {
		t.Fatal(err)
	}
	d := &blob.Detached{Signature: []byte("sig"), Certificate: []byte("cert")}
	if _, err := c.FindEntry(t.Context(), d, blob.Bytes([]byte("artifact"))); !errors.Is(err, rekorv1.ErrNotFound) || !errors.Is(err, blob.ErrEntryMismatch) {
		t.Fatal(err)
	}
	if f, s := h.fetched.Load(), len(h.queries); f != 3 || s != 2 {
		t.Errorf("%d fetches in %d searches, want 3 in 2", f, s)
	}
}
