package secrets

import (
	"bytes"
	"cmp"
	"html"
	"slices"
	"strings"
	"unicode/utf8"
)

// The redactor matches escaped forms of a value by decoding the stream, not
// by listing every escaped spelling: encoders disagree on which characters
// they leave raw (encodeURIComponent leaves !'()* raw, Python's quote leaves
// /, PHP's urlencode escapes ~), on hex case, and on which characters JSON
// escapes (Python escapes every non-ASCII character, Go escapes <>&, any
// encoder may write any character as \uXXXX). Listing them is exponential in
// the number of such characters; decoding is linear.
//
// Only the parts of the stream near an escape are decoded: an encoded
// occurrence that differs from the raw value (other than by shell quote
// splices alone, which are matched as they are, see variants) contains at
// least one escape introducer ('%' followed by two hex digits or by u and
// four, '\', '&' starting an HTML character reference, or ESC starting a
// terminal control sequence), and is at most maxExpand times longer than
// the value, so it lies within that distance of the introducer. Nearby
// introducers share one region, so every byte is decoded at most once per
// decoder mode, and a region is decoded only in the modes its escapes call
// for (see percentModes and backslashModes): at most eight.

// maxExpand bounds how many stream bytes an escaped form may spend on one
// byte of a value: six covers \u00XX for every byte (JSON's longest spelling
// of an ASCII character), and with it %XX, %25XX, \xHH, octal \NNN,
// surrogate pairs and \U0001XXXX for the characters real encoders write that
// way, &quot; and &#126;, decimal bytes ("-128, "), and a five-byte colour
// sequence (ESC [31m) before every byte.
const maxExpand = 6

// decoded is a decoded region: b[i] came from the source bytes
// [from[i], to[i]) of the region. With text (escaped text, not the bytes
// of a hex dump or of base64 lines) it holds no invisible characters (see
// dropInvisible).
type decoded struct {
	b        []byte
	from, to []int32
	text     bool
}

func (d *decoded) reset() {
	d.b, d.from, d.to, d.text = d.b[:0], d.from[:0], d.to[:0], false
}

func (d *decoded) add(c byte, from, to int) {
	d.b = append(d.b, c)
	d.from = append(d.from, int32(from))
	d.to = append(d.to, int32(to))
	if c >= 0x80 && c < 0xC0 && d.text {
		d.dropInvisible()
	}
}

// dropInvisible drops the character d.b ends with if it is invisible (see
// invisible), as the writer removes raw ones: a log viewer decodes \u200b,
// \x{200b}, %E2%80%8B or \342\200\213 between a value's characters and
// draws the result as nothing. Its source bytes still go with a mask
// around it, as the next byte's from and the previous byte's to span
// them.
func (d *decoded) dropInvisible() {
	n := len(d.b)
	for k := n - 2; k >= max(n-utf8.UTFMax, 0); k-- {
		if c := d.b[k]; c < 0x80 {
			return
		} else if c >= 0xC0 {
			if invisibleLen(d.b[k:]) == n-k {
				d.b, d.from, d.to = d.b[:k], d.from[:k], d.to[:k]
			}
			return
		}
	}
}

func (d *decoded) addRune(r rune, from, to int) {
	var tmp [utf8.UTFMax]byte
	for _, c := range utf8.AppendRune(tmp[:0], r) {
		d.add(c, from, to)
	}
}

