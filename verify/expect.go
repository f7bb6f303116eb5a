package verify

import (
	"bytes"
	"crypto"
	"crypto/ed25519"
	"crypto/sha256"
	"crypto/sha512"
	"crypto/x509"
	"encoding/hex"
	"encoding/pem"
	"fmt"
	"hash"
	"io"
	"regexp"
	"strings"

	"github.com/sigstore/sigstore/pkg/signature"
	"github.com/sigstore/sigstore/pkg/signature/options"

	"github.com/ztci/ztci/internal/clip"
)

// Expectation is what must be true of a bundle besides its cryptography. It
// is fixed per Verifier (see New); the artifact is given per call.
type Expectation struct {
	// Signer is who must have signed: an Identity (certificate bundles) or
	// a PublicKey (keyed bundles). Required unless WithAnySignerUnsafe.
	Signer Signer
	// PredicateType is the in-toto predicate type the signed statement must
	// carry (exact match). Empty means the bundle must be a message
	// signature, not a statement, unless WithAnyPredicateTypeUnsafe.
	PredicateType string
	// Provenance, when set, is checked against a SLSA v1 provenance
	// predicate. It concerns the build, not the signer: the two are
	// different things (a reusable workflow signs, a builder builds).
	Provenance *Provenance
}

// Signer is an expectation about who signed: Identity or PublicKey.
type Signer interface {
	validate() error
}

// Identity is the expected identity in a Fulcio-issued signing certificate.
// Exactly one of SAN and SANRegexp and exactly one of Issuer and
// IssuerRegexp must be set; every non-empty field of Claims must match the
// certificate's Fulcio extension exactly.
type Identity struct {
	// SAN is the exact subject alternative name (URI or email), for example
	// "https://github.com/org/repo/.github/workflows/release.yml@refs/heads/main".
	// Its text says its type, and only a SAN of that type matches: an
	// absolute URI matches a URI SAN, an email address an email SAN
	// (rfc822Name), anything else Fulcio's username otherName. A
	// certificate whose SAN is of another type than its text is refused
	// whatever the expectation (SANRegexp included), so that a person's
	// email identity and a workflow's URI identity never stand for each
	// other.
	SAN string
	// SANRegexp is a Go regular expression the SAN must match. It is
	// anchored for you (^(?:...)$) so that a forgotten anchor does not
	// admit "https://evil.example/?https://github.com/org/repo/...". It
	// must be a regular expression by itself: one that parses only once
	// wrapped (an unbalanced ')', as in "x)|(.*", would close the
	// anchoring group and escape it) is refused by New. A SAN holding
	// more than one '@' never matches a regexp, only an exact SAN: a
	// branch named "x@refs/tags/v1" gives the SAN
	// ".../release.yml@refs/heads/x@refs/tags/v1", which a pattern for
	// tag builds of any workflow (".../workflows/.*@refs/tags/v.*")
	// would match.
	SANRegexp string
	// Issuer is the exact OIDC issuer (Fulcio extension 1.3.6.1.4.1.57264.1.8).
	Issuer string
	// IssuerRegexp is an anchored Go regular expression for the issuer,
	// with SANRegexp's rules.
	IssuerRegexp string
	// Claims are further CI claims from Fulcio's extensions (source
	// repository, ref, workflow, …), each compared exactly when set.
	Claims Claims
}

