package image

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"

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
// equal to cosignSignatureType and a sha256 docker-manifest-digest. It does
// not verify anything: the payload is trusted only once its signature is.
// Every error is a *LegacyPayloadError.
func parseSimpleSigning(b []byte) (*simpleSigning, error) {
	if err := strictjson.Check(b, simpleSigningNames...); err != nil {
		return nil, &LegacyPayloadError{Check: "json", Got: err.Error()}
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
		return nil, &LegacyPayloadError{Check: "json", Got: err.Error()}
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
		return nil, &LegacyPayloadError{Check: "critical.type", Want: cosignSignatureType, Got: *c.Type}
	case c.Image == nil || c.Image.DockerManifestDigest == nil:
		return nil, &LegacyPayloadError{Check: "critical.image.docker-manifest-digest", Got: "missing"}
	}
	h, err := v1.NewHash(*c.Image.DockerManifestDigest)
	if err != nil || h.Algorithm != "sha256" || h.String() != *c.Image.DockerManifestDigest {
		return nil, &LegacyPayloadError{Check: "critical.image.docker-manifest-digest", Want: "sha256:<64 lowercase hex digits>", Got: *c.Image.DockerManifestDigest}
	}
	s := &simpleSigning{Type: *c.Type, Digest: h}
	if c.Identity != nil && c.Identity.DockerReference != nil {
		s.DockerReference = *c.Identity.DockerReference
	}
	return s, nil
}

// maxReferenceQuote bounds the docker-reference a *LegacyPayloadError
// repeats: the signer wrote it, as long as it liked.
const maxReferenceQuote = 256

// matchDockerReference checks a ".sig" payload's docker-reference against
// repo, the repository the image was asked for (WithLegacyDockerReference).
// Both are compared as go-containerregistry normalises them; a tag or
// digest on the reference is not compared, as cosign writes the bare
// repository.
func matchDockerReference(ref string, repo name.Repository) error {
	const check = "critical.identity.docker-reference"
	if ref == "" {
		return &LegacyPayloadError{Check: check, Want: repo.Name(), Got: "missing"}
	}
	r, err := name.ParseReference(ref)
	if err != nil {
		return &LegacyPayloadError{Check: check, Want: repo.Name(), Got: "not an image reference"}
	}
	if got := r.Context().Name(); got != repo.Name() {
		return &LegacyPayloadError{Check: check, Want: repo.Name(), Got: clip.String(got, maxReferenceQuote)}
	}
	return nil
}

// LegacyPayloadError reports a cosign legacy payload that does not bind the
// signature to the image being verified, or that is not the format it
// claims: Check names the failed check (e.g. "critical.type",
// "critical.image.docker-manifest-digest", "subject", "payloadType",
// "json"). It matches ErrLegacyPayload and ErrAttestation.
type LegacyPayloadError struct {
	Check string
	Want  string
	Got   string
}

func (e *LegacyPayloadError) Error() string {
	if e.Want == "" {
		return fmt.Sprintf("image: cosign legacy payload: %s: %s", e.Check, e.Got)
	}
	return fmt.Sprintf("image: cosign legacy payload: %s is %q, want %q", e.Check, e.Got, e.Want)
}

// Is matches ErrLegacyPayload and ErrAttestation.
func (e *LegacyPayloadError) Is(target error) bool {
	return target == ErrLegacyPayload || target == ErrAttestation
}