// Decoder modes. A region is decoded once per mode that applies to it
// (see RedactWriter.find); each mode is one encoder family, or one chain of
// encoders that real code writes.
const (
	// decPercent decodes %XX, either hex case.
	decPercent = 1 << iota
	// decPlus decodes '+' as a space (HTML form encoding).
	decPlus
	// decBackslash decodes backslash escapes (see escape).
	decBackslash
	// decLatin1 reads \xHH and %HH above 0x7F as the character U+00HH, not
	// the byte, and decodes %uXXXX: Python's str repr, ascii() and
	// unicode_escape and JavaScript's string literals write "ä" as \xe4,
	// and JavaScript's escape() writes it as %E4 (and "€" as %u20AC),
	// where Go, C and the shell mean the byte 0xE4.
	decLatin1
	// decSplice decodes the shell's quote splices inside backslash-escaped
	// text: '\'' and '"'"' as a quote, and a newline between quotes (as
	// Ruby's Shellwords.escape writes one) as a newline. Plain decoding
	// reads '\'' as three quotes, which misses a JSON string of a value
	// with a quote that the shell then quoted (bash's set -x).
	decSplice
	// decShell decodes a shell word as the shell reads it: text in '…'
	// stands for itself, backslash escapes are decoded outside quotes and
	// in $'…', and the quotes stand for nothing. GNU coreutils' shell-escape
	// quoting (printf %q as /usr/bin/printf or env printf, ls, and the file
	// names in the diagnostics of rm, cp, mv, stat …) writes a value with
	// characters it cannot print as '…' and $'…' runs side by side:
	// 'Gr'$'\303\274''e' for "Grüe" in the C locale, and zsh's ${(q)v}
	// writes a\ b$'\n'c. With decQuoted the region is read as starting
	// inside '…' (of the two readings, one is in step where the value's
	// word starts unless quotes before it in the region were in $'…'), and
	// either way '$'\ (closing '…' and opening $'…') puts the reader back
	// in step.
	decShell
	decQuoted
	// decWords, with decShell, reads every space and line break as the end
	// of a word, even where the reader takes itself to be in quotes: a
	// backslash before a quote in the text before the value, which the
	// shell would not pair as it is written (a Python string 'it\'s'),
	// puts both other readings out of step, but coreutils writes the value
	// as a word of its own, after a space or at the start of a line, and
	// never with a space in $'…'. A value with a space in '…' is left to
	// the other readings.
	decWords
	// decStarts, with decShell, reads a space or line break followed by a
	// quote as the start of a word, where coreutils starts the value's
	// word. A quote splice or a switch to $'…' in the text before the
	// value (coreutils' own, of another value) is read the same way from
	// inside and outside quotes, so past it the two readings from the
	// region's start agree, and an apostrophe after it puts both out of
	// step; unlike decWords this keeps a value's '…' holding a space (the
	// '…' of coreutils never holds a space followed by a quote that does
	// not close the value or start a splice or a switch, which read the
	// same from either state).
	decStarts
	// decProse, with decShell, reads an apostrophe between two ASCII
	// letters as itself: prose (couldn't, it's) before the value, where
	// no shell quoter puts a quote, would otherwise open '…' for every
	// reading, after a quote splice has put the readings in step with
	// each other (zsh's ${(q-)v} writes a value with a space as it\''s a,
	// with no quote after the space for decStarts to go by).
	decProse
	// decTwice also decodes %25XX as the byte XX: a value percent-encoded
	// twice. A URL with an encoded password in a query parameter (a
	// redirect or callback URL) is encoded again, and GitHub Actions writes
	// '%' as %25 in the messages of its workflow commands (::warning::,
	// ::error::, ::debug::), so a URL that @actions/core logs so reads
	// p%2540ss for "p@ss". (A space the first encoder wrote as '+' and
	// the second as %2B decodes to '+', which variants matches.)
	decTwice
)

// esc starts a terminal control sequence.
const esc = 0x1b

// regions calls fn for each region of b within w bytes of an escape
// introducer of the given kind, merging regions that overlap. For '%' the
// introducer is %XX or %uXXXX (JavaScript's escape()).
func regions(b []byte, intro byte, w int, fn func(start, end int)) {
	start, end := -1, -1
	for i := 0; i < len(b); {
		k := bytes.IndexByte(b[i:], intro)
		if k < 0 {
			break
		}
		t := i + k
		i = t + 1
		if intro == '%' && !isPercentEscape(b[t:]) && !isPercentU(b[t:]) {
			continue
		}
		lo, hi := max(t-w, 0), min(t+w+1, len(b))
		if start >= 0 && lo <= end {
			end = hi
			continue
		}
		if start >= 0 {
			fn(start, end)
		}
		start, end = lo, hi
	}
	if start >= 0 {
		fn(start, end)
	}
}

// isPercentEscape reports whether b starts with %XX.
func isPercentEscape(b []byte) bool {
	return len(b) >= 3 && b[0] == '%' && isHex(b[1]) && isHex(b[2])
}

// isTwice reports whether b starts with %25XX, %XX percent-encoded again.
func isTwice(b []byte) bool {
	return len(b) >= 5 && b[0] == '%' && b[1] == '2' && b[2] == '5' && isHex(b[3]) && isHex(b[4])
}

// isPercentU reports whether b starts with %uXXXX.
func isPercentU(b []byte) bool {
	if len(b) < 6 || b[0] != '%' || b[1] != 'u' {
		return false
	}
	_, n := hexRun(b[2:6], 4, 4)
	return n == 4
}

