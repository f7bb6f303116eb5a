package image

import (
	"context"
	"crypto/sha256"
	"crypto/sha512"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"strings"

	v1 "github.com/google/go-containerregistry/pkg/v1"
	protobundle "github.com/sigstore/protobuf-specs/gen/pb-go/bundle/v1"
	protocommon "github.com/sigstore/protobuf-specs/gen/pb-go/common/v1"
	protodsse "github.com/sigstore/protobuf-specs/gen/pb-go/dsse"
	protorekor "github.com/sigstore/protobuf-specs/gen/pb-go/rekor/v1"
	"google.golang.org/protobuf/encoding/protojson"

	"github.com/ztci/ztci/attest"
	"github.com/ztci/ztci/internal/clip"
	"github.com/ztci/ztci/verify"
	"github.com/ztci/ztci/verify/internal/cosignfmt"
)

// Format says in which encoding an attestation was presented, and so which
// encoding proved it when it verified.
type Format string

// The formats.
const (
	// FormatBundle: a Sigstore bundle (referrers API, the referrers tag
	// schema, or a bundle layer in a cosign legacy tag).
	FormatBundle Format = "bundle"
	// FormatCosignLegacySig: a simple-signing layer of a cosign
	// "sha256-<hex>.sig" tag, converted to a Sigstore bundle (ConvertLegacy).
	FormatCosignLegacySig Format = "cosign-legacy-sig"
	// FormatCosignLegacyAtt: a DSSE layer of a cosign "sha256-<hex>.att"
	// tag, converted to a Sigstore bundle (ConvertLegacy).
	FormatCosignLegacyAtt Format = "cosign-legacy-att"
)

// The annotations cosign puts on a legacy layer (cosign
// pkg/oci/static/signature.go and specs/SIGNATURE_SPEC.md).
const (
	// AnnotationSignature: the base64 signature over the simple-signing
	// payload (".sig"; empty on ".att", whose signature is in the envelope).
	AnnotationSignature = "dev.cosignproject.cosign/signature"
	// AnnotationCertificate: the PEM signing certificate (keyless signing).
	AnnotationCertificate = "dev.sigstore.cosign/certificate"
	// AnnotationChain: the PEM chain of the certificate. It is carried
	// into the bundle but never trusted: trust comes from the trusted root.
	AnnotationChain = "dev.sigstore.cosign/chain"
	// AnnotationBundle: the Rekor v1 entry with its signed entry timestamp
	// (SET), {"SignedEntryTimestamp", "Payload": {body, integratedTime,
	// logIndex, logID}}.
	AnnotationBundle = "dev.sigstore.cosign/bundle"
	// AnnotationRFC3161Timestamp: {"SignedRFC3161Timestamp": base64 DER
	// RFC 3161 response}.
	AnnotationRFC3161Timestamp = "dev.sigstore.cosign/rfc3161timestamp"
)

// bundleV01 is the media type of the converted bundles: v0.1 is the bundle
// version whose log entries are proven by an inclusion promise (the SET),
// which is what a legacy layer carries; it has no inclusion proof.
const bundleV01 = cosignfmt.BundleV01

// maxChain bounds the certificates read from the chain annotation.
const maxChain = 8

// LegacyBundle is a cosign legacy layer converted to a Sigstore bundle.
type LegacyBundle struct {
	Format Format
	// Bundle is the bundle (protobuf JSON, v0.1), to be verified like any
	// other: BundleVerifier.VerifyBundle(ctx, Bundle, Artifact).
	Bundle []byte
	// Artifact is what the bundle signs: the digest of the simple-signing
	// payload for a ".sig" layer (the payload itself names the image and
	// was checked against it), the image digest for an ".att" layer. The
	// payload digest is the one its hashedrekord entry logs (sha384 or
	// sha512 for a P-384, P-521 or Ed25519ph key since cosign v2.6),
	// sha256 otherwise.
	Artifact v1.Hash
	// Payload is the simple-signing payload of a ".sig" layer (whose
	// digest is Artifact), for a LegacyPayloadVerifier: ConvertLegacy's
	// content itself, not a copy. Nil for ".att".
	Payload []byte
	// DockerReference is the payload's critical.identity.docker-reference
	// as written, "" when absent or for ".att": not checked by
	// ConvertLegacy (cosign does not check it), and signed only once the
	// bundle verifies. A Verifier with WithLegacyDockerReference requires
	// it to name the repository the image was asked for, and a digest on it
	// to be the image's.
	DockerReference string
}

