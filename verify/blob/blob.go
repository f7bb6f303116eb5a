package blob

import (
	"bytes"
	"context"
	"crypto/sha256"
	"crypto/sha512"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"encoding/pem"
	"fmt"
	"io"
	"strings"

	protobundle "github.com/sigstore/protobuf-specs/gen/pb-go/bundle/v1"
	protocommon "github.com/sigstore/protobuf-specs/gen/pb-go/common/v1"
	protorekor "github.com/sigstore/protobuf-specs/gen/pb-go/rekor/v1"
	"google.golang.org/protobuf/encoding/protojson"

	"github.com/ztci/ztci/attest"
	"github.com/ztci/ztci/internal/clip"
	"github.com/ztci/ztci/verify"
	"github.com/ztci/ztci/verify/internal/cosignfmt"
)

// Artifact is the blob a signature is verified for, by its digests:
// SHA-256 (what cosign sign-blob signs and logs with an ECDSA P-256 or RSA
// key or keylessly), SHA-384 (with a P-384 key since cosign v2.6) and
// SHA-512 (with a P-521 key, and with an Ed25519 key: Ed25519ph, see
// verify.PublicKey.Ed25519ph, since cosign v2.6). Bytes and Reader compute
// all three; Digest names one. The zero Artifact is refused.
type Artifact struct {
	sha256 [sha256.Size]byte
	sha384 [sha512.Size384]byte
	sha512 [sha512.Size]byte
	has256 bool
	has384 bool
	has512 bool
}

// Bytes is the artifact b.
func Bytes(b []byte) Artifact {
	return Artifact{sha256: sha256.Sum256(b), sha384: sha512.Sum384(b), sha512: sha512.Sum512(b), has256: true, has384: true, has512: true}
}

// Reader hashes the artifact read from r to its end, once, with SHA-256,
// SHA-384 and SHA-512 together.
func Reader(r io.Reader) (Artifact, error) {
	h256, h384, h512 := sha256.New(), sha512.New384(), sha512.New()
	if _, err := io.Copy(io.MultiWriter(h256, h384, h512), r); err != nil {
		return Artifact{}, fmt.Errorf("%w: reading the artifact: %w", ErrInvalidInput, err)
	}
	a := Artifact{has256: true, has384: true, has512: true}
	h256.Sum(a.sha256[:0])
	h384.Sum(a.sha384[:0])
	h512.Sum(a.sha512[:0])
	return a, nil
}

// Digest is the artifact whose digest is s, "sha256:<64 lowercase hex>",
// "sha384:<96 lowercase hex>" or "sha512:<128 lowercase hex>". An artifact
// known by one digest verifies only a signature over that one: a P-384
// signature needs the SHA-384, a P-521 or Ed25519ph one the SHA-512.
func Digest(s string) (Artifact, error) {
	alg, hx, _ := strings.Cut(s, ":")
	d, err := hex.DecodeString(hx)
	var a Artifact
	switch {
	case err != nil || hex.EncodeToString(d) != hx:
	case alg == "sha256" && len(d) == sha256.Size:
		a.has256 = true
		copy(a.sha256[:], d)
		return a, nil
	case alg == "sha384" && len(d) == sha512.Size384:
		a.has384 = true
		copy(a.sha384[:], d)
		return a, nil
	case alg == "sha512" && len(d) == sha512.Size:
		a.has512 = true
		copy(a.sha512[:], d)
		return a, nil
	}
	return Artifact{}, &ParseError{Input: "artifact digest", Reason: fmt.Sprintf("%q is not sha256:<64 lowercase hex>, sha384:<96 lowercase hex> or sha512:<128 lowercase hex>", clip.String(s, maxQuote))}
}

// String is "sha256:<hex>" when a's SHA-256 is known, otherwise
// "sha384:<hex>" or "sha512:<hex>" for the one digest it is known by.
func (a Artifact) String() string {
	alg := a.defaultAlg()
	d, _ := a.digest(alg)
	return alg + ":" + hex.EncodeToString(d)
}

