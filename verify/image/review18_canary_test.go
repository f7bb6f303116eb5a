package image_test

import (
	"encoding/base64"
	"encoding/json"
	"errors"
	"strings"
	"testing"

	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/types"

	"github.com/ztci/ztci/verify/image"
)

// review18Canary is what a hostile signer or registry writes into a legacy
// layer: a marker, a line break that would forge a log line and a terminal
// escape.
const review18Canary = "CANARY-r18\n\x1b[2J"

// review18Raw reports whether msg carries what the canary holds raw: the
// line break, the escape, or (where the error should say only a kind and a
// length) the marker at all.
func review18Raw(msg string, marker bool) bool {
	return strings.ContainsAny(msg, "\n\x1b") || (marker && strings.Contains(msg, "CANARY"))
}

func review18Img() v1.Hash {
	return v1.Hash{Algorithm: "sha256", Hex: strings.Repeat("ab", 32)}
}

func review18JSON(t *testing.T, v any) string {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// TestReview18LegacyErrorsQuoteNothing: ConvertLegacy's errors about a
// payload, an envelope, a statement or an annotation say what is wrong
// by its kind, a position or a length: never the member names, literals
// or values the signer wrote, which reach logs and audit events.
func TestReview18LegacyErrorsQuoteNothing(t *testing.T) {
	t.Parallel()
	img := review18Img()
	digest := img.String()
	c := review18JSON(t, review18Canary) // the canary as a JSON string
	sig := base64.StdEncoding.EncodeToString([]byte("signature"))
	env := func(payloadType string, payload string) string {
		return `{"payloadType":` + review18JSON(t, payloadType) + `,"payload":` + review18JSON(t, base64.StdEncoding.EncodeToString([]byte(payload))) + `,"signatures":[{"keyid":"","sig":"` + sig + `"}]}`
	}
	statement := func(typ, subjects string) string {
		return `{"_type":` + review18JSON(t, typ) + `,"subject":` + subjects + `,"predicateType":"https://slsa.dev/provenance/v1","predicate":{}}`
	}
	goodPayload := `{"critical":{"identity":{"docker-reference":"r.example/app"},"image":{"docker-manifest-digest":"` + digest + `"},"type":"cosign container image signature"},"optional":null}`
	for name, tc := range map[string]struct {
		mediaType types.MediaType
		content   string
		ann       map[string]string
		is        error
	}{
		"critical.type":        {sigType, `{"critical":{"image":{"docker-manifest-digest":"` + digest + `"},"type":` + c + `}}`, nil, image.ErrLegacyPayload},
		"digest":               {sigType, `{"critical":{"image":{"docker-manifest-digest":` + c + `},"type":"cosign container image signature"}}`, nil, image.ErrLegacyPayload},
		"unknown member":       {sigType, `{"critical":{` + c + `:1,"image":{"docker-manifest-digest":"` + digest + `"},"type":"cosign container image signature"}}`, nil, image.ErrLegacyPayload},
		"unknown top member":   {sigType, `{` + c + `:1}`, nil, image.ErrLegacyPayload},
		"wrong type":           {sigType, `{"critical":{"type":[` + c + `]}}`, nil, image.ErrLegacyPayload},
		"syntax":               {sigType, `{"critical":` + c + ` CANARY}`, nil, image.ErrLegacyPayload},
		"repeated member":      {sigType, `{"critical":{` + c + `:1,` + c + `:2}}`, nil, image.ErrLegacyPayload},
		"payloadType":          {attType, env(review18Canary, "{}"), nil, image.ErrLegacyPayload},
		"envelope member":      {attType, `{` + c + `:1}`, nil, image.ErrLegacyPayload},
		"statement _type":      {attType, env("application/vnd.in-toto+json", statement(review18Canary, `[{"digest":{"sha256":"`+img.Hex+`"}}]`)), nil, image.ErrLegacyPayload},
		"statement not json":   {attType, env("application/vnd.in-toto+json", `{"_type":`+c+` CANARY`), nil, image.ErrLegacyPayload},
		"statement subject":    {attType, env("application/vnd.in-toto+json", statement("https://in-toto.io/Statement/v1", `[{"name":`+c+`,"digest":{"sha256":"`+strings.Repeat("cd", 32)+`"}}]`)), nil, image.ErrLegacyPayload},
		"rekor bundle member":  {sigType, goodPayload, map[string]string{image.AnnotationSignature: sig, image.AnnotationBundle: `{` + c + `:1}`}, image.ErrLegacyAnnotation},
		"rekor bundle syntax":  {sigType, goodPayload, map[string]string{image.AnnotationSignature: sig, image.AnnotationBundle: review18Canary}, image.ErrLegacyAnnotation},
		"rekor body member":    {sigType, goodPayload, map[string]string{image.AnnotationSignature: sig, image.AnnotationBundle: review18RekorBundle(t, `{`+c+`:1,`+c+`:2}`)}, image.ErrLegacyAnnotation},
		"timestamp member":     {sigType, goodPayload, map[string]string{image.AnnotationSignature: sig, image.AnnotationRFC3161Timestamp: `{` + c + `:"AAAA"}`}, image.ErrLegacyAnnotation},
		"certificate PEM type": {sigType, goodPayload, map[string]string{image.AnnotationSignature: sig, image.AnnotationCertificate: "-----BEGIN CANARY\x1b[2J" + strings.Repeat("X", 4096) + "-----\nAAAA\n-----END CANARY\x1b[2J" + strings.Repeat("X", 4096) + "-----\n"}, image.ErrLegacyAnnotation},
	} {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			layer := v1.Descriptor{MediaType: tc.mediaType, Annotations: tc.ann}
			_, err := image.ConvertLegacy(layer, []byte(tc.content), img)
			if !errors.Is(err, tc.is) {
				t.Fatalf("ConvertLegacy: %v, want %v", err, tc.is)
			}
			if msg := err.Error(); review18Raw(msg, true) || len(msg) > 512 {
				t.Errorf("error carries the signer's text: %q", msg)
			}
		})
	}
}