// PublicKey expects a bundle signed by this key (a "managed key"), for
// example from ParsePublicKeyPEM. Certificate bundles are refused.
//
// The signature algorithm is pinned with the key, never read from the
// bundle: ECDSA with the hash its curve implies (SHA-256 for P-256, SHA-384
// for P-384, SHA-512 for P-521: what cosign v2.6 and later sign with,
// sigstore's signature.LoadDefaultSignerVerifier), RSA PKCS #1 v1.5 with
// SHA-256, and for an Ed25519 key pure Ed25519 unless Ed25519ph is set. An
// ECDSA key has one scheme: a P-384 or P-521 signature over SHA-256 (cosign
// up to v2.5) is refused, as sigstore-go refuses it for a trusted key. The two Ed25519 schemes are distinct algorithms over
// the same key (RFC 8032 §5.1), and a key verifies exactly one of them.
type PublicKey struct {
	Key crypto.PublicKey
	// Ed25519ph pins an Ed25519 Key to Ed25519ph (Ed25519 over the SHA-512
	// of the message, RFC 8032 §5.1) instead of pure Ed25519: then only
	// Ed25519ph signatures verify, and pure ones are refused. Set it for
	// what cosign v2.6 and later sign with an Ed25519 key: `cosign sign
	// --key` and `cosign attest --key` (".sig" and ".att" tags and
	// new-format bundles), and `cosign sign-blob --key` when the signature
	// is logged (the default). Leave it unset for pure Ed25519 (cosign up
	// to v2.5, KMS and PKCS #11 Ed25519 keys, sign-blob with
	// --tlog-upload=false). It is a choice, not a fallback: the signer's
	// tooling fixes the scheme, and a verifier that tried both would check
	// one key's signatures under two algorithms. On a key that is not
	// Ed25519 it is a *KeyAlgorithmError from New, never ignored.
	Ed25519ph bool
}

// Claims are the Fulcio certificate extensions
// (https://github.com/sigstore/fulcio/blob/main/docs/oid-info.md). In an
// expectation, empty fields are not checked; in a Result they are what the
// certificate says.
type Claims struct {
	BuildSignerURI                      string `json:"buildSignerURI,omitempty"`
	BuildSignerDigest                   string `json:"buildSignerDigest,omitempty"`
	RunnerEnvironment                   string `json:"runnerEnvironment,omitempty"`
	SourceRepositoryURI                 string `json:"sourceRepositoryURI,omitempty"`
	SourceRepositoryDigest              string `json:"sourceRepositoryDigest,omitempty"`
	SourceRepositoryRef                 string `json:"sourceRepositoryRef,omitempty"`
	SourceRepositoryIdentifier          string `json:"sourceRepositoryIdentifier,omitempty"`
	SourceRepositoryOwnerURI            string `json:"sourceRepositoryOwnerURI,omitempty"`
	SourceRepositoryOwnerIdentifier     string `json:"sourceRepositoryOwnerIdentifier,omitempty"`
	BuildConfigURI                      string `json:"buildConfigURI,omitempty"`
	BuildConfigDigest                   string `json:"buildConfigDigest,omitempty"`
	BuildTrigger                        string `json:"buildTrigger,omitempty"`
	RunInvocationURI                    string `json:"runInvocationURI,omitempty"`
	SourceRepositoryVisibilityAtSigning string `json:"sourceRepositoryVisibilityAtSigning,omitempty"`
}

// fields lists the claims by JSON name, in a fixed order.
func (c *Claims) fields() [][2]string {
	return [][2]string{
		{"buildSignerURI", c.BuildSignerURI},
		{"buildSignerDigest", c.BuildSignerDigest},
		{"runnerEnvironment", c.RunnerEnvironment},
		{"sourceRepositoryURI", c.SourceRepositoryURI},
		{"sourceRepositoryDigest", c.SourceRepositoryDigest},
		{"sourceRepositoryRef", c.SourceRepositoryRef},
		{"sourceRepositoryIdentifier", c.SourceRepositoryIdentifier},
		{"sourceRepositoryOwnerURI", c.SourceRepositoryOwnerURI},
		{"sourceRepositoryOwnerIdentifier", c.SourceRepositoryOwnerIdentifier},
		{"buildConfigURI", c.BuildConfigURI},
		{"buildConfigDigest", c.BuildConfigDigest},
		{"buildTrigger", c.BuildTrigger},
		{"runInvocationURI", c.RunInvocationURI},
		{"sourceRepositoryVisibilityAtSigning", c.SourceRepositoryVisibilityAtSigning},
	}
}