// Digests lists the digests a is known by, "sha256:<hex>", "sha384:<hex>"
// and "sha512:<hex>" in that order: all three for Bytes and Reader, one for
// Digest. verify/rekorv1 searches the log by them, since cosign logs a
// signature under the digest its key signs, which the artifact alone does
// not tell.
func (a Artifact) Digests() []string {
	var out []string
	for _, alg := range []string{"sha256", "sha384", "sha512"} {
		if d, ok := a.digest(alg); ok {
			out = append(out, alg+":"+hex.EncodeToString(d))
		}
	}
	return out
}

// digest returns a's digest in alg ("sha256", "sha384" or "sha512"), if
// known.
func (a Artifact) digest(alg string) ([]byte, bool) {
	switch {
	case alg == "sha256" && a.has256:
		return a.sha256[:], true
	case alg == "sha384" && a.has384:
		return a.sha384[:], true
	case alg == "sha512" && a.has512:
		return a.sha512[:], true
	}
	return nil, false
}

// defaultAlg is the digest a signature without a log entry is checked
// over: SHA-256 when known, otherwise the one digest a is known by.
func (a Artifact) defaultAlg() string {
	switch {
	case a.has256:
		return "sha256"
	case a.has384:
		return "sha384"
	}
	return "sha512"
}

// Detached is a detached signature with what travels with it.
type Detached struct {
	// Signature is the raw signature over the artifact (ParseSignature
	// decodes a ".sig" file).
	Signature []byte
	// Certificate is the DER signing certificate (ParseCertificate reads a
	// ".cert" file); nil for a signature made with a key, which the
	// verifier's expected verify.PublicKey then checks.
	Certificate []byte
	// Entry is the Rekor v1 entry logging the signature, from cosign's
	// bundle (ParseCosignBundle) or looked up online (verify/rekorv1);
	// nil when none travels with the signature.
	Entry *LogEntry
}

// LogEntry is a Rekor v1 log entry and the log's evidence for it. Nothing in
// it is trusted: the SET and the inclusion proof are verified against the
// trusted root's log keys.
type LogEntry struct {
	// Body is the canonicalized entry body (JSON) the log signed.
	Body           []byte
	IntegratedTime int64
	LogIndex       int64
	// LogID is the SHA-256 of the log's public key (DER).
	LogID []byte
	// SET is the signed entry timestamp: the log's signature over body,
	// integrated time, log index and log ID.
	SET []byte
	// Proof is the inclusion proof with its signed checkpoint, when known
	// (an online lookup has one; cosign's bundle does not).
	Proof *InclusionProof
}

// InclusionProof is a Merkle inclusion proof of an entry in the log's tree
// at TreeSize, and the log's signed checkpoint (a signed note) for that
// tree.
type InclusionProof struct {
	LogIndex   int64
	TreeSize   int64
	RootHash   []byte
	Hashes     [][]byte
	Checkpoint string
}

