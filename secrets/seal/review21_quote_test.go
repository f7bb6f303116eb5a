package seal_test

import (
	"bytes"
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/ztci/ztci/secrets/seal"
)

// TestReview21OpenQuotesNoRecordText: Open quoted the key id it read from
// a record in ErrUnknownKey. Records come from storage others can write
// to (an audit field anyone may start with the sealed prefix, a lease
// journal on a shared disk), so whoever wrote one chose what a log line
// or an error page showed: terminal escapes, a fake log line, a secret
// planted to be spread. An unknown key id is now named by its length;
// every other failure names only the configured key the record matched.
func TestReview21OpenQuotesNoRecordText(t *testing.T) {
	t.Parallel()
	const planted = "PLANTED-by-record"
	hostile := "\x1b]8;;https://evil.example\x07" + planted + "\n\xff"
	forger := mustLocal(t, mustKey(t, hostile, 7))
	sealed, err := forger.Seal(t.Context(), []byte(canary), []byte("aad"))
	if err != nil {
		t.Fatal(err)
	}
	e := mustLocal(t, mustKey(t, "k1", 1))
	records := map[string][]byte{"unknown key id": sealed}
	// Other failures, under an id this Envelope holds: their errors may
	// name it, but nothing else of the record.
	good, err := e.Seal(t.Context(), []byte(canary), []byte("aad"))
	if err != nil {
		t.Fatal(err)
	}
	for _, i := range []int{3, 5, 8, len(good) - 1} {
		b := bytes.Clone(good)
		b[i] ^= 0x40
		records[fmt.Sprintf("byte %d flipped", i)] = b
	}
	for name, rec := range records {
		_, err := e.Open(t.Context(), rec, []byte("aad"))
		if !errors.Is(err, seal.ErrOpen) {
			t.Fatalf("%s: Open = %v, want ErrOpen", name, err)
		}
		noCanary(t, err)
		if msg := err.Error(); strings.Contains(msg, planted) || strings.ContainsAny(msg, "\x1b\x07\n") || strings.IndexByte(msg, 0xff) >= 0 {
			t.Errorf("%s: error quotes the record: %q", name, msg)
		}
	}
	_, err = e.Open(t.Context(), sealed, []byte("aad"))
	if !errors.Is(err, seal.ErrUnknownKey) || !strings.Contains(err.Error(), fmt.Sprintf("key id of %d bytes", len(hostile))) {
		t.Errorf("Open = %v, want ErrUnknownKey naming the id by its length", err)
	}
	// KeyIDOf still reads the id, for rotation.
	if id, err := seal.KeyIDOf(sealed); err != nil || id != hostile {
		t.Errorf("KeyIDOf = %q, %v", id, err)
	}
}
