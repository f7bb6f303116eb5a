package inventory

import "strings"

// --- Maven ComparableVersion ---

type (
	mInt  string // decimal digits, no leading zeros ("0" for zero)
	mStr  string // qualifier after aliases
	mList struct{ items []mItem }
	mItem interface{}
)

type mavenVersion struct{ root *mList }

func parseMaven(s string) (version, error) {
	for i := 0; i < len(s); i++ {
		if s[i] <= ' ' || s[i] >= 0x7f {
			return nil, escapeError("printable ASCII only")
		}
	}
	v := strings.ToLower(s)
	list := &mList{}
	root := list
	stack := []*mList{list}
	push := func() {
		nl := &mList{}
		list.items = append(list.items, nl)
		list = nl
		stack = append(stack, nl)
	}
	add := func(it mItem) { list.items = append(list.items, it) }
	isDig, start := false, 0
	for i := 0; i < len(v); i++ {
		c := v[i]
		switch {
		case c == '.' || c == '-':
			if i == start {
				add(mInt("0"))
			} else {
				add(mavenItem(isDig, v[start:i]))
			}
			start = i + 1
			if c == '-' {
				push()
			}
		case isDigit(c):
			if !isDig && i > start {
				add(mavenString(v[start:i], true))
				start = i
				push()
			}
			isDig = true
		default:
			if isDig && i > start {
				add(mavenItem(true, v[start:i]))
				start = i
				push()
			}
			isDig = false
		}
	}
	if len(v) > start {
		add(mavenItem(isDig, v[start:]))
	}
	for i := len(stack) - 1; i >= 0; i-- {
		stack[i].normalize()
	}
	return mavenVersion{root}, nil
}

func mavenItem(digits bool, s string) mItem {
	if digits {
		s = strings.TrimLeft(s, "0")
		if s == "" {
			s = "0"
		}
		return mInt(s)
	}
	return mavenString(s, false)
}

func mavenString(s string, followedByDigit bool) mItem {
	if followedByDigit && len(s) == 1 {
		switch s {
		case "a":
			s = "alpha"
		case "b":
			s = "beta"
		case "m":
			s = "milestone"
		}
	}
	switch s {
	case "ga", "final", "release":
		s = ""
	case "cr":
		s = "rc"
	}
	return mStr(s)
}

var mavenQualifiers = []string{"alpha", "beta", "milestone", "rc", "snapshot", "", "sp"}

// releaseIndex is the comparable form of the release qualifier "".
const releaseIndex = "5"

func comparableQualifier(q mStr) string {
	for i, k := range mavenQualifiers {
		if string(q) == k {
			return string(rune('0' + i))
		}
	}
	return "7-" + string(q) // unknown qualifiers sort after the known ones
}

func mIsNull(it mItem) bool {
	switch x := it.(type) {
	case mInt:
		return x == "0"
	case mStr:
		return comparableQualifier(x) == releaseIndex
	case *mList:
		return len(x.items) == 0
	}
	return false
}

func (l *mList) normalize() {
	for i := len(l.items) - 1; i >= 0; i-- {
		if mIsNull(l.items[i]) {
			l.items = append(l.items[:i], l.items[i+1:]...)
		} else if _, ok := l.items[i].(*mList); !ok {
			break
		}
	}
}

// mCmp compares two items, either of which may be nil (absent).
func mCmp(a, b mItem) int {
	if a == nil {
		if b == nil {
			return 0
		}
		return -mCmp(b, nil)
	}
	switch x := a.(type) {
	case mInt:
		switch y := b.(type) {
		case nil:
			if x == "0" {
				return 0
			}
			return 1
		case mInt:
			return cmpNum(string(x), string(y))
		default: // a number is newer than a qualifier or a sublist
			return 1
		}
	case mStr:
		switch y := b.(type) {
		case nil:
			return strings.Compare(comparableQualifier(x), releaseIndex)
		case mStr:
			return strings.Compare(comparableQualifier(x), comparableQualifier(y))
		default: // 1-rc < 1-1, 1-rc < 1-xyz-1
			return -1
		}
	case *mList:
		switch y := b.(type) {
		case nil:
			if len(x.items) == 0 {
				return 0
			}
			return mCmp(x.items[0], nil)
		case mInt:
			return -1
		case mStr:
			return 1
		case *mList:
			for i := 0; i < len(x.items) || i < len(y.items); i++ {
				var l, r mItem
				if i < len(x.items) {
					l = x.items[i]
				}
				if i < len(y.items) {
					r = y.items[i]
				}
				if c := mCmp(l, r); c != 0 {
					return c
				}
			}
			return 0
		}
	}
	return 0
}

func (a mavenVersion) compare(o version) int { return mCmp(a.root, o.(mavenVersion).root) }

// --- Debian (dpkg) ---

type debVersion struct{ epoch, upstream, revision string }

func parseDeb(s string) (version, error) {
	v := debVersion{epoch: "0"}
	rest := s
	if i := strings.IndexByte(rest, ':'); i >= 0 {
		if !allDigits(rest[:i]) {
			return nil, escapeError("epoch is not a number")
		}
		v.epoch, rest = rest[:i], rest[i+1:]
	}
	v.upstream = rest
	if j := strings.LastIndexByte(rest, '-'); j >= 0 {
		v.upstream, v.revision = rest[:j], rest[j+1:]
		if v.revision == "" {
			return nil, escapeError("empty revision")
		}
	}
	if v.upstream == "" || !isDigit(v.upstream[0]) {
		return nil, escapeError("upstream version must start with a digit")
	}
	for i := 0; i < len(v.upstream); i++ {
		c := v.upstream[i]
		if !isLetter(c) && !isDigit(c) && !strings.ContainsRune(".+~-:", rune(c)) {
			return nil, escapeError("invalid character in upstream version")
		}
	}
	for i := 0; i < len(v.revision); i++ {
		c := v.revision[i]
		if !isLetter(c) && !isDigit(c) && !strings.ContainsRune(".+~", rune(c)) {
			return nil, escapeError("invalid character in revision")
		}
	}
	return v, nil
}

