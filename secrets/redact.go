package secrets

import (
	"bytes"
	"cmp"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/binary"
	"encoding/hex"
	"fmt"
	"io"
	"slices"
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

// Mask is what a [RedactWriter] writes in place of a secret, unless the
// redactor writes tokens ([NewTokenRedactor]).
const Mask = "***"

// Redactor is a registry of secret values to mask, shared by the writers it
// makes. What it masks, and what it does not, is listed in the package
// documentation ("What the redactor masks").
//
// A Redactor is safe for concurrent use; values can be added at any time
// (the CI "add-mask" command) and take effect on the next write.
type Redactor struct {
	key  []byte // non-nil: write tokens, not Mask
	job  string
	hook func(Occurrence)

	mu      sync.Mutex
	values  map[string]int32 // value -> secret index
	names   []string         // by secret index; "" for unnamed values
	repl    []string         // by secret index: what replaces the secret
	pats    map[string]int32 // pattern -> secret index
	hexPats map[string]int32 // hex form -> secret index
	maxRaw  int
	refused atomic.Int64
	m       atomic.Pointer[matcher]
}

// Occurrence reports one place where a [RedactWriter] replaced a secret. It
// never holds the value.
type Occurrence struct {
	// Name is the secret's name ("" for a value registered without one).
	Name string
	// Token is what the writer wrote in its place.
	Token string
	// Offset is where the secret started in the stream written to the
	// writer, in bytes.
	Offset int64
}

// RedactOption configures a token-writing [Redactor]. A nil RedactOption,
// or one given an unusable value, makes [NewTokenRedactor] fail with
// [ErrConfig].
type RedactOption func(*redactConfig) error

// redactConfig is what the options set.
type redactConfig struct {
	hook func(Occurrence)
}

// WithOccurrenceHook calls f for every secret a writer replaces (several
// overlapping or adjacent secrets replaced as one count once, under the
// first), so the caller can audit where secrets appeared. f runs
// synchronously inside Write, Flush and Close, with the writer locked: it
// must be quick and must not write to the same writer.
func WithOccurrenceHook(f func(Occurrence)) RedactOption {
	return func(c *redactConfig) error {
		if f == nil {
			return fmt.Errorf("%w: WithOccurrenceHook: nil hook", ErrConfig)
		}
		c.hook = f
		return nil
	}
}

// NewRedactor returns an empty Redactor that writes [Mask] in place of
// every secret.
func NewRedactor() *Redactor {
	r := &Redactor{values: map[string]int32{}, pats: map[string]int32{}, hexPats: map[string]int32{}}
	r.m.Store(newMatcher(nil, nil, newWideMatcher(nil, nil), 0))
	return r
}

// MinTokenKeyLen is the shortest key [NewTokenRedactor] accepts.
const MinTokenKeyLen = 16

// NewTokenRedactor returns an empty Redactor that writes a token naming the
// secret in place of each one: "[secret:NAME:TAG]", where TAG is the first 8
// hex digits of HMAC-SHA256(key, job, NAME). The token is the same for every
// occurrence of a secret within the job, differs between jobs, and says
// nothing about the value (it is computed from the name, never the value),
// so an operator learns which secret appeared, and where, without learning
// it. A value registered without a name ([Redactor.AddMask]) is written as
// "[secret:TAG]" with TAG computed from an empty name.
//
// key must be at least [MinTokenKeyLen] bytes and kept from the job: whoever
// holds it can tell which job a token came from. job is the job's id.
func NewTokenRedactor(key []byte, job string, opts ...RedactOption) (*Redactor, error) {
	if len(key) < MinTokenKeyLen {
		return nil, fmt.Errorf("%w: NewTokenRedactor: key of %d bytes, need at least %d", ErrConfig, len(key), MinTokenKeyLen)
	}
	if job == "" {
		return nil, fmt.Errorf("%w: NewTokenRedactor: empty job id", ErrConfig)
	}
	var c redactConfig
	for _, o := range opts {
		if o == nil {
			return nil, fmt.Errorf("%w: NewTokenRedactor: nil option", ErrConfig)
		}
		if err := o(&c); err != nil {
			return nil, err
		}
	}
	r := NewRedactor()
	r.key, r.job, r.hook = bytes.Clone(key), job, c.hook
	return r, nil
}

// Token returns what r writes in place of the secret called name: the
// token described at [NewTokenRedactor], or [Mask] for a Redactor made by
// [NewRedactor]. name is normalised as [Redactor.AddSecret] does.
func (r *Redactor) Token(name string) string {
	if r.key == nil {
		return Mask
	}
	name = cleanName(name)
	mac := hmac.New(sha256.New, r.key)
	var n [8]byte
	binary.BigEndian.PutUint64(n[:], uint64(len(r.job)))
	mac.Write(n[:])
	mac.Write([]byte(r.job))
	mac.Write([]byte(name))
	tag := hex.EncodeToString(mac.Sum(nil)[:4])
	if name == "" {
		return "[secret:" + tag + "]"
	}
	return "[secret:" + name + ":" + tag + "]"
}

// maxNameLen bounds a secret's name in tokens.
const maxNameLen = 64

// cleanName keeps a name printable inside a token: bytes other than ASCII
// letters, digits and ._/- become '_', and it is cut to maxNameLen bytes.
func cleanName(name string) string {
	b := []byte(name[:min(len(name), maxNameLen)])
	for i, c := range b {
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '.' || c == '_' || c == '/' || c == '-') {
			b[i] = '_'
		}
	}
	return string(b)
}

