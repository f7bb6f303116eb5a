package image

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"testing"

	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/types"
	protobundle "github.com/sigstore/protobuf-specs/gen/pb-go/bundle/v1"
	"google.golang.org/protobuf/encoding/protojson"
)

const fuzzDigest = "sha256:2f0249ebb962c1281b791aafe68ec39caa2751eecad1c6a5042cbdc43548d764"

var simpleSigningSeeds = []string{
	// cosign's payload, byte for byte (sigstore/sigstore pkg/signature/payload).
	`{"critical":{"identity":{"docker-reference":"localhost:5000/demo"},"image":{"docker-manifest-digest":"` + fuzzDigest + `"},"type":"cosign container image signature"},"optional":null}`,
	`{"critical":{"identity":{"docker-reference":"r.example/app"},"image":{"docker-manifest-digest":"` + fuzzDigest + `"},"type":"cosign container image signature"},"optional":{"sig":"v1","n":1}}`,
	`{"critical":{"image":{"docker-manifest-digest":"` + fuzzDigest + `"},"type":"atomic container signature"}}`,
	`{"critical":{"image":{"docker-manifest-digest":"` + fuzzDigest + `"},"type":"cosign container image signature","extra":1}}`,
	`{"Critical":{"image":{"docker-manifest-digest":"` + fuzzDigest + `"},"type":"cosign container image signature"}}`,
	`{"critical":{"image":{"docker-manifest-digest":"SHA256:2F02"},"type":"cosign container image signature"}}`,
	`{"critical":null}`,
}

func FuzzParseSimpleSigning(f *testing.F) {
	for _, s := range simpleSigningSeeds {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		p, err := parseSimpleSigning(b)
		if err != nil {
			var pe *LegacyPayloadError
			if !errors.As(err, &pe) || !errors.Is(err, ErrLegacyPayload) || pe.Check == "" {
				t.Fatalf("untyped error %v", err)
			}
			return
		}
		if p.Type != cosignSignatureType || p.Digest.Algorithm != "sha256" || len(p.Digest.Hex) != 64 {
			t.Fatalf("accepted %+v", p)
		}
	})
}

// The bundle annotation of cosign's signature specification
// (sigstore/cosign specs/SIGNATURE_SPEC.md, Apache-2.0), a key-signed one,
// and malformed variants.
var rekorBundleSeeds = []string{
	`{"SignedEntryTimestamp":"MEUCIQDHiGUesxPpn+qRONLmKlNIVPhl9gBMnwNeIQmRkRmZVQIgRxPpuYQDZR/8lYKcEfiQn5b+7VDoJIC72ZWHO9ZCp1A=","Payload":{"body":"eyJhcGlWZXJzaW9uIjoiMC4wLjEiLCJraW5kIjoiaGFzaGVkcmVrb3JkIiwic3BlYyI6e319","integratedTime":1624396085,"logIndex":5179,"logID":"c0d23d6ad406973f9559f3ba2d1ca01f84147d8ffc5b8445c224f98b9591801d"}}`,
	`{"SignedEntryTimestamp":"AA==","Payload":{"body":"e30=","integratedTime":1,"logIndex":0,"logID":"c0d23d6ad406973f9559f3ba2d1ca01f84147d8ffc5b8445c224f98b9591801d"}}`,
	`{"SignedEntryTimestamp":"","Payload":{"body":null,"integratedTime":0,"logIndex":0,"logID":""}}`,
	`{"signedEntryTimestamp":"AA==","payload":{}}`,
}

func FuzzConvertLegacy(f *testing.F) {
	payload := []byte(simpleSigningSeeds[0])
	env := `{"payloadType":"application/vnd.in-toto+json","payload":"eyJfdHlwZSI6Imh0dHBzOi8vaW4tdG90by5pby9TdGF0ZW1lbnQvdjEiLCJzdWJqZWN0IjpbeyJkaWdlc3QiOnsic2hhMjU2IjoiMmYwMjQ5ZWJiOTYyYzEyODFiNzkxYWFmZTY4ZWMzOWNhYTI3NTFlZWNhZDFjNmE1MDQyY2JkYzQzNTQ4ZDc2NCJ9fV0sInByZWRpY2F0ZVR5cGUiOiJ4In0=","signatures":[{"keyid":"","sig":"MEUCIQ=="}]}`
	for i, rb := range rekorBundleSeeds {
		f.Add(uint8(0), payload, "MEUCIQ==", "", "", rb, "")
		f.Add(uint8(1), []byte(env), "", "", "", rb, `{"SignedRFC3161Timestamp":"MAA="}`)
		f.Add(uint8(i), []byte(`{}`), "", "-----BEGIN CERTIFICATE-----\nMAA=\n-----END CERTIFICATE-----\n", "x", "", "{}")
	}
	img, _ := v1.NewHash(fuzzDigest)
	mediaTypes := []types.MediaType{MediaTypeSimpleSigning, MediaTypeDSSE, "application/octet-stream"}
	f.Fuzz(func(t *testing.T, mt uint8, content []byte, sig, cert, chain, rb, ts string) {
		ann := map[string]string{}
		for k, v := range map[string]string{AnnotationSignature: sig, AnnotationCertificate: cert, AnnotationChain: chain, AnnotationBundle: rb, AnnotationRFC3161Timestamp: ts} {
			if v != "" {
				ann[k] = v
			}
		}
		layer := v1.Descriptor{MediaType: mediaTypes[int(mt)%len(mediaTypes)], Annotations: ann}
		lb, err := ConvertLegacy(layer, content, img)
		if err != nil {
			if !errors.Is(err, ErrAttestation) {
				t.Fatalf("untyped error %v", err)
			}
			return
		}
		var b protobundle.Bundle
		if err := protojson.Unmarshal(lb.Bundle, &b); err != nil || b.MediaType != bundleV01 || b.VerificationMaterial == nil {
			t.Fatalf("converted bundle does not parse back: %v", err)
		}
		switch lb.Format {
		case FormatCosignLegacySig:
			sum := sha256.Sum256(content)
			p, err := parseSimpleSigning(content)
			if err != nil || p.Digest != img || lb.Artifact.Hex != hex.EncodeToString(sum[:]) || b.GetMessageSignature() == nil || !bytes.Equal(lb.Payload, content) {
				t.Fatalf("accepted a signature layer that does not name the image: %v %+v", err, lb)
			}
		case FormatCosignLegacyAtt:
			if lb.Artifact != img || b.GetDsseEnvelope() == nil || lb.Payload != nil {
				t.Fatalf("accepted attestation %+v", lb)
			}
		default:
			t.Fatalf("format %q", lb.Format)
		}
		if e := b.VerificationMaterial.GetTlogEntries(); len(e) > 0 && e[0].GetInclusionPromise() == nil {
			t.Fatal("a log entry without its inclusion promise")
		}
	})
}
