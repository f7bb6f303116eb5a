package image

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"

	"github.com/google/go-containerregistry/pkg/name"
	v1 "github.com/google/go-containerregistry/pkg/v1"

	"github.com/ztci/ztci/internal/clip"
	"github.com/ztci/ztci/internal/strictjson"
)

// cosignSignatureType is the critical.type of a cosign simple-signing
// payload ("cosign container image signature"). Any other type is refused.
const cosignSignatureType = "cosign container image signature"

// Media types of the layers in cosign's legacy ".sig" and ".att" tags.
const (
	// MediaTypeSimpleSigning is a ".sig" layer: the simple-signing payload,
	// with the signature and its verification material in annotations.
	MediaTypeSimpleSigning = "application/vnd.dev.cosign.simplesigning.v1+json"
	// MediaTypeDSSE is an ".att" layer: a DSSE envelope holding an in-toto
	// statement, with the verification material in annotations.
	MediaTypeDSSE = "application/vnd.dsse.envelope.v1+json"
)

// simpleSigning is the part of a cosign simple-signing payload (the
// containers/image "atomic container signature" format cosign signs) that
// binds the signature to an image.
type simpleSigning struct {
	// Type is critical.type; parseSimpleSigning accepts only cosignSignatureType.
	Type string
	// Digest is critical.image.docker-manifest-digest: the signed image.
	Digest v1.Hash
	// DockerReference is critical.identity.docker-reference, not checked
	// by default, as cosign does not check it (an image is signed by
	// digest and may be copied to other repositories);
	// WithLegacyDockerReference checks it.
	DockerReference string
}

// simpleSigningNames are the member names of the payload, refused in any
// other case (encoding/json would read "Critical" as critical).
var simpleSigningNames = []string{"critical", "identity", "docker-reference", "image", "docker-manifest-digest", "type", "optional"}

// parseSimpleSigning parses a cosign simple-signing payload strictly: one
// JSON object, no repeated or case-variant member names, no unknown members
// in critical (the format requires consumers to reject them), critical.type
// equal to cosignSignatureType, a sha256 docker-manifest-digest, and an
// optional that is an object or null (cosign refuses any other). It does
// not verify anything: the payload is trusted only once its signature is.
// Every error is a *LegacyPayloadError.
func parseSimpleSigning(b []byte) (*simpleSigning, error) {
	if err := strictjson.Check(b, simpleSigningNames...); err != nil {
		return nil, &LegacyPayloadError{Check: "json", Got: jsonProblem(err)}
	}
	var p struct {
		Critical *struct {
			Identity *struct {
				DockerReference *string `json:"docker-reference"`
			} `json:"identity"`
			Image *struct {
				DockerManifestDigest *string `json:"docker-manifest-digest"`
			} `json:"image"`
			Type *string `json:"type"`
		} `json:"critical"`
		Optional json.RawMessage `json:"optional"`
	}
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&p); err != nil {
		return nil, &LegacyPayloadError{Check: "json", Got: jsonProblem(err)}
	}
	if _, err := dec.Token(); err != io.EOF {
		return nil, &LegacyPayloadError{Check: "json", Got: "data after the payload object"}
	}
	c := p.Critical
	switch {
	case c == nil:
		return nil, &LegacyPayloadError{Check: "critical", Got: "missing"}
	case c.Type == nil:
		return nil, &LegacyPayloadError{Check: "critical.type", Want: cosignSignatureType, Got: "missing"}
	case *c.Type != cosignSignatureType:
		return nil, &LegacyPayloadError{Check: "critical.type", Want: cosignSignatureType, Got: otherText(len(*c.Type))}
	case c.Image == nil || c.Image.DockerManifestDigest == nil:
		return nil, &LegacyPayloadError{Check: "critical.image.docker-manifest-digest", Got: "missing"}
	}
	if kind := jsonKind(p.Optional); kind != "" && kind != "an object" && kind != "null" {
		// cosign reads optional into a map (sigstore/sigstore
		// payload.SimpleContainerImage) and refuses any other value; its
		// annotations are what `cosign verify -a` and admission
		// controllers check.
		return nil, &LegacyPayloadError{Check: "optional", Want: "a JSON object or null", Got: kind}
	}
	h, err := v1.NewHash(*c.Image.DockerManifestDigest)
	if err != nil || h.Algorithm != "sha256" || h.String() != *c.Image.DockerManifestDigest {
		return nil, &LegacyPayloadError{Check: "critical.image.docker-manifest-digest", Want: "sha256:<64 lowercase hex digits>", Got: otherText(len(*c.Image.DockerManifestDigest))}
	}
	s := &simpleSigning{Type: *c.Type, Digest: h}
	if c.Identity != nil && c.Identity.DockerReference != nil {
		s.DockerReference = *c.Identity.DockerReference
	}
	return s, nil
}

