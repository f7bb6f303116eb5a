package rekorv1

import (
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"testing"
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