// percentModes appends to modes the modes, besides decPercent alone, that
// a region with percent escapes needs: decPlus if it holds a '+',
// decLatin1 if it holds %uXXXX or %XX above 0x7F that do not spell UTF-8,
// decTwice if it holds %25XX.
func percentModes(src []byte, modes []int) []int {
	for i, k := 0, 0; k >= 0; i += k + 1 {
		// bytes.Index rather than a look at every '%': in a region that
		// is all escapes, that would cost a tenth of its decoding.
		if k = bytes.Index(src[i:], []byte("%25")); k >= 0 && isTwice(src[i+k:]) {
			modes = append(modes, decPercent|decTwice)
			break
		}
	}
	if bytes.IndexByte(src, '+') >= 0 {
		modes = append(modes, decPercent|decPlus)
	}
	if hasLatin1(src, '%') {
		modes = append(modes, decPercent|decLatin1)
	}
	return modes
}

// backslashModes appends to modes the modes, besides decBackslash alone,
// that a region with backslashes needs: decLatin1 if it holds \xHH above
// 0x7F that do not spell UTF-8; decPercent if it also holds %XX (a
// percent-encoded value in a JSON or shell string: Go's json.Marshal writes
// the '&' that PathEscape left raw as \u0026, PHP's json_encode the '/'
// that Python's quote left raw as \/, printf %q the !'()* that
// encodeURIComponent left raw as \! and so on); decSplice if it holds a
// quote splice.
func backslashModes(src []byte, modes []int) []int {
	if hasLatin1(src, '\\') {
		modes = append(modes, decBackslash|decLatin1)
	}
	for i := indexFrom(src, 0, '%'); i >= 0; i = indexFrom(src, i+1, '%') {
		if isPercentEscape(src[i:]) {
			modes = append(modes, decBackslash|decPercent)
			break
		}
	}
	if bytes.Contains(src, []byte(`'\''`)) || bytes.Contains(src, []byte(`'"'"'`)) || bytes.Contains(src, []byte("'\n'")) {
		modes = append(modes, decBackslash|decSplice)
	}
	// zsh's ${(q)v} and ${(q-)v} write a quote outside quotes as \', and
	// coreutils switches to $'…': either way the shell's reading of the
	// quotes is needed.
	ansiC, stray := bytes.Contains(src, []byte("$'")), strayQuote(src)
	if ansiC || stray {
		modes = append(modes, decShell)
		// Read from inside '…' as well where a closing quote or an
		// apostrophe the shell would not pair (it's, or one right
		// before a value zsh wrote starting with \') can put the reading
		// from outside out of step, with nothing in the value's word to
		// put it back.
		if stray || bytes.Contains(src, []byte(`'$'`)) {
			modes = append(modes, decShell|decQuoted)
		}
		if stray {
			modes = append(modes, decShell|decWords)
		}
		if ansiC {
			modes = append(modes, decShell|decStarts)
		}
		if proseQuote(src) {
			modes = append(modes, decShell|decProse)
		}
	}
	return modes
}

// strayQuote reports whether src holds a backslash before a quote other
// than in a quote spliced into '…' as the shell and coreutils write one
// (quote, backslash, quote, quote): text whose quotes the shell would not
// pair as written (see decWords).
func strayQuote(src []byte) bool {
	for i, k := 0, 0; k >= 0; i += k + 1 {
		if k = bytes.Index(src[i:], []byte(`\'`)); k >= 0 {
			if j := i + k; j == 0 || src[j-1] != '\'' || j+2 >= len(src) || src[j+2] != '\'' {
				return true
			}
		}
	}
	return false
}

// proseQuote reports whether src holds an apostrophe between two ASCII
// letters (see decProse).
func proseQuote(src []byte) bool {
	for i := indexFrom(src, 0, '\''); i >= 0; i = indexFrom(src, i+1, '\'') {
		if isProse(src, i) {
			return true
		}
	}
	return false
}

// isProse reports whether the apostrophe at src[i] is between two ASCII
// letters.
func isProse(src []byte, i int) bool {
	return i > 0 && i+1 < len(src) && isLetter(src[i-1]) && isLetter(src[i+1])
}

func isLetter(c byte) bool { return c|0x20 >= 'a' && c|0x20 <= 'z' }

// hasLatin1 reports whether src holds escapes (%XX, or \xHH for intro
// '\\') of bytes above 0x7F that do not spell UTF-8, which an encoder that
// writes characters up to U+00FF as one escape wrote (or, for '%', a
// %uXXXX). Escapes that do spell UTF-8 are read as bytes only: reading
// them as Latin-1 as well would cost a decoding pass of every region with
// a percent-encoded non-ASCII character, for a value holding a Latin-1
// letter from Â to ô followed by a character from U+0080 to U+00BF.
func hasLatin1(src []byte, intro byte) bool {
	for i := indexFrom(src, 0, intro); i >= 0; {
		if intro == '%' && isPercentU(src[i:]) {
			return true
		}
		var seq [utf8.UTFMax]byte
		k, j := 0, i
		for k < len(seq) {
			v, n := escapedByte(src, j, intro)
			if n == 0 || v < 0x80 {
				break
			}
			seq[k], k, j = v, k+1, j+n
			if utf8.FullRune(seq[:k]) {
				break
			}
		}
		if k == 0 {
			j = i + 1
		} else if _, size := utf8.DecodeRune(seq[:k]); size != k || !utf8.Valid(seq[:k]) {
			return true
		}
		i = indexFrom(src, j, intro)
	}
	return false
}

