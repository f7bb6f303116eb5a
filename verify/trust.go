package verify

import (
	"bytes"
	"crypto"
	"crypto/sha256"
	"crypto/x509"
	_ "embed" // the public-good trusted root snapshot
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"os"
	"slices"
	"sync"
	"time"

	"github.com/sigstore/sigstore-go/pkg/root"

	tsaverification "github.com/sigstore/timestamp-authority/v2/pkg/verification"
	"github.com/ztci/ztci/internal/clip"
)

//go:embed trusted_root_public_good.json
var publicGoodJSON []byte

// PublicGoodSnapshot names the embedded public-good trusted root: where it
// was copied from and when it was current. It contains Rekor v1 and Rekor v2
// (log2025-1), both Fulcio CAs, CT log 2022 and the production TSA (from
// 2025-07-04). Refresh it by copying a newer trusted_root.json from a
// sigstore client's TUF cache into verify/ and updating this string.
const PublicGoodSnapshot = "sigstore/sigstore-python@27db13d (2026-08-19), sigstore/_store/https%3A%2F%2Ftuf-repo-cdn.sigstore.dev/trusted_root.json"

// maxTrustedRootSize bounds LoadTrustedRoot reads.
const maxTrustedRootSize = 16 << 20

// PublicGood returns the embedded snapshot of the Sigstore public-good
// trusted root (see PublicGoodSnapshot). It never touches the network; a
// root refreshed through TUF is the caller's explicit choice (for example
// sigstore-go's root.NewLiveTrustedRoot, passed to New as any
// root.TrustedMaterial, though not with WithResultCache).
func PublicGood() (root.TrustedMaterial, error) {
	return ParseTrustedRoot(publicGoodJSON)
}

// PublicGoodJSON returns a copy of the embedded trusted_root.json.
func PublicGoodJSON() []byte { return append([]byte(nil), publicGoodJSON...) }

// ParseTrustedRoot parses a trusted_root.json (any media type sigstore-go
// accepts). Errors wrap ErrTrustMaterial.
func ParseTrustedRoot(b []byte) (root.TrustedMaterial, error) {
	tr, err := root.NewTrustedRootFromJSON(b)
	if err != nil {
		return nil, stageErr(ErrTrustMaterial, "parse trusted root", err)
	}
	return tr, nil
}

// LoadTrustedRoot reads and parses a trusted_root.json file (at most 16 MiB).
func LoadTrustedRoot(path string) (root.TrustedMaterial, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, stageErr(ErrTrustMaterial, "open trusted root", err)
	}
	defer f.Close()
	b, err := io.ReadAll(io.LimitReader(f, maxTrustedRootSize+1))
	if err != nil {
		return nil, stageErr(ErrTrustMaterial, "read trusted root", err)
	}
	if len(b) > maxTrustedRootSize {
		return nil, stageErr(ErrTrustMaterial, fmt.Sprintf("trusted root %s larger than %d bytes", path, maxTrustedRootSize), nil)
	}
	return ParseTrustedRoot(b)
}