func (id Identity) validate() error {
	if (id.SAN == "") == (id.SANRegexp == "") {
		return fmt.Errorf("%w: identity needs exactly one of SAN and SANRegexp", ErrInvalidExpectation)
	}
	if (id.Issuer == "") == (id.IssuerRegexp == "") {
		return fmt.Errorf("%w: identity needs exactly one of Issuer and IssuerRegexp", ErrInvalidExpectation)
	}
	for _, re := range []string{id.SANRegexp, id.IssuerRegexp} {
		if re == "" {
			continue
		}
		// The regexp must parse on its own, not only once wrapped: an
		// unbalanced ')' closes the anchoring group early, and
		// "https://github.com/org/.*)|(.*" wrapped as ^(?:…)$ is
		// "^(?:https://github.com/org/.*)" or "(.*)$", which matches
		// every SAN. Parsed alone first, the regexp is one whole
		// expression and the wrapper anchors all of it.
		if _, err := regexp.Compile(re); err != nil {
			return fmt.Errorf("%w: identity regexp %s: %v", ErrInvalidExpectation, clip.Quote(re, maxValueText), clip.Error(err, maxCauseText))
		}
		if _, err := regexp.Compile(anchor(re)); err != nil {
			return fmt.Errorf("%w: identity regexp %s: %v", ErrInvalidExpectation, clip.Quote(re, maxValueText), clip.Error(err, maxCauseText))
		}
	}
	return nil
}

func anchor(re string) string { return "^(?:" + re + ")$" }

func (k PublicKey) validate() error {
	if k.Key == nil {
		return fmt.Errorf("%w: public key is nil", ErrInvalidExpectation)
	}
	if _, err := x509.MarshalPKIXPublicKey(k.Key); err != nil {
		return fmt.Errorf("%w: public key: %v", ErrInvalidExpectation, err)
	}
	if _, ok := k.Key.(ed25519.PublicKey); k.Ed25519ph && !ok {
		return &KeyAlgorithmError{Algorithm: "Ed25519ph", Key: fmt.Sprintf("%T", k.Key)}
	}
	return nil
}

// verifier loads the key with its pinned algorithm: the registry's default
// for the key (ECDSA with its curve's hash, RSA PKCS #1 v1.5 with SHA-256,
// pure Ed25519), or Ed25519ph when asked. sigstore's WithED25519ph alone
// would be silently ignored for another key type; validate has refused
// that combination already.
func (k PublicKey) verifier() (signature.Verifier, error) {
	if k.Ed25519ph {
		return signature.LoadDefaultVerifier(k.Key, options.WithED25519ph())
	}
	return signature.LoadDefaultVerifier(k.Key)
}

// ParsePublicKeyPEM parses a PEM "PUBLIC KEY" (PKIX) block, as written by
// cosign and the conformance suite's key.pub files.
func ParsePublicKeyPEM(b []byte) (PublicKey, error) {
	blk, _ := pem.Decode(b)
	if blk == nil || blk.Type != "PUBLIC KEY" {
		return PublicKey{}, fmt.Errorf("%w: not a PEM PUBLIC KEY block", ErrInvalidExpectation)
	}
	k, err := x509.ParsePKIXPublicKey(blk.Bytes)
	if err != nil {
		return PublicKey{}, fmt.Errorf("%w: public key: %v", ErrInvalidExpectation, err)
	}
	return PublicKey{Key: k}, nil
}

// Artifact is the thing the bundle must sign, given per Verify call: its
// bytes (ArtifactBytes), a stream (ArtifactReader) or a digest
// (ArtifactDigest). For a statement, the artifact must be one of its
// subjects.
type Artifact struct {
	data   []byte
	r      io.Reader
	alg    string // for digests: sha256, sha384, sha512
	digest []byte
}

// ArtifactBytes is an artifact held in memory.
func ArtifactBytes(b []byte) Artifact {
	if b == nil {
		b = []byte{}
	}
	return Artifact{data: b}
}

// ArtifactReader is an artifact read once, as a stream, when Verify needs
// it; it is hashed with the algorithm the bundle uses, never held in memory.
// (A message signature made with pure Ed25519 needs the bytes: use
// ArtifactBytes.)
func ArtifactReader(r io.Reader) Artifact { return Artifact{r: r} }

// ArtifactDigest is an artifact known by its digest: alg is sha256, sha384
// or sha512 and hexDigest its lowercase hex value.
func ArtifactDigest(alg, hexDigest string) (Artifact, error) {
	n := digestSize(alg)
	if n == 0 {
		return Artifact{}, fmt.Errorf("%w: digest algorithm %s: want sha256, sha384 or sha512", ErrInvalidExpectation, clip.Quote(alg, 40))
	}
	d, err := hex.DecodeString(hexDigest)
	if err != nil || len(d) != n || strings.ToLower(hexDigest) != hexDigest {
		return Artifact{}, fmt.Errorf("%w: %s digest must be %d lowercase hex characters, got %s", ErrInvalidExpectation, alg, 2*n, clip.Quote(hexDigest, 140))
	}
	return Artifact{alg: alg, digest: d}, nil
}