// escapedByte returns the byte that the escape at src[i] stands for, %XX
// for intro '%' or \xHH for intro '\\', and the escape's length, or n == 0
// if there is no such escape at src[i].
func escapedByte(src []byte, i int, intro byte) (v byte, n int) {
	if intro == '%' {
		if isPercentEscape(src[i:]) {
			return unhex(src[i+1])<<4 | unhex(src[i+2]), 3
		}
		return 0, 0
	}
	if i+3 < len(src) && src[i] == '\\' && src[i+1] == 'x' && isHex(src[i+2]) && isHex(src[i+3]) {
		return unhex(src[i+2])<<4 | unhex(src[i+3]), 4
	}
	return 0, 0
}

// indexFrom returns the index of the first c in b at or after i, or -1.
func indexFrom(b []byte, i int, c byte) int {
	if k := bytes.IndexByte(b[i:], c); k >= 0 {
		return i + k
	}
	return -1
}

// decode decodes src into d in the given mode: decPercent, decBackslash or
// both, with the modifiers decPlus, decLatin1 and decSplice. Anything that
// is not a well-formed escape of the mode stands for itself.
func decode(d *decoded, src []byte, mode int) {
	d.reset()
	d.text = true
	if mode&decShell != 0 {
		decodeShell(d, src, mode)
		return
	}
	for i := 0; i < len(src); {
		n := 0
		switch c := src[i]; {
		case c == '%' && mode&decPercent != 0:
			if mode&decTwice != 0 && isTwice(src[i:]) {
				d.add(unhex(src[i+3])<<4|unhex(src[i+4]), i, i+5)
				n = 5
			} else {
				n = percent(d, src, i, mode&decLatin1 != 0)
			}
		case c == '\\' && mode&decBackslash != 0 && i+1 < len(src):
			n = escape(d, src, i, mode&decLatin1 != 0)
		case c == '\'' && mode&decSplice != 0:
			n = splice(d, src, i)
		case c == '+' && mode&decPlus != 0:
			d.add(' ', i, i+1)
			n = 1
		}
		if n == 0 {
			d.add(src[i], i, i+1)
			n = 1
		}
		i += n
	}
}

// decodeShell decodes src into d as a shell word (see decShell), starting
// inside '…' with decQuoted, put back outside quotes at the starts of
// words with decWords or decStarts, and reading prose apostrophes as
// themselves with decProse.
func decodeShell(d *decoded, src []byte, mode int) {
	const (
		plain = iota
		single
		ansiC
	)
	st := plain
	if mode&decQuoted != 0 {
		st = single
	}
	for i := 0; i < len(src); {
		c := src[i]
		if wordStart(src, i, mode) {
			st = plain
		}
		switch {
		case c == '\'' && mode&decProse != 0 && isProse(src, i):
			// Prose: the apostrophe stands for itself (added below).
		case c == '\'' && i+3 < len(src) && src[i+1] == '$' && src[i+2] == '\'' && src[i+3] == '\\' &&
			(i+4 >= len(src) || src[i+4] != '\''):
			// '$'\ closes '…' and opens $'…' with an escape, whatever
			// the state was taken to be: the only backslash coreutils
			// writes outside quotes is \' (a quote), so '$'\ followed
			// by anything else never means '$' and then \. '$'\' is
			// left to the rules below, which read it in either state as
			// the shell does: '$' then \' after an opening quote ($'\''
			// is how coreutils writes "$'"), $'\'' after a closing one.
			st, i = ansiC, i+3
			continue
		case c == '\'' && i+3 < len(src) && src[i+1] == '\\' && src[i+2] == '\'' && src[i+3] == '\'':
			// '\'' is a quote spliced into '…' whatever the state was
			// taken to be: coreutils writes it only so (or closing $'…'
			// first), never as '…' holding a backslash alone followed
			// by a second '…'. Read from outside quotes as the shell
			// would, it is a backslash, and a reader out of step (text
			// before the value, or a splice in it, paired its quotes
			// otherwise) would miss a value that starts with a quote.
			d.add('\'', i, i+4)
			st, i = single, i+4
			continue
		case st == single:
			if c == '\'' {
				st, i = plain, i+1
				continue
			}
		case c == '\'':
			if st == ansiC {
				st = plain
			} else {
				st = single
			}
			i++
			continue
		case c == '$' && st == plain && i+1 < len(src) && src[i+1] == '\'':
			st, i = ansiC, i+2
			continue
		case c == '\\' && i+1 < len(src):
			// Outside quotes a backslash quotes the byte after it; in
			// $'…' it starts an escape.
			n := 0
			if st == ansiC {
				n = escape(d, src, i, false)
			}
			if n == 0 {
				d.add(src[i+1], i, i+2)
				n = 2
			}
			i += n
			continue
		}
		d.add(c, i, i+1)
		i++
	}
}

