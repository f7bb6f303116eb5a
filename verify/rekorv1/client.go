package rekorv1

import (
	"bytes"
	"context"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/x509"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"encoding/pem"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"time"

	"github.com/ztci/ztci/internal/clip"
	"github.com/ztci/ztci/internal/origin"
	"github.com/ztci/ztci/verify/blob"
	"github.com/ztci/ztci/verify/internal/checkpoint"
)

// Bounds on what is read from the log.
const (
	// MaxResponseSize bounds each answer's body.
	MaxResponseSize = 1 << 20
	// DefaultMaxCandidates is how many entries listed by FindEntry's
	// searches are fetched at most, all searches together (see
	// WithMaxCandidates).
	DefaultMaxCandidates = 16
)

// Client looks up Rekor v1 entries. It is safe for concurrent use and holds
// no resources beyond its HTTP client's idle connections.
type Client struct {
	base *url.URL
	cfg  config
	http *http.Client
}

// New returns a Client for the Rekor v1 at baseURL ("https://rekor.sigstore.dev";
// http only on loopback). Redirects are followed only to the same origin,
// at most 3 times.
func New(baseURL string, opts ...Option) (*Client, error) {
	cfg := config{timeout: 30 * time.Second, maxCandidates: DefaultMaxCandidates, transport: http.DefaultTransport, log: slog.New(slog.DiscardHandler)}
	for _, o := range opts {
		if o == nil {
			return nil, fmt.Errorf("%w: nil Option", ErrConfig)
		}
		if err := o(&cfg); err != nil {
			return nil, fmt.Errorf("%w: %w", ErrConfig, err)
		}
	}
	u, err := url.Parse(strings.TrimSuffix(baseURL, "/"))
	if err != nil || u.Host == "" || u.User != nil || u.RawQuery != "" || u.Fragment != "" ||
		u.Scheme != "https" && !(u.Scheme == "http" && origin.Loopback(u)) {
		return nil, fmt.Errorf("%w: base URL %q: want https://host[/path] (http only on loopback), no user, query or fragment", ErrConfig, baseURL)
	}
	c := &Client{base: u, cfg: cfg}
	c.http = &http.Client{
		Transport: cfg.transport,
		Timeout:   cfg.timeout,
		CheckRedirect: func(req *http.Request, via []*http.Request) error {
			if len(via) >= 3 {
				return errors.New("more than 3 redirects")
			}
			if req.URL.Scheme != u.Scheme || req.URL.Host != u.Host {
				return fmt.Errorf("redirect to another origin (%s)", logText(req.URL.Scheme+"://"+req.URL.Host))
			}
			return nil
		},
	}
	return c, nil
}

