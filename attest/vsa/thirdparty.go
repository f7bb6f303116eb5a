package vsa

import (
	"bytes"
	"context"
	"crypto"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rsa"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"math/big"
	"reflect"
	"slices"
	"strconv"
	"time"
	"unicode/utf8"

	"golang.org/x/crypto/ssh"

	"github.com/ztci/ztci/attest"
	"github.com/ztci/ztci/internal/clip"
	"github.com/ztci/ztci/internal/strictjson"
)

// PayloadTypeInToto is the DSSE payloadType of an in-toto Statement, the
// only one [VerifyThirdParty] accepts.
const PayloadTypeInToto = "application/vnd.in-toto+json"

// MaxEnvelopeSize bounds the DSSE envelope [VerifyThirdParty] reads: a
// Statement of MaxSize in base64, with room for signatures.
const MaxEnvelopeSize = 2 << 20

// MaxThirdPartySkew is how far ahead of the clock a third-party summary's
// timeVerified may lie when [ThirdPartyExpectations.MaxAge] is set.
const MaxThirdPartySkew = time.Minute

// Why [VerifyThirdParty] refused a summary. Every error it returns wraps
// ErrUnverified and exactly one of the finer sentinels; a failed
// comparison is a [*CheckError] naming the check, the wanted and the
// found value. Parse errors of the statement or the predicate also wrap
// attest's or this package's sentinels (ErrPredicateType, ErrInvalid, ...).
var (
	// ErrUnverified: the third-party summary is not verified evidence.
	ErrUnverified = errors.New("vsa: third-party summary not verified")
	// ErrExpectations: the expectations are unusable (no key, a key type
	// or hash that is not supported, no subject digest, no verifier id or
	// resource URI, an expected SLSA level that is no level, or a level
	// that no summary may hold: "slsa_build_level_3", "failed", one with
	// surrounding space or a character that is not printable). Nothing
	// was read.
	ErrExpectations = fmt.Errorf("%w: expectations unusable", ErrUnverified)
	// ErrEnvelope: the input is not one DSSE envelope (too large, not
	// strict JSON, unknown or repeated members, payload not base64, a
	// payloadType other than PayloadTypeInToto, no signature).
	ErrEnvelope = fmt.Errorf("%w: malformed DSSE envelope", ErrUnverified)
	// ErrSignature: no signature of the envelope verifies with the pinned
	// key.
	ErrSignature = fmt.Errorf("%w: no valid signature by the pinned key", ErrUnverified)
	// ErrKeyID: every signature names a key id other than the pinned one
	// (or, with no id pinned, the key's SHA256 fingerprint), so none was
	// tried. It wraps ErrSignature.
	ErrKeyID = fmt.Errorf("%w: key id mismatch", ErrSignature)
	// ErrStatement: the signed payload is not an in-toto Statement v1
	// carrying a valid VSA v1 predicate.
	ErrStatement = fmt.Errorf("%w: payload is not a VSA v1 statement", ErrUnverified)
	// ErrSubjectMismatch: an expected digest is in no subject.
	ErrSubjectMismatch = fmt.Errorf("%w: subject digest mismatch", ErrUnverified)
	// ErrVerifierMismatch: verifier.id is not the expected one.
	ErrVerifierMismatch = fmt.Errorf("%w: verifier id mismatch", ErrUnverified)
	// ErrResourceMismatch: resourceUri is not the expected one.
	ErrResourceMismatch = fmt.Errorf("%w: resource URI mismatch", ErrUnverified)
	// ErrNotPassed: verificationResult is not PASSED.
	ErrNotPassed = fmt.Errorf("%w: result is not PASSED", ErrUnverified)
	// ErrLevels: an expected level is not among verifiedLevels.
	ErrLevels = fmt.Errorf("%w: verified levels insufficient", ErrUnverified)
	// ErrStale: timeVerified is older than MaxAge, or more than
	// MaxThirdPartySkew ahead of the clock.
	ErrStale = fmt.Errorf("%w: outside the freshness window", ErrUnverified)
)

// CheckError reports a failed comparison: Check names it ("subject",
// "verifier.id", "resourceUri", "verificationResult", "verifiedLevels",
// "timeVerified", "keyid"), Want and Got the values (untrusted ones
// clipped to 64 bytes). Err is one of the sentinels above.
type CheckError struct {
	Check     string
	Want, Got string
	Err       error
}

func (e *CheckError) Error() string {
	return fmt.Sprintf("%v: %s: want %q, got %q", e.Err, e.Check, e.Want, e.Got)
}

// Unwrap returns Err.
func (e *CheckError) Unwrap() error { return e.Err }