// wordStart reports whether src[i] ends a word and the reader in the
// given mode takes the next one to start outside quotes: any space or line
// break with decWords, one followed by a quote with decStarts.
func wordStart(src []byte, i, mode int) bool {
	if c := src[i]; mode&(decWords|decStarts) == 0 || c != ' ' && c != '\n' {
		return false
	}
	return mode&decWords != 0 || i+1 < len(src) && src[i+1] == '\''
}

// percent decodes the percent escape at src[i] into d and returns its
// length, or 0 if there is none. With latin1, %XX above 0x7F is the
// character U+00XX and %uXXXX (surrogate pairs joined) is decoded, as
// JavaScript's escape() writes them.
func percent(d *decoded, src []byte, i int, latin1 bool) int {
	if isPercentEscape(src[i:]) {
		v := unhex(src[i+1])<<4 | unhex(src[i+2])
		if latin1 && v >= 0x80 {
			d.addRune(rune(v), i, i+3)
		} else {
			d.add(v, i, i+3)
		}
		return 3
	}
	if !latin1 || !isPercentU(src[i:]) {
		return 0
	}
	r, _ := hexRun(src[i+2:i+6], 4, 4)
	if r >= 0xD800 && r < 0xDC00 && isPercentU(src[i+6:]) {
		if lo, _ := hexRun(src[i+8:i+12], 4, 4); lo >= 0xDC00 && lo < 0xE000 {
			d.addRune(rune(0x10000+(r-0xD800)<<10+(lo-0xDC00)), i, i+12)
			return 12
		}
	}
	d.addRune(rune(r), i, i+6)
	return 6
}

// splice decodes the shell quote splice at src[i] (a single quote) into d
// and returns its length, or 0 if there is none.
func splice(d *decoded, src []byte, i int) int {
	switch s := src[i:]; {
	case bytes.HasPrefix(s, []byte(`'\''`)):
		d.add('\'', i, i+4)
		return 4
	case bytes.HasPrefix(s, []byte(`'"'"'`)):
		d.add('\'', i, i+5)
		return 5
	case bytes.HasPrefix(s, []byte("'\n'")):
		d.add('\n', i, i+3)
		return 3
	}
	return 0
}

// escape decodes the backslash escape at src[i] (a backslash followed by at
// least one byte) into d and returns its length, or 0 if it is malformed.
// It reads the escapes of JSON, Go, Python, JavaScript, Java, Ruby, PHP,
// Perl and the shell (inside "…" and $'…', and printf %q): \uXXXX (either
// hex case, surrogate pairs joined), \u{X…} and Perl's \x{X…}, \UXXXXXXXX,
// \xH[H] (a byte; with latin1, above 0x7F the character U+00HH), octal
// \N[N[N]], the single-letter control escapes, and a backslash before any
// other byte standing for that byte (\" \\ \/ \' \$ \` \! and so on).
func escape(d *decoded, src []byte, i int, latin1 bool) int {
	c := src[i+1]
	switch c {
	case 'u', 'x':
		if i+2 < len(src) && src[i+2] == '{' {
			r, n := hexRun(src[i+3:], 1, 6)
			if n == 0 || i+3+n >= len(src) || src[i+3+n] != '}' || r > utf8.MaxRune {
				return 0
			}
			d.addRune(rune(r), i, i+4+n)
			return 4 + n
		}
		if c == 'x' {
			v, n := hexRun(src[i+2:], 1, 2)
			if n == 0 {
				return 0
			}
			if latin1 && v >= 0x80 {
				d.addRune(rune(v), i, i+2+n)
			} else {
				d.add(byte(v), i, i+2+n)
			}
			return 2 + n
		}
		r, n := hexRun(src[i+2:], 4, 4)
		if n == 0 {
			return 0
		}
		if r >= 0xD800 && r < 0xDC00 && i+11 < len(src) && src[i+6] == '\\' && src[i+7] == 'u' {
			if lo, m := hexRun(src[i+8:], 4, 4); m == 4 && lo >= 0xDC00 && lo < 0xE000 {
				d.addRune(rune(0x10000+(r-0xD800)<<10+(lo-0xDC00)), i, i+12)
				return 12
			}
		}
		d.addRune(rune(r), i, i+6)
		return 6
	case 'U':
		r, n := hexRun(src[i+2:], 8, 8)
		if n == 0 || r > utf8.MaxRune {
			return 0
		}
		d.addRune(rune(r), i, i+10)
		return 10
	case 'C', 'M':
		if v, n := zshEscape(src[i:]); n > 0 {
			d.add(v, i, i+n)
			return n
		}
	case '0', '1', '2', '3', '4', '5', '6', '7':
		v, n := 0, 0
		for n < 3 && i+1+n < len(src) && src[i+1+n] >= '0' && src[i+1+n] <= '7' && v*8+int(src[i+1+n]-'0') <= 0xFF {
			v = v*8 + int(src[i+1+n]-'0')
			n++
		}
		d.add(byte(v), i, i+1+n)
		return 1 + n
	}
	if r, ok := yamlEscape(c); ok {
		d.addRune(r, i, i+2)
		return 2
	}
	d.add(control(c), i, i+2)
	return 2
}