// Bundle converts d into the equivalent Sigstore bundle (protobuf JSON,
// v0.1) for artifact a: a message signature over a's digest, the
// certificate or a key placeholder, and the log entry with its inclusion
// promise and, when d has one, its inclusion proof. The entry's body must
// first log exactly this signature, certificate and hash (else
// *EntryMismatchError); the digest is the one it logs, SHA-256, SHA-384 or
// SHA-512 (cosign logs the digest its key signs: SHA-384 for P-384, SHA-512
// for P-521 and Ed25519ph), and SHA-256 without an entry unless a is known
// only by another digest. Nothing else is verified
// here: the bundle proves something only once a verify.Verifier accepts it
// for a.
func (d *Detached) Bundle(a Artifact) ([]byte, error) {
	if !a.has256 && !a.has384 && !a.has512 {
		return nil, fmt.Errorf("%w: the zero Artifact", ErrInvalidInput)
	}
	if d == nil || len(d.Signature) == 0 {
		return nil, &ParseError{Input: "signature", Reason: "empty"}
	}
	alg := a.defaultAlg()
	var entries []*protorekor.TransparencyLogEntry
	if e := d.Entry; e != nil {
		var err error
		if alg, err = d.checkEntry(a); err != nil {
			return nil, err
		}
		tle, err := cosignfmt.NewEntry(e.Body, e.IntegratedTime, e.LogIndex, e.LogID, e.SET)
		if err != nil {
			return nil, &ParseError{Input: "log entry", Reason: reason(err)}
		}
		if p := e.Proof; p != nil {
			tle.InclusionProof = &protorekor.InclusionProof{
				LogIndex: p.LogIndex, RootHash: p.RootHash, TreeSize: p.TreeSize, Hashes: p.Hashes,
				Checkpoint: &protorekor.Checkpoint{Envelope: p.Checkpoint},
			}
		}
		entries = []*protorekor.TransparencyLogEntry{tle}
	}
	var certs [][]byte
	if d.Certificate != nil {
		certs = [][]byte{d.Certificate}
	}
	digest, _ := a.digest(alg)
	b := &protobundle.Bundle{
		MediaType:            cosignfmt.BundleV01,
		VerificationMaterial: cosignfmt.VerificationMaterial(certs, entries, nil),
		Content: &protobundle.Bundle_MessageSignature{MessageSignature: &protocommon.MessageSignature{
			MessageDigest: &protocommon.HashOutput{Algorithm: protoHash[alg], Digest: digest},
			Signature:     d.Signature,
		}},
	}
	out, err := protojson.Marshal(b)
	if err != nil {
		return nil, fmt.Errorf("%w: encoding the bundle: %v", ErrMalformed, err)
	}
	return out, nil
}

// protoHash names the digest algorithms in a bundle.
var protoHash = map[string]protocommon.HashAlgorithm{
	"sha256": protocommon.HashAlgorithm_SHA2_256,
	"sha384": protocommon.HashAlgorithm_SHA2_384,
	"sha512": protocommon.HashAlgorithm_SHA2_512,
}

// hashedRekord is the body of a Rekor "hashedrekord" 0.0.1 entry (rekor
// pkg/generated/models: HashedrekordV001Schema).
type hashedRekord struct {
	Kind       string `json:"kind"`
	APIVersion string `json:"apiVersion"`
	Spec       struct {
		Data struct {
			Hash struct {
				Algorithm string `json:"algorithm"`
				Value     string `json:"value"`
			} `json:"hash"`
		} `json:"data"`
		Signature struct {
			Content   []byte `json:"content"`
			PublicKey struct {
				Content []byte `json:"content"`
			} `json:"publicKey"`
		} `json:"signature"`
	} `json:"spec"`
}

var hashedRekordNames = []string{"kind", "apiVersion", "spec", "data", "hash", "algorithm", "value", "signature", "content", "publicKey"}

// checkEntry requires d.Entry's body to be a hashedrekord 0.0.1 entry
// logging d's signature, d's certificate (or a public key when d has none)
// and a's SHA-256, SHA-384 or SHA-512; it returns which.
func (d *Detached) checkEntry(a Artifact) (string, error) {
	var hr hashedRekord
	if err := cosignfmt.StrictDecode(d.Entry.Body, &hr, hashedRekordNames); err != nil {
		if kind, version, kerr := cosignfmt.KindVersion(d.Entry.Body); kerr == nil {
			return "", &EntryMismatchError{Field: "kind", Want: "hashedrekord 0.0.1", Got: entryText(kind) + " " + entryText(version)}
		}
		return "", &ParseError{Input: "log entry", Reason: "body: " + reason(err)}
	}
	if hr.Kind != "hashedrekord" || hr.APIVersion != "0.0.1" {
		return "", &EntryMismatchError{Field: "kind", Want: "hashedrekord 0.0.1", Got: entryText(hr.Kind) + " " + entryText(hr.APIVersion)}
	}
	alg := hr.Spec.Data.Hash.Algorithm
	got := entryText(alg) + ":" + entryText(hr.Spec.Data.Hash.Value)
	dig, ok := a.digest(alg)
	if !ok {
		return "", &EntryMismatchError{Field: "data.hash", Want: a.String(), Got: got}
	}
	if want := alg + ":" + hex.EncodeToString(dig); got != want {
		return "", &EntryMismatchError{Field: "data.hash", Want: want, Got: got}
	}
	if !bytes.Equal(hr.Spec.Signature.Content, d.Signature) {
		return "", &EntryMismatchError{Field: "signature.content", Want: sigText(d.Signature), Got: sigText(hr.Spec.Signature.Content)}
	}
	blk, rest := pem.Decode(hr.Spec.Signature.PublicKey.Content)
	switch {
	case blk == nil || len(bytes.TrimSpace(rest)) > 0:
		return "", &EntryMismatchError{Field: "signature.publicKey", Want: want(d), Got: "not one PEM block"}
	case d.Certificate == nil && blk.Type != "PUBLIC KEY":
		return "", &EntryMismatchError{Field: "signature.publicKey", Want: want(d), Got: "PEM " + entryText(blk.Type)}
	case d.Certificate != nil && (blk.Type != "CERTIFICATE" || !bytes.Equal(blk.Bytes, d.Certificate)):
		got := "PEM " + entryText(blk.Type)
		if blk.Type == "CERTIFICATE" {
			got = "certificate " + fingerprint(blk.Bytes)
		}
		return "", &EntryMismatchError{Field: "signature.publicKey", Want: want(d), Got: got}
	}
	return alg, nil
}

