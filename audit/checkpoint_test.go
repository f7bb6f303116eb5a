package audit

import (
	"bytes"
	"crypto/ed25519"
	"crypto/rand"
	"encoding/base64"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"testing"

	"golang.org/x/mod/sumdb/note"
)

// TestCheckpointInteropWithSignedNote checks that checkpoints are
// byte-identical to what golang.org/x/mod/sumdb/note's own signer produces
// for the same key, and that its verifier key matches ours.
func TestCheckpointInteropWithSignedNote(t *testing.T) {
	t.Parallel()
	skey, vkey, err := note.GenerateKey(rand.Reader, testOrigin)
	if err != nil {
		t.Fatal(err)
	}
	// skey is "PRIVATE+KEY+<name>+<8 hex hash>+<base64(1 || seed)>".
	prefix := "PRIVATE+KEY+" + testOrigin + "+"
	if !strings.HasPrefix(skey, prefix) {
		t.Fatalf("unexpected skey form")
	}
	raw, err := base64.StdEncoding.DecodeString(skey[len(prefix)+9:])
	if err != nil || len(raw) != 33 || raw[0] != 1 {
		t.Fatalf("unexpected skey form: %v", err)
	}
	key := ed25519.NewKeyFromSeed(raw[1:])
	ours, v, err := newSigner(testOrigin, key)
	if err != nil {
		t.Fatal(err)
	}
	if v.VerifierKey() != vkey {
		t.Errorf("verifier key %s, note says %s", v.VerifierKey(), vkey)
	}
	theirs, err := note.NewSigner(skey)
	if err != nil {
		t.Fatal(err)
	}
	root := bytes.Repeat([]byte{7}, 32)
	cp, err := signCheckpoint(ours, 42, root)
	if err != nil {
		t.Fatal(err)
	}
	want, err := note.Sign(&note.Note{Text: checkpointBody(testOrigin, 42, root)}, theirs)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(cp.Signed, want) {
		t.Errorf("checkpoint differs from note.Sign:\n%s\n%s", cp.Signed, want)
	}
	got, err := v.Checkpoint(want)
	if err != nil || got.Size != 42 || !bytes.Equal(got.Root, root) || got.Origin != testOrigin {
		t.Errorf("Checkpoint: %+v, %v", got, err)
	}
}

func TestCheckpointRejects(t *testing.T) {
	t.Parallel()
	s, v, _ := newSigner(testOrigin, testKey(1))
	good, _ := signCheckpoint(s, 3, bytes.Repeat([]byte{1}, 32))
	other, _, _ := newSigner(testOrigin, testKey(2))
	wrongKey, _ := signCheckpoint(other, 3, bytes.Repeat([]byte{1}, 32))
	foreign, _, _ := newSigner("example.com/other", testKey(1))
	foreignCP, _ := signCheckpoint(foreign, 3, bytes.Repeat([]byte{1}, 32))
	badBody, _ := note.Sign(&note.Note{Text: testOrigin + "\nthree\nAAAA\n"}, s)
	tests := []struct {
		name   string
		signed []byte
		want   error
	}{
		{"wrong key", wrongKey.Signed, ErrCheckpointSignature},
		{"other origin", foreignCP.Signed, ErrForeignLog},
		{"altered size", bytes.Replace(good.Signed, []byte("\n3\n"), []byte("\n4\n"), 1), ErrCheckpointSignature},
		{"signed garbage body", badBody, ErrCorruptEntry},
		{"not a note", []byte(testOrigin + "\n3\n"), ErrCheckpointSignature},
		{"empty", nil, ErrForeignLog},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			if _, err := v.Checkpoint(tt.signed); !errors.Is(err, tt.want) {
				t.Errorf("got %v, want %v", err, tt.want)
			}
		})
	}
}

func TestSigningKeyNeverPrinted(t *testing.T) {
	t.Parallel()
	var seed [32]byte
	copy(seed[:], "CANARY-SEED-0123456789abcdef0123")
	key := ed25519.NewKeyFromSeed(seed[:])
	l, err := Open(t.Context(), t.TempDir()+"/audit.log", testOrigin, key, WithoutSyncUnsafe())
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	var logs bytes.Buffer
	slog.New(slog.NewJSONHandler(&logs, nil)).Info("log", "log", l, "signer", l.signer)
	hexKey, b64Key := fmt.Sprintf("%x", []byte(key)), base64.StdEncoding.EncodeToString(key)
	for _, s := range []string{fmt.Sprint(l), fmt.Sprintf("%#v", l), fmt.Sprintf("%+v", l), fmt.Sprintf("%v %#v", l.signer, l.signer), logs.String()} {
		if strings.Contains(s, "CANARY") || strings.Contains(s, hexKey[:16]) || strings.Contains(s, b64Key[:16]) || strings.Contains(s, string(key[:8])) {
			t.Errorf("key material printed: %s", s)
		}
	}
}