// Trust is static trust material: one or more trusted roots (or any
// root.TrustedMaterial) captured once at NewTrust. It implements
// root.TrustedMaterial and saves Fulcio chain work in two ways, neither of
// which can accept a certificate crypto/x509 would reject (tests compare it
// with sigstore-go's plain CA around every validity boundary):
//
//   - Static chains: each intermediate of a CA whose chain up to the root
//     verifies once at NewTrust, and whose issuers add no name constraints,
//     no extended key usage excluding code signing and no exhausted path
//     length, becomes an anchor: a leaf is verified against the intermediate
//     (its signature, validity, EKU, the intermediate's constraints) by
//     crypto/x509, and only the validity windows of the certificates above
//     are checked at the proven time. The intermediate → root signature is
//     not checked again bundle after bundle. Other CAs take the full path.
//   - Repeated certificates: a successful verification is remembered, keyed
//     by the CA and the certificate's bytes, and reused at another proven
//     time only if every certificate of the chain is inside its validity
//     window then (and the CA's validity period holds); otherwise the full
//     verification runs again. Failures are never remembered; the memo is
//     bounded.
//   - Timestamps: a TSA whose signing certificate the trusted root pins has
//     its chain verified once; each RFC 3161 timestamp is verified by
//     sigstore's verifier with the pinned leaf as anchor plus the validity
//     windows above it (falling back to the full verification), and a
//     successful verification is remembered by its exact bytes. A TSA
//     signing key listed more than once (under several URIs, say with
//     consecutive validity windows) is one authority: its timestamps
//     report the URI it is first listed under, so that sigstore-go, which
//     counts timestamps once per URI, does not count it twice toward
//     WithSignedTimestampThreshold.
//
// Intermediates that a bundle carries (v0.1/v0.2 certificate chains) are not
// added to a memoized CA's pool, unlike sigstore-go's own CA: a leaf issued
// by an intermediate absent from the trusted root is rejected (fail closed).
//
// A Trust is safe for concurrent use. Because it is a snapshot, build it from
// static roots only; pass a refreshing root.TrustedMaterial to New directly.
//
// Public keys are the exception: root.TrustedMaterial answers
// PublicKeyVerifier by key id and cannot list its keys, so a Trust cannot
// copy them and asks the materials it was built from on every call. They
// are static only when every material is a *root.TrustedRoot (which holds
// no keys) or a Trust whose keys are; over any other material (sigstore-go's
// root.TrustedPublicKeyMaterial is a function), New refuses WithResultCache
// with WithAnySignerUnsafe, the one expectation under which the material's
// keys decide a keyed bundle (a PublicKey expectation verifies with its own
// key, an Identity refuses keyed bundles).
type Trust struct {
	tsas    []root.TimestampingAuthority
	cas     []root.CertificateAuthority
	rekor   map[string]*root.TransparencyLog
	ct      map[string]*root.TransparencyLog
	keys    root.TrustedMaterial
	static  bool // keys answer the same for ever: see staticKeys
	memo    *chainMemo
	sources int
	// parts are the roots a Trust merges, each a Trust of its own (nil
	// for one root): a bundle verifies under one part alone (see NewTrust).
	parts []*Trust
}

var _ root.TrustedMaterial = (*Trust)(nil)

// NewTrust combines trust material. At least one is required. Materials
// that describe one Rekor or CT log (by log id) must agree on its key,
// validity period and hashes; otherwise NewTrust fails with
// ErrTrustMaterial rather than keep whichever came last (see checkLogs).
//
// Trust is scoped per material: a Verifier built on a Trust of several
// materials verifies each certificate bundle under one material alone, so
// that only the transparency logs, timestamp authorities and CT logs of
// the root whose CA issued the certificate prove when it was signed. A tenant's TSA cannot vouch for the signing time of
// a certificate from another root's CA (for example after that
// certificate expired). Keyed bundles are verified against the merged
// material (a keys-only material has no TSA of its own). A Trust passed to
// NewTrust counts as the materials it was built from.
func NewTrust(materials ...root.TrustedMaterial) (*Trust, error) {
	if len(materials) == 0 {
		return nil, stageErr(ErrTrustMaterial, "no trust material given", nil)
	}
	coll := make(root.TrustedMaterialCollection, 0, len(materials))
	for i, m := range materials {
		if m == nil {
			return nil, stageErr(ErrTrustMaterial, fmt.Sprintf("trust material %d is nil", i), nil)
		}
		coll = append(coll, m)
	}
	if err := checkLogs(materials); err != nil {
		return nil, err
	}
	var tsas []root.TimestampingAuthority
	tsMemo := newTimestampMemo(defaultMemoSize)
	// sigstore-go counts signed timestamps once per TSA URI: a TSA whose
	// signing key the material lists twice, under two URIs (consecutive
	// validity windows: a move, or two roots naming it their own way),
	// would count twice toward WithSignedTimestampThreshold. Each key
	// answers with the URI it is first listed under.
	uris := map[string]string{}
	canonical := func(key, uri string) string {
		if key == "" {
			return uri
		}
		if u, ok := uris[key]; ok {
			return u
		}
		uris[key] = uri
		return uri
	}
	for _, a := range coll.TimestampingAuthorities() {
		switch st := a.(type) {
		case *root.SigstoreTimestampingAuthority:
			key := ""
			if st.Leaf != nil {
				key = string(st.Leaf.RawSubjectPublicKeyInfo)
			}
			a = &memoTSA{tsa: wrapTSA(a), memo: tsMemo, id: len(tsas), key: key, uri: canonical(key, st.URI)}
		case *memoTSA: // from a Trust among the materials
			a = &memoTSA{tsa: st.tsa, memo: tsMemo, id: len(tsas), key: st.key, uri: canonical(st.key, st.uri)}
		}
		tsas = append(tsas, a)
	}
	t := &Trust{
		tsas:    tsas,
		rekor:   coll.RekorLogs(),
		ct:      coll.CTLogs(),
		keys:    coll,
		static:  !slices.ContainsFunc(materials, func(m root.TrustedMaterial) bool { return !staticKeys(m) }),
		memo:    newChainMemo(defaultMemoSize),
		sources: len(materials),
	}
	for _, ca := range coll.FulcioCertificateAuthorities() {
		t.cas = append(t.cas, wrapCA(ca, t.memo))
	}
	var err error
	if t.parts, err = partsOf(materials); err != nil {
		return nil, err
	}
	return t, nil
}