func (a debVersion) compare(o version) int {
	b := o.(debVersion)
	if c := cmpNum(a.epoch, b.epoch); c != 0 {
		return c
	}
	if c := verrevcmp(a.upstream, b.upstream); c != 0 {
		return c
	}
	return verrevcmp(a.revision, b.revision)
}

// debOrder is dpkg's order(): digits 0, letters themselves, '~' before
// everything (even the end), other characters after letters.
func debOrder(s string, i int) int {
	if i >= len(s) {
		return 0
	}
	c := s[i]
	switch {
	case isDigit(c):
		return 0
	case isLetter(c):
		return int(c)
	case c == '~':
		return -1
	}
	return int(c) + 256
}

// verrevcmp is dpkg's comparison of an upstream version or revision.
func verrevcmp(a, b string) int {
	i, j := 0, 0
	for i < len(a) || j < len(b) {
		for (i < len(a) && !isDigit(a[i])) || (j < len(b) && !isDigit(b[j])) {
			ac, bc := debOrder(a, i), debOrder(b, j)
			if ac != bc {
				return sign(ac - bc)
			}
			i++
			j++
		}
		for i < len(a) && a[i] == '0' {
			i++
		}
		for j < len(b) && b[j] == '0' {
			j++
		}
		si, sj := i, j
		for i < len(a) && isDigit(a[i]) {
			i++
		}
		for j < len(b) && isDigit(b[j]) {
			j++
		}
		if c := cmpNum(a[si:i], b[sj:j]); c != 0 {
			return c
		}
	}
	return 0
}

func sign(n int) int {
	switch {
	case n < 0:
		return -1
	case n > 0:
		return 1
	}
	return 0
}

// --- RPM ---

type rpmVersion struct{ epoch, version, release string }

func parseRPM(s string) (version, error) {
	v := rpmVersion{epoch: "0"}
	rest := s
	if i := strings.IndexByte(rest, ':'); i >= 0 {
		if !allDigits(rest[:i]) {
			return nil, escapeError("epoch is not a number")
		}
		v.epoch, rest = rest[:i], rest[i+1:]
	}
	v.version = rest
	if j := strings.LastIndexByte(rest, '-'); j >= 0 {
		v.version, v.release = rest[:j], rest[j+1:]
		if v.release == "" {
			return nil, escapeError("empty release")
		}
	}
	if v.version == "" {
		return nil, escapeError("empty version")
	}
	for _, part := range []string{v.version, v.release} {
		for i := 0; i < len(part); i++ {
			c := part[i]
			if !isLetter(c) && !isDigit(c) && !strings.ContainsRune("._+~^", rune(c)) {
				return nil, escapeError("invalid character")
			}
		}
	}
	return v, nil
}

// compare orders epoch, version and release; a missing release sorts before
// any release (rpm itself skips the release when either side has none,
// which is not a total order).
func (a rpmVersion) compare(o version) int {
	b := o.(rpmVersion)
	if c := cmpNum(a.epoch, b.epoch); c != 0 {
		return c
	}
	if c := rpmvercmp(a.version, b.version); c != 0 {
		return c
	}
	return rpmvercmp(a.release, b.release)
}

// rpmvercmp is rpm's segment comparison (rpmio/rpmvercmp.c), '~' sorting
// before everything and '^' after the end but before anything else.
func rpmvercmp(a, b string) int {
	i, j := 0, 0
	sep := func(s string, k int) bool {
		return k < len(s) && !isLetter(s[k]) && !isDigit(s[k]) && s[k] != '~' && s[k] != '^'
	}
	at := func(s string, k int) byte {
		if k < len(s) {
			return s[k]
		}
		return 0
	}
	for i < len(a) || j < len(b) {
		for sep(a, i) {
			i++
		}
		for sep(b, j) {
			j++
		}
		ca, cb := at(a, i), at(b, j)
		if ca == '~' || cb == '~' {
			if ca != '~' {
				return 1
			}
			if cb != '~' {
				return -1
			}
			i, j = i+1, j+1
			continue
		}
		if ca == '^' || cb == '^' {
			switch {
			case ca == 0:
				return -1
			case cb == 0:
				return 1
			case ca != '^':
				return 1
			case cb != '^':
				return -1
			}
			i, j = i+1, j+1
			continue
		}
		if ca == 0 || cb == 0 {
			break
		}
		si, sj := i, j
		num := isDigit(ca)
		class := isLetter
		if num {
			class = isDigit
		}
		for i < len(a) && class(a[i]) {
			i++
		}
		for j < len(b) && class(b[j]) {
			j++
		}
		if j == sj { // different classes: a number is newer than letters
			if num {
				return 1
			}
			return -1
		}
		var c int
		if num {
			c = cmpNum(a[si:i], b[sj:j])
		} else {
			c = strings.Compare(a[si:i], b[sj:j])
		}
		if c != 0 {
			return c
		}
	}
	switch {
	case i >= len(a) && j >= len(b):
		return 0
	case i >= len(a):
		return -1
	}
	return 1
}
