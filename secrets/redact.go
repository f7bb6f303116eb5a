package secrets

import (
	"bytes"
	"cmp"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base32"
	"encoding/base64"
	"encoding/binary"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"math/bits"
	"slices"
	"sort"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"unicode"
	"unicode/utf16"
	"unicode/utf8"

	"github.com/ztci/ztci/internal/redact"
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

	mu       sync.Mutex
	values   map[string]int32 // value -> secret index
	names    []string         // by secret index; "" for unnamed values
	tokens   []string         // by secret index: the secret's token
	bare     []string         // by secret index: the secret's token without its name
	pats     map[string]int32 // pattern -> secret index
	bytePats map[string]int32 // hex or decimal form -> secret index (see byteForms)
	frags    map[string]int32 // fragment that may be wrapped into lines -> secret index (see wrapPatterns)
	dumps    map[string]int32 // form -> secret index, for its blocks in hex dumps (see dumpTriggers)
	maxRaw   int
	refused  atomic.Int64
	m        atomic.Pointer[matcher]
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
	// Unidentified reports that the writer masked text as [Mask] without
	// identifying a secret in it (Name is ""): text around invisible
	// characters or control sequences past what it holds back, which may
	// hold the start of a secret (see the package documentation). The
	// text masked starts at Offset.
	Unidentified bool
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
	r := &Redactor{values: map[string]int32{}, pats: map[string]int32{}, bytePats: map[string]int32{}, frags: map[string]int32{}, dumps: map[string]int32{}}
	r.m.Store(newMatcher(nil, nil, newWideMatcher(nil, nil), 0))
	return r
}

// MinTokenKeyLen is the shortest key [NewTokenRedactor] accepts.
const MinTokenKeyLen = 16

// NewTokenRedactor returns an empty Redactor that writes a token naming the
// secret in place of each one: "[secret:NAME:TAG]", where NAME is the
// secret's name as [Redactor.AddSecret] normalises it and TAG is the first
// 8 hex digits of HMAC-SHA256(key, job, name as given). The token is the same for every
// occurrence of a secret within the job, differs between jobs, and says
// nothing about the value (it is computed from the name, never the value),
// so an operator learns which secret appeared, and where, without learning
// it. A value registered without a name ([Redactor.AddMask]) is written as
// "[secret:TAG]" with TAG computed from an empty name, and so is a secret
// whose token would hold a registered value (its name spells one): the
// token is written in the log unsearched.
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
// [NewRedactor]. The token shows name normalised as [Redactor.AddSecret]
// does, and its TAG is computed from name as given, so that two secrets
// whose names normalise alike ("db pass", "db_pass") still get different
// tokens: the operator can tell which one appeared.
func (r *Redactor) Token(name string) string {
	if r.key == nil {
		return Mask
	}
	if shown := cleanName(name); shown != "" {
		return "[secret:" + shown + ":" + r.tag(name) + "]"
	}
	return "[secret:" + r.tag(name) + "]"
}

// tag returns the TAG of the token for name (see NewTokenRedactor).
func (r *Redactor) tag(name string) string {
	mac := hmac.New(sha256.New, r.key)
	var n [8]byte
	binary.BigEndian.PutUint64(n[:], uint64(len(r.job)))
	mac.Write(n[:])
	mac.Write([]byte(r.job))
	mac.Write([]byte(name))
	return hex.EncodeToString(mac.Sum(nil)[:4])
}