// partsOf returns one Trust per root among materials (a Trust stands for
// its own parts), or nil when there is only one.
func partsOf(materials []root.TrustedMaterial) ([]*Trust, error) {
	var out []*Trust
	for _, m := range materials {
		if mt, ok := m.(*Trust); ok {
			if len(mt.parts) > 0 {
				out = append(out, mt.parts...)
			} else {
				out = append(out, mt)
			}
			continue
		}
		if len(materials) == 1 {
			return nil, nil // one root: no parts (and no recursion)
		}
		p, err := NewTrust(m)
		if err != nil {
			return nil, err
		}
		out = append(out, p)
	}
	if len(out) < 2 {
		return nil, nil
	}
	return out, nil
}

// issued reports whether one of t's CA certificates signed leaf (whatever
// the time): the root a certificate bundle belongs to. CAs of an unknown
// implementation cannot be asked and count as issuers (the verification
// under that part still decides).
func (t *Trust) issued(leaf *x509.Certificate) bool {
	for _, ca := range t.cas {
		var fca *root.FulcioCertificateAuthority
		switch c := ca.(type) {
		case *memoCA:
			fca = c.fca
		case *root.FulcioCertificateAuthority:
			fca = c
		default:
			return true
		}
		for _, ic := range append(slices.Clone(fca.Intermediates), fca.Root) {
			if ic != nil && leaf.CheckSignatureFrom(ic) == nil {
				return true
			}
		}
	}
	return false
}

// checkLogs refuses materials that describe one log (a Rekor or CT log
// id) differently. sigstore-go's collection keeps whichever description
// comes last, so the order of NewTrust's arguments would decide which key
// verifies the log's entries and over which validity window: a private
// root carrying a stale copy of the public-good Rekor log (no end date,
// or the key before a rotation) would reopen a window that a newer
// public-good root closed, or put another key behind the log's id.
func checkLogs(materials []root.TrustedMaterial) error {
	kinds := []struct {
		name string
		logs func(root.TrustedMaterial) map[string]*root.TransparencyLog
	}{{"Rekor log", root.TrustedMaterial.RekorLogs}, {"CT log", root.TrustedMaterial.CTLogs}}
	for _, k := range kinds {
		type stated struct {
			by  int
			log *root.TransparencyLog
		}
		first := map[string]stated{}
		for i, m := range materials {
			for id, l := range k.logs(m) {
				f, seen := first[id]
				if !seen {
					first[id] = stated{i, l}
					continue
				}
				if !sameLog(f.log, l) {
					return stageErr(ErrTrustMaterial, fmt.Sprintf("trust materials %d and %d state %s %s differently "+
						"(key, validity period or hash): refusing to pick one by argument order", f.by, i, k.name, id), nil)
				}
			}
		}
	}
	return nil
}

