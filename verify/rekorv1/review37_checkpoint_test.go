package rekorv1_test

import (
	"bytes"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math/bits"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"

	"github.com/ztci/ztci/verify"
	"github.com/ztci/ztci/verify/blob"
	"github.com/ztci/ztci/verify/rekorv1"
)

// proofAnswer is entryAnswer's entry with an inclusion proof of index
// proofIndex in a tree of treeSize, and the given checkpoint.
func proofAnswer(t *testing.T, body []byte, logIndex, integratedTime, proofIndex, treeSize int64, checkpoint string) (uuid string, answer []byte) {
	t.Helper()
	sum := sha256.Sum256(append([]byte{0}, body...))
	uuid = hex.EncodeToString(sum[:])
	answer, err := json.Marshal(map[string]any{uuid: map[string]any{
		"body": base64.StdEncoding.EncodeToString(body), "integratedTime": integratedTime, "logIndex": logIndex,
		"logID": strings.Repeat("ab", 32),
		"verification": map[string]any{
			"signedEntryTimestamp": base64.StdEncoding.EncodeToString([]byte("set")),
			"inclusionProof": map[string]any{
				"checkpoint": checkpoint, "hashes": []string{strings.Repeat("cd", 32)},
				"logIndex": proofIndex, "rootHash": strings.Repeat("ef", 32), "treeSize": treeSize,
			},
		},
	}})
	if err != nil {
		t.Fatal(err)
	}
	return uuid, answer
}

// note is a Rekor v1 checkpoint of a tree of size with root hash root.
func note(size int64, root []byte) string {
	return fmt.Sprintf("rekor.example - 1\n%d\n%s\nTimestamp: 1\n\n— rekor.example c2ln\n", size, base64.StdEncoding.EncodeToString(root))
}

// TestReview37CheckpointRefusesInconsistentProof: the verifier checks a
// Rekor v1 checkpoint's signature and that its root hash is the proof's
// (rekor pkg/verify.VerifyCheckpointSignature), never that its tree size is
// the proof's, and nothing checked an index or size for range: a lying log
// could hand over a proof computed for a tree size (and so a leaf
// position) the log never signed, or negative indices that later code
// turns into uint64. The lookup must refuse such an answer (ErrResponse).
func TestReview37CheckpointRefusesInconsistentProof(t *testing.T) {
	t.Parallel()
	body := []byte(`{"apiVersion":"0.0.1","kind":"hashedrekord","spec":{}}`)
	root := bytes.Repeat([]byte{0xef}, 32)
	tests := []struct {
		name                                           string
		logIndex, integratedTime, proofIndex, treeSize int64
		checkpoint                                     string
		ok                                             bool
	}{
		{"consistent", 7, 1700000000, 7, 8, note(8, root), true},
		{"shard index", 1 << 40, 1700000000, 7, 8, note(8, root), true},
		{"size not signed", 7, 1700000000, 7, 9, note(8, root), false},
		{"root not signed", 7, 1700000000, 7, 8, note(8, bytes.Repeat([]byte{1}, 32)), false},
		{"size with sign", 7, 1700000000, 7, 8, "rekor.example - 1\n+8\n" + base64.StdEncoding.EncodeToString(root) + "\n\n— x c2ln\n", false},
		{"no origin", 7, 1700000000, 7, 8, "\n8\n" + base64.StdEncoding.EncodeToString(root) + "\n\n— x c2ln\n", false},
		{"no signature block", 7, 1700000000, 7, 8, "rekor.example - 1\n8\n" + base64.StdEncoding.EncodeToString(root) + "\n", false},
		{"garbage", 7, 1700000000, 7, 8, "c", false},
		{"index past size", 7, 1700000000, 8, 8, note(8, root), false},
		{"negative proof index", 7, 1700000000, -1, 8, note(8, root), false},
		{"negative size", 7, 1700000000, -2, -1, note(-1, root), false},
		{"negative log index", -1, 1700000000, 7, 8, note(8, root), false},
		{"zero integrated time", 7, 0, 7, 8, note(8, root), false},
		{"negative integrated time", 7, -1, 7, 8, note(8, root), false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			uuid, answer := proofAnswer(t, body, tt.logIndex, tt.integratedTime, tt.proofIndex, tt.treeSize, tt.checkpoint)
			h := &hostile{
				search: func(w http.ResponseWriter) { writeJSON(w, []string{uuid}) },
				entry:  func(w http.ResponseWriter, _ string) { _, _ = w.Write(answer) },
			}
			c := h.start(t)
			_, err := c.FindEntry(t.Context(), &blob.Detached{Signature: []byte("sig")}, blob.Bytes([]byte("a")))
			switch {
			case tt.ok && !errors.Is(err, rekorv1.ErrNotFound):
				// The body logs nothing of this signature: a consistent
				// answer gets as far as the binding check.
				t.Errorf("consistent answer: %v, want ErrNotFound (body mismatch)", err)
			case !tt.ok && !errors.Is(err, rekorv1.ErrResponse):
				t.Errorf("%s: %v, want ErrResponse", tt.name, err)
			}
		})
	}
}

