package svid_test

import (
	"context"
	"crypto/x509"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/spiffe/go-spiffe/v2/spiffeid"
	"github.com/spiffe/go-spiffe/v2/svid/jwtsvid"
	"github.com/spiffe/go-spiffe/v2/svid/x509svid"

	"github.com/ztci/ztci/audit"
	"github.com/ztci/ztci/identity/svid"
)

var td = spiffeid.RequireTrustDomainFromString("ci.test")

// TestGoSpiffeX509SVIDCases runs go-spiffe's 18 X509-SVID parse cases
// through ParseX509 with fixed clocks inside the certificates' validity (they
// expired in 2020 and 2025), then checks that the valid ones are refused as
// expired at a later instant.
func TestGoSpiffeX509SVIDCases(t *testing.T) {
	t.Parallel()
	b, err := os.ReadFile("testdata/go-spiffe/x509svid_cases.json")
	if err != nil {
		t.Fatal(err)
	}
	var file struct {
		Cases []struct {
			Name           string `json:"name"`
			CertsFile      string `json:"certs_file"`
			KeyFile        string `json:"key_file"`
			Valid          bool   `json:"valid"`
			ExpectID       string `json:"expect_id"`
			ExpectNumCerts int    `json:"expect_num_certs"`
		} `json:"cases"`
	}
	if err := json.Unmarshal(b, &file); err != nil {
		t.Fatal(err)
	}
	if len(file.Cases) != 18 {
		t.Fatalf("%d cases, want 18", len(file.Cases))
	}
	// good-leaf-only.pem lives from 2020-03-30 to 2025-03-29; the other
	// leaves for about an hour on 2020-03-24.
	clockFor := func(certs string) time.Time {
		if filepath.Base(certs) == "good-leaf-only.pem" {
			return time.Date(2021, 1, 1, 0, 0, 0, 0, time.UTC)
		}
		return time.Date(2020, 3, 24, 14, 30, 0, 0, time.UTC)
	}
	for _, c := range file.Cases {
		t.Run(c.Name, func(t *testing.T) {
			t.Parallel()
			read := func(p string) []byte {
				b, err := os.ReadFile(filepath.Join("testdata/go-spiffe/x509svid", filepath.Base(p)))
				if err != nil {
					t.Fatal(err)
				}
				return b
			}
			certs, key := read(c.CertsFile), read(c.KeyFile)
			s, err := svid.ParseX509(certs, key, clockFor(c.CertsFile))
			if !c.Valid {
				if !errors.Is(err, svid.ErrInvalidSVID) {
					t.Fatalf("err = %v, want ErrInvalidSVID", err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if s.ID.String() != c.ExpectID || len(s.Certificates) != c.ExpectNumCerts {
				t.Fatalf("got %v with %d certs", s.ID, len(s.Certificates))
			}
			_, err = svid.ParseX509(certs, key, time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC))
			var ve *svid.ValidityError
			if !errors.As(err, &ve) {
				t.Fatalf("expired SVID: err = %v, want *ValidityError", err)
			}
		})
	}
}

func TestIssuedSVIDsFollowTheSpec(t *testing.T) {
	t.Parallel()
	// Wall-clock based: go-spiffe's JWT-SVID parser checks iat against time.Now.
	now := time.Now().Truncate(time.Second)
	var events []audit.Event
	iss, err := svid.NewIssuer(td, svid.WithClock(func() time.Time { return now }), svid.WithX509TTL(time.Hour),
		svid.WithAudit(audit.SinkFunc(func(_ context.Context, e audit.Event) error { events = append(events, e); return nil })))
	if err != nil {
		t.Fatal(err)
	}
	id := spiffeid.RequireFromPath(td, "/job/build")
	s, err := iss.X509SVID(t.Context(), id, now.Add(10*time.Minute))
	if err != nil {
		t.Fatal(err)
	}
	leaf := s.Certificates[0]
	if len(leaf.URIs) != 1 || leaf.IsCA || leaf.KeyUsage != x509.KeyUsageDigitalSignature || !leaf.NotAfter.Equal(now.Add(10*time.Minute)) {
		t.Fatalf("leaf: URIs %v CA %v KU %v NotAfter %v", leaf.URIs, leaf.IsCA, leaf.KeyUsage, leaf.NotAfter)
	}
	if _, _, err := x509svid.Verify(s.Certificates, iss, x509svid.WithTime(now)); err != nil {
		t.Fatalf("go-spiffe does not verify our SVID: %v", err)
	}
	certs, key, _ := s.Marshal()
	if _, err := svid.ParseX509(certs, key, now); err != nil {
		t.Fatalf("ParseX509 of our own SVID: %v", err)
	}
	j, err := iss.JWTSVID(t.Context(), id, time.Time{}, "vault")
	if err != nil {
		t.Fatal(err)
	}
	if j.Expiry.Sub(now) != svid.DefaultJWTTTL {
		t.Fatalf("JWT-SVID lifetime %v", j.Expiry.Sub(now))
	}
	if len(events) != 2 || events[0].Action != "identity.svid.x509.issue" || events[1].Action != "identity.svid.jwt.issue" {
		t.Fatalf("audit events = %+v", events)
	}
	for _, e := range events {
		b, _ := json.Marshal(e)
		if strings.Contains(string(b), j.Marshal()) {
			t.Fatal("JWT-SVID leaked into audit event")
		}
	}
	tests := []struct {
		name string
		id   spiffeid.ID
		want error
	}{
		{name: "other trust domain", id: spiffeid.RequireFromString("spiffe://evil.test/job"), want: svid.ErrID},
		{name: "trust domain itself", id: td.ID(), want: svid.ErrID},
		{name: "zero", want: svid.ErrID},
	}
	for _, tc := range tests {
		if _, err := iss.X509SVID(t.Context(), tc.id, time.Time{}); !errors.Is(err, tc.want) {
			t.Errorf("%s: X509SVID err = %v", tc.name, err)
		}
		if _, err := iss.JWTSVID(t.Context(), tc.id, time.Time{}, "a"); !errors.Is(err, tc.want) {
			t.Errorf("%s: JWTSVID err = %v", tc.name, err)
		}
	}
	if _, err := iss.JWTSVID(t.Context(), id, time.Time{}, ""); !errors.Is(err, svid.ErrConfig) {
		t.Errorf("empty audience: err = %v", err)
	}
	if _, err := jwtsvid.ParseAndValidate(j.Marshal(), iss, []string{"vault"}); err != nil {
		t.Fatalf("go-spiffe does not validate our JWT-SVID: %v", err)
	}
}

func TestJWTVerifier(t *testing.T) {
	t.Parallel()
	iss, err := svid.NewIssuer(td)
	if err != nil {
		t.Fatal(err)
	}
	other, err := svid.NewIssuer(td)
	if err != nil {
		t.Fatal(err)
	}
	id := spiffeid.RequireFromPath(td, "/job/build")
	good, _ := iss.JWTSVID(t.Context(), id, time.Time{}, "deployer")
	wrongAud, _ := iss.JWTSVID(t.Context(), id, time.Time{}, "someone-else")
	forged, _ := other.JWTSVID(t.Context(), id, time.Time{}, "deployer")
	v, err := svid.NewJWTVerifier(iss, "deployer")
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name  string
		token string
		ok    bool
	}{
		{name: "valid", token: good.Marshal(), ok: true},
		{name: "wrong audience", token: wrongAud.Marshal()},
		{name: "other CA", token: forged.Marshal()},
		{name: "garbage", token: "a.b.c"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			who, err := v.Verify(t.Context(), tc.token)
			if tc.ok != (err == nil) || (tc.ok && who.SPIFFEID != id) {
				t.Fatalf("Verify = %v, %v", who, err)
			}
			if err != nil && !errors.Is(err, svid.ErrInvalidSVID) {
				t.Fatalf("err %v outside ErrInvalidSVID", err)
			}
		})
	}
	if _, err := svid.NewJWTVerifier(iss, ""); !errors.Is(err, svid.ErrConfig) {
		t.Fatalf("empty audience accepted: %v", err)
	}
}