// AddMask registers value for masking. It implements [Masker]. A value
// shorter than [MinMaskLen] is refused: it is counted in [Redactor.Refused]
// and writers report [ErrTooShort] on Flush and Close.
func (r *Redactor) AddMask(value string) { _ = r.AddSecret("", value) }

// AddNamedMask registers value for masking under name. It implements
// [NamedMasker]; refusals are handled as by [Redactor.AddMask].
func (r *Redactor) AddNamedMask(name, value string) { _ = r.AddSecret(name, value) }

// AddMaskChecked registers value for masking, or returns [ErrTooShort].
func (r *Redactor) AddMaskChecked(value string) error { return r.AddSecret("", value) }

// AddSecret registers value for masking under name (used in tokens and
// [Occurrence]s; bytes other than ASCII letters, digits and ._/- are
// replaced by '_', and it is cut to 64 bytes), or returns [ErrTooShort]. A
// value registered again keeps its first name, unless it had none.
func (r *Redactor) AddSecret(name, value string) error {
	if len(value) < MinMaskLen {
		r.refused.Add(1)
		return fmt.Errorf("%w: %d bytes, minimum %d", ErrTooShort, len(value), MinMaskLen)
	}
	name = cleanName(name)
	r.mu.Lock()
	defer r.mu.Unlock()
	if i, ok := r.values[value]; ok {
		if r.names[i] != "" || name == "" {
			return nil
		}
		r.names[i], r.repl[i] = name, r.Token(name)
	} else {
		i = int32(len(r.names))
		r.values[value] = i
		r.names = append(r.names, name)
		r.repl = append(r.repl, r.Token(name))
		fs := forms(value)
		for _, f := range fs {
			r.maxRaw = max(r.maxRaw, len(f))
			h := hex.EncodeToString([]byte(f))
			for _, p := range []string{h, strings.ToUpper(h)} {
				if _, ok := r.hexPats[p]; !ok {
					r.hexPats[p] = i
				}
			}
		}
		for _, p := range variants(fs) {
			if _, ok := r.pats[p]; !ok {
				r.pats[p] = i
			}
		}
	}
	pats, owner := flatten(r.pats)
	m := newMatcher(pats, owner, newWideMatcher(flatten(r.hexPats)), r.maxRaw)
	m.names = slices.Clone(r.names)
	for _, t := range r.repl {
		m.repl = append(m.repl, []byte(t))
	}
	r.m.Store(m)
	return nil
}

// flatten lists the patterns of a pattern -> secret map and their secrets.
func flatten(pats map[string]int32) ([]string, []int32) {
	list := make([]string, 0, len(pats))
	owner := make([]int32, 0, len(pats))
	for p, i := range pats {
		list = append(list, p)
		owner = append(owner, i)
	}
	return list, owner
}

// Refused returns how many values were refused as too short to mask.
func (r *Redactor) Refused() int { return int(r.refused.Load()) }

// Patterns returns how many byte strings (values and their encodings that
// are matched as they are, not decoded) are being matched.
func (r *Redactor) Patterns() int { return len(r.m.Load().pats) }

// forms returns the forms of v that are masked wherever they appear: v,
// and for a multi-line value, v with CRLF line endings and each line.
func forms(v string) []string {
	out := []string{v}
	if strings.Contains(v, "\n") {
		out = append(out, strings.ReplaceAll(strings.ReplaceAll(v, "\r\n", "\n"), "\n", "\r\n"))
		for line := range strings.SplitSeq(v, "\n") {
			out = append(out, strings.TrimSuffix(line, "\r"))
		}
	}
	return slices.DeleteFunc(out, func(f string) bool { return len(f) < MinMaskLen })
}