// ThirdPartyExpectations is what a consumer pins for one verifier, the
// inputs of slsa-verifier verify-vsa.
type ThirdPartyExpectations struct {
	// Key is the verifier's public key (--public-key-path): an
	// *ecdsa.PublicKey (P-256, P-384, P-521), an *rsa.PublicKey of at
	// least 2048 bits (PKCS #1 v1.5) or an ed25519.PublicKey.
	Key crypto.PublicKey
	// KeyID (--public-key-id), when set, is the key id a signature must
	// name or leave empty to be tried. When empty, the key's SHA256 SSH
	// fingerprint ("SHA256:<base64>") is used instead, as slsa-verifier
	// (go-securesystemslib's DSSE verifier) does: a signature naming
	// another id is then not tried.
	KeyID string
	// Hash (--public-key-signing-hash-algo) is the digest signed; zero
	// picks slsa-verifier's default: SHA-256 for RSA and P-256, SHA-384
	// for P-384, SHA-512 for P-521. Ed25519 signs the message itself and
	// takes zero or SHA-512 (what slsa-verifier passes and ignores).
	Hash crypto.Hash
	// SubjectDigests (--subject-digest): every entry must be in the digest
	// set of some subject. At least one is required.
	SubjectDigests attest.DigestSet
	// VerifierID (--verifier-id) must equal verifier.id.
	VerifierID string
	// ResourceURI (--resource-uri) must equal resourceUri.
	ResourceURI string
	// VerifiedLevels (--verified-levels) must be covered by
	// verifiedLevels: an SLSA level SLSA_<TRACK>_LEVEL_<n> by a level of
	// the same track at least n; any other value by itself.
	VerifiedLevels []string
	// MaxAge, when positive, refuses a summary whose timeVerified is
	// older than MaxAge at Now, or more than MaxThirdPartySkew after it.
	// slsa-verifier checks no time; zero does the same.
	MaxAge time.Duration
	// Now is the time freshness is judged at; zero means time.Now().
	Now time.Time
}

// ThirdPartySummary is a verified third-party summary.
type ThirdPartySummary struct {
	Summary  *Summary
	Subjects []attest.ResourceDescriptor
	// KeyID is the key id the accepted signature was checked under (the
	// pinned KeyID, or the key's SHA256 fingerprint).
	KeyID string
	// Payload is the signed Statement, byte for byte
	// (slsa-verifier --print-attestation).
	Payload []byte
}

// VerifyThirdParty verifies a SLSA VSA v1 signed by a third-party verifier
// as a raw DSSE envelope (not a Sigstore bundle), following slsa-verifier
// verify-vsa (https://slsa.dev/spec/v1.1/verification_summary#how-to-verify):
//
//  1. the envelope is one strict DSSE JSON object of at most
//     MaxEnvelopeSize with payloadType PayloadTypeInToto;
//  2. one signature verifies over the DSSE PAE with want.Key, tried only
//     when its keyid is empty or the pinned one (see
//     [ThirdPartyExpectations.KeyID]); ECDSA signatures are ASN.1 DER or
//     IEEE P1363 (r||s, each of the curve's size), as slsa-verifier
//     accepts both; RSA is PKCS #1 v1.5, as slsa-verifier loads it;
//  3. the payload is an in-toto Statement v1 (attest.ParseStatement) with
//     predicateType PredicateType, its predicate read by [ParsePredicate];
//  4. every expected subject digest, verifier.id, resourceUri,
//     verificationResult PASSED and the expected levels match;
//  5. with MaxAge, timeVerified is fresh.
//
// It is stricter than slsa-verifier where that one is lenient: it refuses
// unknown or repeated envelope members, a payload holding two members
// equal under case folding ("subject" and "Subject", which slsa-verifier's
// encoding/json reads as one), a legacy Statement v0.1 and every predicate
// ParsePredicate refuses. Errors wrap ErrUnverified (see the
// sentinels); callers treat any error as "no evidence". ctx is checked
// before any work.
func VerifyThirdParty(ctx context.Context, envelope []byte, want ThirdPartyExpectations) (*ThirdPartySummary, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	v, err := want.verifier()
	if err != nil {
		return nil, err
	}
	env, err := parseEnvelope(envelope)
	if err != nil {
		return nil, err
	}
	keyID, err := v.verify(env)
	if err != nil {
		return nil, err
	}
	st, err := attest.ParseStatement(env.payload)
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrStatement, err)
	}
	if st.Type != attest.StatementTypeV1 {
		return nil, fmt.Errorf("%w: _type %q is not %s", ErrStatement, clip.String(st.Type, 64), attest.StatementTypeV1)
	}
	s, err := FromStatement(st)
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrStatement, err)
	}
	if err := want.match(st.Subject, s); err != nil {
		return nil, err
	}
	return &ThirdPartySummary{Summary: s, Subjects: st.Subject, KeyID: keyID, Payload: env.payload}, nil
}