// LegacyPayloadVerifier is a BundleVerifier that can also verify a bundle
// converted from a cosign ".sig" layer against the simple-signing payload
// itself rather than its digest (Artifact). An Ed25519 signature needs the payload: a
// pure Ed25519 one signs the payload itself, and no digest of it can verify
// one (how cosign signs with an Ed25519 key up to v2.5, and with KMS or
// PKCS #11 Ed25519 keys, and how `cosign verify --key` checks an Ed25519
// ".sig" in every version); an Ed25519ph one (cosign v2.6 and later, for a
// key pinned with verify.PublicKey.Ed25519ph) signs its SHA-512, which the
// sha256 does not give; a P-384 or P-521 one signs its SHA-384 or SHA-512.
// When a Verifier's BundleVerifier implements it (VerifyBundles' does),
// ".sig" layers go through VerifyLegacyPayload; otherwise through
// VerifyBundle with Artifact, which verifies ECDSA and RSA signatures
// whose hash is the digest the entry logs (a P-384 or P-521 ".sig"
// without a log entry is refused) and refuses every Ed25519 one.
//
// VerifyLegacyPayload has VerifyBundle's contract, with payload (the
// layer's content, checked to name the image, whose digest the bundle's
// message digest states) in place of that digest. It must not keep bundle
// or payload after returning.
type LegacyPayloadVerifier interface {
	BundleVerifier
	VerifyLegacyPayload(ctx context.Context, bundle, payload []byte) (BundleResult, error)
}

// verifyLegacy verifies a converted legacy layer: a ".sig" against its
// payload when the BundleVerifier can, otherwise against Artifact.
// A verification that did not complete is returned, as verifyBundle
// returns it.
func (v *Verifier) verifyLegacy(ctx context.Context, lb *LegacyBundle, a *Attestation) error {
	if pv, ok := v.bv.(LegacyPayloadVerifier); ok && lb.Payload != nil {
		br, err := pv.VerifyLegacyPayload(ctx, lb.Bundle, lb.Payload)
		if err := notCompleted(ctx, err); err != nil {
			return err
		}
		settle(br, err, a)
		return nil
	}
	return v.verifyBundle(ctx, lb.Bundle, lb.Artifact, a)
}

// VerifyLegacyPayload verifies bundle against payload given as bytes
// (verify.ArtifactBytes): the message signature is checked over the
// payload itself (pure Ed25519, or hashed by the key's pinned algorithm:
// SHA-384 for P-384, SHA-512 for P-521 and Ed25519ph), and the bundle's
// message digest must be the payload's.
func (va verifyAdapter) VerifyLegacyPayload(ctx context.Context, bundle, payload []byte) (BundleResult, error) {
	return va.verify(ctx, bundle, verify.ArtifactBytes(payload))
}