// jsonKind names the kind of the JSON value raw (valid JSON, as the
// decoder left it): "" when absent.
func jsonKind(raw json.RawMessage) string {
	b := bytes.TrimLeft(raw, " \t\r\n")
	if len(b) == 0 {
		return ""
	}
	switch b[0] {
	case '{':
		return "an object"
	case '[':
		return "an array"
	case '"':
		return "a string"
	case 't', 'f':
		return "a boolean"
	case 'n':
		return "null"
	}
	return "a number"
}

// maxReferenceQuote bounds the docker-reference a *LegacyPayloadError
// repeats: the signer wrote it, as long as it liked.
const maxReferenceQuote = 256

// matchDockerReference checks a ".sig" payload's docker-reference against
// repo, the repository the image was asked for (WithLegacyDockerReference),
// and img, the digest the payload signs (its docker-manifest-digest).
// Both repositories are compared as go-containerregistry normalises them;
// a tag on the reference is not compared, as cosign writes the bare
// repository, but a digest on it must be img: a payload whose identity
// pins another image contradicts itself.
func matchDockerReference(ref string, repo name.Repository, img v1.Hash) error {
	const check = "critical.identity.docker-reference"
	if ref == "" {
		return &LegacyPayloadError{Check: check, Want: repo.Name(), Got: "missing"}
	}
	r, err := name.ParseReference(ref)
	if err != nil {
		return &LegacyPayloadError{Check: check, Want: repo.Name(), Got: "not an image reference"}
	}
	if got := r.Context().Name(); got != repo.Name() {
		return &LegacyPayloadError{Check: check, Want: repo.Name(), Got: strconv.Quote(clip.String(got, maxReferenceQuote))}
	}
	if d, ok := r.(name.Digest); ok && d.DigestStr() != img.String() {
		got := otherText(len(d.DigestStr()))
		if h, err := v1.NewHash(d.DigestStr()); err == nil && h.String() == d.DigestStr() {
			got = "pinned to " + h.String()
		}
		return &LegacyPayloadError{Check: check, Want: repo.Name() + "@" + img.String(), Got: got}
	}
	return nil
}

// LegacyPayloadError reports a cosign legacy payload that does not bind the
// signature to the image being verified, or that is not the format it
// claims: Check names the failed check (e.g. "critical.type",
// "critical.image.docker-manifest-digest", "subject", "payloadType",
// "json"). It matches ErrLegacyPayload and ErrAttestation.
//
// Got describes what was found without repeating what the signer wrote: a
// digest in its canonical form, a count, a kind of JSON error and its byte
// offset, a value's length ("another value of 40 bytes"), or a normalised
// image reference quoted and clipped. The payload may carry anything, a
// secret or terminal escapes among it, and errors reach logs and audit
// events.
type LegacyPayloadError struct {
	Check string
	Want  string
	Got   string
}

func (e *LegacyPayloadError) Error() string {
	if e.Want == "" {
		return fmt.Sprintf("image: cosign legacy payload: %s: %s", e.Check, e.Got)
	}
	return fmt.Sprintf("image: cosign legacy payload: %s is %s, want %q", e.Check, e.Got, e.Want)
}

// otherText stands for a value the signer or the registry wrote, in an
// error that must say it is not the one expected without repeating it.
func otherText(n int) string {
	return fmt.Sprintf("another value of %d bytes", n)
}

// jsonProblem says why a payload, envelope or annotation is not the JSON
// it should be by the kind of the problem and its byte offset: the
// messages of encoding/json and strictjson quote member names and
// literals (an unknown member's name as written, control characters
// included).
func jsonProblem(err error) string {
	var (
		se *json.SyntaxError
		te *json.UnmarshalTypeError
		me *strictjson.MemberError
	)
	switch {
	case errors.As(err, &se):
		return fmt.Sprintf("not JSON: syntax error at byte %d", se.Offset)
	case errors.As(err, &te):
		return fmt.Sprintf("a member of the wrong JSON type at byte %d", te.Offset)
	case errors.As(err, &me):
		return "a member named twice, or a known member's name in another case"
	case errors.Is(err, strictjson.ErrNotUnicode):
		return "a string that is not Unicode"
	case errors.Is(err, strictjson.ErrTooManyElements):
		return "more array elements than its size allows"
	case errors.Is(err, io.EOF), errors.Is(err, io.ErrUnexpectedEOF):
		return "not JSON: truncated"
	case strings.HasPrefix(err.Error(), "json: unknown field "):
		return "an unknown member"
	case err.Error() == "data after the JSON object": // cosignfmt.StrictDecode
		return err.Error()
	}
	return "not the JSON object expected"
}

// Is matches ErrLegacyPayload and ErrAttestation.
func (e *LegacyPayloadError) Is(target error) bool {
	return target == ErrLegacyPayload || target == ErrAttestation
}
