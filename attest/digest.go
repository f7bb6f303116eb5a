package attest

import (
	"fmt"
	"maps"
	"slices"
	"strings"

	"github.com/ztci/ztci/internal/clip"
)

// Digest algorithm names as the in-toto DigestSet specification spells them.
const (
	AlgSHA256    = "sha256"
	AlgSHA384    = "sha384"
	AlgSHA512    = "sha512"
	AlgSHA1      = "sha1"
	AlgGitCommit = "gitCommit"
)

// DigestSet maps an algorithm name to a digest value, as in the in-toto
// DigestSet field type: {"sha256": "<lowercase hex>"}.
type DigestSet map[string]string

// hexLengths holds, for every algorithm the in-toto spec names with a
// fixed-size lowercase-hex value, the acceptable lengths in hex characters.
//
// Version skew: gitCommit, gitTree, gitBlob and gitTag accept both the SHA-1
// (40) and the SHA-256 (64) object formats. This follows the spec text
// (spec/v1/digest_set.md at in-toto/attestation 051624c) and the upstream test
// vector gitCommitSha256Rd; the released Go library in-toto/attestation v1.2.0
// still accepts only 40 and rejects that vector.
var hexLengths = map[string][]int{
	"md5":        {32},
	"sha1":       {40},
	"ripemd160":  {40},
	"sha224":     {56},
	"sha512_224": {56},
	"sha3_224":   {56},
	"sha256":     {64},
	"sha512_256": {64},
	"sha3_256":   {64},
	"sm3":        {64},
	"dirHash":    {64},
	"sha384":     {96},
	"sha3_384":   {96},
	"sha512":     {128},
	"sha3_512":   {128},
	"gitCommit":  {40, 64},
	"gitTree":    {40, 64},
	"gitBlob":    {40, 64},
	"gitTag":     {40, 64},
}

// variableHex holds algorithms the spec names with lowercase hex values of an
// output length chosen by the producer.
var variableHex = map[string]bool{
	"shake128": true, "shake256": true, "blake2b": true, "blake2s": true, "gost": true,
}

// validateDigest checks one DigestSet entry. Algorithms the spec does not name
// are accepted unchecked, as the spec requires (consumers ignore them),
// unless their name is a variant spelling of one it does (see
// checkAlgorithmName); use ParseDigest where only known algorithms may appear.
func validateDigest(alg, value string) error {
	lengths, fixed := hexLengths[alg]
	if !fixed && !variableHex[alg] {
		return checkAlgorithmName(alg)
	}
	if !isLowerHex(value) {
		return fmt.Errorf("%w: %s value %q", ErrDigestEncoding, alg, clip.String(value, 80))
	}
	if fixed && !slices.Contains(lengths, len(value)) {
		return &DigestLengthError{Algorithm: alg, Want: slices.Clone(lengths), Got: len(value)}
	}
	if !fixed && (len(value) == 0 || len(value)%2 != 0) {
		return &DigestLengthError{Algorithm: alg, Want: nil, Got: len(value)}
	}
	return nil
}

// Validate checks every entry of the set with the in-toto rules: named
// standard algorithms carry lowercase hex of their exact length; other
// algorithms are left to the consumer. An empty set is valid here; a
// Statement subject additionally requires at least one entry.
func (d DigestSet) Validate() error {
	for _, alg := range slices.Sorted(maps.Keys(d)) {
		if err := validateDigest(alg, d[alg]); err != nil {
			return err
		}
	}
	return nil
}

// Digest is one algorithm:value pair in the "sha256:<hex>" form used by OCI
// descriptors and command lines.
type Digest struct {
	Algorithm string
	Value     string
}

// ParseDigest parses "<algorithm>:<lowercase hex>". Unlike a DigestSet, it
// accepts only the fixed-length algorithms the in-toto spec names
// (ErrUnknownAlgorithm otherwise) and checks alphabet and length.
func ParseDigest(s string) (Digest, error) {
	alg, value, ok := strings.Cut(s, ":")
	if !ok || alg == "" {
		return Digest{}, fmt.Errorf("%w: %q is not <algorithm>:<hex>", ErrUnknownAlgorithm, clip.String(s, 80))
	}
	if _, known := hexLengths[alg]; !known {
		return Digest{}, fmt.Errorf("%w: %q", ErrUnknownAlgorithm, clip.String(alg, 80))
	}
	if err := validateDigest(alg, value); err != nil {
		return Digest{}, err
	}
	return Digest{Algorithm: alg, Value: value}, nil
}

// String returns "<algorithm>:<value>".
func (d Digest) String() string { return d.Algorithm + ":" + d.Value }

// Set returns the digest as a one-entry DigestSet.
func (d Digest) Set() DigestSet { return DigestSet{d.Algorithm: d.Value} }

// checkAlgorithmName refuses an algorithm name the spec does not name but
// that reads as one it does: another case, punctuation or spacing
// ("SHA-512", "sha256 ", "Sha256", "sha-256"), or a character outside
// printable ASCII (an invisible one, a look-alike letter). Consumers match
// names exactly and ignore unknown ones, so {"sha256": A, "SHA-256": B}
// has a verifier match A while the person reviewing the statement reads B
// as the same algorithm. Names that fold to no spec name ("gitCommit"
// aside, "myHash") stay allowed, as the spec requires.
func checkAlgorithmName(alg string) error {
	for i := 0; i < len(alg); i++ {
		if alg[i] < 0x21 || alg[i] > 0x7e {
			return fmt.Errorf("%w: algorithm name %q is not printable ASCII", ErrAlgorithmSpelling, clip.String(alg, 80))
		}
	}
	if known, ok := foldedAlgorithms[foldAlgorithm(alg)]; ok {
		return fmt.Errorf("%w: %q is not the spec's name %q", ErrAlgorithmSpelling, clip.String(alg, 80), known)
	}
	return nil
}

// foldedAlgorithms maps each spec-named algorithm's folded name to the name.
var foldedAlgorithms = func() map[string]string {
	m := make(map[string]string, len(hexLengths)+len(variableHex))
	for n := range hexLengths {
		m[foldAlgorithm(n)] = n
	}
	for n := range variableHex {
		m[foldAlgorithm(n)] = n
	}
	return m
}()

// foldAlgorithm keeps only an algorithm name's letters (lowercased) and digits.
func foldAlgorithm(alg string) string {
	var b strings.Builder
	for i := 0; i < len(alg); i++ {
		switch c := alg[i]; {
		case c >= 'a' && c <= 'z', c >= '0' && c <= '9':
			b.WriteByte(c)
		case c >= 'A' && c <= 'Z':
			b.WriteByte(c + 'a' - 'A')
		}
	}
	return b.String()
}

func isLowerHex(s string) bool {
	for i := 0; i < len(s); i++ {
		c := s[i]
		if (c < '0' || c > '9') && (c < 'a' || c > 'f') {
			return false
		}
	}
	return true
}