// zshEscape returns the byte that zsh's \C-x (control) or \M-x (meta,
// x itself an escape or a byte) at the start of b stands for, and its
// length, or n == 0: zsh's ${(q+)v} writes what it cannot print in $'…' so
// (\C-? for DEL, \M-\C-@ for 0x80). No other encoder writes \C- or \M-.
func zshEscape(b []byte) (v byte, n int) {
	if len(b) < 4 || b[0] != '\\' || b[2] != '-' {
		return 0, 0
	}
	switch b[1] {
	case 'C':
		if b[3] == '?' {
			return 0x7f, 4
		}
		return b[3] & 0x1f, 4
	case 'M':
		if v, n := zshEscape(b[3:]); n > 0 && b[4] == 'C' {
			return v | 0x80, 3 + n
		}
		return b[3] | 0x80, 4
	}
	return 0, 0
}

// yamlEscape returns the character that YAML's escapes \N, \_, \L and \P
// stand for in a double-quoted scalar (PyYAML and Ruby's Psych write U+0085,
// U+00A0, U+2028 and U+2029 so). No other encoder above writes a backslash
// before those letters.
func yamlEscape(c byte) (rune, bool) {
	switch c {
	case 'N':
		return 0x85, true
	case '_':
		return 0xA0, true
	case 'L':
		return 0x2028, true
	case 'P':
		return 0x2029, true
	}
	return 0, false
}

// control returns the byte a single-letter escape \c stands for: a control
// character for the letters JSON, C and the shell define, c itself otherwise.
func control(c byte) byte {
	switch c {
	case 'n':
		return '\n'
	case 't':
		return '\t'
	case 'r':
		return '\r'
	case 'b':
		return '\b'
	case 'f':
		return '\f'
	case 'v':
		return '\v'
	case 'a':
		return '\a'
	case 'e', 'E':
		return 0x1b
	}
	return c
}

// hexRun reads between lo and hi hex digits (as many as there are, up to
// hi) at the start of b; n is 0 if there are fewer than lo.
func hexRun(b []byte, lo, hi int) (v uint32, n int) {
	for n < hi && n < len(b) && isHex(b[n]) {
		v = v<<4 | uint32(unhex(b[n]))
		n++
	}
	if n < lo {
		return 0, 0
	}
	return v, n
}

func isHex(c byte) bool {
	return c >= '0' && c <= '9' || c >= 'a' && c <= 'f' || c >= 'A' && c <= 'F'
}

func unhex(c byte) byte {
	switch {
	case c >= 'a':
		return c - 'a' + 10
	case c >= 'A':
		return c - 'A' + 10
	}
	return c - '0'
}

