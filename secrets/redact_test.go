package secrets_test

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"net/url"
	"regexp"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"testing"

	"github.com/ztci/ztci/secrets"
)

const canary = "CANARY-s3cr3t-Zq9vX2-do-not-leak"

// redactAll writes chunks through a fresh writer and returns the output.
func redactAll(t testing.TB, r *secrets.Redactor, chunks ...[]byte) string {
	t.Helper()
	var out bytes.Buffer
	w := r.NewWriter(&out)
	for _, c := range chunks {
		if _, err := w.Write(c); err != nil {
			t.Fatalf("Write: %v", err)
		}
	}
	if err := w.Close(); err != nil {
		t.Fatalf("Close: %v", err)
	}
	return out.String()
}

func bytewise(s string) [][]byte {
	out := make([][]byte, len(s))
	for i := 0; i < len(s); i++ { // bytes, not runes
		out[i] = []byte{s[i]}
	}
	return out
}

func b64At(enc *base64.Encoding, prefix, secret, suffix string) string {
	return enc.EncodeToString([]byte(prefix + secret + suffix))
}

func TestRedactWriterMasks(t *testing.T) {
	t.Parallel()
	multi := "-----BEGIN KEY-----\nMIIEvQIBADANBgkqhkiG9w0B\nAQEFAASCBKcwggSjAgEAAoIB\n-----END KEY-----"
	jsonEsc, _ := json.Marshal(canary + `"<&>`)
	tests := []struct {
		name   string
		secret string
		input  string
		leak   []string // must not appear in the output
	}{
		{name: "raw", secret: canary, input: "token=" + canary + " ok", leak: []string{canary}},
		{name: "twice adjacent", secret: canary, input: canary + canary, leak: []string{canary}},
		{name: "base64 offset 0", secret: canary, input: "x " + b64At(base64.StdEncoding, "", canary, "tail!") + " y", leak: []string{b64At(base64.RawStdEncoding, "", canary, "")[:20]}},
		{name: "base64 offset 1", secret: canary, input: b64At(base64.StdEncoding, "a", canary, "tail"), leak: []string{canary}},
		{name: "base64 offset 2", secret: canary, input: b64At(base64.StdEncoding, "ab", canary, "t"), leak: []string{canary}},
		{name: "base64url offset 1", secret: canary + "??>>", input: b64At(base64.URLEncoding, "a", canary+"??>>", ""), leak: []string{canary}},
		{name: "basic auth header", secret: canary, input: "Authorization: Basic " + base64.StdEncoding.EncodeToString([]byte("user:"+canary)), leak: []string{canary}},
		{name: "url query", secret: canary + " &=/", input: "GET /?p=" + url.QueryEscape(canary+" &=/"), leak: []string{canary}},
		{name: "url path lower hex", secret: canary + "/ä", input: "GET /" + regexp.MustCompile(`%[0-9A-F]{2}`).ReplaceAllStringFunc(url.PathEscape(canary+"/ä"), strings.ToLower), leak: []string{canary}},
		{name: "json escaped", secret: canary + `"<&>`, input: `{"p":` + string(jsonEsc) + `}`, leak: []string{canary}},
		{name: "go quoted", secret: canary + "\t\"", input: "p=" + strconv.Quote(canary+"\t\""), leak: []string{canary}},
		{name: "shell single quoted", secret: canary + "'x", input: `export P='` + strings.ReplaceAll(canary+"'x", "'", `'\''`) + `'`, leak: []string{canary}},
		{name: "shell double quoted", secret: canary + `$"`, input: `P="` + canary + `\$\""`, leak: []string{canary}},
		{name: "multi-line whole", secret: multi, input: "key:\n" + multi + "\nend", leak: []string{"MIIEvQIBADANBgkqhkiG9w0B", "AQEFAASCBKcwggSjAgEAAoIB"}},
		{name: "multi-line one line", secret: multi, input: "line2=MIIEvQIBADANBgkqhkiG9w0B!", leak: []string{"MIIEvQIBADANBgkqhkiG9w0B"}},
		{name: "multi-line crlf", secret: multi, input: strings.ReplaceAll(multi, "\n", "\r\n"), leak: []string{"MIIEvQIBADANBgkqhkiG9w0B"}},
		// A value registered with CRLF line endings (a browser submits a
		// textarea so) is printed with LF by most tools: its short lines too.
		{name: "crlf value printed with lf", secret: "-----BEGIN KEY-----\r\nMIIEvQIBADANBgkqhkiG9w0B\r\nab\r\n-----END KEY-----", input: "key:\n-----BEGIN KEY-----\nMIIEvQIBADANBgkqhkiG9w0B\nab\n-----END KEY-----\nend", leak: []string{"\nab\n"}},
		{name: "crlf value, base64 of lf", secret: "-----BEGIN KEY-----\r\nMIIEvQIBADANBgkqhkiG9w0B\r\nab\r\n-----END KEY-----", input: "k=" + base64.StdEncoding.EncodeToString([]byte("-----BEGIN KEY-----\nMIIEvQIBADANBgkqhkiG9w0B\nab\n-----END KEY-----")), leak: []string{"YWIK"}},
		// Values pasted with whitespace or quotes around them lose them in
		// the shell's unquoted $V, read, YAML, .strip() and dotenv.
		{name: "surrounding whitespace dropped", secret: "  " + canary + " \t", input: "token=" + canary + "\n", leak: []string{canary[:16], canary[16:]}},
		{name: "trailing newline dropped", secret: canary + "\n", input: "token=" + canary + "!", leak: []string{canary[:16], canary[16:]}},
		{name: "surrounding quotes dropped", secret: `"` + canary + `"`, input: "token=" + canary + "\n", leak: []string{canary[:16], canary[16:]}},
		{name: "whitespace dropped, base64", secret: canary + " ", input: "auth=" + base64.StdEncoding.EncodeToString([]byte("u:"+canary)), leak: []string{canary}},
		{name: "indented line dedented", secret: "a:\n    line-one-of-it-1234\nb", input: "line-one-of-it-1234", leak: []string{"line-one-of-it-1234"}},
		// SQL and YAML single-quoted strings, PowerShell and CSV double a
		// quote of their kind.
		{name: "sql quote doubled", secret: canary + "'x", input: "CREATE USER ci PASSWORD '" + canary + "''x';", leak: []string{canary[16:] + "''x"}},
		{name: "csv quote doubled", secret: `pa"ss-` + canary, input: `ci,"pa""ss-` + canary + `",ok`, leak: []string{canary}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			r := secrets.NewRedactor()
			if err := r.AddMaskChecked(tt.secret); err != nil {
				t.Fatal(err)
			}
			for _, split := range []struct {
				name   string
				chunks [][]byte
			}{
				{"one write", [][]byte{[]byte(tt.input)}},
				{"byte by byte", bytewise(tt.input)},
				{"halves", [][]byte{[]byte(tt.input[:len(tt.input)/2]), []byte(tt.input[len(tt.input)/2:])}},
			} {
				out := redactAll(t, r, split.chunks...)
				for _, l := range tt.leak {
					if strings.Contains(out, l) {
						t.Errorf("%s: output leaks %q: %q", split.name, l, out)
					}
				}
				if !strings.Contains(out, secrets.Mask) {
					t.Errorf("%s: nothing masked: %q", split.name, out)
				}
			}
		})
	}
}

