package secrets

import (
	"bytes"
	"cmp"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
)

// MinMaskLen is the shortest value a [Redactor] masks: 8 bytes.
//
// Why a minimum: a short value occurs by chance in ordinary log output
// ("true", "1234", "main"), so masking it destroys the log, and the pattern
// of masks then reveals the value to anyone reading the log (a masking
// oracle). A value that short is also guessable, so it is not a secret worth
// the name. Shorter values are never silently left unmasked: the broker
// refuses to hand them out while a redactor is wired in ([ErrUnmaskable]),
// [Redactor.AddMaskChecked] returns [ErrTooShort], and [Redactor.AddMask]
// counts them in [Redactor.Refused] and flags every writer
// ([RedactWriter.Flush] and [RedactWriter.Close] then return ErrTooShort).
// It also lets the matcher skip ahead in the stream (see [RedactWriter]).
const MinMaskLen = 8

// Mask is what a [RedactWriter] writes in place of a secret.
const Mask = "***"

// Redactor is a registry of secret values to mask, shared by the writers it
// makes. Every value is masked in its raw form and its usual encodings:
// base64 (standard and URL alphabets, at each of the three byte offsets it
// can start at inside a longer encoded string), URL percent-encoding (query
// and path, either hex case), JSON and Go string escaping, and shell quoting
// (inside '…' and "…"); a multi-line value is also masked line by line and
// with CRLF line endings.
//
// A Redactor is safe for concurrent use; values can be added at any time
// (the CI "add-mask" command) and take effect on the next write.
type Redactor struct {
	mu      sync.Mutex
	values  map[string]bool
	pats    map[string]bool
	refused atomic.Int64
	m       atomic.Pointer[matcher]
}

// NewRedactor returns an empty Redactor.
func NewRedactor() *Redactor {
	r := &Redactor{values: map[string]bool{}, pats: map[string]bool{}}
	r.m.Store(newMatcher(nil))
	return r
}

// AddMask registers value for masking. It implements [Masker]. A value
// shorter than [MinMaskLen] is refused: it is counted in [Redactor.Refused]
// and writers report [ErrTooShort] on Flush and Close.
func (r *Redactor) AddMask(value string) { _ = r.AddMaskChecked(value) }