// variants returns the byte strings matched as they are for forms: each
// form, its base64 (standard and URL alphabets, at each of the three byte
// offsets it can start at inside a longer encoded string), its HTML-form
// encoding when spaces are the only bytes that change, and its shell
// single-quoted spellings (and Ruby's Shellwords spelling of newlines).
// Escaped forms (percent, JSON, string literals, shell) are found by
// decoding the stream instead (see decode.go), and hex forms by a matcher
// of their own (see wideMatcher).
func variants(forms []string) []string {
	set := map[string]bool{}
	add := func(s string) {
		if len(s) >= MinMaskLen {
			set[s] = true
		}
	}
	for _, f := range forms {
		add(f)
		for _, enc := range []*base64.Encoding{base64.RawStdEncoding, base64.RawURLEncoding} {
			for off := range 3 {
				add(base64Fragment(enc, f, off))
			}
		}
		add(strings.ReplaceAll(f, " ", "+"))
		add(strings.ReplaceAll(f, "'", `'\''`))
		add(strings.ReplaceAll(f, "'", `'"'"'`))
		// Ruby's Shellwords.escape writes a newline as '<LF>'; with other
		// characters escaped it is decoded instead (decSplice).
		add(strings.ReplaceAll(f, "\n", "'\n'"))
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

// RedactWriter masks every value registered with its [Redactor] in what is
// written through it, however the writes split the stream.
//
// To catch a value split across writes it holds back the end of the stream
// (the longest form it can recognise, about six times the longest value)
// until more arrives; [RedactWriter.Flush] writes it out (masking complete
// values; a value only partly written by then cannot be recognised later)
// and [RedactWriter.Close] flushes and refuses further writes. It does not
// close the underlying writer. Memory is bounded by that hold-back plus the
// largest single write, and time is linear in the input whatever it holds:
// a secret repeated back to back is masked and written out as it comes, not
// held.
//
// Matching is one pass for all patterns: every pattern is at least
// MinMaskLen bytes long, so sampling a 4-byte window every (shortest pattern
// − 3) bytes is certain to land inside any occurrence; a 128 KiB bitset
// filters those windows and only hits are checked exactly. Escaped forms are
// matched by decoding only the regions around escape characters.
//
// A RedactWriter is safe for concurrent use.
type RedactWriter struct {
	r      *Redactor
	w      io.Writer
	mu     sync.Mutex
	buf    []byte // buf[:done] is written out, kept as context; the rest pending
	done   int
	masked bool  // the last byte written out was part of a masked secret
	off    int64 // offset of buf[0] in the stream
	err    error
	closed bool
	ivs    []interval
	dec    decoded
	modes  []int // scratch for find
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
	if len(m.pats) > 0 && len(p) > 4*m.hold {
		if err := rw.writeLarge(m, p); err != nil {
			return 0, err
		}
		return len(p), nil
	}
	rw.buf = append(rw.buf, p...)
	// Settle at least a hold-back's worth at a time, so that small writes
	// do not each rescan the held-back tail.
	if len(m.pats) > 0 && len(rw.buf)-rw.done <= 2*m.hold {
		return len(p), nil
	}
	if err := rw.emitBuf(m, false); err != nil {
		return 0, err
	}
	return len(p), nil
}

// writeLarge settles a write of more than 4*hold bytes, scanning it where it
// is rather than copying it into buf: the matcher looks at one window every
// few bytes, so a copy of every byte was a sixth of the writer's time.
//
// The bytes held from earlier writes are settled first, with the first
// 2*hold bytes of p appended, which complete any secret that starts in
// them. What buf holds after that, the context and the pending bytes, is at
// most hold bytes of each, so it is the end of those 2*hold bytes of p: the
// rest of p is settled from there, in place, and only its own tail copied
// into buf.
func (rw *RedactWriter) writeLarge(m *matcher, p []byte) error {
	head := 2 * m.hold
	rw.buf = append(rw.buf, p[:head]...)
	if err := rw.emitBuf(m, false); err != nil {
		return err
	}
	b := p[head-len(rw.buf):]
	keep, err := rw.emit(m, b, false)
	if err != nil {
		return err
	}
	rw.buf = append(rw.buf[:0], b[keep:]...)
	return nil
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
	if err := rw.emitBuf(rw.r.m.Load(), true); err != nil {
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
	rw.buf = nil
	return err
}

// emitBuf emits what buf holds and drops what no longer needs holding.
func (rw *RedactWriter) emitBuf(m *matcher, final bool) error {
	keep, err := rw.emit(m, rw.buf, final)
	if err != nil {
		return err
	}
	rw.buf = rw.buf[:copy(rw.buf, rw.buf[keep:])]
	// Do not pin the memory of one large write for the writer's lifetime.
	if cap(rw.buf) > 1<<20 && len(rw.buf) < cap(rw.buf)/4 {
		rw.buf = slices.Clone(rw.buf)
	}
	return nil
}

// emit writes out the pending bytes of b that are settled (all of them when
// final), masking secrets. b[:rw.done] is context, written out before, and
// b[0] is at stream offset rw.off. It returns keep: the writer must go on
// holding b[keep:], which is the last hold bytes written, kept as context (a
// secret that starts there and runs on into what is pending is still
// recognised, and its rest masked), and what is pending; rw.done and rw.off
// are updated to match.
func (rw *RedactWriter) emit(m *matcher, b []byte, final bool) (int, error) {
	n := len(b)
	if len(m.pats) == 0 {
		err := rw.write(b[rw.done:])
		rw.off += int64(n)
		rw.done, rw.masked = 0, false
		return n, err
	}
	settle := n
	if !final {
		settle = n - m.hold
	}
	if settle <= rw.done {
		return 0, nil
	}
	pos, masked := rw.done, rw.masked
	for _, iv := range rw.find(m, b) {
		if iv.end <= rw.done {
			continue // in the context, dealt with before
		}
		if iv.start >= settle {
			break
		}
		if iv.start > pos {
			if err := rw.write(b[pos:iv.start]); err != nil {
				return 0, err
			}
			masked = false
		}
		// A secret that continues a mask already written (it began in the
		// context, or touches the previous one) adds nothing to the output.
		if !masked || iv.start > pos {
			if err := rw.write(m.repl[iv.sec]); err != nil {
				return 0, err
			}
			if rw.r.hook != nil {
				rw.r.hook(Occurrence{Name: m.names[iv.sec], Token: string(m.repl[iv.sec]), Offset: rw.off + int64(iv.start)})
			}
		}
		pos, masked = max(pos, iv.end), true
		// A secret that runs past settle is complete in b: write it out
		// whole rather than holding it back, so that a run of secrets is
		// never held.
		settle = max(settle, iv.end)
	}
	if pos < settle {
		if err := rw.write(b[pos:settle]); err != nil {
			return 0, err
		}
		masked = false
	}
	rw.masked = masked
	keep := max(settle-m.hold, 0)
	rw.off += int64(keep)
	rw.done = settle - keep
	return keep, nil
}

// find returns the merged intervals of every secret in b: forms matched as
// they are, then forms found by decoding the regions around escapes.
func (rw *RedactWriter) find(m *matcher, b []byte) []interval {
	ivs := m.find(b, rw.ivs[:0])
	ivs = m.hex.find(b, ivs)
	w := m.hold + 1
	// Each region is decoded in its encoder family's plain mode, and in
	// the variants and chains its escapes call for (see decode.go): only
	// regions that hold the escapes a mode reads pay for it.
	for _, intro := range []byte{'%', '\\'} {
		regions(b, intro, w, func(s, e int) {
			src := b[s:e]
			var modes []int
			if intro == '%' {
				modes = percentModes(src, append(rw.modes[:0], decPercent))
			} else {
				modes = backslashModes(src, append(rw.modes[:0], decBackslash))
			}
			for _, mode := range modes {
				decode(&rw.dec, src, mode)
				ivs = rw.findDecoded(m, ivs, s)
			}
			rw.modes = modes
		})
	}
	rw.ivs = ivs
	return mergeIntervals(ivs)
}

// findDecoded appends the occurrences in rw.dec, a decoded region that
// starts at base in the bytes being searched, as intervals of those bytes.
func (rw *RedactWriter) findDecoded(m *matcher, ivs []interval, base int) []interval {
	d := &rw.dec
	k := len(ivs)
	ivs = m.find(d.b, ivs)
	for i := k; i < len(ivs); i++ {
		iv := &ivs[i]
		iv.start, iv.end = base+int(d.from[iv.start]), base+int(d.to[iv.end-1])
	}
	return ivs
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

// interval is an occurrence of a form of secret sec at buf[start:end].
type interval struct {
	start, end int
	sec        int32
}

// mergeIntervals sorts ivs and merges those that overlap or touch; a merged
// interval keeps the secret of its first part.
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