// sameLog reports whether two descriptions of a log agree on everything
// its entries are verified with (the base URL is only where to reach it).
func sameLog(a, b *root.TransparencyLog) bool {
	if a == nil || b == nil {
		return a == b
	}
	k, ok := a.PublicKey.(interface{ Equal(crypto.PublicKey) bool })
	return ok && k.Equal(b.PublicKey) && bytes.Equal(a.ID, b.ID) &&
		a.ValidityPeriodStart.Equal(b.ValidityPeriodStart) && a.ValidityPeriodEnd.Equal(b.ValidityPeriodEnd) &&
		a.HashFunc == b.HashFunc && a.SignatureHashFunc == b.SignatureHashFunc
}

// TimestampingAuthorities implements root.TrustedMaterial.
func (t *Trust) TimestampingAuthorities() []root.TimestampingAuthority { return t.tsas }

// FulcioCertificateAuthorities implements root.TrustedMaterial.
func (t *Trust) FulcioCertificateAuthorities() []root.CertificateAuthority { return t.cas }

// RekorLogs implements root.TrustedMaterial.
func (t *Trust) RekorLogs() map[string]*root.TransparencyLog { return t.rekor }

// CTLogs implements root.TrustedMaterial.
func (t *Trust) CTLogs() map[string]*root.TransparencyLog { return t.ct }

// PublicKeyVerifier implements root.TrustedMaterial. It asks the materials
// the Trust was built from (see Trust on public keys). A key id that more
// than one of them answers is refused (ErrTrustMaterial) rather than
// answered by whichever comes first in argument order.
func (t *Trust) PublicKeyVerifier(hint string) (root.TimeConstrainedVerifier, error) {
	if len(t.parts) == 0 {
		return t.keys.PublicKeyVerifier(hint)
	}
	var found root.TimeConstrainedVerifier
	for _, p := range t.parts {
		v, err := p.PublicKeyVerifier(hint)
		if err != nil {
			continue
		}
		if found != nil {
			return nil, stageErr(ErrTrustMaterial, fmt.Sprintf("key id %s is held by more than one trust material", clip.Quote(hint, 80)), nil)
		}
		found = v
	}
	if found == nil {
		return t.keys.PublicKeyVerifier(hint) // its error
	}
	return found, nil
}

// staticKeys reports whether m's PublicKeyVerifier is known to answer the
// same for ever: a parsed trusted root (sigstore-go's TrustedRoot holds no
// keys and refuses every key id), or a Trust built from such.
func staticKeys(m root.TrustedMaterial) bool {
	switch m := m.(type) {
	case *root.TrustedRoot:
		return true
	case *Trust:
		return m != nil && m.static
	}
	return false
}

// defaultMemoSize bounds the chain memo (entries); about 2 KiB each.
const defaultMemoSize = 4096

// chainMemo remembers successful chain verifications. Bounded: when full it
// is emptied (simple, and verification stays correct, only slower).
type chainMemo struct {
	mu  sync.Mutex
	max int
	m   map[[32]byte][][]*x509.Certificate
}

func newChainMemo(maxEntries int) *chainMemo {
	return &chainMemo{max: maxEntries, m: make(map[[32]byte][][]*x509.Certificate)}
}

func (c *chainMemo) get(k [32]byte) ([][]*x509.Certificate, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	v, ok := c.m[k]
	return v, ok
}

func (c *chainMemo) put(k [32]byte, v [][]*x509.Certificate) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if len(c.m) >= c.max {
		clear(c.m)
	}
	c.m[k] = v
}

func (c *chainMemo) len() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return len(c.m)
}

// memoCA wraps a static Fulcio CA.
type memoCA struct {
	fca     *root.FulcioCertificateAuthority
	id      [32]byte
	memo    *chainMemo
	anchors []caAnchor
}

// caAnchor is an intermediate of the CA whose chain up to the root was
// verified once (signatures, CA flags, path lengths): leaves are then
// verified against the intermediate alone, and only the validity windows of
// the certificates above it are checked per call. See anchorsFor for when
// an intermediate qualifies; anything else takes the full x509 path.
type caAnchor struct {
	pool  *x509.CertPool      // just the intermediate, as the trust anchor
	upper []*x509.Certificate // its issuers up to and including the root
}