// ConvertLegacy turns one layer of a cosign legacy ".sig" or ".att" tag,
// with its content, into the equivalent Sigstore bundle, after checking that
// the layer speaks of img:
//
//   - ".sig" (MediaTypeSimpleSigning): the simple-signing payload is parsed
//     strictly; its critical.type must be cosign's and its
//     critical.image.docker-manifest-digest must be img. The bundle holds a
//     message signature whose digest is the payload's, in the algorithm
//     its hashedrekord entry logs (sha256 without one).
//   - ".att" (MediaTypeDSSE): the DSSE envelope (one signature, payload type
//     in-toto) is parsed strictly and its statement must name img among its
//     subjects. The bundle holds the envelope.
//
// Both carry the certificate (and chain) or, without one, a public-key
// placeholder the verifier's key answers; the Rekor entry of the bundle
// annotation as a transparency-log entry with its inclusion promise (SET)
// and canonicalized body; the RFC 3161 timestamp when present.
//
// Nothing is verified here: the bundle proves something only once a
// BundleVerifier accepts it for Artifact. content must be the layer's
// content, already checked against its digest. Errors are a
// *LegacyPayloadError, a *LegacyAnnotationError, or wrap ErrLegacyFormat.
func ConvertLegacy(layer v1.Descriptor, content []byte, img v1.Hash) (*LegacyBundle, error) {
	if img.Algorithm != "sha256" {
		return nil, fmt.Errorf("%w: image digest %q is not sha256", ErrConfig, img)
	}
	b := &protobundle.Bundle{MediaType: bundleV01}
	lb := &LegacyBundle{}
	switch layer.MediaType {
	case MediaTypeSimpleSigning:
		lb.Format = FormatCosignLegacySig
		p, err := parseSimpleSigning(content)
		if err != nil {
			return nil, err
		}
		if p.Digest != img {
			return nil, &LegacyPayloadError{Check: "critical.image.docker-manifest-digest", Want: img.String(), Got: p.Digest.String()}
		}
		sig, err := annotationBase64(layer.Annotations, AnnotationSignature)
		if err != nil {
			return nil, err
		}
		b.Content = &protobundle.Bundle_MessageSignature{MessageSignature: &protocommon.MessageSignature{Signature: sig}}
		lb.Payload, lb.DockerReference = content, p.DockerReference
	case MediaTypeDSSE:
		lb.Format = FormatCosignLegacyAtt
		env, err := parseEnvelope(content)
		if err != nil {
			return nil, err
		}
		if err := checkSubject(env.Payload, img); err != nil {
			return nil, err
		}
		b.Content = &protobundle.Bundle_DsseEnvelope{DsseEnvelope: env}
		lb.Artifact = img
	default:
		return nil, fmt.Errorf("%w: layer %s has media type %s", ErrLegacyFormat, layer.Digest, quoteType(string(layer.MediaType)))
	}
	vm, err := verificationMaterial(layer.Annotations)
	if err != nil {
		return nil, err
	}
	b.VerificationMaterial = vm
	if ms := b.GetMessageSignature(); ms != nil {
		alg, proto, sum := payloadDigest(vm.GetTlogEntries(), content)
		ms.MessageDigest = &protocommon.HashOutput{Algorithm: proto, Digest: sum}
		lb.Artifact = v1.Hash{Algorithm: alg, Hex: hex.EncodeToString(sum)}
	}
	out, err := protojson.Marshal(b)
	if err != nil {
		return nil, fmt.Errorf("%w: encoding the converted bundle: %v", ErrLegacyFormat, err)
	}
	lb.Bundle = out
	return lb, nil
}

// payloadDigest is the digest of a ".sig" payload the converted bundle
// states: the one its hashedrekord entry logs, SHA-384 or SHA-512 when it
// says so, SHA-256 otherwise. cosign v2.6 and later log the digest their
// key signs (sigstore-go sign.Bundle with the key's default algorithm:
// SHA-384 for P-384, SHA-512 for P-521 and Ed25519ph), and the verifier
// requires the bundle's digest to be the logged one, algorithm included.
// The body is unverified here: it only picks the algorithm, the digest is
// computed from the payload, and the verifier checks the entry against it
// and the signature with the algorithm pinned with the key, whatever the
// entry says.
func payloadDigest(entries []*protorekor.TransparencyLogEntry, payload []byte) (string, protocommon.HashAlgorithm, []byte) {
	var body struct {
		Spec struct {
			Data struct {
				Hash struct {
					Algorithm string `json:"algorithm"`
				} `json:"hash"`
			} `json:"data"`
		} `json:"spec"`
	}
	if len(entries) == 1 && entries[0].GetKindVersion().GetKind() == "hashedrekord" && json.Unmarshal(entries[0].GetCanonicalizedBody(), &body) == nil {
		switch body.Spec.Data.Hash.Algorithm {
		case "sha384":
			sum := sha512.Sum384(payload)
			return "sha384", protocommon.HashAlgorithm_SHA2_384, sum[:]
		case "sha512":
			sum := sha512.Sum512(payload)
			return "sha512", protocommon.HashAlgorithm_SHA2_512, sum[:]
		}
	}
	sum := sha256.Sum256(payload)
	return "sha256", protocommon.HashAlgorithm_SHA2_256, sum[:]
}

