package inventory

import (
	"cmp"
	"strings"
)

// --- Alpine (apk) ---

// Kinds of the parts of an Alpine package version, in apk-tools' order
// (src/version.c): where two versions go on with parts of different kinds,
// the one whose part comes later in this order (or that ends) is the older,
// except that a pre-release suffix (_alpha, _beta, _pre, _rc) is older than
// anything.
const (
	apkInitial  = iota // the first number
	apkDigit           // ".N"
	apkLetter          // one lower-case letter after the numbers
	apkSuffix          // "_alpha" … "_p"
	apkSuffixNo        // the number after a suffix
	apkRevision        // "-rN"
	apkEnd
)

// apkSuffixRank orders suffixes: pre-releases below a version without
// suffix (apkNoSuffix), post-releases above it.
var apkSuffixRank = map[string]int{"alpha": 0, "beta": 1, "pre": 2, "rc": 3, "cvs": 5, "svn": 6, "git": 7, "hg": 8, "p": 9}

const apkNoSuffix = 4

type apkPart struct {
	kind int
	val  string // decimal digits, or the letter
	rank int    // a suffix's rank
}

// apkVersion is an Alpine package version, number{.number}[letter]{_suffix[number]}[-rN]
// (apk-package(5)), as the parts apk-tools compares. Versions outside this
// form (a commit hash "~…", upper case, a trailing separator) do not
// parse: a range asked of them lists them unordered.
type apkVersion []apkPart

func parseAPK(s string) (version, error) {
	i := 0
	digits := func() string {
		j := i
		for i < len(s) && isDigit(s[i]) {
			i++
		}
		return s[j:i]
	}
	n := digits()
	if n == "" {
		return nil, escapeError("an Alpine version starts with a number")
	}
	v := apkVersion{{kind: apkInitial, val: n}}
	for i < len(s) && s[i] == '.' {
		i++
		if n = digits(); n == "" {
			return nil, escapeError("a '.' is followed by a number")
		}
		v = append(v, apkPart{kind: apkDigit, val: n})
	}
	if i < len(s) && 'a' <= s[i] && s[i] <= 'z' {
		v = append(v, apkPart{kind: apkLetter, val: s[i : i+1]})
		i++
	}
	for i < len(s) && s[i] == '_' {
		i++
		j := i
		for i < len(s) && 'a' <= s[i] && s[i] <= 'z' {
			i++
		}
		r, ok := apkSuffixRank[s[j:i]]
		if !ok {
			return nil, escapeError("unknown suffix")
		}
		v = append(v, apkPart{kind: apkSuffix, rank: r})
		if n = digits(); n != "" {
			v = append(v, apkPart{kind: apkSuffixNo, val: n})
		}
	}
	if strings.HasPrefix(s[i:], "-r") {
		i += 2
		if n = digits(); n == "" {
			return nil, escapeError("a revision is -r and a number")
		}
		v = append(v, apkPart{kind: apkRevision, val: n})
	}
	if i != len(s) {
		return nil, escapeError("not an Alpine package version")
	}
	return v, nil
}

func (a apkVersion) part(i int) apkPart {
	if i < len(a) {
		return a[i]
	}
	return apkPart{kind: apkEnd}
}

func (a apkVersion) compare(o version) int {
	b := o.(apkVersion)
	for i := 0; ; i++ {
		x, y := a.part(i), b.part(i)
		if x.kind != y.kind {
			switch {
			case x.kind == apkSuffix && x.rank < apkNoSuffix:
				return -1 // 1.0_rc1 < 1.0, 1.0.1
			case y.kind == apkSuffix && y.rank < apkNoSuffix:
				return 1
			case x.kind > y.kind:
				return -1 // 1.0 < 1.0.1, 1.0-r1 < 1.0a
			}
			return 1
		}
		var c int
		switch x.kind {
		case apkEnd:
			return 0
		case apkDigit:
			if x.val[0] == '0' || y.val[0] == '0' {
				// A number with a leading zero compares as a string
				// (1.05 < 1.1), as apk-tools and Gentoo do.
				c = strings.Compare(x.val, y.val)
			} else {
				c = cmpNum(x.val, y.val)
			}
		case apkLetter:
			c = strings.Compare(x.val, y.val)
		case apkSuffix:
			c = cmp.Compare(x.rank, y.rank)
		default:
			c = cmpNum(x.val, y.val)
		}
		if c != 0 {
			return c
		}
	}
}
