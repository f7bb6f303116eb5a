package tsa_test

import (
	"bytes"
	"context"
	"encoding/asn1"
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/digitorus/timestamp"
	"golang.org/x/crypto/cryptobyte"
	cbasn1 "golang.org/x/crypto/cryptobyte/asn1"

	"github.com/ztci/ztci/attest/tsa"
)

// review9WithVersion is query q (a TimeStampReq) with its version INTEGER's
// contents replaced by v, the rest as it was.
func review9WithVersion(t testing.TB, q, v []byte) []byte {
	t.Helper()
	var seq asn1.RawValue
	if _, err := asn1.Unmarshal(q, &seq); err != nil {
		t.Fatal(err)
	}
	var ver asn1.RawValue
	rest, err := asn1.Unmarshal(seq.Bytes, &ver)
	if err != nil {
		t.Fatal(err)
	}
	var b cryptobyte.Builder
	b.AddASN1(cbasn1.SEQUENCE, func(b *cryptobyte.Builder) {
		b.AddASN1(cbasn1.INTEGER, func(b *cryptobyte.Builder) { b.AddBytes(v) })
		b.AddBytes(rest)
	})
	return b.BytesOrPanic()
}

// review9Version reads a TimeStampReq's version as a strict DER reader
// does (cryptobyte: definite minimal lengths, minimally encoded INTEGER).
func review9Version(q []byte) (int64, bool) {
	s := cryptobyte.String(q)
	var seq cryptobyte.String
	var v int64
	if !s.ReadASN1(&seq, cbasn1.SEQUENCE) || !seq.ReadASN1Integer(&v) {
		return 0, false
	}
	return v, true
}

// FuzzReview9QueryVersion checks the TimeStampReq version check added
// today (digitorus/timestamp discards the version). Properties: Timestamp
// never panics and refuses only with ErrInvalidQuery; a query it accepts
// has version 1 to a strict DER reader; a query digitorus/timestamp parses
// whose version that reader does not read as 1 is refused.
func FuzzReview9QueryVersion(f *testing.F) {
	q := query(f, "seed", true, 7)
	f.Add(q)
	for _, v := range [][]byte{{1}, {2}, {0}, {0xff}, {0, 1}, {1, 0}, {0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 1}, {}} {
		f.Add(review9WithVersion(f, q, v))
	}
	f.Add(query(f, "other", false, 1<<40))
	a, err := tsa.New()
	if err != nil {
		f.Fatal(err)
	}
	f.Fuzz(func(t *testing.T, q []byte) {
		resp, err := a.Timestamp(context.Background(), q)
		v, vok := review9Version(q)
		if err != nil {
			if !errors.Is(err, tsa.ErrInvalidQuery) {
				t.Fatalf("error outside ErrInvalidQuery: %v", err)
			}
			return
		}
		if !vok || v != 1 {
			t.Fatalf("accepted a query of version %d (read: %v): %x", v, vok, q)
		}
		if _, err := timestamp.ParseResponse(resp); err != nil {
			t.Fatalf("unparsable response: %v", err)
		}
		if _, err := timestamp.ParseRequest(q); err != nil {
			t.Fatalf("accepted a query digitorus/timestamp cannot parse: %v", err)
		}
	})
}

// FuzzReview9QueryContentType posts a valid query declared with arbitrary
// Content-Type and Content-Encoding headers to the TSA's handler, whose
// content-type check is new today. Properties: nothing panics; the status
// is 200 (a stamp), 415 or 400; a query is stamped only if it declares no
// Content-Type or one whose media type, as a plain reader splits it at
// ';', is application/timestamp-query, and no Content-Encoding but
// identity (a proxy that decompressed or re-coded the body would hand the
// TSA other bytes than the client signed over).
func FuzzReview9QueryContentType(f *testing.F) {
	for _, s := range [][2]string{
		{"application/timestamp-query", ""},
		{"", ""},
		{"Application/Timestamp-Query", "identity"},
		{"application/timestamp-query", "gzip"},
		{"application/timestamp-query; x=1", ""},
		{"application/octet-stream", ""},
		{"application/timestamp-reply", ""},
		{"application/timestamp-query, text/plain", ""},
		{"application/timestamp-query", " Identity "},
	} {
		f.Add(s[0], s[1])
	}
	a, err := tsa.New()
	if err != nil {
		f.Fatal(err)
	}
	h := a.Handler()
	q := query(f, "content type", false, 3)
	f.Fuzz(func(t *testing.T, ct, ce string) {
		req := httptest.NewRequest(http.MethodPost, "/api/v1/timestamp", bytes.NewReader(q))
		if ct != "" {
			req.Header["Content-Type"] = []string{ct}
		}
		if ce != "" {
			req.Header["Content-Encoding"] = []string{ce}
		}
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, req)
		switch rec.Code {
		case http.StatusOK, http.StatusCreated:
		case http.StatusUnsupportedMediaType, http.StatusBadRequest:
			if ce == "" && (ct == "" || ct == "application/timestamp-query") {
				t.Fatalf("plain query refused with %d: %s", rec.Code, rec.Body.Bytes())
			}
			return
		default:
			t.Fatalf("status %d: %s", rec.Code, rec.Body.Bytes())
		}
		mt, _, _ := strings.Cut(ct, ";")
		if ct != "" && !strings.EqualFold(strings.Trim(mt, " \t"), "application/timestamp-query") {
			t.Fatalf("query declared as %q was stamped", ct)
		}
		if ce != "" && !strings.EqualFold(strings.Trim(ce, " \t"), "identity") {
			t.Fatalf("query with Content-Encoding %q was stamped", ce)
		}
		if _, err := timestamp.ParseResponse(rec.Body.Bytes()); err != nil {
			t.Fatalf("unparsable response: %v", err)
		}
	})
}