func wrapCA(ca root.CertificateAuthority, memo *chainMemo) root.CertificateAuthority {
	fca, ok := ca.(*root.FulcioCertificateAuthority)
	if !ok || fca.Root == nil {
		return ca // unknown implementation: used as is, not memoized
	}
	h := sha256.New()
	h.Write(fca.Root.Raw)
	for _, c := range fca.Intermediates {
		h.Write(c.Raw)
	}
	m := &memoCA{fca: fca, memo: memo, anchors: anchorsFor(fca)}
	h.Sum(m.id[:0])
	return m
}

// anchorsFor returns the intermediates that can stand in for the root: each
// must be a CA whose chain to the root verifies (at a time inside every
// window of that chain), and every certificate above it must add no check
// that verifying the leaf against the intermediate alone would skip: no name
// constraints, an extended key usage that admits code signing, a path
// length that admits the intermediates below it. Validity windows of the
// certificates above are checked at every call (see memoCA.Verify).
func anchorsFor(fca *root.FulcioCertificateAuthority) []caAnchor {
	var out []caAnchor
	for i, ic := range fca.Intermediates {
		if !ic.BasicConstraintsValid || !ic.IsCA {
			continue
		}
		roots := x509.NewCertPool()
		roots.AddCert(fca.Root)
		others := x509.NewCertPool()
		for j, o := range fca.Intermediates {
			if j != i {
				others.AddCert(o)
			}
		}
		at := ic.NotBefore
		if fca.Root.NotBefore.After(at) {
			at = fca.Root.NotBefore
		}
		chains, err := ic.Verify(x509.VerifyOptions{Roots: roots, Intermediates: others, CurrentTime: at, KeyUsages: []x509.ExtKeyUsage{x509.ExtKeyUsageAny}})
		if err != nil || len(chains) == 0 {
			continue
		}
		upper := chains[0][1:]
		ok := true
		for j, u := range upper {
			// In the full chain leaf → ic → upper[0] → …, upper[j] has
			// j+1 intermediates below it.
			if hasNameConstraints(u) || !admitsCodeSigning(u) || (u.BasicConstraintsValid && u.MaxPathLen >= 0 && j+1 > u.MaxPathLen) {
				ok = false
				break
			}
		}
		if !ok {
			continue
		}
		pool := x509.NewCertPool()
		pool.AddCert(ic)
		out = append(out, caAnchor{pool: pool, upper: upper})
	}
	return out
}

func hasNameConstraints(c *x509.Certificate) bool {
	return len(c.PermittedDNSDomains) > 0 || len(c.ExcludedDNSDomains) > 0 ||
		len(c.PermittedIPRanges) > 0 || len(c.ExcludedIPRanges) > 0 ||
		len(c.PermittedEmailAddresses) > 0 || len(c.ExcludedEmailAddresses) > 0 ||
		len(c.PermittedURIDomains) > 0 || len(c.ExcludedURIDomains) > 0
}

// admitsCodeSigning follows crypto/x509's chain rule: a CA certificate
// without extended key usages, or with "any", or with code signing passes.
func admitsCodeSigning(c *x509.Certificate) bool {
	if len(c.ExtKeyUsage) == 0 && len(c.UnknownExtKeyUsage) == 0 {
		return true
	}
	for _, u := range c.ExtKeyUsage {
		if u == x509.ExtKeyUsageAny || u == x509.ExtKeyUsageCodeSigning {
			return true
		}
	}
	return false
}

// verifyAnchored verifies cert against each anchor at t; it returns nil
// when no anchor yields a chain whose upper certificates are valid at t
// (the caller then runs the full verification).
func (m *memoCA) verifyAnchored(cert *x509.Certificate, t time.Time) [][]*x509.Certificate {
	var out [][]*x509.Certificate
	for _, a := range m.anchors {
		if len(chainsValidAt([][]*x509.Certificate{a.upper}, t)) == 0 {
			continue
		}
		chains, err := cert.Verify(x509.VerifyOptions{Roots: a.pool, CurrentTime: t, KeyUsages: []x509.ExtKeyUsage{x509.ExtKeyUsageCodeSigning}})
		if err != nil {
			continue
		}
		for _, c := range chains {
			out = append(out, append(c[:len(c):len(c)], a.upper...))
		}
	}
	return out
}