func want(d *Detached) string {
	if d.Certificate == nil {
		return "a public key"
	}
	return "certificate " + fingerprint(d.Certificate)
}

// maxSigText is the longest signature an error writes out (base64 of
// 512 bytes, an RSA-4096 signature, is 684 characters).
const maxSigText = 700

// sigText is a signature as an error says it: in base64 when that is at
// most maxSigText characters (every genuine signature), otherwise by its
// SHA-256 and length. A log entry's is the log's choice, of any length.
func sigText(sig []byte) string {
	if base64.StdEncoding.EncodedLen(len(sig)) <= maxSigText {
		return base64.StdEncoding.EncodeToString(sig)
	}
	s := sha256.Sum256(sig)
	return fmt.Sprintf("(%d bytes, sha256:%s)", len(sig), hex.EncodeToString(s[:]))
}

// fingerprint names a certificate by the SHA-256 of its DER.
func fingerprint(der []byte) string {
	s := sha256.Sum256(der)
	return "sha256:" + hex.EncodeToString(s[:])
}

// Verifier verifies detached signatures by converting them to Sigstore
// bundles and handing them to one verify.Verifier: the same verification,
// with the same expectations, as any bundle. It is safe for concurrent use
// and makes no network calls.
type Verifier struct {
	v *verify.Verifier
}

// NewVerifier wraps v, which holds the trust material and the expected
// signer (a verify.Identity for ".cert" signatures, a verify.PublicKey for
// signatures made with a key). A detached signature is a message
// signature: v's Expectation has an empty PredicateType.
func NewVerifier(v *verify.Verifier) (*Verifier, error) {
	if v == nil {
		return nil, fmt.Errorf("%w: nil verify.Verifier", ErrInvalidInput)
	}
	return &Verifier{v: v}, nil
}

// Verify checks d for artifact a: the log entry binds d's signature,
// certificate and a's hash (*EntryMismatchError), then the converted bundle
// passes the verify.Verifier (the SET and inclusion proof against the
// trusted root's log keys, the certificate chain at the logged time, the
// signature over a, the signer's identity). A nil error and a Result mean
// verified; any error means deny.
//
// Every call is one verification attempt for the verify.Verifier's audit
// (verify.WithAudit): a refusal here, before the bundle reaches it, is
// recorded with verify.Verifier.Refuse, in the same event shape, and fails
// with verify.ErrAudit when the sink does not accept the event.
func (v *Verifier) Verify(ctx context.Context, d *Detached, a Artifact) (*verify.Result, error) {
	if v == nil || v.v == nil {
		return nil, fmt.Errorf("%w: a Verifier not made by NewVerifier", ErrInvalidInput)
	}
	b, err := d.Bundle(a)
	if err != nil {
		return nil, v.v.Refuse(ctx, a.name(), err)
	}
	return v.VerifyBundle(ctx, b, a)
}

// name is a as an audit event names the artifact: "" for the zero
// Artifact.
func (a Artifact) name() string {
	if !a.has256 && !a.has384 && !a.has512 {
		return ""
	}
	return a.String()
}

