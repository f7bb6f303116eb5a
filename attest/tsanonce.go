package attest

import (
	"bytes"
	"crypto/rand"
	"fmt"
	"io"
	"math/big"
	"net/http"

	"github.com/digitorus/timestamp"
)

// ErrTimestampNonce: a timestamp authority answered a request with a token
// that does not echo the request's nonce (another one, or none): an answer
// recorded for another request, replayed. It wraps [ErrForeignTimestamp].
var ErrTimestampNonce = fmt.Errorf("%w: the timestamp does not echo the request's nonce", ErrForeignTimestamp)

// Bounds of a timestamp exchange as nonceTransport reads it: sigstore-go's
// query is about a hundred bytes; its client reads at most 1 MiB of answer.
const (
	maxTimestampQuery    = 16 << 10
	maxTimestampResponse = 1 << 20
)

// nonceTransport puts a fresh random nonce in each RFC 3161 query
// sigstore-go's timestamp client sends (it sends none) and accepts a
// granted answer only if its token echoes that nonce (RFC 3161 §2.4.2):
// without one, an answer recorded earlier for the same digest, or for
// another one later caught by checkTimestamps, is indistinguishable from
// a fresh one.
type nonceTransport struct{ base http.RoundTripper }

func (t nonceTransport) RoundTrip(r *http.Request) (*http.Response, error) {
	if r.Body == nil {
		return nil, fmt.Errorf("%w: timestamp query without a body", ErrForeignTimestamp)
	}
	q, err := io.ReadAll(io.LimitReader(r.Body, maxTimestampQuery+1))
	_ = r.Body.Close()
	if err != nil {
		return nil, err
	}
	if len(q) > maxTimestampQuery {
		return nil, fmt.Errorf("%w: timestamp query over %d bytes", ErrForeignTimestamp, maxTimestampQuery)
	}
	req, err := timestamp.ParseRequest(q)
	if err != nil {
		return nil, fmt.Errorf("%w: timestamp query unreadable: %w", ErrForeignTimestamp, err)
	}
	// 128 random bits, positive and of full length (RFC 3161 allows up to
	// 160 bits; the nonce is an INTEGER).
	b := make([]byte, 16)
	if _, err := rand.Read(b); err != nil {
		return nil, err
	}
	b[0] |= 0x80
	nonce := new(big.Int).SetBytes(b)
	req.Nonce = nonce
	q, err = req.Marshal()
	if err != nil {
		return nil, fmt.Errorf("%w: timestamp query: %w", ErrForeignTimestamp, err)
	}
	r = r.Clone(r.Context())
	r.Body = io.NopCloser(bytes.NewReader(q))
	r.ContentLength = int64(len(q))
	r.GetBody = func() (io.ReadCloser, error) { return io.NopCloser(bytes.NewReader(q)), nil }
	resp, err := t.base.RoundTrip(r)
	if err != nil {
		return nil, err
	}
	if resp.StatusCode != http.StatusOK && resp.StatusCode != http.StatusCreated {
		return resp, nil // sigstore-go reports the status
	}
	body, err := io.ReadAll(io.LimitReader(resp.Body, maxTimestampResponse+1))
	_ = resp.Body.Close()
	if err != nil {
		return nil, err
	}
	if len(body) > maxTimestampResponse {
		return nil, fmt.Errorf("%w: timestamp answer over %d bytes", ErrForeignTimestamp, maxTimestampResponse)
	}
	ts, err := timestamp.ParseResponse(body)
	if err != nil {
		return nil, fmt.Errorf("%w: timestamp unreadable: %w", ErrForeignTimestamp, err)
	}
	if ts.Nonce == nil || ts.Nonce.Cmp(nonce) != 0 {
		return nil, ErrTimestampNonce
	}
	resp.Body = io.NopCloser(bytes.NewReader(body))
	resp.ContentLength = int64(len(body))
	return resp, nil
}