func TestIDLongerThanSpecNotIssued(t *testing.T) {
	t.Parallel()
	iss, err := svid.NewIssuer(td)
	if err != nil {
		t.Fatal(err)
	}
	prefix := "spiffe://ci.test/"
	at := spiffeid.RequireFromString(prefix + strings.Repeat("a", svid.MaxIDLength-len(prefix)))
	over := spiffeid.RequireFromString(prefix + strings.Repeat("a", svid.MaxIDLength-len(prefix)+1))
	if _, err := iss.X509SVID(t.Context(), at, time.Time{}); err != nil {
		t.Fatalf("X509SVID of a %d-byte ID: %v", len(at.String()), err)
	}
	if _, err := iss.JWTSVID(t.Context(), at, time.Time{}, "aud"); err != nil {
		t.Fatalf("JWTSVID of a %d-byte ID: %v", len(at.String()), err)
	}
	if _, err := iss.X509SVID(t.Context(), over, time.Time{}); !errors.Is(err, svid.ErrIDTooLong) || !errors.Is(err, svid.ErrID) {
		t.Fatalf("X509SVID of a %d-byte ID: %v, want ErrIDTooLong", len(over.String()), err)
	}
	if _, err := iss.JWTSVID(t.Context(), over, time.Time{}, "aud"); !errors.Is(err, svid.ErrIDTooLong) {
		t.Fatalf("JWTSVID of a %d-byte ID: %v, want ErrIDTooLong", len(over.String()), err)
	}
}
