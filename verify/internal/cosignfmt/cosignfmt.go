// Package cosignfmt reads the pieces of cosign's legacy signature formats
// that verify/image (the ".sig"/".att" tag annotations) and verify/blob
// (detached ".sig", ".cert" and "--bundle" files) share, and assembles the
// equivalent Sigstore bundle's verification material. It parses strictly
// and verifies nothing: the bundle it helps build proves something only
// once a verify.Verifier accepts it.
//
// Errors are plain reasons ("not PEM", "Payload.logID is not a lowercase
// hex SHA-256"); each caller wraps them in its own typed error naming the
// input they came from.
package cosignfmt

import (
	"bytes"
	"crypto/sha256"
	"crypto/x509"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"encoding/pem"
	"errors"
	"fmt"
	"io"
	"reflect"
	"strings"

	protobundle "github.com/sigstore/protobuf-specs/gen/pb-go/bundle/v1"
	protocommon "github.com/sigstore/protobuf-specs/gen/pb-go/common/v1"
	protorekor "github.com/sigstore/protobuf-specs/gen/pb-go/rekor/v1"

	"github.com/ztci/ztci/internal/strictjson"
)

// BundleV01 is the media type of bundles whose log entries are proven by an
// inclusion promise (the SET) alone, which is what cosign's legacy formats
// carry.
const BundleV01 = "application/vnd.dev.sigstore.bundle+json;version=0.1"

// BundleV03 is the media type of bundles whose log entries carry an
// inclusion proof (and a single leaf certificate).
const BundleV03 = "application/vnd.dev.sigstore.bundle.v0.3+json"

// ParseCertificates reads PEM holding 1 to max CERTIFICATE blocks (without
// headers) and nothing else, each a parseable X.509 certificate, and returns
// their DER. A malformed block, which pem.Decode would skip silently, is an
// error.
func ParseCertificates(b []byte, max int) ([][]byte, error) {
	begun := bytes.Count(b, []byte("-----BEGIN"))
	var out [][]byte
	rest := b
	for len(bytes.TrimSpace(rest)) > 0 {
		var blk *pem.Block
		blk, rest = pem.Decode(rest)
		switch {
		case blk == nil:
			return nil, errors.New("not PEM")
		case blk.Type != "CERTIFICATE" || len(blk.Headers) > 0:
			return nil, fmt.Errorf("PEM block %q, want CERTIFICATE", blk.Type)
		case len(out) == max:
			return nil, fmt.Errorf("more than %d certificates", max)
		}
		if _, err := x509.ParseCertificate(blk.Bytes); err != nil {
			return nil, errors.New("certificate does not parse")
		}
		out = append(out, blk.Bytes)
	}
	if len(out) == 0 {
		return nil, errors.New("no certificate")
	}
	if begun != len(out) {
		return nil, fmt.Errorf("%d PEM blocks begin, %d parse", begun, len(out))
	}
	return out, nil
}

// RekorBundle is cosign's Rekor bundle (cosign pkg/cosign/bundle/rekor.go:
// RekorBundle and RekorPayload): the image annotation
// "dev.sigstore.cosign/bundle" and the "rekorBundle" member of sign-blob's
// --bundle file.
type RekorBundle struct {
	SignedEntryTimestamp []byte `json:"SignedEntryTimestamp"`
	Payload              *struct {
		Body           *string `json:"body"`
		IntegratedTime *int64  `json:"integratedTime"`
		LogIndex       *int64  `json:"logIndex"`
		LogID          *string `json:"logID"`
	} `json:"Payload"`
}

// RekorBundleNames are the member names of a RekorBundle, for strict
// decoding.
var RekorBundleNames = []string{"SignedEntryTimestamp", "Payload", "body", "integratedTime", "logIndex", "logID"}

// ParseRekorBundle reads cosign's Rekor bundle JSON strictly and returns
// the transparency-log entry with its inclusion promise. The SET itself is
// verified by the verifier, over exactly this body, integrated time, log
// index and log ID.
func ParseRekorBundle(b []byte) (*protorekor.TransparencyLogEntry, error) {
	var rb RekorBundle
	if err := StrictDecode(b, &rb, RekorBundleNames); err != nil {
		return nil, err
	}
	return rb.Entry()
}

// Entry checks rb and turns it into a transparency-log entry.
func (rb *RekorBundle) Entry() (*protorekor.TransparencyLogEntry, error) {
	p := rb.Payload
	switch {
	case len(rb.SignedEntryTimestamp) == 0:
		return nil, errors.New("no SignedEntryTimestamp")
	case p == nil || p.Body == nil || p.IntegratedTime == nil || p.LogIndex == nil || p.LogID == nil:
		return nil, errors.New("the Payload needs body, integratedTime, logIndex and logID")
	}
	body, err := DecodeBase64(*p.Body)
	if err != nil {
		return nil, errors.New("the Payload.body is not base64")
	}
	logID, err := hex.DecodeString(*p.LogID)
	if err != nil || len(logID) != sha256.Size || hex.EncodeToString(logID) != *p.LogID {
		return nil, errors.New("the Payload.logID is not a lowercase hex SHA-256")
	}
	return NewEntry(body, *p.IntegratedTime, *p.LogIndex, logID, rb.SignedEntryTimestamp)
}