// replacement returns what a writer writes in place of secret i: its
// token, unless that spells a registered value in any form m masks.
// Whoever registers a secret chooses its name, which can hold another
// secret's value or a form of it (a secret named after a password, a value
// that is another secret's name, with the trailing newline of the file it
// was read from, in quotes, as a line of a multi-line value, in hex or
// base64), and a writer does not search what it writes in place of a
// secret, so the token would write that value out. Such a token is written
// without its name, or as Mask if that too spells a value. scan is a
// writer used only to search the tokens.
func (r *Redactor) replacement(m *matcher, scan *RedactWriter, i int) string {
	if r.key == nil {
		return Mask
	}
	for _, t := range []string{r.tokens[i], r.bare[i]} {
		scan.ctlEnd, scan.ctlAt = 0, 0 // each token is a stream of its own
		if len(scan.find(m, []byte(t))) == 0 {
			return t
		}
	}
	return Mask
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

// AddSecret registers value for masking under name (used in tokens and in
// each [Occurrence]; bytes other than ASCII letters, digits and ._/- are
// replaced by '_', and it is cut to 64 bytes), or returns [ErrTooShort]. A
// value registered again keeps its first name, unless it had none. A value
// that is a JSON object also registers, under the same name, the members
// that hold secret material (a GCP key's private_key, a Docker config's
// auth): the package documentation lists them ("What the redactor masks").
//
// Each call rebuilds the matcher every writer shares, at a cost that grows
// with every value registered so far: register several values at once with
// [Redactor.AddSecrets].
func (r *Redactor) AddSecret(name, value string) error {
	return r.add([]namedValue{{name, value}})
}

// NamedSecret is a secret and its name, for [Redactor.AddSecrets]. Its
// value is a [Value], so a NamedSecret printed or logged shows its name
// and [Redacted].
type NamedSecret struct {
	Name  string
	Value Value
}

// AddSecrets registers each secret as [Redactor.AddSecret] would, in order,
// and builds the matcher once for all of them, where AddSecret rebuilds it
// for each: n values registered one by one cost time quadratic in n (on a
// 2-core machine, 100 short values about a second, twenty PEM keys tens
// of seconds), a batch about what the last of those rebuilds costs.
// Writers see the secrets of a batch all at once, never some of them.
//
// A value shorter than [MinMaskLen] refuses only itself: the others are
// registered (dropping them would leave them unmasked), each refusal is
// counted in [Redactor.Refused], and the error joins one [ErrTooShort] per
// refused value, naming its index in secrets (never its value).
func (r *Redactor) AddSecrets(secrets ...NamedSecret) error {
	batch := make([]namedValue, len(secrets))
	for k, s := range secrets {
		batch[k] = namedValue{s.Name, s.Value.Reveal()}
	}
	return r.add(batch)
}

// namedValue is a secret being registered: its name as given and its value.
type namedValue struct{ name, value string }

// add registers batch and, if that changed anything, publishes a new
// matcher: the one implementation of AddSecret and AddSecrets.
func (r *Redactor) add(batch []namedValue) error {
	var errs []error
	r.mu.Lock()
	defer r.mu.Unlock()
	changed := false
	for k, s := range batch {
		if len(s.value) < MinMaskLen {
			r.refused.Add(1)
			errs = append(errs, tooShort(k, len(batch), len(s.value)))
			continue
		}
		changed = r.insert(s.name, s.value) || changed
		// A JSON document's secret members are printed one by one (jq -r
		// .private_key): see structuredMembers.
		for _, m := range structuredMembers(s.value) {
			changed = r.insert(s.name, m) || changed
		}
	}
	if changed {
		r.rebuild()
	}
	return errors.Join(errs...)
}

// tooShort is the refusal of value k of a batch of n, size bytes long. It
// names the value by its index, for a batch of more than one, and never
// holds it.
func tooShort(k, n, size int) error {
	if n == 1 {
		return fmt.Errorf("%w: %d bytes, minimum %d", ErrTooShort, size, MinMaskLen)
	}
	return fmt.Errorf("%w: secret %d: %d bytes, minimum %d", ErrTooShort, k, size, MinMaskLen)
}

// insert registers value under name, as AddSecret describes, and reports
// whether that changed what r masks or how. The caller holds r.mu and
// rebuilds the matcher.
func (r *Redactor) insert(name, value string) bool {
	token, bare := r.Token(name), Mask // from the name as given (see Token)
	if r.key != nil {
		bare = "[secret:" + r.tag(name) + "]"
	}
	name = cleanName(name)
	if i, ok := r.values[value]; ok {
		if r.names[i] != "" || name == "" {
			return false
		}
		r.names[i], r.tokens[i], r.bare[i] = name, token, bare
	} else {
		i = int32(len(r.names))
		r.values[value] = i
		r.names = append(r.names, name)
		r.tokens = append(r.tokens, token)
		r.bare = append(r.bare, bare)
		fs := forms(value)
		// A value of several lines (a key, a certificate, a JSON
		// document) is not one a program splits into characters: lists
		// of its forms would add patterns for each of its lines.
		lists := !strings.ContainsAny(strings.TrimSpace(value), "\r\n")
		for _, f := range fs {
			r.maxRaw = max(r.maxRaw, len(f))
			if _, ok := r.dumps[f]; !ok {
				r.dumps[f] = i
			}
			ps := append(byteForms(f), xxdPlain(f)...)
			if lists {
				ps = append(ps, charLists(f)...)
			}
			for _, p := range ps {
				if _, ok := r.bytePats[p]; !ok && len(p) >= 2*MinMaskLen { // see wideMatcher
					r.bytePats[p] = i
				}
			}
		}
		for _, p := range variants(fs) {
			if _, ok := r.pats[p]; !ok {
				r.pats[p] = i
			}
		}
		for _, f := range fs {
			// The fragments that encoders may wrap into lines: standard
			// base64 of the form and of its UTF-16LE, and base32 (GNU
			// base32 and basenc wrap at 76, as base64 does).
			ps := fragments(f, base64.RawStdEncoding, base32Std, base32Hex)
			for _, p := range append(ps, fragments(utf16Of(f, binary.LittleEndian), base64.RawStdEncoding)...) {
				if _, ok := r.frags[p]; !ok && len(p) >= MinMaskLen {
					r.frags[p] = i
				}
			}
		}
	}
	return true
}

// rebuild builds the matcher for what r holds and publishes it to the
// writers, which load it whole (so never see part of a registration). The
// caller holds r.mu.
func (r *Redactor) rebuild() {
	pats, owner := wrapPatterns(r.frags, r.pats)
	pats, owner = dumpTriggers(r.dumps, pats, owner)
	m := newMatcher(pats, owner, newWideMatcher(flatten(r.bytePats)), r.maxRaw)
	m.hold = max(m.hold, wrapHold)
	m.reach = m.hold
	m.hold = max(m.hold, dumpHold(r.maxRaw))
	m.names = slices.Clone(r.names)
	// Every token is searched again whenever a value is added: the new
	// value may be spelled by a token chosen before.
	scan := &RedactWriter{r: r}
	for i := range r.names {
		m.repl = append(m.repl, []byte(r.replacement(m, scan, i)))
	}
	r.m.Store(m)
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

// String describes r without what it holds: how many secrets it masks and
// whether it writes tokens. Printing, logging or marshalling a Redactor
// never shows its values, their encodings or its token key.
func (r *Redactor) String() string {
	if r == nil {
		return "secrets.Redactor(nil)"
	}
	n := 0
	if m := r.m.Load(); m != nil {
		n = len(m.names)
	}
	return fmt.Sprintf("secrets.Redactor{secrets: %d, tokens: %t}", n, r.key != nil)
}

// GoString is String.
func (r *Redactor) GoString() string { return r.String() }

// Format writes String for every verb.
func (r *Redactor) Format(f fmt.State, _ rune) { redact.Format(f, r.String()) }

// LogValue is String.
func (r *Redactor) LogValue() slog.Value { return slog.StringValue(r.String()) }

// MarshalJSON encodes String as a JSON string.
func (r *Redactor) MarshalJSON() ([]byte, error) { return json.Marshal(r.String()) }

// Refused returns how many values were refused as too short to mask.
func (r *Redactor) Refused() int { return int(r.refused.Load()) }

// Patterns returns how many byte strings (values and their encodings that
// are matched as they are, not decoded) are being matched.
func (r *Redactor) Patterns() int { return len(r.m.Load().pats) }

// forms returns the forms of v that are masked wherever they appear: v;
// v without the whitespace around it, and without the quotes around that
// (the shell's unquoted $V, read, YAML, .strip() and dotenv drop them); and
// for a multi-line value (lines ending in LF, CRLF or a lone CR), v with LF
// and with CRLF line endings, and each line, with and without the
// whitespace around it.
func forms(v string) []string {
	out := []string{v}
	t := strings.TrimSpace(v)
	out = append(out, t)
	if len(t) >= 2 && (t[0] == '"' || t[0] == '\'') && t[len(t)-1] == t[0] {
		out = append(out, t[1:len(t)-1])
	}
	if strings.ContainsAny(v, "\r\n") {
		// A lone CR is a line break too: Python's universal newlines,
		// .NET's ReadLine (the GitHub Actions runner splits a secret at
		// either) and tr '\r' '\n' make it one.
		lf := strings.ReplaceAll(strings.ReplaceAll(v, "\r\n", "\n"), "\r", "\n")
		out = append(out, lf, strings.ReplaceAll(lf, "\n", "\r\n"))
		for line := range strings.SplitSeq(lf, "\n") {
			out = append(out, line, strings.TrimSpace(line))
		}
	}
	// A value that holds invisible characters reads the same without
	// them, and the writer matches with those it finds removed (see
	// invisible).
	// Escaped invisible characters are dropped when decoded, and ignored
	// control characters are not (see dropInvisible): the value without
	// the first, and without both, for the raw stream.
	for _, f := range out {
		if s := stripInvisible(f); s != f {
			out = append(out, s)
		}
		if s := stripIgnored(stripInvisible(f)); s != f {
			out = append(out, s)
		}
	}
	out = slices.DeleteFunc(out, func(f string) bool { return len(f) < MinMaskLen })
	slices.Sort(out)
	return slices.Compact(out)
}

// variants returns the byte strings matched as they are for forms: each
// form; its base64 (standard and URL alphabets) and base32 (standard and
// "hex" alphabets, upper case), each at every byte offset it can start at
// inside a longer encoded string (see fragment); the form in UTF-16LE and
// UTF-16BE, and the base64 (standard alphabet, every offset) of its
// UTF-16LE, as PowerShell and .NET write text; its HTML-form
// encoding when spaces are the only bytes that change, its shell
// single-quoted spellings (and Ruby's Shellwords spelling of newlines), and
// its spellings with quotes, dollar signs or percent signs doubled.
// Escaped forms (percent, JSON, string literals, shell) are found by
// decoding the stream instead (see decode.go), and hex and decimal forms by
// a matcher of their own (see wideMatcher and byteForms).
func variants(forms []string) []string {
	set := map[string]bool{}
	// Every pattern is at least MinMaskLen bytes, fragments included: see
	// fragment for why a value's fragments always are.
	add := func(s string) {
		if len(s) >= MinMaskLen {
			set[s] = true
		}
	}
	for _, f := range forms {
		add(f)
		for _, p := range fragments(f, base64.RawStdEncoding, base64.RawURLEncoding, base32Std, base32Hex) {
			add(p)
		}
		// UTF-16 of a value that is not UTF-8 is not one thing: tools
		// refuse it or replace the bad bytes, each its own way.
		if le := utf16Of(f, binary.LittleEndian); le != "" {
			add(le)
			add(utf16Of(f, binary.BigEndian))
			for _, p := range fragments(le, base64.RawStdEncoding) {
				add(p)
			}
		}
		add(strings.ReplaceAll(f, " ", "+"))
		add(strings.ReplaceAll(f, "'", `'\''`))
		add(strings.ReplaceAll(f, "'", `'"'"'`))
		// git quotes as sh does, and closes the quoting around each '!'
		// as well ('\!', for csh): the arguments GIT_TRACE shows (a clone
		// URL with its password, git config's value) and the commands
		// git runs. The same as the spelling above for a value without
		// a '!'.
		add(gitQuote.Replace(f))
		// SQL, YAML's single-quoted scalars and PowerShell double a quote
		// inside quotes of its kind, as CSV does a double quote.
		add(strings.ReplaceAll(f, "'", "''"))
		add(strings.ReplaceAll(f, `"`, `""`))
		// '$' doubled as docker compose config, Jenkins (its
		// credentials binding masks it so) and make write a literal
		// dollar, and '%' doubled as systemd unit files, Python's
		// configparser and printf formats write a literal percent.
		add(strings.ReplaceAll(f, "$", "$$"))
		add(strings.ReplaceAll(f, "%", "%%"))
		// The value in upper or lower case, and reversed: .NET's
		// Convert.ToHexString and certutil write a hex key upper case,
		// ${v^^} and tr are one step away, and a service that reads a
		// token without regard to case takes either; a bidi override
		// (U+202E) draws a reversed value forwards in a browser.
		add(strings.ToUpper(f))
		add(strings.ToLower(f))
		add(reverseRunes(f))
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

// reverseRunes returns f with its characters (bytes, where f is not
// UTF-8) in reverse order.
func reverseRunes(f string) string {
	if !utf8.ValidString(f) {
		b := []byte(f)
		slices.Reverse(b)
		return string(b)
	}
	r := []rune(f)
	slices.Reverse(r)
	return string(r)
}

// gitQuote writes a value as git's sq_quote does inside '…' (quote.c).
var gitQuote = strings.NewReplacer("'", `'\''`, "!", `'\!'`)

// base32Std and base32Hex are the RFC 4648 base32 alphabets, unpadded
// (padding only ever follows the end of the value's part).
var (
	base32Std = base32.StdEncoding.WithPadding(base32.NoPadding)
	base32Hex = base32.HexEncoding.WithPadding(base32.NoPadding)
)

// textEncoding is an unpadded base64 or base32 encoding.
type textEncoding interface{ EncodeToString([]byte) string }

// groupBits returns how many bytes make a group of enc's characters, and
// how many bits a character holds.
func groupBits(enc textEncoding) (group, bits int) {
	if _, ok := enc.(*base32.Encoding); ok {
		return 5, 5
	}
	return 3, 6
}

// fragments returns the fragments of v in each of encs at every offset.
func fragments(v string, encs ...textEncoding) []string {
	var out []string
	for _, enc := range encs {
		group, _ := groupBits(enc)
		for off := range group {
			out = append(out, fragment(enc, v, off))
		}
	}
	return out
}

// fragment returns the part of enc's encoding of v that does not depend on
// the bytes around it when v starts off bytes into a group of a longer
// encoded string: off is 0, 1 or 2 for base64 (3-byte groups), 0 to 4 for
// base32 (5-byte groups). Those are all the alignments v can have.
//
// The fragment leaves out only the character at each end that also holds
// bits of the bytes around v, and with them at most four of v's bits at
// each end: it holds at least 8·(len(v)-1) of v's bits. That is the rule
// that keeps fragments from masking ordinary text, as for every pattern: a
// fragment is as unlikely to occur by chance as v less one byte, and for a
// value of at least MinMaskLen bytes it is at least 10 (base64) or 12
// (base32) characters, never shorter than MinMaskLen (TestFragmentRule).
func fragment(enc textEncoding, v string, off int) string {
	_, bits := groupBits(enc)
	buf := make([]byte, off+len(v))
	copy(buf[off:], v)
	s := enc.EncodeToString(buf)
	start := (off*8 + bits - 1) / bits // first char made only of v's bits
	end := (off + len(v)) * 8 / bits   // chars made only of v's bits (and prefix)
	if start >= end || end > len(s) {
		return ""
	}
	return s[start:end]
}

// utf16Of returns v in UTF-16 in the given byte order (no BOM: one is only
// ever written before the whole text), or "" if v is not valid UTF-8.
func utf16Of(v string, order binary.AppendByteOrder) string {
	if !utf8.ValidString(v) {
		return ""
	}
	b := make([]byte, 0, 2*len(v))
	for _, u := range utf16.Encode([]rune(v)) {
		b = order.AppendUint16(b, u)
	}
	return string(b)
}

// byteForms returns the spellings of f's bytes as numbers that the wide
// matcher looks for. In hex, lower and upper case: the digits alone; each
// byte's two digits separated by ":", " ", "-", "," or ", " (Go's "% x",
// Python's bytes.hex(":"), Java's HexFormat.ofDelimiter, od -An -tx1,
// xxd -g1, fingerprints); each byte as 0xHH separated by ",", ", " or " "
// (xxd -i, C and Java array literals; Go's "% #x", Java's HexFormat with
// prefix 0x and delimiter " ", C's printf("0x%02x ") loops); and Go's %#v
// of a []byte, which writes bytes below 0x10 with one digit. \xHH escapes
// are decoded instead (decode.go).
// In decimal, separated by " ", "," or ", ": Go's %v of a []byte ([72 101
// …]), Python's list(b), Rust's {:?}, Node's JSON of a Buffer
// ({"type":"Buffer","data":[72,101,…]}) and a Uint8Array's toString; and
// for a value with a byte above 0x7F, as Java and Kotlin print a byte[]
// (Arrays.toString, contentToString, Gson), signed: [-61, -92, …]. A value
// of n bytes has such forms of 2n-1 to 6n-2 bytes: within the hold-back,
// which is six bytes a byte (maxExpand).
func byteForms(f string) []string {
	gov := fmt.Sprintf("%#v", []byte(f))
	out := []string{gov[len("[]byte{") : len(gov)-1]}
	for _, h := range []string{hex.EncodeToString([]byte(f)), strings.ToUpper(hex.EncodeToString([]byte(f)))} {
		out = append(out, h)
		pairs := make([]string, len(f))
		for i := range pairs {
			pairs[i] = h[2*i : 2*i+2]
		}
		for _, sep := range []string{":", " ", "-", ",", ", "} {
			out = append(out, strings.Join(pairs, sep))
		}
		for _, sep := range []string{",", ", ", " "} {
			out = append(out, "0x"+strings.Join(pairs, sep+"0x"))
		}
	}
	dec, signed := make([]string, len(f)), make([]string, len(f))
	for i := range len(f) {
		dec[i], signed[i] = strconv.Itoa(int(f[i])), strconv.Itoa(int(int8(f[i])))
	}
	for _, sep := range []string{" ", ",", ", "} {
		out = append(out, strings.Join(dec, sep))
		if s := strings.Join(signed, sep); sep != " " && s != strings.Join(dec, sep) {
			out = append(out, s)
		}
	}
	return out
}

// charLists returns f spelled as a list of its characters, as programs
// print a string split into characters (the brackets left out, so that
// any container matches): ", " between the characters as they are, as
// Java's Arrays.toString of a char[] (the type Console.readPassword,
// JPasswordField and KeyStore hand passwords in), Kotlin's
// contentToString and toList and Scala's toList write it ([p, a, s]);
// each quoted as Python's list(s) does (['p', 'a']; "'" for a quote),
// with ", " between; as Rust's {:?} of a Vec<char> and Go's %q of a
// []rune do (a quote escaped by a backslash), with ", " or " " between;
// and as Ruby's chars and the JSON of an array of characters
// (JSON.stringify([...s]), Python's json.dumps with ensure_ascii=False)
// do, with ", " or ",". They are patterns of the wide matcher, as
// byteForms are: 3n-2 to 6n-2 bytes for a value of n bytes. A spelling
// that would write a character the way a language does not (a control
// character other than \t, \n and \r, or a character outside the BMP in a
// Java char[]) is left out, and f that is not UTF-8 has none. (Only the
// forms of a value of one line get them: see insert.)
func charLists(f string) []string {
	if !utf8.ValidString(f) {
		return nil
	}
	java := func(r rune) (string, bool) { return string(r), r <= 0xFFFF }
	python := func(r rune) (string, bool) {
		switch r {
		case '\'':
			return `"'"`, true
		case '\\':
			return `'\\'`, true
		}
		return strconv.QuoteRune(r), printable(r)
	}
	goRust := func(r rune) (string, bool) { return strconv.QuoteRune(r), printable(r) }
	jsonRuby := func(r rune) (string, bool) { return strconv.Quote(string(r)), printable(r) }
	var out []string
	for _, l := range []struct {
		quote func(rune) (string, bool)
		seps  []string
	}{{java, []string{", "}}, {python, []string{", "}}, {goRust, []string{", ", " "}}, {jsonRuby, []string{", ", ","}}} {
		if chars, ok := quoteChars(f, l.quote); ok {
			for _, sep := range l.seps {
				out = append(out, strings.Join(chars, sep))
			}
		}
	}
	return out
}

// quoteChars returns each character of f as quote writes it, or false if
// quote cannot write one of them.
func quoteChars(f string, quote func(rune) (string, bool)) ([]string, bool) {
	chars := make([]string, 0, len(f))
	for _, r := range f {
		c, ok := quote(r)
		if !ok {
			return nil, false
		}
		chars = append(chars, c)
	}
	return chars, true
}

// printable reports whether the languages charLists spells write r as it
// is, or as \t, \n or \r, in a quoted character (they agree on those).
func printable(r rune) bool { return unicode.IsPrint(r) || r == '\t' || r == '\n' || r == '\r' }

// RedactWriter masks every value registered with its [Redactor] in what is
// written through it, however the writes split the stream.
//
// To catch a value split across writes it holds back the end of the stream
// (the longest form it can recognise, about six times the longest value,
// or the lines of its hex dump, and as much again as that holds of
// invisible characters and control sequences, up to four times that: see
// Hidden bytes) until more arrives; [RedactWriter.Flush]
// writes it out (masking complete values; a value only partly written by
// then cannot be recognised later) and [RedactWriter.Close] flushes and
// refuses further writes. It does not close the underlying writer. Memory
// is bounded by seven hold-backs plus the largest single write, and time is
// linear in the input whatever it holds: a secret repeated back to back is
// masked and written out as it comes, not held.
//
// Matching is one pass for all patterns: every pattern is at least
// MinMaskLen bytes long, so sampling a 4-byte window every (shortest pattern
// − 3) bytes is certain to land inside any occurrence; a 128 KiB bitset
// filters those windows and only hits are checked exactly. Escaped forms are
// matched by decoding only the regions around escape characters (character
// references and terminal control sequences are replaced, not decoded, and
// only where they can be inside a value), base64 or base32 wrapped into
// lines by joining the lines only around blocks of a value's encoding that
// the same pass finds, and hex dumps by reading the lines as a dump only
// around blocks of a value's hex that it finds.
//
// A RedactWriter is safe for concurrent use: writes from several goroutines
// are serialised and each write's bytes stay together in the stream (a
// secret one goroutine writes in two writes may get another's write in
// between, and is then no longer in the stream as a secret).
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
	trig   []interval // scratch for findWrapped
	found  []interval // scratch for findWrapped
	seps   []span
	dec    decoded
	spl    spliced
	modes  []int // scratch for find
	// extra is how far the last settle held back beyond the hold-back,
	// for the hidden bytes in the stream's end (see holdBack).
	extra int
	// blind is how many bytes other than hidden ones are still to be
	// masked after a stretch masked whole (see holdBack).
	blind int
	unit  decoded // scratch for hiddenAt
	// shown and shownAt are scratch for findShown: the bytes other than
	// hidden ones, and where each is in the buffer.
	shown    []byte
	shownAt  []int
	shownIvs []interval
	// scanOff is the stream offset of b[0] when scanShown last scanned b,
	// and scanEnd how far into b what it found stays good.
	scanOff int64
	scanEnd int
	// ctlEnd is the stream offset up to which find has looked for ignored
	// control characters and backspaces, and ctlAt the offset just past
	// the last it found (0: none).
	ctlEnd, ctlAt int64
	// pend is the bytes other than hidden ones of the start of a form
	// that was masked because the hold-back could not hold its rest (see
	// findShown), while what follows continues it.
	pend []byte
}

// rwString is what a RedactWriter prints as: nothing of what it holds back
// (bytes not yet masked), and no state, so that printing one never waits
// for its lock (an occurrence hook runs with it held).
const rwString = "secrets.RedactWriter{...}"

// String describes rw without what it holds back.
func (rw *RedactWriter) String() string { return rwString }

// GoString is String.
func (rw *RedactWriter) GoString() string { return rwString }

// Format writes String for every verb.
func (rw *RedactWriter) Format(f fmt.State, _ rune) { redact.Format(f, rwString) }

// LogValue is String.
func (rw *RedactWriter) LogValue() slog.Value { return slog.StringValue(rwString) }

// MarshalJSON encodes String as a JSON string.
func (rw *RedactWriter) MarshalJSON() ([]byte, error) { return json.Marshal(rwString) }

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
	if len(m.pats) > 0 && len(p) > 4*m.hold+rw.extra {
		if err := rw.writeLarge(m, p); err != nil {
			return 0, err
		}
		return len(p), nil
	}
	rw.buf = append(rw.buf, p...)
	// Settle at least a hold-back's worth at a time, so that small writes
	// do not each rescan the held-back tail (which the hidden bytes in it
	// lengthen: see holdBack).
	if len(m.pats) > 0 && len(rw.buf)-rw.done <= 2*m.hold+rw.extra {
		return len(p), nil
	}
	if err := rw.emitBuf(m, false); err != nil {
		return 0, err
	}
	return len(p), nil
}

// writeLarge settles a write of more than 4*hold+extra bytes, scanning it
// where it is rather than copying it into buf: the matcher looks at one
// window every few bytes, so a copy of every byte was a sixth of the
// writer's time.
//
// The bytes held from earlier writes are settled first, with the first
// 2*hold+extra bytes of p appended, which complete any secret that starts in
// them. What buf holds after that, the context and the pending bytes, is
// hold bytes and hold+extra bytes, so it is the end of those bytes of p: the
// rest of p is settled from there, in place, and only its own tail copied
// into buf. If hidden bytes in p lengthened the hold-back beyond extra,
// buf is longer, and the rest of p is appended to it instead.
func (rw *RedactWriter) writeLarge(m *matcher, p []byte) error {
	head := 2*m.hold + rw.extra
	rw.buf = append(rw.buf, p[:head]...)
	if err := rw.emitBuf(m, false); err != nil {
		return err
	}
	if len(rw.buf) > head {
		rw.buf = append(rw.buf, p[head:]...)
		return rw.emitBuf(m, false)
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
		rw.done, rw.masked, rw.extra, rw.blind = 0, false, 0, 0
		return n, err
	}
	settle, fail, capped := n, false, final && rw.extra > 0
	rw.extra = 0
	if !final {
		var h int
		h, fail, capped = rw.holdBack(m, b)
		settle, rw.extra = n-h, h-m.hold
	}
	if settle <= rw.done {
		return 0, nil
	}
	// Where the hold-back was capped, a value spread by more hidden bytes
	// than it holds is looked for with them removed (see Hidden bytes).
	var spread []interval
	pending, started := -1, len(rw.pend) > 0
	if capped {
		spread, pending = rw.findShown(m, b, settle, final)
	}
	// Text in b[from:to] is masked (see Hidden bytes).
	from, to := rw.done, rw.done
	switch {
	case fail:
		from, to = rw.failFrom(m, b), n
		if pending >= 0 {
			from = min(from, pending)
		}
		rw.pend = rw.pend[:0]
	case started:
		// The rest of a form whose start was masked (see findShown).
		if to = rw.continuePending(m, b, settle); to < n {
			settle = max(settle, to) // its end: write it out masked
		}
		if pending >= 0 {
			to = n
			if len(rw.pend) == 0 { // a start after the one it ended
				rw.pend = rw.pendingShown(pending, settle)
			}
		}
	case pending >= 0:
		from, to = pending, n
		rw.pend = rw.pendingShown(pending, settle)
	case rw.blind > 0:
		to, _ = rw.skipShown(b, rw.done, n, rw.blind)
	}
	ivs := rw.find(m, b)
	if len(spread) > 0 {
		ivs = mergeIntervals(append(ivs, spread...))
	}
	pos, masked := rw.done, rw.masked
	for _, iv := range ivs {
		if iv.end <= rw.done {
			continue // in the context, dealt with before
		}
		if iv.start >= settle {
			break
		}
		if iv.start > pos {
			if err := rw.text(b[:iv.start], pos, from, to, &masked); err != nil {
				return 0, err
			}
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
		if err := rw.text(b[:settle], pos, from, to, &masked); err != nil {
			return 0, err
		}
	}
	rw.masked = masked
	switch {
	case fail:
		rw.blind = m.hold + invSlack
	case rw.blind > 0:
		_, rw.blind = rw.skipShown(b, rw.done, settle, rw.blind)
	}
	keep := max(settle-m.hold, 0)
	rw.off += int64(keep)
	rw.done = settle - keep
	return keep, nil
}

// text writes out b[pos:], text in which no secret was found, with what
// lies in b[from:to] masked; masked says whether the last byte written out
// was masked, and is updated.
func (rw *RedactWriter) text(b []byte, pos, from, to int, masked *bool) error {
	for _, part := range [...]struct {
		lo, hi int
		mask   bool
	}{{pos, min(from, len(b)), false}, {max(pos, from), min(to, len(b)), true}, {max(pos, to), len(b), false}} {
		switch {
		case part.lo >= part.hi:
		case !part.mask:
			if err := rw.write(b[part.lo:part.hi]); err != nil {
				return err
			}
			*masked = false
		case !*masked:
			if err := rw.write([]byte(Mask)); err != nil {
				return err
			}
			*masked = true
			if rw.r.hook != nil {
				rw.r.hook(Occurrence{Token: Mask, Offset: rw.off + int64(part.lo), Unidentified: true})
			}
		}
	}
	return nil
}

// Hidden bytes are those a log viewer draws as nothing: invisible
// characters, raw or escaped, control sequences, and the C0 control
// characters a terminal ignores (see ignoredControl; characters erased by
// backspaces are removed by findSpliced only, within the hold-back). The
// writer removes them before matching (see findSpliced and dropInvisible), so the
// stretch of stream a value spans is longer than its form by as many of
// them as it holds, without bound: a job that writes its value a
// character a write, with twenty zero-width spaces (or \u200b, &#8203;)
// after each, spreads it over more than the hold-back, and would see the
// value's start settled and written out before its end arrives.
//
// So the writer holds back, besides the hold-back, the hidden bytes among
// what it holds back: the hold-back is then at least hold bytes other than
// hidden ones, and an occurrence's form without them is no longer than
// that. What it holds for them is bounded, by invBudget hold-backs: where
// more than that are invisible characters, what is settled is masked
// whole instead of held, and so is what follows it until as many bytes
// other than hidden ones as an occurrence can hold have passed (blind).
// Control sequences lengthen the hold-back within the budget; past it,
// what is held is read with its hidden bytes removed (findShown): a value
// there is masked as itself, and the start of one that the hold-back
// cannot hold the rest of is masked, with what follows it while it goes
// on spelling the same form (continuePending), so that a coloured log is
// written as it came unless it spells the start of a value's form.

// invBudget bounds, in hold-backs, how much further than the hold-back a
// writer holds back for hidden bytes.
const invBudget = 4

// invSlack is what a writer holds beyond the hold-back and the hidden bytes
// it counted, once it counted one: an escaped invisible character that
// starts before the stretch it counts in, and one cut short at the end of
// what it holds, are not counted.
const invSlack = 2 * maxInvisibleEscape

// holdBack returns how many bytes at the end of b the writer holds back,
// and fail if invisible characters alone exceed the budget, so that it
// must mask what it settles (see Hidden bytes above). On text with no
// hidden byte near its end it is the hold-back, and costs one look at
// each of its bytes.
func (rw *RedactWriter) holdBack(m *matcher, b []byte) (h int, fail, capped bool) {
	n, budget := len(b), invBudget*m.hold
	// Nothing before rw.done can start an occurrence still to come: that
	// was settled by a hold-back sound for it, or masked (blind).
	lo := max(n-m.hold-invSlack, rw.done)
	hidden, inv := rw.countHidden(b, lo, n)
	if hidden == 0 && !mayCut(b) {
		return m.hold, false, false
	}
	for {
		h = m.hold + invSlack + min(hidden, budget)
		x := max(n-h, rw.done)
		if x >= lo {
			break
		}
		a, v := rw.countHidden(b, x, lo)
		hidden, inv, lo = hidden+a, inv+v, x
	}
	if hidden >= budget {
		if x := max(n-m.hold-invSlack-budget, rw.done); x < lo {
			_, v := rw.countHidden(b, x, lo)
			inv += v
		}
		fail, capped = inv >= budget, true
	}
	return h, fail, capped
}

// findShown returns the occurrences of the forms matched as they are in
// b with its hidden bytes removed, however many there are, and, unless final, pending: where in b an occurrence may start that
// is still to come, or -1. It is called where the hold-back was capped
// (see Hidden bytes), so it costs nothing on text with few hidden bytes.
//
// An occurrence may still be to come where the bytes other than hidden
// ones from a byte settled now to the end of b are the start of a form:
// the hold-back cannot hold the rest, and writing out the start would
// write out that much of the value, spread over hidden bytes. Text with
// no such start is written as it came, control sequences included.
func (rw *RedactWriter) findShown(m *matcher, b []byte, settle int, final bool) (ivs []interval, pending int) {
	shown, at := rw.scanShown(b)
	for _, iv := range m.find(shown, rw.shownIvs[:0]) {
		if iv.sec >= 0 { // not a trigger
			ivs = append(ivs, interval{at[iv.start], at[iv.end-1] + 1, iv.sec})
		}
	}
	if final {
		return ivs, -1
	}
	for i := max(len(shown)-m.maxLen+1, 0); i < len(shown) && at[i] < settle; i++ {
		if m.startsForm(shown[i:]) {
			// A start in the context was written out before; mask
			// what is left of it.
			return ivs, max(at[i], rw.done)
		}
	}
	return ivs, -1
}

// pendingShown returns rw.pend set to the bytes other than hidden ones in
// b[pending:settle], as findShown last scanned them: the start of a form
// that is masked, whose rest is still to come.
func (rw *RedactWriter) pendingShown(pending, settle int) []byte {
	pend := rw.pend[:0]
	for i, at := range rw.shownAt {
		if at >= pending && at < settle {
			pend = append(pend, rw.shown[i])
		}
	}
	return pend
}

// continuePending returns where in b the rest of the form whose start
// rw.pend holds ends: the bytes other than hidden ones from rw.done on
// that continue it as the start of a form are masked, up to the first
// that does not, where it stops (rw.pend is emptied). While they all
// continue it, it returns len(b), and adds to rw.pend those before
// settle. rw.pend never holds more than the longest form.
func (rw *RedactWriter) continuePending(m *matcher, b []byte, settle int) int {
	shown, at := rw.scanShown(b)
	k := sort.Search(len(shown), func(j int) bool { return at[j] >= rw.done })
	shown, at = shown[k:], at[k:]
	cand := append(rw.pend, shown...)
	// The longest start of cand that starts a form (startsForm holds for
	// every start of a start).
	l := sort.Search(len(cand)-len(rw.pend), func(j int) bool {
		return !m.startsForm(cand[:len(rw.pend)+j+1])
	})
	if l < len(shown) || len(cand) >= m.maxLen {
		rw.pend = cand[:0]
		if l == 0 {
			return rw.done
		}
		return at[l-1] + 1
	}
	for i := range shown {
		if at[i] >= settle {
			cand = cand[:len(rw.pend)+i]
			break
		}
	}
	rw.pend = cand
	return len(b)
}

// scanShown returns the bytes of b other than hidden ones, and where each
// is in b, in scratch kept by rw. A control sequence cut short by the end
// of b is taken as hidden.
func (rw *RedactWriter) scanShown(b []byte) ([]byte, []int) {
	shown, at := rw.shown[:0], rw.shownAt[:0]
	i := 0
	// What the last scan read of the stream still in b, but for its last
	// bytes (an escape there may be completed since), is kept.
	if d := int(rw.off - rw.scanOff); rw.scanEnd > 0 && d >= 0 && rw.scanEnd-d >= 0 && rw.scanEnd-d <= len(b) {
		k := sort.SearchInts(rw.shownAt, d)
		l := sort.SearchInts(rw.shownAt, rw.scanEnd)
		shown = append(shown, rw.shown[k:l]...)
		for _, j := range rw.shownAt[k:l] {
			at = append(at, j-d)
		}
		i = rw.scanEnd - d
	}
	end := -1
	for i < len(b) {
		if end < 0 && i >= len(b)-maxInvisibleEscape {
			end = i
		}
		if hiddenStart[b[i]] {
			if k, _ := rw.hiddenAt(b[i:]); k > 0 {
				i += k
				continue
			}
			if b[i] == esc && controlCut(b[i:]) {
				break // the rest of it is still to come
			}
		}
		shown, at = append(shown, b[i]), append(at, i)
		i++
	}
	if end < 0 {
		end = i
	}
	rw.shown, rw.shownAt, rw.scanOff, rw.scanEnd = shown, at, rw.off, min(end, i)
	return shown, at
}

// controlCut reports whether b, which starts with ESC, is the start of a
// control sequence cut short by the end of b.
func controlCut(b []byte) bool {
	if len(b) >= maxControl {
		return false
	}
	if len(b) == 1 {
		return true
	}
	rest := b[2:]
	switch c := b[1]; {
	case c == '[':
		return !slices.ContainsFunc(rest, func(c byte) bool { return c < 0x20 || c > 0x3F })
	case c == ']' || c == 'P' || c == 'X' || c == '^' || c == '_':
		i := slices.IndexFunc(rest, func(c byte) bool { return c == 0x07 || c == esc })
		return i < 0 || i == len(rest)-1 && rest[i] == esc
	case c >= 0x20 && c <= 0x2F:
		return !slices.ContainsFunc(rest, func(c byte) bool { return c < 0x20 || c > 0x2F })
	}
	return false
}

// failFrom returns where in b the text to mask starts when the hold-back
// fell short: text before it is followed by more bytes other than hidden
// ones than an occurrence's form holds, so it cannot start one that is
// still to come.
func (rw *RedactWriter) failFrom(m *matcher, b []byte) int {
	hidden, _ := rw.countHidden(b, rw.done, len(b))
	shown := len(b) - rw.done - hidden
	i, _ := rw.skipShown(b, rw.done, len(b), shown-m.hold-invSlack)
	return i
}

// countHidden returns the bytes of the hidden characters and sequences
// that start in b[lo:hi], and of those the bytes of invisible characters.
func (rw *RedactWriter) countHidden(b []byte, lo, hi int) (hidden, inv int) {
	for i := lo; i < hi; i++ {
		if !hiddenStart[b[i]] {
			continue
		}
		if k, isInv := rw.hiddenAt(b[i:]); k > 0 {
			hidden += k
			if isInv {
				inv += k
			}
			i += k - 1
		}
	}
	return hidden, inv
}

// hiddenAt returns the length of the hidden character or sequence at the
// start of b, or 0, and whether it is an invisible character.
func (rw *RedactWriter) hiddenAt(b []byte) (int, bool) {
	switch c := b[0]; {
	case c == esc:
		return controlLen(b), false
	case ignoredControl[c]:
		return 1, false
	case c >= 0xC2:
		if mayBeInvisible(b, 0) {
			return invisibleLen(b), true
		}
		return 0, false
	}
	return escapedInvisibleLen(&rw.unit, b), true
}

// skipShown walks b from i to at most end until it has passed left bytes
// other than hidden ones, and returns where it stopped and how many it
// has still to pass.
func (rw *RedactWriter) skipShown(b []byte, i, end, left int) (int, int) {
	for i < end && left > 0 {
		if hiddenStart[b[i]] {
			if k, _ := rw.hiddenAt(b[i:]); k > 0 {
				i += k
				continue
			}
		}
		i++
		left--
	}
	return i, left
}

// hiddenStart marks the bytes that can start a hidden character or
// sequence: ESC, the escape introducers, and the first bytes of characters
// outside ASCII.
var hiddenStart = func() (t [256]bool) {
	for c := 0xC2; c < 0x100; c++ {
		t[c] = true
	}
	t[esc], t['\\'], t['%'], t['&'] = true, true, true, true
	for c := range t {
		t[c] = t[c] || ignoredControl[c]
	}
	return t
}()

// mayCut reports whether b may end with an invisible character cut short,
// raw or escaped, which countHidden does not count yet.
func mayCut(b []byte) bool {
	for _, c := range b[max(len(b)-maxInvisibleEscape, 0):] {
		if c != esc && !ignoredControl[c] && hiddenStart[c] {
			return true
		}
	}
	return false
}

// find returns the merged intervals of every secret in b: forms matched as
// they are, then forms found by decoding the regions around escapes.
func (rw *RedactWriter) find(m *matcher, b []byte) []interval {
	ivs := m.find(b, rw.ivs[:0])
	ivs = m.hex.find(b, ivs)
	ivs = rw.findWrapped(m, b, ivs)
	ivs = rw.findDumps(m, b, ivs)
	w := m.reach + 1
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
	// References of visible characters are looked for only if a secret
	// holds a character that escapers write as one: otherwise every
	// escaper writes the secret as it is, and reading every '&' would be
	// a twentieth of the writer's time. References of invisible
	// characters (&#8203;, &ZeroWidthSpace;) are looked for always, but
	// only after a byte of the patterns.
	ivs = rw.findSpliced(m, b, '&', false, w, ivs)
	ivs = rw.findSpliced(m, b, esc, false, w, ivs)
	// Ignored control characters and backspaces are hidden in a pass of
	// their own, so that a value that holds one (a NUL) is still found,
	// with colour around it, by the pass before. It runs only while b
	// holds one: each byte of the stream is looked at for them once.
	if from := int(rw.ctlEnd - rw.off); from < len(b) {
		for k := nextIgnored(b, max(from, 0)); k >= 0; k = nextIgnored(b, k+1) {
			rw.ctlAt = rw.off + int64(k) + 1
		}
		rw.ctlEnd = rw.off + int64(len(b))
	}
	if rw.ctlAt > rw.off {
		ivs = rw.findSpliced(m, b, esc, true, w, ivs)
	}
	ivs = slices.DeleteFunc(ivs, func(iv interval) bool { return iv.sec < 0 }) // triggers
	rw.ivs = ivs
	return mergeIntervals(ivs)
}

// findSpliced appends the occurrences in the regions of b within w bytes
// of a character reference (intro '&') or of what a log viewer draws as
// nothing (intro ESC: control sequences and invisible characters), with
// those replaced (see spliced). One pass finds the escapes and builds the
// regions: nearby escapes share one.
//
// Only escapes that can be inside an occurrence count: a reference that
// stands for bytes of the patterns, a run of control sequences and
// invisible characters between two such bytes. In a coloured log most
// sequences sit next to a space or a line break, and in HTML most
// references stand for characters that no secret holds, so most regions
// are never built.
//
// With ctl (intro ESC only), ignored control characters (see
// ignoredControl) are hidden too.
func (rw *RedactWriter) findSpliced(m *matcher, b []byte, intro byte, ctl bool, w int, ivs []interval) []interval {
	s := &rw.spl
	lo, hi, prev := -1, -1, 0 // s holds b[lo:prev] spliced; the region ends at hi
	last := 0                 // the end of the last run spliced
	sc := newEscapeScan(m, b, intro, ctl)
	for i := sc.next(0); i >= 0; {
		var rep string
		n := 0
		if ctl && b[i] == '\b' {
			// Backspaces erase as many characters before them (see
			// erased); the run is those and what is hidden after.
			start, k := erased(b, i, last)
			if start == i {
				i = sc.next(i + k)
				continue
			}
			i, n = start, i+k-start
			for h := hiddenLen(b[i+n:], ctl); h > 0; h = hiddenLen(b[i+n:], ctl) {
				n += h
			}
		} else if (intro == esc || !m.escaped) && i > 0 && !m.used[b[i-1]] {
			// Not inside an occurrence (see inside): no need to read
			// the run. (One right after it then starts a run of its
			// own, which only ever keeps a region.)
			i = sc.next(i + 1)
			continue
		} else if intro == esc {
			for k := hiddenLen(b[i:], ctl); k > 0; k = hiddenLen(b[i+n:], ctl) {
				n += k
			}
		} else {
			rep, n = charRefs(b[i:])
			if rep != "" && !m.escaped {
				n = 0
			}
		}
		// A run that erases characters may begin an occurrence (nroff's
		// "p\bpass"): only what follows it must be a byte of one.
		if n == 0 || !m.inside(b, i, i+n, rep, intro) && !(ctl && bytes.IndexByte(b[i:i+n], '\b') >= 0 && (i+n == len(b) || m.used[b[i+n]])) {
			i = sc.next(i + max(n, 1))
			continue
		}
		if lo >= 0 && i-w > hi {
			ivs = s.find(m, b[lo:hi], prev-lo, lo, ivs)
			lo = -1
		}
		if lo < 0 {
			lo, prev = max(i-w, 0), max(i-w, 0)
			s.b, s.edits = s.b[:0], s.edits[:0]
		}
		s.add(b[lo:], prev-lo, i-lo, i+n-lo, rep)
		prev, hi, last = i+n, min(i+n+w, len(b)), i+n
		i = sc.next(prev)
	}
	if lo >= 0 {
		ivs = s.find(m, b[lo:hi], prev-lo, lo, ivs)
	}
	return ivs
}

// inside reports whether the escape at b[i:e] can be inside an occurrence
// of m's patterns: a character reference whose character's bytes occur in
// them, or a run of control sequences and invisible characters (or of
// references of invisible characters) with such a byte on either side (or the end of b, where the bytes are not known
// yet).
func (m *matcher) inside(b []byte, i, e int, rep string, intro byte) bool {
	if intro != esc && rep != "" {
		for k := range len(rep) {
			if !m.used[rep[k]] {
				return false
			}
		}
		return true
	}
	return (i == 0 || m.used[b[i-1]]) && (e == len(b) || m.used[b[e]])
}

// escapeScan finds the escapes findSpliced reads in b, in order: each
// intro byte, and for intro ESC each invisible character too (and with ctl
// each ignored control character). It keeps the
// next of each kind, so that b is searched for each kind once.
type escapeScan struct {
	m     *matcher
	b     []byte
	intro byte
	at    int // the next intro at or after the last position asked for, or -1
	inv   int // the next invisible character likewise (see nextInvisible), or -1 (always for '&')
	ctl   int // the next ignored control character likewise (see nextIgnored), or -1 (always for '&')
}

func newEscapeScan(m *matcher, b []byte, intro byte, ctl bool) escapeScan {
	s := escapeScan{m: m, b: b, intro: intro, at: indexFrom(b, 0, intro), inv: -1, ctl: -1}
	if intro == esc {
		s.inv = nextInvisible(m, b, 0)
		if ctl {
			s.ctl = nextIgnored(b, 0)
		}
	}
	return s
}

// next returns the first escape at or after i, or -1. i never decreases
// from one call to the next.
func (s *escapeScan) next(i int) int {
	if s.at >= 0 && s.at < i {
		s.at = indexFrom(s.b, i, s.intro)
	}
	if s.inv >= 0 && s.inv < i {
		s.inv = nextInvisible(s.m, s.b, i)
	}
	if s.ctl >= 0 && s.ctl < i {
		s.ctl = nextIgnored(s.b, i)
	}
	first := s.at
	if s.inv >= 0 && (first < 0 || s.inv < first) {
		first = s.inv
	}
	if s.ctl >= 0 && (first < 0 || s.ctl < first) {
		first = s.ctl
	}
	return first
}

// hiddenLen returns the length of the control sequence (see controlLen),
// with ctl of the ignored control character (see ignoredControl), or of
// the invisible character (see invisibleLen) at the start of b, or 0.
func hiddenLen(b []byte, ctl bool) int {
	if n := controlLen(b); n > 0 {
		return n
	}
	if ctl && len(b) > 0 && ignoredControl[b[0]] {
		return 1
	}
	return invisibleLen(b)
}

// ignoredControl marks the C0 control characters, and DEL, that a terminal
// neither draws nor moves the cursor for (xterm, VTE): NUL, BEL, SO, SI,
// CAN, SUB and the rest, all but \b, \t, \n, \v, \f, \r and ESC. A value
// with them between its characters shows whole in a terminal (cat of a
// raw log, kubectl logs) and in web viewers that drop them, so they are
// hidden bytes, as invisible characters are, one byte each.
var ignoredControl = func() (t [256]bool) {
	for c := range 0x20 {
		t[c] = true
	}
	for _, c := range []byte{'\b', '\t', '\n', '\v', '\f', '\r', esc} {
		t[c] = false
	}
	t[0x7f] = true
	return t
}()

// erased returns where the characters the run of backspaces at b[i:]
// erases start, no earlier than last, and how many backspaces the run
// holds. A terminal moves the cursor back a cell for each and draws the
// next character over the one there, so "X\b" draws nothing, and a value
// with junk and as many backspaces between its characters (or nroff's
// overstruck "c\bc" and "_\bc") shows whole.
func erased(b []byte, i, last int) (start, k int) {
	for i+k < len(b) && b[i+k] == '\b' {
		k++
	}
	start = i
	for range k {
		if start <= last {
			break
		}
		start--
		for start > last && b[start]&0xC0 == 0x80 {
			start--
		}
	}
	return start, k
}

// nextIgnored returns the index of the first byte of b at or after i that
// ignoredControl marks, or a backspace, or -1. It tests eight bytes at a
// time (see ctlBytes).
func nextIgnored(b []byte, i int) int {
	for ; i+8 <= len(b); i += 8 {
		for c := ctlBytes(binary.LittleEndian.Uint64(b[i:])); c != 0; c &= c - 1 {
			if k := i + bits.TrailingZeros64(c)>>3; ignoredControl[b[k]] || b[k] == '\b' {
				return k
			}
		}
	}
	for ; i < len(b); i++ {
		if ignoredControl[b[i]] || b[i] == '\b' {
			return i
		}
	}
	return -1
}

// ctlBytes returns the high bit of each byte of x (little-endian) that is
// below 0x20 or DEL, and perhaps of some bytes after such a byte (a borrow
// runs on): the candidates nextIgnored checks. It is a few operations a
// word; a word with a line break costs a look at that byte.
func ctlBytes(x uint64) uint64 {
	const ones, high = 0x0101010101010101, 0x8080808080808080
	y := x ^ (0x7f * ones)
	return ((x - 0x20*ones) | (y - ones)) &^ (x & y) & high
}

// Invisible characters are the ones Unicode calls default-ignorable: a
// browser draws them as nothing, so a web log viewer draws a value with
// them between its characters as the value itself. A job that prints its
// secret with a zero-width space between every two characters (or a soft
// hyphen, a word joiner, a BOM, a bidi control, a variation selector, a tag
// character) shows it whole. They are removed as control sequences are,
// in the same pass: they stand for nothing, and what the writer writes out
// keeps them (a mask takes those inside a value with it).
//
// The pass must cost next to nothing on a log without them, which is
// nearly every log: nextInvisible skips ASCII 64 bytes at a time, and
// outside ASCII reads a character of the BMP (where all but a few rare
// ones are) with a look-up in a bitset. Decoding every character outside
// ASCII and testing it instead cost a third of the writer's time.

// invisibleRanges are the default-ignorable code points, in order
// (Unicode's DerivedCoreProperties.txt, Default_Ignorable_Code_Point).
var invisibleRanges = [...][2]rune{
	{0x00AD, 0x00AD}, {0x034F, 0x034F}, {0x061C, 0x061C}, {0x115F, 0x1160}, {0x17B4, 0x17B5},
	{0x180B, 0x180F}, {0x200B, 0x200F}, {0x202A, 0x202E}, {0x2060, 0x206F}, {0x3164, 0x3164},
	{0xFE00, 0xFE0F}, {0xFEFF, 0xFEFF}, {0xFFA0, 0xFFA0}, {0xFFF0, 0xFFF8}, {0x1BCA0, 0x1BCA3},
	{0x1D173, 0x1D17A}, {0xE0000, 0xE0FFF},
}

// invisibleBMP marks the invisible characters of the BMP: 8 KiB, which
// stays in L1.
var invisibleBMP = func() (t [1 << 16 / 64]uint64) {
	for _, g := range invisibleRanges {
		for r := g[0]; r <= min(g[1], 0xFFFF); r++ {
			t[r>>6] |= 1 << (r & 63)
		}
	}
	return t
}()

// invisiblePairs marks the first two bytes of the UTF-8 of each invisible
// character (first byte high): 8 KiB. Testing them before decoding turns
// away most characters outside ASCII without a call.
var invisiblePairs = func() (t [1 << 16 / 64]uint64) {
	var u [utf8.UTFMax]byte
	for _, g := range invisibleRanges {
		for r := g[0]; r <= g[1]; r++ {
			utf8.EncodeRune(u[:], r)
			k := uint16(u[0])<<8 | uint16(u[1])
			t[k>>6] |= 1 << (k & 63)
		}
	}
	return t
}()

// mayBeInvisible reports whether b[k:] can start an invisible character
// (see invisiblePairs); invisibleLen says whether it does.
func mayBeInvisible(b []byte, k int) bool {
	if k+1 >= len(b) {
		return false
	}
	p := uint16(b[k])<<8 | uint16(b[k+1])
	return invisiblePairs[p>>6]&(1<<(p&63)) != 0
}

// invisible reports whether r is a default-ignorable code point.
func invisible(r rune) bool {
	if r <= 0xFFFF {
		return r >= 0 && invisibleBMP[r>>6]&(1<<(r&63)) != 0
	}
	return r >= 0x1BCA0 && r <= 0x1BCA3 || r >= 0x1D173 && r <= 0x1D17A || r >= 0xE0000 && r <= 0xE0FFF
}

// invisibleLen returns the length of the invisible character at the start
// of b, or 0 (also for one whose UTF-8 is cut short by the end of b: the
// writer holds it back until the rest arrives). Characters of two and
// three bytes are decoded here, as the bitset lookup costs less than
// utf8.DecodeRune; invalid UTF-8 is never invisible.
func invisibleLen(b []byte) int {
	if len(b) < 2 || b[0] < 0xC2 || b[1]&0xC0 != 0x80 {
		return 0
	}
	switch c := b[0]; {
	case c < 0xE0:
		if invisible(rune(c&0x1F)<<6 | rune(b[1]&0x3F)) {
			return 2
		}
	case c < 0xF0:
		if len(b) >= 3 && b[2]&0xC0 == 0x80 && (c != 0xE0 || b[1] >= 0xA0) && (c != 0xED || b[1] < 0xA0) &&
			invisible(rune(c&0x0F)<<12|rune(b[1]&0x3F)<<6|rune(b[2]&0x3F)) {
			return 3
		}
	default:
		if r, n := utf8.DecodeRune(b); n == 4 && invisible(r) {
			return 4
		}
	}
	return 0
}

// stripInvisible returns f without its invisible characters.
func stripInvisible(f string) string {
	b := make([]byte, 0, len(f))
	for i := 0; i < len(f); i++ {
		if n := invisibleLen([]byte(f[i:min(i+utf8.UTFMax, len(f))])); n > 0 {
			i += n - 1
			continue
		}
		b = append(b, f[i])
	}
	return string(b)
}

// stripIgnored returns f without its ignored control characters (see
// ignoredControl).
func stripIgnored(f string) string {
	b := make([]byte, 0, len(f))
	for i := range len(f) {
		if !ignoredControl[f[i]] {
			b = append(b, f[i])
		}
	}
	return string(b)
}

// nextInvisible returns the index of the first invisible character in b at
// or after i that follows a byte of m's patterns (or starts b), or -1: no
// other can be inside an occurrence (see findSpliced). When every byte of
// the patterns is ASCII, the candidates in text outside ASCII are the few
// places where ASCII gives way to it, found eight bytes at a time rather
// than by reading every character.
func nextInvisible(m *matcher, b []byte, i int) int {
	for i < len(b) {
		if i+64 <= len(b) && ascii64(b[i:i+64:i+64]) {
			i += 64
			continue
		}
		end := min(i+64, len(b))
		if !m.nonASCII {
			for ; i+8 <= end; i += 8 {
				if binary.LittleEndian.Uint64(b[i:])&0x8080808080808080 == 0 {
					continue // ASCII: no call
				}
				if k := m.invisibleAfterASCII(b, i); k >= 0 {
					return k
				}
			}
		}
		for ; i < end; i++ {
			if mayBeInvisible(b, i) && (i == 0 || m.used[b[i-1]]) && invisibleLen(b[i:]) > 0 {
				return i
			}
		}
	}
	return -1
}

// invisibleAfterASCII returns the index of the first invisible character
// in b[i:i+8] that follows a byte of m's patterns (or starts b), or -1,
// for m whose patterns are ASCII.
func (m *matcher) invisibleAfterASCII(b []byte, i int) int {
	h := binary.LittleEndian.Uint64(b[i:]) & 0x8080808080808080
	if h == 0 {
		return -1
	}
	var carry uint64
	if i > 0 && b[i-1] >= 0x80 {
		carry = 0x80
	}
	for t := h &^ (h<<8 | carry); t != 0; t &= t - 1 {
		k := i + bits.TrailingZeros64(t)>>3
		if mayBeInvisible(b, k) && (k == 0 || m.used[b[k-1]]) && invisibleLen(b[k:]) > 0 {
			return k
		}
	}
	return -1
}

// ascii64 reports whether the 64 bytes of c are all ASCII: eight words
// tested at once, which is as fast as the byte searches of the other
// passes.
func ascii64(c []byte) bool {
	_ = c[63]
	le := binary.LittleEndian
	w := le.Uint64(c[0:]) | le.Uint64(c[8:]) | le.Uint64(c[16:]) | le.Uint64(c[24:]) |
		le.Uint64(c[32:]) | le.Uint64(c[40:]) | le.Uint64(c[48:]) | le.Uint64(c[56:])
	return w&0x8080808080808080 == 0
}

// findDecoded appends the occurrences in rw.dec, a decoded region that
// starts at base in the bytes being searched, as intervals of those bytes.
func (rw *RedactWriter) findDecoded(m *matcher, ivs []interval, base int) []interval {
	k := len(ivs)
	return rw.dec.mapBack(m.find(rw.dec.b, ivs), k, base)
}

// mapBack turns ivs[k:], intervals of d.b, into intervals of the bytes d
// was decoded from, whose region starts at base.
func (d *decoded) mapBack(ivs []interval, k, base int) []interval {
	for i := k; i < len(ivs); i++ {
		iv := &ivs[i]
		iv.start, iv.end = base+int(d.from[iv.start]), base+int(d.to[iv.end-1])
	}
	return ivs
}

// Wrapped base64. Encoders that write base64 for people or for mail wrap
// it into lines of a fixed width: 76 (MIME: GNU base64, Python's
// encodebytes, Java's MIME encoder, Perl's MIME::Base64, PHP's
// chunk_split), 64 (PEM: openssl base64, certutil) or 60 (Ruby's
// Base64.encode64). GNU base32 and basenc wrap base32 at 76 too, and .NET
// (InsertLineBreaks) base64 of UTF-16LE; base32 characters are base64
// characters, so wrapSep reads their lines as well. The line breaks fall
// anywhere in the encoding of a value, so none of its patterns occurs
// whole.
//
// Scanning the stream for such lines would cost a sixth of the writer's
// time, so the matcher finds them at almost no cost instead. Besides each
// fragment that may be wrapped (standard base64 of a form and of its
// UTF-16LE, base32 of a form) it matches blocks of the
// fragment, which serve only as triggers: around a trigger the writer finds
// the line breaks (wrapSep), joins the lines and searches them again. A
// fragment broken by line breaks at least minWrap apart leaves a block
// whole, unless it is broken once with both parts shorter than a block;
// that case is matched as spelled with an LF break at each such place (the
// spellings add windows to the matcher's filters, which CRLF, indented,
// prefixed and space breaks too would multiply; they are left unmasked
// there and listed in the package documentation). See wrapPatterns.
const (
	minWrap       = 60
	maxWrap       = 76
	maxWrapIndent = 16
	// maxWrapPrefix bounds the text a log multiplexer writes before each
	// line (see isLinePrefix); GitHub Actions' timestamp takes 29 bytes.
	maxWrapPrefix = 40
	// maxWrapBlock bounds the length of a block: blocks start every
	// minWrap-len+1 bytes, so longer ones would be many.
	maxWrapBlock = 48
	// wrapHold is the least hold-back that keeps the line before every
	// line break in an occurrence, with its prefix and the byte before
	// that, in the writer's buffer, so that breaks are recognised the same
	// way however the stream is cut into writes.
	wrapHold = maxWrap + maxWrapPrefix + 2
)

// trigger is the owner of a block pattern of secret sec: a negative number,
// so that it is never taken for a secret.
func trigger(sec int32) int32 { return -1 - sec }

// wrapPatterns returns the patterns of real, with their owners, and the
// patterns that find the fragments frags wrapped into lines: blocks
// of each fragment, owned by a trigger, and its spellings broken once by an
// LF where both parts are shorter than a block, owned by its secret.
//
// A block is as long as the shortest pattern of real, which sets the
// matcher's stride, so the stride does not shrink (unless that is longer
// than maxWrapBlock). Blocks start every minWrap-len+1 bytes and at the end
// of the fragment: a line of at least minWrap bytes inside the fragment
// holds one, and a fragment broken once holds one in the part before or
// after the break unless both are shorter than a block. A block adds at
// most a stride of windows to the matcher's filters (see matcher), a
// fragment has a few; the spellings add four each (their other windows are
// the fragment's), for fragments shorter than two blocks only.
func wrapPatterns(frags, real map[string]int32) ([]string, []int32) {
	pats, owner := flatten(real)
	if len(pats) == 0 {
		return pats, owner
	}
	blk := maxWrapBlock
	for _, p := range pats {
		blk = min(blk, len(p))
	}
	step := minWrap - blk + 1
	seen := map[string]bool{}
	add := func(p string, o int32) {
		if _, ok := real[p]; !ok && !seen[p] {
			seen[p] = true
			pats, owner = append(pats, p), append(owner, o)
		}
	}
	for f, sec := range frags {
		n := len(f) // >= blk: f is one of the patterns
		for p := 0; p+blk <= n; p += step {
			add(f[p:p+blk], trigger(sec))
		}
		add(f[n-blk:], trigger(sec))
		for a := max(n-blk+1, 1); a < blk; a++ {
			add(f[:a]+"\n"+f[a:], sec)
		}
	}
	return pats, owner
}

func isWrapWidth(n int) bool { return n == 60 || n == 64 || n == 76 }

// base64Std marks the bytes of the standard base64 alphabet.
var base64Std = func() (t [256]bool) {
	for _, c := range []byte("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/") {
		t[c] = true
	}
	return t
}()

// span is a line break of wrapped lines at b[start:end].
type span struct{ start, end int }

// wrapSep returns the end of the line break at b[i], or 0 if b[i] does not
// start one: the line before it ends in a run of exactly a wrap width of
// base64 characters (which starts after b[0], or at it when atStart says b
// starts the stream), and it is "\n" or "\r\n" and either a line prefix as
// long as the text before that run (see isLinePrefix) or up to
// maxWrapIndent spaces or tabs (an indented YAML block), or a single space
// (lines the shell joined), followed by a base64 character.
func wrapSep(b []byte, i int, atStart bool) int {
	n := 0
	for n <= maxWrap && n < i && base64Std[b[i-n-1]] {
		n++
	}
	if !isWrapWidth(n) || n == i && !atStart {
		return 0
	}
	pre := prefixLen(b, i-n, atStart)
	switch {
	case b[i] == ' ' || b[i] == '\n':
		i++
	case b[i] == '\r' && i+1 < len(b) && b[i+1] == '\n':
		i += 2
	default:
		return 0
	}
	switch {
	case b[i-1] != '\n':
	case pre > 0 && i+pre <= len(b) && isLinePrefix(b[i:i+pre]):
		i += pre
	default:
		for k := 0; k < maxWrapIndent && i < len(b) && (b[i] == ' ' || b[i] == '\t'); k++ {
			i++
		}
	}
	if i < len(b) && base64Std[b[i]] {
		return i
	}
	return 0
}

// prefixLen returns how many bytes of b's line that holds b[s] come before
// it, or -1 if more than maxWrapPrefix do or the line starts before b
// (unless atStart says b starts the stream).
func prefixLen(b []byte, s int, atStart bool) int {
	for k := 0; k <= maxWrapPrefix && k <= s; k++ {
		if k == s {
			if atStart {
				return k
			}
			return -1
		}
		if b[s-k-1] == '\n' {
			return k
		}
	}
	return -1
}

// isLinePrefix reports whether p is what a log multiplexer writes before
// each line of output (GitHub Actions' and GitLab's timestamps, BuildKit's
// "#7 0.254 ", docker compose's "web-1  | ", kubectl logs --prefix), or
// indentation: text without a line break that ends in a space or a tab and
// is all spaces and tabs or holds a character that is not base64, '=', a
// space or a tab. A base64 line never ends in a space, and a short last line
// followed by text on the same line is not read as a prefix: its bytes
// before the space are all base64 and '='.
func isLinePrefix(p []byte) bool {
	if c := p[len(p)-1]; c != ' ' && c != '\t' {
		return false
	}
	blank, other := true, false
	for _, c := range p {
		switch {
		case c == '\n' || c == '\r':
			return false
		case c == ' ' || c == '\t':
		case base64Std[c] || c == '=':
			blank = false
		default:
			blank, other = false, true
		}
	}
	return blank || other
}

// findWrapped appends the occurrences in b of base64 forms wrapped into
// lines, found around the triggers among ivs: the lines near a trigger are
// joined again and searched, and what is found there is kept if it holds a
// trigger. (Triggers are dropped from ivs by find.)
func (rw *RedactWriter) findWrapped(m *matcher, b []byte, ivs []interval) []interval {
	trig, found := rw.trig[:0], rw.found[:0]
	for _, iv := range ivs {
		if iv.sec < 0 {
			trig = append(trig, iv)
		} else {
			found = append(found, iv)
		}
	}
	if len(trig) > 0 {
		// A trigger inside what was found is a block of a fragment that
		// occurred whole: there is no line break to look for.
		found = mergeIntervals(found)
		trig = slices.DeleteFunc(trig, func(t interval) bool {
			k, _ := slices.BinarySearchFunc(found, t.start+1, func(f interval, s int) int { return cmp.Compare(f.start, s) })
			return k > 0 && found[k-1].end >= t.end
		})
	}
	rw.trig, rw.found = trig, found
	if len(trig) == 0 {
		return ivs
	}
	slices.SortFunc(trig, func(a, b interval) int { return cmp.Compare(a.start, b.start) })
	// The line breaks of an occurrence that holds a trigger lie within a
	// hold-back of it, and the line before each break within a line more.
	seps := rw.seps[:0]
	for i := 0; i < len(trig); {
		lo, hi := max(trig[i].start-m.reach-maxWrap-2, 0), min(trig[i].end+m.reach, len(b))
		j := i + 1
		for ; j < len(trig) && trig[j].start-m.reach-maxWrap-2 <= hi; j++ {
			hi = max(hi, min(trig[j].end+m.reach, len(b)))
		}
		for p := lo; p < hi; p++ {
			if c := b[p]; c == '\n' || c == '\r' || c == ' ' {
				if k := wrapSep(b, p, rw.off == 0); k > 0 {
					seps = append(seps, span{p, k})
					p = k - 1
				}
			}
		}
		i = j
	}
	rw.seps = seps
	w := m.reach + 1
	for i := 0; i < len(seps); {
		lo, hi := max(seps[i].start-w, 0), min(seps[i].end+w, len(b))
		j := i + 1
		for ; j < len(seps) && seps[j].start-w <= hi; j++ {
			hi = min(seps[j].end+w, len(b))
		}
		d := &rw.dec
		d.reset()
		for x, k := lo, i; x < hi; {
			if k < j && x == seps[k].start {
				x = seps[k].end
				k++
				continue
			}
			d.add(b[x], x-lo, x-lo+1)
			x++
		}
		k := len(ivs)
		ivs = keepTriggered(d.mapBack(m.find(d.b, ivs), k, lo), k, trig)
		i = j
	}
	return ivs
}

// keepTriggered keeps of ivs[k:], found by joining lines, what holds one
// of trig, sorted by start: what is found only by joining lines is then
// found however the stream is cut into writes.
func keepTriggered(ivs []interval, k int, trig []interval) []interval {
	n := k
	for _, iv := range ivs[k:] {
		if iv.sec >= 0 && holdsTrigger(trig, iv) {
			ivs[n] = iv
			n++
		}
	}
	return ivs[:n]
}

// holdsTrigger reports whether iv contains one of trig, sorted by start.
func holdsTrigger(trig []interval, iv interval) bool {
	k, _ := slices.BinarySearchFunc(trig, iv.start, func(t interval, s int) int { return cmp.Compare(t.start, s) })
	for ; k < len(trig) && trig[k].start < iv.end; k++ {
		if trig[k].end <= iv.end {
			return true
		}
	}
	return false
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

// mergeIntervals sorts ivs and merges those that overlap or touch. A
// merged interval keeps the secret of its longest part (the earliest of
// equal ones, then the lowest secret): secrets can share a pattern (two
// PEM keys of one kind share their first line), found where the whole of
// either starts, and the token must name the secret that appeared, the
// whole match, not whichever shared part sorted first.
func mergeIntervals(ivs []interval) []interval {
	if len(ivs) < 2 {
		return ivs
	}
	slices.SortFunc(ivs, func(a, b interval) int {
		return cmp.Or(cmp.Compare(a.start, b.start), cmp.Compare(b.end, a.end), cmp.Compare(a.sec, b.sec))
	})
	out := ivs[:1]
	longest := ivs[0].end - ivs[0].start // of the parts of out's last interval
	for _, iv := range ivs[1:] {
		last := &out[len(out)-1]
		if iv.start > last.end {
			out = append(out, iv)
			longest = iv.end - iv.start
			continue
		}
		last.end = max(last.end, iv.end)
		if n := iv.end - iv.start; n > longest {
			last.sec, longest = iv.sec, n
		}
	}
	return out
}
