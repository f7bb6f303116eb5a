package oidc

import (
	"errors"
	"fmt"
	"net/url"
	"strings"
)

// ErrURIPath: a URI built from claims has a path that readers resolve
// differently (see [CheckURIPath]).
var ErrURIPath = errors.New("oidc: URI path is not in normal form")

// maxUnescape is how many times CheckURIPath percent-decodes a segment;
// one still encoded after that ("%25252e") is refused, not decoded on.
const maxUnescape = 3

// CheckURIPath refuses uri unless every reader takes its path as written:
// a segment that is "." or ".." once percent-decoded, once or more
// ("%2e%2E", ".%2e", "%252e"); an empty segment other than a trailing one
// ("a//b", or a path starting "//"); or a segment holding '/' or '\' once
// decoded ("%2f", "%5C", a raw '\'), or '?' or '#' ("%23").
//
// Git refuses ".." and "//" in a ref name but not '%': a branch named
// "%2e%2e/%2e%2e/victim/app/…" puts dot segments into a URI that states
// the workflow and its ref, and whatever decodes and cleans the path
// (path.Clean, url.ResolveReference, a WHATWG URL parser, which resolves
// "%2e" as '.' and '\' as '/', a normalising proxy) reads another
// repository's workflow there, while an exact or prefix comparison reads
// the token's.
//
// A '?' or '#' is refused anywhere, also percent-decoded: such a URI
// states a path and a ref, never a query or fragment, and git allows both
// in a branch name, so "…/release.yml@refs/heads/x#@refs/heads/main" ends,
// to a suffix or pattern match, in the ref refs/heads/main, while a URI
// parser reads the path "…/release.yml@refs/heads/x" (branch x). ztci
// refuses rather than percent-encodes, so that what it certifies or states
// is byte for byte the claim (as Fulcio writes it) or nothing.
func CheckURIPath(uri string) error {
	if strings.ContainsAny(uri, "?#") {
		return fmt.Errorf("%w: holds '?' or '#' (a query or fragment ends the path early)", ErrURIPath)
	}
	u, err := url.Parse(uri)
	if err != nil {
		return fmt.Errorf("%w: not a URI", ErrURIPath)
	}
	segs := strings.Split(strings.TrimPrefix(rawPath(u, uri), "/"), "/")
	for i, s := range segs {
		if s == "" && i < len(segs)-1 {
			return fmt.Errorf("%w: empty segment %d (\"//\")", ErrURIPath, i+1)
		}
		if err := checkSegment(s); err != nil {
			return fmt.Errorf("%w: segment %d %w", ErrURIPath, i+1, err)
		}
	}
	return nil
}

// rawPath is the path of uri (parsed as u) as written: after the scheme
// and the authority, before the query or fragment, split where url.Parse
// splits it. u.Path is decoded, and u.EscapedPath re-encodes what it
// cannot keep, so neither shows a "%2f".
func rawPath(u *url.URL, uri string) string {
	if i := strings.IndexAny(uri, "?#"); i >= 0 {
		uri = uri[:i]
	}
	if u.Scheme != "" {
		uri = uri[len(u.Scheme)+1:]
	}
	if rest, ok := strings.CutPrefix(uri, "//"); ok && (u.Scheme != "" || !strings.HasPrefix(rest, "/")) {
		if i := strings.IndexByte(rest, '/'); i >= 0 {
			return rest[i:]
		}
		return ""
	}
	return uri
}

// checkSegment refuses a segment that decodes to a dot segment or to more
// than one segment.
func checkSegment(s string) error {
	for range maxUnescape + 1 {
		if s == "." || s == ".." {
			return errors.New("is a dot segment once percent-decoded")
		}
		if strings.ContainsAny(s, `/\?#`) {
			return errors.New(`holds '/', '\', '?' or '#' once percent-decoded`)
		}
		d, err := url.PathUnescape(s)
		if err != nil || d == s {
			return nil
		}
		s = d
	}
	return fmt.Errorf("is percent-encoded more than %d times", maxUnescape)
}
