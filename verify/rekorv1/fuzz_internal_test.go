package rekorv1

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"encoding/pem"
	"errors"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/ztci/ztci/verify/blob"
)

// FuzzParseEntry: whatever a log answers, parseEntry returns an entry whose
// body hashes to the UUID asked for, or ErrResponse.
func FuzzParseEntry(f *testing.F) {
	body := []byte(`{"apiVersion":"0.0.1","kind":"hashedrekord","spec":{}}`)
	h := sha256.Sum256(append([]byte{0}, body...))
	uuid := hex.EncodeToString(h[:])
	f.Add(uuid, []byte(`{"`+uuid+`":{"body":"eyJhcGlWZXJzaW9uIjoiMC4wLjEiLCJraW5kIjoiaGFzaGVkcmVrb3JkIiwic3BlYyI6e319","integratedTime":1,"logID":"`+
		uuid+`","logIndex":0,"verification":{"signedEntryTimestamp":"c2V0","inclusionProof":{"checkpoint":"c","hashes":["`+uuid+
		`"],"logIndex":0,"rootHash":"`+uuid+`","treeSize":1}}}}`))
	f.Add(uuid, []byte(`{}`))
	f.Add("24296fb24b8ad77a"+uuid, []byte(`{"`+uuid+`":{}}`))
	f.Fuzz(func(t *testing.T, uuid string, answer []byte) {
		e, err := parseEntry(uuid, answer)
		if err != nil {
			if !errors.Is(err, ErrResponse) {
				t.Fatalf("untyped error %v", err)
			}
			return
		}
		sum := sha256.Sum256(append([]byte{0}, e.Body...))
		if hex.EncodeToString(sum[:]) != uuid[len(uuid)-64:] || len(e.SET) == 0 || len(e.LogID) != 32 {
			t.Fatalf("entry accepted for %s: %+v", uuid, e)
		}
	})
}

// FuzzSearches: whatever certificate and signature a caller's files hold,
// searches asks about the artifact's digests only, each once, the SHA-384
// only by the very certificate given (never without one), and the first is
// the one keyScheme names when it names one the artifact carries.
func FuzzSearches(f *testing.F) {
	f.Add([]byte(nil), make([]byte, 64), []byte("artifact"))
	f.Add([]byte("not DER"), make([]byte, 71), []byte(""))
	f.Add([]byte{0x30, 0x82, 0x01, 0x00}, make([]byte, 103), []byte("x"))
	// A real Fulcio-style certificate (ECDSA P-256), as cosign writes it.
	pemFile, err := os.ReadFile(filepath.Join("..", "blob", "testdata", "cosign-v3.1.3-keyless-rekor-v1", "artifact.cert"))
	if err != nil {
		f.Fatal(err)
	}
	der, err := blob.ParseCertificate(pemFile)
	if err != nil {
		f.Fatal(err)
	}
	f.Add(der, make([]byte, 71), []byte("artifact"))
	f.Fuzz(func(t *testing.T, cert, sig, artifact []byte) {
		d := &blob.Detached{Signature: sig, Certificate: cert}
		a := blob.Bytes(artifact)
		qs := searches(d, a)
		digests := a.Digests()
		seen := map[string]bool{}
		for _, s := range qs {
			b, err := json.Marshal(s.query)
			if err != nil {
				t.Fatal(err)
			}
			var q struct {
				Hash      string
				PublicKey *struct{ Content []byte }
			}
			if err := json.Unmarshal(b, &q); err != nil {
				t.Fatal(err)
			}
			key := q.Hash
			switch {
			case q.PublicKey != nil:
				blk, _ := pem.Decode(q.PublicKey.Content)
				if cert == nil || q.Hash != "" || blk == nil || !bytes.Equal(blk.Bytes, cert) {
					t.Fatalf("search %s for certificate %x", b, cert)
				}
				key = "certificate"
			case !slices.Contains(digests, q.Hash) || strings.HasPrefix(q.Hash, "sha384:"):
				t.Fatalf("search %s: not a searchable digest of the artifact", b)
			}
			if seen[key] {
				t.Fatalf("searched twice by %s", key)
			}
			seen[key] = true
		}
		want := 3
		if cert == nil {
			want = 2
		}
		if len(qs) != want {
			t.Fatalf("%d searches, want %d", len(qs), want)
		}
		if first := keyScheme(d); first != "" && !strings.Contains(qs[0].by, first) {
			t.Fatalf("first search by %s, the key signs %s", qs[0].by, first)
		}
	})
}