// NewEntry builds a Rekor v1 transparency-log entry with an inclusion
// promise (set) from its canonicalized body. The kind and version it is
// verified as come from the body, which the verifier checks again.
func NewEntry(body []byte, integratedTime, logIndex int64, logID, set []byte) (*protorekor.TransparencyLogEntry, error) {
	switch {
	case logIndex < 0 || integratedTime <= 0:
		return nil, errors.New("negative logIndex or integratedTime")
	case len(logID) != sha256.Size:
		return nil, errors.New("log ID is not a SHA-256")
	case len(set) == 0:
		return nil, errors.New("no SignedEntryTimestamp")
	}
	kind, version, err := KindVersion(body)
	if err != nil {
		return nil, err
	}
	return &protorekor.TransparencyLogEntry{
		LogIndex:          logIndex,
		LogId:             &protocommon.LogId{KeyId: logID},
		KindVersion:       &protorekor.KindVersion{Kind: kind, Version: version},
		IntegratedTime:    integratedTime,
		InclusionPromise:  &protorekor.InclusionPromise{SignedEntryTimestamp: set},
		CanonicalizedBody: body,
	}, nil
}

// KindVersion reads a Rekor entry body's kind and apiVersion.
func KindVersion(body []byte) (kind, version string, err error) {
	var kv struct {
		Kind       string `json:"kind"`
		APIVersion string `json:"apiVersion"`
	}
	if err := strictjson.Check(body, "kind", "apiVersion"); err != nil {
		return "", "", errors.New("the Payload.body: " + err.Error())
	}
	if err := json.Unmarshal(body, &kv); err != nil || kv.Kind == "" || kv.APIVersion == "" {
		return "", "", errors.New("the Payload.body is not a Rekor entry (kind, apiVersion)")
	}
	return kv.Kind, kv.APIVersion, nil
}

// VerificationMaterial is a bundle's verification material for a
// certificate (leaf first, then its chain: carried, never trusted) or,
// without one, a public-key placeholder that the verifier's expected key
// answers; the log entries; an RFC 3161 timestamp when rfc3161 is not nil.
func VerificationMaterial(certs [][]byte, entries []*protorekor.TransparencyLogEntry, rfc3161 []byte) *protobundle.VerificationMaterial {
	vm := &protobundle.VerificationMaterial{TlogEntries: entries}
	if len(certs) > 0 {
		all := make([]*protocommon.X509Certificate, 0, len(certs))
		for _, c := range certs {
			all = append(all, &protocommon.X509Certificate{RawBytes: c})
		}
		vm.Content = &protobundle.VerificationMaterial_X509CertificateChain{X509CertificateChain: &protocommon.X509CertificateChain{Certificates: all}}
	} else {
		// Signed with a key: the verifier's expected key answers, whatever
		// the hint (verify ignores a bundle's key hint).
		vm.Content = &protobundle.VerificationMaterial_PublicKey{PublicKey: &protocommon.PublicKeyIdentifier{}}
	}
	if rfc3161 != nil {
		vm.TimestampVerificationData = &protobundle.TimestampVerificationData{
			Rfc3161Timestamps: []*protocommon.RFC3161SignedTimestamp{{SignedTimestamp: rfc3161}},
		}
	}
	return vm
}

// DecodeBase64 decodes canonical standard base64 (padded, zero padding
// bits, and no line breaks: Go's decoder skips CR and LF anywhere, so two
// spellings would name one value).
func DecodeBase64(s string) ([]byte, error) {
	if strings.ContainsAny(s, "\r\n") {
		return nil, errors.New("line break in base64")
	}
	return base64.StdEncoding.Strict().DecodeString(s)
}

// StrictDecode decodes one JSON object into v: no repeated or case-variant
// member names (names are registered), no unknown members, nothing after it,
// and no more array elements than its size allows for v's type
// (strictjson's element budget, strictjson.ErrTooManyElements): the
// documents come from a registry or a signer, and decoding `[{},{},…]`
// into a slice of structs would cost encoding/json fifty times their size
// before a caller could count the elements.
func StrictDecode(b []byte, v any, names []string) error {
	if err := strictjson.Check(b, names...); err != nil {
		return err
	}
	if err := strictjson.SchemaOf(reflect.TypeOf(v)).CheckBounded(b); err != nil {
		return err
	}
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		return err
	}
	if _, err := dec.Token(); !errors.Is(err, io.EOF) {
		return errors.New("data after the JSON object")
	}
	return nil
}