// errCAValidity mirrors FulcioCertificateAuthority's own checks.
var errCAValidity = errors.New("certificate authority not valid at the observed time")

func (m *memoCA) Verify(cert *x509.Certificate, t time.Time) ([][]*x509.Certificate, error) {
	if !m.fca.ValidityPeriodStart.IsZero() && t.Before(m.fca.ValidityPeriodStart) {
		return nil, errCAValidity
	}
	if !m.fca.ValidityPeriodEnd.IsZero() && t.After(m.fca.ValidityPeriodEnd) {
		return nil, errCAValidity
	}
	// A certificate whose unhandled critical extensions were not cleared by
	// the caller must go through x509 every time (it fails there).
	memoable := cert != nil && len(cert.UnhandledCriticalExtensions) == 0
	var key [32]byte
	if memoable {
		h := sha256.New()
		h.Write(m.id[:])
		h.Write(cert.Raw)
		h.Sum(key[:0])
		if chains, ok := m.memo.get(key); ok {
			if valid := chainsValidAt(chains, t); len(valid) > 0 {
				return valid, nil
			}
		}
	}
	chains := m.verifyAnchored(cert, t)
	if chains == nil {
		var err error
		if chains, err = m.fca.Verify(cert, t); err != nil {
			return nil, err
		}
	}
	if memoable {
		m.memo.put(key, chains)
	}
	return chains, nil
}

// chainsValidAt keeps the chains whose every certificate is inside its
// validity window at t, with x509's inclusive bounds.
func chainsValidAt(chains [][]*x509.Certificate, t time.Time) [][]*x509.Certificate {
	var out [][]*x509.Certificate
	for _, chain := range chains {
		ok := true
		for _, c := range chain {
			if t.Before(c.NotBefore) || t.After(c.NotAfter) {
				ok = false
				break
			}
		}
		if ok {
			out = append(out, chain)
		}
	}
	return out
}

// anchoredTSA is a timestamp authority from static trust material whose
// signing certificate (the leaf) is pinned by the trusted root: its chain
// up to the root is verified once, and each timestamp is then verified by
// sigstore's own RFC 3161 verifier with the pinned leaf as the trust anchor
// (signature, message imprint, ESS certificate id, leaf validity at the
// timestamp's time, leaf EKU), plus the validity windows of the
// certificates above the leaf at that time. When that fails, the plain
// verification runs, so the outcome is never more permissive than
// sigstore-go's.
type anchoredTSA struct {
	tsa    *root.SigstoreTimestampingAuthority
	anchor []*x509.Certificate // just the leaf
	upper  []*x509.Certificate // the leaf's issuers up to the root
}

func wrapTSA(a root.TimestampingAuthority) root.TimestampingAuthority {
	st, ok := a.(*root.SigstoreTimestampingAuthority)
	if !ok || st.Leaf == nil || st.Root == nil || st.Leaf.IsCA {
		return a
	}
	roots := x509.NewCertPool()
	roots.AddCert(st.Root)
	inter := x509.NewCertPool()
	for _, c := range st.Intermediates {
		inter.AddCert(c)
	}
	at := st.Leaf.NotBefore
	for _, c := range append([]*x509.Certificate{st.Root}, st.Intermediates...) {
		if c.NotBefore.After(at) {
			at = c.NotBefore
		}
	}
	chains, err := st.Leaf.Verify(x509.VerifyOptions{Roots: roots, Intermediates: inter, CurrentTime: at, KeyUsages: []x509.ExtKeyUsage{x509.ExtKeyUsageTimeStamping}})
	if err != nil || len(chains) == 0 {
		return a
	}
	upper := chains[0][1:]
	for j, u := range upper {
		// upper[j] has j intermediates below it; intermediates (not the
		// root) must allow timestamping, as sigstore's verifier requires.
		if hasNameConstraints(u) || (u.BasicConstraintsValid && u.MaxPathLen >= 0 && j > u.MaxPathLen) {
			return a
		}
		if j < len(upper)-1 && !admitsTimestamping(u) {
			return a
		}
	}
	return &anchoredTSA{tsa: st, anchor: []*x509.Certificate{st.Leaf}, upper: upper}
}

