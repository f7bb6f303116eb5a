package secrets_test

import (
	"bytes"
	"fmt"
	"strings"
	"testing"

	"github.com/ztci/ztci/secrets"
)

// Control sequences spread over more than the hold-back: a job that wrote
// its secret a byte a write with more control sequences after each byte
// than the writer holds back for (four hold-backs of them) had the value's
// start settled and written out before its end arrived, and a log viewer
// that renders colour showed the value whole. Invisible characters past
// the budget are masked whole; control sequences were written as they
// came, so that a coloured log is not masked.

// stripControls removes the control sequences ctrlSeps use from s, as a
// log viewer that renders colour does.
func stripControls(s string) string {
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		if s[i] != 0x1b || i+1 >= len(s) {
			b.WriteByte(s[i])
			continue
		}
		switch s[i+1] {
		case '[':
			j := i + 2
			for j < len(s) && (s[j] < 0x40 || s[j] > 0x7e) {
				j++
			}
			i = j
		case ']':
			i += strings.IndexByte(s[i:], 0x07)
		default:
			i += 2
		}
	}
	return b.String()
}

// ctrlSeps are control sequences a log viewer draws as nothing.
var ctrlSeps = []string{"\x1b[0m", "\x1b[31m", "\x1b[0m\x1b[1;38;5;208m", "\x1b]8;;\x07", "\x1b(B", "\x1b[K"}

// TestReview28CtrlSpread writes the secret with n control sequences after
// each byte, for n up to far past what the writer holds back for them, a
// byte a write, in small writes and in one: nothing of the value is ever
// written out, and the text around it is written as it came.
func TestReview28CtrlSpread(t *testing.T) {
	t.Parallel()
	for _, sep := range ctrlSeps {
		for _, n := range []int{1, 2, 4, 8, 16, 32, 128} {
			t.Run(fmt.Sprintf("%+q/%d", sep, n), func(t *testing.T) {
				t.Parallel()
				for _, tokens := range []bool{false, true} {
					r := secrets.NewRedactor()
					if tokens {
						var err error
						if r, err = secrets.NewTokenRedactor(bytes.Repeat([]byte{7}, 32), "job"); err != nil {
							t.Fatal(err)
						}
					}
					if err := r.AddSecret("db", holdSecret); err != nil {
						t.Fatal(err)
					}
					in := "token=" + between(holdSecret, strings.Repeat(sep, n)) + "\nnext line\n"
					for i, chunks := range [][][]byte{bytewise(in), smallWrites(in, uint64(n)), {[]byte(in)}} {
						out := stripControls(redactAll(t, r, chunks...))
						if l := leaked(out, "\x00", holdSecret); l != "" {
							t.Fatalf("tokens %v, split %d: %q leaked: %q", tokens, i, l, out)
						}
						if !strings.HasPrefix(out, "token=") || !strings.HasSuffix(out, "\nnext line\n") {
							t.Errorf("tokens %v, split %d: text around the value masked: %q", tokens, i, out)
						}
					}
				}
			})
		}
	}
}

// TestReview28CtrlSpreadRepeated writes the value spread past the budget
// three times on a line, with text between: each is masked, the text kept.
func TestReview28CtrlSpreadRepeated(t *testing.T) {
	t.Parallel()
	r := secrets.NewRedactor()
	r.AddMask(holdSecret)
	spread := between(holdSecret, strings.Repeat("\x1b[0m", 64))
	in := "a=" + spread + " b=" + spread + spread + " done\n"
	for i, chunks := range [][][]byte{bytewise(in), smallWrites(in, 3), {[]byte(in)}} {
		out := stripControls(redactAll(t, r, chunks...))
		if l := leaked(out, "\x00", holdSecret); l != "" {
			t.Fatalf("split %d: %q leaked: %q", i, l, out)
		}
		if !strings.HasPrefix(out, "a=") || !strings.Contains(out, " b=") || !strings.HasSuffix(out, " done\n") {
			t.Errorf("split %d: text around the values masked: %q", i, out)
		}
	}
}

// TestReview28CtrlColourKept writes heavily coloured logs with a secret
// registered, past the budget for control sequences (a colour per
// character, long runs of sequences between lines): they are written as
// they came, in any split.
func TestReview28CtrlColourKept(t *testing.T) {
	t.Parallel()
	var rainbow, runs, grep strings.Builder
	for line := range 200 {
		for i, c := range fmt.Sprintf("step %d: compiling module %d of 200 ... ok", line, line) {
			fmt.Fprintf(&rainbow, "\x1b[38;5;%dm%c", 16+(line+i)%216, c)
		}
		rainbow.WriteString("\x1b[0m\n")
		fmt.Fprintf(&runs, "progress %d%%%s\n", line%100, strings.Repeat("\x1b[1A\x1b[2K\x1b[0m", 100))
		fmt.Fprintf(&grep, "config.go:%d: \x1b[01;31m\x1b[Kpassword\x1b[m\x1b[K = os.Getenv(\"DB\")\n", line)
	}
	for _, tc := range []struct{ name, in string }{
		{"rainbow", rainbow.String()},
		{"runs", runs.String()},
		{"grep", grep.String()},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			r := secrets.NewRedactor()
			r.AddMask(holdSecret)
			r.AddMask(canary)
			for i, chunks := range [][][]byte{bytewise(tc.in), smallWrites(tc.in, 5), {[]byte(tc.in)}} {
				if out := redactAll(t, r, chunks...); out != tc.in {
					t.Fatalf("split %d: coloured log changed (%d bytes in, %d out)", i, len(tc.in), len(out))
				}
			}
		})
	}
}

// TestReview28FailMaskAudited checks that where a writer masks text
// without identifying a secret in it (invisible characters past the
// budget, the start of a value spread by control sequences past it), the
// occurrence hook records it as Unidentified, and that a secret masked as
// itself is not.
func TestReview28FailMaskAudited(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name         string
		in           string
		unidentified bool
	}{
		{"invisible", "token=" + between(holdSecret, strings.Repeat("\u200b", 32)) + "\n", true},
		{"control", "token=" + between(holdSecret, strings.Repeat("\x1b[0m", 128)) + "\n", true},
		{"plain", "token=" + holdSecret + "\n", false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			var got []secrets.Occurrence
			r, err := secrets.NewTokenRedactor(bytes.Repeat([]byte{7}, 32), "job",
				secrets.WithOccurrenceHook(func(o secrets.Occurrence) { got = append(got, o) }))
			if err != nil {
				t.Fatal(err)
			}
			if err := r.AddSecret("db", holdSecret); err != nil {
				t.Fatal(err)
			}
			redactAll(t, r, bytewise(tc.in)...)
			if len(got) == 0 {
				t.Fatal("no occurrence recorded")
			}
			for _, o := range got {
				if o.Unidentified != tc.unidentified {
					t.Errorf("occurrence %+v: Unidentified = %v, want %v", o, o.Unidentified, tc.unidentified)
				}
				if o.Unidentified && (o.Name != "" || o.Token != secrets.Mask || o.Offset < 0 || o.Offset >= int64(len(tc.in))) {
					t.Errorf("unidentified occurrence %+v: want no name, token %q, offset in the stream", o, secrets.Mask)
				}
			}
		})
	}
}