// ParseArtifactDigest parses "alg:hex" (for example "sha256:abc…").
func ParseArtifactDigest(s string) (Artifact, error) {
	alg, h, ok := strings.Cut(s, ":")
	if !ok {
		return Artifact{}, fmt.Errorf("%w: digest %s: want alg:hex", ErrInvalidExpectation, clip.Quote(s, 160))
	}
	return ArtifactDigest(alg, h)
}

func digestSize(alg string) int {
	switch alg {
	case "sha256":
		return sha256.Size
	case "sha384":
		return sha512.Size384
	case "sha512":
		return sha512.Size
	}
	return 0
}

func newHash(alg string) hash.Hash {
	switch alg {
	case "sha384":
		return sha512.New384()
	case "sha512":
		return sha512.New()
	}
	return sha256.New()
}

// resolved is an artifact reduced to one digest in the algorithm the bundle
// needs, plus its bytes when they were given.
type resolved struct {
	alg    string
	digest []byte
	data   []byte
}

func (r resolved) String() string { return r.alg + ":" + hex.EncodeToString(r.digest) }

// equal reports whether the artifact's digest in alg equals d.
func (r resolved) equal(alg string, d []byte) bool { return r.alg == alg && bytes.Equal(r.digest, d) }

// prepared is an artifact hashed once: its primary digest (the cache key)
// and whatever other digests are available.
type prepared struct {
	primary resolved
	data    []byte
	set     map[string][]byte
}

// prepare hashes the artifact: bytes with sha256 (others on demand), a
// stream once with sha256, sha384 and sha512 together, a digest as given.
func (a Artifact) prepare() (prepared, error) {
	switch {
	case a.digest != nil:
		return prepared{primary: resolved{alg: a.alg, digest: a.digest}}, nil
	case a.data != nil:
		sum := sha256.Sum256(a.data)
		return prepared{primary: resolved{alg: "sha256", digest: sum[:], data: a.data}, data: a.data}, nil
	case a.r != nil:
		h256, h384, h512 := sha256.New(), sha512.New384(), sha512.New()
		if _, err := io.Copy(io.MultiWriter(h256, h384, h512), a.r); err != nil {
			return prepared{}, fmt.Errorf("%w: read artifact: %v", ErrArtifactMismatch, clip.Error(err, maxCauseText))
		}
		set := map[string][]byte{"sha256": h256.Sum(nil), "sha384": h384.Sum(nil), "sha512": h512.Sum(nil)}
		return prepared{primary: resolved{alg: "sha256", digest: set["sha256"]}, set: set}, nil
	}
	return prepared{}, fmt.Errorf("%w: no artifact given (ArtifactBytes, ArtifactReader or ArtifactDigest)", ErrInvalidExpectation)
}

// cacheKey is what a result for the artifact is cached under: its primary
// digest, marked when every digest of the artifact could be computed (bytes
// or a stream) rather than only the one given. The checks differ
// (checkSubjects compares every digest it can compute), so a result for a
// digest alone never answers for the artifact's bytes.
func (p prepared) cacheKey() resolved {
	k := resolved{alg: p.primary.alg, digest: p.primary.digest}
	if p.data != nil || p.set != nil {
		k.alg = "all:" + k.alg
	}
	return k
}

// in returns the artifact's digest in alg. ok is false when the artifact was
// given as a digest in another algorithm (then the primary is returned).
func (p prepared) in(alg string) (resolved, bool) {
	if p.data != nil {
		if alg == "sha256" {
			return p.primary, true
		}
		h := newHash(alg)
		h.Write(p.data)
		return resolved{alg: alg, digest: h.Sum(nil), data: p.data}, true
	}
	if d, ok := p.set[alg]; ok {
		return resolved{alg: alg, digest: d}, true
	}
	return p.primary, p.primary.alg == alg
}