// admitsTimestamping mirrors the intermediate rule of sigstore's RFC 3161
// verifier: no EKU, or one of them timestamping or any.
func admitsTimestamping(c *x509.Certificate) bool {
	if len(c.ExtKeyUsage) == 0 {
		return true
	}
	for _, u := range c.ExtKeyUsage {
		if u == x509.ExtKeyUsageTimeStamping || u == x509.ExtKeyUsageAny {
			return true
		}
	}
	return false
}

func (a *anchoredTSA) Verify(signedTimestamp, signature []byte) (*root.Timestamp, error) {
	ts, err := tsaverification.VerifyTimestampResponse(signedTimestamp, bytes.NewReader(signature),
		tsaverification.VerifyOpts{Roots: a.anchor, TSACertificate: a.anchor[0]})
	if err != nil || len(chainsValidAt([][]*x509.Certificate{a.upper}, ts.Time)) == 0 {
		return a.tsa.Verify(signedTimestamp, signature)
	}
	if !a.tsa.ValidityPeriodStart.IsZero() && ts.Time.Before(a.tsa.ValidityPeriodStart) {
		return nil, errors.New("timestamp is before the validity period start")
	}
	if !a.tsa.ValidityPeriodEnd.IsZero() && ts.Time.After(a.tsa.ValidityPeriodEnd) {
		return nil, errors.New("timestamp is after the validity period end")
	}
	return &root.Timestamp{Time: ts.Time, URI: a.tsa.URI}, nil
}

// memoTSA remembers successful timestamp verifications of a static TSA,
// keyed by the TSA and the exact timestamp and signature bytes. The result
// depends only on those and the static trust material (the certificate
// chain is checked at the timestamp's own time, never "now"), so a repeat is
// answered from memory: sigstore-go verifies each timestamp twice when both
// signed and observer timestamps are required. Failures are not remembered.
type memoTSA struct {
	tsa  root.TimestampingAuthority
	memo *timestampMemo
	id   int
	// key is the pinned signing certificate's public key (DER), "" when
	// the material pins none; uri is the URI a timestamp it verifies
	// reports: the one its key is first listed under (see NewTrust).
	key, uri string
}

func (m *memoTSA) Verify(signedTimestamp, signature []byte) (*root.Timestamp, error) {
	h := sha256.New()
	var n [16]byte
	binary.BigEndian.PutUint64(n[:8], uint64(m.id))
	binary.BigEndian.PutUint64(n[8:], uint64(len(signedTimestamp)))
	h.Write(n[:])
	h.Write(signedTimestamp)
	h.Write(signature)
	var k [32]byte
	h.Sum(k[:0])
	if ts, ok := m.memo.get(k); ok {
		c := *ts
		return &c, nil
	}
	ts, err := m.tsa.Verify(signedTimestamp, signature)
	if err != nil {
		return nil, err
	}
	c := *ts
	c.URI = m.uri
	m.memo.put(k, &c)
	out := c
	return &out, nil
}

// timestampMemo is a bounded map, emptied when full.
type timestampMemo struct {
	mu  sync.Mutex
	max int
	m   map[[32]byte]*root.Timestamp
}

func newTimestampMemo(n int) *timestampMemo {
	return &timestampMemo{max: n, m: make(map[[32]byte]*root.Timestamp)}
}

func (t *timestampMemo) get(k [32]byte) (*root.Timestamp, bool) {
	t.mu.Lock()
	defer t.mu.Unlock()
	v, ok := t.m[k]
	return v, ok
}

func (t *timestampMemo) put(k [32]byte, v *root.Timestamp) {
	t.mu.Lock()
	defer t.mu.Unlock()
	if len(t.m) >= t.max {
		clear(t.m)
	}
	t.m[k] = v
}