// match applies checks 4 and 5, in slsa-verifier's order.
func (want *ThirdPartyExpectations) match(subjects []attest.ResourceDescriptor, s *Summary) error {
	for _, alg := range slices.Sorted(maps.Keys(want.SubjectDigests)) {
		d := want.SubjectDigests[alg]
		if !slices.ContainsFunc(subjects, func(rd attest.ResourceDescriptor) bool { return rd.Digest[alg] == d }) {
			return &CheckError{Check: "subject", Want: alg + ":" + d, Got: subjectList(subjects), Err: ErrSubjectMismatch}
		}
	}
	if s.Verifier.ID != want.VerifierID {
		return &CheckError{Check: "verifier.id", Want: want.VerifierID, Got: clip.String(s.Verifier.ID, 64), Err: ErrVerifierMismatch}
	}
	if s.ResourceURI != want.ResourceURI {
		return &CheckError{Check: "resourceUri", Want: want.ResourceURI, Got: clip.String(s.ResourceURI, 64), Err: ErrResourceMismatch}
	}
	if s.Result != Passed {
		return &CheckError{Check: "verificationResult", Want: string(Passed), Got: string(s.Result), Err: ErrNotPassed}
	}
	if l, ok := coveredLevels(want.VerifiedLevels, s.VerifiedLevels); !ok {
		return &CheckError{Check: "verifiedLevels", Want: l, Got: clip.String(fmt.Sprint(s.VerifiedLevels), 64), Err: ErrLevels}
	}
	if want.MaxAge > 0 {
		now := want.Now
		if now.IsZero() {
			now = time.Now()
		}
		if t := s.TimeVerified; now.Sub(t) > want.MaxAge || t.Sub(now) > MaxThirdPartySkew {
			return &CheckError{Check: "timeVerified", Want: "within " + want.MaxAge.String() + " of " + now.UTC().Format(time.RFC3339),
				Got: t.Format(time.RFC3339Nano), Err: ErrStale}
		}
	}
	return nil
}

func subjectList(subjects []attest.ResourceDescriptor) string {
	var b bytes.Buffer
	for _, rd := range subjects {
		for _, alg := range slices.Sorted(maps.Keys(rd.Digest)) {
			if b.Len() > 0 {
				b.WriteByte(' ')
			}
			b.WriteString(alg + ":" + rd.Digest[alg])
		}
	}
	return clip.String(b.String(), 64)
}

// coveredLevels mirrors slsa-verifier's matchVerifiedLevels: an expected
// SLSA_<TRACK>_LEVEL_<n> needs a level of TRACK at least n (the summary
// holds at most one per track, ParsePredicate refuses two); any other
// expected value needs itself. It returns the first expected level not
// covered.
func coveredLevels(want, got []string) (string, bool) {
	have := map[string]int{}
	for _, l := range got {
		if m := slsaLevel.FindStringSubmatch(l); m != nil {
			n, _ := strconv.Atoi(m[2]) // the pattern bounds it to 3 digits
			have[m[1]] = n
		}
	}
	for _, l := range want {
		if m := slsaLevel.FindStringSubmatch(l); m != nil {
			n, _ := strconv.Atoi(m[2])
			if g, ok := have[m[1]]; !ok || g < n {
				return l, false
			}
			continue
		}
		if !slices.Contains(got, l) {
			return l, false
		}
	}
	return "", true
}

// sigVerifier checks one signature over the PAE with the pinned key.
type sigVerifier struct {
	keyID string
	check func(msg, sig []byte) bool
}

// Validate reports unusable expectations (see [ErrExpectations]) without
// reading anything; VerifyThirdParty applies it first. A consumer that
// pins a verifier ahead of the artifacts can call it at configuration
// time with placeholder subject digests and resource URI.
func (want ThirdPartyExpectations) Validate() error {
	_, err := want.verifier()
	return err
}