// sameShape returns a tree size other than size for which an inclusion
// proof of index in a tree of size is computed the same way (RFC 6962:
// the same inner and border path lengths and the same left/right turns),
// or 0 when there is none: a proof of one verifies as a proof of the
// other against the same root hash.
func sameShape(index, size uint64) uint64 {
	inner := bits.Len64(index ^ (size - 1))
	if inner < 2 {
		return 0
	}
	base := index >> inner << inner
	for n := base + 1<<(inner-1) + 1; n <= base+1<<inner; n++ {
		if n != size {
			return n
		}
	}
	return 0
}

// TestReview37CheckpointLiveLyingLog: a log in front of a real Rekor v1
// rewrites the inclusion proof's tree size to one its checkpoint does not
// sign, for which the same proof hashes still reach the signed root hash.
// Before, FindEntry handed the entry over and blob.Verifier accepted it:
// the size (and so the leaf position) the proof claims was the lying
// log's word. Now the lookup refuses the answer (ErrResponse), and the
// genuine answer still verifies.
func TestReview37CheckpointLiveLyingLog(t *testing.T) {
	w := newLiveWorld(t)
	artifact := []byte("review37 checkpoint target\n")
	sigFile, certFile := w.signBlob(t, release, artifact)
	w.rekor.WaitIndexed(t, sha256.Sum256(artifact), 1)
	d := parseDetached(t, sigFile, certFile)
	honest, err := rekorv1.New(w.rekor.URL)
	if err != nil {
		t.Fatal(err)
	}
	// Grow the tree until the entry's proof has a twin size.
	var e *blob.LogEntry
	var forged uint64
	for i := range 16 {
		if e, err = honest.FindEntry(t.Context(), d, blob.Bytes(artifact)); err != nil {
			t.Fatal(err)
		}
		if forged = sameShape(uint64(e.Proof.LogIndex), uint64(e.Proof.TreeSize)); forged != 0 {
			break
		}
		w.signBlob(t, release, fmt.Appendf(nil, "review37 filler %d\n", i))
	}
	if forged == 0 {
		t.Fatalf("no twin tree size for index %d in %d", e.Proof.LogIndex, e.Proof.TreeSize)
	}
	v := w.verifier(t, verify.Expectation{Signer: verify.Identity{SAN: release.Subject, Issuer: release.Issuer}})
	d.Entry = e
	if _, err := v.Verify(t.Context(), d, blob.Bytes(artifact)); err != nil {
		t.Fatalf("the genuine entry: %v", err)
	}

	up, err := url.Parse(w.rekor.URL)
	if err != nil {
		t.Fatal(err)
	}
	liar := httptest.NewServer(http.HandlerFunc(func(rw http.ResponseWriter, r *http.Request) {
		r2 := r.Clone(r.Context())
		r2.RequestURI, r2.URL.Scheme, r2.URL.Host, r2.Host = "", up.Scheme, up.Host, up.Host
		resp, err := http.DefaultTransport.RoundTrip(r2)
		if err != nil {
			http.Error(rw, err.Error(), http.StatusBadGateway)
			return
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		if strings.HasPrefix(r.URL.Path, "/api/v1/log/entries/") && resp.StatusCode == http.StatusOK {
			var m map[string]map[string]any
			dec := json.NewDecoder(bytes.NewReader(b))
			dec.UseNumber()
			if err := dec.Decode(&m); err == nil {
				for _, le := range m {
					le["verification"].(map[string]any)["inclusionProof"].(map[string]any)["treeSize"] = forged
				}
				b, _ = json.Marshal(m)
			}
		}
		rw.Header().Set("Content-Type", "application/json")
		rw.WriteHeader(resp.StatusCode)
		_, _ = rw.Write(b)
	}))
	t.Cleanup(liar.Close)
	c, err := rekorv1.New(liar.URL)
	if err != nil {
		t.Fatal(err)
	}
	le, err := c.FindEntry(t.Context(), parseDetached(t, sigFile, certFile), blob.Bytes(artifact))
	if !errors.Is(err, rekorv1.ErrResponse) {
		t.Errorf("proof of index %d rewritten to a tree of %d (checkpoint: %d): %v, want ErrResponse", e.Proof.LogIndex, forged, e.Proof.TreeSize, err)
	}
	if le != nil {
		d2 := parseDetached(t, sigFile, certFile)
		d2.Entry = le
		_, verr := v.Verify(t.Context(), d2, blob.Bytes(artifact))
		t.Logf("the rewritten entry verifies: %v", verr)
	}
}