// VerifyBundle checks a Sigstore bundle (protobuf JSON, v0.1 to v0.3, such
// as cosign sign-blob --new-bundle-format --bundle writes) for artifact a
// with the same verify.Verifier. The bundle's message digest algorithm,
// unverified, only chooses which of a's digests is given: SHA-384 for
// SHA2_384 (a P-384 signature), SHA-512 for SHA2_512 (a P-521 or
// Ed25519ph signature), SHA-256 otherwise.
//
// A bundle holding an in-toto statement (cosign attest-blob) verifies only
// when no subject naming the artifact also names another one by a digest a
// knows: every SHA-256, SHA-384 and SHA-512 of such a subject must be a's
// (all three for Bytes and Reader, the one given for Digest), as verify
// requires for an artifact's bytes. A subject {sha256: this file, sha512:
// another file} names two files, and a reader comparing the sha512 takes
// the statement to be about the other one.
//
// As for Verify, every call is audited once by the verify.Verifier
// (verify.WithAudit), a refusal here included; the subject check runs
// inside that verification (verify.Verifier.VerifyChecked), so a statement
// it refuses is audited as a failure, never as a success.
func (v *Verifier) VerifyBundle(ctx context.Context, bundleJSON []byte, a Artifact) (*verify.Result, error) {
	if v == nil || v.v == nil {
		return nil, fmt.Errorf("%w: a Verifier not made by NewVerifier", ErrInvalidInput)
	}
	if !a.has256 && !a.has384 && !a.has512 {
		return nil, v.v.Refuse(ctx, "", fmt.Errorf("%w: the zero Artifact", ErrInvalidInput))
	}
	alg := messageDigestAlg(bundleJSON)
	d, ok := a.digest(alg)
	if !ok {
		return nil, v.v.Refuse(ctx, a.String(), &verify.ArtifactMismatchError{Want: a.String(), Got: "a " + alg + " digest"})
	}
	art, err := verify.ArtifactDigest(alg, hex.EncodeToString(d))
	if err != nil {
		return nil, v.v.Refuse(ctx, a.String(), err)
	}
	return v.v.VerifyChecked(ctx, bundleJSON, art, func(res *verify.Result) error {
		if res.Statement != nil {
			return oneArtifactPerSubject(res.Statement, a)
		}
		return nil
	})
}

// oneArtifactPerSubject refuses a statement one of whose subjects names a
// by one digest and contradicts it by another that a knows. verify checked
// the statement against the one digest VerifyBundle gave it; the others a
// carries (Bytes and Reader compute all three) are checked here.
func oneArtifactPerSubject(st *attest.Statement, a Artifact) error {
	for _, s := range st.Subject {
		match, other := false, ""
		for _, alg := range []string{"sha256", "sha384", "sha512"} {
			got, named := s.Digest[alg]
			d, ok := a.digest(alg)
			switch {
			case !named || !ok:
			case got == hex.EncodeToString(d):
				match = true
			case other == "":
				other = alg + ":" + got
			}
		}
		if match && other != "" {
			return &verify.ArtifactMismatchError{Want: a.String(), Got: "a subject that also names " + other}
		}
	}
	return nil
}

// messageDigestAlg is "sha384" or "sha512" when bundleJSON's message
// signature says its digest is SHA2_384 or SHA2_512, "sha256" otherwise (including anything that does
// not parse: verify.Verifier then refuses it, strictly parsed). Choosing
// the wrong one can only fail: the verifier binds the digest given to the
// bundle's and to the signature.
func messageDigestAlg(bundleJSON []byte) string {
	var b struct {
		MessageSignature struct {
			MessageDigest struct {
				Algorithm string `json:"algorithm"`
			} `json:"messageDigest"`
		} `json:"messageSignature"`
	}
	if json.Unmarshal(bundleJSON, &b) == nil {
		switch b.MessageSignature.MessageDigest.Algorithm {
		case protocommon.HashAlgorithm_SHA2_384.String():
			return "sha384"
		case protocommon.HashAlgorithm_SHA2_512.String():
			return "sha512"
		}
	}
	return "sha256"
}