// FindEntry searches the log for the entry that logs d's signature and
// certificate (or key) for artifact a, and returns it with its SET and
// inclusion proof.
//
// cosign logs a signature under the digest its key signs: SHA-256 for
// ECDSA P-256, RSA and keyless P-256 certificates, SHA-384 for P-384,
// SHA-512 for P-521 and Ed25519ph (cosign ≥ v2.6). The caller need not know
// which: FindEntry searches by each digest a carries (Artifact.Digests),
// the signing key's first when d tells it (see searches), then SHA-256,
// SHA-512 and SHA-384, and stops at the first entry found. Each search is
// one POST /api/v1/index/retrieve; each entry listed is fetched
// (GET /api/v1/log/entries/{uuid}), checked to be the entry asked for (its
// UUID is the hash of its body) and kept only if its body binds d and a
// (blob.Detached.Bundle: this signature, this certificate or key, one of
// a's digests).
//
// Requests: at most one search per digest a carries (3 for Bytes and
// Reader, 1 for blob.Digest) plus at most WithMaxCandidates entry fetches
// in all searches together; an entry listed by two searches is fetched
// once, and no search is sent once the bound is reached. When d tells the
// key's digest (a certificate, or an Ed25519 signature) and the log holds
// the entry, that is 1 search and, unless other signatures of the artifact
// are listed first, 1 fetch; a key-signed SHA-256 signature also costs 1
// and 1, as SHA-256 is searched first when nothing tells.
//
// Rekor v1's search index refuses SHA-384 hashes (its SearchIndex hash
// pattern allows SHA-1, SHA-256 and SHA-512 only), so the SHA-384 search
// asks instead for the entries logged with d's certificate; a P-384
// signature made with a key and no certificate cannot be looked up
// (ErrNotFound): carry its entry (cosign --bundle).
//
// Nothing the log returns is trusted here: the entry is evidence for
// blob.Verifier.Verify, which checks its SET and inclusion proof against
// the trusted root's log keys, offline. Errors match ErrLookup; a search
// or fetch that fails fails the lookup (it is not skipped).
func (c *Client) FindEntry(ctx context.Context, d *blob.Detached, a blob.Artifact) (*blob.LogEntry, error) {
	if d == nil || len(d.Signature) == 0 {
		return nil, fmt.Errorf("%w: no signature to look up", ErrConfig)
	}
	qs := searches(d, a)
	if len(qs) == 0 {
		return nil, fmt.Errorf("%w: no digest of the artifact the log can be searched by (%v)", ErrNotFound, a.Digests())
	}
	budget := c.cfg.maxCandidates
	seen := map[string]bool{} // fetched: at most budget UUIDs
	listed := 0
	var searched []string
	var mismatch error
	for _, s := range qs {
		if budget == 0 {
			break // the bound is reached: further searches could not be fetched
		}
		q, err := json.Marshal(s.query)
		if err != nil {
			return nil, fmt.Errorf("%w: %v", ErrConfig, err)
		}
		var uuids []string
		if err := c.do(ctx, http.MethodPost, "/api/v1/index/retrieve", q, &uuids); err != nil {
			return nil, err
		}
		searched = append(searched, s.by)
		listed += len(uuids)
		c.cfg.log.DebugContext(ctx, "rekorv1: search", slog.String("by", s.by), slog.Int("entries", len(uuids)))
		for _, id := range uuids {
			if seen[id] {
				continue // already fetched and refused
			}
			if budget == 0 {
				break
			}
			seen[id] = true
			budget--
			e, err := c.entry(ctx, id)
			if err != nil {
				return nil, err
			}
			cand := *d
			cand.Entry = e
			if _, err := cand.Bundle(a); err != nil {
				mismatch = err // an entry of another signature, key or artifact
				continue
			}
			c.cfg.log.DebugContext(ctx, "rekorv1: entry found", slog.String("uuid", id), slog.Int64("logIndex", e.LogIndex))
			return e, nil
		}
	}
	if mismatch != nil {
		return nil, fmt.Errorf("%w: %d entries listed by %s, none logs this signature for %s (last: %w)",
			ErrNotFound, listed, strings.Join(searched, ", "), a, mismatch)
	}
	return nil, fmt.Errorf("%w: the log lists no entry by %s", ErrNotFound, strings.Join(searched, ", "))
}

// search is one question to the search index.
type search struct {
	by    string // what is searched by, for errors and logs
	query any    // the SearchIndex body (rekor pkg/generated/models)
}

// searches are the searches for d's entry for a, in order: by the digest
// the signing key signs first when d tells it (keyScheme), then SHA-256,
// SHA-512 and SHA-384, each only if a carries it. SHA-384 is searched by d's
// certificate, as Rekor v1 refuses SHA-384 hashes (rekor
// pkg/generated/models/search_index.go: hash pattern sha512, sha256, sha1),
// and not at all without one. The order only saves requests: every entry
// found is checked against d and a the same way.
func searches(d *blob.Detached, a blob.Artifact) []search {
	digests := map[string]string{}
	for _, s := range a.Digests() {
		alg, _, _ := strings.Cut(s, ":")
		digests[alg] = s
	}
	order := []string{"sha256", "sha512", "sha384"}
	if first := keyScheme(d); first != "" {
		order = append([]string{first}, slices.DeleteFunc(order, func(alg string) bool { return alg == first })...)
	}
	var out []search
	for _, alg := range order {
		s, ok := digests[alg]
		switch {
		case !ok:
		case alg != "sha384":
			out = append(out, search{by: alg, query: map[string]string{"hash": s}})
		case d.Certificate != nil:
			out = append(out, search{by: "certificate (sha384)", query: map[string]any{"publicKey": map[string]any{
				"format": "x509", "content": pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: d.Certificate})}}})
		}
	}
	return out
}

