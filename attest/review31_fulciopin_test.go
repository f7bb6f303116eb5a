package attest_test

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
	"time"

	"github.com/sigstore/sigstore-go/pkg/root"

	"github.com/ztci/ztci/attest"
	"github.com/ztci/ztci/internal/itest"
)

// TestReview31FulcioPinnedAgainstRealSigstore: against real Fulcio and
// timestamp-authority, a signer pinned to its identity and to the
// services' trusted root signs (Fulcio's chain has its intermediate in the
// trusted root, the TSA answers the nonce), and one pinned to another SAN,
// or to a trusted root without this Fulcio, refuses the certificate.
func TestReview31FulcioPinnedAgainstRealSigstore(t *testing.T) {
	fulcioBin := itest.Binary(t, "ZTCI_FULCIO")
	tsaBin := itest.Binary(t, "ZTCI_TSA")
	dir := t.TempDir()
	oidc := newOIDCIssuer(t)
	cfg := filepath.Join(dir, "fulcio.yaml")
	if err := os.WriteFile(cfg, fmt.Appendf(nil, "oidc-issuers:\n  %s:\n    issuer-url: %s\n    client-id: sigstore\n    type: email\n", oidc.url, oidc.url), 0o600); err != nil {
		t.Fatal(err)
	}
	fulcioPort := port(t)
	fulcioURL := "http://127.0.0.1:" + fulcioPort
	fulcio := itest.Start(t, exec.Command(fulcioBin, "serve", "--ca=ephemeralca", "--ct-log-url=", "--config-path="+cfg,
		"--host=127.0.0.1", "--port="+fulcioPort, "--grpc-host=127.0.0.1", "--grpc-port="+port(t),
		"--metrics-port="+port(t), "--legacy-unix-domain-socket="+filepath.Join(dir, "legacy.sock")))
	waitPortFree(t, "127.0.0.1:2112", 60*time.Second)
	tsaPort := port(t)
	tsaURL := "http://127.0.0.1:" + tsaPort
	tsaProc := itest.Start(t, exec.Command(tsaBin, "serve", "--host=127.0.0.1", "--port="+tsaPort,
		"--timestamp-signer=memory", "--disable-ntp-monitoring"))
	fulcio.WaitHTTP(t, fulcioURL+"/api/v2/configuration", 30*time.Second)
	tsaProc.WaitHTTP(t, tsaURL+"/api/v1/timestamp/certchain", 30*time.Second)

	fulcioChain := fulcioTrustBundle(t, fulcioURL)
	tsaChain := getPEMChain(t, tsaURL+"/api/v1/timestamp/certchain")
	trusted := func(withFulcio bool) root.TrustedMaterial {
		t.Helper()
		tr := attest.NewTrustedRoot().AddTimestampAuthority(tsaURL, tsaChain, tsaChain[0].NotBefore, time.Time{})
		if withFulcio {
			tr.AddCertificateAuthority(fulcioURL, fulcioChain, fulcioChain[len(fulcioChain)-1].NotBefore, time.Time{})
		} else {
			tr.AddCertificateAuthority(fulcioURL, tsaChain[len(tsaChain)-1:], tsaChain[0].NotBefore, time.Time{})
		}
		js, err := tr.MarshalJSON()
		if err != nil {
			t.Fatal(err)
		}
		m, err := root.NewTrustedRootFromJSON(js)
		if err != nil {
			t.Fatal(err)
		}
		return m
	}

	const email = "ci@example.com"
	tokens := attest.TokenSourceFunc(func(context.Context) (string, error) { return oidc.token(t, email), nil })
	for _, tc := range []struct {
		name string
		opts []attest.Option
		want error
	}{
		{name: "default"},
		{name: "pinned", opts: []attest.Option{attest.WithCertificateIdentity(oidc.url, email), attest.WithTrustedRoot(trusted(true))}},
		{name: "another SAN", opts: []attest.Option{attest.WithCertificateIdentity(oidc.url, "other@example.com")}, want: attest.ErrCertificateIdentity},
		{name: "another issuer", opts: []attest.Option{attest.WithCertificateIdentity("https://issuer.example", email)}, want: attest.ErrCertificateIdentity},
		{name: "Fulcio not trusted", opts: []attest.Option{attest.WithTrustedRoot(trusted(false))}, want: attest.ErrCertificateChain},
	} {
		t.Run(tc.name, func(t *testing.T) {
			opts := append([]attest.Option{attest.WithTimestampAuthority(tsaURL + "/api/v1/timestamp")}, tc.opts...)
			s, err := attest.NewFulcioSigner(fulcioURL, tokens, opts...)
			if err != nil {
				t.Fatal(err)
			}
			b, err := attest.Sign(t.Context(), s, testStatement(t))
			if tc.want == nil {
				if err != nil {
					t.Fatalf("Sign: %v", err)
				}
				return
			}
			if b != nil || !errors.Is(err, tc.want) {
				t.Fatalf("Sign = %v, want %v", err, tc.want)
			}
		})
	}
}