// verifier validates the expectations and builds the key's check.
func (want *ThirdPartyExpectations) verifier() (*sigVerifier, error) {
	switch {
	case len(want.SubjectDigests) == 0:
		return nil, fmt.Errorf("%w: no subject digest", ErrExpectations)
	case want.VerifierID == "":
		return nil, fmt.Errorf("%w: no verifier id", ErrExpectations)
	case want.ResourceURI == "":
		return nil, fmt.Errorf("%w: no resource URI", ErrExpectations)
	}
	for alg, d := range want.SubjectDigests {
		if alg == "" || d == "" {
			return nil, fmt.Errorf("%w: empty subject digest algorithm or value", ErrExpectations)
		}
	}
	for _, l := range want.VerifiedLevels {
		if l == "" || (len(l) >= 5 && l[:5] == "SLSA_" && !slsaLevel.MatchString(l)) || disguisedLevel(l) {
			return nil, fmt.Errorf("%w: %q is not a level", ErrExpectations, clip.String(l, 64))
		}
	}
	if want.MaxAge < 0 {
		return nil, fmt.Errorf("%w: negative MaxAge", ErrExpectations)
	}
	v := &sigVerifier{keyID: want.KeyID}
	h := want.Hash
	switch k := want.Key.(type) {
	case *ecdsa.PublicKey:
		if k == nil || k.Curve == nil {
			return nil, fmt.Errorf("%w: nil ECDSA key", ErrExpectations)
		}
		size := (k.Curve.Params().BitSize + 7) / 8
		switch k.Curve {
		case elliptic.P256():
			h = cmpHash(h, crypto.SHA256)
		case elliptic.P384():
			h = cmpHash(h, crypto.SHA384)
		case elliptic.P521():
			h = cmpHash(h, crypto.SHA512)
		default:
			return nil, fmt.Errorf("%w: ECDSA curve %s", ErrExpectations, k.Curve.Params().Name)
		}
		if h != crypto.SHA256 && h != crypto.SHA384 && h != crypto.SHA512 {
			return nil, fmt.Errorf("%w: hash %v for ECDSA", ErrExpectations, h)
		}
		v.check = func(msg, sig []byte) bool {
			d := digest(h, msg)
			if ecdsa.VerifyASN1(k, d, sig) {
				return true
			}
			if len(sig) != 2*size { // IEEE P1363 r||s
				return false
			}
			r, s := new(big.Int).SetBytes(sig[:size]), new(big.Int).SetBytes(sig[size:])
			return ecdsa.Verify(k, d, r, s)
		}
	case *rsa.PublicKey:
		if k == nil || k.N == nil || k.N.BitLen() < 2048 {
			return nil, fmt.Errorf("%w: RSA key under 2048 bits", ErrExpectations)
		}
		h = cmpHash(h, crypto.SHA256)
		if h != crypto.SHA256 && h != crypto.SHA384 && h != crypto.SHA512 {
			return nil, fmt.Errorf("%w: hash %v for RSA", ErrExpectations, h)
		}
		v.check = func(msg, sig []byte) bool { return rsa.VerifyPKCS1v15(k, h, digest(h, msg), sig) == nil }
	case ed25519.PublicKey:
		if len(k) != ed25519.PublicKeySize {
			return nil, fmt.Errorf("%w: Ed25519 key of %d bytes", ErrExpectations, len(k))
		}
		if h != 0 && h != crypto.SHA512 {
			return nil, fmt.Errorf("%w: hash %v for Ed25519", ErrExpectations, h)
		}
		v.check = func(msg, sig []byte) bool { return ed25519.Verify(k, msg, sig) }
	default:
		return nil, fmt.Errorf("%w: key type %T", ErrExpectations, want.Key)
	}
	if v.keyID == "" {
		id, err := KeyFingerprint(want.Key)
		if err != nil {
			return nil, err
		}
		v.keyID = id
	}
	return v, nil
}

func cmpHash(h, def crypto.Hash) crypto.Hash {
	if h == 0 {
		return def
	}
	return h
}

func digest(h crypto.Hash, msg []byte) []byte {
	w := h.New()
	w.Write(msg)
	return w.Sum(nil)
}

// KeyFingerprint is the key id go-securesystemslib's DSSE verifier (and so
// slsa-verifier) gives a key that has none: its SHA256 SSH fingerprint,
// "SHA256:" and the unpadded base64 of the SHA-256 of its SSH wire form.
func KeyFingerprint(key crypto.PublicKey) (string, error) {
	pk, err := ssh.NewPublicKey(key)
	if err != nil {
		return "", fmt.Errorf("%w: key fingerprint: %v", ErrExpectations, err)
	}
	return ssh.FingerprintSHA256(pk), nil
}

// envelopeJSON is a DSSE envelope's JSON; the schema refuses its member
// names repeated or in another case.
type envelopeJSON struct {
	PayloadType string          `json:"payloadType"`
	Payload     string          `json:"payload"`
	Signatures  []signatureJSON `json:"signatures"`
}