// keyScheme is the digest d's signing key signs as cosign ≥ v2.6 logs it,
// when d tells it: from the certificate's key (P-384 "sha384", P-521 and
// Ed25519 "sha512", P-256 and RSA "sha256"), or, without a certificate,
// "sha512" for a 64-byte signature (Ed25519ph; a DER ECDSA signature of a
// P-256 or larger key is longer, an RSA one too). "" when unknown. It only
// orders the searches: a wrong guess costs a request, never a check.
func keyScheme(d *blob.Detached) string {
	if d.Certificate == nil {
		if len(d.Signature) == ed25519.SignatureSize {
			return "sha512"
		}
		return ""
	}
	cert, err := x509.ParseCertificate(d.Certificate)
	if err != nil {
		return ""
	}
	switch k := cert.PublicKey.(type) {
	case *ecdsa.PublicKey:
		switch k.Curve {
		case elliptic.P384():
			return "sha384"
		case elliptic.P521():
			return "sha512"
		}
		return "sha256"
	case ed25519.PublicKey:
		return "sha512"
	case *rsa.PublicKey:
		return "sha256"
	}
	return ""
}

// logEntry is one entry as Rekor v1 serves it (rekor pkg/generated/models:
// LogEntryAnon).
type logEntry struct {
	Body           *string `json:"body"`
	IntegratedTime *int64  `json:"integratedTime"`
	LogID          *string `json:"logID"`
	LogIndex       *int64  `json:"logIndex"`
	Verification   *struct {
		SignedEntryTimestamp []byte `json:"signedEntryTimestamp"`
		InclusionProof       *struct {
			Checkpoint *string  `json:"checkpoint"`
			Hashes     []string `json:"hashes"`
			LogIndex   *int64   `json:"logIndex"`
			RootHash   *string  `json:"rootHash"`
			TreeSize   *int64   `json:"treeSize"`
		} `json:"inclusionProof"`
	} `json:"verification"`
}

// entry fetches the entry uuid.
func (c *Client) entry(ctx context.Context, uuid string) (*blob.LogEntry, error) {
	if !isUUID(uuid) {
		return nil, fmt.Errorf("%w: search answer: %s is not a Rekor UUID", ErrResponse, logText(uuid))
	}
	var answer json.RawMessage
	if err := c.do(ctx, http.MethodGet, "/api/v1/log/entries/"+uuid, nil, &answer); err != nil {
		return nil, err
	}
	return parseEntry(uuid, answer)
}

// isUUID: a Rekor UUID is the entry's leaf hash (64 lowercase hex),
// optionally after a 16-hex tree ID.
func isUUID(s string) bool {
	return (len(s) == 64 || len(s) == 80) && strings.Trim(s, "0123456789abcdef") == ""
}