// TestReview18LegacyMediaTypeClipped: a layer's media type, which the
// registry wrote, is quoted clipped and escaped.
func TestReview18LegacyMediaTypeClipped(t *testing.T) {
	t.Parallel()
	mt := types.MediaType(review18Canary + strings.Repeat("x", 1<<16))
	_, err := image.ConvertLegacy(v1.Descriptor{MediaType: mt}, []byte("{}"), review18Img())
	if !errors.Is(err, image.ErrLegacyFormat) {
		t.Fatalf("ConvertLegacy: %v, want ErrLegacyFormat", err)
	}
	if msg := err.Error(); review18Raw(msg, false) || len(msg) > 512 {
		t.Errorf("error carries the registry's media type unbounded or raw: %.600q", msg)
	}
}

// TestReview18SubjectsCounted: an envelope whose statement names other
// images says how many, not which (a statement may list thousands).
func TestReview18SubjectsCounted(t *testing.T) {
	t.Parallel()
	img := review18Img()
	var subj []string
	for range 200 {
		subj = append(subj, `{"digest":{"sha256":"`+strings.Repeat("cd", 32)+`"}}`)
	}
	st := `{"_type":"https://in-toto.io/Statement/v1","subject":[` + strings.Join(subj, ",") + `],"predicateType":"https://slsa.dev/provenance/v1","predicate":{}}`
	env := `{"payloadType":"application/vnd.in-toto+json","payload":"` + base64.StdEncoding.EncodeToString([]byte(st)) + `","signatures":[{"keyid":"","sig":"c2ln"}]}`
	_, err := image.ConvertLegacy(v1.Descriptor{MediaType: attType}, []byte(env), img)
	var pe *image.LegacyPayloadError
	if !errors.As(err, &pe) || pe.Check != "subject" {
		t.Fatalf("ConvertLegacy: %v, want a subject *LegacyPayloadError", err)
	}
	if len(err.Error()) > 256 || !strings.Contains(pe.Got, "200") {
		t.Errorf("subject error not a count: %.300q", err.Error())
	}
}

// review18RekorBundle is a cosign Rekor bundle annotation whose entry body
// is body.
func review18RekorBundle(t *testing.T, body string) string {
	t.Helper()
	return review18JSON(t, map[string]any{
		"SignedEntryTimestamp": base64.StdEncoding.EncodeToString([]byte("set")),
		"Payload": map[string]any{
			"body":           base64.StdEncoding.EncodeToString([]byte(body)),
			"integratedTime": 1,
			"logIndex":       1,
			"logID":          strings.Repeat("ab", 32),
		},
	})
}

const (
	sigType = types.MediaType(image.MediaTypeSimpleSigning)
	attType = types.MediaType(image.MediaTypeDSSE)
)