// charRef returns what the HTML or XML character reference at the start of
// b stands for, and its length, or n == 0 if b does not start with one:
// &#NN; and &#xHH; (either case, a Unicode scalar value), and &name; for
// each name HTML defines (the five of XML among them). The semicolon is
// required: without it "&copy" in a query string would be read as ©.
func charRef(b []byte) (s string, n int) {
	if len(b) < 4 || b[0] != '&' {
		return "", 0
	}
	if b[1] == '#' {
		i, base := 2, uint32(10)
		if b[2] == 'x' || b[2] == 'X' {
			i, base = 3, 16
		}
		var v uint32
		k := i
		for ; k < len(b) && k < i+7; k++ {
			d := uint32(unhex(b[k]))
			if !isHex(b[k]) || d >= base {
				break
			}
			v = v*base + d
		}
		if k == i || k >= len(b) || b[k] != ';' || v > utf8.MaxRune || v >= 0xD800 && v < 0xE000 {
			return "", 0
		}
		return string(rune(v)), k + 1
	}
	k := 1
	for k < len(b) && k <= maxEntityName && (b[k] >= 'a' && b[k] <= 'z' || b[k] >= 'A' && b[k] <= 'Z' || k > 1 && b[k] >= '0' && b[k] <= '9') {
		k++
	}
	if k < 3 || k >= len(b) || b[k] != ';' {
		return "", 0
	}
	switch ref := string(b[:k+1]); ref {
	case "&amp;":
		return "&", k + 1
	case "&lt;":
		return "<", k + 1
	case "&gt;":
		return ">", k + 1
	case "&quot;":
		return `"`, k + 1
	case "&apos;":
		return "'", k + 1
	case "&semi;":
		return ";", k + 1
	default:
		// html reads a name it does not know as the longest name it
		// knows that starts it, and keeps the rest ("&notit;" is "¬it;"),
		// so anything left of ref means ref is not a name.
		if s := html.UnescapeString(ref); s != ref && !strings.ContainsAny(s, "&;") {
			return s, k + 1
		}
	}
	return "", 0
}

// charRefs is charRef, but reads a run of references of invisible
// characters (&#8203;, &ZeroWidthSpace;, &shy;) as one that stands for
// nothing: a browser draws them so (see invisible).
func charRefs(b []byte) (s string, n int) {
	s, n = charRef(b)
	if n == 0 || !allInvisible(s) {
		return s, n
	}
	for {
		t, k := charRef(b[n:])
		if k == 0 || !allInvisible(t) {
			return "", n
		}
		n += k
	}
}

// allInvisible reports whether every character of s is invisible.
func allInvisible(s string) bool {
	for _, r := range s {
		if !invisible(r) {
			return false
		}
	}
	return true
}

// maxEntityName is the length of the longest name of an HTML character
// reference (CounterClockwiseContourIntegral).
const maxEntityName = 31

// controlLen returns the length of the terminal control sequence at the
// start of b (ECMA-48, as xterm and the CI log viewers that render colour
// read it), or 0 if b does not start with one: CSI (ESC [, then parameter,
// intermediate and final bytes: SGR colours, erase in line), a control
// string (OSC, DCS, SOS, PM, APC: ESC ], P, X, ^ or _ up to BEL or ESC \,
// as OSC 8 hyperlinks), or ESC with intermediate bytes and a final byte
// (charset selection, ESC ( B that tput sgr0 writes) or a final byte alone.
func controlLen(b []byte) int {
	if len(b) < 2 || b[0] != esc {
		return 0
	}
	i := 2
	switch c := b[1]; {
	case c == '[':
		for i < len(b) && i < maxControl && b[i] >= 0x30 && b[i] <= 0x3F {
			i++
		}
		for i < len(b) && i < maxControl && b[i] >= 0x20 && b[i] <= 0x2F {
			i++
		}
		if i < len(b) && b[i] >= 0x40 && b[i] <= 0x7E {
			return i + 1
		}
		return 0
	case c == ']' || c == 'P' || c == 'X' || c == '^' || c == '_':
		for ; i < len(b) && i < maxControl; i++ {
			switch {
			case b[i] == 0x07:
				return i + 1
			case b[i] == esc:
				if i+1 < len(b) && b[i+1] == '\\' {
					return i + 2
				}
				return 0
			}
		}
		return 0
	case c >= 0x20 && c <= 0x2F:
		for i < len(b) && i < maxControl && b[i] >= 0x20 && b[i] <= 0x2F {
			i++
		}
		if i < len(b) && b[i] >= 0x30 && b[i] <= 0x7E {
			return i + 1
		}
		return 0
	case c >= 0x30 && c <= 0x7E:
		return 2
	}
	return 0
}

// maxControl bounds the length of a control sequence that is removed: a
// longer one (an OSC 8 link to a long URL) is left in place.
const maxControl = 512

