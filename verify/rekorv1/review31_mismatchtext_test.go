package rekorv1_test

import (
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/ztci/ztci/verify/blob"
	"github.com/ztci/ztci/verify/rekorv1"
)

// TestReview31MismatchTextBounded: an entry the search lists that logs
// another signature is skipped, and FindEntry's ErrNotFound repeats why
// (the last mismatch). The log chose that signature, up to the answer's
// megabyte, and the refusal wrote it out in base64 whole.
func TestReview31MismatchTextBounded(t *testing.T) {
	t.Parallel()
	art := []byte("artifact")
	sum := sha256.Sum256(art)
	pk := base64.StdEncoding.EncodeToString([]byte("-----BEGIN PUBLIC KEY-----\nAAAA\n-----END PUBLIC KEY-----\n"))
	logged := strings.Repeat("S", 400<<10)
	body := []byte(`{"apiVersion":"0.0.1","kind":"hashedrekord","spec":{"data":{"hash":{"algorithm":"sha256","value":"` +
		hex.EncodeToString(sum[:]) + `"}},"signature":{"content":"` + base64.StdEncoding.EncodeToString([]byte(logged)) +
		`","publicKey":{"content":"` + pk + `"}}}}`)
	leaf := sha256.Sum256(append([]byte{0}, body...))
	uuid := hex.EncodeToString(leaf[:])
	entry, err := json.Marshal(map[string]any{uuid: map[string]any{
		"body":           base64.StdEncoding.EncodeToString(body),
		"integratedTime": 1700000000,
		"logID":          strings.Repeat("ab", 32),
		"logIndex":       1,
		"verification":   map[string]any{"signedEntryTimestamp": base64.StdEncoding.EncodeToString([]byte("set"))},
	}})
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/api/v1/index/retrieve":
			_, _ = w.Write([]byte(`["` + uuid + `"]`))
		case "/api/v1/log/entries/" + uuid:
			_, _ = w.Write(entry)
		default:
			http.NotFound(w, r)
		}
	}))
	t.Cleanup(srv.Close)
	c, err := rekorv1.New(srv.URL)
	if err != nil {
		t.Fatal(err)
	}
	_, err = c.FindEntry(t.Context(), &blob.Detached{Signature: []byte("signature")}, blob.Bytes(art))
	review22CheckText(t, err, rekorv1.ErrNotFound)
}