// verificationMaterial reads the certificate, chain, Rekor bundle and
// timestamp annotations.
func verificationMaterial(ann map[string]string) (*protobundle.VerificationMaterial, error) {
	certs, err := annotationCerts(ann, AnnotationCertificate, 1)
	if err != nil {
		return nil, err
	}
	chain, err := annotationCerts(ann, AnnotationChain, maxChain)
	if err != nil {
		return nil, err
	}
	if len(certs) == 0 && len(chain) > 0 {
		return nil, &LegacyAnnotationError{Annotation: AnnotationChain, Reason: "a chain without a certificate"}
	}
	var entries []*protorekor.TransparencyLogEntry
	if s, ok := ann[AnnotationBundle]; ok {
		tle, err := cosignfmt.ParseRekorBundle([]byte(s))
		if err != nil {
			return nil, &LegacyAnnotationError{Annotation: AnnotationBundle, Reason: reason(err)}
		}
		entries = []*protorekor.TransparencyLogEntry{tle}
	}
	var ts []byte
	if s, ok := ann[AnnotationRFC3161Timestamp]; ok {
		if ts, err = parseTimestamp(s); err != nil {
			return nil, err
		}
	}
	if len(certs) > 0 {
		certs = append(certs, chain...)
	}
	return cosignfmt.VerificationMaterial(certs, entries, ts), nil
}

// annotationBase64 reads a required base64 (standard, padded) annotation.
func annotationBase64(ann map[string]string, key string) ([]byte, error) {
	s, ok := ann[key]
	if !ok || s == "" {
		return nil, &LegacyAnnotationError{Annotation: key, Reason: "missing"}
	}
	b, err := base64.StdEncoding.Strict().DecodeString(s)
	if err != nil {
		return nil, &LegacyAnnotationError{Annotation: key, Reason: "not base64"}
	}
	return b, nil
}

// annotationCerts reads an optional PEM annotation holding 1 to max
// CERTIFICATE blocks and nothing else; it returns their DER.
func annotationCerts(ann map[string]string, key string, max int) ([][]byte, error) {
	s, ok := ann[key]
	if !ok || s == "" {
		return nil, nil
	}
	out, err := cosignfmt.ParseCertificates([]byte(s), max)
	if err != nil {
		return nil, &LegacyAnnotationError{Annotation: key, Reason: reason(err)}
	}
	return out, nil
}

// parseTimestamp reads cosign's RFC 3161 annotation (cosign
// pkg/cosign/bundle/tsa.go: RFC3161Timestamp).
func parseTimestamp(s string) ([]byte, error) {
	var ts struct {
		SignedRFC3161Timestamp []byte `json:"SignedRFC3161Timestamp"`
	}
	if err := cosignfmt.StrictDecode([]byte(s), &ts, []string{"SignedRFC3161Timestamp"}); err != nil {
		return nil, &LegacyAnnotationError{Annotation: AnnotationRFC3161Timestamp, Reason: jsonProblem(err)}
	}
	if len(ts.SignedRFC3161Timestamp) == 0 {
		return nil, &LegacyAnnotationError{Annotation: AnnotationRFC3161Timestamp, Reason: "no SignedRFC3161Timestamp"}
	}
	return ts.SignedRFC3161Timestamp, nil
}

// envelope is a DSSE envelope as cosign writes it into an ".att" layer.
type envelope struct {
	PayloadType *string `json:"payloadType"`
	Payload     *string `json:"payload"`
	Signatures  []struct {
		KeyID string  `json:"keyid"`
		Sig   *string `json:"sig"`
	} `json:"signatures"`
}

var envelopeNames = []string{"payloadType", "payload", "signatures", "keyid", "sig"}

// parseEnvelope reads an ".att" layer: one DSSE envelope with an in-toto
// payload and exactly one signature.
func parseEnvelope(b []byte) (*protodsse.Envelope, error) {
	var e envelope
	if err := cosignfmt.StrictDecode(b, &e, envelopeNames); err != nil {
		return nil, &LegacyPayloadError{Check: "json", Got: jsonProblem(err)}
	}
	switch {
	case e.PayloadType == nil || e.Payload == nil:
		return nil, &LegacyPayloadError{Check: "envelope", Got: "payloadType or payload missing"}
	case *e.PayloadType != attest.PayloadType:
		return nil, &LegacyPayloadError{Check: "payloadType", Want: attest.PayloadType, Got: otherText(len(*e.PayloadType))}
	case len(e.Signatures) != 1 || e.Signatures[0].Sig == nil:
		return nil, &LegacyPayloadError{Check: "signatures", Want: "1", Got: fmt.Sprint(len(e.Signatures))}
	}
	payload, err := base64.StdEncoding.Strict().DecodeString(*e.Payload)
	if err != nil {
		return nil, &LegacyPayloadError{Check: "payload", Got: "not base64"}
	}
	sig, err := base64.StdEncoding.Strict().DecodeString(*e.Signatures[0].Sig)
	if err != nil || len(sig) == 0 {
		return nil, &LegacyPayloadError{Check: "signatures", Got: "signature is not base64"}
	}
	return &protodsse.Envelope{
		Payload:     payload,
		PayloadType: *e.PayloadType,
		Signatures:  []*protodsse.Signature{{Sig: sig, Keyid: e.Signatures[0].KeyID}},
	}, nil
}

