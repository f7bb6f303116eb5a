package rekorv1

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/ztci/ztci/verify/blob"
)

// Bounds on what is read from the log.
const (
	// MaxResponseSize bounds each answer's body.
	MaxResponseSize = 1 << 20
	// DefaultMaxCandidates is how many entries logging the artifact's hash
	// are fetched at most (see WithMaxCandidates).
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
		u.Scheme != "https" && !(u.Scheme == "http" && isLoopback(u.Hostname())) {
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
				return fmt.Errorf("redirect to another origin (%s://%s)", req.URL.Scheme, req.URL.Host)
			}
			return nil
		},
	}
	return c, nil
}

func isLoopback(host string) bool {
	return host == "localhost" || host == "127.0.0.1" || host == "::1"
}

// FindEntry searches the log for the entry that logs d's signature and
// certificate (or key) for artifact a: it asks the search index for the
// entries of a's SHA-256 (POST /api/v1/index/retrieve), fetches each
// (GET /api/v1/log/entries/{uuid}, at most WithMaxCandidates of them),
// checks that the answer is the entry asked for (its UUID is the hash of
// its body), and returns the first whose body binds d and a, with its SET
// and inclusion proof.
//
// Nothing the log returns is trusted here: the entry is evidence for
// blob.Verifier.Verify, which checks its SET and inclusion proof against
// the trusted root's log keys, offline. Errors match ErrLookup.
func (c *Client) FindEntry(ctx context.Context, d *blob.Detached, a blob.Artifact) (*blob.LogEntry, error) {
	if d == nil || len(d.Signature) == 0 {
		return nil, fmt.Errorf("%w: no signature to look up", ErrConfig)
	}
	q, err := json.Marshal(map[string]string{"hash": a.String()})
	if err != nil {
		return nil, fmt.Errorf("%w: %v", ErrConfig, err)
	}
	var uuids []string
	if err := c.do(ctx, http.MethodPost, "/api/v1/index/retrieve", q, &uuids); err != nil {
		return nil, err
	}
	c.cfg.log.DebugContext(ctx, "rekorv1: search", slog.String("artifact", a.String()), slog.Int("entries", len(uuids)))
	if len(uuids) > c.cfg.maxCandidates {
		uuids = uuids[:c.cfg.maxCandidates]
	}
	var mismatch error
	for _, id := range uuids {
		e, err := c.entry(ctx, id)
		if err != nil {
			return nil, err
		}
		cand := *d
		cand.Entry = e
		if _, err := cand.Bundle(a); err != nil {
			mismatch = err // another signer's entry for the same artifact
			continue
		}
		c.cfg.log.DebugContext(ctx, "rekorv1: entry found", slog.String("uuid", id), slog.Int64("logIndex", e.LogIndex))
		return e, nil
	}
	if mismatch != nil {
		return nil, fmt.Errorf("%w: %d entries log %s, none this signature (last: %w)", ErrNotFound, len(uuids), a, mismatch)
	}
	return nil, fmt.Errorf("%w: the log has no entry for %s", ErrNotFound, a)
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
		return nil, fmt.Errorf("%w: search answer: %q is not a Rekor UUID", ErrResponse, uuid)
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
		return nil, bad("%v", err)
	}
	if len(answer) != 1 {
		return nil, bad("%d entries in the answer, want 1", len(answer))
	}
	leaf := uuid[len(uuid)-64:]
	var le logEntry
	for key, v := range answer {
		if len(key) < 64 || key[len(key)-64:] != leaf {
			return nil, bad("the answer is entry %q", key)
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
		return fmt.Errorf("%w: %s %s: %w", ErrUnavailable, method, path, err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(io.LimitReader(resp.Body, MaxResponseSize+1))
	if err != nil {
		return fmt.Errorf("%w: %s %s: reading the answer: %w", ErrUnavailable, method, path, err)
	}
	switch {
	case resp.StatusCode == http.StatusNotFound:
		return fmt.Errorf("%w: %s %s: 404", ErrNotFound, method, path)
	case resp.StatusCode != http.StatusOK:
		return fmt.Errorf("%w: %s %s: %s", ErrUnavailable, method, path, resp.Status)
	case len(b) > MaxResponseSize:
		return fmt.Errorf("%w: %s %s: answer larger than %d bytes", ErrResponse, method, path, MaxResponseSize)
	}
	if err := json.Unmarshal(b, out); err != nil {
		return fmt.Errorf("%w: %s %s: %v", ErrResponse, method, path, err)
	}
	return nil
}
