package tsa_test

import (
	"crypto/sha256"
	"crypto/x509/pkix"
	"encoding/asn1"
	"encoding/hex"
	"errors"
	"math/big"
	"testing"

	"github.com/ztci/ztci/attest/tsa"
)

// review38Req is a TimeStampReq whose every member the test spells.
type review38Req struct {
	Version        int
	MessageImprint review38Imprint
	Nonce          *big.Int      `asn1:"optional"`
	CertReq        asn1.RawValue `asn1:"optional"`
}

type review38Imprint struct {
	HashAlgorithm pkix.AlgorithmIdentifier
	HashedMessage []byte
}

// TestReview38StrictDERQuery: the TSA stamps a query only when it is the
// DER encoding of what it says. digitorus/timestamp ignores the hash
// algorithm's parameters and encoding/asn1 takes a certReq FALSE spelt out,
// so before, a query carrying arbitrary bytes as SHA-256 parameters, or
// one of several spellings of the same request, was stamped. Such queries
// are rejected with ErrInvalidQuery (RFC 3161 badDataFormat); the
// parameter spellings RFC 5754 allows (absent, NULL) and OpenSSL's queries
// are still stamped.
func TestReview38StrictDERQuery(t *testing.T) {
	t.Parallel()
	a, err := tsa.New()
	if err != nil {
		t.Fatal(err)
	}
	sum := sha256.Sum256([]byte("sig"))
	sha256OID := asn1.ObjectIdentifier{2, 16, 840, 1, 101, 3, 4, 2, 1}
	enc := func(params asn1.RawValue, certReq asn1.RawValue) []byte {
		b, err := asn1.Marshal(review38Req{
			Version:        1,
			MessageImprint: review38Imprint{HashAlgorithm: pkix.AlgorithmIdentifier{Algorithm: sha256OID, Parameters: params}, HashedMessage: sum[:]},
			Nonce:          big.NewInt(42),
			CertReq:        certReq,
		})
		if err != nil {
			t.Fatal(err)
		}
		return b
	}
	null := asn1.RawValue{FullBytes: []byte{0x05, 0x00}}
	unhex := func(s string) []byte {
		b, err := hex.DecodeString(s)
		if err != nil {
			t.Fatal(err)
		}
		return b
	}
	tests := []struct {
		name  string
		query []byte
		want  error
	}{
		{name: "NULL parameters", query: enc(null, asn1.RawValue{})},
		{name: "absent parameters", query: enc(asn1.RawValue{}, asn1.RawValue{})},
		{name: "certReq TRUE", query: enc(null, asn1.RawValue{FullBytes: []byte{0x01, 0x01, 0xff}})},
		{name: "openssl sha256 with certReq", query: unhex("30430201013031300d06096086480165030402010500042098ea6e4f216f2fb4b69fff9b3a44842c38686ca685f3f55dc48c5d3fb1107be4020830a056946fa511550101ff")},
		{name: "openssl sha512 without nonce", query: unhex("30560201013051300d060960864801650304020305000440d78abb0542736865f94704521609c230dac03a2f369d043ac212d6933b91410e06399e37f9c5cc88436a31737330c1c8eccb2c2f9f374d62f716432a32d50fac")},
		{name: "junk parameters", query: enc(asn1.RawValue{FullBytes: []byte{0x04, 0x04, 'j', 'u', 'n', 'k'}}, asn1.RawValue{}), want: tsa.ErrInvalidQuery},
		{name: "NULL with content", query: enc(asn1.RawValue{FullBytes: []byte{0x05, 0x01, 0x00}}, asn1.RawValue{}), want: tsa.ErrInvalidQuery},
		{name: "certReq FALSE spelt out", query: enc(null, asn1.RawValue{FullBytes: []byte{0x01, 0x01, 0x00}}), want: tsa.ErrInvalidQuery},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			_, err := a.Timestamp(t.Context(), tt.query)
			if tt.want == nil {
				if err != nil {
					t.Fatal(err)
				}
				return
			}
			var rej *tsa.RejectionError
			if !errors.Is(err, tt.want) || !errors.As(err, &rej) || rej.Info != tsa.FailBadDataFormat {
				t.Fatalf("err = %v, want %v with badDataFormat", err, tt.want)
			}
		})
	}
}