// checkSubject requires the in-toto statement to name img among its subjects.
func checkSubject(payload []byte, img v1.Hash) error {
	st, err := attest.ParseStatement(payload)
	if err != nil {
		return &LegacyPayloadError{Check: "statement", Got: statementProblem(err)}
	}
	others := 0
	for _, s := range st.Subject {
		if d, ok := s.Digest["sha256"]; ok {
			if d == img.Hex {
				return nil
			}
			others++
		}
	}
	// Counted, not listed: a statement may name thousands of subjects.
	return &LegacyPayloadError{Check: "subject", Want: img.String(), Got: fmt.Sprintf("%d other sha256 subject(s)", others)}
}

// statementProblems are the refusals of attest.ParseStatement, most
// specific first, whose messages are attest's own words.
var statementProblems = []error{
	attest.ErrStatementType, attest.ErrSubjectRequired, attest.ErrDigestRequired,
	attest.ErrPredicateTypeRequired, attest.ErrPredicateRequired, attest.ErrMalformedJSON,
	attest.ErrTooLarge, attest.ErrDigestEncoding, attest.ErrDigestLength, attest.ErrUnknownAlgorithm,
	attest.ErrInvalidDigest, attest.ErrInvalidStatement,
}

// statementProblem names the kind of an in-toto statement's refusal:
// attest.ParseStatement's messages may quote the statement's members (a
// _type, a predicateType), which the signer wrote.
func statementProblem(err error) string {
	for _, p := range statementProblems {
		if errors.Is(err, p) {
			return p.Error()
		}
	}
	return "not an in-toto statement"
}

// maxReason bounds the text of a *LegacyAnnotationError's Reason.
const maxReason = 160

// reason is why an annotation was refused, said without the annotation's
// text: a JSON problem by its kind and offset; cosignfmt's own words up to
// the first quote, where its messages quote the input (a PEM block's
// type, a repeated member of the entry body); anything else not short
// printable ASCII, clipped and quoted.
func reason(err error) string {
	var (
		se *json.SyntaxError
		te *json.UnmarshalTypeError
	)
	msg := err.Error()
	if errors.As(err, &se) || errors.As(err, &te) || strings.HasPrefix(msg, "json: ") {
		return jsonProblem(err)
	}
	if i := strings.IndexByte(msg, '"'); i >= 0 {
		msg = msg[:i] + "(the annotation's text withheld)"
	}
	if len(msg) <= maxReason && printableASCII(msg) {
		return msg
	}
	return strconv.Quote(clip.String(msg, maxReason))
}

// printableASCII reports whether s holds only printable ASCII and spaces.
func printableASCII(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] < 0x20 || s[i] > 0x7e {
			return false
		}
	}
	return true
}

// maxTypeQuote bounds a media type quoted in an error: the registry wrote
// it, as long as it liked.
const maxTypeQuote = 128

// quoteType quotes a media type or artifact type the registry wrote,
// clipped and with its control characters escaped.
func quoteType(t string) string {
	return strconv.Quote(clip.String(t, maxTypeQuote))
}

// LegacyAnnotationError reports a cosign legacy layer annotation that is
// missing or malformed; Annotation names it. It matches ErrLegacyAnnotation
// and ErrAttestation.
type LegacyAnnotationError struct {
	Annotation string
	Reason     string
}

func (e *LegacyAnnotationError) Error() string {
	return fmt.Sprintf("image: cosign legacy annotation %s: %s", e.Annotation, e.Reason)
}

// Is matches ErrLegacyAnnotation and ErrAttestation.
func (e *LegacyAnnotationError) Is(target error) bool {
	return target == ErrLegacyAnnotation || target == ErrAttestation
}
