package audit

import (
	"bytes"
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"golang.org/x/mod/sumdb/note"
)

// review17Canary stands for a secret a misconfigured producer wrote into an
// event, or anything an attacker wrote into a log line; the escape sequence
// would retitle the terminal of whoever reads the error.
const review17Canary = "CANARY-review17-s3cr3t\x1b]0;pwned\x07"

// review17Leaks reports whether msg carries the canary or any part of it
// that an error could have quoted (with or without Go's escaping).
func review17Leaks(msg string) bool {
	return strings.Contains(msg, "CANARY") || strings.Contains(msg, "s3cr3t") || strings.Contains(msg, "pwned") ||
		strings.Contains(msg, "\x1b") || strings.Contains(msg, "12345")
}

// review17BadEvents are event JSON texts that fail to decode, each with the
// canary where the failure is: every one of them reached an error message.
func review17BadEvents() map[string]string {
	const ok = `"source":"s","action":"a","actor":{"id":"x"}`
	c := strings.ReplaceAll(strings.ReplaceAll(review17Canary, "\x1b", `\u001b`), "\x07", `\u0007`)
	return map[string]string{
		"time":            `{"id":"1","time":"` + c + `","outcome":"allow",` + ok + `}`,
		"outcome":         `{"id":"1","time":"2026-01-02T03:04:05Z","outcome":"` + c + `",` + ok + `}`,
		"unknown member":  `{"id":"1","time":"2026-01-02T03:04:05Z","outcome":"allow",` + ok + `,"` + c + `":"v"}`,
		"repeated claim":  `{"id":"1","time":"2026-01-02T03:04:05Z","outcome":"allow",` + ok + `,"attributes":{"` + c + `":"v","` + c + `":"w"}}`,
		"misspelt member": `{"id":"1","time":"2026-01-02T03:04:05Z","outcome":"allow",` + ok + `,"Reason":"` + c + `","reason":"r"}`,
		"number":          `{"id":123456789012345678901234567890,"time":"2026-01-02T03:04:05Z","outcome":"allow",` + ok + `}`,
		"syntax":          `{"id":"1","` + c + `"`,
		"lone surrogate":  `{"id":"1","time":"2026-01-02T03:04:05Z","outcome":"allow",` + ok + `,"reason":"` + c + `\ud800"}`,
	}
}

// TestReview17DecodeErrorsQuoteNothing: Decode's errors named what they
// found — a time or an outcome as written, an unknown or repeated member's
// name, a number literal — so an undecodable event's content (a secret, a
// terminal escape) reached every log that printed the error. They say what
// kind of failure it was and where, never what is there.
func TestReview17DecodeErrorsQuoteNothing(t *testing.T) {
	t.Parallel()
	for name, data := range review17BadEvents() {
		_, err := Decode([]byte(data))
		if !errors.Is(err, ErrInvalidEvent) {
			t.Fatalf("%s: Decode = %v, want ErrInvalidEvent", name, err)
		}
		if review17Leaks(err.Error()) {
			t.Errorf("%s: error quotes the input: %q", name, err)
		}
	}
}

// TestReview17ReadEntriesQuotesNothing: ReadEntries (and so every reader
// of a log) reports an entry whose checksum holds but whose event does not
// decode by line, offset and entry index, without the entry's content.
func TestReview17ReadEntriesQuotesNothing(t *testing.T) {
	t.Parallel()
	for name, data := range review17BadEvents() {
		log := append([]byte(headerPrefix+testOrigin+"\n"), appendEntryLine(nil, 0, []byte(data))...)
		err := ReadEntries(context.Background(), bytes.NewReader(log), func(Entry) error { return nil })
		var le *LogError
		if !errors.As(err, &le) || !errors.Is(err, ErrCorruptEntry) || le.Line != 2 || le.Index != 0 {
			t.Fatalf("%s: ReadEntries = %v, want ErrCorruptEntry at line 2, entry 0", name, err)
		}
		if review17Leaks(err.Error()) {
			t.Errorf("%s: error quotes the entry: %q", name, err)
		}
	}
}

// TestReview17LogAndCheckpointQuoteNothing: the origin in a log's header
// and in a checkpoint, a checkpoint's size and root, and the id of the
// event a proof carries are the writer's; a mismatch names what was
// expected and that something else was found, not what.
func TestReview17LogAndCheckpointQuoteNothing(t *testing.T) {
	t.Parallel()
	s, v, err := newSigner(testOrigin, testKey(1))
	if err != nil {
		t.Fatal(err)
	}
	check := func(what string, err error, kind error) {
		t.Helper()
		if !errors.Is(err, kind) {
			t.Fatalf("%s: %v, want %v", what, err, kind)
		}
		if review17Leaks(err.Error()) {
			t.Errorf("%s: error quotes the input: %q", what, err)
		}
	}

	_, err = v.Log(context.Background(), strings.NewReader(headerPrefix+review17Canary+"\n"))
	check("header origin", err, ErrForeignLog)

	_, err = v.Checkpoint([]byte(review17Canary + "\n1\nAAAA\n\n— x AAAAAAAA\n"))
	check("checkpoint origin", err, ErrForeignLog)

	const printable = "CANARY-review17-s3cr3t" // a note's text holds no control characters
	for name, body := range map[string]string{
		"size": testOrigin + "\n" + printable + "\n" + strings.Repeat("A", 43) + "=\n",
		"root": testOrigin + "\n1\n" + printable + "\n",
	} {
		signed, err := note.Sign(&note.Note{Text: body}, s)
		if err != nil {
			t.Fatal(err)
		}
		_, err = v.Checkpoint(signed)
		check("checkpoint "+name, err, ErrCorruptEntry)
	}

	path := t.TempDir() + "/log"
	l, err := Open(context.Background(), path, testOrigin, testKey(1))
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	e := testEvent(1)
	e.ID = review17Canary
	if _, err := l.Append(context.Background(), e); err != nil {
		t.Fatal(err)
	}
	p, err := l.Prove(context.Background(), review17Canary)
	if err != nil {
		t.Fatal(err)
	}
	_, err = v.VerifyEvent(p, "evt-wanted")
	check("proof of another event", err, ErrEventNotFound)
}

// TestReview17ExpiresQuotesNothing: a detector event's expiry that does
// not parse was quoted in the error of KillSwitch.Write.
func TestReview17ExpiresQuotesNothing(t *testing.T) {
	t.Parallel()
	k, err := NewKillSwitch(&recorder{})
	if err != nil {
		t.Fatal(err)
	}
	err = k.Write(context.Background(), detectorEvent("det-1",
		map[string]string{AttrCompromisedID: "spiffe://example.org/x", AttrExpires: review17Canary}))
	if !errors.Is(err, ErrInvalidEvent) {
		t.Fatalf("Write = %v, want ErrInvalidEvent", err)
	}
	if review17Leaks(err.Error()) {
		t.Errorf("error quotes the expiry: %q", err)
	}
	if k.Compromised("spiffe://example.org/x") {
		t.Error("marked despite the bad expiry")
	}
	if _, err := ParseExpires(time.Time{}.Format(time.RFC3339)); err == nil {
		t.Error("zero expiry accepted")
	}
}
