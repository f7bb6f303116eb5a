package svid

import (
	"fmt"
	"maps"
	"slices"
	"strings"

	"github.com/spiffe/go-spiffe/v2/spiffeid"

	"github.com/ztci/ztci/internal/clip"
)

// ErrNamespaceTaken: [Issuer.ReserveNamespace] found the namespace, or one
// above or below it, reserved for another owner. It wraps [ErrConfig].
var ErrNamespaceTaken = fmt.Errorf("%w: SPIFFE ID namespace reserved for another owner", ErrConfig)

// maxNamespaceQuote bounds a prefix or owner quoted in an error.
const maxNamespaceQuote = 256

// ReserveNamespace reserves the IDs at and below prefix (a SPIFFE ID path
// such as "/ci": no trailing '/', no empty, "." or ".." segment) for
// owner, a name of whoever derives IDs there (identity/exchange reserves
// its template's leading literal segments for its template and token
// issuer's URL). It
// refuses ([ErrNamespaceTaken]) a prefix at, above or below one reserved
// for another owner, where two owners could mint one ID for different
// workloads: two token exchanges whose verifiers trust different token
// issuers (gitlab.com and a self-managed GitLab) would otherwise give both
// instances' "evil/x" the same ID from one template. Reserving again for
// the same owner is not an error. Reservations hold for the life of this
// Issuer value, in this process: replicas each keep their own, and IDs
// that X509SVID and JWTSVID are asked for directly are not checked.
func (i *Issuer) ReserveNamespace(prefix, owner string) error {
	if owner == "" {
		return fmt.Errorf("%w: ReserveNamespace: empty owner", ErrConfig)
	}
	if prefix == "" || spiffeid.ValidatePath(prefix) != nil {
		return fmt.Errorf("%w: ReserveNamespace: %s is not a SPIFFE ID path", ErrConfig, clip.Quote(prefix, maxNamespaceQuote))
	}
	i.nsmu.Lock()
	defer i.nsmu.Unlock()
	for _, p := range slices.Sorted(maps.Keys(i.namespaces)) {
		if o := i.namespaces[p]; o != owner && (pathWithin(p, prefix) || pathWithin(prefix, p)) {
			return fmt.Errorf("%w: %s overlaps %s, reserved for %s", ErrNamespaceTaken, clip.Quote(prefix, maxNamespaceQuote), clip.Quote(p, maxNamespaceQuote), clip.Quote(o, maxNamespaceQuote))
		}
	}
	if _, ok := i.namespaces[prefix]; !ok {
		if i.namespaces == nil {
			i.namespaces = map[string]string{}
		}
		i.namespaces[prefix] = owner
	}
	return nil
}

// pathWithin reports whether path is prefix or lies below it, segment by
// segment ("/ci/x" lies within "/ci", "/cix" does not).
func pathWithin(path, prefix string) bool {
	return path == prefix || strings.HasPrefix(path, prefix+"/")
}