func TestRedactWriterKeepsOtherText(t *testing.T) {
	t.Parallel()
	r := secrets.NewRedactor()
	r.AddMask(canary)
	in := "step 1 ok\nusing " + canary + " now\nstep 2 ok\n"
	got := redactAll(t, r, bytewise(in)...)
	if want := "step 1 ok\nusing *** now\nstep 2 ok\n"; got != want {
		t.Fatalf("got %q, want %q", got, want)
	}
}

func TestRedactWriterRuntimeAddMask(t *testing.T) {
	t.Parallel()
	r := secrets.NewRedactor()
	var out bytes.Buffer
	w := r.NewWriter(&out)
	fmt.Fprintf(w, "before registration: nothing to hide\n")
	r.AddMask(canary) // add-mask while the writer is in use
	fmt.Fprintf(w, "after: %s\n", canary)
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	if strings.Contains(out.String(), canary) {
		t.Fatalf("leaked after runtime AddMask: %q", out.String())
	}
}

func TestRedactWriterHoldsBackUntilFlush(t *testing.T) {
	t.Parallel()
	r := secrets.NewRedactor()
	r.AddMask(canary)
	var out bytes.Buffer
	w := r.NewWriter(&out)
	w.Write([]byte("prefix " + canary[:10]))
	if strings.Contains(out.String(), canary[:10]) {
		t.Fatalf("a possible secret prefix was written before it could be judged: %q", out.String())
	}
	w.Write([]byte(canary[10:] + " suffix"))
	if err := w.Flush(); err != nil {
		t.Fatal(err)
	}
	if got, want := out.String(), "prefix *** suffix"; got != want {
		t.Fatalf("got %q, want %q", got, want)
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	if _, err := w.Write([]byte("x")); !errors.Is(err, secrets.ErrClosed) {
		t.Fatalf("Write after Close: got %v, want ErrClosed", err)
	}
}

func TestRedactorRefusesShortValues(t *testing.T) {
	t.Parallel()
	r := secrets.NewRedactor()
	if err := r.AddMaskChecked("1234567"); !errors.Is(err, secrets.ErrTooShort) {
		t.Fatalf("AddMaskChecked(7 bytes): got %v, want ErrTooShort", err)
	}
	r.AddMask("abc")
	if got := r.Refused(); got != 2 {
		t.Fatalf("Refused() = %d, want 2", got)
	}
	w := r.NewWriter(io.Discard)
	w.Write([]byte("abc"))
	if err := w.Close(); !errors.Is(err, secrets.ErrTooShort) {
		t.Fatalf("Close with refused values: got %v, want ErrTooShort flagged", err)
	}
}

func TestRedactWriterStickyError(t *testing.T) {
	t.Parallel()
	r := secrets.NewRedactor()
	boom := errors.New("disk full")
	w := r.NewWriter(failWriter{boom})
	if _, err := w.Write([]byte("hello")); !errors.Is(err, boom) {
		t.Fatalf("got %v, want %v", err, boom)
	}
	if _, err := w.Write([]byte("again")); !errors.Is(err, boom) {
		t.Fatalf("second write: got %v, want sticky %v", err, boom)
	}
}

type failWriter struct{ err error }

func (f failWriter) Write([]byte) (int, error) { return 0, f.err }

// FuzzRedactWriter checks the property: whatever the input and however it is
// split into writes, no registered secret survives in the output.
func FuzzRedactWriter(f *testing.F) {
	f.Add([]byte("log line with the secret in it"), "pa55word-xyz", []byte{3, 7, 1})
	f.Add([]byte(""), "aaaaaaaaaaaa", []byte{1})
	f.Add([]byte("aaaaaaaaaaaaaaaaaaaaaaaa"), "aaaaaaaa", []byte{5, 5})
	f.Add([]byte("\x00\xff\n\r"), "multi\nline\nsecret!!", []byte{0, 2, 9})
	f.Add([]byte("zero\u200bwidth \ufeff\U000e0041\xe2\x80"), "pa55\u200bword-xyz", []byte{2, 1})
	f.Fuzz(func(t *testing.T, data []byte, secret string, splits []byte) {
		if len(secret) < secrets.MinMaskLen || strings.Contains(secret, secrets.Mask[:1]) {
			return
		}
		r := secrets.NewRedactor()
		if err := r.AddMaskChecked(secret); err != nil {
			t.Fatal(err)
		}
		// Put the secret at a few places in the stream, raw and encoded at
		// a data-dependent base64 offset.
		mid := len(data) / 2
		prefix := string(data[:len(data)%3])
		b64 := base64.StdEncoding.EncodeToString([]byte(prefix + secret))
		stream := string(data[:mid]) + secret + string(data[mid:]) + secret + " " + b64
		var chunks [][]byte
		rest := []byte(stream)
		for i := 0; len(rest) > 0; i++ {
			n := len(rest)
			if len(splits) > 0 {
				n = min(int(splits[i%len(splits)])+1, len(rest))
			}
			chunks = append(chunks, rest[:n])
			rest = rest[n:]
		}
		out := redactAll(t, r, chunks...)
		if strings.Contains(out, secret) {
			t.Fatalf("secret %q survived in %q", secret, out)
		}
		// The part of the base64 that encodes only the secret must be gone.
		start := (len(prefix)*8 + 5) / 6
		if frag := base64.RawStdEncoding.EncodeToString([]byte(prefix + secret))[start : (len(prefix)+len(secret))*8/6]; strings.Contains(out, frag) {
			t.Fatalf("base64 of secret %q (offset %d) survived in %q", secret, len(prefix), out)
		}
	})
}

// benchStream is a 64 MiB log stream with 100 secrets registered and a few
// of them (raw and encoded) sprinkled through it.
type benchStream struct {
	data    []byte
	secrets []string
	r       *secrets.Redactor
}

var (
	benchTypical = sync.OnceValue(func() *benchStream { return makeBench(16, 40) })
	benchShort   = sync.OnceValue(func() *benchStream { return makeBench(secrets.MinMaskLen, secrets.MinMaskLen) })
)

// makeBench registers 100 secrets of lo..hi bytes.
func makeBench(lo, hi int) *benchStream {
	rng := rand.New(rand.NewPCG(1, 2))
	const alnum = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789"
	bs := &benchStream{r: secrets.NewRedactor()}
	for i := range 100 {
		n := lo + rng.IntN(hi-lo+1)
		b := make([]byte, n)
		for j := range b {
			b[j] = alnum[rng.IntN(len(alnum))]
		}
		if i%10 == 0 {
			b[n/2] = '/' // some secrets need percent-encoding
		}
		bs.secrets = append(bs.secrets, string(b))
		bs.r.AddMask(string(b))
	}
	words := strings.Fields("INFO DEBUG WARN step build test deploy ok done compiling package github.com/ztci/ztci " +
		"running go vet cache hit miss downloading module fetched 200 GET POST /v1/artifacts sha256 layer pushed " +
		"time=2026-11-22T11:00:00Z level=info msg= duration=12ms bytes=4096 user=ci runner=hosted")
	var buf bytes.Buffer
	for line := 0; buf.Len() < 64<<20; line++ {
		fmt.Fprintf(&buf, "%08d ", line)
		for range 6 + rng.IntN(10) {
			buf.WriteString(words[rng.IntN(len(words))])
			buf.WriteByte(' ')
		}
		if line%500 == 0 {
			s := bs.secrets[rng.IntN(len(bs.secrets))]
			switch line / 500 % 3 {
			case 0:
				buf.WriteString("token=" + s)
			case 1:
				buf.WriteString("auth=" + base64.StdEncoding.EncodeToString([]byte("u:"+s)))
			case 2:
				buf.WriteString("q=" + url.QueryEscape(s))
			}
		}
		buf.WriteByte('\n')
	}
	bs.data = buf.Bytes()[:64<<20]
	return bs
}

// perCPU locks the benchmark to one OS thread and reports MB per CPU
// second of that thread, which stays meaningful when other processes load
// the machine (wall-clock MB/s then mostly measures the scheduler).
func perCPU(b *testing.B, size int, body func()) {
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	start, ok := threadCPU()
	for b.Loop() {
		body()
	}
	if end, ok2 := threadCPU(); ok && ok2 && end > start {
		b.ReportMetric(float64(size)*float64(b.N)/(end-start).Seconds()/1e6, "MB/cpu-s")
	}
}

func BenchmarkRedact(b *testing.B) {
	bs := benchTypical()
	b.Logf("%d secrets of 16-40 bytes, %d patterns with encodings", len(bs.secrets), bs.r.Patterns())
	chunked := func(b *testing.B, w io.Writer) {
		for off := 0; off < len(bs.data); off += 32 << 10 {
			if _, err := w.Write(bs.data[off:min(off+32<<10, len(bs.data))]); err != nil {
				b.Fatal(err)
			}
		}
	}
	b.Run("io.Copy", func(b *testing.B) {
		b.SetBytes(int64(len(bs.data)))
		b.ReportAllocs()
		dst := make([]byte, 32<<10)
		perCPU(b, len(bs.data), func() {
			_, _ = io.CopyBuffer(writerOnly{io.Discard}, readerOnly{bytes.NewReader(bs.data)}, dst)
		})
	})
	b.Run("strings.Replacer", func(b *testing.B) {
		var oldnew []string
		for _, s := range bs.secrets {
			oldnew = append(oldnew, s, secrets.Mask,
				base64.StdEncoding.EncodeToString([]byte(s)), secrets.Mask, url.QueryEscape(s), secrets.Mask)
		}
		rep := strings.NewReplacer(oldnew...)
		b.Logf("strings.Replacer with %d patterns (raw, base64 at offset 0, query-escaped)", len(oldnew)/2)
		b.SetBytes(int64(len(bs.data)))
		b.ReportAllocs()
		perCPU(b, len(bs.data), func() { chunked(b, replacerWriter{rep, io.Discard}) })
	})
	for _, c := range []struct {
		name string
		bs   *benchStream
	}{{"RedactWriter", bs}, {"RedactWriter/8-byte-secrets", benchShort()}} {
		b.Run(c.name, func(b *testing.B) {
			b.Logf("%d patterns", c.bs.r.Patterns())
			b.SetBytes(int64(len(c.bs.data)))
			b.ReportAllocs()
			perCPU(b, len(c.bs.data), func() {
				w := c.bs.r.NewWriter(io.Discard)
				for off := 0; off < len(c.bs.data); off += 32 << 10 {
					if _, err := w.Write(c.bs.data[off:min(off+32<<10, len(c.bs.data))]); err != nil {
						b.Fatal(err)
					}
				}
				if err := w.Close(); err != nil {
					b.Fatal(err)
				}
			})
		})
	}
}

// writerOnly and readerOnly hide ReaderFrom/WriterTo so io.Copy really
// copies through its 32 KiB buffer.
type writerOnly struct{ io.Writer }

type readerOnly struct{ io.Reader }

type replacerWriter struct {
	r *strings.Replacer
	w io.Writer
}

func (rw replacerWriter) Write(p []byte) (int, error) {
	_, err := rw.r.WriteString(rw.w, string(p))
	return len(p), err
}

// TestRedactWriterConcurrent runs writers and add-mask concurrently (for the
// race detector) and checks nothing registered before the writes leaks.
func TestRedactWriterConcurrent(t *testing.T) {
	t.Parallel()
	r := secrets.NewRedactor()
	r.AddMask(canary)
	var out lockedBuffer
	w := r.NewWriter(&out)
	var wg sync.WaitGroup
	for i := range 4 {
		wg.Go(func() {
			for j := range 50 {
				fmt.Fprintf(w, "writer %d line %d %s\n", i, j, canary)
				r.AddMask(fmt.Sprintf("runtime-secret-%d-%d", i, j))
			}
		})
	}
	wg.Wait()
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	if strings.Contains(out.String(), canary) {
		t.Fatal("canary leaked under concurrent writes")
	}
}

type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}
