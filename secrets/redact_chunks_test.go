package secrets_test

import (
	"bytes"
	"encoding/base64"
	"encoding/hex"
	"fmt"
	"math/rand/v2"
	"net/url"
	"strconv"
	"strings"
	"testing"

	"github.com/ztci/ztci/secrets"
)

// chunkStream returns a stream of a few KiB, several times the writer's
// hold-back for secs, with secs in it raw, escaped, in hex and base64 (also
// wrapped into lines), back to back, and overlapping, between log text of
// random lengths.
func chunkStream(secs []string) string {
	rng := rand.New(rand.NewPCG(3, 4))
	const text = "INFO step 00001234 build ok time=2026-11-22T11:00:00Z deadbeef "
	var b strings.Builder
	for i := 0; b.Len() < 6<<10; i++ {
		b.WriteString(text[:rng.IntN(len(text))])
		s := secs[i%len(secs)]
		switch i % 10 {
		case 0:
			b.WriteString(s)
		case 1:
			b.WriteString(url.QueryEscape(s))
		case 2:
			b.WriteString(strconv.QuoteToASCII(s))
		case 3:
			b.WriteString(hex.EncodeToString([]byte(s)))
		case 4:
			b.WriteString(base64.StdEncoding.EncodeToString([]byte("u:" + s)))
		case 5:
			b.WriteString(strings.Repeat(s, 3))
		case 6:
			b.WriteString(s[:len(s)/2] + s) // overlaps its own start
		case 7:
			b.WriteString(strings.ToUpper(hex.EncodeToString([]byte(s))) + s)
		case 8, 9: // base64 wrapped into lines, the secret at any offset
			enc := base64.StdEncoding.EncodeToString([]byte(text[:rng.IntN(len(text))] + s + text))
			b.WriteString(wrapLines(enc, []int{76, 64}[i%2], []string{"\n", "\r\n"}[rng.IntN(2)], "") + "\n")
		}
	}
	return b.String()
}

// tokenWriter returns a function that writes chunks through a fresh writer
// of one token redactor for secs and returns the output and the
// occurrences reported.
func tokenWriter(t *testing.T, secs []string) func(chunks ...[]byte) (string, string) {
	var occ []secrets.Occurrence
	r, err := secrets.NewTokenRedactor(tokenKey, "job", secrets.WithOccurrenceHook(func(o secrets.Occurrence) { occ = append(occ, o) }))
	if err != nil {
		t.Fatal(err)
	}
	for i, s := range secs {
		if err := r.AddSecret(fmt.Sprint("s", i), s); err != nil {
			t.Fatal(err)
		}
	}
	return func(chunks ...[]byte) (string, string) {
		t.Helper()
		occ = nil
		return redactAll(t, r, chunks...), fmt.Sprint(occ)
	}
}

// TestRedactWriterWriteSizes checks that the output, and the occurrences
// reported, do not depend on how the stream is cut into writes: writes
// larger than the hold-back are scanned in place, smaller ones gathered in
// the writer's buffer, and a secret may straddle any two of them. Byte by
// byte is the reference: it only ever uses the buffer.
func TestRedactWriterWriteSizes(t *testing.T) {
	t.Parallel()
	for _, secs := range [][]string{
		{canary, "aaaaaaaa", encCanary},
		{"pa55word", "s3cr3t-value-16b"},
	} {
		in := chunkStream(secs)
		redact := tokenWriter(t, secs)
		want, wantOcc := redact(bytewise(in)...)
		for _, s := range secs {
			if strings.Contains(want, s) {
				t.Fatalf("reference output leaks %q", s)
			}
		}
		check := func(how string, chunks ...[]byte) {
			t.Helper()
			got, occ := redact(chunks...)
			if got != want {
				t.Fatalf("%s: output differs from byte by byte:\n got %q\nwant %q", how, got, want)
			}
			if occ != wantOcc {
				t.Fatalf("%s: occurrences differ from byte by byte:\n got %s\nwant %s", how, occ, wantOcc)
			}
		}
		check("one write", []byte(in))
		for i := 1; i < len(in); i++ {
			check(fmt.Sprintf("split at %d", i), []byte(in[:i]), []byte(in[i:]))
		}
		// Small and large writes in turn.
		for small := 1; small < 600; small += 7 {
			var chunks [][]byte
			for rest, k := in, 0; len(rest) > 0; k++ {
				n := min([]int{small, 1500 + small}[k%2], len(rest))
				chunks = append(chunks, []byte(rest[:n]))
				rest = rest[n:]
			}
			check(fmt.Sprintf("writes of %d and %d bytes in turn", small, 1500+small), chunks...)
		}
	}
}

// TestRedactWriterLargeWriteAfterSmall splits a secret, and each of its
// forms, between a small write (held in the buffer) and a large one
// (scanned in place), at every offset.
func TestRedactWriterLargeWriteAfterSmall(t *testing.T) {
	t.Parallel()
	r := secrets.NewRedactor()
	r.AddMask(canary)
	r.AddMask(canary + "/")
	r.AddMask(canary + "\t")
	quoted := strconv.Quote(canary + "\t")
	filler := strings.Repeat("log line text ", 100) // more than 4 hold-backs
	for _, form := range []string{canary, url.QueryEscape(canary + "/"), quoted[1 : len(quoted)-1], hex.EncodeToString([]byte(canary))} {
		for _, lead := range []int{0, 5, 200} {
			in := filler[:lead] + form + filler
			for i := 0; i <= lead+len(form); i++ {
				var out bytes.Buffer
				w := r.NewWriter(&out)
				w.Write([]byte(in[:i]))
				w.Write([]byte(in[i:]))
				if err := w.Close(); err != nil {
					t.Fatal(err)
				}
				if got, want := out.String(), filler[:lead]+secrets.Mask+filler; got != want {
					t.Fatalf("form %q after %d bytes, split at %d: got %q", form, lead, i, got)
				}
			}
		}
	}
}

// FuzzRedactWriteSizes checks, for any secret and text, that writing the
// stream in two writes, one of them usually larger than the hold-back and
// so scanned in place, gives the same output as writing it byte by byte.
func FuzzRedactWriteSizes(f *testing.F) {
	f.Add("pa55word-xyz", []byte("log pa55word-xyz line %70%61 \\x70"), uint16(3))
	f.Add("aaaaaaaa", []byte("aaaaa"), uint16(700))
	f.Fuzz(func(t *testing.T, secret string, data []byte, cut uint16) {
		if len(secret) < secrets.MinMaskLen || len(secret) > 64 {
			return
		}
		r := secrets.NewRedactor()
		r.AddMask(secret)
		// At least 2000 bytes: more than four hold-backs of a 64-byte
		// secret, with the secret itself near the start.
		in := append(append(bytes.Clone(data), secret...), data...)
		for len(in) < 2000 {
			in = append(append(in, data...), "0123456789 "...)
		}
		k := int(cut) % (len(in) + 1)
		want := redactAll(t, r, bytewise(string(in))...)
		if got := redactAll(t, r, in[:k], in[k:]); got != want {
			t.Fatalf("split at %d: got %q, want %q", k, got, want)
		}
	})
}