// AddMaskChecked registers value for masking, or returns [ErrTooShort].
func (r *Redactor) AddMaskChecked(value string) error {
	if len(value) < MinMaskLen {
		r.refused.Add(1)
		return fmt.Errorf("%w: %d bytes, minimum %d", ErrTooShort, len(value), MinMaskLen)
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.values[value] {
		return nil
	}
	r.values[value] = true
	for _, p := range variants(value) {
		r.pats[p] = true
	}
	list := make([]string, 0, len(r.pats))
	for p := range r.pats {
		list = append(list, p)
	}
	r.m.Store(newMatcher(list))
	return nil
}

// Refused returns how many values were refused as too short to mask.
func (r *Redactor) Refused() int { return int(r.refused.Load()) }

// Patterns returns how many byte strings (values and their encodings) are
// being matched.
func (r *Redactor) Patterns() int { return len(r.m.Load().pats) }

// variants returns value and its encodings worth matching (each at least
// MinMaskLen bytes).
func variants(v string) []string {
	set := map[string]bool{}
	add := func(s string) {
		if len(s) >= MinMaskLen {
			set[s] = true
		}
	}
	forms := []string{v}
	if strings.Contains(v, "\n") {
		forms = append(forms, strings.ReplaceAll(strings.ReplaceAll(v, "\r\n", "\n"), "\n", "\r\n"))
		for line := range strings.SplitSeq(v, "\n") {
			forms = append(forms, strings.TrimSuffix(line, "\r"))
		}
	}
	for _, f := range forms {
		if len(f) < MinMaskLen {
			continue
		}
		add(f)
		for _, enc := range []*base64.Encoding{base64.RawStdEncoding, base64.RawURLEncoding} {
			for off := range 3 {
				add(base64Fragment(enc, f, off))
			}
		}
		for _, e := range []string{url.QueryEscape(f), url.PathEscape(f)} {
			add(e)
			add(lowerHexEscapes(e))
		}
		add(jsonInner(f, true))
		add(jsonInner(f, false))
		q := strconv.Quote(f)
		add(q[1 : len(q)-1])
		add(strings.ReplaceAll(f, "'", `'\''`))
		add(strings.ReplaceAll(f, "'", `'"'"'`))
		add(strings.NewReplacer(`\`, `\\`, `"`, `\"`, "$", `\$`, "`", "\\`").Replace(f))
	}
	out := make([]string, 0, len(set))
	for s := range set {
		out = append(out, s)
	}
	return out
}

// base64Fragment returns the part of the encoding of v that does not depend
// on the bytes around it when v starts off bytes (0, 1 or 2) into a 3-byte
// group of a longer encoded string.
func base64Fragment(enc *base64.Encoding, v string, off int) string {
	buf := make([]byte, off+len(v))
	copy(buf[off:], v)
	s := enc.EncodeToString(buf)
	start := (off*8 + 5) / 6      // first char made only of v's bits
	end := (off + len(v)) * 8 / 6 // chars made only of v's bits (and prefix)
	if start >= end || end > len(s) {
		return ""
	}
	return s[start:end]
}

func lowerHexEscapes(s string) string {
	b := []byte(s)
	for i := 0; i+2 < len(b); i++ {
		if b[i] == '%' {
			b[i+1] = lowerHex(b[i+1])
			b[i+2] = lowerHex(b[i+2])
		}
	}
	return string(b)
}

func lowerHex(c byte) byte {
	if c >= 'A' && c <= 'F' {
		return c + 'a' - 'A'
	}
	return c
}

func jsonInner(s string, escapeHTML bool) string {
	var b bytes.Buffer
	e := json.NewEncoder(&b)
	e.SetEscapeHTML(escapeHTML)
	_ = e.Encode(s)
	out := strings.TrimSuffix(b.String(), "\n")
	return out[1 : len(out)-1]
}

// RedactWriter masks every value registered with its [Redactor] in what is
// written through it, however the writes split the stream.
//
// To catch a value split across writes it holds back the last (longest
// pattern − 1) bytes of the stream until more arrives; [RedactWriter.Flush]
// writes them out (masking complete values; a value only partly written by
// then cannot be recognised later) and [RedactWriter.Close] flushes and
// refuses further writes. It does not close the underlying writer.
//
// Matching is one pass for all patterns: every pattern is at least
// MinMaskLen bytes long, so sampling a 4-byte window every (shortest pattern
// − 3) bytes is certain to land inside any occurrence; a 128 KiB bitset
// filters those windows and only hits are checked exactly.
//
// A RedactWriter is safe for concurrent use.
type RedactWriter struct {
	r      *Redactor
	w      io.Writer
	mu     sync.Mutex
	buf    []byte
	err    error
	closed bool
	ivs    []interval
}

// NewWriter returns a writer that masks r's values and writes to w.
func (r *Redactor) NewWriter(w io.Writer) *RedactWriter {
	return &RedactWriter{r: r, w: w}
}

// Write masks and writes p, holding back a tail that might be the start of a
// secret. It returns len(p) unless the underlying writer fails; that error
// is sticky.
func (rw *RedactWriter) Write(p []byte) (int, error) {
	rw.mu.Lock()
	defer rw.mu.Unlock()
	if rw.closed {
		return 0, ErrClosed
	}
	if rw.err != nil {
		return 0, rw.err
	}
	m := rw.r.m.Load()
	rw.buf = append(rw.buf, p...)
	if err := rw.emit(m, false); err != nil {
		return 0, err
	}
	return len(p), nil
}

// Flush writes out the held-back bytes, masking the values complete in them.
// It returns [ErrTooShort] if the redactor refused values as too short to
// mask, so the caller knows the output may contain them.
func (rw *RedactWriter) Flush() error {
	rw.mu.Lock()
	defer rw.mu.Unlock()
	return rw.flush()
}

func (rw *RedactWriter) flush() error {
	if rw.err != nil {
		return rw.err
	}
	if err := rw.emit(rw.r.m.Load(), true); err != nil {
		return err
	}
	if n := rw.r.Refused(); n > 0 {
		return fmt.Errorf("%w: %d value(s) refused and not masked", ErrTooShort, n)
	}
	return nil
}

// Close flushes and makes further writes fail with [ErrClosed].
func (rw *RedactWriter) Close() error {
	rw.mu.Lock()
	defer rw.mu.Unlock()
	if rw.closed {
		return nil
	}
	err := rw.flush()
	rw.closed = true
	return err
}

// emit writes the prefix of buf that is settled, or all of it when final.
func (rw *RedactWriter) emit(m *matcher, final bool) error {
	n := len(rw.buf)
	if len(m.pats) == 0 {
		err := rw.write(rw.buf)
		rw.buf = rw.buf[:0]
		return err
	}
	end := n
	if !final {
		end = max(n-(m.maxLen-1), 0)
	}
	rw.ivs = m.find(rw.buf, rw.ivs[:0])
	ivs := mergeIntervals(rw.ivs)
	// An occurrence that crosses end is held back whole.
	keep := ivs[:0]
	for _, iv := range ivs {
		if iv.start >= end {
			break
		}
		if iv.end > end {
			end = iv.start
			break
		}
		keep = append(keep, iv)
	}
	pos := 0
	for _, iv := range keep {
		if err := rw.write(rw.buf[pos:iv.start]); err != nil {
			return err
		}
		if err := rw.write([]byte(Mask)); err != nil {
			return err
		}
		pos = iv.end
	}
	if err := rw.write(rw.buf[pos:end]); err != nil {
		return err
	}
	rw.buf = rw.buf[:copy(rw.buf, rw.buf[end:])]
	return nil
}

func (rw *RedactWriter) write(b []byte) error {
	if len(b) == 0 {
		return nil
	}
	if _, err := rw.w.Write(b); err != nil {
		rw.err = err
		return err
	}
	return nil
}

type interval struct{ start, end int }

func mergeIntervals(ivs []interval) []interval {
	if len(ivs) < 2 {
		return ivs
	}
	slices.SortFunc(ivs, func(a, b interval) int { return cmp.Compare(a.start, b.start) })
	out := ivs[:1]
	for _, iv := range ivs[1:] {
		last := &out[len(out)-1]
		if iv.start <= last.end {
			last.end = max(last.end, iv.end)
			continue
		}
		out = append(out, iv)
	}
	return out
}