// parseEntry reads the answer to GET /api/v1/log/entries/{uuid} and checks
// that it is that entry.
func parseEntry(uuid string, answerJSON []byte) (*blob.LogEntry, error) {
	bad := func(format string, args ...any) error {
		return fmt.Errorf("%w: entry %s: %s", ErrResponse, uuid, fmt.Sprintf(format, args...))
	}
	if !isUUID(uuid) {
		return nil, bad("not a Rekor UUID")
	}
	var answer map[string]logEntry
	if err := json.Unmarshal(answerJSON, &answer); err != nil {
		return nil, bad("%v", clip.Error(err, maxReason))
	}
	if len(answer) != 1 {
		return nil, bad("%d entries in the answer, want 1", len(answer))
	}
	leaf := uuid[len(uuid)-64:]
	var le logEntry
	for key, v := range answer {
		if len(key) < 64 || key[len(key)-64:] != leaf {
			return nil, bad("the answer is entry %s", logText(key))
		}
		le = v
	}
	v := le.Verification
	if le.Body == nil || le.IntegratedTime == nil || le.LogID == nil || le.LogIndex == nil || v == nil || len(v.SignedEntryTimestamp) == 0 {
		return nil, bad("body, integratedTime, logID, logIndex or signedEntryTimestamp missing")
	}
	body, err := base64.StdEncoding.Strict().DecodeString(*le.Body)
	if err != nil || strings.ContainsAny(*le.Body, "\r\n") {
		return nil, bad("body is not base64")
	}
	// The UUID is the RFC 6962 leaf hash of the body.
	h := sha256.New()
	h.Write([]byte{0})
	h.Write(body)
	if hex.EncodeToString(h.Sum(nil)) != leaf {
		return nil, bad("body does not hash to the UUID")
	}
	if *le.LogIndex < 0 || *le.IntegratedTime <= 0 {
		return nil, bad("logIndex %d or integratedTime %d out of range", *le.LogIndex, *le.IntegratedTime)
	}
	logID, err := hex.DecodeString(*le.LogID)
	if err != nil || len(logID) != sha256.Size {
		return nil, bad("logID is not a hex SHA-256")
	}
	e := &blob.LogEntry{Body: body, IntegratedTime: *le.IntegratedTime, LogIndex: *le.LogIndex, LogID: logID, SET: v.SignedEntryTimestamp}
	if p := v.InclusionProof; p != nil {
		if p.Checkpoint == nil || p.LogIndex == nil || p.RootHash == nil || p.TreeSize == nil {
			return nil, bad("inclusion proof without checkpoint, logIndex, rootHash or treeSize")
		}
		ip := &blob.InclusionProof{LogIndex: *p.LogIndex, TreeSize: *p.TreeSize, Checkpoint: *p.Checkpoint}
		if ip.RootHash, err = hex.DecodeString(*p.RootHash); err != nil || len(ip.RootHash) != sha256.Size {
			return nil, bad("rootHash is not a hex SHA-256")
		}
		if len(p.Hashes) > 64 {
			return nil, bad("%d proof hashes", len(p.Hashes))
		}
		for _, s := range p.Hashes {
			hb, err := hex.DecodeString(s)
			if err != nil || len(hb) != sha256.Size {
				return nil, bad("a proof hash is not a hex SHA-256")
			}
			ip.Hashes = append(ip.Hashes, hb)
		}
		if ip.LogIndex < 0 || ip.LogIndex >= ip.TreeSize {
			return nil, bad("inclusion proof of index %d in a tree of %d", ip.LogIndex, ip.TreeSize)
		}
		// The verifier checks the checkpoint's signature and that its
		// root hash is the proof's, not its size (see checkpoint.Signs).
		if !checkpoint.Signs(ip.Checkpoint, ip.TreeSize, ip.RootHash) {
			return nil, bad("the checkpoint is not of the proof's tree size and root hash")
		}
		e.Proof = ip
	}
	return e, nil
}

// do sends one request and decodes the JSON answer into out.
func (c *Client) do(ctx context.Context, method, path string, body []byte, out any) error {
	u := *c.base
	u.Path = strings.TrimSuffix(u.Path, "/") + path
	var rd io.Reader
	if body != nil {
		rd = bytes.NewReader(body)
	}
	req, err := http.NewRequestWithContext(ctx, method, u.String(), rd)
	if err != nil {
		return fmt.Errorf("%w: %v", ErrConfig, err)
	}
	req.Header.Set("Accept", "application/json")
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	resp, err := c.http.Do(req)
	if err != nil {
		return fmt.Errorf("%w: %s %s: %w", ErrUnavailable, method, path, clip.Error(err, maxReason))
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(io.LimitReader(resp.Body, MaxResponseSize+1))
	if err != nil {
		return fmt.Errorf("%w: %s %s: reading the answer: %w", ErrUnavailable, method, path, clip.Error(err, maxReason))
	}
	switch {
	case resp.StatusCode == http.StatusNotFound:
		return fmt.Errorf("%w: %s %s: 404", ErrNotFound, method, path)
	case resp.StatusCode != http.StatusOK:
		// The code alone: the reason phrase is the log's text, of any
		// length and with any byte but CR and LF.
		return fmt.Errorf("%w: %s %s: status %d", ErrUnavailable, method, path, resp.StatusCode)
	case len(b) > MaxResponseSize:
		return fmt.Errorf("%w: %s %s: answer larger than %d bytes", ErrResponse, method, path, MaxResponseSize)
	}
	if err := json.Unmarshal(b, out); err != nil {
		return fmt.Errorf("%w: %s %s: %v", ErrResponse, method, path, clip.Error(err, maxReason))
	}
	return nil
}
