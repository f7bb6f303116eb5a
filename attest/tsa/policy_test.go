package tsa_test

import (
	"bytes"
	"crypto"
	"crypto/sha256"
	"crypto/x509/pkix"
	"encoding/asn1"
	"encoding/base64"
	"encoding/hex"
	"encoding/pem"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/digitorus/timestamp"

	"github.com/ztci/ztci/attest/tsa"
	"github.com/ztci/ztci/audit"
	"github.com/ztci/ztci/audit/audittest"
)

// tspResponse is RFC 3161's TimeStampResp, to read the status and failInfo
// of a rejection.
type tspResponse struct {
	Status struct {
		Status       int
		StatusString []string       `asn1:"optional,utf8"`
		FailInfo     asn1.BitString `asn1:"optional"`
	}
	Token asn1.RawValue `asn1:"optional"`
}

func policyQuery(t *testing.T, policy asn1.ObjectIdentifier, ext []pkix.Extension) []byte {
	t.Helper()
	sum := sha256.Sum256([]byte("sig"))
	req := &timestamp.Request{HashAlgorithm: crypto.SHA256, HashedMessage: sum[:], TSAPolicyOID: policy, ExtraExtensions: ext}
	b, err := req.Marshal()
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// TestPolicyAndExtensions: a query asking for another TSA policy, or with
// an extension, is rejected with RFC 3161's failInfo (unacceptedPolicy,
// unacceptedExtension) instead of being answered with a token under the
// TSA's own policy; a query naming the TSA's policy, or none, gets a token.
func TestPolicyAndExtensions(t *testing.T) {
	t.Parallel()
	at := time.Now().Add(-time.Hour)
	a, err := tsa.New(tsa.WithClock(func() time.Time { return at }))
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(a.Handler())
	t.Cleanup(srv.Close)
	other := asn1.ObjectIdentifier{1, 2, 3, 4, 5}
	tests := []struct {
		name     string
		query    []byte
		want     error
		failInfo tsa.FailureInfo
	}{
		{"no policy", policyQuery(t, nil, nil), nil, 0},
		{"the TSA's policy", policyQuery(t, tsa.PolicyOID, nil), nil, 0},
		{"another policy", policyQuery(t, other, nil), tsa.ErrUnacceptedPolicy, tsa.FailUnacceptedPolicy},
		{"an extension", policyQuery(t, nil, []pkix.Extension{{Id: asn1.ObjectIdentifier{1, 2, 3}, Value: []byte{5, 0}}}), tsa.ErrUnacceptedExtension, tsa.FailUnacceptedExtension},
		{"SHA-1", func() []byte {
			b, _ := (&timestamp.Request{HashAlgorithm: crypto.SHA1, HashedMessage: make([]byte, 20)}).Marshal()
			return b
		}(), tsa.ErrInvalidQuery, tsa.FailBadAlg},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			resp, err := a.Timestamp(t.Context(), tt.query)
			if tt.want == nil {
				if err != nil {
					t.Fatal(err)
				}
				ts, err := timestamp.ParseResponse(resp)
				if err != nil || !ts.Policy.Equal(tsa.PolicyOID) {
					t.Fatalf("token: %v", err)
				}
				return
			}
			if !errors.Is(err, tt.want) || !errors.Is(err, tsa.ErrInvalidQuery) || resp != nil {
				t.Fatalf("got %v (token %v), want %v", err, resp != nil, tt.want)
			}
			var rej *tsa.RejectionError
			if !errors.As(err, &rej) || rej.Info != tt.failInfo {
				t.Fatalf("got %#v, want failInfo %d", err, tt.failInfo)
			}
			// Over HTTP: the RFC 3161 rejection itself.
			hr, err := http.Post(srv.URL+"/api/v1/timestamp", "application/timestamp-query", bytes.NewReader(tt.query))
			if err != nil {
				t.Fatal(err)
			}
			defer hr.Body.Close()
			body, _ := io.ReadAll(hr.Body)
			var r tspResponse
			if _, err := asn1.Unmarshal(body, &r); err != nil {
				t.Fatalf("HTTP %d, body is not a TimeStampResp: %v", hr.StatusCode, err)
			}
			if hr.StatusCode != http.StatusBadRequest || r.Status.Status != 2 || r.Status.FailInfo.At(int(tt.failInfo)) != 1 || len(r.Token.FullBytes) != 0 {
				t.Errorf("HTTP %d, status %d, failInfo bit %d = %d, token %d bytes", hr.StatusCode, r.Status.Status, tt.failInfo, r.Status.FailInfo.At(int(tt.failInfo)), len(r.Token.FullBytes))
			}
		})
	}
}

// TestAudit: every issued timestamp is audited with its serial and
// imprint, never the token or key material; when the sink fails, no
// token is issued.
func TestAudit(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	rec := audittest.NewRecorder()
	at := time.Now().Add(-time.Hour).UTC().Truncate(time.Second)
	a, err := tsa.New(tsa.WithDir(dir), tsa.WithClock(func() time.Time { return at }), tsa.WithAudit(rec))
	if err != nil {
		t.Fatal(err)
	}
	resp, err := a.Timestamp(t.Context(), query(t, "sig", true, 9))
	if err != nil {
		t.Fatal(err)
	}
	ts, err := timestamp.ParseResponse(resp)
	if err != nil {
		t.Fatal(err)
	}
	evs := rec.Events()
	if len(evs) != 1 {
		t.Fatalf("%d events, want 1", len(evs))
	}
	e := evs[0]
	sum := sha256.Sum256([]byte("sig"))
	if e.Action != "tsa.timestamp.issue" || e.Outcome != audit.OutcomeSuccess || !e.Time.Equal(at) ||
		e.Attributes["message_imprint"] != hex.EncodeToString(sum[:]) || e.Attributes["hash_algorithm"] != "SHA-256" ||
		e.Attributes["serial"] != ts.SerialNumber.Text(16) {
		t.Errorf("event %+v; want time %v serial %s", e, at, ts.SerialNumber.Text(16))
	}
	// Canaries: neither the token nor the signing key appears in the event.
	enc, err := audit.Encode(e)
	if err != nil {
		t.Fatal(err)
	}
	keyPEM, err := os.ReadFile(filepath.Join(dir, "tsa.key"))
	if err != nil {
		t.Fatal(err)
	}
	blk, _ := pem.Decode(keyPEM)
	for name, canary := range map[string][]byte{
		"token (base64)": []byte(base64.StdEncoding.EncodeToString(resp)[:32]),
		"token (hex)":    []byte(hex.EncodeToString(resp)[:32]),
		"key PEM body":   bytes.Split(keyPEM, []byte("\n"))[1][:32],
		"key (hex)":      []byte(hex.EncodeToString(blk.Bytes)[64:96]),
	} {
		if bytes.Contains(enc, canary) {
			t.Errorf("%s appears in the audit event", name)
		}
	}

	rec.Fail(errors.New("sink down"))
	resp, err = a.Timestamp(t.Context(), query(t, "sig", false, 10))
	if !errors.Is(err, tsa.ErrUnavailable) || resp != nil {
		t.Fatalf("sink failing: got token %v, err %v; want no token and ErrUnavailable", resp != nil, err)
	}
	if strings.Contains(err.Error(), "BEGIN") {
		t.Errorf("error carries key material: %v", err)
	}
	if _, err := tsa.New(tsa.WithAudit(nil)); !errors.Is(err, tsa.ErrConfig) {
		t.Errorf("WithAudit(nil): %v", err)
	}
}
