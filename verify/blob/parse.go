package blob

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"

	"github.com/ztci/ztci/internal/clip"
	"github.com/ztci/ztci/verify/internal/cosignfmt"
)

// Bounds on the files read. A signature is at most a few hundred bytes
// (RSA-4096: 512), a Fulcio certificate a few kilobytes.
const (
	MaxSignatureSize   = 8 << 10
	MaxCertificateSize = 64 << 10
	MaxBundleSize      = 256 << 10
)

// ParseSignature reads a ".sig" file as cosign writes it (sign-blob
// --output-signature): the signature in standard, padded base64, optionally
// followed by a newline. It returns the raw signature.
func ParseSignature(b []byte) ([]byte, error) {
	if len(b) > MaxSignatureSize {
		return nil, &ParseError{Input: "signature", Reason: fmt.Sprintf("%d bytes, limit %d", len(b), MaxSignatureSize)}
	}
	sig, err := cosignfmt.DecodeBase64(string(trimNewline(b)))
	if err != nil || len(sig) == 0 {
		return nil, &ParseError{Input: "signature", Reason: "not base64 (cosign writes the signature in standard base64)"}
	}
	return sig, nil
}

// ParseCertificate reads a ".cert" file: one PEM CERTIFICATE, or — as
// cosign sign-blob --output-certificate writes it — that PEM in standard
// base64. It returns the certificate's DER. Nothing is trusted here: the
// verifier checks the certificate against the trusted root.
func ParseCertificate(b []byte) ([]byte, error) {
	if len(b) > MaxCertificateSize {
		return nil, &ParseError{Input: "certificate", Reason: fmt.Sprintf("%d bytes, limit %d", len(b), MaxCertificateSize)}
	}
	pemBytes := bytes.TrimSpace(b)
	if !bytes.HasPrefix(pemBytes, []byte("-----BEGIN")) {
		dec, err := cosignfmt.DecodeBase64(string(trimNewline(b)))
		if err != nil {
			return nil, &ParseError{Input: "certificate", Reason: "neither PEM nor base64 of PEM"}
		}
		pemBytes = dec
	}
	certs, err := cosignfmt.ParseCertificates(pemBytes, 1)
	if err != nil {
		return nil, &ParseError{Input: "certificate", Reason: reason(err)}
	}
	return certs[0], nil
}

// cosignBundle is what cosign sign-blob --bundle writes in its legacy
// format (cosign pkg/cosign/bundle: LocalSignedPayload).
type cosignBundle struct {
	Base64Signature *string                `json:"base64Signature"`
	Cert            string                 `json:"cert"`
	RekorBundle     *cosignfmt.RekorBundle `json:"rekorBundle"`
}

var cosignBundleNames = append([]string{"base64Signature", "cert", "rekorBundle"}, cosignfmt.RekorBundleNames...)

// ParseCosignBundle reads the file cosign sign-blob --bundle writes in its
// legacy format ({"base64Signature", "cert", "rekorBundle":
// {"SignedEntryTimestamp", "Payload": {body, integratedTime, logIndex,
// logID}}}) strictly: no repeated, case-variant or unknown members. "cert"
// (base64 of the PEM certificate) is absent for a signature made with a
// key. A Sigstore bundle (the new format, with a mediaType) is refused:
// verify it with Verifier.VerifyBundle.
func ParseCosignBundle(b []byte) (*Detached, error) {
	bad := func(reason string) error { return &ParseError{Input: "bundle", Reason: reason} }
	if len(b) > MaxBundleSize {
		return nil, bad(fmt.Sprintf("%d bytes, limit %d", len(b), MaxBundleSize))
	}
	var cb cosignBundle
	if err := cosignfmt.StrictDecode(b, &cb, cosignBundleNames); err != nil {
		var probe struct {
			MediaType string `json:"mediaType"`
		}
		if json.Unmarshal(b, &probe) == nil && probe.MediaType != "" {
			return nil, bad("a Sigstore bundle (mediaType " + strconv.Quote(clip.String(probe.MediaType, maxQuote)) + "), not cosign's legacy bundle: verify it with Verifier.VerifyBundle")
		}
		return nil, bad(reason(err))
	}
	if cb.Base64Signature == nil {
		return nil, bad("no base64Signature")
	}
	d := &Detached{}
	var err error
	if d.Signature, err = cosignfmt.DecodeBase64(*cb.Base64Signature); err != nil || len(d.Signature) == 0 {
		return nil, bad("base64Signature is not base64")
	}
	if cb.Cert != "" {
		if d.Certificate, err = ParseCertificate([]byte(cb.Cert)); err != nil {
			var pe *ParseError
			if errors.As(err, &pe) {
				return nil, bad("cert: " + pe.Reason)
			}
			return nil, err
		}
	}
	if cb.RekorBundle != nil {
		tle, err := cb.RekorBundle.Entry()
		if err != nil {
			return nil, bad("rekorBundle: " + reason(err))
		}
		d.Entry = &LogEntry{
			Body:           tle.CanonicalizedBody,
			IntegratedTime: tle.IntegratedTime,
			LogIndex:       tle.LogIndex,
			LogID:          tle.LogId.KeyId,
			SET:            tle.InclusionPromise.SignedEntryTimestamp,
		}
	}
	return d, nil
}

// trimNewline drops one trailing "\n" or "\r\n" (what an editor or echo
// adds to a one-line file), nothing else.
func trimNewline(b []byte) []byte {
	if t, ok := bytes.CutSuffix(b, []byte("\r\n")); ok {
		return t
	}
	return bytes.TrimSuffix(b, []byte("\n"))
}