type signatureJSON struct {
	KeyID string `json:"keyid"`
	Sig   string `json:"sig"`
}

var envelopeSchema = strictjson.SchemaOf(reflect.TypeFor[envelopeJSON]())

type envelope struct {
	payloadType string
	payload     []byte
	signatures  []signatureJSON
}

// parseEnvelope strictly reads one DSSE envelope.
func parseEnvelope(b []byte) (*envelope, error) {
	if len(b) > MaxEnvelopeSize {
		return nil, fmt.Errorf("%w: %d bytes, limit %d", ErrEnvelope, len(b), MaxEnvelopeSize)
	}
	if !utf8.Valid(b) {
		return nil, fmt.Errorf("%w: not valid UTF-8", ErrEnvelope)
	}
	if err := envelopeSchema.CheckBounded(b); err != nil {
		return nil, fmt.Errorf("%w: %w", ErrEnvelope, err)
	}
	top, err := envObject("envelope", b, "payloadType", "payload", "signatures")
	if err != nil {
		return nil, err
	}
	var raw envelopeJSON
	if err := json.Unmarshal(b, &raw); err != nil {
		return nil, fmt.Errorf("%w: wrong JSON type", ErrEnvelope)
	}
	if raw.PayloadType != PayloadTypeInToto {
		return nil, fmt.Errorf("%w: payloadType %q is not %s", ErrEnvelope, clip.String(raw.PayloadType, 64), PayloadTypeInToto)
	}
	var sigs []json.RawMessage
	_ = json.Unmarshal(top["signatures"], &sigs) // raw decoded, so this is an array or absent
	if len(sigs) == 0 {
		return nil, fmt.Errorf("%w: no signature", ErrEnvelope)
	}
	for i, s := range sigs {
		if _, err := envObject("signatures["+strconv.Itoa(i)+"]", s, "keyid", "sig"); err != nil {
			return nil, err
		}
	}
	payload, err := b64(raw.Payload)
	if err != nil || len(payload) == 0 {
		return nil, fmt.Errorf("%w: payload is not base64 or empty", ErrEnvelope)
	}
	return &envelope{payloadType: raw.PayloadType, payload: payload, signatures: raw.Signatures}, nil
}

// envObject decodes one JSON object and refuses a member not in known:
// DSSE defines no extension members.
func envObject(field string, raw []byte, known ...string) (map[string]json.RawMessage, error) {
	if strictjson.TooManyMembers(raw) {
		return nil, fmt.Errorf("%w: %s has more members than its size allows", ErrEnvelope, field)
	}
	var m map[string]json.RawMessage
	if err := json.Unmarshal(raw, &m); err != nil || m == nil {
		return nil, fmt.Errorf("%w: %s is not a JSON object", ErrEnvelope, field)
	}
	for k := range m {
		if !slices.Contains(known, k) {
			return nil, fmt.Errorf("%w: %s: unknown member %q", ErrEnvelope, field, clip.String(k, 64))
		}
	}
	return m, nil
}

// b64 decodes as go-securesystemslib does: standard, then URL-safe
// alphabet, both padded.
func b64(s string) ([]byte, error) {
	b, err := base64.StdEncoding.DecodeString(s)
	if err != nil {
		b, err = base64.URLEncoding.DecodeString(s)
	}
	return b, err
}

// pae is DSSE's pre-authentication encoding.
func pae(payloadType string, payload []byte) []byte {
	return fmt.Appendf(nil, "DSSEv1 %d %s %d %s", len(payloadType), payloadType, len(payload), payload)
}

// verify returns the key id of the first signature that verifies. A
// signature naming another key id is skipped, as go-securesystemslib does;
// one whose sig is not base64 fails the envelope.
func (v *sigVerifier) verify(env *envelope) (string, error) {
	msg := pae(env.payloadType, env.payload)
	tried := false
	var named []string
	for _, s := range env.signatures {
		sig, err := b64(s.Sig)
		if err != nil {
			return "", fmt.Errorf("%w: signature is not base64", ErrEnvelope)
		}
		if s.KeyID != "" && s.KeyID != v.keyID {
			named = append(named, s.KeyID)
			continue
		}
		tried = true
		if v.check(msg, sig) {
			return v.keyID, nil
		}
	}
	if !tried {
		return "", &CheckError{Check: "keyid", Want: v.keyID, Got: clip.String(fmt.Sprint(named), 64), Err: ErrKeyID}
	}
	return "", fmt.Errorf("%w (key id %s)", ErrSignature, v.keyID)
}
