package audit

import (
	"bytes"
	"context"
	"crypto/ed25519"
	"encoding/base64"
	"errors"
	"strings"
	"testing"

	"golang.org/x/mod/sumdb/note"
)

// TestReview17CheckpointOneSpelling: note.Open verifies the first
// signature line of the log's key and skips any later line of that key
// unread, and reads base64 with non-zero padding bits, so a checkpoint
// could be re-spelt into other bytes that still verified — one of them
// carrying a signature line of the log's key that does not verify, which a
// verifier checking every line (or the last) refuses. The log key's
// signature must appear once, in canonical base64; a cosignature of
// another key is still ignored.
func TestReview17CheckpointOneSpelling(t *testing.T) {
	t.Parallel()
	s, v, err := newSigner(testOrigin, testKey(1))
	if err != nil {
		t.Fatal(err)
	}
	cp, err := signCheckpoint(s, 3, bytes.Repeat([]byte{7}, 32))
	if err != nil {
		t.Fatal(err)
	}
	text, sigs, _ := bytes.Cut(cp.Signed, []byte("\n\n"))
	line := strings.TrimSuffix(string(sigs), "\n")
	name, b64, _ := strings.Cut(strings.TrimPrefix(line, "— "), " ")
	raw, err := base64.StdEncoding.DecodeString(b64)
	if err != nil {
		t.Fatal(err)
	}
	forged := bytes.Clone(raw)
	forged[len(forged)-1] ^= 0xff // same key hash, a signature that does not verify
	// 68 bytes end in one padding '=': the last character carries 2 unused
	// bits, which the strict decoder refuses and the note package ignores.
	loose := []byte(b64)
	loose[len(loose)-2] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/"[strings.IndexByte(
		"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/", loose[len(loose)-2])^1]
	sigLine := func(b64 string) string { return "— " + name + " " + b64 + "\n" }
	respell := func(lines ...string) []byte {
		return []byte(string(text) + "\n\n" + strings.Join(lines, ""))
	}
	for what, signed := range map[string][]byte{
		"line repeated":                   respell(sigLine(b64), sigLine(b64)),
		"forged line of the key after":    respell(sigLine(b64), sigLine(base64.StdEncoding.EncodeToString(forged))),
		"non-canonical base64":            respell(sigLine(string(loose))),
		"loose spelling beside canonical": respell(sigLine(b64), sigLine(string(loose))),
	} {
		if _, err := note.Open(signed, note.VerifierList(v.nv)); err != nil {
			t.Fatalf("%s: the note package refuses it already (%v): the test proves nothing", what, err)
		}
		if got, err := v.Checkpoint(signed); !errors.Is(err, ErrCheckpointSignature) {
			t.Errorf("%s: Checkpoint = %+v, %v; want ErrCheckpointSignature", what, got, err)
		}
		// The log reader takes the same decision for a checkpoint line.
		log := append([]byte(headerPrefix+testOrigin+"\n"), appendCheckpointLine(nil, Checkpoint{Signed: signed})...)
		if _, err := v.Log(context.Background(), bytes.NewReader(log)); !errors.Is(err, ErrCheckpointSignature) {
			t.Errorf("%s: Log = %v, want ErrCheckpointSignature", what, err)
		}
	}

	// Still accepted: the note as signed, and beside a cosignature by a key
	// the verifier does not know (signed-note verifiers ignore those).
	if _, err := v.Checkpoint(cp.Signed); err != nil {
		t.Fatalf("canonical checkpoint refused: %v", err)
	}
	w, _, err := NewCheckpointSigner("example.com/witness", ed25519.NewKeyFromSeed(bytes.Repeat([]byte{9}, 32)))
	if err != nil {
		t.Fatal(err)
	}
	cosigned, err := note.Sign(&note.Note{Text: string(text) + "\n"}, w, s)
	if err != nil {
		t.Fatal(err)
	}
	if got, err := v.Checkpoint(cosigned); err != nil || got.Size != 3 {
		t.Fatalf("cosigned checkpoint: %+v, %v", got, err)
	}
}

// FuzzReview17Checkpoint: whatever bytes Verifier.Checkpoint accepts hold
// the log key's signature line exactly once, in the canonical spelling the
// signer writes, and note.Open accepts them too.
func FuzzReview17Checkpoint(f *testing.F) {
	s, v, err := newSigner(testOrigin, testKey(1))
	if err != nil {
		f.Fatal(err)
	}
	cp, err := signCheckpoint(s, 3, bytes.Repeat([]byte{7}, 32))
	if err != nil {
		f.Fatal(err)
	}
	_, sigs, _ := bytes.Cut(cp.Signed, []byte("\n\n"))
	f.Add(cp.Signed)
	f.Add(append(bytes.Clone(cp.Signed), sigs...))
	f.Add(append(bytes.Clone(cp.Signed), "— example.com/witness AAAAAQ==\n"...))
	f.Fuzz(func(t *testing.T, b []byte) {
		got, err := v.Checkpoint(b)
		if err != nil {
			return
		}
		if _, err := note.Open(b, note.VerifierList(v.nv)); err != nil {
			t.Fatalf("accepted what note.Open refuses: %v", err)
		}
		re, err := signCheckpoint(s, got.Size, got.Root)
		if err != nil {
			t.Fatal(err)
		}
		_, own, _ := bytes.Cut(re.Signed, []byte("\n\n"))
		// Ed25519 signatures are deterministic: the signer's line is the one.
		if n := bytes.Count(b, own); n != 1 || !bytes.HasPrefix(b, re.Signed[:len(re.Signed)-len(own)]) {
			t.Fatalf("accepted %q: the signer's line appears %d times", b, n)
		}
	})
}