// Character references and terminal control sequences are replaced, not
// decoded byte by byte: each stands for a fixed string (a character, or
// nothing), so the text with them replaced maps back to the stream
// piecewise, and building it is a copy. That matters because both are
// dense where they occur at all: a log where every line is coloured has a
// control sequence every few words, and an XML report a reference in
// every line that quotes code.
//
// Character references (decoded by charRef): JUnit XML reports (a test's
// failure message and output), HTML error pages that echo a URL, and
// Maven, Gradle and Ant XML write a value that holds &<>"' so.
//
// Control sequences (controlLen) are removed, as a log viewer that renders
// colour (GitHub Actions, GitLab, Jenkins' AnsiColor, Buildkite) shows the
// text: grep --color, syntax highlighters (pygments, rich) and coloured
// loggers insert SGR sequences inside a value (ghp_\e[m\e[K…), which the
// viewer draws as the value itself.

// edit is an escape at src[from:to] of a region, which the spliced text
// holds as its n bytes at b[at:].
type edit struct{ at, n, from, to int32 }

// spliced is a region with its escapes of one kind replaced.
type spliced struct {
	b     []byte
	edits []edit
}

// add appends region[prev:from] to s, and rep for the escape at
// region[from:to].
func (s *spliced) add(region []byte, prev, from, to int, rep string) {
	s.b = append(s.b, region[prev:from]...)
	s.edits = append(s.edits, edit{at: int32(len(s.b)), n: int32(len(rep)), from: int32(from), to: int32(to)})
	s.b = append(s.b, rep...)
}

// find appends region[prev:] to s, and the occurrences in s, as intervals
// of the stream, where the region starts at base.
func (s *spliced) find(m *matcher, region []byte, prev, base int, ivs []interval) []interval {
	s.b = append(s.b, region[prev:]...)
	k := len(ivs)
	return s.mapBack(m.find(s.b, ivs), k, base)
}

// source returns the bytes of the region that b[i] came from.
func (s *spliced) source(i int) (from, to int) {
	k, _ := slices.BinarySearchFunc(s.edits, i+1, func(e edit, i int) int { return cmp.Compare(int(e.at), i) })
	if k == 0 {
		return i, i + 1 // before the first escape
	}
	e := s.edits[k-1]
	if i < int(e.at+e.n) {
		return int(e.from), int(e.to)
	}
	d := int(e.to) + i - int(e.at+e.n)
	return d, d + 1
}

// mapBack turns ivs[k:], intervals of s.b, into intervals of the bytes s
// was built from, whose region starts at base. An interval takes the
// escapes inside it, not those right before or after it.
func (s *spliced) mapBack(ivs []interval, k, base int) []interval {
	for i := k; i < len(ivs); i++ {
		iv := &ivs[i]
		from, _ := s.source(iv.start)
		_, to := s.source(iv.end - 1)
		iv.start, iv.end = base+from, base+to
	}
	return ivs
}

// maxInvisibleEscape bounds the length of one escaped invisible character
// that escapedInvisibleLen reads: &NegativeVeryThinSpace; (23 bytes) is
// the longest, then zsh's \M-b\M-\C-@\M-\C-K and %25E2%2580%258B.
const maxInvisibleEscape = 24

// escapedInvisibleLen returns the length of the escaped invisible
// character at the start of b (see invisible), or 0: an HTML character
// reference, or the percent or backslash escapes of its UTF-8 bytes (any
// mix of %XX, %25XX and the escapes escape reads), its \u, \U, \x{…} or
// %u escape, or \xAD or %AD read as U+00AD. It reads every escape any
// decoder mode reads, so that it never counts less than the decoders drop
// (see RedactWriter.holdBack). d is scratch.
func escapedInvisibleLen(d *decoded, b []byte) int {
	switch b[0] {
	case '&':
		if s, n := charRef(b); n > 0 && s != "" && allInvisible(s) {
			return n
		}
		return 0
	case '%':
		if isPercentU(b) {
			d.reset()
			if n := percent(d, b, 0, true); invisibleLen(d.b) == len(d.b) {
				return n
			}
			return 0
		}
	}
	d.reset()
	j := 0
	for !utf8.FullRune(d.b) {
		n := 0
		switch {
		case j+1 >= len(b):
		case b[j] == '\\':
			n = escape(d, b, j, false)
		case isTwice(b[j:]):
			d.add(unhex(b[j+3])<<4|unhex(b[j+4]), j, j+5)
			n = 5
		case b[j] == '%':
			n = percent(d, b, j, false)
		}
		if n == 0 {
			return 0
		}
		j += n
		if len(d.b) == 1 && d.b[0] == 0xAD && j == n {
			return j // U+00AD as Latin-1 decoders read \xad and %AD
		}
	}
	if invisibleLen(d.b) == len(d.b) {
		return j
	}
	return 0
}
