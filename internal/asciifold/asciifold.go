// Package asciifold compares and lowers strings folding ASCII letters only.
//
// strings.EqualFold, strings.ToLower and strings.ToUpper, bytes.EqualFold,
// regexp's (?i) and Rego's lower() and upper() apply Unicode case mapping:
// the Kelvin sign (U+212A) is "k", the long s (U+017F) is "s", the dotted
// capital I (U+0130) lowers to "i". Where the string is an identifier an
// attacker can spell (a repository, package or host name, a digest, a claim
// value) and the system that owns the identifier (GitHub, a registry, DNS,
// a package URL) folds ASCII only, or not at all, Unicode folding makes two
// different identifiers one. The functions here fold 'A'-'Z' to 'a'-'z' and
// leave every other byte, including each byte of a non-ASCII character, as
// it is: "\u212a" is not "k", and "ſ" is not "s".
package asciifold

// Equal reports whether a and b are equal once ASCII letters are folded to
// lower case; any other byte must be equal exactly. On ASCII input it is
// strings.EqualFold.
func Equal(a, b string) bool {
	if len(a) != len(b) {
		return false
	}
	for i := 0; i < len(a); i++ {
		if lower(a[i]) != lower(b[i]) {
			return false
		}
	}
	return true
}

// HasPrefix reports whether s begins with prefix, ASCII letters folded as
// [Equal] folds them.
func HasPrefix(s, prefix string) bool {
	return len(s) >= len(prefix) && Equal(s[:len(prefix)], prefix)
}

// HasSuffix reports whether s ends with suffix, ASCII letters folded as
// [Equal] folds them.
func HasSuffix(s, suffix string) bool {
	return len(s) >= len(suffix) && Equal(s[len(s)-len(suffix):], suffix)
}

// Lower returns s with the ASCII letters 'A'-'Z' lowered and every other
// byte unchanged (s itself when it has none). On ASCII input it is
// strings.ToLower; unlike it, the Kelvin sign stays the Kelvin sign and
// "İ" (U+0130) stays "İ".
func Lower(s string) string {
	i := 0
	for i < len(s) && !('A' <= s[i] && s[i] <= 'Z') {
		i++
	}
	if i == len(s) {
		return s
	}
	b := []byte(s)
	for ; i < len(b); i++ {
		b[i] = lower(b[i])
	}
	return string(b)
}

func lower(c byte) byte {
	if 'A' <= c && c <= 'Z' {
		return c + 'a' - 'A'
	}
	return c
}
